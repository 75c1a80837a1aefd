/* The HTML page of /guard-status: one self-contained document, no scripts. */
#include <string.h>
#include <apr_strings.h>
#include "guard_crash_fmt.h"
#include "guard_crash_view.h"
#include "guard_cut.h"
#include "guard_lock_procfs.h"
#include "guard_lock_table.h"
#include "guard_status_fpm.h"
#include "guard_status_html.h"
#include "guard_status_stack.h"
#include "guard_wait.h"

#define WAIT_TEXT_LEN 512
/* Past this many idle workers the table shows a count instead of rows. */
#define IDLE_ROWS_MAX 64
/* The crash table's rows at most. */
#define HTML_ROWS_MAX 50

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
                 APR_UINT64_T_FMT "), timeouts only logged: %" APR_UINT64_T_FMT,
                 s->counters.cuts_total, s->counters.cuts[0],
                 s->counters.cuts[1], s->counters.cuts[2],
                 s->counters.cuts_logged_total);
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

/* ------------------------------------------------------ crashes */

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

/* "libc.so.6+0x1d (strlen+0x1d)", "0x8 (null page)", "not in a module":
 * never an address of the process. */
static void frame_text(const guard_frame_sym_t *f, int full, char *buf,
                       apr_size_t size)
{
    if (f->kind == GUARD_AT_NULL) {
        apr_snprintf(buf, size, "0x%" APR_UINT64_T_HEX_FMT " (null page)",
                     f->offset);
        return;
    }
    if (!f->resolved) {
        apr_snprintf(buf, size, "not in a module");
        return;
    }
    if (f->function[0]) {
        apr_snprintf(buf, size, "%s+0x%" APR_UINT64_T_HEX_FMT " (%s+0x%"
                     APR_UINT64_T_HEX_FMT ")",
                     full ? f->module : basename_of(f->module), f->offset,
                     f->function, f->func_offset);
        return;
    }
    apr_snprintf(buf, size, "%s+0x%" APR_UINT64_T_HEX_FMT,
                 full ? f->module : basename_of(f->module), f->offset);
}

static void html_secs_ago(guard_sink_t *o, apr_time_t now, apr_time_t t)
{
    apr_int64_t s = apr_time_sec(now - t);

    if (s < 0) {
        s = 0;
    }
    if (s >= 3600) {
        guard_printf(o, "%" APR_INT64_T_FMT " h %" APR_INT64_T_FMT " min ago",
                     s / 3600, s % 3600 / 60);
    }
    else {
        guard_printf(o, "%" APR_INT64_T_FMT " s ago", s);
    }
}

static void html_frame(guard_sink_t *o, const guard_frame_sym_t *f, int full);

static void html_signal(guard_sink_t *o, const guard_crash_item_t *it)
{
    const guard_crash_rec_t *r = &it->rec;
    char buf[96];
    guard_cbuf_t b;

    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_signal(&b, r->signo, r->si_code);
    guard_put_html(o, buf);
    if (!(r->flags & GUARD_CRASHF_SENT)) {
        guard_puts(o, " at ");
        html_frame(o, &it->addr_sym, 0);
    }
}

static void html_request(guard_sink_t *o, const guard_crash_rec_t *r)
{
    if (!(r->flags & GUARD_CRASHF_REQUEST)) {
        guard_puts(o, "<td><i>no request</i></td><td></td><td></td>");
        return;
    }
    guard_puts(o, "<td>");
    guard_put_html(o, r->req.method);
    guard_puts(o, " ");
    guard_put_html(o, r->req.uri);
    if (r->flags & GUARD_CRASHF_REQ_DONE) {
        guard_puts(o, " <i>(finished)</i>");
    }
    guard_puts(o, "</td><td>");
    guard_put_html(o, r->req.vhost);
    guard_puts(o, "</td><td>");
    guard_put_html(o, r->req.client);
    guard_puts(o, "</td>");
}

static void html_frame(guard_sink_t *o, const guard_frame_sym_t *f, int full)
{
    char buf[2 * GUARD_SYM_LEN + 64];

    frame_text(f, full, buf, sizeof(buf));
    guard_put_html(o, buf);
}

