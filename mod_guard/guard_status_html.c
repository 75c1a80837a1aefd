/* SPDX-License-Identifier: Apache-2.0 */
/* The HTML page of /guard-status: one self-contained document, no scripts. */
#include <string.h>
#include <apr_strings.h>
#include "guard_cut.h"
#include "guard_lock_procfs.h"
#include "guard_lock_table.h"
#include "guard_status_crash.h"
#include "guard_status_fpm.h"
#include "guard_status_html.h"
#include "guard_status_stack.h"
#include "guard_wait.h"

#define WAIT_TEXT_LEN 512
/* Past this many idle workers the table shows a count instead of rows. */
#define IDLE_ROWS_MAX 64

static const char css[] =
    "body{font-family:sans-serif;margin:1em}"
    "table{border-collapse:collapse}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;"
    "font-size:90%}"
    "th{background:#eee}"
    "tr.stuck{background:#f8c0c0}"
    "tr.idle{color:#999}"
    "p.stuck{color:#b00;font-weight:bold}";

/* Shm strings are bounded by their array: a torn copy may lack the NUL. */
#define PUT_FIELD(o, f) guard_put_htmln((o), (f), sizeof(f))

/* "12.3 s"; "-" when unknown. */
static void put_secs(guard_sink_t *o, apr_int64_t ms)
{
    char frac[4] = { '.', '0', ' ', 's' };

    if (ms < 0) {
        guard_put_lit(o, "-");
        return;
    }
    ms = (ms + 50) / 100;
    frac[1] = (char)('0' + ms % 10);
    guard_put_int(o, ms / 10);
    guard_putn(o, frac, sizeof(frac));
}

static void put_uptime(guard_sink_t *o, apr_int64_t sec)
{
    if (sec >= 86400) {
        guard_printf(o, "%" APR_INT64_T_FMT " d ", sec / 86400);
    }
    guard_printf(o, "%02d:%02d:%02d", (int)(sec % 86400 / 3600),
                 (int)(sec % 3600 / 60), (int)(sec % 60));
}

static void render_head(const guard_snapshot_t *s, int refresh,
                        guard_sink_t *o)
{
    guard_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n");
    if (refresh > 0) {
        guard_printf(o, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
                     refresh);
    }
    guard_printf(o, "<title>mod_guard status</title>\n<style>%s</style>\n"
                 "</head>\n<body>\n<h1>mod_guard status</h1>\n", css);
}

static void render_summary(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_server_info_t *i = &s->server;

    guard_printf(o, "<p class=\"%s\">%d of %d workers stuck</p>\n<p>",
                 s->stuck ? "stuck" : "ok", s->stuck, s->nworkers);
    guard_puts(o, "Server: ");
    guard_put_html(o, i->version ? i->version : "");
    guard_puts(o, "<br>\nMPM: ");
    guard_put_html(o, i->mpm ? i->mpm : "");
    guard_puts(o, "<br>\nUptime: ");
    put_uptime(o, apr_time_sec(s->now - i->started));
    guard_printf(o, "<br>\nGeneration: %u<br>\nChildren: %d, busy workers: "
                 "%d<br>\nStuck threshold: ", i->generation, s->nchildren,
                 s->busy);
    put_secs(o, apr_time_as_msec(i->stuck_threshold));
    guard_puts(o, ", watch interval: ");
    put_secs(o, apr_time_as_msec(i->watch_interval));
    guard_printf(o, "<br>\nBackend cuts: %" APR_UINT64_T_FMT " (read %"
                 APR_UINT64_T_FMT ", write %" APR_UINT64_T_FMT ", connect %"
                 APR_UINT64_T_FMT "; by max= %" APR_UINT64_T_FMT
                 ", by minrate= %" APR_UINT64_T_FMT "), timeouts only "
                 "logged: %" APR_UINT64_T_FMT,
                 s->counters.cuts_total, s->counters.cuts[0],
                 s->counters.cuts[1], s->counters.cuts[2],
                 s->counters.limit_cuts[0], s->counters.limit_cuts[1],
                 s->counters.cuts_logged_total);
    if (s->counters.holder_ends_total) {
        guard_printf(o, "<br>\nLock holders ended (end-holder): %"
                     APR_UINT64_T_FMT, s->counters.holder_ends_total);
    }
    guard_puts(o, "</p>\n<p><a href=\"?json\">JSON</a> | "
               "<a href=\"?prometheus\">Prometheus</a> | "
               "<a href=\"?auto\">auto</a></p>\n");
}

