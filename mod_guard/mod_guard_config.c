/* SPDX-License-Identifier: Apache-2.0 */
/* Directives: one setter each, strict parsing, defaults at use. */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include <errno.h>
#include "guard_crash.h"
#include "guard_cut.h"
#include "guard_duration.h"
#include "guard_listen_host.h"
#include "guard_stuck.h"
#include "guard_stack.h"
#include "mod_guard.h"
#include "mod_guard_config.h"

#define UNSET (-1)

void *guard_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    guard_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->watch_interval = UNSET;
    c->stuck_threshold = UNSET;
    c->crash_history = UNSET;
    c->stacks = UNSET;
    c->stack_depth = UNSET;
    c->fpm_interval = UNSET;
    return c;
}

void *guard_merge_srv_conf(apr_pool_t *p, void *base, void *add)
{
    guard_srv_conf_t *b = base, *a = add, *c = apr_pcalloc(p, sizeof(*c));

    c->watch_interval = a->watch_interval != UNSET ? a->watch_interval
                                                   : b->watch_interval;
    c->stuck_threshold = a->stuck_threshold != UNSET ? a->stuck_threshold
                                                     : b->stuck_threshold;
    c->lock_rules = a->lock_rules ? a->lock_rules : b->lock_rules;
    c->crash_log = a->crash_log ? a->crash_log : b->crash_log;
    c->crash_history = a->crash_history != UNSET ? a->crash_history
                                                 : b->crash_history;
    c->status_listen = a->status_listen ? a->status_listen : b->status_listen;
    c->status_allow = a->status_allow ? a->status_allow : b->status_allow;
    c->status_hosts = a->status_hosts ? a->status_hosts : b->status_hosts;
    c->stacks = a->stacks != UNSET ? a->stacks : b->stacks;
    c->stack_depth = a->stack_depth != UNSET ? a->stack_depth
                                             : b->stack_depth;
    c->fpm = a->fpm ? a->fpm : b->fpm;
    c->fpm_interval = a->fpm_interval != UNSET ? a->fpm_interval
                                               : b->fpm_interval;
    return c;
}

void *guard_create_dir_conf(apr_pool_t *p, char *dir)
{
    guard_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->show_query = UNSET;
    c->backend_timeout = UNSET;
    c->backend_action = GUARD_ACTION_CUT;
    c->stuck_timeout_ms = UNSET;
    return c;
}

void *guard_merge_dir_conf(apr_pool_t *p, void *base, void *add)
{
    guard_dir_conf_t *b = base, *a = add, *c = apr_pcalloc(p, sizeof(*c));

    c->show_query = a->show_query != UNSET ? a->show_query : b->show_query;
    c->stuck_timeout_ms = a->stuck_timeout_ms != UNSET ? a->stuck_timeout_ms
                                                       : b->stuck_timeout_ms;
    if (a->backend_timeout != UNSET) {
        c->backend_timeout = a->backend_timeout;
        c->backend_max = a->backend_max;
        c->backend_minrate = a->backend_minrate;
        c->backend_action = a->backend_action;
    }
    else {
        c->backend_timeout = b->backend_timeout;
        c->backend_max = b->backend_max;
        c->backend_minrate = b->backend_minrate;
        c->backend_action = b->backend_action;
    }
    return c;
}

static guard_srv_conf_t *srv_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &guard_module);
}

/* Parse a duration within [min, max]; the error names the directive and
 * quotes the value. */
static const char *parse_bounded(cmd_parms *cmd, const char *arg,
                                 apr_interval_time_t min,
                                 apr_interval_time_t max,
                                 apr_interval_time_t *out)
{
    const char *err = guard_duration_parse(arg, out);
    char lo[32], hi[32];

    if (err) {
        return apr_psprintf(cmd->pool, "%s: invalid duration \"%s\": %s",
                            cmd->cmd->name, arg, err);
    }
    if (*out < min || *out > max) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is out of range (%s to %s)",
                            cmd->cmd->name, arg,
                            guard_duration_format(min, lo, sizeof(lo)),
                            guard_duration_format(max, hi, sizeof(hi)));
    }
    return NULL;
}

static const char *set_watch_interval(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    return parse_bounded(cmd, arg, GUARD_MIN_INTERVAL, GUARD_MAX_INTERVAL,
                         &srv_conf(cmd->server)->watch_interval);
}

