/* SPDX-License-Identifier: Apache-2.0 */
/* A snapshot from a fuzz input, and the render-twice check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "guard_crash.h"
#include "guard_crash_where.h"
#include "guard_lock_table.h"
#include "guard_shm.h"
#include "guard_sink.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "fuzz_snapshot.h"

#define SERVER_LIMIT 2
#define THREAD_LIMIT 3
#define CHAINS       3
#define CRASH_CHILDREN 2
#define BASE_TIME    APR_INT64_C(1700000000000000)  /* 2023, in us */
#define MAX_MS       APR_INT64_C(1000000000000)     /* 31 years */

typedef struct {
    fz_input_t in;
    int clean;
    apr_time_t now;
    apr_time_t req_starts[SERVER_LIMIT * THREAD_LIMIT];
    apr_uint32_t released;        /* thread_released() bits */
} builder_t;

static void clean_bytes(char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] && strchr("<>&\"'\\\r\n", s[i])) {
            s[i] = 'x';
        }
    }
}

/* An array field: filled to its last byte, without NUL, when the input
 * string is that long. */
static void field(builder_t *b, char *dst, size_t size)
{
    size_t len;
    const char *s = fz_field(&b->in, &len);

    memset(dst, 0, size);
    memcpy(dst, s, len < size ? len : size);
    if (b->clean) {
        clean_bytes(dst, size);
    }
}

/* A C string of any length, or NULL. */
static const char *cstring(builder_t *b, apr_pool_t *p)
{
    size_t len;
    const char *s;
    char *d;

    if (fz_u8(&b->in) == 0xff) {
        return NULL;
    }
    s = fz_field(&b->in, &len);
    d = apr_pstrmemdup(p, s, len);
    if (b->clean) {
        clean_bytes(d, len);
    }
    return d;
}

/* A time near now: mostly past, sometimes a little in the future. */
static apr_time_t some_time(builder_t *b)
{
    return b->now - fz_range(&b->in, -APR_INT64_C(5000000),
                             APR_INT64_C(100000000000));
}

static apr_time_t time_or_zero(builder_t *b)
{
    return fz_bool(&b->in) ? some_time(b) : 0;
}

static apr_int64_t ms_or_unknown(builder_t *b)
{
    return fz_range(&b->in, -1, MAX_MS);
}

static int released(void *baton, int child, int thread)
{
    const builder_t *b = baton;
    int bit = child * THREAD_LIMIT + thread;

    return bit >= 0 && bit < 32 && (b->released >> bit) & 1;
}

static void fill_child(builder_t *b, guard_child_t *c)
{
    c->state = (apr_uint32_t)fz_range(&b->in, 0, 3);
    c->pid = (apr_int32_t)fz_range(&b->in, -1, 70000);
    c->generation = fz_u32(&b->in);
    c->started = some_time(b);
    c->exited = time_or_zero(b);
    c->watchdog_tid = (apr_int32_t)fz_u32(&b->in);
    c->wakeups = fz_u64(&b->in);
}

static void fill_wait(builder_t *b, guard_wait_t *w)
{
    w->kind = (apr_uint32_t)fz_range(&b->in, 0, GUARD_WAIT_MAX + 1);
    w->call = (apr_uint32_t)fz_range(&b->in, 0, 16);
    w->syscall = (apr_int32_t)fz_u32(&b->in);
    w->fd = (apr_int32_t)fz_u32(&b->in);
    w->flags = fz_u32(&b->in);
    w->since = time_or_zero(b);
    w->sampled = time_or_zero(b);
    w->idle_ms = ms_or_unknown(b);
    w->cpu_ms = ms_or_unknown(b);
    w->ino = fz_u64(&b->in);
    w->dev = fz_u64(&b->in);
    w->lock_threshold_ms = fz_u32(&b->in);
    field(b, w->sysname, sizeof(w->sysname));
    field(b, w->peer, sizeof(w->peer));
    field(b, w->path, sizeof(w->path));
}

static void fill_cut(builder_t *b, guard_cut_t *c)
{
    c->when = time_or_zero(b);
    c->blocked_ms = fz_range(&b->in, 0, MAX_MS);
    c->idle_ms = ms_or_unknown(b);
    c->timeout_ms = fz_range(&b->in, 0, MAX_MS);
    c->fd = (apr_int32_t)fz_u32(&b->in);
    c->kind = (apr_uint32_t)fz_range(&b->in, 0, 4);
    c->action = (apr_uint32_t)fz_range(&b->in, 0, 4);
    c->ok = fz_bool(&b->in);
    field(b, c->sysname, sizeof(c->sysname));
    field(b, c->peer, sizeof(c->peer));
    field(b, c->uri, sizeof(c->uri));
}

