/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listen address and CIDR lists of the status listener. inet_pton does the
 * address syntax (it takes no leading zeros' octal, no short forms like
 * "127.1"); everything around it is checked here, strictly.
 */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include "guard_listen_addr.h"

static const unsigned char v4mapped[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* A decimal number of at most 5 digits within [lo, hi], nothing else, no
 * leading zero. */
static int parse_uint(const char *s, int lo, int hi, int *out)
{
    int v = 0, n = 0;

    if (s[0] == '0' && s[1]) {
        return 0;
    }

    for (; *s; s++, n++) {
        if (*s < '0' || *s > '9' || n >= 5) {
            return 0;
        }
        v = v * 10 + (*s - '0');
    }
    if (n == 0 || v < lo || v > hi) {
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_ip(const char *s, guard_ip_t *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, out->bytes) == 1) {
        out->family = AF_INET;
        return 1;
    }
    if (inet_pton(AF_INET6, s, out->bytes) == 1) {
        out->family = AF_INET6;
        return 1;
    }
    return 0;
}

static int is_wildcard(const guard_ip_t *ip)
{
    static const unsigned char zero[16];

    return !memcmp(ip->bytes, zero, ip->family == AF_INET ? 4 : 16);
}

/* Split "host:port" or "[v6]:port" into a copy of host and the port. */
static const char *split_host_port(const char *s, char *host, apr_size_t hsz,
                                   const char **port)
{
    const char *colon;
    apr_size_t n;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (!close || close[1] != ':') {
            return "expected [IPv6 address]:port";
        }
        n = (apr_size_t)(close - s - 1);
        s++;
        colon = close + 1;
    }
    else {
        colon = strrchr(s, ':');
        if (!colon) {
            return "expected address:port";
        }
        if (memchr(s, ':', (apr_size_t)(colon - s))) {
            return "an IPv6 address goes in brackets: [::1]:port";
        }
        n = (apr_size_t)(colon - s);
    }
    if (n == 0 || n >= hsz) {
        return "expected address:port";
    }
    memcpy(host, s, n);
    host[n] = '\0';
    *port = colon + 1;
    return NULL;
}

const char *guard_ip_parse_listen(const char *s, guard_ip_t *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port, *err;

    if (!*s) {
        return "empty";
    }
    if (parse_uint(s, 0, 99999, &out->port)) {
        memset(out, 0, sizeof(*out));
        parse_ip("127.0.0.1", out);
        port = s;
    }
    else {
        if ((err = split_host_port(s, host, sizeof(host), &port)) != NULL) {
            return err;
        }
        if (!parse_ip(host, out)) {
            return "not a numeric IPv4 or IPv6 address";
        }
        if ((s[0] == '[') != (out->family == AF_INET6)) {
            return s[0] == '[' ? "only an IPv6 address goes in brackets"
                               : "an IPv6 address goes in brackets: "
                                 "[::1]:port";
        }
        if (is_wildcard(out)) {
            return "a wildcard address is not allowed: name the address "
                   "to listen on";
        }
    }
    if (!parse_uint(port, 1, 65535, &out->port)) {
        return "the port must be a number from 1 to 65535";
    }
    return NULL;
}

/* 1 when no bit beyond the first `bits` is set. */
static int host_bits_clear(const unsigned char *b, int len, int bits)
{
    int i;

    for (i = 0; i < len; i++) {
        int keep = bits >= 8 ? 8 : (bits > 0 ? bits : 0);
        unsigned char mask = (unsigned char)(0xff >> keep);

        if (b[i] & mask) {
            return 0;
        }
        bits -= 8;
    }
    return 1;
}

const char *guard_cidr_parse(const char *s, guard_cidr_t *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    apr_size_t n = slash ? (apr_size_t)(slash - s) : strlen(s);
    int max;

    if (n == 0) {
        return "empty address";
    }
    if (n >= sizeof(host)) {
        return "not a numeric IPv4 or IPv6 address";
    }
    memcpy(host, s, n);
    host[n] = '\0';
    if (!parse_ip(host, &out->net)) {
        return "not a numeric IPv4 or IPv6 address";
    }
    max = out->net.family == AF_INET ? 32 : 128;
    out->bits = max;
    if (slash && !parse_uint(slash + 1, 0, max, &out->bits)) {
        return out->net.family == AF_INET
               ? "the prefix length must be a number from 0 to 32"
               : "the prefix length must be a number from 0 to 128";
    }
    if (!host_bits_clear(out->net.bytes, max / 8, out->bits)) {
        return "address bits are set beyond the prefix length";
    }
    return NULL;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b,
                        int bits)
{
    int whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, (apr_size_t)whole)) {
        return 0;
    }
    if (rest) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));

        return (a[whole] & mask) == (b[whole] & mask);
    }
    return 1;
}

int guard_cidr_match(const guard_cidr_t *list, int n, const guard_ip_t *ip)
{
    guard_ip_t v4;
    int i;

    if (ip->family == AF_INET6 && !memcmp(ip->bytes, v4mapped, 12)) {
        memset(&v4, 0, sizeof(v4));
        v4.family = AF_INET;
        memcpy(v4.bytes, ip->bytes + 12, 4);
        ip = &v4;
    }
    for (i = 0; i < n; i++) {
        if (list[i].net.family == ip->family
            && prefix_equal(list[i].net.bytes, ip->bytes, list[i].bits)) {
            return 1;
        }
    }
    return 0;
}

int guard_ip_from_sockaddr(const void *sa, apr_size_t salen, guard_ip_t *out)
{
    const struct sockaddr *a = sa;

    memset(out, 0, sizeof(*out));
    if (a->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = sa;

        out->family = AF_INET;
        memcpy(out->bytes, &in->sin_addr, 4);
        out->port = ntohs(in->sin_port);
        return 1;
    }
    if (a->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = sa;

        out->family = AF_INET6;
        memcpy(out->bytes, &in6->sin6_addr, 16);
        out->port = ntohs(in6->sin6_port);
        return 1;
    }
    return 0;
}

const char *guard_ip_format(apr_pool_t *p, const guard_ip_t *ip)
{
    char host[INET6_ADDRSTRLEN];

    if (!inet_ntop(ip->family, ip->bytes, host, sizeof(host))) {
        return "?";
    }
    if (!ip->port) {
        return apr_pstrdup(p, host);
    }
    return ip->family == AF_INET6
           ? apr_psprintf(p, "[%s]:%d", host, ip->port)
           : apr_psprintf(p, "%s:%d", host, ip->port);
}

int guard_cidr_loopback(guard_cidr_t *out2)
{
    guard_cidr_parse("127.0.0.0/8", &out2[0]);
    guard_cidr_parse("::1", &out2[1]);
    return 2;
}
