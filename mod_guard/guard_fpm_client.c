/* SPDX-License-Identifier: Apache-2.0 */
/* One status read over FastCGI (guard_fpm_client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "guard_fpm_client.h"
#include "guard_fpm_fcgi.h"
#include "guard_fpm_json.h"

typedef struct {
    int fd;
    apr_time_t deadline;
    char *err;
    apr_size_t errlen;
} conn_t;

static const char *sys_err(conn_t *c, const char *what, int e)
{
    snprintf(c->err, c->errlen, "%s: %s", what, strerror(e));
    return c->err;
}

static socklen_t make_addr(const guard_fpm_addr_t *a,
                           struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->unix_path) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;

        un->sun_family = AF_UNIX;
        /* guard_fpm_addr_parse kept it shorter than sun_path */
        memcpy(un->sun_path, a->sock, strlen(a->sock) + 1);
        return sizeof(*un);
    }
    if (strchr(a->host, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)a->port);
        inet_pton(AF_INET6, a->host, &in6->sin6_addr);
        return sizeof(*in6);
    }
    else {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;

        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)a->port);
        inet_pton(AF_INET, a->host, &in->sin_addr);
        return sizeof(*in);
    }
}

/* Wait for events until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(conn_t *c, short events)
{
    struct pollfd pfd = { c->fd, events, 0 };
    int rv;

    for (;;) {
        apr_time_t left = c->deadline - apr_time_now();

        if (left <= 0) {
            return 0;
        }
        rv = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (rv >= 0 || errno != EINTR) {
            return rv > 0 ? 1 : rv;
        }
    }
}

static const char *open_conn(conn_t *c, const guard_fpm_addr_t *a)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(a, &ss), elen = sizeof(int);
    int e = 0;

    c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    if (c->fd < 0) {
        return sys_err(c, "socket", errno);
    }
    if (connect(c->fd, (struct sockaddr *)&ss, len) == 0) {
        return NULL;
    }
    if (errno == EAGAIN) {
        return "connect: the listen queue is full";
    }
    if (errno != EINPROGRESS) {
        return sys_err(c, "connect", errno);
    }
    if (wait_fd(c, POLLOUT) <= 0) {
        return "connect: timed out";
    }
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen);
    return e ? sys_err(c, "connect", e) : NULL;
}

static const char *send_all(conn_t *c, const unsigned char *d, apr_size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, d, n, MSG_NOSIGNAL);

        if (w > 0) {
            d += w, n -= (apr_size_t)w;
        }
        else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return sys_err(c, "send", errno);
        }
        else if (wait_fd(c, POLLOUT) <= 0) {
            return "send: timed out";
        }
    }
    return NULL;
}

static const char *recv_reply(conn_t *c, guard_fcgi_reply_t *r,
                              apr_size_t *bytes)
{
    unsigned char chunk[16384];

    for (;;) {
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);

        if (n > 0) {
            *bytes += (apr_size_t)n;
            if (guard_fcgi_reply_feed(r, chunk, (apr_size_t)n) != 0) {
                return r->error;
            }
        }
        else if (n == 0) {
            return "closed before the end of the reply";
        }
        else if (errno != EAGAIN && errno != EINTR) {
            return sys_err(c, "recv", errno);
        }
        else if (wait_fd(c, POLLIN) <= 0) {
            return *bytes ? "timed out in the middle of the reply"
                          : "no answer in time";
        }
    }
}

static const char *exchange(conn_t *c, const guard_fpm_addr_t *a,
                            const guard_fpm_io_t *io,
                            guard_fcgi_reply_t *r, apr_size_t *bytes)
{
    unsigned char req[1024];
    apr_size_t n = guard_fcgi_request(a->path, "full&json", req, sizeof(req));
    const char *err;

    if (!n) {
        return "the status path is too long";
    }
    if ((err = open_conn(c, a)) || (err = send_all(c, req, n))) {
        return err;
    }
    guard_fcgi_reply_init(r, io->buf, io->cap);
    return recv_reply(c, r, bytes);
}

const char *guard_fpm_fetch(const guard_fpm_addr_t *a,
                            const guard_fpm_io_t *io, guard_fpm_pool_t *p,
                            apr_size_t *bytes, char *err, apr_size_t errlen)
{
    conn_t c = { -1, apr_time_now() + io->timeout, err, errlen };
    guard_fcgi_reply_t r;
    const char *why, *body = NULL;
    apr_size_t blen = 0;

    *bytes = 0;
    why = exchange(&c, a, io, &r, bytes);
    if (c.fd >= 0) {
        close(c.fd);
    }
    if (!why) {
        why = guard_fcgi_body(r.out, r.out_len, &body, &blen, err, errlen);
    }
    if (!why) {
        why = guard_fpm_json_parse(body, blen, &p->counts, p->procs,
                                   GUARD_FPM_WORKERS);
    }
    return why;
}