static const char *row_class(const guard_worker_view_t *w)
{
    if (w->stuck) {
        return " class=\"stuck\"";
    }
    return w->slot.state == GUARD_WS_IDLE ? " class=\"idle\"" : "";
}

static void render_request(const guard_worker_view_t *w, guard_sink_t *o)
{
    const guard_req_t *r = &w->slot.req;

    guard_puts(o, "<td>");
    if (w->slot.req_start) {
        PUT_FIELD(o, r->method);
        guard_puts(o, " ");
        PUT_FIELD(o, r->uri);
        guard_puts(o, " ");
        PUT_FIELD(o, r->protocol);
    }
    guard_puts(o, "</td><td>");
    if (w->slot.req_start) {
        PUT_FIELD(o, r->vhost);
    }
    guard_puts(o, "</td><td>");
    PUT_FIELD(o, r->client);
    guard_puts(o, "</td>");
}

static void render_wait(const guard_worker_view_t *w, guard_sink_t *o)
{
    char text[WAIT_TEXT_LEN] = "";

    guard_worker_wait_text(w, text, sizeof(text));
    guard_puts(o, "<td>");
    guard_put_html(o, text);
    guard_puts(o, "</td><td>");
    put_secs(o, w->has_wait && text[0] ? w->for_ms : -1);
    guard_puts(o, "</td>");
}

/* A number cell: "<td>N</td>". */
static void put_num_cell(guard_sink_t *o, apr_int64_t v)
{
    guard_put_lit(o, "<td>");
    guard_put_int(o, v);
    guard_put_lit(o, "</td>");
}

/* Under the worker's row, folded: its frames, and a link to their page. */
static void render_stack_row(const guard_worker_view_t *w, guard_sink_t *o)
{
    char top[GUARD_STACK_TOP_LEN];

    if (!w->stack || (!w->stack->nphp && !w->stack->nnative)) {
        return;
    }
    guard_stack_top_text(w->stack, top, sizeof(top));
    guard_printf(o, "<tr class=\"stack\"><td colspan=\"12\"><details>"
                 "<summary>stack");
    if (top[0]) {
        guard_puts(o, ": ");
        guard_put_html(o, top);
    }
    guard_printf(o, "</summary><p><a href=\"?stack=%d.%d\">this worker's "
                 "stacks</a></p>", w->child, w->thread);
    guard_stack_render_html(w->stack, w->list_native, o);
    guard_puts(o, "</details></td></tr>\n");
}

/* The state, and what HTTP/2 makes of the row: a stream on one of
 * mod_http2's workers, or a client connection and its streams. */
static void render_state(const guard_worker_view_t *w, guard_sink_t *o)
{
    guard_put_lit(o, "<td>");
    guard_puts(o, guard_ws_name(w->slot.state));
    if (w->slot.kind == GUARD_SLOT_H2 && w->slot.state == GUARD_WS_BUSY) {
        guard_printf(o, ", HTTP/2 stream %d of connection %" APR_INT64_T_FMT,
                     (int)w->slot.stream_id, w->slot.conn_id);
    }
    else if (w->slot.kind == GUARD_SLOT_H2) {
        guard_put_lit(o, ", HTTP/2 worker");
    }
    else if (w->h2_conn) {
        guard_printf(o, ", HTTP/2 connection %" APR_INT64_T_FMT ": %d "
                     "stream%s now", w->slot.conn_id, w->h2_streams,
                     w->h2_streams == 1 ? "" : "s");
    }
    guard_put_lit(o, "</td>");
}

