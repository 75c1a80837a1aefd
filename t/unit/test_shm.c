/* SPDX-License-Identifier: Apache-2.0 */
/* The shared-memory layout, its sequence counters and the snapshot. */
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include "guard_unit.h"
#include "guard_sane.h"
#include "guard_shm.h"
#include "guard_seq.h"
#include "guard_snapshot.h"

#define SL 3
#define TL 4

static void *base;
static guard_shm_t shm;
static apr_pool_t *pool;

static void setup(void)
{
    base = calloc(1, guard_shm_size(SL, TL));
    guard_shm_init(base, SL, TL, apr_time_from_sec(1000));
    guard_shm_attach(&shm, base, SL, TL);
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    free(base);
}

START_TEST(layout_fits_in_segment)
{
    char *end = (char *)base + guard_shm_size(SL, TL);
    guard_slot_t *last = guard_shm_slot(&shm, SL - 1, TL - 1);

    ck_assert_ptr_nonnull(last);
    ck_assert((char *)(last + 1) <= end);
    ck_assert((char *)&shm.children[SL] <= (char *)shm.slots);
    ck_assert_ptr_eq(guard_shm_slot(&shm, 1, 2), guard_shm_slot_at(&shm, 6));
    ck_assert_ptr_null(guard_shm_slot(&shm, SL, 0));
    ck_assert_ptr_null(guard_shm_slot(&shm, 0, TL));
    ck_assert_ptr_null(guard_shm_slot(&shm, -1, 0));
    ck_assert_ptr_null(guard_shm_slot_at(&shm, SL * TL));
}
END_TEST

/* The parent's view decides, whatever a child wrote into the header. */
START_TEST(fits_by_the_view_not_the_header)
{
    apr_size_t size = guard_shm_size(SL, TL);

    ck_assert_int_eq(guard_shm_fits(&shm, size, SL, TL), 1);
    ck_assert_int_eq(guard_shm_fits(&shm, size, SL, TL + 1), 0);
    ck_assert_int_eq(guard_shm_fits(&shm, size, SL + 1, TL), 0);
    ck_assert_int_eq(guard_shm_fits(&shm, size - 1, SL, TL), 0);
    memset(shm.hdr, 0xff, sizeof(*shm.hdr));
    ck_assert_int_eq(guard_shm_fits(&shm, size, SL, TL), 1);
    ck_assert_ptr_null(guard_shm_slot(&shm, SL, 0));
    ck_assert_ptr_null(guard_shm_stack(&shm, 0, TL));
    ck_assert_ptr_eq(guard_shm_slot(&shm, SL - 1, TL - 1),
                     &shm.slots[SL * TL - 1]);
    shm.version++;
    ck_assert_int_eq(guard_shm_fits(&shm, size, SL, TL), 0);
}
END_TEST

START_TEST(seq_read_sees_writer)
{
    guard_slot_t *s = guard_shm_slot(&shm, 0, 0), copy;

    strcpy(s->req.uri, "/a");
    ck_assert_int_eq(guard_slot_read(s, &copy), 1);
    ck_assert_str_eq(copy.req.uri, "/a");
    guard_seq_write_begin(&s->seq);
    /* A writer that never finishes (killed mid-write) is reported, and the
     * reader still returns instead of spinning. */
    ck_assert_int_eq(guard_slot_read(s, &copy), 0);
    guard_seq_write_end(&s->seq);
    ck_assert_int_eq(guard_slot_read(s, &copy), 1);
    guard_seq_write_begin(&s->wseq);
    ck_assert_int_eq(guard_slot_read(s, &copy), 0);
}
END_TEST

static void run_child(int child, pid_t pid)
{
    shm.children[child].state = GUARD_CHILD_RUNNING;
    shm.children[child].pid = pid;
    shm.children[child].wakeups = 5;
}

static guard_slot_t *busy_slot(int child, int thread, pid_t pid,
                               apr_time_t start, const char *uri)
{
    guard_slot_t *s = guard_shm_slot(&shm, child, thread);

    s->state = GUARD_WS_BUSY;
    s->pid = pid;
    s->tid = pid + thread;
    s->req_start = start;
    s->requests = 10;
    strcpy(s->req.method, "GET");
    strcpy(s->req.uri, uri);
    return s;
}

