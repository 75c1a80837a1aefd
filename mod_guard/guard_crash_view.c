/* SPDX-License-Identifier: Apache-2.0 */
/* A copy of the crash segment for one page, newest first. */
#include <stdlib.h>
#include <string.h>
#include "guard_crash_fmt.h"
#include <apr_strings.h>
#include "guard_crash_view.h"
#include "guard_crash_where.h"
#include "guard_sane.h"

const char *guard_csig_label(int csig)
{
    static const char *const labels[GUARD_CSIG_MAX] = {
        "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "other"
    };

    return csig >= 0 && csig < GUARD_CSIG_MAX ? labels[csig] : "other";
}

const char *guard_crash_sig_name(int signo)
{
    const char *n = guard_signal_name(signo);

    return n ? n : "unknown";
}

const char *guard_proc_end_name(apr_uint32_t end)
{
    switch (end) {
    case GUARD_PROC_RUNNING: return "running";
    case GUARD_PROC_EXITED:  return "exited";
    case GUARD_PROC_CRASHED: return "crashed";
    case GUARD_PROC_ENDED:   return "ended";
    default:                 return "unknown";
    }
}

void guard_crash_where_sym(guard_frame_sym_t *out, const char *module,
                           const guard_crash_loc_t *at, int is_return,
                           guard_symbolize_fn *sym, void *baton)
{
    memset(out, 0, sizeof(*out));
    out->kind = (int)at->kind;
    if (at->kind == GUARD_AT_NULL) {
        out->offset = at->offset;
        return;
    }
    if (at->kind != GUARD_AT_MODULE || !module || !*module) {
        out->kind = GUARD_AT_NONE;
        return;
    }
    out->resolved = 1;
    apr_cpystrn(out->module, module, sizeof(out->module));
    out->offset = at->offset;
    if (sym && !sym(baton, out->module, at->offset, is_return, out)) {
        out->function[0] = '\0';
        out->func_offset = 0;
    }
}

static void take_item(apr_pool_t *p, guard_crash_item_t *it,
                      apr_uint32_t generation, guard_symbolize_fn *sym,
                      void *baton)
{
    guard_crash_rec_t *r = &it->rec;      /* made safe: guard_sane_crash */
    apr_uint32_t k, n = r->nframes;

    /* Modules are loaded again at each restart, maybe other files. */
    it->symbolized = r->generation == generation && sym != NULL;
    if (!it->symbolized) {
        sym = NULL;
    }
    it->syms = apr_pcalloc(p, sizeof(*it->syms) * (n ? n : 1));
    for (k = 0; k < n; k++) {
        guard_crash_where_sym(&it->syms[k], guard_crash_module_of(r, &r->at[k]),
                              &r->at[k], k > 0, sym, baton);
    }
    guard_crash_where_sym(&it->addr_sym, guard_crash_module_of(r, &r->addr_at),
                          &r->addr_at, 0, sym, baton);
    guard_crash_where_sym(&it->ip_sym, guard_crash_module_of(r, &r->ip_at),
                          &r->ip_at, 0, sym, baton);
}

static void take_items(apr_pool_t *p, const guard_crash_shm_t *c,
                       guard_crash_view_t *v, guard_symbolize_fn *sym,
                       void *baton)
{
    apr_uint64_t t, cap = (apr_uint64_t)c->capacity;

    v->items = apr_pcalloc(p, sizeof(*v->items) * (apr_size_t)cap);
    for (t = 0; t < v->total && t < cap; t++) {
        guard_crash_item_t *it = &v->items[v->nitems];
        int got = guard_crash_read(c, v->total - 1 - t, &it->rec);

        if (got == 0) {
            continue;
        }
        it->complete = got == 1;
        guard_sane_crash(&it->rec);
        take_item(p, it, v->generation, sym, baton);
        v->nitems++;
    }
}

