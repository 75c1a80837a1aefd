/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What goes into shared memory and the error log: guard_copy_sanitized
 * (checked against an encoder written here: printable ASCII, "\xHH"
 * escapes, the query redacted, "..." when cut at a token boundary),
 * guard_redact_session, and the crash report lines built from a record
 * of hostile strings, each into an exact-size buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guard_crash_fmt.h"
#include "guard_reqcopy.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* The full encoding of src and its token boundaries (1 at each offset
 * where a token ends). */
static char *encode(const char *src, int redact, char **ends, size_t *len)
{
    size_t n = strlen(src), o = 0, i;
    char *out = malloc(4 * n + 5), *e = calloc(1, 4 * n + 5);

    e[0] = 1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c == '?' && redact) {
            memcpy(out + o, "?...", 4);
            o += 4;
            e[o] = 1;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        }
        else {
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        }
        e[o] = 1;
    }
    out[o] = '\0';
    *ends = e;
    *len = o;
    return out;
}

/* What the copy must be: the encoding when it fits, else its longest
 * run of whole tokens that leaves room for "...", then "..." (cut to the
 * room when there is less than that). */
static char *expected(const char *want, const char *ends, size_t want_len,
                      size_t room)
{
    char *exp = malloc(room + 1);
    size_t keep;

    if (want_len <= room) {
        memcpy(exp, want, want_len + 1);
        return exp;
    }
    if (room < 3) {
        memcpy(exp, "...", room);
        exp[room] = '\0';
        return exp;
    }
    for (keep = room - 3; !ends[keep]; keep--) {
    }
    memcpy(exp, want, keep);
    memcpy(exp + keep, "...", 4);
    return exp;
}

static void check_copy(const char *src, size_t dstlen, int flags)
{
    int redact = (flags & GUARD_COPY_URI) && !(flags & GUARD_COPY_SHOW_QUERY);
    char *dst = malloc(dstlen), *want, *ends, *exp;
    size_t want_len;

    guard_copy_sanitized(dst, dstlen, src, flags);
    want = encode(src, redact, &ends, &want_len);
    exp = expected(want, ends, want_len, dstlen - 1);
    if (strcmp(dst, exp) != 0) {
        fz_fail(dst, strlen(dst), "copy of %zu bytes into %zu (flags %d): "
                "expected \"%s\"", strlen(src), dstlen, flags, exp);
    }
    free(exp);
    free(want);
    free(ends);
    free(dst);
}

static void check_redact(const char *src)
{
    size_t n = strlen(src);
    char *a = malloc(n + 1), *b = malloc(n + 1);
    const char *base;

    memcpy(a, src, n + 1);
    memcpy(b, src, n + 1);
    guard_redact_session(a);
    guard_redact_session(b);
    FZ_ASSERT(strcmp(a, b) == 0);
    FZ_ASSERT(strlen(a) <= n);
    if (strcmp(a, src) != 0) {
        base = strrchr(a, '/');
        base = base ? base + 1 : a;
        FZ_ASSERT(strncmp(base, "sess_#", 6) == 0 && strlen(base) == 14
                  && strspn(base + 6, "0123456789abcdef") == 8);
        FZ_ASSERT(strncmp(a, src, (size_t)(base - a)) == 0);
    }
    free(a);
    free(b);
}

static void field(fz_input_t *in, char *dst, size_t size)
{
    size_t len;
    const char *s = fz_field(in, &len);

    memset(dst, 0, size);
    memcpy(dst, s, len < size ? len : size);
}

static void check_crash_lines(fz_input_t *in)
{
    guard_crash_rec_t r;
    char module[1200], function[1200];
    size_t size = (size_t)fz_range(in, 1, 1024), n;
    char *buf = malloc(size);

    memset(&r, 0, sizeof(r));
    r.id = fz_u64(in);
    r.when = (apr_time_t)fz_u64(in);
    r.req_start = (apr_time_t)fz_u64(in);
    r.elapsed_ms = (apr_int64_t)fz_u64(in);
    r.addr = fz_u64(in);
    r.ip = fz_u64(in);
    r.pid = (apr_int32_t)fz_u32(in);
    r.tid = (apr_int32_t)fz_u32(in);
    r.child = (apr_int32_t)fz_u32(in);
    r.thread = (apr_int32_t)fz_u32(in);
    r.generation = fz_u32(in);
    r.signo = (apr_int32_t)fz_u32(in);
    r.si_code = (apr_int32_t)fz_u32(in);
    r.flags = fz_u32(in);
    field(in, r.req.method, sizeof(r.req.method));
    field(in, r.req.uri, sizeof(r.req.uri));
    field(in, r.req.protocol, sizeof(r.req.protocol));
    field(in, r.req.vhost, sizeof(r.req.vhost));
    field(in, r.req.client, sizeof(r.req.client));
    n = guard_crash_headline(&r, buf, size);
    FZ_ASSERT(n < size && strlen(buf) == n);
    n = guard_crash_subline(&r, "backtrace:", buf, size);
    FZ_ASSERT(n < size && strlen(buf) == n);
    /* dladdr()'s names: C strings, of any length. */
    field(in, module, sizeof(module));
    module[sizeof(module) - 1] = '\0';
    field(in, function, sizeof(function));
    function[sizeof(function) - 1] = '\0';
    n = guard_crash_frame_line(&r, (int)fz_u32(in), fz_u64(in),
                               fz_bool(in) ? module : NULL,
                               fz_bool(in) ? function : NULL, fz_u64(in),
                               buf, size);
    FZ_ASSERT(n < size && strlen(buf) == n);
    /* Names and paths that fill their fields: no NUL of their own. */
    r.php[0].line = fz_u32(in);
    r.php[0].flags = fz_u32(in);
    field(in, r.php[0].function, sizeof(r.php[0].function));
    field(in, r.php[0].file, sizeof(r.php[0].file));
    n = guard_crash_php_line(&r, 0, buf, size);
    FZ_ASSERT(n < size && strlen(buf) == n);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    size_t dstlen;
    int flags;
    char *src;

    fz_init(&in, data, size);
    dstlen = (size_t)fz_range(&in, 1, 300);
    flags = fz_u8(&in) & (GUARD_COPY_URI | GUARD_COPY_SHOW_QUERY);
    check_crash_lines(&in);
    src = fz_rest(&in);
    check_copy(src, dstlen, flags);
    check_redact(src);
    free(src);
    return 0;
}
