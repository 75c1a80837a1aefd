/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lock chains in the watchdog. Each pass: claim or take the chains of this
 * child's waiters, adopt chains nobody keeps, then update the chains this
 * watchdog keeps: their waiters (from the slots of every child), their
 * holder (from /proc/locks, joined with the slots), and report.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include "guard_fmt.h"
#include "guard_lines.h"
#include "guard_lock_ofd.h"
#include "guard_lock_procfs.h"
#include "guard_lock_table.h"
#include "guard_lock_watch.h"
#include "guard_lock_watch_fpm.h"
#include "guard_log.h"
#include "guard_reqcopy.h"
#include "guard_sane.h"

#define MAX_KEPT 8                 /* chains updated per pass */
#define STALE_OWNER apr_time_from_sec(1)
/* How long an OFD holder's word stays good, and how long a new OFD chain
 * waits for it before its line is logged without a holder: a few passes
 * of the holder's watchdog. */
#define OFD_FRESH(w) (3 * (w)->interval + apr_time_from_msec(100))
#define OFD_GRACE(w) (2 * (w)->interval + apr_time_from_msec(50))

typedef struct {
    guard_chain_t *live;
    guard_chain_t next;            /* the contents to publish */
    int own_waiters;
    guard_lock_target_t target;
    int have_holder_slot;
    guard_slot_t holder;           /* the holder's slot, when in httpd */
    guard_slot_t *holder_live;
    apr_interval_time_t duration;  /* the shortest rule of its waiters */
} kept_t;

typedef struct {
    kept_t *k;
    int n;
} scan_t;

void guard_lockwatch_mark(const guard_lock_rules_t *rules, guard_wait_t *w)
{
    const guard_lock_rule_t *r;
    apr_int64_t ms;

    if (!rules || w->kind != GUARD_WAIT_LOCK || !w->path[0]
        || !(r = guard_lock_rule_find(rules, w->path))) {
        return;
    }
    ms = apr_time_as_msec(r->threshold);
    w->flags |= GUARD_WAITF_LOCKWATCH | (r->cut_holder
                                         ? GUARD_WAITF_CUT_HOLDER : 0)
                | (r->end_holder ? GUARD_WAITF_END_HOLDER : 0);
    w->lock_threshold_ms = (apr_uint32_t)(ms > 0 ? ms : 1);
}

/* In a lock wait on a watched file, for however long. */
static int watched_wait(const guard_slot_t *s)
{
    return s->state == GUARD_WS_BUSY && s->req_start > 0
           && s->wait_req_start == s->req_start
           && s->wait.kind == GUARD_WAIT_LOCK
           && (s->wait.flags & GUARD_WAITF_LOCKWATCH);
}

int guard_lockwatch_is_waiter(const guard_slot_t *s, apr_time_t now)
{
    return watched_wait(s)
           && now - s->wait.since
              >= apr_time_from_msec(s->wait.lock_threshold_ms);
}

/* A cheap look before a consistent copy: most slots wait on no lock. */
static int maybe_waiter(const guard_slot_t *live)
{
    return __atomic_load_n(&live->wait.kind, __ATOMIC_RELAXED)
           == GUARD_WAIT_LOCK
           && (__atomic_load_n(&live->wait.flags, __ATOMIC_RELAXED)
               & GUARD_WAITF_LOCKWATCH);
}

static apr_uint32_t me(const guard_lockwatch_ctx_t *w)
{
    return (apr_uint32_t)w->child + 1;
}

