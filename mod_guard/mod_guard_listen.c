/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The out-of-band status listener's life.
 *
 * The parent opens the socket in post_config, as root (so a port below
 * 1024 works), close-on-exec so CGI and piped loggers do not inherit it,
 * non-blocking. It is kept in retained data across restarts and reused
 * while the address stays the same: old children that still hold it
 * during a graceful restart would otherwise make the new bind fail with
 * EADDRINUSE. It is opened in the first configuration pass already, like
 * httpd's own listeners, so a bind error fails `apachectl start`.
 *
 * Each child runs one listener thread of its own, beside the watchdog and
 * never the MPM's: it is not a worker, so it answers while every worker is
 * stuck or MaxRequestWorkers is exhausted. It is a separate thread rather
 * than work done by the watchdog thread so that sampling, stuck flags and
 * backend cuts never wait for a client; the two share nothing but the
 * read-only view of shared memory. The thread sleeps in epoll_wait() with
 * no timeout on the socket and an eventfd for stopping: an idle child has
 * no periodic wake-up. Prefork children all wait on the one socket;
 * EPOLLEXCLUSIVE wakes one of them per connection instead of all, and the
 * socket is non-blocking so a child that loses the race gets EAGAIN.
 * The listener touches no MPM listener and no client connection of httpd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_listen.h"
#include "mod_guard_retained.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY "mod_guard-listen"
/* The pool of the listener thread keeps at most this much for reuse. */
#define LISTEN_POOL_KEEP (256 * 1024)

/* Survives restarts in the parent. */
typedef struct {
    int open;
    int fd;
    guard_ip_t addr;
    int configured;             /* a configuration was read before */
} listen_retained_t;

/* One child's listener thread. */
typedef struct {
    int lfd;
    int stop_fd;                /* eventfd: readable once stopping */
    int epfd;
    guard_cidr_t *allow;
    int nallow;
    guard_host_set_t *hosts;
    apr_pool_t *pool;           /* own allocator: only this thread's */
    apr_thread_t *thread;
    server_rec *server;
} listener_t;

/* The parent's socket of this generation, inherited by its children. */
static int listen_fd = -1;

static int same_addr(const guard_ip_t *a, const guard_ip_t *b)
{
    return a->family == b->family && a->port == b->port
           && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static socklen_t to_sockaddr(const guard_ip_t *ip, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (ip->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)ip->port);
        memcpy(&in6->sin6_addr, ip->bytes, 16);
        return sizeof(*in6);
    }
    else {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;

        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)ip->port);
        memcpy(&in->sin_addr, ip->bytes, 4);
        return sizeof(*in);
    }
}

/* @return 0, or the errno of the step that failed. */
static int open_socket(const guard_ip_t *ip, int *out)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(ip, &ss);
    int one = 1, fd, err;

    fd = socket(ip->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return errno;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ip->family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0
        || listen(fd, GUARD_LISTEN_BACKLOG) < 0) {
        err = errno;
        close(fd);
        return err;
    }
    *out = fd;
    return 0;
}

static listen_retained_t *retained(void)
{
    return guard_glue_retained(RETAINED_KEY, sizeof(listen_retained_t));
}

static void close_retained(listen_retained_t *r, server_rec *s,
                           apr_pool_t *p)
{
    close(r->fd);
    r->open = 0;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_LISTEN_CLOSED
                 ": status listener on %s closed (children of the previous "
                 "generation keep it until they exit)",
                 guard_ip_format(p, &r->addr));
}

/* A bind error fails the first start, like a Listen that cannot bind; at
 * a restart it leaves the server running without the listener rather
 * than bring it down for a status page. */
static int open_retained(listen_retained_t *r, const guard_ip_t *want,
                         server_rec *s, apr_pool_t *p)
{
    int err = open_socket(want, &r->fd);

    if (err) {
        ap_log_error(APLOG_MARK, r->configured ? APLOG_ERR : APLOG_CRIT,
                     err, s, GRD_LISTEN_FAILED ": GuardStatusListen: cannot "
                     "listen on %s%s", guard_ip_format(p, want),
                     r->configured ? ": no status listener until the next "
                     "restart" : "");
        return r->configured ? OK : HTTP_INTERNAL_SERVER_ERROR;
    }
    r->addr = *want;
    r->open = 1;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_LISTEN_OPEN
                 ": status listener on %s", guard_ip_format(p, want));
    return OK;
}

static int listen_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    listen_retained_t *r = retained();
    const guard_ip_t *want = guard_conf_status_listen(s);
    int rv = OK;

    if (r->open && (!want || !same_addr(want, &r->addr))) {
        close_retained(r, s, ptemp);
    }
    if (want && !r->open) {
        rv = open_retained(r, want, s, ptemp);
    }
    r->configured = 1;
    listen_fd = r->open ? r->fd : -1;
    return rv;
}

static void accept_one(listener_t *l)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    guard_listen_conn_t c;

    c.fd = accept4(l->lfd, (struct sockaddr *)&ss, &sl,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c.fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
            || errno == ENOMEM) {
            /* Out of descriptors: the connection stays queued and epoll
             * would report it at once again; pause instead of spinning,
             * but not past a stop. */
            struct pollfd p = { l->stop_fd, POLLIN, 0 };

            poll(&p, 1, 100);
        }
        return;                 /* EAGAIN: another child took it */
    }
    memset(&c.peer, 0, sizeof(c.peer));
    guard_ip_from_sockaddr(&ss, sl, &c.peer);
    c.allowed = guard_cidr_match(l->allow, l->nallow, &c.peer);
    c.stop_fd = l->stop_fd;
    c.listen_fd = l->lfd;
    c.hosts = l->hosts;
    c.pool = l->pool;
    c.server = l->server;
    if (!c.allowed) {
        /* Closed at once, unread: a flood of refused clients costs this
         * thread an accept, a send and a close each, so the allowed
         * client queued behind them is not kept waiting. */
        guard_listen_refuse(&c);
    }
    else {
        guard_listen_serve(&c);
    }
    close(c.fd);
    apr_pool_clear(l->pool);
}

