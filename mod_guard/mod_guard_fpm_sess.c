/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session files known by name (mod_guard_fpm_sess.h). In each child, once
 * it runs as httpd's user: the GuardLockWatch rules of the form
 * DIR/PREFIX*SUFFIX whose DIR it may search but not list (EACCES), when a
 * GuardFpmStatus pool is set. At request start, only then: the request's
 * PHPSESSID cookie, its file stat()ed by name under those rules, and its
 * dev:ino and id hash into the slot. The id itself is not kept.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_tables.h"
#include "guard_lock_rule.h"
#include "guard_fpm.h"
#include "guard_log.h"
#include "guard_shm.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_fpm_sess.h"

APLOG_USE_MODULE(guard);

static const guard_lock_rules_t *rules;
static int have_pools;
static int unlisted[GUARD_LOCK_RULES];
static int nunlisted;

/* 1 when the directory of pattern is searchable and not listable. */
static int dir_unlisted(const char *pattern)
{
    char dir[GUARD_LOCK_PATTERN_LEN], probe[GUARD_LOCK_PATTERN_LEN];
    const char *slash = strrchr(pattern, '/');
    DIR *d;

    if (!guard_sess_path(pattern, "x", 1, probe, sizeof(probe)) || !slash
        || (apr_size_t)(slash - pattern) >= sizeof(dir)) {
        return 0;
    }
    memcpy(dir, pattern, (apr_size_t)(slash - pattern));
    dir[slash - pattern] = '\0';
    if ((d = opendir(dir)) != NULL) {
        closedir(d);
        return 0;
    }
    return errno == EACCES && access(dir, X_OK) == 0;
}

static void sess_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i, npools = 0;

    nunlisted = 0;
    rules = guard_conf_lock_rules(s);
    have_pools = guard_conf_fpm(s, &npools) && npools > 0;
    if (!rules || !have_pools) {
        return;
    }
    for (i = 0; i < rules->n; i++) {
        if (dir_unlisted(rules->rule[i].pattern)) {
            unlisted[nunlisted++] = i;
        }
    }
    if (nunlisted) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_LOCK_SESS
                     ": GuardLockWatch %s: its directory cannot be listed "
                     "by httpd's user; session files are found by the %s "
                     "cookie of requests", rules->rule[unlisted[0]].pattern,
                     rules->rule[unlisted[0]].cookie[0]
                     ? rules->rule[unlisted[0]].cookie : GUARD_SESS_COOKIE);
    }
}

void guard_fpm_sess_note(request_rec *r, guard_sess_t *out)
{
    char path[GUARD_LOCK_PATTERN_LEN + GUARD_SESS_ID_MAX];
    const char *cookie, *id;
    struct stat st;
    apr_size_t n;
    int i;

    out->ino = 0;
    if (!nunlisted || !(cookie = apr_table_get(r->headers_in, "Cookie"))) {
        return;
    }
    for (i = 0; i < nunlisted; i++) {
        const guard_lock_rule_t *rule = &rules->rule[unlisted[i]];

        if ((n = guard_sess_cookie(cookie, rule->cookie[0] ? rule->cookie
                                           : GUARD_SESS_COOKIE, &id))
            && guard_sess_id_ok(id, n)
            && guard_sess_path(rule->pattern, id, n, path, sizeof(path))
            && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            out->dev = guard_dev_make(major(st.st_dev), minor(st.st_dev));
            out->ino = (apr_uint64_t)st.st_ino;
            out->rule = unlisted[i];
            out->id_hash = guard_sess_hash(id, n);
            return;
        }
    }
}

apr_uint32_t guard_fpm_query_of(request_rec *r)
{
    return have_pools && r->args
           ? guard_fpm_query_hash(r->args, strlen(r->args)) : 0;
}

void guard_fpm_sess_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(sess_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
