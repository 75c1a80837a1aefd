/* SPDX-License-Identifier: Apache-2.0 */
/* Durations as operators write them: "250ms", "2s", "1m", "1h" or bare seconds. */
#ifndef GUARD_DURATION_H
#define GUARD_DURATION_H

#include <apr.h>
#include <apr_time.h>

/**
 * Parse a duration into microseconds.
 * Accepted: a non-negative decimal integer followed by "ms", "s", "m", "h" or
 * nothing (seconds). No sign, no spaces, no fractions.
 * @param s    the text
 * @param out  the duration (untouched on error)
 * @return NULL on success, else a static message: "empty", "not a number",
 *         "unknown unit", "too large".
 */
const char *guard_duration_parse(const char *s, apr_interval_time_t *out);

/**
 * Format a duration the way it is written in the config ("250ms", "2s",
 * "1m"): the largest unit that divides it exactly.
 */
char *guard_duration_format(apr_interval_time_t d, char *buf, apr_size_t len);

#endif