/* Step 1: this child's waiters past their threshold claim their chains. */
static int claim_own(const guard_lockwatch_ctx_t *w, apr_time_t now)
{
    int t, tl = w->shm->thread_limit, claimed, n = 0;
    guard_slot_t s;

    for (t = 0; t < tl; t++) {
        guard_slot_t *live = guard_shm_slot(w->shm, w->child, t);
        guard_chain_t *c;

        if (!maybe_waiter(live)) {
            continue;
        }
        guard_slot_read_sane(live, &s);
        if (s.pid != w->pid || !guard_lockwatch_is_waiter(&s, now)) {
            continue;
        }
        c = guard_chain_claim(w->shm, s.wait.dev, s.wait.ino, me(w), now,
                              &claimed);
        if (!c && claimed == 0) {
            guard_log_say(w->log, GUARD_LOG_DEBUG, GRD_LOCK_FULL,
                          "lock chain table full (%d chains): wait of "
                          "pid %d tid %d not tracked", GUARD_CHAINS,
                          s.pid, s.tid);
        }
        if (c) {
            guard_chain_take(c, me(w), now, 0, STALE_OWNER);
            n++;
        }
    }
    return n;
}

/* Step 2: the chains this watchdog keeps, adopting those nobody keeps. */
static int collect_kept(const guard_lockwatch_ctx_t *w, apr_time_t now,
                        kept_t *k)
{
    apr_interval_time_t orphan = 2 * w->interval;
    int i, n = 0;

    for (i = 0; i < GUARD_CHAINS && n < MAX_KEPT; i++) {
        guard_chain_t *c = &w->shm->chains[i];
        apr_uint64_t key = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);

        if (key == 0 || key == ~(apr_uint64_t)0
            || !guard_chain_take(c, me(w), now, orphan,
                                 STALE_OWNER > orphan ? STALE_OWNER
                                                      : orphan)) {
            continue;
        }
        memset(&k[n], 0, sizeof(k[n]));
        k[n].live = c;
        if (!guard_chain_read(c, &k[n].next)) {
            /* Freed by its keeper since the key was read. */
            guard_chain_release(c, me(w));
            continue;
        }
        guard_sane_chain(&k[n].next, w->shm->server_limit
                                     * w->shm->thread_limit);
        k[n].next.nwaiters = 0;
        k[n].next.cut_holder = 0;
        k[n].next.end_holder = 0;
        k[n].next.appeared = k[n].next.reported ? k[n].next.appeared : 0;
        k[n].target.dev = c->dev;
        k[n].target.ino = c->ino;
        n++;
    }
    return n;
}

static void add_waiter(const guard_lockwatch_ctx_t *w, kept_t *k, int child,
                       int thread, const guard_slot_t *s)
{
    guard_chain_t *c = &k->next;

    if (c->nwaiters < GUARD_CHAIN_WAITERS) {
        guard_chain_waiter_t *x = &c->waiters[c->nwaiters];

        x->child = child;
        x->thread = thread;
        x->pid = s->pid;
        x->tid = s->tid;
        x->since = s->wait.since;
        x->req_start = s->req_start;
        x->fpm = 0;
        x->behind_child = -1;
        x->behind_thread = -1;
        x->behind_req_start = 0;
    }
    if (k->target.nwaiter_pids < GUARD_LOCK_TARGET_PIDS) {
        k->target.waiter_pids[k->target.nwaiter_pids++] = s->pid;
    }
    c->nwaiters++;
    if (!c->appeared || s->wait.since < c->appeared) {
        c->appeared = s->wait.since;
    }
    if (s->wait.flags & GUARD_WAITF_CUT_HOLDER) {
        c->cut_holder = 1;
    }
    if (s->wait.flags & GUARD_WAITF_END_HOLDER) {
        c->end_holder = 1;
    }
    if (!k->duration || apr_time_from_msec(s->wait.lock_threshold_ms)
                        < k->duration) {
        k->duration = apr_time_from_msec(s->wait.lock_threshold_ms);
    }
    if (!c->path[0]) {
        memcpy(c->path, s->wait.path, sizeof(c->path));
        c->path[sizeof(c->path) - 1] = '\0';
    }
    if (child == w->child) {
        k->own_waiters++;
    }
}

/* Step 3: the waiters of the kept chains, from the slots of all children.
 * One waiter past its threshold makes a chain; then every worker waiting
 * for the same lock is part of it, however long it has waited so far. */
