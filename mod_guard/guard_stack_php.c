/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PHP frame walker (see guard_stack_php.h). The layouts are PHP's own:
 * a frame is a zend_execute_data, its function a zend_op_array (user code)
 * or a zend_internal_function, names are zend_strings. Each of them is
 * copied through wk->read before it is looked at; nothing of the target is
 * dereferenced here, so a frame freed or half written while we look gives
 * an error, not a fault.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>
#include "guard_stack_php.h"

#if GUARD_HAVE_PHP
#include "zend.h"
#include "zend_compile.h"
#include "zend_globals.h"
#include "zend_vm_opcodes.h"
#include "php_version.h"
#if !defined(ZTS)
#define GUARD_PHP_WALKS 1
#endif
#endif

#if GUARD_PHP_WALKS
#include <dlfcn.h>
#include <link.h>

#define ADDR(p) ((apr_uint64_t)(apr_uintptr_t)(p))

/* Below: the zero page. Above: no user space (x86-64 ends below 2^47,
 * 2^56 with 5-level paging; arm64 below 2^52). */
#define PHP_ADDR_MIN 4096
#define PHP_ADDR_MAX (APR_UINT64_C(1) << 56)

/* Frames looked at, dummy frames included: zend_call_function adds at
 * most one per call it makes, so twice the kept frames and the ends. */
#define PHP_VISITS (2 * GUARD_STACK_FRAMES + 2)

#define FNV_OFFSET APR_UINT64_C(14695981039346656037)
#define FNV_PRIME  APR_UINT64_C(1099511628211)

/* What a walk needs of a function, read once. */
typedef struct {
    zend_uchar type;
    apr_uint64_t name;            /* zend_string; 0: a file's code */
    apr_uint64_t scope;           /* zend_class_entry; 0: none */
    apr_uint64_t filename;        /* user code only, as below */
    apr_uint64_t opcodes;
    apr_uint32_t last;
    apr_uint32_t line_start;
} php_func_t;

typedef struct {
    const guard_php_walker_t *wk;
    guard_php_walk_info_t *info;
    guard_php_frame_t *out;
    int n;
    int max;
    apr_uint64_t seen[PHP_VISITS];
    /* What each frame seen held: read again, the other way, at the end. */
    apr_uint64_t seen_func[PHP_VISITS];
    apr_uint64_t seen_opline[PHP_VISITS];
    apr_uint64_t seen_prev[PHP_VISITS];
    int nseen;
    /* A file's frame is named by what calls it, the next frame down: its
     * index, and whether an internal frame came between. */
    int pending;
    int pending_gap;
    /* The last file read, and the frame it went to: a stack is mostly in
     * few files. */
    apr_uint64_t file_addr;
    const char *file_text;
} php_walk_t;

static int addr_ok(apr_uint64_t a)
{
    return a >= PHP_ADDR_MIN && a < PHP_ADDR_MAX && !(a & 7);
}

static int rd(php_walk_t *w, apr_uint64_t addr, void *buf, apr_size_t len)
{
    w->info->reads++;
    return w->wk->read(w->wk->baton, addr, buf, len) == 0 ? 0 : -1;
}

static void sig_mix(php_walk_t *w, apr_uint64_t v)
{
    w->info->sig = (w->info->sig ^ v) * FNV_PRIME;
}

/* Into dst[cap] (cap >= 1): the first bytes of text, control bytes as '?'
 * (a torn string must not break a log line or a page). */
