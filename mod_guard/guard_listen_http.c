/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict, bounded parser of HTTP/1.x request heads, for the status
 * listener. It accepts less than a general server would (no absolute-form,
 * no folding, no bodies): anything odd is an error answered with a status
 * and a closed connection, never a guess.
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_date.h>
#include "guard_listen_http.h"

typedef struct {
    const char *buf;
    apr_size_t len;             /* bytes considered: at most MAX_HEAD */
    int eof;
    int over;                   /* more than MAX_HEAD bytes arrived */
    guard_http_req_t *req;
    apr_pool_t *p;
    int hosts;
    int fields;
    int has_body;
    const char *clen;           /* first Content-Length value seen */
} parse_t;

static guard_http_result_e fail(guard_http_req_t *req, int status,
                                const char *why)
{
    req->status = status;
    req->error = why;
    return GUARD_HTTP_ERROR;
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The end of the line starting at pos ('\n' excluded, a '\r' before it
 * too), and where the next line starts; 0 when the line is incomplete. */
static int next_line(const parse_t *ps, apr_size_t pos, apr_size_t *end,
                     apr_size_t *next)
{
    const char *nl = memchr(ps->buf + pos, '\n', ps->len - pos);

    if (!nl) {
        return 0;
    }
    *next = (apr_size_t)(nl - ps->buf) + 1;
    *end = *next - 1;
    if (*end > pos && ps->buf[*end - 1] == '\r') {
        (*end)--;
    }
    return 1;
}

static guard_http_result_e incomplete(const parse_t *ps, int in_line)
{
    if (ps->over) {
        return in_line ? fail(ps->req, 414, "request line too long")
                       : fail(ps->req, 431, "request header too large");
    }
    if (ps->eof) {
        return fail(ps->req, 400, "incomplete request");
    }
    return GUARD_HTTP_MORE;
}

static apr_size_t span(const char *s, apr_size_t n, int (*ok)(unsigned char))
{
    apr_size_t i = 0;

    while (i < n && ok((unsigned char)s[i])) {
        i++;
    }
    return i;
}

static int is_target_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '#';
}

/* "HTTP/1.1": 0 when valid and known, else the status to answer. */
static int parse_version(const char *v, apr_size_t n, int *minor)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) || !apr_isdigit(v[5])
        || v[6] != '.' || !apr_isdigit(v[7])) {
        return 400;
    }
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
        return 505;
    }
    *minor = v[7] - '0';
    return 0;
}

