/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded, sanitized copy of request data kept in shared memory. */
#include <string.h>
#include "guard_reqcopy.h"

#define REDACTED "?..."
#define ELLIPSIS "..."
#define REDACTED_LEN (sizeof(REDACTED) - 1)

/* Bytes copied as they are; the rest become "\xHH", and '?' may start a
 * query to redact. One table look-up per byte: this runs at every request
 * start. */
static const unsigned char plain[256] = {
    [0x20 ... 0x3e] = 1,        /* 0x3f is '?' */
    [0x40 ... 0x5b] = 1,        /* 0x5c is backslash */
    [0x5d ... 0x7e] = 1
};

/* Cut short: the whole tokens that fit before "...", which is itself cut
 * when dst is smaller than it. */
static char *cut_short(char *dst, apr_size_t room, apr_size_t keep)
{
    apr_size_t tail = room - keep < 3 ? room - keep : 3;

    memcpy(dst + keep, ELLIPSIS, tail);
    dst[keep + tail] = '\0';
    return dst;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Sixteen bytes at a time: non-zero when one of them is not plain. The
 * signed compare takes bytes from 0x80 up (negative) with those below
 * 0x20. */
static int odd16(__m128i v)
{
    __m128i bad = _mm_or_si128(
        _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('?')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

    return _mm_movemask_epi8(bad);
}

/* n >= 8 bytes of p, checked and copied in 16-byte blocks; the last block
 * may overlap the one before, and 8 to 16 bytes are two 8-byte words. */
static inline __attribute__((always_inline)) int
copy_words(char *dst, const unsigned char *p, apr_size_t n)
{
    apr_uint64_t lo, hi;
    __m128i v;
    apr_size_t i;
    int odd = 0;

    if (n <= 16) {
        memcpy(&lo, p, 8);
        memcpy(&hi, p + n - 8, 8);
        memcpy(dst, &lo, 8);
        memcpy(dst + n - 8, &hi, 8);
        return odd16(_mm_set_epi64x((long long)hi, (long long)lo));
    }
    for (i = 0; i + 16 < n; i += 16) {
        v = _mm_loadu_si128((const __m128i *)(p + i));
        odd |= odd16(v);
        _mm_storeu_si128((__m128i *)(dst + i), v);
    }
    v = _mm_loadu_si128((const __m128i *)(p + n - 16));
    _mm_storeu_si128((__m128i *)(dst + n - 16), v);
    return odd | odd16(v);
}
#else
/* Eight bytes at a time: non-zero when one of the bytes of w is not
 * plain. Each term is exact as an any-test (the classic "has less / has
 * more / has zero" word tricks). */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static apr_uint64_t odd8(apr_uint64_t w)
{
    apr_uint64_t q = w ^ (ONES * '?'), b = w ^ (ONES * '\\');

    return (((w - ONES * 0x20) & ~w)          /* < 0x20 */
            | (w + ONES) | w                  /* > 0x7e */
            | ((q - ONES) & ~q)               /* '?' */
            | ((b - ONES) & ~b))              /* backslash */
           & HIGHS;
}

/* n >= 8 bytes of p, checked and copied in words; the last word may
 * overlap the one before. */
static inline __attribute__((always_inline)) int
copy_words(char *dst, const unsigned char *p, apr_size_t n)
{
    apr_uint64_t w, odd = 0;
    apr_size_t i;

    for (i = 0; i + 8 < n; i += 8) {
        memcpy(&w, p + i, 8);
        odd |= odd8(w);
        memcpy(dst + i, &w, 8);
    }
    memcpy(&w, p + n - 8, 8);
    memcpy(dst + n - 8, &w, 8);
    return (odd | odd8(w)) != 0;
}
#endif

/* guard_copy_verbatim's body, inlined into guard_copy_sanitized too: one
 * call fewer at each request start's copies. */
static inline __attribute__((always_inline)) int
copy_verbatim(char *dst, apr_size_t dstlen, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    apr_size_t n, i;
    int odd = 0;

    if (!src || dstlen == 0 || (n = strnlen(src, dstlen)) >= dstlen) {
        return 0;
    }
    if (n >= 8) {
        /* Copied as it is checked. A refusal leaves dst to the caller,
         * who writes it anew. */
        odd = copy_words(dst, p, n);
        dst[n] = '\0';
        return !odd;
    }
    for (i = 0; i < n; i++) {
        odd |= !plain[p[i]];
    }
    if (odd) {
        return 0;
    }
    memcpy(dst, src, n + 1);
    return 1;
}

int guard_copy_verbatim(char *dst, apr_size_t dstlen, const char *src)
{
    return copy_verbatim(dst, dstlen, src);
}

/* Byte by byte, with escapes, redaction and the cut; dstlen >= 1. */
static char *copy_escaped(char *dst, apr_size_t dstlen,
                          const unsigned char *p, int flags)
{
    static const char hex[] = "0123456789abcdef";
    int redact = (flags & GUARD_COPY_URI) && !(flags & GUARD_COPY_SHOW_QUERY);
    apr_size_t room = dstlen - 1, soft, out = 0, keep = 0;

    soft = room >= 3 ? room - 3 : 0;    /* where "..." still fits after */
    for (; *p; p++) {
        unsigned char c = *p;

        if (plain[c] || (c == '?' && !redact)) {
            if (out >= room) {
                return cut_short(dst, room, keep);
            }
            dst[out++] = (char)c;
        }
        else if (c == '?') {
            if (out + REDACTED_LEN > room) {
                return cut_short(dst, room, keep);
            }
            memcpy(dst + out, REDACTED, REDACTED_LEN);
            dst[out + REDACTED_LEN] = '\0';
            return dst;
        }
        else {
            if (out + 4 > room) {
                return cut_short(dst, room, keep);
            }
            dst[out++] = '\\';
            dst[out++] = 'x';
            dst[out++] = hex[c >> 4];
            dst[out++] = hex[c & 0xf];
        }
        if (out <= soft) {
            keep = out;
        }
    }
    dst[out] = '\0';
    return dst;
}

char *guard_copy_sanitized(char *dst, apr_size_t dstlen, const char *src,
                           int flags)
{
    /* Most request data is plain and short: copied as it is. */
    if (dstlen == 0 || copy_verbatim(dst, dstlen, src)) {
        return dst;
    }
    return copy_escaped(dst, dstlen,
                        (const unsigned char *)(src ? src : ""), flags);
}

static int session_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == ',' || c == '-';
}

char *guard_redact_session(char *path)
{
    static const char hex[] = "0123456789abcdef";
    char *base = strrchr(path, '/'), *id, *end;
    apr_uint32_t h = 2166136261u;
    int i;

    base = base ? base + 1 : path;
    if (strncmp(base, "sess_", 5) != 0 || !session_id_char(base[5])) {
        return path;
    }
    id = base + 5;
    for (end = id; session_id_char(*end); end++) {
        h = (h ^ (unsigned char)*end) * 16777619u;
    }
    if (*end != '\0' || end - id < 9) {
        return path;   /* not an id we can shorten in place */
    }
    *id++ = '#';
    for (i = 7; i >= 0; i--) {
        *id++ = hex[(h >> (i * 4)) & 0xf];
    }
    *id = '\0';
    return path;
}
