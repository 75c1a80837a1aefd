/* SPDX-License-Identifier: Apache-2.0 */
/* Crash records: the ring, signatures, names, report text, the view and
 * its renderers, and the selectors of the status query. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_crash.h"
#include "guard_crash_fmt.h"
#include "guard_crash_sym.h"
#include "guard_crash_view.h"
#include "guard_crash_where.h"
#include "guard_status_query.h"
#include "guard_status_crash.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static guard_crash_shm_t *make_ring(int cap)
{
    guard_crash_shm_t *c = apr_pcalloc(pool, sizeof(*c));
    void *base = apr_palloc(pool, guard_crash_shm_size(cap, 4));

    guard_crash_shm_init(base, cap, 4, apr_time_now());
    guard_crash_shm_attach(c, base, cap, 4);
    ck_assert(guard_crash_shm_fits(c, guard_crash_shm_size(cap, 4), cap, 4));
    ck_assert(!guard_crash_shm_fits(c, guard_crash_shm_size(cap, 4),
                                    cap + 1, 4));
    ck_assert(!guard_crash_shm_fits(c, guard_crash_shm_size(cap, 4), cap, 3));
    ck_assert(!guard_crash_shm_fits(c, guard_crash_shm_size(cap, 4) - 1,
                                    cap, 4));
    return c;
}

static void make_rec(guard_crash_rec_t *r, int signo, int pid)
{
    memset(r, 0, sizeof(*r));
    r->when = apr_time_now();
    r->signo = signo;
    r->si_code = SEGV_MAPERR;
    r->pid = pid;
    r->tid = pid;
    r->elapsed_ms = -1;
}

/* This process's modules, as a child reads them. */
static guard_where_t where;

/* frames[0..n) into r, placed in modules as the handler does. */
static void set_frames(guard_crash_rec_t *r, const apr_uint64_t *frames,
                       int n)
{
    int i;

    if (!where.map[0].n && !where.map[1].n) {
        guard_where_refresh(&where, "/proc/self/exe");
    }
    r->nframes = (apr_uint32_t)n;
    for (i = 0; i < n; i++) {
        r->frames[i] = frames[i];
        guard_where_locate(&where, frames[i], i > 0, r, &r->at[i]);
    }
    r->signature = guard_crash_where_signature(r);
}

START_TEST(ring_keeps_newest)
{
    guard_crash_shm_t *c = make_ring(4);
    guard_crash_rec_t r, *slot, out;
    apr_uint64_t t;
    int i;

    for (i = 0; i < 10; i++) {
        make_rec(&r, i % 2 ? SIGBUS : SIGSEGV, 1000 + i);
        t = guard_crash_publish(c, &r, &slot);
        ck_assert_uint_eq(t, (apr_uint64_t)i);
        ck_assert_ptr_nonnull(slot);
        ck_assert_uint_eq(r.id, (apr_uint64_t)i + 1);
    }
    ck_assert_uint_eq(guard_crash_total(c), 10);
    ck_assert_uint_eq(c->hdr->by_signal[GUARD_CSIG_SEGV], 5);
    ck_assert_uint_eq(c->hdr->by_signal[GUARD_CSIG_BUS], 5);
    for (t = 0; t < 6; t++) {
        ck_assert_int_eq(guard_crash_read(c, t, &out), 0);
    }
    for (t = 6; t < 10; t++) {
        ck_assert_int_eq(guard_crash_read(c, t, &out), 1);
        ck_assert_int_eq(out.pid, 1000 + (int)t);
        ck_assert_uint_eq(out.id, t + 1);
    }
}
END_TEST

START_TEST(ring_older_never_overwrites_newer)
{
    guard_crash_shm_t *c = make_ring(2);
    guard_crash_rec_t r, *slot, out;

    /* A writer of ticket 4 already holds record 0: ticket 2 arrives late. */
    c->recs[0].seq = 2 * 4 + 2;
    c->recs[0].pid = 4444;
    c->hdr->next = 2;
    make_rec(&r, SIGSEGV, 2222);
    guard_crash_publish(c, &r, &slot);
    ck_assert_ptr_null(slot);
    ck_assert_int_eq(c->recs[0].pid, 4444);
    ck_assert_uint_eq(guard_crash_total(c), 3);   /* still counted */
    ck_assert_int_eq(guard_crash_read(c, 2, &out), 0);
}
END_TEST

/* A writer that died mid-record (its handler faulted, or it was killed)
 * holds its record only for a while: a newer ticket takes it over. */
START_TEST(ring_dead_writer_is_taken_over)
{
    guard_crash_shm_t *c = make_ring(2);
    guard_crash_rec_t r, *slot, out;
    apr_time_t t0 = apr_time_now();

    c->recs[0].seq = 2 * 0 + 1;    /* ticket 0, never finished */
    c->recs[0].pid = 1111;
    c->hdr->next = 2;
    make_rec(&r, SIGSEGV, 2222);
    guard_crash_publish(c, &r, &slot);
    ck_assert_ptr_eq(slot, &c->recs[0]);
    ck_assert(apr_time_now() - t0 >= apr_time_from_msec(40));
    ck_assert_int_eq(guard_crash_read(c, 2, &out), 1);
    ck_assert_int_eq(out.pid, 2222);
    ck_assert_int_eq(guard_crash_read(c, 0, &out), 0);
}
END_TEST

