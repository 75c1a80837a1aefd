/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retained data and the segments kept in it: a graceful restart finds
 * the parent's segment again with its counters, unless the new
 * configuration needs another size.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_main.h"
#include "apr_shm.h"
#include "mod_guard_retained.h"

void *guard_glue_retained(const char *key, apr_size_t size)
{
    void *r = ap_retained_data_get(key);

    return r ? r : ap_retained_data_create(key, size);
}

void *guard_glue_segment_base(const guard_segment_t *seg)
{
    return apr_shm_baseaddr_get(seg->shm);
}

static int keep_segment(guard_segment_t *seg, const guard_segment_ops_t *ops,
                        void *baton)
{
    void *base;

    if (!seg->shm) {
        return 0;
    }
    base = apr_shm_baseaddr_get(seg->shm);
    if (ops->fits(base, apr_shm_size_get(seg->shm), baton)) {
        return 1;
    }
    if (ops->dropped) {
        ops->dropped(base, baton);
    }
    apr_shm_destroy(seg->shm);
    seg->shm = NULL;
    seg->ready = 0;
    return 0;
}

apr_status_t guard_glue_segment_get(guard_segment_t *seg, apr_size_t size,
                                    apr_pool_t *pool,
                                    const guard_segment_ops_t *ops,
                                    void *baton, int *kept)
{
    apr_status_t rv;

    *kept = keep_segment(seg, ops, baton);
    if (*kept) {
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&seg->shm, size, NULL, pool);
    if (rv != APR_SUCCESS) {
        seg->shm = NULL;
    }
    return rv;
}
