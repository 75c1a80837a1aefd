/* SPDX-License-Identifier: Apache-2.0 */
/* Copies of shared records made safe to show (guard_sane.h). */
#include <string.h>
#include "guard_cut.h"
#include "guard_fpm.h"
#include "guard_sane.h"
#include "guard_syscall.h"

#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')

apr_time_t guard_sane_time(apr_time_t t)
{
    return t < 0 ? 0 : t > GUARD_SANE_TIME_MAX ? GUARD_SANE_TIME_MAX : t;
}

apr_int64_t guard_sane_ms(apr_int64_t ms)
{
    return ms < -1 ? -1 : ms > GUARD_SANE_MS_MAX ? GUARD_SANE_MS_MAX : ms;
}

static apr_uint32_t below(apr_uint32_t v, apr_uint32_t max, apr_uint32_t dflt)
{
    return v < max ? v : dflt;
}

static void sane_req(guard_req_t *r)
{
    TERMINATE(r->method);
    TERMINATE(r->uri);
    TERMINATE(r->protocol);
    TERMINATE(r->vhost);
    TERMINATE(r->client);
}

static void sane_wait(guard_wait_t *w)
{
    w->kind = below(w->kind, GUARD_WAIT_MAX, GUARD_WAIT_UNKNOWN);
    w->call = below(w->call, GUARD_CALL_TRANSFER + 1, GUARD_CALL_OTHER);
    w->since = guard_sane_time(w->since);
    w->sampled = guard_sane_time(w->sampled);
    w->idle_ms = guard_sane_ms(w->idle_ms);
    w->sent_ms = guard_sane_ms(w->sent_ms);
    w->cpu_ms = guard_sane_ms(w->cpu_ms);
    TERMINATE(w->sysname);
    TERMINATE(w->peer);
    TERMINATE(w->path);
}

static void sane_cut(guard_cut_t *c)
{
    c->when = guard_sane_time(c->when);
    c->blocked_ms = guard_sane_ms(c->blocked_ms);
    c->idle_ms = guard_sane_ms(c->idle_ms);
    c->timeout_ms = guard_sane_ms(c->timeout_ms);
    c->exchange_ms = guard_sane_ms(c->exchange_ms);
    c->limit = below(c->limit, GUARD_LIMITS, GUARD_LIMIT_IDLE);
    TERMINATE(c->sysname);
    TERMINATE(c->peer);
    TERMINATE(c->uri);
}

void guard_sane_slot(guard_slot_t *s)
{
    s->state = below(s->state, GUARD_WS_MAX, GUARD_WS_EMPTY);
    s->conn_start = guard_sane_time(s->conn_start);
    s->req_start = guard_sane_time(s->req_start);
    s->cpu_start_us = s->cpu_start_us < 0 ? -1
                      : guard_sane_time(s->cpu_start_us);
    s->backend_timeout = guard_sane_time(s->backend_timeout);
    s->backend_max = guard_sane_time(s->backend_max);
    s->done_req_start = guard_sane_time(s->done_req_start);
    s->wait_req_start = guard_sane_time(s->wait_req_start);
    s->track.req_start = guard_sane_time(s->track.req_start);
    s->track.since = guard_sane_time(s->track.since);
    s->track.exchange = guard_sane_time(s->track.exchange);
    sane_req(&s->req);
    sane_wait(&s->wait);
    sane_cut(&s->last_cut);
}

int guard_slot_read_sane(const guard_slot_t *src, guard_slot_t *dst)
{
    int ok = guard_slot_read(src, dst);

    guard_sane_slot(dst);
    return ok;
}

void guard_sane_child(guard_child_t *c)
{
    c->started = guard_sane_time(c->started);
    c->exited = guard_sane_time(c->exited);
    c->last_wake = guard_sane_time(c->last_wake);
}

/* The FPM part of a chain: pools and slots within bounds are the
 * renderers' checks; here times and strings. */
static void sane_chain_fpm(guard_chain_t *c)
{
    int i;

    c->holder_fpm_start = guard_sane_time(c->holder_fpm_start);
    c->ended_at = guard_sane_time(c->ended_at);
    c->holder_fpm = c->holder_fpm > 0 && c->holder_fpm <= GUARD_FPM_POOLS
                    ? c->holder_fpm : 0;
    for (i = 0; i < GUARD_CHAIN_WAITERS; i++) {
        guard_chain_waiter_t *x = &c->waiters[i];

        x->fpm = x->fpm > 0 && x->fpm <= GUARD_FPM_POOLS ? x->fpm : 0;
        x->behind_req_start = guard_sane_time(x->behind_req_start);
        if (x->behind_child < 0 || x->behind_thread < 0) {
            x->behind_child = x->behind_thread = -1;
        }
    }
    TERMINATE(c->holder_method);
    TERMINATE(c->holder_uri);
    TERMINATE(c->holder_wait);
}

