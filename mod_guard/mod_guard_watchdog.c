/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One watchdog thread per child, our own apr thread rather than a
 * mod_watchdog instance: mod_watchdog calls back on a fixed 100 ms slice,
 * while this thread sleeps on a futex until a request starts and then only
 * until the oldest request is old enough, so idle children cost nothing.
 * It runs with every signal blocked: the MPM's signals must reach the
 * worker threads that act on them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_listen.h"
#include "ap_mpm.h"
#include "scoreboard.h"
#include "apr_thread_proc.h"
#include "guard_inspect.h"
#include "guard_lock_fpm.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_broker.h"
#include "mod_guard_child.h"
#include "mod_guard_config.h"
#include "mod_guard_fpm.h"
#include "mod_guard_shm.h"
#include "mod_guard_stack.h"
#include "mod_guard_stuck.h"
#include "mod_guard_watchdog.h"
#include "guard_seq.h"

APLOG_USE_MODULE(guard);

#define MAX_LISTENERS 64

static guard_watch_t watch;
static guard_sysfd_t sysfd;
static guard_stacker_t stacker;
static guard_runfd_t *runfds;     /* [thread_limit] kept schedstat files */
static apr_thread_t *thread;
static int running;
static int listen_fds[MAX_LISTENERS];
static server_rec *main_server;

guard_watch_t *guard_glue_watch(void)
{
    return running ? &watch : NULL;
}

static void log_to_httpd(void *baton, int level, const char *tag,
                         const char *msg)
{
    ap_log_error(APLOG_MARK, level, 0, (server_rec *)baton, "%s: %s", tag,
                 msg);
}

static int collect_listeners(void)
{
    ap_listen_rec *lr;
    int n = 0;

    for (lr = ap_listeners; lr && n < MAX_LISTENERS; lr = lr->next) {
        apr_os_sock_t fd;

        if (lr->sd && apr_os_sock_get(&fd, lr->sd) == APR_SUCCESS) {
            listen_fds[n++] = fd;
        }
    }
    return n;
}

/* Before any worker thread runs: this child's record and idle slots. In
 * prefork the worker is the main thread, so its tid is known already. */
static int threads_per_child(void)
{
    int n = 0;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &n) != APR_SUCCESS || n < 1) {
        n = 1;
    }
    return n;
}

static void claim_child(int child)
{
    guard_child_t *c = &watch.shm->children[child];
    int t, tl = watch.shm->thread_limit;

    guard_seq_write_begin(&c->seq);
    c->state = GUARD_CHILD_RUNNING;
    c->pid = watch.pid;
    c->generation = guard_glue_generation();
    c->started = apr_time_now();
    c->exited = 0;
    c->watchdog_tid = 0;
    guard_seq_write_end(&c->seq);
    for (t = 0; t < tl; t++) {
        guard_slot_t *s = guard_shm_slot(watch.shm, child, t);

        /* Only ThreadsPerChild threads ever run: the rest of ThreadLimit
         * stays empty, not idle. */
        if (t < threads_per_child()) {
            guard_slot_claim(s, watch.pid, tl == 1 ? watch.pid : 0,
                             guard_glue_generation());
        }
        else {
            guard_slot_release(s);
        }
    }
}

static void *APR_THREAD_FUNC watchdog_main(apr_thread_t *t, void *data)
{
    guard_child_t *c = &watch.shm->children[watch.child];
    pid_t tid = guard_glue_gettid();

    guard_seq_write_begin(&c->seq);
    c->watchdog_tid = tid;
    guard_seq_write_end(&c->seq);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_server, GRD_WD_STARTED
                 ": watchdog of child %d (pid %d) is thread %d", watch.child,
                 (int)watch.pid, (int)tid);
    guard_watch_run(&watch);
    return NULL;
}

static apr_int64_t run_ns(void *baton, int thread, pid_t tid)
{
    return guard_inspect_run_ns(&((guard_runfd_t *)baton)[thread], tid);
}

/* The thread's syscall file read again: blocked at the same call, pc and
 * sp as the look saw it. */
static int still_blocked(void *baton, int thread, pid_t tid,
                         const guard_syscall_line_t *line)
{
    char buf[512];
    guard_syscall_line_t now;

    return guard_sysfd_read(&sysfd, thread, tid, apr_time_now(), buf,
                            sizeof(buf)) > 0
           && guard_proc_parse_syscall(buf, &now) == 0 && !now.running
           && now.nr == line->nr && now.sp == line->sp && now.pc == line->pc;
}

static void close_runfds(void)
{
    int t;

    for (t = 0; runfds && t < watch.shm->thread_limit; t++) {
        guard_inspect_runfd_close(&runfds[t]);
    }
}

static apr_status_t stop_watchdog(void *data)
{
    apr_status_t rv;

    if (thread) {
        guard_watch_stop(&watch);
        apr_thread_join(&rv, thread);
        thread = NULL;
        running = 0;
        guard_sysfd_close_all(&sysfd);
        close_runfds();
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_server, GRD_WD_STOPPED
                     ": watchdog of child %d (pid %d) stopped", watch.child,
                     (int)watch.pid);
    }
    return APR_SUCCESS;
}

