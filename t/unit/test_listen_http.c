/* SPDX-License-Identifier: Apache-2.0 */
/* The request-head parser and response head of the status listener. */
#include <string.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_listen_http.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static guard_http_result_e parse(const char *s, int eof, guard_http_req_t *r)
{
    return guard_http_parse(s, strlen(s), eof, pool, r);
}

static const struct {
    const char *head;
    int head_only;
    int minor;
    const char *path;
    const char *query;          /* NULL: none */
} valid[] = {
    { "GET /guard-status HTTP/1.1\r\nHost: x\r\n\r\n", 0, 1,
      "/guard-status", NULL },
    { "GET /guard-status?json HTTP/1.1\r\nHost: x\r\n\r\n", 0, 1,
      "/guard-status", "json" },
    { "HEAD /guard-status?refresh=5&auto HTTP/1.1\r\nHost: x\r\n\r\n", 1, 1,
      "/guard-status", "refresh=5&auto" },
    { "GET /guard-status HTTP/1.0\r\n\r\n", 0, 0, "/guard-status", NULL },
    { "GET / HTTP/1.0\n\n", 0, 0, "/", NULL },
    { "GET /a? HTTP/1.1\r\nHost:x\r\n\r\n", 0, 1, "/a", "" },
    { "GET /%41%00 HTTP/1.1\r\nHost: \t x \t\r\nUser-Agent: \xc3\xa9t\xe9\r\n"
      "Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 0, 1, "/%41%00",
      NULL },
    { "GET /x HTTP/1.1\r\nhOsT: x\r\nX-Empty:\r\n\r\nPOST / HTTP/1.1\r\n",
      0, 1, "/x", NULL },
};

START_TEST(parses_valid)
{
    guard_http_req_t r;
    const char *h = valid[_i].head;

    ck_assert_int_eq(parse(h, 0, &r), GUARD_HTTP_OK);
    ck_assert_int_eq(r.head, valid[_i].head_only);
    ck_assert_int_eq(r.minor, valid[_i].minor);
    ck_assert_str_eq(r.path, valid[_i].path);
    if (valid[_i].query) {
        ck_assert_ptr_nonnull(r.query);
        ck_assert_str_eq(r.query, valid[_i].query);
    }
    else {
        ck_assert_ptr_null(r.query);
    }
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_le(r.head_len, strlen(h));
    ck_assert(r.head_len > 4 && h[r.head_len - 1] == '\n');
}
END_TEST