void guard_sane_chain(guard_chain_t *c, int max_waiters)
{
    int i;

    c->updated = guard_sane_time(c->updated);
    c->ofd_seen = guard_sane_time(c->ofd_seen);
    c->appeared = guard_sane_time(c->appeared);
    c->reported_at = guard_sane_time(c->reported_at);
    c->ofd_since = guard_sane_time(c->ofd_since);
    c->holder_req_start = guard_sane_time(c->holder_req_start);
    if (max_waiters < 0) {
        max_waiters = 0;
    }
    if (c->nwaiters > (apr_uint32_t)max_waiters) {
        c->nwaiters = (apr_uint32_t)max_waiters;
    }
    if (c->max_waiters > (apr_uint32_t)max_waiters) {
        c->max_waiters = (apr_uint32_t)max_waiters;
    }
    for (i = 0; i < GUARD_CHAIN_WAITERS; i++) {
        c->waiters[i].since = guard_sane_time(c->waiters[i].since);
        c->waiters[i].req_start = guard_sane_time(c->waiters[i].req_start);
    }
    TERMINATE(c->holder_comm);
    TERMINATE(c->path);
    TERMINATE(c->first_holder);
    sane_chain_fpm(c);
}

static void sane_php(guard_php_frame_t *f, apr_uint32_t n)
{
    apr_uint32_t i;

    for (i = 0; i < n; i++) {
        TERMINATE(f[i].function);
        TERMINATE(f[i].file);
    }
}

void guard_sane_stack(guard_stack_t *st, int native)
{
    apr_uint32_t i;

    st->req_start = guard_sane_time(st->req_start);
    st->taken = guard_sane_time(st->taken);
    st->php_status = below(st->php_status, GUARD_PHP_STATUS_MAX,
                           GUARD_PHP_FAILED);
    st->native_status = below(st->native_status, GUARD_NATIVE_STATUS_MAX,
                              GUARD_NATIVE_FAILED);
    if (st->nphp > GUARD_STACK_FRAMES) {
        st->nphp = GUARD_STACK_FRAMES;
    }
    if (st->nnative > GUARD_STACK_FRAMES) {
        st->nnative = GUARD_STACK_FRAMES;
    }
    sane_php(st->php, st->nphp);
    for (i = 0; native && i < st->nnative; i++) {
        guard_native_frame_t *f = &st->native[i];

        if (f->build_id_len > GUARD_BUILD_ID_MAX) {
            f->build_id_len = GUARD_BUILD_ID_MAX;
        }
        TERMINATE(f->module);
        TERMINATE(f->symbol);
    }
}

void guard_sane_crash(guard_crash_rec_t *r)
{
    apr_uint32_t i;

    r->when = guard_sane_time(r->when);
    r->req_start = guard_sane_time(r->req_start);
    r->elapsed_ms = guard_sane_ms(r->elapsed_ms);
    r->handler_us = guard_sane_ms(r->handler_us);
    if (r->nframes > GUARD_CRASH_FRAMES) {
        r->nframes = GUARD_CRASH_FRAMES;
    }
    if (r->nphp > GUARD_CRASH_PHP_FRAMES) {
        r->nphp = GUARD_CRASH_PHP_FRAMES;
    }
    if (r->nmodules > GUARD_CRASH_MODULES) {
        r->nmodules = GUARD_CRASH_MODULES;
    }
    for (i = 0; i < r->nmodules; i++) {
        TERMINATE(r->modules[i].path);
    }
    sane_req(&r->req);
    sane_php(r->php, r->nphp);
    r->stuck_timeout_ms = guard_sane_ms(r->stuck_timeout_ms);
    TERMINATE(r->wait);
}

void guard_sane_proc(guard_proc_rec_t *p)
{
    p->end = below(p->end, GUARD_PROC_ENDED + 1, GUARD_PROC_EXITED);
    p->started = guard_sane_time(p->started);
    p->ended = guard_sane_time(p->ended);
}
