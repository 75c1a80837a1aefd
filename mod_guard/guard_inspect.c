/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving what a thread waits on. Reads /proc/self/task/<tid>/{syscall,stat},
 * /proc/self/fd/<n> and /proc/self/fdinfo/<epfd>; copies pollfd arrays,
 * fd_sets and sockaddrs out of the thread's memory with process_vm_readv
 * (EFAULT instead of a crash if they changed meanwhile).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <string.h>
#include "guard_fmt.h"
#include "guard_inspect.h"
#include "guard_proc.h"
#include "guard_proc_net.h"
#include "guard_reqcopy.h"
#include "guard_sockaddr.h"
#include "guard_syscall.h"
#include "guard_wait.h"

int guard_inspect_live(void)
{
    return GUARD_INSPECT_LIVE;
}

#if GUARD_INSPECT_LIVE

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define MAX_CANDIDATES 16

/* How interesting an fd is to an operator: a backend beats the client. */
enum { RANK_NONE = 0, RANK_OTHER, RANK_PIPE, RANK_FILE, RANK_LISTENER,
       RANK_CLIENT, RANK_BACKEND };

typedef struct {
    int rank;
    guard_wait_kind_e kind;
    apr_uint32_t flags;
    apr_int64_t idle_ms;
    apr_int64_t sent_ms;
    apr_uint64_t bytes_in;
    apr_uint64_t ino;
    apr_uint64_t dev;
    char peer[GUARD_PEER_LEN];
    char path[GUARD_PATH_LEN];
} fd_view_t;

static char *cpy(char *dst, const char *src, apr_size_t len)
{
    apr_size_t n = strlen(src);

    if (n >= len) {
        n = len - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}

static char *task_path(char *buf, pid_t tid, const char *leaf)
{
    char *p = buf;

    p = stpcpy(p, "/proc/self/task/");
    p = guard_fmt_dec(p, tid);
    *p++ = '/';
    strcpy(p, leaf);
    return buf;
}

static char *self_path(char *buf, const char *dir, int fd)
{
    char *p = stpcpy(buf, dir);

    guard_fmt_dec(p, fd);
    return buf;
}

static int read_file(const char *path, char *buf, apr_size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    do {
        n = read(fd, buf, len - 1);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0) {
        return -1;
    }
    buf[n] = '\0';
    return (int)n;
}

static int copy_from_self(apr_uint64_t addr, void *dst, apr_size_t len)
{
    struct iovec local = { dst, len };
    struct iovec remote = { (void *)(uintptr_t)addr, len };

    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0)
           == (ssize_t)len ? 0 : -1;
}

/* Asked of the socket, not matched by fd number: a graceful restart makes
 * a prefork child close its listeners while its request goes on, and the
 * request's next socket (a backend) takes the listener's fd number. */
