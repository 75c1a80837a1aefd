/* SPDX-License-Identifier: Apache-2.0 */
/* Where renderers write, and the escaping of each output format. */
#include <string.h>
#include <stdarg.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "guard_fmt.h"
#include "guard_sink.h"

#define GUARD_FMT_BUF 256
#define GUARD_BUFFER_START 65536

void guard_sink_init(guard_sink_t *o, char *buf, apr_size_t cap,
                     void (*write)(void *ctx, const char *data,
                                   apr_size_t len), void *ctx)
{
    memset(o, 0, sizeof(*o));
    o->write = write;
    o->ctx = ctx;
    o->buf = buf;
    o->cap = cap;
}

void guard_sink_flush(guard_sink_t *o)
{
    if (o->len > 0 && o->write) {
        o->write(o->ctx, o->buf, o->len);
        o->len = 0;
    }
}

/* The buffer is full: grow it, or hand it on and write a piece too big
 * for it straight through. */
static void put_slow(guard_sink_t *o, const char *s, apr_size_t len)
{
    if (o->grow) {
        o->grow(o, len);
    }
    else {
        guard_sink_flush(o);
        if (len >= o->cap) {
            o->write(o->ctx, s, len);
            return;
        }
    }
    memcpy(o->buf + o->len, s, len);
    o->len += len;
}

void guard_putn(guard_sink_t *o, const char *s, apr_size_t len)
{
    if (len == 0) {
        return;
    }
    if (len <= o->cap - o->len) {
        memcpy(o->buf + o->len, s, len);
        o->len += len;
        return;
    }
    put_slow(o, s, len);
}

void guard_puts(guard_sink_t *o, const char *s)
{
    guard_putn(o, s, strlen(s));
}

void guard_putc(guard_sink_t *o, char c)
{
    if (o->len < o->cap) {
        o->buf[o->len++] = c;
        return;
    }
    put_slow(o, &c, 1);
}

void guard_put_uint(guard_sink_t *o, apr_uint64_t v)
{
    char tmp[GUARD_FMT_DEC_LEN];

    guard_putn(o, tmp, (apr_size_t)(guard_fmt_udec(tmp, v) - tmp));
}

void guard_put_int(guard_sink_t *o, apr_int64_t v)
{
    char tmp[GUARD_FMT_DEC_LEN];

    guard_putn(o, tmp, (apr_size_t)(guard_fmt_dec(tmp, v) - tmp));
}

typedef struct {
    apr_vformatter_buff_t vb;
    guard_sink_t *o;
    char buf[GUARD_FMT_BUF];
} fmt_ctx_t;

/* apr_vformatter calls this whenever its buffer is full; it may be called
 * again. An unbuffered sink gets the pieces of buf; a buffered one is
 * formatted into directly and made room in. */
static int fmt_flush(apr_vformatter_buff_t *vb)
{
    fmt_ctx_t *f = (fmt_ctx_t *)vb;
    guard_sink_t *o = f->o;

    if (!o->buf) {
        if (vb->curpos > f->buf) {
            o->write(o->ctx, f->buf, vb->curpos - f->buf);
        }
        vb->curpos = f->buf;
        return 0;
    }
    o->len = vb->curpos - o->buf;
    if (o->len == o->cap) {
        if (o->grow) {
            o->grow(o, GUARD_FMT_BUF);
        }
        else {
            guard_sink_flush(o);
        }
    }
    vb->curpos = o->buf + o->len;
    vb->endpos = o->buf + o->cap;
    return 0;
}

void guard_printf(guard_sink_t *o, const char *fmt, ...)
{
    fmt_ctx_t f;
    va_list ap;

    f.o = o;
    f.vb.curpos = o->buf ? o->buf + o->len : f.buf;
    f.vb.endpos = o->buf ? o->buf + o->cap : f.buf + sizeof(f.buf);
    va_start(ap, fmt);
    apr_vformatter(fmt_flush, &f.vb, fmt, ap);
    va_end(ap);
    if (o->buf) {
        o->len = f.vb.curpos - o->buf;
    }
    else {
        fmt_flush(&f.vb);
    }
}

/*
 * The escapers share one shape: runs of bytes that need nothing are
 * written in one go, the others replaced. A table says which bytes are
 * special, so the plain bytes cost one look-up each.
 */
typedef const char *const rep_table_t[256];

static void put_escaped(guard_sink_t *o, const char *s, apr_size_t max,
                        rep_table_t rep)
{
    const unsigned char *p = (const unsigned char *)s;
    apr_size_t i = 0, run = 0;

    for (; i < max && p[i]; i++) {
        const char *r = rep[p[i]];

        if (r) {
            guard_putn(o, s + run, i - run);
            guard_puts(o, r);
            run = i + 1;
        }
    }
    guard_putn(o, s + run, i - run);
}

static rep_table_t html_rep = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
    ['\''] = "&#39;"
};

