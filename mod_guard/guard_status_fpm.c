/* SPDX-License-Identifier: Apache-2.0 */
/* The PHP-FPM section of /guard-status in every format
 * (guard_status_fpm.h). Strings of the records come from another daemon:
 * each is escaped for its format, as request data is. */
#include <string.h>
#include "guard_status_fpm.h"
#include "guard_status_json.h"

#define HTML(o, f) guard_put_htmln((o), (f), sizeof(f))
#define JSON(o, f) guard_put_json_strn((o), (f), sizeof(f))

static const char *read_status(const guard_fpm_pool_t *r)
{
    return r->status == GUARD_FPM_OK ? "ok"
           : r->status == GUARD_FPM_FAILED ? "failed" : "never";
}

static apr_int64_t age_ms(const guard_snapshot_t *s, apr_time_t t)
{
    return t ? apr_time_as_msec(s->now - t) : -1;
}

static void put_cpu(guard_sink_t *o, apr_int64_t centi)
{
    guard_printf(o, "%" APR_INT64_T_FMT ".%02d", centi / 100,
                 (int)(centi % 100));
}

/* "3.2 s" of a duration in us. */
static void html_secs(guard_sink_t *o, apr_int64_t us)
{
    guard_printf(o, "%" APR_INT64_T_FMT ".%d s", us / 1000000,
                 (int)(us / 100000 % 10));
}

/* ------------------------------------------------------------ HTML */

static void html_read(const guard_fpm_pool_view_t *pv,
                      const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_fpm_pool_t *r = &pv->rec;

    if (r->status == GUARD_FPM_OK) {
        guard_printf(o, "<p>Read %" APR_INT64_T_FMT " ms ago (%u bytes in "
                     "%" APR_INT64_T_FMT " us).</p>\n",
                     age_ms(s, r->last_ok), r->bytes, r->read_us);
        return;
    }
    guard_puts(o, "<p class=\"stuck\">The status could not be read");
    if (r->status == GUARD_FPM_FAILED) {
        guard_puts(o, ": ");
        HTML(o, r->error);
    }
    else {
        guard_puts(o, " yet");
    }
    if (r->last_ok) {
        guard_printf(o, ". Last read %" APR_INT64_T_FMT " ms ago; the "
                     "figures below are of then.</p>\n", age_ms(s, r->last_ok));
    }
    else {
        guard_puts(o, "; it never was.</p>\n");
    }
}

static void html_counts(const guard_fpm_pool_view_t *pv, guard_sink_t *o)
{
    const guard_fpm_counts_t *c = &pv->rec.counts;

    if (pv->full) {
        guard_printf(o, "<p class=\"stuck\">Pool full: %" APR_INT64_T_FMT
                     " of %" APR_INT64_T_FMT " workers busy, %"
                     APR_INT64_T_FMT " requests in the listen queue: every "
                     "request to this pool waits (outage).</p>\n",
                     c->active, c->total, c->listen_queue);
    }
    guard_puts(o, "<p>Process manager: ");
    HTML(o, c->pm);
    guard_printf(o, "; active %" APR_INT64_T_FMT ", idle %" APR_INT64_T_FMT
                 ", total %" APR_INT64_T_FMT "; max active %" APR_INT64_T_FMT
                 ", max children reached %" APR_INT64_T_FMT "; listen queue %"
                 APR_INT64_T_FMT " (max %" APR_INT64_T_FMT ", length %"
                 APR_INT64_T_FMT "); slow requests %" APR_INT64_T_FMT
                 "; accepted %" APR_INT64_T_FMT "; %d stuck", c->active, c->idle, c->total, c->max_active,
                 c->max_children_reached, c->listen_queue,
                 c->max_listen_queue, c->listen_queue_len, c->slow_requests,
                 c->accepted, pv->stuck);
    if (c->procs_total > c->nprocs) {
        guard_printf(o, "; %u of %u workers listed (truncated)", c->nprocs,
                     c->procs_total);
    }
    guard_puts(o, "</p>\n");
}