static int is_listener(const guard_inspect_ctx_t *ctx, int fd)
{
    int on = 0;
    socklen_t len = sizeof(on);

    (void)ctx;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* Another worker's slot holds its connection's socket while that worker
 * reads the connection or serves a request on it. A slot in keep-alive
 * does not: under event the connection waits in the listener, which
 * closes it without any worker's slot knowing, and whose scoreboard
 * entry it may leave busy; the number is then free for a backend socket.
 * An HTTP/2 stream's slot names its client connection while it serves
 * a request (stream_over, mod_guard_request.c, ends that). */
static int holds_connection(const guard_slot_t *s)
{
    if (s->kind == GUARD_SLOT_H2) {
        return s->state == GUARD_WS_BUSY;
    }
    return s->state == GUARD_WS_BUSY || s->state == GUARD_WS_READ;
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

/* A connection the server accepted has a listener's port as its own; one
 * it made to a backend has a port of its own. Said only when the
 * listeners are known and fd's port can be read (else: as a client). */
static int accepted_here(const guard_inspect_ctx_t *ctx, int fd)
{
    int i, port, known = 0;

    if (!ctx->listen_fds || ctx->nlisten <= 0
        || (port = local_port(fd)) < 0) {
        return 1;
    }
    for (i = 0; i < ctx->nlisten; i++) {
        int lp;

        if (!is_listener(ctx, ctx->listen_fds[i])
            || (lp = local_port(ctx->listen_fds[i])) <= 0) {
            continue;
        }
        known = 1;
        if (lp == port) {
            return 1;
        }
    }
    return !known;
}

static int is_client(const guard_inspect_ctx_t *ctx, int own, int fd)
{
    int i;

    if (fd == own) {
        return 1;
    }
    for (i = 0; i < ctx->nslots; i++) {
        const guard_slot_t *s = &ctx->slots[i];

        if (holds_connection(s) && s->client_fd == fd
            && !(ctx->thread_released
                 && ctx->thread_released(ctx->baton, ctx->child, i))) {
            /* The slot's number may be stale still: under event the
             * listener closes a connection its last worker's slot names
             * and scoreboard entry may not say so. */
            return accepted_here(ctx, fd);
        }
    }
    return 0;
}

static int scan_tcp_table(const char *path, apr_uint64_t ino, char *out,
                          apr_size_t outlen)
{
    char buf[4096], *line, *nl;
    apr_size_t have = 0;
    ssize_t n;
    int found = -1, fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return -1;
    }
    while (found < 0 && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
        have += (apr_size_t)n;
        buf[have] = '\0';
        for (line = buf; found < 0 && (nl = strchr(line, '\n')) != NULL;
             line = nl + 1) {
            *nl = '\0';
            found = guard_proc_net_tcp_line(line, ino, out, outlen);
        }
        have = (apr_size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof(buf) - 1) {
            have = 0;   /* no line is that long: skip it */
        }
    }
    close(fd);
    return found;
}

/* While connect() waits in SYN_SENT, getpeername() fails: the kernel's
 * socket table still knows where it goes. */
static void peer_from_proc_net(apr_uint64_t ino, char *out, apr_size_t len)
{
    if (scan_tcp_table("/proc/self/net/tcp", ino, out, len) != 0) {
        scan_tcp_table("/proc/self/net/tcp6", ino, out, len);
    }
}

/* TCP_INFO as Linux gives it since 4.1 (linux/tcp.h): glibc's struct
 * tcp_info stops before the byte counters that follow it. */
typedef struct {
    struct tcp_info ti;
    apr_uint64_t pacing_rate;
    apr_uint64_t max_pacing_rate;
    apr_uint64_t bytes_acked;
    apr_uint64_t bytes_received;
} tcp_info_bytes_t;

static void tcp_state(int fd, fd_view_t *v)
{
    tcp_info_bytes_t tb;
    struct tcp_info ti;
    socklen_t len = sizeof(tb);

    memset(&tb, 0, sizeof(tb));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &tb, &len) != 0) {
        return;
    }
    ti = tb.ti;
    if (len >= offsetof(tcp_info_bytes_t, bytes_received)
               + sizeof(tb.bytes_received)) {
        v->flags |= GUARD_WAITF_BYTES;
        v->bytes_in = tb.bytes_received;
    }
    v->flags |= GUARD_WAITF_TCP;
    if (ti.tcpi_state == TCP_SYN_SENT) {
        /* No data has moved yet, and the idle times count from boot. */
        v->flags |= GUARD_WAITF_CONNECTING;
        if (!v->peer[0] && v->ino) {
            peer_from_proc_net(v->ino, v->peer, sizeof(v->peer));
        }
        return;
    }
    v->idle_ms = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent
                 ? ti.tcpi_last_data_recv : ti.tcpi_last_data_sent;
    v->sent_ms = ti.tcpi_last_data_sent;
}

/* A unix socket whose peer (the process that listened, per SO_PEERCRED)
 * is another process of this server, such as mod_cgid's daemon: the CGI
 * at work, not a backend. */
static void unix_peer(const guard_inspect_ctx_t *ctx, int fd, fd_view_t *v)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    guard_stat_line_t st;
    char path[48], line[512];

    v->flags |= GUARD_WAITF_UNIX;
    if (v->kind != GUARD_WAIT_BACKEND || ctx->server_pid <= 0
        || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0
        || cr.pid <= 0) {
        return;
    }
    strcpy(guard_fmt_dec(stpcpy(path, "/proc/"), cr.pid), "/stat");
    if (read_file(path, line, sizeof(line)) > 0
        && guard_proc_parse_stat(line, &st) == 0
        && guard_wait_server_peer(cr.pid, (long)st.ppid, getpid(),
                                  ctx->server_pid)) {
        v->kind = GUARD_WAIT_CGI;
    }
}

static void view_socket(const guard_inspect_ctx_t *ctx, int own, int fd,
                        fd_view_t *v)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (is_listener(ctx, fd)) {
        v->rank = RANK_LISTENER;
        v->kind = GUARD_WAIT_LISTENER;
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
            guard_sockaddr_format((struct sockaddr *)&ss, len, v->peer,
                            sizeof(v->peer));
        }
        return;
    }
    v->rank = is_client(ctx, own, fd) ? RANK_CLIENT : RANK_BACKEND;
    v->kind = v->rank == RANK_CLIENT ? GUARD_WAIT_CLIENT : GUARD_WAIT_BACKEND;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        guard_sockaddr_format((struct sockaddr *)&ss, len, v->peer, sizeof(v->peer));
    }
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_UNIX) {
            unix_peer(ctx, fd, v);
        }
        else {
            tcp_state(fd, v);
        }
    }
}

