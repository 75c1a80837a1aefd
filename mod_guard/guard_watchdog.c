/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog loop. It costs nothing while nothing is old: with no
 * request in flight it sleeps on a futex until a request starts; with
 * young requests it sleeps until the oldest becomes old enough to sample.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <string.h>
#include <apr_strings.h>
#include "guard_cut.h"
#include "guard_lock_watch.h"
#include "guard_log.h"
#include "guard_reqcopy.h"
#include "guard_wait.h"
#include "guard_sane.h"
#include "guard_watchdog.h"
#include "guard_watchdog_log.h"
#include "guard_seq.h"
#include "guard_stuck.h"

#if defined(__linux__) && defined(HAVE_LINUX_FUTEX_H)
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

static void futex_wait(apr_uint32_t *addr, apr_uint32_t val,
                       apr_interval_time_t timeout)
{
    struct timespec ts, *tsp = NULL;

    if (timeout > 0) {
        ts.tv_sec = (time_t)apr_time_sec(timeout);
        ts.tv_nsec = (long)apr_time_usec(timeout) * 1000;
        tsp = &ts;
    }
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

static void futex_wake(apr_uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#else

static void futex_wait(apr_uint32_t *addr, apr_uint32_t val,
                       apr_interval_time_t timeout)
{
    /* No futex: poll for a change, at most every 100 ms. */
    apr_interval_time_t step = apr_time_from_msec(100);

    if (timeout > 0 && timeout < step) {
        step = timeout;
    }
    if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) == val) {
        apr_sleep(step);
    }
}

static void futex_wake(apr_uint32_t *addr)
{
}

#endif

/* Before anything wakes the worker (a cut): its stacks where it waits. */
static void take_stacks(guard_watch_t *w, int thread, const guard_slot_t *s,
                        const guard_syscall_line_t *line, apr_time_t now)
{
    guard_stack_t *live = guard_shm_stack(w->shm, w->child, thread);

    if (guard_stacker_on(w->stacker) && live) {
        guard_stack_take(w->stacker, thread, s->tid, s->req_start, line, now,
                         live);
    }
}

/* " in Svc::run /x.php:10" of the worker's current request, or "". */
static const char *top_frame(const guard_watch_t *w, int thread,
                             apr_time_t req_start, char *buf, apr_size_t len)
{
    guard_stack_t *live = guard_shm_stack(w->shm, w->child, thread);

    buf[0] = '\0';
    if (guard_stacker_on(w->stacker) && live
        && __atomic_load_n(&live->req_start, __ATOMIC_ACQUIRE) == req_start) {
        guard_stack_top_of(live, buf, len);
    }
    return buf;
}

static void describe(const guard_slot_t *s, apr_time_t now, char *buf,
                     apr_size_t len)
{
    guard_wait_describe(&s->wait, apr_time_as_msec(now - s->req_start), buf,
                        len);
}

/* From the copy the sample was taken of, with the wait just seen: the
 * live slot may already hold the worker's next request. */
static void report_stuck(guard_watch_t *w, int thread, const guard_slot_t *s,
                         const guard_wait_t *wait, apr_time_t now)
{
    char top[GUARD_STACK_TOP_LEN];

    guard_watchdog_log_stuck(&w->log, s, wait, now, w->stuck_threshold,
                             top_frame(w, thread, s->req_start, top,
                                       sizeof(top)));
}

/* What GRD0101 will name: the request as it was when it became stuck. */
static void keep_stuck(guard_watch_t *w, int thread, const guard_slot_t *s)
{
    guard_watch_stuck_t *st;

    if (!w->stuck) {
        return;
    }
    st = &w->stuck[thread];
    st->req_start = s->req_start;
    st->pid = s->pid;
    st->tid = s->tid;
    /* Same sizes: bounded even in a torn copy. */
    apr_cpystrn(st->method, s->req.method, sizeof(st->method));
    apr_cpystrn(st->uri, s->req.uri, sizeof(st->uri));
}

static void report_unstuck(guard_watch_t *w, guard_watch_stuck_t *st,
                           apr_time_t now, const char *why)
{
    guard_watchdog_log_unstuck(&w->log, st, now, why);
    st->req_start = 0;
}

static void clear_stuck(guard_slot_t *live)
{
    guard_seq_write_begin(&live->wseq);
    live->stuck = 0;
    guard_seq_write_end(&live->wseq);
}

/* A stuck request has ended: say so once, and clear the flag. A flag this
 * process did not set (no record of its request) is cleared unsaid. */
