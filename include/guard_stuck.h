/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardStuckTimeout, the last rung of the ladder: which waits it may end
 * (what mod_guard cannot cut), when, the server-wide rate limit the
 * children keep among themselves, and the record kept of an end, made as
 * a crash's is. Pure: no httpd; the watchdog decides, the glue ends.
 */
#ifndef GUARD_STUCK_H
#define GUARD_STUCK_H

#include <apr.h>
#include <apr_time.h>
#include "guard_crash.h"
#include "guard_crash_where.h"
#include "guard_shm.h"
#include "guard_stack.h"

/* At most this many processes ended by GuardStuckTimeout in a minute,
 * server-wide: a wait that hangs every request (a dead NFS mount) would
 * otherwise end children as fast as the parent makes them. */
#define GUARD_STUCK_ENDS_PER_MIN 5

#define GUARD_STUCK_MIN          apr_time_from_sec(1)
#define GUARD_STUCK_MAX          apr_time_from_sec(24 * 3600)

/** Why a request past its GuardStuckTimeout is or is not ended. */
typedef enum {
    GUARD_STUCK_END = 0,          /* ended */
    GUARD_STUCK_YOUNG,            /* its wait is younger than the timeout */
    GUARD_STUCK_CUTTABLE,         /* a backend socket: GuardBackendTimeout's */
    GUARD_STUCK_CLIENT,           /* the client, a listener, a CGI: the
                                   * server's own timeouts' */
    GUARD_STUCK_UNKNOWN,          /* nothing read of its wait */
    GUARD_STUCK_HOLDER,           /* a lock whose holder cut-holder or
                                   * end-holder frees */
    GUARD_STUCK_GONE              /* its request ended while it was looked
                                   * at: another may run on the thread */
} guard_stuck_why_e;

/** "ended", "backend socket" ... for debug lines. */
const char *guard_stuck_why_name(guard_stuck_why_e why);

/**
 * Whether a wait is one mod_guard cannot cut: CPU, a lock, a futex, a
 * file, a sleep, a pipe, a child process, another system call. Never a
 * socket (backend, client, listener, mod_cgid's daemon).
 */
guard_stuck_why_e guard_stuck_kind(const guard_wait_t *w);

/**
 * The decision for a request whose slot says timeout_ms (> 0): its wait
 * must be uncuttable and have lasted the timeout (since its first sample
 * saw it, not since the request began: a backend trickle seen on CPU for
 * a moment between bytes is never ended). floor: the wait is no older
 * than this (the request's start; for a blocked thread, the last look
 * that found it had run: a sleep in a loop is not one long sleep).
 * held_by_worker: a lock wait under cut-holder or end-holder whose chain
 * names a holder those rungs can free.
 */
guard_stuck_why_e guard_stuck_decide(const guard_wait_t *w,
                                     apr_uint32_t timeout_ms,
                                     apr_time_t floor, apr_time_t now,
                                     int held_by_worker);

/** When a request's wait, as w shows it, reaches timeout_ms (0: never). */
apr_time_t guard_stuck_due_at(const guard_wait_t *w, apr_uint32_t timeout_ms,
                              apr_time_t floor);

/**
 * 1 when the lock that w waits for is in a chain of the table whose
 * holder the lower rungs free: an httpd worker (cut-holder cuts its
 * backend socket) or an FPM worker (end-holder ends it), as the wait's
 * rule says.
 */
int guard_stuck_held_by_worker(const guard_shm_t *shm, const guard_wait_t *w);

/**
 * Take one end from the server-wide budget in *word (shared by every
 * child, atomics only): 1 when taken, 0 when this minute's ends are used
 * up. A child that writes the word wrongly only changes the children's
 * budget: the parent never reads it.
 */
int guard_stuck_rate_take(apr_uint64_t *word, apr_time_t now,
                          apr_uint32_t per_minute);

/** What the record of an end is made of. */
typedef struct {
    const guard_slot_t *slot;     /* the sample's copy */
    const guard_wait_t *wait;     /* as just seen */
    const guard_stack_t *stack;   /* its live stacks; NULL: none */
    const guard_where_t *where;   /* this process's modules; NULL: none */
    int child;
    int thread;
    apr_uint32_t generation;
    apr_time_t now;
} guard_stuck_src_t;

/**
 * The record of an end, as a crash's: request, vhost, client, the wait
 * in words, PHP frames and native frames (placed in modules as a crash's
 * are, from the live stack's module and offset), GUARD_CRASHF_STUCK.
 */
void guard_stuck_record(const guard_stuck_src_t *src, guard_crash_rec_t *r);

#endif