static void put_text(char *dst, apr_size_t cap, const unsigned char *s,
                     apr_size_t n)
{
    apr_size_t i;

    if (n > cap - 1) {
        n = cap - 1;
    }
    for (i = 0; i < n; i++) {
        dst[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
    }
    dst[n] = '\0';
}

/* A zend_string's text into dst[cap]: at most cap - 1 bytes. */
static int read_zstr(php_walk_t *w, apr_uint64_t zs, char *dst, apr_size_t cap)
{
    union {
        zend_string s;
        unsigned char b[offsetof(zend_string, val) + GUARD_FRAME_FILE_LEN];
    } u;
    const apr_size_t hdr = offsetof(zend_string, val);
    apr_size_t want, n;

    if (cap == 0) {
        return 0;
    }
    dst[0] = '\0';
    if (!addr_ok(zs)) {
        return -1;
    }
    want = hdr + cap - 1;
    if (want > sizeof(u.b)) {
        want = sizeof(u.b);
    }
    /* Header and text in one read; a short string at the end of a mapping
     * needs two. */
    if (rd(w, zs, u.b, want) == 0) {
        n = u.s.len < want - hdr ? u.s.len : want - hdr;
    }
    else {
        if (rd(w, zs, u.b, hdr)) {
            return -1;
        }
        n = u.s.len < want - hdr ? u.s.len : want - hdr;
        if (n && rd(w, zs + hdr, u.b + hdr, n)) {
            return -1;
        }
    }
    put_text(dst, cap, u.b + hdr, n);
    return 0;
}

static int read_ptr(php_walk_t *w, apr_uint64_t addr, apr_uint64_t *p)
{
    void *v;

    if (rd(w, addr, &v, sizeof(v))) {
        return -1;
    }
    *p = ADDR(v);
    return 0;
}

static int type_ok(zend_uchar type)
{
    return type == ZEND_INTERNAL_FUNCTION || type == ZEND_USER_FUNCTION
           || type == ZEND_EVAL_CODE;
}

static void func_of(const zend_function *u, php_func_t *f)
{
    memset(f, 0, sizeof(*f));
    f->type = u->type;
    f->name = ADDR(u->common.function_name);
    f->scope = ADDR(u->common.scope);
    if (ZEND_USER_CODE(u->type)) {
        f->filename = ADDR(u->op_array.filename);
        f->opcodes = ADDR(u->op_array.opcodes);
        f->last = u->op_array.last;
        f->line_start = u->op_array.line_start;
    }
}

static int read_func(php_walk_t *w, apr_uint64_t fn, php_func_t *f)
{
    zend_function u;

    if (!addr_ok(fn)) {
        return -1;
    }
    /* A user function in one read; an internal one is allocated only as
     * large as a zend_internal_function and may end its mapping. */
    if (rd(w, fn, &u, sizeof(u.op_array))) {
        if (rd(w, fn, &u, sizeof(u.internal_function))
            || ZEND_USER_CODE(u.type)) {
            return -1;
        }
    }
    if (!type_ok(u.type)) {
        return -1;
    }
    func_of(&u, f);
    return 0;
}

/* The frame's opline, when it lies in the function's code: the VM stores
 * it at calls, and keeps it in a register in between. */
static int read_opline(php_walk_t *w, const php_func_t *f, apr_uint64_t op,
                       zend_op *out)
{
    apr_uint64_t end;

    if (!ZEND_USER_CODE(f->type) || !addr_ok(f->opcodes) || !op) {
        return -1;
    }
    end = f->opcodes + (apr_uint64_t)f->last * sizeof(zend_op);
    if (op < f->opcodes || op >= end
        || (op - f->opcodes) % sizeof(zend_op) != 0) {
        return -1;
    }
    return rd(w, op, out, sizeof(*out));
}

/* "name", "Class::name"; a closure's name is "{closure}" already. */
static int name_function(php_walk_t *w, const php_func_t *f,
                         guard_php_frame_t *out)
{
    const apr_size_t cap = sizeof(out->function);
    apr_uint64_t cname;
    apr_size_t at = 0;

    if (f->scope) {
        if (!addr_ok(f->scope)
            || read_ptr(w, f->scope + offsetof(zend_class_entry, name), &cname)
            || read_zstr(w, cname, out->function, cap)) {
            return -1;
        }
        at = strlen(out->function);
        put_text(out->function + at, cap - at, (const unsigned char *)"::", 2);
        at = strlen(out->function);
    }
    return read_zstr(w, f->name, out->function + at, cap - at);
}

static int name_file(php_walk_t *w, const php_func_t *f,
                     guard_php_frame_t *out)
{
    if (!f->filename) {
        return 0;
    }
    if (f->filename == w->file_addr) {
        memcpy(out->file, w->file_text, sizeof(out->file));
        return 0;
    }
    if (read_zstr(w, f->filename, out->file, sizeof(out->file))) {
        return -1;
    }
    w->file_addr = f->filename;
    w->file_text = out->file;
    return 0;
}

static void fill_line(const php_func_t *f, const zend_op *op,
                      guard_php_frame_t *out)
{
    if (op) {
        out->line = op->lineno;
        return;
    }
    out->line = f->line_start;
    out->flags |= GUARD_PHPF_LINE_APPROX;
}

static int fill_frame(php_walk_t *w, const php_func_t *f, const zend_op *op,
                      guard_php_frame_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!ZEND_USER_CODE(f->type)) {
        out->flags = GUARD_PHPF_INTERNAL;
        return f->name ? name_function(w, f, out) : -1;
    }
    if (f->name && name_function(w, f, out)) {
        return -1;
    }
    if (name_file(w, f, out)) {
        return -1;
    }
    fill_line(f, op, out);
    return 0;
}

