/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall-file broker's loop and its checks. Plain C: it runs in its
 * own program (guard_broker_main.c), which httpd's parent executes, and in
 * the unit tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <apr_strings.h>
#include "guard_broker.h"
#include "guard_proc.h"

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT               (1 << 0)
#define SECBIT_NOROOT_LOCKED        (1 << 1)
#define SECBIT_NO_SETUID_FIXUP      (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED     (1 << 5)
#endif

typedef struct {
    int fd;                       /* -1: free */
    pid_t pid;                    /* SO_PEERCRED at accept */
    apr_time_t deadline;
} conn_t;

int guard_broker_check_request(const void *buf, ssize_t n, int flags,
                               pid_t sender, pid_t conn_pid, pid_t *tid)
{
    guard_broker_req_t req;

    if (n != (ssize_t)sizeof(req) || (flags & (MSG_TRUNC | MSG_CTRUNC))) {
        return EINVAL;
    }
    memcpy(&req, buf, sizeof(req));
    if (req.magic != GUARD_BROKER_MAGIC || req.version != GUARD_BROKER_VERSION
        || req.zero != 0 || req.tid <= 0) {
        return EINVAL;
    }
    /* A process that shares the connection (a fork of the child) speaks
     * for itself, not for the child that connected. */
    if (sender <= 0 || sender != conn_pid) {
        return EPERM;
    }
    *tid = (pid_t)req.tid;
    return 0;
}

int guard_broker_child_of(const char *proc, pid_t pid, pid_t server_pid)
{
    char path[64], buf[1024];
    guard_stat_line_t st;
    ssize_t n;
    int fd;

    if (pid <= 0 || server_pid <= 0 || pid == server_pid) {
        return 0;
    }
    apr_snprintf(path, sizeof(path), "%s/%d/stat", proc, (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    return guard_proc_parse_stat(buf, &st) == 0
           && st.ppid == (apr_uint64_t)server_pid;
}

int guard_broker_open_for(const char *proc, pid_t pid, pid_t tid,
                          pid_t server_pid)
{
    char path[80];
    int fd;

    if (!guard_broker_child_of(proc, pid, server_pid)) {
        errno = EPERM;
        return -1;
    }
    /* The kernel resolves tid among pid's own threads only. */
    apr_snprintf(path, sizeof(path), "%s/%d/task/%d/syscall", proc,
                 (int)pid, (int)tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        errno = ESRCH;
        return -1;
    }
    /* Still the same kind of process: a pid that ended and came back for
     * a process outside the server is refused. */
    if (!guard_broker_child_of(proc, pid, server_pid)) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* dir is ours, a real directory (not a link), or made now: 0700 while
 * the socket is set up. */
static int own_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return -1;
    }
    if (lstat(dir, &st) != 0) {
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        errno = EEXIST;
        return -1;
    }
    return chmod(dir, 0700);
}

static int bind_listen(const char *path)
{
    struct sockaddr_un sa;
    int fd, on = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* Non-blocking: the loop accepts until none is left. */
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0
        || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0
        || listen(fd, GUARD_BROKER_BACKLOG) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int guard_broker_listen(const char *dir, gid_t gid, char *path, size_t size)
{
    size_t len = strlen(dir) + sizeof("/" GUARD_BROKER_SOCK_NAME);
    int fd;

    if (len > size || len > sizeof(((struct sockaddr_un *)0)->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    apr_snprintf(path, size, "%s/" GUARD_BROKER_SOCK_NAME, dir);
    if (own_dir(dir) != 0 || (unlink(path) != 0 && errno != ENOENT)
        || (fd = bind_listen(path)) < 0) {
        return -1;
    }
    /* Only root and the group of the server's children may connect, and
     * none of them may remove or replace the socket. */
    if (chown(path, geteuid(), gid) != 0 || chmod(path, 0660) != 0
        || chown(dir, geteuid(), gid) != 0 || chmod(dir, 0710) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int guard_broker_confine(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    int cap;

    /* These need CAP_SETPCAP, so they come first, and may fail where it
     * is not held (a container): the capset below cannot. */
    for (cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) {
            break;
        }
    }
    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED
          | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED
          | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0);
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) != 0) {
        return -1;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return 0;
}

static void conn_close(conn_t *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
}

/* fds a client sent along (it has no reason to) are closed, not kept. */
static pid_t take_cmsgs(struct msghdr *msg)
{
    struct cmsghdr *cm;
    pid_t sender = 0;

    for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET) {
            continue;
        }
        if (cm->cmsg_type == SCM_CREDENTIALS
            && cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred uc;

            memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
            sender = uc.pid;
        }
        else if (cm->cmsg_type == SCM_RIGHTS) {
            size_t i, n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            for (i = 0; i < n; i++) {
                int fd;

                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                close(fd);
            }
        }
    }
    return sender;
}

static int send_reply(int sock, pid_t tid, int status, int fd)
{
    guard_broker_reply_t rep;
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { &rep, sizeof(rep) };
    struct msghdr msg;

    memset(&rep, 0, sizeof(rep));
    rep.magic = GUARD_BROKER_MAGIC;
    rep.status = status;
    rep.tid = (apr_int32_t)tid;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.b;
        msg.msg_controllen = sizeof(ctl.b);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL)
           == (ssize_t)sizeof(rep) ? 0 : -1;
}