static guard_http_result_e parse_request_line(parse_t *ps, apr_size_t end)
{
    guard_http_req_t *req = ps->req;
    const char *s = ps->buf, *t, *q;
    apr_size_t m, tl, rest;
    int st;

    m = span(s, end, is_tchar);
    if (m == 0 || m > GUARD_HTTP_MAX_METHOD || m >= end || s[m] != ' ') {
        return fail(req, 400, "malformed request line");
    }
    t = s + m + 1;
    rest = end - m - 1;
    tl = span(t, rest, is_target_char);
    if (tl == 0 || tl >= rest || t[tl] != ' ' || t[0] != '/') {
        return fail(req, 400, "malformed request target");
    }
    if ((st = parse_version(t + tl + 1, rest - tl - 1, &req->minor)) != 0) {
        return fail(req, st, st == 505 ? "HTTP version not supported"
                                       : "malformed request line");
    }
    if (m == 3 && !memcmp(s, "GET", 3)) {
        req->head = 0;
    }
    else if (m == 4 && !memcmp(s, "HEAD", 4)) {
        req->head = 1;
    }
    else {
        return fail(req, 405, "only GET and HEAD are served");
    }
    q = memchr(t, '?', tl);
    req->path = apr_pstrmemdup(ps->p, t, q ? (apr_size_t)(q - t) : tl);
    req->query = q ? apr_pstrmemdup(ps->p, q + 1, tl - (q - t) - 1) : NULL;
    return GUARD_HTTP_MORE;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static guard_http_result_e check_length(parse_t *ps, const char *v,
                                        apr_size_t n)
{
    if (n == 0 || span(v, n, is_digit) != n) {
        return fail(ps->req, 400, "invalid Content-Length");
    }
    if (ps->clen && (strlen(ps->clen) != n || memcmp(ps->clen, v, n))) {
        return fail(ps->req, 400, "conflicting Content-Length");
    }
    ps->clen = apr_pstrmemdup(ps->p, v, n);
    while (n && *v == '0') {
        v++, n--;
    }
    if (n) {
        ps->has_body = 1;
    }
    return GUARD_HTTP_MORE;
}

static guard_http_result_e parse_field(parse_t *ps, apr_size_t pos,
                                       apr_size_t end)
{
    const char *s = ps->buf + pos;
    apr_size_t n = end - pos, name, v0, v1;

    if (++ps->fields > GUARD_HTTP_MAX_FIELDS) {
        return fail(ps->req, 431, "too many header fields");
    }
    if (s[0] == ' ' || s[0] == '\t') {
        return fail(ps->req, 400, "obsolete line folding");
    }
    name = span(s, n, is_tchar);
    if (name == 0 || name >= n || s[name] != ':') {
        return fail(ps->req, 400, "malformed header field");
    }
    v0 = name + 1;
    while (v0 < n && (s[v0] == ' ' || s[v0] == '\t')) {
        v0++;
    }
    if (span(s + v0, n - v0, is_value_char) != n - v0) {
        return fail(ps->req, 400, "invalid byte in a header field");
    }
    v1 = n;
    while (v1 > v0 && (s[v1 - 1] == ' ' || s[v1 - 1] == '\t')) {
        v1--;
    }
    if (name == 4 && !strncasecmp(s, "Host", 4)) {
        if (ps->hosts++ == 0) {
            ps->req->host = apr_pstrmemdup(ps->p, s + v0, v1 - v0);
        }
    }
    else if (name == 17 && !strncasecmp(s, "Transfer-Encoding", 17)) {
        ps->has_body = 1;
    }
    else if (name == 14 && !strncasecmp(s, "Content-Length", 14)) {
        return check_length(ps, s + v0, v1 - v0);
    }
    return GUARD_HTTP_MORE;
}

static guard_http_result_e finish(parse_t *ps, apr_size_t head_len)
{
    guard_http_req_t *req = ps->req;

    if (ps->hosts > 1 || (req->minor == 1 && ps->hosts == 0)) {
        return fail(req, 400, ps->hosts ? "more than one Host"
                                        : "HTTP/1.1 request without Host");
    }
    if (ps->has_body) {
        return fail(req, 413, "a request body is not accepted");
    }
    req->head_len = head_len;
    return GUARD_HTTP_OK;
}

/* A bare CR anywhere but before LF is an error. */
static int has_bare_cr(const char *s, apr_size_t n)
{
    return memchr(s, '\r', n) != NULL;
}

guard_http_result_e guard_http_parse(const char *buf, apr_size_t len, int eof,
                                     apr_pool_t *p, guard_http_req_t *req)
{
    parse_t ps;
    apr_size_t end, pos;
    guard_http_result_e rv;

    memset(req, 0, sizeof(*req));
    memset(&ps, 0, sizeof(ps));
    ps.buf = buf;
    ps.over = len > GUARD_HTTP_MAX_HEAD;
    ps.len = ps.over ? GUARD_HTTP_MAX_HEAD : len;
    ps.eof = eof;
    ps.req = req;
    ps.p = p;
    if (!next_line(&ps, 0, &end, &pos)) {
        return incomplete(&ps, 1);
    }
    if (has_bare_cr(buf, end)) {
        return fail(req, 400, "malformed request line");
    }
    if ((rv = parse_request_line(&ps, end)) != GUARD_HTTP_MORE) {
        return rv;
    }
    for (;;) {
        apr_size_t start = pos;

        if (!next_line(&ps, start, &end, &pos)) {
            return incomplete(&ps, 0);
        }
        if (has_bare_cr(buf + start, end - start)) {
            return fail(req, 400, "bare CR in the header");
        }
        if (end == start) {
            return finish(&ps, pos);
        }
        if ((rv = parse_field(&ps, start, end)) != GUARD_HTTP_MORE) {
            return rv;
        }
    }
}

const char *guard_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default:  return "";
    }
}

apr_size_t guard_http_head(char *buf, apr_size_t size, int status,
                           const char *content_type, apr_size_t length,
                           apr_time_t date, const char *server,
                           const char *extra)
{
    char when[APR_RFC822_DATE_LEN];
    int n;

    apr_rfc822_date(when, date);
    n = apr_snprintf(buf, size,
                     "HTTP/1.1 %d %s\r\n"
                     "Date: %s\r\n"
                     "%s%s%s"
                     "Content-Type: %s\r\n"
                     "Content-Length: %" APR_SIZE_T_FMT "\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n"
                     "%s\r\n",
                     status, guard_http_reason(status), when,
                     server ? "Server: " : "", server ? server : "",
                     server ? "\r\n" : "", content_type, length,
                     extra ? extra : "");
    /* apr_snprintf returns the bytes written, at most size - 1. */
    if (n <= 0 || (apr_size_t)n >= size - 1) {
        return 0;
    }
    return (apr_size_t)n;
}