/* Each thread's run-time file, none open yet. */
static guard_runfd_t *new_runfds(apr_pool_t *p, int n)
{
    guard_runfd_t *r = apr_palloc(p, n * sizeof(*r));
    int t;

    for (t = 0; t < n; t++) {
        r[t].tid = 0;
        r[t].fd = -1;
    }
    return r;
}

static void setup_watch(apr_pool_t *p, guard_shm_t *shm, server_rec *s)
{
    main_server = s;
    memset(&watch, 0, sizeof(watch));
    watch.shm = shm;
    watch.sched = apr_pcalloc(p, shm->thread_limit
                                 * sizeof(*watch.sched));
    watch.stuck = apr_pcalloc(p, shm->thread_limit
                                 * sizeof(*watch.stuck));
    watch.seen = apr_pcalloc(p, shm->thread_limit
                                * sizeof(*watch.seen));
    runfds = new_runfds(p, shm->thread_limit);
    watch.run_ns = run_ns;
    watch.run_baton = runfds;
    watch.child = -1;
    watch.pid = getpid();
    watch.interval = guard_conf_interval(s);
    watch.sample_after = guard_conf_sample_after(s);
    watch.stuck_threshold = guard_conf_stuck(s);
    watch.ictx.listen_fds = listen_fds;
    watch.ictx.nlisten = collect_listeners();
    watch.ictx.clk_tck = sysconf(_SC_CLK_TCK);
    /* Under -X this process is the server (mod_cgid's daemon is its
     * child); else the parent is. */
    watch.ictx.server_pid = ap_exists_config_define("ONE_PROCESS")
                            ? getpid() : getppid();
    watch.log.fn = log_to_httpd;
    watch.log.baton = s;
    watch.log.debug = APLOG_IS_LEVEL(s, APLOG_DEBUG);
    watch.baton = s;
    watch.thread_released = guard_glue_thread_released;
    watch.lock_rules = guard_conf_lock_rules(s);
    /* A lock wait is dated from the first sample that sees it: sampling
     * from an eighth of the smallest threshold on reports it at most that
     * (plus an interval) after the threshold. */
    watch.lock_sample_after = guard_lock_rules_min(watch.lock_rules) / 8;
    watch.fpm = guard_glue_fpm_shm(s, &watch.fpm_addrs, &watch.nfpm);
    watch.fpm_seen = watch.fpm ? apr_pcalloc(p, sizeof(guard_lockfpm_seen_t))
                               : NULL;
    watch.fpm_cut = guard_glue_fpm_cut(p, s);
    guard_glue_stuck_setup(&watch, p, s);
}

/* The threads' syscall files: prefork's worker has its own already; the
 * threads of worker and event get theirs from the broker. */
static void setup_sysfd(apr_pool_t *p, server_rec *s)
{
    int n = watch.shm->thread_limit, fd;
    pid_t tid;

    guard_sysfd_init(&sysfd, apr_pcalloc(p, n * sizeof(*sysfd.e)), n,
                     guard_glue_broker_ask, s);
    if ((fd = guard_glue_own_sysfd(&tid)) >= 0) {
        guard_sysfd_adopt(&sysfd, 0, tid, fd);
    }
    watch.ictx.sysfd = &sysfd;
}

static void guard_child_init(apr_pool_t *pchild, server_rec *s)
{
    guard_shm_t *shm = guard_glue_shm();
    sigset_t all, old;
    apr_status_t rv;

    if (!shm) {
        return;
    }
    setup_watch(pchild, shm, s);
    if ((watch.child = guard_glue_child_index()) < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_WD_FAILED
                     ": pid %d not found in the scoreboard: no watchdog",
                     (int)watch.pid);
        return;
    }
    watch.ictx.slots = guard_shm_slot(shm, watch.child, 0);
    watch.ictx.nslots = shm->thread_limit;
    watch.ictx.thread_released = guard_glue_thread_released;
    watch.ictx.child = watch.child;
    setup_sysfd(pchild, s);
    guard_glue_stacker_init(&stacker, pchild, s, &watch.log, run_ns, runfds);
    stacker.still = still_blocked;
    watch.stacker = &stacker;
    claim_child(watch.child);
    /* The new thread inherits this mask: it never takes a signal. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rv = apr_thread_create(&thread, NULL, watchdog_main, NULL, pchild);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != APR_SUCCESS) {
        thread = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GRD_WD_FAILED
                     ": cannot start the watchdog thread");
        return;
    }
    running = 1;
    /* A pre-cleanup: the thread's own pool is a subpool of pchild, and
     * subpools are gone before pchild's ordinary cleanups run. */
    apr_pool_pre_cleanup_register(pchild, NULL, stop_watchdog);
}

/* A build without the thread inspection (not Linux, or configured with
 * --disable-proc-inspection) serves its pages, but the operator must know
 * what it cannot do. */
static int watchdog_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    if (guard_inspect_live()
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, GRD_NO_INSPECT
                 ": built without thread inspection (Linux /proc): waits "
                 "show as \"unknown\", GuardBackendTimeout cannot cut and "
                 "GuardLockWatch cannot name lock holders; the status pages, "
                 "stuck flags and crash records work");
    return OK;
}

void guard_watchdog_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(watchdog_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_guard_child.c's (GUARD_HOOK_CHILD_FIRST): it found the
     * child's index. */
    ap_hook_child_init(guard_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
