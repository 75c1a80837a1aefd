/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardFpmStatus: each child has a reader thread (only when the directive
 * is set), asleep most of the time; at each interval one of them takes the
 * lease in shared memory (a compare-and-swap of pid and deadline) and
 * reads every pool's status with guard_fpm_fetch, under a short deadline
 * each. The child that read last wakes every interval, the others every
 * few intervals, in case it is gone. The parent makes and zeroes the
 * segment and never reads it: what another daemon sends is parsed by a
 * child, never by root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_thread_cond.h"
#include "guard_fpm_client.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_fpm.h"
#include "mod_guard_fpm_sess.h"
#include "mod_guard_retained.h"
#include "guard_seq.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY "mod_guard-fpm"
/* The others wake this many times less often than the last reader. */
#define BACKUP_FACTOR 4

typedef struct {
    guard_segment_t seg;
} fpm_retained_t;

static fpm_retained_t *retained;

typedef struct {
    server_rec *s;
    guard_fpm_shm_t *shm;
    const guard_fpm_addr_t *addrs;
    int n;
    apr_interval_time_t interval;
    guard_fpm_io_t io;
    guard_fpm_pool_t *scratch;
    apr_thread_t *thread;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cond;
    int stopping;
    pid_t pid;
} reader_t;

static reader_t rd;

static guard_fpm_shm_t *fpm_shm(void)
{
    return retained && retained->seg.ready
           ? guard_glue_segment_base(&retained->seg) : NULL;
}

static int segment_fits(const void *base, apr_size_t size, void *baton)
{
    return size == sizeof(guard_fpm_shm_t);
}

static const guard_segment_ops_t segment_ops = { segment_fits, NULL };

/* end-holder ends only workers listed in a GuardFpmStatus pool: without
 * one it can end nothing, which the operator should hear of. */
static void warn_end_holder_alone(server_rec *s)
{
    const guard_lock_rules_t *rules = guard_conf_lock_rules(s);
    int i;

    for (i = 0; rules && i < rules->n; i++) {
        if (rules->rule[i].end_holder) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, GRD_FPM_NO_POOL
                         ": GuardLockWatch %s ... end-holder ends only "
                         "PHP-FPM workers of a GuardFpmStatus pool, and "
                         "none is configured: it will end nothing",
                         rules->rule[i].pattern);
            return;
        }
    }
}

/* Made once, kept across restarts; the pools are zeroed at each start
 * (their list may have changed), the counters kept. */
static int fpm_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    guard_fpm_shm_t *shm;
    apr_status_t rv;
    int n = 0, kept;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (guard_conf_fpm(s, &n), n == 0) {
        warn_end_holder_alone(s);
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    rv = guard_glue_segment_get(&retained->seg, sizeof(guard_fpm_shm_t),
                                s->process->pool, &segment_ops, NULL, &kept);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, GRD_FPM_SETUP
                     ": cannot create the shared memory of GuardFpmStatus");
        retained->seg.ready = 0;
        return OK;
    }
    shm = guard_glue_segment_base(&retained->seg);
    if (!kept) {
        memset(shm, 0, sizeof(*shm));
    }
    memset(shm->pools, 0, sizeof(shm->pools));
    __atomic_store_n(&shm->lease, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&shm->due, 0, __ATOMIC_RELEASE);
    retained->seg.ready = 1;
    return OK;
}

