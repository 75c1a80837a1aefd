/* The crash sections of /guard-status in each format, ?crash=<id> and the
 * crash part of ?child=<n>. Request fields were sanitized at copy time and
 * are escaped again here for each format. */
#include <string.h>
#include <apr_strings.h>
#include "guard_crash_fmt.h"
#include "guard_crash_view.h"
#include "guard_status_crash.h"
#include "guard_wait.h"

#define HTML_ROWS_MAX 50

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

/* "2026-11-22T08:56:01.123Z" */
static void put_iso_time(guard_sink_t *o, apr_time_t t)
{
    char buf[40];
    guard_cbuf_t b;
    char *sp;

    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_time(&b, t);
    if ((sp = strchr(buf, ' ')) != NULL) {
        *sp = 'T';
    }
    guard_printf(o, "\"%sZ\"", buf);
}

static void put_hex(guard_sink_t *o, apr_uint64_t v)
{
    guard_printf(o, "\"0x%" APR_UINT64_T_HEX_FMT "\"", v);
}

static const char *sig_name(int signo)
{
    const char *n = guard_signal_name(signo);

    return n ? n : "unknown";
}

/* "libc.so.6+0x1d (strlen+0x1d)" or "0x7f00..." */
static void frame_text(const guard_frame_sym_t *f, int full, char *buf,
                       apr_size_t size)
{
    if (!f->resolved) {
        apr_snprintf(buf, size, "0x%" APR_UINT64_T_HEX_FMT, f->addr);
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

/* ------------------------------------------------------------- JSON */

static void json_str_or_null(guard_sink_t *o, const char *s)
{
    if (s && *s) {
        guard_put_json_str(o, s);
    }
    else {
        guard_puts(o, "null");
    }
}

static void json_frame(const guard_frame_sym_t *f, guard_sink_t *o)
{
    guard_puts(o, "{\"addr\":");
    put_hex(o, f->addr);
    guard_puts(o, ",\"module\":");
    json_str_or_null(o, f->resolved ? f->module : NULL);
    guard_puts(o, ",\"offset\":");
    if (f->resolved) {
        put_hex(o, f->offset);
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, ",\"function\":");
    json_str_or_null(o, f->resolved ? f->function : NULL);
    guard_puts(o, ",\"function_offset\":");
    if (f->resolved && f->function[0]) {
        put_hex(o, f->func_offset);
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, "}");
}

static void json_request(const guard_crash_rec_t *r, guard_sink_t *o)
{
    char line[GUARD_METHOD_LEN + GUARD_URI_LEN + GUARD_PROTO_LEN + 3];

    if (!(r->flags & GUARD_CRASHF_REQUEST)) {
        guard_puts(o, ",\"request\":null,\"method\":null,\"uri\":null,"
                   "\"vhost\":null,\"client\":null,\"elapsed_ms\":null");
        return;
    }
    apr_snprintf(line, sizeof(line), "%s %s %s", r->req.method, r->req.uri,
                 r->req.protocol);
    guard_puts(o, ",\"request\":");
    guard_put_json_str(o, line);
    guard_puts(o, ",\"method\":");
    guard_put_json_str(o, r->req.method);
    guard_puts(o, ",\"uri\":");
    guard_put_json_str(o, r->req.uri);
    guard_puts(o, ",\"vhost\":");
    guard_put_json_str(o, r->req.vhost);
    guard_puts(o, ",\"client\":");
    guard_put_json_str(o, r->req.client);
    guard_printf(o, ",\"elapsed_ms\":%" APR_INT64_T_FMT, r->elapsed_ms);
}

void guard_crash_render_json_one(const guard_crash_item_t *it,
                                 guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;
    apr_uint32_t k;

    guard_printf(o, "{\"id\":%" APR_UINT64_T_FMT ",\"time\":", r->id);
    put_iso_time(o, r->when);
    guard_printf(o, ",\"time_ms\":%" APR_INT64_T_FMT ",\"pid\":%d,\"tid\":%d,"
                 "\"child\":%d,\"thread\":%d,\"generation\":%u,\"signal\":",
                 (apr_int64_t)apr_time_as_msec(r->when), r->pid, r->tid,
                 r->child, r->thread, r->generation);
    guard_put_json_str(o, sig_name(r->signo));
    guard_printf(o, ",\"signo\":%d,\"si_code\":", r->signo);
    json_str_or_null(o, guard_si_code_name(r->signo, r->si_code));
    guard_printf(o, ",\"si_code_value\":%d,\"addr\":", r->si_code);
    put_hex(o, r->addr);
    guard_puts(o, ",\"ip\":");
    put_hex(o, r->ip);
    guard_printf(o, ",\"sent\":%s,\"minimal\":%s,\"nested\":%s,"
                 "\"complete\":%s,\"symbolized\":%s",
                 r->flags & GUARD_CRASHF_SENT ? "true" : "false",
                 r->flags & GUARD_CRASHF_MINIMAL ? "true" : "false",
                 r->flags & GUARD_CRASHF_NESTED ? "true" : "false",
                 it->complete ? "true" : "false",
                 it->symbolized ? "true" : "false");
    json_request(r, o);
    guard_puts(o, ",\"handler_us\":");
    if (r->handler_us >= 0) {
        guard_printf(o, "%" APR_INT64_T_FMT, r->handler_us);
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, ",\"signature\":");
    if (r->flags & GUARD_CRASHF_FRAMES) {
        guard_printf(o, "\"%016" APR_UINT64_T_HEX_FMT "\"", r->signature);
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, ",\"frames\":[");
    for (k = 0; k < r->nframes; k++) {
        guard_puts(o, k ? "," : "");
        json_frame(&it->syms[k], o);
    }
    guard_puts(o, "]}");
}

static void json_group(const guard_crash_group_view_t *g, guard_sink_t *o)
{
    int k;

    guard_printf(o, "{\"signature\":\"%016" APR_UINT64_T_HEX_FMT "\","
                 "\"count\":%" APR_UINT64_T_FMT ",\"signal\":", g->key,
                 g->count);
    guard_put_json_str(o, sig_name(g->signo));
    guard_printf(o, ",\"last_id\":%" APR_UINT64_T_FMT ",\"last_time\":",
                 g->last_id);
    put_iso_time(o, g->last_time);
    guard_puts(o, ",\"top_frames\":[");
    for (k = 0; k < g->nframes; k++) {
        guard_puts(o, k ? "," : "");
        json_frame(&g->syms[k], o);
    }
    guard_puts(o, "]}");
}

void guard_crash_render_json(const guard_crash_view_t *v, guard_sink_t *o)
{
    int i;

    guard_puts(o, "\"crashes\":[");
    for (i = 0; i < v->nitems; i++) {
        guard_puts(o, i ? "," : "");
        guard_crash_render_json_one(&v->items[i], o);
    }
    guard_puts(o, "],\"crash_groups\":[");
    for (i = 0; i < v->ngroups; i++) {
        guard_puts(o, i ? "," : "");
        json_group(&v->groups[i], o);
    }
    guard_printf(o, "],\"crash_summary\":{\"total\":%" APR_UINT64_T_FMT
                 ",\"last_minute\":%u,\"kept\":%d,\"capacity\":%d,"
                 "\"by_signal\":{", v->total, v->rate_1m, v->nitems,
                 v->capacity);
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        guard_printf(o, "%s\"%s\":%" APR_UINT64_T_FMT, i ? "," : "",
                     guard_csig_label(i), v->by_signal[i]);
    }
    guard_puts(o, "}},");
}

static const char *end_name(apr_uint32_t end)
{
    switch (end) {
    case GUARD_PROC_RUNNING: return "running";
    case GUARD_PROC_EXITED:  return "exited";
    case GUARD_PROC_CRASHED: return "crashed";
    default:                 return "unknown";
    }
}

void guard_crash_render_json_procs(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o)
{
    int i, n = 0;

    guard_puts(o, "[");
    for (i = 0; i < v->nprocs; i++) {
        const guard_proc_rec_t *p = &v->procs[i];

        if (p->child != child) {
            continue;
        }
        guard_printf(o, "%s{\"pid\":%d,\"generation\":%u,\"started\":",
                     n++ ? "," : "", p->pid, p->generation);
        put_iso_time(o, p->started);
        guard_puts(o, ",\"ended\":");
        if (p->end == GUARD_PROC_RUNNING) {
            guard_puts(o, "null");
        }
        else {
            put_iso_time(o, p->ended);
        }
        guard_printf(o, ",\"end\":\"%s\",\"signal\":", end_name(p->end));
        json_str_or_null(o, p->end == GUARD_PROC_CRASHED
                            ? sig_name(p->signo) : NULL);
        guard_printf(o, ",\"crashes\":%u,\"requests\":", p->crashes);
        if (p->end == GUARD_PROC_RUNNING) {
            guard_puts(o, "null}");
        }
        else {
            guard_printf(o, "%" APR_UINT64_T_FMT "}", p->requests);
        }
    }
    guard_puts(o, "]");
}

void guard_crash_render_json_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o)
{
    int i, n = 0;

    guard_puts(o, "[");
    for (i = 0; i < v->nitems; i++) {
        if (v->items[i].rec.child == child) {
            guard_puts(o, n++ ? "," : "");
            guard_crash_render_json_one(&v->items[i], o);
        }
    }
    guard_puts(o, "]");
}