static const char *set_stuck_threshold(cmd_parms *cmd, void *dc,
                                       const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    return parse_bounded(cmd, arg, GUARD_MIN_STUCK, GUARD_MAX_STUCK,
                         &srv_conf(cmd->server)->stuck_threshold);
}

static const char *parse_action(cmd_parms *cmd, const char *arg, int *out)
{
    if (!arg || !strcasecmp(arg, "cut")) {
        *out = GUARD_ACTION_CUT;
    }
    else if (!strcasecmp(arg, "log")) {
        *out = GUARD_ACTION_LOG;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: invalid action \"%s\": "
                            "expected cut or log", cmd->cmd->name, arg);
    }
    return NULL;
}

/* A per-directory GuardBackendTimeout, GuardStuckTimeout or
 * GuardStatusShowQuery was seen in a section of the configuration read
 * last. */
static int dir_sections_used;

static void note_dir_context(cmd_parms *cmd)
{
    if (cmd->path) {
        dir_sections_used = 1;
    }
}

/* max=DURATION: not shorter than the idle timeout. */
static const char *parse_max(cmd_parms *cmd, const char *tok,
                             guard_dir_conf_t *c)
{
    const char *err = guard_duration_parse(tok + 4, &c->backend_max);

    if (err) {
        return apr_psprintf(cmd->pool, "%s: invalid \"%s\": %s",
                            cmd->cmd->name, tok, err);
    }
    if (c->backend_max < c->backend_timeout
        || c->backend_max > GUARD_MAX_BACKEND) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is out of range (from the "
                            "idle timeout to 24h)", cmd->cmd->name, tok);
    }
    return NULL;
}

/* minrate=BYTES: bytes received that buy one more second. */
static const char *parse_minrate(cmd_parms *cmd, const char *tok,
                                 guard_dir_conf_t *c)
{
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(tok + 8, &end, 10);
    if (errno || end == tok + 8 || *end || v < 1 || v > GUARD_MAX_MINRATE) {
        return apr_psprintf(cmd->pool, "%s: invalid \"%s\": expected bytes, "
                            "1 to %d", cmd->cmd->name, tok,
                            GUARD_MAX_MINRATE);
    }
    c->backend_minrate = (apr_uint32_t)v;
    return NULL;
}

/* One word after the idle timeout: max=, minrate=, or the action. */
static const char *parse_backend_word(cmd_parms *cmd, const char *tok,
                                      guard_dir_conf_t *c, int *seen)
{
    int bit = !strncasecmp(tok, "max=", 4) ? 1
              : !strncasecmp(tok, "minrate=", 8) ? 2 : 4;

    if (*seen & bit) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" given twice",
                            cmd->cmd->name, tok);
    }
    *seen |= bit;
    return bit == 1 ? parse_max(cmd, tok, c)
           : bit == 2 ? parse_minrate(cmd, tok, c)
           : parse_action(cmd, tok, &c->backend_action);
}

/* GuardBackendTimeout idle|Off [max=D] [minrate=B] [cut|log] */
static const char *set_backend_timeout(cmd_parms *cmd, void *dc, int argc,
                                       char *const argv[])
{
    guard_dir_conf_t *c = dc;
    const char *err;
    int i, seen = 0;

    note_dir_context(cmd);
    if (argc < 1 || argc > 4) {
        return apr_psprintf(cmd->pool, "%s: expected a duration or Off, then "
                            "optionally max=, minrate= and cut or log",
                            cmd->cmd->name);
    }
    c->backend_max = 0;
    c->backend_minrate = 0;
    c->backend_action = GUARD_ACTION_CUT;
    if (!strcasecmp(argv[0], "off")) {
        c->backend_timeout = 0;
        return argc == 1 ? NULL : apr_psprintf(cmd->pool, "%s: \"Off\" takes "
                                  "nothing after it, got \"%s\"",
                                  cmd->cmd->name, argv[1]);
    }
    err = parse_bounded(cmd, argv[0], GUARD_MIN_BACKEND, GUARD_MAX_BACKEND,
                        &c->backend_timeout);
    for (i = 1; !err && i < argc; i++) {
        err = parse_backend_word(cmd, argv[i], c, &seen);
    }
    return err;
}

/* GuardStuckTimeout duration|Off */
static const char *set_stuck_timeout(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    guard_dir_conf_t *c = dc;
    apr_interval_time_t t = 0;
    const char *err;

    note_dir_context(cmd);
    if (strcasecmp(arg, "off")
        && (err = parse_bounded(cmd, arg, GUARD_STUCK_MIN, GUARD_STUCK_MAX,
                                &t)) != NULL) {
        return err;
    }
    /* Milliseconds now: no division at every request. */
    c->stuck_timeout_ms = apr_time_as_msec(t);
    return NULL;
}

