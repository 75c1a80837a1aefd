/* SPDX-License-Identifier: Apache-2.0 */
/* The watchdog's stuck and cut lines, word for word, from made-up slots
 * and cuts. */
#include <string.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_cut.h"
#include "guard_log.h"
#include "guard_watchdog_log.h"

static char logged[4096];
static int level;

static void capture(void *baton, int lvl, const char *tag, const char *msg)
{
    level = lvl;
    apr_snprintf(logged, sizeof(logged), "%s: %s", tag, msg);
}

static guard_logger_t logger = { capture, NULL, 0 };

static void request(guard_slot_t *s)
{
    memset(s, 0, sizeof(*s));
    s->pid = 100;
    s->tid = 101;
    s->req_start = apr_time_from_sec(1000);
    apr_cpystrn(s->req.method, "GET", sizeof(s->req.method));
    apr_cpystrn(s->req.uri, "/slow.php", sizeof(s->req.uri));
    apr_cpystrn(s->req.vhost, "www.example.com", sizeof(s->req.vhost));
    apr_cpystrn(s->req.client, "192.0.2.7", sizeof(s->req.client));
}

static void backend(guard_cut_t *c, apr_uint32_t action, apr_uint32_t ok)
{
    memset(c, 0, sizeof(*c));
    c->blocked_ms = 3500;
    c->idle_ms = 3000;
    c->timeout_ms = 2000;
    c->fd = 17;
    c->kind = GUARD_CUT_READ;
    c->action = action;
    c->ok = ok;
    apr_cpystrn(c->sysname, "poll", sizeof(c->sysname));
    apr_cpystrn(c->peer, "10.0.0.5:6379", sizeof(c->peer));
}

START_TEST(cut_line)
{
    guard_slot_t s;
    guard_cut_t c;

    request(&s);
    backend(&c, GUARD_ACTION_CUT, 1);
    guard_watchdog_log_cut(&logger, &s, &c, " in Svc::run /x.php:10");
    ck_assert_int_eq(level, GUARD_LOG_WARN);
    ck_assert_str_eq(logged, "GRD0300: backend cut: pid 100 tid 101 "
                     "\"GET /slow.php\" vhost www.example.com client "
                     "192.0.2.7: read poll on fd 17 to 10.0.0.5:6379 "
                     "blocked 3.5 s, idle 3.0 s, GuardBackendTimeout 2s"
                     " in Svc::run /x.php:10");
}
END_TEST

START_TEST(cut_logged_and_failed)
{
    guard_slot_t s;
    guard_cut_t c;

    request(&s);
    backend(&c, GUARD_ACTION_LOG, 0);
    c.idle_ms = -1;
    c.peer[0] = '\0';
    guard_watchdog_log_cut(&logger, &s, &c, "");
    ck_assert_msg(strstr(logged, "GRD0301: backend timeout (log only): ")
                  == logged, "%s", logged);
    ck_assert_msg(strstr(logged, "to ? blocked 3.5 s, no idle time (not a "
                         "TCP socket), GuardBackendTimeout"), "%s", logged);
    backend(&c, GUARD_ACTION_CUT, 0);
    guard_watchdog_log_cut(&logger, &s, &c, "");
    ck_assert_msg(strstr(logged, "GRD0302: backend cut failed (socket "
                         "changed or gone): ") == logged, "%s", logged);
}
END_TEST

START_TEST(holder_cut_lines)
{
    guard_slot_t s;
    guard_cut_t c;

    request(&s);
    backend(&c, GUARD_ACTION_CUT_HOLDER, 1);
    guard_watchdog_log_holder_cut(&logger, &s, &c, "");
    ck_assert_str_eq(logged, "GRD0402: lock holder's backend cut: pid 100 "
                     "tid 101 \"GET /slow.php\" vhost www.example.com "
                     "client 192.0.2.7 holds a lock others wait for "
                     "(GuardLockWatch cut-holder): read poll on fd 17 to "
                     "10.0.0.5:6379 blocked 3.5 s, idle 3.0 s");
    c.ok = 0;
    guard_watchdog_log_holder_cut(&logger, &s, &c, "");
    ck_assert_msg(strstr(logged, "GRD0403: lock holder's backend cut failed "
                         "(socket changed or gone): ") == logged, "%s",
                  logged);
}
END_TEST

/* A torn copy: fields without their NUL are cut at their size. */
START_TEST(stuck_line)
{
    guard_slot_t s;
    guard_wait_t wait;
    apr_time_t now;

    request(&s);
    memset(&wait, 0, sizeof(wait));
    memset(s.req.method, 'M', sizeof(s.req.method));
    now = s.req_start + apr_time_from_msec(12500);
    guard_watchdog_log_stuck(&logger, &s, &wait, now, apr_time_from_sec(10),
                             " in f /x.php:1");
    ck_assert_int_eq(level, GUARD_LOG_WARN);
    ck_assert_msg(strstr(logged, "GRD0100: stuck request: pid 100 tid 101 "
                         "\"MMM") == logged, "%s", logged);
    ck_assert_ptr_null(strstr(logged, "MMM/"));
    ck_assert_msg(strstr(logged, " /slow.php\" vhost www.example.com client "
                         "192.0.2.7 running 12.5 s (threshold 10.0 s), "
                         "waiting on: "), "%s", logged);
    ck_assert_msg(strstr(logged, " in f /x.php:1")
                  == logged + strlen(logged) - strlen(" in f /x.php:1"),
                  "%s", logged);
}
END_TEST

START_TEST(unstuck_line)
{
    guard_watch_stuck_t st;

    memset(&st, 0, sizeof(st));
    st.req_start = apr_time_from_sec(1000);
    st.pid = 100;
    st.tid = 101;
    apr_cpystrn(st.method, "POST", sizeof(st.method));
    apr_cpystrn(st.uri, "/x", sizeof(st.uri));
    guard_watchdog_log_unstuck(&logger, &st, apr_time_from_sec(1030),
                               ", its process is exiting");
    ck_assert_int_eq(level, GUARD_LOG_INFO);
    ck_assert_str_eq(logged, "GRD0101: stuck request ended: pid 100 tid 101 "
                     "\"POST /x\" (began 30.0 s ago, its process is "
                     "exiting)");
    ck_assert_int_eq(st.req_start, apr_time_from_sec(1000));
}
END_TEST

Suite *guard_watchdog_log_suite(void)
{
    Suite *s = suite_create("watchdog_log");
    TCase *tc = tcase_create("lines");

    tcase_add_test(tc, cut_line);
    tcase_add_test(tc, cut_logged_and_failed);
    tcase_add_test(tc, holder_cut_lines);
    tcase_add_test(tc, stuck_line);
    tcase_add_test(tc, unstuck_line);
    suite_add_tcase(s, tc);
    return s;
}
