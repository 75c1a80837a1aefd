/* SPDX-License-Identifier: Apache-2.0 */
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

/** Where an address is, as pages show it: never the address itself. */
typedef struct {
    int kind;                     /* guard_at_e */
    int resolved;                 /* 1: in module (kind GUARD_AT_MODULE) */
    char module[GUARD_SYM_LEN];   /* path of the shared object */
    apr_uint64_t offset;          /* from the module's load bias; with
                                   * GUARD_AT_NULL the address (< 4 KiB) */
    char function[GUARD_SYM_LEN]; /* "" when no symbol covers it or it
                                   * was not looked up */
    apr_uint64_t func_offset;
} guard_frame_sym_t;

/** Name the function at offset of module (out's kind, module and offset
 *  are set); 1 when named. A return address (every frame but the
 *  faulting one) is looked up one byte earlier, inside its call. */
typedef int guard_symbolize_fn(void *baton, const char *module,
                               apr_uint64_t offset, int is_return,
                               guard_frame_sym_t *out);

typedef struct {
    guard_crash_rec_t rec;
    int complete;                 /* 0: its writer died mid-record */
    int symbolized;               /* 0: other generation: modules and
                                   * offsets, no function names */
    guard_frame_sym_t *syms;      /* [rec.nframes] */
    guard_frame_sym_t addr_sym;   /* the fault address (si_addr) */
    guard_frame_sym_t ip_sym;     /* the faulting instruction */
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
    apr_uint64_t total;           /* the ring's tickets: crashes and ends */
    apr_uint64_t crashes;         /* of them, crashes */
    apr_uint64_t stuck_ends;      /* of them, GuardStuckTimeout's ends */
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

/** Where at is (module path from rec, or NULL), named by sym when not
 *  NULL. */
void guard_crash_where_sym(guard_frame_sym_t *out, const char *module,
                           const guard_crash_loc_t *at, int is_return,
                           guard_symbolize_fn *sym, void *baton);

/** Copy the segment; sym may be NULL (no function names). */
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

/** How a process of a child slot ended: "running", "exited", "crashed",
 *  "ended" (by GuardStuckTimeout). */
const char *guard_proc_end_name(apr_uint32_t end);

#endif
