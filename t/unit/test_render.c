/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The renderers, fed with a snapshot made by hand: hostile request data
 * must come out escaped in every format, and each format must stay valid.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_status_auto.h"
#include "guard_status_html.h"
#include "guard_status_json.h"
#include "guard_status_prom.h"
#include "guard_wait.h"
#include "guard_syscall.h"

#define HOSTILE_URI   "/<script>alert(\"x\")</script>"
#define HOSTILE_VHOST "ev\"il\\host"
#define NOW           apr_time_from_sec(1700000000)

static apr_pool_t *pool;
static guard_sink_t *out;
static guard_snapshot_t snap;

/* workers[0]'s stacks: an internal function on top, hostile names. */
static guard_php_frame_t php0[2] = {
    { 0, GUARD_PHPF_INTERNAL, "fread", "" },
    { 10, GUARD_PHPF_LINE_APPROX, "Svc::<b>\"x\"", "/x<i>.php" }
};
static guard_native_frame_t native0[1] = {
    { 0x10a3f1, 3, 0, { 0x00, 0xff, 0x7a }, "libc.so.6", "__poll" }
};
static guard_stack_view_t stack0 = {
    APR_INT64_C(1700000000000000),
    GUARD_STACKF_PHP_COMPLETE | GUARD_STACKF_PHP_STABLE
    | GUARD_STACKF_NATIVE_COMPLETE | GUARD_STACKF_NATIVE_STABLE,
    GUARD_PHP_OK, GUARD_NATIVE_END, 2, 1, php0, native0
};
static guard_worker_view_t workers[6];
static guard_child_view_t children[2];

static void set_req(guard_worker_view_t *w, const char *method,
                    const char *uri, const char *vhost, const char *client)
{
    guard_req_t *r = &w->slot.req;

    w->slot.req_start = NOW - apr_time_from_msec(w->elapsed_ms);
    apr_cpystrn(r->method, method, sizeof(r->method));
    apr_cpystrn(r->uri, uri, sizeof(r->uri));
    apr_cpystrn(r->protocol, "HTTP/1.1", sizeof(r->protocol));
    apr_cpystrn(r->vhost, vhost, sizeof(r->vhost));
    apr_cpystrn(r->client, client, sizeof(r->client));
}

static void set_wait(guard_worker_view_t *w, guard_wait_kind_e kind,
                     const char *sysname, const char *peer, const char *path)
{
    guard_wait_t *wt = &w->slot.wait;

    w->has_wait = 1;
    wt->kind = kind;
    wt->fd = (kind == GUARD_WAIT_CPU) ? -1 : 12;
    wt->idle_ms = -1;
    apr_cpystrn(wt->sysname, sysname, sizeof(wt->sysname));
    apr_cpystrn(wt->peer, peer, sizeof(wt->peer));
    apr_cpystrn(wt->path, path, sizeof(wt->path));
}

static void add_worker(int i, int child, guard_ws_e state,
                       apr_int64_t elapsed_ms)
{
    guard_worker_view_t *w = &workers[i];

    memset(w, 0, sizeof(*w));
    w->child = child;
    w->thread = i % 3;
    w->consistent = 1;
    w->elapsed_ms = elapsed_ms;
    w->for_ms = -1;
    w->slot.state = state;
    w->slot.pid = 100 * (child + 1);
    w->slot.tid = w->slot.pid + i;
    w->slot.generation = 2;
    w->slot.requests = 10 + i;
    w->slot.wait.fd = -1;
    w->slot.wait.idle_ms = -1;
    w->slot.wait.cpu_ms = -1;
    snap.by_state[state]++;
}

/* A stuck request waiting on redis, a spinning one, a lock, and the rest. */
static void make_workers(void)
{
    add_worker(0, 0, GUARD_WS_BUSY, 12000);
    workers[0].stuck = 1;
    set_req(&workers[0], "GET", HOSTILE_URI, HOSTILE_VHOST, "10.0.0.1");
    set_wait(&workers[0], GUARD_WAIT_BACKEND, "poll", "10.0.0.5:6379", "");
    workers[0].slot.wait.idle_ms = 37200;
    workers[0].slot.wait.cpu_ms = 1200;
    workers[0].for_ms = 3000;
    workers[0].stack = &stack0;
    workers[0].list_native = 1;
    add_worker(1, 0, GUARD_WS_BUSY, 2500);
    set_req(&workers[1], "POST", "/spin", "www.example.com", "10.0.0.2");
    set_wait(&workers[1], GUARD_WAIT_CPU, "", "", "");
    workers[1].slot.wait.flags = GUARD_WAITF_SPINNING;
    workers[1].slot.wait.cpu_ms = 2400;
    workers[1].for_ms = 2400;
    add_worker(2, 0, GUARD_WS_IDLE, -1);
    add_worker(3, 1, GUARD_WS_KEEPALIVE, 800);
    apr_cpystrn(workers[3].slot.req.client, "10.0.0.3",
                sizeof(workers[3].slot.req.client));
    add_worker(4, 1, GUARD_WS_READ, 100);
    add_worker(5, 1, GUARD_WS_BUSY, 700);
    set_req(&workers[5], "GET", "/session", "www.example.com", "10.0.0.4");
    set_wait(&workers[5], GUARD_WAIT_LOCK, "flock", "",
             "/var/lib/php/sessions/sess_ab12");
    workers[5].for_ms = 650;
}

static void make_children(void)
{
    int i;

    for (i = 0; i < 2; i++) {
        children[i].child = i;
        children[i].rec.state = GUARD_CHILD_RUNNING;
        children[i].rec.pid = 100 * (i + 1);
        children[i].rec.generation = 2;
        children[i].rec.started = NOW - apr_time_from_sec(60);
        children[i].rec.watchdog_tid = 100 * (i + 1) + 9;
        children[i].rec.wakeups = 60;
    }
}

