/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus view of /guard-status, text format 0.0.4. Each metric's
 * samples are written in one loop after its HELP and TYPE, so they stay
 * grouped as the format requires.
 */
#include <string.h>
#include <apr_strings.h>
#include "guard_status_crash.h"
#include "guard_status_fpm.h"
#include "guard_status_prom.h"
#include "guard_wait.h"

typedef int (*worker_pred)(const guard_worker_view_t *w);
typedef void (*worker_sample)(const guard_worker_view_t *w, int pids,
                              guard_sink_t *o);

static void head(guard_sink_t *o, const char *name, const char *type,
                 const char *help)
{
    guard_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Milliseconds as seconds; integer arithmetic keeps the output exact. */
static void put_seconds(guard_sink_t *o, apr_int64_t ms)
{
    char frac[5];

    if (ms < 0) {
        guard_printf(o, " %" APR_INT64_T_FMT ".%03d\n", ms / 1000,
                     (int)(ms % 1000));
        return;
    }
    frac[0] = '.';
    frac[1] = (char)('0' + ms % 1000 / 100);
    frac[2] = (char)('0' + ms % 100 / 10);
    frac[3] = (char)('0' + ms % 10);
    frac[4] = '\n';
    guard_putc(o, ' ');
    guard_put_int(o, ms / 1000);
    guard_putn(o, frac, sizeof(frac));
}

/*
 * Label values must be UTF-8 or the whole scrape is rejected. The copy made
 * them ASCII, so any other byte is a torn read: it becomes '?'.
 */
/* key: the literal ',name="' */
#define PUT_LABEL(o, key, f) \
    do { \
        guard_put_lit((o), key); \
        guard_put_prom_label_ascii((o), (f), sizeof(f)); \
        guard_putc((o), '"'); \
    } while (0)

/* A label of a small number: key is the literal 'name="'. */
#define PUT_NUM_LABEL(o, key, v) \
    do { \
        guard_put_lit((o), key); \
        guard_put_int((o), (v)); \
        guard_putc((o), '"'); \
    } while (0)

/*
 * Opens the label set; the caller adds its own and closes it. A worker is
 * named by its slot (child, thread), which a recycled child keeps: the
 * series go on across MaxConnectionsPerChild and restarts. pid and tid
 * (?pids) start new series with every new process.
 */
static void worker_labels(const guard_worker_view_t *w, const char *name,
                          int pids, guard_sink_t *o)
{
    guard_puts(o, name);
    PUT_NUM_LABEL(o, "{child=\"", w->child);
    PUT_NUM_LABEL(o, ",thread=\"", w->thread);
    if (pids) {
        PUT_NUM_LABEL(o, ",pid=\"", w->slot.pid);
        PUT_NUM_LABEL(o, ",tid=\"", w->slot.tid);
    }
}

static const char *wait_name(const guard_worker_view_t *w)
{
    return w->has_wait ? guard_wait_kind_name(w->slot.wait.kind) : "none";
}

static void state_labels(const guard_worker_view_t *w, const char *name,
                         int pids, guard_sink_t *o)
{
    worker_labels(w, name, pids, o);
    guard_put_lit(o, ",state=\"");
    guard_puts(o, guard_ws_name(w->slot.state));
    guard_put_lit(o, "\",wait=\"");
    guard_puts(o, wait_name(w));
    guard_put_lit(o, "\"}");
}

static int in_request(const guard_worker_view_t *w)
{
    return w->slot.state == GUARD_WS_BUSY;
}

static int has_duration(const guard_worker_view_t *w)
{
    return in_request(w) && w->elapsed_ms >= 0;
}

static int has_cpu(const guard_worker_view_t *w)
{
    return in_request(w) && w->has_wait && w->slot.wait.cpu_ms >= 0;
}

static int has_wait(const guard_worker_view_t *w)
{
    return w->has_wait && w->slot.wait.kind != GUARD_WAIT_NONE
           && w->for_ms >= 0;
}

static void sample_duration(const guard_worker_view_t *w, int pids,
                            guard_sink_t *o)
{
    state_labels(w, "guard_worker_request_duration_seconds", pids, o);
    put_seconds(o, w->elapsed_ms);
}

static void sample_cpu(const guard_worker_view_t *w, int pids,
                       guard_sink_t *o)
{
    state_labels(w, "guard_worker_cpu_seconds", pids, o);
    put_seconds(o, w->slot.wait.cpu_ms);
}

static void sample_wait(const guard_worker_view_t *w, int pids,
                        guard_sink_t *o)
{
    worker_labels(w, "guard_worker_wait_seconds", pids, o);
    guard_put_lit(o, ",wait=\"");
    guard_puts(o, wait_name(w));
    guard_putc(o, '"');
    PUT_LABEL(o, ",syscall=\"", w->slot.wait.sysname);
    guard_putc(o, '}');
    put_seconds(o, w->for_ms);
}

static void sample_stuck(const guard_worker_view_t *w, int pids,
                         guard_sink_t *o)
{
    worker_labels(w, "guard_worker_stuck", pids, o);
    if (w->stuck) {
        guard_put_lit(o, "} 1\n");
    }
    else {
        guard_put_lit(o, "} 0\n");
    }
}

static void sample_info(const guard_worker_view_t *w, int pids,
                        guard_sink_t *o)
{
    const guard_req_t *r = &w->slot.req;

    worker_labels(w, "guard_worker_info", pids, o);
    PUT_LABEL(o, ",method=\"", r->method);
    PUT_LABEL(o, ",vhost=\"", r->vhost);
    PUT_LABEL(o, ",client=\"", r->client);
    PUT_LABEL(o, ",uri=\"", r->uri);
    guard_put_lit(o, "} 1\n");
}

/* One per-worker gauge: its head only when some worker has a sample. */
static void per_worker(const guard_snapshot_t *s, int pids, guard_sink_t *o,
                       const char *name, const char *help, worker_pred pred,
                       worker_sample sample)
{
    int i, headed = 0;

    for (i = 0; i < s->nworkers; i++) {
        if (pred(&s->workers[i])) {
            if (!headed) {
                head(o, name, "gauge", help);
                headed = 1;
            }
            sample(&s->workers[i], pids, o);
        }
    }
}

static void render_workers(const guard_snapshot_t *s, int pids,
                           guard_sink_t *o)
{
    per_worker(s, pids, o, "guard_worker_request_duration_seconds",
               "Age of the request the worker is serving.",
               has_duration, sample_duration);
    per_worker(s, pids, o, "guard_worker_cpu_seconds",
               "CPU time the worker thread used on its current request.",
               has_cpu, sample_cpu);
    per_worker(s, pids, o, "guard_worker_wait_seconds",
               "How long the worker has been in its current wait.",
               has_wait, sample_wait);
    per_worker(s, pids, o, "guard_worker_stuck",
               "1 when the worker's request is older than GuardStuckThreshold.",
               in_request, sample_stuck);
    per_worker(s, pids, o, "guard_worker_info",
               "The request a busy worker is serving.",
               in_request, sample_info);
}

static void render_summary(const guard_snapshot_t *s, guard_sink_t *o)
{
    int st;

    head(o, "guard_workers", "gauge", "Worker threads by state.");
    for (st = 0; st < GUARD_WS_MAX; st++) {
        guard_printf(o, "guard_workers{state=\"%s\"} %d\n",
                     guard_ws_name(st), s->by_state[st]);
    }
    head(o, "guard_workers_stuck", "gauge",
         "Workers whose request is older than GuardStuckThreshold.");
    guard_printf(o, "guard_workers_stuck %d\n", s->stuck);
    head(o, "guard_children", "gauge", "Running httpd children.");
    guard_printf(o, "guard_children %d\n", s->nchildren);
    head(o, "guard_http2_streams_busy", "gauge",
         "HTTP/2 streams being served on mod_http2's worker threads.");
    guard_printf(o, "guard_http2_streams_busy %d\n", s->h2_busy);
}

static void counter(guard_sink_t *o, const char *name, const char *help,
                    apr_uint64_t v)
{
    head(o, name, "counter", help);
    guard_printf(o, "%s %" APR_UINT64_T_FMT "\n", name, v);
}

static void render_counters(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_counters_t *c = &s->counters;

    counter(o, "guard_requests_total", "Requests served.", c->requests_total);
    counter(o, "guard_stuck_requests_total", "Requests that became stuck.",
            c->stuck_total);
    counter(o, "guard_watchdog_samples_total",
            "Worker samples the watchdogs took.", c->samples_total);
    counter(o, "guard_watchdog_wakeups_total", "Watchdog wake-ups.",
            c->wakeups_total);
    counter(o, "guard_restarts_total", "Restarts survived.",
            c->restarts);
    head(o, "guard_backend_cuts_total", "counter",
         "Hung backend sockets cut by GuardBackendTimeout, by blocked call.");
    guard_printf(o, "guard_backend_cuts_total{kind=\"read\"} %"
                 APR_UINT64_T_FMT "\nguard_backend_cuts_total{kind=\"write\"} %"
                 APR_UINT64_T_FMT "\nguard_backend_cuts_total{kind=\"connect\"} %"
                 APR_UINT64_T_FMT "\n", c->cuts[0], c->cuts[1], c->cuts[2]);
    head(o, "guard_backend_cuts_by_limit_total", "counter",
         "Of the backend cuts, those by GuardBackendTimeout max= and "
         "minrate=.");
    guard_printf(o, "guard_backend_cuts_by_limit_total{limit=\"max\"} %"
                 APR_UINT64_T_FMT "\nguard_backend_cuts_by_limit_total"
                 "{limit=\"minrate\"} %" APR_UINT64_T_FMT "\n",
                 c->limit_cuts[0], c->limit_cuts[1]);
    counter(o, "guard_backend_timeouts_logged_total",
            "Backend timeouts only reported (GuardBackendTimeout ... log).",
            c->cuts_logged_total);
    counter(o, "guard_lock_waits_total",
            "Lock chains reported by GuardLockWatch.", c->lock_waits_total);
    counter(o, "guard_lock_holder_cuts_total",
            "Backend sockets of lock holders cut (GuardLockWatch cut-holder).",
            c->holder_cuts_total);
    counter(o, "guard_lock_holder_ends_total",
            "Lock holders outside httpd ended with SIGTERM (GuardLockWatch "
            "end-holder).", c->holder_ends_total);
}

static void render_locks(const guard_snapshot_t *s, guard_sink_t *o)
{
    head(o, "guard_lock_chains", "gauge",
         "Locks that workers wait for past their GuardLockWatch threshold.");
    guard_printf(o, "guard_lock_chains %d\n", s->nlocks);
    head(o, "guard_lock_waiters", "gauge",
         "Workers waiting in those lock chains.");
    guard_printf(o, "guard_lock_waiters %d\n", s->lock_waiters);
    head(o, "guard_lock_wait_longest_seconds", "gauge",
         "How long the longest lock chain has had waiters.");
    guard_puts(o, "guard_lock_wait_longest_seconds");
    put_seconds(o, s->lock_wait_longest_ms);
}

void guard_render_prometheus(const guard_snapshot_t *s, int pids,
                             guard_sink_t *o)
{
    render_summary(s, o);
    render_workers(s, pids, o);
    render_counters(s, o);
    render_locks(s, o);
    if (s->crash) {
        guard_crash_render_prometheus(s->crash, o);
    }
    if (s->fpm) {
        guard_fpm_render_prometheus(s->fpm, o);
    }
    head(o, "guard_generation", "gauge", "Current server generation.");
    guard_printf(o, "guard_generation %u\n", s->server.generation);
    head(o, "guard_uptime_seconds", "gauge",
         "Seconds since the server last (re)started.");
    guard_printf(o, "guard_uptime_seconds %" APR_INT64_T_FMT "\n",
                 (apr_int64_t)apr_time_sec(s->now - s->server.started));
}