static void settle_unstuck(guard_watch_t *w, int thread, guard_slot_t *live,
                           const guard_slot_t *s, apr_time_t now)
{
    guard_watch_stuck_t *st = w->stuck ? &w->stuck[thread] : NULL;
    apr_time_t stuck_req = st ? st->req_start : s->wait_req_start;

    if (!s->stuck || (s->state == GUARD_WS_BUSY && stuck_req > 0
                      && s->req_start == stuck_req)) {
        return;
    }
    clear_stuck(live);
    if (st && st->req_start > 0) {
        report_unstuck(w, st, now, "");
    }
}

void guard_watch_finish(guard_watch_t *w, apr_time_t now)
{
    int t, tl = w->shm->thread_limit;

    for (t = 0; t < tl; t++) {
        guard_slot_t *live = guard_shm_slot(w->shm, w->child, t);

        if (!__atomic_load_n(&live->stuck, __ATOMIC_ACQUIRE)
            || live->pid != w->pid) {
            continue;
        }
        clear_stuck(live);
        if (w->stuck && w->stuck[t].req_start > 0) {
            report_unstuck(w, &w->stuck[t], now, ", its process is exiting");
        }
    }
}

/* A cut FPM socket: the FPM worker behind it, after the top frame. */
static void report_cut(guard_watch_t *w, int thread, const guard_slot_t *s,
                       const guard_cut_t *c, apr_time_t now)
{
    char top[GUARD_STACK_TOP_LEN + 640];
    apr_size_t n;
    guard_behind_t b;

    top_frame(w, thread, s->req_start, top, GUARD_STACK_TOP_LEN);
    if (w->fpm_cut) {
        n = strlen(top);
        guard_cut_fpm_behind(w->fpm_cut, w->shm, s, c->peer, w->lock_rules, now,
                             &b);
        guard_behind_text(&b, (int)s->show_query, top + n, sizeof(top) - n);
        if (c->ok && c->action != GUARD_ACTION_LOG) {
            guard_cut_fpm_follow(w->fpm_cut, &b, now);
        }
    }
    guard_watchdog_log_cut(&w->log, s, c, top);
}

/* A worker blocked on one backend socket past its timeout: cut the socket
 * (or only report it), and say what was done in c. */
static int check_backend(const guard_slot_t *s, const guard_wait_t *wait,
                         guard_track_t *track, apr_time_t now, guard_cut_t *c)
{
    guard_cut_limits_t lim;
    guard_cut_limit_e limit;
    apr_interval_time_t blocked;

    lim.idle = s->backend_timeout;
    lim.max = s->backend_max;
    lim.minrate = s->backend_minrate;
    if (lim.idle <= 0
        || !guard_cut_track(track, wait, s->req_start, now, &lim, &blocked,
                            &limit)) {
        return 0;
    }
    /* c->ok: counted as done before it is done (sample()): the worker
     * runs on at once, and its next request may end the process before
     * this thread gets to count. */
    guard_cut_from_wait(c, s, wait, now, blocked, lim.idle,
                        s->backend_action);
    guard_cut_limit_set(c, limit, track, wait, &lim, now);
    return 1;
}

static void record_cut(guard_slot_t *live, const guard_cut_t *c)
{
    live->last_cut = *c;
    if (c->action == GUARD_ACTION_LOG) {
        live->cuts_logged++;
    }
    else if (c->ok && c->kind < GUARD_CUT_KINDS) {
        live->cuts[c->kind]++;
        if (c->limit == GUARD_LIMIT_MAX || c->limit == GUARD_LIMIT_MINRATE) {
            live->limit_cuts[c->limit - GUARD_LIMIT_MAX]++;
        }
    }
}

static void report_holder_cut(guard_watch_t *w, int thread,
                              const guard_slot_t *s, const guard_cut_t *c)
{
    char top[GUARD_STACK_TOP_LEN];

    guard_watchdog_log_holder_cut(&w->log, s, c,
                                  top_frame(w, thread, s->req_start, top,
                                            sizeof(top)));
}

/* A cut is counted before its shutdown(): once the socket is cut the
 * worker may end its request at once, and whoever looks then must see the
 * count. A shutdown() that fails takes the count back. */
static void shutdown_counted(guard_slot_t *live, guard_cut_t *c, int fd,
                             apr_uint64_t ino, apr_uint64_t *counter)
{
    if (!c->ok || guard_cut_socket(fd, ino) == 0) {
        return;
    }
    c->ok = 0;
    guard_seq_write_begin(&live->wseq);
    live->last_cut.ok = 0;
    if (counter) {
        (*counter)--;
    }
    guard_seq_write_end(&live->wseq);
}

