/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared-memory layout: a header, one record per child slot and one
 * slot per (child, thread). Created by the parent, inherited by children,
 * kept across graceful restarts. No locks: each part has one writer at a
 * time and a sequence counter (odd while written) that readers check.
 */
#ifndef GUARD_SHM_H
#define GUARD_SHM_H

#include <apr.h>
#include <apr_time.h>
#include "guard_lock_sess.h"
#include "guard_stack.h"

#define GUARD_SHM_MAGIC    0x67647231u
#define GUARD_SHM_VERSION  9

#define GUARD_METHOD_LEN   16
#define GUARD_URI_LEN      256
#define GUARD_PROTO_LEN    16
#define GUARD_VHOST_LEN    128
#define GUARD_CLIENT_LEN   64
#define GUARD_PEER_LEN     64
#define GUARD_PATH_LEN     192
#define GUARD_SYSNAME_LEN  24
#define GUARD_COMM_LEN     16

typedef enum {
    GUARD_WS_EMPTY = 0,     /* never used, or its process is gone */
    GUARD_WS_IDLE,          /* thread alive, no connection */
    GUARD_WS_READ,          /* connection open, reading a request */
    GUARD_WS_BUSY,          /* serving a request */
    GUARD_WS_KEEPALIVE,     /* request done, connection still open */
    GUARD_WS_MAX
} guard_ws_e;

/* Who serves in a slot: a thread of the MPM (its scoreboard entry's), or
 * one of mod_http2's workers (HTTP/2 streams), in slots of their own
 * after the MPM's (guard_shm_t.h2_first). */
typedef enum {
    GUARD_SLOT_MPM = 0,
    GUARD_SLOT_H2
} guard_slot_kind_e;

typedef enum {
    GUARD_WAIT_NONE = 0,    /* not sampled, or nothing to say */
    GUARD_WAIT_CPU,         /* on CPU */
    GUARD_WAIT_BACKEND,     /* socket that is not the client's nor a listener */
    GUARD_WAIT_CLIENT,      /* the client connection (own or another's) */
    GUARD_WAIT_LISTENER,    /* a listening socket */
    GUARD_WAIT_FILE,        /* I/O on a file */
    GUARD_WAIT_LOCK,        /* flock / fcntl(F_SETLKW|F_OFD_SETLKW) */
    GUARD_WAIT_PIPE,        /* pipe or other non-socket fd */
    GUARD_WAIT_FUTEX,       /* futex (mutex, condition, join) */
    GUARD_WAIT_SLEEP,       /* nanosleep, clock_nanosleep */
    GUARD_WAIT_CHILD,       /* waiting for a child process */
    GUARD_WAIT_SYSCALL,     /* another syscall, by name */
    GUARD_WAIT_UNKNOWN,     /* could not be read */
    GUARD_WAIT_CGI,         /* unix socket to a process of this server:
                             * mod_cgid's daemon, running the CGI script */
    GUARD_WAIT_MAX
} guard_wait_kind_e;

#define GUARD_WAITF_SPINNING  0x1   /* CPU time close to wall time */
#define GUARD_WAITF_TCP       0x2   /* peer is TCP (idle_ms from TCP_INFO) */
#define GUARD_WAITF_UNIX      0x4   /* unix-domain socket */
#define GUARD_WAITF_WRITE     0x8   /* waiting to write (poll POLLOUT, write) */
#define GUARD_WAITF_CONNECTING 0x10 /* TCP connect still in SYN_SENT */
#define GUARD_WAITF_LOCKWATCH  0x20 /* lock wait on a GuardLockWatch file */
#define GUARD_WAITF_CUT_HOLDER 0x40 /* ... whose rule says cut-holder */
#define GUARD_WAITF_END_HOLDER 0x80 /* ... whose rule says end-holder */
#define GUARD_WAITF_BYTES     0x100 /* TCP: bytes_in from TCP_INFO */

