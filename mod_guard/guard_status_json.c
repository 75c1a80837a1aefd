/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON view of /guard-status; the schema is docs/json-schema.md. */
#include <string.h>
#include <apr_strings.h>
#include "guard_cut.h"
#include "guard_lock_procfs.h"
#include "guard_lock_table.h"
#include "guard_status_crash.h"
#include "guard_status_fpm.h"
#include "guard_status_json.h"
#include "guard_status_stack.h"
#include "guard_wait.h"

#define WAIT_TEXT_LEN 512

/* Shm strings carry their own bound; a torn copy may lack the NUL. */
#define PUT_FIELD(o, f) guard_put_json_strn((o), (f), sizeof(f))

/* A key (a literal with its quotes, colon and any leading comma) and a
 * number: the per-worker fields, without a format string to parse. */
#define PUT_INT(o, key, v) \
    do { guard_put_lit((o), key); guard_put_int((o), (v)); } while (0)
#define PUT_UINT(o, key, v) \
    do { guard_put_lit((o), key); guard_put_uint((o), (v)); } while (0)

static void put_bool(guard_sink_t *o, int v)
{
    if (v) {
        guard_put_lit(o, "true");
    }
    else {
        guard_put_lit(o, "false");
    }
}

static void put_str_or_null(guard_sink_t *o, const char *s)
{
    if (s) {
        guard_put_json_str(o, s);
    }
    else {
        guard_put_lit(o, "null");
    }
}

static void put_int_or_null(guard_sink_t *o, apr_int64_t v)
{
    if (v >= 0) {
        guard_put_int(o, v);
    }
    else {
        guard_put_lit(o, "null");
    }
}

static void put_key(guard_sink_t *o, int first, const char *key)
{
    guard_printf(o, "%s\"%s\":", first ? "" : ",", key);
}

static void render_server(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_server_info_t *i = &s->server;

    guard_puts(o, "\"server\":{\"version\":");
    put_str_or_null(o, i->version);
    guard_puts(o, ",\"mpm\":");
    put_str_or_null(o, i->mpm);
    guard_puts(o, ",\"hostname\":");
    put_str_or_null(o, i->hostname);
    guard_printf(o, ",\"generation\":%u,\"started\":%" APR_INT64_T_FMT
                 ",\"uptime_s\":%" APR_INT64_T_FMT, i->generation,
                 (apr_int64_t)apr_time_sec(i->started),
                 (apr_int64_t)apr_time_sec(s->now - i->started));
    guard_printf(o, ",\"server_limit\":%d,\"thread_limit\":%d"
                 ",\"stuck_threshold_ms\":%" APR_INT64_T_FMT
                 ",\"watch_interval_ms\":%" APR_INT64_T_FMT
                 ",\"now\":%" APR_INT64_T_FMT "}", i->server_limit,
                 i->thread_limit,
                 (apr_int64_t)apr_time_as_msec(i->stuck_threshold),
                 (apr_int64_t)apr_time_as_msec(i->watch_interval),
                 (apr_int64_t)apr_time_as_msec(s->now));
}

static void render_summary(const guard_snapshot_t *s, guard_sink_t *o)
{
    int st;

    guard_printf(o, "\"summary\":{\"children\":%d,\"workers\":%d,"
                 "\"busy\":%d,\"stuck\":%d,\"http2_streams\":%d,"
                 "\"states\":{", s->nchildren, s->nworkers, s->busy,
                 s->stuck, s->h2_busy);
    for (st = 0; st < GUARD_WS_MAX; st++) {
        put_key(o, st == 0, guard_ws_name(st));
        guard_printf(o, "%d", s->by_state[st]);
    }
    guard_puts(o, "}}");
}