static void html_httpd_worker(const guard_snapshot_t *s, int i,
                              guard_sink_t *o)
{
    const guard_worker_view_t *w = &s->workers[i];

    guard_printf(o, "pid %d tid %d (child %d thread %d)", w->slot.pid,
                 w->slot.tid, w->child, w->thread);
}

static void html_proc(const guard_fpm_pool_view_t *pv, int i,
                      const guard_fpm_view_t *v, const guard_snapshot_t *s,
                      guard_sink_t *o)
{
    const guard_fpm_proc_t *w = &pv->rec.procs[i];
    int stuck = guard_fpm_proc_stuck(w, v->stuck_threshold);

    guard_printf(o, "<tr%s><td>%d</td><td>%s%s</td><td>",
                 stuck ? " class=\"stuck\"" : "", w->pid,
                 guard_fpm_state_name(w->state), stuck ? " (stuck)" : "");
    HTML(o, w->method);
    guard_puts(o, " ");
    HTML(o, w->uri);
    guard_puts(o, "</td><td>");
    html_secs(o, w->duration_us);
    guard_puts(o, "</td><td>");
    HTML(o, w->script);
    guard_puts(o, "</td><td>");
    put_cpu(o, w->cpu_centi);
    guard_puts(o, "%</td><td>");
    if (pv->served[i] >= 0) {
        html_httpd_worker(s, pv->waits[pv->served[i]].worker, o);
    }
    guard_puts(o, "</td></tr>\n");
}

static void html_wait(const guard_fpm_pool_view_t *pv,
                      const guard_fpm_wait_view_t *wv,
                      const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_worker_view_t *w = &s->workers[wv->worker];

    guard_puts(o, "<tr><td>");
    html_httpd_worker(s, wv->worker, o);
    guard_puts(o, "</td><td>");
    HTML(o, w->slot.req.method);
    guard_puts(o, " ");
    HTML(o, w->slot.req.uri);
    guard_puts(o, "</td><td>");
    html_secs(o, w->elapsed_ms * 1000);
    guard_puts(o, "</td><td>");
    if (wv->fpm >= 0) {
        guard_printf(o, "FPM worker %d", pv->rec.procs[wv->fpm].pid);
    }
    else {
        guard_puts(o, wv->ambiguous ? "ambiguous: more than one FPM worker "
                   "serves the same request" : "none found (queued, or "
                   "finished since the status was read)");
    }
    guard_puts(o, "</td></tr>\n");
}

static void html_pool(const guard_fpm_pool_view_t *pv,
                      const guard_fpm_view_t *v, const guard_snapshot_t *s,
                      guard_sink_t *o)
{
    apr_uint32_t i;
    int k;

    guard_puts(o, "<h3>Pool ");
    HTML(o, pv->rec.counts.name);
    guard_puts(o, " at ");
    HTML(o, pv->addr->address);
    guard_puts(o, " ");
    HTML(o, pv->addr->path);
    guard_puts(o, "</h3>\n");
    html_read(pv, s, o);
    if (!pv->rec.last_ok) {
        return;
    }
    html_counts(pv, o);
    guard_puts(o, "<table>\n<tr><th>PID</th><th>State</th><th>Request</th>"
               "<th>Duration</th><th>Script</th><th>CPU</th>"
               "<th>httpd worker</th></tr>\n");
    for (i = 0; i < pv->rec.counts.nprocs; i++) {
        html_proc(pv, (int)i, v, s, o);
    }
    guard_puts(o, "</table>\n");
    if (!pv->nwaits) {
        return;
    }
    guard_puts(o, "<p>httpd workers waiting on this pool:</p>\n<table>\n"
               "<tr><th>httpd worker</th><th>Request</th><th>Elapsed</th>"
               "<th>Served by</th></tr>\n");
    for (k = 0; k < pv->nwaits; k++) {
        html_wait(pv, &pv->waits[k], s, o);
    }
    guard_puts(o, "</table>\n");
}

