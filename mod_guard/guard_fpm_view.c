/* SPDX-License-Identifier: Apache-2.0 */
/* The pages' copy of the FPM pools, joined with httpd's workers
 * (guard_status_fpm.h). */
#include <string.h>
#include "guard_status_fpm.h"

static int waits_on(const guard_worker_view_t *w, const guard_fpm_addr_t *a)
{
    return w->has_wait && w->slot.req_start
           && w->slot.wait.kind == GUARD_WAIT_BACKEND
           && guard_fpm_addr_is_peer(a, w->slot.wait.peer);
}

static void join(apr_pool_t *p, guard_fpm_pool_view_t *pv,
                 const guard_snapshot_t *s)
{
    guard_fpm_waiter_t *jw = apr_pcalloc(p, sizeof(*jw) * (s->nworkers + 1));
    int i, n = 0, np = (int)pv->rec.counts.nprocs;

    pv->waits = apr_pcalloc(p, sizeof(*pv->waits) * (s->nworkers + 1));
    pv->served = apr_palloc(p, sizeof(int) * (np + 1));
    for (i = 0; i < np; i++) {
        pv->served[i] = -1;
    }
    for (i = 0; i < s->nworkers; i++) {
        const guard_worker_view_t *w = &s->workers[i];

        if (waits_on(w, pv->addr)) {
            jw[n].method = w->slot.req.method;
            jw[n].uri = w->slot.req.uri;
            jw[n].query_hash = w->slot.query_hash;
            jw[n].req_start = w->slot.req_start;
            pv->waits[n++].worker = i;
        }
    }
    if (pv->rec.last_ok) {
        guard_fpm_join(pv->rec.procs, np, pv->rec.last_ok, jw, n);
    }
    for (i = 0; i < n; i++) {
        pv->waits[i].fpm = pv->rec.last_ok ? jw[i].fpm : -1;
        pv->waits[i].ambiguous = jw[i].ambiguous;
        if (pv->waits[i].fpm >= 0) {
            pv->served[pv->waits[i].fpm] = i;
        }
    }
    pv->nwaits = n;
}

static void count(guard_fpm_view_t *v, guard_fpm_pool_view_t *pv)
{
    apr_uint32_t i;

    for (i = 0; pv->rec.last_ok && i < pv->rec.counts.nprocs; i++) {
        const guard_fpm_proc_t *w = &pv->rec.procs[i];

        pv->busy += w->state != GUARD_FPM_IDLE;
        pv->stuck += guard_fpm_proc_stuck(w, v->stuck_threshold);
    }
    pv->full = pv->rec.last_ok && pv->rec.status == GUARD_FPM_OK
               && guard_fpm_full(&pv->rec.counts);
    v->stuck += pv->stuck;
    v->full += pv->full;
}

guard_fpm_view_t *guard_fpm_view_take(apr_pool_t *p,
                                      const guard_fpm_pool_t *pools,
                                      const guard_fpm_addr_t *addrs, int n,
                                      const guard_fpm_totals_t *totals,
                                      const guard_snapshot_t *s,
                                      apr_interval_time_t interval)
{
    guard_fpm_view_t *v = apr_pcalloc(p, sizeof(*v));
    int i;

    n = n < GUARD_FPM_POOLS ? n : GUARD_FPM_POOLS;
    v->pools = apr_pcalloc(p, sizeof(*v->pools) * (n + 1));
    v->npools = n;
    v->interval = interval;
    v->stuck_threshold = s->server.stuck_threshold;
    v->reads_total = totals->reads_total;
    v->failures_total = totals->failures_total;
    v->bytes_total = totals->bytes_total;
    v->cpu_us_total = totals->cpu_us_total;
    for (i = 0; i < n; i++) {
        guard_fpm_pool_view_t *pv = &v->pools[i];

        pv->addr = &addrs[i];
        pv->consistent = guard_fpm_pool_copy(&pools[i], &pv->rec);
        guard_fpm_sane(&pv->rec);
        join(p, pv, s);
        count(v, pv);
    }
    return v;
}
