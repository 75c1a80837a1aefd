/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardStatusListen and GuardStatusAllow values: guard_ip_parse_listen
 * and guard_cidr_parse. A value that parses must format (guard_ip_format)
 * to a text that parses to the same address; a network must match its
 * own address, and guard_cidr_match must agree with a bitwise reference.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "guard_listen_addr.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

static apr_pool_t *pool;

static int same_ip(const guard_ip_t *a, const guard_ip_t *b)
{
    return a->family == b->family && a->port == b->port
           && !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

static void check_listen(const char *s)
{
    guard_ip_t ip, again;
    const char *text;

    if (guard_ip_parse_listen(s, &ip) != NULL) {
        return;
    }
    FZ_ASSERT(ip.port >= 1 && ip.port <= 65535);
    FZ_ASSERT(ip.family == AF_INET || ip.family == AF_INET6);
    text = guard_ip_format(pool, &ip);
    if (guard_ip_parse_listen(text, &again) != NULL || !same_ip(&ip, &again)) {
        fz_fail(text, strlen(text), "listen address \"%s\" does not format "
                "back", s);
    }
}

/* Bit i of an address, most significant first. */
static int bit(const unsigned char *b, int i)
{
    return (b[i / 8] >> (7 - i % 8)) & 1;
}

static int reference_match(const guard_cidr_t *net, const guard_ip_t *ip)
{
    guard_ip_t v4;
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };
    int i;

    if (ip->family == AF_INET6 && !memcmp(ip->bytes, mapped, 12)) {
        memset(&v4, 0, sizeof(v4));
        v4.family = AF_INET;
        memcpy(v4.bytes, ip->bytes + 12, 4);
        ip = &v4;
    }
    if (net->net.family != ip->family) {
        return 0;
    }
    for (i = 0; i < net->bits; i++) {
        if (bit(net->net.bytes, i) != bit(ip->bytes, i)) {
            return 0;
        }
    }
    return 1;
}

static void check_cidr(const char *s, fz_input_t *in)
{
    guard_cidr_t net, again;
    guard_ip_t ip;
    const char *text;
    int i, max;

    if (guard_cidr_parse(s, &net) != NULL) {
        return;
    }
    max = net.net.family == AF_INET ? 32 : 128;
    FZ_ASSERT(net.bits >= 0 && net.bits <= max);
    FZ_ASSERT(guard_cidr_match(&net, 1, &net.net));
    text = apr_psprintf(pool, "%s/%d", guard_ip_format(pool, &net.net),
                        net.bits);
    if (guard_cidr_parse(text, &again) != NULL || again.bits != net.bits
        || !same_ip(&again.net, &net.net)) {
        fz_fail(text, strlen(text), "network \"%s\" does not format back", s);
    }
    memset(&ip, 0, sizeof(ip));
    ip.family = fz_bool(in) ? AF_INET6 : AF_INET;
    for (i = 0; i < 16; i++) {
        ip.bytes[i] = fz_bool(in) ? net.net.bytes[i] : fz_u8(in);
    }
    if (guard_cidr_match(&net, 1, &ip) != reference_match(&net, &ip)) {
        fz_fail(s, strlen(s), "guard_cidr_match disagrees with the "
                "reference");
    }
}

static void check_sockaddr(fz_input_t *in)
{
    unsigned char raw[sizeof(struct sockaddr_in6)];
    size_t len = (size_t)fz_range(in, sizeof(sa_family_t), sizeof(raw)), i;
    unsigned char *sa = malloc(len);
    guard_ip_t ip;
    sa_family_t fam = fz_bool(in) ? AF_INET : AF_INET6;

    for (i = 0; i < sizeof(raw); i++) {
        raw[i] = fz_u8(in);
    }
    memcpy(raw, &fam, sizeof(fam));
    memcpy(sa, raw, len);
    if (guard_ip_from_sockaddr(sa, len, &ip)) {
        FZ_ASSERT(ip.family == fam && ip.port >= 0 && ip.port <= 65535);
    }
    free(sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    char value[256];

    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    fz_init(&in, data, size);
    fz_str(&in, value, sizeof(value));
    check_listen(value);
    check_cidr(value, &in);
    check_sockaddr(&in);
    apr_pool_clear(pool);
    return 0;
}