static void fill_req(builder_t *b, guard_req_t *r)
{
    field(b, r->method, sizeof(r->method));
    field(b, r->uri, sizeof(r->uri));
    field(b, r->protocol, sizeof(r->protocol));
    field(b, r->vhost, sizeof(r->vhost));
    field(b, r->client, sizeof(r->client));
}

/* A stack record: about the slot's request or not, counts out of range,
 * names unterminated and hostile (the renderers escape them). */
static void fill_stack(builder_t *b, apr_time_t req_start, guard_stack_t *st)
{
    apr_uint32_t i, n;

    if (!fz_bool(&b->in)) {
        return;
    }
    st->seq = fz_u8(&b->in) == 0xff ? 1 : 0;
    st->req_start = fz_bool(&b->in) ? req_start : time_or_zero(b);
    st->taken = some_time(b);
    st->flags = fz_u32(&b->in);
    st->php_status = (apr_uint32_t)fz_range(&b->in, 0, GUARD_PHP_STATUS_MAX);
    st->native_status = (apr_uint32_t)fz_range(&b->in, 0,
                                               GUARD_NATIVE_STATUS_MAX);
    st->nphp = (apr_uint32_t)fz_range(&b->in, 0, GUARD_STACK_FRAMES + 2);
    st->nnative = (apr_uint32_t)fz_range(&b->in, 0, GUARD_STACK_FRAMES + 2);
    n = st->nphp < GUARD_STACK_FRAMES ? st->nphp : GUARD_STACK_FRAMES;
    for (i = 0; i < n; i++) {
        st->php[i].line = fz_u32(&b->in);
        st->php[i].flags = fz_u32(&b->in);
        field(b, st->php[i].function, sizeof(st->php[i].function));
        field(b, st->php[i].file, sizeof(st->php[i].file));
    }
    n = st->nnative < GUARD_STACK_FRAMES ? st->nnative : GUARD_STACK_FRAMES;
    for (i = 0; i < n; i++) {
        st->native[i].offset = fz_u64(&b->in);
        st->native[i].build_id_len = (apr_uint32_t)fz_range(
            &b->in, 0, GUARD_BUILD_ID_MAX + 8);
        field(b, (char *)st->native[i].build_id, GUARD_BUILD_ID_MAX);
        field(b, st->native[i].module, sizeof(st->native[i].module));
        field(b, st->native[i].symbol, sizeof(st->native[i].symbol));
    }
}

static void fill_slot(builder_t *b, const guard_shm_t *shm, int child,
                      int index, guard_slot_t *s)
{
    int k;

    s->seq = fz_u8(&b->in) == 0xff ? 1 : 0;     /* rarely: a torn copy */
    s->state = (apr_uint32_t)fz_range(&b->in, 0, GUARD_WS_MAX + 1);
    s->pid = fz_u8(&b->in) == 0xff ? (apr_int32_t)fz_u32(&b->in)
                                   : shm->children[child].pid;
    s->tid = (apr_int32_t)fz_u32(&b->in);
    s->generation = fz_u32(&b->in);
    s->client_fd = (apr_int32_t)fz_u32(&b->in);
    s->conn_start = time_or_zero(b);
    s->req_start = time_or_zero(b);
    s->cpu_start_us = fz_range(&b->in, -1, MAX_MS);
    s->requests = fz_u64(&b->in);
    s->backend_timeout = fz_range(&b->in, 0, APR_INT64_C(100000000000));
    s->backend_action = (apr_uint32_t)fz_range(&b->in, 0, 3);
    s->show_query = fz_bool(&b->in);
    fill_req(b, &s->req);
    s->stuck = fz_bool(&b->in);
    s->wait_req_start = fz_bool(&b->in) ? s->req_start : time_or_zero(b);
    fill_wait(b, &s->wait);
    s->stuck_total = fz_u64(&b->in);
    s->samples = fz_u64(&b->in);
    for (k = 0; k < 3; k++) {
        s->cuts[k] = fz_u64(&b->in);
    }
    s->cuts_logged = fz_u64(&b->in);
    fill_cut(b, &s->last_cut);
    s->holder_cuts = fz_u64(&b->in);
    b->req_starts[index] = s->req_start;
}

