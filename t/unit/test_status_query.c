/* SPDX-License-Identifier: Apache-2.0 */
/* The query of /guard-status. */
#include "guard_unit.h"
#include "guard_status_query.h"

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

static const struct {
    const char *args;
    guard_format_e format;
    int refresh;
    int pids;
} valid[] = {
    { NULL,                 GUARD_FMT_HTML,       0 },
    { "",                   GUARD_FMT_HTML,       0 },
    { "json",               GUARD_FMT_JSON,       0 },
    { "prometheus",         GUARD_FMT_PROMETHEUS, 0 },
    { "auto",               GUARD_FMT_AUTO,       0 },
    /* Exact tokens only: no substrings, no case folding, no decoding. */
    { "xjson",              GUARD_FMT_HTML,       0 },
    { "jsonp",              GUARD_FMT_HTML,       0 },
    { "JSON",               GUARD_FMT_HTML,       0 },
    { "json=1",             GUARD_FMT_HTML,       0 },
    { "%6Ason",             GUARD_FMT_HTML,       0 },
    { "autox&prom",         GUARD_FMT_HTML,       0 },
    { " json",              GUARD_FMT_HTML,       0 },
    /* The last format wins. */
    { "json&auto",          GUARD_FMT_AUTO,       0 },
    { "auto;json",          GUARD_FMT_JSON,       0 },
    { "json&prometheus",    GUARD_FMT_PROMETHEUS, 0 },
    { "&&json;;",           GUARD_FMT_JSON,       0 },
    { "foo=bar&json&x",     GUARD_FMT_JSON,       0 },
    { "refresh=5",          GUARD_FMT_HTML,       5 },
    { "refresh=1",          GUARD_FMT_HTML,       1 },
    { "refresh=3600",       GUARD_FMT_HTML,       3600 },
    { "refresh=0010",       GUARD_FMT_HTML,       10 },
    { "json&refresh=10",    GUARD_FMT_JSON,       10 },
    { "refresh=10;refresh=20", GUARD_FMT_HTML,    20 },
    { "refreshx=5",         GUARD_FMT_HTML,       0 },
    { "xrefresh=5",         GUARD_FMT_HTML,       0 },
    { "Refresh=0",          GUARD_FMT_HTML,       0 },
    /* Prometheus' scrape params send "name=" for an empty value. */
    { "prometheus=",        GUARD_FMT_PROMETHEUS, 0 },
    { "json=",              GUARD_FMT_JSON,       0 },
    { "prometheus=&pids=",  GUARD_FMT_PROMETHEUS, 0, 1 },
    { "prometheus==",       GUARD_FMT_HTML,       0 },
    { "=",                  GUARD_FMT_HTML,       0 },
    /* pids: process and thread ids on Prometheus worker series. */
    { "prometheus&pids",    GUARD_FMT_PROMETHEUS, 0, 1 },
    { "pids;prometheus",    GUARD_FMT_PROMETHEUS, 0, 1 },
    { "pids",               GUARD_FMT_HTML,       0, 1 },
    { "prometheus&pid",     GUARD_FMT_PROMETHEUS, 0, 0 },
    { "prometheus&pids=1",  GUARD_FMT_PROMETHEUS, 0, 0 },
    { "prometheus&PIDS",    GUARD_FMT_PROMETHEUS, 0, 0 },
};

START_TEST(query_valid)
{
    guard_query_t q = { GUARD_FMT_AUTO, 99 };
    const char *err = guard_query_parse(pool, valid[_i].args, &q);

    ck_assert_msg(err == NULL, "\"%s\": %s", valid[_i].args, err);
    ck_assert_int_eq(q.format, valid[_i].format);
    ck_assert_int_eq(q.refresh, valid[_i].refresh);
    ck_assert_int_eq(q.pids, valid[_i].pids);
}
END_TEST

#define REFRESH_ERR(tok) \
    "invalid refresh \"" tok "\": expected 1..3600 seconds"

static const struct {
    const char *args;
    const char *err;
} invalid[] = {
    { "refresh",                    REFRESH_ERR("refresh") },
    { "refresh=",                   REFRESH_ERR("refresh=") },
    { "refresh=0",                  REFRESH_ERR("refresh=0") },
    { "refresh=-1",                 REFRESH_ERR("refresh=-1") },
    { "refresh=+5",                 REFRESH_ERR("refresh=+5") },
    { "refresh=abc",                REFRESH_ERR("refresh=abc") },
    { "refresh=5x",                 REFRESH_ERR("refresh=5x") },
    { "refresh=5 ",                 REFRESH_ERR("refresh=5 ") },
    { "refresh=3601",               REFRESH_ERR("refresh=3601") },
    { "refresh=99999",              REFRESH_ERR("refresh=99999") },
    { "refresh=99999999999999999999",
      REFRESH_ERR("refresh=99999999999999999999") },
    { "refresh=%35",                REFRESH_ERR("refresh=%35") },
    { "refresh==5",                 REFRESH_ERR("refresh==5") },
    { "json&refresh=0&auto",        REFRESH_ERR("refresh=0") },
    { "refresh=5;refresh",          REFRESH_ERR("refresh") },
    { "refresh=<script>",           REFRESH_ERR("refresh=<script>") },
#define STACK_ERR(t) "invalid stack \"" t "\": expected <child>.<thread>"
    { "stack",                      STACK_ERR("stack") },
    { "stack=",                     STACK_ERR("stack=") },
    { "stack=3",                    STACK_ERR("stack=3") },
    { "stack=3.",                   STACK_ERR("stack=3.") },
    { "stack=.4",                   STACK_ERR("stack=.4") },
    { "stack=-1.2",                 STACK_ERR("stack=-1.2") },
    { "stack=1.2.3",                STACK_ERR("stack=1.2.3") },
    { "json&stack=<b>",             STACK_ERR("stack=<b>") },
    { "stack=99999999.0",           STACK_ERR("stack=99999999.0") },
};

START_TEST(query_stack)
{
    guard_query_t q;

    ck_assert_ptr_null(guard_query_parse(pool, "json", &q));
    ck_assert_int_eq(q.stack_child, -1);
    ck_assert_int_eq(q.stack_thread, -1);
    ck_assert_ptr_null(guard_query_parse(pool, "stack=3.17&json", &q));
    ck_assert_int_eq(q.stack_child, 3);
    ck_assert_int_eq(q.stack_thread, 17);
    ck_assert_int_eq(q.format, GUARD_FMT_JSON);
    /* Not this selector: ignored like any unknown token. */
    ck_assert_ptr_null(guard_query_parse(pool, "stacks=1.2", &q));
    ck_assert_int_eq(q.stack_child, -1);
}
END_TEST

START_TEST(query_invalid)
{
    guard_query_t q = { GUARD_FMT_AUTO, 99 };
    const char *err = guard_query_parse(pool, invalid[_i].args, &q);

    ck_assert_msg(err != NULL, "\"%s\" accepted", invalid[_i].args);
    ck_assert_str_eq(err, invalid[_i].err);
    /* The caller answers 400; it never sees half a parse. */
    ck_assert_int_eq(q.format, GUARD_FMT_HTML);
    ck_assert_int_eq(q.refresh, 0);
}
END_TEST

Suite *guard_status_query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, query_valid, 0, COUNT(valid));
    tcase_add_loop_test(tc, query_invalid, 0, COUNT(invalid));
    tcase_add_test(tc, query_stack);
    suite_add_tcase(s, tc);
    return s;
}