/* ------------------------------------------------------------- HTML */

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

static void html_signal(guard_sink_t *o, const guard_crash_rec_t *r)
{
    char buf[96];
    guard_cbuf_t b;

    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_signal(&b, r->signo, r->si_code);
    guard_put_html(o, buf);
    if (!(r->flags & GUARD_CRASHF_SENT)) {
        guard_printf(o, " at 0x%" APR_UINT64_T_HEX_FMT, r->addr);
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
    html_signal(o, r);
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
                     g->count, sig_name(g->signo));
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

void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;
    char buf[GUARD_URI_LEN + 64];
    guard_cbuf_t b;
    apr_uint32_t k;

    guard_printf(o, "<h2>Crash %" APR_UINT64_T_FMT "</h2>\n<table>\n", r->id);
    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_time(&b, r->when);
    guard_cbuf_str(&b, " UTC");
    html_kv(o, "Time", buf);
    guard_printf(o, "<tr><th>Process</th><td>pid %d, tid %d, <a href=\"?"
                 "child=%d\">child %d</a>, thread %d, generation %u</td></tr>"
                 "\n<tr><th>Signal</th><td>", r->pid, r->tid, r->child,
                 r->child, r->thread, r->generation);
    html_signal(o, r);
    guard_printf(o, "%s</td></tr>\n<tr><th>Instruction</th><td>0x%"
                 APR_UINT64_T_HEX_FMT "</td></tr>\n",
                 r->flags & GUARD_CRASHF_SENT ? " (sent or raised, not a "
                 "fault)" : "", r->ip);
    if (r->flags & GUARD_CRASHF_REQUEST) {
        apr_snprintf(buf, sizeof(buf), "%s %s %s", r->req.method, r->req.uri,
                     r->req.protocol);
        html_kv(o, "Request", buf);
        html_kv(o, "VHost", r->req.vhost);
        html_kv(o, "Client", r->req.client);
        guard_printf(o, "<tr><th>Into the request</th><td>%" APR_INT64_T_FMT
                     " ms</td></tr>\n", r->elapsed_ms);
    }
    else {
        html_kv(o, "Request", "no request");
    }
    guard_puts(o, "</table>\n<h3>Frames</h3>\n");
    if (!it->symbolized && r->nframes) {
        guard_puts(o, "<p>Recorded before a restart: addresses only.</p>\n");
    }
    guard_puts(o, "<ol start=\"0\">\n");
    for (k = 0; k < r->nframes; k++) {
        guard_puts(o, "<li><code>");
        html_frame(o, &it->syms[k], 1);
        guard_printf(o, " [0x%" APR_UINT64_T_HEX_FMT "]</code></li>\n",
                     it->syms[k].addr);
    }
    guard_puts(o, "</ol>\n");
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
        guard_printf(o, "</td><td>%s%s%s</td><td>", end_name(p->end),
                     p->end == GUARD_PROC_CRASHED ? ": " : "",
                     p->end == GUARD_PROC_CRASHED ? sig_name(p->signo) : "");
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

/* ------------------------------------------------ Prometheus, ?auto */

void guard_crash_render_prometheus(const guard_crash_view_t *v,
                                   guard_sink_t *o)
{
    int i;

    guard_puts(o, "# HELP guard_crashes_total Worker crashes caught by "
               "mod_guard's signal handlers, by signal.\n"
               "# TYPE guard_crashes_total counter\n");
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        guard_printf(o, "guard_crashes_total{signal=\"%s\"} %"
                     APR_UINT64_T_FMT "\n", guard_csig_label(i),
                     v->by_signal[i]);
    }
    guard_printf(o, "# HELP guard_crashes_last_minute Crashes in the last "
                 "minute, as of the last child exit.\n"
                 "# TYPE guard_crashes_last_minute gauge\n"
                 "guard_crashes_last_minute %u\n"
                 "# HELP guard_crash_signatures Distinct crash signatures "
                 "seen.\n# TYPE guard_crash_signatures gauge\n"
                 "guard_crash_signatures %d\n", v->rate_1m, v->ngroups);
}