START_TEST(last_per_child)
{
    guard_crash_shm_t *c = make_ring(2);
    guard_crash_rec_t r, *slot, out;
    int i;

    for (i = 0; i < 5; i++) {
        make_rec(&r, SIGSEGV, 500 + i);
        r.child = i % 2;
        guard_crash_publish(c, &r, &slot);
        guard_crash_keep_last(c, &r);
    }
    /* The ring lapped, the child slots still know their process's crash. */
    ck_assert_int_eq(guard_crash_last_of(c, 1, 503, &out), 1);
    ck_assert_uint_eq(out.id, 4);
    ck_assert_int_eq(guard_crash_last_of(c, 0, 504, &out), 1);
    ck_assert_int_eq(guard_crash_last_of(c, 0, 502, &out), 0);
    ck_assert_int_eq(guard_crash_last_of(c, 3, 504, &out), 0);
    r.child = 9;
    guard_crash_keep_last(c, &r);   /* out of range: ignored */
}
END_TEST

START_TEST(ring_in_progress_is_shown)
{
    guard_crash_shm_t *c = make_ring(2);
    guard_crash_rec_t out;

    c->hdr->next = 1;
    c->recs[0].seq = 1;     /* ticket 0 died mid-write */
    c->recs[0].pid = 77;
    ck_assert_int_eq(guard_crash_read(c, 0, &out), -1);
    ck_assert_int_eq(out.pid, 77);
}
END_TEST

#define THREADS 8
#define PER_THREAD 2000

static void *storm(void *arg)
{
    guard_crash_shm_t *c = arg;
    guard_crash_rec_t r, *slot;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        make_rec(&r, SIGSEGV, i);
        r.tid = i;          /* pid == tid in every whole record */
        r.ip = (apr_uint64_t)i * 3;
        guard_crash_publish(c, &r, &slot);
    }
    return NULL;
}

