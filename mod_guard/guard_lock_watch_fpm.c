/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lock chains across the FPM boundary, in the lock pass of a watchdog:
 * FPM's lock waits from /proc/locks, a holder in FPM named from its
 * pool's status, the httpd requests behind FPM waiters, and end-holder.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_lines.h"
#include "guard_lock_end.h"
#include "guard_lock_table.h"
#include "guard_lock_watch_fpm.h"
#include "guard_log.h"
#include "guard_reqcopy.h"
#include "guard_sane.h"
#include "guard_seq.h"

#define BEHIND_MAX 64              /* httpd workers on one pool's socket */

typedef struct {
    char method[GUARD_METHOD_LEN];
    char uri[GUARD_URI_LEN];
    int child;
    int thread;
    apr_time_t req_start;
} behind_t;

static void feed_line(void *baton, const char *line)
{
    guard_lock_line_t l;

    if (guard_locks_parse_line(line, &l) == 0) {
        guard_lockfpm_feed(baton, &l);
    }
}

/* The rule of a lock some chain already names: no directory read. */
static void rules_of_chains(const guard_lockwatch_ctx_t *w,
                            guard_lockfpm_t *f)
{
    int i;

    for (i = 0; i < f->nlocks; i++) {
        guard_chain_t *c = guard_chain_find(w->shm, f->locks[i].dev,
                                            f->locks[i].ino);
        apr_int32_t r = c ? __atomic_load_n(&c->fpm_rule, __ATOMIC_RELAXED)
                          : 0;

        if (r > 0 && r <= w->rules->n) {
            f->locks[i].rule = r - 1;
            f->locks[i].looked = 1;
        }
    }
}

/* The slot of a request whose session file is lock l's; -1 when none. */
static int sess_slot(const guard_lockwatch_ctx_t *w,
                     const guard_lockfpm_lock_t *l, guard_slot_t *s)
{
    int i, all = w->shm->server_limit * w->shm->thread_limit;

    for (i = 0; i < all; i++) {
        const guard_slot_t *live = guard_shm_slot_at(w->shm, i);

        if (live && __atomic_load_n(&live->sess.ino, __ATOMIC_RELAXED)
                    == l->ino
            && guard_slot_read(live, s) && s->state == GUARD_WS_BUSY
            && s->sess.ino == l->ino
            && s->sess.dev == l->dev && s->sess.rule >= 0
            && s->sess.rule < w->rules->n) {
            return i;
        }
    }
    return -1;
}

/* The locks whose file the rules' directories did not show (httpd's user
 * cannot list them): a request's session file of the same dev:ino, which
 * its worker stat()ed by name (guard_fpm_sess_note), names it. */
static void sess_paths(const guard_lockwatch_ctx_t *w, guard_lockfpm_t *f,
                       apr_time_t before)
{
    char shown[GUARD_LOCK_PATTERN_LEN + 16];
    guard_slot_t s;
    int i;

    for (i = 0; i < f->nlocks; i++) {
        const guard_lockfpm_lock_t *l = &f->locks[i];

        if (!l->looked || l->rule >= 0 || !l->ino || l->since <= 0
            || l->since > before || sess_slot(w, l, &s) < 0) {
            continue;
        }
        guard_sess_shown(w->rules->rule[s.sess.rule].pattern,
                         s.sess.id_hash, shown, sizeof(shown));
        guard_lockfpm_named(f, i, s.sess.rule, shown, w->fpm_seen);
    }
}

int guard_lwfpm_scan(const guard_lockwatch_ctx_t *w, apr_time_t now,
                     guard_lockfpm_t *f)
{
    int fd;

    f->nworkers = f->nwaits = f->nlocks = 0;
    f->oldest = 0;
    if (!w->fpm || w->nfpm <= 0 || !w->rules || !w->rules->n) {
        return 0;
    }
    guard_lockfpm_take(w->fpm->pools, w->nfpm, f);
    if (!f->nworkers || (!f->oldest && !f->stale)
        || (fd = open("/proc/locks", O_RDONLY | O_CLOEXEC)) < 0) {
        return 0;
    }
    guard_read_lines(fd, feed_line, f);
    close(fd);
    if (w->fpm_seen) {
        guard_lockfpm_date(f, w->fpm_seen, now);
    }
    rules_of_chains(w, f);
    guard_lockfpm_paths(f, w->rules, now - guard_lock_rules_min(w->rules),
                        w->fpm_seen);
    sess_paths(w, f, now - guard_lock_rules_min(w->rules));
    return f->nwaits;
}

