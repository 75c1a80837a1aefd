/* SPDX-License-Identifier: Apache-2.0 */
/* The watchdog's stuck flags: which request GRD0101 names, and a slot's
 * next process starting clean. Passes over an in-memory segment whose
 * workers are this process's threads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_log.h"
#include "guard_shm.h"
#include "guard_seq.h"
#include "guard_watchdog.h"

#define SL 2
#define TL 2
#define SEC(n) apr_time_from_sec(n)
#define MS(n) apr_time_from_msec(n)

static void *base;
static guard_shm_t shm;
static guard_watch_t w;
static guard_watch_stuck_t stuck[TL];
static char logged[16384];
static apr_time_t now;

static void capture(void *baton, int level, const char *tag,
                    const char *msg)
{
    apr_size_t n = strlen(logged);

    apr_snprintf(logged + n, sizeof(logged) - n, "%s: %s\n", tag, msg);
}

static int my_tid(void)
{
    return (int)syscall(SYS_gettid);
}

static void setup(void)
{
    base = calloc(1, guard_shm_size(SL, TL));
    guard_shm_init(base, SL, TL, SEC(1000));
    guard_shm_attach(&shm, base, SL, TL);
    memset(&w, 0, sizeof(w));
    memset(stuck, 0, sizeof(stuck));
    w.shm = &shm;
    w.child = 1;
    w.pid = getpid();
    w.stuck = stuck;
    w.interval = MS(100);
    w.sample_after = SEC(1);
    w.stuck_threshold = SEC(1);
    w.ictx.slots = guard_shm_slot(&shm, 1, 0);
    w.ictx.nslots = TL;
    w.ictx.child = 1;
    w.ictx.clk_tck = sysconf(_SC_CLK_TCK);
    w.log.fn = capture;
    logged[0] = '\0';
    now = apr_time_now();
}

static void teardown(void)
{
    free(base);
}

/* What the request hooks write at a request start. */
static void start_request(guard_slot_t *s, const char *uri, apr_time_t at)
{
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_BUSY;
    s->req_start = at;
    s->cpu_start_us = -1;
    s->client_fd = -1;
    apr_cpystrn(s->req.method, "GET", sizeof(s->req.method));
    apr_cpystrn(s->req.uri, uri, sizeof(s->req.uri));
    guard_seq_write_end(&s->seq);
}

static int count(const char *needle)
{
    const char *p = logged;
    int n = 0;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

START_TEST(unstuck_names_the_stuck_request_not_the_next)
{
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);
    guard_slot_t *b = guard_shm_slot(&shm, 1, 1);
    char want[128];

    guard_slot_claim(a, w.pid, my_tid(), 1);
    guard_slot_claim(b, w.pid, 999999, 1);
    start_request(a, "/stuck-a.php", now - SEC(5));
    start_request(b, "/stuck-b.php", now - SEC(3));
    guard_watch_pass(&w, now);
    ck_assert_int_eq(count("GRD0100: stuck request"), 2);
    ck_assert_int_eq(count("\"GET /stuck-a.php\""), 1);
    ck_assert_uint_eq(a->stuck, 1);
    ck_assert_uint_eq(b->stuck, 1);

    /* Both workers are in their next request when the watchdog looks. */
    start_request(a, "/next-a.php", now + MS(500));
    start_request(b, "/next-b.php", now + MS(600));
    logged[0] = '\0';
    guard_watch_pass(&w, now + MS(700));
    ck_assert_int_eq(count("GRD0101: stuck request ended"), 2);
    apr_snprintf(want, sizeof(want), "GRD0101: stuck request ended: pid %d "
                 "tid %d \"GET /stuck-a.php\"", (int)w.pid, my_tid());
    ck_assert_msg(strstr(logged, want), "want %s in:\n%s", want, logged);
    apr_snprintf(want, sizeof(want), "GRD0101: stuck request ended: pid %d "
                 "tid 999999 \"GET /stuck-b.php\"", (int)w.pid);
    ck_assert_msg(strstr(logged, want), "want %s in:\n%s", want, logged);
    ck_assert_int_eq(count("next-"), 0);
    ck_assert_uint_eq(a->stuck, 0);
    ck_assert_uint_eq(b->stuck, 0);

    /* Once only, and the young requests are not stuck. */
    logged[0] = '\0';
    guard_watch_pass(&w, now + MS(800));
    ck_assert_int_eq(count("GRD010"), 0);
}
END_TEST