static apr_int64_t thread_cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (apr_int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void publish(guard_fpm_pool_t *rec, const char *err, apr_time_t t0,
                    apr_time_t t1, apr_size_t bytes)
{
    rec->seq += rec->seq & 1;     /* a reader that died mid-write */
    guard_seq_write_begin(&rec->seq);
    rec->last_try = t0;
    rec->reader_pid = rd.pid;
    rec->bytes = (apr_uint32_t)bytes;
    rec->read_us = t1 - t0;
    if (err) {
        rec->status = GUARD_FPM_FAILED;
        apr_cpystrn(rec->error, err, sizeof(rec->error));
    }
    else {
        rec->status = GUARD_FPM_OK;
        rec->error[0] = '\0';
        rec->last_ok = t1;
        rec->counts = rd.scratch->counts;
        memcpy(rec->procs, rd.scratch->procs,
               sizeof(rec->procs[0]) * rd.scratch->counts.nprocs);
    }
    guard_seq_write_end(&rec->seq);
}

static void read_pool(int i)
{
    char err[GUARD_FPM_ERR_LEN];
    apr_int64_t cpu0 = thread_cpu_us();
    apr_time_t t0 = apr_time_now(), t1;
    apr_size_t bytes = 0;
    const char *why;

    why = guard_fpm_fetch(&rd.addrs[i], &rd.io, rd.scratch, &bytes, err,
                          sizeof(err));
    t1 = apr_time_now();
    publish(&rd.shm->pools[i], why, t0, t1, bytes);
    __atomic_add_fetch(&rd.shm->reads_total, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&rd.shm->bytes_total, bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch(&rd.shm->cpu_us_total,
                       (apr_uint64_t)(thread_cpu_us() - cpu0),
                       __ATOMIC_RELAXED);
    if (why) {
        __atomic_add_fetch(&rd.shm->failures_total, 1, __ATOMIC_RELAXED);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, rd.s, GRD_FPM_READ
                     ": status of %s %s could not be read: %s (%"
                     APR_SIZE_T_FMT " bytes in %" APR_TIME_T_FMT " us)",
                     rd.addrs[i].address, rd.addrs[i].path, why, bytes,
                     t1 - t0);
    }
}

/* The lease: free, or its holder's deadline passed. */
static int take_lease(apr_time_t now, apr_uint64_t *mine)
{
    apr_uint64_t old = __atomic_load_n(&rd.shm->lease, __ATOMIC_ACQUIRE);
    apr_int64_t sec = apr_time_sec(now);
    apr_int64_t need = apr_time_sec(rd.io.timeout * rd.n) + 2;

    if (now < __atomic_load_n(&rd.shm->due, __ATOMIC_ACQUIRE)
        || (old && (apr_int64_t)(old & 0xffffffffu) >= sec)) {
        return 0;
    }
    *mine = (apr_uint64_t)rd.pid << 32 | (apr_uint32_t)(sec + need);
    return __atomic_compare_exchange_n(&rd.shm->lease, &old, *mine, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* 1 when this thread read. */
static int maybe_read(void)
{
    apr_time_t now = apr_time_now();
    apr_uint64_t mine;
    int i;

    if (!take_lease(now, &mine)) {
        return 0;
    }
    __atomic_store_n(&rd.shm->due, now + rd.interval, __ATOMIC_RELEASE);
    for (i = 0; i < rd.n; i++) {
        read_pool(i);
    }
    __atomic_compare_exchange_n(&rd.shm->lease, &mine, 0, 0,
                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    return 1;
}

/* The thread that read wakes again after an interval, when its next read
 * is due (and so keeps the lease); the others after BACKUP_FACTOR. */
static void *APR_THREAD_FUNC reader_main(apr_thread_t *t, void *data)
{
    apr_thread_mutex_lock(rd.mu);
    while (!rd.stopping) {
        apr_interval_time_t nap;

        apr_thread_mutex_unlock(rd.mu);
        nap = maybe_read() ? rd.interval : rd.interval * BACKUP_FACTOR;
        apr_thread_mutex_lock(rd.mu);
        if (!rd.stopping) {
            apr_thread_cond_timedwait(rd.cond, rd.mu, nap);
        }
    }
    apr_thread_mutex_unlock(rd.mu);
    return NULL;
}

static apr_status_t stop_reader(void *data)
{
    apr_status_t rv;

    if (rd.thread) {
        apr_thread_mutex_lock(rd.mu);
        rd.stopping = 1;
        apr_thread_cond_signal(rd.cond);
        apr_thread_mutex_unlock(rd.mu);
        apr_thread_join(&rv, rd.thread);
        rd.thread = NULL;
    }
    return APR_SUCCESS;
}

static void fpm_child_init(apr_pool_t *pchild, server_rec *s)
{
    sigset_t all, old;
    apr_status_t rv;

    memset(&rd, 0, sizeof(rd));
    rd.addrs = guard_conf_fpm(s, &rd.n);
    if (!rd.n || !(rd.shm = fpm_shm())) {
        return;
    }
    rd.s = s;
    rd.pid = getpid();
    rd.interval = guard_conf_fpm_interval(s);
    rd.io.cap = GUARD_FPM_REPLY_MAX;
    rd.io.buf = apr_palloc(pchild, rd.io.cap);
    rd.io.timeout = GUARD_FPM_TIMEOUT;
    rd.scratch = apr_palloc(pchild, sizeof(*rd.scratch));
    apr_thread_mutex_create(&rd.mu, APR_THREAD_MUTEX_DEFAULT, pchild);
    apr_thread_cond_create(&rd.cond, pchild);
    /* No signal for this thread: the MPM's go to its workers. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rv = apr_thread_create(&rd.thread, NULL, reader_main, NULL, pchild);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != APR_SUCCESS) {
        rd.thread = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GRD_FPM_SETUP
                     ": cannot start the FPM status reader thread");
        return;
    }
    apr_pool_pre_cleanup_register(pchild, NULL, stop_reader);
}

guard_fpm_view_t *guard_glue_fpm_view(apr_pool_t *p,
                                      const guard_snapshot_t *snap,
                                      server_rec *s)
{
    guard_fpm_shm_t *shm = fpm_shm();
    guard_fpm_totals_t t;
    const guard_fpm_addr_t *addrs;
    int n = 0;

    addrs = guard_conf_fpm(s, &n);
    if (!n || !shm) {
        return NULL;
    }
    t.reads_total = __atomic_load_n(&shm->reads_total, __ATOMIC_RELAXED);
    t.failures_total = __atomic_load_n(&shm->failures_total,
                                       __ATOMIC_RELAXED);
    t.bytes_total = __atomic_load_n(&shm->bytes_total, __ATOMIC_RELAXED);
    t.cpu_us_total = __atomic_load_n(&shm->cpu_us_total, __ATOMIC_RELAXED);
    return guard_fpm_view_take(p, shm->pools, addrs, n, &t, snap,
                               guard_conf_fpm_interval(s));
}

const guard_fpm_shm_t *guard_glue_fpm_shm(server_rec *s,
                                          const guard_fpm_addr_t **addrs,
                                          int *n)
{
    guard_fpm_shm_t *shm = fpm_shm();

    *n = 0;
    *addrs = guard_conf_fpm(s, n);
    if (!shm || !*n) {
        *n = 0;
        return NULL;
    }
    return shm;
}

guard_cut_fpm_t *guard_glue_fpm_cut(apr_pool_t *pchild, server_rec *s)
{
    guard_fpm_shm_t *shm = fpm_shm();
    guard_cut_fpm_t *x;
    int n = 0;
    const guard_fpm_addr_t *addrs = guard_conf_fpm(s, &n);

    if (!n || !shm) {
        return NULL;
    }
    x = apr_pcalloc(pchild, sizeof(*x));
    x->pools = shm->pools;
    x->addrs = addrs;
    x->n = n < GUARD_FPM_POOLS ? n : GUARD_FPM_POOLS;
    x->scratch = apr_palloc(pchild, sizeof(*x->scratch));
    return x;
}

void guard_fpm_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(fpm_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(fpm_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    guard_fpm_sess_register_hooks(p);
}