static const char *set_show_query(cmd_parms *cmd, void *dc, const char *arg)
{
    guard_dir_conf_t *c = dc;

    note_dir_context(cmd);
    if (!strcasecmp(arg, "on")) {
        c->show_query = 1;
    }
    else if (!strcasecmp(arg, "off")) {
        c->show_query = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not On or Off",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* GuardLockWatch's cookie=NAME: a session cookie's name (PHP's
 * session.name), letters, digits, '_' and '-'. */
static const char *parse_lock_cookie(cmd_parms *cmd, const char *a,
                                     guard_lock_rule_t *r)
{
    const char *name = a + 7;
    apr_size_t n = strlen(name);

    if (r->cookie[0]) {
        return apr_psprintf(cmd->pool, "%s: \"%s\": cookie= given twice",
                            cmd->cmd->name, a);
    }
    if (n == 0 || n >= sizeof(r->cookie)
        || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_-") != n) {
        return apr_psprintf(cmd->pool, "%s: invalid cookie name in \"%s\": "
                            "expected 1 to %d letters, digits, '_' or '-'",
                            cmd->cmd->name, a, (int)sizeof(r->cookie) - 1);
    }
    memcpy(r->cookie, name, n + 1);
    return NULL;
}

/* One action word of GuardLockWatch, each at most once; or cookie=. */
static const char *parse_lock_action(cmd_parms *cmd, const char *a,
                                     guard_lock_rule_t *r)
{
    int *flag = !strcasecmp(a, "cut-holder") ? &r->cut_holder
                : !strcasecmp(a, "end-holder") ? &r->end_holder : NULL;

    if (!strncasecmp(a, "cookie=", 7)) {
        return parse_lock_cookie(cmd, a, r);
    }
    if (!flag) {
        return apr_psprintf(cmd->pool, "%s: invalid action \"%s\": "
                            "expected cut-holder, end-holder or "
                            "cookie=NAME", cmd->cmd->name, a);
    }
    if (*flag) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" given twice",
                            cmd->cmd->name, a);
    }
    *flag = 1;
    return NULL;
}

/* GuardLockWatch <path-or-glob> [threshold] [cut-holder] [end-holder]
 * [cookie=NAME] */
static const char *parse_lock_args(cmd_parms *cmd, int argc,
                                   char *const argv[], guard_lock_rule_t *r)
{
    const char *err;
    int i = 1;

    r->threshold = GUARD_LOCK_DEFAULT_THRESHOLD;
    if (argc > 1 && strcasecmp(argv[1], "cut-holder") != 0
        && strcasecmp(argv[1], "end-holder") != 0
        && strncasecmp(argv[1], "cookie=", 7) != 0) {
        err = parse_bounded(cmd, argv[1], GUARD_MIN_LOCK, GUARD_MAX_LOCK,
                            &r->threshold);
        if (err) {
            return err;
        }
        i = 2;
    }
    for (; i < argc; i++) {
        if ((err = parse_lock_action(cmd, argv[i], r)) != NULL) {
            return err;
        }
    }
    return NULL;
}

static const char *set_lock_watch(cmd_parms *cmd, void *dc, int argc,
                                  char *const argv[])
{
    guard_srv_conf_t *c = srv_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *pat = argc > 0 ? argv[0] : "";
    guard_lock_rule_t *r;

    if (err) {
        return err;
    }
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: expected a pattern, then "
                            "optionally a duration, cut-holder, "
                            "end-holder and cookie=NAME", cmd->cmd->name);
    }
    if (pat[0] != '/' || strlen(pat) >= GUARD_LOCK_PATTERN_LEN
        || guard_glob_check(pat) != 0) {
        return apr_psprintf(cmd->pool, "%s: invalid pattern \"%s\": expected "
                            "an absolute path or glob, shorter than %d bytes",
                            cmd->cmd->name, pat, GUARD_LOCK_PATTERN_LEN);
    }
    if (!c->lock_rules) {
        c->lock_rules = apr_pcalloc(cmd->pool, sizeof(*c->lock_rules));
    }
    if (c->lock_rules->n >= GUARD_LOCK_RULES) {
        return apr_psprintf(cmd->pool, "%s: too many patterns at \"%s\" "
                            "(at most %d)", cmd->cmd->name, pat,
                            GUARD_LOCK_RULES);
    }
    r = &c->lock_rules->rule[c->lock_rules->n];
    memset(r, 0, sizeof(*r));
    if ((err = parse_lock_args(cmd, argc, argv, r)) != NULL) {
        return err;
    }
    apr_cpystrn(r->pattern, pat, sizeof(r->pattern));
    c->lock_rules->n++;
    return NULL;
}