/* What one sample saw, and what it decided. */
typedef struct {
    guard_wait_t wait;
    guard_track_t track;
    int newly_stuck;
    int due;                      /* cut: the backend timeout ran out */
    guard_cut_t cut;
    int holder_cut;               /* hcut: a lock chain asked for it */
    guard_cut_t hcut;
    guard_stuck_why_e stuck_end;  /* GuardStuckTimeout's decision */
} seen_t;

/* The thread has not run since the last full look at this request: the
 * wait stands as it was (TCP idle time grows with the clock: nothing was
 * read or written on the socket, or the thread would have woken). */
static int unchanged(const guard_watch_t *w, int thread,
                     const guard_slot_t *s, apr_int64_t run_ns,
                     apr_time_t now, guard_wait_t *wait)
{
    const guard_watch_seen_t *sn;

    if (!w->seen || run_ns < 0) {
        return 0;
    }
    sn = &w->seen[thread];
    if (sn->req_start != s->req_start || sn->tid != s->tid
        || sn->run_ns != run_ns || s->wait_req_start != s->req_start
        || s->wait.kind == GUARD_WAIT_NONE || s->wait.kind == GUARD_WAIT_CPU
        || s->wait.kind == GUARD_WAIT_UNKNOWN) {
        return 0;
    }
    *wait = s->wait;
    if (wait->idle_ms >= 0 && now > s->wait.sampled) {
        wait->idle_ms += apr_time_as_msec(now - s->wait.sampled);
    }
    wait->sampled = now;
    return 1;
}

static void remember(guard_watch_t *w, int thread, const guard_slot_t *s,
                     apr_int64_t run_ns)
{
    if (w->seen) {
        w->seen[thread].req_start = s->req_start;
        w->seen[thread].tid = s->tid;
        w->seen[thread].run_ns = run_ns;
    }
}

/* What the worker waits on now, as pages and logs show it; 1 when its
 * files were read (0: it had not run since the last look). */
static int look(guard_watch_t *w, int thread, const guard_slot_t *s,
                apr_time_t now, guard_wait_t *wait,
                guard_syscall_line_t *line)
{
    apr_int64_t run_ns = w->run_ns ? w->run_ns(w->run_baton, thread, s->tid)
                                   : -1;
    guard_inspect_req_t req;

    if (unchanged(w, thread, s, run_ns, now, wait)) {
        return 0;
    }
    memset(&req, 0, sizeof(req));
    req.tid = s->tid;
    req.thread = thread;
    req.client_fd = s->client_fd;
    req.cpu_start_us = s->cpu_start_us;
    req.req_start = s->req_start;
    req.line = line;
    guard_inspect_thread(&w->ictx, &req, now, wait);
    /* The rules see the real path; pages and logs the redacted one. */
    guard_lockwatch_mark(w->lock_rules, wait);
    if (!s->show_query) {
        guard_redact_session(wait->path);
    }
    if (s->wait_req_start == s->req_start
        && guard_wait_same(&s->wait, wait)) {
        guard_wait_carry(&s->wait, wait);
    }
    remember(w, thread, s, run_ns);
    return 1;
}

/* GuardStuckTimeout's floor of a wait's age: the request's start; for a
 * blocked thread, the last look that found it had run since the one
 * before (on the CPU it runs, and its wait's since says how long). */
static apr_time_t stuck_floor(const guard_watch_t *w, int thread,
                              const guard_slot_t *s, const guard_wait_t *wait)
{
    const guard_watch_end_t *e = w->ends ? &w->ends[thread] : NULL;

    if (wait->kind == GUARD_WAIT_CPU) {
        return s->req_start;
    }
    if (!e || e->quiet_req != s->req_start) {
        return APR_INT64_MAX;     /* no look yet: not ended */
    }
    return e->quiet_since > s->req_start ? e->quiet_since : s->req_start;
}

/* After a look: did the thread run since the last one (a fresh look
 * with another run time, or none readable)? */
static void note_quiet(guard_watch_t *w, int thread, const guard_slot_t *s,
                       int fresh, apr_int64_t prev_run, apr_time_t now)
{
    guard_watch_end_t *e = w->ends ? &w->ends[thread] : NULL;
    apr_int64_t run = w->seen ? w->seen[thread].run_ns : -1;

    if (!e) {
        return;
    }
    if (e->quiet_req != s->req_start
        || (fresh && (prev_run < 0 || run < 0 || run != prev_run))) {
        e->quiet_req = s->req_start;
        e->quiet_since = now;
    }
}

