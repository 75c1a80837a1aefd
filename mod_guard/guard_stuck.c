/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardStuckTimeout's decisions and its record. The rate limit is one
 * 64-bit word of the status segment changed with a compare-and-swap: the
 * minute in the high half, the ends taken in it in the low half.
 */
#include <string.h>
#include <apr_strings.h>
#include "guard_lock_table.h"
#include "guard_stuck.h"
#include "guard_wait.h"

const char *guard_stuck_why_name(guard_stuck_why_e why)
{
    switch (why) {
    case GUARD_STUCK_END:      return "ended";
    case GUARD_STUCK_YOUNG:    return "its wait is younger than the timeout";
    case GUARD_STUCK_CUTTABLE: return "a backend socket, GuardBackendTimeout's "
                                      "to cut";
    case GUARD_STUCK_CLIENT:   return "the client, a listener or a CGI: the "
                                      "server's own timeouts end it";
    case GUARD_STUCK_UNKNOWN:  return "its wait could not be read";
    case GUARD_STUCK_HOLDER:   return "a lock whose holder cut-holder or "
                                      "end-holder frees";
    case GUARD_STUCK_GONE:     return "its request ended while it was looked "
                                      "at";
    default:                   return "?";
    }
}

guard_stuck_why_e guard_stuck_kind(const guard_wait_t *w)
{
    switch (w->kind) {
    case GUARD_WAIT_CPU:
    case GUARD_WAIT_FILE:
    case GUARD_WAIT_LOCK:
    case GUARD_WAIT_PIPE:
    case GUARD_WAIT_FUTEX:
    case GUARD_WAIT_SLEEP:
    case GUARD_WAIT_CHILD:
    case GUARD_WAIT_SYSCALL:
        return GUARD_STUCK_END;
    case GUARD_WAIT_BACKEND:
        return GUARD_STUCK_CUTTABLE;
    case GUARD_WAIT_CLIENT:
    case GUARD_WAIT_LISTENER:
    case GUARD_WAIT_CGI:
        return GUARD_STUCK_CLIENT;
    default:
        return GUARD_STUCK_UNKNOWN;
    }
}

apr_time_t guard_stuck_due_at(const guard_wait_t *w, apr_uint32_t timeout_ms,
                              apr_time_t floor)
{
    apr_time_t since = w->since > floor ? w->since : floor;
    apr_interval_time_t t = apr_time_from_msec(timeout_ms);

    /* A floor of APR_INT64_MAX (nothing known yet) is never due. */
    if (!timeout_ms || since <= 0 || since > APR_INT64_MAX - t
        || guard_stuck_kind(w) != GUARD_STUCK_END) {
        return 0;
    }
    return since + t;
}

guard_stuck_why_e guard_stuck_decide(const guard_wait_t *w,
                                     apr_uint32_t timeout_ms,
                                     apr_time_t floor, apr_time_t now,
                                     int held_by_worker)
{
    guard_stuck_why_e why = guard_stuck_kind(w);
    apr_time_t due;

    if (why != GUARD_STUCK_END) {
        return why;
    }
    due = guard_stuck_due_at(w, timeout_ms, floor);
    if (!due || now < due) {
        return GUARD_STUCK_YOUNG;
    }
    return held_by_worker ? GUARD_STUCK_HOLDER : GUARD_STUCK_END;
}

int guard_stuck_held_by_worker(const guard_shm_t *shm, const guard_wait_t *w)
{
    apr_uint64_t key;
    int i;

    if (w->kind != GUARD_WAIT_LOCK || !shm->chains
        || !(w->flags & (GUARD_WAITF_CUT_HOLDER | GUARD_WAITF_END_HOLDER))) {
        return 0;
    }
    key = guard_chain_key(w->dev, w->ino);
    for (i = 0; i < GUARD_CHAINS; i++) {
        const guard_chain_t *c = &shm->chains[i];

        if (__atomic_load_n(&c->key, __ATOMIC_ACQUIRE) != key) {
            continue;
        }
        /* Read without the chain's counter: a torn value only moves the
         * decision to the next look. */
        return ((w->flags & GUARD_WAITF_CUT_HOLDER) && c->holder_child >= 0
                && c->holder_pid > 0)
               || ((w->flags & GUARD_WAITF_END_HOLDER) && c->holder_fpm > 0);
    }
    return 0;
}