static const char *set_status_listen(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    guard_ip_t *ip;

    if (err) {
        return err;
    }
    ip = apr_pcalloc(cmd->pool, sizeof(*ip));
    if ((err = guard_ip_parse_listen(arg, ip)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid address \"%s\": %s",
                            cmd->cmd->name, arg, err);
    }
    srv_conf(cmd->server)->status_listen = ip;
    return NULL;
}

/* Called once per argument; every occurrence adds to the list. */
static const char *set_status_allow(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    guard_srv_conf_t *c = srv_conf(cmd->server);
    guard_cidr_t net;

    if (err) {
        return err;
    }
    if ((err = guard_cidr_parse(arg, &net)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid network \"%s\": %s",
                            cmd->cmd->name, arg, err);
    }
    if (!c->status_allow) {
        c->status_allow = apr_array_make(cmd->pool, 4, sizeof(net));
    }
    *(guard_cidr_t *)apr_array_push(c->status_allow) = net;
    return NULL;
}

/* Called once per argument; every occurrence adds to the list. */
static const char *set_status_host(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    guard_srv_conf_t *c = srv_conf(cmd->server);

    if (err) {
        return err;
    }
    if ((err = guard_host_name_check(arg)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid name \"%s\": %s",
                            cmd->cmd->name, arg, err);
    }
    if (!c->status_hosts) {
        c->status_hosts = apr_array_make(cmd->pool, 4, sizeof(arg));
    }
    APR_ARRAY_PUSH(c->status_hosts, const char *) = arg;
    return NULL;
}

static const char *set_crash_log(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "off")) {
        srv_conf(cmd->server)->crash_log = "";
        return NULL;
    }
    if (!*arg || arg[0] == '|') {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a file path "
                            "or Off", cmd->cmd->name, arg);
    }
    srv_conf(cmd->server)->crash_log = ap_server_root_relative(cmd->pool,
                                                               arg);
    if (!srv_conf(cmd->server)->crash_log) {
        return apr_psprintf(cmd->pool, "%s: invalid path \"%s\"",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* A whole number in [min, max], or the directive's error. */
static const char *parse_count(cmd_parms *cmd, const char *arg, long min,
                               long max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || errno == ERANGE) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a number",
                            cmd->cmd->name, arg);
    }
    if (v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is out of range "
                            "(%ld to %ld)", cmd->cmd->name, arg, min, max);
    }
    *out = (int)v;
    return NULL;
}

static const char *set_crash_history(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    return parse_count(cmd, arg, GUARD_CRASH_HISTORY_MIN,
                       GUARD_CRASH_HISTORY_MAX,
                       &srv_conf(cmd->server)->crash_history);
}

static const char *set_stacks(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "on")) {
        srv_conf(cmd->server)->stacks = 1;
    }
    else if (!strcasecmp(arg, "off")) {
        srv_conf(cmd->server)->stacks = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not On or Off",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_stack_depth(cmd_parms *cmd, void *dc,
                                   const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    return parse_count(cmd, arg, 1, GUARD_STACK_FRAMES,
                       &srv_conf(cmd->server)->stack_depth);
}

/* One pool per line, at most GUARD_FPM_POOLS, each address once. */
static const char *set_fpm_status(cmd_parms *cmd, void *dc, const char *addr,
                                  const char *path)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    guard_srv_conf_t *c = srv_conf(cmd->server);
    guard_fpm_addr_t a;
    int i;

    if (err) {
        return err;
    }
    if ((err = guard_fpm_addr_parse(addr, path, &a)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid value \"%s%s%s\": %s",
                            cmd->cmd->name, addr, path ? " " : "",
                            path ? path : "", err);
    }
    if (!c->fpm) {
        c->fpm = apr_array_make(cmd->pool, 2, sizeof(a));
    }
    for (i = 0; i < c->fpm->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->fpm, i, guard_fpm_addr_t).address,
                    a.address)) {
            return apr_psprintf(cmd->pool, "%s: \"%s\" is given twice",
                                cmd->cmd->name, addr);
        }
    }
    if (c->fpm->nelts >= GUARD_FPM_POOLS) {
        return apr_psprintf(cmd->pool, "%s: \"%s\": at most %d pools",
                            cmd->cmd->name, addr, GUARD_FPM_POOLS);
    }
    APR_ARRAY_PUSH(c->fpm, guard_fpm_addr_t) = a;
    return NULL;
}

