/* SPDX-License-Identifier: Apache-2.0 */
/* GuardStuckTimeout: which waits it ends, when, its rate limit, its record. */
#include <stdlib.h>
#include <string.h>
#include "guard_unit.h"
#include "guard_crash_view.h"
#include "guard_lock_table.h"
#include "guard_stuck.h"

#define SEC(n) apr_time_from_sec(n)
#define MS(n) apr_time_from_msec(n)

static const apr_time_t T0 = 1000000000000LL;   /* request start */

static guard_wait_t waiting(guard_wait_kind_e kind, apr_time_t since)
{
    guard_wait_t w;

    memset(&w, 0, sizeof(w));
    w.kind = kind;
    w.fd = -1;
    w.since = since;
    return w;
}

START_TEST(only_what_cannot_be_cut)
{
    static const guard_wait_kind_e ended[] = {
        GUARD_WAIT_CPU, GUARD_WAIT_FILE, GUARD_WAIT_LOCK, GUARD_WAIT_PIPE,
        GUARD_WAIT_FUTEX, GUARD_WAIT_SLEEP, GUARD_WAIT_CHILD,
        GUARD_WAIT_SYSCALL
    };
    guard_wait_t w;
    apr_size_t i;

    for (i = 0; i < sizeof(ended) / sizeof(ended[0]); i++) {
        w = waiting(ended[i], T0);
        ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_END);
    }
    w = waiting(GUARD_WAIT_BACKEND, T0);
    ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_CUTTABLE);
    w = waiting(GUARD_WAIT_CLIENT, T0);
    ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_CLIENT);
    w = waiting(GUARD_WAIT_CGI, T0);
    ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_CLIENT);
    w = waiting(GUARD_WAIT_NONE, T0);
    ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_UNKNOWN);
    w = waiting(GUARD_WAIT_UNKNOWN, T0);
    ck_assert_int_eq(guard_stuck_kind(&w), GUARD_STUCK_UNKNOWN);
}
END_TEST

START_TEST(ended_once_the_wait_is_as_old_as_the_timeout)
{
    guard_wait_t w = waiting(GUARD_WAIT_LOCK, T0 + MS(100));

    ck_assert_int_eq(guard_stuck_decide(&w, 2000, T0, T0 + MS(2099), 0),
                     GUARD_STUCK_YOUNG);
    ck_assert_int_eq(guard_stuck_decide(&w, 2000, T0, T0 + MS(2100), 0),
                     GUARD_STUCK_END);
    ck_assert(guard_stuck_due_at(&w, 2000, T0) == T0 + MS(2100));
    /* Off: never. */
    ck_assert_int_eq(guard_stuck_decide(&w, 0, T0, T0 + SEC(999), 0),
                     GUARD_STUCK_YOUNG);
    ck_assert(guard_stuck_due_at(&w, 0, T0) == 0);
    /* Nothing known of the wait yet: never, however late. */
    ck_assert_int_eq(guard_stuck_decide(&w, 2000, APR_INT64_MAX,
                                        APR_INT64_MAX, 0), GUARD_STUCK_YOUNG);
    /* A lock whose holder a lower rung frees is left to it. */
    ck_assert_int_eq(guard_stuck_decide(&w, 2000, T0, T0 + SEC(9), 1),
                     GUARD_STUCK_HOLDER);
}
END_TEST

/* A backend that trickles is seen on CPU for a moment between bytes: the
 * moment is as old as itself, not as the request. */
START_TEST(a_trickle_is_never_ended)
{
    guard_wait_t b = waiting(GUARD_WAIT_BACKEND, T0);
    guard_wait_t c = waiting(GUARD_WAIT_CPU, T0 + SEC(30));

    ck_assert_int_eq(guard_stuck_decide(&b, 2000, T0, T0 + SEC(30), 0),
                     GUARD_STUCK_CUTTABLE);
    ck_assert_int_eq(guard_stuck_decide(&c, 2000, T0, T0 + SEC(30) + MS(5),
                                        0), GUARD_STUCK_YOUNG);
    ck_assert(guard_stuck_due_at(&b, 2000, T0) == 0);
    /* A wait dated before its request counts from the request. */
    c.since = T0 - SEC(5);
    ck_assert_int_eq(guard_stuck_decide(&c, 2000, T0, T0 + MS(1999), 0),
                     GUARD_STUCK_YOUNG);
}
END_TEST

