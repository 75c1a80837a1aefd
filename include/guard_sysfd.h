/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog's open /proc/self/task/<tid>/syscall files, one per worker
 * thread of this child. A child that has switched to httpd's User is not
 * dumpable, so it cannot open these files itself (EACCES), but a file
 * opened with privilege reads fine from this process: the kernel checks at
 * each read that the reader is of the thread's own process. So each file
 * is opened once (before the switch, or by the broker that the parent
 * starts as root) and kept for the thread's life. Process-local memory of
 * the watchdog: no malloc, no locks.
 */
#ifndef GUARD_SYSFD_H
#define GUARD_SYSFD_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>

/* After a thread's file could not be had: when to try again. */
#define GUARD_SYSFD_RETRY apr_time_from_sec(1)

/** Another way to an fd of /proc/self/task/<tid>/syscall (the broker's):
 * an open fd, or -1. */
typedef int guard_sysfd_ask_fn(void *baton, pid_t tid);

typedef struct {
    pid_t tid;                    /* 0: none */
    int fd;                       /* -1: none */
    apr_time_t retry;             /* not before this, after a failure */
} guard_sysfd_entry_t;

typedef struct {
    guard_sysfd_entry_t *e;       /* [n], one per thread slot */
    int n;
    guard_sysfd_ask_fn *ask;      /* NULL: only the process's own open() */
    void *baton;
    int asked;                    /* fds had from ask (for the debug log) */
} guard_sysfd_t;

/** Entries start empty; e is the caller's [n]. */
void guard_sysfd_init(guard_sysfd_t *t, guard_sysfd_entry_t *e, int n,
                      guard_sysfd_ask_fn *ask, void *baton);

/** Take an fd opened elsewhere (prefork: before the switch of user). */
void guard_sysfd_adopt(guard_sysfd_t *t, int thread, pid_t tid, int fd);

/**
 * The current text of thread's syscall file, NUL-terminated: the kept fd
 * read at offset 0; a new tid in the slot closes the old one and opens
 * anew (own open() first, then ask).
 * @return the length, or -1 (no fd to be had now, or the read failed: the
 *         thread is gone)
 */
int guard_sysfd_read(guard_sysfd_t *t, int thread, pid_t tid,
                     apr_time_t now, char *buf, apr_size_t len);

/** Close every kept fd. */
void guard_sysfd_close_all(guard_sysfd_t *t);

/** open() of /proc/self/task/<tid>/syscall, read-only, close-on-exec. */
int guard_sysfd_open_own(pid_t tid);

#endif
