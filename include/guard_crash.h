/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash records: a segment of shared memory of its own, made by the parent,
 * kept across graceful restarts, written by a crashing child from its
 * signal handler. Everything a handler calls here is async-signal-safe: no
 * malloc, no locks, no stdio; stores and atomics only.
 *
 * The ring never loses a record to two children crashing at once: each
 * crash takes a ticket with an atomic fetch-and-add (so all are counted),
 * the ticket picks its record (ticket % capacity), and the record's
 * sequence number says which ticket wrote it and whether it is complete
 * (2t+1 while ticket t writes, 2t+2 once done). A writer claims its record
 * with a compare-and-swap that only moves the sequence forward, so a crash
 * older by a whole lap never overwrites a newer one.
 */
#ifndef GUARD_CRASH_H
#define GUARD_CRASH_H

#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"
#include "guard_stack.h"

#define GUARD_CRASH_MAGIC      0x67637231u
#define GUARD_CRASH_VERSION    4

#define GUARD_CRASH_FRAMES     32      /* raw return addresses kept */
#define GUARD_CRASH_SIG_FRAMES 3       /* top frames that make a signature */
#define GUARD_CRASH_PHP_FRAMES 16      /* PHP frames kept, innermost first */
#define GUARD_CRASH_GROUPS     64      /* distinct signatures counted */
#define GUARD_CRASH_MODULES    12      /* distinct modules named per record */
#define GUARD_CRASH_MODULE_LEN 96      /* a module's path, cut if longer */

/* A crash handler still running after this long ends the process. */
#define GUARD_CRASH_HANDLER_LIMIT_S 5

#define GUARD_CRASH_HISTORY_DEFAULT 64
#define GUARD_CRASH_HISTORY_MIN     1
#define GUARD_CRASH_HISTORY_MAX     65536

/* The signals the handler is installed for, in counter order. */
typedef enum {
    GUARD_CSIG_SEGV = 0,
    GUARD_CSIG_BUS,
    GUARD_CSIG_FPE,
    GUARD_CSIG_ILL,
    GUARD_CSIG_ABRT,
    GUARD_CSIG_OTHER,
    GUARD_CSIG_MAX
} guard_csig_e;

#define GUARD_CRASHF_REQUEST   0x01  /* a request was active: req is set */
#define GUARD_CRASHF_FRAMES    0x02  /* frames[] were filled */
#define GUARD_CRASHF_MINIMAL   0x04  /* another thread was already crashing */
#define GUARD_CRASHF_NESTED    0x08  /* the handler itself crashed */
#define GUARD_CRASHF_NO_SLOT   0x10  /* thread had no slot (never served) */
#define GUARD_CRASHF_SENT      0x20  /* sent by kill/raise, not a fault */
#define GUARD_CRASHF_PHP       0x40  /* PHP's frames were walked: php[] */
/* With REQUEST: the request was over (logged) and the crash came from its
 * pool's cleanups, not from serving it. */
#define GUARD_CRASHF_REQ_DONE  0x80
/* The handler did not finish within GUARD_CRASH_HANDLER_LIMIT_S: its time
 * limit ended the process. */
#define GUARD_CRASHF_LIMIT     0x100
/* Not a crash: the watchdog ended the process by GuardStuckTimeout, its
 * request stuck on what cannot be cut (wait says on what). Counted apart
 * (guard_crash_hdr_t.stuck_ends), in no signature group. */
#define GUARD_CRASHF_STUCK     0x200

#define GUARD_CRASH_WAIT_LEN   160

/*
 * Where an address is, as the pages may show it: a module and an offset
 * from its load bias (an address of the ELF file, as eu-addr2line -e
 * takes it), never the address itself.
 */
typedef enum {
    GUARD_AT_NONE = 0,            /* in no module known (heap, stack, JIT,
                                   * a module loaded since the last look,
                                   * or no room left in modules[]) */
    GUARD_AT_MODULE,              /* module (1-based into modules[]) */
    GUARD_AT_NULL                 /* below GUARD_CRASH_NULL_PAGE: offset is
                                   * the address, which reveals nothing */
} guard_at_e;