static void render_child(const guard_child_view_t *c, guard_sink_t *o)
{
    PUT_INT(o, "{\"child\":", c->child);
    PUT_INT(o, ",\"pid\":", c->rec.pid);
    PUT_UINT(o, ",\"generation\":", c->rec.generation);
    PUT_INT(o, ",\"started\":", apr_time_sec(c->rec.started));
    PUT_INT(o, ",\"watchdog_tid\":", c->rec.watchdog_tid);
    PUT_UINT(o, ",\"wakeups\":", c->rec.wakeups);
    guard_putc(o, '}');
}

/* "GET /x HTTP/1.1" as one JSON string. Each part ends before an ASCII
 * space or the quote, so escaping them apart is escaping the whole. */
static void put_request_line(guard_sink_t *o, const guard_req_t *r)
{
    guard_putc(o, '"');
    guard_put_json_chars(o, r->method, sizeof(r->method));
    guard_putc(o, ' ');
    guard_put_json_chars(o, r->uri, sizeof(r->uri));
    guard_putc(o, ' ');
    guard_put_json_chars(o, r->protocol, sizeof(r->protocol));
    guard_putc(o, '"');
}

static void render_request(const guard_slot_view_t *sl, guard_sink_t *o)
{
    const guard_req_t *r = &sl->req;

    guard_put_lit(o, ",\"request\":");
    if (sl->req_start == 0) {
        guard_put_lit(o, "null,\"method\":null,\"uri\":null,"
                      "\"protocol\":null,\"vhost\":null");
        return;
    }
    put_request_line(o, r);
    guard_put_lit(o, ",\"method\":");
    PUT_FIELD(o, r->method);
    guard_put_lit(o, ",\"uri\":");
    PUT_FIELD(o, r->uri);
    guard_put_lit(o, ",\"protocol\":");
    PUT_FIELD(o, r->protocol);
    guard_put_lit(o, ",\"vhost\":");
    PUT_FIELD(o, r->vhost);
}

/* An optional string field of the wait: null when empty. */
static void put_wait_field(guard_sink_t *o, const char *f, apr_size_t size)
{
    if (f[0]) {
        guard_put_json_strn(o, f, size);
    }
    else {
        guard_put_lit(o, "null");
    }
}

static void render_wait(const guard_worker_view_t *w, guard_sink_t *o)
{
    const guard_wait_t *wt = &w->slot.wait;
    char text[WAIT_TEXT_LEN];

    guard_put_lit(o, ",\"wait\":");
    if (!w->has_wait || wt->kind == GUARD_WAIT_NONE) {
        guard_put_lit(o, "null");
        return;
    }
    guard_put_lit(o, "{\"kind\":");
    guard_put_json_str(o, guard_wait_kind_name(wt->kind));
    guard_put_lit(o, ",\"syscall\":");
    put_wait_field(o, wt->sysname, sizeof(wt->sysname));
    guard_put_lit(o, ",\"fd\":");
    put_int_or_null(o, wt->fd);
    guard_put_lit(o, ",\"peer\":");
    put_wait_field(o, wt->peer, sizeof(wt->peer));
    guard_put_lit(o, ",\"path\":");
    put_wait_field(o, wt->path, sizeof(wt->path));
    guard_put_lit(o, ",\"idle_ms\":");
    put_int_or_null(o, wt->idle_ms);
    guard_put_lit(o, ",\"for_ms\":");
    put_int_or_null(o, w->for_ms);
    guard_put_lit(o, ",\"lock_holder_pid\":");
    if (w->lock_chain > 0) {
        guard_put_int(o, w->lock_holder_pid);
    }
    else {
        guard_put_lit(o, "null");
    }
    guard_put_lit(o, ",\"text\":");
    guard_put_json_str(o, guard_worker_wait_text(w, text, sizeof(text)));
    guard_putc(o, '}');
}

