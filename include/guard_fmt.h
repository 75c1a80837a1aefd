/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decimal numbers as text, without stdio, locale or malloc: every function
 * here is async-signal-safe (the crash handler writes its report with it).
 */
#ifndef GUARD_FMT_H
#define GUARD_FMT_H

#include <apr.h>

/* "-9223372036854775808" or "18446744073709551615", and the NUL. */
#define GUARD_FMT_DEC_LEN 21

/**
 * Write the decimal form of v at p (room for GUARD_FMT_DEC_LEN bytes),
 * NUL-terminated. @return the end: the NUL.
 */
char *guard_fmt_dec(char *p, apr_int64_t v);

/** guard_fmt_dec of an unsigned value. */
char *guard_fmt_udec(char *p, apr_uint64_t v);

#endif
