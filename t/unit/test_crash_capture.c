/* SPDX-License-Identifier: Apache-2.0 */
/* Crash capture: made-up crashes of each kind, as the signal handler gets
 * them, recorded into a crash segment in memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <apr_pools.h>
#include "guard_unit.h"
#include "guard_crash.h"
#include "guard_crash_capture.h"
#include "guard_crash_where.h"
#include "guard_shm.h"

#define SL 2
#define TL 3
#define NOW ((apr_time_t)2000000000 * APR_USEC_PER_SEC)

static apr_pool_t *pool;
static guard_where_t where;
static guard_shm_t shm;
static void *shm_base;
static guard_crash_ctx_t cx;
static int report[2];
static int armed, disarmed;
static apr_time_t clock_now;

/* Frames of this program's own functions: they lie in a known module. */
static apr_uint64_t fake_ip(void)
{
    return (apr_uint64_t)(apr_uintptr_t)&fake_ip + 16;
}

/* What backtrace() would return in a handler: its own two frames, then
 * the faulting instruction and its callers. */
static int fake_backtrace(void **frames, int max)
{
    frames[0] = (void *)0x1111;
    frames[1] = (void *)0x2222;
    frames[2] = (void *)(apr_uintptr_t)fake_ip();
    frames[3] = (void *)((apr_uintptr_t)&fake_backtrace + 8);
    frames[4] = (void *)((apr_uintptr_t)&fake_ip + 40);
    return max < 5 ? max : 5;
}

static apr_time_t fake_clock(void)
{
    clock_now += 250;
    return clock_now;
}

static void fake_arm(int sig)
{
    armed = sig;
}

static void fake_disarm(int sig)
{
    disarmed = sig;
}

static void setup_ctx_for_tests(void)
{
    guard_crash_shm_t *c = apr_pcalloc(pool, sizeof(*c));
    void *base = apr_pcalloc(pool, guard_crash_shm_size(4, SL));

    guard_crash_shm_init(base, 4, SL, NOW);
    guard_crash_shm_attach(c, base, 4, SL);
    guard_crash_capture_init(&cx);
    cx.crash = c;
    cx.shm = &shm;
    cx.where = &where;
    cx.child = 1;
    cx.generation = 7;
    cx.report_fd = report[1];
    cx.other_wait_ms = 5;
    cx.backtrace = fake_backtrace;
    cx.now = fake_clock;
    cx.arm = fake_arm;
    cx.disarm = fake_disarm;
}

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    if (!where.map[0].n && !where.map[1].n) {
        guard_where_refresh(&where, "/proc/self/exe");
    }
    shm_base = calloc(1, guard_shm_size(SL, TL));
    guard_shm_init(shm_base, SL, TL, NOW);
    guard_shm_attach(&shm, shm_base, SL, TL);
    ck_assert_int_eq(pipe2(report, O_NONBLOCK), 0);
    armed = disarmed = 0;
    clock_now = NOW;
    setup_ctx_for_tests();
}

static void teardown(void)
{
    close(report[0]);
    close(report[1]);
    free(shm_base);
    apr_pool_destroy(pool);
}

