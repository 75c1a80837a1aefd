/* SPDX-License-Identifier: Apache-2.0 */
/* Sinks, printf without limits, and the escaping of each output format. */
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_fmt.h"
#include "guard_sink.h"

static apr_pool_t *pool;
static guard_sink_t *out;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
    out = guard_sink_buffer(pool);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static const char *data(void)
{
    return guard_sink_buffer_data(out, NULL);
}

START_TEST(buffer_starts_empty)
{
    apr_size_t len = 99;

    ck_assert_str_eq(guard_sink_buffer_data(out, &len), "");
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(puts_and_printf_append)
{
    apr_size_t len;

    guard_puts(out, "a=");
    guard_printf(out, "%d,%s,%" APR_INT64_T_FMT, 42, "x", (apr_int64_t)-7);
    guard_puts(out, "");
    ck_assert_str_eq(guard_sink_buffer_data(out, &len), "a=42,x,-7");
    ck_assert_uint_eq(len, 9);
}
END_TEST

START_TEST(printf_has_no_length_limit)
{
    char *big = apr_palloc(pool, 10001);
    const char *got;
    apr_size_t len;

    memset(big, 'q', 10000);
    big[10000] = '\0';
    guard_printf(out, "<%s|%05d>", big, 7);
    got = guard_sink_buffer_data(out, &len);
    ck_assert_uint_eq(len, 10008);
    ck_assert_int_eq(got[0], '<');
    ck_assert_int_eq(strspn(got + 1, "q"), 10000);
    ck_assert_str_eq(got + 10001, "|00007>");
}
END_TEST

typedef struct {
    int calls;
    apr_size_t total;
} count_t;

static void count_write(void *ctx, const char *d, apr_size_t len)
{
    count_t *c = ctx;

    ck_assert_uint_gt(len, 0);
    c->calls++;
    c->total += len;
}

START_TEST(printf_flushes_in_pieces)
{
    count_t c = { 0, 0 };
    guard_sink_t s = { count_write, &c };
    char big[1001];

    memset(big, 'z', 1000);
    big[1000] = '\0';
    guard_printf(&s, "%s", big);
    ck_assert_uint_eq(c.total, 1000);
    ck_assert_int_ge(c.calls, 2);
    guard_printf(&s, "%s", "");
    ck_assert_uint_eq(c.total, 1000);
}
END_TEST

START_TEST(buffer_grows)
{
    apr_size_t len;
    const char *got;
    int i;

    for (i = 0; i < 5000; i++) {
        guard_printf(out, "%d;", i % 10);
    }
    got = guard_sink_buffer_data(out, &len);
    ck_assert_uint_eq(len, 10000);
    ck_assert_uint_eq(strlen(got), 10000);
    ck_assert(strncmp(got, "0;1;2;", 6) == 0);
    ck_assert_str_eq(got + 9994, "7;8;9;");
}
END_TEST

START_TEST(html_escapes_all_five)
{
    guard_put_html(out, "/<script>alert(\"x\")</script>&'ok'");
    ck_assert_str_eq(data(), "/&lt;script&gt;alert(&quot;x&quot;)"
                     "&lt;/script&gt;&amp;&#39;ok&#39;");
}
END_TEST

START_TEST(html_keeps_plain_text)
{
    guard_put_html(out, "plain text/123");
    guard_put_html(out, "");
    ck_assert_str_eq(data(), "plain text/123");
}
END_TEST

START_TEST(json_quotes_and_escapes)
{
    guard_put_json_str(out, "a\"b\\c\nd\re\tf\bg\fh");
    ck_assert_str_eq(data(), "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\"");
}
END_TEST

START_TEST(json_empty_string)
{
    guard_put_json_str(out, "");
    ck_assert_str_eq(data(), "\"\"");
}
END_TEST

START_TEST(json_control_bytes_as_u00xx)
{
    guard_put_json_str(out, "\x01-\x1f-\x7f-\x1b");
    ck_assert_str_eq(data(), "\"\\u0001-\\u001f-\\u007f-\\u001b\"");
}
END_TEST

START_TEST(json_keeps_valid_utf8)
{
    /* U+00E9, U+20AC, U+1F600, U+FFFD, U+10FFFF */
    const char *s = "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd "
                    "\xf4\x8f\xbf\xbf";

    guard_put_json_str(out, s);
    ck_assert_str_eq(data(), apr_pstrcat(pool, "\"", s, "\"", NULL));
}
END_TEST

START_TEST(json_escapes_invalid_utf8)
{
    /* lone continuation, overlong, surrogate, above U+10FFFF, 0xff */
    guard_put_json_str(out, "\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xff");
    ck_assert_str_eq(data(), "\"\\u0080|\\u00c0\\u00af|\\u00ed\\u00a0\\u0080|"
                     "\\u00f4\\u0090\\u0080\\u0080|\\u00ff\"");
}
END_TEST

START_TEST(json_truncated_utf8_at_end)
{
    guard_put_json_str(out, "x\xe2\x82");
    ck_assert_str_eq(data(), "\"x\\u00e2\\u0082\"");
}
END_TEST

START_TEST(json_hostile_uri)
{
    guard_put_json_str(out, "/<script>alert(\"x\")</script>");
    ck_assert_str_eq(data(), "\"/<script>alert(\\\"x\\\")</script>\"");
}
END_TEST

START_TEST(prom_escapes_label_value)
{
    guard_put_prom_label(out, "ev\"il\\host\nx");
    ck_assert_str_eq(data(), "ev\\\"il\\\\host\\nx");
}
END_TEST

START_TEST(prom_keeps_other_bytes)
{
    guard_put_prom_label(out, "a b/<c>'d'\t");
    ck_assert_str_eq(data(), "a b/<c>'d'\t");
}
END_TEST

START_TEST(numbers_as_printf_writes_them)
{
    guard_put_int(out, 0);
    guard_putc(out, ' ');
    guard_put_int(out, -7);
    guard_putc(out, ' ');
    guard_put_int(out, APR_INT64_MIN);
    guard_putc(out, ' ');
    guard_put_int(out, APR_INT64_MAX);
    guard_putc(out, ' ');
    guard_put_uint(out, APR_UINT64_MAX);
    guard_put_lit(out, " ok");
    ck_assert_str_eq(data(), apr_psprintf(pool, "0 -7 %" APR_INT64_T_FMT
                                          " %" APR_INT64_T_FMT " %"
                                          APR_UINT64_T_FMT " ok",
                                          APR_INT64_MIN, APR_INT64_MAX,
                                          APR_UINT64_MAX));
}
END_TEST

/* A buffered sink hands on whole buffers, in order, and the rest when
 * flushed; a piece larger than the buffer goes through as it is. */
typedef struct {
    char got[4096];
    apr_size_t len;
    int calls;
    apr_size_t largest;
} collect_t;

static void collect_write(void *ctx, const char *d, apr_size_t len)
{
    collect_t *c = ctx;

    ck_assert_uint_le(c->len + len, sizeof(c->got));
    memcpy(c->got + c->len, d, len);
    c->len += len;
    c->calls++;
    if (len > c->largest) {
        c->largest = len;
    }
}

START_TEST(buffered_sink_writes_whole_buffers)
{
    collect_t c = { "", 0, 0, 0 };
    char buf[16], big[41];
    guard_sink_t s;
    int i;

    guard_sink_init(&s, buf, sizeof(buf), collect_write, &c);
    for (i = 0; i < 10; i++) {
        guard_printf(&s, "%d;", i);
    }
    ck_assert_int_eq(c.calls, 1);
    ck_assert_uint_eq(c.len, 16);
    memset(big, 'b', 40);
    big[40] = '\0';
    guard_puts(&s, big);
    guard_put_json_str(&s, "q\"");
    guard_sink_flush(&s);
    guard_sink_flush(&s);
    c.got[c.len] = '\0';
    ck_assert_str_eq(c.got, apr_pstrcat(pool, "0;1;2;3;4;5;6;7;8;9;", big,
                                        "\"q\\\"\"", NULL));
    ck_assert_uint_eq(c.largest, 40);
}
END_TEST

START_TEST(bounded_escapes_stop_at_the_bound)
{
    /* a field full to its last byte, as a torn copy leaves it */
    guard_put_htmln(out, "<ab>", 2);
    guard_put_json_strn(out, "x\"yz", 2);
    guard_put_json_strn(out, "a\xe2\x82\xac", 3);
    guard_put_json_strn(out, "a\xe2\x82\xac", 4);
    guard_put_json_strn(out, "ab\0cd", 5);
    guard_put_prom_label_ascii(out, "\xc3\xa9\"\\\n!", 5);
    ck_assert_str_eq(data(), "&lt;a\"x\\\"\"\"a\\u00e2\\u0082\"\"a\xe2\x82\xac\""
                     "\"ab\"??\\\"\\\\\\n");
}
END_TEST

START_TEST(fmt_dec_ends_at_its_nul)
{
    char buf[GUARD_FMT_DEC_LEN + 2];
    char *end;

    memset(buf, 'x', sizeof(buf));
    end = guard_fmt_dec(buf, APR_INT64_MIN);
    ck_assert_str_eq(buf, "-9223372036854775808");
    ck_assert_ptr_eq(end, buf + GUARD_FMT_DEC_LEN - 1);
    ck_assert_int_eq(buf[GUARD_FMT_DEC_LEN], 'x');
    end = guard_fmt_udec(buf, APR_UINT64_MAX);
    ck_assert_str_eq(buf, "18446744073709551615");
    ck_assert_ptr_eq(end, buf + GUARD_FMT_DEC_LEN - 1);
    end = guard_fmt_dec(buf, 0);
    ck_assert_str_eq(buf, "0");
    ck_assert_ptr_eq(end, buf + 1);
}
END_TEST

Suite *guard_sink_suite(void)
{
    Suite *s = suite_create("sink");
    TCase *tc = tcase_create("sink");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, buffer_starts_empty);
    tcase_add_test(tc, puts_and_printf_append);
    tcase_add_test(tc, printf_has_no_length_limit);
    tcase_add_test(tc, printf_flushes_in_pieces);
    tcase_add_test(tc, buffer_grows);
    tcase_add_test(tc, html_escapes_all_five);
    tcase_add_test(tc, html_keeps_plain_text);
    tcase_add_test(tc, json_quotes_and_escapes);
    tcase_add_test(tc, json_empty_string);
    tcase_add_test(tc, json_control_bytes_as_u00xx);
    tcase_add_test(tc, json_keeps_valid_utf8);
    tcase_add_test(tc, json_escapes_invalid_utf8);
    tcase_add_test(tc, json_truncated_utf8_at_end);
    tcase_add_test(tc, json_hostile_uri);
    tcase_add_test(tc, prom_escapes_label_value);
    tcase_add_test(tc, prom_keeps_other_bytes);
    tcase_add_test(tc, numbers_as_printf_writes_them);
    tcase_add_test(tc, fmt_dec_ends_at_its_nul);
    tcase_add_test(tc, buffered_sink_writes_whole_buffers);
    tcase_add_test(tc, bounded_escapes_stop_at_the_bound);
    suite_add_tcase(s, tc);
    return s;
}
