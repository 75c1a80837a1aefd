/* SPDX-License-Identifier: Apache-2.0 */
/* One FastCGI request and the parse of its reply (guard_fpm_fcgi.h). */
#include <string.h>
#include <strings.h>
#include "guard_fpm_fcgi.h"

#define FCGI_VERSION   1
#define FCGI_REQ_ID    1
#define FCGI_RESPONDER 1

static unsigned char *put_header(unsigned char *p, unsigned type,
                                 apr_size_t len)
{
    p[0] = FCGI_VERSION;
    p[1] = (unsigned char)type;
    p[2] = 0;
    p[3] = FCGI_REQ_ID;
    p[4] = (unsigned char)(len >> 8);
    p[5] = (unsigned char)len;
    p[6] = 0;
    p[7] = 0;
    return p + 8;
}

/* A name-value pair with one-byte lengths: names and values < 128. */
static unsigned char *put_pair(unsigned char *p, const char *k,
                               const char *v)
{
    apr_size_t kl = strlen(k), vl = strlen(v);

    *p++ = (unsigned char)kl;
    *p++ = (unsigned char)vl;
    memcpy(p, k, kl);
    memcpy(p + kl, v, vl);
    return p + kl + vl;
}

apr_size_t guard_fcgi_request(const char *path, const char *query,
                              unsigned char *buf, apr_size_t cap)
{
    static const unsigned char begin[8] = { 0, FCGI_RESPONDER, 0 };
    apr_size_t pl = strlen(path), ql = strlen(query);
    unsigned char *p = buf, *params;
    char uri[260];

    /* Every value under 128 bytes; 5 pairs of names and values. */
    if (pl > 120 || ql > 120 || pl + ql + 1 > 127
        || cap < 8 + 8 + 8 + 5 * 2 + 80 + 3 * pl + 2 * ql + 4 + 8 + 8) {
        return 0;
    }
    memcpy(uri, path, pl);
    uri[pl] = ql ? '?' : '\0';
    memcpy(uri + pl + 1, query, ql + 1);
    p = put_header(p, GUARD_FCGI_BEGIN_REQUEST, 8);
    memcpy(p, begin, 8);
    params = p + 8;
    p = params + 8;
    p = put_pair(p, "SCRIPT_NAME", path);
    p = put_pair(p, "SCRIPT_FILENAME", path);
    p = put_pair(p, "REQUEST_URI", uri);
    p = put_pair(p, "QUERY_STRING", query);
    p = put_pair(p, "REQUEST_METHOD", "GET");
    put_header(params, GUARD_FCGI_PARAMS, (apr_size_t)(p - params - 8));
    p = put_header(p, GUARD_FCGI_PARAMS, 0);
    p = put_header(p, GUARD_FCGI_STDIN, 0);
    return (apr_size_t)(p - buf);
}

void guard_fcgi_reply_init(guard_fcgi_reply_t *r, char *out, apr_size_t cap)
{
    memset(r, 0, sizeof(*r));
    r->out = out;
    r->out_cap = cap;
}

static int refuse(guard_fcgi_reply_t *r, const char *why)
{
    r->error = why;
    return -1;
}

/* A whole header is in: check it and start the record. */
static int begin_record(guard_fcgi_reply_t *r)
{
    const unsigned char *h = r->hdr;

    r->hlen = 0;
    if (h[0] != FCGI_VERSION) {
        return refuse(r, "not FastCGI (bad version byte)");
    }
    if (((unsigned)h[2] << 8 | h[3]) != FCGI_REQ_ID) {
        return refuse(r, "FastCGI record of another request");
    }
    r->type = h[1];
    r->content_left = (apr_size_t)h[4] << 8 | h[5];
    r->padding_left = h[6];
    if (r->type != GUARD_FCGI_STDOUT && r->type != GUARD_FCGI_STDERR
        && r->type != GUARD_FCGI_END_REQUEST) {
        return refuse(r, "unexpected FastCGI record type");
    }
    if (r->type == GUARD_FCGI_END_REQUEST && r->content_left != 8) {
        return refuse(r, "FastCGI END_REQUEST of a wrong length");
    }
    return 0;
}

