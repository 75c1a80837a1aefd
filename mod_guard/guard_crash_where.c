/* SPDX-License-Identifier: Apache-2.0 */
/* Where a crash's addresses are: see guard_crash_where.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <stddef.h>
#include <string.h>
#include "guard_crash_where.h"

/* A refresh racing a handler twice over is rare; a third try is left
 * out rather than spin in the handler. */
#define LOCATE_TRIES 3

static void copy_path(char *dst, const char *src)
{
    apr_size_t i;

    for (i = 0; src && src[i] && i + 1 < GUARD_CRASH_MODULE_LEN; i++) {
        dst[i] = src[i];
    }
    dst[i] = '\0';
}

typedef struct {
    guard_modmap_t *m;
    const char *exe;
} build_t;

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    build_t *b = data;
    guard_module_range_t *r;
    apr_uint64_t lo = (apr_uint64_t)-1, hi = 0;
    int i;

    if (size >= offsetof(struct dl_phdr_info, dlpi_subs)
                + sizeof(info->dlpi_subs) && b->m->n == 0) {
        b->m->adds = info->dlpi_adds;
        b->m->subs = info->dlpi_subs;
    }
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_LOAD && ph->p_memsz > 0) {
            lo = ph->p_vaddr < lo ? ph->p_vaddr : lo;
            hi = ph->p_vaddr + ph->p_memsz > hi ? ph->p_vaddr + ph->p_memsz
                                                : hi;
        }
    }
    if (hi == 0 || b->m->n >= GUARD_MODMAP_MAX) {
        return 0;
    }
    r = &b->m->m[b->m->n++];
    r->bias = (apr_uint64_t)info->dlpi_addr;
    r->lo = r->bias + lo;
    r->hi = r->bias + hi;
    copy_path(r->path, info->dlpi_name && *info->dlpi_name ? info->dlpi_name
                                                           : b->exe);
    return 0;
}

void guard_where_refresh(guard_where_t *w, const char *exe)
{
    apr_uint32_t next = !__atomic_load_n(&w->cur, __ATOMIC_ACQUIRE);
    guard_modmap_t *m = &w->map[next];
    build_t b = { m, exe ? exe : "" };

    __atomic_fetch_add(&m->seq, 1, __ATOMIC_ACQ_REL);   /* odd */
    m->n = 0;
    m->adds = m->subs = 0;
    dl_iterate_phdr(add_module, &b);
    __atomic_fetch_add(&m->seq, 1, __ATOMIC_RELEASE);   /* even */
    __atomic_store_n(&w->cur, next, __ATOMIC_RELEASE);
}

static int first_counters(struct dl_phdr_info *info, size_t size, void *data)
{
    apr_uint64_t *c = data;

    if (size >= offsetof(struct dl_phdr_info, dlpi_subs)
                + sizeof(info->dlpi_subs)) {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }
    return 1;   /* every object carries the same counters: stop */
}

int guard_where_stale(const guard_where_t *w)
{
    const guard_modmap_t *m = &w->map[__atomic_load_n(&w->cur,
                                                      __ATOMIC_ACQUIRE)];
    apr_uint64_t c[2] = { 0, 0 };

    dl_iterate_phdr(first_counters, c);
    return c[0] != m->adds || c[1] != m->subs;
}

int guard_modmap_find(const guard_modmap_t *m, apr_uint64_t addr)
{
    apr_uint32_t i, n = m->n;

    for (i = 0; i < n && i < GUARD_MODMAP_MAX; i++) {
        if (addr >= m->m[i].lo && addr < m->m[i].hi) {
            return (int)i;
        }
    }
    return -1;
}

/* A consistent copy of the module covering addr: 1 found, 0 none, -1
 * every try met a refresh. */
static int find_range(const guard_where_t *w, apr_uint64_t addr,
                      guard_module_range_t *out)
{
    int t, i;

    for (t = 0; t < LOCATE_TRIES; t++) {
        const guard_modmap_t *m = &w->map[__atomic_load_n(&w->cur,
                                                          __ATOMIC_ACQUIRE)
                                          & 1];
        apr_uint32_t s = __atomic_load_n(&m->seq, __ATOMIC_ACQUIRE);

        if (s & 1) {
            continue;
        }
        i = guard_modmap_find(m, addr);
        if (i >= 0) {
            memcpy(out, &m->m[i], sizeof(*out));
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&m->seq, __ATOMIC_RELAXED) == s) {
            return i >= 0;
        }
    }
    return -1;
}

/* 1-based index of the module in rec, added when new; 0 when full. */
static apr_uint32_t module_index(guard_crash_rec_t *rec,
                                 const guard_module_range_t *r)
{
    apr_uint32_t i;

    for (i = 0; i < rec->nmodules && i < GUARD_CRASH_MODULES; i++) {
        if (rec->modules[i].bias == r->bias
            && strncmp(rec->modules[i].path, r->path,
                       GUARD_CRASH_MODULE_LEN) == 0) {
            return i + 1;
        }
    }
    if (rec->nmodules >= GUARD_CRASH_MODULES) {
        return 0;
    }
    rec->modules[rec->nmodules].bias = r->bias;
    copy_path(rec->modules[rec->nmodules].path, r->path);
    return ++rec->nmodules;
}

void guard_where_locate(const guard_where_t *w, apr_uint64_t addr,
                        int is_return, guard_crash_rec_t *rec,
                        guard_crash_loc_t *out)
{
    apr_uint64_t look = is_return && addr > 0 ? addr - 1 : addr;
    guard_module_range_t r;

    memset(out, 0, sizeof(*out));
    if (addr < GUARD_CRASH_NULL_PAGE) {
        out->kind = GUARD_AT_NULL;
        out->offset = addr;
        return;
    }
    if (!w || find_range(w, look, &r) != 1) {
        return;
    }
    out->module = module_index(rec, &r);
    if (out->module) {
        out->kind = GUARD_AT_MODULE;
        out->offset = addr - r.bias;
    }
}

apr_uint64_t guard_crash_where_key(const char *module,
                                   const guard_crash_loc_t *at)
{
    apr_uint64_t h = 0xcbf29ce484222325ULL;
    apr_size_t i;

    if (at->kind != GUARD_AT_MODULE) {
        return at->kind == GUARD_AT_NULL ? at->offset : 1;
    }
    for (i = 0; module && module[i] && i < GUARD_CRASH_MODULE_LEN; i++) {
        h = (h ^ (unsigned char)module[i]) * 0x100000001b3ULL;
    }
    return h ^ at->offset;
}

const char *guard_crash_module_of(const guard_crash_rec_t *rec,
                                  const guard_crash_loc_t *at)
{
    if (at->kind != GUARD_AT_MODULE || at->module < 1
        || at->module > rec->nmodules || at->module > GUARD_CRASH_MODULES) {
        return NULL;
    }
    return rec->modules[at->module - 1].path;
}

apr_uint64_t guard_crash_where_signature(const guard_crash_rec_t *rec)
{
    apr_uint64_t keys[GUARD_CRASH_SIG_FRAMES];
    int k, n = rec->nframes < GUARD_CRASH_SIG_FRAMES ? (int)rec->nframes
                                                     : GUARD_CRASH_SIG_FRAMES;

    for (k = 0; k < n; k++) {
        keys[k] = guard_crash_where_key(guard_crash_module_of(rec,
                                                              &rec->at[k]),
                                        &rec->at[k]);
    }
    return guard_crash_signature(rec->signo, keys, n);
}