static const struct {
    const char *head;
    int status;
} invalid[] = {
    /* Request line. */
    { "\r\n", 400 },
    { "GET\r\n\r\n", 400 },
    { "GET /x\r\n\r\n", 400 },                     /* HTTP/0.9 */
    { "GET  /x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /x  HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { " GET /x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /x HTTP/1.1 \r\nHost: x\r\n\r\n", 400 },
    { "GET\t/x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET http://h/x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\rHost: x\r\n\r\n", 400 },
    { "GET /x http/1.1\r\nHost: x\r\n\r\n", 400 },
    { "GET /x HTTP/1.10\r\nHost: x\r\n\r\n", 400 },
    { "GET /x HTTP/11\r\nHost: x\r\n\r\n", 400 },
    { "GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
    { "GET /x HTTP/1.2\r\nHost: x\r\n\r\n", 505 },
    { "GET /x HTTP/0.9\r\nHost: x\r\n\r\n", 505 },
    { "G@T /x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "get /x HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
    { "POST /x HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
    { "OPTIONS /x HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
    { "DELETE /guard-status HTTP/1.0\r\n\r\n", 405 },
    { "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ /x HTTP/1.1\r\n\r\n", 400 },
    /* Header fields. */
    { "GET /x HTTP/1.1\r\n\r\n", 400 },               /* no Host */
    { "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
    { "GET /x HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nA\x01: b\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nA: b\x01\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nA: b\x7f\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\n\r\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 413 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n", 413 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
      "Content-Length: 1\r\n\r\n", 400 },
    { "GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      413 },
};

START_TEST(refuses_invalid)
{
    guard_http_req_t r;

    ck_assert_int_eq(parse(invalid[_i].head, 0, &r), GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, invalid[_i].status);
    ck_assert_ptr_nonnull(r.error);
    ck_assert(*r.error);
}
END_TEST

/* Every prefix of a valid head asks for more; at EOF it is a 400. */
START_TEST(prefixes_need_more)
{
    const char *h = "GET /guard-status?json HTTP/1.1\r\nHost: x\r\n"
                    "Accept: */*\r\n\r\n";
    apr_size_t n, len = strlen(h);
    guard_http_req_t r;

    for (n = 0; n < len; n++) {
        ck_assert_int_eq(guard_http_parse(h, n, 0, pool, &r),
                         GUARD_HTTP_MORE);
        ck_assert_int_eq(guard_http_parse(h, n, 1, pool, &r),
                         GUARD_HTTP_ERROR);
        ck_assert_int_eq(r.status, 400);
    }
    ck_assert_int_eq(guard_http_parse(h, len, 0, pool, &r), GUARD_HTTP_OK);
    ck_assert_uint_eq(r.head_len, len);
}
END_TEST

/* A bad request line is answered as soon as it is complete, without
 * waiting for the rest of the head. */
START_TEST(early_errors)
{
    guard_http_req_t r;

    ck_assert_int_eq(parse("POST /guard-status HTTP/1.1\r\n", 0, &r),
                     GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 405);
    ck_assert_int_eq(parse("GET /x HTTP/3\r\nHost: x\r\n", 0, &r),
                     GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(parse("GET /x HTTP/1.1\r\nBad Name: x\r\n", 0, &r),
                     GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 400);
}
END_TEST

static char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(bounded_size)
{
    guard_http_req_t r;
    apr_size_t max = GUARD_HTTP_MAX_HEAD;
    char *line, *big;
    int i;

    /* A request line that never ends: 414 once past the bound. */
    line = apr_pstrcat(pool, "GET /", repeat('a', max), NULL);
    ck_assert_int_eq(guard_http_parse(line, max, 0, pool, &r),
                     GUARD_HTTP_MORE);
    ck_assert_int_eq(guard_http_parse(line, max + 1, 0, pool, &r),
                     GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 414);

    /* Header fields past the bound: 431. */
    big = apr_pstrcat(pool, "GET / HTTP/1.1\r\nHost: x\r\nX: ",
                      repeat('b', max), "\r\n\r\n", NULL);
    ck_assert_int_eq(guard_http_parse(big, max + 1, 0, pool, &r),
                     GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 431);

    /* Exactly at the bound is fine. */
    big = apr_pstrcat(pool, "GET / HTTP/1.1\r\nHost: x\r\nX: ", NULL);
    big = apr_pstrcat(pool, big, repeat('c', max - strlen(big) - 4),
                      "\r\n\r\n", NULL);
    ck_assert_uint_eq(strlen(big), max);
    ck_assert_int_eq(parse(big, 0, &r), GUARD_HTTP_OK);

    /* Too many fields, each small. */
    big = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (i = 0; i < GUARD_HTTP_MAX_FIELDS; i++) {
        big = apr_pstrcat(pool, big, "A: b\r\n", NULL);
    }
    ck_assert_int_eq(parse(big, 0, &r), GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 431);
}
END_TEST

/* The Host value is kept, without the spaces around it, for the Host
 * check; HTTP/1.0 may leave it out, but not give two. */
START_TEST(keeps_host)
{
    guard_http_req_t r;

    ck_assert_int_eq(parse("GET /x HTTP/1.1\r\nhost: \t Evil.Example:80 "
                           "\t\r\n\r\n", 0, &r), GUARD_HTTP_OK);
    ck_assert_str_eq(r.host, "Evil.Example:80");
    ck_assert_int_eq(parse("GET /x HTTP/1.1\r\nHost:\r\n\r\n", 0, &r),
                     GUARD_HTTP_OK);
    ck_assert_str_eq(r.host, "");
    ck_assert_int_eq(parse("GET /x HTTP/1.0\r\nHost: [::1]:8099\r\n\r\n",
                           0, &r), GUARD_HTTP_OK);
    ck_assert_str_eq(r.host, "[::1]:8099");
    ck_assert_int_eq(parse("GET /x HTTP/1.0\r\n\r\n", 0, &r),
                     GUARD_HTTP_OK);
    ck_assert_ptr_null(r.host);
    ck_assert_int_eq(parse("GET /x HTTP/1.0\r\nHost: a\r\nHost: a\r\n"
                           "\r\n", 0, &r), GUARD_HTTP_ERROR);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(guard_http_reason(421), "Misdirected Request");
}
END_TEST

START_TEST(response_head)
{
    char buf[512];
    apr_size_t n;

    n = guard_http_head(buf, sizeof(buf), 200, "application/json", 1234,
                        apr_time_from_sec(784111777), "Apache", NULL);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_str_eq(buf,
                     "HTTP/1.1 200 OK\r\n"
                     "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                     "Server: Apache\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: 1234\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n");
    n = guard_http_head(buf, sizeof(buf), 405, "text/plain", 0, 0, NULL,
                        "Allow: GET, HEAD\r\n");
    ck_assert(n > 0);
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nAllow: GET, HEAD\r\n\r\n"));
    ck_assert_ptr_null(strstr(buf, "Server:"));
    /* Too small a buffer: nothing, never a truncated head. */
    ck_assert_uint_eq(guard_http_head(buf, 40, 200, "text/plain", 1, 0,
                                      NULL, NULL), 0);
    ck_assert_str_eq(guard_http_reason(431),
                     "Request Header Fields Too Large");
    ck_assert_str_eq(guard_http_reason(999), "");
}
END_TEST

Suite *guard_listen_http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, parses_valid, 0, COUNT(valid));
    tcase_add_loop_test(tc, refuses_invalid, 0, COUNT(invalid));
    tcase_add_test(tc, prefixes_need_more);
    tcase_add_test(tc, early_errors);
    tcase_add_test(tc, bounded_size);
    tcase_add_test(tc, keeps_host);
    tcase_add_test(tc, response_head);
    suite_add_tcase(s, tc);
    return s;
}