static void setup(void)
{
    apr_pool_create(&pool, NULL);
    out = guard_sink_buffer(pool);
    memset(&snap, 0, sizeof(snap));
    snap.now = NOW;
    snap.shm_created = NOW - apr_time_from_sec(7200);
    snap.server.version = "Apache/2.4.58 (Unix)";
    snap.server.mpm = "event";
    snap.server.hostname = "www.example.com";
    snap.server.started = NOW - apr_time_from_sec(3723);
    snap.server.generation = 2;
    snap.server.stuck_threshold = apr_time_from_sec(10);
    snap.server.watch_interval = apr_time_from_msec(1000);
    snap.server.server_limit = 2;
    snap.server.thread_limit = 3;
    snap.counters.requests_total = 1234;
    snap.counters.stuck_total = 5;
    snap.counters.samples_total = 777;
    snap.counters.wakeups_total = 120;
    snap.counters.restarts = 1;
    make_children();
    make_workers();
    snap.nchildren = 2;
    snap.children = children;
    snap.nworkers = 6;
    snap.workers = workers;
    snap.busy = 3;
    snap.stuck = 1;
}

/* A lock chain: workers[5] waits, held by workers[0]; the path is hostile. */
static guard_lock_view_t lock_view;

static void add_lock_chain(void)
{
    guard_chain_t *c = &lock_view.chain;

    memset(&lock_view, 0, sizeof(lock_view));
    apr_cpystrn(c->path, "/var/lock/<b>\"x\n", sizeof(c->path));
    c->ino = 4242;
    c->dev = guard_dev_make(0xfe, 1);
    c->lock_class = 1;            /* flock */
    c->reported = 1;
    c->nwaiters = 1;
    c->waiters[0].child = 1;
    c->waiters[0].thread = 2;
    c->waiters[0].pid = 200;
    c->waiters[0].tid = 205;
    c->waiters[0].since = NOW - apr_time_from_msec(650);
    c->holder_pid = 100;
    c->holder_tid = 100;
    c->holder_child = 0;
    c->holder_thread = 0;
    c->appeared = NOW - apr_time_from_msec(650);
    lock_view.holder = 0;
    lock_view.waiters[0] = 5;
    lock_view.for_ms = 650;
    workers[5].lock_chain = 1;
    workers[5].lock_holder_pid = 100;
    workers[5].has_wait = 1;
    snap.nlocks = 1;
    snap.locks = &lock_view;
    snap.lock_waiters = 1;
    snap.lock_wait_longest_ms = 650;
    snap.counters.lock_waits_total = 3;
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static const char *data(void)
{
    return guard_sink_buffer_data(out, NULL);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

#define ck_assert_has(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing: %s", (needle))
#define ck_assert_lacks(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "present: %s", (needle))

/* A strict JSON validator (RFC 8259), enough to reject what we could break. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"') {
        return NULL;
    }
    while (*p != '"') {
        if ((unsigned char)*p < 0x20) {
            return NULL;
        }
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                if (strspn(p + 1, "0123456789abcdefABCDEF") < 4) {
                    return NULL;
                }
                p += 4;
            }
            else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    p += (*p == '-');
    if (*p == '0') {
        p++;
    }
    else if (*p >= '1' && *p <= '9') {
        p += strspn(p, "0123456789");
    }
    else {
        return NULL;
    }
    if (*p == '.') {
        size_t n = strspn(++p, "0123456789");

        if (n == 0) {
            return NULL;
        }
        p += n;
    }
    return p;
}

static const char *json_items(const char *p, char close, int is_obj,
                              int depth)
{
    p = json_ws(p + 1);
    if (*p == close) {
        return p + 1;
    }
    for (;;) {
        if (is_obj) {
            if (!(p = json_string(json_ws(p)))) {
                return NULL;
            }
            p = json_ws(p);
            if (*p++ != ':') {
                return NULL;
            }
        }
        if (!(p = json_value(p, depth + 1))) {
            return NULL;
        }
        if (*p == close) {
            return p + 1;
        }
        if (*p++ != ',') {
            return NULL;
        }
    }
}

static const char *json_value(const char *p, int depth)
{
    p = json_ws(p);
    if (depth > 32) {
        return NULL;
    }
    if (*p == '{' || *p == '[') {
        p = json_items(p, *p == '{' ? '}' : ']', *p == '{', depth);
    }
    else if (*p == '"') {
        p = json_string(p);
    }
    else if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) {
        p += 4;
    }
    else if (!strncmp(p, "false", 5)) {
        p += 5;
    }
    else {
        p = json_number(p);
    }
    return p ? json_ws(p) : NULL;
}

static int json_valid(const char *s)
{
    const char *end = json_value(s, 0);

    return end != NULL && *end == '\0';
}

START_TEST(json_validator_rejects)
{
    ck_assert(json_valid("{\"a\":[1,-2.5,true,null,\"x\\u00e9\"]}\n"));
    ck_assert(!json_valid("{\"a\":1,}"));
    ck_assert(!json_valid("{\"a\":\"b\"c\"}"));
    ck_assert(!json_valid("{\"a\":\"\n\"}"));
    ck_assert(!json_valid("{\"a\":01}"));
    ck_assert(!json_valid("[1] x"));
}
END_TEST

static void check_prom(const char *text);

START_TEST(lock_chain_in_every_format)
{
    const char *d;

    add_lock_chain();
    guard_render_json(&snap, out);
    d = data();
    ck_assert_msg(json_valid(d), "invalid JSON: %s", d);
    ck_assert_has(d, "\"lock_waits\":[{\"path\":\"/var/lock/<b>\\\"x\\n\","
                  "\"inode\":4242,\"device\":\"fe:1\",\"class\":\"flock\","
                  "\"for_ms\":650,\"waiters_count\":1,\"cut_holder\":false,"
                  "\"holder\":{\"pid\":100,\"tid\":100,\"httpd\":true,"
                  "\"comm\":null,\"request\":\"GET " "/<script>alert(\\\"x\\\")"
                  "</script> HTTP/1.1\",\"elapsed_ms\":12000,\"wait\":{"
                  "\"kind\":\"backend\",\"peer\":\"10.0.0.5:6379\"");
    ck_assert_has(d, "\"waiters\":[{\"pid\":200,\"tid\":205,\"request\":"
                  "\"GET /session HTTP/1.1\",\"for_ms\":650,\"fpm\":false,"
                  "\"httpd_request\":null,\"httpd_worker\":null}],"
                  "\"end_holder\":false,\"holder_ends\":0}]");
    ck_assert_has(d, "\"lock_holder_pid\":100,\"text\":\"flock on /var/lib/"
                  "php/sessions/sess_ab12, waiting for lock held by pid 100\"");
    ck_assert_has(d, "\"lock_waits_total\":3,\"lock_holder_cuts_total\":0,"
                  "\"lock_holder_ends_total\":0}");

    out = guard_sink_buffer(pool);
    guard_render_html(&snap, 0, out);
    d = data();
    ck_assert_has(d, "<h2>Lock waits</h2>");
    /* The workers' table keeps its own heading after the lock waits. */
    ck_assert_has(d, "</table>\n<h2>Workers</h2>\n<table>\n"
                  "<tr><th>Child</th>");
    ck_assert_has(d, "/var/lock/&lt;b&gt;&quot;x");
    ck_assert_lacks(d, "<b>");
    ck_assert_has(d, "waiting for lock held by pid 100");

    out = guard_sink_buffer(pool);
    guard_render_prometheus(&snap, 0, out);
    check_prom(data());
    ck_assert_has(data(), "\nguard_lock_waiters 1\n");
    ck_assert_has(data(), "\nguard_lock_chains 1\n");
    ck_assert_has(data(), "\nguard_lock_wait_longest_seconds 0.650\n");
    ck_assert_has(data(), "\nguard_lock_waits_total 3\n");

    out = guard_sink_buffer(pool);
    guard_render_auto(&snap, out);
    ck_assert_has(data(), "\nLockWaits: 1\nLockWaiters: 1\n");
    ck_assert_has(data(), "wait=flock on /var/lib/php/sessions/sess_ab12, "
                  "waiting for lock held by pid 100\n");
}
END_TEST

/* A chain inside PHP-FPM: the holder FPM worker with its request and
 * wait, a waiter in FPM behind an httpd worker, another behind nobody
 * known, and the end-holder counter. */
static void add_fpm_chain(void)
{
    guard_chain_t *c = &lock_view.chain;

    add_lock_chain();
    c->holder_child = -1;
    c->holder_thread = -1;
    c->holder_tid = 0;
    c->holder_pid = 5674;
    c->holder_fpm = 1;
    c->holder_fpm_start = NOW - apr_time_from_msec(3100);
    apr_cpystrn(c->holder_comm, "php-fpm8.2", sizeof(c->holder_comm));
    apr_cpystrn(c->holder_method, "GET", sizeof(c->holder_method));
    apr_cpystrn(c->holder_uri, "/cart.php?<x>", sizeof(c->holder_uri));
    apr_cpystrn(c->holder_wait, "not readable: the FPM worker is not "
                "dumpable (process.dumpable = yes in its pool allows it)",
                sizeof(c->holder_wait));
    c->end_holder = 1;
    c->holder_ends = 1;
    c->ended_pid = 5674;
    c->nwaiters = 2;
    c->waiters[0].child = c->waiters[0].thread = -1;
    c->waiters[0].pid = 5675;
    c->waiters[0].tid = 0;
    c->waiters[0].fpm = 1;
    c->waiters[1] = c->waiters[0];
    c->waiters[1].pid = 5676;
    lock_view.holder = -1;
    lock_view.waiters[0] = lock_view.waiters[1] = -1;
    lock_view.behind[0] = 5;
    lock_view.behind[1] = -1;
    snap.counters.holder_ends_total = 1;
}

START_TEST(fpm_chain_in_every_format)
{
    const char *d;

    add_fpm_chain();
    guard_render_json(&snap, out);
    d = data();
    ck_assert_msg(json_valid(d), "invalid JSON: %s", d);
    ck_assert_has(d, "\"holder\":{\"pid\":5674,\"tid\":null,"
                  "\"httpd\":false,\"comm\":\"php-fpm8.2\",\"request\":"
                  "\"GET /cart.php?<x>\",\"elapsed_ms\":3100,\"wait\":null,"
                  "\"text\":\"FPM worker pid 5674 (php-fpm8.2)\",\"fpm\":"
                  "{\"pool\":0,\"address\":null,\"waits_on\":\"not readable: "
                  "the FPM worker is not dumpable (process.dumpable = yes in "
                  "its pool allows it)\"}}");
    ck_assert_has(d, "{\"pid\":5675,\"tid\":0,\"request\":null,"
                  "\"for_ms\":650,\"fpm\":true,\"httpd_request\":"
                  "\"GET /session HTTP/1.1\",\"httpd_worker\":{\"pid\":200,"
                  "\"tid\":205}}");
    ck_assert_has(d, "\"fpm\":true,\"httpd_request\":\"unknown\","
                  "\"httpd_worker\":null}],\"end_holder\":true,"
                  "\"holder_ends\":1}");
    ck_assert_has(d, "\"lock_holder_ends_total\":1}");

    out = guard_sink_buffer(pool);
    guard_render_html(&snap, 0, out);
    d = data();
    ck_assert_has(d, "FPM worker pid 5674 (php-fpm8.2)</td><td>GET "
                  "/cart.php?&lt;x&gt; (3.1 s)</td><td>not readable: the "
                  "FPM worker is not dumpable");
    ck_assert_has(d, "; end-holder sent SIGTERM to pid 5674");
    ck_assert_has(d, "pid 5675 (FPM worker, for httpd pid 200: GET "
                  "/session)");
    ck_assert_has(d, "pid 5676 (FPM worker, for an httpd request unknown)");
    ck_assert_has(d, "Lock holders ended (end-holder): 1");

    out = guard_sink_buffer(pool);
    guard_render_prometheus(&snap, 0, out);
    check_prom(data());
    ck_assert_has(data(), "\nguard_lock_holder_ends_total 1\n");
    out = guard_sink_buffer(pool);
    guard_render_auto(&snap, out);
    ck_assert_has(data(), "\nLockHolderEndsTotal: 1\n");
}
END_TEST

/* A worker waiting on its CGI script (mod_cgid): its own kind, and text
 * that says so, in every format. */
START_TEST(cgi_wait_in_every_format)
{
    const char *d;
    const char *text = "poll on CGI script via unix:/run/apache2/cgisock.42";

    set_wait(&workers[5], GUARD_WAIT_CGI, "poll",
             "unix:/run/apache2/cgisock.42", "");
    workers[5].slot.wait.flags = GUARD_WAITF_UNIX;
    guard_render_json(&snap, out);
    d = data();
    ck_assert_msg(json_valid(d), "invalid JSON: %s", d);
    ck_assert_has(d, "\"wait\":{\"kind\":\"cgi\",\"syscall\":\"poll\","
                  "\"fd\":12,\"peer\":\"unix:/run/apache2/cgisock.42\",");
    ck_assert_has(d, "\"text\":\"poll on CGI script via unix:/run/apache2/"
                  "cgisock.42\"");

    out = guard_sink_buffer(pool);
    guard_render_html(&snap, 0, out);
    ck_assert_has(data(), text);

    out = guard_sink_buffer(pool);
    guard_render_prometheus(&snap, 1, out);
    check_prom(data());
    ck_assert_has(data(), "\nguard_worker_request_duration_seconds{child="
                  "\"1\",thread=\"2\",pid=\"200\",tid=\"205\",state=\"busy\","
                  "wait=\"cgi\"} 0.700\n");
    ck_assert_has(data(), "\nguard_worker_wait_seconds{child=\"1\","
                  "thread=\"2\",pid=\"200\",tid=\"205\",wait=\"cgi\","
                  "syscall=\"poll\"} 0.650\n");

    out = guard_sink_buffer(pool);
    guard_render_auto(&snap, out);
    ck_assert_has(data(), " wait=poll on CGI script via unix:/run/apache2/"
                  "cgisock.42\n");
}
END_TEST

START_TEST(json_is_valid)
{
    guard_render_json(&snap, out);
    ck_assert_msg(json_valid(data()), "invalid JSON: %s", data());
}
END_TEST

START_TEST(json_server_and_summary)
{
    const char *j;

    guard_render_json(&snap, out);
    j = data();
    ck_assert_has(j, "{\"server\":{\"version\":\"Apache/2.4.58 (Unix)\","
                  "\"mpm\":\"event\",\"hostname\":\"www.example.com\","
                  "\"generation\":2,\"started\":1699996277,\"uptime_s\":3723,"
                  "\"server_limit\":2,\"thread_limit\":3,"
                  "\"stuck_threshold_ms\":10000,\"watch_interval_ms\":1000,"
                  "\"now\":1700000000000}");
    ck_assert_has(j, "\"summary\":{\"children\":2,\"workers\":6,\"busy\":3,"
                  "\"stuck\":1,\"http2_streams\":0,\"states\":{\"empty\":0,\"idle\":1,\"read\":1,"
                  "\"busy\":3,\"keepalive\":1}}");
    ck_assert_has(j, "\"children\":[{\"child\":0,\"pid\":100,\"generation\":2,"
                  "\"started\":1699999940,\"watchdog_tid\":109,"
                  "\"wakeups\":60},{\"child\":1,");
    ck_assert_has(j, "\"counters\":{\"requests_total\":1234,\"stuck_total\":5,"
                  "\"samples_total\":777,\"wakeups_total\":120,"
                  "\"restarts\":1,\"backend_cuts_total\":0,\"backend_cuts\":{\"read\":0,\"write\":0,\"connect\":0},\"backend_cuts_by_limit\":{\"max\":0,\"minrate\":0},\"backend_timeouts_logged_total\":0,"
                  "\"lock_waits_total\":0,\"lock_holder_cuts_total\":0,"
                  "\"lock_holder_ends_total\":0}}");
}
END_TEST

START_TEST(json_stuck_worker_escaped)
{
    const char *j;

    guard_render_json(&snap, out);
    j = data();
    ck_assert_has(j, "{\"child\":0,\"thread\":0,\"pid\":100,\"tid\":100,"
                  "\"generation\":2,\"state\":\"busy\",\"stuck\":true,"
                  "\"kind\":\"mpm\",\"http2\":null,"
                  "\"request\":\"GET /<script>alert(\\\"x\\\")</script> "
                  "HTTP/1.1\",\"method\":\"GET\","
                  "\"uri\":\"/<script>alert(\\\"x\\\")</script>\","
                  "\"protocol\":\"HTTP/1.1\",\"vhost\":\"ev\\\"il\\\\host\","
                  "\"client\":\"10.0.0.1\",\"elapsed_ms\":12000,"
                  "\"cpu_ms\":1200,\"requests\":10,\"consistent\":true,\"backend_timeout_ms\":null,\"backend_max_ms\":null,\"backend_minrate\":null,\"backend_action\":null,"
                  "\"wait\":{\"kind\":\"backend\",\"syscall\":\"poll\","
                  "\"fd\":12,\"peer\":\"10.0.0.5:6379\",\"path\":null,"
                  "\"idle_ms\":37200,\"for_ms\":3000,\"lock_holder_pid\":null,"
                  "\"text\":\"poll on "
                  "socket 10.0.0.5:6379 (idle 37.2 s)\"},"
                  "\"php_frames\":[{\"function\":\"fread\",\"file\":\"\","
                  "\"line\":0,\"line_approximate\":false},"
                  "{\"function\":\"Svc::<b>\\\"x\\\"\",\"file\":\"/x<i>.php\","
                  "\"line\":10,\"line_approximate\":true}],"
                  "\"native_frames\":[{\"module\":\"libc.so.6\","
                  "\"offset\":\"0x10a3f1\",\"symbol\":\"__poll\","
                  "\"build_id\":\"00ff7a\"}],"
                  "\"stack\":{\"php\":\"ok\",\"native\":\"end\","
                  "\"complete\":true,\"stable\":true,"
                  "\"line_approximate\":false,\"native_complete\":true,"
                  "\"native_stable\":true,\"native_count\":1,"
                  "\"taken_ms\":1700000000000}}");
    ck_assert_lacks(j, "alert(\"x\")");
    ck_assert_lacks(j, "ev\"il");
    ck_assert_int_eq(count(j, "\"stuck\":true"), 1);
    ck_assert_int_eq(count(j, "\"stuck\":false"), 5);
}
END_TEST

/* A busy worker that is not stuck: its native frames stay off the list. */
START_TEST(json_native_frames_of_stuck_workers_only)
{
    const char *j;

    workers[0].list_native = 0;   /* not stuck, or beyond the first 256 */
    guard_render_json(&snap, out);
    j = data();
    ck_assert_has(j, "\"line_approximate\":true}],\"native_frames\":[],"
                  "\"stack\":{\"php\":\"ok\",\"native\":\"end\",");
    ck_assert_has(j, "\"native_count\":1,");
    ck_assert_lacks(j, "__poll");
    out = guard_sink_buffer(pool);
    guard_render_json_worker(&workers[0], out);
    ck_assert_has(data(), "\"native_frames\":[{\"module\":\"libc.so.6\"");
}
END_TEST

START_TEST(json_idle_worker_nulls)
{
    guard_render_json(&snap, out);
    ck_assert_has(data(), "{\"child\":0,\"thread\":2,\"pid\":100,\"tid\":102,"
                  "\"generation\":2,\"state\":\"idle\",\"stuck\":false,"
                  "\"kind\":\"mpm\",\"http2\":null,"
                  "\"request\":null,\"method\":null,\"uri\":null,"
                  "\"protocol\":null,\"vhost\":null,\"client\":\"\","
                  "\"elapsed_ms\":null,\"cpu_ms\":null,\"requests\":12,"
                  "\"consistent\":true,\"backend_timeout_ms\":null,\"backend_max_ms\":null,\"backend_minrate\":null,\"backend_action\":null,\"wait\":null,"
                  "\"php_frames\":[],\"native_frames\":[],\"stack\":null}");
}
END_TEST

/* A stream on one of mod_http2's workers, and its client connection's
 * row, on every format. */
START_TEST(http2_rows)
{
    workers[0].slot.kind = GUARD_SLOT_H2;
    workers[0].slot.stream_id = 3;
    workers[0].slot.conn_id = 9;
    workers[1].h2_conn = 1;
    workers[1].h2_streams = 1;
    workers[1].slot.conn_id = 9;
    snap.h2_busy = 1;
    guard_render_json(&snap, out);
    ck_assert_has(data(), "\"kind\":\"http2\",\"http2\":{\"stream\":3,"
                  "\"connection\":9},\"request\":\"GET /<script>");
    ck_assert_has(data(), "\"http2\":{\"connection\":9,\"streams\":1}");
    ck_assert_has(data(), "\"http2_streams\":1,");
    out = guard_sink_buffer(pool);
    guard_render_html(&snap, 0, out);
    ck_assert_has(data(), "<td>busy, HTTP/2 stream 3 of connection 9</td>");
    ck_assert_has(data(), ", HTTP/2 connection 9: 1 stream now</td>");
    out = guard_sink_buffer(pool);
    guard_render_auto(&snap, out);
    ck_assert_has(data(), "\nBusyStreams: 1\n");
    out = guard_sink_buffer(pool);
    guard_render_prometheus(&snap, 0, out);
    ck_assert_has(data(), "\nguard_http2_streams_busy 1\n");
}
END_TEST

START_TEST(json_cpu_and_lock_waits)
{
    const char *j;

    guard_render_json(&snap, out);
    j = data();
    ck_assert_has(j, "\"wait\":{\"kind\":\"cpu\",\"syscall\":null,"
                  "\"fd\":null,\"peer\":null,\"path\":null,\"idle_ms\":null,"
                  "\"for_ms\":2400,\"lock_holder_pid\":null,"
                  "\"text\":\"on CPU (spinning: 2.4 s CPU in "
                  "2.5 s)\"}");
    ck_assert_has(j, "\"wait\":{\"kind\":\"lock\",\"syscall\":\"flock\","
                  "\"fd\":12,\"peer\":null,"
                  "\"path\":\"/var/lib/php/sessions/sess_ab12\","
                  "\"idle_ms\":null,\"for_ms\":650,\"lock_holder_pid\":null,"
                  "\"text\":\"flock on "
                  "/var/lib/php/sessions/sess_ab12\"}");
}
END_TEST

START_TEST(json_wait_none_is_null)
{
    workers[0].slot.wait.kind = GUARD_WAIT_NONE;
    workers[1].has_wait = 0;
    guard_render_json(&snap, out);
    ck_assert_int_eq(count(data(), "\"wait\":null"), 5);
    ck_assert_has(data(), "\"cpu_ms\":null");
}
END_TEST

START_TEST(json_hostile_bytes_stay_valid)
{
    guard_worker_view_t *w = &workers[0];

    memset(w->slot.req.uri, 0xff, sizeof(w->slot.req.uri));
    memcpy(w->slot.req.client, "a\n\x01\x7f\"\\", 7);
    memset(w->slot.wait.path, '"', sizeof(w->slot.wait.path));
    snap.server.version = NULL;
    guard_render_json(&snap, out);
    ck_assert_msg(json_valid(data()), "invalid JSON: %s", data());
    ck_assert_has(data(), "\"client\":\"a\\n\\u0001\\u007f\\\"\\\\\"");
    ck_assert_has(data(), "\"version\":null");
}
END_TEST

START_TEST(json_empty_snapshot)
{
    snap.nchildren = 0;
    snap.nworkers = 0;
    guard_render_json(&snap, out);
    ck_assert(json_valid(data()));
    ck_assert_has(data(), "\"children\":[],\"workers\":[],");
}
END_TEST

/*
 * The exposition rules promtool enforces that we could break: every sample
 * after a HELP and TYPE of its own name, each pair once, samples of a name
 * not interrupted by another metric.
 */
static void check_prom(const char *text)
{
    char *copy = apr_pstrdup(pool, text);
    char *line, *last;
    const char *seen = "|";
    char current[128] = "";

    ck_assert(text[0] && text[strlen(text) - 1] == '\n');
    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char name[128];

        if (!strncmp(line, "# HELP ", 7)) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
            ck_assert_msg(!strstr(seen, apr_pstrcat(pool, "|", name, "|",
                                                    NULL)),
                          "metric twice: %s", name);
            seen = apr_pstrcat(pool, seen, name, "|", NULL);
            apr_cpystrn(current, name, sizeof(current));
            continue;
        }
        if (!strncmp(line, "# TYPE ", 7)) {
            ck_assert_msg(!strncmp(line + 7, current, strlen(current))
                          && line[7 + strlen(current)] == ' ',
                          "TYPE without HELP: %s", line);
            ck_assert(!strcmp(line + 8 + strlen(current), "gauge")
                      || !strcmp(line + 8 + strlen(current), "counter"));
            continue;
        }
        ck_assert_msg(strncmp(line, current, strlen(current)) == 0
                      && strchr("{ ", line[strlen(current)]),
                      "sample out of its group: %s", line);
    }
}