/* The request of a slot that the chain names, or of none. */
static void chain_ref(builder_t *b, apr_int32_t *child, apr_int32_t *thread,
                      apr_time_t *req_start)
{
    int index = (int)fz_range(&b->in, -1, SERVER_LIMIT * THREAD_LIMIT);

    if (index < 0 || index >= SERVER_LIMIT * THREAD_LIMIT) {
        *child = (apr_int32_t)fz_range(&b->in, -1, SERVER_LIMIT);
        *thread = (apr_int32_t)fz_range(&b->in, -1, THREAD_LIMIT);
        *req_start = time_or_zero(b);
        return;
    }
    *child = index / THREAD_LIMIT;
    *thread = index % THREAD_LIMIT;
    *req_start = b->req_starts[index];
}

static void fill_chain(builder_t *b, guard_chain_t *c)
{
    int i;

    c->dev = fz_u64(&b->in);
    c->ino = fz_u64(&b->in);
    c->key = fz_u8(&b->in) == 0xff ? 0 : guard_chain_key(c->dev, c->ino);
    c->seq = 0;
    c->reported = fz_u8(&b->in) != 0;
    c->lock_class = (apr_uint32_t)fz_range(&b->in, 0, 5);
    c->cut_holder = fz_bool(&b->in);
    c->nwaiters = (apr_uint32_t)fz_range(&b->in, 0, 2 * GUARD_CHAIN_WAITERS);
    c->max_waiters = fz_u32(&b->in);
    c->holder_cut_asked = fz_bool(&b->in);
    c->appeared = time_or_zero(b);
    c->reported_at = time_or_zero(b);
    c->holder_pid = (apr_int32_t)fz_range(&b->in, -2, 70000);
    c->holder_tid = (apr_int32_t)fz_range(&b->in, -1, 70000);
    chain_ref(b, &c->holder_child, &c->holder_thread, &c->holder_req_start);
    field(b, c->holder_comm, sizeof(c->holder_comm));
    field(b, c->path, sizeof(c->path));
    field(b, c->first_holder, sizeof(c->first_holder));
    for (i = 0; i < GUARD_CHAIN_WAITERS; i++) {
        guard_chain_waiter_t *w = &c->waiters[i];

        chain_ref(b, &w->child, &w->thread, &w->req_start);
        w->pid = (apr_int32_t)fz_range(&b->in, -1, 70000);
        w->tid = (apr_int32_t)fz_range(&b->in, -1, 70000);
        w->since = time_or_zero(b);
    }
}

/* ------------------------------------------------------------ crash */

static int symbolize(void *baton, const char *module, apr_uint64_t offset,
                     int is_return, guard_frame_sym_t *out)
{
    builder_t *b = baton;

    (void)module; (void)offset; (void)is_return;
    if (fz_u8(&b->in) == 0) {
        return 0;
    }
    field(b, out->function, sizeof(out->function));
    out->function[sizeof(out->function) - 1] = '\0';
    out->func_offset = fz_u64(&b->in);
    return 1;
}

/* Where an address is, as a handler or a damaged record leaves it: kinds
 * and module numbers out of range too. */
static void fill_loc(builder_t *b, guard_crash_loc_t *at)
{
    at->kind = (apr_uint32_t)fz_range(&b->in, 0, 3);
    at->module = (apr_uint32_t)fz_range(&b->in, 0, GUARD_CRASH_MODULES + 2);
    at->offset = fz_u64(&b->in);
}

/* Module paths that may fill their fields, unterminated. */
static void fill_modules(builder_t *b, guard_crash_rec_t *rec)
{
    int k, n = (int)fz_range(&b->in, 0, GUARD_CRASH_MODULES);

    for (k = 0; k < n; k++) {
        rec->modules[k].bias = fz_u64(&b->in);
        field(b, rec->modules[k].path, sizeof(rec->modules[k].path));
    }
    rec->nmodules = (apr_uint32_t)fz_range(&b->in, 0,
                                           GUARD_CRASH_MODULES + 2);
}

/* PHP frames as the handler's walk leaves them: names and paths that may
 * fill their fields; -1 frames: not walked. */