static void render_backend(const guard_slot_view_t *sl, guard_sink_t *o)
{
    int on = sl->state == GUARD_WS_BUSY && sl->backend_timeout > 0;

    guard_put_lit(o, ",\"backend_timeout_ms\":");
    put_int_or_null(o, on ? apr_time_as_msec(sl->backend_timeout) : -1);
    guard_put_lit(o, ",\"backend_max_ms\":");
    put_int_or_null(o, on && sl->backend_max > 0
                       ? apr_time_as_msec(sl->backend_max) : -1);
    guard_put_lit(o, ",\"backend_minrate\":");
    put_int_or_null(o, on && sl->backend_minrate > 0
                       ? (apr_int64_t)sl->backend_minrate : -1);
    guard_put_lit(o, ",\"backend_action\":");
    put_str_or_null(o, on ? (sl->backend_action == GUARD_ACTION_LOG ? "log"
                                                                    : "cut")
                          : NULL);
}

/* "kind" and "http2": a stream on one of mod_http2's workers (its id and
 * client connection), or a connection of the MPM that speaks HTTP/2 (its
 * streams running now), or null. */
static void render_http2(const guard_worker_view_t *w, guard_sink_t *o)
{
    const guard_slot_view_t *sl = &w->slot;

    guard_put_lit(o, ",\"kind\":");
    guard_put_json_str(o, sl->kind == GUARD_SLOT_H2 ? "http2" : "mpm");
    guard_put_lit(o, ",\"http2\":");
    if (sl->kind == GUARD_SLOT_H2) {
        guard_put_lit(o, "{\"stream\":");
        put_int_or_null(o, sl->stream_id > 0 && sl->state == GUARD_WS_BUSY
                           ? sl->stream_id : -1);
        PUT_INT(o, ",\"connection\":", sl->conn_id);
        guard_putc(o, '}');
    }
    else if (w->h2_conn) {
        PUT_INT(o, "{\"connection\":", sl->conn_id);
        PUT_INT(o, ",\"streams\":", w->h2_streams);
        guard_putc(o, '}');
    }
    else {
        guard_put_lit(o, "null");
    }
}

static void render_worker(const guard_worker_view_t *w, int native,
                          guard_sink_t *o)
{
    const guard_slot_view_t *sl = &w->slot;

    PUT_INT(o, "{\"child\":", w->child);
    PUT_INT(o, ",\"thread\":", w->thread);
    PUT_INT(o, ",\"pid\":", sl->pid);
    PUT_INT(o, ",\"tid\":", sl->tid);
    PUT_UINT(o, ",\"generation\":", sl->generation);
    guard_put_lit(o, ",\"state\":");
    guard_put_json_str(o, guard_ws_name(sl->state));
    guard_put_lit(o, ",\"stuck\":");
    put_bool(o, w->stuck);
    render_http2(w, o);
    render_request(sl, o);
    guard_put_lit(o, ",\"client\":");
    PUT_FIELD(o, sl->req.client);
    guard_put_lit(o, ",\"elapsed_ms\":");
    put_int_or_null(o, w->elapsed_ms);
    guard_put_lit(o, ",\"cpu_ms\":");
    put_int_or_null(o, w->has_wait ? sl->wait.cpu_ms : -1);
    PUT_UINT(o, ",\"requests\":", sl->requests);
    guard_put_lit(o, ",\"consistent\":");
    put_bool(o, w->consistent);
    render_backend(sl, o);
    render_wait(w, o);
    guard_stack_render_json(w->stack, native, o);
    guard_putc(o, '}');
}

void guard_render_json_worker(const guard_worker_view_t *w, guard_sink_t *o)
{
    render_worker(w, 1, o);
}

