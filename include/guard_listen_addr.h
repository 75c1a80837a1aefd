/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses of the status listener: the address it listens on and the
 * CIDR list of clients it answers. IPv4 and IPv6, numeric only (no name
 * look-ups at configuration time). Pure: no httpd.
 */
#ifndef GUARD_LISTEN_ADDR_H
#define GUARD_LISTEN_ADDR_H

#include <apr.h>
#include <apr_pools.h>

/** An IP address: 4 bytes (IPv4) or 16 (IPv6), network byte order. */
typedef struct {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
    int port;                   /* a listen address: 1..65535; else 0 */
} guard_ip_t;

/** A network: an address and how many leading bits must match. */
typedef struct {
    guard_ip_t net;
    int bits;                   /* 0..32 or 0..128 */
} guard_cidr_t;

/**
 * Parse a listen address: "127.0.0.1:8099", "[::1]:8099", or a bare port
 * "8099" (meaning 127.0.0.1). Wildcards (0.0.0.0, ::) are refused: the
 * listener binds one named address.
 * @return NULL, or why the value is invalid (for a message that quotes it)
 */
const char *guard_ip_parse_listen(const char *s, guard_ip_t *out);

/**
 * Parse "10.0.0.0/8", "::1", "fd00::/8": an address with an optional
 * prefix length (default: all bits). Bits set beyond the prefix are an
 * error, so "10.1.2.3/8" is refused rather than silently widened.
 * @return NULL, or why the value is invalid
 */
const char *guard_cidr_parse(const char *s, guard_cidr_t *out);

/**
 * 1 when ip is in one of the n networks. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) matches as the IPv4 address a.b.c.d.
 */
int guard_cidr_match(const guard_cidr_t *list, int n, const guard_ip_t *ip);

/** The IP of a struct sockaddr_in or sockaddr_in6 (port included). */
int guard_ip_from_sockaddr(const void *sa, apr_size_t salen, guard_ip_t *out);

/** "127.0.0.1:8099" or "[::1]:8099" (no port part when port is 0). */
const char *guard_ip_format(apr_pool_t *p, const guard_ip_t *ip);

/** The default allow list: 127.0.0.0/8 and ::1. Returns its length. */
int guard_cidr_loopback(guard_cidr_t *out2);

#endif
