/* SPDX-License-Identifier: Apache-2.0 */
/* Syscall names and the decoding of a blocked syscall. Numbers come from
 * <sys/syscall.h> only, so the tests hold on every architecture. */
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include "guard_unit.h"
#include "guard_syscall.h"

#ifndef F_OFD_SETLKW
#define F_OFD_SETLKW 38
#endif

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define X(v) APR_UINT64_C(v)
#define NAMED(n) { SYS_##n, #n }

static const struct {
    long nr;
    const char *name;
} names[] = {
#ifdef SYS_read
    NAMED(read),
#endif
#ifdef SYS_write
    NAMED(write),
#endif
#ifdef SYS_readv
    NAMED(readv),
#endif
#ifdef SYS_writev
    NAMED(writev),
#endif
#ifdef SYS_pread64
    NAMED(pread64),
#endif
#ifdef SYS_pwrite64
    NAMED(pwrite64),
#endif
#ifdef SYS_recvfrom
    NAMED(recvfrom),
#endif
#ifdef SYS_sendto
    NAMED(sendto),
#endif
#ifdef SYS_recvmsg
    NAMED(recvmsg),
#endif
#ifdef SYS_sendmsg
    NAMED(sendmsg),
#endif
#ifdef SYS_connect
    NAMED(connect),
#endif
#ifdef SYS_accept
    NAMED(accept),
#endif
#ifdef SYS_accept4
    NAMED(accept4),
#endif
#ifdef SYS_poll
    NAMED(poll),
#endif
#ifdef SYS_ppoll
    NAMED(ppoll),
#endif
#ifdef SYS_select
    NAMED(select),
#endif
#ifdef SYS_pselect6
    NAMED(pselect6),
#endif
#ifdef SYS_epoll_wait
    NAMED(epoll_wait),
#endif
#ifdef SYS_epoll_pwait
    NAMED(epoll_pwait),
#endif
#ifdef SYS_epoll_pwait2
    NAMED(epoll_pwait2),
#endif
#ifdef SYS_flock
    NAMED(flock),
#endif
#ifdef SYS_fcntl
    NAMED(fcntl),
#endif
#ifdef SYS_futex
    NAMED(futex),
#endif
#ifdef SYS_nanosleep
    NAMED(nanosleep),
#endif
#ifdef SYS_clock_nanosleep
    NAMED(clock_nanosleep),
#endif
#ifdef SYS_wait4
    NAMED(wait4),
#endif
#ifdef SYS_waitid
    NAMED(waitid),
#endif
#ifdef SYS_sendfile
    NAMED(sendfile),
#endif
#ifdef SYS_splice
    NAMED(splice),
#endif
#ifdef SYS_openat
    NAMED(openat),
#endif
#ifdef SYS_close
    NAMED(close),
#endif
#ifdef SYS_fsync
    NAMED(fsync),
#endif
#ifdef SYS_mmap
    NAMED(mmap),
#endif
#ifdef SYS_semop
    NAMED(semop),
#endif
#ifdef SYS_semtimedop
    NAMED(semtimedop),
#endif
#ifdef SYS_io_uring_enter
    NAMED(io_uring_enter),
#endif
#ifdef SYS_getrandom
    NAMED(getrandom),
#endif
#ifdef SYS_statx
    NAMED(statx),
#endif
#ifdef SYS_clone3
    NAMED(clone3),
#endif
#ifdef SYS_execve
    NAMED(execve),
#endif
#ifdef SYS_exit_group
    NAMED(exit_group),
#endif
#ifdef SYS_tgkill
    NAMED(tgkill),
#endif
};

START_TEST(name_known)
{
    const char *name = guard_syscall_name(names[_i].nr);

    ck_assert_msg(name != NULL, "%s (%ld) unnamed", names[_i].name,
                  names[_i].nr);
    ck_assert_str_eq(name, names[_i].name);
}
END_TEST

