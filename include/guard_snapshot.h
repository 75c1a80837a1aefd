/* SPDX-License-Identifier: Apache-2.0 */
/* A consistent copy of the shared memory, made for rendering one page. */
#ifndef GUARD_SNAPSHOT_H
#define GUARD_SNAPSHOT_H

#include <apr_pools.h>
#include "guard_shm.h"

/** Server facts the glue supplies (the renderers know no httpd). */
typedef struct {
    const char *version;          /* server description */
    const char *mpm;              /* "prefork", "event", "worker" */
    const char *hostname;         /* main server name */
    apr_time_t started;           /* last (re)start */
    apr_uint32_t generation;
    apr_interval_time_t stuck_threshold;
    apr_interval_time_t watch_interval;
    int server_limit;
    int thread_limit;
    /* Optional: 1 when the MPM says a worker thread serves nothing now,
     * whatever its slot last said (a request finished on another thread). */
    int (*thread_released)(void *baton, int child, int thread);
    /* Optional: 1 when the MPM says the thread does not exist (never
     * started, beyond ThreadsPerChild, or ended), or is finishing after a
     * restart and its slot is not busy: the slot is not a worker to list. */
    int (*thread_gone)(void *baton, int child, int thread, int busy);
    void *baton;
} guard_server_info_t;

typedef struct {
    int child;
    guard_child_t rec;
} guard_child_view_t;

/**
 * What the pages show of a worker's slot: the fields of guard_slot_t they
 * read, under the same names, strings NUL-terminated. The watchdog's own
 * bookkeeping (tracking, counters, the last cut) stays out: with
 * thousands of slots the views are megabytes, taken on every page.
 */
typedef struct {
    apr_uint32_t state;           /* guard_ws_e */
    apr_int32_t pid;
    apr_int32_t tid;
    apr_uint32_t generation;
    apr_time_t conn_start;
    apr_time_t req_start;         /* 0: no request */
    apr_uint64_t requests;
    apr_interval_time_t backend_timeout;
    apr_interval_time_t backend_max;
    apr_uint32_t backend_minrate;
    apr_uint32_t backend_action;
    apr_uint32_t show_query;
    apr_uint32_t kind;            /* guard_slot_kind_e */
    apr_uint32_t h2_conn;
    apr_int64_t conn_id;
    apr_int32_t client_fd;        /* a stream's: its connection's socket */
    apr_int32_t stream_id;
    apr_uint32_t query_hash;      /* the FPM join's (guard_slot_t) */
    guard_req_t req;
    guard_wait_t wait;
} guard_slot_view_t;

/* The lists of workers (HTML, ?json) show the native frames of at most
 * this many stuck workers, the longest stuck: thousands of them are
 * megabytes of text. Every worker's are on ?stack=<child>.<thread>. */
#define GUARD_LIST_NATIVE_MAX 256

/** A worker's stacks of its current request (guard_stack_t, trimmed). */
typedef struct {
    apr_time_t taken;
    apr_uint32_t flags;           /* GUARD_STACKF_* */
    apr_uint32_t php_status;      /* guard_php_status_e */
    apr_uint32_t native_status;   /* guard_native_status_e */
    int nphp;
    int nnative;
    guard_php_frame_t *php;       /* [nphp], strings NUL-terminated */
    /* [nnative], or NULL: copied only for the workers whose native frames
     * are shown (guard_snapshot_native). */
    guard_native_frame_t *native;
    const guard_stack_t *live;    /* the record, for guard_snapshot_native */
    apr_time_t req_start;
} guard_stack_view_t;

typedef struct {
    int child;
    int thread;
    int consistent;               /* 0: the copy may be torn */
    int stuck;                    /* busy and older than the threshold */
    int has_wait;                 /* slot.wait is about the current request */
    apr_int64_t elapsed_ms;       /* request age (busy), connection age
                                     (read, keepalive); -1 otherwise */
    apr_int64_t for_ms;           /* how long in the current wait; -1 */
    int lock_chain;               /* waits in lock chain locks[N - 1]; 0 */
    apr_int32_t lock_holder_pid;  /* that chain's holder: 0 none, -1 OFD */
    const guard_stack_view_t *stack;  /* NULL: none read in this request */
    int list_native;              /* the lists show its native frames */
    /* A thread of the MPM whose connection speaks HTTP/2: 1, and its
     * streams served on mod_http2's workers now; 0 otherwise. */
    int h2_conn;
    int h2_streams;
    guard_slot_view_t slot;
} guard_worker_view_t;