static void render_cut(const guard_cut_view_t *v, guard_sink_t *o)
{
    const guard_cut_t *c = &v->cut;

    guard_printf(o, "{\"time_ms\":%" APR_INT64_T_FMT ",\"child\":%d,"
                 "\"thread\":%d,\"pid\":%d,\"tid\":%d,\"kind\":",
                 (apr_int64_t)apr_time_as_msec(c->when), v->child, v->thread,
                 v->pid, v->tid);
    guard_put_json_str(o, guard_cut_kind_name(c->kind));
    guard_puts(o, ",\"action\":");
    guard_put_json_str(o, c->action == GUARD_ACTION_LOG ? "log"
                       : c->action == GUARD_ACTION_CUT_HOLDER ? "cut-holder"
                       : "cut");
    guard_printf(o, ",\"done\":%s,\"syscall\":",
                 c->action != GUARD_ACTION_LOG && c->ok ? "true" : "false");
    put_wait_field(o, c->sysname, sizeof(c->sysname));
    guard_printf(o, ",\"fd\":%d,\"peer\":", c->fd);
    put_wait_field(o, c->peer, sizeof(c->peer));
    guard_puts(o, ",\"uri\":");
    PUT_FIELD(o, c->uri);
    guard_printf(o, ",\"blocked_ms\":%" APR_INT64_T_FMT ",\"idle_ms\":",
                 c->blocked_ms);
    put_int_or_null(o, c->idle_ms);
    guard_printf(o, ",\"timeout_ms\":%" APR_INT64_T_FMT "}", c->timeout_ms);
}

static void render_cuts(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    guard_puts(o, "\"backend_cuts\":[");
    for (i = 0; i < s->ncuts; i++) {
        guard_puts(o, i ? "," : "");
        render_cut(&s->cuts[i], o);
    }
    guard_puts(o, "],");
}

/* The request line of a worker view, or null. */
static void put_request_of(const guard_snapshot_t *s, int i, guard_sink_t *o)
{
    if (i < 0) {
        guard_puts(o, "null");
        return;
    }
    put_request_line(o, &s->workers[i].slot.req);
}

/* "GET /x?y" of an FPM holder, as its pool's status says it. */
static void put_fpm_request(const guard_chain_t *c, guard_sink_t *o)
{
    guard_putc(o, '"');
    guard_put_json_chars(o, c->holder_method, sizeof(c->holder_method));
    guard_putc(o, ' ');
    guard_put_json_chars(o, c->holder_uri, sizeof(c->holder_uri));
    guard_putc(o, '"');
}

/* "fpm": the holder's pool and what it waits on, or null. */
static void put_fpm_holder(const guard_snapshot_t *s, const guard_chain_t *c,
                           guard_sink_t *o)
{
    int pool = c->holder_fpm - 1;

    guard_puts(o, ",\"fpm\":");
    if (pool < 0) {
        guard_puts(o, "null");
        return;
    }
    guard_printf(o, "{\"pool\":%d,\"address\":", pool);
    put_str_or_null(o, s->fpm && pool < s->fpm->npools
                       ? s->fpm->pools[pool].addr->address : NULL);
    guard_puts(o, ",\"waits_on\":");
    PUT_FIELD(o, c->holder_wait);
    guard_puts(o, "}");
}

/* An FPM waiter's httpd request: joined, or "unknown"; null for httpd's
 * own waiters. */
static void put_behind(const guard_snapshot_t *s, const guard_lock_view_t *v,
                       int i, guard_sink_t *o)
{
    const guard_chain_waiter_t *x = &v->chain.waiters[i];
    int b = v->behind[i];

    guard_printf(o, ",\"fpm\":%s,\"httpd_request\":",
                 x->fpm ? "true" : "false");
    if (!x->fpm) {
        guard_puts(o, "null,\"httpd_worker\":null");
        return;
    }
    if (b < 0) {
        guard_puts(o, "\"unknown\",\"httpd_worker\":null");
        return;
    }
    put_request_line(o, &s->workers[b].slot.req);
    guard_printf(o, ",\"httpd_worker\":{\"pid\":%d,\"tid\":%d}",
                 s->workers[b].slot.pid, s->workers[b].slot.tid);
}

/* The holder's request and its age: an httpd worker's, or an FPM
 * worker's as its pool's status says them. */