START_TEST(prom_is_well_formed)
{
    guard_render_prometheus(&snap, 0, out);
    check_prom(data());
}
END_TEST

START_TEST(prom_summary_lines)
{
    const char *p;

    guard_render_prometheus(&snap, 0, out);
    p = data();
    ck_assert_has(p, "# HELP guard_workers Worker threads by state.\n"
                  "# TYPE guard_workers gauge\n"
                  "guard_workers{state=\"empty\"} 0\n"
                  "guard_workers{state=\"idle\"} 1\n"
                  "guard_workers{state=\"read\"} 1\n"
                  "guard_workers{state=\"busy\"} 3\n"
                  "guard_workers{state=\"keepalive\"} 1\n");
    ck_assert_has(p, "\nguard_workers_stuck 1\n");
    ck_assert_has(p, "\nguard_children 2\n");
    ck_assert_has(p, "# TYPE guard_requests_total counter\n"
                  "guard_requests_total 1234\n");
    ck_assert_has(p, "\nguard_stuck_requests_total 5\n");
    ck_assert_has(p, "\nguard_watchdog_samples_total 777\n");
    ck_assert_has(p, "\nguard_watchdog_wakeups_total 120\n");
    ck_assert_has(p, "# TYPE guard_restarts_total counter\n"
                  "guard_restarts_total 1\n");
    ck_assert_has(p, "# TYPE guard_generation gauge\nguard_generation 2\n");
    ck_assert_has(p, "\nguard_uptime_seconds 3723\n");
}
END_TEST