static const char *include_kind(const zend_op *op)
{
    if (!op || op->opcode != ZEND_INCLUDE_OR_EVAL) {
        return "include";
    }
    switch (op->extended_value) {
    case ZEND_EVAL:
        return "eval";
    case ZEND_INCLUDE_ONCE:
        return "include_once";
    case ZEND_REQUIRE:
        return "require";
    case ZEND_REQUIRE_ONCE:
        return "require_once";
    default:
        return "include";
    }
}

static void name_pending(php_walk_t *w, const char *name)
{
    guard_php_frame_t *p = &w->out[w->pending];

    put_text(p->function, sizeof(p->function), (const unsigned char *)name,
             strlen(name));
    w->pending = -1;
}

/* A file's frame called from user code is an include (of the kind the
 * caller's opline says, when the caller is right below it); one with no
 * user code below it is the script itself. */
static void resolve_pending(php_walk_t *w, const php_func_t *f,
                            const zend_op *op)
{
    if (w->pending < 0) {
        return;
    }
    if (!ZEND_USER_CODE(f->type)) {
        w->pending_gap = 1;
        return;
    }
    name_pending(w, w->pending_gap ? "include" : include_kind(op));
}

static int visit(php_walk_t *w, apr_uint64_t ex)
{
    int i;

    if (!addr_ok(ex)) {
        return -1;
    }
    for (i = 0; i < w->nseen; i++) {
        if (w->seen[i] == ex) {
            return -1;
        }
    }
    w->seen[w->nseen++] = ex;
    return 0;
}

/* One frame with a function: named to out, or past max only to name the
 * file frame above it. 1: stop here (max frames kept). */
static int take_frame(php_walk_t *w, const zend_execute_data *ed)
{
    php_func_t f;
    zend_op op;
    const zend_op *opp;

    if (w->n == w->max && w->pending < 0) {
        return 1;
    }
    if (read_func(w, ADDR(ed->func), &f)) {
        return -1;
    }
    opp = read_opline(w, &f, ADDR(ed->opline), &op) == 0 ? &op : NULL;
    resolve_pending(w, &f, opp);
    if (w->n == w->max) {
        return w->pending < 0;
    }
    if (fill_frame(w, &f, opp, &w->out[w->n])) {
        return -1;
    }
    if (ZEND_USER_CODE(f.type) && !f.name) {
        w->pending = w->n;
        w->pending_gap = 0;
    }
    w->n++;
    return 0;
}