START_TEST(name_unknown)
{
    ck_assert_ptr_null(guard_syscall_name(-1));
    ck_assert_ptr_null(guard_syscall_name(99999));
}
END_TEST

typedef struct {
    const char *what;
    long nr;
    apr_uint64_t args[6];
    guard_call_t want;
} decode_case_t;

/* Expected results, field by field: call, fd, fd2, ptr, ptr2, n,
 * timeout_ms, lock_op. */
#define NOFD -1, -1, 0, 0, 0, -2, 0
#define FD(fd) fd, -1, 0, 0, 0, -2, 0

static const decode_case_t decode_cases[] = {
    { "read", SYS_read, { 5, X(0x7f0000), 4096 },
      { GUARD_CALL_READ, FD(5) } },
    /* An int argument is the low 32 bits of its register. */
    { "read high bits", SYS_read, { X(0xdeadbeef00000007) },
      { GUARD_CALL_READ, FD(7) } },
    { "write", SYS_write, { 12, X(0x7f0000), 17 },
      { GUARD_CALL_WRITE, FD(12) } },
    { "write negative fd", SYS_write, { X(0xffffffffffffff9c) },
      { GUARD_CALL_WRITE, FD(-100) } },
    { "readv", SYS_readv, { 8 }, { GUARD_CALL_READ, FD(8) } },
    { "writev", SYS_writev, { 9 }, { GUARD_CALL_WRITE, FD(9) } },
    { "pread64", SYS_pread64, { 10 }, { GUARD_CALL_READ, FD(10) } },
    { "pwrite64", SYS_pwrite64, { 11 }, { GUARD_CALL_WRITE, FD(11) } },
    { "recvfrom", SYS_recvfrom, { 13 }, { GUARD_CALL_READ, FD(13) } },
    { "sendto", SYS_sendto, { 14 }, { GUARD_CALL_WRITE, FD(14) } },
    { "recvmsg", SYS_recvmsg, { 15 }, { GUARD_CALL_READ, FD(15) } },
    { "sendmsg", SYS_sendmsg, { 16 }, { GUARD_CALL_WRITE, FD(16) } },
    { "recvmmsg", SYS_recvmmsg, { 17 }, { GUARD_CALL_READ, FD(17) } },
    { "sendmmsg", SYS_sendmmsg, { 18 }, { GUARD_CALL_WRITE, FD(18) } },
    { "connect", SYS_connect, { 19 }, { GUARD_CALL_CONNECT, FD(19) } },
    { "accept4", SYS_accept4, { 3, 0, 0, X(0x80800) },
      { GUARD_CALL_ACCEPT, FD(3) } },
    { "accept", SYS_accept, { 4 }, { GUARD_CALL_ACCEPT, FD(4) } },
#ifdef SYS_poll
    { "poll", SYS_poll, { X(0x7ffd1000), 2, X(0x927c0) },
      { GUARD_CALL_POLL, -1, -1, X(0x7ffd1000), 0, 2, 600000, 0 } },
    { "poll infinite", SYS_poll, { X(0x7ffd1000), 1, X(0xffffffff) },
      { GUARD_CALL_POLL, -1, -1, X(0x7ffd1000), 0, 1, -1, 0 } },
    { "poll infinite, sign-extended", SYS_poll,
      { X(0x7ffd1000), 1, X(0xffffffffffffffff) },
      { GUARD_CALL_POLL, -1, -1, X(0x7ffd1000), 0, 1, -1, 0 } },
#endif
    { "ppoll", SYS_ppoll, { X(0x7ffd2000), 3, X(0x7ffd3000), 0, 8 },
      { GUARD_CALL_POLL, -1, -1, X(0x7ffd2000), 0, 3, -2, 0 } },
#ifdef SYS_select
    { "select", SYS_select, { 9, X(0x7ffd4000), X(0x7ffd5000), 0, 0 },
      { GUARD_CALL_SELECT, -1, -1, X(0x7ffd4000), X(0x7ffd5000), 9, -2,
        0 } },
#endif
    { "pselect6", SYS_pselect6, { 7, X(0x7ffd6000), 0, 0, 0, 0 },
      { GUARD_CALL_SELECT, -1, -1, X(0x7ffd6000), 0, 7, -2, 0 } },
#ifdef SYS_epoll_wait
    { "epoll_wait", SYS_epoll_wait, { 6, X(0x7ffd7000), 32, 100 },
      { GUARD_CALL_EPOLL, FD(6) } },
#endif
    { "epoll_pwait", SYS_epoll_pwait,
      { 7, X(0x7ffd7000), 32, X(0xffffffff) },
      { GUARD_CALL_EPOLL, FD(7) } },
    { "flock LOCK_EX", SYS_flock, { 3, LOCK_EX },
      { GUARD_CALL_LOCK, 3, -1, 0, 0, 0, -2, LOCK_EX } },
    { "flock LOCK_SH", SYS_flock, { 4, LOCK_SH },
      { GUARD_CALL_LOCK, 4, -1, 0, 0, 0, -2, LOCK_SH } },
    { "flock LOCK_EX|LOCK_NB", SYS_flock, { 3, LOCK_EX | LOCK_NB },
      { GUARD_CALL_OTHER, NOFD } },
    { "flock LOCK_UN|LOCK_NB", SYS_flock, { 3, LOCK_UN | LOCK_NB },
      { GUARD_CALL_OTHER, NOFD } },
#ifdef SYS_fcntl
    { "fcntl F_SETLKW", SYS_fcntl, { 5, F_SETLKW, X(0x7ffd8000) },
      { GUARD_CALL_LOCK, 5, -1, 0, 0, 0, -2, F_SETLKW } },
    { "fcntl F_OFD_SETLKW", SYS_fcntl, { 6, F_OFD_SETLKW, X(0x7ffd8000) },
      { GUARD_CALL_LOCK, 6, -1, 0, 0, 0, -2, F_OFD_SETLKW } },
    { "fcntl F_SETLK", SYS_fcntl, { 5, F_SETLK, X(0x7ffd8000) },
      { GUARD_CALL_OTHER, NOFD } },
    { "fcntl F_GETFL", SYS_fcntl, { 5, F_GETFL },
      { GUARD_CALL_OTHER, NOFD } },
#endif
    { "futex", SYS_futex, { X(0x7f0010), 0x80, 1 },
      { GUARD_CALL_FUTEX, NOFD } },
#ifdef SYS_nanosleep
    { "nanosleep", SYS_nanosleep, { X(0x7ffd9000) },
      { GUARD_CALL_SLEEP, NOFD } },
#endif
    { "clock_nanosleep", SYS_clock_nanosleep, { 0, 0, X(0x7ffd9000) },
      { GUARD_CALL_SLEEP, NOFD } },
    { "wait4", SYS_wait4, { X(0xffffffffffffffff) },
      { GUARD_CALL_CHILD, NOFD } },
    { "waitid", SYS_waitid, { 1, 1234 }, { GUARD_CALL_CHILD, NOFD } },
    /* sendfile(out_fd, in_fd, ...), splice(fd_in, off_in, fd_out, ...) */
    { "sendfile", SYS_sendfile, { 9, 10, 0, X(0x100000) },
      { GUARD_CALL_TRANSFER, 9, 10, 0, 0, 0, -2, 0 } },
    { "splice", SYS_splice, { 11, 0, 12, 0, X(0x10000), 0 },
      { GUARD_CALL_TRANSFER, 11, 12, 0, 0, 0, -2, 0 } },
    { "openat", SYS_openat, { X(0xffffff9c), X(0x7f0000), 0 },
      { GUARD_CALL_OTHER, NOFD } },
    { "close", SYS_close, { 3 }, { GUARD_CALL_OTHER, NOFD } },
    { "unknown number", 99999, { 3 }, { GUARD_CALL_OTHER, NOFD } },
    { "outside a syscall", -1, { 0 }, { GUARD_CALL_NONE, NOFD } },
};