static guard_server_info_t info(void)
{
    guard_server_info_t i;

    memset(&i, 0, sizeof(i));
    i.stuck_threshold = apr_time_from_sec(10);
    i.server_limit = SL;
    i.thread_limit = TL;
    return i;
}

START_TEST(snapshot_lists_running_children_and_sums_all)
{
    apr_time_t now = apr_time_from_sec(2000);
    guard_server_info_t i = info();
    guard_snapshot_t *snap;
    guard_slot_t *old;

    run_child(0, 100);
    run_child(2, 300);
    shm.children[1].state = GUARD_CHILD_EXITED;
    shm.children[1].pid = 200;
    busy_slot(0, 0, 100, now - apr_time_from_sec(1), "/young");
    old = busy_slot(0, 1, 100, now - apr_time_from_sec(11), "/old");
    old->wait.kind = GUARD_WAIT_SLEEP;
    old->wait.since = now - apr_time_from_sec(3);
    old->wait_req_start = old->req_start;
    busy_slot(1, 0, 200, now - apr_time_from_sec(50), "/gone");
    /* A slot of a running child but written by an earlier process. */
    busy_slot(2, 0, 299, now - apr_time_from_sec(50), "/stale");
    guard_shm_slot(&shm, 2, 1)->state = GUARD_WS_IDLE;
    guard_shm_slot(&shm, 2, 1)->pid = 300;

    snap = guard_snapshot_take(pool, &shm, &i, now);
    ck_assert_int_eq(snap->nchildren, 2);
    ck_assert_int_eq(snap->nworkers, 3);
    ck_assert_int_eq(snap->busy, 2);
    ck_assert_int_eq(snap->stuck, 1);
    ck_assert_int_eq(snap->by_state[GUARD_WS_IDLE], 1);
    ck_assert_uint_eq(snap->counters.requests_total, 40);
    ck_assert_uint_eq(snap->counters.wakeups_total, 10);
    ck_assert_str_eq(snap->workers[1].slot.req.uri, "/old");
    ck_assert_int_eq(snap->workers[1].stuck, 1);
    ck_assert_int_eq(snap->workers[1].has_wait, 1);
    ck_assert_int_eq(snap->workers[1].elapsed_ms, 11000);
    ck_assert_int_eq(snap->workers[1].for_ms, 3000);
    ck_assert_int_eq(snap->workers[0].stuck, 0);
    ck_assert_int_eq(snap->workers[0].has_wait, 0);
}
END_TEST

START_TEST(snapshot_ignores_wait_of_earlier_request)
{
    apr_time_t now = apr_time_from_sec(2000);
    guard_server_info_t i = info();
    guard_slot_t *s;
    guard_snapshot_t *snap;

    run_child(0, 100);
    s = busy_slot(0, 0, 100, now - apr_time_from_sec(2), "/b");
    s->wait.kind = GUARD_WAIT_BACKEND;
    s->wait_req_start = now - apr_time_from_sec(30);
    snap = guard_snapshot_take(pool, &shm, &i, now);
    ck_assert_int_eq(snap->nworkers, 1);
    ck_assert_int_eq(snap->workers[0].has_wait, 0);
    ck_assert_int_eq(snap->workers[0].for_ms, -1);
}
END_TEST

static int released_thread_1(void *baton, int child, int thread)
{
    return thread == 1;
}

START_TEST(snapshot_trusts_mpm_about_released_threads)
{
    apr_time_t now = apr_time_from_sec(2000);
    guard_server_info_t i = info();
    guard_snapshot_t *snap;

    run_child(0, 100);
    busy_slot(0, 0, 100, now - apr_time_from_sec(20), "/a");
    busy_slot(0, 1, 100, now - apr_time_from_sec(20), "/b");
    i.thread_released = released_thread_1;
    snap = guard_snapshot_take(pool, &shm, &i, now);
    ck_assert_int_eq(snap->busy, 1);
    ck_assert_int_eq(snap->stuck, 1);
    ck_assert_int_eq(snap->workers[1].slot.state, GUARD_WS_IDLE);
}
END_TEST

