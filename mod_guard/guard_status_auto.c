/* SPDX-License-Identifier: Apache-2.0 */
/* The "Key: value" view of /guard-status for scripts, like mod_status ?auto. */
#include <string.h>
#include "guard_status_auto.h"
#include "guard_status_crash.h"
#include "guard_status_fpm.h"
#include "guard_status_stack.h"
#include "guard_wait.h"

#define WAIT_TEXT_LEN 512

/*
 * The format is one record per line: a CR or LF in a value would forge a
 * line, so they become spaces whatever the copy promised. At most size
 * bytes are read, as a torn shm copy may lack its NUL.
 */
static void put_value(guard_sink_t *o, const char *s, apr_size_t size)
{
    char tmp[WAIT_TEXT_LEN];
    apr_size_t i;

    if (size > sizeof(tmp) - 1) {
        size = sizeof(tmp) - 1;
    }
    for (i = 0; i < size && s[i]; i++) {
        tmp[i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    }
    guard_putn(o, tmp, i);
}

static void put_line(guard_sink_t *o, const char *key, const char *value)
{
    guard_printf(o, "%s: ", key);
    put_value(o, value ? value : "", WAIT_TEXT_LEN);
    guard_puts(o, "\n");
}

static char score_char(const guard_worker_view_t *w)
{
    if (w->stuck) {
        return '!';
    }
    switch (w->slot.state) {
    case GUARD_WS_IDLE:      return '_';
    case GUARD_WS_READ:      return 'R';
    case GUARD_WS_BUSY:      return 'W';
    case GUARD_WS_KEEPALIVE: return 'K';
    default:                 return '.';
    }
}

static void render_scoreboard(const guard_snapshot_t *s, guard_sink_t *o)
{
    char buf[256];
    int i, n = 0;

    guard_puts(o, "GuardScoreboard: ");
    for (i = 0; i < s->nworkers; i++) {
        buf[n++] = score_char(&s->workers[i]);
        if (n == sizeof(buf) - 1) {
            buf[n] = '\0';
            guard_puts(o, buf);
            n = 0;
        }
    }
    buf[n] = '\0';
    guard_puts(o, buf);
    guard_puts(o, "\n");
}

#define PUT_FIELD(o, key, f) \
    do { guard_puts((o), (key)); put_value((o), (f), sizeof(f)); } while (0)

static void render_worker(const guard_worker_view_t *w, guard_sink_t *o)
{
    const guard_req_t *r = &w->slot.req;
    char text[WAIT_TEXT_LEN] = "", top[GUARD_STACK_TOP_LEN];

    guard_put_lit(o, "Worker: child=");
    guard_put_int(o, w->child);
    guard_put_lit(o, " thread=");
    guard_put_int(o, w->thread);
    guard_put_lit(o, " pid=");
    guard_put_int(o, w->slot.pid);
    guard_put_lit(o, " tid=");
    guard_put_int(o, w->slot.tid);
    guard_put_lit(o, " state=");
    guard_puts(o, guard_ws_name(w->slot.state));
    guard_put_lit(o, " stuck=");
    guard_putc(o, w->stuck ? '1' : '0');
    guard_put_lit(o, " elapsed_ms=");
    guard_put_int(o, w->elapsed_ms);
    PUT_FIELD(o, " request=", r->method);
    PUT_FIELD(o, " ", r->uri);
    PUT_FIELD(o, " ", r->protocol);
    PUT_FIELD(o, " vhost=", r->vhost);
    PUT_FIELD(o, " client=", r->client);
    if (w->has_wait) {
        guard_worker_wait_text(w, text, sizeof(text));
    }
    PUT_FIELD(o, " wait=", text);
    guard_stack_top_text(w->stack, top, sizeof(top));
    if (top[0]) {
        PUT_FIELD(o, " frame=", top);
    }
    guard_puts(o, "\n");
}

static void render_totals(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_counters_t *c = &s->counters;

    guard_printf(o, "Generation: %u\nUptime: %" APR_INT64_T_FMT "\n"
                 "Children: %d\nWorkers: %d\nBusyWorkers: %d\n"
                 "IdleWorkers: %d\nStuckWorkers: %d\nBusyStreams: %d\n",
                 s->server.generation,
                 (apr_int64_t)apr_time_sec(s->now - s->server.started),
                 s->nchildren, s->nworkers, s->busy,
                 s->by_state[GUARD_WS_IDLE], s->stuck, s->h2_busy);
    guard_printf(o, "RequestsTotal: %" APR_UINT64_T_FMT "\n"
                 "StuckTotal: %" APR_UINT64_T_FMT "\n"
                 "SamplesTotal: %" APR_UINT64_T_FMT "\n"
                 "WakeupsTotal: %" APR_UINT64_T_FMT "\nRestarts: %u\n",
                 c->requests_total, c->stuck_total, c->samples_total,
                 c->wakeups_total, c->restarts);
    guard_printf(o, "BackendCutsTotal: %" APR_UINT64_T_FMT "\n"
                 "BackendCutsRead: %" APR_UINT64_T_FMT "\n"
                 "BackendCutsWrite: %" APR_UINT64_T_FMT "\n"
                 "BackendCutsConnect: %" APR_UINT64_T_FMT "\n"
                 "BackendTimeoutsLogged: %" APR_UINT64_T_FMT "\n"
                 "BackendCutsMax: %" APR_UINT64_T_FMT "\n"
                 "BackendCutsMinrate: %" APR_UINT64_T_FMT "\n",
                 c->cuts_total, c->cuts[0], c->cuts[1], c->cuts[2],
                 c->cuts_logged_total, c->limit_cuts[0], c->limit_cuts[1]);
    guard_printf(o, "LockWaits: %d\nLockWaiters: %d\n"
                 "LockWaitLongestMs: %" APR_INT64_T_FMT "\n"
                 "LockWaitsTotal: %" APR_UINT64_T_FMT "\n"
                 "LockHolderCutsTotal: %" APR_UINT64_T_FMT "\n", s->nlocks,
                 s->lock_waiters, s->lock_wait_longest_ms,
                 c->lock_waits_total, c->holder_cuts_total);
    guard_printf(o, "LockHolderEndsTotal: %" APR_UINT64_T_FMT "\n",
                 c->holder_ends_total);
}

void guard_render_auto(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    put_line(o, "ServerVersion", s->server.version);
    put_line(o, "ServerMPM", s->server.mpm);
    render_totals(s, o);
    if (s->crash) {
        guard_crash_render_auto(s->crash, o);
    }
    if (s->fpm) {
        guard_fpm_render_auto(s->fpm, o);
    }
    render_scoreboard(s, o);
    for (i = 0; i < s->nworkers; i++) {
        if (s->workers[i].slot.state == GUARD_WS_BUSY) {
            render_worker(&s->workers[i], o);
        }
    }
}
