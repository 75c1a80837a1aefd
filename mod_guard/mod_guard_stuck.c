/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardStuckTimeout's end of a process. Under prefork the process has one
 * request, the stuck one: the watchdog thread, once the record is kept
 * and GRD0900 logged, ends the process with _exit(0). Status 0, not a
 * signal: httpd's parent treats it as any child's exit and makes a new
 * one; never APEXIT_CHILDFATAL (the parent would stop the server) nor
 * APEXIT_CHILDSICK (it would slow spawning). _exit() runs no pool
 * cleanup: a cleanup could wait on the very thing the worker is stuck on.
 * A thread in an uninterruptible wait (D state) holds the exit until the
 * kernel lets it go, as it would hold SIGKILL.
 *
 * Under worker and event a process serves other requests too, and httpd
 * 2.4 gives a module no way to make its own child stop gracefully (the
 * MPM's signal_threads() is static; the pod is shared by every child of
 * a listener bucket): there the request is reported, not ended.
 */
#include <unistd.h>
#include "httpd.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"
#include "mod_guard_stuck.h"

APLOG_USE_MODULE(guard);

static void exit_prefork(void *baton, int thread)
{
    _exit(0);
}

void guard_glue_stuck_setup(guard_watch_t *w, apr_pool_t *p, server_rec *s)
{
    int threaded = 0;

    w->crash = guard_glue_crash_shm();
    w->where = guard_crash_signal_where_table;
    w->generation = guard_glue_generation();
    w->ends = apr_pcalloc(p, w->shm->thread_limit * sizeof(*w->ends));
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) == APR_SUCCESS
        && threaded == AP_MPMQ_NOT_SUPPORTED) {
        w->end_process = exit_prefork;
        w->end_how = "ending the process";
    }
}
