/* SPDX-License-Identifier: Apache-2.0 */
/* Lines of /proc/net/tcp and tcp6. No malloc, no I/O. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "guard_proc_net.h"
#include "guard_sockaddr.h"

/* "0100007F:1F90" (IPv4) or 32 hex digits ":port" (IPv6), as the kernel
 * prints addresses in /proc/net/tcp: each 32-bit word in host order. */
static int parse_addr(const char *f, apr_size_t n, char *out,
                      apr_size_t outlen)
{
    struct sockaddr_storage ss;
    apr_size_t words = n == 13 ? 1 : n == 37 ? 4 : 0, i;
    apr_uint32_t w[4];
    char hex[9];

    if (!words || f[words * 8] != ':') {
        return -1;
    }
    hex[8] = '\0';
    for (i = 0; i < words; i++) {
        memcpy(hex, f + i * 8, 8);
        w[i] = (apr_uint32_t)strtoul(hex, NULL, 16);
    }
    memset(&ss, 0, sizeof(ss));
    if (words == 1) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, w, 4);
        in->sin_port = htons((apr_uint16_t)strtoul(f + 9, NULL, 16));
    }
    else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, w, 16);
        in6->sin6_port = htons((apr_uint16_t)strtoul(f + 33, NULL, 16));
    }
    guard_sockaddr_format((struct sockaddr *)&ss, sizeof(ss), out, outlen);
    return 0;
}

int guard_proc_net_tcp_line(char *line, apr_uint64_t ino, char *out,
                            apr_size_t outlen)
{
    char *field[10], *p = line;
    int n = 0;

    while (n < 10) {
        while (*p == ' ') {
            p++;
        }
        if (!*p) {
            return -1;
        }
        field[n++] = p;
        while (*p && *p != ' ') {
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    if (strtoull(field[9], NULL, 10) != ino) {
        return -1;
    }
    return parse_addr(field[2], strlen(field[2]), out, outlen);
}
