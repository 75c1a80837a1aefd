/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crash parts of the status pages, every format, from a crash view
 * made by hand, against t/unit/golden/status_crash.txt byte for byte.
 * GUARD_UNIT_GOLDEN_WRITE=1 writes that file instead, for a change of the
 * output that is meant.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_crash_view.h"
#include "guard_status_crash.h"
#include "guard_status_pages.h"

#define NOW    apr_time_from_sec(1700000000)
#define GOLDEN GUARD_UNIT_SRCDIR "/t/unit/golden/status_crash.txt"

static apr_pool_t *pool;
static guard_crash_view_t view;
static guard_crash_item_t items[4];
static guard_frame_sym_t syms0[3], syms2[1];
static guard_crash_group_view_t groups[2];
static guard_proc_rec_t procs[4];

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static void set_sym(guard_frame_sym_t *f, int kind, const char *module,
                    apr_uint64_t offset, const char *function,
                    apr_uint64_t func_offset)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->resolved = module != NULL;
    apr_cpystrn(f->module, module ? module : "", sizeof(f->module));
    f->offset = offset;
    apr_cpystrn(f->function, function ? function : "", sizeof(f->function));
    f->func_offset = func_offset;
}

static void set_req(guard_crash_rec_t *r, const char *uri)
{
    r->req_start = r->when - apr_time_from_msec(1500);
    r->elapsed_ms = 1500;
    apr_cpystrn(r->req.method, "POST", sizeof(r->req.method));
    apr_cpystrn(r->req.uri, uri, sizeof(r->req.uri));
    apr_cpystrn(r->req.protocol, "HTTP/2.0", sizeof(r->req.protocol));
    apr_cpystrn(r->req.vhost, "ev\"il\\host", sizeof(r->req.vhost));
    apr_cpystrn(r->req.client, "192.0.2.7", sizeof(r->req.client));
}

/* A fault in a request, named, with PHP frames. */
static void item_segv(guard_crash_item_t *it)
{
    guard_crash_rec_t *r = &it->rec;

    r->id = 5;
    r->when = NOW - apr_time_from_sec(42) - 123456;
    r->pid = 2213;
    r->tid = 2214;
    r->child = 0;
    r->thread = 2;
    r->generation = 3;
    r->signo = SIGSEGV;
    r->si_code = SEGV_MAPERR;
    r->handler_us = 1234;
    r->signature = APR_UINT64_C(0x00ab12cd34ef5678);
    r->flags = GUARD_CRASHF_REQUEST | GUARD_CRASHF_FRAMES | GUARD_CRASHF_PHP;
    r->nframes = 3;
    set_req(r, "/<script>alert(\"x\")</script>?a=1&b='2'");
    r->nphp = 2;
    guard_unit_php_frame(&r->php[0], "strlen", "", 0, GUARD_PHPF_INTERNAL);
    guard_unit_php_frame(&r->php[1], "Svc::<b>run", "/srv/x<i>.php", 10,
                         GUARD_PHPF_LINE_APPROX);
    it->complete = 1;
    it->symbolized = 1;
    set_sym(&it->addr_sym, GUARD_AT_NULL, NULL, 0x8, NULL, 0);
    set_sym(&it->ip_sym, GUARD_AT_MODULE,
            "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x9d1f3, "__strlen_avx2",
            0x13);
    syms0[0] = it->ip_sym;
    set_sym(&syms0[1], GUARD_AT_MODULE, "/usr/lib/apache2/modules/mod_<x>.so",
            0x1a2b, NULL, 0);
    set_sym(&syms0[2], GUARD_AT_NONE, NULL, 0, NULL, 0);
    it->syms = syms0;
}

/* abort() after a finished request: sent, minimal, no frames. */
static void item_abrt(guard_crash_item_t *it)
{
    guard_crash_rec_t *r = &it->rec;

    r->id = 4;
    r->when = NOW - apr_time_from_sec(7300);
    r->pid = 2213;
    r->tid = 2213;
    r->child = 1;
    r->thread = 0;
    r->generation = 2;
    r->signo = SIGABRT;
    r->si_code = SI_TKILL;
    r->handler_us = -1;
    r->flags = GUARD_CRASHF_REQUEST | GUARD_CRASHF_REQ_DONE
        | GUARD_CRASHF_SENT | GUARD_CRASHF_MINIMAL | GUARD_CRASHF_PHP;
    set_req(r, "/done");
    it->complete = 0;
    it->symbolized = 0;
    set_sym(&it->addr_sym, GUARD_AT_NONE, NULL, 0, NULL, 0);
    set_sym(&it->ip_sym, GUARD_AT_NONE, NULL, 0, NULL, 0);
}

