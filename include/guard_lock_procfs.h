/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/locks: who holds the lock a worker waits for. The kernel prints
 * one line per lock and, under it, one "->" line per task blocked behind
 * it, all with the blocker's id (fs/locks.c, lock_get_status):
 *
 *   2: FLOCK  ADVISORY  WRITE 10378 fe:00:10953007 0 EOF
 *   2: -> FLOCK  ADVISORY  WRITE 10376 fe:00:10953007 0 EOF
 *   2:  -> FLOCK  ADVISORY  WRITE 10379 fe:00:10953007 0 EOF
 *
 * Fields: id, class (FLOCK, POSIX, OFDLCK, LEASE, DELEG), mode, type, the
 * pid (a process id, not a thread; -1 for OFD locks, which belong to an
 * open file description), major:minor of the file system in hex, inode in
 * decimal, range. Deeper "->" lines wait behind a waiter; the lock at the
 * root of the id is the one held. On a busy host the file holds
 * thousands of lines: it is read through guard_read_lines (guard_lines.h).
 * No malloc.
 */
#ifndef GUARD_LOCK_PROCFS_H
#define GUARD_LOCK_PROCFS_H

#include <apr.h>
#include "guard_shm.h"

typedef enum {
    GUARD_LOCK_OTHER = 0,         /* LEASE, DELEG, or not known */
    GUARD_LOCK_FLOCK,
    GUARD_LOCK_POSIX,
    GUARD_LOCK_OFD
} guard_lock_class_e;

/** One parsed line. */
typedef struct {
    apr_uint64_t id;
    int waiter;                   /* a "->" line */
    int lock_class;               /* guard_lock_class_e */
    int write;                    /* WRITE: 1, READ: 0 */
    apr_int32_t pid;              /* -1: OFD lock */
    apr_uint64_t dev;             /* guard_dev_make(major, minor) */
    apr_uint64_t ino;
} guard_lock_line_t;

/** Parse one line (without its newline). @return 0, or -1 if malformed. */
int guard_locks_parse_line(const char *line, guard_lock_line_t *out);

/** "flock", "posix", "ofd", "other". */
const char *guard_lock_class_name(int lock_class);

#define GUARD_LOCK_TARGET_PIDS  GUARD_CHAIN_WAITERS
#define GUARD_LOCK_HOLDERS      4

/** A lock waited for: what is known of its waiters, and what was found. */
typedef struct {
    apr_uint64_t dev;
    apr_uint64_t ino;
    apr_int32_t waiter_pids[GUARD_LOCK_TARGET_PIDS];
    int nwaiter_pids;
    /* Filled by guard_locks_match. */
    int have_blocker;             /* a "->" line of one of the waiters */
    apr_uint64_t blocker_id;
    int nholders;
    guard_lock_line_t holders[GUARD_LOCK_HOLDERS];
    int holder_dev_match[GUARD_LOCK_HOLDERS];
} guard_lock_target_t;

/**
 * Feed one line to the targets. A line counts for a target when it names
 * its inode and device, or its inode and, on a "->" line, the pid of one
 * of its waiters (a file system whose stat() device differs from the one
 * /proc/locks prints, such as btrfs subvolumes).
 */
void guard_locks_match(guard_lock_target_t *t, int n,
                       const guard_lock_line_t *l);

/**
 * The holder of a target once every line was fed: the held lock whose id
 * the waiters' "->" lines carry; else the first held lock on the same
 * device and inode (OFD waiters have no pid to find their line by).
 * @return the holder's line, or NULL when none was seen
 */
const guard_lock_line_t *guard_locks_holder(const guard_lock_target_t *t);

#endif