static void put_holder_request(const guard_snapshot_t *s,
                               const guard_lock_view_t *v, guard_sink_t *o)
{
    const guard_chain_t *c = &v->chain;

    guard_puts(o, ",\"request\":");
    if (c->holder_fpm > 0) {
        put_fpm_request(c, o);
    }
    else {
        put_request_of(s, v->holder, o);
    }
    guard_puts(o, ",\"elapsed_ms\":");
    put_int_or_null(o, v->holder >= 0 ? s->workers[v->holder].elapsed_ms
                       : c->holder_fpm > 0 && c->holder_fpm_start > 0
                       ? apr_time_as_msec(s->now - c->holder_fpm_start) : -1);
}

static void render_lock_holder(const guard_snapshot_t *s,
                               const guard_lock_view_t *v, guard_sink_t *o)
{
    const guard_chain_t *c = &v->chain;
    char text[WAIT_TEXT_LEN];

    guard_printf(o, "\"holder\":{\"pid\":%d,\"tid\":", c->holder_pid);
    put_int_or_null(o, c->holder_tid > 0 ? c->holder_tid : -1);
    guard_printf(o, ",\"httpd\":%s,\"comm\":",
                 c->holder_child >= 0 ? "true" : "false");
    put_str_or_null(o, c->holder_comm[0] ? c->holder_comm : NULL);
    put_holder_request(s, v, o);
    guard_puts(o, ",\"wait\":");
    if (v->holder >= 0 && s->workers[v->holder].has_wait) {
        const guard_worker_view_t *h = &s->workers[v->holder];

        guard_puts(o, "{\"kind\":");
        guard_put_json_str(o, guard_wait_kind_name(h->slot.wait.kind));
        guard_puts(o, ",\"peer\":");
        put_wait_field(o, h->slot.wait.peer, sizeof(h->slot.wait.peer));
        guard_puts(o, ",\"idle_ms\":");
        put_int_or_null(o, h->slot.wait.idle_ms);
        guard_puts(o, ",\"for_ms\":");
        put_int_or_null(o, h->for_ms);
        guard_puts(o, ",\"text\":");
        guard_put_json_str(o, guard_wait_describe(&h->slot.wait,
                                                  h->elapsed_ms, text,
                                                  sizeof(text)));
        guard_puts(o, "}");
    }
    else {
        guard_puts(o, "null");
    }
    guard_puts(o, ",\"text\":");
    guard_put_json_str(o, guard_chain_holder_text(c, text, sizeof(text)));
    put_fpm_holder(s, c, o);
    guard_puts(o, "}");
}

static void render_lock_waiters(const guard_snapshot_t *s,
                                const guard_lock_view_t *v, guard_sink_t *o)
{
    const guard_chain_t *c = &v->chain;
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;

    guard_puts(o, "\"waiters\":[");
    for (i = 0; i < listed; i++) {
        const guard_chain_waiter_t *x = &c->waiters[i];

        guard_printf(o, "%s{\"pid\":%d,\"tid\":%d,\"request\":",
                     i ? "," : "", x->pid, x->tid);
        put_request_of(s, v->waiters[i], o);
        guard_printf(o, ",\"for_ms\":%" APR_INT64_T_FMT,
                     apr_time_as_msec(s->now - x->since));
        put_behind(s, v, (int)i, o);
        guard_puts(o, "}");
    }
    guard_puts(o, "]");
}

static void render_lock(const guard_snapshot_t *s, const guard_lock_view_t *v,
                        guard_sink_t *o)
{
    const guard_chain_t *c = &v->chain;

    guard_puts(o, "{\"path\":");
    PUT_FIELD(o, c->path);
    guard_printf(o, ",\"inode\":%" APR_UINT64_T_FMT ",\"device\":\"%x:%x\""
                 ",\"class\":\"%s\",\"for_ms\":%" APR_INT64_T_FMT
                 ",\"waiters_count\":%u,\"cut_holder\":%s,", c->ino,
                 (unsigned)(c->dev >> 32), (unsigned)(c->dev & 0xffffffffu),
                 guard_lock_class_name((int)c->lock_class), v->for_ms,
                 c->nwaiters, c->cut_holder ? "true" : "false");
    render_lock_holder(s, v, o);
    guard_puts(o, ",");
    render_lock_waiters(s, v, o);
    guard_printf(o, ",\"end_holder\":%s,\"holder_ends\":%u}",
                 c->end_holder ? "true" : "false", c->holder_ends);
}

