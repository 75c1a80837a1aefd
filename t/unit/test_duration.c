/* SPDX-License-Identifier: Apache-2.0 */
/* Duration parsing and formatting. */
#include <string.h>
#include "guard_unit.h"
#include "guard_duration.h"

#define SENTINEL APR_INT64_C(-4242)

static const struct {
    const char *in;
    apr_interval_time_t usec;
} valid[] = {
    { "0",                 0 },
    { "1",                 APR_INT64_C(1000000) },
    { "007",               APR_INT64_C(7000000) },
    { "0ms",               0 },
    { "1ms",               APR_INT64_C(1000) },
    { "250ms",             APR_INT64_C(250000) },
    { "2s",                APR_INT64_C(2000000) },
    { "1m",                APR_INT64_C(60000000) },
    { "90m",               APR_INT64_C(5400000000) },
    { "1h",                APR_INT64_C(3600000000) },
    { "48h",               APR_INT64_C(172800000000) },
    /* The largest values whose microseconds still fit an apr_int64_t. */
    { "9223372036854",     APR_INT64_C(9223372036854000000) },
    { "9223372036854775ms", APR_INT64_C(9223372036854775000) },
    { "2562047788h",       APR_INT64_C(9223372036800000000) },
    { "153722867280m",     APR_INT64_C(9223372036800000000) },
};

static const struct {
    const char *in;
    const char *err;
} invalid[] = {
    { NULL,                   "empty" },
    { "",                     "empty" },
    { "-1",                   "not a number" },
    { "+1",                   "not a number" },
    { "1.5s",                 "not a number" },
    { "1 s",                  "not a number" },
    { " 1s",                  "not a number" },
    { "1s ",                  "not a number" },
    { "1s\n",                 "not a number" },
    { "s",                    "not a number" },
    { "ms",                   "not a number" },
    { "0x10",                 "not a number" },
    { "1e3",                  "not a number" },
    { "10x",                  "unknown unit" },
    { "1S",                   "unknown unit" },
    { "1us",                  "unknown unit" },
    { "1msx",                 "unknown unit" },
    { "1sec",                 "unknown unit" },
    { "9223372036855",        "too large" },
    { "9223372036854776ms",   "too large" },
    { "2562047789h",          "too large" },
    { "153722867281m",        "too large" },
    { "99999999999999h",      "too large" },
    { "9223372036854775808",  "too large" },
    { "99999999999999999999999999ms", "too large" },
};

START_TEST(parse_valid)
{
    apr_interval_time_t d = SENTINEL;
    const char *err = guard_duration_parse(valid[_i].in, &d);

    ck_assert_msg(err == NULL, "\"%s\": %s", valid[_i].in, err);
    ck_assert_msg(d == valid[_i].usec, "\"%s\": %" APR_INT64_T_FMT,
                  valid[_i].in, d);
}
END_TEST

START_TEST(parse_invalid)
{
    apr_interval_time_t d = SENTINEL;
    const char *err = guard_duration_parse(invalid[_i].in, &d);

    ck_assert_msg(err != NULL, "\"%s\" accepted", invalid[_i].in);
    ck_assert_str_eq(err, invalid[_i].err);
    ck_assert_msg(d == SENTINEL, "\"%s\": out was written", invalid[_i].in);
}
END_TEST

static const struct {
    apr_interval_time_t usec;
    const char *out;
} formats[] = {
    { 0,                          "0s" },
    { 1,                          "1us" },
    { 1500,                       "1500us" },
    { APR_INT64_C(1000),          "1ms" },
    { APR_INT64_C(250000),        "250ms" },
    { APR_INT64_C(1500000),       "1500ms" },
    { APR_INT64_C(2000000),       "2s" },
    { APR_INT64_C(90000000),      "90s" },
    { APR_INT64_C(60000000),      "1m" },
    { APR_INT64_C(5400000000),    "90m" },
    { APR_INT64_C(3600000000),    "1h" },
    { APR_INT64_C(172800000000),  "48h" },
};

START_TEST(format_units)
{
    char buf[32];

    memset(buf, 'Z', sizeof(buf));
    ck_assert_ptr_eq(guard_duration_format(formats[_i].usec, buf, sizeof(buf)),
                     buf);
    ck_assert_str_eq(buf, formats[_i].out);
}
END_TEST

/* What format writes, parse reads back: config dumps are re-loadable. */
START_TEST(format_round_trip)
{
    apr_interval_time_t d = SENTINEL;
    char buf[32];

    guard_duration_format(valid[_i].usec, buf, sizeof(buf));
    ck_assert_ptr_null(guard_duration_parse(buf, &d));
    ck_assert_msg(d == valid[_i].usec, "%s", buf);
}
END_TEST

START_TEST(format_small_buffer)
{
    char buf[8];

    memset(buf, 'Z', sizeof(buf));
    guard_duration_format(APR_INT64_C(250000), buf, 3);
    ck_assert_str_eq(buf, "25");
    ck_assert_int_eq(buf[3], 'Z');
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *guard_duration_suite(void)
{
    Suite *s = suite_create("duration");
    TCase *tc = tcase_create("parse");

    tcase_add_loop_test(tc, parse_valid, 0, COUNT(valid));
    tcase_add_loop_test(tc, parse_invalid, 0, COUNT(invalid));
    suite_add_tcase(s, tc);
    tc = tcase_create("format");
    tcase_add_loop_test(tc, format_units, 0, COUNT(formats));
    tcase_add_loop_test(tc, format_round_trip, 0, COUNT(valid));
    tcase_add_test(tc, format_small_buffer);
    suite_add_tcase(s, tc);
    return s;
}