static void view_fd(const guard_inspect_ctx_t *ctx, int own, int fd,
                    fd_view_t *v)
{
    char path[48], link[GUARD_PATH_LEN];
    struct stat st;
    ssize_t n;

    memset(v, 0, sizeof(*v));
    v->idle_ms = -1;
    v->sent_ms = -1;
    if (fd < 0) {
        return;
    }
    n = readlink(self_path(path, "/proc/self/fd/", fd), link, sizeof(link) - 1);
    if (n < 0) {
        return;
    }
    link[n] = '\0';
    /* A file may be named anything, newlines included: kept printable
     * for the logs (the GuardLockWatch globs see this form too). */
    guard_copy_sanitized(v->path, sizeof(v->path), link, 0);
    if (fstat(fd, &st) == 0) {
        v->ino = (apr_uint64_t)st.st_ino;
        /* As /proc/locks prints it: the kernel's major:minor of the file
         * system, which is what stat() reports for most file systems. */
        v->dev = guard_dev_make(major(st.st_dev), minor(st.st_dev));
    }

    if (strncmp(link, "socket:", 7) == 0) {
        view_socket(ctx, own, fd, v);
    }
    else if (link[0] == '/') {
        v->rank = RANK_FILE;
        v->kind = GUARD_WAIT_FILE;
    }
    else {
        v->rank = strncmp(link, "pipe:", 5) == 0 ? RANK_PIPE : RANK_OTHER;
        v->kind = GUARD_WAIT_PIPE;
    }
}

/* Keep the most telling of the candidates; ties go to the first. */
static void consider(const guard_inspect_ctx_t *ctx, int own, int fd,
                     apr_uint32_t flags, fd_view_t *best, int *best_fd)
{
    fd_view_t v;

    view_fd(ctx, own, fd, &v);
    if (v.rank > best->rank) {
        *best = v;
        best->flags |= flags;
        *best_fd = fd;
    }
}

static void pick_poll(const guard_inspect_ctx_t *ctx, int own,
                      const guard_call_t *call, fd_view_t *best, int *fd)
{
    struct pollfd pfd[MAX_CANDIDATES];
    apr_size_t i, n = call->n < MAX_CANDIDATES ? call->n : MAX_CANDIDATES;

    if (n == 0 || copy_from_self(call->ptr, pfd, n * sizeof(pfd[0])) != 0) {
        return;
    }
    for (i = 0; i < n; i++) {
        int out = (pfd[i].events & POLLOUT) && !(pfd[i].events & POLLIN);

        if (pfd[i].fd >= 0) {
            consider(ctx, own, pfd[i].fd, out ? GUARD_WAITF_WRITE : 0, best,
                     fd);
        }
    }
}

static void pick_fdset(const guard_inspect_ctx_t *ctx, int own,
                       apr_uint64_t addr, int nfds, apr_uint32_t flags,
                       fd_view_t *best, int *fd)
{
    fd_set set;
    int i, seen = 0;

    if (addr == 0 || nfds <= 0) {
        return;
    }
    if (nfds > FD_SETSIZE) {
        nfds = FD_SETSIZE;
    }
    if (copy_from_self(addr, &set, ((apr_size_t)nfds + 7) / 8) != 0) {
        return;
    }
    for (i = 0; i < nfds && seen < MAX_CANDIDATES; i++) {
        if (FD_ISSET(i, &set)) {
            consider(ctx, own, i, flags, best, fd);
            seen++;
        }
    }
}

/* /proc/self/fdinfo/<epfd> lists the watched fds as "tfd: N events: ...". */
static void pick_epoll(const guard_inspect_ctx_t *ctx, int own, int epfd,
                       fd_view_t *best, int *fd)
{
    char path[48], buf[2048];
    int fds[MAX_CANDIDATES], i, n;

    if (read_file(self_path(path, "/proc/self/fdinfo/", epfd), buf,
                  sizeof(buf)) < 0) {
        return;
    }
    n = guard_proc_epoll_fds(buf, fds, MAX_CANDIDATES);
    for (i = 0; i < n; i++) {
        consider(ctx, own, fds[i], 0, best, fd);
    }
}

