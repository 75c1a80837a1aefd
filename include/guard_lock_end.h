/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardLockWatch ... end-holder: whether the holder of a lock chain may
 * be ended with SIGTERM, and the signal itself. Only a worker of a pool
 * that GuardFpmStatus reads, listed in its status, a child of the pool's
 * master, running as httpd's user; never httpd's own processes, never a
 * master, never another user's process, at most once per chain and rule
 * duration. The watchdog of a child sends it (httpd's user: the kernel
 * refuses other users' processes too), never the root parent.
 */
#ifndef GUARD_LOCK_END_H
#define GUARD_LOCK_END_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>

typedef enum {
    GUARD_END_YES = 0,
    GUARD_END_OFF,                /* no waiter's rule says end-holder */
    GUARD_END_YOUNG,              /* the waiters have not waited long enough */
    GUARD_END_RATE,               /* ended one less than a duration ago */
    GUARD_END_NO_PID,             /* no holder pid (OFD, not found) */
    GUARD_END_HTTPD,              /* one of httpd's own processes */
    GUARD_END_NOT_FPM,            /* not a worker of a configured pool */
    GUARD_END_MASTER,             /* FPM's master (or an orphan) */
    GUARD_END_UNKNOWN,            /* /proc/<pid>/status not readable */
    GUARD_END_USER,               /* runs as another user */
    GUARD_END_ROOT,               /* httpd's user is root */
    GUARD_END_MAX
} guard_end_e;

/** What the decision needs, gathered by the caller from /proc. */
typedef struct {
    int rule_on;                  /* a waiter's rule says end-holder */
    apr_interval_time_t duration; /* the rule's */
    apr_time_t waited_since;      /* the chain's first wait */
    apr_time_t last_end;          /* this chain's last SIGTERM; 0 none */
    apr_int32_t pid;              /* the holder; <= 0 none */
    int httpd;                    /* the pid is httpd's (a child, the parent) */
    int fpm_worker;               /* listed in a configured pool's status */
    int known;                    /* its /proc/<pid>/status was read */
    apr_int64_t ruid, euid;       /* its real and effective uid */
    apr_int32_t ppid;
    apr_int32_t master;           /* the parent of the pool's other workers;
                                   * 0 unknown */
    int parent_of_worker;         /* the pid is a listed worker's parent */
    apr_int64_t my_uid;           /* httpd's user: the watchdog's euid */
} guard_end_in_t;

/** The verdict: GUARD_END_YES, or why not (guard_end_e). */
int guard_end_decide(const guard_end_in_t *in, apr_time_t now);

/** Why not, in words: "runs as uid 65534, not httpd's 33". */
char *guard_end_reason(const guard_end_in_t *in, int verdict, char *buf,
                       apr_size_t len);

/** Read uid and ppid of pid into in (known, ruid, euid, ppid). */
void guard_end_read_proc(guard_end_in_t *in, pid_t pid);

/** The parent pid of pid from /proc/<pid>/status; 0 unknown. */
apr_int32_t guard_end_ppid_of(pid_t pid);

#endif