START_TEST(prom_worker_lines)
{
    const char *p;

    guard_render_prometheus(&snap, 0, out);
    p = data();
    ck_assert_has(p, "# TYPE guard_worker_request_duration_seconds gauge\n"
                  "guard_worker_request_duration_seconds{child=\"0\","
                  "thread=\"0\",state=\"busy\",wait=\"backend\"} 12.000\n");
    ck_assert_has(p, "\nguard_worker_request_duration_seconds{child=\"1\","
                  "thread=\"2\",state=\"busy\",wait=\"lock\"} 0.700\n");
    ck_assert_has(p, "\nguard_worker_cpu_seconds{child=\"0\",thread=\"1\","
                  "state=\"busy\",wait=\"cpu\"} 2.400\n");
    ck_assert_has(p, "\nguard_worker_wait_seconds{child=\"0\",thread=\"0\","
                  "wait=\"backend\",syscall=\"poll\"} 3.000\n");
    ck_assert_has(p, "\nguard_worker_stuck{child=\"0\",thread=\"0\"} 1\n"
                  "guard_worker_stuck{child=\"0\",thread=\"1\"} 0\n");
    ck_assert_int_eq(count(p, "\nguard_worker_stuck{"), 3);
    ck_assert_int_eq(count(p, "\nguard_worker_request_duration_seconds{"), 3);
    ck_assert_int_eq(count(p, "\nguard_worker_cpu_seconds{"), 2);
    /* A recycled child keeps its series: no process ids by default. */
    ck_assert_lacks(p, "pid=\"");
    ck_assert_lacks(p, "tid=\"");
}
END_TEST

