/*
 * Request and connection hooks: the worker thread keeps its own slot up to
 * date. Only the thread that owns a slot writes its worker part, so a
 * hook running on another thread (event MPM write completion) leaves it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_protocol.h"
#include "http_request.h"
#include "scoreboard.h"
#include "apr_portable.h"
#include "guard_reqcopy.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_request.h"
#include "mod_guard_shm.h"
#include "mod_guard_watchdog.h"

/* A worker thread keeps its scoreboard index for life in every MPM, so
 * its slot and tid are looked up once per thread. */
typedef struct {
    guard_slot_t *slot;
    pid_t tid;
} thread_self_t;

static __thread thread_self_t self;

guard_slot_t *guard_glue_thread_slot(void)
{
    return self.slot;
}

static pid_t tid_self(void)
{
    if (!self.tid) {
#ifdef SYS_gettid
        self.tid = (pid_t)syscall(SYS_gettid);
#else
        self.tid = getpid();
#endif
    }
    return self.tid;
}

static apr_int64_t thread_cpu_us(void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
        return (apr_int64_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
    }
#endif
    return -1;
}

/* The slot of the worker serving c: its offset in the scoreboard. */
static guard_slot_t *lookup_slot(conn_rec *c)
{
    guard_shm_t *shm = guard_glue_shm();
    worker_score *ws;

    if (!shm || !c->sbh || !ap_scoreboard_image) {
        return NULL;
    }
    ws = ap_get_scoreboard_worker(c->sbh);
    if (!ws) {
        return NULL;
    }
    return guard_shm_slot_at(shm, (int)(ws - ap_scoreboard_image->servers[0]));
}

static guard_slot_t *slot_of(conn_rec *c)
{
    if (c->master || c->outgoing) {
        return NULL;
    }
    if (!self.slot) {
        self.slot = lookup_slot(c);
    }
    return self.slot;
}

typedef struct {
    guard_slot_t *slot;
    int fd;
} conn_note_t;

static apr_status_t conn_ended(void *data)
{
    conn_note_t *n = data;
    guard_slot_t *s = n->slot;

    if (s->tid != tid_self() || s->client_fd != n->fd) {
        return APR_SUCCESS;
    }
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_IDLE;
    s->client_fd = -1;
    s->req_start = 0;
    guard_seq_write_end(&s->seq);
    return APR_SUCCESS;
}

static int guard_pre_connection(conn_rec *c, void *csd)
{
    guard_slot_t *s = slot_of(c);
    apr_os_sock_t fd = -1;
    conn_note_t *n;

    if (!s) {
        return OK;
    }
    if (csd) {
        apr_os_sock_get(&fd, csd);
    }
    guard_seq_write_begin(&s->seq);
    s->pid = getpid();
    s->tid = tid_self();
    s->generation = guard_glue_generation();
    s->client_fd = fd;
    s->conn_start = apr_time_now();
    s->req_start = 0;
    s->state = GUARD_WS_READ;
    guard_seq_write_end(&s->seq);
    n = apr_palloc(c->pool, sizeof(*n));
    n->slot = s;
    n->fd = fd;
    apr_pool_cleanup_register(c->pool, n, conn_ended, apr_pool_cleanup_null);
    return OK;
}

static const char *vhost_of(request_rec *r)
{
    return r->hostname ? r->hostname : r->server->server_hostname;
}

static void copy_request(guard_req_t *q, request_rec *r, int show_query)
{
    guard_copy_sanitized(q->method, sizeof(q->method), r->method, 0);
    guard_copy_sanitized(q->uri, sizeof(q->uri), r->unparsed_uri,
                         GUARD_COPY_URI
                         | (show_query ? GUARD_COPY_SHOW_QUERY : 0));
    guard_copy_sanitized(q->protocol, sizeof(q->protocol), r->protocol, 0);
    guard_copy_sanitized(q->vhost, sizeof(q->vhost), vhost_of(r), 0);
    guard_copy_sanitized(q->client, sizeof(q->client), r->useragent_ip, 0);
}

/* Very first at request start: the copy the page and the logs show. The
 * query is redacted here, before per-directory config is known; the
 * header_parser hook puts it back where GuardStatusShowQuery allows. */
static int guard_post_read_request(request_rec *r)
{
    guard_slot_t *s;
    guard_watch_t *w;
    int action;

    if (r->main || r->prev || !(s = slot_of(r->connection))) {
        return DECLINED;
    }
    guard_seq_write_begin(&s->seq);
    s->pid = getpid();
    s->tid = tid_self();
    s->generation = guard_glue_generation();
    s->req_start = r->request_time;
    s->cpu_start_us = thread_cpu_us();
    copy_request(&s->req, r, 0);
    s->backend_timeout = guard_conf_backend(r, &action);
    s->backend_action = (apr_uint32_t)action;
    s->show_query = 0;
    s->requests++;
    s->state = GUARD_WS_BUSY;
    guard_seq_write_end(&s->seq);
    if ((w = guard_glue_watch()) != NULL) {
        guard_watch_request_started(w);
    }
    return DECLINED;
}

static guard_slot_t *own_slot(request_rec *r)
{
    guard_slot_t *s = slot_of(r->connection);

    if (!s || s->tid != tid_self() || s->req_start != r->request_time
        || s->state != GUARD_WS_BUSY) {
        return NULL;
    }
    return s;
}

/* Per-directory config is merged now: the request's own backend timeout,
 * and its query where GuardStatusShowQuery allows. */
static int guard_header_parser(request_rec *r)
{
    guard_slot_t *s;
    int action, show;
    apr_interval_time_t timeout;

    if (r->main || !(s = own_slot(r))) {
        return DECLINED;
    }
    timeout = guard_conf_backend(r, &action);
    show = guard_conf_show_query(r);
    guard_seq_write_begin(&s->seq);
    s->backend_timeout = timeout;
    s->backend_action = (apr_uint32_t)action;
    s->show_query = (apr_uint32_t)show;
    if (show) {
        guard_copy_sanitized(s->req.uri, sizeof(s->req.uri), r->unparsed_uri,
                             GUARD_COPY_URI | GUARD_COPY_SHOW_QUERY);
    }
    guard_seq_write_end(&s->seq);
    return DECLINED;
}

static int guard_log_transaction(request_rec *r)
{
    guard_slot_t *s;

    if (r->main || !(s = own_slot(r))) {
        return DECLINED;
    }
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_KEEPALIVE;
    s->req_start = 0;
    s->conn_start = apr_time_now();
    guard_seq_write_end(&s->seq);
    return DECLINED;
}

void guard_request_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_connection(guard_pre_connection, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_post_read_request(guard_post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(guard_header_parser, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    ap_hook_log_transaction(guard_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_LAST);
}