static void render_worker(const guard_worker_view_t *w, guard_sink_t *o)
{
    guard_put_lit(o, "<tr");
    guard_puts(o, row_class(w));
    guard_putc(o, '>');
    put_num_cell(o, w->child);
    put_num_cell(o, w->thread);
    put_num_cell(o, w->slot.pid);
    put_num_cell(o, w->slot.tid);
    render_state(w, o);
    render_request(w, o);
    guard_put_lit(o, "<td>");
    put_secs(o, w->elapsed_ms);
    guard_put_lit(o, "</td><td>");
    put_secs(o, w->has_wait ? w->slot.wait.cpu_ms : -1);
    guard_put_lit(o, "</td>");
    render_wait(w, o);
    guard_put_lit(o, "</tr>\n");
    render_stack_row(w, o);
}

static void render_table(const guard_snapshot_t *s, guard_sink_t *o)
{
    int idle = s->by_state[GUARD_WS_IDLE];
    int collapse = idle > IDLE_ROWS_MAX;
    int i;

    /* A heading of its own: after the lock waits' table, the two tables
     * would otherwise read as one in a browser. */
    guard_puts(o, "<h2>Workers</h2>\n<table>\n<tr><th>Child</th>"
               "<th>Thread</th><th>PID</th>"
               "<th>TID</th><th>State</th><th>Request</th><th>VHost</th>"
               "<th>Client</th><th>Elapsed</th><th>CPU</th>"
               "<th>Waiting on</th><th>For</th></tr>\n");
    for (i = 0; i < s->nworkers; i++) {
        const guard_worker_view_t *w = &s->workers[i];

        if (!(collapse && w->slot.state == GUARD_WS_IDLE && !w->stuck)) {
            render_worker(w, o);
        }
    }
    if (collapse) {
        guard_printf(o, "<tr class=\"idle\"><td colspan=\"12\">%d idle "
                     "workers not listed</td></tr>\n", idle);
    }
    guard_puts(o, "</table>\n");
}

static void render_cut(const guard_snapshot_t *s, const guard_cut_view_t *v,
                       guard_sink_t *o)
{
    const guard_cut_t *c = &v->cut;

    guard_puts(o, "<tr><td>");
    put_secs(o, apr_time_as_msec(s->now - c->when));
    guard_printf(o, " ago</td><td>%d</td><td>%d</td><td>%s</td><td>%s",
                 v->pid, v->tid, guard_cut_kind_name(c->kind),
                 c->action == GUARD_ACTION_LOG ? "logged"
                 : c->action == GUARD_ACTION_CUT_HOLDER
                 ? (c->ok ? "cut (lock holder)" : "cut failed")
                 : c->ok ? "cut" : "cut failed");
    guard_puts(o, "</td><td>");
    PUT_FIELD(o, c->sysname);
    guard_printf(o, " fd %d</td><td>", c->fd);
    PUT_FIELD(o, c->peer);
    guard_puts(o, "</td><td>");
    PUT_FIELD(o, c->uri);
    guard_puts(o, "</td><td>");
    put_secs(o, c->blocked_ms);
    guard_puts(o, "</td><td>");
    put_secs(o, c->idle_ms);
    guard_puts(o, "</td><td>");
    put_secs(o, c->timeout_ms);
    guard_puts(o, "</td></tr>\n");
}

static void render_cuts(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    if (!s->ncuts) {
        return;
    }
    guard_puts(o, "<h2>Recent backend cuts</h2>\n<table>\n<tr><th>When</th>"
               "<th>PID</th><th>TID</th><th>Call</th><th>Action</th>"
               "<th>Syscall</th><th>Peer</th><th>Request</th><th>Blocked</th>"
               "<th>Idle</th><th>Timeout</th></tr>\n");
    for (i = 0; i < s->ncuts; i++) {
        render_cut(s, &s->cuts[i], o);
    }
    guard_puts(o, "</table>\n");
}

static void render_lock_worker(const guard_snapshot_t *s, int i,
                               guard_sink_t *o)
{
    const guard_worker_view_t *w = &s->workers[i];

    PUT_FIELD(o, w->slot.req.method);
    guard_puts(o, " ");
    PUT_FIELD(o, w->slot.req.uri);
}

