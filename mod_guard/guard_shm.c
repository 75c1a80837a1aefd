/* SPDX-License-Identifier: Apache-2.0 */
/* The shared-memory layout and its lock-free sequence counters. */
#include <string.h>
#include "guard_shm.h"
#include "guard_seq.h"

#define GUARD_ALIGN(n)      (((n) + 63) & ~((apr_size_t)63))
#define GUARD_READ_TRIES    64

static apr_size_t children_offset(void)
{
    return GUARD_ALIGN(sizeof(guard_shm_hdr_t));
}

static apr_size_t slots_offset(int server_limit)
{
    return children_offset()
           + GUARD_ALIGN(sizeof(guard_child_t) * (apr_size_t)server_limit);
}

static apr_size_t chains_offset(int server_limit, int thread_limit)
{
    return GUARD_ALIGN(slots_offset(server_limit)
                       + sizeof(guard_slot_t) * (apr_size_t)server_limit
                         * (apr_size_t)thread_limit);
}

static apr_size_t stacks_offset(int server_limit, int thread_limit)
{
    return GUARD_ALIGN(chains_offset(server_limit, thread_limit)
                       + sizeof(guard_chain_t) * GUARD_CHAINS);
}

apr_size_t guard_shm_size(int server_limit, int thread_limit)
{
    return stacks_offset(server_limit, thread_limit)
           + sizeof(guard_stack_t) * (apr_size_t)server_limit
             * (apr_size_t)thread_limit;
}

void guard_shm_init(void *base, int server_limit, int thread_limit,
                    apr_time_t now)
{
    guard_shm_hdr_t *hdr = base;

    /* The stack records of a new segment are zero already (a new mapping)
     * and stay untouched: their pages are allocated only when a stack is
     * written there. */
    memset(base, 0, stacks_offset(server_limit, thread_limit));
    hdr->magic = GUARD_SHM_MAGIC;
    hdr->version = GUARD_SHM_VERSION;
    hdr->server_limit = (apr_uint32_t)server_limit;
    hdr->thread_limit = (apr_uint32_t)thread_limit;
    hdr->slot_size = sizeof(guard_slot_t);
    hdr->child_size = sizeof(guard_child_t);
    hdr->created = now;
    hdr->nchains = GUARD_CHAINS;
    hdr->stack_size = sizeof(guard_stack_t);
}

int guard_shm_fits(const guard_shm_t *view, apr_size_t size,
                   int server_limit, int thread_limit)
{
    return view->hdr != NULL
           && view->version == GUARD_SHM_VERSION
           && view->server_limit == server_limit
           && view->thread_limit == thread_limit
           && size >= guard_shm_size(server_limit, thread_limit);
}

void guard_shm_attach(guard_shm_t *shm, void *base, int server_limit,
                      int thread_limit)
{
    char *p = base;

    shm->version = GUARD_SHM_VERSION;
    shm->server_limit = server_limit;
    shm->thread_limit = thread_limit;
    shm->h2_first = thread_limit;
    shm->hdr = base;
    shm->children = (guard_child_t *)(p + children_offset());
    shm->slots = (guard_slot_t *)(p + slots_offset(server_limit));
    shm->chains = (guard_chain_t *)(p + chains_offset(server_limit,
                                                      thread_limit));
    shm->stacks = (guard_stack_t *)(p + stacks_offset(server_limit,
                                                      thread_limit));
}

guard_slot_t *guard_shm_slot(const guard_shm_t *shm, int child, int thread)
{
    if (child < 0 || thread < 0 || child >= shm->server_limit
        || thread >= shm->thread_limit) {
        return NULL;
    }
    return &shm->slots[(apr_size_t)child * shm->thread_limit + thread];
}

guard_stack_t *guard_shm_stack(const guard_shm_t *shm, int child,
                               int thread)
{
    if (child < 0 || thread < 0 || child >= shm->server_limit
        || thread >= shm->thread_limit) {
        return NULL;
    }
    return &shm->stacks[(apr_size_t)child * shm->thread_limit + thread];
}