static void peer_of_connect(const guard_call_t *call,
                            const guard_syscall_line_t *sc, fd_view_t *v)
{
    struct sockaddr_storage ss;
    apr_uint64_t len = sc->args[2];

    if (v->peer[0] || len == 0 || len > sizeof(ss)) {
        return;
    }
    memset(&ss, 0, sizeof(ss));
    if (copy_from_self(sc->args[1], &ss, (apr_size_t)len) == 0) {
        guard_sockaddr_format((struct sockaddr *)&ss, (socklen_t)len, v->peer,
                        sizeof(v->peer));
    }
}

static void resolve_fds(const guard_inspect_ctx_t *ctx, int own,
                        const guard_syscall_line_t *sc,
                        const guard_call_t *call, fd_view_t *best, int *fd)
{
    memset(best, 0, sizeof(*best));
    best->idle_ms = -1;
    best->sent_ms = -1;
    *fd = -1;
    switch (call->call) {
    case GUARD_CALL_POLL:
        pick_poll(ctx, own, call, best, fd);
        break;
    case GUARD_CALL_SELECT:
        pick_fdset(ctx, own, call->ptr, (int)call->n, 0, best, fd);
        pick_fdset(ctx, own, call->ptr2, (int)call->n, GUARD_WAITF_WRITE,
                   best, fd);
        break;
    case GUARD_CALL_EPOLL:
        pick_epoll(ctx, own, call->fd, best, fd);
        break;
    case GUARD_CALL_WRITE:
        consider(ctx, own, call->fd, GUARD_WAITF_WRITE, best, fd);
        break;
    case GUARD_CALL_CONNECT:
        consider(ctx, own, call->fd, GUARD_WAITF_WRITE, best, fd);
        peer_of_connect(call, sc, best);
        break;
    default:
        consider(ctx, own, call->fd, 0, best, fd);
        consider(ctx, own, call->fd2, 0, best, fd);
        break;
    }
}

static guard_wait_kind_e kind_of_call(const guard_call_t *call)
{
    switch (call->call) {
    case GUARD_CALL_FUTEX: return GUARD_WAIT_FUTEX;
    case GUARD_CALL_SLEEP: return GUARD_WAIT_SLEEP;
    case GUARD_CALL_CHILD: return GUARD_WAIT_CHILD;
    case GUARD_CALL_OTHER: return GUARD_WAIT_SYSCALL;
    case GUARD_CALL_NONE:  return GUARD_WAIT_UNKNOWN;
    default:               return GUARD_WAIT_NONE;   /* decided by its fd */
    }
}

static void set_sysname(guard_wait_t *w, long nr)
{
    const char *name = guard_syscall_name(nr);

    if (name) {
        cpy(w->sysname, name, sizeof(w->sysname));
    }
    else {
        guard_fmt_dec(stpcpy(w->sysname, "syscall "), nr);
    }
}

static void classify_blocked(const guard_inspect_ctx_t *ctx,
                             const guard_inspect_req_t *req,
                             const guard_syscall_line_t *sc, guard_wait_t *w)
{
    guard_call_t call;
    fd_view_t best;
    int fd;

    guard_syscall_decode(sc, &call);
    w->call = call.call;
    w->syscall = (apr_int32_t)sc->nr;
    set_sysname(w, sc->nr);
    w->kind = kind_of_call(&call);
    if (w->kind != GUARD_WAIT_NONE) {
        return;
    }
    resolve_fds(ctx, req->client_fd, sc, &call, &best, &fd);
    w->kind = best.rank == RANK_NONE ? GUARD_WAIT_SYSCALL : best.kind;
    if (call.call == GUARD_CALL_LOCK && best.rank == RANK_FILE) {
        w->kind = GUARD_WAIT_LOCK;
    }
    w->fd = fd;
    w->ino = best.ino;
    w->dev = best.dev;
    w->flags |= best.flags;
    w->idle_ms = best.idle_ms;
    w->sent_ms = best.sent_ms;
    w->bytes_in = best.bytes_in;
    cpy(w->peer, best.peer, sizeof(w->peer));
    if (best.kind != GUARD_WAIT_BACKEND && best.kind != GUARD_WAIT_CLIENT) {
        cpy(w->path, best.path, sizeof(w->path));
    }
}

static apr_int64_t thread_cpu_ms(const guard_inspect_ctx_t *ctx,
                                 const guard_inspect_req_t *req,
                                 const guard_stat_line_t *st)
{
    apr_int64_t us;

    if (req->cpu_start_us < 0 || ctx->clk_tck <= 0) {
        return -1;
    }
    us = (apr_int64_t)((st->utime + st->stime) * 1000000ULL
                       / (apr_uint64_t)ctx->clk_tck);
    return us > req->cpu_start_us ? (us - req->cpu_start_us) / 1000 : 0;
}