void guard_fpm_render_html(const guard_fpm_view_t *v,
                           const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    guard_printf(o, "<h2>PHP-FPM</h2>\n<p class=\"%s\">%d FPM workers stuck "
                 "(requests older than the stuck threshold), %d pools "
                 "full</p>\n", v->stuck || v->full ? "stuck" : "ok",
                 v->stuck, v->full);
    for (i = 0; i < v->npools; i++) {
        html_pool(&v->pools[i], v, s, o);
    }
}

/* ------------------------------------------------------------ JSON */

static void json_time(guard_sink_t *o, apr_time_t t)
{
    if (t) {
        guard_put_json_time(o, t);
    }
    else {
        guard_put_lit(o, "null");
    }
}

static void json_httpd_worker(const guard_snapshot_t *s, int i,
                              guard_sink_t *o)
{
    const guard_worker_view_t *w = &s->workers[i];

    guard_printf(o, "{\"pid\":%d,\"tid\":%d,\"child\":%d,\"thread\":%d}",
                 w->slot.pid, w->slot.tid, w->child, w->thread);
}

static void json_proc(const guard_fpm_pool_view_t *pv, int i,
                      const guard_fpm_view_t *v, const guard_snapshot_t *s,
                      guard_sink_t *o)
{
    const guard_fpm_proc_t *w = &pv->rec.procs[i];

    guard_printf(o, "{\"pid\":%d,\"state\":\"%s\",\"method\":", w->pid,
                 guard_fpm_state_name(w->state));
    JSON(o, w->method);
    guard_puts(o, ",\"uri\":");
    JSON(o, w->uri);
    guard_printf(o, ",\"duration_ms\":%" APR_INT64_T_FMT ",\"script\":",
                 w->duration_us / 1000);
    JSON(o, w->script);
    guard_puts(o, ",\"user\":");
    JSON(o, w->user);
    guard_puts(o, ",\"cpu_percent\":");
    put_cpu(o, w->cpu_centi);
    guard_printf(o, ",\"memory\":%" APR_INT64_T_FMT ",\"requests\":%"
                 APR_UINT64_T_FMT ",\"stuck\":%s,\"httpd_worker\":",
                 w->memory, w->requests,
                 guard_fpm_proc_stuck(w, v->stuck_threshold) ? "true"
                                                             : "false");
    if (pv->served[i] >= 0) {
        json_httpd_worker(s, pv->waits[pv->served[i]].worker, o);
    }
    else {
        guard_put_lit(o, "null");
    }
    guard_puts(o, "}");
}

static void json_wait(const guard_fpm_pool_view_t *pv,
                      const guard_fpm_wait_view_t *wv,
                      const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_worker_view_t *w = &s->workers[wv->worker];

    guard_puts(o, "{\"httpd_worker\":");
    json_httpd_worker(s, wv->worker, o);
    guard_puts(o, ",\"method\":");
    JSON(o, w->slot.req.method);
    guard_puts(o, ",\"uri\":");
    JSON(o, w->slot.req.uri);
    guard_printf(o, ",\"elapsed_ms\":%" APR_INT64_T_FMT ",\"join\":\"%s\","
                 "\"fpm_pid\":", w->elapsed_ms,
                 wv->fpm >= 0 ? "joined" : wv->ambiguous ? "ambiguous"
                                                         : "none");
    if (wv->fpm >= 0) {
        guard_printf(o, "%d}", pv->rec.procs[wv->fpm].pid);
    }
    else {
        guard_puts(o, "null}");
    }
}