START_TEST(still_stuck_is_not_ended)
{
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);

    guard_slot_claim(a, w.pid, my_tid(), 1);
    start_request(a, "/stuck.php", now - SEC(2));
    guard_watch_pass(&w, now);
    guard_watch_pass(&w, now + SEC(1));
    guard_watch_pass(&w, now + SEC(2));
    ck_assert_int_eq(count("GRD0100"), 1);
    ck_assert_int_eq(count("GRD0101"), 0);
    ck_assert_uint_eq(a->stuck, 1);
    ck_assert_uint_eq(a->stuck_total, 1);

    /* It ends; the worker waits for its next connection. */
    guard_seq_write_begin(&a->seq);
    a->state = GUARD_WS_IDLE;
    a->req_start = 0;
    guard_seq_write_end(&a->seq);
    guard_watch_pass(&w, now + SEC(3));
    ck_assert_int_eq(count("GRD0101: stuck request ended"), 1);
    ck_assert_int_eq(count("\"GET /stuck.php\" (began 5.0 s ago)"), 1);
    ck_assert_uint_eq(a->stuck, 0);
}
END_TEST

/* A child that exited (or was killed) while its request was stuck: the
 * parent clears the slot, the next process claims it, and neither leaves
 * the old flag for the new process's watchdog to report. */
START_TEST(next_process_of_a_slot_is_not_stuck)
{
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);

    guard_slot_claim(a, 4242, 4242, 1);
    start_request(a, "/old.php", now - SEC(5));
    guard_seq_write_begin(&a->wseq);
    a->stuck = 1;
    a->wait_req_start = a->req_start;
    guard_seq_write_end(&a->wseq);
    /* Killed mid-write: both counters odd. */
    a->seq++;
    a->wseq++;
    guard_slot_release(a);
    ck_assert_uint_eq(a->state, GUARD_WS_EMPTY);
    ck_assert_uint_eq(a->stuck, 0);
    ck_assert_uint_eq(a->seq & 1, 0);
    ck_assert_uint_eq(a->wseq & 1, 0);

    /* Even if the parent never cleared it, the claim does. */
    a->stuck = 1;
    guard_slot_claim(a, w.pid, my_tid(), 2);
    ck_assert_uint_eq(a->stuck, 0);
    ck_assert_int_eq(a->pid, w.pid);
    ck_assert_uint_eq(a->state, GUARD_WS_IDLE);
    ck_assert_uint_eq(a->stuck_total, 0);
    guard_watch_pass(&w, now);
    start_request(a, "/new.php", now + MS(100));
    guard_watch_pass(&w, now + MS(200));
    ck_assert_int_eq(count("GRD010"), 0);
}
END_TEST

/* A flag set by no request of this process (a slot claimed by an older
 * module, or a record lost): cleared without a line about it. */
START_TEST(flag_without_record_cleared_unsaid)
{
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);

    guard_slot_claim(a, w.pid, my_tid(), 1);
    a->stuck = 1;
    start_request(a, "/young.php", now - MS(100));
    guard_watch_pass(&w, now);
    ck_assert_uint_eq(a->stuck, 0);
    ck_assert_int_eq(count("GRD010"), 0);
}
END_TEST

START_TEST(finish_ends_stuck_requests_of_the_process)
{
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);
    guard_slot_t *b = guard_shm_slot(&shm, 1, 1);

    guard_slot_claim(a, w.pid, my_tid(), 1);
    guard_slot_claim(b, w.pid, 999999, 1);
    start_request(a, "/stuck.php", now - SEC(4));
    start_request(b, "/young.php", now - MS(200));
    guard_watch_pass(&w, now);
    ck_assert_uint_eq(a->stuck, 1);
    logged[0] = '\0';
    guard_watch_finish(&w, now + SEC(1));
    ck_assert_int_eq(count("GRD0101"), 1);
    ck_assert_int_eq(count("\"GET /stuck.php\" (began 5.0 s ago, its "
                           "process is exiting)"), 1);
    ck_assert_uint_eq(a->stuck, 0);
    guard_watch_finish(&w, now + SEC(2));
    ck_assert_int_eq(count("GRD0101"), 1);
}
END_TEST

/* A thread asleep in nanosleep until cancelled: a wait that stands. */
static volatile int sleeper_tid;

static void *sleeper(void *arg)
{
    struct timespec ts = { 30, 0 };

    sleeper_tid = my_tid();
    nanosleep(&ts, NULL);
    return NULL;
}

static apr_int64_t fake_run_ns_value;

static apr_int64_t fake_run_ns(void *baton, int thread, pid_t tid)
{
    return fake_run_ns_value;
}

/* The quick look: a thread that did not run keeps its wait without its
 * files being read (a mark put in the slot's copy of the wait survives);
 * once it ran, the files are read again (the mark is gone). */
