/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A child's side of the syscall-file broker (guard_broker.h): one
 * connection per question, never waiting longer than the given time.
 */
#ifndef GUARD_BROKER_CLIENT_H
#define GUARD_BROKER_CLIENT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct {
    struct sockaddr_un sa;
    socklen_t len;                /* 0: no broker */
} guard_broker_addr_t;

/** Set addr to the socket's path (len bytes, the final NUL included). */
int guard_broker_addr_set(guard_broker_addr_t *addr, const char *name,
                          socklen_t len);

/**
 * Ask for this process's /proc/self/task/<tid>/syscall. The answer is
 * taken only from a broker running as uid 0, and only if the fd is a
 * file of procfs. A full backlog is retried for up to timeout_ms too.
 * @return the fd, or -1 with errno (ETIMEDOUT: no answer in time;
 *         EPERM/ESRCH/EINVAL: refused; ECONNREFUSED, EAGAIN: no broker)
 */
int guard_broker_ask(const guard_broker_addr_t *addr, pid_t tid,
                     int timeout_ms);

#endif
