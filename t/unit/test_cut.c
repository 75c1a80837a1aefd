/* SPDX-License-Identifier: Apache-2.0 */
/* When a backend socket counts as hung, and the cut itself. */
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "guard_unit.h"
#include "guard_cut.h"
#include "guard_watchdog.h"
#include "guard_syscall.h"

#define SEC(n) apr_time_from_sec(n)
#define MS(n) apr_time_from_msec(n)

static const apr_time_t T0 = 1000000000000LL;   /* request start */

static guard_wait_t backend(int fd, apr_uint64_t ino, apr_int64_t idle_ms)
{
    guard_wait_t w;

    memset(&w, 0, sizeof(w));
    w.kind = GUARD_WAIT_BACKEND;
    w.call = GUARD_CALL_POLL;
    w.fd = fd;
    w.ino = ino;
    w.idle_ms = idle_ms;
    w.flags = idle_ms >= 0 ? GUARD_WAITF_TCP : GUARD_WAITF_UNIX;
    return w;
}

static guard_wait_t other(guard_wait_kind_e kind)
{
    guard_wait_t w;

    memset(&w, 0, sizeof(w));
    w.kind = kind;
    w.fd = -1;
    return w;
}

static const guard_cut_limits_t IDLE2 = { SEC(2), 0, 0 };

static int feed(guard_track_t *t, guard_wait_t w, apr_time_t at)
{
    apr_interval_time_t blocked;
    guard_cut_limit_e limit;

    return guard_cut_track(t, &w, T0, at, &IDLE2, &blocked, &limit);
}

/* A TCP backend that sent its last byte 100 ms ago, bytes_in in all,
 * while the worker last sent sent_ms ago. */
static guard_wait_t trickle(apr_uint64_t bytes_in, apr_int64_t sent_ms)
{
    guard_wait_t w = backend(7, 70, 100);

    w.flags |= GUARD_WAITF_BYTES;
    w.bytes_in = bytes_in;
    w.sent_ms = sent_ms;
    return w;
}

/* Samples every 100 ms from first to last (seconds after T0): the
 * first that is due, or -1; *limit says which. */
static apr_time_t first_due(const guard_cut_limits_t *lim, int first,
                            int last, apr_uint64_t bytes_a_sec,
                            guard_cut_limit_e *limit)
{
    guard_track_t t;
    apr_time_t at;
    apr_interval_time_t blocked;

    memset(&t, 0, sizeof(t));
    for (at = T0 + SEC(first); at <= T0 + SEC(last); at += MS(100)) {
        guard_wait_t w = trickle(bytes_a_sec * (apr_uint64_t)(at - T0)
                                 / APR_USEC_PER_SEC,
                                 apr_time_as_msec(at - T0));

        if (guard_cut_track(&t, &w, T0, at, lim, &blocked, limit)) {
            return at - T0;
        }
    }
    return -1;
}

/* A byte a second is never idle: max= ends the exchange, dated back to
 * the request the worker sent, however late the first look. */
START_TEST(trickle_cut_at_max)
{
    guard_cut_limits_t lim = { SEC(2), SEC(5), 0 };
    guard_cut_limit_e limit;

    ck_assert_int_eq(first_due(&lim, 1, 20, 1, &limit), SEC(5));
    ck_assert_str_eq(guard_cut_limit_name(limit), "max");
    lim.max = 0;
    ck_assert_int_eq(first_due(&lim, 1, 20, 1, &limit), -1);
}
END_TEST

/* minrate=500: a byte a second buys nothing (cut at idle's 2 s); 2,000
 * bytes a second buy 4 s a second (never cut in 8 s). */
START_TEST(minrate_buys_time_by_bytes)
{
    guard_cut_limits_t lim = { SEC(2), 0, 500 };
    guard_cut_limit_e limit;

    ck_assert_int_eq(first_due(&lim, 1, 20, 1, &limit), SEC(2));
    ck_assert_str_eq(guard_cut_limit_name(limit), "minrate");
    ck_assert_int_eq(first_due(&lim, 1, 8, 2000, &limit), -1);
    /* Bytes stop at 3 s: 6,000 bought 12 s more, from then on. */
    ck_assert_int_eq(guard_cut_minrate_allows(&lim, 6000), SEC(14));
    ck_assert_int_eq(guard_cut_minrate_allows(&lim, (apr_uint64_t)-1),
                     SEC(2) + SEC(24 * 3600));
}
END_TEST

/* Without the kernel's byte count (or on a unix socket) minrate= buys
 * nothing and cuts nothing: only idle and max= apply. */