static void add_php(builder_t *b, guard_crash_rec_t *slot,
                    apr_uint64_t ticket)
{
    guard_php_frame_t php[GUARD_CRASH_PHP_FRAMES + 2];
    int n = (int)fz_range(&b->in, -1, GUARD_CRASH_PHP_FRAMES + 2), k;

    for (k = 0; k < n; k++) {
        php[k].line = fz_u32(&b->in);
        php[k].flags = fz_u32(&b->in);
        field(b, php[k].function, sizeof(php[k].function));
        field(b, php[k].file, sizeof(php[k].file));
    }
    if (n >= 0) {
        guard_crash_add_php(slot, ticket, php, n);
    }
}

static void publish_crash(builder_t *b, guard_crash_shm_t *c)
{
    guard_crash_rec_t rec, *slot;
    apr_uint64_t ticket;
    int n, k;

    memset(&rec, 0, sizeof(rec));
    rec.when = some_time(b);
    rec.req_start = time_or_zero(b);
    rec.elapsed_ms = ms_or_unknown(b);
    rec.addr = fz_u64(&b->in);
    rec.ip = fz_u64(&b->in);
    rec.handler_us = fz_range(&b->in, -1, APR_INT64_C(100000000));
    rec.pid = (apr_int32_t)fz_u32(&b->in);
    rec.tid = (apr_int32_t)fz_u32(&b->in);
    rec.child = (apr_int32_t)fz_range(&b->in, -1, CRASH_CHILDREN);
    rec.thread = (apr_int32_t)fz_range(&b->in, -1, THREAD_LIMIT);
    rec.generation = (apr_uint32_t)fz_range(&b->in, 0, 2);
    rec.signo = (apr_int32_t)fz_u32(&b->in);
    rec.si_code = (apr_int32_t)fz_u32(&b->in);
    rec.flags = fz_u8(&b->in) & ~(GUARD_CRASHF_FRAMES | GUARD_CRASHF_PHP);
    fill_req(b, &rec.req);
    fill_modules(b, &rec);
    fill_loc(b, &rec.addr_at);
    fill_loc(b, &rec.ip_at);
    ticket = guard_crash_publish(c, &rec, &slot);
    n = (int)fz_range(&b->in, 0, GUARD_CRASH_FRAMES + 2);
    for (k = 0; k < n && k < GUARD_CRASH_FRAMES; k++) {
        rec.frames[k] = fz_u64(&b->in);
        fill_loc(b, &rec.at[k]);
    }
    rec.nframes = (apr_uint32_t)n;
    if (slot && n > 0) {
        rec.signature = guard_crash_where_signature(&rec);
        guard_crash_add_frames(slot, ticket, &rec);
        guard_crash_count_group(c, &rec);
    }
    if (slot) {
        add_php(b, slot, ticket);
    }
}

static void add_procs(builder_t *b, guard_crash_shm_t *c)
{
    int i, n = (int)fz_range(&b->in, 0, 6);

    for (i = 0; i < n; i++) {
        guard_proc_rec_t *p;

        p = guard_crash_proc_start(c, (int)fz_range(&b->in, 0,
                                                    CRASH_CHILDREN - 1),
                                   (pid_t)fz_range(&b->in, 1, 70000),
                                   (apr_uint32_t)fz_range(&b->in, 0, 2),
                                   some_time(b), fz_u64(&b->in));
        if (fz_bool(&b->in)) {
            guard_crash_proc_end(p, some_time(b),
                                 (apr_uint32_t)fz_range(&b->in, 0, 4),
                                 (int)fz_u32(&b->in), fz_u32(&b->in),
                                 fz_u64(&b->in));
        }
    }
}

static guard_crash_view_t *take_crashes(builder_t *b, apr_pool_t *p,
                                        apr_uint32_t generation)
{
    int cap = (int)fz_range(&b->in, 1, 4), n, i;
    apr_size_t size = guard_crash_shm_size(cap, CRASH_CHILDREN);
    void *base = apr_pcalloc(p, size);
    guard_crash_shm_t c;

    guard_crash_shm_init(base, cap, CRASH_CHILDREN, b->now);
    guard_crash_shm_attach(&c, base, cap, CRASH_CHILDREN);
    n = (int)fz_range(&b->in, 0, 6);
    for (i = 0; i < n; i++) {
        publish_crash(b, &c);
    }
    add_procs(b, &c);
    c.hdr->rate_1m = fz_u32(&b->in);
    return guard_crash_view_take(p, &c, generation % 3, b->now,
                                 fz_bool(&b->in) ? symbolize : NULL, b);
}

