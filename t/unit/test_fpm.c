/* SPDX-License-Identifier: Apache-2.0 */
/* PHP-FPM: GuardFpmStatus addresses, the FastCGI client's records, FPM's
 * JSON, safe copies, the join, and one read against fake peers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "guard_unit.h"
#include "guard_fpm.h"
#include "guard_fpm_client.h"
#include "guard_fpm_fcgi.h"
#include "guard_fpm_json.h"
#include "guard_status_fpm.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* What php-fpm 8.2 answered (one worker idle, one serving the status). */
static const char sample[] =
    "{\"pool\":\"www\",\"process manager\":\"static\",\"start time\":1796651132,"
    "\"start since\":1,\"accepted conn\":2,\"listen queue\":0,"
    "\"max listen queue\":0,\"listen queue len\":0,\"idle processes\":1,"
    "\"active processes\":1,\"total processes\":2,"
    "\"max active processes\":1,\"max children reached\":0,"
    "\"slow requests\":0, \"processes\":[{\"pid\":9677,\"state\":\"Idle\","
    "\"start time\":1796651132,\"start since\":1,\"requests\":1,"
    "\"request duration\":417,\"request method\":\"GET\","
    "\"request uri\":\"\\/status?json\",\"content length\":0,\"user\":\"-\","
    "\"script\":\"-\",\"last request cpu\":12.5,"
    "\"last request memory\":2097152},{\"pid\":9680,\"state\":\"Running\","
    "\"start time\":1796651132,\"start since\":1,\"requests\":1,"
    "\"request duration\":3200000,\"request method\":\"GET\","
    "\"request uri\":\"\\/sleep.php?t=9&x=<b>\",\"content length\":0,"
    "\"user\":\"-\",\"script\":\"\\/srv\\/sleep.php\","
    "\"last request cpu\":0.00,\"last request memory\":0}]}";

static const char *const addr_ok[][3] = {
    { "unix:/run/php/php8.2-fpm.sock", NULL, "/status" },
    { "127.0.0.1:9000", "/fpm-status", "/fpm-status" },
    { "[::1]:9000", NULL, "/status" },
};

START_TEST(addr_valid)
{
    guard_fpm_addr_t a;

    ck_assert_ptr_null(guard_fpm_addr_parse(addr_ok[_i][0], addr_ok[_i][1],
                                            &a));
    ck_assert_str_eq(a.address, addr_ok[_i][0]);
    ck_assert_str_eq(a.path, addr_ok[_i][2]);
}
END_TEST

static const char *const addr_bad[][2] = {
    { "unix:run/php.sock", NULL }, { "unix:", NULL }, { "127.0.0.1", NULL },
    { "127.0.0.1:0", NULL }, { "127.0.0.1:65536", NULL },
    { "localhost:9000", NULL }, { "127.0.0.1:9x", NULL }, { ":9000", NULL },
    { "::1:9000", NULL }, { "127.0.0.1:9000", "status" },
    { "127.0.0.1:9000", "/status?full" }, { "127.0.0.1:9000", "/a b" },
    { "unix:/x.sock", "/\x01" }, { "", NULL },
};

START_TEST(addr_invalid)
{
    guard_fpm_addr_t a;

    ck_assert_ptr_nonnull(guard_fpm_addr_parse(addr_bad[_i][0],
                                               addr_bad[_i][1], &a));
}
END_TEST

/* A reply of STDOUT records (chunks of at most step bytes, padded), a
 * STDERR one and END_REQUEST. */
static apr_size_t make_reply(unsigned char *buf, const char *out,
                             apr_size_t step, unsigned type_end)
{
    apr_size_t n = strlen(out), off = 0, len = 0;

    while (off < n) {
        apr_size_t k = n - off < step ? n - off : step;
        unsigned char h[8] = { 1, GUARD_FCGI_STDOUT, 0, 1, (unsigned char)(k >> 8),
                               (unsigned char)k, 3, 0 };

        memcpy(buf + len, h, 8);
        memcpy(buf + len + 8, out + off, k);
        memset(buf + len + 8 + k, 'P', 3);
        len += 8 + k + 3;
        off += k;
    }
    memcpy(buf + len, "\1\7\0\1\0\2\0\0ab", 10);
    len += 10;
    memcpy(buf + len, "\1\0\0\1\0\10\0\0\0\0\0\0\0\0\0\0", 16);
    buf[len + 1] = (unsigned char)type_end;
    return len + 16;
}

