/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names of signals and si_codes, and the crash report's text, written
 * without malloc, stdio or locale: every function here may be called from
 * a signal handler.
 */
#ifndef GUARD_CRASH_FMT_H
#define GUARD_CRASH_FMT_H

#include <apr.h>
#include "guard_crash.h"

/** "SIGSEGV"; "SIG<n>" is not produced: NULL for a signal without a name. */
const char *guard_signal_name(int signo);

/** "SEGV_MAPERR", "BUS_ADRERR", "FPE_INTDIV", "SI_USER", "SI_TKILL"...;
 *  NULL when unknown. */
const char *guard_si_code_name(int signo, int si_code);

/** A bounded string builder over a caller's buffer; never overflows,
 *  always NUL-terminated. */
typedef struct {
    char *buf;
    apr_size_t size;
    apr_size_t len;
} guard_cbuf_t;

void guard_cbuf_init(guard_cbuf_t *b, char *buf, apr_size_t size);
void guard_cbuf_str(guard_cbuf_t *b, const char *s);
/** At most max bytes of s (s need not be NUL-terminated within max). */
void guard_cbuf_strn(guard_cbuf_t *b, const char *s, apr_size_t max);
void guard_cbuf_dec(guard_cbuf_t *b, apr_int64_t v);
void guard_cbuf_hex(guard_cbuf_t *b, apr_uint64_t v);   /* "0x1f" */
/** UTC "2026-11-22 08:56:01.123" */
void guard_cbuf_time(guard_cbuf_t *b, apr_time_t t);

/** "SIGSEGV (SEGV_MAPERR)", or with the numbers when a name is missing. */
void guard_cbuf_signal(guard_cbuf_t *b, int signo, int si_code);

/**
 * The report's first line, in the error log's layout:
 * [2026-11-22 08:56:01.123 UTC] [guard:crit] [pid 1:tid 1] GRD0500: crash 7:
 * SIGSEGV (SEGV_MAPERR) at 0x0, ip 0x..., child 0 thread 0 generation 0,
 * serving "GET /x" vhost "h" client "c" for 12 ms
 * ending with a newline. Returns the length.
 */
apr_size_t guard_crash_headline(const guard_crash_rec_t *r, char *buf,
                                apr_size_t size);

/** The line before the backtrace / after it, same layout. */
apr_size_t guard_crash_subline(const guard_crash_rec_t *r, const char *what,
                               char *buf, apr_size_t size);

/**
 * Native frame i of the backtrace, same layout, in glibc's
 * backtrace_symbols() form after "#<i> ":
 * "... GRD0500: crash 7: #3 /lib/libc.so.6(strlen+0x1d) [0x7f...]";
 * "module(+0x1d) [...]" (offset from the module's base) when no symbol
 * covers addr; "[0x...]" alone when no module is known (module NULL).
 */
apr_size_t guard_crash_frame_line(const guard_crash_rec_t *r, int i,
                                  apr_uint64_t addr, const char *module,
                                  const char *function, apr_uint64_t offset,
                                  char *buf, apr_size_t size);

/**
 * PHP frame i of r->php, same layout:
 * "... GRD0500: crash 7: php #0 c /srv/x.php:5",
 * "php #0 strlen (internal)" for an internal function.
 */
apr_size_t guard_crash_php_line(const guard_crash_rec_t *r, int i, char *buf,
                                apr_size_t size);

#endif
