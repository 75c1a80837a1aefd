/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, the parent's part: the crash segment's life (kept
 * across restarts, remade when GuardCrashHistory or ServerLimit change),
 * the report descriptor children inherit, and at each child's exit the
 * log line that joins httpd's "exit signal" with the record its handler
 * left (mod_guard_crash_signal.c).
 */
#include <string.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "apr_shm.h"
#include "guard_crash.h"
#include "guard_crash_fmt.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_crash_names.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_retained.h"
#include "mod_guard_shm.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY     "mod_guard-crash"
#define STORM_PER_MINUTE 10

typedef struct {
    guard_segment_t seg;
    guard_crash_shm_t view;
} crash_retained_t;

static crash_retained_t *retained;
static int report_fd = -1;       /* inherited by the children */

guard_crash_shm_t *guard_glue_crash_shm(void)
{
    return retained && retained->seg.ready ? &retained->view : NULL;
}

int guard_glue_crash_report_fd(void)
{
    return report_fd;
}

static int server_limit(void)
{
    int v = 0;

    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &v) != APR_SUCCESS || v < 1) {
        return 1;
    }
    return v;
}

typedef struct {
    server_rec *s;
    int cap;
    guard_crash_hdr_t old;        /* of a segment dropped: totals carry */
} crash_want_t;

/* Decided by the parent's own view, not the segment's header. */
static int segment_fits(const void *base, apr_size_t size, void *baton)
{
    const crash_want_t *w = baton;

    return guard_crash_shm_fits(&retained->view, size, w->cap,
                                server_limit());
}

/* A new GuardCrashHistory makes a new ring; the totals carry over. */
static void segment_dropped(const void *base, void *baton)
{
    crash_want_t *w = baton;

    memcpy(&w->old, base, sizeof(w->old));
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, w->s, GRD_CRASH_SHM
                 ": GuardCrashHistory or ServerLimit changed: earlier crash "
                 "records dropped, counts kept");
}

static const guard_segment_ops_t segment_ops = { segment_fits,
                                                 segment_dropped };

static void carry_totals(guard_crash_hdr_t *to, const guard_crash_hdr_t *from)
{
    int i;

    if (from->magic != GUARD_CRASH_MAGIC) {
        return;
    }
    to->next = from->next;
    to->stuck_ends = from->stuck_ends;
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        to->by_signal[i] = from->by_signal[i];
    }
}

/* Reports go to a descriptor children inherit: the file of GuardCrashLog,
 * or stderr, which httpd points at the main error log. */
static int open_report_fd(apr_pool_t *pconf, server_rec *s)
{
    const char *path = guard_conf_crash_log(s);
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv;

    if (!path) {
        return STDERR_FILENO;
    }
    if (!*path) {
        return -1;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_APPEND, APR_FPROT_UREAD | APR_FPROT_UWRITE
                       | APR_FPROT_GREAD, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GRD_CRASH_SETUP
                     ": GuardCrashLog: cannot open \"%s\": reports go to "
                     "the error log", path);
        return STDERR_FILENO;
    }
    apr_os_file_get(&fd, f);
    return fd;
}

/* A segment made new is initialised, and takes the totals of the one it
 * replaces. */
static apr_status_t get_segment(server_rec *s, int cap)
{
    apr_size_t size = guard_crash_shm_size(cap, server_limit());
    crash_want_t w;
    apr_status_t rv;
    void *base;
    int kept;

    memset(&w, 0, sizeof(w));
    w.s = s;
    w.cap = cap;
    rv = guard_glue_segment_get(&retained->seg, size, s->process->pool,
                                &segment_ops, &w, &kept);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, GRD_CRASH_SHM
                     ": cannot create %" APR_SIZE_T_FMT " bytes of shared "
                     "memory for crash records: crashes are not recorded",
                     size);
        return rv;
    }
    if (!kept) {
        base = guard_glue_segment_base(&retained->seg);
        guard_crash_shm_init(base, cap, server_limit(), apr_time_now());
        guard_crash_shm_attach(&retained->view, base, cap, server_limit());
        carry_totals(retained->view.hdr, &w.old);
    }
    return APR_SUCCESS;
}

static int crash_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    if (get_segment(s, guard_conf_crash_history(s)) != APR_SUCCESS) {
        return OK;
    }
    retained->seg.ready = 1;
    report_fd = open_report_fd(pconf, s);
    return OK;
}

static apr_uint64_t requests_of_child(int child)
{
    guard_shm_t *shm = guard_glue_shm();
    apr_uint64_t n = 0;
    int t;

    for (t = 0; shm && child < shm->server_limit && t < shm->thread_limit;
         t++) {
        n += guard_shm_slot(shm, child, t)->requests;
    }
    return n;
}

/* The child said GRD0900 before it ended: this joins its record with the
 * exit, which httpd's parent does not log. */
static void log_stuck_end(server_rec *s, const guard_crash_rec_t *r)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, GRD_STUCK_ENDED
                 ": child pid %d (slot %d) ended by GuardStuckTimeout: record "
                 "%" APR_UINT64_T_FMT ", \"%.*s %.*s\" after %" APR_INT64_T_FMT
                 " ms", r->pid, r->child, r->id, (int)sizeof(r->req.method),
                 r->req.method, (int)sizeof(r->req.uri), r->req.uri,
                 r->elapsed_ms);
}