/* The run time of the last look at this request's thread; -1 none. */
static apr_int64_t last_run(const guard_watch_t *w, int thread,
                            const guard_slot_t *s)
{
    const guard_watch_seen_t *sn = w->seen ? &w->seen[thread] : NULL;

    return sn && sn->req_start == s->req_start && sn->tid == s->tid
           ? sn->run_ns : -1;
}

static void decide(guard_watch_t *w, int thread, guard_slot_t *live,
                   const guard_slot_t *s, apr_time_t now, seen_t *v)
{
    int same_req = s->wait_req_start == s->req_start;

    v->track = s->track;
    v->newly_stuck = now - s->req_start >= w->stuck_threshold
                     && !(same_req && s->stuck);
    v->due = check_backend(s, &v->wait, &v->track, now, &v->cut);
    v->holder_cut = !v->due && guard_lockwatch_cut_asked(live, s, &v->wait,
                                                         now, &v->hcut);
    v->stuck_end = GUARD_STUCK_YOUNG;
    if (s->stuck_timeout_ms && !v->due && !v->holder_cut) {
        v->stuck_end = guard_stuck_decide(
            &v->wait, s->stuck_timeout_ms, stuck_floor(w, thread, s, &v->wait),
            now, guard_stuck_held_by_worker(w->shm, &v->wait));
    }
}

static void write_sample(guard_slot_t *live, const guard_slot_t *s,
                         const seen_t *v)
{
    guard_seq_write_begin(&live->wseq);
    live->wait = v->wait;
    live->wait_req_start = s->req_start;
    live->track = v->track;
    live->samples++;
    if (v->newly_stuck) {
        live->stuck = 1;
        live->stuck_total++;
    }
    if (v->due) {
        record_cut(live, &v->cut);
    }
    if (v->holder_cut) {
        live->last_cut = v->hcut;
        live->holder_cuts += v->hcut.ok;
    }
    guard_seq_write_end(&live->wseq);
}

/* The count by max= or minrate= of a cut whose shutdown() failed. */
static void uncount_limit(guard_slot_t *live, const guard_cut_t *c, int was_ok)
{
    if (!was_ok || c->ok || c->limit < GUARD_LIMIT_MAX
        || c->limit >= GUARD_LIMITS) {
        return;
    }
    guard_seq_write_begin(&live->wseq);
    live->limit_cuts[c->limit - GUARD_LIMIT_MAX]--;
    guard_seq_write_end(&live->wseq);
}

static void cut_sockets(guard_slot_t *live, seen_t *v)
{
    if (v->due) {
        int was_ok = v->cut.ok;

        shutdown_counted(live, &v->cut, v->wait.fd, v->wait.ino,
                         v->cut.kind < GUARD_CUT_KINDS
                         ? &live->cuts[v->cut.kind] : NULL);
        uncount_limit(live, &v->cut, was_ok);
    }
    if (v->holder_cut) {
        shutdown_counted(live, &v->hcut, v->wait.fd, v->wait.ino,
                         &live->holder_cuts);
    }
}

/* From the copy: once cut, the worker may be in its next request. */
static void report_sample(guard_watch_t *w, int thread,
                          const guard_slot_t *s, const seen_t *v,
                          apr_time_t now)
{
    if (v->due) {
        report_cut(w, thread, s, &v->cut, now);
    }
    if (v->holder_cut) {
        report_holder_cut(w, thread, s, &v->hcut);
    }
    if (v->newly_stuck) {
        keep_stuck(w, thread, s);
        report_stuck(w, thread, s, &v->wait, now);
    }
}

/* Why a request past its GuardStuckTimeout goes on, at debug. */
static void debug_stuck(const guard_watch_t *w, const guard_slot_t *s,
                        guard_stuck_why_e why, apr_time_t now)
{
    if (!w->log.debug || !s->stuck_timeout_ms
        || now - s->req_start < apr_time_from_msec(s->stuck_timeout_ms)) {
        return;
    }
    guard_log_say(&w->log, GUARD_LOG_DEBUG, GRD_STUCK_WHY,
        "GuardStuckTimeout %.1f s: tid %d \"%.*s %.*s\" running %.1f s is "
        "not ended: %s", (double)s->stuck_timeout_ms / 1000, s->tid,
        (int)strnlen(s->req.method, sizeof(s->req.method)), s->req.method,
        (int)strnlen(s->req.uri, sizeof(s->req.uri)), s->req.uri,
        (double)(now - s->req_start) / APR_USEC_PER_SEC,
        guard_stuck_why_name(why));
}