#define GUARD_CRASH_NULL_PAGE  0x1000

typedef struct {
    apr_uint64_t offset;
    apr_uint32_t kind;            /* guard_at_e */
    apr_uint32_t module;          /* GUARD_AT_MODULE: 1..nmodules */
} guard_crash_loc_t;

typedef struct {
    apr_uint64_t bias;            /* load bias in the crashed process: the
                                   * parent's log only, never a page */
    char path[GUARD_CRASH_MODULE_LEN];
} guard_crash_module_t;

typedef struct {
    apr_uint64_t seq;             /* 2t+1 while ticket t writes, 2t+2 done */
    apr_uint64_t id;              /* ticket + 1: the crash's number */
    apr_time_t when;
    apr_time_t req_start;         /* 0: no request */
    apr_int64_t elapsed_ms;       /* into the request; -1 none */
    apr_uint64_t addr;            /* si_addr */
    apr_uint64_t ip;              /* instruction pointer of the fault */
    apr_uint64_t signature;       /* see guard_crash_signature() */
    apr_int64_t handler_us;       /* time in the handler (report included);
                                     -1 until it is done */
    apr_int32_t pid;
    apr_int32_t tid;
    apr_int32_t child;            /* scoreboard child slot; -1 unknown */
    apr_int32_t thread;           /* -1 unknown */
    apr_uint32_t generation;
    apr_int32_t signo;
    apr_int32_t si_code;
    apr_uint32_t flags;           /* GUARD_CRASHF_* */
    apr_uint32_t nframes;
    apr_uint32_t pad;
    apr_uint64_t frames[GUARD_CRASH_FRAMES];
    guard_req_t req;              /* the slot's copy: already redacted */
    apr_uint32_t nphp;            /* php[] filled, with GUARD_CRASHF_PHP */
    apr_uint32_t pad2;
    guard_php_frame_t php[GUARD_CRASH_PHP_FRAMES];  /* names, no values */
    /* Where addr, ip and frames[] are: what the pages show. The absolute
     * values above are for the parent's log only. */
    guard_crash_loc_t addr_at;
    guard_crash_loc_t ip_at;
    guard_crash_loc_t at[GUARD_CRASH_FRAMES];
    apr_uint32_t nmodules;
    apr_uint32_t pad3;
    guard_crash_module_t modules[GUARD_CRASH_MODULES];
    /* GUARD_CRASHF_STUCK: what the request waited on, in the words of the
     * pages, and the timeout that ended it. */
    apr_int64_t stuck_timeout_ms;
    char wait[GUARD_CRASH_WAIT_LEN];
} guard_crash_rec_t;

typedef enum {
    GUARD_PROC_NONE = 0,
    GUARD_PROC_RUNNING,
    GUARD_PROC_EXITED,            /* gone without a crash record */
    GUARD_PROC_CRASHED,           /* gone, and it left a crash record */
    GUARD_PROC_ENDED              /* ended by GuardStuckTimeout */
} guard_proc_end_e;

/** One process of a child slot: written by the parent only. */
typedef struct {
    apr_uint32_t seq;             /* guard_seq_*; the parent is the writer */
    apr_uint32_t pad;
    apr_int32_t pid;
    apr_int32_t child;
    apr_uint32_t generation;
    apr_uint32_t end;             /* guard_proc_end_e */
    apr_int32_t signo;            /* crash signal when CRASHED */
    apr_uint32_t crashes;         /* crash records it left */
    apr_time_t started;
    apr_time_t ended;
    apr_uint64_t requests_base;   /* its slots' request counts at start */
    apr_uint64_t requests;        /* served, known once it ended */
} guard_proc_rec_t;

