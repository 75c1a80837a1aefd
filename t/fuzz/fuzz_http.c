/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request-head parser of the status listener (guard_http_parse) and
 * its response head (guard_http_head). Checks: results in range; an
 * error has a status the listener answers; a complete head is MORE at
 * every shorter prefix (errors only when certain) and the same request
 * when cut at head_len; an incomplete head is an error at EOF. The Host
 * check (guard_listen_host.c) on the Host value the parser kept and on the
 * head's bytes: answers in range, case does not matter, a name that
 * GuardStatusHost accepts is a Host that matches once added.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "guard_listen_http.h"
#include "guard_listen_host.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

static apr_pool_t *pool;

static guard_http_result_e parse(const char *buf, size_t len, int eof,
                                 guard_http_req_t *req)
{
    char *copy = fz_dup((const uint8_t *)buf, len);   /* ASan: exact size */
    guard_http_result_e rv = guard_http_parse(copy, len, eof, pool, req);

    if (rv == GUARD_HTTP_OK) {
        req->path = apr_pstrdup(pool, req->path);
        FZ_ASSERT(req->path[0] == '/' && !strchr(req->path, '?'));
        FZ_ASSERT(req->host || req->minor == 0);
        if (req->host) {
            size_t hl = strlen(req->host);

            req->host = apr_pstrdup(pool, req->host);
            FZ_ASSERT(!strpbrk(req->host, "\r\n"));
            FZ_ASSERT(hl == 0 || (req->host[0] != ' ' && req->host[0] != '\t'
                                  && req->host[hl - 1] != ' '
                                  && req->host[hl - 1] != '\t'));
        }
    }
    free(copy);
    return rv;
}

static void check_result(guard_http_result_e rv, const guard_http_req_t *req,
                         size_t len)
{
    static const int statuses[] = { 400, 405, 413, 414, 431, 505 };
    size_t i;

    if (rv == GUARD_HTTP_ERROR) {
        for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
            if (req->status == statuses[i]) {
                break;
            }
        }
        FZ_ASSERT(i < sizeof(statuses) / sizeof(statuses[0]));
        FZ_ASSERT(req->error && *req->error);
        FZ_ASSERT(*guard_http_reason(req->status));
        return;
    }
    FZ_ASSERT(rv == GUARD_HTTP_MORE || rv == GUARD_HTTP_OK);
    if (rv == GUARD_HTTP_OK) {
        FZ_ASSERT(req->head_len > 0 && req->head_len <= len
                  && req->head_len <= GUARD_HTTP_MAX_HEAD);
        FZ_ASSERT(req->minor == 0 || req->minor == 1);
    }
}

static int same_request(const guard_http_req_t *a, const guard_http_req_t *b)
{
    return a->head == b->head && a->minor == b->minor
           && a->head_len == b->head_len && !strcmp(a->path, b->path)
           && (a->query ? b->query && !strcmp(a->query, b->query)
                        : !b->query);
}

static void check_prefixes(const char *buf, const guard_http_req_t *req,
                           const size_t *cuts)
{
    guard_http_req_t again;
    int i;

    for (i = 0; i < 4; i++) {
        size_t cut = cuts[i] % req->head_len;

        if (parse(buf, cut, 0, &again) != GUARD_HTTP_MORE) {
            fz_fail(buf, cut, "a prefix of a valid head is not MORE");
        }
    }
    if (parse(buf, req->head_len, 1, &again) != GUARD_HTTP_OK
        || !same_request(req, &again)) {
        fz_fail(buf, req->head_len, "the head alone parses differently");
    }
}

static int host_answer(const guard_host_set_t *set, const char *value)
{
    int st = guard_host_check(set, value);

    FZ_ASSERT(st == GUARD_HOST_OK || st == GUARD_HOST_INVALID
              || st == GUARD_HOST_OTHER);
    return st;
}

/* value: a Host field's value, or a name for GuardStatusHost. */
static void check_host(const char *value)
{
    guard_ip_t ip;
    guard_host_set_t *set;
    char *upper = apr_pstrdup(pool, value), *c;
    int st;

    guard_ip_parse_listen("127.0.0.1:8099", &ip);
    set = guard_host_set_make(pool, &ip);
    guard_host_set_add(set, pool, "web1.example.org");
    st = host_answer(set, value);
    for (c = upper; *c; c++) {
        *c = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
    }
    FZ_ASSERT(host_answer(set, upper) == st);
    if (guard_host_name_check(value) == NULL) {
        FZ_ASSERT(guard_host_set_add(set, pool, value) == NULL);
        FZ_ASSERT(host_answer(set, strchr(value, ':')
                  ? apr_pstrcat(pool, "[", value, "]:80", NULL)
                  : apr_pstrcat(pool, value, ":80", NULL)) == GUARD_HOST_OK);
        FZ_ASSERT(host_answer(set, upper) == GUARD_HOST_OK
                  || strchr(value, ':'));
    }
}

/* The response head, with strings taken from the request bytes. */
static void check_response_head(fz_input_t *in, const char *buf, size_t len)
{
    size_t size = (size_t)fz_range(in, 1, 600), n, k;
    int status = (int)fz_range(in, 100, 599);
    apr_size_t length = (apr_size_t)fz_u64(in);
    apr_time_t date = fz_range(in, 0, APR_INT64_C(1) << 52);
    int flags = fz_u8(in);
    char *out = malloc(size), text[3][64];

    for (k = 0; k < 3; k++) {
        size_t take = len < 63 ? len : 63;

        memcpy(text[k], buf, take);
        text[k][strnlen(buf, take)] = '\0';
        buf += take;
        len -= take;
    }
    n = guard_http_head(out, size, status, text[0], length, date,
                        (flags & 1) ? text[1] : NULL,
                        (flags & 2) ? text[2] : NULL);
    FZ_ASSERT(n < size);
    FZ_ASSERT(n == 0 || (strlen(out) == n && !memcmp(out, "HTTP/1.1 ", 9)));
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    guard_http_req_t req;
    guard_http_result_e rv;
    size_t cuts[4], len;
    const char *buf = (const char *)data;
    char *raw;
    int eof, i;

    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    /* Numbers from the back, a fixed amount; the head is the rest. */
    fz_init(&in, data, size);
    eof = fz_bool(&in);
    for (i = 0; i < 4; i++) {
        cuts[i] = (size_t)fz_bytes(&in, 2);
    }
    len = fz_left(&in);
    rv = parse(buf, len, eof, &req);
    check_result(rv, &req, len);
    if (rv == GUARD_HTTP_OK) {
        check_prefixes(buf, &req, cuts);
        if (req.host) {
            check_host(req.host);
        }
    }
    else if (rv == GUARD_HTTP_MORE) {
        FZ_ASSERT(!eof);
        FZ_ASSERT(parse(buf, len, 1, &req) == GUARD_HTTP_ERROR);
    }
    raw = fz_cstr(data, len < 300 ? len : 300);
    check_host(raw);
    free(raw);
    /* The response head's numbers overlap the head's bytes: no matter. */
    fz_init(&in, data, size);
    check_response_head(&in, buf, len);
    apr_pool_clear(pool);
    return 0;
}