/* ?pids: the same series, with pid and tid after the slot. */
START_TEST(prom_worker_lines_with_pids)
{
    const char *p;

    guard_render_prometheus(&snap, 1, out);
    p = data();
    check_prom(p);
    ck_assert_has(p, "\nguard_worker_request_duration_seconds{child=\"0\","
                  "thread=\"0\",pid=\"100\",tid=\"100\",state=\"busy\","
                  "wait=\"backend\"} 12.000\n");
    ck_assert_has(p, "\nguard_worker_request_duration_seconds{child=\"1\","
                  "thread=\"2\",pid=\"200\",tid=\"205\",state=\"busy\","
                  "wait=\"lock\"} 0.700\n");
    ck_assert_has(p, "\nguard_worker_wait_seconds{child=\"0\",thread=\"0\","
                  "pid=\"100\",tid=\"100\",wait=\"backend\",syscall=\"poll\"} "
                  "3.000\n");
    ck_assert_has(p, "\nguard_worker_stuck{child=\"0\",thread=\"0\","
                  "pid=\"100\",tid=\"100\"} 1\n"
                  "guard_worker_stuck{child=\"0\",thread=\"1\",pid=\"100\","
                  "tid=\"101\"} 0\n");
    ck_assert_has(p, "\nguard_worker_info{child=\"0\",thread=\"0\","
                  "pid=\"100\",tid=\"100\",method=\"GET\",");
    ck_assert_int_eq(count(p, "\nguard_worker_stuck{"), 3);
    ck_assert_int_eq(count(p, ",pid=\""), count(p, ",tid=\""));
    /* Only per-worker series change. */
    ck_assert_has(p, "\nguard_workers_stuck 1\n");
}
END_TEST

