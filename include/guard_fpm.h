/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PHP-FPM pools as their status pages describe them (GuardFpmStatus): the
 * records in shared memory, fixed in size, written by the one reader of
 * the moment (mod_guard_fpm.c) and copied by the pages, which make each
 * copy safe (guard_fpm_sane) before they read it. Pure: no httpd.
 */
#ifndef GUARD_FPM_H
#define GUARD_FPM_H

#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"

#define GUARD_FPM_POOLS        8    /* GuardFpmStatus lines at most */
#define GUARD_FPM_WORKERS      128  /* workers kept per pool; more are counted */
#define GUARD_FPM_ADDR_LEN     112
#define GUARD_FPM_PATH_LEN     64
#define GUARD_FPM_NAME_LEN     64
#define GUARD_FPM_ERR_LEN      128
#define GUARD_FPM_SCRIPT_LEN   192
#define GUARD_FPM_USER_LEN     32

/* Defaults and bounds of GuardFpmInterval, and the time one read may take. */
#define GUARD_FPM_INTERVAL_DEFAULT  apr_time_from_sec(1)
#define GUARD_FPM_INTERVAL_MIN      apr_time_from_msec(500)
#define GUARD_FPM_INTERVAL_MAX      apr_time_from_sec(3600)
#define GUARD_FPM_TIMEOUT           apr_time_from_msec(300)
/* A reply larger than this is not read to its end: an error. */
#define GUARD_FPM_REPLY_MAX         (1024 * 1024)

/* An httpd request and the FPM request it became start within this. */
#define GUARD_FPM_JOIN_SLACK        apr_time_from_msec(250)

typedef enum {
    GUARD_FPM_IDLE = 0,
    GUARD_FPM_RUNNING,
    GUARD_FPM_READING,          /* "Reading headers" */
    GUARD_FPM_INFO,             /* "Getting request information" */
    GUARD_FPM_FINISHING,
    GUARD_FPM_ENDING,
    GUARD_FPM_OTHER,            /* a state this version does not know */
    GUARD_FPM_STATE_MAX
} guard_fpm_state_e;

/** One FPM worker, as the pool's status said it. */
typedef struct {
    apr_int32_t pid;
    apr_uint32_t state;           /* guard_fpm_state_e */
    apr_int64_t started;          /* the process's start, epoch seconds */
    apr_uint64_t requests;
    apr_int64_t duration_us;      /* of the request (running: so far) */
    apr_int64_t cpu_centi;        /* last request's CPU, % x 100 */
    apr_int64_t memory;           /* last request's peak, bytes */
    apr_int64_t content_length;
    char method[GUARD_METHOD_LEN];
    char uri[GUARD_URI_LEN];      /* with its query, as FPM shows it */
    char script[GUARD_FPM_SCRIPT_LEN];
    char user[GUARD_FPM_USER_LEN];
} guard_fpm_proc_t;

/** A pool's counts, as its status said them. */
typedef struct {
    char name[GUARD_FPM_NAME_LEN];
    char pm[16];                  /* static, dynamic, ondemand */
    apr_int64_t start_time;       /* epoch seconds */
    apr_int64_t accepted;
    apr_int64_t listen_queue;
    apr_int64_t max_listen_queue;
    apr_int64_t listen_queue_len;
    apr_int64_t idle;
    apr_int64_t active;
    apr_int64_t total;
    apr_int64_t max_active;
    apr_int64_t max_children_reached;
    apr_int64_t slow_requests;
    apr_uint32_t nprocs;          /* in procs */
    apr_uint32_t procs_total;     /* listed by FPM (more: truncated) */
} guard_fpm_counts_t;

typedef enum {
    GUARD_FPM_NEVER = 0,          /* not read yet */
    GUARD_FPM_OK,                 /* the last read worked */
    GUARD_FPM_FAILED              /* the last read failed: error says why */
} guard_fpm_read_e;

/** One pool's record in shared memory, written under seq by the reader. */
typedef struct {
    apr_uint32_t seq;
    apr_uint32_t status;          /* guard_fpm_read_e of the last read */
    apr_time_t last_try;
    apr_time_t last_ok;           /* the data below is of this read; 0 */
    apr_int32_t reader_pid;       /* who read it last */
    apr_uint32_t bytes;           /* bytes received by the last read */
    apr_int64_t read_us;          /* how long the last read took */
    char error[GUARD_FPM_ERR_LEN];
    guard_fpm_counts_t counts;
    guard_fpm_proc_t procs[GUARD_FPM_WORKERS];
} guard_fpm_pool_t;

