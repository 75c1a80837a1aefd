/* SPDX-License-Identifier: Apache-2.0 */
/* Durations as operators write them: "250ms", "2s", "1m", "1h". */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "guard_duration.h"

typedef struct {
    const char *unit;
    apr_interval_time_t usec;
} guard_unit_t;

/* Largest first: guard_duration_format() takes the first exact divisor. */
static const guard_unit_t units[] = {
    { "h",  APR_INT64_C(3600000000) },
    { "m",  APR_INT64_C(60000000) },
    { "s",  APR_INT64_C(1000000) },
    { "ms", APR_INT64_C(1000) },
    { "us", APR_INT64_C(1) },
};

#define UNIT_COUNT (sizeof(units) / sizeof(units[0]))

/* "us" is only an output unit: the directives take ms at the finest. */
static const guard_unit_t *unit_lookup(const char *s)
{
    apr_size_t i;

    if (*s == '\0') {
        return &units[2];
    }
    for (i = 0; i < UNIT_COUNT - 1; i++) {
        if (strcmp(s, units[i].unit) == 0) {
            return &units[i];
        }
    }
    return NULL;
}

static int all_alpha(const char *s)
{
    for (; *s; s++) {
        if (!apr_isalpha(*s)) {
            return 0;
        }
    }
    return 1;
}

const char *guard_duration_parse(const char *s, apr_interval_time_t *out)
{
    const guard_unit_t *u;
    apr_int64_t v = 0;
    int overflow = 0;

    if (s == NULL || *s == '\0') {
        return "empty";
    }
    if (!apr_isdigit(*s)) {
        return "not a number";
    }
    for (; apr_isdigit(*s); s++) {
        int d = *s - '0';

        if (v > (APR_INT64_MAX - d) / 10) {
            overflow = 1;
        }
        else {
            v = v * 10 + d;
        }
    }
    /* "1.5s", "1 s", "0x10" are malformed numbers; "10x" is a bad unit. */
    if (!all_alpha(s)) {
        return "not a number";
    }
    if ((u = unit_lookup(s)) == NULL) {
        return "unknown unit";
    }
    if (overflow || v > APR_INT64_MAX / u->usec) {
        return "too large";
    }
    *out = v * u->usec;
    return NULL;
}

char *guard_duration_format(apr_interval_time_t d, char *buf, apr_size_t len)
{
    apr_size_t i;

    if (d == 0) {
        apr_snprintf(buf, len, "0s");
        return buf;
    }
    for (i = 0; i < UNIT_COUNT - 1; i++) {
        if (d % units[i].usec == 0) {
            break;
        }
    }
    apr_snprintf(buf, len, "%" APR_INT64_T_FMT "%s", d / units[i].usec,
                 units[i].unit);
    return buf;
}