static void add_one(guard_chain_t *c, guard_lock_target_t *t,
                    const guard_lockfpm_wait_t *x)
{
    if (c->nwaiters < GUARD_CHAIN_WAITERS) {
        guard_chain_waiter_t *y = &c->waiters[c->nwaiters];

        memset(y, 0, sizeof(*y));
        y->child = -1;
        y->thread = -1;
        y->pid = x->pid;
        y->since = x->since;
        y->req_start = x->since;
        y->fpm = x->pool + 1;
        y->behind_child = -1;
        y->behind_thread = -1;
    }
    if (t->nwaiter_pids < GUARD_LOCK_TARGET_PIDS) {
        t->waiter_pids[t->nwaiter_pids++] = x->pid;
    }
    c->nwaiters++;
    if (!c->appeared || x->since < c->appeared) {
        c->appeared = x->since;
    }
}

/* What the rule of an FPM chain's file says. */
static void apply_rule(const guard_lockwatch_ctx_t *w, guard_chain_t *c,
                       const guard_lockfpm_lock_t *l,
                       apr_interval_time_t *duration)
{
    const guard_lock_rule_t *r = &w->rules->rule[l->rule];

    c->fpm_rule = l->rule + 1;
    c->end_holder |= (apr_uint32_t)r->end_holder;
    c->cut_holder |= (apr_uint32_t)r->cut_holder;
    if (!*duration || r->threshold < *duration) {
        *duration = r->threshold;
    }
    if (!c->path[0] && l->path[0]) {
        apr_cpystrn(c->path, l->path, sizeof(c->path));
        guard_redact_session(c->path);
    }
}

int guard_lwfpm_add_waiters(const guard_lockwatch_ctx_t *w,
                            const guard_lockfpm_t *f, guard_chain_t *c,
                            guard_lock_target_t *t,
                            apr_interval_time_t *duration)
{
    int i, n = 0;

    for (i = 0; i < f->nwaits; i++) {
        const guard_lockfpm_lock_t *l = &f->locks[f->waits[i].lock];

        if (l->dev != t->dev || l->ino != t->ino || l->rule < 0
            || l->rule >= w->rules->n) {
            continue;
        }
        add_one(c, t, &f->waits[i]);
        apply_rule(w, c, l, duration);
        n++;
    }
    return n;
}

void guard_lwfpm_holder(const guard_lockwatch_ctx_t *w,
                        const guard_lockfpm_t *f, guard_chain_t *c)
{
    const guard_lockfpm_worker_t *x = guard_lockfpm_find(f, c->holder_pid);
    guard_fpm_proc_t proc;
    apr_time_t read_at;

    if (!x || c->holder_child >= 0) {
        return;
    }
    c->holder_fpm = x->pool + 1;
    c->holder_fpm_start = x->start;
    if (guard_lockfpm_proc(&w->fpm->pools[x->pool], x->pid, &proc,
                           &read_at)) {
        proc.method[sizeof(proc.method) - 1] = '\0';
        proc.uri[sizeof(proc.uri) - 1] = '\0';
        /* Another daemon's words: kept printable. */
        guard_copy_sanitized(c->holder_method, sizeof(c->holder_method),
                             proc.method, 0);
        guard_copy_sanitized(c->holder_uri, sizeof(c->holder_uri),
                             proc.uri, 0);
    }
    guard_lockfpm_wait_text(x->pid, c->holder_wait, sizeof(c->holder_wait));
}

/* The pool's socket; or, for a pool whose status comes through a unix
 * socket of its own (pm.status_listen), any backend socket, unix or TCP:
 * the pool itself may listen on either, and the join's method, URI and
 * start then tell. */
static int on_pool_socket(const guard_fpm_addr_t *a, const char *peer)
{
    return guard_fpm_addr_is_peer(a, peer) || (a->unix_path && peer[0]);
}