START_TEST(ring_concurrent_writers)
{
    guard_crash_shm_t *c = make_ring(64);
    pthread_t th[THREADS];
    guard_crash_rec_t out;
    apr_uint64_t t, total;
    int i, whole = 0;

    for (i = 0; i < THREADS; i++) {
        pthread_create(&th[i], NULL, storm, c);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    total = guard_crash_total(c);
    ck_assert_uint_eq(total, THREADS * PER_THREAD);
    ck_assert_uint_eq(c->hdr->by_signal[GUARD_CSIG_SEGV], total);
    for (t = total - 64; t < total; t++) {
        if (guard_crash_read(c, t, &out) == 1) {
            ck_assert_int_eq(out.pid, out.tid);
            ck_assert_uint_eq(out.ip, (apr_uint64_t)out.pid * 3);
            ck_assert_uint_eq(out.id, t + 1);
            whole++;
        }
    }
    ck_assert_int_eq(whole, 64);
}
END_TEST

START_TEST(frames_and_groups)
{
    guard_crash_shm_t *c = make_ring(8);
    guard_crash_rec_t r, *slot, out;
    void *raw[6] = { (void *)0x10, (void *)0x20, (void *)0x1234,
                     (void *)0x40, (void *)0x50, (void *)0x60 };
    apr_uint64_t frames[GUARD_CRASH_FRAMES], sig, t;
    int n, start, i;

    n = guard_crash_trim_frames(raw, 6, 0x1234, frames, 32, &start);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(start, 2);
    ck_assert_uint_eq(frames[0], 0x1234);
    n = guard_crash_trim_frames(raw, 6, 0x9999, frames, 3, &start);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(start, 0);

    n = guard_crash_trim_frames(raw, 6, 0x1234, frames, 32, &start);
    sig = guard_crash_signature(SIGSEGV, frames, n);
    ck_assert_uint_ne(sig, 0);
    ck_assert_uint_eq(sig, guard_crash_signature(SIGSEGV, frames, 3));
    ck_assert_uint_ne(sig, guard_crash_signature(SIGBUS, frames, n));
    for (i = 0; i < 5; i++) {
        make_rec(&r, SIGSEGV, 10 + i);
        t = guard_crash_publish(c, &r, &slot);
        set_frames(&r, frames, n);
        guard_crash_add_frames(slot, t, &r);
        guard_crash_count_group(c, &r);
    }
    sig = r.signature;      /* of the frames in modules */
    ck_assert_uint_eq(c->groups[sig % GUARD_CRASH_GROUPS].at[0].kind,
                      GUARD_AT_NONE);        /* 0x1234: in no module */
    ck_assert_uint_eq(c->groups[sig % GUARD_CRASH_GROUPS].at[1].kind,
                      GUARD_AT_NULL);
    make_rec(&r, SIGBUS, 99);
    set_frames(&r, frames, n);
    ck_assert_uint_ne(r.signature, sig);
    guard_crash_count_group(c, &r);
    ck_assert_int_eq(guard_crash_read(c, 4, &out), 1);
    ck_assert_uint_eq(out.nframes, 4);
    ck_assert(out.flags & GUARD_CRASHF_FRAMES);
    ck_assert_uint_eq(out.frames[1], 0x40);
    ck_assert_uint_eq(c->groups[sig % GUARD_CRASH_GROUPS].count, 5);
    ck_assert_uint_eq(c->groups[sig % GUARD_CRASH_GROUPS].last_id, 5);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(guard_signal_name(SIGSEGV), "SIGSEGV");
    ck_assert_str_eq(guard_signal_name(SIGABRT), "SIGABRT");
    ck_assert_ptr_null(guard_signal_name(SIGUSR1));
    ck_assert_str_eq(guard_si_code_name(SIGSEGV, SEGV_MAPERR), "SEGV_MAPERR");
    ck_assert_str_eq(guard_si_code_name(SIGBUS, BUS_ADRERR), "BUS_ADRERR");
    ck_assert_str_eq(guard_si_code_name(SIGFPE, FPE_INTDIV), "FPE_INTDIV");
    ck_assert_str_eq(guard_si_code_name(SIGABRT, SI_TKILL), "SI_TKILL");
    ck_assert_str_eq(guard_si_code_name(SIGSEGV, SI_USER), "SI_USER");
    ck_assert_str_eq(guard_si_code_name(SIGSEGV, SI_KERNEL), "SI_KERNEL");
    ck_assert_ptr_null(guard_si_code_name(SIGSEGV, 77));
}
END_TEST

START_TEST(cbuf_bounded)
{
    char buf[8];
    guard_cbuf_t b;

    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_dec(&b, -42);
    guard_cbuf_hex(&b, 0xbeefULL);
    ck_assert_str_eq(buf, "-420xbe");
    ck_assert_uint_eq(b.len, 7);
}
END_TEST

START_TEST(cbuf_time)
{
    char buf[40];
    guard_cbuf_t b;

    guard_cbuf_init(&b, buf, sizeof(buf));
    guard_cbuf_time(&b, 0);
    ck_assert_str_eq(buf, "1970-01-01 00:00:00.000");
    guard_cbuf_init(&b, buf, sizeof(buf));
    /* 2024-02-29 23:59:58.5 UTC: a leap day */
    guard_cbuf_time(&b, APR_INT64_C(1709251198) * APR_USEC_PER_SEC + 500000);
    ck_assert_str_eq(buf, "2024-02-29 23:59:58.500");
}
END_TEST

START_TEST(headline)
{
    guard_crash_rec_t r;
    char line[1024];
    apr_size_t n;

    make_rec(&r, SIGSEGV, 17109);
    r.id = 7;
    r.child = 3;
    r.thread = 0;
    n = guard_crash_headline(&r, line, sizeof(line));
    ck_assert_uint_eq(n, strlen(line));
    ck_assert_int_eq(line[n - 1], '\n');
    ck_assert_ptr_nonnull(strstr(line, "[guard:crit] [pid 17109:tid 17109] "
                                 "GRD0500: crash 7: SIGSEGV (SEGV_MAPERR) "
                                 "at 0x0"));
    ck_assert_ptr_nonnull(strstr(line, "child 3 thread 0"));
    ck_assert_ptr_nonnull(strstr(line, ", no request"));
    r.flags |= GUARD_CRASHF_REQUEST;
    r.elapsed_ms = 12;
    strcpy(r.req.method, "GET");
    strcpy(r.req.uri, "/crash.php?...");
    strcpy(r.req.vhost, "example.org");
    strcpy(r.req.client, "10.0.0.1");
    guard_crash_headline(&r, line, sizeof(line));
    ck_assert_ptr_nonnull(strstr(line, "serving \"GET /crash.php?...\" vhost "
                                 "\"example.org\" client \"10.0.0.1\" for "
                                 "12 ms\n"));
    /* Small buffers truncate, still ending in a newline. */
    n = guard_crash_headline(&r, line, 40);
    ck_assert_uint_eq(n, 39);
    ck_assert_int_eq(line[38], '\n');
}
END_TEST

/* Found by fuzz_reqcopy: a 1-byte buffer got the newline and the NUL. */
START_TEST(headline_tiny_buffer)
{
    guard_crash_rec_t r;
    char line[4];

    make_rec(&r, SIGSEGV, 17109);
    memset(line, 'z', sizeof(line));
    ck_assert_uint_eq(guard_crash_headline(&r, line, 1), 0);
    ck_assert_int_eq(line[0], '\0');
    ck_assert_int_eq(line[1], 'z');
    ck_assert_uint_eq(guard_crash_subline(&r, "backtrace:", line + 2, 1), 0);
    ck_assert_int_eq(line[2], '\0');
    ck_assert_int_eq(line[3], 'z');
    ck_assert_uint_eq(guard_crash_headline(&r, line, 0), 0);
    ck_assert_uint_eq(guard_crash_headline(&r, line, 2), 1);
    ck_assert_str_eq(line, "\n");
}
END_TEST

START_TEST(symbolize_dladdr)
{
    guard_frame_sym_t f;
    guard_crash_rec_t r;
    void *fn = dlsym(RTLD_DEFAULT, "apr_pool_create_ex");
    apr_uint64_t frames[2];
    const char *mod;

    ck_assert_ptr_nonnull(fn);
    make_rec(&r, SIGSEGV, 1);
    frames[0] = frames[1] = (apr_uint64_t)(apr_uintptr_t)fn + 4;
    set_frames(&r, frames, 2);
    ck_assert_uint_eq(r.at[1].kind, GUARD_AT_MODULE);
    ck_assert_uint_eq(r.nmodules, 1);              /* one module, twice */
    mod = guard_crash_module_of(&r, &r.at[1]);
    ck_assert_ptr_nonnull(strstr(mod, "libapr-1"));
    memset(&f, 0, sizeof(f));
    ck_assert_int_eq(guard_symbolize_dladdr(NULL, mod, r.at[1].offset, 1,
                                            &f), 1);
    ck_assert_str_eq(f.function, "apr_pool_create_ex");
    ck_assert_uint_eq(f.func_offset, 4);
    ck_assert_int_eq(guard_symbolize_dladdr(NULL, "/no/such.so", 4, 0, &f),
                     0);
    /* The faulting instruction is looked up as it is. */
    ck_assert_int_eq(guard_symbolize_dladdr(NULL, mod, r.at[1].offset - 4,
                                            0, &f), 1);
    ck_assert_str_eq(f.function, "apr_pool_create_ex");
    ck_assert_uint_eq(f.func_offset, 0);
}
END_TEST

/* A frame in a full module list, or searched while its table is being
 * rewritten, is in no module. */
static void where_edge_cases(guard_crash_rec_t *r, apr_uint64_t addr)
{
    int i;

    r->nmodules = GUARD_CRASH_MODULES;
    for (i = 0; i < GUARD_CRASH_MODULES; i++) {
        strcpy(r->modules[i].path, "/x.so");
    }
    guard_where_locate(&where, addr, 0, r, &r->at[0]);
    ck_assert_uint_eq(r->at[0].kind, GUARD_AT_NONE);
    ck_assert_int_lt(guard_modmap_find(&where.map[where.cur], 0x10), 0);
    where.map[where.cur].seq++;
    guard_where_locate(&where, addr, 0, r, &r->at[0]);
    ck_assert_uint_eq(r->at[0].kind, GUARD_AT_NONE);
    where.map[where.cur].seq++;
}

START_TEST(where_places_addresses)
{
    guard_crash_rec_t r, other;
    apr_uint64_t frames[4];
    int local = 0;
    apr_uint32_t cur;

    guard_where_refresh(&where, "/proc/self/exe");
    cur = where.cur;
    ck_assert_int_eq(guard_where_stale(&where), 0);
    guard_where_refresh(&where, "/proc/self/exe");
    ck_assert_uint_ne(where.cur, cur);           /* the other table */
    ck_assert_uint_eq(where.map[0].seq % 2, 0);
    make_rec(&r, SIGSEGV, 1);
    frames[0] = 0x8;                                      /* null page */
    frames[1] = (apr_uint64_t)(apr_uintptr_t)&local;      /* a stack */
    frames[2] = (apr_uint64_t)(apr_uintptr_t)dlsym(RTLD_DEFAULT,
                                                   "gnu_get_libc_version");
    frames[3] = (apr_uint64_t)(apr_uintptr_t)&set_frames; /* the program */
    set_frames(&r, frames, 4);
    ck_assert_uint_eq(r.at[0].kind, GUARD_AT_NULL);
    ck_assert_uint_eq(r.at[0].offset, 0x8);
    ck_assert_uint_eq(r.at[1].kind, GUARD_AT_NONE);
    ck_assert_uint_eq(r.at[2].kind, GUARD_AT_MODULE);
    ck_assert_ptr_nonnull(strstr(guard_crash_module_of(&r, &r.at[2]),
                                 "libc.so"));
    ck_assert_uint_eq(r.at[3].kind, GUARD_AT_MODULE);
    ck_assert_str_eq(guard_crash_module_of(&r, &r.at[3]), "/proc/self/exe");
    ck_assert_ptr_null(guard_crash_module_of(&r, &r.at[1]));
    /* The same frames loaded elsewhere: the same signature. */
    other = r;
    other.modules[0].bias += 0x100000;
    ck_assert_uint_eq(guard_crash_where_signature(&other), r.signature);
    where_edge_cases(&r, frames[2]);
}
END_TEST

/* No hexadecimal number of this process's own addresses in txt. */
static void assert_no_address(const char *txt, apr_uint64_t addr)
{
    char hex[32];

    apr_snprintf(hex, sizeof(hex), "%" APR_UINT64_T_HEX_FMT, addr);
    ck_assert_msg(strstr(txt, hex) == NULL, "address %s in %s", hex, txt);
}

/* Six crashes at frame (+2 their address) into a ring of four, the last
 * one in a request with hostile text; a process of child slot 1. */
static guard_crash_shm_t *view_ring(apr_uint64_t frame)
{
    guard_crash_shm_t *c = make_ring(4);
    guard_crash_rec_t r, *slot;
    apr_uint64_t frames[2] = { frame, 0 };
    int i;

    guard_where_refresh(&where, "/proc/self/exe");
    for (i = 0; i < 6; i++) {
        apr_uint64_t t;

        make_rec(&r, SIGSEGV, 100 + i);
        r.child = i % 2;
        if (i == 5) {
            r.flags |= GUARD_CRASHF_REQUEST;
            strcpy(r.req.method, "GET");
            strcpy(r.req.uri, "/<script>\"x\\x0A");
            strcpy(r.req.vhost, "v");
            strcpy(r.req.client, "c");
            r.elapsed_ms = 3;
        }
        r.addr = frames[0] + 2;
        r.ip = frames[0];
        guard_where_locate(&where, r.addr, 0, &r, &r.addr_at);
        guard_where_locate(&where, r.ip, 0, &r, &r.ip_at);
        t = guard_crash_publish(c, &r, &slot);
        set_frames(&r, frames, 1);
        guard_crash_add_frames(slot, t, &r);
        guard_crash_count_group(c, &r);
    }
    guard_crash_proc_start(c, 1, 105, 0, apr_time_now(), 10);
    return c;
}

static void check_view_json(const guard_crash_view_t *v, apr_uint64_t frame)
{
    guard_sink_t *o = guard_sink_buffer(pool);
    const char *txt;

    guard_crash_render_json(v, o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "\"signal\":\"SIGSEGV\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"si_code\":\"SEGV_MAPERR\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"uri\":\"/<script>\\\"x\\\\x0A\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"function\":\"apr_pool_create_ex\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"count\":6"));
    ck_assert_ptr_nonnull(strstr(txt, "\"addr\":{\"where\":\"module\","));
    ck_assert_ptr_nonnull(strstr(txt, "\"function\":\"apr_pool_create_ex\","
                                      "\"function_offset\":\"0x2\"}"));
    assert_no_address(txt, frame);
    assert_no_address(txt, frame + 2);
}

