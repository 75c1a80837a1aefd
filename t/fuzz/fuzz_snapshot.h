/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A snapshot for the renderer targets, built from a fuzz input through
 * the real shared-memory layout: slots, child records, lock chains and a
 * crash segment are filled from the input, then copied by
 * guard_snapshot_take and guard_crash_view_take as the handler does.
 * Every string the page shows (request line, vhost, client, syscall,
 * peer, lock path, holder's comm, crash request, frame symbols) comes
 * from the input, up to the full size of its array (no NUL: a torn copy).
 */
#ifndef FUZZ_SNAPSHOT_H
#define FUZZ_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "guard_crash_view.h"
#include "guard_snapshot.h"

typedef struct {
    guard_snapshot_t *snap;
    const guard_crash_item_t *item;   /* for ?crash=<id>; NULL: none */
    int child;                        /* for ?child=<n> */
    int refresh;                      /* for the HTML page */
    int pids;                         /* for Prometheus: ?pids */
    apr_pool_t *pool;                 /* the snapshot's */
} fz_snapshot_t;

/**
 * Build from data. With clean set, every byte that is special to one of
 * the formats (< > & " ' \ CR LF) in an input string becomes 'x': the
 * same input then gives a snapshot of the same shape whose strings need
 * no escaping, and the output must have the same structure.
 */
void fz_snapshot_build(apr_pool_t *p, const uint8_t *data, size_t size,
                       int clean, fz_snapshot_t *out);

/** Render the snapshot twice (raw and clean) with render and compare. */
typedef void fz_render_fn(const fz_snapshot_t *fs, guard_sink_t *o);
typedef const char *fz_check_fn(const char *, size_t, unsigned long *,
                                size_t *);

void fz_render_and_check(const char *what, const uint8_t *data, size_t size,
                         fz_render_fn *render, fz_check_fn *check);

#endif