static void gather_waiters(const guard_lockwatch_ctx_t *w, apr_time_t now,
                           kept_t *k, int n)
{
    int c, t, i, sl = w->shm->server_limit;
    int tl = w->shm->thread_limit;
    guard_slot_t s;

    for (c = 0; c < sl; c++) {
        for (t = 0; t < tl; t++) {
            guard_slot_t *live = guard_shm_slot(w->shm, c, t);

            if (!maybe_waiter(live) || !guard_slot_read_sane(live, &s)
                || !watched_wait(&s)) {
                continue;
            }
            for (i = 0; i < n; i++) {
                if (s.wait.ino == k[i].target.ino
                    && s.wait.dev == k[i].target.dev) {
                    add_waiter(w, &k[i], c, t, &s);
                    break;
                }
            }
        }
    }
}

static void match_line(void *baton, const char *line)
{
    scan_t *sc = baton;
    guard_lock_line_t l;
    int i;

    if (guard_locks_parse_line(line, &l) != 0) {
        return;
    }
    for (i = 0; i < sc->n; i++) {
        guard_locks_match(&sc->k[i].target, 1, &l);
    }
}

/* Step 4: one read of /proc/locks for all kept chains. */
static void scan_proc_locks(kept_t *k, int n)
{
    scan_t sc = { k, n };
    int fd = open("/proc/locks", O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return;
    }
    guard_read_lines(fd, match_line, &sc);
    close(fd);
}

static void read_comm(pid_t pid, char *out, apr_size_t len)
{
    char path[48], raw[GUARD_COMM_LEN + 1], *p;
    int fd;
    ssize_t r;

    out[0] = '\0';
    p = guard_fmt_dec(stpcpy(path, "/proc/"), pid);
    strcpy(p, "/comm");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return;
    }
    r = read(fd, raw, sizeof(raw) - 1);
    close(fd);
    if (r <= 0) {
        return;
    }
    raw[r] = '\0';
    if ((p = strchr(raw, '\n')) != NULL) {
        *p = '\0';
    }
    /* Any process may name itself anything: kept printable. */
    guard_copy_sanitized(out, len, raw, 0);
}

/* Which thread of the holder process: the kernel records a lock per
 * process (POSIX, flock) or per open file (OFD), never per thread. The
 * busy worker of that pid that does not wait for this same lock; among
 * several, one blocked on a backend, then the oldest request. */
static int better_holder(const guard_slot_t *a, const guard_slot_t *best,
                         int have)
{
    int a_backend = a->wait_req_start == a->req_start
                    && a->wait.kind == GUARD_WAIT_BACKEND;
    int b_backend = have && best->wait_req_start == best->req_start
                    && best->wait.kind == GUARD_WAIT_BACKEND;

    if (!have || a_backend != b_backend) {
        return !have || a_backend;
    }
    return a->req_start < best->req_start;
}

static void find_holder_slot(const guard_lockwatch_ctx_t *w, apr_time_t now,
                             kept_t *k, apr_int32_t pid)
{
    int c, t, sl = w->shm->server_limit;
    int tl = w->shm->thread_limit;
    guard_slot_t s;

    for (c = 0; c < sl; c++) {
        for (t = 0; t < tl; t++) {
            guard_slot_t *live = guard_shm_slot(w->shm, c, t);

            if (__atomic_load_n(&live->pid, __ATOMIC_RELAXED) != pid) {
                continue;
            }
            k->next.holder_child = c;     /* an httpd child, at least */
            if (!guard_slot_read_sane(live, &s) || s.pid != pid
                || s.state != GUARD_WS_BUSY || s.req_start <= 0
                || (watched_wait(&s) && s.wait.ino == k->target.ino)) {
                continue;
            }
            if (better_holder(&s, &k->holder, k->have_holder_slot)) {
                k->holder = s;
                k->holder_live = live;
                k->have_holder_slot = 1;
                k->next.holder_thread = t;
                k->next.holder_child = c;
            }
        }
    }
}

