/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog's work, apart from its thread: one pass over the slots of
 * this child, and the sleep between passes. No malloc, no locks.
 */
#ifndef GUARD_WATCHDOG_H
#define GUARD_WATCHDOG_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"
#include "guard_crash.h"
#include "guard_crash_where.h"
#include "guard_cut_fpm.h"
#include "guard_inspect.h"
#include "guard_fpm.h"
#include "guard_lock_rule.h"
#include "guard_log.h"
#include "guard_stack_watch.h"
#include "guard_watchdog_log.h"

/* A worker whose wait has not changed is looked at again after a quarter
 * of the time it has spent in it, but at least every GUARD_WATCH_MAX_GAP
 * (and never more often than the interval); see guard_watch_next_look. */
#define GUARD_WATCH_MAX_GAP apr_time_from_sec(1)

/** GuardStuckTimeout's memory of one worker (process-local). */
typedef struct {
    apr_time_t req_start;         /* the request ended, or refused */
    apr_time_t retry;             /* refused by the rate limit: not before */
    /* A blocked thread that ran between two looks woke up: its wait, the
     * same in name (a sleep in a loop), began again. The last look that
     * found it had run, in the request quiet_req. */
    apr_time_t quiet_req;
    apr_time_t quiet_since;
} guard_watch_end_t;

/** GuardStuckTimeout's end of the process (the glue's, per MPM): the
 *  record is kept and GRD0900 logged already. */
typedef void guard_watch_end_fn(void *baton, int thread);

struct guard_watch;

/** Once a process stops gracefully: called after every pass; when the
 *  next pass is due (0: nothing to wait for). */
typedef apr_time_t guard_watch_drain_fn(struct guard_watch *w,
                                        apr_time_t now);

/** When the watchdog next looks at one worker of its child. */
typedef struct {
    apr_time_t req_start;         /* the request this was decided for */
    apr_time_t due;
} guard_watch_sched_t;

/**
 * A worker as the watchdog's last full look found it: a thread whose run
 * time has not changed since cannot have moved, so its wait (and stack)
 * stand without reading its files again.
 */
typedef struct {
    apr_time_t req_start;
    apr_int64_t run_ns;
    pid_t tid;
} guard_watch_seen_t;

typedef struct guard_watch {
    guard_shm_t *shm;
    int child;                    /* this process's child slot */
    /* Optional: [thread_limit] per-worker schedule (NULL: every worker
     * old enough is sampled at every pass). Process-local memory. */
    guard_watch_sched_t *sched;
    /* [thread_limit] stuck requests, process-local; zeroed at child start.
     * NULL: GRD0101 is not logged (the flags still clear). */
    guard_watch_stuck_t *stuck;
    pid_t pid;
    apr_interval_time_t interval;         /* between samples of a worker */
    apr_interval_time_t sample_after;     /* younger requests are not sampled */
    apr_interval_time_t stuck_threshold;
    guard_inspect_ctx_t ictx;
    guard_logger_t log;           /* debug: explain decisions */
    void *baton;
    /* Optional: 1 when the MPM says the thread serves nothing now. */
    int (*thread_released)(void *baton, int child, int thread);
    /* GuardLockWatch: the rules (NULL: none), and how young a request is
     * first sampled so that a lock wait is dated within its threshold. */
    const guard_lock_rules_t *lock_rules;
    apr_interval_time_t lock_sample_after;   /* 0: no rules */
    /* GuardFpmStatus: the pools, for lock chains inside FPM (NULL: none). */
    const guard_fpm_shm_t *fpm;
    const guard_fpm_addr_t *fpm_addrs;
    int nfpm;
    struct guard_lockfpm_seen *fpm_seen;  /* process-local, zeroed */

    /* Optional: a thread's run time (NULL: every look reads the thread's
     * files), and [thread_limit] last full looks (process-local). */
    guard_run_ns_fn *run_ns;
    void *run_baton;
    guard_watch_seen_t *seen;
    /* Optional: live stacks (NULL or off: none are read). */
    guard_stacker_t *stacker;
    /* Optional: GuardFpmStatus pools, for what is behind a cut FPM socket
     * (NULL: none). */
    guard_cut_fpm_t *fpm_cut;

    /* GuardStuckTimeout: where its records go (NULL: nowhere), this
     * process's module table (NULL: no native frames), how the process is
     * ended (NULL: it is not), and [thread_limit] ends (process-local). */
    guard_crash_shm_t *crash;
    const guard_where_t *(*where)(void);
    guard_watch_end_fn *end_process;
    guard_watch_drain_fn *drain;  /* NULL: none */
    const char *end_how;          /* GRD0900's words for end_process */
    int ending;                   /* end_process was called */
    apr_uint32_t generation;
    guard_watch_end_t *ends;

    /* Wake-up protocol with the request hooks (process-local memory). */
    apr_uint32_t starts;          /* bumped at every request start */
    apr_uint32_t sleeping;        /* 1 while asleep with nothing in flight */
    apr_uint32_t stop;
} guard_watch_t;

/**
 * After a sample: how long until the next look at this worker. The
 * interval while the wait changes, while it is on CPU, while its
 * GuardBackendTimeout runs on a backend socket or a GuardLockWatch rule
 * watches its lock wait; else a quarter of the time it has spent in the
 * same wait, at most GUARD_WATCH_MAX_GAP (thousands of workers asleep on
 * one slow thing cost little).
 */
apr_interval_time_t guard_watch_next_look(const guard_watch_t *w,
                                          const guard_slot_t *s,
                                          apr_time_t now);

/**
 * Sample every request of this child that is old enough, flag stuck ones.
 * @return when the next pass is due, or 0 when no request is in flight.
 */
apr_time_t guard_watch_pass(guard_watch_t *w, apr_time_t now);

/**
 * Requests of this child in flight other than those GuardStuckTimeout
 * ended (a process stopping gracefully ends once it has none).
 */
int guard_watch_others_busy(const guard_watch_t *w);

/** Request hooks call this after marking their slot busy. */
void guard_watch_request_started(guard_watch_t *w);

/**
 * Sleep until deadline (0: until a request starts). Returns early when a
 * request starts while idle, or on guard_watch_stop.
 * @param starts_seen  w->starts as read before the pass that decided
 */
void guard_watch_sleep(guard_watch_t *w, apr_uint32_t starts_seen,
                       apr_time_t deadline);

/** Ask the watchdog to end its loop and wake it. */
void guard_watch_stop(guard_watch_t *w);

/**
 * The process is ending: each of its stuck requests has ended with it.
 * Logs their GRD0101 and clears their flags. After the loop has stopped.
 */
void guard_watch_finish(guard_watch_t *w, apr_time_t now);

/** The loop: pass, sleep, until stopped. Runs in the watchdog thread. */
void guard_watch_run(guard_watch_t *w);

#endif
