/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parse of PHP-FPM's status page, `?full&json` (php-src
 * sapi/fpm/fpm/fpm_status.c): the pool's counts and a "processes" array.
 * Strict JSON, bounded depth, unknown keys skipped, strings cut to their
 * fields and control bytes replaced. Pure.
 */
#ifndef GUARD_FPM_JSON_H
#define GUARD_FPM_JSON_H

#include <apr.h>
#include "guard_fpm.h"

/**
 * Parse len bytes of s into c and procs (max of them; procs_total counts
 * all). @return NULL, or why the text was refused (c and procs then hold
 * what was parsed before, not to be used).
 */
const char *guard_fpm_json_parse(const char *s, apr_size_t len,
                                 guard_fpm_counts_t *c,
                                 guard_fpm_proc_t *procs, int max);

#endif
