/*
 * A copy of the crash segment for one page, with frames symbolized when
 * the page is rendered (never in the handler), and the renderers of the
 * crash sections. Pure: no httpd.
 */
#ifndef GUARD_CRASH_VIEW_H
#define GUARD_CRASH_VIEW_H

#include <apr_pools.h>
#include "guard_crash.h"
#include "guard_sink.h"

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

/** dladdr() in this process: modules loaded by the parent sit at the same
 *  addresses in every child of a generation. */
int guard_symbolize_dladdr(void *baton, apr_uint64_t addr, int is_return,
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

/* Renderers. The JSON ones write members of an enclosing object. */

/** "crashes":[...],"crash_groups":[...],"crash_summary":{...} */
void guard_crash_render_json(const guard_crash_view_t *v, guard_sink_t *o);

/** One crash in full: a JSON object. */
void guard_crash_render_json_one(const guard_crash_item_t *it,
                                 guard_sink_t *o);

/** The processes of child slot child, newest first: a JSON array. */
void guard_crash_render_json_procs(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/** Crashes of child slot child: a JSON array. */
void guard_crash_render_json_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/** The crash section of the HTML page (nothing when none). */
void guard_crash_render_html(const guard_crash_view_t *v, guard_sink_t *o);

/** One crash in full: HTML body part. */
void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o);

/** Processes and crashes of one child slot: HTML body part. */
void guard_crash_render_html_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/** guard_crashes_total{signal} and friends. */
void guard_crash_render_prometheus(const guard_crash_view_t *v,
                                   guard_sink_t *o);

/** CrashesTotal: lines. */
void guard_crash_render_auto(const guard_crash_view_t *v, guard_sink_t *o);

#endif
