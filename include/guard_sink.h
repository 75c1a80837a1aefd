/* SPDX-License-Identifier: Apache-2.0 */
/* Where renderers write, and the escaping of each output format. */
#ifndef GUARD_SINK_H
#define GUARD_SINK_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

/**
 * A sink. Appends land in buf; when it is full, 'grow' makes room (a sink
 * that collects in memory) or 'write' takes what buf holds in one piece.
 * A sink made as { write, ctx } has no buffer: every append goes to
 * 'write' at once. A buffered sink that writes needs guard_sink_flush at
 * the end.
 */
typedef struct guard_sink {
    void (*write)(void *ctx, const char *data, apr_size_t len);
    void *ctx;
    char *buf;
    apr_size_t len;               /* bytes in buf */
    apr_size_t cap;               /* size of buf */
    /* Optional: grow buf so that at least need more bytes fit. */
    void (*grow)(struct guard_sink *o, apr_size_t need);
} guard_sink_t;

/** A sink that hands its output to write in pieces of up to cap bytes,
 *  buffered in buf (from the caller). */
void guard_sink_init(guard_sink_t *o, char *buf, apr_size_t cap,
                     void (*write)(void *ctx, const char *data,
                                   apr_size_t len), void *ctx);

/** Hand what is buffered to write. */
void guard_sink_flush(guard_sink_t *o);

/** Write len bytes as they are. */
void guard_putn(guard_sink_t *o, const char *s, apr_size_t len);

/** Write a string as it is. */
void guard_puts(guard_sink_t *o, const char *s);

/** Write a string literal as it is (no strlen). */
#define guard_put_lit(o, lit) guard_putn((o), (lit), sizeof(lit) - 1)

/** Write one byte. */
void guard_putc(guard_sink_t *o, char c);

/** A decimal integer, as printf's "%" APR_INT64_T_FMT would. */
void guard_put_int(guard_sink_t *o, apr_int64_t v);

/** An unsigned decimal integer, as "%" APR_UINT64_T_FMT would. */
void guard_put_uint(guard_sink_t *o, apr_uint64_t v);

/** printf through apr_vformatter: any length, no truncation. */
void guard_printf(guard_sink_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** HTML text or attribute value: & < > " ' escaped. */
void guard_put_html(guard_sink_t *o, const char *s);

/** Same for at most max bytes of s (it ends at a NUL before that). */
void guard_put_htmln(guard_sink_t *o, const char *s, apr_size_t max);

/** A JSON string, with its quotes. Control bytes as \u00XX; bytes >= 0x80
 *  that are not valid UTF-8 as \u00XX of the byte, so the output is valid. */
void guard_put_json_str(guard_sink_t *o, const char *s);

/** Same for at most max bytes of s (it ends at a NUL before that): a
 *  UTF-8 sequence cut at max is escaped byte by byte. */
void guard_put_json_strn(guard_sink_t *o, const char *s, apr_size_t max);

/** The inside of such a string, without the quotes: for a string written
 *  in parts that each end in ASCII. */
void guard_put_json_chars(guard_sink_t *o, const char *s, apr_size_t max);

/** t as UTC "2026-11-22 08:56:01.123" (guard_fmt_time). */
void guard_put_time(guard_sink_t *o, apr_time_t t);

/** t as a JSON string, "2026-11-22T08:56:01.123Z". */
void guard_put_json_time(guard_sink_t *o, apr_time_t t);

/** A Prometheus label value (no quotes): backslash, '"' and newline escaped. */
void guard_put_prom_label(guard_sink_t *o, const char *s);

/** Same for at most max bytes of s (it ends at a NUL before that), and
 *  every byte >= 0x80 written as '?': for text that should be ASCII. */
void guard_put_prom_label_ascii(guard_sink_t *o, const char *s,
                                apr_size_t max);

/** A sink that collects into memory from pool p. */
guard_sink_t *guard_sink_buffer(apr_pool_t *p);

/** Same with room for size bytes before it first grows (and copies). */
guard_sink_t *guard_sink_buffer_sized(apr_pool_t *p, apr_size_t size);

/** What a buffer sink collected, NUL-terminated; *len when len != NULL. */
const char *guard_sink_buffer_data(guard_sink_t *o, apr_size_t *len);

#endif