/* A signal and code without names, no request, from before a restart,
 * at a time no clock shows. */
static void item_odd(guard_crash_item_t *it)
{
    guard_crash_rec_t *r = &it->rec;

    r->id = 3;
    r->when = -apr_time_from_sec(86400) - 1234;
    r->pid = 99;
    r->tid = 100;
    r->child = 1;
    r->thread = -1;
    r->signo = 99;
    r->si_code = 77;
    r->elapsed_ms = -1;
    r->handler_us = 0;
    r->flags = GUARD_CRASHF_NO_SLOT | GUARD_CRASHF_NESTED
        | GUARD_CRASHF_LIMIT | GUARD_CRASHF_FRAMES;
    r->nframes = 1;
    it->complete = 1;
    it->symbolized = 0;
    set_sym(&it->addr_sym, GUARD_AT_MODULE, "/opt/a b/lib&.so", 0x10, NULL,
            0);
    set_sym(&it->ip_sym, GUARD_AT_NONE, NULL, 0, NULL, 0);
    set_sym(&syms2[0], GUARD_AT_MODULE, "/opt/a b/lib&.so", 0x20, NULL, 0);
    it->syms = syms2;
}

/* Not a crash: GuardStuckTimeout ended the process, its wait in words. */
static void item_stuck(guard_crash_item_t *it)
{
    guard_crash_rec_t *r = &it->rec;

    r->id = 6;
    r->when = NOW - apr_time_from_sec(3);
    r->pid = 2400;
    r->tid = 2400;
    r->child = 0;
    r->thread = 0;
    r->generation = 3;
    r->handler_us = 0;
    r->flags = GUARD_CRASHF_STUCK | GUARD_CRASHF_SENT | GUARD_CRASHF_REQUEST
        | GUARD_CRASHF_PHP;
    r->stuck_timeout_ms = 2000;
    set_req(r, "/flock.php");
    apr_cpystrn(r->wait, "flock on /tmp/<held>", sizeof(r->wait));
    r->nphp = 1;
    apr_cpystrn(r->php[0].function, "flock", sizeof(r->php[0].function));
    it->complete = 1;
    it->symbolized = 1;
    set_sym(&it->addr_sym, GUARD_AT_NONE, NULL, 0, NULL, 0);
    set_sym(&it->ip_sym, GUARD_AT_NONE, NULL, 0, NULL, 0);
}

static void groups_and_procs(guard_crash_view_t *v)
{
    groups[0].key = APR_UINT64_C(0x00ab12cd34ef5678);
    groups[0].count = 3;
    groups[0].last_id = 5;
    groups[0].last_time = items[0].rec.when;
    groups[0].signo = SIGSEGV;
    groups[0].nframes = 3;
    memcpy(groups[0].syms, syms0, sizeof(syms0));
    groups[1].key = 1;
    groups[1].count = 1;
    groups[1].last_id = 3;
    groups[1].last_time = NOW + apr_time_from_sec(5);
    groups[1].signo = 99;
    groups[1].nframes = 0;
    procs[0] = (guard_proc_rec_t){ 0, 0, 2300, 0, 3, GUARD_PROC_RUNNING, 0,
                                   0, NOW - apr_time_from_sec(40), 0, 0, 0 };
    procs[1] = (guard_proc_rec_t){ 0, 0, 2213, 0, 3, GUARD_PROC_CRASHED,
                                   SIGSEGV, 1, NOW - apr_time_from_sec(4000),
                                   NOW - apr_time_from_sec(42), 10, 17 };
    procs[2] = (guard_proc_rec_t){ 0, 0, 2100, 1, 2, GUARD_PROC_EXITED, 0,
                                   0, NOW - apr_time_from_sec(9000),
                                   NOW - apr_time_from_sec(3599), 0, 250 };
    procs[3] = (guard_proc_rec_t){ 0, 0, 2400, 0, 3, GUARD_PROC_ENDED, 0,
                                   0, NOW - apr_time_from_sec(60),
                                   NOW - apr_time_from_sec(3), 0, 4 };
    v->ngroups = 2;
    v->groups = groups;
    v->nprocs = 4;
    v->procs = procs;
}