/** What a worker thread was seen blocked on. Written by the watchdog. */
typedef struct {
    apr_uint32_t kind;            /* guard_wait_kind_e */
    apr_uint32_t call;            /* guard_call_e */
    apr_int32_t syscall;          /* number; -1 none */
    apr_int32_t fd;               /* -1 none */
    apr_uint32_t flags;           /* GUARD_WAITF_* */
    apr_uint32_t pad;
    apr_time_t since;             /* first sample that saw this same wait */
    apr_time_t sampled;           /* latest sample */
    apr_int64_t idle_ms;          /* TCP: no data either way for this long; -1 */
    apr_int64_t sent_ms;          /* TCP: since data was last sent; -1 */
    apr_uint64_t bytes_in;        /* TCP: bytes received on the socket */
    apr_int64_t cpu_ms;           /* thread CPU since request start; -1 */
    apr_uint64_t ino;             /* inode of the fd (socket or file); 0 */
    apr_uint64_t dev;             /* its device, guard_dev_make(major, minor) */
    apr_uint32_t lock_threshold_ms;   /* GUARD_WAITF_LOCKWATCH: the rule's */
    apr_uint32_t pad2;
    char sysname[GUARD_SYSNAME_LEN];
    char peer[GUARD_PEER_LEN];    /* "10.0.0.5:6379", "[::1]:80", "unix:/x" */
    char path[GUARD_PATH_LEN];    /* file of a file or lock wait */
} guard_wait_t;

/** The watchdog's memory of a worker blocked on one backend socket. */
typedef struct {
    apr_time_t req_start;         /* request it is about */
    apr_time_t since;             /* blocked on the socket since (estimate) */
    apr_uint64_t ino;             /* the socket; 0: nothing tracked */
    apr_int32_t fd;
    apr_uint32_t cpu_streak;      /* samples on CPU in a row */
    apr_uint64_t done_ino;        /* socket already cut in this request */
    apr_time_t exchange;          /* the tracked socket's exchange began */
} guard_track_t;

/** The last backend cut (or report, with GuardBackendTimeout ... log). */
typedef struct {
    apr_time_t when;
    apr_int64_t blocked_ms;
    apr_int64_t idle_ms;          /* -1: not TCP */
    apr_int64_t timeout_ms;
    apr_int32_t fd;
    apr_uint32_t kind;            /* guard_cut_kind_e */
    apr_uint32_t action;          /* GUARD_ACTION_CUT / _LOG */
    apr_uint32_t ok;              /* 1: shutdown() done */
    apr_uint32_t limit;           /* guard_cut_limit_e that ran out */
    apr_uint32_t minrate;         /* minrate=, when that limit */
    apr_int64_t exchange_ms;      /* the exchange's age (max=, minrate=) */
    apr_uint64_t bytes_in;        /* bytes received on the socket; TCP */
    char sysname[GUARD_SYSNAME_LEN];
    char peer[GUARD_PEER_LEN];
    char uri[GUARD_URI_LEN];
} guard_cut_t;

/** The request data copied at request start, already sanitized. */
typedef struct {
    char method[GUARD_METHOD_LEN];
    char uri[GUARD_URI_LEN];
    char protocol[GUARD_PROTO_LEN];
    char vhost[GUARD_VHOST_LEN];
    char client[GUARD_CLIENT_LEN];
} guard_req_t;

