/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test module for GuardStuckTimeout under threaded MPMs (PHP runs under
 * prefork only). SetHandler stucktest, then ?futex: the worker thread
 * waits on a futex nobody wakes (a deadlock in C code, which nothing can
 * cut); ?stream=<n>: n lines, one every 500 ms, each flushed, then the
 * end (a slow response of the same child that must complete).
 * Never load it in a real server.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA stucktest_module;

static int never_woken;

/* Exported and never inlined: the frame has a name. */
__attribute__((noipa, used)) void stucktest_futex(void)
{
    for (;;) {
        syscall(SYS_futex, &never_woken, FUTEX_WAIT_PRIVATE, 0, NULL,
                NULL, 0);
    }
}

static int stream(request_rec *r, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        ap_rprintf(r, "line %d of %d\n", i + 1, n);
        if (ap_rflush(r) < 0) {
            return OK;
        }
        usleep(500 * 1000);
    }
    ap_rputs("end\n", r);
    return OK;
}

static int stucktest_handler(request_rec *r)
{
    const char *q = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "stucktest")) {
        return DECLINED;
    }
    ap_set_content_type(r, "text/plain");
    if (!strcmp(q, "futex")) {
        stucktest_futex();
    }
    if (!strncmp(q, "stream=", 7)) {
        return stream(r, atoi(q + 7));
    }
    ap_rputs("stucktest: ?futex or ?stream=<n>\n", r);
    return OK;
}

static void stucktest_hooks(apr_pool_t *p)
{
    ap_hook_handler(stucktest_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA stucktest_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, stucktest_hooks
};
