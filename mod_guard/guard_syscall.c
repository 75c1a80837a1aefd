/* SPDX-License-Identifier: Apache-2.0 */
/* What a blocked syscall waits for. The table is built only from the
 * SYS_* macros of <sys/syscall.h>, each under #ifdef, so that it compiles
 * on every architecture with the numbers of that architecture. */
#include <sys/syscall.h>
#include <sys/file.h>
#include <fcntl.h>
#include "guard_syscall.h"

#ifndef F_OFD_SETLKW
#define F_OFD_SETLKW 38
#endif

/* Where a syscall keeps the arguments guard_call_t reports. */
typedef enum {
    ARGS_NONE = 0,
    ARGS_FD,        /* fd in a0 */
    ARGS_POLL,      /* pollfd *, nfds, int timeout in ms */
    ARGS_PPOLL,     /* pollfd *, nfds, struct timespec * */
    ARGS_SELECT,    /* nfds, readfds, writefds */
    ARGS_FLOCK,     /* fd, operation */
    ARGS_FCNTL,     /* fd, cmd */
    ARGS_SENDFILE,  /* out_fd, in_fd */
    ARGS_SPLICE     /* fd_in, off_in, fd_out */
} guard_args_e;

typedef struct {
    long nr;
    const char *name;
    guard_call_e call;
    guard_args_e args;
} guard_syscall_t;

#define SC(n, call, args) { SYS_##n, #n, call, args }
#define OTHER(n) { SYS_##n, #n, GUARD_CALL_OTHER, ARGS_NONE }