typedef struct {
    /* Written by the worker thread, under seq. */
    apr_uint32_t seq;
    apr_uint32_t state;           /* guard_ws_e */
    apr_int32_t pid;
    apr_int32_t tid;
    apr_uint32_t generation;
    apr_int32_t client_fd;        /* the connection's socket; -1 */
    apr_time_t conn_start;
    apr_time_t req_start;         /* 0: no request */
    apr_int64_t cpu_start_us;     /* thread CPU clock at request start; -1 */
    apr_uint64_t requests;        /* requests this slot has served, ever */
    apr_interval_time_t backend_timeout;  /* 0: off */
    apr_interval_time_t backend_max;      /* max=; 0: none */
    apr_uint32_t backend_minrate;         /* minrate= bytes; 0: none */
    apr_uint32_t backend_action;  /* GUARD_ACTION_CUT / _LOG */
    apr_uint32_t show_query;      /* GuardStatusShowQuery of the request */
    apr_uint32_t kind;            /* guard_slot_kind_e */
    apr_uint32_t h2_conn;         /* MPM slot: its connection was switched
                                   * to HTTP/2 (its streams run on
                                   * mod_http2's workers) */
    apr_int64_t conn_id;          /* c->id of the connection served; for a
                                   * stream, its client connection's */
    apr_int32_t stream_id;        /* HTTP/2 stream of the request; 0 none */
    apr_uint32_t query_hash;      /* guard_fpm_query_hash of the request's
                                   * query where a GuardFpmStatus pool is
                                   * set: the join's when it is hidden;
                                   * 0 none */
    apr_uint32_t stuck_timeout_ms;    /* GuardStuckTimeout; 0: off */
    guard_req_t req;
    /* req_start of the request just logged while its pool's cleanups run
     * (the crash handler names it, "finished"); 0 otherwise. Only the
     * worker thread itself reads it. */
    apr_time_t done_req_start;
    /* The request's session file in a GuardLockWatch directory httpd's
     * user cannot list, stat()ed by name at request start (ino 0: none). */
    guard_sess_t sess;

    /* Written by the watchdog thread of the same child, under wseq. */
    apr_uint32_t wseq;
    apr_uint32_t stuck;           /* current request passed the threshold */
    apr_time_t wait_req_start;    /* req_start of the request 'wait' is about */
    guard_wait_t wait;
    apr_uint64_t stuck_total;     /* requests of this slot that became stuck */
    apr_uint64_t samples;         /* samples taken of this slot */
    guard_track_t track;
    apr_uint64_t cuts[3];         /* backend cuts by guard_cut_kind_e */
    apr_uint64_t cuts_logged;     /* timeouts only reported (action log) */
    apr_uint64_t limit_cuts[2];   /* of the cuts, by max= and by minrate= */
    guard_cut_t last_cut;
    apr_uint64_t holder_cuts;     /* backend cuts asked by GuardLockWatch */

    /* Written with atomics by any child's watchdog, outside both seqs:
     * the req_start of this slot's request when a lock chain it holds asks
     * for its backend socket to be cut (cut-holder). Only this child's
     * watchdog can cut it; it sets the word back to 0. */
    apr_time_t cut_holder_req;
    /* Atomic, GUARD_SLOT_H2 only: the tid of the mod_http2 worker thread
     * that holds the slot (it claims it with a compare-and-swap from 0 and
     * gives it back when it exits); 0: free. */
    apr_int32_t h2_owner;
    apr_uint32_t pad4;
} guard_slot_t;

typedef enum {
    GUARD_CHILD_NONE = 0,
    GUARD_CHILD_RUNNING,
    GUARD_CHILD_EXITED
} guard_child_state_e;

/** One per child slot (ServerLimit). Written by the child, and by the parent once it is gone. */
typedef struct {
    apr_uint32_t seq;
    apr_uint32_t state;           /* guard_child_state_e */
    apr_int32_t pid;
    apr_uint32_t generation;
    apr_time_t started;
    apr_time_t exited;
    apr_int32_t watchdog_tid;     /* 0: no watchdog */
    apr_uint32_t pad;
    apr_uint64_t wakeups;         /* watchdog wake-ups */
    apr_time_t last_wake;
} guard_child_t;

#define GUARD_CHAINS         32  /* lock chains tracked at once */
#define GUARD_CHAIN_WAITERS  16  /* waiters listed per chain (all counted) */

/** A worker waiting in a lock chain, as the chain's owner last saw it. */
typedef struct {
    apr_int32_t child;
    apr_int32_t thread;
    apr_int32_t pid;
    apr_int32_t tid;
    apr_time_t since;             /* its lock wait began (first sample) */
    apr_time_t req_start;
    /* A waiter inside PHP-FPM: its pool's index + 1 (child and thread are
     * then -1, since its request's start), and the httpd worker whose
     * request it serves (-1: unknown). 0: an httpd worker. */
    apr_int32_t fpm;
    apr_int32_t behind_child;
    apr_int32_t behind_thread;
    apr_int32_t behind_pad;
    apr_time_t behind_req_start;
} guard_chain_waiter_t;

/**
 * A lock chain: workers waiting past their GuardLockWatch threshold for
 * one lock (device, inode), and who holds it. Entries are claimed with a
 * compare-and-swap of 'key' (0: free) and kept by one watchdog at a time,
 * 'owner' (child + 1, swapped atomically), which alone writes the rest
 * under 'seq'. See guard_lock_table.h for the protocol.
 */