START_TEST(fcgi_reply_any_split)
{
    static unsigned char buf[8192];
    char out[4096];
    apr_size_t n = make_reply(buf, "Content-Type: x\r\n\r\n{}", 5,
                              GUARD_FCGI_END_REQUEST), i;
    guard_fcgi_reply_t r;
    int rv = 0;

    /* byte by byte */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    for (i = 0; i < n && rv == 0; i++) {
        rv = guard_fcgi_reply_feed(&r, buf + i, 1);
    }
    ck_assert_int_eq(rv, 1);
    ck_assert_uint_eq(r.out_len, 21);
    ck_assert_uint_eq(r.stderr_bytes, 2);
    /* at once */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), 1);
    ck_assert(!memcmp(out, "Content-Type: x\r\n\r\n{}", 21));
}
END_TEST

START_TEST(fcgi_reply_hostile)
{
    static unsigned char buf[8192];
    char out[16];
    guard_fcgi_reply_t r;
    apr_size_t n;

    n = make_reply(buf, "abc", 100, GUARD_FCGI_END_REQUEST);
    buf[0] = 'H';                 /* "HTTP/1.0 ..." */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), -1);
    buf[0] = 1, buf[3] = 2;       /* another request id */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), -1);
    n = make_reply(buf, "abc", 100, 9);   /* unknown type */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), -1);
    n = make_reply(buf, "0123456789abcdefXYZ", 100, GUARD_FCGI_END_REQUEST);
    guard_fcgi_reply_init(&r, out, sizeof(out));  /* over the limit */
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), -1);
    ck_assert_str_eq(r.error, "reply larger than the limit");
    n = make_reply(buf, "abc", 100, GUARD_FCGI_END_REQUEST);
    guard_fcgi_reply_init(&r, out, sizeof(out));  /* cut short */
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n - 3), 0);
    buf[n - 11] = 7;              /* END_REQUEST of 7 bytes */
    guard_fcgi_reply_init(&r, out, sizeof(out));
    ck_assert_int_eq(guard_fcgi_reply_feed(&r, buf, n), -1);
}
END_TEST

START_TEST(fcgi_request_records)
{
    unsigned char buf[1024];
    apr_size_t n = guard_fcgi_request("/status", "full&json", buf,
                                      sizeof(buf)), off = 0;
    int types[8], nt = 0;

    ck_assert_uint_gt(n, 0);
    while (off + 8 <= n && nt < 8) {
        types[nt++] = buf[off + 1];
        ck_assert_int_eq(buf[off], 1);
        off += 8 + ((apr_size_t)buf[off + 4] << 8 | buf[off + 5]) + buf[off + 6];
    }
    ck_assert_uint_eq(off, n);
    ck_assert_int_eq(nt, 4);
    ck_assert_int_eq(types[0], GUARD_FCGI_BEGIN_REQUEST);
    ck_assert_int_eq(types[1], GUARD_FCGI_PARAMS);
    ck_assert_int_eq(types[3], GUARD_FCGI_STDIN);
    ck_assert(memmem(buf, n, "REQUEST_URI/status?full&json", 28) != NULL);
    ck_assert_uint_eq(guard_fcgi_request("/status", "x", buf, 40), 0);
}
END_TEST

START_TEST(fcgi_body_status)
{
    const char ok[] = "X-Powered-By: PHP\r\nContent-Type: a\r\n\r\n{}";
    const char nf[] = "Status: 404 Not Found\r\n\r\nFile not found.\n";
    const char *body;
    apr_size_t blen;
    char err[GUARD_FPM_ERR_LEN];

    ck_assert_ptr_null(guard_fcgi_body(ok, strlen(ok), &body, &blen, err,
                                       sizeof(err)));
    ck_assert_uint_eq(blen, 2);
    ck_assert_str_eq(guard_fcgi_body(nf, strlen(nf), &body, &blen, err,
                                     sizeof(err)),
                     "status page answered 404 Not Found");
    ck_assert_ptr_nonnull(guard_fcgi_body("{}", 2, &body, &blen, err,
                                          sizeof(err)));
}
END_TEST