static void assert_call(const char *what, const guard_call_t *got,
                        const guard_call_t *want)
{
    ck_assert_msg(got->call == want->call, "%s: call %d", what, got->call);
    ck_assert_msg(got->fd == want->fd, "%s: fd %d", what, got->fd);
    ck_assert_msg(got->fd2 == want->fd2, "%s: fd2 %d", what, got->fd2);
    ck_assert_msg(got->ptr == want->ptr, "%s: ptr", what);
    ck_assert_msg(got->ptr2 == want->ptr2, "%s: ptr2", what);
    ck_assert_msg(got->n == want->n, "%s: n", what);
    ck_assert_msg(got->timeout_ms == want->timeout_ms, "%s: timeout %"
                  APR_INT64_T_FMT, what, got->timeout_ms);
    ck_assert_msg(got->lock_op == want->lock_op, "%s: lock_op %ld", what,
                  got->lock_op);
}

START_TEST(decode_table)
{
    const decode_case_t *c = &decode_cases[_i];
    guard_syscall_line_t sc;
    guard_call_t got;

    memset(&sc, 0, sizeof(sc));
    sc.nr = c->nr;
    memcpy(sc.args, c->args, sizeof(sc.args));
    memset(&got, 0x5a, sizeof(got));
    guard_syscall_decode(&sc, &got);
    assert_call(c->what, &got, &c->want);
}
END_TEST

