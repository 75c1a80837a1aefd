/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request and connection hooks: the worker thread keeps its own slot up to
 * date. Only the thread that owns a slot writes its worker part, so a
 * hook running on another thread (event MPM write completion) leaves it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_log.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "scoreboard.h"
#include "apr_portable.h"
#include "guard_log.h"
#include "guard_reqcopy.h"
#include "mod_guard_fpm_sess.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_child.h"
#include "mod_guard_shm.h"
#include "mod_guard_watchdog.h"
#include "guard_seq.h"

APLOG_USE_MODULE(guard);

/* The thread's last virtual host: slot->req.vhost is a verbatim copy.
 * Initial-exec TLS, as the thread's slot (mod_guard_child.c). */
static __thread int vhost_plain __attribute__((tls_model("initial-exec")));

/* Read once per child: only an async MPM (event) moves a connection
 * between threads. */
static int mpm_async;
/* The stream connection whose request this thread serves now (a stream's
 * connection serves one request; see guard_post_read_request). */
static __thread conn_rec *stream_conn
    __attribute__((tls_model("initial-exec")));

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

static int client_fd_of(conn_rec *c)
{
    apr_socket_t *csd = ap_get_conn_socket(c);
    apr_os_sock_t fd = -1;

    if (csd) {
        apr_os_sock_get(&fd, csd);
    }
    return fd;
}

/* No cleanup on the connection's pool: when the connection ends the
 * scoreboard says so (SERVER_READY), and the snapshot and the watchdog
 * read that (guard_glue_thread_released), so the slot is left as it is.
 * An HTTP/2 stream (a secondary connection on a mod_http2 worker) is the
 * client connection's: its socket (csd is a stand-in of mod_http2's), its
 * id; guard_process_connection tells when the stream's request is over. */
static int guard_pre_connection(conn_rec *c, void *csd)
{
    guard_slot_t *s = guard_glue_thread_enter(c);
    apr_os_sock_t fd = -1;

    if (!s) {
        return OK;
    }
    if (c->master) {
        fd = client_fd_of(c->master);
        stream_conn = NULL;
    }
    else if (csd) {
        apr_os_sock_get(&fd, csd);
    }
    guard_seq_write_begin(&s->seq);
    s->client_fd = fd;
    s->conn_id = c->master ? c->master->id : c->id;
    s->conn_start = apr_time_now();
    s->req_start = 0;
    s->done_req_start = 0;
    s->stream_id = 0;
    s->h2_conn = 0;
    s->state = GUARD_WS_READ;
    guard_seq_write_end(&s->seq);
    return OK;
}

static const char *vhost_of(request_rec *r)
{
    return r->hostname ? r->hostname : r->server->server_hostname;
}

/* Fixed strings for what nearly every request says: a short memcpy
 * instead of a sanitized copy. httpd numbers a method M_GET only when it
 * is exactly "GET" or "HEAD", M_POST only when it is "POST". */
#define COPY_CONST(dst, str) memcpy((dst), (str), sizeof(str))

static void copy_method(char *dst, apr_size_t len, request_rec *r)
{
    if (r->method_number == M_GET && r->method[0] == 'G') {
        COPY_CONST(dst, "GET");
    }
    else if (r->method_number == M_GET) {
        COPY_CONST(dst, "HEAD");
    }
    else if (r->method_number == M_POST) {
        COPY_CONST(dst, "POST");
    }
    else {
        guard_copy_sanitized(dst, len, r->method, 0);
    }
}

/* "HTTP/1.x", compared a byte at a time: never read past its end. */
static int is_http1x(const char *p)
{
    return p[0] == 'H' && p[1] == 'T' && p[2] == 'T' && p[3] == 'P'
           && p[4] == '/' && p[5] == '1' && p[6] == '.'
           && (p[7] == '1' || p[7] == '0') && p[8] == '\0';
}

/* mod_http2 names each stream's request "HTTP/2.0". */
static int is_http20(const char *p)
{
    return p[0] == 'H' && p[1] == 'T' && p[2] == 'T' && p[3] == 'P'
           && p[4] == '/' && p[5] == '2' && p[6] == '.' && p[7] == '0'
           && p[8] == '\0';
}

static void copy_protocol(char *dst, apr_size_t len, request_rec *r)
{
    if (r->connection->master ? is_http20(r->protocol)
                              : is_http1x(r->protocol)) {
        memcpy(dst, r->protocol, sizeof("HTTP/1.1"));
    }
    else {
        guard_copy_sanitized(dst, len, r->protocol, 0);
    }
}

/* Most workers serve one virtual host over and over: when the slot holds
 * the same name verbatim already, it is left as it is. */