START_TEST(thread_that_did_not_run_is_not_read_again)
{
    static guard_watch_seen_t seen[TL];
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);
    pthread_t th;

    if (!guard_inspect_live()) {
        return;
    }
    ck_assert_int_eq(pthread_create(&th, NULL, sleeper, NULL), 0);
    while (!sleeper_tid) {
        usleep(1000);
    }
    usleep(20000);                /* in nanosleep by now */
    memset(seen, 0, sizeof(seen));
    w.seen = seen;
    w.run_ns = fake_run_ns;
    fake_run_ns_value = 1000;
    guard_slot_claim(a, w.pid, sleeper_tid, 1);
    start_request(a, "/sleep.php", now - SEC(2));
    guard_watch_pass(&w, now);
    ck_assert_uint_eq(a->wait.kind, GUARD_WAIT_SLEEP);
    ck_assert_uint_eq(a->samples, 1);
    strcpy(a->wait.sysname, "mark");
    guard_watch_pass(&w, now + SEC(2));
    ck_assert_str_eq(a->wait.sysname, "mark");
    ck_assert_uint_eq(a->samples, 2);
    ck_assert_int_eq(a->wait.sampled, now + SEC(2));
    ck_assert_int_eq(a->wait.since, now);
    fake_run_ns_value = 2000;     /* it ran */
    guard_watch_pass(&w, now + SEC(4));
    ck_assert_str_ne(a->wait.sysname, "mark");
    ck_assert_uint_eq(a->wait.kind, GUARD_WAIT_SLEEP);
    ck_assert_int_eq(a->wait.since, now);   /* the same wait goes on */
    pthread_cancel(th);
    pthread_join(th, NULL);
}
END_TEST

/* GuardStuckTimeout: a worker asleep past it is ended (the fake end says
 * so); one whose request ends while the end is being made, the thread
 * taking the next, is not. */
static int ends_called;
static guard_slot_t *next_on;     /* where the next request starts */

static void fake_end(void *baton, int thread)
{
    ends_called++;
}

/* Called while the end's record is made: the request ends meanwhile and
 * the thread takes the next one. */
static const guard_where_t *next_request_starts(void)
{
    if (next_on) {
        start_request(next_on, "/next.php", now + SEC(3));
    }
    return NULL;
}

static void stuck_timeout_pass(int next_starts)
{
    static guard_watch_seen_t seen[TL];
    static guard_watch_end_t ends[TL];
    guard_slot_t *a = guard_shm_slot(&shm, 1, 0);
    pthread_t th;

    sleeper_tid = 0;
    ck_assert_int_eq(pthread_create(&th, NULL, sleeper, NULL), 0);
    while (!sleeper_tid) {
        usleep(1000);
    }
    usleep(20000);                /* in nanosleep by now */
    memset(seen, 0, sizeof(seen));
    memset(ends, 0, sizeof(ends));
    w.seen = seen;
    w.ends = ends;
    w.run_ns = fake_run_ns;
    w.end_process = fake_end;
    w.where = next_request_starts;
    w.log.debug = 1;
    fake_run_ns_value = 1000;
    ends_called = 0;
    next_on = NULL;
    guard_slot_claim(a, w.pid, sleeper_tid, 1);
    start_request(a, "/stuck.php", now - SEC(10));
    a->stuck_timeout_ms = 2000;
    guard_watch_pass(&w, now);
    ck_assert_uint_eq(a->wait.kind, GUARD_WAIT_SLEEP);
    ck_assert_int_eq(ends_called, 0);      /* its wait seen just now */
    next_on = next_starts ? a : NULL;
    guard_watch_pass(&w, now + SEC(3));
    pthread_cancel(th);
    pthread_join(th, NULL);
}

START_TEST(stuck_timeout_ends_a_sleeper)
{
    if (!guard_inspect_live()) {
        return;
    }
    stuck_timeout_pass(0);
    ck_assert_int_eq(ends_called, 1);
    ck_assert_int_eq(count("GRD0900: GuardStuckTimeout 2.0 s"), 1);
    ck_assert(w.ending);
}
END_TEST

START_TEST(stuck_timeout_spares_the_next_request)
{
    if (!guard_inspect_live()) {
        return;
    }
    stuck_timeout_pass(1);
    ck_assert_int_eq(ends_called, 0);
    ck_assert_int_eq(count("its request ended before its process was"), 1);
    ck_assert(!w.ending);
}
END_TEST

Suite *guard_watchdog_suite(void)
{
    Suite *s = suite_create("watch");
    TCase *tc = tcase_create("stuck");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unstuck_names_the_stuck_request_not_the_next);
    tcase_add_test(tc, still_stuck_is_not_ended);
    tcase_add_test(tc, next_process_of_a_slot_is_not_stuck);
    tcase_add_test(tc, flag_without_record_cleared_unsaid);
    tcase_add_test(tc, finish_ends_stuck_requests_of_the_process);
    tcase_add_test(tc, thread_that_did_not_run_is_not_read_again);
    tcase_add_test(tc, stuck_timeout_ends_a_sleeper);
    tcase_add_test(tc, stuck_timeout_spares_the_next_request);
    suite_add_tcase(s, tc);
    return s;
}