/* The record of an end, as a crash's, from the sample's copy and the
 * worker's live stacks; its id (0: no crash segment). */
static apr_uint64_t keep_end_record(guard_watch_t *w, int thread,
                                    const guard_slot_t *s,
                                    const guard_wait_t *wait, apr_time_t now)
{
    static guard_stack_t st;      /* one watchdog thread a process */
    static guard_crash_rec_t rec;
    guard_stack_t *live = guard_shm_stack(w->shm, w->child, thread);
    guard_crash_rec_t *slot;
    guard_stuck_src_t src;

    memset(&src, 0, sizeof(src));
    src.slot = s;
    src.wait = wait;
    src.stack = live && guard_stack_read(live, &st) ? &st : NULL;
    src.where = w->where ? w->where() : NULL;
    src.child = w->child;
    src.thread = thread;
    src.generation = w->generation;
    src.now = now;
    guard_stuck_record(&src, &rec);
    if (!w->crash) {
        return 0;
    }
    guard_crash_publish(w->crash, &rec, &slot);
    guard_crash_keep_last(w->crash, &rec);
    return rec.id;
}

/* The worker still serves the request the sample is of: the look and the
 * stacks take milliseconds, during which it may have ended and the thread
 * taken another, which must not be ended for it. */
static int still_serves(const guard_slot_t *live, const guard_slot_t *s)
{
    return __atomic_load_n(&live->state, __ATOMIC_ACQUIRE) == GUARD_WS_BUSY
           && __atomic_load_n(&live->req_start, __ATOMIC_ACQUIRE)
              == s->req_start;
}

/* 1 when the server-wide budget of ends is spent: the request is looked
 * at again the next minute, and said once. */
static int over_budget(guard_watch_t *w, guard_watch_end_t *e,
                       const guard_slot_t *s, apr_time_t now, int told)
{
    if (guard_stuck_rate_take(&w->shm->hdr->stuck_window, now,
                              GUARD_STUCK_ENDS_PER_MIN)) {
        return 0;
    }
    e->retry = now + apr_time_from_sec(60) - now % apr_time_from_sec(60);
    if (!told) {
        guard_watchdog_log_stuck_rate(&w->log, s, now,
                                      GUARD_STUCK_ENDS_PER_MIN);
    }
    return 1;
}

/* The server-wide budget first (a refusal is said once a request, and
 * looked at again the next minute), then the record, GRD0900, the end:
 * httpd's parent says nothing of a child ended by a signal. The live slot
 * is looked at before and once more just before the end. */
static void end_stuck(guard_watch_t *w, int thread, const guard_slot_t *live,
                      const guard_slot_t *s, const guard_wait_t *wait,
                      apr_time_t now)
{
    guard_watch_end_t *e = w->ends ? &w->ends[thread] : NULL;
    char top[GUARD_STACK_TOP_LEN];
    int told = e && e->req_start == s->req_start;

    if (!e || !w->end_process || (told && now < e->retry)) {
        return;
    }
    if (!still_serves(live, s)) {
        debug_stuck(w, s, GUARD_STUCK_GONE, now);
        return;
    }
    e->req_start = s->req_start;
    if (w->ending) {
        /* Its process ends already: recorded, no other end. */
        e->retry = APR_INT64_MAX;
        guard_watchdog_log_stuck_end(&w->log, s, wait, now,
                                     keep_end_record(w, thread, s, wait, now),
                                     "its process stops already", "");
        return;
    }
    if (over_budget(w, e, s, now, told)) {
        return;
    }
    e->retry = APR_INT64_MAX;     /* ended: once */
    guard_watchdog_log_stuck_end(&w->log, s, wait, now,
                                 keep_end_record(w, thread, s, wait, now),
                                 w->end_how ? w->end_how : "ending",
                                 top_frame(w, thread, s->req_start, top,
                                           sizeof(top)));
    if (!still_serves(live, s)) {
        /* GRD0900 is said: so is this, at the same level of interest. */
        guard_log_say(&w->log, GUARD_LOG_NOTICE, GRD_STUCK_WHY,
                      "GuardStuckTimeout: tid %d: its request ended before "
                      "its process was: the process is not ended", s->tid);
        return;
    }
    w->ending = 1;
    w->end_process(w->baton, thread);
}

