/* SPDX-License-Identifier: Apache-2.0 */
/* Live stacks on the status pages (see guard_status_stack.h). */
#include <stddef.h>
#include <string.h>
#include "guard_status_stack.h"

static void put_bool(guard_sink_t *o, int v)
{
    guard_puts(o, v ? "true" : "false");
}

static const char hex_digits[] = "0123456789abcdef";

/* Thousands of workers' frames go through here: no printf. */
static void put_hex(guard_sink_t *o, apr_uint64_t v)
{
    char buf[18];
    int i = (int)sizeof(buf);

    do {
        buf[--i] = hex_digits[v & 15];
        v >>= 4;
    } while (v && i > 2);
    buf[--i] = 'x';
    buf[--i] = '0';
    guard_putn(o, buf + i, sizeof(buf) - (apr_size_t)i);
}

static void put_build_id(guard_sink_t *o, const guard_native_frame_t *f)
{
    char buf[2 * GUARD_BUILD_ID_MAX + 2];
    apr_uint32_t i, n = f->build_id_len < GUARD_BUILD_ID_MAX
                        ? f->build_id_len : GUARD_BUILD_ID_MAX;

    buf[0] = '"';
    for (i = 0; i < n; i++) {
        buf[1 + 2 * i] = hex_digits[f->build_id[i] >> 4];
        buf[2 + 2 * i] = hex_digits[f->build_id[i] & 15];
    }
    buf[1 + 2 * n] = '"';
    guard_putn(o, buf, 2 + 2 * n);
}

void guard_stack_json_php_frame(const guard_php_frame_t *f, guard_sink_t *o)
{
    guard_puts(o, "{\"function\":");
    guard_put_json_strn(o, f->function, sizeof(f->function));
    guard_puts(o, ",\"file\":");
    guard_put_json_strn(o, f->file, sizeof(f->file));
    guard_puts(o, ",\"line\":");
    guard_put_uint(o, f->line);
    guard_puts(o, ",\"line_approximate\":");
    put_bool(o, (f->flags & GUARD_PHPF_LINE_APPROX) != 0);
    guard_putc(o, '}');
}

static void json_native_frame(const guard_native_frame_t *f,
                              guard_sink_t *o)
{
    guard_put_lit(o, "{\"module\":");
    guard_put_json_strn(o, f->module, sizeof(f->module));
    guard_put_lit(o, ",\"offset\":\"");
    put_hex(o, f->offset);
    guard_put_lit(o, "\",\"symbol\":");
    guard_put_json_strn(o, f->symbol, sizeof(f->symbol));
    guard_put_lit(o, ",\"build_id\":");
    put_build_id(o, f);
    guard_putc(o, '}');
}

static void json_flags(const guard_stack_view_t *st, guard_sink_t *o)
{
    apr_uint32_t fl = st->flags;

    guard_puts(o, ",\"stack\":{\"php\":\"");
    guard_puts(o, guard_php_status_name(st->php_status));
    guard_puts(o, "\",\"native\":\"");
    guard_puts(o, guard_native_status_name(st->native_status));
    guard_puts(o, "\",\"complete\":");
    put_bool(o, (fl & GUARD_STACKF_PHP_COMPLETE) != 0);
    guard_puts(o, ",\"stable\":");
    put_bool(o, (fl & GUARD_STACKF_PHP_STABLE) != 0);
    guard_puts(o, ",\"line_approximate\":");
    put_bool(o, (fl & GUARD_STACKF_PHP_LINE_APPROX) != 0);
    guard_puts(o, ",\"native_complete\":");
    put_bool(o, (fl & GUARD_STACKF_NATIVE_COMPLETE) != 0);
    guard_puts(o, ",\"native_stable\":");
    put_bool(o, (fl & GUARD_STACKF_NATIVE_STABLE) != 0);
    guard_puts(o, ",\"native_count\":");
    guard_put_int(o, st->nnative);
    guard_puts(o, ",\"taken_ms\":");
    guard_put_int(o, apr_time_as_msec(st->taken));
    guard_putc(o, '}');
}

