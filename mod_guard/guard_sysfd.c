/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One kept fd per worker thread for its /proc/self/task/<tid>/syscall.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_sysfd.h"

int guard_sysfd_open_own(pid_t tid)
{
    char path[64];

    if (tid <= 0) {
        errno = EINVAL;
        return -1;
    }
    apr_snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

void guard_sysfd_init(guard_sysfd_t *t, guard_sysfd_entry_t *e, int n,
                      guard_sysfd_ask_fn *ask, void *baton)
{
    int i;

    t->e = e;
    t->n = n;
    t->ask = ask;
    t->baton = baton;
    t->asked = 0;
    for (i = 0; i < n; i++) {
        e[i].tid = 0;
        e[i].fd = -1;
        e[i].retry = 0;
    }
}

static void drop(guard_sysfd_entry_t *e)
{
    if (e->fd >= 0) {
        close(e->fd);
    }
    e->fd = -1;
}

void guard_sysfd_adopt(guard_sysfd_t *t, int thread, pid_t tid, int fd)
{
    guard_sysfd_entry_t *e;

    if (thread < 0 || thread >= t->n) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    e = &t->e[thread];
    drop(e);
    e->tid = tid;
    e->fd = fd;
    e->retry = 0;
}

/* Our own open() works while the process is dumpable (httpd's
 * CoreDumpDirectory, or a server that never switched user); else ask. */
static int open_for(guard_sysfd_t *t, pid_t tid)
{
    int fd = guard_sysfd_open_own(tid);

    if (fd < 0 && errno == EACCES && t->ask) {
        fd = t->ask(t->baton, tid);
        t->asked += fd >= 0;
    }
    return fd;
}

static guard_sysfd_entry_t *entry_for(guard_sysfd_t *t, int thread,
                                      pid_t tid, apr_time_t now)
{
    guard_sysfd_entry_t *e = &t->e[thread];

    if (e->tid != tid) {
        drop(e);
        e->tid = tid;
        e->retry = 0;
    }
    if (e->fd < 0 && now >= e->retry) {
        e->fd = open_for(t, tid);
        if (e->fd < 0) {
            e->retry = now + GUARD_SYSFD_RETRY;
        }
    }
    return e;
}

int guard_sysfd_read(guard_sysfd_t *t, int thread, pid_t tid,
                     apr_time_t now, char *buf, apr_size_t len)
{
    guard_sysfd_entry_t *e;
    ssize_t n;

    if (thread < 0 || thread >= t->n || tid <= 0 || len < 2) {
        return -1;
    }
    e = entry_for(t, thread, tid, now);
    if (e->fd < 0) {
        return -1;
    }
    do {
        n = pread(e->fd, buf, len - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        /* The thread is gone (its tid may come back for another). */
        drop(e);
        e->tid = 0;
        return -1;
    }
    buf[n] = '\0';
    return (int)n;
}

void guard_sysfd_close_all(guard_sysfd_t *t)
{
    int i;

    for (i = 0; i < t->n; i++) {
        drop(&t->e[i]);
        t->e[i].tid = 0;
    }
}
