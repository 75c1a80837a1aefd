/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers and times as text, without stdio, locale or malloc: every
 * function here is async-signal-safe (the crash handler writes its report
 * with it, the status pages their times).
 */
#ifndef GUARD_FMT_H
#define GUARD_FMT_H

#include <apr.h>
#include <apr_time.h>

/* "-9223372036854775808" or "18446744073709551615", and the NUL. */
#define GUARD_FMT_DEC_LEN 21

/**
 * Write the decimal form of v at p (room for GUARD_FMT_DEC_LEN bytes),
 * NUL-terminated. @return the end: the NUL.
 */
char *guard_fmt_dec(char *p, apr_int64_t v);

/** guard_fmt_dec of an unsigned value. */
char *guard_fmt_udec(char *p, apr_uint64_t v);

/* Room for any guard_fmt_time, a hostile time's fields included. */
#define GUARD_FMT_TIME_LEN 160

/**
 * v in base (2..16, lower-case digits), with leading zeros up to
 * min_digits, into buf of size bytes: as much as fits, NUL-terminated
 * when size > 0. @return the characters written.
 */
apr_size_t guard_fmt_uint(char *buf, apr_size_t size, apr_uint64_t v,
                          unsigned base, int min_digits);

/**
 * t as UTC "2026-11-22 08:56:01.123" into buf of size bytes, cut as
 * guard_fmt_uint is. A time before 1970 keeps its negative fields as
 * unsigned numbers: the record said so, the page shows it.
 * @return the characters written.
 */
apr_size_t guard_fmt_time(char *buf, apr_size_t size, apr_time_t t);

#endif