static int take_content(guard_fcgi_reply_t *r, const unsigned char *d,
                        apr_size_t n)
{
    if (r->type == GUARD_FCGI_STDERR) {
        r->stderr_bytes += n;
    }
    else if (r->type == GUARD_FCGI_STDOUT) {
        if (n > r->out_cap - r->out_len) {
            return refuse(r, "reply larger than the limit");
        }
        memcpy(r->out + r->out_len, d, n);
        r->out_len += n;
    }
    else {
        memcpy(r->end + r->end_len, d, n);
        r->end_len += (unsigned)n;
    }
    return 0;
}

static int end_request(guard_fcgi_reply_t *r)
{
    r->app_status = (apr_uint32_t)r->end[0] << 24 | (apr_uint32_t)r->end[1] << 16
                    | (apr_uint32_t)r->end[2] << 8 | r->end[3];
    r->proto_status = r->end[4];
    r->ended = 1;
    if (r->proto_status != 0) {
        return refuse(r, "FastCGI request refused (overloaded or unknown "
                      "role)");
    }
    return 1;
}

int guard_fcgi_reply_feed(guard_fcgi_reply_t *r, const unsigned char *data,
                          apr_size_t n)
{
    while (n > 0 && !r->error && !r->ended) {
        apr_size_t k;

        if (r->content_left == 0 && r->padding_left == 0) {
            r->hdr[r->hlen++] = *data++;
            n--;
            if (r->hlen == 8 && begin_record(r) < 0) {
                return -1;
            }
            continue;
        }
        k = r->content_left ? r->content_left : r->padding_left;
        k = k < n ? k : n;
        if (r->content_left) {
            if (take_content(r, data, k) < 0) {
                return -1;
            }
            r->content_left -= k;
        }
        else {
            r->padding_left -= k;
        }
        data += k;
        n -= k;
        if (r->type == GUARD_FCGI_END_REQUEST && r->content_left == 0
            && r->padding_left == 0 && r->hlen == 0) {
            return end_request(r);
        }
    }
    return r->error ? -1 : r->ended;
}

/* "Status: 404 Not Found" among the headers, or NULL. */
static const char *status_header(const char *out, apr_size_t hlen,
                                 apr_size_t *vlen)
{
    const char *p = out, *end = out + hlen;

    while (p < end) {
        const char *eol = memchr(p, '\n', (apr_size_t)(end - p));

        eol = eol ? eol : end;
        if (eol - p > 7 && !strncasecmp(p, "Status:", 7)) {
            p += 7;
            while (p < eol && *p == ' ') {
                p++;
            }
            *vlen = (apr_size_t)(eol - p);
            if (*vlen && p[*vlen - 1] == '\r') {
                (*vlen)--;
            }
            return p;
        }
        p = eol + 1;
    }
    return NULL;
}

static void copy_printable(char *dst, apr_size_t cap, const char *src,
                           apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];

        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

const char *guard_fcgi_body(const char *out, apr_size_t len,
                            const char **body, apr_size_t *blen, char *err,
                            apr_size_t errlen)
{
    apr_size_t i, hlen = 0, skip = 0, vlen = 0;
    const char *st;

    for (i = 0; i + 1 < len && !skip; i++) {
        if (out[i] == '\n' && out[i + 1] == '\n') {
            hlen = i, skip = 2;
        }
        else if (i + 3 < len && !memcmp(out + i, "\r\n\r\n", 4)) {
            hlen = i, skip = 4;
        }
    }
    if (!skip) {
        return "reply without CGI headers";
    }
    st = status_header(out, hlen, &vlen);
    if (st && !(vlen >= 3 && !memcmp(st, "200", 3))) {
        memcpy(err, "status page answered ", 22);
        copy_printable(err + 21, errlen > 21 ? errlen - 21 : 1, st,
                       vlen > 40 ? 40 : vlen);
        return err;
    }
    *body = out + hlen + skip;
    *blen = len - hlen - skip;
    return NULL;
}
