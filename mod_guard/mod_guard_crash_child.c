/*
 * Crash capture, each child's part: everything the signal handler
 * (mod_guard_crash_signal.c) must not do itself is done here, once,
 * before it can run.
 */
#include <execinfo.h>
#include <fcntl.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"

/* The first backtrace() dlopens libgcc_s with malloc; the first
 * backtrace_symbols_fd() binds its symbols: both here, not in a handler. */
static void warm_up(void)
{
    void *b[4];
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int n = backtrace(b, 4);

    if (fd >= 0) {
        backtrace_symbols_fd(b, n, fd);
        close(fd);
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