void guard_stack_render_json(const guard_stack_view_t *st, int native,
                             guard_sink_t *o)
{
    int i;

    guard_puts(o, ",\"php_frames\":[");
    for (i = 0; st && i < st->nphp; i++) {
        if (i) {
            guard_putc(o, ',');
        }
        guard_stack_json_php_frame(&st->php[i], o);
    }
    guard_puts(o, "],\"native_frames\":[");
    for (i = 0; st && native && st->native && i < st->nnative; i++) {
        if (i) {
            guard_putc(o, ',');
        }
        json_native_frame(&st->native[i], o);
    }
    guard_putc(o, ']');
    if (st) {
        json_flags(st, o);
    }
    else {
        guard_puts(o, ",\"stack\":null");
    }
}

static void html_php_frame(const guard_php_frame_t *f, int i,
                           guard_sink_t *o)
{
    guard_printf(o, "<li><code>#%d ", i);
    guard_put_htmln(o, f->function, sizeof(f->function));
    if (f->flags & GUARD_PHPF_INTERNAL) {
        guard_puts(o, "()</code> [internal]</li>");
        return;
    }
    guard_puts(o, "</code> ");
    guard_put_htmln(o, f->file, sizeof(f->file));
    guard_printf(o, ":%u%s</li>", (unsigned)f->line,
                 f->flags & GUARD_PHPF_LINE_APPROX ? " (approximate)" : "");
}

static void html_native_frame(const guard_native_frame_t *f, int i,
                              guard_sink_t *o)
{
    guard_put_lit(o, "<li><code>#");
    guard_put_int(o, i);
    guard_putc(o, ' ');
    guard_put_htmln(o, f->symbol[0] ? f->symbol : "??", sizeof(f->symbol));
    guard_put_lit(o, "</code> ");
    guard_put_htmln(o, f->module[0] ? f->module : "?", sizeof(f->module));
    guard_putc(o, '+');
    put_hex(o, f->offset);
    guard_put_lit(o, "</li>");
}

void guard_stack_render_html(const guard_stack_view_t *st, int native,
                             guard_sink_t *o)
{
    int i;

    if (!st) {
        return;
    }
    if (st->nphp) {
        guard_printf(o, "<p>PHP frames (%s%s):</p><ol class=\"php\" "
                     "start=\"0\">",
                     st->flags & GUARD_STACKF_PHP_COMPLETE ? "complete"
                     : "innermost only",
                     st->flags & GUARD_STACKF_PHP_STABLE ? ", stable" : "");
        for (i = 0; i < st->nphp; i++) {
            html_php_frame(&st->php[i], i, o);
        }
        guard_puts(o, "</ol>");
    }
    else {
        guard_printf(o, "<p>PHP frames: %s</p>",
                     guard_php_status_name(st->php_status));
    }
    if (!native || (st->nnative && !st->native)) {
        return;
    }
    guard_printf(o, "<p>Native frames (%s):</p>",
                 guard_native_status_name(st->native_status));
    if (st->nnative) {
        guard_puts(o, "<ol class=\"native\" start=\"0\">");
        for (i = 0; i < st->nnative; i++) {
            html_native_frame(&st->native[i], i, o);
        }
        guard_puts(o, "</ol>");
    }
}

void guard_stack_top_text(const guard_stack_view_t *st, char *buf,
                          apr_size_t len)
{
    guard_stack_t one;

    if (!len) {
        return;
    }
    buf[0] = '\0';
    if (!st || st->php_status != GUARD_PHP_OK || st->nphp == 0) {
        return;
    }
    memset(&one, 0, offsetof(guard_stack_t, php));
    one.php_status = GUARD_PHP_OK;
    one.nphp = st->nphp > 1 ? 2 : 1;
    memcpy(one.php, st->php, one.nphp * sizeof(one.php[0]));
    guard_stack_top_php(&one, buf, len);
    /* Without the leading " in ". */
    if (strncmp(buf, " in ", 4) == 0) {
        memmove(buf, buf + 4, strlen(buf + 4) + 1);
    }
}