static void json_counts(const guard_fpm_counts_t *c, guard_sink_t *o)
{
    guard_printf(o, "\"counts\":{\"active\":%" APR_INT64_T_FMT ",\"idle\":%"
                 APR_INT64_T_FMT ",\"total\":%" APR_INT64_T_FMT
                 ",\"max_active\":%" APR_INT64_T_FMT
                 ",\"max_children_reached\":%" APR_INT64_T_FMT
                 ",\"listen_queue\":%" APR_INT64_T_FMT
                 ",\"max_listen_queue\":%" APR_INT64_T_FMT
                 ",\"listen_queue_len\":%" APR_INT64_T_FMT
                 ",\"slow_requests\":%" APR_INT64_T_FMT ",\"accepted\":%"
                 APR_INT64_T_FMT "}", c->active, c->idle, c->total,
                 c->max_active, c->max_children_reached, c->listen_queue,
                 c->max_listen_queue, c->listen_queue_len, c->slow_requests,
                 c->accepted);
}

static void json_read(const guard_fpm_pool_view_t *pv,
                      const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_fpm_pool_t *r = &pv->rec;

    guard_puts(o, "{\"address\":");
    JSON(o, pv->addr->address);
    guard_puts(o, ",\"path\":");
    JSON(o, pv->addr->path);
    guard_printf(o, ",\"read\":\"%s\",\"error\":", read_status(r));
    if (r->status == GUARD_FPM_FAILED) {
        JSON(o, r->error);
    }
    else {
        guard_put_lit(o, "null");
    }
    guard_puts(o, ",\"last_try\":");
    json_time(o, r->last_try);
    guard_puts(o, ",\"last_ok\":");
    json_time(o, r->last_ok);
    guard_printf(o, ",\"last_ok_age_ms\":%" APR_INT64_T_FMT ",\"bytes\":%u,"
                 "\"read_us\":%" APR_INT64_T_FMT ",\"reader_pid\":%d,"
                 "\"consistent\":%s", age_ms(s, r->last_ok), r->bytes,
                 r->read_us, r->reader_pid,
                 pv->consistent ? "true" : "false");
}

static void json_pool(const guard_fpm_pool_view_t *pv,
                      const guard_fpm_view_t *v, const guard_snapshot_t *s,
                      guard_sink_t *o)
{
    const guard_fpm_counts_t *c = &pv->rec.counts;
    apr_uint32_t i;
    int k;

    json_read(pv, s, o);
    guard_puts(o, ",\"pool\":");
    JSON(o, c->name);
    guard_puts(o, ",\"process_manager\":");
    JSON(o, c->pm);
    guard_puts(o, ",");
    json_counts(c, o);
    guard_printf(o, ",\"full\":%s,\"stuck\":%d,\"busy\":%d,"
                 "\"workers_total\":%u,\"truncated\":%s,\"workers\":[",
                 pv->full ? "true" : "false", pv->stuck, pv->busy,
                 c->procs_total, c->procs_total > c->nprocs ? "true"
                                                            : "false");
    for (i = 0; pv->rec.last_ok && i < c->nprocs; i++) {
        guard_puts(o, i ? "," : "");
        json_proc(pv, (int)i, v, s, o);
    }
    guard_puts(o, "],\"waiting\":[");
    for (k = 0; k < pv->nwaits; k++) {
        guard_puts(o, k ? "," : "");
        json_wait(pv, &pv->waits[k], s, o);
    }
    guard_puts(o, "]}");
}

void guard_fpm_render_json(const guard_fpm_view_t *v,
                           const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    guard_printf(o, "\"fpm\":{\"interval_ms\":%" APR_INT64_T_FMT
                 ",\"reads_total\":%" APR_UINT64_T_FMT
                 ",\"read_failures_total\":%" APR_UINT64_T_FMT
                 ",\"read_bytes_total\":%" APR_UINT64_T_FMT
                 ",\"read_cpu_us_total\":%" APR_UINT64_T_FMT
                 ",\"stuck\":%d,\"pools_full\":%d,\"pools\":[",
                 apr_time_as_msec(v->interval), v->reads_total,
                 v->failures_total, v->bytes_total, v->cpu_us_total,
                 v->stuck, v->full);
    for (i = 0; i < v->npools; i++) {
        guard_puts(o, i ? "," : "");
        json_pool(&v->pools[i], v, s, o);
    }
    guard_puts(o, "]},");
}

/* ------------------------------------------------------------ ?auto */