START_TEST(prom_info_escaped)
{
    const char *p;

    guard_render_prometheus(&snap, 0, out);
    p = data();
    ck_assert_has(p, "\nguard_worker_info{child=\"0\",thread=\"0\","
                  "method=\"GET\",vhost=\"ev\\\"il\\\\host\","
                  "client=\"10.0.0.1\",uri=\"/<script>alert(\\\"x\\\")"
                  "</script>\"} 1\n");
    ck_assert_lacks(p, "alert(\"x\")");
    ck_assert_lacks(p, HOSTILE_VHOST);
}
END_TEST

START_TEST(prom_newline_in_label_stays_on_line)
{
    memcpy(workers[0].slot.req.client, "a\nb", 4);
    guard_render_prometheus(&snap, 0, out);
    ck_assert_has(data(), "client=\"a\\nb\"");
    check_prom(data());
}
END_TEST

START_TEST(prom_torn_bytes_become_ascii)
{
    memset(workers[0].slot.req.uri, 0xff, sizeof(workers[0].slot.req.uri));
    guard_render_prometheus(&snap, 0, out);
    ck_assert_has(data(), ",uri=\"????????");
    ck_assert_lacks(data(), "\xff");
    check_prom(data());
}
END_TEST

START_TEST(prom_no_workers)
{
    snap.nworkers = 0;
    guard_render_prometheus(&snap, 0, out);
    check_prom(data());
    ck_assert_lacks(data(), "guard_worker_");
}
END_TEST