/* ---------------------------------------------------------- snapshot */

static void fill_info(builder_t *b, apr_pool_t *p, guard_server_info_t *info)
{
    info->version = cstring(b, p);
    info->mpm = cstring(b, p);
    info->hostname = cstring(b, p);
    info->started = some_time(b);
    info->generation = fz_u32(&b->in);
    info->stuck_threshold = fz_range(&b->in, 0, APR_INT64_C(100000000000));
    info->watch_interval = fz_range(&b->in, 0, APR_INT64_C(100000000000));
    info->server_limit = SERVER_LIMIT;
    info->thread_limit = THREAD_LIMIT;
    info->thread_released = fz_bool(&b->in) ? released : NULL;
    info->baton = b;
}

void fz_snapshot_build(apr_pool_t *p, const uint8_t *data, size_t size,
                       int clean, fz_snapshot_t *out)
{
    builder_t *b = apr_pcalloc(p, sizeof(*b));
    guard_server_info_t info;
    guard_shm_t shm;
    void *base;
    int c, t;

    fz_init(&b->in, data, size);
    b->clean = clean;
    b->now = BASE_TIME + fz_range(&b->in, 0, APR_INT64_C(1000000000000000));
    b->released = fz_u32(&b->in);
    memset(&info, 0, sizeof(info));
    fill_info(b, p, &info);
    base = apr_pcalloc(p, guard_shm_size(SERVER_LIMIT, THREAD_LIMIT));
    guard_shm_init(base, SERVER_LIMIT, THREAD_LIMIT, b->now);
    guard_shm_attach(&shm, base, SERVER_LIMIT, THREAD_LIMIT);
    shm.hdr->restarts = fz_u32(&b->in);
    shm.hdr->lock_waits_total = fz_u64(&b->in);
    for (c = 0; c < SERVER_LIMIT; c++) {
        fill_child(b, &shm.children[c]);
    }
    for (c = 0; c < SERVER_LIMIT; c++) {
        for (t = 0; t < THREAD_LIMIT; t++) {
            fill_slot(b, &shm, c, c * THREAD_LIMIT + t,
                      guard_shm_slot(&shm, c, t));
            fill_stack(b, guard_shm_slot(&shm, c, t)->req_start,
                       guard_shm_stack(&shm, c, t));
        }
    }
    for (c = 0; c < CHAINS; c++) {
        fill_chain(b, &shm.chains[c]);
    }
    out->snap = guard_snapshot_take(p, &shm, &info, b->now);
    out->pool = p;
    out->snap->crash = fz_bool(&b->in) ? take_crashes(b, p, info.generation)
                                       : NULL;
    out->item = NULL;
    if (out->snap->crash && out->snap->crash->nitems > 0) {
        out->item = &out->snap->crash->items[fz_range(
            &b->in, 0, out->snap->crash->nitems - 1)];
    }
    out->child = (int)fz_range(&b->in, -1, SERVER_LIMIT);
    out->refresh = (int)fz_range(&b->in, 0, 3600);
    out->pids = fz_bool(&b->in);
}

/* ----------------------------------------------------- render twice */

static apr_pool_t *pool;

static const char *render(const char *what, const uint8_t *data,
                          size_t size, int clean, fz_render_fn *fn,
                          fz_check_fn *check, unsigned long *shape,
                          size_t *len)
{
    fz_snapshot_t fs;
    guard_sink_t *o;
    const char *out;

    fz_snapshot_build(pool, data, size, clean, &fs);
    o = guard_sink_buffer(pool);
    fn(&fs, o);
    out = guard_sink_buffer_data(o, len);
    fz_expect_valid(what, out, *len, check, shape);
    return out;
}

void fz_render_and_check(const char *what, const uint8_t *data, size_t size,
                         fz_render_fn *fn, fz_check_fn *check)
{
    unsigned long raw_shape, clean_shape;
    const char *raw, *clean;
    size_t raw_len, clean_len;

    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    raw = render(what, data, size, 0, fn, check, &raw_shape, &raw_len);
    clean = render(what, data, size, 1, fn, check, &clean_shape, &clean_len);
    if (raw_shape != clean_shape) {
        fprintf(stderr, "--- with special bytes replaced ---\n%.*s\n",
                (int)clean_len, clean);
        fz_fail(raw, raw_len, "%s: a string from the input changed the "
                "structure of the output", what);
    }
    apr_pool_clear(pool);
}
