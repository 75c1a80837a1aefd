/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture: what a child's signal handler records of a crash, apart
 * from the handler itself (mod_guard_crash_signal.c installs it, keeps the
 * actions it replaced, and re-raises). Driven by a context filled at child
 * start: the crash segment, the slot table, the module ranges, the clocks.
 * Everything here is async-signal-safe: no malloc, no locks, no stdio. No
 * httpd headers: unit-tested with made-up siginfo_t and ucontext_t.
 */
#ifndef GUARD_CRASH_CAPTURE_H
#define GUARD_CRASH_CAPTURE_H

#include <signal.h>
#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_crash.h"
#include "guard_crash_where.h"
#include "guard_shm.h"
#include "guard_stack_php.h"

/* A second thread crashing waits this long for the first one's report. */
#define GUARD_CRASH_OTHER_WAIT_MS 2000

/** backtrace() of glibc, or a test's. */
typedef int guard_backtrace_fn(void **frames, int max);

/** Wall clock, async-signal-safe. */
typedef apr_time_t guard_crash_clock_fn(void);

/** The time limit: armed on the owner's entry with the crash's signal,
 *  disarmed once the record and the report are done. */
typedef void guard_crash_limit_fn(int sig);

typedef struct {
    guard_crash_shm_t *crash;     /* NULL: nothing is recorded */
    guard_shm_t *shm;             /* the slot table; NULL: none */
    const guard_where_t *where;   /* module ranges, read outside handlers */
    int child;                    /* scoreboard child slot; -1 unknown */
    apr_uint32_t generation;
    int report_fd;                /* the report's descriptor; -1: none */
    int test_hang;                /* GUARD_TEST_CRASH_HANG: tests only */
    int other_wait_ms;            /* a second thread's wait for the first */
    guard_php_walker_t php;       /* eg 0: no PHP frames */
    guard_backtrace_fn *backtrace;
    guard_crash_clock_fn *now;
    guard_crash_limit_fn *arm;    /* NULL: no time limit */
    guard_crash_limit_fn *disarm;
    /* The handler's own state. */
    pid_t owner;                  /* tid of the thread capturing; 0 none */
    volatile sig_atomic_t limit_sig;
    guard_crash_rec_t *volatile limit_slot;
} guard_crash_ctx_t;

/** One crash as the handler gets it. */
typedef struct {
    int sig;
    const siginfo_t *si;          /* may be NULL */
    const void *uc;               /* ucontext_t; may be NULL */
    pid_t tid;                    /* the crashing thread */
    const guard_slot_t *slot;     /* its slot; NULL: it never served */
} guard_crash_event_t;

typedef enum {
    GUARD_CAPTURE_NONE = 0,       /* no crash segment: nothing recorded */
    GUARD_CAPTURE_FULL,           /* the first crash of the process */
    GUARD_CAPTURE_MINIMAL,        /* another thread was already crashing */
    GUARD_CAPTURE_NESTED          /* the capture itself crashed */
} guard_capture_e;

/**
 * Defaults: no segment, no report, glibc's backtrace(), the real-time
 * clock, PHP frames read with process_vm_readv() (guard_inspect_copy).
 */
void guard_crash_capture_init(guard_crash_ctx_t *cx);

/** CLOCK_REALTIME in microseconds, async-signal-safe. */
apr_time_t guard_crash_capture_now(void);

/** The instruction pointer of a ucontext_t (0 when NULL or unknown). */
apr_uint64_t guard_crash_fault_ip(const void *uc);

/**
 * Record a crash: the first thread in gets the full record (the slot's
 * request, frames, PHP frames, a report), any other a minimal one, after
 * which it waits up to other_wait_ms for the first to finish. The caller
 * then lets the process die as it would have. Async-signal-safe.
 */
guard_capture_e guard_crash_capture(guard_crash_ctx_t *cx,
                                    const guard_crash_event_t *ev);

/**
 * The time limit ran out: the record in progress is marked
 * (GUARD_CRASHF_LIMIT). @return the signal of the crash, which the
 * process is then to die of.
 */
int guard_crash_capture_limit(guard_crash_ctx_t *cx);

#endif