/* One message from c: 0 to keep the connection, -1 to close it. */
static int serve_one(const guard_broker_cfg_t *cfg, conn_t *c)
{
    char buf[sizeof(guard_broker_req_t) + 1];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = { buf, sizeof(buf) };
    struct msghdr msg;
    pid_t sender, tid = 0;
    ssize_t n;
    int status, fd = -1, rc;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.b;
    msg.msg_controllen = sizeof(ctl.b);
    n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
    if (n == 0) {
        return -1;
    }
    sender = take_cmsgs(&msg);
    status = guard_broker_check_request(buf, n, msg.msg_flags, sender,
                                        c->pid, &tid);
    if (status == 0
        && (fd = guard_broker_open_for(cfg->proc, sender, tid,
                                       cfg->server_pid)) < 0) {
        status = errno;
    }
    rc = send_reply(c->fd, tid, status, fd);
    if (fd >= 0) {
        close(fd);
    }
    /* Garbage ends the conversation; a refusal does not. */
    return rc == 0 && status != EINVAL ? 0 : -1;
}

/* The slot for a new connection: a free one, else the oldest's. */
static conn_t *free_slot(conn_t *conns)
{
    conn_t *oldest = &conns[0];
    int i;

    for (i = 0; i < GUARD_BROKER_MAX_CONNS; i++) {
        if (conns[i].fd < 0) {
            return &conns[i];
        }
        if (conns[i].deadline < oldest->deadline) {
            oldest = &conns[i];
        }
    }
    conn_close(oldest);
    return oldest;
}

void guard_broker_refused_init(guard_broker_refused_t *r)
{
    memset(r, 0, sizeof(*r));
}

int guard_broker_refused_has(const guard_broker_refused_t *r, pid_t pid,
                             apr_time_t now)
{
    int i;

    for (i = 0; i < GUARD_BROKER_REFUSED; i++) {
        if (r->pid[i] == pid && pid > 0 && now < r->until[i]) {
            return 1;
        }
    }
    return 0;
}

void guard_broker_refused_add(guard_broker_refused_t *r, pid_t pid,
                              apr_time_t now)
{
    r->pid[r->next] = pid;
    r->until[r->next] = now + GUARD_BROKER_REFUSED_TIME;
    r->next = (r->next + 1) % GUARD_BROKER_REFUSED;
}

/* Not a child of the server: closed at once. A process that was just
 * found not to be one costs no look at /proc: a flood is refused at the
 * price of accept and close. */
