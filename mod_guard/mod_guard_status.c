/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard-status handler and the section in mod_status's page, and the
 * page producer they share with the out-of-band listener
 * (mod_guard_listen.c): parse the query -> take a snapshot -> render.
 * Whatever the handler serves, the listener serves too: new formats and
 * query tokens belong in guard_page_prepare and render.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "ap_mpm.h"
#include "scoreboard.h"
#include "mod_status.h"
#include "guard_crash_sym.h"
#include "guard_crash_view.h"
#include "guard_log.h"
#include "guard_status_query.h"
#include "guard_status_auto.h"
#include "guard_status_html.h"
#include "guard_status_json.h"
#include "guard_status_pages.h"
#include "guard_status_prom.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_config.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_fpm.h"
#include "mod_guard_shm.h"
#include "mod_guard_status.h"

APLOG_USE_MODULE(guard);

#define GUARD_HANDLER "guard-status"

/* The page goes out in pieces of this size, each in one bucket. */
#define GUARD_OUT_CHUNK 65536

typedef struct {
    request_rec *r;
    apr_bucket_brigade *bb;
    apr_status_t rv;              /* the first failure: the rest is dropped */
} page_out_t;

/* A piece of the page down the filter chain; a filter that keeps it sets
 * the transient bucket aside. */
static void write_to_request(void *ctx, const char *data, apr_size_t len)
{
    page_out_t *po = ctx;
    apr_bucket *b;

    if (po->rv != APR_SUCCESS) {
        return;
    }
    b = apr_bucket_transient_create(data, len, po->bb->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(po->bb, b);
    po->rv = ap_pass_brigade(po->r->output_filters, po->bb);
    apr_brigade_cleanup(po->bb);
}

static void render_to_request(request_rec *r, guard_page_t *pg)
{
    page_out_t po;
    guard_sink_t out;

    po.r = r;
    po.bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    po.rv = APR_SUCCESS;
    guard_sink_init(&out, apr_palloc(r->pool, GUARD_OUT_CHUNK),
                    GUARD_OUT_CHUNK, write_to_request, &po);
    guard_page_render(pg, &out);
    guard_sink_flush(&out);
}

static void server_info(server_rec *s, const guard_shm_t *shm,
                        guard_server_info_t *info)
{
    memset(info, 0, sizeof(*info));
    info->version = ap_get_server_description();
    info->mpm = ap_show_mpm();
    info->hostname = s->server_hostname ? s->server_hostname : "";
    info->started = ap_scoreboard_image
                    ? ap_scoreboard_image->global->restart_time : 0;
    info->generation = shm->hdr->generation;
    info->stuck_threshold = guard_conf_stuck(s);
    info->watch_interval = guard_conf_interval(s);
    info->server_limit = shm->server_limit;
    info->thread_limit = shm->thread_limit;
    info->thread_released = guard_glue_thread_released;
    info->thread_gone = guard_glue_thread_gone;
}

/* The main server: directives of the page are server config only. */
static server_rec *main_server(server_rec *s)
{
    return ap_server_conf ? ap_server_conf : s;
}

guard_snapshot_t *guard_page_snapshot(apr_pool_t *p, server_rec *s)
{
    guard_shm_t *shm = guard_glue_shm();
    guard_crash_shm_t *c = guard_glue_crash_shm();
    guard_server_info_t info;
    guard_snapshot_t *snap;

    if (!shm) {
        return NULL;
    }
    server_info(main_server(s), shm, &info);
    snap = guard_snapshot_take(p, shm, &info, apr_time_now());
    if (c) {
        snap->crash = guard_crash_view_take(p, c, info.generation, snap->now,
                                            guard_symbolize_dladdr, NULL);
    }
    snap->fpm = guard_glue_fpm_view(p, snap, main_server(s));
    return snap;
}

static int selects_one(const guard_query_t *q)
{
    return q->crash > 0 || q->child >= 0 || q->stack_child >= 0;
}

/* ?crash=<id> and ?child=<n> name something that may not exist: look
 * before the status line is sent. */
static int selected_exists(const guard_snapshot_t *snap,
                           const guard_query_t *q)
{
    if (q->crash > 0) {
        return snap->crash && guard_crash_view_find(
                                  snap->crash, (apr_uint64_t)q->crash);
    }
    if (q->stack_child >= 0) {
        return guard_snapshot_worker(snap, q->stack_child, q->stack_thread)
               != NULL;
    }
    return q->child < snap->server.server_limit;
}

/* One crash record or one child's page: HTML, or JSON when asked for. */
static void render_selected(apr_pool_t *pool, const guard_snapshot_t *snap,
                            const guard_query_t *q, guard_sink_t *out)
{
    int json = q->format == GUARD_FMT_JSON;

    if (q->crash > 0) {
        guard_render_crash_page(snap, guard_crash_view_find(
                                    snap->crash, (apr_uint64_t)q->crash),
                                json, out);
        return;
    }
    if (q->stack_child >= 0) {
        const guard_worker_view_t *w = guard_snapshot_worker(
            snap, q->stack_child, q->stack_thread);

        guard_snapshot_native(pool, w);
        guard_render_stack_page(snap, w, json, out);
        return;
    }
    guard_render_child_page(snap, q->child, json, out);
}

static const char *content_type(guard_format_e f)
{
    switch (f) {
    case GUARD_FMT_JSON:       return "application/json";
    case GUARD_FMT_PROMETHEUS: return "text/plain; version=0.0.4; charset=utf-8";
    case GUARD_FMT_AUTO:       return "text/plain; charset=utf-8";
    default:                   return "text/html; charset=utf-8";
    }
}

void guard_page_prepare(guard_page_t *pg, apr_pool_t *p, server_rec *s,
                        const char *args)
{
    const char *err;

    memset(pg, 0, sizeof(*pg));
    pg->pool = p;
    pg->server = main_server(s);
    pg->status = HTTP_OK;
    if ((err = guard_query_parse(p, args, &pg->query)) != NULL) {
        pg->status = HTTP_BAD_REQUEST;
        pg->message = err;
    }
    else if (!guard_glue_shm()) {
        pg->status = HTTP_SERVICE_UNAVAILABLE;
        pg->message = "mod_guard has no shared memory";
    }
    else if (selects_one(&pg->query)) {
        if (pg->query.format != GUARD_FMT_JSON) {
            pg->query.format = GUARD_FMT_HTML;
        }
        pg->snap = guard_page_snapshot(p, pg->server);
        if (!pg->snap || !selected_exists(pg->snap, &pg->query)) {
            pg->status = HTTP_NOT_FOUND;
            pg->message = "no such crash record, child slot or worker";
        }
    }
    pg->content_type = pg->status == HTTP_OK
                       ? content_type(pg->query.format)
                       : "text/plain; charset=utf-8";
}

static void render(const guard_snapshot_t *snap, const guard_query_t *q,
                   guard_sink_t *out)
{
    switch (q->format) {
    case GUARD_FMT_JSON:       guard_render_json(snap, out); break;
    case GUARD_FMT_PROMETHEUS:
        guard_render_prometheus(snap, q->pids, out);
        break;
    case GUARD_FMT_AUTO:       guard_render_auto(snap, out); break;
    default:                   guard_render_html(snap, q->refresh, out); break;
    }
}

void guard_page_render(guard_page_t *pg, guard_sink_t *out)
{
    guard_snapshot_t *snap;

    if (pg->status != HTTP_OK) {
        return;
    }
    snap = pg->snap ? pg->snap : guard_page_snapshot(pg->pool, pg->server);
    if (!snap) {
        return;
    }
    if (selects_one(&pg->query)) {
        render_selected(pg->pool, snap, &pg->query, out);
        return;
    }
    render(snap, &pg->query, out);
}

/* The page itself, apart from the check below: its frame (the page's
 * query and state on the stack) is set up only for the page's requests. */
static int __attribute__((noinline)) serve_status(request_rec *r)
{
    guard_page_t pg;

    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    guard_page_prepare(&pg, r->pool, r->server, r->args);
    if (pg.status == HTTP_BAD_REQUEST) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, GRD_BAD_QUERY ": %s",
                      pg.message);
        apr_table_setn(r->notes, "error-notes",
                       ap_escape_html(r->pool, pg.message));
    }
    if (pg.status != HTTP_OK) {
        return pg.status;
    }
    ap_set_content_type(r, pg.content_type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    render_to_request(r, &pg);
    return OK;
}

