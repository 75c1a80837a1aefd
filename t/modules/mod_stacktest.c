/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test module for mod_guard's live stacks under threaded MPMs (PHP runs
 * under prefork only): SetHandler stacktest, then ?port=<n> connects to a
 * backend on 127.0.0.1:<n> and blocks in read() until it answers or closes
 * (two minutes at most), three named frames deep:
 *   stacktest_handler -> stacktest_fetch -> stacktest_wait_backend -> read
 * Built with -g -fno-optimize-sibling-calls, with and without frame
 * pointers (test_stacks.py): no frame is inlined, cloned or left by a
 * tail call.
 * Never load it in a real server.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA stacktest_module;

/* Exported and never inlined or cloned: the frames have names. */
#define STACK_FN __attribute__((noinline, noipa, used))

/* Bytes read from the socket, or -1. */
STACK_FN long stacktest_wait_backend(int s, char *buf, apr_size_t len)
{
    long n = (long)read(s, buf, len);

    /* After the call: the read is not a tail call. */
    return n < 0 ? -1 : n;
}

/* Bytes the backend on 127.0.0.1:port sent before it closed, or -1. */
STACK_FN long stacktest_fetch(int port)
{
    struct sockaddr_in sa;
    struct timeval tv = { 120, 0 };
    char buf[256];
    long got = -1;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (s < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0
        && write(s, "GET / HTTP/1.0\r\n\r\n", 18) == 18) {
        got = stacktest_wait_backend(s, buf, sizeof(buf));
    }
    close(s);
    return got;
}

STACK_FN int stacktest_handler(request_rec *r)
{
    const char *a = r->args ? r->args : "";
    long got;

    if (!r->handler || strcmp(r->handler, "stacktest")) {
        return DECLINED;
    }
    if (strncmp(a, "port=", 5) || atoi(a + 5) <= 0) {
        return HTTP_BAD_REQUEST;
    }
    got = stacktest_fetch(atoi(a + 5));
    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "stacktest: read %ld bytes\n", got);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_handler(stacktest_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(stacktest) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks
};
