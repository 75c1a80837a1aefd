/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers of the /proc lines the watchdog reads. Pure: they take text. */
#ifndef GUARD_PROC_H
#define GUARD_PROC_H

#include <apr.h>

/** One line of /proc/<pid>/task/<tid>/syscall. */
typedef struct {
    int running;              /* "running": on CPU, not in a syscall */
    long nr;                  /* syscall number; -1: blocked outside one */
    apr_uint64_t args[6];
    apr_uint64_t sp;
    apr_uint64_t pc;
} guard_syscall_line_t;

/**
 * Parse "nr a0 a1 a2 a3 a4 a5 sp pc", "-1 sp pc" or "running".
 * @return 0 on success, -1 on malformed input (out is then zeroed, nr -1).
 */
int guard_proc_parse_syscall(const char *buf, guard_syscall_line_t *out);

/** What the watchdog needs of /proc/<pid>/task/<tid>/stat. */
typedef struct {
    char state;               /* R, S, D, T, t, Z, X, I ... */
    apr_uint64_t ppid;        /* the parent's pid */
    apr_uint64_t utime;       /* clock ticks */
    apr_uint64_t stime;       /* clock ticks */
    apr_uint64_t starttime;   /* clock ticks after boot */
} guard_stat_line_t;

/**
 * Parse a stat line. The comm field may hold spaces and parentheses: the
 * fields are counted after the last ')'.
 * @return 0 on success, -1 on malformed input.
 */
int guard_proc_parse_stat(const char *buf, guard_stat_line_t *out);

/**
 * The fds an epoll instance watches, from its /proc/<pid>/fdinfo/<fd>:
 * the "tfd: <fd> events: ..." lines, in order, at most max of them.
 * Other lines, and tfd lines whose number is malformed or over INT_MAX,
 * are skipped. buf may be NULL.
 * @return how many were stored in fds
 */
int guard_proc_epoll_fds(const char *buf, int *fds, int max);

#endif
