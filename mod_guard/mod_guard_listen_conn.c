/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One connection of the status listener: read a request head (8 KiB and
 * 2 s at most), check its Host, answer it with the page the guard-status
 * handler would serve, or with an error, then close; or refuse a client
 * outside GuardStatusAllow without reading or waiting. Every wait is a
 * poll() bounded by a deadline that also watches the child's stop
 * eventfd, so a slow or silent client costs this thread at most the
 * deadlines in mod_guard_listen.h (and only GUARD_LISTEN_GRACE while
 * other clients wait), and never delays a child's exit.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_strings.h"
#include "guard_listen_http.h"
#include "guard_listen_host.h"
#include "guard_log.h"
#include "guard_sink.h"
#include "mod_guard.h"
#include "mod_guard_listen.h"
#include "mod_guard_status.h"

APLOG_USE_MODULE(guard);

typedef enum { IO_READY, IO_TIMEOUT, IO_ABORT } io_e;

typedef struct {
    guard_listen_conn_t *c;
    apr_time_t deadline;
    apr_time_t accepted;
    char buf[GUARD_HTTP_MAX_HEAD + 1];
    apr_size_t len;
    int head;                   /* a HEAD request: no body in any answer */
} conn_t;

/* Wait until the socket is ready for events, the deadline passes, or the
 * child stops. With impatient set, another connection waiting on the
 * listening socket cuts the deadline to GUARD_LISTEN_GRACE after accept:
 * a silent client holds the thread only while nobody else needs it. */
static io_e wait_io(conn_t *cn, short events, int impatient)
{
    struct pollfd p[3];
    int n = impatient && cn->c->listen_fd >= 0 ? 3 : 2;

    p[0].fd = cn->c->fd;
    p[0].events = events;
    p[1].fd = cn->c->stop_fd;
    p[1].events = POLLIN;
    p[2].fd = cn->c->listen_fd;
    p[2].events = POLLIN;
    for (;;) {
        apr_interval_time_t left = cn->deadline - apr_time_now();
        int rc;

        if (left <= 0) {
            return IO_TIMEOUT;
        }
        p[0].revents = p[1].revents = p[2].revents = 0;
        rc = poll(p, n, (int)((left + 999) / 1000));
        if (rc < 0 && errno != EINTR) {
            return IO_ABORT;
        }
        if (rc <= 0) {
            continue;
        }
        if (p[1].revents) {
            return IO_ABORT;
        }
        if (p[0].revents) {
            return IO_READY;
        }
        if (cn->deadline > cn->accepted + GUARD_LISTEN_GRACE) {
            cn->deadline = cn->accepted + GUARD_LISTEN_GRACE;
        }
        n = 2;
    }
}

/* Read until the parser decides; on IO_ABORT the client is gone. */
static io_e read_head(conn_t *cn, guard_http_req_t *req)
{
    int eof = 0;

    for (;;) {
        ssize_t n;
        io_e w;

        if (guard_http_parse(cn->buf, cn->len, eof, cn->c->pool, req)
            != GUARD_HTTP_MORE) {
            return IO_READY;
        }
        if ((w = wait_io(cn, POLLIN, 1)) != IO_READY) {
            return w;
        }
        n = recv(cn->c->fd, cn->buf + cn->len, sizeof(cn->buf) - cn->len, 0);
        if (n == 0) {
            eof = 1;
        }
        else if (n > 0) {
            cn->len += (apr_size_t)n;
        }
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return IO_ABORT;
        }
    }
}

static int send_all(conn_t *cn, const char *data, apr_size_t len)
{
    while (len) {
        ssize_t n = send(cn->c->fd, data, len, MSG_NOSIGNAL);

        if (n > 0) {
            data += n;
            len -= (apr_size_t)n;
        }
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
                 && errno != EINTR) {
            return 0;
        }
        else if (wait_io(cn, POLLOUT, 0) != IO_READY) {
            return 0;
        }
    }
    return 1;
}

/* Half-close, then read what the client still sends until it closes (or
 * briefly), so unread request bytes do not turn the close into a reset
 * that destroys the response before the client has read it. */
static void linger(conn_t *cn)
{
    char sink[4096];
    apr_time_t until = apr_time_now() + GUARD_LISTEN_LINGER_TIME;

    shutdown(cn->c->fd, SHUT_WR);
    if (until < cn->deadline) {
        cn->deadline = until;
    }
    while (wait_io(cn, POLLIN, 1) == IO_READY) {
        ssize_t n = recv(cn->c->fd, sink, sizeof(sink), 0);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            break;
        }
    }
}

static void respond(conn_t *cn, int status, const char *ctype,
                    const char *body, apr_size_t len, int head_only,
                    const char *extra)
{
    char head[1024];
    apr_size_t hl;

    cn->deadline = apr_time_now() + GUARD_LISTEN_WRITE_TIME;
    hl = guard_http_head(head, sizeof(head), status, ctype, len,
                         apr_time_now(), ap_get_server_banner(), extra);
    if (hl && send_all(cn, head, hl) && (head_only || !len
                                         || send_all(cn, body, len))) {
        linger(cn);
    }
}

