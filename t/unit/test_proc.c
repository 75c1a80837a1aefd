/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers of /proc/<pid>/task/<tid>/syscall and stat. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include "guard_unit.h"
#include "guard_proc.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define X(v) APR_UINT64_C(v)

static const struct {
    const char *line;
    int running;
    long nr;
    apr_uint64_t args[6];
    apr_uint64_t sp;
    apr_uint64_t pc;
} syscall_ok[] = {
    { "running", 1, -1, { 0 }, 0, 0 },
    { "running\n", 1, -1, { 0 }, 0, 0 },
    /* Blocked outside a syscall: only the stack and program counters. */
    { "-1 0x7ffd5f2b1e48 0x7f62feb90503\n", 0, -1, { 0 },
      X(0x7ffd5f2b1e48), X(0x7f62feb90503) },
    { "7 0x7fa7c0 0x1 0x927c0 0x0 0x0 0x0 0x7ffd1234 0x7fa7bbbb", 0, 7,
      { X(0x7fa7c0), 1, X(0x927c0), 0, 0, 0 },
      X(0x7ffd1234), X(0x7fa7bbbb) },
    /* Captured from `cat /proc/self/syscall` and a sleeping sleep(1). */
    { "0 0x3 0x7f11e704b000 0x20000 0x7f11e70dcb60 0xffffffff 0x0 "
      "0x7ffc42fe0598 0x7f11e71c52ad\n", 0, 0,
      { 3, X(0x7f11e704b000), X(0x20000), X(0x7f11e70dcb60),
        X(0xffffffff), 0 }, X(0x7ffc42fe0598), X(0x7f11e71c52ad) },
    { "230 0x0 0x0 0x7ffdbbda9e60 0x7ffdbbda9ea0 0x0 0x0 0x7ffdbbda9e48 "
      "0x7f62feb90503\n", 0, 230,
      { 0, 0, X(0x7ffdbbda9e60), X(0x7ffdbbda9ea0), 0, 0 },
      X(0x7ffdbbda9e48), X(0x7f62feb90503) },
    { "202 0xFFFFFFFFFFFFFFFF 0x80 0x0 0x0 0x0 0xAbC 0x1 0x2", 0, 202,
      { X(0xffffffffffffffff), X(0x80), 0, 0, 0, X(0xabc) }, 1, 2 },
};

static const char *const syscall_bad[] = {
    "",
    "\n",
    "runnin",
    "runningx",
    "running\n\n",
    "running 0x1",
    " running",
    "7",
    "7\n",
    "7 0x1 0x2",
    "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7",
    "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9",
    "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 ",
    "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8\n\n",
    "7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8x",
    "7  0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "7\t0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "7 1 2 3 4 5 6 7 8",
    "7 0x 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "7 0xg 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "7 0x10000000000000000 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "0x7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "+7 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "99999999999 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8",
    "-1",
    "-1 0x1",
    "-1 0x1 0x2 0x3",
    "--1 0x1 0x2",
    "- 0x1 0x2",
    "x 0x1 0x2",
};

START_TEST(syscall_valid)
{
    guard_syscall_line_t sc;
    int i;

    memset(&sc, 0x5a, sizeof(sc));
    ck_assert_int_eq(guard_proc_parse_syscall(syscall_ok[_i].line, &sc), 0);
    ck_assert_int_eq(sc.running, syscall_ok[_i].running);
    ck_assert_int_eq(sc.nr, syscall_ok[_i].nr);
    for (i = 0; i < 6; i++) {
        ck_assert_msg(sc.args[i] == syscall_ok[_i].args[i], "arg %d", i);
    }
    ck_assert(sc.sp == syscall_ok[_i].sp);
    ck_assert(sc.pc == syscall_ok[_i].pc);
}
END_TEST

START_TEST(syscall_malformed)
{
    guard_syscall_line_t sc;
    int i;

    memset(&sc, 0x5a, sizeof(sc));
    ck_assert_msg(guard_proc_parse_syscall(syscall_bad[_i], &sc) == -1,
                  "\"%s\" accepted", syscall_bad[_i]);
    ck_assert_int_eq(sc.running, 0);
    ck_assert_int_eq(sc.nr, -1);
    for (i = 0; i < 6; i++) {
        ck_assert(sc.args[i] == 0);
    }
    ck_assert(sc.sp == 0 && sc.pc == 0);
}
END_TEST

