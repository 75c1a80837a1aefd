/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequence counters: one writer, any number of readers that never block
 * it. The counter is odd while a write is under way; a reader copies,
 * then keeps its copy only when the counter did not move.
 */
#ifndef GUARD_SEQ_H
#define GUARD_SEQ_H

#include <apr.h>

/** Begin / end a write under a sequence counter (single writer). */
static APR_INLINE void guard_seq_write_begin(apr_uint32_t *seq)
{
    __atomic_add_fetch(seq, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static APR_INLINE void guard_seq_write_end(apr_uint32_t *seq)
{
    __atomic_add_fetch(seq, 1, __ATOMIC_RELEASE);
}

/** Read a sequence counter for a reader; odd means a write is under way. */
static APR_INLINE apr_uint32_t guard_seq_read_begin(const apr_uint32_t *seq)
{
    return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

/** 1 when nothing was written since guard_seq_read_begin returned start. */
static APR_INLINE int guard_seq_read_valid(const apr_uint32_t *seq,
                                           apr_uint32_t start)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return (start & 1) == 0 && __atomic_load_n(seq, __ATOMIC_RELAXED) == start;
}

#endif /* GUARD_SEQ_H */
