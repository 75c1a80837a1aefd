/* SPDX-License-Identifier: Apache-2.0 */
/* Names, the continuity of a wait, and its one-line description. */
#include <string.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_wait.h"
#include "guard_syscall.h"

static guard_wait_t mkwait(guard_wait_kind_e kind, const char *sysname,
                           const char *peer, const char *path)
{
    guard_wait_t w;

    memset(&w, 0, sizeof(w));
    w.kind = kind;
    w.call = GUARD_CALL_OTHER;
    w.syscall = 7;
    w.fd = 12;
    w.idle_ms = -1;
    w.cpu_ms = -1;
    apr_cpystrn(w.sysname, sysname, sizeof(w.sysname));
    apr_cpystrn(w.peer, peer, sizeof(w.peer));
    apr_cpystrn(w.path, path, sizeof(w.path));
    return w;
}

static const char *describe(const guard_wait_t *w, apr_int64_t elapsed_ms)
{
    static char buf[512];

    return guard_wait_describe(w, elapsed_ms, buf, sizeof(buf));
}

START_TEST(state_names)
{
    ck_assert_str_eq(guard_ws_name(GUARD_WS_EMPTY), "empty");
    ck_assert_str_eq(guard_ws_name(GUARD_WS_IDLE), "idle");
    ck_assert_str_eq(guard_ws_name(GUARD_WS_READ), "read");
    ck_assert_str_eq(guard_ws_name(GUARD_WS_BUSY), "busy");
    ck_assert_str_eq(guard_ws_name(GUARD_WS_KEEPALIVE), "keepalive");
    ck_assert_str_eq(guard_ws_name(GUARD_WS_MAX), "unknown");
    ck_assert_str_eq(guard_ws_name((guard_ws_e)-1), "unknown");
}
END_TEST

START_TEST(kind_names)
{
    static const char *const want[GUARD_WAIT_MAX] = {
        "none", "cpu", "backend", "client", "listener", "file", "lock",
        "pipe", "futex", "sleep", "child", "syscall", "unknown", "cgi"
    };
    int k;

    for (k = 0; k < GUARD_WAIT_MAX; k++) {
        ck_assert_str_eq(guard_wait_kind_name(k), want[k]);
    }
    ck_assert_str_eq(guard_wait_kind_name(GUARD_WAIT_MAX), "unknown");
    ck_assert_str_eq(guard_wait_kind_name(GUARD_WAIT_BACKEND), "backend");
}
END_TEST

START_TEST(same_wait)
{
    guard_wait_t a = mkwait(GUARD_WAIT_BACKEND, "poll", "10.0.0.5:6379", "");
    guard_wait_t b = a;

    b.since = 99;
    b.sampled = 1234;
    b.idle_ms = 500;
    b.cpu_ms = 3;
    b.flags = GUARD_WAITF_TCP;
    ck_assert_int_eq(guard_wait_same(&a, &b), 1);
}
END_TEST

START_TEST(different_waits)
{
    guard_wait_t a = mkwait(GUARD_WAIT_BACKEND, "poll", "10.0.0.5:6379", "");
    guard_wait_t b;

    b = a; b.kind = GUARD_WAIT_CLIENT;
    ck_assert_int_eq(guard_wait_same(&a, &b), 0);
    b = a; b.syscall = 8;
    ck_assert_int_eq(guard_wait_same(&a, &b), 0);
    b = a; b.fd = 13;
    ck_assert_int_eq(guard_wait_same(&a, &b), 0);
    b = a; apr_cpystrn(b.peer, "10.0.0.5:6380", sizeof(b.peer));
    ck_assert_int_eq(guard_wait_same(&a, &b), 0);
    b = a; apr_cpystrn(b.path, "/tmp/x", sizeof(b.path));
    ck_assert_int_eq(guard_wait_same(&a, &b), 0);
}
END_TEST

START_TEST(carry_keeps_since_of_same_wait)
{
    guard_wait_t prev = mkwait(GUARD_WAIT_LOCK, "flock", "", "/tmp/l");
    guard_wait_t cur = prev;

    prev.since = 1000;
    cur.since = 5000;
    guard_wait_carry(&prev, &cur);
    ck_assert_int_eq(cur.since, 1000);
}
END_TEST

START_TEST(carry_leaves_new_wait)
{
    guard_wait_t prev = mkwait(GUARD_WAIT_LOCK, "flock", "", "/tmp/l");
    guard_wait_t cur = mkwait(GUARD_WAIT_LOCK, "flock", "", "/tmp/m");

    prev.since = 1000;
    cur.since = 5000;
    guard_wait_carry(&prev, &cur);
    ck_assert_int_eq(cur.since, 5000);
}
END_TEST