static void copy_vhost(char *dst, apr_size_t len, request_rec *r)
{
    const char *v = vhost_of(r);

    if (vhost_plain && v && strcmp(dst, v) == 0) {
        return;
    }
    vhost_plain = guard_copy_verbatim(dst, len, v);
    if (!vhost_plain) {
        guard_copy_sanitized(dst, len, v, 0);
    }
}

/* The connection's own address was printed by APR: plain already. Only a
 * module that changed it (mod_remoteip) needs the sanitized copy. */
static void copy_client(char *dst, apr_size_t len, request_rec *r)
{
    const char *ip = r->useragent_ip;
    apr_size_t n;

    if (ip && ip == r->connection->client_ip && (n = strlen(ip)) < len) {
        memcpy(dst, ip, n + 1);
    }
    else {
        guard_copy_sanitized(dst, len, ip, 0);
    }
}

static void copy_request(guard_req_t *q, request_rec *r, int show_query)
{
    copy_method(q->method, sizeof(q->method), r);
    guard_copy_sanitized(q->uri, sizeof(q->uri), r->unparsed_uri,
                         GUARD_COPY_URI
                         | (show_query ? GUARD_COPY_SHOW_QUERY : 0));
    copy_protocol(q->protocol, sizeof(q->protocol), r);
    copy_vhost(q->vhost, sizeof(q->vhost), r);
    copy_client(q->client, sizeof(q->client), r);
}

/* The request's GuardBackendTimeout, into its slot (within a write). */
static void set_backend(guard_slot_t *s, const guard_req_conf_t *rc)
{
    s->backend_timeout = rc->backend_timeout;
    s->backend_max = rc->backend_max;
    s->backend_minrate = rc->backend_minrate;
    s->backend_action = (apr_uint32_t)rc->backend_action;
    s->stuck_timeout_ms = rc->stuck_timeout_ms;
}

/* Very first at request start: the copy the page and the logs show, with
 * the virtual host's GuardBackendTimeout and GuardStatusShowQuery; the
 * header_parser hook, where registered, applies per-directory ones. Under
 * an async MPM the request may run on another thread than the one that
 * saw the connection start, so the client's fd is set again. */
static int guard_post_read_request(request_rec *r)
{
    guard_slot_t *s;
    guard_watch_t *w;
    guard_req_conf_t rc;
    guard_sess_t sess;
    apr_uint32_t qhash;

    guard_crash_child_request();
    if (r->main || r->prev || !(s = guard_glue_thread_enter(r->connection))) {
        return DECLINED;
    }
    if (r->connection->master) {
        if (stream_conn == r->connection) {
            /* mod_http2 answers a stream whose request failed with a
             * request of its own, after the first one's end (a stream's
             * connection serves one request): not a new request. */
            return DECLINED;
        }
        stream_conn = r->connection;
    }
    guard_conf_request(r, &rc);
    guard_fpm_sess_note(r, &sess);
    qhash = guard_fpm_query_of(r);
    guard_seq_write_begin(&s->seq);
    if (!r->connection->master && mpm_async) {
        s->client_fd = client_fd_of(r->connection);
        s->conn_id = r->connection->id;
    }
    s->req_start = r->request_time;
    s->cpu_start_us = thread_cpu_us();
    copy_request(&s->req, r, rc.show_query);
    set_backend(s, &rc);
    s->show_query = (apr_uint32_t)rc.show_query;
    s->requests++;
    s->state = GUARD_WS_BUSY;
    s->done_req_start = 0;
    s->sess = sess;
    s->query_hash = qhash;
    guard_seq_write_end(&s->seq);
    if ((w = guard_glue_watch()) != NULL) {
        guard_watch_request_started(w);
    }
    return DECLINED;
}

/* The slot, when this thread still serves r in it. */
static guard_slot_t *own_slot(request_rec *r)
{
    guard_slot_t *s = guard_glue_thread_slot();

    if (!s || s->tid != guard_glue_thread_tid()
        || s->req_start != r->request_time || s->state != GUARD_WS_BUSY) {
        return NULL;
    }
    return s;
}

/* Per-directory config is merged now: the request's own backend timeout,
 * and its query where GuardStatusShowQuery allows. */