START_TEST(json_sample)
{
    guard_fpm_counts_t c;
    guard_fpm_proc_t p[4];

    ck_assert_ptr_null(guard_fpm_json_parse(sample, strlen(sample), &c, p,
                                            4));
    ck_assert_str_eq(c.name, "www");
    ck_assert_str_eq(c.pm, "static");
    ck_assert_int_eq(c.total, 2);
    ck_assert_int_eq(c.active, 1);
    ck_assert_uint_eq(c.nprocs, 2);
    ck_assert_int_eq(p[0].pid, 9677);
    ck_assert_int_eq(p[0].state, GUARD_FPM_IDLE);
    ck_assert_int_eq(p[0].cpu_centi, 1250);
    ck_assert_str_eq(p[0].uri, "/status?json");
    ck_assert_int_eq(p[1].state, GUARD_FPM_RUNNING);
    ck_assert_int_eq(p[1].duration_us, 3200000);
    ck_assert_str_eq(p[1].uri, "/sleep.php?t=9&x=<b>");
    ck_assert_str_eq(p[1].script, "/srv/sleep.php");
    /* one kept, both counted */
    ck_assert_ptr_null(guard_fpm_json_parse(sample, strlen(sample), &c, p,
                                            1));
    ck_assert_uint_eq(c.nprocs, 1);
    ck_assert_uint_eq(c.procs_total, 2);
}
END_TEST

static const char *const json_bad[] = {
    "", "{", "[]", "{\"pool\":\"a\"", "{\"pool\":\"a\"}x",
    "{\"pool\":\"a\",\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}",
    "{\"pool\":\"a\\q\"}", "{\"pool\":\"a\x01\"}", "{\"pool\":\"\\u12\"}",
    "{\"pool\":\"a\",\"listen queue\":1e9}", "{\"pool\":\"a\",\"idle processes\":-}",
    "{\"pool\":\"a\",\"processes\":[{\"pid\":1},]}", "{\"x\":1}",
    "{\"pool\":\"a\",\"processes\":{}}", "{\"pool\":\"a\",\"y\":tru}",
};

START_TEST(json_hostile)
{
    guard_fpm_counts_t c;
    guard_fpm_proc_t p[2];

    ck_assert_ptr_nonnull(guard_fpm_json_parse(json_bad[_i],
                                               strlen(json_bad[_i]), &c, p,
                                               2));
}
END_TEST

START_TEST(json_strings_cut_and_escaped)
{
    char doc[2048];
    guard_fpm_counts_t c;
    guard_fpm_proc_t p[1];
    char longname[300];

    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    snprintf(doc, sizeof(doc), "{\"pool\":\"%s\",\"processes\":[{\"pid\":"
             "99999999999999999999,\"request uri\":\"\\u0000\\n\\ud800\\u00e9\","
             "\"state\":\"Sleeping\",\"request duration\":-5,"
             "\"last request cpu\":99999999999999999999.99}]}", longname);
    ck_assert_ptr_null(guard_fpm_json_parse(doc, strlen(doc), &c, p, 1));
    ck_assert_uint_eq(strlen(c.name), sizeof(c.name) - 1);
    ck_assert_str_eq(p[0].uri, "???\xc3\xa9");
    ck_assert_int_eq(p[0].pid, 0);
    ck_assert_int_eq(p[0].state, GUARD_FPM_OTHER);
}
END_TEST

