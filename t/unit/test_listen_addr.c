/* SPDX-License-Identifier: Apache-2.0 */
/* Listen address and CIDR lists of the status listener. */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "guard_unit.h"
#include "guard_listen_addr.h"

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
    const char *in;
    const char *formatted;
} listen_ok[] = {
    { "127.0.0.1:8099",   "127.0.0.1:8099" },
    { "8099",             "127.0.0.1:8099" },
    { "10.1.2.3:1",       "10.1.2.3:1" },
    { "[::1]:8099",       "[::1]:8099" },
    { "[fd00::5]:65535",  "[fd00::5]:65535" },
    { "127.0.0.2:80",     "127.0.0.2:80" },
};

START_TEST(listen_valid)
{
    guard_ip_t ip;

    ck_assert_ptr_null(guard_ip_parse_listen(listen_ok[_i].in, &ip));
    ck_assert_str_eq(guard_ip_format(pool, &ip), listen_ok[_i].formatted);
}
END_TEST

static const char *const listen_bad[] = {
    "", "0", "65536", "99999", "123456", "08099", "-1", "+80", "80 ",
    "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
    "127.0.0.1:http", "127.0.0.1:80x", "127.0.0.1:080", ":8099",
    "localhost:8099", "example.org:80", "127.1:8099", "127.0.0.01:80",
    "0.0.0.0:8099", "[::]:8099", "::1:8099", "[::1]8099", "[::1]",
    "[::1:8099", "[127.0.0.1]:80", "1.2.3.4.5:80", " 127.0.0.1:80",
    "[fe80::1%lo]:80",
};

START_TEST(listen_invalid)
{
    guard_ip_t ip;
    const char *err = guard_ip_parse_listen(listen_bad[_i], &ip);

    ck_assert_msg(err != NULL, "accepted \"%s\"", listen_bad[_i]);
    ck_assert(*err);
}
END_TEST

static const struct {
    const char *in;
    int bits;
} cidr_ok[] = {
    { "127.0.0.0/8", 8 }, { "127.0.0.1", 32 }, { "10.0.0.0/16", 16 },
    { "0.0.0.0/0", 0 }, { "192.168.1.128/25", 25 }, { "::1", 128 },
    { "::/0", 0 }, { "fd00::/8", 8 }, { "2001:db8::/32", 32 },
    { "::ffff:127.0.0.1", 128 }, { "1.2.3.4/32", 32 },
};

START_TEST(cidr_valid)
{
    guard_cidr_t c;

    ck_assert_ptr_null(guard_cidr_parse(cidr_ok[_i].in, &c));
    ck_assert_int_eq(c.bits, cidr_ok[_i].bits);
}
END_TEST

static const char *const cidr_bad[] = {
    "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08",
    "10.0.0.0/8x", "10.0.0.1/8", "127.0.0.1/0", "::1/129", "::1/64",
    "fd00::1/8", "localhost", "10.0.0", "10.0.0.0/8/8", "all",
    "10.0.0.0 /8", "1.2.3.4:80",
};

START_TEST(cidr_invalid)
{
    guard_cidr_t c;
    const char *err = guard_cidr_parse(cidr_bad[_i], &c);

    ck_assert_msg(err != NULL, "accepted \"%s\"", cidr_bad[_i]);
    ck_assert(*err);
}
END_TEST

static guard_ip_t ip_of(const char *s)
{
    guard_cidr_t c;

    ck_assert_ptr_null(guard_cidr_parse(s, &c));
    return c.net;
}

