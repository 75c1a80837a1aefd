/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every format rendered from segments a child has overwritten: the whole
 * shared-memory segment and the whole crash segment (headers included)
 * are filled with the input's bytes, over and over, then copied and
 * rendered as the status handler does. The view keeps the geometry the
 * parent gave it, so the sanitizers see any read past a segment; every
 * output must still be valid in its format.
 *
 * Input: a flags byte, the crash ring's capacity, the crash count, then
 * the bytes that fill both segments. With flag 1, the sequence counters
 * are made to look complete (even, crash records at their ticket), so
 * that random records get past the torn-copy checks into the renderers;
 * with flag 2, the children run and their slots, stacks and chains are
 * theirs, so that random workers, stacks and chains are listed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include "guard_crash.h"
#include "guard_crash_view.h"
#include "guard_shm.h"
#include "guard_sink.h"
#include "guard_snapshot.h"
#include "guard_status_auto.h"
#include "guard_status_html.h"
#include "guard_status_json.h"
#include "guard_status_pages.h"
#include "guard_status_prom.h"
#include "fuzz_check.h"

#define SL           2
#define TL           3
#define CHILDREN     2
#define NOW          APR_INT64_C(1700000000000000)  /* 2023, in us */
#define FLAG_SEQS    0x1
#define FLAG_ALIVE   0x2

static apr_pool_t *pool;

/* dst filled with src, repeated; zeros when src is empty. */
static void fill(void *dst, size_t size, const uint8_t *src, size_t n)
{
    uint8_t *d = dst;
    size_t k;

    if (n == 0) {
        memset(dst, 0, size);
        return;
    }
    for (k = 0; k < size; k += n) {
        memcpy(d + k, src, size - k < n ? size - k : n);
    }
}

static void even(apr_uint32_t *seq)
{
    *seq &= ~(apr_uint32_t)1;
}

static void complete_shm(guard_shm_t *shm)
{
    int i, t;

    for (i = 0; i < SL; i++) {
        even(&shm->children[i].seq);
        for (t = 0; t < TL; t++) {
            even(&guard_shm_slot(shm, i, t)->seq);
            even(&guard_shm_slot(shm, i, t)->wseq);
            even(&guard_shm_stack(shm, i, t)->seq);
        }
    }
    for (i = 0; i < GUARD_CHAINS; i++) {
        even(&shm->chains[i].seq);
    }
}

/* Children running, their slots theirs, stacks of their requests, chains
 * reported: the rest of every record stays as the bytes made it. */
static void make_alive(guard_shm_t *shm)
{
    int i, t;

    for (i = 0; i < SL; i++) {
        shm->children[i].state = GUARD_CHILD_RUNNING;
        shm->children[i].pid = 100 + i;
        for (t = 0; t < TL; t++) {
            guard_slot_t *s = guard_shm_slot(shm, i, t);

            s->pid = 100 + i;
            s->state %= GUARD_WS_MAX;
            s->wait_req_start = s->req_start;
            guard_shm_stack(shm, i, t)->req_start = s->req_start;
        }
    }
    for (i = 0; i < GUARD_CHAINS; i++) {
        shm->chains[i].reported = 1;
    }
}

/* Records at the tickets the header's count gives them. */
static void complete_crash(guard_crash_shm_t *c, apr_uint64_t next)
{
    apr_uint64_t t, cap = (apr_uint64_t)c->capacity;
    int i;

    c->hdr->next = next;
    for (t = next > cap ? next - cap : 0; t < next; t++) {
        c->recs[t % cap].seq = 2 * t + 2;
    }
    for (i = 0; i < c->proc_capacity; i++) {
        even(&c->procs[i].seq);
    }
}

static void info_of(guard_server_info_t *info)
{
    memset(info, 0, sizeof(*info));
    info->version = "Apache/2.4";
    info->mpm = "event";
    info->hostname = "localhost";
    info->started = NOW - apr_time_from_sec(60);
    info->stuck_threshold = apr_time_from_sec(10);
    info->watch_interval = apr_time_from_msec(250);
    info->server_limit = SL;
    info->thread_limit = TL;
}

typedef const char *check_fn(const char *, size_t, unsigned long *,
                             size_t *);

static void expect(const char *what, guard_sink_t *o, check_fn *check)
{
    unsigned long shape;
    size_t len;
    const char *out = guard_sink_buffer_data(o, &len);

    fz_expect_valid(what, out, len, check, &shape);
}

static void render_pages(guard_snapshot_t *s)
{
    guard_sink_t *o;

    o = guard_sink_buffer(pool);
    guard_render_json(s, o);
    expect("json", o, fz_json_check);
    o = guard_sink_buffer(pool);
    guard_render_html(s, 5, o);
    expect("html", o, fz_html_check);
    o = guard_sink_buffer(pool);
    guard_render_prometheus(s, 1, o);
    expect("prometheus", o, fz_prom_check);
    o = guard_sink_buffer(pool);
    guard_render_auto(s, o);
    expect("auto", o, fz_auto_check);
}

static void render_items(guard_snapshot_t *s)
{
    guard_sink_t *o;
    int i, json;

    for (json = 0; json < 2; json++) {
        check_fn *check = json ? fz_json_check : fz_html_check;

        for (i = 0; s->crash && i < s->crash->nitems && i < 4; i++) {
            o = guard_sink_buffer(pool);
            guard_render_crash_page(s, &s->crash->items[i], json, o);
            expect("crash page", o, check);
        }
        for (i = -1; i <= SL; i++) {
            o = guard_sink_buffer(pool);
            guard_render_child_page(s, i, json, o);
            expect("child page", o, check);
        }
        for (i = 0; i < s->nworkers; i++) {
            guard_snapshot_native(pool, &s->workers[i]);
            o = guard_sink_buffer(pool);
            guard_render_stack_page(s, &s->workers[i], json, o);
            expect("stack page", o, check);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int flags = size > 0 ? data[0] : 0;
    int cap = size > 1 ? 1 + data[1] % 4 : 1;
    apr_uint64_t next = size > 2 ? data[2] % 9 : 0;
    const uint8_t *bytes = size > 3 ? data + 3 : data;
    size_t n = size > 3 ? size - 3 : 0;
    apr_size_t shm_size = guard_shm_size(SL, TL);
    apr_size_t crash_size = guard_crash_shm_size(cap, CHILDREN);
    void *shm_base = malloc(shm_size), *crash_base = malloc(crash_size);
    guard_server_info_t info;
    guard_snapshot_t *s;
    guard_crash_shm_t c;
    guard_shm_t shm;

    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    /* The parent's views: its own geometry, whatever the bytes say. */
    guard_shm_attach(&shm, shm_base, SL, TL);
    guard_crash_shm_attach(&c, crash_base, cap, CHILDREN);
    fill(shm_base, shm_size, bytes, n);
    fill(crash_base, crash_size, bytes, n);
    if (flags & FLAG_SEQS) {
        complete_shm(&shm);
        complete_crash(&c, next);
    }
    if (flags & FLAG_ALIVE) {
        make_alive(&shm);
    }
    info_of(&info);
    s = guard_snapshot_take(pool, &shm, &info, NOW);
    s->crash = guard_crash_view_take(pool, &c, 0, NOW, NULL, NULL);
    render_pages(s);
    render_items(s);
    apr_pool_clear(pool);
    free(shm_base);
    free(crash_base);
    return 0;
}
