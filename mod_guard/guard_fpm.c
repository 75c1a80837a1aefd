/* SPDX-License-Identifier: Apache-2.0 */
/* FPM pools: the address, safe copies, full and stuck, the join
 * (guard_fpm.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "guard_fpm.h"
#include "guard_sane.h"
#include "guard_seq.h"

static const char *const state_names[GUARD_FPM_STATE_MAX] = {
    "Idle", "Running", "Reading headers", "Getting request information",
    "Finishing", "Ending", "unknown"
};

const char *guard_fpm_state_name(apr_uint32_t state)
{
    return state < GUARD_FPM_STATE_MAX ? state_names[state] : "unknown";
}

apr_uint32_t guard_fpm_state_parse(const char *text)
{
    apr_uint32_t i;

    for (i = 0; i < GUARD_FPM_OTHER; i++) {
        if (!strcmp(text, state_names[i])) {
            return i;
        }
    }
    return GUARD_FPM_OTHER;
}

static const char *parse_port(const char *s, int *port)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno == ERANGE || v < 1
        || v > 65535) {
        return "the port must be a number from 1 to 65535";
    }
    *port = (int)v;
    return NULL;
}

static const char *parse_tcp(const char *a, guard_fpm_addr_t *out)
{
    const char *colon = strrchr(a, ':'), *h = a;
    unsigned char bin[16];
    apr_size_t hl;

    if (!colon) {
        return "expected unix:/path.sock or host:port";
    }
    hl = (apr_size_t)(colon - a);
    if (hl > 2 && a[0] == '[' && a[hl - 1] == ']') {
        h = a + 1, hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(out->host)) {
        return "expected unix:/path.sock or host:port";
    }
    memcpy(out->host, h, hl);
    out->host[hl] = '\0';
    if (inet_pton(h == a ? AF_INET : AF_INET6, out->host, bin) != 1) {
        return "the host must be a numeric IPv4 address or an [IPv6] one";
    }
    return parse_port(colon + 1, &out->port);
}

static const char *parse_unix(const char *path, guard_fpm_addr_t *out)
{
    if (path[0] != '/') {
        return "the socket path must be absolute";
    }
    if (strlen(path) >= 108 || strlen(path) + 6 > sizeof(out->address)) {
        return "the socket path is too long";
    }
    strcpy(out->sock, path);
    out->unix_path = 1;
    return NULL;
}

static const char *check_path(const char *path)
{
    const char *p;

    if (path[0] != '/') {
        return "the status path must begin with /";
    }
    if (strlen(path) >= GUARD_FPM_PATH_LEN) {
        return "the status path is too long";
    }
    for (p = path; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?'
            || *p == '#' || (unsigned char)*p >= 0x80) {
            return "the status path must be plain: no spaces, query or "
                   "control bytes";
        }
    }
    return NULL;
}

const char *guard_fpm_addr_parse(const char *address, const char *path,
                                 guard_fpm_addr_t *out)
{
    const char *err;

    memset(out, 0, sizeof(*out));
    path = path ? path : "/status";
    if ((err = check_path(path)) != NULL) {
        return err;
    }
    strcpy(out->path, path);
    if (strlen(address) >= sizeof(out->address)) {
        return "the address is too long";
    }
    err = strncmp(address, "unix:", 5) ? parse_tcp(address, out)
                                       : parse_unix(address + 5, out);
    if (err) {
        return err;
    }
    strcpy(out->address, address);
    return NULL;
}

int guard_fpm_pool_copy(const guard_fpm_pool_t *src, guard_fpm_pool_t *dst)
{
    int tries;

    for (tries = 0; tries < 4; tries++) {
        apr_uint32_t start = guard_seq_read_begin(&src->seq);

        memcpy(dst, src, sizeof(*dst));
        if (!(start & 1) && guard_seq_read_valid(&src->seq, start)) {
            return 1;
        }
    }
    return 0;
}

int guard_fpm_addr_is_peer(const guard_fpm_addr_t *a, const char *peer)
{
    return a->address[0] && !strcmp(a->address, peer);
}

static void terminate(char *s, apr_size_t size)
{
    s[size - 1] = '\0';
}

#define TERM(f) terminate((f), sizeof(f))

static apr_int64_t clamp(apr_int64_t v)
{
    return v < 0 ? 0 : v > GUARD_SANE_TIME_MAX ? GUARD_SANE_TIME_MAX : v;
}

static void sane_proc(guard_fpm_proc_t *w)
{
    w->state = w->state < GUARD_FPM_STATE_MAX ? w->state : GUARD_FPM_OTHER;
    w->pid = w->pid > 0 ? w->pid : 0;
    w->started = clamp(w->started);
    w->duration_us = clamp(w->duration_us);
    w->cpu_centi = clamp(w->cpu_centi);
    w->memory = clamp(w->memory);
    w->content_length = clamp(w->content_length);
    w->requests = w->requests < (apr_uint64_t)GUARD_SANE_TIME_MAX
                  ? w->requests : (apr_uint64_t)GUARD_SANE_TIME_MAX;
    TERM(w->method);
    TERM(w->uri);
    TERM(w->script);
    TERM(w->user);
}

void guard_fpm_sane(guard_fpm_pool_t *p)
{
    guard_fpm_counts_t *c = &p->counts;
    apr_int64_t *n[] = { &c->start_time, &c->accepted, &c->listen_queue,
                         &c->max_listen_queue, &c->listen_queue_len,
                         &c->idle, &c->active, &c->total, &c->max_active,
                         &c->max_children_reached, &c->slow_requests };
    apr_uint32_t i;

    p->status = p->status <= GUARD_FPM_FAILED ? p->status : GUARD_FPM_FAILED;
    p->last_try = guard_sane_time(p->last_try);
    p->last_ok = guard_sane_time(p->last_ok);
    p->read_us = clamp(p->read_us);
    p->reader_pid = p->reader_pid > 0 ? p->reader_pid : 0;
    TERM(p->error);
    TERM(c->name);
    TERM(c->pm);
    for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
        *n[i] = clamp(*n[i]);
    }
    c->nprocs = c->nprocs <= GUARD_FPM_WORKERS ? c->nprocs
                                               : GUARD_FPM_WORKERS;
    c->procs_total = c->procs_total >= c->nprocs ? c->procs_total
                                                 : c->nprocs;
    for (i = 0; i < c->nprocs; i++) {
        sane_proc(&p->procs[i]);
    }
}

int guard_fpm_full(const guard_fpm_counts_t *c)
{
    return (!strcmp(c->pm, "static") && c->total > 0
            && c->active >= c->total)
           || (c->max_children_reached > 0 && c->listen_queue > 0);
}

static int busy(const guard_fpm_proc_t *w)
{
    return w->state != GUARD_FPM_IDLE && w->state != GUARD_FPM_OTHER;
}

int guard_fpm_proc_stuck(const guard_fpm_proc_t *w,
                         apr_interval_time_t threshold)
{
    return busy(w) && w->duration_us > threshold;
}

apr_uint32_t guard_fpm_query_hash(const char *q, apr_size_t n)
{
    apr_uint32_t h = 2166136261u;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char)q[i]) * 16777619u;
    }
    return h ? h : 1;
}

/* The waiter's URI against FPM's: whole, or up to the '?' when the
 * waiter's query is hidden ("?..."), and then its query by its hash when
 * it has one. */