static void check_view_html(const guard_crash_view_t *v, apr_uint64_t frame)
{
    guard_sink_t *o = guard_sink_buffer(pool);
    const char *txt;

    guard_crash_render_html(v, o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_null(strstr(txt, "<script>"));
    ck_assert_ptr_nonnull(strstr(txt, "/&lt;script&gt;&quot;x"));
    ck_assert_ptr_nonnull(strstr(txt, "?crash=6"));
    ck_assert_ptr_nonnull(strstr(txt, "libapr-1.so.0+0x"));
    assert_no_address(txt, frame);
    o = guard_sink_buffer(pool);
    guard_crash_render_html_one(v, &v->items[0], o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "(apr_pool_create_ex+0x0)"));
    assert_no_address(txt, frame);
    assert_no_address(txt, frame + 2);
}

START_TEST(view_and_render)
{
    apr_uint64_t frame = (apr_uint64_t)(apr_uintptr_t)dlsym(
        RTLD_DEFAULT, "apr_pool_create_ex");
    guard_crash_shm_t *c = view_ring(frame);
    guard_crash_view_t *v;
    guard_sink_t *o;

    v = guard_crash_view_take(pool, c, 0, apr_time_now(),
                              guard_symbolize_dladdr, NULL);
    ck_assert_int_eq(v->nitems, 4);
    ck_assert_uint_eq(v->items[0].rec.id, 6);     /* newest first */
    ck_assert_uint_eq(v->items[3].rec.id, 3);
    ck_assert_int_eq(v->ngroups, 1);
    ck_assert_uint_eq(v->groups[0].count, 6);
    ck_assert_int_eq(v->nprocs, 1);
    ck_assert_ptr_nonnull(guard_crash_view_find(v, 4));
    ck_assert_ptr_null(guard_crash_view_find(v, 2));
    ck_assert_str_eq(v->items[0].syms[0].function, "apr_pool_create_ex");
    check_view_json(v, frame);
    check_view_html(v, frame);
    o = guard_sink_buffer(pool);
    guard_crash_render_prometheus(v, o);
    ck_assert_ptr_nonnull(strstr(guard_sink_buffer_data(o, NULL),
                                 "guard_crashes_total{signal=\"SIGSEGV\"}"
                                 " 6\n"));
    /* The old generation's frames are not resolved. */
    v = guard_crash_view_take(pool, c, 1, apr_time_now(),
                              guard_symbolize_dladdr, NULL);
    ck_assert_int_eq(v->items[0].symbolized, 0);
    ck_assert_int_eq(v->items[0].syms[0].resolved, 1);
    ck_assert_str_eq(v->items[0].syms[0].function, "");
}
END_TEST

