/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of guard_stack.c: names, the top PHP frame, copies. */
#include <stdint.h>
#include <string.h>
#include <check.h>
#include "guard_stack.h"
#include "guard_stack_watch.h"
#include "guard_status_stack.h"
#include "guard_shm.h"
#include "guard_snapshot.h"
#include <stdlib.h>
#include "guard_unit.h"

START_TEST(top_frame_user)
{
    static guard_stack_t st;
    char buf[128];

    memset(&st, 0, sizeof(st));
    st.php_status = GUARD_PHP_OK;
    st.nphp = 2;
    guard_unit_php_frame(&st.php[0], "Svc::run", "/x.php", 10, 0);
    guard_unit_php_frame(&st.php[1], "{main}", "/x.php", 12, 0);
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in Svc::run /x.php:10");
}
END_TEST

START_TEST(top_frame_internal_names_its_caller)
{
    static guard_stack_t st;
    char buf[128];

    memset(&st, 0, sizeof(st));
    st.php_status = GUARD_PHP_OK;
    st.nphp = 2;
    guard_unit_php_frame(&st.php[0], "fread", "", 0, GUARD_PHPF_INTERNAL);
    guard_unit_php_frame(&st.php[1], "c", "/x.php", 5, 0);
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in fread() from c /x.php:5");
    st.php[1].flags = GUARD_PHPF_LINE_APPROX;
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in fread() from c /x.php:5 (approximate)");
}
END_TEST

START_TEST(top_frame_none_and_bounded)
{
    static guard_stack_t st;
    char buf[16];

    memset(&st, 0, sizeof(st));
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    st.php_status = GUARD_PHP_OK;
    st.nphp = 1;
    /* Not NUL-terminated: bounded by the field. */
    memset(st.php[0].function, 'f', sizeof(st.php[0].function));
    memset(st.php[0].file, 'p', sizeof(st.php[0].file));
    st.php[0].line = 4294967295u;
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
    ck_assert_str_eq(buf, " in fffffffffff");
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(guard_php_status_name(GUARD_PHP_OK), "ok");
    ck_assert_str_eq(guard_php_status_name(GUARD_PHP_STATUS_MAX), "?");
    ck_assert_str_eq(guard_native_status_name(GUARD_NATIVE_JIT), "jit");
    ck_assert_str_eq(guard_native_status_name(99), "?");
}
END_TEST

START_TEST(read_copies_used_frames)
{
    static guard_stack_t src, dst;

    memset(&src, 0, sizeof(src));
    memset(&dst, 0xaa, sizeof(dst));
    src.req_start = 42;
    src.nphp = 1;
    src.nnative = 1000;           /* out of range: clamped */
    guard_unit_php_frame(&src.php[0], "a", "/a.php", 3, 0);
    ck_assert_int_eq(guard_stack_read(&src, &dst), 1);
    ck_assert_int_eq(dst.req_start, 42);
    ck_assert_uint_eq(dst.nphp, 1);
    ck_assert_uint_eq(dst.nnative, GUARD_STACK_FRAMES);
    ck_assert_str_eq(dst.php[0].function, "a");
    src.seq = 1;                  /* a writer that never finishes */
    ck_assert_int_eq(guard_stack_read(&src, &dst), 0);
}
END_TEST

/* A PHP whose executor globals are all zero: no code runs. */
static char eg_image[4096];
static int reads_fail;
static apr_int64_t clock_ns;
static int clock_step;

static int read_image(void *baton, apr_uint64_t addr, void *buf,
                      apr_size_t len)
{
    apr_uint64_t base = (apr_uint64_t)(uintptr_t)eg_image;

    if (reads_fail || addr < base || addr + len > base + sizeof(eg_image)) {
        return -1;
    }
    memcpy(buf, eg_image + (addr - base), len);
    return 0;
}

static apr_int64_t fake_run_ns(void *baton, int thread, pid_t tid)
{
    clock_ns += clock_step;
    return clock_ns;
}

static guard_stacker_t *stacker(void)
{
    static guard_stacker_t sk;

    memset(&sk, 0, sizeof(sk));
    memset(eg_image, 0, sizeof(eg_image));
    reads_fail = 0;
    clock_step = 0;
    clock_ns = 0;
    sk.php = 1;
    sk.walker.read = read_image;
    sk.walker.eg = (apr_uint64_t)(uintptr_t)eg_image;
    sk.run_ns = fake_run_ns;
    sk.php_off = GUARD_PHP_UNAVAILABLE;
    sk.native_off = GUARD_NATIVE_UNAVAILABLE;
    return &sk;
}