/**
 * The segment. 'lease' (atomic) says who reads now: pid << 32 | the
 * deadline in epoch seconds, 0 when nobody; a lease past its deadline
 * (its holder died) may be taken over. 'due' (atomic): no read before.
 */
typedef struct {
    apr_uint64_t lease;
    apr_time_t due;
    apr_uint64_t reads_total;     /* atomic */
    apr_uint64_t failures_total;  /* atomic */
    apr_uint64_t bytes_total;     /* atomic */
    apr_uint64_t cpu_us_total;    /* atomic: reader threads' CPU in reads */
    guard_fpm_pool_t pools[GUARD_FPM_POOLS];
} guard_fpm_shm_t;

/** A GuardFpmStatus line, parsed. */
typedef struct {
    int unix_path;                /* 1: path is a socket's; 0: host:port */
    char address[GUARD_FPM_ADDR_LEN];   /* "unix:/x.sock" or "h:port" */
    char sock[GUARD_FPM_ADDR_LEN];      /* the socket path (unix) */
    char host[64];                /* numeric address (tcp) */
    int port;
    char path[GUARD_FPM_PATH_LEN];      /* the status path, "/status" */
} guard_fpm_addr_t;

/** Parse ADDRESS and PATH (NULL: "/status"). NULL or the reason it is
 *  refused. The host must be a numeric IPv4 or [IPv6] address. */
const char *guard_fpm_addr_parse(const char *address, const char *path,
                                 guard_fpm_addr_t *out);

/** The state's name ("Running") and the parse of FPM's state text. */
const char *guard_fpm_state_name(apr_uint32_t state);
apr_uint32_t guard_fpm_state_parse(const char *text);

/** A copy of a pool record under its seq: 1 when consistent, else 0
 *  (the last try's copy, made while the reader wrote). */
int guard_fpm_pool_copy(const guard_fpm_pool_t *src, guard_fpm_pool_t *dst);

/** Make a copy of a pool record safe to read: counts within arrays,
 *  enums within their tables, strings terminated, times clamped. */
void guard_fpm_sane(guard_fpm_pool_t *p);

/** 1 when the pool is full: every worker of a static pool busy, or
 *  max_children reached and requests wait in the listen queue. */
int guard_fpm_full(const guard_fpm_counts_t *c);

/** 1 when the worker serves a request past threshold. */
int guard_fpm_proc_stuck(const guard_fpm_proc_t *w,
                         apr_interval_time_t threshold);

/** What an httpd worker waiting on the pool's socket is, for the join. */
typedef struct {
    const char *method;
    const char *uri;              /* "?..." as query: the query hidden */
    apr_uint32_t query_hash;      /* the hidden query's hash; 0 unknown */
    apr_time_t req_start;
    int fpm;                      /* out: index in procs; -1 none */
    int ambiguous;                /* out: more than one FPM worker fits, or
                                   * this one fits another waiter too */
} guard_fpm_waiter_t;

/** A query's hash (n bytes of q, FNV-1a), never 0: what a request whose
 * query is hidden keeps of it for the join. */
apr_uint32_t guard_fpm_query_hash(const char *q, apr_size_t n);

/**
 * Join each waiter to the FPM worker serving its request: running, same
 * method and URI (when the waiter's query is hidden: the path, and the
 * query's hash where the waiter has one), and
 * started (read time - duration) no earlier than the waiter's request less
 * GUARD_FPM_JOIN_SLACK. One candidate, claimed by no other waiter: joined;
 * more: ambiguous. read_at: when the status was read.
 */
void guard_fpm_join(const guard_fpm_proc_t *procs, int nprocs,
                    apr_time_t read_at, guard_fpm_waiter_t *w, int nw);

/** 1 when peer (a wait's "unix:/x" or "127.0.0.1:9000") is a's socket. */
int guard_fpm_addr_is_peer(const guard_fpm_addr_t *a, const char *peer);

#endif
