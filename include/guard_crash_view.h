/*
 * A copy of the crash segment for one page, with frames symbolized when
 * the page is rendered (never in the handler). Pure: no httpd. The crash
 * sections are written by each format's renderer (guard_status_*.h).
 */
#ifndef GUARD_CRASH_VIEW_H
#define GUARD_CRASH_VIEW_H

#include <apr_pools.h>
#include "guard_crash.h"

#define GUARD_SYM_LEN 160

/** What an address is: module and offset, function and offset. */
typedef struct {
    apr_uint64_t addr;
    int resolved;                 /* 0: nothing known */
    char module[GUARD_SYM_LEN];   /* path of the shared object */
    apr_uint64_t offset;          /* from the module's base */
    char function[GUARD_SYM_LEN]; /* "" when no symbol covers it */
    apr_uint64_t func_offset;
} guard_frame_sym_t;

/** Resolve addr; 0 when unknown. A return address (every frame but the
 *  faulting one) is looked up one byte earlier, inside its call. */
typedef int guard_symbolize_fn(void *baton, apr_uint64_t addr, int is_return,
                               guard_frame_sym_t *out);

typedef struct {
    guard_crash_rec_t rec;
    int complete;                 /* 0: its writer died mid-record */
    int symbolized;               /* 0: other generation, raw addresses */
    guard_frame_sym_t *syms;      /* [rec.nframes] */
} guard_crash_item_t;

typedef struct {
    apr_uint64_t key;
    apr_uint64_t count;
    apr_uint64_t last_id;
    apr_time_t last_time;
    int signo;
    int nframes;
    guard_frame_sym_t syms[GUARD_CRASH_SIG_FRAMES];
} guard_crash_group_view_t;

typedef struct guard_crash_view {
    apr_time_t now;
    apr_uint32_t generation;      /* current */
    int capacity;
    apr_uint64_t total;
    apr_uint64_t by_signal[GUARD_CSIG_MAX];
    apr_uint32_t rate_1m;
    apr_uint64_t groups_full;
    int nitems;
    guard_crash_item_t *items;    /* newest first */
    int ngroups;
    guard_crash_group_view_t *groups;  /* most frequent first */
    int nprocs;
    guard_proc_rec_t *procs;      /* newest first */
} guard_crash_view_t;

/** Copy the segment; sym may be NULL (no symbols). */
guard_crash_view_t *guard_crash_view_take(apr_pool_t *p,
                                          const guard_crash_shm_t *c,
                                          apr_uint32_t generation,
                                          apr_time_t now,
                                          guard_symbolize_fn *sym,
                                          void *baton);

/** The item of crash id, or NULL when the ring no longer holds it. */
const guard_crash_item_t *guard_crash_view_find(const guard_crash_view_t *v,
                                                apr_uint64_t id);

/** Counter label of a guard_csig_e: "SIGSEGV" ... "other". */
const char *guard_csig_label(int csig);

/** "SIGSEGV"..., "unknown" for a signal without a name. */
const char *guard_crash_sig_name(int signo);

/** How a process of a child slot ended: "running", "exited", "crashed". */
const char *guard_proc_end_name(apr_uint32_t end);

#endif