static void html_crash_row(const guard_crash_view_t *v,
                           const guard_crash_item_t *it, guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;

    guard_puts(o, "<tr><td>");
    html_secs_ago(o, v->now, r->when);
    guard_printf(o, "</td><td><a href=\"?crash=%" APR_UINT64_T_FMT "\">%"
                 APR_UINT64_T_FMT "</a></td><td>%d</td><td>%d</td><td>"
                 "<a href=\"?child=%d\">%d</a></td><td>", r->id, r->id,
                 r->pid, r->tid, r->child, r->child);
    html_signal(o, it);
    guard_puts(o, "</td>");
    html_request(o, r);
    guard_puts(o, "<td>");
    if (r->nframes > 0) {
        html_frame(o, &it->syms[0], 0);
    }
    guard_puts(o, "</td></tr>\n");
}

static const char crash_table_head[] =
    "<table>\n<tr><th>When</th><th>Crash</th><th>PID</th><th>TID</th>"
    "<th>Child</th><th>Signal</th><th>Request</th><th>VHost</th>"
    "<th>Client</th><th>Top frame</th></tr>\n";

static void html_groups(const guard_crash_view_t *v, guard_sink_t *o)
{
    int i, k;

    guard_puts(o, "<h3>By signature</h3>\n<table>\n<tr><th>Count</th>"
               "<th>Signal</th><th>Top frames</th><th>Last</th></tr>\n");
    for (i = 0; i < v->ngroups; i++) {
        const guard_crash_group_view_t *g = &v->groups[i];

        guard_printf(o, "<tr><td>%" APR_UINT64_T_FMT "</td><td>%s</td><td>",
                     g->count, guard_crash_sig_name(g->signo));
        for (k = 0; k < g->nframes; k++) {
            guard_puts(o, k ? "<br>" : "");
            html_frame(o, &g->syms[k], 0);
        }
        guard_printf(o, "</td><td><a href=\"?crash=%" APR_UINT64_T_FMT "\">"
                     "crash %" APR_UINT64_T_FMT "</a>, ", g->last_id,
                     g->last_id);
        html_secs_ago(o, v->now, g->last_time);
        guard_puts(o, "</td></tr>\n");
    }
    guard_puts(o, "</table>\n");
}

void guard_crash_render_html(const guard_crash_view_t *v, guard_sink_t *o)
{
    int i;

    guard_printf(o, "<h2>Crashes</h2>\n<p>%" APR_UINT64_T_FMT " in all (",
                 v->total);
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        guard_printf(o, "%s%s %" APR_UINT64_T_FMT, i ? ", " : "",
                     guard_csig_label(i), v->by_signal[i]);
    }
    guard_printf(o, "), %u in the last minute; the newest %d are kept."
                 "</p>\n", v->rate_1m, v->capacity);
    if (!v->nitems) {
        return;
    }
    html_groups(v, o);
    guard_puts(o, "<h3>Recent crashes</h3>\n");
    guard_puts(o, crash_table_head);
    for (i = 0; i < v->nitems && i < HTML_ROWS_MAX; i++) {
        html_crash_row(v, &v->items[i], o);
    }
    guard_puts(o, "</table>\n");
}

static void html_kv(guard_sink_t *o, const char *k, const char *v)
{
    guard_printf(o, "<tr><th>%s</th><td>", k);
    guard_put_html(o, v);
    guard_puts(o, "</td></tr>\n");
}

/* Under the native frames: innermost first, as PHP lists them. */
static void html_php_frames(guard_sink_t *o, const guard_crash_rec_t *r)
{
    apr_uint32_t k;

    if (!(r->flags & GUARD_CRASHF_PHP)) {
        return;
    }
    guard_puts(o, "<h3>PHP frames</h3>\n");
    if (!r->nphp) {
        guard_puts(o, "<p>No PHP code was running.</p>\n");
        return;
    }
    guard_puts(o, "<ol start=\"0\" class=\"php-frames\">\n");
    for (k = 0; k < r->nphp && k < GUARD_CRASH_PHP_FRAMES; k++) {
        const guard_php_frame_t *f = &r->php[k];

        guard_puts(o, "<li><code>");
        guard_put_html(o, f->function);
        guard_puts(o, "</code> ");
        if (f->file[0]) {
            guard_put_html(o, f->file);
            guard_printf(o, ":%u%s", f->line, f->flags & GUARD_PHPF_LINE_APPROX
                         ? " (the function's first line)" : "");
        }
        else {
            guard_puts(o, "<i>internal</i>");
        }
        guard_puts(o, "</li>\n");
    }
    guard_puts(o, "</ol>\n");
}