static const struct {
    const char *ip;
    int in_loopback;            /* default list */
    int in_custom;              /* 10.0.0.0/8 192.168.7.16/28 fd00::/8 */
} matches[] = {
    { "127.0.0.1", 1, 0 }, { "127.255.255.254", 1, 0 },
    { "128.0.0.1", 0, 0 }, { "126.255.255.255", 0, 0 },
    { "::1", 1, 0 }, { "::2", 0, 0 }, { "::", 0, 0 },
    { "::ffff:127.0.0.2", 1, 0 }, { "::ffff:10.9.8.7", 0, 1 },
    { "::127.0.0.1", 0, 0 },
    { "10.0.0.0", 0, 1 }, { "10.255.255.255", 0, 1 }, { "11.0.0.0", 0, 0 },
    { "192.168.7.16", 0, 1 }, { "192.168.7.31", 0, 1 },
    { "192.168.7.32", 0, 0 }, { "192.168.7.15", 0, 0 },
    { "fd12::1", 0, 1 }, { "fe00::1", 0, 0 }, { "fc00::1", 0, 0 },
};

START_TEST(cidr_matching)
{
    guard_cidr_t loop[2], custom[3];
    guard_ip_t ip = ip_of(matches[_i].ip);

    ck_assert_int_eq(guard_cidr_loopback(loop), 2);
    ck_assert_ptr_null(guard_cidr_parse("10.0.0.0/8", &custom[0]));
    ck_assert_ptr_null(guard_cidr_parse("192.168.7.16/28", &custom[1]));
    ck_assert_ptr_null(guard_cidr_parse("fd00::/8", &custom[2]));
    ck_assert_int_eq(guard_cidr_match(loop, 2, &ip),
                     matches[_i].in_loopback);
    ck_assert_int_eq(guard_cidr_match(custom, 3, &ip),
                     matches[_i].in_custom);
    ck_assert_int_eq(guard_cidr_match(custom, 0, &ip), 0);
}
END_TEST

START_TEST(everything)
{
    guard_cidr_t all[2];
    guard_ip_t ip = ip_of("203.0.113.9");

    ck_assert_ptr_null(guard_cidr_parse("0.0.0.0/0", &all[0]));
    ck_assert_ptr_null(guard_cidr_parse("::/0", &all[1]));
    ck_assert(guard_cidr_match(all, 1, &ip));
    ip = ip_of("2001:db8::1");
    ck_assert(!guard_cidr_match(all, 1, &ip));
    ck_assert(guard_cidr_match(all, 2, &ip));
}
END_TEST

START_TEST(from_sockaddr)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    guard_ip_t ip;

    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(4567);
    inet_pton(AF_INET, "127.0.0.2", &in.sin_addr);
    ck_assert(guard_ip_from_sockaddr(&in, sizeof(in), &ip));
    ck_assert_str_eq(guard_ip_format(pool, &ip), "127.0.0.2:4567");
    ck_assert(!guard_ip_from_sockaddr(&in, sizeof(in) - 1, &ip));

    memset(&in6, 0, sizeof(in6));
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(80);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
    ck_assert(guard_ip_from_sockaddr(&in6, sizeof(in6), &ip));
    ck_assert_str_eq(guard_ip_format(pool, &ip), "[::ffff:127.0.0.1]:80");
    ip.port = 0;
    ck_assert_str_eq(guard_ip_format(pool, &ip), "::ffff:127.0.0.1");
    in6.sin6_family = AF_UNIX;
    ck_assert(!guard_ip_from_sockaddr(&in6, sizeof(in6), &ip));
}
END_TEST

Suite *guard_listen_addr_suite(void)
{
    Suite *s = suite_create("http_addr");
    TCase *tc = tcase_create("addr");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, listen_valid, 0, COUNT(listen_ok));
    tcase_add_loop_test(tc, listen_invalid, 0, COUNT(listen_bad));
    tcase_add_loop_test(tc, cidr_valid, 0, COUNT(cidr_ok));
    tcase_add_loop_test(tc, cidr_invalid, 0, COUNT(cidr_bad));
    tcase_add_loop_test(tc, cidr_matching, 0, COUNT(matches));
    tcase_add_test(tc, everything);
    tcase_add_test(tc, from_sockaddr);
    suite_add_tcase(s, tc);
    return s;
}