static int read_proc(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return 0;
}

/* This thread reads its own syscall file, so it is seen inside read(2). */
START_TEST(syscall_live)
{
    guard_syscall_line_t sc;
    char buf[256];

    ck_assert_int_eq(read_proc("/proc/thread-self/syscall", buf,
                               sizeof(buf)), 0);
    ck_assert_msg(guard_proc_parse_syscall(buf, &sc) == 0, "%s", buf);
    ck_assert_int_eq(sc.running, 0);
    ck_assert_int_eq(sc.nr, SYS_read);
    ck_assert(sc.sp != 0 && sc.pc != 0);
}
END_TEST

static const struct {
    const char *line;
    char state;
    apr_uint64_t utime, stime, starttime, ppid;
} stat_ok[] = {
    /* Captured from a sleeping sleep(1). */
    { "13853 (sleep) S 13843 13843 13112 0 -1 4194304 132 0 0 0 0 0 0 0 20 "
      "0 1 0 32574 2990080 410 18446744073709551615 94210797191168 "
      "94210797209097 140727755120720 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 "
      "94210797223184 94210797224448 94211213295616 140727755123138 "
      "140727755123148 140727755123148 140727755124713 0\n",
      'S', 0, 0, 32574, 13843 },
    { "1234 (apache2) D 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
      "27 0 987654 1000 20 18446744073709551615\n", 'D', 157, 42, 987654,
      1 },
    /* Spaces and parentheses in comm: only the last ')' ends it. */
    { "77 (my (odd) name) R 1 77 77 0 -1 0 0 0 0 0 11 12 0 0 20 0 1 0 13 0",
      'R', 11, 12, 13, 1 },
    { "78 (x) R 9 9 9) t 1 78 78 0 -1 0 0 0 0 0 21 22 0 0 -2 -20 1 0 23 0",
      't', 21, 22, 23, 1 },
    { "79 () Z 1 79 79 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3", 'Z', 1, 2, 3, 1 },
    /* Exactly 22 fields; the largest tick counts. */
    { "80 (w) I 1 80 80 0 -1 0 0 0 0 0 18446744073709551615 "
      "18446744073709551614 0 0 20 0 1 0 18446744073709551613\n", 'I',
      X(18446744073709551615), X(18446744073709551614),
      X(18446744073709551613), 1 },
};

static const char *const stat_bad[] = {
    "",
    "1234",
    "1234 (apache2)",
    "1234 (apache2) S",
    "1234 (apache2) S 1 2 3",
    /* 21 fields: starttime is missing. */
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0",
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 ",
    "1234 (apache2 S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
    "1234 apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
    "abc (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
    "1234 (apache2) SS 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
    "1234 (apache2)  S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 15x 42 0 0 20 0 "
    "27 0 987654",
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 -42 0 0 20 0 "
    "27 0 987654",
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 18446744073709551616",
    "1234 (apache2) S 1 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654x 0",
    /* The parent is a number. */
    "1234 (apache2) S x 1234 1234 0 -1 4194624 2000 0 3 0 157 42 0 0 20 0 "
    "27 0 987654",
};

START_TEST(stat_valid)
{
    guard_stat_line_t st;

    memset(&st, 0x5a, sizeof(st));
    ck_assert_int_eq(guard_proc_parse_stat(stat_ok[_i].line, &st), 0);
    ck_assert_int_eq(st.state, stat_ok[_i].state);
    ck_assert(st.utime == stat_ok[_i].utime);
    ck_assert(st.stime == stat_ok[_i].stime);
    ck_assert(st.starttime == stat_ok[_i].starttime);
    ck_assert(st.ppid == stat_ok[_i].ppid);
}
END_TEST

