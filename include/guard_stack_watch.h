/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When and how the watchdog reads a worker's stacks: after a sample that
 * found the thread had run since the last one (a thread that did not run
 * cannot have moved: its record stays), PHP frames and, for a blocked
 * thread, native frames. A stack is accepted only when stable: a blocked
 * thread's run time did not change during the reading and it is still
 * blocked where it was; for a thread on the CPU, three PHP walks spread
 * over a few ms agreed. Process-local state, one writer: the watchdog.
 */
#ifndef GUARD_STACK_WATCH_H
#define GUARD_STACK_WATCH_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_log.h"
#include "guard_proc.h"
#include "guard_stack.h"
#include "guard_stack_native.h"
#include "guard_stack_php.h"

/* PHP walks tried before a blocked thread's stack that keeps moving is
 * given up; walks that must agree for a thread on the CPU. */
#define GUARD_STACK_TRIES 4
#define GUARD_STACK_AGREE 3

/** 1 when thread tid (slot thread) is still blocked as line says. */
typedef int guard_still_fn(void *baton, int thread, pid_t tid,
                           const guard_syscall_line_t *line);

/** The run time in ns (schedstat) of thread tid in slot thread, or -1
 *  when unreadable. */
typedef apr_int64_t guard_run_ns_fn(void *baton, int thread, pid_t tid);

typedef struct {
    int depth;                    /* GuardStackDepth: frames of each kind */
    int php;                      /* 1: PHP frames are walked */
    guard_php_walker_t walker;
    int native;                   /* 1: native frames are unwound */
    /* Made at the first unwind (idle children never pay for libdw's
     * module tables); NULL until then, or for good when it failed. */
    guard_unwinder_t *unwinder;
    apr_uint32_t php_off;         /* status when php is 0 */
    apr_uint32_t native_off;      /* status when unwinder is NULL */
    guard_run_ns_fn *run_ns;
    guard_still_fn *still;        /* optional: the syscall file read again */
    void *baton;                  /* of both */
    const guard_logger_t *log;    /* debug: what was read, in how long */
    guard_stack_t scratch;        /* the record being read */
    guard_php_frame_t again[GUARD_STACK_FRAMES];   /* a walk to compare */
} guard_stacker_t;

/** 1 when the stacker reads anything at all. */
int guard_stacker_on(const guard_stacker_t *sk);

/** The end of the stacker: its unwinder goes. */
void guard_stacker_destroy(guard_stacker_t *sk);

/**
 * Read the stacks of thread tid, in the request that began at req_start,
 * and publish them in live (under its seq).
 * @param line  the thread's syscall line as just sampled (running, or
 *              blocked with sp and pc; nr -2: unreadable)
 */
void guard_stack_take(guard_stacker_t *sk, int thread, pid_t tid,
                      apr_time_t req_start,
                      const guard_syscall_line_t *line, apr_time_t now,
                      guard_stack_t *live);

/** The record is about another request now: say it holds nothing. */
void guard_stack_clear(guard_stack_t *live);

#endif
