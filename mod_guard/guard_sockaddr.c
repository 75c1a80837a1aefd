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

void guard_sockaddr_format(const struct sockaddr *sa, socklen_t len,
                           char *out, apr_size_t outlen)
{
    char ip[INET6_ADDRSTRLEN], port[8], *p = out;

    out[0] = '\0';
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const void *)sa;

        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        guard_fmt_dec(port, ntohs(in->sin_port));
        if (strlen(ip) + strlen(port) + 2 <= outlen) {
            p = stpcpy(p, ip);
            *p++ = ':';
            strcpy(p, port);
        }
    }
    else if (sa->sa_family == AF_INET6
             && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const void *)sa;

        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        guard_fmt_dec(port, ntohs(in6->sin6_port));
        if (strlen(ip) + strlen(port) + 4 <= outlen) {
            *p++ = '[';
            p = stpcpy(p, ip);
            p = stpcpy(p, "]:");
            strcpy(p, port);
        }
    }
    else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const void *)sa;
        apr_size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        char path[sizeof(un->sun_path) + 1];

        if (n > sizeof(un->sun_path)) {
            n = sizeof(un->sun_path);
        }
        memcpy(path, un->sun_path, n);
        path[n] = '\0';
        if (n > 0 && path[0] == '\0') {
            path[0] = '@';        /* abstract namespace */
        }
        p = stpcpy(p, "unix:");
        /* Any process may bind any name: kept printable for the logs. */
        guard_copy_sanitized(p, outlen - 5, path, 0);
    }
}
