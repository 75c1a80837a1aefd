/* SPDX-License-Identifier: Apache-2.0 */
/* The text of a socket address, as pages and logs show a peer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include "guard_fmt.h"
#include "guard_reqcopy.h"
#include "guard_sockaddr.h"

/* "1.2.3.4:80" or "[::1]:80", when it fits in outlen. */
static void format_ip(int family, const void *addr, apr_uint16_t nport,
                      char *out, apr_size_t outlen)
{
    char ip[INET6_ADDRSTRLEN], port[GUARD_FMT_DEC_LEN], *p = out;
    int v6 = family == AF_INET6;

    inet_ntop(family, addr, ip, sizeof(ip));
    guard_fmt_dec(port, ntohs(nport));
    if (strlen(ip) + strlen(port) + (v6 ? 4 : 2) <= outlen) {
        if (v6) {
            *p++ = '[';
        }
        p = stpcpy(p, ip);
        p = stpcpy(p, v6 ? "]:" : ":");
        strcpy(p, port);
    }
}

static void format_un(const struct sockaddr_un *un, socklen_t len,
                      char *out, apr_size_t outlen)
{
    apr_size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    char path[sizeof(un->sun_path) + 1], *p;

    if (n > sizeof(un->sun_path)) {
        n = sizeof(un->sun_path);
    }
    memcpy(path, un->sun_path, n);
    path[n] = '\0';
    if (n > 0 && path[0] == '\0') {
        path[0] = '@';            /* abstract namespace */
    }
    p = stpcpy(out, "unix:");
    /* Any process may bind any name: kept printable for the logs. */
    guard_copy_sanitized(p, outlen - 5, path, 0);
}

void guard_sockaddr_format(const struct sockaddr *sa, socklen_t len,
                           char *out, apr_size_t outlen)
{
    out[0] = '\0';
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const void *)sa;

        format_ip(AF_INET, &in->sin_addr, in->sin_port, out, outlen);
    }
    else if (sa->sa_family == AF_INET6
             && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const void *)sa;

        format_ip(AF_INET6, &in6->sin6_addr, in6->sin6_port, out, outlen);
    }
    else if (sa->sa_family == AF_UNIX) {
        format_un((const void *)sa, len, out, outlen);
    }
}