static void log_crash(server_rec *s, const guard_crash_rec_t *r)
{
    char sig[96];
    guard_cbuf_t b;

    if (r->flags & GUARD_CRASHF_STUCK) {
        log_stuck_end(s, r);
        return;
    }
    guard_cbuf_init(&b, sig, sizeof(sig));
    guard_cbuf_signal(&b, r->signo, r->si_code);
    if (!(r->flags & GUARD_CRASHF_REQUEST)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_CRASH_EXIT
                     ": child pid %d (slot %d) died: crash %" APR_UINT64_T_FMT
                     ": %s at 0x%" APR_UINT64_T_HEX_FMT " in thread %d, no "
                     "request", r->pid, r->child, r->id, sig, r->addr,
                     r->tid);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_CRASH_EXIT
                 ": child pid %d (slot %d) died: crash %" APR_UINT64_T_FMT
                 ": %s at 0x%" APR_UINT64_T_HEX_FMT " in thread %d %s "
                 "\"%.*s %.*s\" vhost \"%.*s\" client \"%.*s\"%s%"
                 APR_INT64_T_FMT " ms%s", r->pid, r->child, r->id, sig,
                 r->addr, r->tid, r->flags & GUARD_CRASHF_REQ_DONE
                 ? "after finished request" : "serving",
                 (int)sizeof(r->req.method), r->req.method,
                 (int)sizeof(r->req.uri), r->req.uri,
                 (int)sizeof(r->req.vhost), r->req.vhost,
                 (int)sizeof(r->req.client), r->req.client,
                 r->flags & GUARD_CRASHF_REQ_DONE ? ", " : " for ", r->elapsed_ms,
                 r->flags & GUARD_CRASHF_REQ_DONE ? " after its start" : "");
}

/* One record logged with its frames named; *signo the first crash's. */
static void log_record(server_rec *s, guard_crash_shm_t *c,
                       guard_crash_rec_t *r, int *signo, apr_uint32_t *n,
                       apr_uint32_t *ended)
{
    log_crash(s, r);
    guard_crash_log_names(s, c, r);
    if (r->flags & GUARD_CRASHF_STUCK) {
        (*ended)++;
    }
    else if (!*signo) {
        *signo = r->signo;
    }
    (*n)++;
}

/* Records the process left, logged once each (the process is gone, so
 * nothing more will come from it). Returns how many; *signo the first's. */
/* The crash the process kept in its child slot, and any other records it
 * left in the ring (other threads crashing at the same time), logged once
 * each: the process is gone, nothing more comes from it. Returns how many;
 * *signo is the first one's signal. */
static apr_uint32_t log_records_of(server_rec *s, guard_crash_shm_t *c,
                                   int slot, pid_t pid, apr_time_t since,
                                   int *signo, apr_uint32_t *ended)
{
    apr_uint64_t next = guard_crash_total(c), t, first = 0;
    apr_uint64_t cap = (apr_uint64_t)c->capacity;
    guard_crash_rec_t r;
    apr_uint32_t n = 0;

    *signo = 0;
    *ended = 0;
    if (guard_crash_last_of(c, slot, pid, &r) && r.when >= since) {
        log_record(s, c, &r, signo, &n, ended);
        first = r.id;
    }
    for (t = next > cap ? next - cap : 0; t < next; t++) {
        if (guard_crash_read(c, t, &r) != 0 && r.pid == pid
            && (r.child == slot || r.child < 0)
            && r.when >= since && r.id != first) {
            log_record(s, c, &r, signo, &n, ended);
        }
    }
    return n;
}

/* Crashes of the last minute, as far as the ring reaches. */
static void track_rate(server_rec *s, guard_crash_shm_t *c, apr_time_t now)
{
    apr_uint64_t next = guard_crash_total(c), cap = (apr_uint64_t)c->capacity;
    apr_uint64_t k;
    guard_crash_rec_t r;
    apr_uint32_t n = 0;

    for (k = 0; k < next && k < cap; k++) {
        int got = guard_crash_read(c, next - 1 - k, &r);

        if (got != 0 && r.when < now - apr_time_from_sec(60)) {
            break;
        }
        n += got != 0 && !(r.flags & GUARD_CRASHF_STUCK);
    }
    c->hdr->rate_1m = n;
    if (n >= STORM_PER_MINUTE
        && now - c->storm_logged >= apr_time_from_sec(60)) {
        c->storm_logged = now;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, GRD_CRASH_STORM
                     ": %u crashes in the last minute (%" APR_UINT64_T_FMT
                     " in all): see /guard-status", n, next);
    }
}

static void child_ended(server_rec *s, guard_crash_shm_t *c, int slot,
                        pid_t pid)
{
    guard_proc_rec_t *p = guard_crash_proc_find(c, slot, pid);
    apr_time_t now = apr_time_now();
    apr_uint32_t n, ended;
    int signo;

    if (p && p->end != GUARD_PROC_RUNNING) {
        return;   /* told twice */
    }
    n = log_records_of(s, c, slot, pid,
                       p ? guard_crash_proc_since(c, p) : 0, &signo, &ended);
    if (p) {
        guard_crash_proc_end(p, now, n > ended ? GUARD_PROC_CRASHED
                                     : ended ? GUARD_PROC_ENDED
                                     : GUARD_PROC_EXITED,
                             signo, n - ended, requests_of_child(slot)
                                               - p->requests_base);
    }
    if (n) {
        track_rate(s, c, now);
    }
}

static void crash_child_status(server_rec *s, pid_t pid, ap_generation_t gen,
                               int slot, mpm_child_status state)
{
    guard_crash_shm_t *c = guard_glue_crash_shm();

    if (!c || slot < 0) {
        return;
    }
    if (state == MPM_CHILD_STARTED) {
        guard_crash_proc_start(c, slot, pid, (apr_uint32_t)gen,
                               apr_time_now(), requests_of_child(slot));
        return;
    }
    child_ended(s, c, slot, pid);
}

void guard_crash_parent_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(crash_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_status(crash_child_status, NULL, NULL, APR_HOOK_MIDDLE);
}
