/* SPDX-License-Identifier: Apache-2.0 */
/* The watchdog's stuck and cut lines; the loop decides, this says. */
#include "guard_config.h"
#include <string.h>
#include <apr_strings.h>
#include "guard_cut.h"
#include "guard_duration.h"
#include "guard_wait.h"
#include "guard_watchdog_log.h"

/* A field of a copy that may be torn: at most its size, NUL or not. */
#define FIELD(f) (int)strnlen((f), sizeof(f)), (f)

void guard_watchdog_log_stuck(const guard_logger_t *log,
                              const guard_slot_t *s, const guard_wait_t *wait,
                              apr_time_t now, apr_interval_time_t threshold,
                              const char *top)
{
    char what[256];

    guard_wait_describe(wait, apr_time_as_msec(now - s->req_start), what,
                        sizeof(what));
    guard_log_say(log, GUARD_LOG_WARN, GRD_STUCK,
        "stuck request: pid %d tid %d \"%.*s %.*s\" vhost %.*s client %.*s "
        "running %.1f s (threshold %.1f s), waiting on: %s%s",
        s->pid, s->tid, FIELD(s->req.method), FIELD(s->req.uri),
        FIELD(s->req.vhost), FIELD(s->req.client),
        (double)(now - s->req_start) / APR_USEC_PER_SEC,
        (double)threshold / APR_USEC_PER_SEC,
        what[0] ? what : "not sampled yet", top);
}

void guard_watchdog_log_unstuck(const guard_logger_t *log,
                                const guard_watch_stuck_t *st,
                                apr_time_t now, const char *why)
{
    guard_log_say(log, GUARD_LOG_INFO, GRD_UNSTUCK,
        "stuck request ended: pid %d tid %d \"%s %s\" (began %.1f s "
        "ago%s)", st->pid, st->tid, st->method, st->uri,
        (double)(now - st->req_start) / APR_USEC_PER_SEC, why);
}

/* ", idle 3.0 s"; the kernel keeps no such time for a unix socket. */
static const char *idle_text(const guard_cut_t *c, char *buf, apr_size_t len)
{
    if (c->idle_ms < 0) {
        return ", no idle time (not a TCP socket)";
    }
    apr_snprintf(buf, len, ", idle %.1f s", (double)c->idle_ms / 1000);
    return buf;
}

/* Which limit ran out: "3s" (idle), "max=10s (exchange 10.0 s, 12 bytes
 * received)", "minrate=500 (exchange 3.2 s, 12 bytes received buy 3s)". */
static const char *limit_text(const guard_cut_t *c, char *buf, apr_size_t len)
{
    char d[32];

    guard_duration_format(apr_time_from_msec(c->timeout_ms), d, sizeof(d));
    if (c->limit == GUARD_LIMIT_MAX) {
        apr_snprintf(buf, len, "max=%s (exchange %.1f s, %" APR_UINT64_T_FMT
                     " bytes received)", d, (double)c->exchange_ms / 1000,
                     c->bytes_in);
    }
    else if (c->limit == GUARD_LIMIT_MINRATE) {
        apr_snprintf(buf, len, "minrate=%u (exchange %.1f s, %"
                     APR_UINT64_T_FMT " bytes received buy %s)", c->minrate,
                     (double)c->exchange_ms / 1000, c->bytes_in, d);
    }
    else {
        apr_cpystrn(buf, d, len);
    }
    return buf;
}

void guard_watchdog_log_cut(const guard_logger_t *log, const guard_slot_t *s,
                            const guard_cut_t *c, const char *top)
{
    char timeout[128], idle[48];
    const char *tag = c->action == GUARD_ACTION_LOG ? GRD_CUT_LOGGED
                      : c->ok ? GRD_CUT : GRD_CUT_FAILED;
    const char *what = c->action == GUARD_ACTION_LOG
                       ? "backend timeout (log only)"
                       : c->ok ? "backend cut"
                       : "backend cut failed (socket changed or gone)";

    limit_text(c, timeout, sizeof(timeout));
    guard_log_say(log, GUARD_LOG_WARN, tag,
        "%s: pid %d tid %d \"%s %s\" vhost %s client %s: %s %s on fd %d "
        "to %s blocked %.1f s%s, GuardBackendTimeout %s%s",
        what, s->pid, s->tid, s->req.method, s->req.uri, s->req.vhost,
        s->req.client, guard_cut_kind_name(c->kind), c->sysname, c->fd,
        c->peer[0] ? c->peer : "?", (double)c->blocked_ms / 1000,
        idle_text(c, idle, sizeof(idle)), timeout, top);
}

void guard_watchdog_log_holder_cut(const guard_logger_t *log,
                                   const guard_slot_t *s,
                                   const guard_cut_t *c, const char *top)
{
    char idle[48];

    guard_log_say(log, GUARD_LOG_WARN, c->ok ? GRD_LOCK_CUT
                  : GRD_LOCK_CUT_FAILED,
                  "%s: pid %d tid %d \"%s %s\" vhost %s client %s holds a "
                  "lock others wait for (GuardLockWatch cut-holder): %s %s "
                  "on fd %d to %s blocked %.1f s%s%s",
                  c->ok ? "lock holder's backend cut"
                  : "lock holder's backend cut failed (socket changed or "
                    "gone)", s->pid, s->tid, s->req.method, s->req.uri,
                  s->req.vhost, s->req.client, guard_cut_kind_name(c->kind),
                  c->sysname, c->fd, c->peer[0] ? c->peer : "?",
                  (double)c->blocked_ms / 1000,
                  idle_text(c, idle, sizeof(idle)), top);
}

void guard_watchdog_log_stuck_end(const guard_logger_t *log,
                                  const guard_slot_t *s,
                                  const guard_wait_t *wait, apr_time_t now,
                                  apr_uint64_t id, const char *how,
                                  const char *top)
{
    char what[256];

    guard_wait_describe(wait, apr_time_as_msec(now - s->req_start), what,
                        sizeof(what));
    guard_log_say(log, GUARD_LOG_ERR, GRD_STUCK_END,
        "GuardStuckTimeout %.1f s: %s pid %d: tid %d \"%.*s %.*s\" vhost "
        "%.*s client %.*s running %.1f s, waiting on what cannot be cut: "
        "%s%s; record %" APR_UINT64_T_FMT " on /guard-status?crash=%"
        APR_UINT64_T_FMT, (double)s->stuck_timeout_ms / 1000, how, s->pid,
        s->tid, FIELD(s->req.method), FIELD(s->req.uri), FIELD(s->req.vhost),
        FIELD(s->req.client), (double)(now - s->req_start) / APR_USEC_PER_SEC,
        what, top, id, id);
}

void guard_watchdog_log_stuck_rate(const guard_logger_t *log,
                                   const guard_slot_t *s, apr_time_t now,
                                   int per_minute)
{
    guard_log_say(log, GUARD_LOG_WARN, GRD_STUCK_RATE,
        "GuardStuckTimeout %.1f s: pid %d tid %d \"%.*s %.*s\" running "
        "%.1f s is not ended: %d processes were ended this minute, the most "
        "a minute server-wide; it is looked at again the next minute",
        (double)s->stuck_timeout_ms / 1000, s->pid, s->tid,
        FIELD(s->req.method), FIELD(s->req.uri),
        (double)(now - s->req_start) / APR_USEC_PER_SEC, per_minute);
}