START_TEST(take_php_idle_interpreter)
{
    static guard_stack_t live;
    guard_syscall_line_t line;

    memset(&live, 0, sizeof(live));
    memset(&line, 0, sizeof(line));
    guard_stack_take(stacker(), 0, 1, 77, &line, 99, &live);
    ck_assert_uint_eq(live.seq % 2, 0);
    ck_assert_int_eq(live.req_start, 77);
    ck_assert_int_eq(live.taken, 99);
    ck_assert_uint_eq(live.native_status, GUARD_NATIVE_UNAVAILABLE);
    if (!guard_php_built()) {
        ck_assert_uint_eq(live.php_status, GUARD_PHP_FAILED);
        return;
    }
    ck_assert_uint_eq(live.php_status, GUARD_PHP_OK);
    ck_assert_uint_eq(live.nphp, 0);
    ck_assert_uint_eq(live.flags, GUARD_STACKF_PHP_COMPLETE
                                  | GUARD_STACKF_PHP_STABLE);
}
END_TEST

START_TEST(take_php_running_thread_needs_agreeing_walks)
{
    static guard_stack_t live;
    guard_stacker_t *sk = stacker();
    guard_syscall_line_t line;

    memset(&line, 0, sizeof(line));
    line.running = 1;
    clock_step = 1000;            /* on CPU: runs during every walk */
    guard_stack_take(sk, 0, 1, 77, &line, 99, &live);
    if (!guard_php_built()) {
        return;
    }
    ck_assert_uint_eq(live.php_status, GUARD_PHP_OK);
    ck_assert_uint_ne(live.flags & GUARD_STACKF_PHP_STABLE, 0);
    /* Its run time says nothing of a thread on the CPU: not read. */
    ck_assert_int_eq(clock_ns, 0);
}
END_TEST

/* A blocked thread whose run time moved during every walk: unstable. */
START_TEST(take_php_blocked_thread_that_runs_is_unstable)
{
    static guard_stack_t live;
    guard_stacker_t *sk = stacker();
    guard_syscall_line_t line;

    memset(&line, 0, sizeof(line));
    line.nr = 7;
    clock_step = 1000;
    guard_stack_take(sk, 0, 1, 77, &line, 99, &live);
    if (!guard_php_built()) {
        return;
    }
    ck_assert_uint_eq(live.php_status, GUARD_PHP_UNSTABLE);
    ck_assert_uint_eq(live.nphp, 0);
    ck_assert_int_eq(clock_ns, 2 * GUARD_STACK_TRIES * 1000);
}
END_TEST

START_TEST(take_php_unreadable_is_failed)
{
    static guard_stack_t live;
    guard_stacker_t *sk = stacker();
    guard_syscall_line_t line;

    memset(&line, 0, sizeof(line));
    reads_fail = 1;
    guard_stack_take(sk, 0, 1, 77, &line, 99, &live);
    ck_assert_uint_eq(live.php_status, GUARD_PHP_FAILED);
    ck_assert_uint_eq(live.nphp, 0);
    ck_assert_uint_eq(live.flags, 0);
}
END_TEST

START_TEST(take_nothing_when_off)
{
    static guard_stack_t live;
    guard_stacker_t *sk = stacker();
    guard_syscall_line_t line;

    memset(&line, 0, sizeof(line));
    sk->php = 0;
    ck_assert_int_eq(guard_stacker_on(sk), 0);
    ck_assert_int_eq(guard_stacker_on(NULL), 0);
    guard_stack_take(sk, 0, 1, 77, &line, 99, &live);
    ck_assert_uint_eq(live.php_status, GUARD_PHP_UNAVAILABLE);
    ck_assert_uint_eq(live.native_status, GUARD_NATIVE_UNAVAILABLE);
    guard_stack_clear(&live);
    ck_assert_int_eq(live.req_start, 0);
    ck_assert_uint_eq(live.php_status, GUARD_PHP_NONE);
    ck_assert_uint_eq(live.seq % 2, 0);
}
END_TEST

START_TEST(json_native_offsets_and_build_ids)
{
    static guard_native_frame_t nf[2];
    guard_stack_view_t v;
    apr_pool_t *p;
    guard_sink_t *o;
    const char *txt;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    memset(&v, 0, sizeof(v));
    memset(nf, 0, sizeof(nf));
    nf[0].offset = 0;
    nf[1].offset = APR_UINT64_C(0xffffffffffffffff);
    nf[1].build_id_len = 99;      /* out of range: clamped */
    memset(nf[1].build_id, 0xab, sizeof(nf[1].build_id));
    v.nnative = 2;
    v.native = nf;
    o = guard_sink_buffer(p);
    guard_stack_render_json(&v, 1, o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "{\"module\":\"\",\"offset\":\"0x0\","
                                      "\"symbol\":\"\",\"build_id\":\"\"}"));
    ck_assert_ptr_nonnull(strstr(txt, "\"offset\":\"0xffffffffffffffff\","
        "\"symbol\":\"\",\"build_id\":\"abababababababababababababababababababab\"}"));
    ck_assert_ptr_nonnull(strstr(txt, "\"native_count\":2,"));
    o = guard_sink_buffer(p);
    guard_stack_render_json(&v, 0, o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "\"native_frames\":[],"));
    apr_pool_destroy(p);
}
END_TEST

