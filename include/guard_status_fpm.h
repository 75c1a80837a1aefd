/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PHP-FPM section of /guard-status: a safe copy of each pool's record
 * joined with the snapshot's workers (guard_fpm_view_take), and its
 * rendering in every format. Pure.
 */
#ifndef GUARD_STATUS_FPM_H
#define GUARD_STATUS_FPM_H

#include "guard_fpm.h"
#include "guard_sink.h"
#include "guard_snapshot.h"

/** An httpd worker blocked on the pool's socket, and its FPM worker. */
typedef struct {
    int worker;                   /* index in the snapshot's workers */
    int fpm;                      /* index in the pool's procs; -1 */
    int ambiguous;                /* more than one FPM worker fits */
} guard_fpm_wait_view_t;

typedef struct {
    const guard_fpm_addr_t *addr;
    guard_fpm_pool_t rec;         /* the copy, made safe */
    int consistent;               /* 0: a write was under way */
    int stuck;                    /* FPM workers past the threshold */
    int busy;
    int full;                     /* guard_fpm_full, of a read that worked */
    int nwaits;
    guard_fpm_wait_view_t *waits;
    int *served;                  /* [nprocs]: the waiter (index in waits)
                                   * joined to each FPM worker; -1 */
} guard_fpm_pool_view_t;

typedef struct guard_fpm_view {
    int npools;
    guard_fpm_pool_view_t *pools;
    apr_interval_time_t interval;
    apr_interval_time_t stuck_threshold;
    apr_uint64_t reads_total;
    apr_uint64_t failures_total;
    apr_uint64_t bytes_total;
    apr_uint64_t cpu_us_total;    /* reader threads' CPU in reads */
    int stuck;                    /* over all pools */
    int full;                     /* pools full */
} guard_fpm_view_t;

/** Counters of the segment kept outside the pool records (atomics). */
typedef struct {
    apr_uint64_t reads_total;
    apr_uint64_t failures_total;
    apr_uint64_t bytes_total;
    apr_uint64_t cpu_us_total;
} guard_fpm_totals_t;

/**
 * Copy the n pools of shm (n from the configuration, never from the
 * segment), make each copy safe and join it with s's workers.
 */
guard_fpm_view_t *guard_fpm_view_take(apr_pool_t *p,
                                      const guard_fpm_pool_t *pools,
                                      const guard_fpm_addr_t *addrs, int n,
                                      const guard_fpm_totals_t *totals,
                                      const guard_snapshot_t *s,
                                      apr_interval_time_t interval);

/** The section in each format; JSON writes "fpm":{...}, with a comma. */
void guard_fpm_render_html(const guard_fpm_view_t *v,
                           const guard_snapshot_t *s, guard_sink_t *o);
void guard_fpm_render_json(const guard_fpm_view_t *v,
                           const guard_snapshot_t *s, guard_sink_t *o);
void guard_fpm_render_auto(const guard_fpm_view_t *v, guard_sink_t *o);
void guard_fpm_render_prometheus(const guard_fpm_view_t *v, guard_sink_t *o);

#endif