guard_slot_t *guard_shm_slot_at(const guard_shm_t *shm, int index)
{
    if (index < 0 || (apr_size_t)index >= (apr_size_t)shm->server_limit
                                          * shm->thread_limit) {
        return NULL;
    }
    return &shm->slots[index];
}

/* Counters (stuck_total, cuts, requests) are the slot's, across its
 * processes, and stay. */
void guard_slot_claim(guard_slot_t *s, apr_int32_t pid, apr_int32_t tid,
                      apr_uint32_t generation)
{
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_IDLE;
    s->pid = pid;
    s->tid = tid;
    s->generation = generation;
    s->client_fd = -1;
    s->req_start = 0;
    s->sess.ino = 0;
    s->kind = GUARD_SLOT_MPM;
    s->h2_conn = 0;
    s->stream_id = 0;
    guard_seq_write_end(&s->seq);
    guard_seq_write_begin(&s->wseq);
    s->stuck = 0;
    s->wait_req_start = 0;
    guard_seq_write_end(&s->wseq);
}

void guard_slot_release(guard_slot_t *s)
{
    s->seq += s->seq & 1;
    s->wseq += s->wseq & 1;
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_EMPTY;
    s->req_start = 0;
    guard_seq_write_end(&s->seq);
    __atomic_store_n(&s->h2_owner, 0, __ATOMIC_RELEASE);
    guard_seq_write_begin(&s->wseq);
    s->stuck = 0;
    guard_seq_write_end(&s->wseq);
}

guard_slot_t *guard_h2_slot_claim(const guard_shm_t *shm, int child,
                                  apr_int32_t pid, apr_int32_t tid,
                                  apr_uint32_t generation)
{
    int t;

    for (t = shm->h2_first; t < shm->thread_limit; t++) {
        guard_slot_t *s = guard_shm_slot(shm, child, t);
        apr_int32_t free_owner = 0;

        if (!s || !__atomic_compare_exchange_n(&s->h2_owner, &free_owner,
                                               tid, 0, __ATOMIC_ACQ_REL,
                                               __ATOMIC_RELAXED)) {
            continue;
        }
        guard_seq_write_begin(&s->seq);
        s->state = GUARD_WS_IDLE;
        s->pid = pid;
        s->tid = tid;
        s->generation = generation;
        s->kind = GUARD_SLOT_H2;
        s->client_fd = -1;
        s->req_start = 0;
        s->sess.ino = 0;
        s->done_req_start = 0;
        s->stream_id = 0;
        s->h2_conn = 0;
        guard_seq_write_end(&s->seq);
        return s;
    }
    return NULL;
}

void guard_h2_slot_leave(guard_slot_t *s)
{
    guard_seq_write_begin(&s->seq);
    s->state = GUARD_WS_EMPTY;
    s->req_start = 0;
    s->stream_id = 0;
    guard_seq_write_end(&s->seq);
    __atomic_store_n(&s->h2_owner, 0, __ATOMIC_RELEASE);
}

/* Two writers share a slot (the worker and its watchdog), each with its
 * own counter: the copy is consistent when neither moved during it. */
int guard_slot_read(const guard_slot_t *src, guard_slot_t *dst)
{
    int i;

    for (i = 0; i < GUARD_READ_TRIES; i++) {
        apr_uint32_t s = guard_seq_read_begin(&src->seq);
        apr_uint32_t w = guard_seq_read_begin(&src->wseq);

        memcpy(dst, src, sizeof(*dst));
        if (guard_seq_read_valid(&src->seq, s)
            && guard_seq_read_valid(&src->wseq, w)) {
            return 1;
        }
    }
    return 0;
}

int guard_child_read(const guard_child_t *src, guard_child_t *dst)
{
    int i;

    for (i = 0; i < GUARD_READ_TRIES; i++) {
        apr_uint32_t s = guard_seq_read_begin(&src->seq);

        memcpy(dst, src, sizeof(*dst));
        if (guard_seq_read_valid(&src->seq, s)) {
            return 1;
        }
    }
    return 0;
}