typedef struct {
    apr_uint64_t requests_total;
    apr_uint64_t stuck_total;
    apr_uint64_t samples_total;
    apr_uint64_t wakeups_total;
    apr_uint32_t restarts;
    apr_uint64_t cuts[3];              /* by guard_cut_kind_e */
    apr_uint64_t cuts_total;
    apr_uint64_t cuts_logged_total;    /* GuardBackendTimeout ... log */
    apr_uint64_t limit_cuts[2];        /* of the cuts, by max= and minrate= */
    apr_uint64_t lock_waits_total;     /* lock chains reported */
    apr_uint64_t holder_cuts_total;    /* GuardLockWatch ... cut-holder */
    apr_uint64_t holder_ends_total;    /* GuardLockWatch ... end-holder */
} guard_counters_t;

#define GUARD_RECENT_CUTS 32

/** A slot's last backend cut, with where it happened. */
typedef struct {
    int child;
    int thread;
    apr_int32_t pid;
    apr_int32_t tid;
    guard_cut_t cut;
} guard_cut_view_t;

/** A reported lock chain, joined with the workers of the snapshot. */
typedef struct {
    guard_chain_t chain;
    int holder;                   /* index in workers; -1: not a worker */
    int waiters[GUARD_CHAIN_WAITERS];   /* index in workers; -1 */
    int behind[GUARD_CHAIN_WAITERS];    /* an FPM waiter's httpd worker; -1 */
    apr_int64_t for_ms;           /* since its first waiter began */
} guard_lock_view_t;
struct guard_crash_view;
struct guard_fpm_view;

typedef struct {
    apr_time_t now;
    apr_time_t shm_created;
    guard_server_info_t server;
    guard_counters_t counters;
    int nchildren;
    guard_child_view_t *children; /* children that are running */
    int nworkers;
    guard_worker_view_t *workers; /* slots of running children, not empty */
    int ncuts;
    guard_cut_view_t *cuts;       /* last cut of each slot, newest first,
                                     at most GUARD_RECENT_CUTS */
    int nlocks;
    guard_lock_view_t *locks;     /* reported lock chains */
    int lock_waiters;             /* workers waiting in them */
    apr_int64_t lock_wait_longest_ms;     /* 0 when none */
    int by_state[GUARD_WS_MAX];   /* workers per state */
    int busy;                     /* in a request */
    int stuck;
    int h2_busy;                  /* of them, HTTP/2 streams */
    /* Crash records (guard_crash_view.h); NULL: none to show. */
    const struct guard_crash_view *crash;
    /* PHP-FPM pools (guard_status_fpm.h); NULL: no GuardFpmStatus. */
    const struct guard_fpm_view *fpm;
} guard_snapshot_t;

/**
 * A worker's wait in words (guard_wait_describe), and for a lock chain's
 * waiter ", waiting for lock held by pid N". "" when not sampled.
 */
char *guard_worker_wait_text(const guard_worker_view_t *w, char *buf,
                             apr_size_t len);

/**
 * Copy what the page shows. Counters are summed over all slots, of
 * running and gone children alike.
 */
guard_snapshot_t *guard_snapshot_take(apr_pool_t *p, const guard_shm_t *shm,
                                      const guard_server_info_t *info,
                                      apr_time_t now);

/**
 * Copy w's native frames (which the snapshot copies only for the workers
 * the lists show them of: list_native). 0 when its record is about
 * another request by now: w->stack->native stays NULL.
 */
int guard_snapshot_native(apr_pool_t *p, const guard_worker_view_t *w);

/** The worker (child, thread) of s, or NULL when it lists none such. */
const guard_worker_view_t *guard_snapshot_worker(const guard_snapshot_t *s,
                                                 int child, int thread);

/** The running child of child slot child in s, or NULL when none runs. */
const guard_child_view_t *guard_snapshot_child(const guard_snapshot_t *s,
                                               int child);

#endif