void guard_put_html(guard_sink_t *o, const char *s)
{
    put_escaped(o, s, (apr_size_t)-1, html_rep);
}

void guard_put_htmln(guard_sink_t *o, const char *s, apr_size_t max)
{
    put_escaped(o, s, max, html_rep);
}

static rep_table_t prom_rep = {
    ['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n"
};

void guard_put_prom_label(guard_sink_t *o, const char *s)
{
    put_escaped(o, s, (apr_size_t)-1, prom_rep);
}

static rep_table_t prom_ascii_rep = {
    ['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n", [0x80 ... 0xff] = "?"
};

void guard_put_time(guard_sink_t *o, apr_time_t t)
{
    char buf[GUARD_FMT_TIME_LEN];

    guard_putn(o, buf, guard_fmt_time(buf, sizeof(buf), t));
}

/* A hostile time is cut at 39 bytes: the page's field stays short. */
void guard_put_json_time(guard_sink_t *o, apr_time_t t)
{
    char buf[40];
    char *sp;

    guard_fmt_time(buf, sizeof(buf), t);
    if ((sp = strchr(buf, ' ')) != NULL) {
        *sp = 'T';
    }
    guard_printf(o, "\"%sZ\"", buf);
}

void guard_put_prom_label_ascii(guard_sink_t *o, const char *s,
                                apr_size_t max)
{
    put_escaped(o, s, max, prom_ascii_rep);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629) within avail
 * bytes, 0 if none. */
static apr_size_t utf8_len(const unsigned char *s, apr_size_t avail)
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
    if (n > avail || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* JSON: the bytes that are escaped, and those that start UTF-8 or are
 * escaped when they do not. NUL ends the string. */
enum { JSON_PLAIN, JSON_ESCAPE, JSON_HIGH, JSON_END };

static const unsigned char json_class[256] = {
    [0] = JSON_END, [1 ... 0x1f] = JSON_ESCAPE, ['"'] = JSON_ESCAPE,
    ['\\'] = JSON_ESCAPE, [0x7f] = JSON_ESCAPE, [0x80 ... 0xff] = JSON_HIGH
};

static void put_json_escape(guard_sink_t *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

    switch (c) {
    case '"':  guard_put_lit(o, "\\\""); return;
    case '\\': guard_put_lit(o, "\\\\"); return;
    case '\n': guard_put_lit(o, "\\n"); return;
    case '\r': guard_put_lit(o, "\\r"); return;
    case '\t': guard_put_lit(o, "\\t"); return;
    case '\b': guard_put_lit(o, "\\b"); return;
    case '\f': guard_put_lit(o, "\\f"); return;
    }
    guard_putn(o, u, sizeof(u));
}

void guard_put_json_chars(guard_sink_t *o, const char *s, apr_size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    apr_size_t i = 0, run = 0, n;

    while (i < max) {
        unsigned char k = json_class[p[i]];

        if (k == JSON_PLAIN) {
            i++;
            continue;
        }
        if (k == JSON_END) {
            break;
        }
        if (k == JSON_HIGH && (n = utf8_len(p + i, max - i)) > 0) {
            i += n;
            continue;
        }
        guard_putn(o, s + run, i - run);
        put_json_escape(o, p[i]);
        run = ++i;
    }
    guard_putn(o, s + run, i - run);
}

void guard_put_json_strn(guard_sink_t *o, const char *s, apr_size_t max)
{
    guard_putc(o, '"');
    guard_put_json_chars(o, s, max);
    guard_putc(o, '"');
}

void guard_put_json_str(guard_sink_t *o, const char *s)
{
    guard_put_json_strn(o, s, (apr_size_t)-1);
}

/* The buffer sink: a block from the pool that doubles when full; one byte
 * is always kept free for the NUL. */
static void buffer_grow(guard_sink_t *o, apr_size_t need)
{
    apr_pool_t *p = o->ctx;
    apr_size_t cap = o->cap + 1;
    char *grown;

    while (o->len + need + 1 > cap) {
        cap *= 2;
    }
    grown = apr_palloc(p, cap);
    memcpy(grown, o->buf, o->len);
    o->buf = grown;
    o->cap = cap - 1;
}

guard_sink_t *guard_sink_buffer_sized(apr_pool_t *p, apr_size_t size)
{
    guard_sink_t *o = apr_pcalloc(p, sizeof(*o));

    o->ctx = p;
    o->grow = buffer_grow;
    o->cap = size;
    o->buf = apr_palloc(p, size + 1);
    return o;
}

guard_sink_t *guard_sink_buffer(apr_pool_t *p)
{
    return guard_sink_buffer_sized(p, GUARD_BUFFER_START - 1);
}

const char *guard_sink_buffer_data(guard_sink_t *o, apr_size_t *len)
{
    o->buf[o->len] = '\0';
    if (len) {
        *len = o->len;
    }
    return o->buf;
}
