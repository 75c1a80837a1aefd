/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lock chains inside PHP-FPM (GuardLockWatch with GuardFpmStatus). An FPM
 * worker is no slot of httpd's: it is known by its pid, listed in its
 * pool's status. /proc/locks shows its lock waits ("->" lines with its
 * pid) to any process; the file behind a (device, inode) is found in the
 * directories of the GuardLockWatch patterns, since an FPM worker's fds
 * are not readable by httpd's user (it is not dumpable after setuid).
 * Its wait is dated from its request's start when a status read since it
 * began to wait says it; else (the pool is full and its status cannot be
 * read through its own socket) from the first pass that saw it wait.
 * No malloc: fixed arrays, filled by the lock pass of a watchdog.
 */
#ifndef GUARD_LOCK_FPM_H
#define GUARD_LOCK_FPM_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_fpm.h"
#include "guard_lock_procfs.h"
#include "guard_lock_rule.h"

#define GUARD_LOCKFPM_WORKERS  256     /* FPM workers known at once */
#define GUARD_LOCKFPM_WAITS    64      /* FPM lock waits seen per pass */
#define GUARD_LOCKFPM_LOCKS    16      /* distinct locks they wait for */

/** One FPM worker, as its pool's last good read said. */
typedef struct {
    apr_int32_t pid;
    apr_int32_t pool;             /* index of its GuardFpmStatus line */
    apr_uint32_t state;           /* guard_fpm_state_e */
    apr_time_t start;             /* its request's start; 0 when idle */
    apr_time_t read_at;           /* of the read that said it */
} guard_lockfpm_worker_t;

/** An FPM worker blocked on a lock ("->" line of /proc/locks). */
typedef struct {
    apr_int32_t pid;
    apr_int32_t pool;
    int lock;                     /* index in locks */
    apr_time_t since;             /* its request's start */
} guard_lockfpm_wait_t;

/** A lock FPM workers wait for, and the rule that watches its file. */
typedef struct {
    apr_uint64_t dev;
    apr_uint64_t ino;
    apr_time_t since;             /* earliest of its waiters */
    int rule;                     /* index in the rules; -1: not watched
                                   * (or its file was not found) */
    int looked;                   /* the file was looked for */
    char path[GUARD_PATH_LEN];    /* the real path, when found */
} guard_lockfpm_lock_t;

/** What one pass knows of FPM. */
/** FPM lock waits seen by earlier passes of this watchdog: process-local. */
typedef struct {
    apr_int32_t pid;
    apr_uint64_t dev;
    apr_uint64_t ino;
    apr_time_t first;             /* the first pass that saw it */
    int looked;                   /* its file was looked for: */
    int rule;                     /* the rule found, -1 none */
    char path[GUARD_PATH_LEN];
} guard_lockfpm_seen_e;

typedef struct guard_lockfpm_seen {
    int n;
    guard_lockfpm_seen_e e[GUARD_LOCKFPM_WAITS];
} guard_lockfpm_seen_t;

typedef struct {
    int nworkers;
    apr_time_t oldest;            /* earliest request start; 0: none runs */
    int stale;                    /* a pool's last read failed */
    guard_lockfpm_worker_t workers[GUARD_LOCKFPM_WORKERS];
    int nwaits;
    guard_lockfpm_wait_t waits[GUARD_LOCKFPM_WAITS];
    int nlocks;
    guard_lockfpm_lock_t locks[GUARD_LOCKFPM_LOCKS];
} guard_lockfpm_t;

/** The workers of each pool's last good read (copied under its seq). */
void guard_lockfpm_take(const guard_fpm_pool_t *pools, int npools,
                        guard_lockfpm_t *f);

/** The FPM worker of pid, or NULL. */
const guard_lockfpm_worker_t *guard_lockfpm_find(const guard_lockfpm_t *f,
                                                 apr_int32_t pid);

/** A line of /proc/locks: a "->" line of an FPM worker is kept. */
void guard_lockfpm_feed(guard_lockfpm_t *f, const guard_lock_line_t *l);

/**
 * Date the waits fed: from the request's start when a read made since
 * the wait was first seen says the worker runs it, else from the first
 * pass that saw it (seen, updated: waits gone are forgotten).
 */
void guard_lockfpm_date(guard_lockfpm_t *f, guard_lockfpm_seen_t *seen,
                        apr_time_t now);

/**
 * The file of each lock with FPM waiters not looked for yet and waited for
 * since 'before' at least, and its rule: entries of the directory of each
 * pattern (its part before the last '/', without wildcards) whose inode
 * is the lock's, matched by the pattern. A directory httpd's user cannot
 * list finds nothing. What was found is kept in seen, so that a wait's
 * file is looked for once.
 */
void guard_lockfpm_paths(guard_lockfpm_t *f, const guard_lock_rules_t *r,
                         apr_time_t before, guard_lockfpm_seen_t *seen);

/**
 * Lock i's file known another way (a request's session file, stat()ed
 * by name where its directory cannot be listed): its rule and the path
 * shown, kept in seen as guard_lockfpm_paths keeps what it finds.
 */
void guard_lockfpm_named(guard_lockfpm_t *f, int i, int rule,
                         const char *path, guard_lockfpm_seen_t *seen);

/** One worker's record, copied under its pool's seq. @return 0 if gone */
int guard_lockfpm_proc(const guard_fpm_pool_t *pool, apr_int32_t pid,
                       guard_fpm_proc_t *out, apr_time_t *read_at);

/**
 * What an FPM worker is blocked on, in words, or why that cannot be
 * read: "poll on socket 10.0.0.5:11211", "not readable: the FPM worker is
 * not dumpable (process.dumpable = yes in its pool allows it)".
 */
char *guard_lockfpm_wait_text(pid_t pid, char *buf, apr_size_t len);

/** Uid: (real and effective) and PPid: of /proc/<pid>/status text.
 *  @return 0, or -1 when a field is missing */
int guard_lockfpm_parse_status(const char *text, apr_int64_t *ruid,
                               apr_int64_t *euid, apr_int32_t *ppid);

#endif