/* 2024-02-29 23:59:58.500 UTC, crash 7 of pid 17109, thread 17110. */
static void fixed_rec(guard_crash_rec_t *r)
{
    make_rec(r, SIGSEGV, 17109);
    r->tid = 17110;
    r->id = 7;
    r->when = APR_INT64_C(1709251198) * APR_USEC_PER_SEC + 500000;
}

#define TAG "[2024-02-29 23:59:58.500 UTC] [guard:crit] " \
            "[pid 17109:tid 17110] GRD0500: crash 7: "

START_TEST(report_lines_tagged)
{
    guard_crash_rec_t r;
    char line[512];
    apr_size_t n;

    fixed_rec(&r);
    n = guard_crash_frame_line(&r, 3, 0x7f000000101dULL, "/lib/libc.so.6",
                               "strlen", 0x1d, line, sizeof(line));
    ck_assert_str_eq(line, TAG "#3 /lib/libc.so.6(strlen+0x1d) "
                           "[0x7f000000101d]\n");
    ck_assert_uint_eq(n, strlen(line));
    guard_crash_frame_line(&r, 0, 0x55000000beefULL, "/usr/sbin/apache2",
                           NULL, 0xbeef, line, sizeof(line));
    ck_assert_str_eq(line, TAG "#0 /usr/sbin/apache2(+0xbeef) "
                           "[0x55000000beef]\n");
    guard_crash_frame_line(&r, 12, 0x1234, NULL, NULL, 0, line,
                           sizeof(line));
    ck_assert_str_eq(line, TAG "#12 [0x1234]\n");
    guard_crash_subline(&r, "backtrace:", line, sizeof(line));
    ck_assert_str_eq(line, TAG "backtrace:\n");
    /* Truncated, still a line. */
    n = guard_crash_frame_line(&r, 3, 0x1234, "/lib/libc.so.6", "strlen", 1,
                               line, 20);
    ck_assert_uint_eq(n, 19);
    ck_assert_int_eq(line[18], '\n');
    ck_assert_uint_eq(guard_crash_frame_line(&r, 3, 0x1234, NULL, NULL, 0,
                                             line, 1), 0);
    ck_assert_str_eq(line, "");
}
END_TEST