/* An FPM holder: its request as its pool's status says, and its wait. */
static void render_fpm_holder(const guard_snapshot_t *s,
                              const guard_chain_t *c, guard_sink_t *o)
{
    PUT_FIELD(o, c->holder_method);
    guard_puts(o, " ");
    PUT_FIELD(o, c->holder_uri);
    if (c->holder_fpm_start > 0) {
        guard_puts(o, " (");
        put_secs(o, apr_time_as_msec(s->now - c->holder_fpm_start));
        guard_puts(o, ")");
    }
    guard_puts(o, "</td><td>");
    PUT_FIELD(o, c->holder_wait);
    if (c->holder_ends) {
        guard_printf(o, "; end-holder sent SIGTERM to pid %d",
                     c->ended_pid);
    }
}

/* An FPM waiter, and the httpd request it serves when that is known. */
static void render_fpm_waiter(const guard_snapshot_t *s,
                              const guard_lock_view_t *v, int i,
                              guard_sink_t *o)
{
    guard_puts(o, " (FPM worker, for ");
    if (v->behind[i] >= 0) {
        guard_printf(o, "httpd pid %d: ", s->workers[v->behind[i]].slot.pid);
        render_lock_worker(s, v->behind[i], o);
    }
    else {
        guard_puts(o, "an httpd request unknown");
    }
    guard_puts(o, ")");
}

static void render_lock(const guard_snapshot_t *s, const guard_lock_view_t *v,
                        guard_sink_t *o)
{
    const guard_chain_t *c = &v->chain;
    char text[WAIT_TEXT_LEN];
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;

    guard_puts(o, "<tr class=\"stuck\"><td>");
    PUT_FIELD(o, c->path);
    guard_printf(o, "</td><td>%s</td><td>", guard_lock_class_name(
                 (int)c->lock_class));
    guard_put_html(o, guard_chain_holder_text(c, text, sizeof(text)));
    guard_puts(o, "</td><td>");
    if (v->holder >= 0) {
        const guard_worker_view_t *h = &s->workers[v->holder];

        render_lock_worker(s, v->holder, o);
        guard_puts(o, " (");
        put_secs(o, h->elapsed_ms);
        guard_puts(o, ")</td><td>");
        guard_put_html(o, guard_worker_wait_text(h, text, sizeof(text)));
    }
    else if (c->holder_fpm > 0) {
        render_fpm_holder(s, c, o);
    }
    else {
        guard_puts(o, "</td><td>");
    }
    guard_printf(o, "</td><td>%u:", c->nwaiters);
    for (i = 0; i < listed; i++) {
        guard_printf(o, "%s pid %d", i ? "," : "", c->waiters[i].pid);
        if (v->waiters[i] >= 0) {
            guard_puts(o, " ");
            render_lock_worker(s, v->waiters[i], o);
        }
        else if (c->waiters[i].fpm) {
            render_fpm_waiter(s, v, (int)i, o);
        }
    }
    guard_puts(o, "</td><td>");
    put_secs(o, v->for_ms);
    guard_puts(o, "</td></tr>\n");
}

static void render_locks(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    if (!s->nlocks) {
        return;
    }
    guard_puts(o, "<h2>Lock waits</h2>\n<table>\n<tr><th>File</th>"
               "<th>Lock</th><th>Held by</th><th>Holder's request</th>"
               "<th>Holder waits on</th><th>Waiters</th><th>Waiting for</th>"
               "</tr>\n");
    for (i = 0; i < s->nlocks; i++) {
        render_lock(s, &s->locks[i], o);
    }
    guard_puts(o, "</table>\n");
}

void guard_render_html(const guard_snapshot_t *s, int refresh, guard_sink_t *o)
{
    render_head(s, refresh, o);
    render_summary(s, o);
    render_locks(s, o);
    render_table(s, o);
    render_cuts(s, o);
    if (s->fpm) {
        guard_fpm_render_html(s->fpm, s, o);
    }
    if (s->crash) {
        guard_crash_render_html(s->crash, o);
    }
    guard_puts(o, "</body>\n</html>\n");
}
