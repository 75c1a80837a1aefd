/* SPDX-License-Identifier: Apache-2.0 */
/* Decimal numbers as text. Async-signal-safe: no stdio, no locale. */
#include "guard_fmt.h"

char *guard_fmt_udec(char *p, apr_uint64_t v)
{
    char tmp[GUARD_FMT_DEC_LEN];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        *p++ = tmp[--n];
    }
    *p = '\0';
    return p;
}

char *guard_fmt_dec(char *p, apr_int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return guard_fmt_udec(p, (apr_uint64_t)0 - (apr_uint64_t)v);
    }
    return guard_fmt_udec(p, (apr_uint64_t)v);
}
