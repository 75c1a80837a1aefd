/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog's stuck and cut lines (GRD0100, GRD0101, GRD0300-0302,
 * GRD0402-0403) in words, apart from the loop that decides them. Each
 * line is made from the copy of the slot its sample was taken of: the
 * live slot may already hold the worker's next request.
 */
#ifndef GUARD_WATCHDOG_LOG_H
#define GUARD_WATCHDOG_LOG_H

#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"
#include "guard_log.h"

/**
 * A worker's stuck request, as GRD0100 named it. GRD0101 names the same
 * one: by the time the watchdog sees that it ended, the slot may hold the
 * worker's next request (prefork), or another process (a child that
 * exited while stuck).
 */
typedef struct {
    apr_time_t req_start;         /* 0: none */
    apr_int32_t pid;
    apr_int32_t tid;
    char method[GUARD_METHOD_LEN];
    char uri[GUARD_URI_LEN];
} guard_watch_stuck_t;

/**
 * GRD0100: the request of s became stuck, waiting on wait.
 * @param threshold  GuardStuckThreshold as it applied
 * @param top        the top PHP frame (" in f /x.php:10") or ""
 */
void guard_watchdog_log_stuck(const guard_logger_t *log,
                              const guard_slot_t *s, const guard_wait_t *wait,
                              apr_time_t now, apr_interval_time_t threshold,
                              const char *top);

/**
 * GRD0101: the stuck request st has ended.
 * @param why  "" or what ended it (", its process is exiting")
 */
void guard_watchdog_log_unstuck(const guard_logger_t *log,
                                const guard_watch_stuck_t *st,
                                apr_time_t now, const char *why);

/** GRD0300 / GRD0301 / GRD0302: a backend socket cut, only reported, or
 *  not cut, as c says. top as for guard_watchdog_log_stuck. */
void guard_watchdog_log_cut(const guard_logger_t *log, const guard_slot_t *s,
                            const guard_cut_t *c, const char *top);

/** GRD0402 / GRD0403: a lock holder's backend socket cut, or not. */
void guard_watchdog_log_holder_cut(const guard_logger_t *log,
                                   const guard_slot_t *s,
                                   const guard_cut_t *c, const char *top);

/**
 * GRD0900, before the process is ended: the request of s waited longer
 * than its GuardStuckTimeout on wait, which cannot be cut; its record is
 * id. how: what is done to the process ("ending the process").
 */
void guard_watchdog_log_stuck_end(const guard_logger_t *log,
                                  const guard_slot_t *s,
                                  const guard_wait_t *wait, apr_time_t now,
                                  apr_uint64_t id, const char *how,
                                  const char *top);

/** GRD0901: the same, not ended: the server-wide rate limit is used up. */
void guard_watchdog_log_stuck_rate(const guard_logger_t *log,
                                   const guard_slot_t *s, apr_time_t now,
                                   int per_minute);

#endif /* GUARD_WATCHDOG_LOG_H */
