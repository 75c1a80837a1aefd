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

char *guard_copy_sanitized(char *dst, apr_size_t dstlen, const char *src,
                           int flags)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(src ? src : "");
    int redact = (flags & GUARD_COPY_URI) && !(flags & GUARD_COPY_SHOW_QUERY);
    apr_size_t room, soft, out = 0, keep = 0;

    if (dstlen == 0) {
        return dst;
    }
    room = dstlen - 1;
    /* Most request data is plain and short: copied as it is scanned. */
    for (out = 0; out < room && plain[p[out]]; out++) {
        dst[out] = (char)p[out];
    }
    if (p[out] == '\0') {
        dst[out] = '\0';
        return dst;
    }
    out = 0;
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
