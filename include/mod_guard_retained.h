/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the parent keeps across restarts: retained data by key, and shared
 * memory segments kept in it while they still fit the configuration.
 * httpd glue.
 */
#ifndef MOD_GUARD_RETAINED_H
#define MOD_GUARD_RETAINED_H

#include "httpd.h"
#include "apr_shm.h"

/** The retained data of key, made (zeroed) at the first call. */
void *guard_glue_retained(const char *key, apr_size_t size);

/** A segment in retained data. ready: its owner attached a view of it. */
typedef struct {
    apr_shm_t *shm;
    int ready;
} guard_segment_t;

typedef struct {
    /** 1 when the segment at base (size bytes) suits this configuration. */
    int (*fits)(const void *base, apr_size_t size, void *baton);
    /** Before a segment that does not fit is destroyed: log it, keep what
     *  carries over. May be NULL. */
    void (*dropped)(const void *base, void *baton);
} guard_segment_ops_t;

/**
 * The segment of the last configuration when ops->fits says so (*kept 1);
 * else that one destroyed and a new one of size bytes made in pool, left
 * for the caller to initialise (*kept 0). Returns apr_shm_create's status
 * (seg->shm NULL on failure).
 */
apr_status_t guard_glue_segment_get(guard_segment_t *seg, apr_size_t size,
                                    apr_pool_t *pool,
                                    const guard_segment_ops_t *ops,
                                    void *baton, int *kept);

/** The segment's first byte. */
void *guard_glue_segment_base(const guard_segment_t *seg);

#endif
