/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What goes on behind a cut FPM socket (GuardBackendTimeout on a
 * GuardFpmStatus pool's socket): the FPM worker serving the request, as
 * the pool's last status read says, and whether it holds a lock of a
 * GuardLockWatch file (/proc/locks). Cutting httpd's side answers the
 * client; the FPM worker goes on, and so do the locks it holds: the
 * watchdog of the cutting child keeps a few such workers and says, at
 * debug, when a later read still shows them on the same request. No
 * malloc: the pool's copy is a scratch area given at child start.
 */
#ifndef GUARD_CUT_FPM_H
#define GUARD_CUT_FPM_H

#include <apr.h>
#include <apr_time.h>
#include "guard_fpm.h"
#include "guard_lock_procfs.h"
#include "guard_lock_rule.h"
#include "guard_log.h"
#include "guard_shm.h"

/* Cut FPM workers followed after their cut, per child. */
#define GUARD_CUT_FPM_AFTER      8
/* How long after the cut a worker is followed; how close the start of
 * its request must be to the one seen at the cut (read time - duration). */
#define GUARD_CUT_FPM_FOLLOW     apr_time_from_sec(30)
#define GUARD_CUT_FPM_SAME_START apr_time_from_msec(500)

typedef enum {
    GUARD_BEHIND_NONE = 0,        /* not a GuardFpmStatus pool's socket */
    GUARD_BEHIND_JOINED,          /* one FPM worker serves the request */
    GUARD_BEHIND_UNKNOWN,         /* none found */
    GUARD_BEHIND_AMBIGUOUS,       /* more than one fits, or another waiter */
    GUARD_BEHIND_UNREAD           /* the pool's status was never read */
} guard_behind_e;

/** The locks a pid holds, from /proc/locks. */
#define GUARD_CUT_FPM_LOCKS 4
typedef struct {
    apr_int32_t pid;              /* in: whose */
    int nheld;                    /* kept (more are counted in 'more') */
    int more;
    guard_lock_line_t held[GUARD_CUT_FPM_LOCKS];
    int waiters[GUARD_CUT_FPM_LOCKS];     /* "->" lines under each */
} guard_held_locks_t;

/** What is behind one cut socket. */
typedef struct {
    int state;                    /* guard_behind_e */
    int pool;                     /* index of the pool; -1 */
    int candidates;               /* FPM workers that fit: 0, 1, 2 (more) */
    int by_request;               /* the peer is no status address: the
                                   * pool found by the request alone */
    int others;                   /* other httpd waiters that fit */
    char address[GUARD_FPM_ADDR_LEN];   /* the pool's GuardFpmStatus */
    char pool_name[GUARD_FPM_NAME_LEN];
    char error[GUARD_FPM_ERR_LEN];      /* the last read's, if it failed */
    guard_fpm_proc_t proc;        /* JOINED: the FPM worker */
    apr_time_t fpm_start;         /* JOINED: its request's start */
    apr_time_t running;           /* JOINED: its request's age at the cut */
    /* Locks of the FPM worker (JOINED): locks_errno 0 when /proc/locks
     * was read. watched: index in locks.held of a lock on a GuardLockWatch
     * file, whose path is below; -1 none found. list_errno: a rule's
     * directory could not be listed (list_dir), so a lock may be watched
     * without being found. */
    int locks_errno;
    guard_held_locks_t locks;
    int watched;
    char path[GUARD_PATH_LEN];
    int list_errno;
    char list_dir[GUARD_PATH_LEN];
} guard_behind_t;

/** A cut FPM worker followed after the cut. */
typedef struct {
    int pool;
    apr_int32_t pid;              /* 0: free */
    apr_time_t fpm_start;
    apr_time_t cut_at;
    char method[GUARD_METHOD_LEN];
    char uri[GUARD_URI_LEN];
} guard_cut_fpm_follow_t;

/** The watchdog's FPM context (process-local; pools in shared memory). */
typedef struct {
    const guard_fpm_pool_t *pools;        /* [n], the reader's records */
    const guard_fpm_addr_t *addrs;        /* [n] */
    int n;
    guard_fpm_pool_t *scratch;            /* one pool's copy */
    const char *proc_locks;               /* "/proc/locks" (tests: other) */
    guard_cut_fpm_follow_t after[GUARD_CUT_FPM_AFTER];
} guard_cut_fpm_t;

/** The pool whose socket peer is (a wait's "unix:/x" or "h:port"); -1. */
int guard_cut_fpm_pool(const guard_cut_fpm_t *x, const char *peer);

/**
 * Join the request of slot copy s, blocked on pool's socket, with the
 * FPM worker serving it, from the sane copy rec of the pool's record.
 * others: how many other httpd workers wait on the same pool with the
 * same method and URI (then a single candidate is ambiguous too).
 */
void guard_behind_join(const guard_fpm_pool_t *rec, const guard_slot_t *s,
                       int others, guard_behind_t *b);

/** A /proc/locks line for guard_held_locks_t (a guard_line_fn). */
void guard_held_locks_feed(void *baton, const char *line);

/**
 * Which held lock of l is on a file a rule matches: each rule's directory
 * (the pattern up to its last '/', which must hold no wildcard) is listed
 * and its matching entries stat()ed for the lock's inode. Sets b->watched
 * (-1 none), b->path, and b->list_errno / b->list_dir for a directory that
 * could not be listed (httpd's user may not list a sessions directory).
 */
void guard_held_locks_watched(guard_behind_t *b,
                              const guard_lock_rules_t *rules);

/**
 * Everything behind the cut of s's socket (peer): the pool, a consistent
 * copy of its record into x->scratch, the join, others counted in shm
 * (NULL: none), the FPM worker's locks. A peer that is no pool's
 * GuardFpmStatus address (a pool whose status is read through
 * pm.status_listen) is taken for the pool's socket when one of the pool's
 * running workers fits the request; else b->state is NONE.
 */
void guard_cut_fpm_behind(guard_cut_fpm_t *x, const guard_shm_t *shm,
                          const guard_slot_t *s, const char *peer,
                          const guard_lock_rules_t *rules, apr_time_t now,
                          guard_behind_t *b);

/**
 * The words GRD0300 adds: ", FPM worker 5674 of pool www serves "GET
 * /hang.php" (running 3.2 s), holds watched lock /x/sess_#1a2b (flock, 3
 * waiting)"; "" for NONE. The FPM worker's query and the session id of the
 * path are left out unless show_query.
 */
void guard_behind_text(const guard_behind_t *b, int show_query, char *buf,
                       apr_size_t len);

/** Follow b's FPM worker after its cut at 'now' (JOINED only). */
void guard_cut_fpm_follow(guard_cut_fpm_t *x, const guard_behind_t *b,
                          apr_time_t now);

/**
 * Look at the followed workers in the pools' latest reads: one still
 * serving the same request in a read taken after its cut is logged at
 * debug (GRD0303) and no longer followed; one on another request, idle or
 * gone, or followed past GUARD_CUT_FPM_FOLLOW, is dropped.
 * @return when to look again (0: nothing followed)
 */
apr_time_t guard_cut_fpm_after(guard_cut_fpm_t *x, const guard_logger_t *log,
                               apr_time_t now, apr_interval_time_t interval);

#endif
