/* SPDX-License-Identifier: Apache-2.0 */
/* Does this process hold an OFD lock on a file? Its own fds say. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <stdlib.h>
#include "guard_fmt.h"
#include "guard_lines.h"
#include "guard_lock_ofd.h"
#include "guard_shm.h"

#define DENTS_BUF 2048

typedef struct {
    apr_uint64_t ino;
    int found;
} ofd_scan_t;

int guard_lockofd_parse_fdinfo(const char *line, guard_lock_line_t *out)
{
    if (strncmp(line, "lock:", 5) != 0) {
        return -1;
    }
    return guard_locks_parse_line(line + 5, out);
}

static void match_fdinfo_line(void *baton, const char *line)
{
    ofd_scan_t *sc = baton;
    guard_lock_line_t l;

    if (guard_lockofd_parse_fdinfo(line, &l) == 0 && !l.waiter
        && l.lock_class == GUARD_LOCK_OFD && l.ino == sc->ino) {
        sc->found = 1;
    }
}

/* The fdinfo of fd lists an OFD lock held on ino. */
static int fd_holds_ofd(int fd, apr_uint64_t ino)
{
    char path[48];
    ofd_scan_t sc = { ino, 0 };
    int info;

    *guard_fmt_dec(stpcpy(path, "/proc/self/fdinfo/"), fd) = '\0';
    if ((info = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return 0;
    }
    guard_read_lines(info, match_fdinfo_line, &sc);
    close(info);
    return sc.found;
}

/* fd is an open file on (dev, ino), as stat() sees it. */
static int fd_is_file(int fd, apr_uint64_t dev, apr_uint64_t ino)
{
    struct stat st;

    return fstat(fd, &st) == 0 && (apr_uint64_t)st.st_ino == ino
           && guard_dev_make(major(st.st_dev), minor(st.st_dev)) == dev;
}

/* One batch of /proc/self/fd entries: 1 when one of them holds the lock. */
static int scan_dents(const char *buf, ssize_t n, int dir, apr_uint64_t dev,
                      apr_uint64_t ino)
{
    ssize_t off = 0;

    while (off < n) {
        const struct dirent64 *d = (const void *)(buf + off);
        char *end;
        long fd = strtol(d->d_name, &end, 10);

        off += d->d_reclen;
        if (end == d->d_name || *end || fd < 0 || fd == dir) {
            continue;             /* ".", "..", and the directory itself */
        }
        if (fd_is_file((int)fd, dev, ino) && fd_holds_ofd((int)fd, ino)) {
            return 1;
        }
    }
    return 0;
}

int guard_lockofd_held(apr_uint64_t dev, apr_uint64_t ino)
{
    char buf[DENTS_BUF] __attribute__((aligned(8)));
    int dir, held = 0;
    ssize_t n;

    dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        return 0;
    }
    while (!held && (n = getdents64(dir, buf, sizeof(buf))) > 0) {
        held = scan_dents(buf, n, dir, dev, ino);
    }
    close(dir);
    return held;
}