START_TEST(snapshot_terminates_torn_strings)
{
    apr_time_t now = apr_time_from_sec(2000);
    guard_server_info_t i = info();
    guard_snapshot_t *snap;
    guard_slot_t *s;

    run_child(0, 100);
    s = busy_slot(0, 0, 100, now, "/x");
    memset(s->req.uri, 'A', sizeof(s->req.uri));
    memset(s->wait.peer, 'B', sizeof(s->wait.peer));
    snap = guard_snapshot_take(pool, &shm, &i, now);
    ck_assert_uint_eq(strlen(snap->workers[0].slot.req.uri),
                      sizeof(s->req.uri) - 1);
    ck_assert_uint_eq(strlen(snap->workers[0].slot.wait.peer),
                      sizeof(s->wait.peer) - 1);
}
END_TEST

/* TL = 4: threads 0 and 1 the MPM's, 2 and 3 mod_http2's workers'. */
START_TEST(h2_slots_claimed_and_given_back)
{
    guard_slot_t *a, *b;

    shm.h2_first = 2;
    a = guard_h2_slot_claim(&shm, 1, 100, 501, 3);
    b = guard_h2_slot_claim(&shm, 1, 100, 502, 3);
    ck_assert_ptr_eq(a, guard_shm_slot(&shm, 1, 2));
    ck_assert_ptr_eq(b, guard_shm_slot(&shm, 1, 3));
    ck_assert_ptr_null(guard_h2_slot_claim(&shm, 1, 100, 503, 3));
    ck_assert_ptr_nonnull(guard_h2_slot_claim(&shm, 0, 90, 504, 3));
    ck_assert_int_eq(a->kind, GUARD_SLOT_H2);
    ck_assert_int_eq(a->state, GUARD_WS_IDLE);
    ck_assert_int_eq(a->tid, 501);
    ck_assert_int_eq(a->h2_owner, 501);
    ck_assert_int_eq(a->seq & 1, 0);
    guard_h2_slot_leave(a);
    ck_assert_int_eq(a->state, GUARD_WS_EMPTY);
    ck_assert_int_eq(a->h2_owner, 0);
    ck_assert_ptr_eq(guard_h2_slot_claim(&shm, 1, 100, 505, 3), a);
    ck_assert_int_eq(a->tid, 505);
    /* The parent clears a dead child's slots: all free again. */
    guard_slot_release(a);
    guard_slot_release(b);
    ck_assert_int_eq(b->h2_owner, 0);
    /* Without HTTP/2 slots, there is none to claim. */
    shm.h2_first = TL;
    ck_assert_ptr_null(guard_h2_slot_claim(&shm, 2, 100, 506, 3));
}
END_TEST

/* Two client connections with one stream each on mod_http2's workers:
 * the connections' rows count them and are never stuck; the streams are
 * busy workers of their own. Both connections have the same id (under
 * event, that of the thread that took each first): their sockets tell
 * them apart. */
START_TEST(snapshot_joins_streams_to_their_connection)
{
    apr_time_t now = apr_time_from_sec(2000);
    guard_server_info_t i = info();
    guard_snapshot_t *snap;
    guard_slot_t *c1, *s;
    int t;

    shm.h2_first = 2;
    run_child(0, 100);
    c1 = busy_slot(0, 0, 100, now - apr_time_from_sec(30), "/upgraded");
    c1->conn_id = 7;
    c1->client_fd = 20;
    c1->h2_conn = 1;
    c1 = guard_shm_slot(&shm, 0, 1);
    c1->state = GUARD_WS_READ;
    c1->pid = 100;
    c1->conn_id = 7;
    c1->client_fd = 21;
    for (t = 2; t < TL; t++) {
        s = busy_slot(0, t, 100, now - apr_time_from_sec(20), "/stream");
        s->kind = GUARD_SLOT_H2;
        s->conn_id = 7;
        s->client_fd = t == 2 ? 21 : 20;
        s->stream_id = 2 * t + 1;
    }
    snap = guard_snapshot_take(pool, &shm, &i, now);
    ck_assert_int_eq(snap->nworkers, 4);
    ck_assert_int_eq(snap->h2_busy, 2);
    ck_assert_int_eq(snap->workers[0].h2_conn, 1);
    ck_assert_int_eq(snap->workers[0].h2_streams, 1);
    ck_assert_int_eq(snap->workers[0].stuck, 0);
    ck_assert_int_eq(snap->workers[1].h2_conn, 1);
    ck_assert_int_eq(snap->workers[1].h2_streams, 1);
    ck_assert_int_eq(snap->workers[2].stuck, 1);
    ck_assert_int_eq(snap->workers[2].slot.stream_id, 5);
    ck_assert_int_eq(snap->stuck, 2);
}
END_TEST

