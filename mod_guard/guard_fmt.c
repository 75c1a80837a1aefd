/* SPDX-License-Identifier: Apache-2.0 */
/* Numbers and times as text. Async-signal-safe: no stdio, no locale. */
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

apr_size_t guard_fmt_uint(char *buf, apr_size_t size, apr_uint64_t v,
                          unsigned base, int min_digits)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[GUARD_FMT_DEC_LEN * 4];
    apr_size_t len = 0;
    int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while ((v || n < min_digits) && n < (int)sizeof(tmp));
    while (n > 0 && len + 1 < size) {
        buf[len++] = tmp[--n];
    }
    if (size) {
        buf[len] = '\0';
    }
    return len;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(apr_int64_t z, int *y, int *m, int *d)
{
    apr_int64_t era, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    yoe = z - era * 146097;
    yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
    doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

apr_size_t guard_fmt_time(char *buf, apr_size_t size, apr_time_t t)
{
    apr_int64_t secs = t / APR_USEC_PER_SEC, days = secs / 86400;
    int y, m, d, sod = (int)(secs % 86400);
    apr_uint64_t part[7];
    static const char sep[] = "-- ::.";
    apr_size_t len = 0;
    int i;

    civil(days, &y, &m, &d);
    part[0] = (apr_uint64_t)y;
    part[1] = (apr_uint64_t)m;
    part[2] = (apr_uint64_t)d;
    part[3] = (apr_uint64_t)(sod / 3600);
    part[4] = (apr_uint64_t)(sod / 60 % 60);
    part[5] = (apr_uint64_t)(sod % 60);
    part[6] = (apr_uint64_t)(t % APR_USEC_PER_SEC / 1000);
    for (i = 0; i < 7; i++) {
        if (i > 0 && len + 1 < size) {
            buf[len++] = sep[i - 1];
            buf[len] = '\0';
        }
        len += guard_fmt_uint(buf + len, size - len, part[i], 10,
                              i == 0 ? 4 : i == 6 ? 3 : 2);
    }
    return len;
}