static int same_uri(const char *mine, apr_uint32_t qhash, const char *fpm)
{
    const char *q = strchr(mine, '?');

    if (q && !strcmp(q, "?...")) {
        apr_size_t n = (apr_size_t)(q - mine);

        if (strncmp(mine, fpm, n) != 0 || (fpm[n] != '?' && fpm[n])) {
            return 0;
        }
        return !qhash || (fpm[n] == '?'
                          && guard_fpm_query_hash(fpm + n + 1,
                                                  strlen(fpm + n + 1))
                             == qhash);
    }
    return !strcmp(mine, fpm);
}

static int fits(const guard_fpm_proc_t *w, apr_time_t read_at,
                const guard_fpm_waiter_t *h, apr_uint32_t qhash)
{
    apr_time_t started = read_at - w->duration_us;

    return w->state == GUARD_FPM_RUNNING && !strcmp(w->method, h->method)
           && same_uri(h->uri, qhash, w->uri)
           && started + GUARD_FPM_JOIN_SLACK >= h->req_start;
}

static int count_fits(const guard_fpm_proc_t *procs, int nprocs,
                      apr_time_t read_at, const guard_fpm_waiter_t *h,
                      apr_uint32_t qhash, int *first)
{
    int i, n = 0;

    *first = -1;
    for (i = 0; i < nprocs; i++) {
        if (fits(&procs[i], read_at, h, qhash)) {
            *first = *first < 0 ? i : *first;
            n++;
        }
    }
    return n;
}

/* The FPM workers that fit waiter h: by its query's hash where it has one
 * and any worker's query matches it; else by the path alone (FPM cuts a
 * long query, and a rewrite may change it after the hash was taken). */
static int candidates(const guard_fpm_proc_t *procs, int nprocs,
                      apr_time_t read_at, const guard_fpm_waiter_t *h,
                      int *first)
{
    int n = count_fits(procs, nprocs, read_at, h, h->query_hash, first);

    return n || !h->query_hash
           ? n : count_fits(procs, nprocs, read_at, h, 0, first);
}

void guard_fpm_join(const guard_fpm_proc_t *procs, int nprocs,
                    apr_time_t read_at, guard_fpm_waiter_t *w, int nw)
{
    int i, k;

    for (i = 0; i < nw; i++) {
        int n = candidates(procs, nprocs, read_at, &w[i], &w[i].fpm);

        w[i].ambiguous = n > 1;
        w[i].fpm = n == 1 ? w[i].fpm : -1;
    }
    /* One FPM worker cannot serve two waiters: neither is told. */
    for (i = 0; i < nw; i++) {
        for (k = i + 1; k < nw && w[i].fpm >= 0; k++) {
            if (w[k].fpm == w[i].fpm) {
                w[i].ambiguous = w[k].ambiguous = 1;
            }
        }
    }
    for (i = 0; i < nw; i++) {
        w[i].fpm = w[i].ambiguous ? -1 : w[i].fpm;
    }
}