/* An OFD lock: the pid its holder's watchdog gave, while fresh; else -1. */
static apr_int32_t ofd_holder(const guard_lockwatch_ctx_t *w, const kept_t *k,
                              apr_time_t now)
{
    apr_time_t seen = __atomic_load_n(&k->live->ofd_seen, __ATOMIC_ACQUIRE);
    apr_int32_t pid = __atomic_load_n(&k->live->ofd_pid, __ATOMIC_RELAXED);

    if (pid > 0 && seen > 0 && now - seen <= OFD_FRESH(w)) {
        if (w->log->debug && k->live->holder_pid != pid) {
            guard_log_say(w->log, GUARD_LOG_DEBUG, GRD_LOCK_OFD,
                          "OFD lock on %s: the watchdog of pid %d says "
                          "its process holds it", k->next.path, pid);
        }
        return pid;
    }
    return -1;
}

/* Step 0: the OFD chains that this process holds the lock of. */
static void announce_ofd(const guard_lockwatch_ctx_t *w, apr_time_t now)
{
    int i;

    for (i = 0; i < GUARD_CHAINS; i++) {
        guard_chain_t *c = &w->shm->chains[i];
        apr_uint64_t key = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);

        if (key == 0 || key == ~(apr_uint64_t)0
            || __atomic_load_n(&c->lock_class, __ATOMIC_RELAXED)
               != GUARD_LOCK_OFD
            || !guard_lockofd_held(c->dev, c->ino)
            || __atomic_load_n(&c->key, __ATOMIC_ACQUIRE) != key) {
            continue;
        }
        __atomic_store_n(&c->ofd_pid, (apr_int32_t)w->pid, __ATOMIC_RELAXED);
        __atomic_store_n(&c->ofd_seen, now, __ATOMIC_RELEASE);
    }
}

/* The chain line waits a little for an OFD holder's watchdog. */
static int holder_settled(const guard_lockwatch_ctx_t *w, const kept_t *k,
                          apr_time_t now)
{
    return k->next.holder_pid != -1 || !k->next.ofd_since
           || now - k->next.ofd_since >= OFD_GRACE(w);
}

/* Step 5: who holds it. */
static void join_holder(const guard_lockwatch_ctx_t *w, apr_time_t now,
                        kept_t *k)
{
    const guard_lock_line_t *h = guard_locks_holder(&k->target);
    guard_chain_t *c = &k->next;

    c->holder_pid = h ? h->pid : 0;
    c->holder_tid = 0;
    c->holder_child = -1;
    c->holder_thread = -1;
    c->holder_req_start = 0;
    c->holder_comm[0] = '\0';
    c->holder_fpm = 0;
    c->holder_fpm_start = 0;
    c->holder_method[0] = c->holder_uri[0] = c->holder_wait[0] = '\0';
    if (!h) {
        return;
    }
    c->lock_class = (apr_uint32_t)h->lock_class;
    if (h->pid == -1 && (c->holder_pid = ofd_holder(w, k, now)) == -1) {
        c->ofd_since = c->ofd_since ? c->ofd_since : now;
        return;
    }
    if (c->holder_pid <= 0) {
        return;
    }
    find_holder_slot(w, now, k, c->holder_pid);
    if (k->have_holder_slot) {
        c->holder_tid = k->holder.tid;
        c->holder_req_start = k->holder.req_start;
    }
    else if (c->holder_child < 0) {
        read_comm(h->pid, c->holder_comm, sizeof(c->holder_comm));
    }
}

