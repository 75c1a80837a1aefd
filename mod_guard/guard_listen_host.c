/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host names of the status listener. Every name is kept in one canonical
 * text (lower case, no trailing dot; inet_ntop's form of an address), so
 * that a check is a string comparison and "[0::1]", "[::1]" and
 * "LOCALHOST." are the names they mean.
 */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include "guard_listen_host.h"

/* Room for a name, its trailing dot and NUL; more than an IPv6 text. */
#define HOST_BUF (GUARD_HOST_MAX_NAME + 2)

static int is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Dot-separated labels of 1..63 label characters, lowered into out. */
static const char *dns_name(const char *s, apr_size_t n, char *out)
{
    apr_size_t i, label = 0;

    if (n == 0 || n > GUARD_HOST_MAX_NAME) {
        return "not a host name: 1 to 253 characters";
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (label == 0) {
                return "not a host name: an empty label";
            }
            label = 0;
        }
        else if (!is_label_char(c)) {
            return "not a host name: letters, digits, '-', '_' and dots "
                   "only";
        }
        else if (++label > 63) {
            return "not a host name: a label longer than 63 characters";
        }
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
    }
    if (label == 0) {
        return "not a host name: an empty label";
    }
    out[n] = '\0';
    return NULL;
}

static int all_digits_and_dots(const char *s)
{
    return s[strspn(s, "0123456789.")] == '\0';
}

/* The canonical text of s[0..n) (no brackets, no port) into out, of
 * HOST_BUF bytes. v6: s must be an IPv6 address (it was in brackets). */
static const char *canonical(const char *s, apr_size_t n, int v6, char *out)
{
    char tmp[HOST_BUF];
    unsigned char bin[16];

    if (n == 0 || n >= sizeof(tmp)) {
        return n ? "not a host name: 1 to 253 characters" : "empty";
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (v6 || strchr(tmp, ':')) {
        if (inet_pton(AF_INET6, tmp, bin) != 1) {
            return "not an IPv6 address";
        }
        inet_ntop(AF_INET6, bin, out, HOST_BUF);
        return NULL;
    }
    if (inet_pton(AF_INET, tmp, bin) == 1) {
        memcpy(out, tmp, n + 1);
        return NULL;
    }
    if (all_digits_and_dots(tmp)) {
        /* "127.1", "010.0.0.1": resolvers read these as addresses. */
        return "not a valid IPv4 address";
    }
    if (tmp[n - 1] == '.') {
        tmp[--n] = '\0';
    }
    return dns_name(tmp, n, out);
}

const char *guard_host_name_check(const char *s)
{
    char out[HOST_BUF];
    const char *colon = strchr(s, ':');

    if (strpbrk(s, "*?")) {
        return "a wildcard is not allowed: name each host";
    }
    if (s[0] == '[') {
        return "an IPv6 address is written without brackets";
    }
    if (colon && !strchr(colon + 1, ':')) {
        return "no port: a name is accepted with any port";
    }
    return canonical(s, strlen(s), 0, out);
}

static int is_loopback(const guard_ip_t *ip)
{
    guard_cidr_t lo[2];
    int n = guard_cidr_loopback(lo);

    return guard_cidr_match(lo, n, ip);
}

guard_host_set_t *guard_host_set_make(apr_pool_t *p, const guard_ip_t *listen)
{
    guard_host_set_t *set = apr_pcalloc(p, sizeof(*set));
    char text[HOST_BUF];

    set->names = apr_array_make(p, 8, sizeof(const char *));
    if (inet_ntop(listen->family, listen->bytes, text, sizeof(text))) {
        APR_ARRAY_PUSH(set->names, const char *) = apr_pstrdup(p, text);
    }
    if (is_loopback(listen)) {
        APR_ARRAY_PUSH(set->names, const char *) = "localhost";
    }
    return set;
}

const char *guard_host_set_add(guard_host_set_t *set, apr_pool_t *p,
                               const char *name)
{
    char out[HOST_BUF];
    const char *err = guard_host_name_check(name);

    if (err || (err = canonical(name, strlen(name), 0, out)) != NULL) {
        return err;
    }
    APR_ARRAY_PUSH(set->names, const char *) = apr_pstrdup(p, out);
    return NULL;
}

/* 1..65535, decimal, no sign, no leading zero. */
static int valid_port(const char *s)
{
    apr_size_t i, n = strspn(s, "0123456789");
    long v = 0;

    if (n < 1 || n > 5 || s[n] != '\0' || s[0] == '0') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535;
}

/* Split value into the host part and the port (NULL: none). */
static int split(const char *value, const char **host, apr_size_t *n,
                 const char **port)
{
    const char *end;

    if (value[0] == '[') {
        if (!(end = strchr(value, ']')) || (end[1] && end[1] != ':')) {
            return 0;
        }
        *host = value + 1;
        *n = (apr_size_t)(end - value - 1);
        *port = end[1] ? end + 2 : NULL;
        return 1;
    }
    end = strchr(value, ':');
    if (end && strchr(end + 1, ':')) {
        return 0;               /* an IPv6 address must be in brackets */
    }
    *host = value;
    *n = end ? (apr_size_t)(end - value) : strlen(value);
    *port = end ? end + 1 : NULL;
    return 1;
}

int guard_host_check(const guard_host_set_t *set, const char *value)
{
    char name[HOST_BUF];
    const char *host, *port;
    apr_size_t n;
    int i;

    if (!split(value, &host, &n, &port) || (port && !valid_port(port))
        || canonical(host, n, value[0] == '[', name) != NULL) {
        return GUARD_HOST_INVALID;
    }
    for (i = 0; i < set->names->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(set->names, i, const char *), name)) {
            return GUARD_HOST_OK;
        }
    }
    return GUARD_HOST_OTHER;
}
