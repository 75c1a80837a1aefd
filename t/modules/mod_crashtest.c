/*
 * A test module that crashes on request, for mod_guard's crash tests under
 * threaded MPMs (PHP runs under prefork only). SetHandler crashtest, then
 * ?segv, ?fpe, ?abort, ?bus=<scratch file>, ?stack, or ?after (a SIGSEGV
 * once the request is over, when the connection closes: "no request").
 * Never load it in a real server.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA crashtest_module;

static volatile int zero = 0;
static volatile int *volatile null_ptr = NULL;
volatile int crashtest_sink;

/* Exported and never inlined or cloned: the frames have names. */
#define CRASH_FN __attribute__((noipa, used))

CRASH_FN int crashtest_segv(void)
{
    return *null_ptr;
}

CRASH_FN int crashtest_fpe(int a)
{
    return a / zero;
}

CRASH_FN int crashtest_bus(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    volatile char *p;

    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        return -1;
    }
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ftruncate(fd, 0) != 0) {
        return -1;
    }
    return p[0];   /* the page is past the end of the file now */
}

/* Deep recursion through a callback, as an interpreter would. */
CRASH_FN int crashtest_recurse(int (*fn)(int, char *), int n, char *prev)
{
    char frame[512];

    frame[0] = (char)n;
    frame[511] = prev ? prev[0] : 0;
    return fn(n + 1, frame) + frame[(n & 255) + 1];
}

CRASH_FN int crashtest_step(int n, char *frame)
{
    return crashtest_recurse(crashtest_step, n, frame);
}

static apr_status_t crash_later(void *data)
{
    crashtest_sink = crashtest_segv();
    return APR_SUCCESS;
}

static int crashtest_handler(request_rec *r)
{
    const char *a = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "crashtest")) {
        return DECLINED;
    }
    if (!strcmp(a, "segv")) {
        crashtest_sink = crashtest_segv();
    }
    else if (!strcmp(a, "fpe")) {
        crashtest_sink = crashtest_fpe(7);
    }
    else if (!strcmp(a, "abort")) {
        abort();
    }
    else if (!strncmp(a, "bus=", 4)) {
        crashtest_sink = crashtest_bus(a + 4);
    }
    else if (!strcmp(a, "stack")) {
        crashtest_sink = crashtest_step(0, NULL);
    }
    else if (!strcmp(a, "after")) {
        apr_pool_cleanup_register(r->connection->pool, NULL, crash_later,
                                  apr_pool_cleanup_null);
    }
    ap_set_content_type(r, "text/plain");
    ap_rputs("still alive\n", r);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_handler(crashtest_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(crashtest) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks
};