START_TEST(stat_malformed)
{
    guard_stat_line_t st;

    ck_assert_msg(guard_proc_parse_stat(stat_bad[_i], &st) == -1,
                  "\"%s\" accepted", stat_bad[_i]);
}
END_TEST

START_TEST(stat_live)
{
    guard_stat_line_t st;
    char buf[1024];

    ck_assert_int_eq(read_proc("/proc/thread-self/stat", buf, sizeof(buf)),
                     0);
    ck_assert_msg(guard_proc_parse_stat(buf, &st) == 0, "%s", buf);
    ck_assert_int_eq(st.state, 'R');
    ck_assert(st.starttime > 0);
    ck_assert(st.ppid == (apr_uint64_t)getppid());
}
END_TEST

static const struct {
    const char *text;
    int n;
    int fds[4];
} epoll_cases[] = {
    { "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t3075\n"
      "tfd:        5 events:       19 data:                5  pos:0 "
      "ino:1b1b sdev:8\n"
      "tfd:       12 events:       19 data:                c  pos:0 "
      "ino:1b1c sdev:8\n", 2, { 5, 12 } },
    { "tfd: 7", 1, { 7 } },
    { "tfd:\t0 events: 1\n", 1, { 0 } },
    /* Malformed numbers and lines that only mention tfd are skipped. */
    { "tfd: -3 events: 1\ntfd: x\ntfd: 9x events\n"
      "tfd: 2147483648 events: 1\n xtfd: 4\nino: tfd: 5\n"
      "tfd: 99999999999999999999999 events: 1\ntfd: 2147483647\n", 1,
      { 2147483647 } },
    { "", 0, { 0 } },
    { NULL, 0, { 0 } },
    /* At most max (3 here). */
    { "tfd: 1\ntfd: 2\ntfd: 3\ntfd: 4\n", 3, { 1, 2, 3 } },
};

START_TEST(epoll_fdinfo)
{
    int fds[3] = { -1, -1, -1 }, i, n;

    n = guard_proc_epoll_fds(epoll_cases[_i].text, fds, 3);
    ck_assert_int_eq(n, epoll_cases[_i].n);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(fds[i], epoll_cases[_i].fds[i]);
    }
}
END_TEST

/* The kernel's own text for an epoll instance watching two pipes. */
START_TEST(epoll_fdinfo_live)
{
    int ep = epoll_create1(0), p[2], fds[4], n, i;
    struct epoll_event ev = { .events = EPOLLIN };
    char path[64], buf[2048];

    ck_assert_int_ge(ep, 0);
    ck_assert_int_eq(pipe(p), 0);
    for (i = 0; i < 2; i++) {
        ev.data.fd = p[i];
        ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[i], &ev), 0);
    }
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
    ck_assert_int_eq(read_proc(path, buf, sizeof(buf)), 0);
    n = guard_proc_epoll_fds(buf, fds, 4);
    ck_assert_msg(n == 2, "%d fds in: %s", n, buf);
    ck_assert_int_eq(fds[0] + fds[1], p[0] + p[1]);
    ck_assert(fds[0] == p[0] || fds[0] == p[1]);
    close(p[0]);
    close(p[1]);
    close(ep);
}
END_TEST

Suite *guard_proc_suite(void)
{
    Suite *s = suite_create("proc");
    TCase *tc = tcase_create("syscall");

    tcase_add_loop_test(tc, syscall_valid, 0, COUNT(syscall_ok));
    tcase_add_loop_test(tc, syscall_malformed, 0, COUNT(syscall_bad));
    tcase_add_test(tc, syscall_live);
    suite_add_tcase(s, tc);
    tc = tcase_create("stat");
    tcase_add_loop_test(tc, stat_valid, 0, COUNT(stat_ok));
    tcase_add_loop_test(tc, stat_malformed, 0, COUNT(stat_bad));
    tcase_add_test(tc, stat_live);
    suite_add_tcase(s, tc);
    tc = tcase_create("epoll");
    tcase_add_loop_test(tc, epoll_fdinfo, 0, COUNT(epoll_cases));
    tcase_add_test(tc, epoll_fdinfo_live);
    suite_add_tcase(s, tc);
    return s;
}