START_TEST(rate_limit_per_minute_server_wide)
{
    apr_uint64_t word = 0;
    apr_time_t now = SEC(600) + SEC(1);
    int i, taken = 0;

    for (i = 0; i < 20; i++) {
        taken += guard_stuck_rate_take(&word, now + MS(i), 5);
    }
    ck_assert_int_eq(taken, 5);
    ck_assert_int_eq(guard_stuck_rate_take(&word, now + SEC(58), 5), 0);
    /* The next minute has its own. */
    ck_assert_int_eq(guard_stuck_rate_take(&word, now + SEC(59), 5), 1);
    /* A child that wrote nonsense only gives the others a fresh minute or
     * none: never more than the limit in one minute. */
    word = ~(apr_uint64_t)0;
    ck_assert_int_eq(guard_stuck_rate_take(&word, now + SEC(120), 5), 1);
    word = ((apr_uint64_t)(apr_time_sec(now) / 60) << 32) | 0xffffffffu;
    ck_assert_int_eq(guard_stuck_rate_take(&word, now, 5), 0);
}
END_TEST

START_TEST(lock_left_to_the_holder_rungs)
{
    static guard_chain_t chains[GUARD_CHAINS];
    guard_shm_t shm;
    guard_wait_t w = waiting(GUARD_WAIT_LOCK, T0);

    memset(&shm, 0, sizeof(shm));
    memset(chains, 0, sizeof(chains));
    shm.chains = chains;
    w.dev = 5;
    w.ino = 77;
    chains[3].key = guard_chain_key(5, 77);
    chains[3].holder_child = 1;
    chains[3].holder_pid = 1234;
    /* No rule of its file says cut-holder: nothing frees it. */
    ck_assert_int_eq(guard_stuck_held_by_worker(&shm, &w), 0);
    w.flags = GUARD_WAITF_LOCKWATCH | GUARD_WAITF_CUT_HOLDER;
    ck_assert_int_eq(guard_stuck_held_by_worker(&shm, &w), 1);
    /* A holder outside httpd: nothing to cut. */
    chains[3].holder_child = -1;
    ck_assert_int_eq(guard_stuck_held_by_worker(&shm, &w), 0);
    /* An FPM worker that end-holder ends. */
    w.flags = GUARD_WAITF_LOCKWATCH | GUARD_WAITF_END_HOLDER;
    chains[3].holder_fpm = 1;
    ck_assert_int_eq(guard_stuck_held_by_worker(&shm, &w), 1);
}
END_TEST

static guard_where_t where;
static guard_stack_t st;

/* libc.so.6 loaded at 0x7f0000000000; a PHP page in flock(), and a native
 * frame in libc and one in a module gone since. */