START_TEST(auto_lines)
{
    guard_render_auto(&snap, out);
    ck_assert_has(data(), "ServerVersion: Apache/2.4.58 (Unix)\n"
                  "ServerMPM: event\nGeneration: 2\nUptime: 3723\n"
                  "Children: 2\nWorkers: 6\nBusyWorkers: 3\nIdleWorkers: 1\n"
                  "StuckWorkers: 1\nBusyStreams: 0\nRequestsTotal: 1234\nStuckTotal: 5\n"
                  "SamplesTotal: 777\nWakeupsTotal: 120\nRestarts: 1\n"
                  "BackendCutsTotal: 0\nBackendCutsRead: 0\nBackendCutsWrite: 0\n"
                  "BackendCutsConnect: 0\nBackendTimeoutsLogged: 0\n"
                  "BackendCutsMax: 0\nBackendCutsMinrate: 0\n"
                  "LockWaits: 0\nLockWaiters: 0\nLockWaitLongestMs: 0\n"
                  "LockWaitsTotal: 0\nLockHolderCutsTotal: 0\n"
                  "LockHolderEndsTotal: 0\n"
                  "GuardScoreboard: !W_KRW\n");
}
END_TEST

START_TEST(auto_worker_lines)
{
    const char *a;

    guard_render_auto(&snap, out);
    a = data();
    ck_assert_has(a, "\nWorker: child=0 thread=0 pid=100 tid=100 state=busy "
                  "stuck=1 elapsed_ms=12000 request=GET " HOSTILE_URI
                  " HTTP/1.1 vhost=" HOSTILE_VHOST " client=10.0.0.1 "
                  "wait=poll on socket 10.0.0.5:6379 (idle 37.2 s) "
                  "frame=fread() from Svc::<b>\"x\" /x<i>.php:10 "
                  "(approximate)\n");
    ck_assert_has(a, "\nWorker: child=1 thread=2 pid=200 tid=205 state=busy "
                  "stuck=0 elapsed_ms=700 request=GET /session HTTP/1.1 "
                  "vhost=www.example.com client=10.0.0.4 wait=flock on "
                  "/var/lib/php/sessions/sess_ab12\n");
    ck_assert_int_eq(count(a, "Worker: "), 3);
    ck_assert_int_eq(count(a, "\n"), 32);
}
END_TEST

START_TEST(auto_never_breaks_lines)
{
    memcpy(workers[0].slot.req.uri, "/a\r\nStuckWorkers: 0", 20);
    memcpy(workers[0].slot.req.vhost, "v\nw", 4);
    memset(workers[0].slot.wait.peer, 'p', sizeof(workers[0].slot.wait.peer));
    snap.server.version = "Apache\r\nForged: 1";
    guard_render_auto(&snap, out);
    ck_assert_int_eq(count(data(), "\n"), 32);
    ck_assert_lacks(data(), "\r");
    ck_assert_has(data(), "ServerVersion: Apache  Forged: 1\n");
    ck_assert_has(data(),
                  "request=GET /a  StuckWorkers: 0 HTTP/1.1 vhost=v w ");
}
END_TEST

START_TEST(html_page)
{
    const char *h;

    guard_render_html(&snap, 0, out);
    h = data();
    ck_assert(!strncmp(h, "<!DOCTYPE html>\n<html", 21));
    ck_assert_has(h, "<title>mod_guard status</title>");
    ck_assert_has(h, "1 of 6 workers stuck");
    ck_assert_has(h, "Apache/2.4.58 (Unix)");
    ck_assert_has(h, "MPM: event");
    ck_assert_has(h, "Uptime: 01:02:03");
    ck_assert_has(h, "Stuck threshold: 10.0 s, watch interval: 1.0 s");
    ck_assert_has(h, "<a href=\"?json\">");
    ck_assert_has(h, "<a href=\"?prometheus\">");
    ck_assert_has(h, "<a href=\"?auto\">");
    ck_assert_lacks(h, "http-equiv");
    ck_assert_lacks(h, "<script");
    ck_assert_lacks(h, "<link");
    ck_assert(strlen(h) > 7 && !strcmp(h + strlen(h) - 8, "</html>\n"));
}
END_TEST