static const char *set_fpm_interval(cmd_parms *cmd, void *dc,
                                    const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    return parse_bounded(cmd, arg, GUARD_FPM_INTERVAL_MIN,
                         GUARD_FPM_INTERVAL_MAX,
                         &srv_conf(cmd->server)->fpm_interval);
}

const command_rec guard_cmds[] = {
    AP_INIT_TAKE1("GuardWatchInterval", set_watch_interval, NULL, RSRC_CONF,
                  "How often the watchdog samples a worker whose request is "
                  "old enough: a duration such as 100ms (default)"),
    AP_INIT_TAKE1("GuardStuckThreshold", set_stuck_threshold, NULL,
                  RSRC_CONF,
                  "Age after which a request is flagged stuck: a duration "
                  "such as 10s (default)"),
    AP_INIT_TAKE_ARGV("GuardBackendTimeout", set_backend_timeout, NULL,
                      RSRC_CONF | ACCESS_CONF | OR_OPTIONS,
                      "How long a worker may stay blocked on one silent "
                      "backend socket before it is cut: a duration or Off "
                      "(default), then optionally max=DURATION (the longest "
                      "exchange), minrate=BYTES (bytes received that buy one "
                      "more second) and cut (default) or log"),
    AP_INIT_TAKE1("GuardStuckTimeout", set_stuck_timeout, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "How long a request may wait on what cannot be cut (a "
                  "lock, a futex, the disk, the CPU) before its process is "
                  "ended, its record kept: a duration of 1s to 24h, or Off "
                  "(default)"),
    AP_INIT_TAKE1("GuardStatusShowQuery", set_show_query, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "On: keep query strings in the copy of request data shown "
                 "on the status page (default Off: shown as ?...)"),
    AP_INIT_TAKE_ARGV("GuardLockWatch", set_lock_watch, NULL, RSRC_CONF,
                      "A lock file path or glob to watch, then optionally "
                      "how long a worker may wait for its lock before the "
                      "holder is reported (default 1s), then optionally "
                      "cut-holder and end-holder"),
    AP_INIT_TAKE1("GuardStatusListen", set_status_listen, NULL, RSRC_CONF,
                  "Address:port of the out-of-band status listener served "
                  "by mod_guard's own thread in each child (default: none)"),
    AP_INIT_ITERATE("GuardStatusAllow", set_status_allow, NULL, RSRC_CONF,
                    "Networks (CIDR) whose clients the status listener "
                    "answers (default: 127.0.0.0/8 ::1)"),
    AP_INIT_ITERATE("GuardStatusHost", set_status_host, NULL, RSRC_CONF,
                    "Host names (or numeric addresses) the status listener "
                    "answers for besides its address, localhost and the "
                    "ServerName (default: none)"),
    AP_INIT_TAKE1("GuardCrashLog", set_crash_log, NULL, RSRC_CONF,
                  "Where crash reports are appended: a file, or Off "
                  "(default: the main error log)"),
    AP_INIT_TAKE1("GuardCrashHistory", set_crash_history, NULL, RSRC_CONF,
                  "How many crash records are kept (default 64)"),
    AP_INIT_TAKE1("GuardStacks", set_stacks, NULL, RSRC_CONF,
                  "On (default): read the PHP and native stacks of busy "
                  "workers; Off: none"),
    AP_INIT_TAKE1("GuardStackDepth", set_stack_depth, NULL, RSRC_CONF,
                  "Frames kept of each stack, innermost first: 1 to 32 "
                  "(default 32)"),
    AP_INIT_TAKE12("GuardFpmStatus", set_fpm_status, NULL, RSRC_CONF,
                   "A PHP-FPM pool whose status page to read: unix:/path.sock "
                   "or host:port, then optionally its pm.status_path "
                   "(default /status)"),
    AP_INIT_TAKE1("GuardFpmInterval", set_fpm_interval, NULL, RSRC_CONF,
                  "How often the FPM status pages are read: a duration "
                  "such as 1s (default)"),
    { NULL }
};

const guard_fpm_addr_t *guard_conf_fpm(server_rec *s, int *n)
{
    apr_array_header_t *a = srv_conf(s)->fpm;

    *n = a ? a->nelts : 0;
    return a ? (const guard_fpm_addr_t *)a->elts : NULL;
}