START_TEST(describe_cpu)
{
    guard_wait_t w = mkwait(GUARD_WAIT_CPU, "", "", "");

    w.cpu_ms = 12300;
    w.flags = GUARD_WAITF_SPINNING;
    ck_assert_str_eq(describe(&w, 12500),
                     "on CPU (spinning: 12.3 s CPU in 12.5 s)");
    w.flags = 0;
    w.cpu_ms = 1200;
    ck_assert_str_eq(describe(&w, 12500), "on CPU (1.2 s CPU in 12.5 s)");
    ck_assert_str_eq(describe(&w, -1), "on CPU");
    w.cpu_ms = -1;
    ck_assert_str_eq(describe(&w, 12500), "on CPU");
}
END_TEST

START_TEST(describe_rounds_to_tenths)
{
    guard_wait_t w = mkwait(GUARD_WAIT_CPU, "", "", "");

    w.cpu_ms = 49;
    ck_assert_str_eq(describe(&w, 1999), "on CPU (0.0 s CPU in 2.0 s)");
    w.cpu_ms = 0;
    ck_assert_str_eq(describe(&w, 0), "on CPU (0.0 s CPU in 0.0 s)");
}
END_TEST

START_TEST(describe_backend)
{
    guard_wait_t w = mkwait(GUARD_WAIT_BACKEND, "poll", "10.0.0.5:6379", "");

    ck_assert_str_eq(describe(&w, 1000), "poll on socket 10.0.0.5:6379");
    w.idle_ms = 37200;
    ck_assert_str_eq(describe(&w, 1000),
                     "poll on socket 10.0.0.5:6379 (idle 37.2 s)");
    w.peer[0] = '\0';
    ck_assert_str_eq(describe(&w, 1000), "poll on socket ? (idle 37.2 s)");
}
END_TEST

START_TEST(describe_connect)
{
    guard_wait_t w = mkwait(GUARD_WAIT_BACKEND, "connect", "[::1]:8080", "");

    w.call = GUARD_CALL_CONNECT;
    ck_assert_str_eq(describe(&w, 1000), "connect to socket [::1]:8080");
}
END_TEST

START_TEST(describe_client_and_listener)
{
    guard_wait_t w = mkwait(GUARD_WAIT_CLIENT, "read", "192.0.2.1:5555", "");

    w.idle_ms = 3000;
    ck_assert_str_eq(describe(&w, 1000),
                     "read on client socket 192.0.2.1:5555 (idle 3.0 s)");
    w = mkwait(GUARD_WAIT_LISTENER, "accept4", "0.0.0.0:80", "");
    ck_assert_str_eq(describe(&w, 1000), "accept4 on listener 0.0.0.0:80");
}
END_TEST

START_TEST(describe_cgi)
{
    guard_wait_t w = mkwait(GUARD_WAIT_CGI, "poll",
                            "unix:/run/apache2/cgisock.812", "");

    ck_assert_str_eq(describe(&w, 1000),
                     "poll on CGI script via unix:/run/apache2/cgisock.812");
    ck_assert_str_eq(guard_wait_kind_name(GUARD_WAIT_CGI), "cgi");
}
END_TEST

/* mod_cgid's daemon is a child of the server's parent, as this worker's
 * process is; a backend on a unix socket (php-fpm, a local redis) is not. */
START_TEST(server_peer_is_a_sibling_of_this_child)
{
    /* peer, its parent, this child, the server's parent */
    ck_assert_int_eq(guard_wait_server_peer(812, 800, 805, 800), 1);
    /* A daemon of its own (php-fpm's pool under its master, init's). */
    ck_assert_int_eq(guard_wait_server_peer(900, 899, 805, 800), 0);
    ck_assert_int_eq(guard_wait_server_peer(900, 1, 805, 800), 0);
    /* The peer is this process, or the parent itself. */
    ck_assert_int_eq(guard_wait_server_peer(805, 800, 805, 800), 0);
    ck_assert_int_eq(guard_wait_server_peer(800, 1, 805, 800), 0);
    /* Unknown peer (another pid namespace) or unknown server. */
    ck_assert_int_eq(guard_wait_server_peer(0, 800, 805, 800), 0);
    ck_assert_int_eq(guard_wait_server_peer(-1, 800, 805, 800), 0);
    ck_assert_int_eq(guard_wait_server_peer(812, 0, 805, 0), 0);
    /* httpd as PID 1 of a container: its children's parent is 1. */
    ck_assert_int_eq(guard_wait_server_peer(12, 1, 7, 1), 1);
    /* Under -X the one process is the server: the daemon is its child. */
    ck_assert_int_eq(guard_wait_server_peer(812, 805, 805, 805), 1);
}
END_TEST