/* Every byte 0xFF, then 0x7F: what a child's stray writes could leave. */
START_TEST(sane_copies_of_hostile_records)
{
    static guard_slot_t sl;
    static guard_chain_t ch;
    static guard_stack_t st;
    static guard_crash_rec_t cr;
    static guard_proc_rec_t pr;
    int b;

    for (b = 0; b < 2; b++) {
        int byte = b ? 0x7f : 0xff;

        memset(&sl, byte, sizeof(sl));
        guard_sane_slot(&sl);
        ck_assert_uint_lt(sl.state, GUARD_WS_MAX);
        ck_assert_uint_lt(sl.wait.kind, GUARD_WAIT_MAX);
        ck_assert(sl.req_start >= 0 && sl.req_start <= GUARD_SANE_TIME_MAX);
        ck_assert(sl.wait.idle_ms >= -1
                  && sl.wait.idle_ms <= GUARD_SANE_MS_MAX);
        ck_assert_uint_eq(strlen(sl.req.uri), sizeof(sl.req.uri) - 1);
        ck_assert_uint_eq(strlen(sl.last_cut.uri), sizeof(sl.last_cut.uri) - 1);
        memset(&ch, byte, sizeof(ch));
        guard_sane_chain(&ch, 12);
        ck_assert_uint_le(ch.nwaiters, 12);
        ck_assert_uint_le(ch.max_waiters, 12);
        ck_assert(ch.appeared <= GUARD_SANE_TIME_MAX);
        ck_assert_uint_eq(strlen(ch.path), sizeof(ch.path) - 1);
        memset(&st, byte, sizeof(st));
        guard_sane_stack(&st, 1);
        ck_assert_uint_le(st.nphp, GUARD_STACK_FRAMES);
        ck_assert_uint_le(st.nnative, GUARD_STACK_FRAMES);
        ck_assert_uint_lt(st.php_status, GUARD_PHP_STATUS_MAX);
        ck_assert_uint_le(st.native[0].build_id_len, GUARD_BUILD_ID_MAX);
        memset(&cr, byte, sizeof(cr));
        guard_sane_crash(&cr);
        ck_assert_uint_le(cr.nframes, GUARD_CRASH_FRAMES);
        ck_assert_uint_le(cr.nphp, GUARD_CRASH_PHP_FRAMES);
        ck_assert_uint_le(cr.nmodules, GUARD_CRASH_MODULES);
        ck_assert_uint_eq(strlen(cr.modules[GUARD_CRASH_MODULES - 1].path),
                          GUARD_CRASH_MODULE_LEN - 1);
        ck_assert(cr.elapsed_ms >= -1 && cr.elapsed_ms <= GUARD_SANE_MS_MAX);
        memset(&pr, byte, sizeof(pr));
        guard_sane_proc(&pr);
        ck_assert_uint_le(pr.end, GUARD_PROC_CRASHED);
    }
}
END_TEST

Suite *guard_shm_suite(void)
{
    Suite *s = suite_create("shm");
    TCase *tc = tcase_create("layout");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, layout_fits_in_segment);
    tcase_add_test(tc, fits_by_the_view_not_the_header);
    tcase_add_test(tc, seq_read_sees_writer);
    tcase_add_test(tc, snapshot_lists_running_children_and_sums_all);
    tcase_add_test(tc, snapshot_ignores_wait_of_earlier_request);
    tcase_add_test(tc, snapshot_trusts_mpm_about_released_threads);
    tcase_add_test(tc, snapshot_terminates_torn_strings);
    tcase_add_test(tc, sane_copies_of_hostile_records);
    tcase_add_test(tc, h2_slots_claimed_and_given_back);
    tcase_add_test(tc, snapshot_joins_streams_to_their_connection);
    suite_add_tcase(s, tc);
    return s;
}