START_TEST(minrate_needs_the_byte_count)
{
    guard_cut_limits_t lim = { SEC(2), 0, 500 };
    guard_track_t t;
    guard_wait_t w = backend(7, 70, 100);
    guard_cut_limit_e limit;
    apr_interval_time_t blocked;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(guard_cut_track(&t, &w, T0, T0 + SEC(30), &lim,
                                     &blocked, &limit), 0);
}
END_TEST

START_TEST(cut_record_says_the_limit)
{
    guard_cut_limits_t lim = { SEC(2), SEC(5), 500 };
    guard_track_t t;
    guard_wait_t w = trickle(1200, 0);
    guard_cut_t c;

    memset(&t, 0, sizeof(t));
    memset(&c, 0, sizeof(c));
    t.exchange = T0;
    guard_cut_limit_set(&c, GUARD_LIMIT_MINRATE, &t, &w, &lim, T0 + SEC(4));
    ck_assert_int_eq(c.limit, GUARD_LIMIT_MINRATE);
    ck_assert_int_eq(c.exchange_ms, 4000);
    ck_assert_int_eq(c.bytes_in, 1200);
    ck_assert_int_eq(c.timeout_ms, 4000);     /* 2 s + 1,200 / 500 s */
    guard_cut_limit_set(&c, GUARD_LIMIT_MAX, &t, &w, &lim, T0 + SEC(5));
    ck_assert_int_eq(c.timeout_ms, 5000);
    ck_assert_str_eq(guard_cut_limit_name(GUARD_LIMITS), "idle");
}
END_TEST

START_TEST(silent_socket_due_after_timeout_once)
{
    guard_track_t t;

    memset(&t, 0, sizeof(t));
    /* First seen at 0.5 s with 0.5 s of silence: dated back to 0 s. */
    ck_assert_int_eq(feed(&t, backend(7, 70, 500), T0 + MS(500)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, 1900), T0 + MS(1900)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, 2000), T0 + MS(2000)), 1);
    ck_assert_int_eq(feed(&t, backend(7, 70, 2100), T0 + MS(2100)), 0);
}
END_TEST

/* mod_cgid's socket, silent as long as the script is: not a backend. */
START_TEST(cgi_socket_never_due)
{
    guard_track_t t;
    guard_wait_t w = backend(7, 70, -1);

    memset(&t, 0, sizeof(t));
    w.kind = GUARD_WAIT_CGI;
    ck_assert_int_eq(feed(&t, w, T0 + MS(500)), 0);
    ck_assert_int_eq(feed(&t, w, T0 + SEC(5)), 0);
    ck_assert_int_eq(feed(&t, w, T0 + SEC(60)), 0);
    ck_assert(t.ino == 0);
    /* The same socket as a backend would be. */
    w.kind = GUARD_WAIT_BACKEND;
    ck_assert_int_eq(feed(&t, w, T0 + SEC(61)), 0);
    ck_assert_int_eq(feed(&t, w, T0 + SEC(63)), 1);
}
END_TEST

START_TEST(trickling_socket_never_due)
{
    guard_track_t t;
    int ms;

    memset(&t, 0, sizeof(t));
    for (ms = 100; ms < 20000; ms += 100) {
        ck_assert_int_eq(feed(&t, backend(7, 70, ms % 500), T0 + MS(ms)), 0);
    }
}
END_TEST

START_TEST(silence_not_dated_before_request)
{
    guard_track_t t;

    memset(&t, 0, sizeof(t));
    /* The backend connection is older than the request (keep-alive). */
    ck_assert_int_eq(feed(&t, backend(7, 70, 60000), T0 + MS(1000)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, 61000), T0 + MS(2000)), 1);
}
END_TEST

START_TEST(one_cpu_blip_keeps_tracking_two_end_it)
{
    guard_track_t t;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(feed(&t, backend(7, 70, 0), T0 + MS(100)), 0);
    ck_assert_int_eq(feed(&t, other(GUARD_WAIT_CPU), T0 + MS(200)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, 2200), T0 + MS(2300)), 1);

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(feed(&t, backend(7, 70, 0), T0 + MS(100)), 0);
    ck_assert_int_eq(feed(&t, other(GUARD_WAIT_CPU), T0 + MS(200)), 0);
    ck_assert_int_eq(feed(&t, other(GUARD_WAIT_CPU), T0 + MS(300)), 0);
    /* Tracking restarts: silence on a unix socket counts from here. */
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(2300)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(4200)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(4300)), 1);
}
END_TEST