static int guard_header_parser(request_rec *r)
{
    guard_slot_t *s;
    guard_req_conf_t rc;

    if (r->main || !(s = own_slot(r))) {
        return DECLINED;
    }
    guard_conf_request(r, &rc);
    if (rc.backend_timeout == s->backend_timeout
        && rc.backend_max == s->backend_max
        && rc.backend_minrate == s->backend_minrate
        && (apr_uint32_t)rc.backend_action == s->backend_action
        && rc.stuck_timeout_ms == s->stuck_timeout_ms
        && (apr_uint32_t)rc.show_query == s->show_query) {
        return DECLINED;
    }
    guard_seq_write_begin(&s->seq);
    set_backend(s, &rc);
    if ((apr_uint32_t)rc.show_query != s->show_query) {
        s->show_query = (apr_uint32_t)rc.show_query;
        guard_copy_sanitized(s->req.uri, sizeof(s->req.uri), r->unparsed_uri,
                             GUARD_COPY_URI
                             | (rc.show_query ? GUARD_COPY_SHOW_QUERY : 0));
    }
    guard_seq_write_end(&s->seq);
    return DECLINED;
}

/* The request is done; the connection (its age in conn_start) goes on.
 * httpd logs from a cleanup of the request's pool (the EOR bucket's), the
 * last one registered, so the handlers' cleanups still run after this:
 * the request is kept as the last one this thread served
 * (done_req_start), until its next request or connection. Nothing marks
 * the end of the cleanups: a pool cleanup per request would cost about
 * 80 instructions (callgrind, hello.php) on the request path. */
static int guard_log_transaction(request_rec *r)
{
    guard_slot_t *s;

    /* A stream's is logged on its client connection's thread: its end
     * was seen by the stream's own thread (guard_process_connection). */
    if (r->main || r->connection->master || !(s = own_slot(r))) {
        return DECLINED;
    }
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_KEEPALIVE;
    s->done_req_start = s->req_start;
    s->req_start = 0;
    s->sess.ino = 0;              /* its session file is no longer its */
    guard_seq_write_end(&s->seq);
    return DECLINED;
}

/* A number of up to 9 digits, or 0. */
static apr_int32_t small_number(const char *v)
{
    apr_uint32_t n = 0, d;
    int i;

    for (i = 0; i < 9 && (d = (unsigned char)v[i] - '0') <= 9; i++) {
        n = n * 10 + d;
    }
    return v[i] == '\0' ? (apr_int32_t)n : 0;
}

/* The name is a constant of mod_http2's own (in its image, as its module
 * record is), not a copy another module made in a pool whose memory may
 * hold other names later. */
static int in_mod_http2(const char *key)
{
    module *h2 = ap_find_linked_module("mod_http2.c");
    Dl_info k, m;

    return h2 && dladdr(key, &k) && dladdr(h2, &m)
           && k.dli_fbase == m.dli_fbase;
}

/* mod_http2's fixups add its variables to the environment in a fixed
 * order, H2_STREAM_ID and H2_STREAM_TAG last, each named by the same
 * constant string every time (apr_table_setn): looked for among the last
 * few entries by that string's address once a first look has found it,
 * a table lookup when another module added entries after them. */
static const char *volatile key_seen;
static volatile int key_looked;       /* dladdr() once a child, at most */

/* The look by name, out of line: the look by address is all that runs
 * once the name's address is known. */
static const char *__attribute__((noinline))
stream_id_by_name(const apr_table_entry_t *e, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        if (e[i].key && strcmp(e[i].key, "H2_STREAM_ID") == 0) {
            if (!key_seen && !key_looked) {
                key_looked = 1;
                if (in_mod_http2(e[i].key)) {
                    key_seen = e[i].key;
                }
            }
            return e[i].val;
        }
    }
    return NULL;
}