START_TEST(describe_file_pipe_lock)
{
    guard_wait_t w = mkwait(GUARD_WAIT_FILE, "read", "", "/srv/big.iso");

    ck_assert_str_eq(describe(&w, 1), "read on /srv/big.iso");
    w = mkwait(GUARD_WAIT_PIPE, "write", "", "pipe:[1234]");
    ck_assert_str_eq(describe(&w, 1), "write on pipe:[1234]");
    w = mkwait(GUARD_WAIT_LOCK, "flock", "", "/var/lib/php/sessions/sess_ab12");
    ck_assert_str_eq(describe(&w, 1),
                     "flock on /var/lib/php/sessions/sess_ab12");
    w = mkwait(GUARD_WAIT_LOCK, "fcntl", "", "/var/db/x.lock");
    ck_assert_str_eq(describe(&w, 1), "fcntl lock on /var/db/x.lock");
}
END_TEST

START_TEST(describe_simple_kinds)
{
    guard_wait_t w = mkwait(GUARD_WAIT_FUTEX, "futex", "", "");

    ck_assert_str_eq(describe(&w, 1), "futex");
    w = mkwait(GUARD_WAIT_SLEEP, "nanosleep", "", "");
    ck_assert_str_eq(describe(&w, 1), "nanosleep");
    w = mkwait(GUARD_WAIT_CHILD, "wait4", "", "");
    ck_assert_str_eq(describe(&w, 1), "wait4 (child process)");
    w = mkwait(GUARD_WAIT_SYSCALL, "getrandom", "", "");
    ck_assert_str_eq(describe(&w, 1), "getrandom");
    w = mkwait(GUARD_WAIT_UNKNOWN, "", "", "");
    ck_assert_str_eq(describe(&w, 1), "unknown");
    w = mkwait(GUARD_WAIT_NONE, "poll", "", "");
    ck_assert_str_eq(describe(&w, 1), "");
    w.kind = 999;
    ck_assert_str_eq(describe(&w, 1), "unknown");
}
END_TEST

START_TEST(describe_truncates_to_buffer)
{
    guard_wait_t w = mkwait(GUARD_WAIT_FILE, "read", "", "/a/very/long/path");
    char buf[10];

    ck_assert_ptr_eq(guard_wait_describe(&w, 1, buf, sizeof(buf)), buf);
    ck_assert_str_eq(buf, "read on /");
}
END_TEST

START_TEST(describe_unterminated_fields)
{
    guard_wait_t w = mkwait(GUARD_WAIT_FILE, "", "", "");
    const char *got;

    memset(w.sysname, 's', sizeof(w.sysname));
    memset(w.path, 'p', sizeof(w.path));
    got = describe(&w, 1);
    ck_assert_uint_eq(strlen(got), GUARD_SYSNAME_LEN + 4 + GUARD_PATH_LEN);
    ck_assert_uint_eq(strspn(got, "s"), GUARD_SYSNAME_LEN);
}
END_TEST

Suite *guard_wait_suite(void)
{
    Suite *s = suite_create("wait");
    TCase *tc = tcase_create("wait");

    tcase_add_test(tc, state_names);
    tcase_add_test(tc, kind_names);
    tcase_add_test(tc, same_wait);
    tcase_add_test(tc, different_waits);
    tcase_add_test(tc, carry_keeps_since_of_same_wait);
    tcase_add_test(tc, carry_leaves_new_wait);
    tcase_add_test(tc, describe_cpu);
    tcase_add_test(tc, describe_rounds_to_tenths);
    tcase_add_test(tc, describe_backend);
    tcase_add_test(tc, describe_connect);
    tcase_add_test(tc, describe_client_and_listener);
    tcase_add_test(tc, describe_cgi);
    tcase_add_test(tc, server_peer_is_a_sibling_of_this_child);
    tcase_add_test(tc, describe_file_pipe_lock);
    tcase_add_test(tc, describe_simple_kinds);
    tcase_add_test(tc, describe_truncates_to_buffer);
    tcase_add_test(tc, describe_unterminated_fields);
    suite_add_tcase(s, tc);
    return s;
}