/** Crashes of one signature, counted beyond the ring's reach. */
typedef struct {
    apr_uint64_t key;             /* signature; 0: free */
    apr_uint64_t count;
    apr_uint64_t last_id;
    apr_time_t last_time;
    apr_int32_t signo;
    apr_uint32_t ready;           /* 1 once the fields below are written */
    apr_uint32_t generation;      /* of the crash that made the group */
    apr_uint32_t pad;
    apr_uint64_t frames[GUARD_CRASH_SIG_FRAMES];   /* absolute: not shown */
    /* Where they are; at[k].module, when set, names module[k]. */
    guard_crash_loc_t at[GUARD_CRASH_SIG_FRAMES];
    char module[GUARD_CRASH_SIG_FRAMES][GUARD_CRASH_MODULE_LEN];
} guard_crash_group_t;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_uint32_t capacity;        /* crash records in the ring */
    apr_uint32_t proc_capacity;   /* process records */
    apr_uint32_t children;        /* per-child last records (ServerLimit) */
    apr_uint32_t pad0;
    apr_time_t created;
    apr_uint64_t next;            /* tickets taken: crashes ever (atomic) */
    apr_uint64_t by_signal[GUARD_CSIG_MAX];  /* atomic */
    apr_uint64_t groups_full;     /* crashes whose signature found no room */
    apr_uint64_t proc_next;       /* process records written: the parent's
                                     count, copied here for the pages */
    /* The parent's view of the crash rate, updated at each child exit. */
    apr_uint32_t rate_1m;         /* crashes in the last minute */
    apr_uint32_t pad;
    apr_uint64_t stuck_ends;      /* atomic: records of GuardStuckTimeout's
                                     ends, tickets of the ring that are
                                     not crashes */
} guard_crash_hdr_t;

/**
 * A view of the crash segment. Its geometry and the parent's counters are
 * the parent's own memory (children get a copy by fork): nothing that
 * sizes, indexes or bounds a loop is read back from the header, which any
 * child can write.
 */
typedef struct {
    apr_uint32_t version;         /* GUARD_CRASH_VERSION of the layout */
    int capacity;                 /* crash records in the ring */
    int proc_capacity;            /* process records */
    int children;                 /* per-child last records */
    /* The parent's alone: process records written, last storm line. */
    apr_uint64_t proc_next;
    apr_time_t storm_logged;
    guard_crash_hdr_t *hdr;
    guard_crash_group_t *groups;  /* [GUARD_CRASH_GROUPS] */
    guard_proc_rec_t *procs;      /* [proc_capacity] */
    guard_crash_rec_t *recs;      /* [capacity] */
    /* The first crash of the current process of each child slot: the
     * parent reads it when it reaps that process, however many crashes
     * went through the ring meanwhile (a slot holds one process at a time
     * until the parent has seen it exit). */
    guard_crash_rec_t *last;      /* [children] */
} guard_crash_shm_t;

/** Process records kept for a ring of capacity crash records. */
int guard_crash_proc_capacity(int capacity);

/** Bytes of a segment holding capacity records (>= 1) for children
 *  child slots (>= 1). */
apr_size_t guard_crash_shm_size(int capacity, int children);

/** Zero the segment and write its header. */
void guard_crash_shm_init(void *base, int capacity, int children,
                          apr_time_t now);

/** 1 when the segment of view (size bytes) serves these sizes: decided by
 * the view, the parent's own memory, never by the segment's header. */
int guard_crash_shm_fits(const guard_crash_shm_t *view, apr_size_t size,
                         int capacity, int children);

/** Fill the view of a segment made by guard_crash_shm_init with these
 * sizes: the sizes are the caller's, never the header's. */
void guard_crash_shm_attach(guard_crash_shm_t *c, void *base, int capacity,
                            int children);

/** Process records written, as the header says, for a child's page: a
 * hostile value, only ever used modulo proc_capacity. */
apr_uint64_t guard_crash_proc_count(const guard_crash_shm_t *c);

/** Counter index of a signal number. */
guard_csig_e guard_csig_of(int signo);