static const guard_syscall_t syscalls[] = {
#ifdef SYS_read
    SC(read, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_readv
    SC(readv, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_pread64
    SC(pread64, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_preadv
    SC(preadv, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_preadv2
    SC(preadv2, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_recv
    SC(recv, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_recvfrom
    SC(recvfrom, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_recvmsg
    SC(recvmsg, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_recvmmsg
    SC(recvmmsg, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_recvmmsg_time64
    SC(recvmmsg_time64, GUARD_CALL_READ, ARGS_FD),
#endif
#ifdef SYS_write
    SC(write, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_writev
    SC(writev, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_pwrite64
    SC(pwrite64, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_pwritev
    SC(pwritev, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_pwritev2
    SC(pwritev2, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_send
    SC(send, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_sendto
    SC(sendto, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_sendmsg
    SC(sendmsg, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_sendmmsg
    SC(sendmmsg, GUARD_CALL_WRITE, ARGS_FD),
#endif
#ifdef SYS_connect
    SC(connect, GUARD_CALL_CONNECT, ARGS_FD),
#endif
#ifdef SYS_accept
    SC(accept, GUARD_CALL_ACCEPT, ARGS_FD),
#endif
#ifdef SYS_accept4
    SC(accept4, GUARD_CALL_ACCEPT, ARGS_FD),
#endif
#ifdef SYS_poll
    SC(poll, GUARD_CALL_POLL, ARGS_POLL),
#endif
#ifdef SYS_ppoll
    SC(ppoll, GUARD_CALL_POLL, ARGS_PPOLL),
#endif
#ifdef SYS_ppoll_time64
    SC(ppoll_time64, GUARD_CALL_POLL, ARGS_PPOLL),
#endif
#ifdef SYS_select
    SC(select, GUARD_CALL_SELECT, ARGS_SELECT),
#endif
#ifdef SYS__newselect
    { SYS__newselect, "select", GUARD_CALL_SELECT, ARGS_SELECT },
#endif
#ifdef SYS_pselect6
    SC(pselect6, GUARD_CALL_SELECT, ARGS_SELECT),
#endif
#ifdef SYS_pselect6_time64
    SC(pselect6_time64, GUARD_CALL_SELECT, ARGS_SELECT),
#endif
#ifdef SYS_epoll_wait
    SC(epoll_wait, GUARD_CALL_EPOLL, ARGS_FD),
#endif
#ifdef SYS_epoll_pwait
    SC(epoll_pwait, GUARD_CALL_EPOLL, ARGS_FD),
#endif
#ifdef SYS_epoll_pwait2
    SC(epoll_pwait2, GUARD_CALL_EPOLL, ARGS_FD),
#endif
#ifdef SYS_flock
    SC(flock, GUARD_CALL_LOCK, ARGS_FLOCK),
#endif
#ifdef SYS_fcntl
    SC(fcntl, GUARD_CALL_LOCK, ARGS_FCNTL),
#endif
#ifdef SYS_fcntl64
    SC(fcntl64, GUARD_CALL_LOCK, ARGS_FCNTL),
#endif
#ifdef SYS_futex
    SC(futex, GUARD_CALL_FUTEX, ARGS_NONE),
#endif
#ifdef SYS_futex_time64
    SC(futex_time64, GUARD_CALL_FUTEX, ARGS_NONE),
#endif
#ifdef SYS_futex_waitv
    SC(futex_waitv, GUARD_CALL_FUTEX, ARGS_NONE),
#endif
#ifdef SYS_nanosleep
    SC(nanosleep, GUARD_CALL_SLEEP, ARGS_NONE),
#endif
#ifdef SYS_clock_nanosleep
    SC(clock_nanosleep, GUARD_CALL_SLEEP, ARGS_NONE),
#endif
#ifdef SYS_clock_nanosleep_time64
    SC(clock_nanosleep_time64, GUARD_CALL_SLEEP, ARGS_NONE),
#endif
#ifdef SYS_wait4
    SC(wait4, GUARD_CALL_CHILD, ARGS_NONE),
#endif
#ifdef SYS_waitid
    SC(waitid, GUARD_CALL_CHILD, ARGS_NONE),
#endif
#ifdef SYS_waitpid
    SC(waitpid, GUARD_CALL_CHILD, ARGS_NONE),
#endif
#ifdef SYS_sendfile
    SC(sendfile, GUARD_CALL_TRANSFER, ARGS_SENDFILE),
#endif
#ifdef SYS_sendfile64
    SC(sendfile64, GUARD_CALL_TRANSFER, ARGS_SENDFILE),
#endif
#ifdef SYS_splice
    SC(splice, GUARD_CALL_TRANSFER, ARGS_SPLICE),
#endif
#ifdef SYS_open
    OTHER(open),
#endif
#ifdef SYS_openat
    OTHER(openat),
#endif
#ifdef SYS_openat2
    OTHER(openat2),
#endif
#ifdef SYS_close
    OTHER(close),
#endif
#ifdef SYS_close_range
    OTHER(close_range),
#endif
#ifdef SYS_ioctl
    OTHER(ioctl),
#endif
#ifdef SYS_lseek
    OTHER(lseek),
#endif
#ifdef SYS_fsync
    OTHER(fsync),
#endif
#ifdef SYS_fdatasync
    OTHER(fdatasync),
#endif
#ifdef SYS_sync_file_range
    OTHER(sync_file_range),
#endif
#ifdef SYS_fallocate
    OTHER(fallocate),
#endif
#ifdef SYS_ftruncate
    OTHER(ftruncate),
#endif
#ifdef SYS_truncate
    OTHER(truncate),
#endif
#ifdef SYS_msync
    OTHER(msync),
#endif
#ifdef SYS_mmap
    OTHER(mmap),
#endif
#ifdef SYS_munmap
    OTHER(munmap),
#endif
#ifdef SYS_mremap
    OTHER(mremap),
#endif
#ifdef SYS_mprotect
    OTHER(mprotect),
#endif
#ifdef SYS_madvise
    OTHER(madvise),
#endif
#ifdef SYS_brk
    OTHER(brk),
#endif
#ifdef SYS_pause
    OTHER(pause),
#endif
#ifdef SYS_rt_sigsuspend
    OTHER(rt_sigsuspend),
#endif
#ifdef SYS_rt_sigtimedwait
    OTHER(rt_sigtimedwait),
#endif
#ifdef SYS_rt_sigtimedwait_time64
    OTHER(rt_sigtimedwait_time64),
#endif
#ifdef SYS_rt_sigaction
    OTHER(rt_sigaction),
#endif
#ifdef SYS_rt_sigprocmask
    OTHER(rt_sigprocmask),
#endif
#ifdef SYS_rt_sigreturn
    OTHER(rt_sigreturn),
#endif
#ifdef SYS_sigaltstack
    OTHER(sigaltstack),
#endif
#ifdef SYS_semop
    OTHER(semop),
#endif
#ifdef SYS_semtimedop
    OTHER(semtimedop),
#endif
#ifdef SYS_semtimedop_time64
    OTHER(semtimedop_time64),
#endif
#ifdef SYS_semget
    OTHER(semget),
#endif
#ifdef SYS_semctl
    OTHER(semctl),
#endif
#ifdef SYS_msgrcv
    OTHER(msgrcv),
#endif
#ifdef SYS_msgsnd
    OTHER(msgsnd),
#endif
#ifdef SYS_msgget
    OTHER(msgget),
#endif
#ifdef SYS_msgctl
    OTHER(msgctl),
#endif
#ifdef SYS_shmget
    OTHER(shmget),
#endif
#ifdef SYS_shmat
    OTHER(shmat),
#endif
#ifdef SYS_shmdt
    OTHER(shmdt),
#endif
#ifdef SYS_shmctl
    OTHER(shmctl),
#endif
#ifdef SYS_getrandom
    OTHER(getrandom),
#endif
#ifdef SYS_io_setup
    OTHER(io_setup),
#endif
#ifdef SYS_io_submit
    OTHER(io_submit),
#endif
#ifdef SYS_io_getevents
    OTHER(io_getevents),
#endif
#ifdef SYS_io_pgetevents
    OTHER(io_pgetevents),
#endif
#ifdef SYS_io_pgetevents_time64
    OTHER(io_pgetevents_time64),
#endif
#ifdef SYS_io_destroy
    OTHER(io_destroy),
#endif
#ifdef SYS_io_uring_setup
    OTHER(io_uring_setup),
#endif
#ifdef SYS_io_uring_enter
    OTHER(io_uring_enter),
#endif
#ifdef SYS_io_uring_register
    OTHER(io_uring_register),
#endif
#ifdef SYS_sched_yield
    OTHER(sched_yield),
#endif
#ifdef SYS_statx
    OTHER(statx),
#endif
#ifdef SYS_newfstatat
    OTHER(newfstatat),
#endif
#ifdef SYS_fstatat64
    OTHER(fstatat64),
#endif
#ifdef SYS_lstat
    OTHER(lstat),
#endif
#ifdef SYS_stat
    OTHER(stat),
#endif
#ifdef SYS_fstat
    OTHER(fstat),
#endif
#ifdef SYS_getdents64
    OTHER(getdents64),
#endif
#ifdef SYS_access
    OTHER(access),
#endif
#ifdef SYS_faccessat
    OTHER(faccessat),
#endif
#ifdef SYS_faccessat2
    OTHER(faccessat2),
#endif
#ifdef SYS_readlink
    OTHER(readlink),
#endif
#ifdef SYS_readlinkat
    OTHER(readlinkat),
#endif
#ifdef SYS_unlink
    OTHER(unlink),
#endif
#ifdef SYS_unlinkat
    OTHER(unlinkat),
#endif
#ifdef SYS_rename
    OTHER(rename),
#endif
#ifdef SYS_renameat
    OTHER(renameat),
#endif
#ifdef SYS_renameat2
    OTHER(renameat2),
#endif
#ifdef SYS_mkdir
    OTHER(mkdir),
#endif
#ifdef SYS_mkdirat
    OTHER(mkdirat),
#endif
#ifdef SYS_rmdir
    OTHER(rmdir),
#endif
#ifdef SYS_link
    OTHER(link),
#endif
#ifdef SYS_symlink
    OTHER(symlink),
#endif
#ifdef SYS_chdir
    OTHER(chdir),
#endif
#ifdef SYS_chmod
    OTHER(chmod),
#endif
#ifdef SYS_fchmod
    OTHER(fchmod),
#endif
#ifdef SYS_chown
    OTHER(chown),
#endif
#ifdef SYS_fchown
    OTHER(fchown),
#endif
#ifdef SYS_umask
    OTHER(umask),
#endif
#ifdef SYS_pipe
    OTHER(pipe),
#endif
#ifdef SYS_pipe2
    OTHER(pipe2),
#endif
#ifdef SYS_dup
    OTHER(dup),
#endif
#ifdef SYS_dup2
    OTHER(dup2),
#endif
#ifdef SYS_dup3
    OTHER(dup3),
#endif
#ifdef SYS_socket
    OTHER(socket),
#endif
#ifdef SYS_socketpair
    OTHER(socketpair),
#endif
#ifdef SYS_bind
    OTHER(bind),
#endif
#ifdef SYS_listen
    OTHER(listen),
#endif
#ifdef SYS_shutdown
    OTHER(shutdown),
#endif
#ifdef SYS_getsockname
    OTHER(getsockname),
#endif
#ifdef SYS_getpeername
    OTHER(getpeername),
#endif
#ifdef SYS_getsockopt
    OTHER(getsockopt),
#endif
#ifdef SYS_setsockopt
    OTHER(setsockopt),
#endif
#ifdef SYS_tee
    OTHER(tee),
#endif
#ifdef SYS_copy_file_range
    OTHER(copy_file_range),
#endif
#ifdef SYS_epoll_create
    OTHER(epoll_create),
#endif
#ifdef SYS_epoll_create1
    OTHER(epoll_create1),
#endif
#ifdef SYS_epoll_ctl
    OTHER(epoll_ctl),
#endif
#ifdef SYS_eventfd
    OTHER(eventfd),
#endif
#ifdef SYS_eventfd2
    OTHER(eventfd2),
#endif
#ifdef SYS_timerfd_create
    OTHER(timerfd_create),
#endif
#ifdef SYS_timerfd_settime
    OTHER(timerfd_settime),
#endif
#ifdef SYS_signalfd4
    OTHER(signalfd4),
#endif
#ifdef SYS_inotify_add_watch
    OTHER(inotify_add_watch),
#endif
#ifdef SYS_clone
    OTHER(clone),
#endif
#ifdef SYS_clone3
    OTHER(clone3),
#endif
#ifdef SYS_fork
    OTHER(fork),
#endif
#ifdef SYS_vfork
    OTHER(vfork),
#endif
#ifdef SYS_execve
    OTHER(execve),
#endif
#ifdef SYS_exit
    OTHER(exit),
#endif
#ifdef SYS_exit_group
    OTHER(exit_group),
#endif
#ifdef SYS_kill
    OTHER(kill),
#endif
#ifdef SYS_tgkill
    OTHER(tgkill),
#endif
#ifdef SYS_tkill
    OTHER(tkill),
#endif
#ifdef SYS_pidfd_open
    OTHER(pidfd_open),
#endif
#ifdef SYS_pidfd_send_signal
    OTHER(pidfd_send_signal),
#endif
#ifdef SYS_getpid
    OTHER(getpid),
#endif
#ifdef SYS_gettid
    OTHER(gettid),
#endif
#ifdef SYS_getppid
    OTHER(getppid),
#endif
#ifdef SYS_getuid
    OTHER(getuid),
#endif
#ifdef SYS_geteuid
    OTHER(geteuid),
#endif
#ifdef SYS_setuid
    OTHER(setuid),
#endif
#ifdef SYS_setgid
    OTHER(setgid),
#endif
#ifdef SYS_setgroups
    OTHER(setgroups),
#endif
#ifdef SYS_gettimeofday
    OTHER(gettimeofday),
#endif
#ifdef SYS_clock_gettime
    OTHER(clock_gettime),
#endif
#ifdef SYS_times
    OTHER(times),
#endif
#ifdef SYS_getrlimit
    OTHER(getrlimit),
#endif
#ifdef SYS_setrlimit
    OTHER(setrlimit),
#endif
#ifdef SYS_prlimit64
    OTHER(prlimit64),
#endif
#ifdef SYS_prctl
    OTHER(prctl),
#endif
#ifdef SYS_arch_prctl
    OTHER(arch_prctl),
#endif
#ifdef SYS_set_robust_list
    OTHER(set_robust_list),
#endif
#ifdef SYS_set_tid_address
    OTHER(set_tid_address),
#endif
#ifdef SYS_membarrier
    OTHER(membarrier),
#endif
#ifdef SYS_rseq
    OTHER(rseq),
#endif
#ifdef SYS_mlock
    OTHER(mlock),
#endif
#ifdef SYS_munlock
    OTHER(munlock),
#endif
#ifdef SYS_uname
    OTHER(uname),
#endif
#ifdef SYS_sysinfo
    OTHER(sysinfo),
#endif
};

#define SYSCALL_COUNT (sizeof(syscalls) / sizeof(syscalls[0]))

static const guard_syscall_t *syscall_lookup(long nr)
{
    apr_size_t i;

    for (i = 0; i < SYSCALL_COUNT; i++) {
        if (syscalls[i].nr == nr) {
            return &syscalls[i];
        }
    }
    return NULL;
}

const char *guard_syscall_name(long nr)
{
    const guard_syscall_t *sc = syscall_lookup(nr);

    return sc ? sc->name : NULL;
}

/* Registers hold 64 bits; an int argument is the low 32, sign included. */
static int arg_int(apr_uint64_t arg)
{
    return (int)(apr_int32_t)(apr_uint32_t)(arg & 0xffffffffu);
}

static int fcntl_waits(int cmd)
{
#if defined(F_SETLKW64)
    if (cmd == F_SETLKW64) {
        return 1;
    }
#endif
    return cmd == F_SETLKW || cmd == F_OFD_SETLKW;
}

static void decode_lock(const guard_syscall_line_t *sc, guard_args_e how,
                        guard_call_t *out)
{
    int op = arg_int(sc->args[1]);
    int waits = (how == ARGS_FLOCK) ? !(op & LOCK_NB) : fcntl_waits(op);

    if (!waits) {
        out->call = GUARD_CALL_OTHER;
        return;
    }
    out->fd = arg_int(sc->args[0]);
    out->lock_op = op;
}

static void decode_args(const guard_syscall_line_t *sc, guard_args_e how,
                        guard_call_t *out)
{
    switch (how) {
    case ARGS_FD:
        out->fd = arg_int(sc->args[0]);
        break;
    case ARGS_POLL:
    case ARGS_PPOLL:
        out->ptr = sc->args[0];
        out->n = sc->args[1];
        out->timeout_ms = how == ARGS_POLL ? arg_int(sc->args[2]) : -2;
        break;
    case ARGS_SELECT:
        out->n = (apr_uint32_t)arg_int(sc->args[0]);
        out->ptr = sc->args[1];
        out->ptr2 = sc->args[2];
        break;
    case ARGS_FLOCK:
    case ARGS_FCNTL:
        decode_lock(sc, how, out);
        break;
    case ARGS_SENDFILE:
        out->fd = arg_int(sc->args[0]);
        out->fd2 = arg_int(sc->args[1]);
        break;
    case ARGS_SPLICE:
        out->fd = arg_int(sc->args[0]);
        out->fd2 = arg_int(sc->args[2]);
        break;
    case ARGS_NONE:
        break;
    }
}

void guard_syscall_decode(const guard_syscall_line_t *sc, guard_call_t *out)
{
    const guard_syscall_t *entry;

    out->call = GUARD_CALL_NONE;
    out->fd = -1;
    out->fd2 = -1;
    out->ptr = 0;
    out->ptr2 = 0;
    out->n = 0;
    out->timeout_ms = -2;
    out->lock_op = 0;
    if (sc->running || sc->nr < 0) {
        return;
    }
    if ((entry = syscall_lookup(sc->nr)) == NULL) {
        out->call = GUARD_CALL_OTHER;
        return;
    }
    out->call = entry->call;
    decode_args(sc, entry->args, out);
}