int guard_watch_others_busy(const guard_watch_t *w)
{
    int t, n = 0;

    for (t = 0; t < w->shm->thread_limit; t++) {
        const guard_slot_t *sl = guard_shm_slot(w->shm, w->child, t);
        apr_time_t start = __atomic_load_n(&sl->req_start, __ATOMIC_ACQUIRE);

        if (__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != GUARD_WS_BUSY
            || sl->pid != w->pid
            || (w->thread_released
                && w->thread_released(w->baton, w->child, t))) {
            continue;
        }
        n += !(w->ends && w->ends[t].req_start == start
               && w->ends[t].retry == APR_INT64_MAX);
    }
    return n;
}

static void sample(guard_watch_t *w, int thread, guard_slot_t *live,
                   const guard_slot_t *s, apr_time_t now)
{
    guard_syscall_line_t line;
    seen_t v;
    apr_int64_t prev_run = last_run(w, thread, s);
    int fresh = look(w, thread, s, now, &v.wait, &line);

    if (fresh) {
        take_stacks(w, thread, s, &line, now);
    }
    note_quiet(w, thread, s, fresh, prev_run, now);
    decide(w, thread, live, s, now, &v);
    write_sample(live, s, &v);
    cut_sockets(live, &v);
    report_sample(w, thread, s, &v, now);
    if (v.stuck_end == GUARD_STUCK_END) {
        end_stuck(w, thread, live, s, &v.wait, now);
    }
    else {
        debug_stuck(w, s, v.stuck_end, now);
    }
}

static void debug_sample(guard_watch_t *w, const guard_slot_t *live,
                         apr_time_t now)
{
    char what[256];

    if (!w->log.debug) {
        return;
    }
    describe(live, now, what, sizeof(what));
    guard_log_say(&w->log, GUARD_LOG_DEBUG, GRD_SAMPLE,
        "sampled tid %d \"%s %s\" age %" APR_INT64_T_FMT " ms: %s "
        "(for %" APR_INT64_T_FMT " ms)", live->tid, live->req.method,
        live->req.uri, apr_time_as_msec(now - live->req_start), what,
        apr_time_as_msec(now - live->wait.since));
}

/* How old a request is when it is first looked at. An eighth of the
 * backend timeout: waits that cannot be dated back (a connect in
 * progress, unix sockets) are then cut at most an eighth (plus one
 * interval) late. */
static apr_interval_time_t first_look_after(const guard_watch_t *w,
                                            apr_interval_time_t timeout,
                                            apr_uint32_t stuck_ms)
{
    apr_interval_time_t after = w->sample_after;

    if (timeout > 0 && timeout / 8 < after) {
        after = timeout / 8;
    }
    if (stuck_ms && apr_time_from_msec(stuck_ms) / 8 < after) {
        after = apr_time_from_msec(stuck_ms) / 8;
    }
    if (w->lock_sample_after > 0 && w->lock_sample_after < after) {
        after = w->lock_sample_after;
    }
    return after;
}

/* Most slots at most passes: idle, or busy with a request too young to
 * look at, or whose next look is not due yet. Said from a glance at the
 * live slot, without its consistent copy (thousands of busy workers
 * asleep on one slow thing must not cost a copy each at every pass): a
 * torn read only moves the next wake-up. 1 and *next set (0: nothing due)
 * when that is all there is to it. */
static int glance(const guard_watch_t *w, int thread, const guard_slot_t *live,
                  apr_time_t now, apr_time_t *next)
{
    apr_uint32_t state = __atomic_load_n(&live->state, __ATOMIC_ACQUIRE);
    apr_time_t start = guard_sane_time(
        __atomic_load_n(&live->req_start, __ATOMIC_RELAXED));
    apr_interval_time_t after;

    if (state != GUARD_WS_BUSY || live->pid != w->pid) {
        if (__atomic_load_n(&live->stuck, __ATOMIC_RELAXED)) {
            return 0;             /* a stuck request ended: say so */
        }
        *next = 0;
        return 1;
    }
    after = first_look_after(w, guard_sane_time(live->backend_timeout),
                             __atomic_load_n(&live->stuck_timeout_ms,
                                             __ATOMIC_RELAXED));
    if (start > 0 && now - start < after
        && !__atomic_load_n(&live->stuck, __ATOMIC_RELAXED)) {
        *next = start + after;
        return 1;
    }
    if (w->sched && start > 0 && w->sched[thread].req_start == start
        && now < w->sched[thread].due
        && !__atomic_load_n(&live->cut_holder_req, __ATOMIC_ACQUIRE)
        && !(w->thread_released
             && w->thread_released(w->baton, w->child, thread))) {
        *next = w->sched[thread].due;
        return 1;
    }
    return 0;
}

