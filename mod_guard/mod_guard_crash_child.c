/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, each child's part: everything the signal handler
 * (mod_guard_crash_signal.c) must not do itself is done here, before it
 * can run: the unwinder loaded, the module ranges read, and read again
 * before a request when a module was loaded or unloaded since.
 */
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"

/* The first backtrace() dlopens libgcc_s with malloc (under glibc's lock)
 * and sets up libgcc's register tables (pthread_once): both here, so that
 * in a handler it takes no lock (glibc 2.36, libgcc 12: then it finds
 * unwind tables with _dl_find_object, which takes none). The other calls
 * bind the handler's lazily bound symbols. */
static void warm_up(void)
{
    void *b[4];
    sigset_t set;

    (void)backtrace(b, 4);
    alarm(0);
    sigprocmask(SIG_BLOCK, NULL, &set);
}

/* Requests of a thread between two looks at the loaded modules. */
#define WHERE_EVERY 16

/* A library dlopen()ed by an earlier request (PHP's dl(), FFI) gets
 * its range before a later request runs: one dl_iterate_phdr() step
 * (its lock, a callback, a trylock of ours: about 250 instructions), so
 * at every WHERE_EVERY-th request of the thread only. One loaded by the
 * crashing request itself is never in the table anyway. Called first
 * thing by the request glue's post_read_request (mod_guard_request.c):
 * a hook of its own would cost its dispatch on every request. */
void guard_crash_child_request(void)
{
    static __thread unsigned int calls
        __attribute__((tls_model("initial-exec")));

    if ((++calls % WHERE_EVERY) == 0 && guard_glue_crash_shm()) {
        guard_crash_signal_where(1);
    }
}

static void crash_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (!guard_glue_crash_shm()) {
        return;
    }
    warm_up();
    guard_glue_thread_setup();   /* prefork's worker is this thread */
    guard_crash_signal_install(s, guard_glue_crash_report_fd());
    apr_pool_cleanup_register(pchild, NULL, guard_crash_signal_restore,
                              apr_pool_cleanup_null);
}

void guard_crash_child_register_hooks(apr_pool_t *p)
{
    /* After mod_guard_child.c's (GUARD_HOOK_CHILD_FIRST): the handler
     * records the child's index found there. */
    ap_hook_child_init(crash_child_init, NULL, NULL, APR_HOOK_LAST);
}
