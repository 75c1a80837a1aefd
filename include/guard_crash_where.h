/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a crash's addresses are, found without a lock: the address ranges
 * of the process's modules are read with dl_iterate_phdr() outside the
 * signal handler (at child start, and again whenever the loader's
 * dlpi_adds/dlpi_subs counters moved) into a fixed table; the handler
 * only searches that table. Two tables, one current: a refresh writes
 * the other and then makes it current, and each table carries a sequence
 * number, so that a handler reading a table a second refresh is
 * rewriting sees it and looks again. Plain C and glibc's <link.h>: no
 * httpd.
 */
#ifndef GUARD_CRASH_WHERE_H
#define GUARD_CRASH_WHERE_H

#include <apr.h>
#include "guard_crash.h"

#define GUARD_MODMAP_MAX 256     /* modules of a process kept, first ones */

typedef struct {
    apr_uint64_t lo;              /* lowest address of its PT_LOAD segments */
    apr_uint64_t hi;              /* one past the highest */
    apr_uint64_t bias;            /* dlpi_addr: address = bias + offset */
    char path[GUARD_CRASH_MODULE_LEN];
} guard_module_range_t;

typedef struct {
    apr_uint32_t seq;             /* odd while being written */
    apr_uint32_t n;
    apr_uint64_t adds;            /* dlpi_adds / dlpi_subs when read */
    apr_uint64_t subs;
    guard_module_range_t m[GUARD_MODMAP_MAX];
} guard_modmap_t;

typedef struct {
    guard_modmap_t map[2];
    apr_uint32_t cur;             /* 0 or 1: the table handlers search */
    apr_uint32_t pad;
} guard_where_t;

/**
 * Read this process's modules into the table not current, then make it
 * current. The main program, which the loader names "", gets exe (its
 * path, read once from /proc/self/exe by the caller). One writer at a
 * time: callers serialise. Not for a signal handler.
 */
void guard_where_refresh(guard_where_t *w, const char *exe);

/** 1 when modules were loaded or unloaded since the current table was
 *  read (one dl_iterate_phdr() step: the loader's counters). */
int guard_where_stale(const guard_where_t *w);

/**
 * Async-signal-safe: where addr is, with its module added to rec's
 * modules[] when new there (GUARD_AT_NONE when modules[] is full).
 * Addresses below GUARD_CRASH_NULL_PAGE are GUARD_AT_NULL. is_return:
 * a return address, looked up one byte earlier (inside its call).
 */
void guard_where_locate(const guard_where_t *w, apr_uint64_t addr,
                        int is_return, guard_crash_rec_t *rec,
                        guard_crash_loc_t *out);

/** The same search in one table (for tests): index or -1. */
int guard_modmap_find(const guard_modmap_t *m, apr_uint64_t addr);

/**
 * A frame's key for signatures: its module's path and offset, the same
 * in every process and across restarts (ASLR moves addresses, not keys).
 */
apr_uint64_t guard_crash_where_key(const char *module,
                                   const guard_crash_loc_t *at);

/** rec's signature from its signal and the keys of its top frames. */
apr_uint64_t guard_crash_where_signature(const guard_crash_rec_t *rec);

/** The path of at's module in rec, or NULL. */
const char *guard_crash_module_of(const guard_crash_rec_t *rec,
                                  const guard_crash_loc_t *at);

#endif