/* A busy worker of this process that is not to be sampled yet: when it
 * is (0: now). Too young, or its schedule says later and no lock chain
 * asks for its cut. */
static apr_time_t not_due(const guard_watch_t *w, int thread,
                          const guard_slot_t *live, const guard_slot_t *s,
                          apr_time_t now)
{
    apr_interval_time_t after = first_look_after(w, s->backend_timeout,
                                                 s->stuck_timeout_ms);

    if (now - s->req_start < after) {
        return s->req_start + after;
    }
    if (w->sched && w->sched[thread].req_start == s->req_start
        && now < w->sched[thread].due
        && !__atomic_load_n(&live->cut_holder_req, __ATOMIC_ACQUIRE)) {
        return w->sched[thread].due;
    }
    return 0;
}

/* Nor past the moment its wait reaches GuardStuckTimeout. The wait was
 * just written by this thread; the timeout, a word, by the worker. */
static apr_time_t stuck_due_first(const guard_watch_t *w, int thread,
                                  const guard_slot_t *live,
                                  apr_time_t req_start, apr_time_t now,
                                  apr_time_t due)
{
    const guard_watch_end_t *e = w->ends ? &w->ends[thread] : NULL;
    apr_time_t floor = e && e->quiet_req == req_start
                       && live->wait.kind != GUARD_WAIT_CPU
                       && e->quiet_since > req_start ? e->quiet_since
                                                     : req_start;
    apr_time_t at = guard_stuck_due_at(
        &live->wait, __atomic_load_n(&live->stuck_timeout_ms,
                                     __ATOMIC_RELAXED), floor);

    return at > now && at < due ? at : due;
}

/* After a sample of the request that began at req_start: when the worker
 * is next looked at. */
static apr_time_t schedule(guard_watch_t *w, int thread,
                           const guard_slot_t *live, apr_time_t req_start,
                           apr_time_t now)
{
    guard_watch_sched_t *sc;
    apr_interval_time_t gap;

    if (!w->sched) {
        return now + w->interval;
    }
    sc = &w->sched[thread];
    sc->req_start = req_start;
    gap = guard_watch_next_look(w, live, now);
    sc->due = now + gap;
    /* Long gaps end on the interval's grid: the workers asleep in long
     * waits are looked at together, in one wake-up per interval at most,
     * not each at its own moment. */
    if (gap > w->interval && w->interval > 0) {
        sc->due += w->interval - sc->due % w->interval;
    }
    /* Never past the moment the request becomes stuck: the stuck line and
     * counter come on time, as the page's age-based flag does. */
    if (!live->stuck && req_start + w->stuck_threshold > now
        && req_start + w->stuck_threshold < sc->due) {
        sc->due = req_start + w->stuck_threshold;
    }
    sc->due = stuck_due_first(w, thread, live, req_start, now, sc->due);
    return sc->due;
}

/* One slot; returns when it next needs a look (0: not busy). */
static apr_time_t watch_slot(guard_watch_t *w, int thread,
                             guard_slot_t *live, apr_time_t now)
{
    apr_time_t next;
    guard_slot_t s;

    if (glance(w, thread, live, now, &next)) {
        return next;
    }
    guard_slot_read_sane(live, &s);
    if (s.pid != w->pid) {
        return 0;
    }
    if (s.state == GUARD_WS_BUSY && w->thread_released
        && w->thread_released(w->baton, w->child, thread)) {
        s.state = GUARD_WS_IDLE;
    }
    settle_unstuck(w, thread, live, &s, now);
    if (s.state != GUARD_WS_BUSY || s.req_start <= 0) {
        return 0;
    }
    if ((next = not_due(w, thread, live, &s, now)) != 0) {
        return next;
    }
    sample(w, thread, live, &s, now);
    debug_sample(w, live, now);
    return schedule(w, thread, live, s.req_start, now);
}

