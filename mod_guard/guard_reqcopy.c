/* The bounded, sanitized copy of request data kept in shared memory. */
#include <string.h>
#include "guard_reqcopy.h"

#define REDACTED "?..."
#define ELLIPSIS "..."
#define REDACTED_LEN (sizeof(REDACTED) - 1)

static int needs_escape(unsigned char c)
{
    return c < 0x20 || c >= 0x7f || c == '\\';
}

static apr_size_t token_len(unsigned char c)
{
    return needs_escape(c) ? 4 : 1;
}

/* Where copying stops: the end, or the '?' of a query to redact. */
static apr_size_t copy_span(const char *src, int flags, int *redact)
{
    apr_size_t n = strlen(src);
    const char *q;

    *redact = 0;
    if ((flags & GUARD_COPY_URI) && !(flags & GUARD_COPY_SHOW_QUERY)
        && (q = memchr(src, '?', n)) != NULL) {
        *redact = 1;
        n = (apr_size_t)(q - src);
    }
    return n;
}

static apr_size_t copied_len(const char *src, apr_size_t n)
{
    apr_size_t i, len = 0;

    for (i = 0; i < n; i++) {
        len += token_len((unsigned char)src[i]);
    }
    return len;
}

/* Whole tokens only, up to limit bytes: never half of a "\xHH". */
static apr_size_t copy_tokens(char *dst, const char *src, apr_size_t n,
                              apr_size_t limit)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t i, out = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        if (out + token_len(c) > limit) {
            break;
        }
        if (needs_escape(c)) {
            dst[out++] = '\\';
            dst[out++] = 'x';
            dst[out++] = hex[c >> 4];
            dst[out++] = hex[c & 0xf];
        }
        else {
            dst[out++] = (char)c;
        }
    }
    return out;
}

char *guard_copy_sanitized(char *dst, apr_size_t dstlen, const char *src,
                           int flags)
{
    apr_size_t room, n, out, tail;
    int redact;

    if (dstlen == 0) {
        return dst;
    }
    if (src == NULL) {
        src = "";
    }
    room = dstlen - 1;
    n = copy_span(src, flags, &redact);
    if (copied_len(src, n) + (redact ? REDACTED_LEN : 0) <= room) {
        out = copy_tokens(dst, src, n, room);
        if (redact) {
            memcpy(dst + out, REDACTED, REDACTED_LEN);
            out += REDACTED_LEN;
        }
        dst[out] = '\0';
        return dst;
    }
    /* Cut short: as much as fits before "...", which itself is cut when
     * dst is smaller than it. */
    out = copy_tokens(dst, src, n, room >= 3 ? room - 3 : 0);
    tail = room - out < 3 ? room - out : 3;
    memcpy(dst + out, ELLIPSIS, tail);
    dst[out + tail] = '\0';
    return dst;
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