void guard_crash_render_auto(const guard_crash_view_t *v, guard_sink_t *o)
{
    guard_printf(o, "CrashesTotal: %" APR_UINT64_T_FMT "\n"
                 "CrashesLastMinute: %u\nCrashSignatures: %d\n", v->total,
                 v->rate_1m, v->ngroups);
}

/* ------------------------------------------- ?crash=<id>, ?child=<n> */

static void html_page_head(guard_sink_t *o, const char *title)
{
    guard_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n<title>");
    guard_put_html(o, title);
    guard_puts(o, "</title>\n<style>body{font-family:sans-serif;margin:1em}"
               "table{border-collapse:collapse}th,td{border:1px solid #ccc;"
               "padding:2px 6px;text-align:left;font-size:90%}"
               "th{background:#eee}</style>\n</head>\n<body>\n"
               "<p><a href=\"?\">mod_guard status</a></p>\n");
}

static void html_page_foot(guard_sink_t *o)
{
    guard_puts(o, "</body>\n</html>\n");
}

void guard_render_crash_page(const guard_snapshot_t *s,
                             const guard_crash_item_t *it, int json,
                             guard_sink_t *o)
{
    if (json) {
        guard_puts(o, "{\"crash\":");
        guard_crash_render_json_one(it, o);
        guard_puts(o, "}\n");
        return;
    }
    html_page_head(o, "mod_guard: crash");
    guard_crash_render_html_one(s->crash, it, o);
    html_page_foot(o);
}

