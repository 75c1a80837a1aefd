/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a worker's stacks for the watchdog (see guard_stack_watch.h). */
#include <string.h>
#include <apr_time.h>
#include "guard_shm.h"
#include "guard_seq.h"
#include "guard_stack_watch.h"

int guard_stacker_on(const guard_stacker_t *sk)
{
    return sk && (sk->php || sk->native);
}

void guard_stacker_destroy(guard_stacker_t *sk)
{
    guard_unwinder_destroy(sk->unwinder);
    sk->unwinder = NULL;
    sk->native = 0;
}

/* The unwinder, made on first use; a failure turns native frames off. */
static guard_unwinder_t *unwinder(guard_stacker_t *sk)
{
    char why[256];

    if (!sk->unwinder && sk->native) {
        sk->unwinder = guard_unwinder_create(why, sizeof(why));
        if (!sk->unwinder) {
            sk->native = 0;
            if (sk->log) {
                guard_log_say(sk->log, GUARD_LOG_NOTICE, GRD_NO_NATIVE_STACKS,
                              "no native frames in this child: %s", why);
            }
        }
    }
    return sk->unwinder;
}

static int depth(const guard_stacker_t *sk)
{
    return sk->depth > 0 && sk->depth < GUARD_STACK_FRAMES
           ? sk->depth : GUARD_STACK_FRAMES;
}

static apr_int64_t run_ns(const guard_stacker_t *sk, int thread, pid_t tid)
{
    return sk->run_ns ? sk->run_ns(sk->baton, thread, tid) : -1;
}

static void php_flags(guard_stack_t *st, const guard_php_walk_info_t *info)
{
    st->flags |= GUARD_STACKF_PHP_STABLE;
    if (info->complete) {
        st->flags |= GUARD_STACKF_PHP_COMPLETE;
    }
    if (info->line_approx) {
        st->flags |= GUARD_STACKF_PHP_LINE_APPROX;
    }
}

/* A blocked thread did not move during a reading: its run time is the
 * same and it is still blocked where it was. (The run time alone does not
 * tell: the kernel adds to it when the thread leaves the CPU or at a tick,
 * so one that just woke and runs shows the old figure.) */
static int held_still(const guard_stacker_t *sk, int thread, pid_t tid,
                      const guard_syscall_line_t *line, apr_int64_t before)
{
    apr_int64_t after = run_ns(sk, thread, tid);

    return before >= 0 && before == after && line->nr != -2
           && !line->running
           && (!sk->still || sk->still(sk->baton, thread, tid, line));
}

static int same_walk(const guard_php_frame_t *a, int na,
                     const guard_php_walk_info_t *ia,
                     const guard_php_frame_t *b, int nb,
                     const guard_php_walk_info_t *ib)
{
    return na >= 0 && na == nb && ia->sig == ib->sig
           && ia->complete == ib->complete
           && memcmp(a, b, (apr_size_t)na * sizeof(*a)) == 0;
}

/* A blocked thread: one walk during which it held still. */
static int walk_blocked(guard_stacker_t *sk, int thread, pid_t tid,
                        const guard_syscall_line_t *line, guard_stack_t *st,
                        guard_php_walk_info_t *info, int *read_any)
{
    int i, n;

    for (i = 0; i < GUARD_STACK_TRIES; i++) {
        apr_int64_t before = run_ns(sk, thread, tid);

        n = guard_php_walk(&sk->walker, st->php, depth(sk), info);
        *read_any |= n >= 0 || info->torn;
        if (n >= 0 && held_still(sk, thread, tid, line, before)) {
            return n;
        }
    }
    return -1;
}

/* A thread on the CPU: GUARD_STACK_AGREE walks, spread over a few ms so
 * that they do not fall in step with a loop of calls, must agree frame
 * for frame (a call-free loop stands still; a stack that churns gives
 * torn walks, which seldom agree thrice). */
static int walk_running(guard_stacker_t *sk, guard_stack_t *st,
                        guard_php_walk_info_t *info, int *read_any)
{
    static const apr_interval_time_t gaps[] = { 1000, 2300, 700 };
    guard_php_frame_t *again = sk->again;
    guard_php_walk_info_t other;
    int i, n, m;

    n = guard_php_walk(&sk->walker, st->php, depth(sk), info);
    *read_any |= n >= 0 || info->torn;
    for (i = 1; n >= 0 && i < GUARD_STACK_AGREE; i++) {
        apr_sleep(gaps[(i - 1) % (sizeof(gaps) / sizeof(gaps[0]))]);
        m = guard_php_walk(&sk->walker, again, depth(sk), &other);
        if (!same_walk(st->php, n, info, again, m, &other)) {
            return -1;
        }
    }
    return n;
}

