/* SPDX-License-Identifier: Apache-2.0 */
/* What a blocked syscall means: which fds it waits on, and of what kind. */
#ifndef GUARD_SYSCALL_H
#define GUARD_SYSCALL_H

#include <apr.h>
#include "guard_proc.h"

typedef enum {
    GUARD_CALL_NONE = 0,  /* not in a syscall (running, or unknown) */
    GUARD_CALL_OTHER,     /* a syscall with no fd meaning known here */
    GUARD_CALL_READ,      /* read, readv, pread64, recvfrom, recvmsg, recvmmsg: fd */
    GUARD_CALL_WRITE,     /* write, writev, pwrite64, sendto, sendmsg, sendmmsg: fd */
    GUARD_CALL_CONNECT,   /* connect: fd */
    GUARD_CALL_ACCEPT,    /* accept, accept4: fd */
    GUARD_CALL_POLL,      /* poll, ppoll: ptr = struct pollfd *, n = nfds, timeout_ms */
    GUARD_CALL_SELECT,    /* select, pselect6: n = nfds, ptr = readfds, ptr2 = writefds */
    GUARD_CALL_EPOLL,     /* epoll_wait, epoll_pwait, epoll_pwait2: fd = the epoll fd */
    GUARD_CALL_LOCK,      /* flock, fcntl F_SETLKW / F_OFD_SETLKW: fd, lock_op */
    GUARD_CALL_FUTEX,     /* futex */
    GUARD_CALL_SLEEP,     /* nanosleep, clock_nanosleep */
    GUARD_CALL_CHILD,     /* wait4, waitid */
    GUARD_CALL_TRANSFER   /* sendfile (fd = out, fd2 = in), splice (fd = in, fd2 = out) */
} guard_call_e;

typedef struct {
    guard_call_e call;
    int fd;                 /* main fd, -1 none */
    int fd2;                /* second fd, -1 none */
    apr_uint64_t ptr;       /* poll: the pollfd array; select: readfds */
    apr_uint64_t ptr2;      /* select: writefds */
    apr_uint64_t n;         /* poll: nfds; select: nfds */
    apr_int64_t timeout_ms; /* poll: its timeout, -1 infinite; -2 unknown */
    long lock_op;           /* LOCK: the flock operation or the fcntl command */
} guard_call_t;

/** Name of a syscall ("poll", "flock") or NULL when not in the table. */
const char *guard_syscall_name(long nr);

/**
 * Decode a parsed syscall line. A fcntl that is not F_SETLKW/F_OFD_SETLKW
 * is OTHER; a flock with LOCK_NB is OTHER.
 */
void guard_syscall_decode(const guard_syscall_line_t *sc, guard_call_t *out);

#endif