static const char *stream_id_var(request_rec *r)
{
    const apr_array_header_t *a = apr_table_elts(r->subprocess_env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    const char *key = key_seen;
    int i, stop = a->nelts > 3 ? a->nelts - 3 : 0;

    for (i = a->nelts - 1; key && i >= stop; i--) {
        if (e[i].key == key) {
            return e[i].val;
        }
    }
    return stream_id_by_name(e, a->nelts);
}

/* A stream's id, from the variable mod_http2 puts in every stream
 * request's environment in its fixups (H2_STREAM_ID): asking mod_http2
 * for it at the request's start would format it a second time, about
 * 1,000 instructions a request. Until fixups the row has no stream id. */
static int guard_fixups(request_rec *r)
{
    guard_slot_t *s;
    const char *v;
    apr_int32_t id;

    if (!r->connection->master || r->main || !(s = own_slot(r))
        || !(v = stream_id_var(r))
        || (id = small_number(v)) == s->stream_id) {
        return DECLINED;
    }
    guard_seq_write_begin(&s->seq);
    s->stream_id = id;
    guard_seq_write_end(&s->seq);
    return DECLINED;
}

/* The end of a stream's request, on its mod_http2 worker: the request
 * is logged and its pool cleaned up later, on the client connection's
 * thread; this thread is free again. */
static void stream_over(void)
{
    guard_slot_t *s = guard_glue_thread_slot();

    stream_conn = NULL;
    if (s && s->tid == guard_glue_thread_tid()
        && s->state == GUARD_WS_BUSY) {
        guard_seq_write_begin(&s->seq);
        s->state = GUARD_WS_IDLE;
        s->done_req_start = s->req_start;
        s->req_start = 0;
        s->sess.ino = 0;
        guard_seq_write_end(&s->seq);
    }
}

/* A stream's connection is processed by mod_http2's process_connection
 * hook on one of its workers: the stream's request, from its start to
 * the end of its response's last pass down the filters, then back to
 * the worker's loop. Run first, this one runs the hooks itself (its own
 * turn declines inside) and so sees them return on the stream's own
 * thread: the only point there after the request's end. An output
 * filter seeing the request's EOR bucket pass said the same, but added
 * to every stream and called for every brigade, at about 160
 * instructions a stream; this costs about 75. httpd ignores what
 * process_connection returns; once the hooks have had their turn here
 * they do not run again. */
static int guard_process_connection(conn_rec *c)
{
    static __thread int inside __attribute__((tls_model("initial-exec")));
    int rv;

    if (!c->master || inside) {
        return DECLINED;
    }
    inside = 1;
    rv = ap_run_process_connection(c);
    inside = 0;
    stream_over();
    return rv == DECLINED ? DONE : rv;
}

/* A connection switched to HTTP/2 (ALPN, or an h2c Upgrade whose request
 * handler then runs the whole session): its thread serves no request of
 * its own from now on, only the streams' frames; it is never stuck. */
static int guard_protocol_switch(conn_rec *c, request_rec *r, server_rec *s,
                                 const char *protocol)
{
    guard_slot_t *sl = guard_glue_thread_slot();

    if (c->master || !sl || sl->tid != guard_glue_thread_tid()
        || !protocol || strncmp(protocol, "h2", 2) != 0) {
        return DECLINED;
    }
    guard_seq_write_begin(&sl->seq);
    sl->h2_conn = 1;
    sl->conn_id = c->id;
    sl->state = GUARD_WS_READ;
    sl->req_start = 0;
    guard_seq_write_end(&sl->seq);
    return DECLINED;
}

/* A prefork child's worker is the process's only thread until mod_guard
 * starts its own. From then on glibc brackets every blocking system call
 * of the worker (accept, read, writev, poll, close ...) with two atomic
 * updates of its cancellation type, in case the thread is cancelled while
 * blocked. Nothing in httpd cancels a worker: with cancellation disabled
 * and the type already asynchronous (which, disabled, never acts), the
 * brackets find nothing to change. Threaded MPMs are left as they are. */
static void worker_not_cancellable(void)
{
    int threaded = 0, old;

    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS
        || threaded != AP_MPMQ_NOT_SUPPORTED) {
        return;
    }
    if (pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) == 0) {
        pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    }
}

static void guard_request_child_init(apr_pool_t *p, server_rec *s)
{
    int async = 0;

    mpm_async = ap_mpm_query(AP_MPMQ_IS_ASYNC, &async) == APR_SUCCESS
                && async;
    worker_not_cancellable();
}

static int guard_request_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                    apr_pool_t *ptemp)
{
    guard_conf_read_begins();
    return OK;
}

/* The request start took its virtual host's values; a second look once
 * per-directory config is merged is only needed where they may differ.
 * Hooks are registered anew at every configuration cycle, so this one is
 * added (after the others: it declines) only when the one just read
 * needs it. */
static int guard_request_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                     apr_pool_t *ptemp, server_rec *s)
{
    int vary = guard_conf_dir_values_vary(s);

    if (vary) {
        ap_hook_header_parser(guard_header_parser, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_DIR_PASS
                 ": per-directory GuardBackendTimeout/GuardStuckTimeout/"
                 "GuardStatusShowQuery %s", vary ? "in use or allowed in .htaccess: requests are "
                 "looked at again after per-directory configuration"
                 : "not used: the virtual host's values apply");
    return OK;
}

void guard_request_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(guard_request_child_init, NULL, NULL,
                       APR_HOOK_REALLY_FIRST);
    ap_hook_pre_connection(guard_pre_connection, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_post_read_request(guard_post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_pre_config(guard_request_pre_config, NULL, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_post_config(guard_request_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_log_transaction(guard_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_LAST);
    ap_hook_protocol_switch(guard_protocol_switch, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(guard_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_process_connection(guard_process_connection, NULL, NULL,
                               APR_HOOK_REALLY_FIRST);
}