/* A value on one line: CR and LF would forge another. */
static void auto_value(guard_sink_t *o, const char *s, apr_size_t size)
{
    apr_size_t i;

    for (i = 0; i < size && s[i]; i++) {
        guard_putc(o, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
    }
}

#define AUTO(o, f) auto_value((o), (f), sizeof(f))

static void auto_pool(const guard_fpm_pool_view_t *pv, int n,
                      const guard_fpm_view_t *v, guard_sink_t *o)
{
    const guard_fpm_counts_t *c = &pv->rec.counts;
    apr_uint32_t i;

    guard_printf(o, "FpmPool: index=%d read=%s address=", n,
                 read_status(&pv->rec));
    AUTO(o, pv->addr->address);
    guard_puts(o, " name=");
    AUTO(o, c->name);
    guard_printf(o, " active=%" APR_INT64_T_FMT " idle=%" APR_INT64_T_FMT
                 " total=%" APR_INT64_T_FMT " max_children_reached=%"
                 APR_INT64_T_FMT " listen_queue=%" APR_INT64_T_FMT
                 " slow_requests=%" APR_INT64_T_FMT " stuck=%d full=%d"
                 " error=", c->active, c->idle, c->total,
                 c->max_children_reached, c->listen_queue, c->slow_requests,
                 pv->stuck, pv->full);
    AUTO(o, pv->rec.status == GUARD_FPM_FAILED ? pv->rec.error : "");
    guard_puts(o, "\n");
    for (i = 0; pv->rec.last_ok && i < c->nprocs; i++) {
        const guard_fpm_proc_t *w = &pv->rec.procs[i];

        guard_printf(o, "FpmWorker: pool=%d pid=%d state=%s duration_ms=%"
                     APR_INT64_T_FMT " stuck=%d request=", n, w->pid,
                     guard_fpm_state_name(w->state), w->duration_us / 1000,
                     guard_fpm_proc_stuck(w, v->stuck_threshold));
        AUTO(o, w->method);
        guard_puts(o, " ");
        AUTO(o, w->uri);
        guard_puts(o, "\n");
    }
}

void guard_fpm_render_auto(const guard_fpm_view_t *v, guard_sink_t *o)
{
    int i;

    guard_printf(o, "FpmPools: %d\nFpmPoolsFull: %d\nFpmStuckWorkers: %d\n"
                 "FpmReadsTotal: %" APR_UINT64_T_FMT "\n"
                 "FpmReadFailuresTotal: %" APR_UINT64_T_FMT "\n", v->npools,
                 v->full, v->stuck, v->reads_total, v->failures_total);
    for (i = 0; i < v->npools; i++) {
        auto_pool(&v->pools[i], i, v, o);
    }
}

/* ------------------------------------------------------ Prometheus */

static void prom_head(guard_sink_t *o, const char *name, const char *type,
                      const char *help)
{
    guard_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_labels(const guard_fpm_pool_view_t *pv, guard_sink_t *o)
{
    guard_puts(o, "{address=\"");
    guard_put_prom_label_ascii(o, pv->addr->address,
                               sizeof(pv->addr->address));
    guard_puts(o, "\",pool=\"");
    guard_put_prom_label_ascii(o, pv->rec.counts.name,
                               sizeof(pv->rec.counts.name));
    guard_puts(o, "\"");
}

typedef apr_int64_t (*pool_value)(const guard_fpm_pool_view_t *pv);

static void prom_pool_metric(const guard_fpm_view_t *v, const char *name,
                             const char *type, const char *help,
                             pool_value fn, guard_sink_t *o)
{
    int i;

    prom_head(o, name, type, help);
    for (i = 0; i < v->npools; i++) {
        guard_puts(o, name);
        prom_labels(&v->pools[i], o);
        guard_printf(o, "} %" APR_INT64_T_FMT "\n", fn(&v->pools[i]));
    }
}

static apr_int64_t v_up(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.status == GUARD_FPM_OK;
}

static apr_int64_t v_active(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.counts.active;
}

static apr_int64_t v_total(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.counts.total;
}

static apr_int64_t v_queue(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.counts.listen_queue;
}

static apr_int64_t v_reached(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.counts.max_children_reached;
}

static apr_int64_t v_slow(const guard_fpm_pool_view_t *pv)
{
    return pv->rec.counts.slow_requests;
}

static apr_int64_t v_stuck(const guard_fpm_pool_view_t *pv)
{
    return pv->stuck;
}

static apr_int64_t v_full(const guard_fpm_pool_view_t *pv)
{
    return pv->full;
}

/* A series per pid: a worker without one, or with one listed before
 * (FPM would not; a peer that speaks for it might), would make a second
 * series of the same labels, and the scrape would be refused. */
static int pid_listed(const guard_fpm_pool_view_t *pv, apr_uint32_t k)
{
    apr_uint32_t i;

    for (i = 0; i < k; i++) {
        if (pv->rec.procs[i].pid == pv->rec.procs[k].pid) {
            return 1;
        }
    }
    return pv->rec.procs[k].pid <= 0;
}

static void prom_workers(const guard_fpm_view_t *v, guard_sink_t *o)
{
    apr_uint32_t k;
    int i;

    prom_head(o, "guard_fpm_worker_request_duration_seconds", "gauge",
              "Duration of each FPM worker's current (or last) request.");
    for (i = 0; i < v->npools; i++) {
        const guard_fpm_pool_view_t *pv = &v->pools[i];

        for (k = 0; pv->rec.last_ok && k < pv->rec.counts.nprocs; k++) {
            const guard_fpm_proc_t *w = &pv->rec.procs[k];

            if (pid_listed(pv, k)) {
                continue;
            }
            guard_puts(o, "guard_fpm_worker_request_duration_seconds");
            prom_labels(pv, o);
            guard_printf(o, ",pid=\"%d\",state=\"%s\"} %" APR_INT64_T_FMT
                         ".%06d\n", w->pid, guard_fpm_state_name(w->state),
                         w->duration_us / 1000000,
                         (int)(w->duration_us % 1000000));
        }
    }
}

void guard_fpm_render_prometheus(const guard_fpm_view_t *v, guard_sink_t *o)
{
    prom_pool_metric(v, "guard_fpm_up", "gauge", "1 when the last read of "
                     "the pool's status worked.", v_up, o);
    prom_pool_metric(v, "guard_fpm_active_processes", "gauge",
                     "FPM workers serving a request.", v_active, o);
    prom_pool_metric(v, "guard_fpm_total_processes", "gauge",
                     "FPM workers of the pool.", v_total, o);
    prom_pool_metric(v, "guard_fpm_listen_queue", "gauge",
                     "Requests waiting in the pool's listen queue.", v_queue,
                     o);
    prom_pool_metric(v, "guard_fpm_max_children_reached_total", "counter",
                     "Times the pool reached pm.max_children.", v_reached, o);
    prom_pool_metric(v, "guard_fpm_slow_requests_total", "counter",
                     "Requests past request_slowlog_timeout.", v_slow, o);
    prom_pool_metric(v, "guard_fpm_stuck_workers", "gauge",
                     "FPM workers serving a request older than "
                     "GuardStuckThreshold.", v_stuck, o);
    prom_pool_metric(v, "guard_fpm_pool_full", "gauge",
                     "1 when every worker of the pool is busy and requests "
                     "wait.", v_full, o);
    prom_workers(v, o);
    prom_head(o, "guard_fpm_status_reads_total", "counter",
              "Reads of FPM status pages.");
    guard_printf(o, "guard_fpm_status_reads_total %" APR_UINT64_T_FMT "\n",
                 v->reads_total);
    prom_head(o, "guard_fpm_status_read_failures_total", "counter",
              "Reads of FPM status pages that failed.");
    guard_printf(o, "guard_fpm_status_read_failures_total %" APR_UINT64_T_FMT
                 "\n", v->failures_total);
}