START_TEST(php_lines)
{
    guard_crash_rec_t r;
    char line[512];

    fixed_rec(&r);
    guard_unit_php_frame(&r.php[0], "strlen", "", 0, GUARD_PHPF_INTERNAL);
    guard_unit_php_frame(&r.php[1], "Svc::c", "/srv/www/x.php", 5, 0);
    guard_unit_php_frame(&r.php[2], "{main}", "/srv/www/x.php", 1,
              GUARD_PHPF_LINE_APPROX);
    r.nphp = 3;
    r.flags |= GUARD_CRASHF_PHP;
    guard_crash_php_line(&r, 0, line, sizeof(line));
    ck_assert_str_eq(line, TAG "php #0 strlen (internal)\n");
    guard_crash_php_line(&r, 1, line, sizeof(line));
    ck_assert_str_eq(line, TAG "php #1 Svc::c /srv/www/x.php:5\n");
    guard_crash_php_line(&r, 2, line, sizeof(line));
    ck_assert_str_eq(line, TAG "php #2 {main} /srv/www/x.php:1 (the "
                           "function's first line)\n");
    /* A name that fills its field has no NUL of its own. */
    memset(r.php[1].function, 'f', sizeof(r.php[1].function));
    guard_crash_php_line(&r, 1, line, sizeof(line));
    ck_assert_uint_eq(strlen(line), strlen(TAG "php #1 ")
                      + GUARD_FRAME_FUNC_LEN
                      + strlen(" /srv/www/x.php:5\n"));
}
END_TEST

START_TEST(headline_finished_request)
{
    guard_crash_rec_t r;
    char line[1024];

    fixed_rec(&r);
    r.child = 0;
    r.thread = 0;
    r.flags |= GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE;
    r.elapsed_ms = 40;
    strcpy(r.req.method, "GET");
    strcpy(r.req.uri, "/ct?...");
    strcpy(r.req.vhost, "h");
    strcpy(r.req.client, "10.0.0.1");
    guard_crash_headline(&r, line, sizeof(line));
    ck_assert_str_eq(line, TAG "SIGSEGV (SEGV_MAPERR) at 0x0, ip 0x0, "
                           "child 0 thread 0 generation 0, after finished "
                           "request \"GET /ct?...\" vhost \"h\" "
                           "client \"10.0.0.1\", 40 ms after its start\n");
}
END_TEST

START_TEST(php_frames_in_record)
{
    guard_crash_shm_t *c = make_ring(2);
    guard_crash_rec_t r, *slot, *slot0, out;
    guard_php_frame_t php[GUARD_CRASH_PHP_FRAMES + 4];
    apr_uint64_t t0, t;
    int i;

    for (i = 0; i < GUARD_CRASH_PHP_FRAMES + 4; i++) {
        char fn[16];

        apr_snprintf(fn, sizeof(fn), "f%d", i);
        guard_unit_php_frame(&php[i], fn, "/x.php", 10 + i, 0);
    }
    make_rec(&r, SIGSEGV, 1);
    t0 = guard_crash_publish(c, &r, &slot0);
    ck_assert_int_eq(guard_crash_read(c, t0, &out), 1);
    ck_assert_uint_eq(out.flags & GUARD_CRASHF_PHP, 0);
    guard_crash_add_php(slot0, t0, php, 3);
    ck_assert_int_eq(guard_crash_read(c, t0, &out), 1);
    ck_assert(out.flags & GUARD_CRASHF_PHP);
    ck_assert_uint_eq(out.nphp, 3);
    ck_assert_str_eq(out.php[2].function, "f2");
    ck_assert_uint_eq(out.php[2].line, 12);
    /* No more than the record holds. */
    make_rec(&r, SIGSEGV, 2);
    t = guard_crash_publish(c, &r, &slot);
    guard_crash_add_php(slot, t, php, GUARD_CRASH_PHP_FRAMES + 4);
    ck_assert_int_eq(guard_crash_read(c, t, &out), 1);
    ck_assert_uint_eq(out.nphp, GUARD_CRASH_PHP_FRAMES);
    ck_assert_str_eq(out.php[GUARD_CRASH_PHP_FRAMES - 1].function, "f15");
    /* A walk that found no PHP code running: flagged, no frames. */
    make_rec(&r, SIGSEGV, 3);
    t = guard_crash_publish(c, &r, &slot);
    ck_assert_ptr_eq(slot, slot0);    /* took the first one's record */
    guard_crash_add_php(slot, t, php, 0);
    ck_assert_int_eq(guard_crash_read(c, t, &out), 1);
    ck_assert(out.flags & GUARD_CRASHF_PHP);
    ck_assert_uint_eq(out.nphp, 0);
    /* The first crash's late write finds its record taken: left alone. */
    guard_crash_add_php(slot0, t0, php, 5);
    ck_assert_int_eq(guard_crash_read(c, t, &out), 1);
    ck_assert_uint_eq(out.nphp, 0);
    ck_assert_int_eq(out.pid, 3);
}
END_TEST

