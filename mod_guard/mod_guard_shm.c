/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The segment is anonymous shared memory from the parent's process pool,
 * kept in retained data so graceful restarts find it again with its
 * counters. It holds no locks, so a child killed mid-write blocks nobody.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "apr_shm.h"
#include "apr_optional.h"
#include "mod_http2.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_retained.h"
#include "mod_guard_shm.h"
#include "guard_seq.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY "mod_guard-shm"
/* HTTP/2 worker slots beyond H2MaxWorkers: an exiting worker gives its
 * slot back as it ends, after mod_http2 may have started the next. */
#define H2_SLOT_MARGIN 4
#define H2_SLOTS_MAX   4096

typedef struct {
    guard_segment_t seg;
    guard_shm_t view;
} guard_retained_t;

typedef struct {
    server_rec *s;
    int sl, tl;
    int h2_first;                 /* the MPM's ThreadLimit */
} shm_want_t;

static guard_retained_t *retained;

guard_shm_t *guard_glue_shm(void)
{
    return retained && retained->seg.ready ? &retained->view : NULL;
}

static int mpm_limit(int query, int fallback)
{
    int v = 0;

    if (ap_mpm_query(query, &v) != APR_SUCCESS || v < 1) {
        return fallback;
    }
    return v;
}

/* Decided by the parent's own view, not the segment's header. */
static int segment_fits(const void *base, apr_size_t size, void *baton)
{
    const shm_want_t *w = baton;

    return guard_shm_fits(&retained->view, size, w->sl, w->tl)
           && retained->view.h2_first == w->h2_first;
}

static void segment_dropped(const void *base, void *baton)
{
    const shm_want_t *w = baton;

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, w->s, GRD_SHM_RESIZED
                 ": limits changed to %d x %d (%d of them HTTP/2 workers): "
                 "counters start again", w->sl, w->tl, w->tl - w->h2_first);
}

/* mod_http2 serves streams on threads of its own, at most H2MaxWorkers
 * (by default 3/2 of ThreadsPerChild) per child: it says how many. */
static int h2_slots(server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(http2_get_num_workers) *num_workers;
    int minw = 0, maxw = 0;

    num_workers = APR_RETRIEVE_OPTIONAL_FN(http2_get_num_workers);
    if (!num_workers) {
        return 0;
    }
    num_workers(s, &minw, &maxw);
    if (maxw < minw) {
        maxw = minw;
    }
    if (maxw <= 0) {
        return 0;
    }
    return maxw + H2_SLOT_MARGIN > H2_SLOTS_MAX ? H2_SLOTS_MAX
                                                : maxw + H2_SLOT_MARGIN;
}

static const guard_segment_ops_t segment_ops = { segment_fits,
                                                 segment_dropped };

/* Kept: one restart more. Made: zeroed and described. Each child has
 * the MPM's tl slots, then h2 for mod_http2's workers. */
static apr_status_t get_segment(server_rec *s, int sl, int tl, int h2)
{
    shm_want_t w = { s, sl, tl + h2, tl };
    apr_size_t size = guard_shm_size(sl, tl + h2);
    apr_status_t rv;
    int kept;

    rv = guard_glue_segment_get(&retained->seg, size, s->process->pool,
                                &segment_ops, &w, &kept);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, GRD_SHM_FAILED
                     ": cannot create %" APR_SIZE_T_FMT " bytes of shared "
                     "memory", size);
        return rv;
    }
    if (kept) {
        retained->view.hdr->restarts++;
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_SHM_REUSED
                     ": restart %u keeps the shared memory",
                     retained->view.hdr->restarts);
        return APR_SUCCESS;
    }
    guard_shm_init(guard_glue_segment_base(&retained->seg), sl, tl + h2,
                   apr_time_now());
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_SHM_CREATED
                 ": shared memory for %d children x %d threads and %d "
                 "HTTP/2 workers (%" APR_SIZE_T_FMT " bytes)", sl, tl, h2,
                 size);
    guard_shm_attach(&retained->view, guard_glue_segment_base(&retained->seg),
                     sl, tl + h2);
    retained->view.h2_first = tl;
    return APR_SUCCESS;
}

static int guard_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    int gen = 0;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    if (get_segment(s, mpm_limit(AP_MPMQ_HARD_LIMIT_DAEMONS, 1),
                    mpm_limit(AP_MPMQ_HARD_LIMIT_THREADS, 1), h2_slots(s))
        != APR_SUCCESS) {
        return OK;   /* serve without mod_guard rather than not at all */
    }
    retained->seg.ready = 1;
    ap_mpm_query(AP_MPMQ_GENERATION, &gen);
    retained->view.hdr->generation = (apr_uint32_t)gen;
    return OK;
}

/* The parent learns that a child is gone: its slots are nobody's now.
 * The child cannot be writing any more, so the parent may. */
static void clear_child(guard_shm_t *shm, int child, pid_t pid)
{
    guard_child_t *c = &shm->children[child];
    int t;

    if (c->pid != pid) {
        return;
    }
    c->seq += c->seq & 1;
    guard_seq_write_begin(&c->seq);
    c->state = GUARD_CHILD_EXITED;
    c->exited = apr_time_now();
    guard_seq_write_end(&c->seq);
    for (t = 0; t < shm->thread_limit; t++) {
        guard_slot_release(guard_shm_slot(shm, child, t));
    }
}

static void guard_child_status(server_rec *s, pid_t pid, ap_generation_t gen,
                               int slot, mpm_child_status state)
{
    guard_shm_t *shm = guard_glue_shm();

    if (!shm || slot < 0 || slot >= shm->server_limit
        || state == MPM_CHILD_STARTED) {
        return;
    }
    clear_child(shm, slot, pid);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_CHILD_GONE
                 ": child %d (pid %" APR_PID_T_FMT ") is gone", slot, pid);
}

void guard_shm_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(guard_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_status(guard_child_status, NULL, NULL, APR_HOOK_MIDDLE);
}