static char *read_report(void)
{
    static char buf[65536];
    ssize_t n = read(report[0], buf, sizeof(buf) - 1);

    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* A fault of sig/code at addr, the instruction at fake_ip(). */
static void fault(siginfo_t *si, ucontext_t *uc, int sig, int code,
                  apr_uint64_t addr)
{
    memset(si, 0, sizeof(*si));
    memset(uc, 0, sizeof(*uc));
    si->si_signo = sig;
    si->si_code = code;
    si->si_addr = (void *)(apr_uintptr_t)addr;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fake_ip();
#elif defined(__aarch64__)
    uc->uc_mcontext.pc = fake_ip();
#endif
}

/* Crashes counted under signature key. */
static apr_uint64_t group_count(apr_uint64_t key)
{
    int i;

    for (i = 0; i < GUARD_CRASH_GROUPS; i++) {
        if (cx.crash->groups[i].key == key) {
            return cx.crash->groups[i].count;
        }
    }
    return 0;
}

static guard_capture_e capture(int sig, const siginfo_t *si, const void *uc,
                               pid_t tid, const guard_slot_t *slot)
{
    guard_crash_event_t ev = { sig, si, uc, tid, slot };

    return guard_crash_capture(&cx, &ev);
}

static void read_rec(apr_uint64_t t, guard_crash_rec_t *out)
{
    ck_assert_int_eq(guard_crash_read(cx.crash, t, out), 1);
}

static guard_slot_t *busy_slot(int child, int thread, const char *uri)
{
    guard_slot_t *sl = &shm.slots[child * TL + thread];

    sl->state = GUARD_WS_BUSY;
    sl->req_start = NOW - 1500 * 1000;
    strcpy(sl->req.method, "GET");
    strcpy(sl->req.uri, uri);
    strcpy(sl->req.protocol, "HTTP/1.1");
    strcpy(sl->req.vhost, "example.org");
    strcpy(sl->req.client, "192.0.2.7");
    return sl;
}

START_TEST(segv_with_address)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;
    const char *rep;

    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0x10);
    ck_assert_int_eq(capture(SIGSEGV, &si, &uc, 4242, NULL),
                     GUARD_CAPTURE_FULL);
    ck_assert_int_eq(armed, SIGSEGV);
    ck_assert_int_eq(disarmed, SIGSEGV);
    read_rec(0, &r);
    ck_assert_int_eq(r.signo, SIGSEGV);
    ck_assert_int_eq(r.si_code, SEGV_MAPERR);
    ck_assert_uint_eq(r.addr, 0x10);
    ck_assert_uint_eq(r.addr_at.kind, GUARD_AT_NULL);
    ck_assert_int_eq(r.pid, getpid());
    ck_assert_int_eq(r.tid, 4242);
    ck_assert_int_eq(r.child, 1);
    ck_assert_int_eq(r.thread, -1);
    ck_assert_uint_eq(r.generation, 7);
    ck_assert_uint_eq(r.flags, GUARD_CRASHF_NO_SLOT | GUARD_CRASHF_FRAMES);
    ck_assert_int_eq(r.when, NOW + 250);
    ck_assert_int_eq(r.handler_us, 250);
    ck_assert_int_eq(r.elapsed_ms, -1);
#if defined(__x86_64__) || defined(__aarch64__)
    ck_assert_uint_eq(r.ip, fake_ip());
    ck_assert_uint_eq(r.ip_at.kind, GUARD_AT_MODULE);
    /* Trimmed to the faulting instruction: the handler's frames go. */
    ck_assert_uint_eq(r.nframes, 3);
    ck_assert_uint_eq(r.frames[0], fake_ip());
    ck_assert_uint_eq(r.at[0].kind, GUARD_AT_MODULE);
#endif
    ck_assert_uint_ne(r.signature, 0);
    ck_assert_uint_eq(cx.crash->hdr->by_signal[GUARD_CSIG_SEGV], 1);
    ck_assert_uint_eq(group_count(r.signature), 1);
    ck_assert_int_eq(guard_crash_last_of(cx.crash, 1, getpid(), &r), 1);
    rep = read_report();
    ck_assert_ptr_nonnull(strstr(rep,
                                 "GRD0500: crash 1: SIGSEGV (SEGV_MAPERR)"));
    ck_assert_ptr_nonnull(strstr(rep, "crash 1: backtrace:\n"));
    ck_assert_ptr_nonnull(strstr(rep, "crash 1: #2 "));
    ck_assert_ptr_nonnull(strstr(rep, "crash 1: end of report\n"));
}
END_TEST

START_TEST(bus_fpe_abrt)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;

    fault(&si, &uc, SIGBUS, BUS_ADRALN, 0x7f0000001001ULL);
    capture(SIGBUS, &si, &uc, 10, NULL);
    read_rec(0, &r);
    ck_assert_int_eq(r.signo, SIGBUS);
    ck_assert_int_eq(r.si_code, BUS_ADRALN);
    ck_assert_uint_eq(r.addr, 0x7f0000001001ULL);
    ck_assert_uint_eq(r.addr_at.kind, GUARD_AT_NONE);
    ck_assert_uint_eq(r.flags & GUARD_CRASHF_SENT, 0);

    /* Each crash of a process after the first is another thread's. */
    cx.owner = 0;
    fault(&si, &uc, SIGFPE, FPE_INTDIV, fake_ip());
    capture(SIGFPE, &si, &uc, 11, NULL);
    read_rec(1, &r);
    ck_assert_int_eq(r.signo, SIGFPE);
    ck_assert_int_eq(r.si_code, FPE_INTDIV);
    ck_assert_uint_eq(r.addr, fake_ip());
    ck_assert_uint_eq(r.addr_at.kind, GUARD_AT_MODULE);

    /* abort(): raised, not a fault; no address. */
    cx.owner = 0;
    fault(&si, &uc, SIGABRT, SI_TKILL, 0xdead);
    capture(SIGABRT, &si, &uc, 12, NULL);
    read_rec(2, &r);
    ck_assert_int_eq(r.signo, SIGABRT);
    ck_assert_int_eq(r.si_code, SI_TKILL);
    ck_assert_uint_eq(r.addr, 0);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_SENT, 0);
    ck_assert_uint_eq(cx.crash->hdr->by_signal[GUARD_CSIG_BUS], 1);
    ck_assert_uint_eq(cx.crash->hdr->by_signal[GUARD_CSIG_FPE], 1);
    ck_assert_uint_eq(cx.crash->hdr->by_signal[GUARD_CSIG_ABRT], 1);
    ck_assert_ptr_nonnull(strstr(read_report(), "SIGABRT"));
}
END_TEST