START_TEST(sane_record)
{
    static guard_fpm_pool_t r;

    memset(&r, 0x7f, sizeof(r));
    r.counts.nprocs = 1000000;
    r.procs[0].state = 99;
    r.status = 42;
    guard_fpm_sane(&r);
    ck_assert_uint_eq(r.counts.nprocs, GUARD_FPM_WORKERS);
    ck_assert_uint_eq(r.procs[0].state, GUARD_FPM_OTHER);
    ck_assert_uint_eq(r.status, GUARD_FPM_FAILED);
    ck_assert_uint_lt(strlen(r.procs[GUARD_FPM_WORKERS - 1].uri), GUARD_URI_LEN);
    ck_assert_uint_lt(strlen(r.error), GUARD_FPM_ERR_LEN);
    ck_assert_int_le(r.procs[0].duration_us, APR_INT64_C(1) << 53);
}
END_TEST

START_TEST(full_and_stuck)
{
    guard_fpm_counts_t c;
    guard_fpm_proc_t w;

    memset(&c, 0, sizeof(c));
    strcpy(c.pm, "static");
    c.total = 4, c.active = 4;
    ck_assert(guard_fpm_full(&c));
    c.active = 3;
    ck_assert(!guard_fpm_full(&c));
    strcpy(c.pm, "dynamic");
    c.max_children_reached = 1, c.listen_queue = 2;
    ck_assert(guard_fpm_full(&c));
    c.listen_queue = 0;
    ck_assert(!guard_fpm_full(&c));
    memset(&w, 0, sizeof(w));
    w.state = GUARD_FPM_RUNNING, w.duration_us = 2000001;
    ck_assert(guard_fpm_proc_stuck(&w, apr_time_from_sec(2)));
    w.state = GUARD_FPM_IDLE;
    ck_assert(!guard_fpm_proc_stuck(&w, apr_time_from_sec(2)));
}
END_TEST

static void proc(guard_fpm_proc_t *w, int pid, const char *uri,
                 apr_int64_t dur)
{
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->state = GUARD_FPM_RUNNING;
    strcpy(w->method, "GET");
    strcpy(w->uri, uri);
    w->duration_us = dur;
}

START_TEST(join_rules)
{
    const apr_time_t now = apr_time_from_sec(1000);
    guard_fpm_proc_t p[4];
    guard_fpm_waiter_t w[3];

    proc(&p[0], 10, "/a.php?x=1", apr_time_from_sec(5));
    proc(&p[1], 11, "/b.php", apr_time_from_sec(3));
    proc(&p[2], 12, "/b.php", apr_time_from_sec(3));
    proc(&p[3], 13, "/c.php?s=1", apr_time_from_sec(1));
    memset(w, 0, sizeof(w));
    w[0].method = "GET", w[0].uri = "/a.php?x=1";
    w[0].req_start = now - apr_time_from_sec(5);
    w[1].method = "GET", w[1].uri = "/b.php";
    w[1].req_start = now - apr_time_from_sec(3);
    w[2].method = "GET", w[2].uri = "/c.php?...";  /* query hidden */
    w[2].req_start = now - apr_time_from_sec(1);
    guard_fpm_join(p, 4, now, w, 3);
    ck_assert_int_eq(w[0].fpm, 0);
    ck_assert_int_eq(w[1].fpm, -1);
    ck_assert(w[1].ambiguous);
    ck_assert_int_eq(w[2].fpm, 3);
    /* An FPM request that began before the httpd one is not its. */
    w[0].req_start = now - apr_time_from_sec(2);
    guard_fpm_join(p, 4, now, w, 1);
    ck_assert_int_eq(w[0].fpm, -1);
    ck_assert(!w[0].ambiguous);
    /* One FPM worker fits two waiters: neither is joined. */
    w[0].req_start = w[1].req_start = now - apr_time_from_sec(9);
    w[1].uri = "/a.php?x=1";
    guard_fpm_join(p, 4, now, w, 2);
    ck_assert_int_eq(w[0].fpm, -1);
    ck_assert_int_eq(w[1].fpm, -1);
    ck_assert(w[0].ambiguous && w[1].ambiguous);
}
END_TEST

/* Queries hidden: the path alone cannot tell /p.php?n=1 from ?n=2; their
 * hashes can. A hash that fits none is joined by the path alone, as
 * without a hash: FPM cuts a long query, a rewrite may change it. */