/* cut-holder: only the holder's own watchdog can cut its socket; ask it. */
static void ask_cut(const guard_lockwatch_ctx_t *w, kept_t *k)
{
    const guard_slot_t *h = &k->holder;

    if (!k->next.cut_holder || !k->have_holder_slot
        || h->wait_req_start != h->req_start
        || h->wait.kind != GUARD_WAIT_BACKEND
        || __atomic_load_n(&k->holder_live->cut_holder_req, __ATOMIC_ACQUIRE)
           == h->req_start) {
        return;
    }
    __atomic_store_n(&k->holder_live->cut_holder_req, h->req_start,
                     __ATOMIC_RELEASE);
    k->next.holder_cut_asked++;
    guard_log_say(w->log, GUARD_LOG_DEBUG, GRD_LOCK_ASK,
                  "cut-holder: asking the watchdog of pid %d to cut the "
                  "backend socket of tid %d", h->pid, h->tid);
}


/* The holder's top PHP frame, when its own watchdog read its stacks in
 * the request that holds the lock. */
static void append_holder_frame(const guard_lockwatch_ctx_t *w,
                                const guard_chain_t *c, char *line,
                                apr_size_t len)
{
    const guard_stack_t *st;
    apr_size_t n = strlen(line);

    if (c->holder_child < 0 || c->holder_req_start <= 0 || n + 1 >= len) {
        return;
    }
    st = guard_shm_stack(w->shm, c->holder_child, c->holder_thread);
    if (st && __atomic_load_n(&st->req_start, __ATOMIC_ACQUIRE)
              == c->holder_req_start) {
        guard_stack_top_of(st, line + n, len - n);
    }
}

static void publish(const guard_lockwatch_ctx_t *w, apr_time_t now, kept_t *k)
{
    guard_chain_t *live = k->live;
    char line[1024];

    if (k->next.nwaiters == 0) {
        if (k->next.reported) {
            guard_log_say(w->log, GUARD_LOG_WARN, GRD_LOCK_CLEARED, "%s",
                          guard_chain_format_cleared(&k->next, now, line,
                                                     sizeof(line)));
        }
        guard_chain_free(live);
        return;
    }
    if (k->next.nwaiters > k->next.max_waiters) {
        k->next.max_waiters = k->next.nwaiters;
    }
    if (!k->next.reported && holder_settled(w, k, now)) {
        k->next.reported = 1;
        k->next.reported_at = now;
        guard_chain_holder_text(&k->next, k->next.first_holder,
                                sizeof(k->next.first_holder));
        __atomic_add_fetch(&w->shm->hdr->lock_waits_total, 1,
                           __ATOMIC_RELAXED);
        guard_chain_format(&k->next, k->have_holder_slot ? &k->holder
                                                          : NULL,
                           now, line, sizeof(line));
        append_holder_frame(w, &k->next, line, sizeof(line));
        guard_lwfpm_append_behind(w, &k->next, line, sizeof(line));
        guard_log_say(w->log, GUARD_LOG_WARN, GRD_LOCK_CHAIN, "%s", line);
    }
    guard_chain_write_begin(live);
    memcpy((char *)live + offsetof(guard_chain_t, dev),
           (char *)&k->next + offsetof(guard_chain_t, dev),
           sizeof(*live) - offsetof(guard_chain_t, dev));
    guard_chain_write_end(live, now);
    if (!k->own_waiters) {
        /* Others still wait: one of their watchdogs takes it. */
        guard_chain_release(live, me(w));
    }
}

/* Nearly always: no chain at all, and the two walks over them are
 * skipped. */
static int any_chain(const guard_lockwatch_ctx_t *w)
{
    apr_uint64_t any = 0;
    int i;

    for (i = 0; i < GUARD_CHAINS; i++) {
        any |= __atomic_load_n(&w->shm->chains[i].key, __ATOMIC_RELAXED);
    }
    return any != 0;
}