apr_interval_time_t guard_watch_next_look(const guard_watch_t *w,
                                          const guard_slot_t *s,
                                          apr_time_t now)
{
    const guard_wait_t *wt = &s->wait;
    apr_interval_time_t gap;

    if (wt->kind == GUARD_WAIT_NONE || wt->kind == GUARD_WAIT_CPU
        || (wt->kind == GUARD_WAIT_BACKEND && s->backend_timeout > 0)
        || (wt->flags & GUARD_WAITF_LOCKWATCH) || wt->since <= 0) {
        return w->interval;
    }
    gap = (now - wt->since) / 4;
    if (gap > GUARD_WATCH_MAX_GAP) {
        gap = GUARD_WATCH_MAX_GAP;
    }
    return gap > w->interval ? gap : w->interval;
}

/* What the lock pass needs of this watchdog. */
static guard_lockwatch_ctx_t lock_ctx(const guard_watch_t *w)
{
    guard_lockwatch_ctx_t x;

    x.shm = w->shm;
    x.child = w->child;
    x.pid = w->pid;
    x.rules = w->lock_rules;
    x.log = &w->log;
    x.interval = w->interval;
    x.fpm = w->fpm;
    x.fpm_addrs = w->fpm_addrs;
    x.nfpm = w->nfpm;
    x.fpm_seen = w->fpm_seen;
    x.server_pid = w->ictx.server_pid;
    return x;
}

/* Cut FPM workers are followed for a while, even with nothing in flight. */
static apr_time_t after_fpm_cuts(guard_watch_t *w, apr_time_t now,
                                 apr_time_t next)
{
    apr_interval_time_t gap = w->interval > apr_time_from_msec(250)
                              ? w->interval : apr_time_from_msec(250);
    apr_time_t due = w->fpm_cut ? guard_cut_fpm_after(w->fpm_cut, &w->log,
                                                      now, gap) : 0;

    return due && (!next || due < next) ? due : next;
}

apr_time_t guard_watch_pass(guard_watch_t *w, apr_time_t now)
{
    guard_lockwatch_ctx_t lx = lock_ctx(w);
    int t, tl = w->shm->thread_limit;
    apr_time_t next = 0, due;

    for (t = 0; t < tl; t++) {
        apr_time_t due = watch_slot(w, t, guard_shm_slot(w->shm, w->child, t),
                                    now);

        if (due && (!next || due < next)) {
            next = due;
        }
    }
    /* FPM's lock waits wake no watchdog that sleeps: one with requests in
     * flight (httpd's side of FPM's) looks at them. */
    due = guard_lockwatch_pass(&lx, now);
    next = due && next && due < next ? due : next;
    if (w->drain && (due = w->drain(w, now)) != 0) {
        next = !next || due < next ? due : next;
    }
    return after_fpm_cuts(w, now, next);
}

void guard_watch_request_started(guard_watch_t *w)
{
    __atomic_add_fetch(&w->starts, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) {
        futex_wake(&w->starts);
    }
}

void guard_watch_sleep(guard_watch_t *w, apr_uint32_t starts_seen,
                       apr_time_t deadline)
{
    apr_interval_time_t timeout = 0;

    if (deadline) {
        timeout = deadline - apr_time_now();
        if (timeout <= 0) {
            return;
        }
        futex_wait(&w->stop, 0, timeout);
        return;
    }
    /* A request that started after starts_seen was read changed the
     * word, so the wait returns at once: no wake-up is lost. */
    __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST)) {
        futex_wait(&w->starts, starts_seen, 0);
    }
    __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
}

void guard_watch_stop(guard_watch_t *w)
{
    __atomic_store_n(&w->stop, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&w->starts, 1, __ATOMIC_SEQ_CST);
    futex_wake(&w->starts);
    futex_wake(&w->stop);
}

static void count_wakeup(guard_watch_t *w, apr_time_t now)
{
    guard_child_t *c = &w->shm->children[w->child];

    guard_seq_write_begin(&c->seq);
    c->wakeups++;
    c->last_wake = now;
    guard_seq_write_end(&c->seq);
}

void guard_watch_run(guard_watch_t *w)
{
    guard_lockwatch_ctx_t lx;

    while (!__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST)) {
        apr_uint32_t seen = __atomic_load_n(&w->starts, __ATOMIC_SEQ_CST);
        apr_time_t now = apr_time_now();
        apr_time_t next;

        count_wakeup(w, now);
        next = guard_watch_pass(w, now);
        if (!next) {
            guard_log_say(&w->log, GUARD_LOG_DEBUG, GRD_SLEEP,
                "no request old enough in flight: sleeping until one starts");
        }
        guard_watch_sleep(w, seen, next);
    }
    guard_watch_finish(w, apr_time_now());
    lx = lock_ctx(w);
    guard_lockwatch_stop(&lx);
}
