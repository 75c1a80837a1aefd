/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a PHP-FPM status socket may send (GuardFpmStatus): the input is fed
 * to the FastCGI reply parser in pieces of sizes taken from its end, and
 * what it collects, or the input itself, to the CGI head split and to the
 * parser of FPM's JSON. The STDOUT kept stays within its buffer; a parsed
 * pool has its counts within its array, its states within their table and
 * its strings terminated within their fields; made into a page it renders
 * as valid HTML, JSON, Prometheus text and ?auto. The address parser gets
 * the front of the input as a GuardFpmStatus value.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include "guard_fpm.h"
#include "guard_fpm_fcgi.h"
#include "guard_fpm_json.h"
#include "guard_status_fpm.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

#define OUT_CAP 65536

static apr_pool_t *pool;

#define TERMINATED(f) FZ_ASSERT(memchr((f), '\0', sizeof(f)) != NULL)

static void check_pool(const guard_fpm_pool_t *p)
{
    apr_uint32_t i;

    FZ_ASSERT(p->counts.nprocs <= GUARD_FPM_WORKERS);
    FZ_ASSERT(p->counts.nprocs <= p->counts.procs_total);
    TERMINATED(p->counts.name);
    TERMINATED(p->counts.pm);
    for (i = 0; i < p->counts.nprocs; i++) {
        FZ_ASSERT(p->procs[i].state < GUARD_FPM_STATE_MAX);
        TERMINATED(p->procs[i].uri);
        TERMINATED(p->procs[i].method);
        TERMINATED(p->procs[i].script);
        TERMINATED(p->procs[i].user);
    }
}

typedef const char *(*check_fn)(const char *, size_t, unsigned long *,
                                size_t *);

/* One format, wrapped so that the section stands as a whole document. */
static void render_one(const guard_fpm_view_t *v, const guard_snapshot_t *snap,
                       int format)
{
    static const char *const names[] = { "html", "json", "prometheus", "auto" };
    static const check_fn checks[] = { fz_html_check, fz_json_check,
                                       fz_prom_check, fz_auto_check };
    guard_sink_t *o = guard_sink_buffer(pool);
    const char *out;
    apr_size_t len;

    switch (format) {
    case 0:
        guard_puts(o, "<html><body>");
        guard_fpm_render_html(v, snap, o);
        guard_puts(o, "</body></html>");
        break;
    case 1:
        guard_puts(o, "{");
        guard_fpm_render_json(v, snap, o);
        guard_puts(o, "\"end\":0}");
        break;
    case 2:
        guard_fpm_render_prometheus(v, o);
        break;
    default:
        guard_fpm_render_auto(v, o);
    }
    out = guard_sink_buffer_data(o, &len);
    fz_expect_valid(names[format], out, len, checks[format], NULL);
}

static void render_all(guard_fpm_pool_t *p)
{
    guard_fpm_addr_t a;
    guard_fpm_totals_t t = { 1, 0, 10, 1 };
    guard_snapshot_t snap;
    guard_fpm_view_t *v;
    int f;

    memset(&snap, 0, sizeof(snap));
    snap.now = apr_time_from_sec(2000000000);
    snap.server.stuck_threshold = apr_time_from_sec(1);
    guard_fpm_addr_parse("unix:/run/x.sock", NULL, &a);
    p->status = GUARD_FPM_OK;
    p->last_ok = p->last_try = snap.now - 1;
    v = guard_fpm_view_take(pool, p, &a, 1, &t, &snap, apr_time_from_sec(1));
    for (f = 0; f < 4; f++) {
        render_one(v, &snap, f);
    }
}

static void parse_json(const char *s, size_t n)
{
    static guard_fpm_pool_t p;

    memset(&p, 0, sizeof(p));
    if (guard_fpm_json_parse(s, n, &p.counts, p.procs, GUARD_FPM_WORKERS)
        == NULL) {
        check_pool(&p);
        guard_fpm_sane(&p);
        render_all(&p);
    }
}

static void feed(const uint8_t *data, size_t size, fz_input_t *in)
{
    static char out[OUT_CAP];
    guard_fcgi_reply_t r;
    const char *body;
    apr_size_t blen, off = 0;
    char err[GUARD_FPM_ERR_LEN];
    int rv = 0;

    guard_fcgi_reply_init(&r, out, (apr_size_t)(fz_u8(in) + 1) * 256);
    while (off < size && rv == 0) {
        apr_size_t k = (apr_size_t)fz_u8(in) + 1;

        k = k < size - off ? k : size - off;
        rv = guard_fcgi_reply_feed(&r, data + off, k);
        FZ_ASSERT(r.out_len <= r.out_cap);
        off += k;
    }
    FZ_ASSERT(rv != -1 || r.error != NULL);
    if (rv == 1 && guard_fcgi_body(r.out, r.out_len, &body, &blen, err,
                                   sizeof(err)) == NULL) {
        FZ_ASSERT(body >= r.out && body + blen == r.out + r.out_len);
        parse_json(body, blen);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    guard_fpm_addr_t a;
    char value[256];
    size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;

    fz_init(&in, data, size);
    memcpy(value, data, n);
    value[n] = '\0';
    if (guard_fpm_addr_parse(value, NULL, &a) == NULL) {
        FZ_ASSERT(a.path[0] == '/' && a.address[0]);
        FZ_ASSERT(a.unix_path ? a.sock[0] == '/' : a.port > 0);
    }
    feed(data, size, &in);
    parse_json((const char *)data, size);
    apr_pool_clear(pool);
    return 0;
}