static void json_worker(const guard_worker_view_t *w, guard_sink_t *o)
{
    const guard_slot_view_t *sl = &w->slot;
    char line[GUARD_METHOD_LEN + GUARD_URI_LEN + GUARD_PROTO_LEN + 3];

    guard_printf(o, "{\"thread\":%d,\"pid\":%d,\"tid\":%d,\"state\":\"%s\","
                 "\"requests\":%" APR_UINT64_T_FMT ",\"request\":", w->thread,
                 sl->pid, sl->tid, guard_ws_name(sl->state), sl->requests);
    if (sl->state == GUARD_WS_BUSY && sl->req_start) {
        apr_snprintf(line, sizeof(line), "%s %s %s", sl->req.method,
                     sl->req.uri, sl->req.protocol);
        guard_put_json_str(o, line);
    }
    else {
        guard_puts(o, "null");
    }
    guard_printf(o, ",\"elapsed_ms\":");
    if (w->elapsed_ms >= 0) {
        guard_printf(o, "%" APR_INT64_T_FMT "}", w->elapsed_ms);
    }
    else {
        guard_puts(o, "null}");
    }
}

static void json_child(const guard_snapshot_t *s, int child, guard_sink_t *o)
{
    const guard_child_view_t *cur = guard_snapshot_child(s, child);
    int i, n = 0;

    guard_printf(o, "{\"child\":%d,\"current\":", child);
    if (cur) {
        guard_printf(o, "{\"pid\":%d,\"generation\":%u,\"started\":",
                     cur->rec.pid, cur->rec.generation);
        put_iso_time(o, cur->rec.started);
        guard_puts(o, "}");
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, ",\"workers\":[");
    for (i = 0; i < s->nworkers; i++) {
        if (s->workers[i].child == child) {
            guard_puts(o, n++ ? "," : "");
            json_worker(&s->workers[i], o);
        }
    }
    guard_puts(o, "],\"processes\":");
    if (s->crash) {
        guard_crash_render_json_procs(s->crash, child, o);
        guard_puts(o, ",\"crashes\":");
        guard_crash_render_json_child(s->crash, child, o);
    }
    else {
        guard_puts(o, "[],\"crashes\":[]");
    }
    guard_puts(o, "}\n");
}

static void html_workers(const guard_snapshot_t *s, int child,
                         guard_sink_t *o)
{
    const guard_child_view_t *cur = guard_snapshot_child(s, child);
    int i;

    if (!cur) {
        guard_puts(o, "<p>No process runs in this slot now.</p>\n");
        return;
    }
    guard_printf(o, "<p>Current process: pid %d, generation %u.</p>\n"
                 "<table>\n<tr><th>Thread</th><th>TID</th><th>State</th>"
                 "<th>Request</th><th>Requests served</th></tr>\n",
                 cur->rec.pid, cur->rec.generation);
    for (i = 0; i < s->nworkers; i++) {
        const guard_worker_view_t *w = &s->workers[i];

        if (w->child != child) {
            continue;
        }
        guard_printf(o, "<tr><td>%d</td><td>%d</td><td>%s</td><td>",
                     w->thread, w->slot.tid, guard_ws_name(w->slot.state));
        if (w->slot.state == GUARD_WS_BUSY && w->slot.req_start) {
            guard_put_html(o, w->slot.req.method);
            guard_puts(o, " ");
            guard_put_html(o, w->slot.req.uri);
        }
        guard_printf(o, "</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                     w->slot.requests);
    }
    guard_puts(o, "</table>\n");
}

void guard_render_child_page(const guard_snapshot_t *s, int child, int json,
                             guard_sink_t *o)
{
    char title[64];

    if (json) {
        json_child(s, child, o);
        return;
    }
    apr_snprintf(title, sizeof(title), "mod_guard: child %d", child);
    html_page_head(o, title);
    guard_printf(o, "<h1>Child %d</h1>\n", child);
    html_workers(s, child, o);
    if (s->crash) {
        guard_crash_render_html_child(s->crash, child, o);
    }
    html_page_foot(o);
}
