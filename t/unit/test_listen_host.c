/* SPDX-License-Identifier: Apache-2.0 */
/* The Host check of the status listener and GuardStatusHost's values. */
#include <string.h>
#include "guard_unit.h"
#include "guard_listen_host.h"

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

static guard_host_set_t *set_for(const char *listen)
{
    guard_ip_t ip;

    ck_assert_ptr_null(guard_ip_parse_listen(listen, &ip));
    return guard_host_set_make(pool, &ip);
}

static const struct {
    const char *listen;
    const char *host;
    int want;
} checks[] = {
    /* The listen address, with its port, another port or none. */
    { "127.0.0.1:8099", "127.0.0.1:8099", GUARD_HOST_OK },
    { "127.0.0.1:8099", "127.0.0.1", GUARD_HOST_OK },
    { "127.0.0.1:8099", "127.0.0.1:9000", GUARD_HOST_OK },
    { "127.0.0.1:8099", "localhost:8099", GUARD_HOST_OK },
    { "127.0.0.1:8099", "LocalHost", GUARD_HOST_OK },
    { "127.0.0.1:8099", "localhost.:8099", GUARD_HOST_OK },
    { "127.0.0.2:8099", "localhost", GUARD_HOST_OK },
    { "[::1]:8099", "[::1]:8099", GUARD_HOST_OK },
    { "[::1]:8099", "[0:0::1]", GUARD_HOST_OK },
    { "[::1]:8099", "localhost:8099", GUARD_HOST_OK },
    { "[fd00::5]:8099", "[FD00:0::5]:8099", GUARD_HOST_OK },
    { "10.0.0.5:8099", "10.0.0.5:8099", GUARD_HOST_OK },
    /* Well-formed names that are not the listener's: 421. */
    { "127.0.0.1:8099", "evil.example", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "evil.example:8099", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "localhost.evil.example", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "127.0.0.2:8099", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "[::1]:8099", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "[::ffff:127.0.0.1]:8099", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "127.0.0.1.evil.example", GUARD_HOST_OTHER },
    { "10.0.0.5:8099", "localhost:8099", GUARD_HOST_OTHER },
    { "10.0.0.5:8099", "127.0.0.1:8099", GUARD_HOST_OTHER },
    { "[::1]:8099", "127.0.0.1:8099", GUARD_HOST_OTHER },
    { "127.0.0.1:8099", "x", GUARD_HOST_OTHER },
    /* Not a host[:port]: 400. */
    { "127.0.0.1:8099", "", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", ":8099", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:0", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:65536", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:08099", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:80x", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:+80", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.0.0.1:8099:1", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.1", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "127.000.000.001", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "[127.0.0.1]", GUARD_HOST_INVALID },
    { "[::1]:8099", "::1", GUARD_HOST_INVALID },
    { "[::1]:8099", "[::1", GUARD_HOST_INVALID },
    { "[::1]:8099", "[::1]8099", GUARD_HOST_INVALID },
    { "[::1]:8099", "[::1%lo]", GUARD_HOST_INVALID },
    { "[::1]:8099", "[localhost]", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "local host", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "localhost..", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", ".localhost", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "a..b", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "user@localhost", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "localhost/x", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "l\xc3\xb6calhost", GUARD_HOST_INVALID },
    { "127.0.0.1:8099", "*.example", GUARD_HOST_INVALID },
};

START_TEST(host_checks)
{
    guard_host_set_t *set = set_for(checks[_i].listen);

    ck_assert_msg(guard_host_check(set, checks[_i].host) == checks[_i].want,
                  "listen %s, Host \"%s\": %d, want %d", checks[_i].listen,
                  checks[_i].host, guard_host_check(set, checks[_i].host),
                  checks[_i].want);
}
END_TEST

/* ServerName, ServerAlias and GuardStatusHost names. */
START_TEST(added_names)
{
    guard_host_set_t *set = set_for("10.0.0.5:8099");

    ck_assert_ptr_null(guard_host_set_add(set, pool, "Web1.Example.ORG."));
    ck_assert_ptr_null(guard_host_set_add(set, pool, "mgmt_web1"));
    ck_assert_ptr_null(guard_host_set_add(set, pool, "192.0.2.7"));
    ck_assert_ptr_null(guard_host_set_add(set, pool, "2001:DB8:0::7"));
    ck_assert_int_eq(guard_host_check(set, "web1.example.org:8099"),
                     GUARD_HOST_OK);
    ck_assert_int_eq(guard_host_check(set, "WEB1.example.org."),
                     GUARD_HOST_OK);
    ck_assert_int_eq(guard_host_check(set, "MGMT_web1:1"), GUARD_HOST_OK);
    ck_assert_int_eq(guard_host_check(set, "192.0.2.7:80"), GUARD_HOST_OK);
    ck_assert_int_eq(guard_host_check(set, "[2001:db8::7]:8099"),
                     GUARD_HOST_OK);
    ck_assert_int_eq(guard_host_check(set, "example.org"), GUARD_HOST_OTHER);
    ck_assert_int_eq(guard_host_check(set, "x.web1.example.org"),
                     GUARD_HOST_OTHER);
    ck_assert_int_eq(guard_host_check(set, "web1.example.org.evil"),
                     GUARD_HOST_OTHER);
    /* A bad name is refused and not added. */
    ck_assert_ptr_nonnull(guard_host_set_add(set, pool, "*.example.org"));
    ck_assert_int_eq(guard_host_check(set, "a.example.org"),
                     GUARD_HOST_OTHER);
    ck_assert_int_eq(set->names->nelts, 5);
}
END_TEST

static const char *const names_ok[] = {
    "localhost", "web1", "web1.example.org", "web1.example.org.",
    "WEB-1.Example.Org", "_status.example", "a", "1.example", "1a",
    "10.0.0.5", "::1", "2001:db8::1", "::ffff:10.0.0.1",
    /* 63-character label, 253-character name */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

START_TEST(name_valid)
{
    const char *err = guard_host_name_check(names_ok[_i]);

    ck_assert_msg(err == NULL, "refused \"%s\": %s", names_ok[_i], err);
}
END_TEST

static const struct {
    const char *in;
    const char *why;            /* a part of the message */
} names_bad[] = {
    { "", "empty" },
    { "*", "wildcard" },
    { "*.example.org", "wildcard" },
    { "web?.example.org", "wildcard" },
    { "[::1]", "brackets" },
    { "localhost:8099", "no port" },
    { "10.0.0.5:8099", "no port" },
    { "a..b", "empty label" },
    { ".a", "empty label" },
    { "a.b..", "empty label" },
    { "a b", "letters, digits" },
    { "a/b", "letters, digits" },
    { "\xc3\xa9t\xc3\xa9.example", "letters, digits" },
    { "127.1", "IPv4" },
    { "10.0.0.05", "IPv4" },
    { "1.2.3.4.5", "IPv4" },
    { "fe80::1%lo", "IPv6" },
    { "::1::2", "IPv6" },
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
      "63" },
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "253" },
};

START_TEST(name_invalid)
{
    const char *err = guard_host_name_check(names_bad[_i].in);

    ck_assert_msg(err != NULL, "accepted \"%s\"", names_bad[_i].in);
    ck_assert_msg(strstr(err, names_bad[_i].why) != NULL,
                  "\"%s\": \"%s\" does not say %s", names_bad[_i].in, err,
                  names_bad[_i].why);
}
END_TEST

Suite *guard_listen_host_suite(void)
{
    Suite *s = suite_create("http_host");
    TCase *tc = tcase_create("host");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, host_checks, 0, COUNT(checks));
    tcase_add_test(tc, added_names);
    tcase_add_loop_test(tc, name_valid, 0, COUNT(names_ok));
    tcase_add_loop_test(tc, name_invalid, 0, COUNT(names_bad));
    suite_add_tcase(s, tc);
    return s;
}