static int by_count_desc(const void *a, const void *b)
{
    const guard_crash_group_view_t *x = a, *y = b;

    if (x->count != y->count) {
        return x->count < y->count ? 1 : -1;
    }
    return x->last_id < y->last_id ? 1 : (x->last_id > y->last_id ? -1 : 0);
}

static void take_groups(apr_pool_t *p, const guard_crash_shm_t *c,
                        guard_crash_view_t *v, guard_symbolize_fn *sym,
                        void *baton)
{
    int i, k;

    v->groups = apr_pcalloc(p, sizeof(*v->groups) * GUARD_CRASH_GROUPS);
    for (i = 0; i < GUARD_CRASH_GROUPS; i++) {
        const guard_crash_group_t *g = &c->groups[i];
        guard_crash_group_view_t *gv = &v->groups[v->ngroups];

        if (!__atomic_load_n(&g->key, __ATOMIC_ACQUIRE)
            || !__atomic_load_n(&g->ready, __ATOMIC_ACQUIRE)) {
            continue;
        }
        gv->key = g->key;
        gv->count = __atomic_load_n(&g->count, __ATOMIC_RELAXED);
        gv->last_id = g->last_id;
        gv->last_time = guard_sane_time(g->last_time);
        gv->signo = g->signo;
        for (k = 0; k < GUARD_CRASH_SIG_FRAMES && g->frames[k]; k++) {
            char module[GUARD_CRASH_MODULE_LEN];

            memcpy(module, g->module[k], sizeof(module));
            module[sizeof(module) - 1] = '\0';
            guard_crash_where_sym(&gv->syms[k], module, &g->at[k], k > 0,
                                  g->generation == v->generation ? sym : NULL,
                                  baton);
        }
        gv->nframes = k;
        v->ngroups++;
    }
    qsort(v->groups, v->ngroups, sizeof(*v->groups), by_count_desc);
}

static void take_procs(apr_pool_t *p, const guard_crash_shm_t *c,
                       guard_crash_view_t *v)
{
    apr_uint64_t n = guard_crash_proc_count(c), k;
    apr_uint64_t cap = (apr_uint64_t)c->proc_capacity;

    v->procs = apr_pcalloc(p, sizeof(*v->procs) * (apr_size_t)cap);
    for (k = 0; k < n && k < cap; k++) {
        guard_proc_rec_t *dst = &v->procs[v->nprocs];

        guard_crash_proc_read(&c->procs[(n - 1 - k) % cap], dst);
        guard_sane_proc(dst);
        if (dst->end != GUARD_PROC_NONE) {
            v->nprocs++;
        }
    }
}

guard_crash_view_t *guard_crash_view_take(apr_pool_t *p,
                                          const guard_crash_shm_t *c,
                                          apr_uint32_t generation,
                                          apr_time_t now,
                                          guard_symbolize_fn *sym,
                                          void *baton)
{
    guard_crash_view_t *v = apr_pcalloc(p, sizeof(*v));
    int i;

    v->now = now;
    v->generation = generation;
    v->capacity = c->capacity;
    v->total = guard_crash_total(c);
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        v->by_signal[i] = __atomic_load_n(&c->hdr->by_signal[i],
                                          __ATOMIC_RELAXED);
    }
    /* Any child can write the header: the ends never exceed the tickets. */
    v->stuck_ends = __atomic_load_n(&c->hdr->stuck_ends, __ATOMIC_RELAXED);
    if (v->stuck_ends > v->total) {
        v->stuck_ends = v->total;
    }
    v->crashes = v->total - v->stuck_ends;
    v->rate_1m = c->hdr->rate_1m;
    v->groups_full = c->hdr->groups_full;
    take_items(p, c, v, sym, baton);
    take_groups(p, c, v, sym, baton);
    take_procs(p, c, v);
    return v;
}

const guard_crash_item_t *guard_crash_view_find(const guard_crash_view_t *v,
                                                apr_uint64_t id)
{
    int i;

    for (i = 0; i < v->nitems; i++) {
        if (v->items[i].rec.id == id) {
            return &v->items[i];
        }
    }
    return NULL;
}
