/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FastCGI of one status request (FCGI_BEGIN_REQUEST, PARAMS, STDIN)
 * and the parse of its reply (STDOUT, STDERR, END_REQUEST), fed in pieces
 * of any size as they arrive. Whatever the peer sends, the parser stays in
 * its buffer and ends in a verdict. Pure.
 */
#ifndef GUARD_FPM_FCGI_H
#define GUARD_FPM_FCGI_H

#include <apr.h>

#define GUARD_FCGI_BEGIN_REQUEST 1
#define GUARD_FCGI_END_REQUEST   3
#define GUARD_FCGI_PARAMS        4
#define GUARD_FCGI_STDIN         5
#define GUARD_FCGI_STDOUT        6
#define GUARD_FCGI_STDERR        7

/**
 * The request for GET path?query, in buf. @return its length, 0 when it
 * does not fit in cap (or path, query are too long for one record).
 */
apr_size_t guard_fcgi_request(const char *path, const char *query,
                              unsigned char *buf, apr_size_t cap);

typedef struct {
    unsigned char hdr[8];
    unsigned hlen;                /* header bytes held */
    unsigned type;                /* record in progress */
    apr_size_t content_left;      /* its content bytes still to come */
    apr_size_t padding_left;
    unsigned char end[8];         /* END_REQUEST's body */
    unsigned end_len;
    int ended;
    apr_uint32_t app_status;
    unsigned proto_status;
    char *out;                    /* STDOUT collects here */
    apr_size_t out_len;
    apr_size_t out_cap;
    apr_size_t stderr_bytes;
    const char *error;            /* why the reply is refused */
} guard_fcgi_reply_t;

/** Begin a reply; STDOUT goes to out (cap bytes at most). */
void guard_fcgi_reply_init(guard_fcgi_reply_t *r, char *out, apr_size_t cap);

/**
 * Feed n more bytes. @return 0: more expected; 1: END_REQUEST seen (bytes
 * after it are ignored); -1: refused, r->error says why.
 */
int guard_fcgi_reply_feed(guard_fcgi_reply_t *r, const unsigned char *data,
                          apr_size_t n);

/**
 * The body of a CGI reply (headers, a blank line, the body), when its
 * Status header, if any, is 200. @return NULL and *body, *blen; else why
 * not, in err.
 */
const char *guard_fcgi_body(const char *out, apr_size_t len,
                            const char **body, apr_size_t *blen, char *err,
                            apr_size_t errlen);

#endif
