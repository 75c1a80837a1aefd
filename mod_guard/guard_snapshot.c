/* SPDX-License-Identifier: Apache-2.0 */
/* A copy of the shared memory for one page: only what renderers need. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "guard_lock_table.h"
#include "guard_sane.h"
#include "guard_snapshot.h"
#include "guard_wait.h"

static void take_children(apr_pool_t *p, const guard_shm_t *shm,
                          guard_snapshot_t *s)
{
    int i, n = shm->server_limit;
    guard_child_t rec;

    s->children = apr_pcalloc(p, sizeof(*s->children) * n);
    for (i = 0; i < n; i++) {
        guard_child_read(&shm->children[i], &rec);
        guard_sane_child(&rec);
        s->counters.wakeups_total += rec.wakeups;
        if (rec.state == GUARD_CHILD_RUNNING && rec.pid > 0) {
            s->children[s->nchildren].child = i;
            s->children[s->nchildren].rec = rec;
            s->nchildren++;
        }
    }
}

/* wait_req_start: the request the slot's wait is about. */
static void fill_view(guard_snapshot_t *s, guard_worker_view_t *v,
                      apr_time_t wait_req_start)
{
    const guard_slot_view_t *sl = &v->slot;
    apr_time_t now = s->now;

    v->elapsed_ms = -1;
    v->for_ms = -1;
    if (sl->state == GUARD_WS_BUSY && sl->req_start > 0) {
        v->elapsed_ms = apr_time_as_msec(now - sl->req_start);
        v->stuck = now - sl->req_start >= s->server.stuck_threshold;
        v->has_wait = wait_req_start == sl->req_start
                      && sl->wait.kind != GUARD_WAIT_NONE;
    }
    else if ((sl->state == GUARD_WS_READ || sl->state == GUARD_WS_KEEPALIVE)
             && sl->conn_start > 0) {
        v->elapsed_ms = apr_time_as_msec(now - sl->conn_start);
    }
    if (v->has_wait && sl->wait.since > 0) {
        v->for_ms = apr_time_as_msec(now - sl->wait.since);
    }
    if (v->elapsed_ms < 0 && sl->state == GUARD_WS_BUSY) {
        v->elapsed_ms = 0;
    }
}

#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')

static void copy_view(guard_slot_view_t *v, const guard_slot_t *sl)
{
    v->state = sl->state;
    v->pid = sl->pid;
    v->tid = sl->tid;
    v->generation = sl->generation;
    v->conn_start = sl->conn_start;
    v->req_start = sl->req_start;
    v->requests = sl->requests;
    v->backend_timeout = sl->backend_timeout;
    v->backend_max = sl->backend_max;
    v->backend_minrate = sl->backend_minrate;
    v->backend_action = sl->backend_action;
    v->show_query = sl->show_query;
    v->kind = sl->kind;
    v->h2_conn = sl->h2_conn;
    v->conn_id = sl->conn_id;
    v->client_fd = sl->client_fd;
    v->stream_id = sl->stream_id;
    v->query_hash = sl->query_hash;
    v->req = sl->req;
    v->wait = sl->wait;
}

/* A torn copy may lack terminators: renderers get C strings regardless. */
static void terminate_strings(guard_slot_view_t *s)
{
    TERMINATE(s->req.method);
    TERMINATE(s->req.uri);
    TERMINATE(s->req.protocol);
    TERMINATE(s->req.vhost);
    TERMINATE(s->req.client);
    TERMINATE(s->wait.sysname);
    TERMINATE(s->wait.peer);
    TERMINATE(s->wait.path);
}

static void add_worker(guard_snapshot_t *s, int child, int thread,
                       const guard_slot_t *copy, int consistent)
{
    guard_worker_view_t *v = &s->workers[s->nworkers++];

    memset(v, 0, offsetof(guard_worker_view_t, slot));
    v->child = child;
    v->thread = thread;
    v->consistent = consistent;
    copy_view(&v->slot, copy);
    terminate_strings(&v->slot);
    if (v->slot.state != GUARD_WS_IDLE && s->server.thread_released
        && s->server.thread_released(s->server.baton, child, thread)) {
        v->slot.state = GUARD_WS_IDLE;
        v->slot.req_start = 0;
    }
    fill_view(s, v, copy->wait_req_start);
    if (v->slot.state < GUARD_WS_MAX) {
        s->by_state[v->slot.state]++;
    }
    s->busy += v->slot.state == GUARD_WS_BUSY;
    s->stuck += v->stuck;
}

static void terminate_php(guard_stack_view_t *v)
{
    int i;

    for (i = 0; i < v->nphp; i++) {
        TERMINATE(v->php[i].function);
        TERMINATE(v->php[i].file);
    }
}

