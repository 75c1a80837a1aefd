/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The little HTTP/1.x of the out-of-band status listener: a strict,
 * bounded parser of a request head and the response head. Pure: no httpd.
 */
#ifndef GUARD_LISTEN_HTTP_H
#define GUARD_LISTEN_HTTP_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

/* A request head (request line, fields, empty line) is at most this long. */
#define GUARD_HTTP_MAX_HEAD    8192
/* At most this many header fields. */
#define GUARD_HTTP_MAX_FIELDS  64
/* Longest method name recognised as a method at all (405, not 400). */
#define GUARD_HTTP_MAX_METHOD  32

typedef enum {
    GUARD_HTTP_MORE = 0,        /* incomplete: read more */
    GUARD_HTTP_OK,              /* a complete, valid GET or HEAD */
    GUARD_HTTP_ERROR            /* answer status, then close */
} guard_http_result_e;

typedef struct {
    int head;                   /* 1: HEAD, 0: GET */
    int minor;                  /* HTTP/1.<minor>: 0 or 1 */
    const char *path;           /* request target up to '?', not decoded */
    const char *query;          /* after '?', or NULL */
    const char *host;           /* the Host field's value without the
                                 * spaces around it, or NULL: none */
    int status;                 /* on GUARD_HTTP_ERROR: 400, 405, 413 ... */
    const char *error;          /* on GUARD_HTTP_ERROR: why, for the body */
    apr_size_t head_len;        /* on GUARD_HTTP_OK: bytes of the head */
} guard_http_req_t;

/**
 * Parse what has arrived of a request head. Call again with the longer
 * buffer after each read. Errors are reported as early as they are
 * certain: a bad or non-GET request line as soon as that line is complete.
 * Strict: single spaces in the request line, origin-form targets of
 * visible ASCII only, HTTP/1.0 or HTTP/1.1, header names that are tokens
 * with the colon right after, no obsolete line folding, exactly one Host
 * for HTTP/1.1 and at most one for HTTP/1.0 (its value is kept in
 * req->host, not checked: guard_listen_host.h), no body (Content-Length
 * other than 0, Transfer-Encoding).
 * Lines end in CRLF or LF. Bytes after the head are ignored.
 * @param buf  what was read so far; need not be NUL-terminated
 * @param len  its length; more than GUARD_HTTP_MAX_HEAD without a complete
 *             head is an error (414 in the request line, else 431)
 * @param eof  1 when the client closed its side: incomplete is then 400
 * @param p    strings of req are allocated from p
 */
guard_http_result_e guard_http_parse(const char *buf, apr_size_t len, int eof,
                                     apr_pool_t *p, guard_http_req_t *req);

/** The reason phrase of a status code the listener sends ("" if unknown). */
const char *guard_http_reason(int status);

/**
 * Write a response head for "Connection: close" into buf: status line,
 * Date, Server (if server != NULL), Content-Type, Content-Length,
 * Cache-Control: no-store, X-Content-Type-Options: nosniff, Connection,
 * then extra (whole header lines each ending in CRLF, or NULL).
 * @return its length, or 0 when it does not fit in size
 */
apr_size_t guard_http_head(char *buf, apr_size_t size, int status,
                           const char *content_type, apr_size_t length,
                           apr_time_t date, const char *server,
                           const char *extra);

#endif
