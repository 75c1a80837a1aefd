/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asking the syscall-file broker for one of this process's thread files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include "guard_broker_client.h"
#include "guard_broker_proto.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int guard_broker_addr_set(guard_broker_addr_t *addr, const char *name,
                          socklen_t len)
{
    memset(addr, 0, sizeof(*addr));
    if (len < 2 || len > sizeof(addr->sa.sun_path)) {
        return -1;
    }
    addr->sa.sun_family = AF_UNIX;
    memcpy(addr->sa.sun_path, name, len);
    addr->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    return 0;
}

/* A full backlog (the broker busy refusing a flood) is waited out, for
 * at most timeout_ms: the broker empties it every round. */
static int connect_patiently(int fd, const guard_broker_addr_t *addr,
                             int timeout_ms)
{
    int waited;

    for (waited = 0; ; waited++) {
        if (connect(fd, (const struct sockaddr *)&addr->sa, addr->len) == 0) {
            return 0;
        }
        if (errno != EAGAIN || waited >= timeout_ms) {
            return -1;
        }
        poll(NULL, 0, 1);
    }
}

/* Only root's broker is believed: anyone may bind a name, not as root. */
static int connect_broker(const guard_broker_addr_t *addr, int timeout_ms)
{
    struct ucred uc;
    socklen_t len = sizeof(uc);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0) {
        return -1;
    }
    if (connect_patiently(fd, addr, timeout_ms) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0
        || uc.uid != 0) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

static int send_request(int fd, pid_t tid)
{
    guard_broker_req_t req;

    memset(&req, 0, sizeof(req));
    req.magic = GUARD_BROKER_MAGIC;
    req.version = GUARD_BROKER_VERSION;
    req.tid = (apr_int32_t)tid;
    return send(fd, &req, sizeof(req), MSG_NOSIGNAL) == (ssize_t)sizeof(req)
           ? 0 : -1;
}

/* The fds that came with msg: the first is kept in *fd, others closed. */
static void take_fds(struct msghdr *msg, int *fd)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        size_t i, n;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < n; i++) {
            int f;

            memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (*fd < 0) {
                *fd = f;
            }
            else {
                close(f);
            }
        }
    }
}

static int is_proc_file(int fd)
{
    struct statfs sf;

    return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static int read_reply(int sock, pid_t tid, int timeout_ms)
{
    guard_broker_reply_t rep;
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct iovec iov = { &rep, sizeof(rep) };
    struct pollfd pfd = { sock, POLLIN, 0 };
    struct msghdr msg;
    ssize_t n;
    int fd = -1;

    if (poll(&pfd, 1, timeout_ms) <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.b;
    msg.msg_controllen = sizeof(ctl.b);
    n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n > 0) {
        take_fds(&msg, &fd);
    }
    if (n != (ssize_t)sizeof(rep) || rep.magic != GUARD_BROKER_MAGIC
        || rep.tid != (apr_int32_t)tid || rep.status != 0 || fd < 0
        || !is_proc_file(fd)) {
        int e = n == (ssize_t)sizeof(rep) && rep.status > 0 ? rep.status
                : EPROTO;

        if (fd >= 0) {
            close(fd);
        }
        errno = e;
        return -1;
    }
    return fd;
}

int guard_broker_ask(const guard_broker_addr_t *addr, pid_t tid,
                     int timeout_ms)
{
    int sock, fd, e;

    if (addr->len == 0) {
        errno = ECONNREFUSED;
        return -1;
    }
    if ((sock = connect_broker(addr, timeout_ms)) < 0) {
        return -1;
    }
    fd = send_request(sock, tid) == 0 ? read_reply(sock, tid, timeout_ms)
                                      : -1;
    e = errno;
    close(sock);
    errno = e;
    return fd;
}
