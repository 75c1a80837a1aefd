/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copies of shared records made safe to show. Any child can write any
 * byte of the segments, so a copy taken from them holds hostile values:
 * times that overflow when subtracted, counts past their arrays, enum
 * values past their name tables, strings without a terminator. Every
 * copy goes through one of these before anything else reads it: a
 * corrupted segment then gives wrong text at worst.
 */
#ifndef GUARD_SANE_H
#define GUARD_SANE_H

#include <apr.h>
#include <apr_time.h>
#include "guard_crash.h"
#include "guard_shm.h"
#include "guard_stack.h"

/* Times and durations beyond these are clamped: differences of two of
 * them, or one and now, cannot overflow, and are still far beyond any
 * real value (2^53 us: year 2255; 2^42 ms: 139 years). */
#define GUARD_SANE_TIME_MAX  (APR_INT64_C(1) << 53)
#define GUARD_SANE_MS_MAX    (APR_INT64_C(1) << 42)

/** A time in [0, GUARD_SANE_TIME_MAX]. */
apr_time_t guard_sane_time(apr_time_t t);

/** A duration in ms (or a count) in [-1, GUARD_SANE_MS_MAX]. */
apr_int64_t guard_sane_ms(apr_int64_t ms);

/** A slot copy (worker's and watchdog's parts). */
void guard_sane_slot(guard_slot_t *s);

/** guard_slot_read, then guard_sane_slot on the copy: what every reader
 * of a slot uses. @return guard_slot_read's. */
int guard_slot_read_sane(const guard_slot_t *src, guard_slot_t *dst);

/** A child record copy. */
void guard_sane_child(guard_child_t *c);

/** A lock chain copy; waiters counted at most max_waiters. */
void guard_sane_chain(guard_chain_t *c, int max_waiters);

/** A stack record copy: counts within the arrays, names terminated; the
 * native frames too when native (a copy of the PHP part has none). */
void guard_sane_stack(guard_stack_t *st, int native);

/** A crash record copy. */
void guard_sane_crash(guard_crash_rec_t *r);

/** A process record copy. */
void guard_sane_proc(guard_proc_rec_t *p);

#endif