/* From ex down: 0 at the chain's end, 1 stopped early, -1 unreadable. */
static int walk_chain(php_walk_t *w, apr_uint64_t ex)
{
    zend_execute_data ed;
    int rc;

    while (ex) {
        if (w->nseen == PHP_VISITS) {
            return 1;
        }
        if (visit(w, ex) || rd(w, ex, &ed, sizeof(ed))) {
            return -1;
        }
        sig_mix(w, ex);
        sig_mix(w, ADDR(ed.func));
        sig_mix(w, ADDR(ed.opline));
        w->seen_func[w->nseen - 1] = ADDR(ed.func);
        w->seen_opline[w->nseen - 1] = ADDR(ed.opline);
        w->seen_prev[w->nseen - 1] = ADDR(ed.prev_execute_data);
        /* No function: zend_call_function's dummy frame. */
        if (ed.func && (rc = take_frame(w, &ed)) != 0) {
            return rc;
        }
        ex = ADDR(ed.prev_execute_data);
    }
    return 0;
}

/* A running thread changes its frames while they are read, top first: the
 * top frame read early, the caller read late, can make a chain the thread
 * was never in, and one that comes out the same each time. Every frame seen
 * is read again from the bottom up, then the globals: 0 when each still
 * holds what the walk took from it. */
static int still_there(php_walk_t *w, apr_uint64_t top)
{
    zend_execute_data ed;
    apr_uint64_t now;
    int i;

    for (i = w->nseen - 1; i >= 0; i--) {
        if (rd(w, w->seen[i], &ed, sizeof(ed))
            || ADDR(ed.func) != w->seen_func[i]
            || ADDR(ed.opline) != w->seen_opline[i]
            || ADDR(ed.prev_execute_data) != w->seen_prev[i]) {
            return -1;
        }
    }
    return read_ptr(w, w->wk->eg + offsetof(zend_executor_globals,
                                            current_execute_data), &now)
           || now != top ? -1 : 0;
}

int guard_php_built(void)
{
    return 1;
}

const char *guard_php_built_for(void)
{
    return "PHP " PHP_VERSION " (Zend Engine v" ZEND_VERSION "), non-ZTS";
}

int guard_php_walk(const guard_php_walker_t *wk, guard_php_frame_t *out,
                   int max, guard_php_walk_info_t *info)
{
    php_walk_t w;
    apr_uint64_t ex;
    int rc;

    memset(info, 0, sizeof(*info));
    info->sig = FNV_OFFSET;
    w.wk = wk;
    w.info = info;
    w.out = out;
    w.n = 0;
    w.max = max < 0 ? 0 : max > GUARD_STACK_FRAMES ? GUARD_STACK_FRAMES : max;
    w.nseen = 0;
    w.pending = -1;
    w.pending_gap = 0;
    w.file_addr = 0;
    w.file_text = NULL;
    if (!addr_ok(wk->eg)
        || read_ptr(&w, wk->eg + offsetof(zend_executor_globals,
                                          current_execute_data), &ex)) {
        return -1;
    }
    rc = walk_chain(&w, ex);
    if (rc < 0) {
        return -1;
    }
    if (w.nseen > 0 && still_there(&w, ex)) {
        info->torn = 1;
        return -1;
    }
    info->complete = rc == 0;
    if (w.pending >= 0) {
        /* Stopped early: something is below, not known what. */
        name_pending(&w, info->complete ? "{main}" : "include");
    }
    info->line_approx = w.n > 0 && (out[0].flags & GUARD_PHPF_LINE_APPROX);
    return w.n;
}

static int refuse(char *why, apr_size_t len, const char *text)
{
    if (len) {
        apr_cpystrn(why, text, len);
    }
    return -1;
}

/* "Zend Engine v4.2.36, Copyright ...": the running engine is the one the
 * headers describe. */
