/* Where renderers write, and the escaping of each output format. */
#include <string.h>
#include <stdarg.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "guard_sink.h"

#define GUARD_FMT_BUF 256

static void put(guard_sink_t *o, const char *data, apr_size_t len)
{
    if (len > 0) {
        o->write(o->ctx, data, len);
    }
}

void guard_puts(guard_sink_t *o, const char *s)
{
    put(o, s, strlen(s));
}

typedef struct {
    apr_vformatter_buff_t vb;
    guard_sink_t *o;
    char buf[GUARD_FMT_BUF];
} fmt_ctx_t;

/* apr_vformatter calls this whenever buf is full; it may be called again. */
static int fmt_flush(apr_vformatter_buff_t *vb)
{
    fmt_ctx_t *f = (fmt_ctx_t *)vb;

    put(f->o, f->buf, vb->curpos - f->buf);
    vb->curpos = f->buf;
    return 0;
}

void guard_printf(guard_sink_t *o, const char *fmt, ...)
{
    fmt_ctx_t f;
    va_list ap;

    f.o = o;
    f.vb.curpos = f.buf;
    f.vb.endpos = f.buf + sizeof(f.buf);
    va_start(ap, fmt);
    apr_vformatter(fmt_flush, &f.vb, fmt, ap);
    va_end(ap);
    fmt_flush(&f.vb);
}

/*
 * The escapers share one loop: runs of bytes that need nothing are written
 * in one go, the others replaced by what 'esc' says.
 */
typedef const char *(*escape_fn)(const unsigned char *s, apr_size_t *used,
                                 char *tmp);

static void put_escaped(guard_sink_t *o, const char *s, escape_fn esc)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;
    char tmp[8];

    while (*p) {
        apr_size_t used = 1;
        const char *rep = esc(p, &used, tmp);

        if (rep) {
            put(o, (const char *)run, p - run);
            guard_puts(o, rep);
            run = p + used;
        }
        p += used;
    }
    put(o, (const char *)run, p - run);
}

static const char *html_escape(const unsigned char *s, apr_size_t *used,
                               char *tmp)
{
    switch (*s) {
    case '&':  return "&amp;";
    case '<':  return "&lt;";
    case '>':  return "&gt;";
    case '"':  return "&quot;";
    case '\'': return "&#39;";
    default:   return NULL;
    }
}

void guard_put_html(guard_sink_t *o, const char *s)
{
    put_escaped(o, s, html_escape);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static apr_size_t utf8_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xbf;
    apr_size_t n, i;

    if (*s >= 0xc2 && *s <= 0xdf) {
        n = 2;
    }
    else if (*s >= 0xe0 && *s <= 0xef) {
        n = 3;
        lo = (*s == 0xe0) ? 0xa0 : 0x80;
        hi = (*s == 0xed) ? 0x9f : 0xbf;  /* no UTF-16 surrogates */
    }
    else if (*s >= 0xf0 && *s <= 0xf4) {
        n = 4;
        lo = (*s == 0xf0) ? 0x90 : 0x80;
        hi = (*s == 0xf4) ? 0x8f : 0xbf;  /* nothing above U+10FFFF */
    }
    else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

static const char *json_escape(const unsigned char *s, apr_size_t *used,
                               char *tmp)
{
    switch (*s) {
    case '"':  return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    }
    if (*s >= 0x20 && *s < 0x7f) {
        return NULL;
    }
    if (*s >= 0x80 && (*used = utf8_len(s)) > 0) {
        return NULL;
    }
    *used = 1;
    apr_snprintf(tmp, 8, "\\u%04x", *s);
    return tmp;
}

void guard_put_json_str(guard_sink_t *o, const char *s)
{
    put(o, "\"", 1);
    put_escaped(o, s, json_escape);
    put(o, "\"", 1);
}

static const char *prom_escape(const unsigned char *s, apr_size_t *used,
                               char *tmp)
{
    switch (*s) {
    case '\\': return "\\\\";
    case '"':  return "\\\"";
    case '\n': return "\\n";
    default:   return NULL;
    }
}

void guard_put_prom_label(guard_sink_t *o, const char *s)
{
    put_escaped(o, s, prom_escape);
}

/* The buffer sink: a growing block from the pool, always NUL-terminated. */
typedef struct {
    guard_sink_t sink;
    apr_pool_t *pool;
    char *data;
    apr_size_t len;
    apr_size_t cap;
} buffer_t;

static void buffer_write(void *ctx, const char *data, apr_size_t len)
{
    buffer_t *b = ctx;

    if (b->len + len + 1 > b->cap) {
        apr_size_t cap = b->cap * 2;
        char *grown;

        while (b->len + len + 1 > cap) {
            cap *= 2;
        }
        grown = apr_palloc(b->pool, cap);
        memcpy(grown, b->data, b->len);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

guard_sink_t *guard_sink_buffer(apr_pool_t *p)
{
    buffer_t *b = apr_pcalloc(p, sizeof(*b));

    b->pool = p;
    b->cap = 1024;
    b->data = apr_palloc(p, b->cap);
    b->data[0] = '\0';
    b->sink.write = buffer_write;
    b->sink.ctx = b;
    return &b->sink;
}

const char *guard_sink_buffer_data(guard_sink_t *o, apr_size_t *len)
{
    buffer_t *b = o->ctx;

    if (len) {
        *len = b->len;
    }
    return b->data;
}
