/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardLockWatch rules: which lock files are watched, after how long a
 * wait on one is reported, and whether its holder's backend call is cut.
 * Fixed-size, so the watchdog matches paths without malloc.
 */
#ifndef GUARD_LOCK_RULE_H
#define GUARD_LOCK_RULE_H

#include <apr.h>
#include <apr_time.h>

#define GUARD_LOCK_RULES        16
#define GUARD_LOCK_PATTERN_LEN  256
#define GUARD_LOCK_DEFAULT_THRESHOLD apr_time_from_sec(1)
#define GUARD_LOCK_COOKIE_LEN   64

typedef struct {
    char pattern[GUARD_LOCK_PATTERN_LEN];
    apr_interval_time_t threshold;
    int cut_holder;
    int end_holder;               /* SIGTERM to an FPM worker holder */
    /* cookie=: the name of the session cookie whose id names a file of
     * the pattern where its directory cannot be listed; "" PHPSESSID */
    char cookie[GUARD_LOCK_COOKIE_LEN];
} guard_lock_rule_t;

typedef struct {
    int n;
    guard_lock_rule_t rule[GUARD_LOCK_RULES];
} guard_lock_rules_t;

/**
 * Shell-style match of a whole path: '*' is any run of characters but
 * '/', '?' one character but '/', "[abc]", "[a-z]", "[!x]" a set, and a
 * backslash quotes the next character. No malloc, no locale.
 * @return 1 on a match
 */
int guard_glob_match(const char *pattern, const char *path);

/** 0 when pattern is well formed (sets closed, no trailing backslash). */
int guard_glob_check(const char *pattern);

/** The first rule whose pattern matches path, or NULL. */
const guard_lock_rule_t *guard_lock_rule_find(const guard_lock_rules_t *r,
                                              const char *path);

/** The smallest threshold of the rules; 0 when there are none. */
apr_interval_time_t guard_lock_rules_min(const guard_lock_rules_t *r);

#endif