static int check_version(const char *running, char *why, apr_size_t len)
{
    static const char prefix[] = "Zend Engine v";
    char v[32];
    apr_size_t n = 0;

    if (!running || strncmp(running, prefix, sizeof(prefix) - 1) != 0) {
        return refuse(why, len, "get_zend_version() names no Zend Engine "
                      "version");
    }
    running += sizeof(prefix) - 1;
    while (n < sizeof(v) - 1 && running[n] && running[n] != ','
           && running[n] != ' ' && running[n] != '\n') {
        v[n] = running[n];
        n++;
    }
    v[n] = '\0';
    if (strcmp(v, ZEND_VERSION) != 0) {
        apr_snprintf(why, len, "Zend Engine v%s running, built for v%s", v,
                     ZEND_VERSION);
        return -1;
    }
    return 0;
}

#define PHP_ZTS_WHY "PHP is thread-safe (ZTS): its executor globals are " \
                    "per thread; no PHP frames"

int guard_php_check(const guard_php_found_t *f, apr_uint64_t *eg, char *why,
                    apr_size_t len)
{
    *eg = 0;
    if (len) {
        why[0] = '\0';
    }
    if (!f->eg) {
        return refuse(why, len, f->zts ? PHP_ZTS_WHY
                      : "no executor_globals: PHP is not loaded");
    }
    if (!f->have_version) {
        return refuse(why, len, "no get_zend_version: not the PHP built for");
    }
    if (check_version(f->version, why, len)) {
        return -1;
    }
    if (!f->eg_size) {
        return refuse(why, len, "executor_globals: its size is not known");
    }
    if (f->eg_size != sizeof(zend_executor_globals)) {
        apr_snprintf(why, len, "executor_globals is %" APR_UINT64_T_FMT
                     " bytes, built for %" APR_SIZE_T_FMT,
                     f->eg_size, sizeof(zend_executor_globals));
        return -1;
    }
    *eg = f->eg;
    return 0;
}

/* What the process's symbol tables say of the PHP it runs. */
static void find_php(guard_php_found_t *f)
{
    const char *(*version)(void);
    const ElfW(Sym) *es = NULL;
    Dl_info dli;
    void *sym;

    memset(f, 0, sizeof(*f));
    sym = dlsym(RTLD_DEFAULT, "executor_globals");
    f->zts = dlsym(RTLD_DEFAULT, "executor_globals_offset") != NULL;
    if (!sym) {
        return;
    }
    f->eg = ADDR(sym);
    version = (const char *(*)(void))dlsym(RTLD_DEFAULT, "get_zend_version");
    f->have_version = version != NULL;
    f->version = version ? version() : NULL;
    if (dladdr1(sym, &dli, (void **)&es, RTLD_DL_SYMENT) && es) {
        f->eg_size = (apr_uint64_t)es->st_size;
    }
}

int guard_php_locate(apr_uint64_t *eg, char *why, apr_size_t len)
{
    guard_php_found_t f;

    find_php(&f);
    return guard_php_check(&f, eg, why, len);
}

const char *guard_php_unbuilt_why(void)
{
    return "";
}

#else /* no PHP frames */

#if GUARD_HAVE_PHP
#define PHP_NO_WALK "PHP is thread-safe (ZTS): its globals are per thread; " \
                    "no PHP frames"
#define PHP_UNBUILT "the PHP headers are of a thread-safe (ZTS) PHP"
#else
#define PHP_NO_WALK "built without PHP's headers"
#define PHP_UNBUILT "no PHP headers"
#endif

int guard_php_built(void)
{
    return 0;
}

const char *guard_php_built_for(void)
{
    return "";
}

int guard_php_walk(const guard_php_walker_t *wk, guard_php_frame_t *out,
                   int max, guard_php_walk_info_t *info)
{
    memset(info, 0, sizeof(*info));
    return -1;
}

int guard_php_check(const guard_php_found_t *f, apr_uint64_t *eg, char *why,
                    apr_size_t len)
{
    *eg = 0;
    if (len) {
        apr_cpystrn(why, PHP_NO_WALK, len);
    }
    return -1;
}

int guard_php_locate(apr_uint64_t *eg, char *why, apr_size_t len)
{
    return guard_php_check(NULL, eg, why, len);
}

const char *guard_php_unbuilt_why(void)
{
    return PHP_UNBUILT;
}

#endif
