/* Reading a worker's stacks for the watchdog (see guard_stack_watch.h). */
#include <string.h>
#include "guard_shm.h"
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

/* One walk, accepted when the thread did not run during it. Else walks
 * until two in a row agree (a thread on CPU in a loop), at most
 * GUARD_STACK_TRIES. */
static void walk_php(guard_stacker_t *sk, int thread, pid_t tid,
                     guard_stack_t *st)
{
    guard_php_walk_info_t info, prev = { 0, 0, 0, 0 };
    int i, n = -1, prev_n = -2, read_any = 0;

    for (i = 0; i < GUARD_STACK_TRIES; i++) {
        apr_int64_t before = run_ns(sk, thread, tid), after;

        n = guard_php_walk(&sk->walker, st->php, depth(sk), &info);
        after = run_ns(sk, thread, tid);
        read_any |= n >= 0;
        if (n >= 0 && before >= 0 && before == after) {
            break;
        }
        if (n >= 0 && n == prev_n && info.sig == prev.sig
            && info.complete == prev.complete) {
            break;
        }
        prev = info;
        prev_n = n;
        n = -1;
    }
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
    apr_int64_t before, after;
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
    after = run_ns(sk, thread, tid);
    if (before < 0 || before != after) {
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
        walk_php(sk, thread, tid, st);
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