typedef struct {
    apr_uint64_t key;             /* atomic: guard_chain_key(dev, ino); 0 */
    apr_uint32_t owner;           /* atomic: child + 1 of its watchdog; 0 */
    apr_uint32_t seq;
    apr_time_t updated;           /* atomic: the owner's last update */
    /* OFD locks (no pid in /proc/locks): the process that holds one, as
     * its own watchdog says, and when it last said so (guard_lock_ofd.h).
     * Atomic; written by any watchdog, never by the owner's copy. */
    apr_int32_t ofd_pid;
    apr_uint32_t ofd_pad;
    apr_time_t ofd_seen;

    apr_uint64_t dev;
    apr_uint64_t ino;
    apr_uint32_t reported;        /* the chain line was logged */
    apr_uint32_t lock_class;      /* guard_lock_class_e of the holder */
    apr_uint32_t cut_holder;      /* a waiter's rule says cut-holder */
    apr_uint32_t nwaiters;        /* waiters now (may exceed the list) */
    apr_uint32_t max_waiters;     /* most waiters at once */
    apr_uint32_t holder_cut_asked;    /* cut-holder asked for this holder */
    apr_time_t appeared;          /* earliest wait of its waiters */
    apr_time_t reported_at;
    apr_time_t ofd_since;         /* first pass that found no OFD holder */
    apr_int32_t holder_pid;       /* 0: not found; -1: OFD lock, no pid */
    apr_int32_t holder_tid;       /* 0: not an httpd worker, or unknown */
    apr_int32_t holder_child;     /* -1: not an httpd worker */
    apr_int32_t holder_thread;
    apr_time_t holder_req_start;  /* the holder's request; 0 none */
    char holder_comm[GUARD_COMM_LEN];   /* /proc/<pid>/comm outside httpd */
    char path[GUARD_PATH_LEN];    /* as the first waiter shows it */
    char first_holder[96];        /* the holder the chain line named */
    guard_chain_waiter_t waiters[GUARD_CHAIN_WAITERS];
    /* A holder inside PHP-FPM (guard_lock_fpm.h): its pool's index + 1,
     * 0 none; its request as the pool's status said it, and what it is
     * blocked on (or why that cannot be read). */
    apr_int32_t holder_fpm;
    apr_int32_t fpm_rule;         /* the rule of an FPM chain's file + 1 */
    apr_time_t holder_fpm_start;
    char holder_method[GUARD_METHOD_LEN];
    char holder_uri[GUARD_URI_LEN];
    char holder_wait[160];
    /* end-holder: a waiter's rule says it; the last SIGTERM. */
    apr_uint32_t end_holder;
    apr_uint32_t end_said;        /* the last refusal logged (guard_end_e) */
    apr_int32_t ended_pid;
    apr_uint32_t holder_ends;     /* SIGTERMs sent for this chain */
    apr_time_t ended_at;
} guard_chain_t;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_uint32_t server_limit;
    apr_uint32_t thread_limit;
    apr_uint32_t slot_size;
    apr_uint32_t child_size;
    apr_time_t created;           /* when the segment was made */
    apr_uint32_t generation;      /* newest generation the parent announced */
    apr_uint32_t restarts;        /* graceful restarts survived */
    apr_uint32_t nchains;         /* GUARD_CHAINS */
    apr_uint32_t stack_size;      /* sizeof(guard_stack_t) */
    apr_uint64_t lock_waits_total;    /* atomic: chains reported */
    apr_uint64_t holder_ends_total;   /* atomic: end-holder's SIGTERMs */
    /* Atomic, GuardStuckTimeout's server-wide rate limit among children
     * (guard_stuck_rate_take): the minute (seconds >> 32) and the ends in
     * it. The parent never reads it. */
    apr_uint64_t stuck_window;
} guard_shm_hdr_t;

/**
 * A view of the segment: its geometry and pointers into it. The geometry is
 * the parent's own (the MPM's limits), copied into every child by fork:
 * nothing that sizes, indexes or bounds a loop is ever read back from the
 * header, which any child can write.
 */