/* Every request that reaches the handler phase comes here: the first
 * byte turns nearly all of them away without a strcmp call. */
static int guard_status_handler(request_rec *r)
{
    if (!r->handler || r->handler[0] != GUARD_HANDLER[0]
        || strcmp(r->handler, GUARD_HANDLER)) {
        return DECLINED;
    }
    return serve_status(r);
}

/* A short section in mod_status's /server-status. */
static int guard_status_hook(request_rec *r, int flags)
{
    guard_snapshot_t *snap = guard_page_snapshot(r->pool, r->server);

    if (!snap) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "GuardWorkers: %d\nGuardBusyWorkers: %d\n"
                   "GuardStuckWorkers: %d\nGuardRequestsTotal: %"
                   APR_UINT64_T_FMT "\nGuardStuckTotal: %" APR_UINT64_T_FMT
                   "\n", snap->nworkers, snap->busy, snap->stuck,
                   snap->counters.requests_total, snap->counters.stuck_total);
        return OK;
    }
    ap_rprintf(r, "<hr />\n<h2>mod_guard</h2>\n<p>%d of %d workers stuck "
               "(requests older than %" APR_TIME_T_FMT " ms), %d busy; "
               "%" APR_UINT64_T_FMT " requests seen. Details on the "
               "<code>guard-status</code> handler's page.</p>\n",
               snap->stuck, snap->nworkers,
               apr_time_as_msec(snap->server.stuck_threshold), snap->busy,
               snap->counters.requests_total);
    return OK;
}

void guard_status_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(guard_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, guard_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