static const guard_crash_view_t *make_view(void)
{
    guard_crash_view_t *v = &view;
    static const apr_uint64_t by_signal[GUARD_CSIG_MAX] = { 3, 0, 0, 0, 1, 1 };

    memset(v, 0, sizeof(*v));
    memset(items, 0, sizeof(items));
    v->now = NOW;
    v->generation = 3;
    v->capacity = 64;
    v->total = 6;
    v->crashes = 5;
    v->stuck_ends = 1;
    memcpy(v->by_signal, by_signal, sizeof(by_signal));
    v->rate_1m = 2;
    item_segv(&items[0]);
    item_abrt(&items[1]);
    item_odd(&items[2]);
    item_stuck(&items[3]);
    v->nitems = 4;
    v->items = items;
    groups_and_procs(v);
    return v;
}

static void part(guard_sink_t *o, const char *name)
{
    guard_printf(o, "\n==== %s ====\n", name);
}

static void render_html(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_crash_view_t *v = s->crash;
    int i;

    part(o, "html");
    guard_crash_render_html(v, o);
    for (i = 0; i < v->nitems; i++) {
        part(o, "html one");
        guard_crash_render_html_one(v, &v->items[i], o);
    }
    part(o, "html child 0");
    guard_crash_render_html_child(v, 0, o);
    part(o, "html child 1");
    guard_crash_render_html_child(v, 1, o);
    part(o, "html crash page");
    guard_render_crash_page(s, &v->items[0], 0, o);
}

static void render_json(const guard_snapshot_t *s, guard_sink_t *o)
{
    const guard_crash_view_t *v = s->crash;
    int i;

    part(o, "json");
    guard_crash_render_json(v, o);
    for (i = 0; i < 2; i++) {
        part(o, "json procs");
        guard_crash_render_json_procs(v, i, o);
        part(o, "json child");
        guard_crash_render_json_child(v, i, o);
    }
    part(o, "json crash page");
    guard_render_crash_page(s, &v->items[2], 1, o);
    part(o, "json times");
    guard_put_json_time(o, 0);
    guard_put_json_time(o, NOW + 999999);
    guard_put_json_time(o, APR_INT64_MAX);
    guard_put_json_time(o, -1);
    guard_put_json_time(o, -apr_time_from_sec(1) - 5);
}

static const char *render_all(apr_size_t *len)
{
    const guard_crash_view_t *v = make_view();
    guard_sink_t *o = guard_sink_buffer(pool);
    guard_snapshot_t s;

    memset(&s, 0, sizeof(s));
    s.crash = v;
    render_html(&s, o);
    render_json(&s, o);
    part(o, "prometheus");
    guard_crash_render_prometheus(v, o);
    part(o, "auto");
    guard_crash_render_auto(v, o);
    return guard_sink_buffer_data(o, len);
}

static char *read_golden(apr_size_t *len)
{
    FILE *f = fopen(GOLDEN, "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", GOLDEN);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = apr_palloc(pool, (apr_size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

START_TEST(every_format_as_golden)
{
    apr_size_t len, glen, i;
    const char *out = render_all(&len);
    const char *golden;

    if (getenv("GUARD_UNIT_GOLDEN_WRITE")) {
        FILE *f = fopen(GOLDEN, "wb");

        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(out, 1, len, f), len);
        fclose(f);
    }
    golden = read_golden(&glen);
    for (i = 0; i < len && i < glen && out[i] == golden[i]; i++) {
    }
    ck_assert_msg(i == len && i == glen, "differs from %s at byte %lu: %.80s",
                  GOLDEN, (unsigned long)i, out + (i < len ? i : len));
}
END_TEST

Suite *guard_status_crash_suite(void)
{
    Suite *s = suite_create("status_crash");
    TCase *tc = tcase_create("render");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_format_as_golden);
    suite_add_tcase(s, tc);
    return s;
}