/* 319 stuck workers with native frames, one young one: the lists show
 * the frames of the 256 longest stuck, and a young worker's never. */
START_TEST(snapshot_lists_native_of_longest_stuck)
{
    enum { SLN = 2, TLN = 200 };
    apr_time_t now = apr_time_from_sec(100000);
    guard_server_info_t info;
    guard_snapshot_t *snap;
    guard_shm_t shm;
    apr_pool_t *p;
    void *base = calloc(1, guard_shm_size(SLN, TLN));
    int c, t, listed = 0, listed_young = 0;
    apr_int64_t shortest_listed = -1, longest_unlisted = -1;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    guard_shm_init(base, SLN, TLN, now);
    guard_shm_attach(&shm, base, SLN, TLN);
    for (c = 0; c < SLN; c++) {
        shm.children[c].state = GUARD_CHILD_RUNNING;
        shm.children[c].pid = 100 + c;
        for (t = 0; t < TLN; t++) {
            guard_slot_t *sl = guard_shm_slot(&shm, c, t);
            guard_stack_t *st = guard_shm_stack(&shm, c, t);
            int k = c * TLN + t;

            sl->state = GUARD_WS_BUSY;
            sl->pid = 100 + c;
            /* k = 0 is young; the others stuck 10 s + k ms ago (one in
             * five with no native frames). */
            sl->req_start = k == 0 ? now - apr_time_from_sec(1)
                            : now - apr_time_from_sec(10)
                              - apr_time_from_msec(k);
            st->req_start = sl->req_start;
            st->nnative = k % 5 == 4 ? 0 : 1;
        }
    }
    memset(&info, 0, sizeof(info));
    info.stuck_threshold = apr_time_from_sec(5);
    info.server_limit = SLN;
    info.thread_limit = TLN;
    snap = guard_snapshot_take(p, &shm, &info, now);
    ck_assert_int_eq(snap->nworkers, SLN * TLN);
    for (c = 0; c < snap->nworkers; c++) {
        const guard_worker_view_t *w = &snap->workers[c];

        ck_assert_ptr_nonnull(w->stack);
        if (w->list_native) {
            listed++;
            listed_young += !w->stuck;
            ck_assert_int_gt(w->stack->nnative, 0);
            ck_assert_ptr_nonnull(w->stack->native);
            if (shortest_listed < 0 || w->elapsed_ms < shortest_listed) {
                shortest_listed = w->elapsed_ms;
            }
        }
        else {
            /* Not copied until asked for (?stack=). */
            ck_assert_ptr_null(w->stack->native);
            if (w->stuck && w->stack->nnative > 0
                && w->elapsed_ms > longest_unlisted) {
                longest_unlisted = w->elapsed_ms;
            }
        }
    }
    ck_assert_int_eq(listed, GUARD_LIST_NATIVE_MAX);
    ck_assert_int_eq(listed_young, 0);
    ck_assert_int_gt(shortest_listed, longest_unlisted);
    ck_assert_int_eq(guard_snapshot_native(p, &snap->workers[0]), 1);
    ck_assert_ptr_nonnull(snap->workers[0].stack->native);
    /* Its record moved on to another request: nothing copied. */
    guard_shm_stack(&shm, 0, 1)->req_start = 1;
    ck_assert_int_eq(guard_snapshot_native(p, &snap->workers[1]), 0);
    apr_pool_destroy(p);
    free(base);
}
END_TEST

Suite *guard_stack_suite(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("record");

    tcase_add_test(tc, top_frame_user);
    tcase_add_test(tc, top_frame_internal_names_its_caller);
    tcase_add_test(tc, top_frame_none_and_bounded);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, read_copies_used_frames);
    tcase_add_test(tc, json_native_offsets_and_build_ids);
    tcase_add_test(tc, snapshot_lists_native_of_longest_stuck);
    suite_add_tcase(s, tc);
    tc = tcase_create("take");
    tcase_add_test(tc, take_php_idle_interpreter);
    tcase_add_test(tc, take_php_running_thread_needs_agreeing_walks);
    tcase_add_test(tc, take_php_blocked_thread_that_runs_is_unstable);
    tcase_add_test(tc, take_php_unreadable_is_failed);
    tcase_add_test(tc, take_nothing_when_off);
    suite_add_tcase(s, tc);
    return s;
}