START_TEST(thread_with_request)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;
    guard_slot_t *sl = busy_slot(1, 2, "/crash.php?x=1");

    fault(&si, &uc, SIGSEGV, SEGV_ACCERR, 0x7f0000002000ULL);
    capture(SIGSEGV, &si, &uc, 77, sl);
    read_rec(0, &r);
    ck_assert_int_eq(r.child, 1);
    ck_assert_int_eq(r.thread, 2);
    ck_assert_uint_eq(r.flags & (GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE
                                 | GUARD_CRASHF_NO_SLOT),
                      GUARD_CRASHF_REQUEST);
    ck_assert_int_eq(r.req_start, sl->req_start);
    ck_assert_int_eq(r.elapsed_ms, 1500);
    ck_assert_str_eq(r.req.method, "GET");
    ck_assert_str_eq(r.req.uri, "/crash.php?x=1");
    ck_assert_str_eq(r.req.client, "192.0.2.7");
    ck_assert_ptr_nonnull(strstr(read_report(),
                                 "serving \"GET /crash.php?x=1\" vhost "
                                 "\"example.org\" client \"192.0.2.7\" "
                                 "for 1500 ms"));
}
END_TEST

START_TEST(thread_request_done_or_none)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;
    guard_slot_t *sl = busy_slot(0, 1, "/done");

    /* Logged, its pool's cleanups running. */
    sl->state = GUARD_WS_IDLE;
    sl->done_req_start = sl->req_start;
    memset(sl->req.uri, 'u', sizeof(sl->req.uri));   /* unterminated */
    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    capture(SIGSEGV, &si, &uc, 5, sl);
    read_rec(0, &r);
    ck_assert_uint_eq(r.flags & (GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE),
                      GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE);
    ck_assert_uint_eq(strlen(r.req.uri), sizeof(r.req.uri) - 1);

    /* An idle thread with a slot: no request, but its place. */
    cx.owner = 0;
    sl->done_req_start = 0;
    capture(SIGSEGV, &si, &uc, 5, sl);
    read_rec(1, &r);
    ck_assert_int_eq(r.child, 0);
    ck_assert_int_eq(r.thread, 1);
    ck_assert_uint_eq(r.flags & (GUARD_CRASHF_REQUEST | GUARD_CRASHF_NO_SLOT),
                      0);
    ck_assert_int_eq(r.elapsed_ms, -1);
    ck_assert_int_eq(r.req_start, 0);
}
END_TEST

START_TEST(no_slot_table)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;

    cx.shm = NULL;
    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    capture(SIGSEGV, &si, &uc, 5, busy_slot(0, 0, "/x"));
    read_rec(0, &r);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_NO_SLOT, 0);
    ck_assert_uint_eq(r.flags & GUARD_CRASHF_REQUEST, 0);
    ck_assert_int_eq(r.child, 1);
}
END_TEST

START_TEST(null_siginfo_and_context)
{
    guard_crash_rec_t r;

    ck_assert_int_eq(capture(SIGILL, NULL, NULL, 9, NULL),
                     GUARD_CAPTURE_FULL);
    read_rec(0, &r);
    ck_assert_int_eq(r.signo, SIGILL);
    ck_assert_int_eq(r.si_code, 0);
    ck_assert_uint_eq(r.addr, 0);
    ck_assert_uint_eq(r.ip, 0);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_SENT, 0);
    ck_assert_uint_eq(guard_crash_fault_ip(NULL), 0);
    /* ip 0 is not among the frames: all of them are kept. */
    ck_assert_uint_eq(r.nframes, 5);
}
END_TEST

START_TEST(no_segment_records_nothing)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_shm_t *c = cx.crash;

    cx.crash = NULL;
    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    ck_assert_int_eq(capture(SIGSEGV, &si, &uc, 9, NULL), GUARD_CAPTURE_NONE);
    ck_assert_int_eq(armed, 0);
    ck_assert_int_eq(cx.owner, 0);
    ck_assert_uint_eq(guard_crash_total(c), 0);
    ck_assert_str_eq(read_report(), "");
}
END_TEST