START_TEST(join_by_query_hash)
{
    const apr_time_t now = apr_time_from_sec(1000);
    guard_fpm_proc_t p[3];
    guard_fpm_waiter_t w[2];

    proc(&p[0], 10, "/p.php?n=1", apr_time_from_sec(3));
    proc(&p[1], 11, "/p.php?n=2", apr_time_from_sec(3));
    proc(&p[2], 12, "/p.php", apr_time_from_sec(3));
    memset(w, 0, sizeof(w));
    w[0].method = w[1].method = "GET";
    w[0].uri = w[1].uri = "/p.php?...";
    w[0].req_start = w[1].req_start = now - apr_time_from_sec(3);
    guard_fpm_join(p, 3, now, w, 2);
    ck_assert(w[0].ambiguous && w[1].ambiguous);
    w[0].query_hash = guard_fpm_query_hash("n=2", 3);
    w[1].query_hash = guard_fpm_query_hash("n=1", 3);
    guard_fpm_join(p, 3, now, w, 2);
    ck_assert_int_eq(w[0].fpm, 1);
    ck_assert_int_eq(w[1].fpm, 0);
    ck_assert(!w[0].ambiguous && !w[1].ambiguous);
    w[0].query_hash = guard_fpm_query_hash("n=3", 3);
    guard_fpm_join(p, 3, now, w, 1);
    ck_assert_int_eq(w[0].fpm, -1);
    ck_assert(w[0].ambiguous);
    /* One worker on the path, its query cut by FPM: joined by the path. */
    proc(&p[0], 10, "/p.php?n=1234567", apr_time_from_sec(3));
    w[0].query_hash = guard_fpm_query_hash("n=1234567890", 12);
    guard_fpm_join(p, 1, now, w, 1);
    ck_assert_int_eq(w[0].fpm, 0);
    ck_assert(!w[0].ambiguous);
    ck_assert_uint_ne(guard_fpm_query_hash("", 0), 0);
}
END_TEST

/* A fake peer on a unix socket: mode 0 says nothing, 1 answers reply. */
typedef struct {
    int lfd;
    int mode;
    const char *reply;
    apr_size_t len;
} peer_t;

static void *peer_main(void *arg)
{
    peer_t *pe = arg;
    char buf[2048];
    int c = accept(pe->lfd, NULL, NULL);

    if (c >= 0) {
        (void)!read(c, buf, sizeof(buf));
        if (pe->mode == 1) {
            (void)!write(c, pe->reply, pe->len);
        }
        usleep(400000);
        close(c);
    }
    return NULL;
}

static const char *fetch_from(peer_t *pe, const char *path, int listen_it,
                              guard_fpm_pool_t *p, char *err)
{
    static char buf[65536];
    guard_fpm_io_t io = { buf, sizeof(buf), apr_time_from_msec(150) };
    struct sockaddr_un un = { AF_UNIX };
    guard_fpm_addr_t a;
    apr_size_t bytes;
    pthread_t t;
    char spec[128];
    const char *why;

    unlink(path);
    snprintf(spec, sizeof(spec), "unix:%s", path);
    ck_assert_ptr_null(guard_fpm_addr_parse(spec, NULL, &a));
    if (!listen_it) {
        return guard_fpm_fetch(&a, &io, p, &bytes, err, GUARD_FPM_ERR_LEN);
    }
    pe->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(un.sun_path, path);
    ck_assert_int_eq(bind(pe->lfd, (struct sockaddr *)&un, sizeof(un)), 0);
    listen(pe->lfd, 4);
    pthread_create(&t, NULL, peer_main, pe);
    why = guard_fpm_fetch(&a, &io, p, &bytes, err, GUARD_FPM_ERR_LEN);
    pthread_join(t, NULL);
    close(pe->lfd);
    unlink(path);
    return why;
}

