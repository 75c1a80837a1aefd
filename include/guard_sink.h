/* Where renderers write, and the escaping of each output format. */
#ifndef GUARD_SINK_H
#define GUARD_SINK_H

#include <apr.h>
#include <apr_pools.h>

typedef struct guard_sink {
    void (*write)(void *ctx, const char *data, apr_size_t len);
    void *ctx;
} guard_sink_t;

/** Write a string as it is. */
void guard_puts(guard_sink_t *o, const char *s);

/** printf through apr_vformatter: any length, no truncation. */
void guard_printf(guard_sink_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** HTML text or attribute value: & < > " ' escaped. */
void guard_put_html(guard_sink_t *o, const char *s);

/** A JSON string, with its quotes. Control bytes as \u00XX; bytes >= 0x80
 *  that are not valid UTF-8 as \u00XX of the byte, so the output is valid. */
void guard_put_json_str(guard_sink_t *o, const char *s);

/** A Prometheus label value (no quotes): backslash, '"' and newline escaped. */
void guard_put_prom_label(guard_sink_t *o, const char *s);

/** A sink that collects into memory from pool p. */
guard_sink_t *guard_sink_buffer(apr_pool_t *p);

/** What a buffer sink collected, NUL-terminated; *len when len != NULL. */
const char *guard_sink_buffer_data(guard_sink_t *o, apr_size_t *len);

#endif