START_TEST(html_refresh)
{
    guard_render_html(&snap, 5, out);
    ck_assert_has(data(), "<meta http-equiv=\"refresh\" content=\"5\">");
}
END_TEST

START_TEST(html_rows)
{
    const char *h;

    guard_render_html(&snap, 0, out);
    h = data();
    ck_assert_int_eq(count(h, "<tr class=\"stuck\">"), 1);
    ck_assert_int_eq(count(h, "<tr class=\"idle\">"), 1);
    /* The stuck worker's stacks, folded under its row, escaped. */
    ck_assert_int_eq(count(h, "<tr class=\"stack\">"), 1);
    ck_assert_has(h, "<tr class=\"stack\"><td colspan=\"12\"><details>"
                  "<summary>stack: fread() from Svc::&lt;b&gt;&quot;x&quot; "
                  "/x&lt;i&gt;.php:10 (approximate)</summary>"
                  "<p><a href=\"?stack=0.0\">this worker's stacks</a></p>");
    ck_assert_has(h, "<li><code>#0 fread()</code> [internal]</li>"
                  "<li><code>#1 Svc::&lt;b&gt;&quot;x&quot;</code> "
                  "/x&lt;i&gt;.php:10 (approximate)</li>");
    ck_assert_has(h, "<li><code>#0 __poll</code> libc.so.6+0x10a3f1</li>");
    ck_assert_lacks(h, "<b>\"x");
    ck_assert_int_eq(count(h, "<tr"), 8);
    ck_assert_has(h, "<tr class=\"stuck\"><td>0</td><td>0</td><td>100</td>"
                  "<td>100</td><td>busy</td><td>GET /&lt;script&gt;alert("
                  "&quot;x&quot;)&lt;/script&gt; HTTP/1.1</td>"
                  "<td>ev&quot;il\\host</td><td>10.0.0.1</td><td>12.0 s</td>"
                  "<td>1.2 s</td><td>poll on socket 10.0.0.5:6379 (idle "
                  "37.2 s)</td><td>3.0 s</td></tr>");
    ck_assert_has(h, "tr.stuck{background:");
}
END_TEST

START_TEST(html_escapes_everything_dynamic)
{
    snap.server.version = "<b>v</b>";
    snap.server.mpm = "'m'";
    apr_cpystrn(workers[5].slot.wait.path, "/tmp/<x>&",
                sizeof(workers[5].slot.wait.path));
    guard_render_html(&snap, 0, out);
    ck_assert_has(data(), "&lt;b&gt;v&lt;/b&gt;");
    ck_assert_has(data(), "&#39;m&#39;");
    ck_assert_has(data(), "flock on /tmp/&lt;x&gt;&amp;");
    ck_assert_lacks(data(), "<script>");
    ck_assert_lacks(data(), "<b>");
}
END_TEST

START_TEST(html_collapses_many_idle)
{
    guard_worker_view_t *many = apr_pcalloc(pool, 100 * sizeof(*many));
    int i;

    for (i = 0; i < 100; i++) {
        many[i] = workers[2];
    }
    many[50] = workers[0];
    snap.workers = many;
    snap.nworkers = 100;
    snap.by_state[GUARD_WS_IDLE] = 99;
    guard_render_html(&snap, 0, out);
    ck_assert_has(data(), "99 idle workers not listed");
    ck_assert_int_eq(count(data(), "<tr class=\"stuck\">"), 1);
    ck_assert_int_eq(count(data(), "<tr class=\"stack\">"), 1);
    ck_assert_int_eq(count(data(), "<tr"), 4);
}
END_TEST

Suite *guard_render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("render");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, json_validator_rejects);
    tcase_add_test(tc, json_is_valid);
    tcase_add_test(tc, lock_chain_in_every_format);
    tcase_add_test(tc, fpm_chain_in_every_format);
    tcase_add_test(tc, cgi_wait_in_every_format);
    tcase_add_test(tc, json_server_and_summary);
    tcase_add_test(tc, json_stuck_worker_escaped);
    tcase_add_test(tc, json_idle_worker_nulls);
    tcase_add_test(tc, http2_rows);
    tcase_add_test(tc, json_native_frames_of_stuck_workers_only);
    tcase_add_test(tc, json_cpu_and_lock_waits);
    tcase_add_test(tc, json_wait_none_is_null);
    tcase_add_test(tc, json_hostile_bytes_stay_valid);
    tcase_add_test(tc, json_empty_snapshot);
    tcase_add_test(tc, prom_is_well_formed);
    tcase_add_test(tc, prom_summary_lines);
    tcase_add_test(tc, prom_worker_lines);
    tcase_add_test(tc, prom_worker_lines_with_pids);
    tcase_add_test(tc, prom_info_escaped);
    tcase_add_test(tc, prom_newline_in_label_stays_on_line);
    tcase_add_test(tc, prom_torn_bytes_become_ascii);
    tcase_add_test(tc, prom_no_workers);
    tcase_add_test(tc, auto_lines);
    tcase_add_test(tc, auto_worker_lines);
    tcase_add_test(tc, auto_never_breaks_lines);
    tcase_add_test(tc, html_page);
    tcase_add_test(tc, html_refresh);
    tcase_add_test(tc, html_rows);
    tcase_add_test(tc, html_escapes_everything_dynamic);
    tcase_add_test(tc, html_collapses_many_idle);
    suite_add_tcase(s, tc);
    return s;
}