/* Two crashes: a finished request's with PHP frames of hostile names,
 * then one with no request and no PHP walk. */
static guard_crash_view_t *php_view(void)
{
    guard_crash_shm_t *c = make_ring(4);
    guard_crash_rec_t r, *slot;
    guard_php_frame_t php[3];
    apr_uint64_t t;

    guard_unit_php_frame(&php[0], "strlen", "", 0, GUARD_PHPF_INTERNAL);
    guard_unit_php_frame(&php[1], "c<b>", "/srv/<i>.php", 5, 0);
    guard_unit_php_frame(&php[2], "{main}", "/srv/<i>.php", 12, 0);
    make_rec(&r, SIGSEGV, 50);
    r.flags |= GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE;
    strcpy(r.req.method, "GET");
    strcpy(r.req.uri, "/ct?...");
    strcpy(r.req.protocol, "HTTP/1.1");
    strcpy(r.req.vhost, "v");
    strcpy(r.req.client, "c");
    r.elapsed_ms = 9;
    t = guard_crash_publish(c, &r, &slot);
    guard_crash_add_php(slot, t, php, 3);
    make_rec(&r, SIGSEGV, 51);
    guard_crash_publish(c, &r, &slot);
    return guard_crash_view_take(pool, c, 0, apr_time_now(), NULL, NULL);
}

START_TEST(render_php_and_request_state_json)
{
    guard_crash_view_t *v = php_view();
    guard_sink_t *o = guard_sink_buffer(pool);
    const char *txt;

    ck_assert_int_eq(v->nitems, 2);
    guard_crash_render_json_one(&v->items[1], o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "\"request\":\"GET /ct?... HTTP/1.1\","
                                      "\"request_state\":\"finished\","));
    ck_assert_ptr_nonnull(strstr(txt, ",\"php_frames\":["
        "{\"function\":\"strlen\",\"file\":\"\",\"line\":0,"
        "\"line_approximate\":false},"
        "{\"function\":\"c<b>\",\"file\":\"/srv/<i>.php\",\"line\":5,"
        "\"line_approximate\":false},"
        "{\"function\":\"{main}\",\"file\":\"/srv/<i>.php\",\"line\":12,"
        "\"line_approximate\":false}]}"));
    o = guard_sink_buffer(pool);
    guard_crash_render_json_one(&v->items[0], o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(txt, "\"request\":null,"
                                      "\"request_state\":null,"));
    ck_assert_ptr_nonnull(strstr(txt, ",\"php_frames\":null}"));
}
END_TEST