/* httpd's workers blocked on the pool's socket. */
static int on_socket(const guard_lockwatch_ctx_t *w,
                     const guard_fpm_addr_t *a, behind_t *b,
                     guard_fpm_waiter_t *jw)
{
    int c, t, n = 0, sl = w->shm->server_limit, tl = w->shm->thread_limit;
    guard_slot_t s;

    for (c = 0; c < sl; c++) {
        for (t = 0; t < tl && n < BEHIND_MAX; t++) {
            guard_slot_t *live = guard_shm_slot(w->shm, c, t);

            if (__atomic_load_n(&live->wait.kind, __ATOMIC_RELAXED)
                != GUARD_WAIT_BACKEND || !guard_slot_read_sane(live, &s)
                || s.state != GUARD_WS_BUSY || s.wait_req_start != s.req_start
                || !on_pool_socket(a, s.wait.peer)) {
                continue;
            }
            memcpy(b[n].method, s.req.method, sizeof(b[n].method));
            memcpy(b[n].uri, s.req.uri, sizeof(b[n].uri));
            b[n].child = c;
            b[n].thread = t;
            b[n].req_start = s.req_start;
            jw[n].method = b[n].method;
            jw[n].uri = b[n].uri;
            jw[n].query_hash = s.query_hash;
            jw[n].req_start = s.req_start;
            n++;
        }
    }
    return n;
}

static int proc_index(const guard_fpm_pool_t *p, apr_int32_t pid)
{
    apr_uint32_t i;

    for (i = 0; i < p->counts.nprocs; i++) {
        if (p->procs[i].pid == pid) {
            return (int)i;
        }
    }
    return -1;
}

static void behind_pool(const guard_lockwatch_ctx_t *w, guard_chain_t *c,
                        int pool)
{
    guard_fpm_pool_t copy;
    behind_t b[BEHIND_MAX];
    guard_fpm_waiter_t jw[BEHIND_MAX];
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;
    int j, n;

    if (!guard_fpm_pool_copy(&w->fpm->pools[pool], &copy)) {
        return;
    }
    guard_fpm_sane(&copy);
    if (!copy.last_ok) {
        return;
    }
    n = on_socket(w, &w->fpm_addrs[pool], b, jw);
    guard_fpm_join(copy.procs, (int)copy.counts.nprocs, copy.last_ok, jw, n);
    for (i = 0; i < listed; i++) {
        guard_chain_waiter_t *x = &c->waiters[i];
        int at = x->fpm == pool + 1 ? proc_index(&copy, x->pid) : -1;

        for (j = 0; at >= 0 && j < n; j++) {
            if (jw[j].fpm == at && !jw[j].ambiguous) {
                x->behind_child = b[j].child;
                x->behind_thread = b[j].thread;
                x->behind_req_start = b[j].req_start;
            }
        }
    }
}

void guard_lwfpm_behind(const guard_lockwatch_ctx_t *w, guard_chain_t *c)
{
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;
    int pool, seen[GUARD_FPM_POOLS] = { 0 };

    for (i = 0; i < listed; i++) {
        pool = c->waiters[i].fpm - 1;
        if (pool >= 0 && pool < w->nfpm && pool < GUARD_FPM_POOLS
            && !seen[pool]) {
            seen[pool] = 1;
            behind_pool(w, c, pool);
        }
    }
}

/* The pool's master: the parent of another of its listed workers. */
static void find_master(const guard_lockfpm_t *f, int pool,
                        guard_end_in_t *in)
{
    int i;

    for (i = 0; i < f->nworkers && in->master <= 0; i++) {
        if (f->workers[i].pool == pool && f->workers[i].pid != in->pid) {
            in->master = guard_end_ppid_of(f->workers[i].pid);
        }
    }
    in->parent_of_worker = in->master == in->pid;
}

static void gather_end(const guard_lockwatch_ctx_t *w,
                       const guard_lockfpm_t *f, const guard_chain_t *c,
                       apr_interval_time_t duration, guard_end_in_t *in)
{
    const guard_lockfpm_worker_t *x = guard_lockfpm_find(f, c->holder_pid);

    memset(in, 0, sizeof(*in));
    in->rule_on = c->end_holder != 0;
    in->duration = duration;
    in->waited_since = c->appeared;
    in->last_end = c->ended_at;
    in->pid = c->holder_pid;
    in->httpd = c->holder_child >= 0 || c->holder_pid == w->server_pid
                || c->holder_pid == w->pid;
    in->fpm_worker = x != NULL;
    in->my_uid = (apr_int64_t)geteuid();
    if (x && !in->httpd) {
        guard_end_read_proc(in, x->pid);
        find_master(f, x->pool, in);
    }
}