START_TEST(decode_running)
{
    guard_syscall_line_t sc;
    guard_call_t got;
    const guard_call_t want = { GUARD_CALL_NONE, NOFD };

    ck_assert_int_eq(guard_proc_parse_syscall("running\n", &sc), 0);
    memset(&got, 0x5a, sizeof(got));
    guard_syscall_decode(&sc, &got);
    assert_call("running", &got, &want);
}
END_TEST

/* A line as the kernel prints it, through the parser and the decoder. */
static void decode_text(const char *line, guard_call_t *out)
{
    guard_syscall_line_t sc;

    ck_assert_msg(guard_proc_parse_syscall(line, &sc) == 0, "%s", line);
    guard_syscall_decode(&sc, out);
}

START_TEST(decode_lines)
{
    char line[160];
    guard_call_t got;
    const guard_call_t flock_want = { GUARD_CALL_LOCK, 7, -1, 0, 0, 0, -2,
                                      LOCK_EX };
    const guard_call_t blocked = { GUARD_CALL_NONE, NOFD };

    snprintf(line, sizeof(line), "%ld 0x7 0x%x 0x0 0x0 0x0 0x0 "
             "0x7ffd1234 0x7fa7bbbb\n", (long)SYS_flock, LOCK_EX);
    decode_text(line, &got);
    assert_call(line, &got, &flock_want);
    decode_text("-1 0x7ffd5f2b1e48 0x7f62feb90503\n", &got);
    assert_call("blocked outside", &got, &blocked);
#ifdef SYS_poll
    {
        const guard_call_t poll_want = { GUARD_CALL_POLL, -1, -1,
                                         X(0x7fa7c0), 0, 1, 600000, 0 };

        snprintf(line, sizeof(line), "%ld 0x7fa7c0 0x1 0x927c0 0x0 0x0 0x0 "
                 "0x7ffd1234 0x7fa7bbbb", (long)SYS_poll);
        decode_text(line, &got);
        assert_call(line, &got, &poll_want);
    }
#endif
}
END_TEST

Suite *guard_syscall_suite(void)
{
    Suite *s = suite_create("syscall");
    TCase *tc = tcase_create("name");

    tcase_add_loop_test(tc, name_known, 0, COUNT(names));
    tcase_add_test(tc, name_unknown);
    suite_add_tcase(s, tc);
    tc = tcase_create("decode");
    tcase_add_loop_test(tc, decode_table, 0, COUNT(decode_cases));
    tcase_add_test(tc, decode_running);
    tcase_add_test(tc, decode_lines);
    suite_add_tcase(s, tc);
    return s;
}
