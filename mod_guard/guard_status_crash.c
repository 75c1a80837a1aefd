/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crashes on the status pages, every format in its section: the crash
 * table and its signature groups, one crash in full (?crash=), a child's
 * processes and crashes (?child=), the counters of ?prometheus and ?auto.
 * Pure: a crash view (guard_crash_view.h) in, text out. Frames are a
 * module and an offset, with a name when one was looked up: never an
 * address of the process.
 */
#include <string.h>
#include <apr_strings.h>
#include "guard_crash_fmt.h"
#include "guard_crash_view.h"
#include "guard_status_crash.h"
#include "guard_status_stack.h"

/* The crash table's rows at most. */
#define HTML_ROWS_MAX 50

/* ------------------------------------------------------ frames and signals */

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

/* "SIGSEGV (SEGV_MAPERR)", "signal 99 (code 77)" when a name is
 * missing. */
static void signal_text(int signo, int si_code, char *buf, apr_size_t size)
{
    const char *sn = guard_signal_name(signo);
    const char *cn = guard_si_code_name(signo, si_code);
    apr_size_t n;

    n = sn ? apr_snprintf(buf, size, "%s (", sn)
           : apr_snprintf(buf, size, "signal %d (", signo);
    if (cn) {
        apr_snprintf(buf + n, size - n, "%s)", cn);
    }
    else {
        apr_snprintf(buf + n, size - n, "code %d)", si_code);
    }
}

/* ------------------------------------------------------ HTML */

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

static void html_frame(guard_sink_t *o, const guard_frame_sym_t *f, int full)
{
    char buf[2 * GUARD_SYM_LEN + 64];

    frame_text(f, full, buf, sizeof(buf));
    guard_put_html(o, buf);
}

static void html_signal(guard_sink_t *o, const guard_crash_item_t *it)
{
    const guard_crash_rec_t *r = &it->rec;
    char buf[96];

    if (r->flags & GUARD_CRASHF_STUCK) {
        guard_printf(o, "ended by GuardStuckTimeout (%" APR_INT64_T_FMT
                     " ms)", r->stuck_timeout_ms);
        return;
    }
    signal_text(r->signo, r->si_code, buf, sizeof(buf));
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
                 v->crashes);
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        guard_printf(o, "%s%s %" APR_UINT64_T_FMT, i ? ", " : "",
                     guard_csig_label(i), v->by_signal[i]);
    }
    guard_printf(o, "), %u in the last minute; %" APR_UINT64_T_FMT
                 " processes ended by GuardStuckTimeout; the newest %d "
                 "records are kept.</p>\n", v->rate_1m, v->stuck_ends,
                 v->capacity);
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

/* After the signal: the faulting instruction, or what an ended request
 * waited on. */
static void html_how(guard_sink_t *o, const guard_crash_item_t *it)
{
    const guard_crash_rec_t *r = &it->rec;

    if (r->flags & GUARD_CRASHF_STUCK) {
        guard_puts(o, "</td></tr>\n");
        html_kv(o, "Waiting on", r->wait);
        return;
    }
    guard_printf(o, "%s</td></tr>\n<tr><th>Instruction</th><td>",
                 r->flags & GUARD_CRASHF_SENT ? " (sent or raised, not a "
                 "fault)" : "");
    html_frame(o, &it->ip_sym, 1);
    guard_puts(o, "</td></tr>\n");
}

void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;
    char buf[GUARD_URI_LEN + 64];

    guard_printf(o, "<h2>%s %" APR_UINT64_T_FMT "</h2>\n<table>\n"
                 "<tr><th>Time</th><td>", r->flags & GUARD_CRASHF_STUCK
                 ? "Stuck request ended, record" : "Crash", r->id);
    guard_put_time(o, r->when);
    guard_puts(o, " UTC</td></tr>\n");
    guard_printf(o, "<tr><th>Process</th><td>pid %d, tid %d, <a href=\"?"
                 "child=%d\">child %d</a>, thread %d, generation %u</td></tr>"
                 "\n<tr><th>Signal</th><td>", r->pid, r->tid, r->child,
                 r->child, r->thread, r->generation);
    html_signal(o, it);
    html_how(o, it);
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
        guard_printf(o, "</td><td>%s%s%s</td><td>",
                     guard_proc_end_name(p->end),
                     p->end == GUARD_PROC_CRASHED ? ": " : "",
                     p->end == GUARD_PROC_CRASHED
                     ? guard_crash_sig_name(p->signo) : "");
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