static void terminate_native(guard_stack_view_t *v)
{
    int i;

    for (i = 0; i < v->nnative; i++) {
        TERMINATE(v->native[i].module);
        TERMINATE(v->native[i].symbol);
        if (v->native[i].build_id_len > GUARD_BUILD_ID_MAX) {
            v->native[i].build_id_len = GUARD_BUILD_ID_MAX;
        }
    }
}

/* Only what the record holds for the request the slot serves now; its
 * native frames later, for the workers whose are shown. */
static const guard_stack_view_t *take_stack(apr_pool_t *p,
                                            const guard_stack_t *live,
                                            apr_time_t req_start,
                                            guard_stack_t *scratch)
{
    guard_stack_view_t *v;

    if (!live || req_start <= 0
        || __atomic_load_n(&live->req_start, __ATOMIC_ACQUIRE) != req_start
        || !guard_stack_read_part(live, scratch, 0)
        || scratch->req_start != req_start) {
        return NULL;
    }
    guard_sane_stack(scratch, 0);
    v = apr_palloc(p, sizeof(*v));
    v->taken = scratch->taken;
    v->flags = scratch->flags;
    v->php_status = scratch->php_status;
    v->native_status = scratch->native_status;
    v->nphp = (int)scratch->nphp;
    v->nnative = (int)scratch->nnative;
    v->php = v->nphp ? apr_pmemdup(p, scratch->php, sizeof(*v->php)
                                                    * (apr_size_t)v->nphp)
                     : NULL;
    v->native = NULL;
    v->live = live;
    v->req_start = req_start;
    terminate_php(v);
    return v;
}

int guard_snapshot_native(apr_pool_t *p, const guard_worker_view_t *w)
{
    guard_stack_view_t *v = (guard_stack_view_t *)w->stack;
    guard_stack_t *scratch;

    if (!v || v->native || v->nnative == 0) {
        return v && v->native;
    }
    scratch = apr_palloc(p, sizeof(*scratch));
    if (!guard_stack_read(v->live, scratch)
        || scratch->req_start != v->req_start) {
        return 0;
    }
    guard_sane_stack(scratch, 1);
    v->nnative = (int)scratch->nnative;
    v->native = apr_pmemdup(p, scratch->native, sizeof(*v->native)
                                                * (apr_size_t)v->nnative);
    terminate_native(v);
    return 1;
}

static int thread_gone(const guard_snapshot_t *s, int child, int thread,
                       const guard_slot_t *copy)
{
    return s->server.thread_gone
           && s->server.thread_gone(s->server.baton, child, thread,
                                    copy->state == GUARD_WS_BUSY);
}

const guard_worker_view_t *guard_snapshot_worker(const guard_snapshot_t *s,
                                                 int child, int thread)
{
    int i;

    for (i = 0; i < s->nworkers; i++) {
        if (s->workers[i].child == child && s->workers[i].thread == thread) {
            return &s->workers[i];
        }
    }
    return NULL;
}

const guard_child_view_t *guard_snapshot_child(const guard_snapshot_t *s,
                                               int child)
{
    int i;

    for (i = 0; i < s->nchildren; i++) {
        if (s->children[i].child == child) {
            return &s->children[i];
        }
    }
    return NULL;
}

static void count_slot(guard_snapshot_t *s, const guard_slot_t *sl)
{
    int k;

    s->counters.requests_total += sl->requests;
    s->counters.stuck_total += sl->stuck_total;
    s->counters.samples_total += sl->samples;
    s->counters.cuts_logged_total += sl->cuts_logged;
    s->counters.limit_cuts[0] += sl->limit_cuts[0];
    s->counters.limit_cuts[1] += sl->limit_cuts[1];
    s->counters.holder_cuts_total += sl->holder_cuts;
    for (k = 0; k < 3; k++) {
        s->counters.cuts[k] += sl->cuts[k];
        s->counters.cuts_total += sl->cuts[k];
    }
}

/* Keep the newest GUARD_RECENT_CUTS: replace the oldest when full. */
static void keep_cut(guard_snapshot_t *s, int child, int thread,
                     const guard_slot_t *sl)
{
    guard_cut_view_t *v;
    int i, oldest = 0;

    if (sl->last_cut.when <= 0) {
        return;
    }
    if (s->ncuts < GUARD_RECENT_CUTS) {
        v = &s->cuts[s->ncuts++];
    }
    else {
        for (i = 1; i < s->ncuts; i++) {
            if (s->cuts[i].cut.when < s->cuts[oldest].cut.when) {
                oldest = i;
            }
        }
        if (s->cuts[oldest].cut.when >= sl->last_cut.when) {
            return;
        }
        v = &s->cuts[oldest];
    }
    v->child = child;
    v->thread = thread;
    v->pid = sl->pid;
    v->tid = sl->tid;
    v->cut = sl->last_cut;
    v->cut.sysname[sizeof(v->cut.sysname) - 1] = '\0';
    v->cut.peer[sizeof(v->cut.peer) - 1] = '\0';
    v->cut.uri[sizeof(v->cut.uri) - 1] = '\0';
}

