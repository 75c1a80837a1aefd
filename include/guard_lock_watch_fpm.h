/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lock pass of a watchdog across the FPM boundary: FPM workers that
 * wait on a watched file make a chain as httpd's workers do; a holder in
 * FPM is named with its request; the httpd requests behind FPM waiters
 * are joined as the pages join them (guard_fpm_join); end-holder ends an
 * FPM worker holder (guard_lock_end.h). Stack buffers only.
 */
#ifndef GUARD_LOCK_WATCH_FPM_H
#define GUARD_LOCK_WATCH_FPM_H

#include <apr.h>
#include <apr_time.h>
#include "guard_lock_fpm.h"
#include "guard_lock_procfs.h"
#include "guard_lock_watch.h"

/**
 * FPM's lock waits now: the pools' workers, and while one runs a request
 * (or a pool's status cannot be read), one read of /proc/locks for their
 * "->" lines, dated, and the files of their locks. @return the number of
 * FPM lock waits
 */
int guard_lwfpm_scan(const guard_lockwatch_ctx_t *w, apr_time_t now,
                     guard_lockfpm_t *f);

/** Claim the chains of locks FPM workers wait for past their rule's
 *  duration. @return how many this watchdog keeps */
int guard_lwfpm_claim(const guard_lockwatch_ctx_t *w, apr_time_t now,
                      guard_lockfpm_t *f);

/**
 * Add the FPM workers waiting for c's lock to c and to t's waiter pids;
 * the rule's end-holder and duration. @return how many
 */
int guard_lwfpm_add_waiters(const guard_lockwatch_ctx_t *w,
                            const guard_lockfpm_t *f, guard_chain_t *c,
                            guard_lock_target_t *t,
                            apr_interval_time_t *duration);

/** When c's holder pid is an FPM worker: its pool, request and wait. */
void guard_lwfpm_holder(const guard_lockwatch_ctx_t *w,
                        const guard_lockfpm_t *f, guard_chain_t *c);

/** The httpd workers whose requests c's FPM waiters serve. */
void guard_lwfpm_behind(const guard_lockwatch_ctx_t *w, guard_chain_t *c);

/** end-holder: decide, log, and send SIGTERM. */
void guard_lwfpm_end(const guard_lockwatch_ctx_t *w,
                     const guard_lockfpm_t *f, guard_chain_t *c,
                     apr_interval_time_t duration, apr_time_t now);

/** ", FPM worker 1234 serves GET /x (pid 55 tid 56), ..." of the chain
 *  line, appended to line. */
void guard_lwfpm_append_behind(const guard_lockwatch_ctx_t *w,
                               const guard_chain_t *c, char *line,
                               apr_size_t len);

#endif