START_TEST(other_waits_and_sockets_restart_tracking)
{
    guard_track_t t;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(100)), 0);
    ck_assert_int_eq(feed(&t, other(GUARD_WAIT_SLEEP), T0 + MS(1000)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(1100)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 70, -1), T0 + MS(3000)), 0);
    /* Same fd number, another socket: a new stretch. */
    ck_assert_int_eq(feed(&t, backend(7, 71, -1), T0 + MS(3200)), 0);
    ck_assert_int_eq(feed(&t, backend(7, 71, -1), T0 + MS(5200)), 1);
    ck_assert_int_eq(feed(&t, other(GUARD_WAIT_CLIENT), T0 + MS(9000)), 0);
}
END_TEST

START_TEST(connect_in_progress_counts_from_first_look)
{
    guard_track_t t;
    guard_wait_t w = backend(7, 70, -1);

    w.flags = GUARD_WAITF_TCP | GUARD_WAITF_CONNECTING;
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(feed(&t, w, T0 + MS(500)), 0);
    ck_assert_int_eq(feed(&t, w, T0 + MS(2400)), 0);
    ck_assert_int_eq(feed(&t, w, T0 + MS(2500)), 1);
}
END_TEST

START_TEST(new_request_starts_afresh)
{
    guard_track_t t;
    guard_wait_t w = backend(7, 70, 5000);
    apr_interval_time_t blocked;
    guard_cut_limit_e limit;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(guard_cut_track(&t, &w, T0, T0 + SEC(5), &IDLE2,
                                     &blocked, &limit), 1);
    ck_assert_int_eq(blocked, SEC(5));
    ck_assert_int_eq(limit, GUARD_LIMIT_IDLE);
    /* The next request on the same backend connection may be cut again. */
    ck_assert_int_eq(guard_cut_track(&t, &w, T0 + SEC(6), T0 + SEC(9),
                                     &IDLE2, &blocked, &limit), 1);
    ck_assert_int_eq(blocked, SEC(3));
}
END_TEST

START_TEST(kind_of_blocked_call)
{
    guard_wait_t w = backend(7, 70, 0);

    ck_assert_str_eq(guard_cut_kind_name(guard_cut_kind(&w)), "read");
    w.flags |= GUARD_WAITF_WRITE;
    ck_assert_str_eq(guard_cut_kind_name(guard_cut_kind(&w)), "write");
    w.flags = 0;
    w.call = GUARD_CALL_WRITE;
    ck_assert_str_eq(guard_cut_kind_name(guard_cut_kind(&w)), "write");
    w.call = GUARD_CALL_CONNECT;
    ck_assert_str_eq(guard_cut_kind_name(guard_cut_kind(&w)), "connect");
    w.call = GUARD_CALL_POLL;
    w.flags = GUARD_WAITF_TCP | GUARD_WAITF_CONNECTING;
    ck_assert_str_eq(guard_cut_kind_name(guard_cut_kind(&w)), "connect");
}
END_TEST

START_TEST(cut_record_from_the_wait_and_the_request)
{
    guard_wait_t w = backend(9, 90, 4200);
    guard_slot_t s;
    guard_cut_t c;

    memset(&s, 0, sizeof(s));
    strcpy(s.req.uri, "/cart.php?...");
    strcpy(w.sysname, "poll");
    strcpy(w.peer, "10.0.0.5:11211");
    guard_cut_from_wait(&c, &s, &w, T0 + SEC(5), MS(4500), SEC(4),
                        GUARD_ACTION_CUT);
    ck_assert_int_eq(c.when, T0 + SEC(5));
    ck_assert_int_eq(c.blocked_ms, 4500);
    ck_assert_int_eq(c.idle_ms, 4200);
    ck_assert_int_eq(c.timeout_ms, 4000);
    ck_assert_int_eq(c.fd, 9);
    ck_assert_int_eq(c.kind, GUARD_CUT_READ);
    ck_assert_int_eq(c.action, GUARD_ACTION_CUT);
    ck_assert_str_eq(c.sysname, "poll");
    ck_assert_str_eq(c.peer, "10.0.0.5:11211");
    ck_assert_str_eq(c.uri, "/cart.php?...");
    ck_assert_int_eq(c.ok, 1);
    guard_cut_from_wait(&c, &s, &w, T0, 0, SEC(4), GUARD_ACTION_LOG);
    ck_assert_int_eq(c.ok, 0);
    w = backend(9, 90, -1);
    guard_cut_from_wait(&c, &s, &w, T0, SEC(1), 0, GUARD_ACTION_CUT_HOLDER);
    ck_assert_int_eq(c.idle_ms, -1);
    ck_assert_int_eq(c.timeout_ms, 0);
    ck_assert_int_eq(c.action, GUARD_ACTION_CUT_HOLDER);
    ck_assert_int_eq(c.ok, 1);
}
END_TEST

