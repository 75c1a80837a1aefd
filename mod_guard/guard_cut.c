/* SPDX-License-Identifier: Apache-2.0 */
/* Deciding when a backend socket is hung, and cutting it. */
#include "guard_config.h"
#include <string.h>
#include "guard_cut.h"
#include "guard_syscall.h"

static void forget(guard_track_t *t)
{
    t->ino = 0;
    t->fd = -1;
    t->cpu_streak = 0;
    t->since = 0;
}

static void start_request(guard_track_t *t, apr_time_t req_start)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->req_start = req_start;
}

/* now less a time the kernel keeps for a TCP socket (ms, -1: none),
 * never before the request began; now for other sockets. */
static apr_time_t dated_back(const guard_wait_t *w, apr_int64_t ms,
                             apr_time_t req_start, apr_time_t now)
{
    apr_time_t t;

    if (!(w->flags & GUARD_WAITF_TCP) || ms < 0) {
        return now;
    }
    t = now - apr_time_from_msec(ms);
    return t > req_start ? t : req_start;
}

static int data_moving(const guard_wait_t *w, apr_interval_time_t timeout)
{
    return (w->flags & GUARD_WAITF_TCP) && w->idle_ms >= 0
           && apr_time_from_msec(w->idle_ms) < timeout;
}

/* A day bought is as good as for ever: no overflow however many bytes. */
#define MAX_BOUGHT_SEC (24 * 3600)

apr_interval_time_t guard_cut_minrate_allows(const guard_cut_limits_t *lim,
                                             apr_uint64_t bytes)
{
    apr_uint64_t sec = lim->minrate ? bytes / lim->minrate : MAX_BOUGHT_SEC;

    return lim->idle + apr_time_from_sec(sec < MAX_BOUGHT_SEC
                                         ? sec : MAX_BOUGHT_SEC);
}

static int limit_due(const guard_track_t *t, const guard_wait_t *w,
                     const guard_cut_limits_t *lim, apr_time_t now,
                     apr_interval_time_t blocked, guard_cut_limit_e *limit)
{
    apr_interval_time_t ran = now - t->exchange;

    if (blocked >= lim->idle && !data_moving(w, lim->idle)) {
        *limit = GUARD_LIMIT_IDLE;
    }
    else if (lim->max > 0 && ran >= lim->max) {
        *limit = GUARD_LIMIT_MAX;
    }
    else if (lim->minrate > 0 && (w->flags & GUARD_WAITF_BYTES)
             && ran >= guard_cut_minrate_allows(lim, w->bytes_in)) {
        *limit = GUARD_LIMIT_MINRATE;
    }
    else {
        return 0;
    }
    return 1;
}

int guard_cut_track(guard_track_t *t, const guard_wait_t *w,
                    apr_time_t req_start, apr_time_t now,
                    const guard_cut_limits_t *lim,
                    apr_interval_time_t *blocked, guard_cut_limit_e *limit)
{
    *blocked = 0;
    if (t->req_start != req_start) {
        start_request(t, req_start);
    }
    if (w->kind == GUARD_WAIT_CPU) {
        if (t->ino && ++t->cpu_streak >= GUARD_CUT_CPU_STREAK) {
            forget(t);
        }
        return 0;
    }
    t->cpu_streak = 0;
    if (w->kind != GUARD_WAIT_BACKEND || !w->ino) {
        forget(t);
        return 0;
    }
    if (w->ino != t->ino || w->fd != t->fd) {
        t->ino = w->ino;
        t->fd = w->fd;
        /* Blocked since data last moved either way; the exchange began
         * when the worker last sent (the request it waits to be
         * answered). Other sockets count from the first look. */
        t->since = dated_back(w, w->idle_ms, req_start, now);
        t->exchange = dated_back(w, w->sent_ms, req_start, now);
    }
    *blocked = now - t->since;
    if (t->done_ino == t->ino
        || !limit_due(t, w, lim, now, *blocked, limit)) {
        return 0;
    }
    t->done_ino = t->ino;
    return 1;
}

guard_cut_kind_e guard_cut_kind(const guard_wait_t *w)
{
    if (w->call == GUARD_CALL_CONNECT || (w->flags & GUARD_WAITF_CONNECTING)) {
        return GUARD_CUT_CONNECT;
    }
    if (w->call == GUARD_CALL_WRITE || w->call == GUARD_CALL_TRANSFER
        || (w->flags & GUARD_WAITF_WRITE)) {
        return GUARD_CUT_WRITE;
    }
    return GUARD_CUT_READ;
}

void guard_cut_from_wait(guard_cut_t *c, const guard_slot_t *s,
                         const guard_wait_t *wait, apr_time_t now,
                         apr_interval_time_t blocked,
                         apr_interval_time_t timeout, int action)
{
    memset(c, 0, sizeof(*c));
    c->when = now;
    c->blocked_ms = apr_time_as_msec(blocked);
    c->idle_ms = (wait->flags & GUARD_WAITF_TCP) ? wait->idle_ms : -1;
    c->timeout_ms = apr_time_as_msec(timeout);
    c->fd = wait->fd;
    c->kind = guard_cut_kind(wait);
    c->action = action;
    memcpy(c->sysname, wait->sysname, sizeof(c->sysname));
    memcpy(c->peer, wait->peer, sizeof(c->peer));
    memcpy(c->uri, s->req.uri, sizeof(c->uri));
    c->ok = action != GUARD_ACTION_LOG;
}

void guard_cut_limit_set(guard_cut_t *c, guard_cut_limit_e limit,
                         const guard_track_t *t, const guard_wait_t *w,
                         const guard_cut_limits_t *lim, apr_time_t now)
{
    c->limit = limit < GUARD_LIMITS ? limit : GUARD_LIMIT_IDLE;
    c->exchange_ms = apr_time_as_msec(now - t->exchange);
    c->bytes_in = (w->flags & GUARD_WAITF_BYTES) ? w->bytes_in : 0;
    c->minrate = lim->minrate;
    if (limit == GUARD_LIMIT_MAX) {
        c->timeout_ms = apr_time_as_msec(lim->max);
    }
    else if (limit == GUARD_LIMIT_MINRATE) {
        c->timeout_ms = apr_time_as_msec(guard_cut_minrate_allows(lim,
                                                                  c->bytes_in));
    }
}

const char *guard_cut_limit_name(guard_cut_limit_e l)
{
    static const char *const names[] = { "idle", "max", "minrate" };

    return l < GUARD_LIMITS ? names[l] : "idle";
}

const char *guard_cut_kind_name(guard_cut_kind_e k)
{
    static const char *const names[] = { "read", "write", "connect" };

    return k < GUARD_CUT_KINDS ? names[k] : "read";
}

#ifdef __linux__
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

int guard_cut_socket(int fd, apr_uint64_t ino)
{
    struct stat st;
    int rv = -1, d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    if (d < 0) {
        return -1;
    }
    if (fstat(d, &st) == 0 && S_ISSOCK(st.st_mode)
        && (apr_uint64_t)st.st_ino == ino) {
        rv = shutdown(d, SHUT_RDWR);
    }
    close(d);
    return rv;
}
#else
int guard_cut_socket(int fd, apr_uint64_t ino)
{
    return -1;
}
#endif
