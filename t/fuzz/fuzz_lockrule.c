/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardLockWatch: the pattern check the directive does (absolute, shorter
 * than GUARD_LOCK_PATTERN_LEN, guard_glob_check), its threshold through
 * guard_duration_parse, and guard_glob_match of any path. Checks: a path
 * with every byte quoted matches itself and nothing longer; "*" matches
 * any one component; on a small alphabet the matcher agrees with
 * fnmatch(FNM_PATHNAME); the rule table finds the first match.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "guard_duration.h"
#include "guard_lock_rule.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* An exact-size copy, so that ASan sees a read past the NUL. */
static char *exact(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void check_quoted(const char *path)
{
    size_t n = strlen(path), i;
    char *pat = malloc(2 * n + 1), *longer = malloc(n + 2), *p = pat;

    for (i = 0; i < n; i++) {
        *p++ = '\\';
        *p++ = path[i];
    }
    *p = '\0';
    memcpy(longer, path, n);
    memcpy(longer + n, "x", 2);
    if (guard_glob_check(pat) != 0 || !guard_glob_match(pat, path)
        || guard_glob_match(pat, longer)) {
        fz_fail(pat, strlen(pat), "a quoted path does not match itself "
                "alone");
    }
    if (!strchr(path, '/') && !guard_glob_match("*", path)) {
        fz_fail(path, n, "\"*\" does not match a path without '/'");
    }
    free(pat);
    free(longer);
}

/* Patterns whose meaning fnmatch shares: nothing but these bytes, no
 * ranges, and no quoted '/' (glibc: "\\/" matches "/", "*\\/" does not). */
static int comparable(const char *pat, const char *path)
{
    size_t i;

    if (strspn(pat, "ab/*?[]!\\") != strlen(pat)
        || strspn(path, "ab/") != strlen(path)) {
        return 0;
    }
    for (i = 0; pat[i]; i++) {
        if (pat[i] == '\\' && pat[i + 1] == '/') {
            return 0;
        }
    }
    return 1;
}

static void check_fnmatch(const char *pat, const char *path)
{
    int ours, theirs;

    if (!comparable(pat, path) || guard_glob_check(pat) != 0) {
        return;
    }
    ours = guard_glob_match(pat, path);
    theirs = fnmatch(pat, path, FNM_PATHNAME) == 0;
    if (ours != theirs) {
        fz_fail(path, strlen(path), "pattern \"%s\": guard_glob_match %d, "
                "fnmatch %d", pat, ours, theirs);
    }
}

/* Rules as the directive would take them; find must give the first. */
static void check_rules(fz_input_t *in, const char *path)
{
    guard_lock_rules_t rules;
    const guard_lock_rule_t *found;
    apr_interval_time_t min = 0;
    int i, first = -1, n = (int)fz_range(in, 0, GUARD_LOCK_RULES);
    char thr[32];

    memset(&rules, 0, sizeof(rules));
    for (i = 0; i < n; i++) {
        guard_lock_rule_t *r = &rules.rule[rules.n];

        fz_str(in, r->pattern, sizeof(r->pattern));
        fz_str(in, thr, sizeof(thr));
        if (r->pattern[0] != '/' || guard_glob_check(r->pattern) != 0
            || guard_duration_parse(thr, &r->threshold) != NULL) {
            continue;
        }
        if (first < 0 && guard_glob_match(r->pattern, path)) {
            first = rules.n;
        }
        if (!min || r->threshold < min) {
            min = r->threshold;
        }
        rules.n++;
    }
    found = guard_lock_rule_find(&rules, path);
    FZ_ASSERT(found == (first < 0 ? NULL : &rules.rule[first]));
    FZ_ASSERT(guard_lock_rules_min(&rules) == min);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    size_t plen, slen;
    const char *p, *s;
    char *pat, *path;

    fz_init(&in, data, size);
    p = fz_field(&in, &plen);
    s = fz_field(&in, &slen);
    pat = exact(p, plen);
    path = exact(s, slen);
    if (guard_glob_check(pat) == 0) {
        guard_glob_match(pat, path);
        check_fnmatch(pat, path);
    }
    check_quoted(path);
    check_rules(&in, path);
    free(pat);
    free(path);
    return 0;
}