/* SIGTERM through a pidfd when the kernel has them: the pid cannot be
 * another process's by the time the signal goes. */
static int send_term(pid_t pid)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
    int fd = (int)syscall(SYS_pidfd_open, pid, 0), rc;

    if (fd >= 0) {
        rc = (int)syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
        close(fd);
        return rc;
    }
    if (errno != ENOSYS) {
        return -1;
    }
#endif
    return kill(pid, SIGTERM);
}

static void say_not(const guard_lockwatch_ctx_t *w, guard_chain_t *c,
                    const guard_end_in_t *in, int v)
{
    char why[160];

    if ((apr_uint32_t)v == c->end_said || v == GUARD_END_OFF) {
        return;
    }
    c->end_said = (apr_uint32_t)v;
    guard_log_say(w->log, GUARD_LOG_DEBUG, GRD_LOCK_END_NOT,
                  "end-holder: holder pid %d of %s not ended: %s",
                  in->pid, c->path, guard_end_reason(in, v, why,
                                                     sizeof(why)));
}

void guard_lwfpm_end(const guard_lockwatch_ctx_t *w,
                     const guard_lockfpm_t *f, guard_chain_t *c,
                     apr_interval_time_t duration, apr_time_t now)
{
    guard_end_in_t in;
    int v;

    gather_end(w, f, c, duration, &in);
    if ((v = guard_end_decide(&in, now)) != GUARD_END_YES) {
        say_not(w, c, &in, v);
        return;
    }
    c->end_said = GUARD_END_YES;
    c->ended_at = now;
    guard_log_say(w->log, GUARD_LOG_WARN, GRD_LOCK_END,
                  "end-holder: SIGTERM to FPM worker pid %d holding %s "
                  "(%s %s, %" APR_INT64_T_FMT " ms, %u waiting for %"
                  APR_INT64_T_FMT " ms)", in.pid, c->path, c->holder_method,
                  c->holder_uri, c->holder_fpm_start > 0
                  ? apr_time_as_msec(now - c->holder_fpm_start) : -1,
                  c->nwaiters, apr_time_as_msec(now - c->appeared));
    if (send_term(in.pid) != 0) {
        guard_log_say(w->log, GUARD_LOG_WARN, GRD_LOCK_END,
                      "end-holder: SIGTERM to pid %d failed: %s", in.pid,
                      strerror(errno));
        return;
    }
    c->ended_pid = in.pid;
    c->holder_ends++;
    __atomic_add_fetch(&w->shm->hdr->holder_ends_total, 1, __ATOMIC_RELAXED);
}

static void behind_text(const guard_lockwatch_ctx_t *w,
                        const guard_chain_waiter_t *x, char *buf,
                        apr_size_t len)
{
    guard_slot_t s;

    if (x->behind_child >= 0
        && guard_slot_read_sane(guard_shm_slot(w->shm, x->behind_child,
                                               x->behind_thread), &s)
        && s.req_start == x->behind_req_start) {
        apr_snprintf(buf, len, "%s %s (pid %d tid %d)", s.req.method,
                     s.req.uri, s.pid, s.tid);
        return;
    }
    apr_cpystrn(buf, "unknown", len);
}

void guard_lwfpm_append_behind(const guard_lockwatch_ctx_t *w,
                               const guard_chain_t *c, char *line,
                               apr_size_t len)
{
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;
    apr_size_t n = strlen(line);
    const char *sep = "; httpd requests behind FPM waiters: ";
    char req[GUARD_URI_LEN + 64];

    for (i = 0; i < listed && n + 1 < len; i++) {
        const guard_chain_waiter_t *x = &c->waiters[i];

        if (!x->fpm) {
            continue;
        }
        behind_text(w, x, req, sizeof(req));
        n += (apr_size_t)apr_snprintf(line + n, len - n, "%s%d: %s", sep,
                                      x->pid, req);
        n = n < len ? n : len - 1;
        sep = ", ";
    }
}