static void walk_php(guard_stacker_t *sk, int thread, pid_t tid,
                     const guard_syscall_line_t *line, guard_stack_t *st)
{
    guard_php_walk_info_t info;
    int n, read_any = 0;

    memset(&info, 0, sizeof(info));
    n = line->running || line->nr == -2
        ? walk_running(sk, st, &info, &read_any)
        : walk_blocked(sk, thread, tid, line, st, &info, &read_any);
    if (n < 0) {
        st->php_status = read_any ? GUARD_PHP_UNSTABLE : GUARD_PHP_FAILED;
        st->nphp = 0;
        return;
    }
    st->php_status = GUARD_PHP_OK;
    st->nphp = (apr_uint32_t)n;
    php_flags(st, &info);
}

static void unwind_native(guard_stacker_t *sk, int thread, pid_t tid,
                          const guard_syscall_line_t *line, guard_stack_t *st)
{
    apr_int64_t before;
    apr_uint32_t status;
    int n;

    if (line->nr == -2) {
        st->native_status = GUARD_NATIVE_FAILED;
        return;
    }
    if (line->running) {
        st->native_status = GUARD_NATIVE_ON_CPU;
        return;
    }
    if (!unwinder(sk)) {
        st->native_status = GUARD_NATIVE_UNAVAILABLE;
        return;
    }
    before = run_ns(sk, thread, tid);
    n = guard_unwind(sk->unwinder, tid, line->pc, line->sp, st->native,
                     depth(sk), &status);
    if (!held_still(sk, thread, tid, line, before)) {
        /* It woke up: what was read may mix two stacks. */
        st->native_status = GUARD_NATIVE_MOVED;
        return;
    }
    st->nnative = (apr_uint32_t)n;
    st->native_status = status;
    st->flags |= GUARD_STACKF_NATIVE_STABLE;
    if (status == GUARD_NATIVE_END) {
        st->flags |= GUARD_STACKF_NATIVE_COMPLETE;
    }
}

static void publish(const guard_stack_t *st, guard_stack_t *live)
{
    guard_seq_write_begin(&live->seq);
    live->flags = st->flags;
    live->req_start = st->req_start;
    live->taken = st->taken;
    live->php_status = st->php_status;
    live->native_status = st->native_status;
    live->nphp = st->nphp;
    live->nnative = st->nnative;
    memcpy(live->php, st->php, st->nphp * sizeof(st->php[0]));
    memcpy(live->native, st->native, st->nnative * sizeof(st->native[0]));
    guard_seq_write_end(&live->seq);
}

/* LogLevel guard:debug: how each stack was had, and its cost. */
static void debug_take(const guard_stacker_t *sk, pid_t tid,
                       const guard_stack_t *st, apr_interval_time_t php_us,
                       apr_interval_time_t native_us)
{
    if (!sk->log || !sk->log->debug) {
        return;
    }
    guard_log_say(sk->log, GUARD_LOG_DEBUG, GRD_STACK_READ,
        "stacks of tid %d: PHP %s, %u frames%s in %" APR_INT64_T_FMT " us; "
        "native %s, %u frames in %" APR_INT64_T_FMT " us", (int)tid,
        guard_php_status_name(st->php_status), (unsigned)st->nphp,
        st->flags & GUARD_STACKF_PHP_COMPLETE ? " (complete)" : "",
        (apr_int64_t)php_us, guard_native_status_name(st->native_status),
        (unsigned)st->nnative, (apr_int64_t)native_us);
}

void guard_stack_take(guard_stacker_t *sk, int thread, pid_t tid,
                      apr_time_t req_start,
                      const guard_syscall_line_t *line, apr_time_t now,
                      guard_stack_t *live)
{
    guard_stack_t *st = &sk->scratch;
    apr_time_t t0 = apr_time_now(), t1;

    st->flags = 0;
    st->req_start = req_start;
    st->taken = now;
    st->nphp = st->nnative = 0;
    st->php_status = sk->php_off;
    st->native_status = sk->native_off;
    if (sk->php) {
        walk_php(sk, thread, tid, line, st);
    }
    t1 = apr_time_now();
    if (sk->native) {
        unwind_native(sk, thread, tid, line, st);
    }
    publish(st, live);
    debug_take(sk, tid, st, t1 - t0, apr_time_now() - t1);
}

void guard_stack_clear(guard_stack_t *live)
{
    if (!live->req_start) {
        return;
    }
    guard_seq_write_begin(&live->seq);
    live->req_start = 0;
    live->nphp = live->nnative = 0;
    live->php_status = GUARD_PHP_NONE;
    live->native_status = GUARD_NATIVE_NONE;
    live->flags = 0;
    guard_seq_write_end(&live->seq);
}
