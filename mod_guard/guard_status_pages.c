/* SPDX-License-Identifier: Apache-2.0 */
/* The pages of ?crash=<id> and ?child=<n>: HTML pages of their own, or
 * JSON. The crash parts come from guard_status_crash.c. */
#include <string.h>
#include <apr_strings.h>
#include "guard_crash_view.h"
#include "guard_status_crash.h"
#include "guard_status_html.h"
#include "guard_status_json.h"
#include "guard_status_pages.h"
#include "guard_status_stack.h"
#include "guard_wait.h"

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
        guard_put_json_time(o, cur->rec.started);
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

static void html_stack_worker(const guard_worker_view_t *w, guard_sink_t *o)
{
    char what[512];

    guard_printf(o, "<h1>Child %d, thread %d</h1>\n<p>pid %d, tid %d, %s",
                 w->child, w->thread, w->slot.pid, w->slot.tid,
                 guard_ws_name(w->slot.state));
    if (w->slot.state == GUARD_WS_BUSY && w->slot.req_start) {
        guard_puts(o, ": <code>");
        guard_put_html(o, w->slot.req.method);
        guard_puts(o, " ");
        guard_put_html(o, w->slot.req.uri);
        guard_printf(o, "</code>, %" APR_INT64_T_FMT " ms", w->elapsed_ms);
    }
    guard_puts(o, "</p>\n");
    if (w->has_wait) {
        guard_puts(o, "<p>Waiting on: ");
        guard_put_html(o, guard_worker_wait_text(w, what, sizeof(what)));
        guard_puts(o, "</p>\n");
    }
}

void guard_render_stack_page(const guard_snapshot_t *s,
                             const guard_worker_view_t *w, int json,
                             guard_sink_t *o)
{
    char title[64];

    if (json) {
        guard_puts(o, "{\"worker\":");
        guard_render_json_worker(w, o);
        guard_puts(o, "}\n");
        return;
    }
    apr_snprintf(title, sizeof(title), "mod_guard: stacks of %d.%d",
                 w->child, w->thread);
    html_page_head(o, title);
    html_stack_worker(w, o);
    if (w->stack) {
        guard_stack_render_html(w->stack, 1, o);
    }
    else {
        guard_puts(o, "<p>No stack read in this request (stacks are read "
                   "once a request is older than the sampling age).</p>\n");
    }
    html_page_foot(o);
}
