/* SPDX-License-Identifier: Apache-2.0 */
/* A worker's stack record: names, the top PHP frame, consistent copies. */
#include <stddef.h>
#include <string.h>
#include "guard_seq.h"
#include "guard_sane.h"
#include "guard_stack.h"

#define STACK_READ_TRIES 16

static const char *const php_status[GUARD_PHP_STATUS_MAX] = {
    "none", "ok", "unavailable", "unstable", "failed"
};

static const char *const native_status[GUARD_NATIVE_STATUS_MAX] = {
    "none", "end", "depth", "no_unwind_info", "jit", "on_cpu", "moved",
    "unavailable", "failed"
};

const char *guard_php_status_name(apr_uint32_t status)
{
    return status < GUARD_PHP_STATUS_MAX ? php_status[status] : "?";
}

const char *guard_native_status_name(apr_uint32_t status)
{
    return status < GUARD_NATIVE_STATUS_MAX ? native_status[status] : "?";
}

static apr_size_t append(char *buf, apr_size_t at, apr_size_t len,
                         const char *s, apr_size_t n)
{
    if (at + 1 >= len) {
        return at;
    }
    if (n > len - 1 - at) {
        n = len - 1 - at;
    }
    memcpy(buf + at, s, n);
    buf[at + n] = '\0';
    return at + n;
}

static apr_size_t append_str(char *buf, apr_size_t at, apr_size_t len,
                             const char *s, apr_size_t max)
{
    return append(buf, at, len, s, strnlen(s, max));
}

static apr_size_t append_dec(char *buf, apr_size_t at, apr_size_t len,
                             apr_uint32_t v)
{
    char d[12];
    int i = (int)sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    return append(buf, at, len, d + i, sizeof(d) - (apr_size_t)i);
}

void guard_stack_top_php(const guard_stack_t *st, char *buf, apr_size_t len)
{
    const guard_php_frame_t *f;
    apr_size_t at;

    if (!len) {
        return;
    }
    buf[0] = '\0';
    if (st->php_status != GUARD_PHP_OK || st->nphp == 0) {
        return;
    }
    f = &st->php[0];
    /* An internal function names where it was called from too. */
    at = append(buf, 0, len, " in ", 4);
    at = append_str(buf, at, len, f->function, sizeof(f->function));
    if ((f->flags & GUARD_PHPF_INTERNAL) && st->nphp > 1) {
        at = append(buf, at, len, "() from ", 8);
        f = &st->php[1];
        at = append_str(buf, at, len, f->function, sizeof(f->function));
    }
    if (f->file[0]) {
        at = append(buf, at, len, " ", 1);
        at = append_str(buf, at, len, f->file, sizeof(f->file));
        at = append(buf, at, len, ":", 1);
        at = append_dec(buf, at, len, f->line);
        if (f->flags & GUARD_PHPF_LINE_APPROX) {
            append(buf, at, len, " (approximate)", 14);
        }
    }
}

/* The header, then only the frames in use: most of a record is empty. */
static void copy_used(const guard_stack_t *src, guard_stack_t *dst,
                      int native)
{
    apr_uint32_t n;

    memcpy(dst, src, offsetof(guard_stack_t, php));
    n = dst->nphp < GUARD_STACK_FRAMES ? dst->nphp : GUARD_STACK_FRAMES;
    memcpy(dst->php, src->php, n * sizeof(src->php[0]));
    dst->nphp = n;
    n = dst->nnative < GUARD_STACK_FRAMES ? dst->nnative : GUARD_STACK_FRAMES;
    if (native) {
        memcpy(dst->native, src->native, n * sizeof(src->native[0]));
    }
    dst->nnative = n;
}

int guard_stack_read_part(const guard_stack_t *src, guard_stack_t *dst,
                          int native)
{
    int i;

    for (i = 0; i < STACK_READ_TRIES; i++) {
        apr_uint32_t s = guard_seq_read_begin(&src->seq);

        copy_used(src, dst, native);
        if (guard_seq_read_valid(&src->seq, s)) {
            return 1;
        }
    }
    return 0;
}

int guard_stack_read(const guard_stack_t *src, guard_stack_t *dst)
{
    return guard_stack_read_part(src, dst, 1);
}

void guard_stack_top_of(const guard_stack_t *live, char *buf, apr_size_t len)
{
    guard_stack_t copy;

    if (!len) {
        return;
    }
    buf[0] = '\0';
    if (guard_stack_read(live, &copy)) {
        guard_sane_stack(&copy, 0);
        guard_stack_top_php(&copy, buf, len);
    }
}