START_TEST(other_thread_and_nested)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;
    const char *rep;

    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    capture(SIGSEGV, &si, &uc, 100, NULL);
    (void)read_report();
    /* Another thread while the first is still in the handler. */
    ck_assert_int_eq(capture(SIGSEGV, &si, &uc, 101, NULL),
                     GUARD_CAPTURE_MINIMAL);
    read_rec(1, &r);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_MINIMAL, 0);
    ck_assert_uint_eq(r.nframes, 0);
    ck_assert_int_eq(r.handler_us, -1);
    /* The first thread's handler itself crashing. */
    ck_assert_int_eq(capture(SIGBUS, &si, &uc, 100, NULL),
                     GUARD_CAPTURE_NESTED);
    read_rec(2, &r);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_NESTED, 0);
    ck_assert_int_eq(armed, SIGSEGV);
    rep = read_report();
    ck_assert_ptr_nonnull(strstr(rep, "crash 2: SIGSEGV"));
    ck_assert_ptr_nonnull(strstr(rep, "crash 3: SIGBUS"));
    ck_assert_ptr_null(strstr(rep, "backtrace:"));
    /* Only the owner's record is kept as the child's last. */
    ck_assert_int_eq(guard_crash_last_of(cx.crash, 1, getpid(), &r), 1);
    ck_assert_uint_eq(r.id, 1);
}
END_TEST

START_TEST(full_ring_keeps_counting)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;
    int i;

    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0x20);
    for (i = 0; i < 6; i++) {
        cx.owner = 0;
        capture(i == 5 ? SIGFPE : SIGSEGV, &si, &uc, 200 + i, NULL);
    }
    ck_assert_uint_eq(guard_crash_total(cx.crash), 6);
    ck_assert_int_eq(guard_crash_read(cx.crash, 0, &r), 0);
    ck_assert_int_eq(guard_crash_read(cx.crash, 1, &r), 0);
    read_rec(4, &r);
    ck_assert_uint_eq(group_count(r.signature), 5);
    read_rec(5, &r);
    ck_assert_int_eq(r.tid, 205);
    ck_assert_int_eq(r.signo, SIGFPE);
    ck_assert_uint_eq(cx.crash->hdr->by_signal[GUARD_CSIG_SEGV], 5);
}
END_TEST

START_TEST(no_report_fd)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;

    cx.report_fd = -1;
    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    capture(SIGSEGV, &si, &uc, 9, NULL);
    read_rec(0, &r);
    ck_assert_uint_eq(r.nframes, 3);
    ck_assert_str_eq(read_report(), "");
}
END_TEST

START_TEST(time_limit_marks_record)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;

    ck_assert_int_eq(guard_crash_capture_limit(&cx), 0);
    fault(&si, &uc, SIGFPE, FPE_INTDIV, 0);
    capture(SIGFPE, &si, &uc, 9, NULL);
    ck_assert_int_eq(guard_crash_capture_limit(&cx), SIGFPE);
    read_rec(0, &r);
    ck_assert_uint_ne(r.flags & GUARD_CRASHF_LIMIT, 0);
}
END_TEST

static int unreadable(void *baton, apr_uint64_t addr, void *buf,
                      apr_size_t len)
{
    return -1;
}

START_TEST(php_frames_unreadable)
{
    siginfo_t si;
    ucontext_t uc;
    guard_crash_rec_t r;

    cx.php.read = unreadable;
    cx.php.eg = 0x1000;
    fault(&si, &uc, SIGSEGV, SEGV_MAPERR, 0);
    capture(SIGSEGV, &si, &uc, 9, NULL);
    read_rec(0, &r);
    ck_assert_uint_eq(r.flags & GUARD_CRASHF_PHP, 0);
    ck_assert_ptr_nonnull(strstr(read_report(),
                                 "php: the frames could not be read"));
}
END_TEST

Suite *guard_crash_capture_suite(void)
{
    Suite *s = suite_create("crash_capture");
    TCase *tc = tcase_create("capture");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, segv_with_address);
    tcase_add_test(tc, bus_fpe_abrt);
    tcase_add_test(tc, thread_with_request);
    tcase_add_test(tc, thread_request_done_or_none);
    tcase_add_test(tc, no_slot_table);
    tcase_add_test(tc, null_siginfo_and_context);
    tcase_add_test(tc, no_segment_records_nothing);
    tcase_add_test(tc, other_thread_and_nested);
    tcase_add_test(tc, full_ring_keeps_counting);
    tcase_add_test(tc, no_report_fd);
    tcase_add_test(tc, time_limit_marks_record);
    tcase_add_test(tc, php_frames_unreadable);
    suite_add_tcase(s, tc);
    return s;
}