static void live_stacks(void)
{
    memset(&where, 0, sizeof(where));
    memset(&st, 0, sizeof(st));
    where.map[0].n = 1;
    where.map[0].m[0].lo = 0x7f0000000000ULL;
    where.map[0].m[0].hi = 0x7f0000100000ULL;
    where.map[0].m[0].bias = 0x7f0000000000ULL;
    strcpy(where.map[0].m[0].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    st.req_start = T0;
    st.php_status = GUARD_PHP_OK;
    st.nphp = 2;
    strcpy(st.php[0].function, "flock");
    strcpy(st.php[1].function, "{main}");
    strcpy(st.php[1].file, "/srv/flock.php");
    st.php[1].line = 7;
    st.nnative = 2;
    strcpy(st.native[0].module, "libc.so.6");
    st.native[0].offset = 0x1234;
    strcpy(st.native[1].module, "gone.so");
    st.native[1].offset = 0x99;
}

static guard_slot_t slot;
static guard_wait_t lock_wait;

/* The sample's copy of a worker in flock() since T0 + 10 ms, 3 s into
 * GET /flock.php, with its live stacks. */
static void source(guard_stuck_src_t *src)
{
    live_stacks();
    memset(&slot, 0, sizeof(slot));
    slot.pid = 100;
    slot.tid = 101;
    slot.req_start = T0;
    slot.stuck_timeout_ms = 2000;
    strcpy(slot.req.method, "GET");
    strcpy(slot.req.uri, "/flock.php");
    strcpy(slot.req.vhost, "www.example.com:80");
    strcpy(slot.req.client, "127.0.0.1");
    lock_wait = waiting(GUARD_WAIT_LOCK, T0 + MS(10));
    lock_wait.syscall = 73;
    strcpy(lock_wait.sysname, "flock");
    strcpy(lock_wait.path, "/tmp/held");
    memset(src, 0, sizeof(*src));
    src->slot = &slot;
    src->wait = &lock_wait;
    src->stack = &st;
    src->where = &where;
    src->child = 2;
    src->generation = 3;
    src->now = T0 + SEC(3);
}

START_TEST(record_as_a_crash_with_the_live_stacks)
{
    guard_stuck_src_t src;
    guard_crash_rec_t r;

    source(&src);
    guard_stuck_record(&src, &r);
    ck_assert(r.flags & GUARD_CRASHF_STUCK);
    ck_assert(r.flags & GUARD_CRASHF_REQUEST);
    ck_assert(r.flags & GUARD_CRASHF_PHP);
    ck_assert_int_eq(r.stuck_timeout_ms, 2000);
    ck_assert_int_eq(r.elapsed_ms, 3000);
    ck_assert_int_eq(r.child, 2);
    ck_assert_str_eq(r.req.uri, "/flock.php");
    ck_assert_str_eq(r.req.vhost, "www.example.com:80");
    ck_assert_int_eq(r.nphp, 2);
    ck_assert_str_eq(r.php[1].file, "/srv/flock.php");
    ck_assert_int_eq(r.nframes, 2);
    ck_assert_int_eq(r.at[0].kind, GUARD_AT_MODULE);
    ck_assert(r.at[0].offset == 0x1234);
    ck_assert_str_eq(guard_crash_module_of(&r, &r.at[0]),
                     "/usr/lib/x86_64-linux-gnu/libc.so.6");
    ck_assert_int_eq(r.at[1].kind, GUARD_AT_NONE);
    ck_assert_ptr_nonnull(strstr(r.wait, "flock"));
}
END_TEST

/* Stacks of another request are not this one's; no module table: no
 * native frames. */
START_TEST(record_without_stacks_of_its_own)
{
    guard_stuck_src_t src;
    guard_crash_rec_t r;

    source(&src);
    st.req_start = T0 - SEC(1);
    guard_stuck_record(&src, &r);
    ck_assert_int_eq(r.nphp, 0);
    ck_assert_int_eq(r.nframes, 0);
    ck_assert(!(r.flags & GUARD_CRASHF_PHP));
    source(&src);
    src.where = NULL;
    guard_stuck_record(&src, &r);
    ck_assert_int_eq(r.nphp, 2);
    ck_assert_int_eq(r.nframes, 0);
}
END_TEST

/* Ends are tickets of the ring, counted apart from crashes. */
START_TEST(ends_counted_apart_from_crashes)
{
    apr_size_t size = guard_crash_shm_size(4, 2);
    void *base = calloc(1, size);
    guard_crash_shm_t c;
    guard_crash_rec_t r, *slot;
    guard_crash_view_t *v;
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    guard_crash_shm_init(base, 4, 2, T0);
    guard_crash_shm_attach(&c, base, 4, 2);
    memset(&r, 0, sizeof(r));
    r.signo = 11;
    guard_crash_publish(&c, &r, &slot);
    memset(&r, 0, sizeof(r));
    r.flags = GUARD_CRASHF_STUCK;
    guard_crash_publish(&c, &r, &slot);
    v = guard_crash_view_take(p, &c, 0, T0, NULL, NULL);
    ck_assert_int_eq(v->total, 2);
    ck_assert_int_eq(v->crashes, 1);
    ck_assert_int_eq(v->stuck_ends, 1);
    ck_assert_int_eq(v->by_signal[GUARD_CSIG_SEGV], 1);
    ck_assert_int_eq(v->by_signal[GUARD_CSIG_OTHER], 0);
    /* A hostile count never makes crashes negative. */
    c.hdr->stuck_ends = 99;
    v = guard_crash_view_take(p, &c, 0, T0, NULL, NULL);
    ck_assert_int_eq(v->crashes, 0);
    apr_pool_destroy(p);
    free(base);
}
END_TEST

Suite *guard_stuck_suite(void)
{
    Suite *s = suite_create("stuck");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, only_what_cannot_be_cut);
    tcase_add_test(tc, ended_once_the_wait_is_as_old_as_the_timeout);
    tcase_add_test(tc, a_trickle_is_never_ended);
    tcase_add_test(tc, rate_limit_per_minute_server_wide);
    tcase_add_test(tc, lock_left_to_the_holder_rungs);
    tcase_add_test(tc, record_as_a_crash_with_the_live_stacks);
    tcase_add_test(tc, record_without_stacks_of_its_own);
    tcase_add_test(tc, ends_counted_apart_from_crashes);
    suite_add_tcase(s, tc);
    return s;
}
