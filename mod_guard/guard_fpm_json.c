/* SPDX-License-Identifier: Apache-2.0 */
/* PHP-FPM's `?full&json` status, parsed (guard_fpm_json.h). */
#include <stddef.h>
#include <string.h>
#include <apr_lib.h>
#include "guard_fpm_json.h"

#define DEPTH_MAX 8
#define KEY_LEN   32

typedef struct {
    const char *p;
    const char *end;
    const char *error;
} js_t;

static int fail(js_t *j, const char *why)
{
    if (!j->error) {
        j->error = why;
    }
    return -1;
}

static void skip_ws(js_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n'
                             || *j->p == '\r')) {
        j->p++;
    }
}

static int expect(js_t *j, char c)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != c) {
        return fail(j, "malformed JSON");
    }
    j->p++;
    return 0;
}

static int hex_digit(char c)
{
    if (!apr_isxdigit(c)) {
        return -1;
    }
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int hex4(const char *p, unsigned *v)
{
    int i, d;

    *v = 0;
    for (i = 0; i < 4; i++) {
        if ((d = hex_digit(p[i])) < 0) {
            return -1;
        }
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

/* One character of an escape; control bytes and what is not plain text
 * (surrogates, NUL) become '?'. */
static void put_char(char *out, apr_size_t cap, apr_size_t *n, unsigned cp)
{
    unsigned char b[4];
    apr_size_t k = 0, i;

    if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp < 0xe000)) {
        cp = '?';
    }
    if (cp < 0x80) {
        b[k++] = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        b[k++] = (unsigned char)(0xc0 | cp >> 6);
        b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
    }
    else {
        b[k++] = (unsigned char)(0xe0 | cp >> 12);
        b[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
    }
    if (*n + k >= cap) {
        return;                   /* cut at the field's size */
    }
    for (i = 0; i < k; i++) {
        out[(*n)++] = (char)b[i];
    }
}

static int escape(js_t *j, char *out, apr_size_t cap, apr_size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e;
    unsigned cp;

    if (j->p >= j->end) {
        return fail(j, "malformed JSON string");
    }
    if (*j->p == 'u') {
        if (j->end - j->p < 5 || hex4(j->p + 1, &cp) < 0) {
            return fail(j, "malformed JSON escape");
        }
        j->p += 5;
        put_char(out, cap, n, cp);
        return 0;
    }
    if (!(e = memchr(from, *j->p, sizeof(from) - 1))) {
        return fail(j, "malformed JSON escape");
    }
    put_char(out, cap, n, (unsigned char)to[e - from]);
    j->p++;
    return 0;
}

/* A string into out (cap bytes, NUL-terminated, cut to fit); out may be
 * NULL to skip it. */
static int string(js_t *j, char *out, apr_size_t cap)
{
    char dummy[2];
    apr_size_t n = 0;

    if (!out) {
        out = dummy, cap = sizeof(dummy);
    }
    if (expect(j, '"') < 0) {
        return -1;
    }
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;

        if (c == '\\') {
            if (escape(j, out, cap, &n) < 0) {
                return -1;
            }
        }
        else if (c < 0x20) {
            return fail(j, "control byte in a JSON string");
        }
        else if (n + 1 < cap) {
            out[n++] = (char)c;   /* UTF-8 as it is: renderers escape it */
        }
    }
    out[n] = '\0';
    return expect(j, '"');
}

/* A number: its integer part in *v (saturated), and two decimals in
 * *centi (v * 100 + fraction), for "last request cpu". */
static int number(js_t *j, apr_int64_t *v, apr_int64_t *centi)
{
    const apr_int64_t lim = APR_INT64_C(1) << 53;
    int neg = 0, digits = 0, frac = 0;
    apr_int64_t x = 0, f = 0;

    skip_ws(j);
    if (j->p < j->end && *j->p == '-') {
        neg = 1, j->p++;
    }
    for (; j->p < j->end && *j->p >= '0' && *j->p <= '9'; j->p++, digits++) {
        x = x < lim ? x * 10 + (*j->p - '0') : lim;
    }
    if (j->p < j->end && *j->p == '.') {
        for (j->p++; j->p < j->end && *j->p >= '0' && *j->p <= '9'; j->p++) {
            f = frac < 2 ? f * 10 + (*j->p - '0') : f;
            frac++;
        }
        if (!frac) {
            return fail(j, "malformed JSON number");
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        return fail(j, "JSON number with an exponent");
    }
    if (!digits) {
        return fail(j, "malformed JSON number");
    }
    f *= frac == 1 ? 10 : 1;
    *v = neg ? -x : x;
    *centi = (neg ? -1 : 1) * (x < lim / 100 ? x * 100 + f : lim);
    return 0;
}

/* The items of an array or object between open and close, separated by
 * commas; item parses one. */
typedef int (*item_fn)(js_t *j, void *baton);

static int items(js_t *j, char open, char close, item_fn item, void *baton)
{
    if (expect(j, open) < 0) {
        return -1;
    }
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        if (item(j, baton) < 0) {
            return -1;
        }
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return expect(j, close);
    }
}

static int skip_value(js_t *j, int depth);

typedef struct {
    int depth;
    int keys;                     /* an object's: "key": before each value */
} skip_t;

static int skip_item(js_t *j, void *baton)
{
    skip_t *sk = baton;

    if (sk->keys && (string(j, NULL, 0) < 0 || expect(j, ':') < 0)) {
        return -1;
    }
    return skip_value(j, sk->depth + 1);
}

static int skip_container(js_t *j, char close, int depth)
{
    skip_t sk = { depth, close == '}' };

    return items(j, close == '}' ? '{' : '[', close, skip_item, &sk);
}

static int literal(js_t *j, const char *word)
{
    apr_size_t n = strlen(word);

    if ((apr_size_t)(j->end - j->p) < n || memcmp(j->p, word, n)) {
        return fail(j, "malformed JSON");
    }
    j->p += n;
    return 0;
}

static int skip_value(js_t *j, int depth)
{
    apr_int64_t v, c;

    if (depth > DEPTH_MAX) {
        return fail(j, "JSON nested too deep");
    }
    skip_ws(j);
    if (j->p >= j->end) {
        return fail(j, "JSON cut short");
    }
    switch (*j->p) {
    case '{': return skip_container(j, '}', depth);
    case '[': return skip_container(j, ']', depth);
    case '"': return string(j, NULL, 0);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    default:  return number(j, &v, &c);
    }
}

/* Members of an object, each handed to fn with its key; fn parses the
 * value (or returns 1 to have it skipped). */
typedef int (*member_fn)(js_t *j, const char *key, void *baton);

typedef struct {
    member_fn fn;
    void *baton;
    int depth;
} object_t;

static int member_item(js_t *j, void *baton)
{
    object_t *ob = baton;
    char key[KEY_LEN];
    int rv;

    if (string(j, key, sizeof(key)) < 0 || expect(j, ':') < 0
        || (rv = ob->fn(j, key, ob->baton)) < 0) {
        return -1;
    }
    return rv > 0 ? skip_value(j, ob->depth + 1) : 0;
}

static int object(js_t *j, member_fn fn, void *baton, int depth)
{
    object_t ob = { fn, baton, depth };

    return items(j, '{', '}', member_item, &ob);
}

typedef struct {
    const char *key;
    apr_size_t off;
} field_t;

#define F(k, m) { k, offsetof(guard_fpm_counts_t, m) }
static const field_t pool_ints[] = {
    F("start time", start_time), F("accepted conn", accepted),
    F("listen queue", listen_queue), F("max listen queue", max_listen_queue),
    F("listen queue len", listen_queue_len),
    F("idle processes", idle), F("active processes", active),
    F("total processes", total), F("max active processes", max_active),
    F("max children reached", max_children_reached),
    F("slow requests", slow_requests), { NULL, 0 }
};
#undef F
#define F(k, m) { k, offsetof(guard_fpm_proc_t, m) }
static const field_t proc_ints[] = {
    F("start time", started), F("request duration", duration_us),
    F("last request memory", memory), F("content length", content_length),
    { NULL, 0 }
};
#undef F

typedef struct {
    const char *key;
    apr_size_t off;
    apr_size_t size;
} str_field_t;

#define S(k, type, m) { k, offsetof(type, m), sizeof(((type *)0)->m) }
static const str_field_t pool_strs[] = {
    S("pool", guard_fpm_counts_t, name),
    S("process manager", guard_fpm_counts_t, pm), { NULL, 0, 0 }
};
static const str_field_t proc_strs[] = {
    S("request method", guard_fpm_proc_t, method),
    S("request uri", guard_fpm_proc_t, uri),
    S("script", guard_fpm_proc_t, script),
    S("user", guard_fpm_proc_t, user), { NULL, 0, 0 }
};
#undef S

/* 0 parsed, -1 refused, 1 not a key of t. */
static int str_field(js_t *j, const str_field_t *t, const char *key,
                     void *rec)
{
    for (; t->key; t++) {
        if (!strcmp(t->key, key)) {
            return string(j, (char *)rec + t->off, t->size);
        }
    }
    return 1;
}

static int int_field(js_t *j, const field_t *t, const char *key, void *rec)
{
    apr_int64_t v, c;

    for (; t->key; t++) {
        if (!strcmp(t->key, key)) {
            if (number(j, &v, &c) < 0) {
                return -1;
            }
            memcpy((char *)rec + t->off, &v, sizeof(v));
            return 0;
        }
    }
    return 1;
}

/* pid, requests and "last request cpu": numbers of their own kinds. */
static int proc_number(js_t *j, const char *key, guard_fpm_proc_t *w)
{
    apr_int64_t v, c;

    if (strcmp(key, "pid") && strcmp(key, "requests")
        && strcmp(key, "last request cpu")) {
        return 1;
    }
    if (number(j, &v, &c) < 0) {
        return -1;
    }
    if (key[0] == 'p') {
        w->pid = v > 0 && v < APR_INT32_MAX ? (apr_int32_t)v : 0;
    }
    else if (key[0] == 'r') {
        w->requests = v > 0 ? (apr_uint64_t)v : 0;
    }
    else {
        w->cpu_centi = c;
    }
    return 0;
}

static int proc_member(js_t *j, const char *key, void *baton)
{
    guard_fpm_proc_t *w = baton;
    char state[32];
    int rv;

    if ((rv = int_field(j, proc_ints, key, w)) <= 0
        || (rv = proc_number(j, key, w)) <= 0
        || (rv = str_field(j, proc_strs, key, w)) <= 0) {
        return rv;
    }
    if (!strcmp(key, "state")) {
        rv = string(j, state, sizeof(state));
        w->state = guard_fpm_state_parse(state);
        return rv;
    }
    return 1;
}

typedef struct {
    guard_fpm_counts_t *c;
    guard_fpm_proc_t *procs;
    int max;
} parse_t;

/* One FPM worker: kept while there is room, counted always. */
static int proc_item(js_t *j, void *baton)
{
    parse_t *ps = baton;
    guard_fpm_proc_t scratch;
    guard_fpm_proc_t *w = ps->c->nprocs < (apr_uint32_t)ps->max
                          ? &ps->procs[ps->c->nprocs] : &scratch;

    memset(w, 0, sizeof(*w));
    if (object(j, proc_member, w, 2) < 0) {
        return -1;
    }
    ps->c->procs_total++;
    ps->c->nprocs += w != &scratch;
    return 0;
}

static int processes(js_t *j, parse_t *ps)
{
    return items(j, '[', ']', proc_item, ps);
}

static int pool_member(js_t *j, const char *key, void *baton)
{
    parse_t *ps = baton;
    int rv;

    if ((rv = int_field(j, pool_ints, key, ps->c)) <= 0
        || (rv = str_field(j, pool_strs, key, ps->c)) <= 0) {
        return rv;
    }
    return strcmp(key, "processes") ? 1 : processes(j, ps);
}

const char *guard_fpm_json_parse(const char *s, apr_size_t len,
                                 guard_fpm_counts_t *c,
                                 guard_fpm_proc_t *procs, int max)
{
    parse_t ps = { c, procs, max };
    js_t j = { s, s + len, NULL };

    memset(c, 0, sizeof(*c));
    if (object(&j, pool_member, &ps, 0) < 0) {
        return j.error ? j.error : "malformed JSON";
    }
    skip_ws(&j);
    if (j.p != j.end) {
        return "bytes after the JSON object";
    }
    if (!c->name[0]) {
        return "JSON without a pool name: not FPM's status";
    }
    return NULL;
}
