/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Holders of OFD locks. An open file description lock (fcntl F_OFD_SETLK)
 * belongs to an open file, not to a process: /proc/locks prints it with
 * pid -1, so the holder cannot be found there. A process can see its own
 * open files, though: /proc/self/fdinfo/<fd> lists the locks held through
 * that file ("lock:" lines, in /proc/locks' format). So each watchdog
 * looks at its own process for the OFD chains of the shared table, and
 * the one whose process holds the lock says so in the chain.
 */
#ifndef GUARD_LOCK_OFD_H
#define GUARD_LOCK_OFD_H

#include <apr.h>
#include "guard_lock_procfs.h"

/**
 * Parse a "lock:" line of /proc/<pid>/fdinfo/<fd>, e.g.
 * "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:10953499 0 EOF".
 * @return 0, or -1 when it is not such a line or is malformed
 */
int guard_lockofd_parse_fdinfo(const char *line, guard_lock_line_t *out);

/**
 * 1 when this process holds an OFD lock on the file (dev as stat() gives
 * it, through guard_dev_make; ino) through one of its open files, else 0.
 * Reads /proc/self/fd and the fdinfo of the files that match, with stack
 * buffers only.
 */
int guard_lockofd_held(apr_uint64_t dev, apr_uint64_t ino);

#endif