int guard_stuck_rate_take(apr_uint64_t *word, apr_time_t now,
                          apr_uint32_t per_minute)
{
    apr_uint64_t minute = (apr_uint64_t)(apr_time_sec(now) / 60);
    apr_uint64_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE), next;

    do {
        apr_uint64_t used = (old >> 32) == (minute & 0xffffffffu)
                            ? (old & 0xffffffffu) : 0;

        if (used >= per_minute) {
            return 0;
        }
        next = ((minute & 0xffffffffu) << 32) | (used + 1);
    } while (!__atomic_compare_exchange_n(word, &old, next, 0,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return 1;
}

/* The module of a live frame (a file name) in this process's table. */
static const guard_module_range_t *module_named(const guard_where_t *where,
                                                const char *name)
{
    const guard_modmap_t *m = &where->map[__atomic_load_n(&where->cur,
                                                          __ATOMIC_ACQUIRE)
                                          & 1];
    apr_uint32_t i, n = m->n < GUARD_MODMAP_MAX ? m->n : GUARD_MODMAP_MAX;

    for (i = 0; i < n && *name; i++) {
        const char *slash = strrchr(m->m[i].path, '/');
        const char *base = slash ? slash + 1 : m->m[i].path;

        if (!strncmp(base, name, GUARD_FRAME_MODULE_LEN - 1)) {
            return &m->m[i];
        }
    }
    return NULL;
}

/* The live stack's native frames (module, offset) as a crash's frames:
 * addresses again, placed by the same table. */
static void native_frames(const guard_stuck_src_t *src, guard_crash_rec_t *r)
{
    const guard_stack_t *st = src->stack;
    apr_uint32_t k, n = st->nnative < GUARD_CRASH_FRAMES ? st->nnative
                                                         : GUARD_CRASH_FRAMES;

    for (k = 0; k < n; k++) {
        const guard_module_range_t *m = module_named(src->where,
                                                     st->native[k].module);

        r->frames[k] = m ? m->bias + st->native[k].offset : 0;
        if (m) {
            /* The offset exactly as the live stack shows it. */
            guard_where_locate(src->where, r->frames[k], 0, r, &r->at[k]);
        }
    }
    r->nframes = n;
    if (n) {
        r->flags |= GUARD_CRASHF_FRAMES;
        r->ip = r->frames[0];
        r->ip_at = r->at[0];
    }
}

static void php_frames(const guard_stack_t *st, guard_crash_rec_t *r)
{
    apr_uint32_t n = st->nphp < GUARD_CRASH_PHP_FRAMES ? st->nphp
                                                       : GUARD_CRASH_PHP_FRAMES;

    if (st->php_status != GUARD_PHP_OK) {
        return;
    }
    memcpy(r->php, st->php, n * sizeof(r->php[0]));
    r->nphp = n;
    r->flags |= GUARD_CRASHF_PHP;
}

static void request_of(const guard_slot_t *s, apr_time_t now,
                       guard_crash_rec_t *r)
{
    r->req_start = s->req_start;
    r->elapsed_ms = apr_time_as_msec(now - s->req_start);
    r->flags |= GUARD_CRASHF_REQUEST;
    memcpy(&r->req, &s->req, sizeof(r->req));
    r->req.method[sizeof(r->req.method) - 1] = '\0';
    r->req.uri[sizeof(r->req.uri) - 1] = '\0';
    r->req.protocol[sizeof(r->req.protocol) - 1] = '\0';
    r->req.vhost[sizeof(r->req.vhost) - 1] = '\0';
    r->req.client[sizeof(r->req.client) - 1] = '\0';
}

void guard_stuck_record(const guard_stuck_src_t *src, guard_crash_rec_t *r)
{
    const guard_slot_t *s = src->slot;

    memset(r, 0, sizeof(*r));
    r->when = src->now;
    r->pid = s->pid;
    r->tid = s->tid;
    r->child = src->child;
    r->thread = src->thread;
    r->generation = src->generation;
    r->signo = 0;
    r->elapsed_ms = -1;
    r->handler_us = 0;
    r->flags = GUARD_CRASHF_STUCK | GUARD_CRASHF_SENT;
    r->stuck_timeout_ms = s->stuck_timeout_ms;
    request_of(s, src->now, r);
    guard_wait_describe(src->wait, r->elapsed_ms, r->wait, sizeof(r->wait));
    if (src->stack && src->stack->req_start == s->req_start) {
        php_frames(src->stack, r);
        if (src->where) {
            native_frames(src, r);
        }
    }
}
