/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard_duration_parse (GuardStuckThreshold, GuardBackendTimeout,
 * GuardLockWatch thresholds...) against a reference written here with
 * 128-bit arithmetic, and guard_duration_format back to the same value.
 */
#include <stdlib.h>
#include <string.h>
#include "guard_duration.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* 1 and the duration in *out when s is valid. */
static int reference(const char *s, apr_interval_time_t *out)
{
    static const struct { const char *unit; __int128 usec; } units[] = {
        { "", 1000000 }, { "h", 3600000000LL }, { "m", 60000000 },
        { "s", 1000000 }, { "ms", 1000 },
    };
    __int128 v = 0;
    const char *p = s;
    size_t i;

    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > APR_INT64_MAX) {
            v = (__int128)APR_INT64_MAX + 1;   /* stays too large */
        }
    }
    if (p == s) {
        return 0;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            v *= units[i].usec;
            if (v > APR_INT64_MAX) {
                return 0;
            }
            *out = (apr_interval_time_t)v;
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_cstr(data, size), buf[64];
    apr_interval_time_t got = -12345, want = 0, again = 0;
    const char *err = guard_duration_parse(s, &got);
    int ok = reference(s, &want);

    if ((err == NULL) != ok || (ok && got != want) || (!ok && got != -12345)) {
        fz_fail(s, strlen(s), "duration: got %s %lld, reference %s %lld",
                err ? err : "ok", (long long)got, ok ? "ok" : "error",
                (long long)want);
    }
    FZ_ASSERT(err == NULL || (*err && strlen(err) < 64));
    if (ok) {
        guard_duration_format(got, buf, sizeof(buf));
        if (guard_duration_parse(buf, &again) != NULL || again != got) {
            fz_fail(buf, strlen(buf), "duration %lld formats to a text "
                    "that does not parse back", (long long)got);
        }
    }
    free(s);
    return 0;
}