/* Module+offset and name, never the address. */
static void html_native_frames(guard_sink_t *o, const guard_crash_item_t *it)
{
    apr_uint32_t k;

    guard_puts(o, "<h3>Frames</h3>\n");
    if (!it->symbolized && it->rec.nframes) {
        guard_puts(o, "<p>Recorded before a restart: modules and offsets, "
                   "not named.</p>\n");
    }
    guard_puts(o, "<ol start=\"0\">\n");
    for (k = 0; k < it->rec.nframes; k++) {
        guard_puts(o, "<li><code>");
        html_frame(o, &it->syms[k], 1);
        guard_puts(o, "</code></li>\n");
    }
    guard_puts(o, "</ol>\n");
}

void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;
    char buf[GUARD_URI_LEN + 64];
    guard_cbuf_t b;

    guard_printf(o, "<h2>Crash %" APR_UINT64_T_FMT "</h2>\n<table>\n", r->id);
    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_time(&b, r->when);
    guard_cbuf_str(&b, " UTC");
    html_kv(o, "Time", buf);
    guard_printf(o, "<tr><th>Process</th><td>pid %d, tid %d, <a href=\"?"
                 "child=%d\">child %d</a>, thread %d, generation %u</td></tr>"
                 "\n<tr><th>Signal</th><td>", r->pid, r->tid, r->child,
                 r->child, r->thread, r->generation);
    html_signal(o, it);
    guard_printf(o, "%s</td></tr>\n<tr><th>Instruction</th><td>",
                 r->flags & GUARD_CRASHF_SENT ? " (sent or raised, not a "
                 "fault)" : "");
    html_frame(o, &it->ip_sym, 1);
    guard_puts(o, "</td></tr>\n");
    if (r->flags & GUARD_CRASHF_REQUEST) {
        apr_snprintf(buf, sizeof(buf), "%s %s %s", r->req.method, r->req.uri,
                     r->req.protocol);
        html_kv(o, "Request", buf);
        html_kv(o, "Request state", r->flags & GUARD_CRASHF_REQ_DONE
                ? "finished (logged): the crash came from its pool's "
                  "cleanups" : "active: being served");
        html_kv(o, "VHost", r->req.vhost);
        html_kv(o, "Client", r->req.client);
        guard_printf(o, "<tr><th>Into the request</th><td>%" APR_INT64_T_FMT
                     " ms</td></tr>\n", r->elapsed_ms);
    }
    else {
        html_kv(o, "Request", "no request");
    }
    guard_puts(o, "</table>\n");
    html_native_frames(o, it);
    html_php_frames(o, r);
}

void guard_crash_render_html_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o)
{
    int i;

    guard_puts(o, "<h2>Processes</h2>\n<table>\n<tr><th>PID</th>"
               "<th>Generation</th><th>Started</th><th>Ended</th>"
               "<th>How</th><th>Requests</th></tr>\n");
    for (i = 0; i < v->nprocs; i++) {
        const guard_proc_rec_t *p = &v->procs[i];

        if (p->child != child) {
            continue;
        }
        guard_printf(o, "<tr><td>%d</td><td>%u</td><td>", p->pid,
                     p->generation);
        html_secs_ago(o, v->now, p->started);
        guard_puts(o, "</td><td>");
        if (p->end != GUARD_PROC_RUNNING) {
            html_secs_ago(o, v->now, p->ended);
        }
        guard_printf(o, "</td><td>%s%s%s</td><td>", guard_proc_end_name(p->end),
                     p->end == GUARD_PROC_CRASHED ? ": " : "",
                     p->end == GUARD_PROC_CRASHED ? guard_crash_sig_name(p->signo) : "");
        if (p->end != GUARD_PROC_RUNNING) {
            guard_printf(o, "%" APR_UINT64_T_FMT, p->requests);
        }
        guard_puts(o, "</td></tr>\n");
    }
    guard_puts(o, "</table>\n<h2>Crashes in this child</h2>\n");
    guard_puts(o, crash_table_head);
    for (i = 0; i < v->nitems; i++) {
        if (v->items[i].rec.child == child) {
            html_crash_row(v, &v->items[i], o);
        }
    }
    guard_puts(o, "</table>\n");
}