static void classify_cpu(const guard_inspect_req_t *req, apr_time_t now,
                         guard_wait_t *w)
{
    apr_int64_t wall_ms = apr_time_as_msec(now - req->req_start);

    w->kind = GUARD_WAIT_CPU;
    /* At least half the wall time on CPU: a loop that shares a loaded
     * core still counts as one. */
    if (w->cpu_ms >= 0 && wall_ms > 0 && w->cpu_ms * 2 >= wall_ms) {
        w->flags |= GUARD_WAITF_SPINNING;
    }
}

static int read_syscall(const guard_inspect_ctx_t *ctx,
                        const guard_inspect_req_t *req, apr_time_t now,
                        char *buf, apr_size_t len)
{
    char path[64];

    if (ctx->sysfd) {
        return guard_sysfd_read(ctx->sysfd, req->thread, req->tid, now, buf,
                                len);
    }
    return read_file(task_path(path, req->tid, "syscall"), buf, len);
}

int guard_inspect_copy(void *baton, apr_uint64_t addr, void *buf,
                       apr_size_t len)
{
    return copy_from_self(addr, buf, len);
}

void guard_inspect_runfd_close(guard_runfd_t *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    k->fd = -1;
    k->tid = 0;
}

/* schedstat, unlike stat, counts in ns: a thread that ran at all since
 * the last reading shows it, however briefly. Kept open, read with pread:
 * the watchdog reads it at every look at every busy worker. */
apr_int64_t guard_inspect_run_ns(guard_runfd_t *k, pid_t tid)
{
    char path[64], buf[96], *end;
    apr_int64_t v;
    ssize_t n;

    if (k->tid != tid || k->fd < 0) {
        guard_inspect_runfd_close(k);
        k->fd = open(task_path(path, tid, "schedstat"), O_RDONLY | O_CLOEXEC);
        if (k->fd < 0) {
            return -1;
        }
        k->tid = tid;
    }
    do {
        n = pread(k->fd, buf, sizeof(buf) - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        guard_inspect_runfd_close(k);   /* the thread is gone */
        return -1;
    }
    buf[n] = '\0';
    v = (apr_int64_t)strtoll(buf, &end, 10);
    return end != buf && *end == ' ' && v >= 0 ? v : -1;
}

int guard_inspect_thread(const guard_inspect_ctx_t *ctx,
                         const guard_inspect_req_t *req, apr_time_t now,
                         guard_wait_t *w)
{
    char path[64], line[512];
    guard_syscall_line_t sc;
    guard_stat_line_t st;
    int have_stat;

    memset(w, 0, sizeof(*w));
    w->syscall = -1;
    w->fd = -1;
    w->idle_ms = -1;
    w->sent_ms = -1;
    w->since = w->sampled = now;
    have_stat = read_file(task_path(path, req->tid, "stat"), line,
                          sizeof(line)) > 0
                && guard_proc_parse_stat(line, &st) == 0;
    w->cpu_ms = have_stat ? thread_cpu_ms(ctx, req, &st) : -1;
    if (read_syscall(ctx, req, now, line, sizeof(line)) <= 0
        || guard_proc_parse_syscall(line, &sc) != 0) {
        if (req->line) {
            memset(req->line, 0, sizeof(*req->line));
            req->line->nr = -2;
        }
        w->kind = GUARD_WAIT_UNKNOWN;
        return -1;
    }
    if (req->line) {
        *req->line = sc;
    }
    if (sc.running) {
        classify_cpu(req, now, w);
        return 0;
    }
    classify_blocked(ctx, req, &sc, w);
    return 0;
}

#else /* not Linux: nothing to read */

#include <string.h>

int guard_inspect_copy(void *baton, apr_uint64_t addr, void *buf,
                       apr_size_t len)
{
    return -1;
}

void guard_inspect_runfd_close(guard_runfd_t *k)
{
    k->fd = -1;
    k->tid = 0;
}

apr_int64_t guard_inspect_run_ns(guard_runfd_t *k, pid_t tid)
{
    return -1;
}

int guard_inspect_thread(const guard_inspect_ctx_t *ctx,
                         const guard_inspect_req_t *req, apr_time_t now,
                         guard_wait_t *w)
{
    memset(w, 0, sizeof(*w));
    w->kind = GUARD_WAIT_UNKNOWN;
    w->syscall = -1;
    w->fd = -1;
    w->idle_ms = -1;
    w->sent_ms = -1;
    w->cpu_ms = -1;
    w->since = w->sampled = now;
    if (req->line) {
        memset(req->line, 0, sizeof(*req->line));
        req->line->nr = -2;
    }
    return -1;
}

#endif