/*
 * Writing, from a signal handler: build the record in local memory, then
 * publish it. guard_crash_publish takes a ticket, counts the crash, and
 * copies the record into the ring; it returns the ticket, with *slot the
 * ring record or NULL when a newer crash already owns it.
 */
apr_uint64_t guard_crash_publish(guard_crash_shm_t *c, guard_crash_rec_t *rec,
                                 guard_crash_rec_t **slot);

/** Keep rec as the last crash of child slot rec->child (if in range). */
void guard_crash_keep_last(guard_crash_shm_t *c, const guard_crash_rec_t *rec);

/** Parent, once pid is reaped: its crash kept for child slot child.
 *  @return 1 when there is one. */
int guard_crash_last_of(const guard_crash_shm_t *c, int child, pid_t pid,
                        guard_crash_rec_t *out);

/** Fill in the frames of a published record (a second, short write):
 *  rec's frames[], nframes, at[], modules[] and signature. */
void guard_crash_add_frames(guard_crash_rec_t *slot, apr_uint64_t ticket,
                            const guard_crash_rec_t *rec);

/** Fill in the PHP frames of a published record (n may be 0: no PHP code
 *  was running), as guard_crash_add_frames does the native ones. */
void guard_crash_add_php(guard_crash_rec_t *slot, apr_uint64_t ticket,
                         const guard_php_frame_t *php, int n);

/** Count a crash under rec->signature in the group table, with rec's
 *  top frames. */
void guard_crash_count_group(guard_crash_shm_t *c,
                             const guard_crash_rec_t *rec);

/**
 * The signature of a crash: the signal and its top frames, as keys that
 * do not depend on where modules were loaded (guard_crash_where_key()).
 */
apr_uint64_t guard_crash_signature(int signo, const apr_uint64_t *frames,
                                   int n);

/**
 * From the raw output of backtrace() in the handler, the frames from the
 * faulting instruction on: the handler's own frames and the signal
 * trampoline are dropped when ip is found among the first ones. Returns
 * how many were written to out (at most max); *start is the index in raw
 * of the first one.
 */
int guard_crash_trim_frames(void *const *raw, int nraw, apr_uint64_t ip,
                            apr_uint64_t *out, int max, int *start);

/*
 * Reading, for pages and the parent: consistent copies.
 */

/** Crashes ever counted. */
apr_uint64_t guard_crash_total(const guard_crash_shm_t *c);

/**
 * Copy the record of ticket t. @return 1 complete, 0 gone (overwritten or
 * never written), -1 still being written (copied anyway).
 */
int guard_crash_read(const guard_crash_shm_t *c, apr_uint64_t t,
                     guard_crash_rec_t *out);

/** Parent: a new process of child slot child. Returns its record. */
guard_proc_rec_t *guard_crash_proc_start(guard_crash_shm_t *c, int child,
                                         pid_t pid, apr_uint32_t generation,
                                         apr_time_t now,
                                         apr_uint64_t requests_base);

/** Parent: the newest record of pid in child slot child, or NULL. */
guard_proc_rec_t *guard_crash_proc_find(guard_crash_shm_t *c, int child,
                                        pid_t pid);

/** Parent: crash records of p's process are those of its pid and child
 * slot written after this time: when the previous process of that slot
 * ended (0 if none is known). Not p->started, which the parent notes
 * after fork(): the new process may have crashed before. */
apr_time_t guard_crash_proc_since(const guard_crash_shm_t *c,
                                  const guard_proc_rec_t *p);

/** Parent: how a process ended. */
void guard_crash_proc_end(guard_proc_rec_t *p, apr_time_t now,
                          apr_uint32_t end, int signo, apr_uint32_t crashes,
                          apr_uint64_t requests);

/** Consistent copy of a process record; 0 when torn. */
int guard_crash_proc_read(const guard_proc_rec_t *src, guard_proc_rec_t *dst);

#endif
