/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardStuckTimeout's end of a process. Under prefork the process has one
 * request, the stuck one: the watchdog thread, once the record is kept
 * and GRD0900 logged, ends the process with _exit(0). Status 0, not a
 * signal: httpd's parent treats it as any child's exit and makes a new
 * one; never APEXIT_CHILDFATAL (the parent would stop the server).
 * _exit() runs no pool cleanup: a cleanup could wait on the very thing
 * the worker is stuck on. A thread in an uninterruptible wait (D state)
 * holds the exit until the kernel lets it go, as it would hold SIGKILL.
 *
 * Under worker and event a process serves other requests too: it stops
 * gracefully, and ends once they are done. httpd 2.4 gives a module no
 * call for that (the MPM's signal_threads() is static, its main thread
 * wakes on SIGTERM only to look at its own static terminate_mode, and the
 * pod is read by any child of a listener bucket), but both MPMs stop a
 * child gracefully when a listener's accept_func says APR_EGENERAL (a
 * resource shortage: "E[NM]FILE, ENOMEM"). So the stop is asked that way:
 * accept_func of this process's listener records (its own copies since
 * the fork, set by the MPM after child_init) says APR_EGENERAL without
 * accepting, and one connection to a listener, closed at once, makes the
 * listener call it. The MPM then closes its listeners, ends its
 * keep-alive connections, lets the requests in flight finish (mod_http2
 * sees the MPM stopping, sends GOAWAY and finishes the open streams) and
 * waits for its worker threads; the stuck one never comes,
 * so the watchdog ends the process once the others have nothing left to
 * write: as long as they take, as httpd's own graceful stop waits, or at
 * most GracefulShutdownTimeout when that is set. Children of listener
 * buckets other than the first (ListenCoresBucketsRatio) listen on copies
 * this module cannot reach: they keep accepting, and end the same way
 * once nothing else runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "httpd.h"
#include "http_log.h"
#include "ap_listen.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "scoreboard.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"
#include "mod_guard_stuck.h"

APLOG_USE_MODULE(guard);

static apr_uint32_t draining;
static apr_time_t drain_end;      /* GracefulShutdownTimeout's end; 0 */
static apr_time_t quiet_since;    /* nothing left to write since */
static server_rec *main_server;

static void exit_prefork(void *baton, int thread)
{
    _exit(0);
}

/* The MPM's "resource shortage": it stops this child gracefully. The
 * connection stays queued for another child. */
static apr_status_t refuse_accept(void **csd, ap_listen_rec *lr,
                                  apr_pool_t *ptrans)
{
    *csd = NULL;
    return APR_EGENERAL;
}

/* Make the listener look at its sockets: one connection, closed at once
 * (another child may take it and read its end). */
static void poke_listener(void)
{
    ap_listen_rec *lr = ap_listeners;
    struct sockaddr_storage sa;
    socklen_t len;
    int fd;

    if (!lr || !lr->bind_addr || lr->bind_addr->salen > sizeof(sa)) {
        return;
    }
    len = lr->bind_addr->salen;
    memcpy(&sa, &lr->bind_addr->sa, len);
    if (sa.ss_family == AF_INET
        && ((struct sockaddr_in *)&sa)->sin_addr.s_addr == htonl(INADDR_ANY)) {
        ((struct sockaddr_in *)&sa)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    else if (sa.ss_family == AF_INET6
             && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&sa)
                                        ->sin6_addr)) {
        ((struct sockaddr_in6 *)&sa)->sin6_addr = in6addr_loopback;
    }
    fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        (void)connect(fd, (struct sockaddr *)&sa, len);
        close(fd);
    }
}

static void drain_threaded(void *baton, int thread)
{
    ap_listen_rec *lr;

    if (__atomic_exchange_n(&draining, 1, __ATOMIC_ACQ_REL)) {
        return;
    }
    drain_end = ap_graceful_shutdown_timeout > 0
                ? apr_time_now()
                  + apr_time_from_sec(ap_graceful_shutdown_timeout) : 0;
    for (lr = ap_listeners; lr; lr = lr->next) {
        __atomic_store_n(&lr->accept_func, refuse_accept, __ATOMIC_RELEASE);
    }
    poke_listener();
}

/* Responses of this process still being written by the listener (event's
 * write completion): as the MPM last counted them. */
static int writing(const guard_watch_t *w)
{
    process_score *ps = ap_get_scoreboard_process(w->child);

    return ps && ps->write_completion > 0;
}

static apr_time_t drain_check(guard_watch_t *w, apr_time_t now)
{
    int busy;

    if (!__atomic_load_n(&draining, __ATOMIC_ACQUIRE)) {
        return 0;
    }
    busy = guard_watch_others_busy(w) + writing(w);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, main_server, GRD_STUCK_DRAIN
                 ": GuardStuckTimeout: pid %d stops: %d other requests in "
                 "flight, %d responses being written", (int)w->pid,
                 guard_watch_others_busy(w), writing(w));
    if (busy) {
        quiet_since = 0;
    }
    else if (!quiet_since) {
        quiet_since = now;        /* one more look: the MPM counts late */
    }
    if ((!drain_end || now < drain_end)
        && (busy || now - quiet_since < w->interval * 3)) {
        return now + w->interval;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, main_server, GRD_STUCK_DRAIN
                 ": GuardStuckTimeout: ending pid %d, %s", (int)w->pid,
                 busy ? "GracefulShutdownTimeout is over while other "
                 "requests still run" : "its other requests are done");
    _exit(0);
}

void guard_glue_stuck_setup(guard_watch_t *w, apr_pool_t *p, server_rec *s)
{
    int threaded = 0;

    main_server = s;
    w->crash = guard_glue_crash_shm();
    w->where = guard_crash_signal_where_table;
    w->generation = guard_glue_generation();
    w->ends = apr_pcalloc(p, w->shm->thread_limit * sizeof(*w->ends));
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS) {
        return;
    }
    if (threaded == AP_MPMQ_NOT_SUPPORTED) {
        w->end_process = exit_prefork;
        w->end_how = "ending the process";
        return;
    }
    w->end_process = drain_threaded;
    w->drain = drain_check;
    w->end_how = "stopping the process gracefully (its other requests "
                 "finish, then it ends)";
}
