/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test module with a heap overflow and a signed overflow on request,
 * built with the sanitizers by test_sanitizer.py to check that a report
 * of a child reaches the harness. SetHandler sanbug, then ?heap or ?int.
 * Never load it in a real server.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

module AP_MODULE_DECLARE_DATA sanbug_module;

volatile int sanbug_sink;

/* The size comes from the caller, so only ASan can see the overflow. */
__attribute__((noipa)) int sanbug_heap(size_t size, int n)
{
    char *p = malloc(size);
    int v;

    memset(p, 1, size);
    v = p[n];       /* n == size: one past the end */
    free(p);
    return v;
}

__attribute__((noipa)) int sanbug_int(int a)
{
    return a + 1;   /* a == INT_MAX */
}

static int sanbug_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "sanbug") != 0) {
        return DECLINED;
    }
    if (r->args && strcmp(r->args, "heap") == 0) {
        sanbug_sink = sanbug_heap(8, 8);
    }
    else if (r->args && strcmp(r->args, "int") == 0) {
        sanbug_sink = sanbug_int(INT_MAX);
    }
    ap_set_content_type(r, "text/plain");
    ap_rputs("no bug\n", r);
    return OK;
}

static void sanbug_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(sanbug_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(sanbug) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL,
    sanbug_register_hooks
};