static void *APR_THREAD_FUNC listen_main(apr_thread_t *t, void *data)
{
    listener_t *l = data;
    struct epoll_event ev[2];

    for (;;) {
        int i, n = epoll_wait(l->epfd, ev, 2, -1);

        if (n < 0 && errno != EINTR) {
            break;
        }
        for (i = 0; i < n; i++) {
            if (ev[i].data.fd == l->stop_fd) {
                return NULL;
            }
        }
        for (i = 0; i < n; i++) {
            accept_one(l);
        }
    }
    return NULL;
}

static void close_fds(listener_t *l)
{
    if (l->epfd >= 0) {
        close(l->epfd);
    }
    if (l->stop_fd >= 0) {
        close(l->stop_fd);
    }
}

static apr_status_t stop_listener(void *data)
{
    listener_t *l = data;
    apr_uint64_t one = 1;
    apr_status_t rv;

    if (write(l->stop_fd, &one, sizeof(one)) == sizeof(one)) {
        apr_thread_join(&rv, l->thread);
    }
    close_fds(l);
    apr_pool_destroy(l->pool);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, l->server, GRD_LISTEN_STOPPED
                 ": status listener of pid %d stopped", (int)getpid());
    return APR_SUCCESS;
}

static int watch_fd(int epfd, int fd, apr_uint32_t events)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void add_host(guard_host_set_t *set, apr_pool_t *p, server_rec *s,
                     const char *name)
{
    const char *err = guard_host_set_add(set, p, name);

    if (err) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_LISTEN_HOST
                     ": status listener: server name \"%s\" is not "
                     "accepted as Host: %s", name, err);
    }
}

/* The names a Host field may give: the listen address, localhost for a
 * loopback one, the main server's ServerName, and GuardStatusHost. Not
 * ServerAlias (httpd refuses it outside <VirtualHost>), nor the names of
 * virtual hosts: the listener belongs to the main server. */
static guard_host_set_t *listener_hosts(apr_pool_t *p, server_rec *s)
{
    guard_host_set_t *set = guard_host_set_make(p,
                                                guard_conf_status_listen(s));
    const apr_array_header_t *more = guard_conf_status_hosts(s);
    int i;

    if (s->server_hostname) {
        add_host(set, p, s, s->server_hostname);
    }
    for (i = 0; more && i < more->nelts; i++) {
        add_host(set, p, s, APR_ARRAY_IDX(more, i, const char *));
    }
    return set;
}

/* Descriptors, the allow list, the host names and a pool of the thread's
 * own. */
static int setup_listener(listener_t *l, apr_pool_t *pchild, server_rec *s)
{
    const guard_cidr_t *allow = guard_conf_status_allow(s, &l->nallow);
    apr_allocator_t *alloc;

    l->lfd = listen_fd;
    l->server = s;
    l->allow = apr_pmemdup(pchild, allow, sizeof(*allow) * l->nallow);
    l->hosts = listener_hosts(pchild, s);
    errno = 0;
    l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->stop_fd < 0 || l->epfd < 0
        || watch_fd(l->epfd, l->stop_fd, EPOLLIN) < 0
        || (watch_fd(l->epfd, l->lfd, EPOLLIN | EPOLLEXCLUSIVE) < 0
            && watch_fd(l->epfd, l->lfd, EPOLLIN) < 0)
        || apr_allocator_create(&alloc) != APR_SUCCESS) {
        int err = errno ? errno : EINVAL;

        close_fds(l);
        return err;
    }
    apr_allocator_max_free_set(alloc, LISTEN_POOL_KEEP);
    apr_pool_create_unmanaged_ex(&l->pool, NULL, alloc);
    apr_allocator_owner_set(alloc, l->pool);
    return 0;
}

static void listen_child_init(apr_pool_t *pchild, server_rec *s)
{
    listener_t *l;
    sigset_t all, old;
    apr_status_t rv;
    int err;

    if (listen_fd < 0) {
        return;
    }
    l = apr_pcalloc(pchild, sizeof(*l));
    l->stop_fd = l->epfd = -1;
    if ((err = setup_listener(l, pchild, s)) != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, err, s, GRD_LISTEN_NOTHREAD
                     ": status listener of pid %d cannot start",
                     (int)getpid());
        return;
    }
    /* Like the watchdog: the MPM's signals must reach its own threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rv = apr_thread_create(&l->thread, NULL, listen_main, l, pchild);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GRD_LISTEN_NOTHREAD
                     ": status listener thread of pid %d cannot start",
                     (int)getpid());
        close_fds(l);
        apr_pool_destroy(l->pool);
        return;
    }
    /* A pre-cleanup: the thread must be joined before pchild's subpools,
     * among them the thread's own, are destroyed. */
    apr_pool_pre_cleanup_register(pchild, l, stop_listener);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, GRD_LISTEN_STARTED
                 ": status listener of pid %d started", (int)getpid());
}

void guard_listen_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(listen_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(listen_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
