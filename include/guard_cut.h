/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardBackendTimeout: when a worker has been blocked on one backend socket
 * for longer than its timeout, with no data moving, cut that socket with
 * shutdown() so the blocked call returns and the request finishes.
 */
#ifndef GUARD_CUT_H
#define GUARD_CUT_H

#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"

typedef enum {
    GUARD_CUT_READ = 0,
    GUARD_CUT_WRITE,
    GUARD_CUT_CONNECT,
    GUARD_CUT_KINDS
} guard_cut_kind_e;

/** Which limit of GuardBackendTimeout ran out. */
typedef enum {
    GUARD_LIMIT_IDLE = 0,         /* no data either way for idle */
    GUARD_LIMIT_MAX,              /* the exchange ran max= */
    GUARD_LIMIT_MINRATE,          /* longer than idle + bytes / minrate= */
    GUARD_LIMITS
} guard_cut_limit_e;

/** A request's GuardBackendTimeout. */
typedef struct {
    apr_interval_time_t idle;     /* > 0 */
    apr_interval_time_t max;      /* 0: none */
    apr_uint32_t minrate;         /* bytes that buy a second; 0: none */
} guard_cut_limits_t;

#define GUARD_ACTION_CUT  0
#define GUARD_ACTION_LOG  1
/* In a guard_cut_t only: cut asked by a lock chain (GuardLockWatch
 * ... cut-holder), not by a timeout. */
#define GUARD_ACTION_CUT_HOLDER 2

/** Samples on CPU in a row that end a blocked stretch: a client library
 *  polling in short slices is seen on CPU once now and then, not twice. */
#define GUARD_CUT_CPU_STREAK 2

/**
 * Feed one sample of a busy worker into its tracking (t lives in the slot,
 * written by the watchdog only).
 *
 * A backend exchange is one request's use of one socket, from when its
 * worker was first seen waiting on it (for TCP dated back to the last
 * data the worker sent on it: the request it is waiting to be answered,
 * never before the request began). It is due:
 * - idle: blocked for >= lim->idle and, for TCP, no data either way for
 *   as long;
 * - max: the exchange ran lim->max;
 * - minrate: the exchange ran longer than lim->idle plus one second for
 *   every lim->minrate bytes received on the socket (TCP only).
 * @param blocked  how long it has been blocked on the tracked socket
 * @param limit    which limit ran out, when due
 * @return 1 when the tracked socket is due to be cut (or reported); it is
 *         then not due again for the same socket in this request.
 */
int guard_cut_track(guard_track_t *t, const guard_wait_t *w,
                    apr_time_t req_start, apr_time_t now,
                    const guard_cut_limits_t *lim,
                    apr_interval_time_t *blocked, guard_cut_limit_e *limit);

/** How long minrate= lets an exchange run that received bytes: idle plus
 *  one second for every minrate bytes. */
apr_interval_time_t guard_cut_minrate_allows(const guard_cut_limits_t *lim,
                                             apr_uint64_t bytes);

/**
 * Fill c for a cut of the socket that wait (sampled from the slot copy s)
 * is blocked on: when, for how long, the timeout that ran out (0: none),
 * the action, the call, fd and peer of the wait, and the request's URI.
 * c->ok is 1 for an action that cuts (until its shutdown() says
 * otherwise), 0 for GUARD_ACTION_LOG.
 */
void guard_cut_from_wait(guard_cut_t *c, const guard_slot_t *s,
                         const guard_wait_t *wait, apr_time_t now,
                         apr_interval_time_t blocked,
                         apr_interval_time_t timeout, int action);

/** What a cut by limit says besides: the limit, the exchange's age from
 *  t, the bytes received and minrate=. */
void guard_cut_limit_set(guard_cut_t *c, guard_cut_limit_e limit,
                         const guard_track_t *t, const guard_wait_t *w,
                         const guard_cut_limits_t *lim, apr_time_t now);

/** "idle", "max", "minrate". */
const char *guard_cut_limit_name(guard_cut_limit_e l);

/** What the blocked call was doing: read, write or connect. */
guard_cut_kind_e guard_cut_kind(const guard_wait_t *w);

/** "read", "write", "connect". */
const char *guard_cut_kind_name(guard_cut_kind_e k);

/**
 * Shut down socket fd both ways, if it is still the socket with inode ino.
 * It works on a dup() of fd: the socket cannot change under it, and the
 * application's fd is never closed (its number could be reused).
 * @return 0 when cut, -1 when fd is no longer that socket or shutdown failed
 */
int guard_cut_socket(int fd, apr_uint64_t ino);

#endif