static int refuse(const guard_broker_cfg_t *cfg, guard_broker_refused_t *r,
                  pid_t pid, apr_time_t now)
{
    if (guard_broker_refused_has(r, pid, now)) {
        return 1;
    }
    if (!guard_broker_child_of(cfg->proc, pid, cfg->server_pid)) {
        guard_broker_refused_add(r, pid, now);
        return 1;
    }
    return 0;
}

/* Only children of the server get as far as a connection slot, and are
 * answered at once: the request is sent right after the connect.
 * @return 0 when one was taken (or refused), -1 when none was waiting */
static int accept_one(const guard_broker_cfg_t *cfg, conn_t *conns,
                      guard_broker_refused_t *r, apr_time_t now)
{
    struct ucred uc;
    socklen_t len = sizeof(uc);
    conn_t *c;
    int fd = accept4(cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return errno == EINTR || errno == ECONNABORTED ? 0 : -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0
        || refuse(cfg, r, uc.pid, now)) {
        close(fd);
        return 0;
    }
    c = free_slot(conns);
    c->fd = fd;
    c->pid = uc.pid;
    c->deadline = now + GUARD_BROKER_CONN_TIME;
    if (serve_one(cfg, c) != 0) {
        conn_close(c);
    }
    return 0;
}

/* Everything waiting, so that a flood of refused connections cannot
 * fill the backlog between two rounds; bounded, so that the children
 * already connected are served meanwhile. */
static void accept_all(const guard_broker_cfg_t *cfg, conn_t *conns,
                       guard_broker_refused_t *r)
{
    apr_time_t now = apr_time_now();
    int i;

    for (i = 0; i < GUARD_BROKER_ACCEPT_BATCH; i++) {
        if (accept_one(cfg, conns, r, now) != 0) {
            break;
        }
    }
}

static int fill_pollfds(const guard_broker_cfg_t *cfg, conn_t *conns,
                        struct pollfd *pfd, int *map, apr_time_t now,
                        int *timeout_ms)
{
    apr_time_t first = now + apr_time_from_sec(1);
    int i, n = 1;

    pfd[0].fd = cfg->listen_fd;
    pfd[0].events = POLLIN;
    for (i = 0; i < GUARD_BROKER_MAX_CONNS; i++) {
        if (conns[i].fd < 0) {
            continue;
        }
        if (conns[i].deadline <= now) {
            conn_close(&conns[i]);
            continue;
        }
        if (conns[i].deadline < first) {
            first = conns[i].deadline;
        }
        pfd[n].fd = conns[i].fd;
        pfd[n].events = POLLIN;
        map[n++] = i;
    }
    *timeout_ms = (int)((first - now + 999) / 1000);
    return n;
}

void guard_broker_serve(const guard_broker_cfg_t *cfg,
                        volatile sig_atomic_t *stop)
{
    struct pollfd pfd[GUARD_BROKER_MAX_CONNS + 1];
    int map[GUARD_BROKER_MAX_CONNS + 1];
    conn_t conns[GUARD_BROKER_MAX_CONNS];
    guard_broker_refused_t refused;
    int i, n, timeout;

    guard_broker_refused_init(&refused);
    for (i = 0; i < GUARD_BROKER_MAX_CONNS; i++) {
        conns[i].fd = -1;
    }
    while (!*stop && getppid() == cfg->server_pid) {
        n = fill_pollfds(cfg, conns, pfd, map, apr_time_now(), &timeout);
        if (poll(pfd, (nfds_t)n, timeout) <= 0) {
            continue;
        }
        for (i = 1; i < n; i++) {
            if ((pfd[i].revents & POLLIN) && serve_one(cfg, &conns[map[i]])
                                             == 0) {
                continue;
            }
            if (pfd[i].revents) {
                conn_close(&conns[map[i]]);
            }
        }
        if (pfd[0].revents & POLLIN) {
            accept_all(cfg, conns, &refused);
        }
    }
    for (i = 0; i < GUARD_BROKER_MAX_CONNS; i++) {
        conn_close(&conns[i]);
    }
}