START_TEST(render_php_and_request_state_html)
{
    guard_crash_view_t *v = php_view();
    guard_sink_t *o = guard_sink_buffer(pool);
    const char *txt;

    guard_crash_render_html_one(v, &v->items[1], o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_null(strstr(txt, "<b>"));
    ck_assert_ptr_null(strstr(txt, "<i>.php"));
    ck_assert_ptr_nonnull(strstr(txt, "<tr><th>Request state</th><td>"
                                      "finished (logged)"));
    ck_assert_ptr_nonnull(strstr(txt, "<h3>PHP frames</h3>\n"
        "<ol start=\"0\" class=\"php-frames\">\n"
        "<li><code>strlen</code> <i>internal</i></li>\n"
        "<li><code>c&lt;b&gt;</code> /srv/&lt;i&gt;.php:5</li>\n"
        "<li><code>{main}</code> /srv/&lt;i&gt;.php:12</li>\n</ol>\n"));
    /* Native frames come first. */
    ck_assert(strstr(txt, "<h3>Frames</h3>")
              < strstr(txt, "<h3>PHP frames</h3>"));
    o = guard_sink_buffer(pool);
    guard_crash_render_html_one(v, &v->items[0], o);
    txt = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_null(strstr(txt, "PHP frames"));
    ck_assert_ptr_nonnull(strstr(txt, "<tr><th>Request</th><td>no request"));
}
END_TEST

/* The parent notes a process after fork(): a crash of the new process
 * may be older than its record's start, never older than the end of the
 * slot's previous process. */
START_TEST(proc_since_is_previous_end)
{
    guard_crash_shm_t *c = make_ring(4);
    guard_proc_rec_t *a, *b, *d, *e;

    a = guard_crash_proc_start(c, 0, 100, 0, 1000, 0);
    d = guard_crash_proc_start(c, 1, 101, 0, 1100, 0);
    ck_assert_int_eq(guard_crash_proc_since(c, a), 0);
    ck_assert_int_eq(guard_crash_proc_since(c, d), 0);
    guard_crash_proc_end(a, 2000, GUARD_PROC_CRASHED, SIGSEGV, 1, 0);
    b = guard_crash_proc_start(c, 0, 102, 0, 5000, 0);
    e = guard_crash_proc_start(c, 1, 103, 0, 5100, 0);
    ck_assert_int_eq(guard_crash_proc_since(c, b), 2000);
    ck_assert_int_eq(guard_crash_proc_since(c, e), 0);   /* d runs on */
    ck_assert_int_eq(guard_crash_proc_since(c, a), 0);
}
END_TEST

/* A child may overwrite the whole segment: the parent's own view sizes,
 * indexes and bounds every loop. The segment is malloc'd to its exact
 * size, so that the sanitizer build sees a write past it. */
START_TEST(hostile_header_steers_nothing)
{
    const int cap = 3, children = 2;
    apr_size_t size = guard_crash_shm_size(cap, children);
    void *base = calloc(1, size);
    guard_crash_shm_t c;
    guard_crash_rec_t rec, *slot;
    guard_proc_rec_t *p = NULL;
    char *lo = base, *hi = lo + size;
    int i;

    guard_crash_shm_init(base, cap, children, 1);
    guard_crash_shm_attach(&c, base, cap, children);
    for (i = 0; i < 200; i++) {
        memset(c.hdr, i & 1 ? 0xff : 0x00, sizeof(*c.hdr));
        c.hdr->next = i & 1 ? ~APR_UINT64_C(0) : APR_UINT64_C(1) << 63;
        p = guard_crash_proc_start(&c, i % children, 1000 + i, 0, i, 0);
        ck_assert((char *)p >= lo && (char *)(p + 1) <= hi);
        ck_assert_ptr_eq(guard_crash_proc_find(&c, i % children, 1000 + i),
                         p);
        make_rec(&rec, SIGSEGV, 1000 + i);
        rec.child = i % children;
        guard_crash_publish(&c, &rec, &slot);
        guard_crash_keep_last(&c, &rec);
        ck_assert(guard_crash_last_of(&c, i % children, 1000 + i, &rec));
        guard_crash_read(&c, c.hdr->next, &rec);
    }
    ck_assert_uint_eq(c.proc_next, 200);
    ck_assert_uint_eq(guard_crash_proc_count(&c), 200);
    guard_crash_proc_since(&c, p);
    free(base);
}
END_TEST

START_TEST(query_selectors)
{
    guard_query_t q;

    ck_assert_ptr_null(guard_query_parse(pool, "crash=12&json", &q));
    ck_assert_int_eq(q.crash, 12);
    ck_assert_int_eq(q.child, -1);
    ck_assert_int_eq(q.format, GUARD_FMT_JSON);
    ck_assert_ptr_null(guard_query_parse(pool, "child=0", &q));
    ck_assert_int_eq(q.child, 0);
    ck_assert_int_eq(q.crash, 0);
    ck_assert_ptr_null(guard_query_parse(pool, "crashx=1;children", &q));
    ck_assert_int_eq(q.crash, 0);
    ck_assert_int_eq(q.child, -1);
    ck_assert_ptr_nonnull(guard_query_parse(pool, "crash=0", &q));
    ck_assert_ptr_nonnull(guard_query_parse(pool, "crash=", &q));
    ck_assert_ptr_nonnull(guard_query_parse(pool, "crash", &q));
    ck_assert_ptr_nonnull(guard_query_parse(pool, "child=-1", &q));
    ck_assert_ptr_nonnull(guard_query_parse(pool, "child=1x", &q));
    ck_assert_ptr_nonnull(guard_query_parse(pool,
                          "crash=99999999999999999999999", &q));
}
END_TEST

Suite *guard_crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("crash");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ring_keeps_newest);
    tcase_add_test(tc, ring_older_never_overwrites_newer);
    tcase_add_test(tc, ring_in_progress_is_shown);
    tcase_add_test(tc, ring_dead_writer_is_taken_over);
    tcase_add_test(tc, last_per_child);
    tcase_add_test(tc, ring_concurrent_writers);
    tcase_add_test(tc, frames_and_groups);
    tcase_add_test(tc, names);
    tcase_add_test(tc, cbuf_bounded);
    tcase_add_test(tc, cbuf_time);
    tcase_add_test(tc, headline);
    tcase_add_test(tc, headline_tiny_buffer);
    tcase_add_test(tc, report_lines_tagged);
    tcase_add_test(tc, php_lines);
    tcase_add_test(tc, headline_finished_request);
    tcase_add_test(tc, php_frames_in_record);
    tcase_add_test(tc, render_php_and_request_state_json);
    tcase_add_test(tc, render_php_and_request_state_html);
    tcase_add_test(tc, symbolize_dladdr);
    tcase_add_test(tc, where_places_addresses);
    tcase_add_test(tc, view_and_render);
    tcase_add_test(tc, proc_since_is_previous_end);
    tcase_add_test(tc, query_selectors);
    tcase_add_test(tc, hostile_header_steers_nothing);
    suite_add_tcase(s, tc);
    return s;
}