/* ------------------------------------------------------ JSON */

static void put_hex(guard_sink_t *o, apr_uint64_t v)
{
    guard_printf(o, "\"0x%" APR_UINT64_T_HEX_FMT "\"", v);
}

static void json_str_or_null(guard_sink_t *o, const char *s)
{
    if (s && *s) {
        guard_put_json_str(o, s);
    }
    else {
        guard_puts(o, "null");
    }
}

static const char *where_name(int kind)
{
    switch (kind) {
    case GUARD_AT_MODULE: return "module";
    case GUARD_AT_NULL:   return "null_page";
    default:              return "none";
    }
}

/* Module and offset, never the address: "none" tells nothing more. */
static void json_frame(const guard_frame_sym_t *f, guard_sink_t *o)
{
    guard_printf(o, "{\"where\":\"%s\",\"module\":", where_name(f->kind));
    json_str_or_null(o, f->resolved ? f->module : NULL);
    guard_puts(o, ",\"offset\":");
    if (f->resolved || f->kind == GUARD_AT_NULL) {
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
        guard_puts(o, ",\"request\":null,\"request_state\":null,"
                   "\"method\":null,\"uri\":null,\"vhost\":null,"
                   "\"client\":null,\"elapsed_ms\":null");
        return;
    }
    apr_snprintf(line, sizeof(line), "%s %s %s", r->req.method, r->req.uri,
                 r->req.protocol);
    guard_puts(o, ",\"request\":");
    guard_put_json_str(o, line);
    guard_printf(o, ",\"request_state\":\"%s\"",
                 r->flags & GUARD_CRASHF_REQ_DONE ? "finished" : "active");
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

/* Innermost first; null when PHP's frames were not walked. */
static void json_php_frames(const guard_crash_rec_t *r, guard_sink_t *o)
{
    apr_uint32_t k;

    if (!(r->flags & GUARD_CRASHF_PHP)) {
        guard_puts(o, ",\"php_frames\":null");
        return;
    }
    guard_puts(o, ",\"php_frames\":[");
    for (k = 0; k < r->nphp && k < GUARD_CRASH_PHP_FRAMES; k++) {
        const guard_php_frame_t *f = &r->php[k];

        if (k) {
            guard_putc(o, ',');
        }
        guard_stack_json_php_frame(f, o);
    }
    guard_puts(o, "]");
}

static void json_flags(const guard_crash_item_t *it, guard_sink_t *o)
{
    apr_uint32_t f = it->rec.flags;

    guard_printf(o, ",\"sent\":%s,\"minimal\":%s,\"nested\":%s,"
                 "\"time_limit\":%s,\"complete\":%s,\"symbolized\":%s",
                 f & GUARD_CRASHF_SENT ? "true" : "false",
                 f & GUARD_CRASHF_MINIMAL ? "true" : "false",
                 f & GUARD_CRASHF_NESTED ? "true" : "false",
                 f & GUARD_CRASHF_LIMIT ? "true" : "false",
                 it->complete ? "true" : "false",
                 it->symbolized ? "true" : "false");
}

/* A GuardStuckTimeout end: by what, after how long, on what wait. */
static void json_ended(const guard_crash_rec_t *r, guard_sink_t *o)
{
    if (!(r->flags & GUARD_CRASHF_STUCK)) {
        guard_puts(o, ",\"ended_by\":null,\"stuck_timeout_ms\":null,"
                   "\"wait\":null");
        return;
    }
    guard_printf(o, ",\"ended_by\":\"GuardStuckTimeout\","
                 "\"stuck_timeout_ms\":%" APR_INT64_T_FMT ",\"wait\":",
                 r->stuck_timeout_ms);
    guard_put_json_str(o, r->wait);
}

void guard_crash_render_json_one(const guard_crash_item_t *it,
                                 guard_sink_t *o)
{
    const guard_crash_rec_t *r = &it->rec;
    apr_uint32_t k;

    guard_printf(o, "{\"id\":%" APR_UINT64_T_FMT ",\"time\":", r->id);
    guard_put_json_time(o, r->when);
    guard_printf(o, ",\"time_ms\":%" APR_INT64_T_FMT ",\"pid\":%d,\"tid\":%d,"
                 "\"child\":%d,\"thread\":%d,\"generation\":%u,\"signal\":",
                 (apr_int64_t)apr_time_as_msec(r->when), r->pid, r->tid,
                 r->child, r->thread, r->generation);
    guard_put_json_str(o, guard_crash_sig_name(r->signo));
    guard_printf(o, ",\"signo\":%d,\"si_code\":", r->signo);
    json_str_or_null(o, guard_si_code_name(r->signo, r->si_code));
    guard_printf(o, ",\"si_code_value\":%d,\"addr\":", r->si_code);
    json_frame(&it->addr_sym, o);
    guard_puts(o, ",\"ip\":");
    json_frame(&it->ip_sym, o);
    json_flags(it, o);
    json_ended(r, o);
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
    guard_puts(o, "]");
    json_php_frames(r, o);
    guard_puts(o, "}");
}

static void json_group(const guard_crash_group_view_t *g, guard_sink_t *o)
{
    int k;

    guard_printf(o, "{\"signature\":\"%016" APR_UINT64_T_HEX_FMT "\","
                 "\"count\":%" APR_UINT64_T_FMT ",\"signal\":", g->key,
                 g->count);
    guard_put_json_str(o, guard_crash_sig_name(g->signo));
    guard_printf(o, ",\"last_id\":%" APR_UINT64_T_FMT ",\"last_time\":",
                 g->last_id);
    guard_put_json_time(o, g->last_time);
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
                 ",\"stuck_ends\":%" APR_UINT64_T_FMT ",\"last_minute\":%u,"
                 "\"kept\":%d,\"capacity\":%d,\"by_signal\":{", v->crashes,
                 v->stuck_ends, v->rate_1m, v->nitems, v->capacity);
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        guard_printf(o, "%s\"%s\":%" APR_UINT64_T_FMT, i ? "," : "",
                     guard_csig_label(i), v->by_signal[i]);
    }
    guard_puts(o, "}},");
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
        guard_put_json_time(o, p->started);
        guard_puts(o, ",\"ended\":");
        if (p->end == GUARD_PROC_RUNNING) {
            guard_puts(o, "null");
        }
        else {
            guard_put_json_time(o, p->ended);
        }
        guard_printf(o, ",\"end\":\"%s\",\"signal\":",
                     guard_proc_end_name(p->end));
        json_str_or_null(o, p->end == GUARD_PROC_CRASHED
                            ? guard_crash_sig_name(p->signo) : NULL);
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

/* ------------------------------------------------------ Prometheus */

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
    guard_printf(o, "# HELP guard_stuck_ends_total Processes ended by "
                 "GuardStuckTimeout, a request stuck on what cannot be cut "
                 "(not crashes).\n# TYPE guard_stuck_ends_total counter\n"
                 "guard_stuck_ends_total %" APR_UINT64_T_FMT "\n",
                 v->stuck_ends);
}

/* ------------------------------------------------------ ?auto */

void guard_crash_render_auto(const guard_crash_view_t *v, guard_sink_t *o)
{
    guard_printf(o, "CrashesTotal: %" APR_UINT64_T_FMT "\n"
                 "CrashesLastMinute: %u\nCrashSignatures: %d\n"
                 "StuckEndsTotal: %" APR_UINT64_T_FMT "\n", v->crashes,
                 v->rate_1m, v->ngroups, v->stuck_ends);
}