START_TEST(cut_wakes_the_peer_and_keeps_the_fd)
{
    int sv[2];
    struct stat st;
    char c;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fstat(sv[0], &st);
    ck_assert_int_eq(guard_cut_socket(sv[0], (apr_uint64_t)st.st_ino), 0);
    ck_assert_int_eq(read(sv[0], &c, 1), 0);        /* EOF, fd still open */
    ck_assert_int_eq(read(sv[1], &c, 1), 0);
    ck_assert_int_eq(fstat(sv[0], &st), 0);
}
END_TEST

START_TEST(cut_refuses_another_socket_or_a_file)
{
    int sv[2], p[2];
    struct stat st;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fstat(sv[0], &st);
    ck_assert_int_eq(guard_cut_socket(sv[0], (apr_uint64_t)st.st_ino + 1),
                     -1);
    ck_assert_int_eq(write(sv[0], "x", 1), 1);      /* not shut down */
    ck_assert_int_eq(pipe(p), 0);
    fstat(p[0], &st);
    ck_assert_int_eq(guard_cut_socket(p[0], (apr_uint64_t)st.st_ino), -1);
    ck_assert_int_eq(guard_cut_socket(-1, 1), -1);
}
END_TEST

/* Thousands of workers asleep on one slow thing: looked at less often the
 * longer they stay, unless a timeout or a lock rule needs them on time. */
START_TEST(next_look_backs_off_only_when_nothing_is_due)
{
    guard_watch_t w;
    guard_slot_t s;
    apr_time_t now = apr_time_from_sec(1000);
    apr_interval_time_t iv = apr_time_from_msec(100);

    memset(&w, 0, sizeof(w));
    memset(&s, 0, sizeof(s));
    w.interval = iv;
    s.wait.kind = GUARD_WAIT_SLEEP;
    s.wait.since = now - apr_time_from_msec(200);
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), iv);
    s.wait.since = now - apr_time_from_sec(2);
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now),
                     apr_time_from_msec(500));
    s.wait.since = now - apr_time_from_sec(60);
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), GUARD_WATCH_MAX_GAP);
    /* A backend wait backs off without a timeout, not with one. */
    s.wait.kind = GUARD_WAIT_BACKEND;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), GUARD_WATCH_MAX_GAP);
    s.backend_timeout = apr_time_from_sec(30);
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), iv);
    /* A watched lock wait, the CPU, and nothing known: every interval. */
    s.backend_timeout = 0;
    s.wait.kind = GUARD_WAIT_LOCK;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), GUARD_WATCH_MAX_GAP);
    s.wait.flags = GUARD_WAITF_LOCKWATCH;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), iv);
    s.wait.flags = 0;
    s.wait.kind = GUARD_WAIT_CPU;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), iv);
    s.wait.kind = GUARD_WAIT_NONE;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), iv);
    /* Never more often than a long interval. */
    w.interval = apr_time_from_sec(5);
    s.wait.kind = GUARD_WAIT_FUTEX;
    ck_assert_int_eq(guard_watch_next_look(&w, &s, now), w.interval);
}
END_TEST

Suite *guard_cut_suite(void)
{
    Suite *s = suite_create("cut");
    TCase *tc = tcase_create("decide");

    tcase_add_test(tc, silent_socket_due_after_timeout_once);
    tcase_add_test(tc, trickling_socket_never_due);
    tcase_add_test(tc, cgi_socket_never_due);
    tcase_add_test(tc, silence_not_dated_before_request);
    tcase_add_test(tc, one_cpu_blip_keeps_tracking_two_end_it);
    tcase_add_test(tc, other_waits_and_sockets_restart_tracking);
    tcase_add_test(tc, connect_in_progress_counts_from_first_look);
    tcase_add_test(tc, new_request_starts_afresh);
    tcase_add_test(tc, trickle_cut_at_max);
    tcase_add_test(tc, minrate_buys_time_by_bytes);
    tcase_add_test(tc, minrate_needs_the_byte_count);
    tcase_add_test(tc, cut_record_says_the_limit);
    tcase_add_test(tc, kind_of_blocked_call);
    tcase_add_test(tc, cut_record_from_the_wait_and_the_request);
    tcase_add_test(tc, cut_wakes_the_peer_and_keeps_the_fd);
    tcase_add_test(tc, cut_refuses_another_socket_or_a_file);
    tcase_add_test(tc, next_look_backs_off_only_when_nothing_is_due);
    suite_add_tcase(s, tc);
    return s;
}