static void send_error(conn_t *cn, int status, const char *why)
{
    const char *body = apr_psprintf(cn->c->pool, "%d %s: %s\n", status,
                                    guard_http_reason(status), why);

    respond(cn, status, "text/plain; charset=utf-8", body, strlen(body),
            cn->head, status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

static void respond_error(conn_t *cn, int status, const char *why)
{
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cn->c->server, GRD_LISTEN_ERROR
                 ": status listener: client %s: %d (%s)",
                 guard_ip_format(cn->c->pool, &cn->c->peer), status, why);
    send_error(cn, status, why);
}

/* The size of the last page this child's listener served. A page is
 * rendered into one block: room for about that much up front spares the
 * copies of growing into it, megabytes on a big server. */
static apr_size_t last_page_len;

static void serve_page(conn_t *cn, const guard_http_req_t *req)
{
    guard_page_t pg;
    guard_sink_t *buf;
    const char *body;
    apr_size_t len = 0;

    guard_page_prepare(&pg, cn->c->pool, cn->c->server, req->query);
    if (pg.status != HTTP_OK) {
        respond_error(cn, pg.status, pg.message);
        return;
    }
    buf = guard_sink_buffer_sized(cn->c->pool, last_page_len
                                               + last_page_len / 8 + 65536);
    guard_page_render(&pg, buf);
    body = guard_sink_buffer_data(buf, &len);
    last_page_len = len;
    respond(cn, HTTP_OK, pg.content_type, body, len, req->head, NULL);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cn->c->server, GRD_LISTEN_SERVED
                 ": status listener: client %s: %s %s%s%s: 200, %"
                 APR_SIZE_T_FMT " bytes in %" APR_TIME_T_FMT " us",
                 guard_ip_format(cn->c->pool, &cn->c->peer),
                 req->head ? "HEAD" : "GET", req->path,
                 req->query ? "?" : "", req->query ? req->query : "", len,
                 apr_time_now() - cn->accepted);
}

/* A client that is not allowed is neither read from nor waited for: one
 * send that never blocks (a new socket's buffer takes these few bytes),
 * then the caller closes. Bytes the client sent stay unread, so the close
 * may be a reset that destroys the 403 before the client reads it: the
 * answer is a courtesy, the close at once is the point. */
void guard_listen_refuse(guard_listen_conn_t *c)
{
    static const char body[] = "403 Forbidden\n";
    char out[512];
    apr_size_t hl;

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, c->server, GRD_LISTEN_REFUSED
                 ": status listener: client %s is not in GuardStatusAllow",
                 guard_ip_format(c->pool, &c->peer));
    hl = guard_http_head(out, sizeof(out) - sizeof(body), HTTP_FORBIDDEN,
                         "text/plain; charset=utf-8", sizeof(body) - 1,
                         apr_time_now(), ap_get_server_banner(), NULL);
    if (hl) {
        memcpy(out + hl, body, sizeof(body) - 1);
        (void)send(c->fd, out, hl + sizeof(body) - 1,
                   MSG_NOSIGNAL | MSG_DONTWAIT);
    }
}

/* HTTP/1.0 without Host passes: browsers, the only clients a rebinding
 * page can drive, always send Host; the parser refuses HTTP/1.1 without
 * it. */
static int host_ok(conn_t *cn, const guard_http_req_t *req)
{
    int st;

    if (!req->host
        || (st = guard_host_check(cn->c->hosts, req->host)) == GUARD_HOST_OK) {
        return 1;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cn->c->server, GRD_LISTEN_HOST
                 ": status listener: client %s: Host \"%.100s\"%s: %d",
                 guard_ip_format(cn->c->pool, &cn->c->peer), req->host,
                 st == GUARD_HOST_OTHER ? " is not a name of this listener"
                                        : " is invalid", st);
    send_error(cn, st, st == GUARD_HOST_OTHER
                       ? "the Host field does not name this listener (see "
                         "GuardStatusHost)"
                       : "invalid Host field");
    return 0;
}

void guard_listen_serve(guard_listen_conn_t *c)
{
    conn_t *cn = apr_pcalloc(c->pool, sizeof(*cn));
    guard_http_req_t req;

    cn->c = c;
    cn->accepted = apr_time_now();
    cn->deadline = cn->accepted + GUARD_LISTEN_READ_TIME;
    switch (read_head(cn, &req)) {
    case IO_ABORT:
        return;
    case IO_TIMEOUT:
        respond_error(cn, HTTP_REQUEST_TIME_OUT, "request not received in "
                      "time");
        return;
    default:
        break;
    }
    cn->head = req.head;
    if (req.status) {
        respond_error(cn, req.status, req.error);
    }
    else if (!host_ok(cn, &req)) {
        return;
    }
    else if (strcmp(req.path, GUARD_STATUS_PATH)) {
        respond_error(cn, HTTP_NOT_FOUND, "only " GUARD_STATUS_PATH
                      " is served here");
    }
    else {
        serve_page(cn, &req);
    }
}