/* The chains of FPM workers' waits past their rule's duration. */
static int claim_fpm(const guard_lockwatch_ctx_t *w, apr_time_t now,
                     const guard_lockfpm_t *f)
{
    int i, claimed, n = 0;

    for (i = 0; i < f->nlocks; i++) {
        const guard_lockfpm_lock_t *l = &f->locks[i];
        guard_chain_t *c;

        if (l->rule < 0 || l->rule >= w->rules->n
            || now - l->since < w->rules->rule[l->rule].threshold) {
            continue;
        }
        c = guard_chain_claim(w->shm, l->dev, l->ino, me(w), now, &claimed);
        if (c && guard_chain_take(c, me(w), now, 0, STALE_OWNER)) {
            n++;
        }
    }
    return n;
}

/* Steps 3b and 5b: FPM's waiters, holder, the requests behind, end. */
static void fpm_waiters(const guard_lockwatch_ctx_t *w,
                        const guard_lockfpm_t *f, kept_t *k, int n)
{
    int i;

    for (i = 0; f->nwaits && i < n; i++) {
        k[i].own_waiters += guard_lwfpm_add_waiters(w, f, &k[i].next,
                                                    &k[i].target,
                                                    &k[i].duration);
    }
}

static void fpm_holder(const guard_lockwatch_ctx_t *w,
                       const guard_lockfpm_t *f, apr_time_t now, kept_t *k)
{
    if (!f->nworkers) {
        return;
    }
    guard_lwfpm_holder(w, f, &k->next);
    guard_lwfpm_behind(w, &k->next);
    if (k->next.end_holder) {
        guard_lwfpm_end(w, f, &k->next, k->duration, now);
    }
}

/* While an FPM request runs: the next pass, so that its lock waits are
 * dated within an interval. */
static apr_time_t fpm_due(const guard_lockwatch_ctx_t *w,
                          const guard_lockfpm_t *f, apr_time_t now)
{
    return f->oldest || f->stale ? now + w->interval : 0;
}

apr_time_t guard_lockwatch_pass(const guard_lockwatch_ctx_t *w,
                                apr_time_t now)
{
    kept_t k[MAX_KEPT];
    guard_lockfpm_t f;
    int i, n, chains;

    if (!w->rules || !w->shm->chains) {
        return 0;
    }
    if ((chains = any_chain(w)) != 0) {
        announce_ofd(w, now);
    }
    chains += claim_own(w, now);
    if (guard_lwfpm_scan(w, now, &f) > 0) {
        chains += claim_fpm(w, now, &f);
    }
    if (!chains || (n = collect_kept(w, now, k)) == 0) {
        return fpm_due(w, &f, now);
    }
    gather_waiters(w, now, k, n);
    fpm_waiters(w, &f, k, n);
    scan_proc_locks(k, n);
    for (i = 0; i < n; i++) {
        if (k[i].next.nwaiters > 0) {
            join_holder(w, now, &k[i]);
            ask_cut(w, &k[i]);
            fpm_holder(w, &f, now, &k[i]);
        }
        publish(w, now, &k[i]);
    }
    return fpm_due(w, &f, now);
}

void guard_lockwatch_stop(const guard_lockwatch_ctx_t *w)
{
    int i;

    if (!w->shm->chains) {
        return;
    }
    for (i = 0; i < GUARD_CHAINS; i++) {
        guard_chain_release(&w->shm->chains[i], me(w));
    }
}

int guard_lockwatch_cut_asked(guard_slot_t *live, const guard_slot_t *s,
                              const guard_wait_t *wait, apr_time_t now,
                              guard_cut_t *c)
{
    apr_time_t asked = __atomic_load_n(&live->cut_holder_req,
                                       __ATOMIC_ACQUIRE);

    if (!asked) {
        return 0;
    }
    __atomic_store_n(&live->cut_holder_req, 0, __ATOMIC_RELEASE);
    if (asked != s->req_start || wait->kind != GUARD_WAIT_BACKEND) {
        return 0;                 /* another request, or no longer blocked */
    }
    guard_cut_from_wait(c, s, wait, now, now - wait->since, 0,
                        GUARD_ACTION_CUT_HOLDER);
    return 1;
}