apr_interval_time_t guard_conf_fpm_interval(server_rec *s)
{
    apr_interval_time_t v = srv_conf(s)->fpm_interval;

    return v == UNSET ? GUARD_FPM_INTERVAL_DEFAULT : v;
}

int guard_conf_crash_history(server_rec *s)
{
    int v = srv_conf(s)->crash_history;

    return v == UNSET ? GUARD_CRASH_HISTORY_DEFAULT : v;
}

int guard_conf_stacks(server_rec *s)
{
    return srv_conf(s)->stacks != 0;
}

int guard_conf_stack_depth(server_rec *s)
{
    int v = srv_conf(s)->stack_depth;

    return v == UNSET ? GUARD_STACK_DEPTH_DEFAULT : v;
}

const char *guard_conf_crash_log(server_rec *s)
{
    return srv_conf(s)->crash_log;
}

const guard_lock_rules_t *guard_conf_lock_rules(server_rec *s)
{
    const guard_lock_rules_t *r = srv_conf(s)->lock_rules;

    return r && r->n > 0 ? r : NULL;
}

apr_interval_time_t guard_conf_interval(server_rec *s)
{
    apr_interval_time_t v = srv_conf(s)->watch_interval;

    return v == UNSET ? GUARD_DEFAULT_INTERVAL : v;
}

apr_interval_time_t guard_conf_stuck(server_rec *s)
{
    apr_interval_time_t v = srv_conf(s)->stuck_threshold;

    return v == UNSET ? GUARD_DEFAULT_STUCK : v;
}

apr_interval_time_t guard_conf_sample_after(server_rec *s)
{
    apr_interval_time_t stuck = guard_conf_stuck(s);

    return stuck < GUARD_SAMPLE_AFTER ? stuck : GUARD_SAMPLE_AFTER;
}

void guard_conf_request(request_rec *r, guard_req_conf_t *out)
{
    guard_dir_conf_t *c = ap_get_module_config(r->per_dir_config,
                                               &guard_module);

    out->backend_timeout = 0;
    out->backend_max = 0;
    out->backend_minrate = 0;
    out->backend_action = GUARD_ACTION_CUT;
    out->show_query = c && c->show_query == 1;
    out->stuck_timeout_ms = c && c->stuck_timeout_ms > 0
                            ? (apr_uint32_t)c->stuck_timeout_ms : 0;
    if (c && c->backend_timeout > 0) {
        out->backend_timeout = c->backend_timeout;
        out->backend_max = c->backend_max;
        out->backend_minrate = c->backend_minrate;
        out->backend_action = c->backend_action;
    }
}

const guard_ip_t *guard_conf_status_listen(server_rec *s)
{
    return srv_conf(s)->status_listen;
}

const guard_cidr_t *guard_conf_status_allow(server_rec *s, int *n)
{
    static guard_cidr_t loopback[2];
    apr_array_header_t *a = srv_conf(s)->status_allow;

    if (!a) {
        *n = guard_cidr_loopback(loopback);
        return loopback;
    }
    *n = a->nelts;
    return (const guard_cidr_t *)a->elts;
}

const apr_array_header_t *guard_conf_status_hosts(server_rec *s)
{
    return srv_conf(s)->status_hosts;
}

void guard_conf_read_begins(void)
{
    dir_sections_used = 0;
}

/* AllowOverride lets .htaccess files of this section set
 * GuardBackendTimeout (OR_OPTIONS, or AllowOverrideList naming it). */
static int htaccess_may_set(ap_conf_vector_t *sec)
{
    core_dir_config *d = ap_get_core_module_config(sec);

    return d && ((d->override & OR_OPTIONS)
                 || (d->override_list
                     && apr_table_get(d->override_list,
                                      "GuardBackendTimeout")));
}

int guard_conf_dir_values_vary(server_rec *s)
{
    int i;

    if (dir_sections_used) {
        return 1;
    }
    for (; s; s = s->next) {
        core_server_config *sc = ap_get_core_module_config(s->module_config);
        ap_conf_vector_t **secs = (ap_conf_vector_t **)sc->sec_dir->elts;

        if (htaccess_may_set(s->lookup_defaults)) {
            return 1;
        }
        for (i = 0; i < sc->sec_dir->nelts; i++) {
            if (htaccess_may_set(secs[i])) {
                return 1;
            }
        }
    }
    return 0;
}