static int newest_first(const void *a, const void *b)
{
    apr_time_t x = ((const guard_cut_view_t *)a)->cut.when;
    apr_time_t y = ((const guard_cut_view_t *)b)->cut.when;

    return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Every slot is read into one copy that stays in the cache; what the
 * pages show of it goes to a view. The views are not zeroed first: with
 * thousands of slots that would be one more pass over megabytes.
 */
static void take_slots(apr_pool_t *p, const guard_shm_t *shm,
                       guard_snapshot_t *s)
{
    int c, t, tl = shm->thread_limit;
    guard_stack_t *scratch = apr_palloc(p, sizeof(*scratch));
    guard_slot_t copy;

    s->workers = apr_palloc(p, sizeof(*s->workers)
                               * ((apr_size_t)s->nchildren * (apr_size_t)tl
                                  + 1));
    for (c = 0; c < shm->server_limit; c++) {
        const guard_child_view_t *cv = guard_snapshot_child(s, c);

        for (t = 0; t < tl; t++) {
            int ok = guard_slot_read_sane(guard_shm_slot(shm, c, t), &copy);

            count_slot(s, &copy);
            keep_cut(s, c, t, &copy);
            if (cv && copy.state != GUARD_WS_EMPTY
                && copy.pid == cv->rec.pid && !thread_gone(s, c, t, &copy)) {
                add_worker(s, c, t, &copy, ok);
                s->workers[s->nworkers - 1].stack = take_stack(
                    p, guard_shm_stack(shm, c, t),
                    s->workers[s->nworkers - 1].slot.req_start, scratch);
            }
        }
    }
}

/* The row of stream i's client connection: the same connection id and
 * socket in the same child. Under event a connection's id is the number
 * of the thread that took it first, which a later connection can share
 * while the first lives on; its socket's fd cannot be shared. */
static guard_worker_view_t *conn_of_stream(guard_snapshot_t *s, int i)
{
    const guard_worker_view_t *w = &s->workers[i];
    int j;

    for (j = i - 1; j >= 0 && s->workers[j].child == w->child; j--) {
        guard_worker_view_t *c = &s->workers[j];

        if (c->slot.kind == GUARD_SLOT_MPM
            && c->slot.conn_id == w->slot.conn_id
            && c->slot.client_fd == w->slot.client_fd) {
            return c;
        }
    }
    return NULL;
}

/* Streams are listed on their own rows (mod_http2's workers, after the
 * MPM's of their child); the client connection's row says how many run
 * now, and is never stuck: its thread only moves the streams' frames. */
static void join_streams(guard_snapshot_t *s)
{
    int i;

    for (i = 0; i < s->nworkers; i++) {
        guard_worker_view_t *w = &s->workers[i], *c;

        if (w->slot.kind == GUARD_SLOT_MPM && w->slot.h2_conn) {
            w->h2_conn = 1;
        }
        if (w->slot.kind != GUARD_SLOT_H2 || w->slot.state != GUARD_WS_BUSY) {
            continue;
        }
        s->h2_busy++;
        if ((c = conn_of_stream(s, i)) != NULL) {
            c->h2_conn = 1;
            c->h2_streams++;
        }
    }
    for (i = 0; i < s->nworkers; i++) {
        if (s->workers[i].h2_conn && s->workers[i].stuck) {
            s->workers[i].stuck = 0;
            s->stuck--;
        }
    }
}

/* The worker view of (child, thread) still serving request req_start. */
static int find_worker(const guard_snapshot_t *s, int child, int thread,
                       apr_time_t req_start)
{
    int i;

    for (i = 0; i < s->nworkers; i++) {
        const guard_worker_view_t *w = &s->workers[i];

        if (w->child == child && w->thread == thread) {
            return w->slot.state == GUARD_WS_BUSY
                   && w->slot.req_start == req_start ? i : -1;
        }
    }
    return -1;
}

static void join_lock(guard_snapshot_t *s, int n, guard_lock_view_t *v)
{
    const guard_chain_t *c = &v->chain;
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;

    v->holder = c->holder_child >= 0 && c->holder_req_start > 0
                ? find_worker(s, c->holder_child, c->holder_thread,
                              c->holder_req_start) : -1;
    for (i = 0; i < GUARD_CHAIN_WAITERS; i++) {
        v->waiters[i] = -1;
        v->behind[i] = -1;
    }
    for (i = 0; i < listed; i++) {
        int w = find_worker(s, c->waiters[i].child, c->waiters[i].thread,
                            c->waiters[i].req_start);

        v->waiters[i] = w;
        v->behind[i] = c->waiters[i].fpm && c->waiters[i].behind_child >= 0
                       ? find_worker(s, c->waiters[i].behind_child,
                                     c->waiters[i].behind_thread,
                                     c->waiters[i].behind_req_start) : -1;
        if (w >= 0) {
            s->workers[w].lock_chain = n + 1;
            s->workers[w].lock_holder_pid = c->holder_pid;
        }
    }
    v->for_ms = c->appeared > 0 ? apr_time_as_msec(s->now - c->appeared) : 0;
    s->lock_waiters += (int)c->nwaiters;
    if (v->for_ms > s->lock_wait_longest_ms) {
        s->lock_wait_longest_ms = v->for_ms;
    }
}

static void take_locks(apr_pool_t *p, const guard_shm_t *shm,
                       guard_snapshot_t *s)
{
    int i;

    s->counters.lock_waits_total = __atomic_load_n(
        &shm->hdr->lock_waits_total, __ATOMIC_RELAXED);
    s->counters.holder_ends_total = __atomic_load_n(
        &shm->hdr->holder_ends_total, __ATOMIC_RELAXED);
    s->locks = apr_pcalloc(p, sizeof(*s->locks) * GUARD_CHAINS);
    for (i = 0; shm->chains && i < GUARD_CHAINS; i++) {
        guard_lock_view_t *v = &s->locks[s->nlocks];

        if (!guard_chain_read(&shm->chains[i], &v->chain)) {
            continue;
        }
        guard_sane_chain(&v->chain, shm->server_limit * shm->thread_limit);
        if (v->chain.reported && v->chain.nwaiters > 0) {
            join_lock(s, s->nlocks, v);
            s->nlocks++;
        }
    }
}

char *guard_worker_wait_text(const guard_worker_view_t *w, char *buf,
                             apr_size_t len)
{
    apr_size_t n;

    buf[0] = '\0';
    if (!w->has_wait) {
        return buf;
    }
    guard_wait_describe(&w->slot.wait, w->elapsed_ms, buf, len);
    n = strlen(buf);
    if (w->lock_chain > 0 && w->lock_holder_pid > 0) {
        apr_snprintf(buf + n, len - n, ", waiting for lock held by pid %d",
                     w->lock_holder_pid);
    }
    else if (w->lock_chain > 0 && w->lock_holder_pid < 0) {
        apr_snprintf(buf + n, len - n, ", waiting for an OFD lock (no pid)");
    }
    return buf;
}

static int has_native(const guard_worker_view_t *w)
{
    return w->stuck && w->stack && w->stack->nnative > 0;
}

static int longest_first(const void *a, const void *b)
{
    apr_int64_t x = (*(const guard_worker_view_t *const *)a)->elapsed_ms;
    apr_int64_t y = (*(const guard_worker_view_t *const *)b)->elapsed_ms;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Which stuck workers' native frames the lists show: all, or the
 * GUARD_LIST_NATIVE_MAX longest stuck. */
static void pick_listed_native(apr_pool_t *p, guard_snapshot_t *s)
{
    guard_worker_view_t **v;
    int i, n = 0;

    for (i = 0; i < s->nworkers; i++) {
        n += has_native(&s->workers[i]);
    }
    if (n <= GUARD_LIST_NATIVE_MAX) {
        for (i = 0; i < s->nworkers; i++) {
            s->workers[i].list_native = has_native(&s->workers[i])
                                        && guard_snapshot_native(
                                               p, &s->workers[i]);
        }
        return;
    }
    v = apr_palloc(p, sizeof(*v) * (apr_size_t)n);
    for (i = 0, n = 0; i < s->nworkers; i++) {
        if (has_native(&s->workers[i])) {
            v[n++] = &s->workers[i];
        }
    }
    qsort(v, (size_t)n, sizeof(*v), longest_first);
    for (i = 0; i < GUARD_LIST_NATIVE_MAX; i++) {
        v[i]->list_native = guard_snapshot_native(p, v[i]);
    }
}

guard_snapshot_t *guard_snapshot_take(apr_pool_t *p, const guard_shm_t *shm,
                                      const guard_server_info_t *info,
                                      apr_time_t now)
{
    guard_snapshot_t *s = apr_pcalloc(p, sizeof(*s));

    s->now = now;
    s->server = *info;
    s->shm_created = shm->hdr->created;
    s->counters.restarts = shm->hdr->restarts;
    s->cuts = apr_pcalloc(p, sizeof(*s->cuts) * GUARD_RECENT_CUTS);
    take_children(p, shm, s);
    take_slots(p, shm, s);
    join_streams(s);
    pick_listed_native(p, s);
    take_locks(p, shm, s);
    qsort(s->cuts, (size_t)s->ncuts, sizeof(*s->cuts), newest_first);
    return s;
}
