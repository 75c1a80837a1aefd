/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Host check of the status listener: the names it answers for, and
 * whether a request's Host field names one of them. It defends against
 * DNS rebinding: a page of evil.example whose name is made to resolve to
 * the listener's address is same-origin for the browser, but the browser
 * still sends "Host: evil.example", which names nothing of ours. Pure: no
 * httpd.
 */
#ifndef GUARD_LISTEN_HOST_H
#define GUARD_LISTEN_HOST_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "guard_listen_addr.h"

/* Longest name, trailing dot excluded (RFC 1035). */
#define GUARD_HOST_MAX_NAME  253

/* guard_host_check's answers. */
#define GUARD_HOST_OK        0
#define GUARD_HOST_INVALID   400  /* not a host[:port] at all */
#define GUARD_HOST_OTHER     421  /* well-formed, not one of ours */

/** The names a listener answers for. */
typedef struct {
    apr_array_header_t *names;  /* const char *: lower case, canonical IP
                                 * text, no trailing dot, no port */
} guard_host_set_t;

/**
 * Check a name given to GuardStatusHost: a DNS name (letters, digits,
 * '-', '_', dot-separated labels of 1 to 63, at most 253 in all, one
 * trailing dot allowed) or a numeric IPv4 or IPv6 address, without port,
 * brackets or wildcard.
 * @return NULL, or why the value is invalid (for a message that quotes it)
 */
const char *guard_host_name_check(const char *s);

/**
 * A set that answers for the listen address (its numeric form, any port)
 * and, when that address is loopback (127.0.0.0/8, ::1), for localhost.
 */
guard_host_set_t *guard_host_set_make(apr_pool_t *p, const guard_ip_t *listen);

/**
 * Add a name to set: a value that guard_host_name_check accepts.
 * @return NULL, or why the name is invalid (then it is not added)
 */
const char *guard_host_set_add(guard_host_set_t *set, apr_pool_t *p,
                               const char *name);

/**
 * Check the value of a request's Host field (RFC 9110 7.2: uri-host
 * [":" port], as the parser keeps it, without surrounding spaces).
 * Names compare without case and without a trailing dot, IP addresses
 * by value ("[0::1]" is "[::1]"); the port, when present, must be a
 * number from 1 to 65535 but is not compared: a tunnel or a forwarded
 * port changes it, and a rebinding attacker controls only the name.
 * @return GUARD_HOST_OK, GUARD_HOST_INVALID or GUARD_HOST_OTHER
 */
int guard_host_check(const guard_host_set_t *set, const char *value);

#endif