typedef struct {
    apr_uint32_t version;         /* GUARD_SHM_VERSION of the layout */
    int server_limit;
    int thread_limit;             /* slots per child, the MPM's and HTTP/2's */
    int h2_first;                 /* the first HTTP/2 worker slot of a child:
                                   * the MPM's ThreadLimit; thread_limit when
                                   * there are none */
    guard_shm_hdr_t *hdr;
    guard_child_t *children;      /* [server_limit] */
    guard_slot_t *slots;          /* [server_limit * thread_limit] */
    guard_chain_t *chains;        /* [GUARD_CHAINS] */
    /* [server_limit * thread_limit], as slots: each worker's live stacks.
     * Pages of a record are touched only once a stack is written there. */
    guard_stack_t *stacks;
} guard_shm_t;

/** A device number as /proc/locks names it: major and minor. */
#define guard_dev_make(major, minor) \
    (((apr_uint64_t)(major) << 32) | (apr_uint32_t)(minor))

/** Bytes needed for the given limits (both >= 1). */
apr_size_t guard_shm_size(int server_limit, int thread_limit);

/** Write the header and zero the rest, but for the stack records: base is a
 * new mapping (zero), whose stack pages stay unallocated until written. */
void guard_shm_init(void *base, int server_limit, int thread_limit,
                    apr_time_t now);

/** 1 when the segment of view (size bytes) serves these limits: decided
 * by the view, the parent's own memory, never by the segment's header. */
int guard_shm_fits(const guard_shm_t *view, apr_size_t size,
                   int server_limit, int thread_limit);

/** Fill the view of a segment made by guard_shm_init with these limits:
 * the limits are the caller's, never the header's. No slot is an HTTP/2
 * worker's (h2_first = thread_limit) until the caller says otherwise. */
void guard_shm_attach(guard_shm_t *shm, void *base, int server_limit,
                      int thread_limit);

/** The slot of (child, thread); NULL when out of range. */
guard_slot_t *guard_shm_slot(const guard_shm_t *shm, int child, int thread);

/** The stack record of (child, thread); NULL when out of range. */
guard_stack_t *guard_shm_stack(const guard_shm_t *shm, int child,
                               int thread);

/** Map a flat worker index (child * thread_limit + thread) to a slot. */
guard_slot_t *guard_shm_slot_at(const guard_shm_t *shm, int index);

/**
 * A new process takes a slot (prefork: its only one; threaded MPMs: one
 * per thread) before its watchdog runs: idle, its pid, tid (0: not known
 * yet) and generation, and nothing of the last process's watchdog state
 * that would speak for it: a stuck flag set for the old process's request
 * belongs to that request, not to this process.
 */
void guard_slot_claim(guard_slot_t *s, apr_int32_t pid, apr_int32_t tid,
                      apr_uint32_t generation);

/**
 * The parent's clearing of a slot whose process is gone: empty, no
 * request, not stuck. The process may have died mid-write (an odd
 * counter), so both counters are made even first.
 */
void guard_slot_release(guard_slot_t *s);

/**
 * A mod_http2 worker thread of process pid takes a free HTTP/2 slot of
 * child (h2_owner from 0 to its tid, with a compare-and-swap: threads come
 * and go, any may take any free slot) and writes its identity there:
 * idle, an HTTP/2 worker. Only the worker part is written: the watchdog's
 * part belongs to the watchdog. NULL when every one is taken.
 */
guard_slot_t *guard_h2_slot_claim(const guard_shm_t *shm, int child,
                                  apr_int32_t pid, apr_int32_t tid,
                                  apr_uint32_t generation);

/** The thread that held s exits: the slot is empty, and free again. */
void guard_h2_slot_leave(guard_slot_t *s);

/**
 * Copy a slot consistently: retries a few times while a writer is at it.
 * @return 1 when the copy is consistent, 0 when it may be torn (a writer
 *         that died mid-write, or one too busy): the copy is still filled.
 */
int guard_slot_read(const guard_slot_t *src, guard_slot_t *dst);

/** Same for a child record. */
int guard_child_read(const guard_child_t *src, guard_child_t *dst);

#endif