static void render_locks(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    guard_puts(o, "\"lock_waits\":[");
    for (i = 0; i < s->nlocks; i++) {
        guard_puts(o, i ? "," : "");
        render_lock(s, &s->locks[i], o);
    }
    guard_puts(o, "],");
}

static void render_counters(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_counters_t *c = &s->counters;

    guard_printf(o, "\"counters\":{\"requests_total\":%" APR_UINT64_T_FMT
                 ",\"stuck_total\":%" APR_UINT64_T_FMT
                 ",\"samples_total\":%" APR_UINT64_T_FMT
                 ",\"wakeups_total\":%" APR_UINT64_T_FMT
                 ",\"restarts\":%u", c->requests_total, c->stuck_total,
                 c->samples_total, c->wakeups_total, c->restarts);
    guard_printf(o, ",\"backend_cuts_total\":%" APR_UINT64_T_FMT
                 ",\"backend_cuts\":{\"read\":%" APR_UINT64_T_FMT
                 ",\"write\":%" APR_UINT64_T_FMT ",\"connect\":%"
                 APR_UINT64_T_FMT "},\"backend_cuts_by_limit\":{\"max\":%"
                 APR_UINT64_T_FMT ",\"minrate\":%" APR_UINT64_T_FMT
                 "},\"backend_timeouts_logged_total\":%"
                 APR_UINT64_T_FMT, c->cuts_total, c->cuts[GUARD_CUT_READ],
                 c->cuts[GUARD_CUT_WRITE], c->cuts[GUARD_CUT_CONNECT],
                 c->limit_cuts[0], c->limit_cuts[1], c->cuts_logged_total);
    guard_printf(o, ",\"lock_waits_total\":%" APR_UINT64_T_FMT
                 ",\"lock_holder_cuts_total\":%" APR_UINT64_T_FMT
                 ",\"lock_holder_ends_total\":%" APR_UINT64_T_FMT,
                 c->lock_waits_total, c->holder_cuts_total,
                 c->holder_ends_total);
    if (s->crash) {
        guard_printf(o, ",\"crashes_total\":%" APR_UINT64_T_FMT,
                     s->crash->total);
    }
    guard_puts(o, "}");
}

void guard_render_json(const guard_snapshot_t *s, guard_sink_t *o)
{
    int i;

    guard_puts(o, "{");
    render_server(s, o);
    guard_puts(o, ",");
    render_summary(s, o);
    guard_puts(o, ",\"children\":[");
    for (i = 0; i < s->nchildren; i++) {
        guard_puts(o, i ? "," : "");
        render_child(&s->children[i], o);
    }
    guard_puts(o, "],\"workers\":[");
    for (i = 0; i < s->nworkers; i++) {
        if (i) {
            guard_putc(o, ',');
        }
        /* Native frames of stuck workers only, at most
         * GUARD_LIST_NATIVE_MAX: thousands of busy workers' are megabytes
         * (?stack=<child>.<thread> has any). */
        render_worker(&s->workers[i], s->workers[i].list_native, o);
    }
    guard_puts(o, "],");
    render_cuts(s, o);
    render_locks(s, o);
    if (s->crash) {
        guard_crash_render_json(s->crash, o);
    }
    if (s->fpm) {
        guard_fpm_render_json(s->fpm, s, o);
    }
    render_counters(s, o);
    guard_puts(o, "}\n");
}
