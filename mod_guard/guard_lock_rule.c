/* SPDX-License-Identifier: Apache-2.0 */
/* GuardLockWatch patterns: a small glob matcher of our own, since
 * fnmatch() may allocate in multibyte locales and the watchdog must not. */
#include <string.h>
#include "guard_lock_rule.h"

/* A "[...]" set at p (after '['): sets *matched, returns the end (after
 * ']'), or NULL when the set is not closed. */
static const char *match_set(const char *p, char c, int *matched)
{
    int negate = 0, first = 1;

    *matched = 0;
    if (*p == '!' || *p == '^') {
        negate = 1;
        p++;
    }
    while (*p && (*p != ']' || first)) {
        char lo = *p, hi = lo;

        if (lo == '\\' && p[1]) {
            lo = hi = *++p;
        }
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = p[2] == '\\' && p[3] ? p[3] : p[2];
            p += p[2] == '\\' && p[3] ? 3 : 2;
        }
        if (c >= lo && c <= hi) {
            *matched = 1;
        }
        first = 0;
        p++;
    }
    if (*p != ']') {
        return NULL;
    }
    *matched ^= negate;
    return p + 1;
}

int guard_glob_match(const char *pat, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;

    while (*s) {
        int ok = 0;
        const char *next = pat + 1;

        if (*pat == '*') {
            star_p = ++pat;
            star_s = s;
            continue;
        }
        if (*pat == '?') {
            ok = *s != '/';
        }
        else if (*pat == '[') {
            next = match_set(pat + 1, *s, &ok);
            ok = next && ok && *s != '/';
        }
        else if (*pat == '\\' && pat[1]) {
            ok = pat[1] == *s;
            next = pat + 2;
        }
        else {
            ok = *pat && *pat == *s;
        }
        if (ok) {
            pat = next;
            s++;
            continue;
        }
        /* Backtrack: the last '*' takes one more character, never '/'. */
        if (!star_p || *star_s == '/') {
            return 0;
        }
        pat = star_p;
        s = ++star_s;
    }
    while (*pat == '*') {
        pat++;
    }
    return *pat == '\0';
}

int guard_glob_check(const char *p)
{
    int dummy;

    for (; *p; p++) {
        if (*p == '\\') {
            if (!p[1]) {
                return -1;
            }
            p++;
        }
        else if (*p == '[') {
            const char *end = match_set(p + 1, 'a', &dummy);

            if (!end) {
                return -1;
            }
            p = end - 1;
        }
    }
    return 0;
}

const guard_lock_rule_t *guard_lock_rule_find(const guard_lock_rules_t *r,
                                              const char *path)
{
    int i;

    for (i = 0; r && i < r->n; i++) {
        if (guard_glob_match(r->rule[i].pattern, path)) {
            return &r->rule[i];
        }
    }
    return NULL;
}

apr_interval_time_t guard_lock_rules_min(const guard_lock_rules_t *r)
{
    apr_interval_time_t min = 0;
    int i;

    for (i = 0; r && i < r->n; i++) {
        if (!min || r->rule[i].threshold < min) {
            min = r->rule[i].threshold;
        }
    }
    return min;
}