START_TEST(fetch_peers)
{
    static guard_fpm_pool_t p;
    static unsigned char reply[8192];
    char err[GUARD_FPM_ERR_LEN], body[4096], path[64];
    peer_t pe = { -1, 0, NULL, 0 };
    apr_time_t t0;

    snprintf(path, sizeof(path), "/tmp/guard-unit-fpm-%d.sock", (int)getpid());
    ck_assert_str_eq(fetch_from(&pe, path, 0, &p, err) ? "fail" : "ok",
                     "fail");
    t0 = apr_time_now();
    ck_assert_str_eq(fetch_from(&pe, path, 1, &p, err), "no answer in time");
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_msec(1000));
    snprintf(body, sizeof(body), "Content-Type: application/json\r\n\r\n%s",
             sample);
    pe.mode = 1;
    pe.len = make_reply(reply, body, 1000, GUARD_FCGI_END_REQUEST);
    pe.reply = (const char *)reply;
    ck_assert_ptr_null(fetch_from(&pe, path, 1, &p, err));
    ck_assert_int_eq(p.procs[1].pid, 9680);
    pe.reply = "HTTP/1.0 200 OK\r\n\r\n";
    pe.len = strlen(pe.reply);
    ck_assert_str_eq(fetch_from(&pe, path, 1, &p, err),
                     "not FastCGI (bad version byte)");
}
END_TEST

START_TEST(render_escapes)
{
    apr_pool_t *pool;
    static guard_fpm_pool_t rec;
    guard_fpm_addr_t a;
    guard_fpm_totals_t t = { 3, 1, 100, 5 };
    guard_snapshot_t snap;
    guard_fpm_view_t *v;
    guard_sink_t *o;
    const char *out;

    apr_pool_create(&pool, NULL);
    memset(&snap, 0, sizeof(snap));
    snap.now = apr_time_from_sec(1000);
    snap.server.stuck_threshold = apr_time_from_sec(2);
    guard_fpm_addr_parse("unix:/run/x.sock", NULL, &a);
    guard_fpm_json_parse(sample, strlen(sample), &rec.counts, rec.procs,
                         GUARD_FPM_WORKERS);
    rec.status = GUARD_FPM_OK;
    rec.last_ok = rec.last_try = apr_time_from_sec(999);
    v = guard_fpm_view_take(pool, &rec, &a, 1, &t, &snap,
                            apr_time_from_sec(1));
    ck_assert_int_eq(v->stuck, 1);
    o = guard_sink_buffer(pool);
    guard_fpm_render_html(v, &snap, o);
    out = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_null(strstr(out, "<b>"));
    ck_assert_ptr_nonnull(strstr(out, "x=&lt;b&gt;"));
    o = guard_sink_buffer(pool);
    guard_fpm_render_json(v, &snap, o);
    out = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(out, "\"pid\":9680,\"state\":\"Running\""));
    ck_assert_ptr_nonnull(strstr(out, "\"stuck\":1"));
    o = guard_sink_buffer(pool);
    guard_fpm_render_prometheus(v, o);
    out = guard_sink_buffer_data(o, NULL);
    ck_assert_ptr_nonnull(strstr(out, "guard_fpm_stuck_workers{address=\"unix:/run/x.sock\",pool=\"www\"} 1"));
    apr_pool_destroy(pool);
}
END_TEST

Suite *guard_fpm_suite(void)
{
    Suite *s = suite_create("fpm");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, addr_valid, 0, COUNT(addr_ok));
    tcase_add_loop_test(tc, addr_invalid, 0, COUNT(addr_bad));
    tcase_add_test(tc, fcgi_reply_any_split);
    tcase_add_test(tc, fcgi_reply_hostile);
    tcase_add_test(tc, fcgi_request_records);
    tcase_add_test(tc, fcgi_body_status);
    tcase_add_test(tc, json_sample);
    tcase_add_loop_test(tc, json_hostile, 0, COUNT(json_bad));
    tcase_add_test(tc, json_strings_cut_and_escaped);
    tcase_add_test(tc, sane_record);
    tcase_add_test(tc, full_and_stuck);
    tcase_add_test(tc, join_rules);
    tcase_add_test(tc, join_by_query_hash);
    tcase_add_test(tc, fetch_peers);
    tcase_add_test(tc, render_escapes);
    suite_add_tcase(s, tc);
    return s;
}
