/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of guard_stack_php.c. The stacks are PHP's own structs laid
 * out in this process as the engine lays them out; the reader knows only
 * the objects registered here, each at its exact size, and fails for any
 * other address, as process_vm_readv fails for unmapped memory.
 */
#include "guard_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include "guard_stack_php.h"
#include "guard_unit.h"

#if GUARD_HAVE_PHP
#include "zend.h"
#include "zend_compile.h"
#include "zend_globals.h"
#include "zend_vm_opcodes.h"
#include "php_version.h"
#if !defined(ZTS)
#define PHP_WALKS 1
#endif
#endif

#if PHP_WALKS

#define MEM_REGIONS 512

typedef struct {
    const void *base[MEM_REGIONS];
    apr_size_t len[MEM_REGIONS];
    int n;
    void *owned[MEM_REGIONS];
    int nowned;
    unsigned calls;
    unsigned low;                 /* asked for the zero page */
} fake_mem_t;

static fake_mem_t mem;
static zend_executor_globals *eg;
static guard_php_walker_t wk;
static guard_php_frame_t out[GUARD_STACK_FRAMES + 1];
static guard_php_walk_info_t info;

static int mem_read(void *baton, apr_uint64_t addr, void *buf, apr_size_t len)
{
    fake_mem_t *m = baton;
    int i;

    m->calls++;
    if (addr < 4096) {
        m->low++;
    }
    for (i = 0; i < m->n; i++) {
        apr_uint64_t b = (apr_uint64_t)(apr_uintptr_t)m->base[i];

        if (addr >= b && addr - b <= m->len[i]
            && len <= m->len[i] - (addr - b)) {
            memcpy(buf, (const void *)(apr_uintptr_t)addr, len);
            return 0;
        }
    }
    return -1;
}

static void mem_add(const void *p, apr_size_t len)
{
    ck_assert_int_lt(mem.n, MEM_REGIONS);
    mem.base[mem.n] = p;
    mem.len[mem.n] = len;
    mem.n++;
}

/* Zeroed, and readable at exactly len bytes. */
static void *mem_new(apr_size_t len)
{
    void *p = calloc(1, len);

    ck_assert_ptr_nonnull(p);
    ck_assert_int_lt(mem.nowned, MEM_REGIONS);
    mem.owned[mem.nowned++] = p;
    mem_add(p, len);
    return p;
}

static void setup(void)
{
    memset(&mem, 0, sizeof(mem));
    eg = mem_new(sizeof(*eg));
    wk.read = mem_read;
    wk.baton = &mem;
    wk.eg = (apr_uint64_t)(apr_uintptr_t)eg;
}

static void teardown(void)
{
    int i;

    for (i = 0; i < mem.nowned; i++) {
        free(mem.owned[i]);
    }
    memset(&mem, 0, sizeof(mem));
}

/* As the engine allocates them: header, text, NUL. */
static zend_string *zstr_n(const char *s, apr_size_t n)
{
    char *p = mem_new(offsetof(zend_string, val) + n + 1);
    zend_string *z = (zend_string *)p;

    z->len = n;
    memcpy(p + offsetof(zend_string, val), s, n);
    return z;
}

static zend_string *zstr(const char *s)
{
    return zstr_n(s, strlen(s));
}

static zend_class_entry *class_named(const char *name)
{
    zend_class_entry *ce = mem_new(sizeof(*ce));

    ce->name = zstr(name);
    return ce;
}

/* nops oplines at lines line_start, line_start + 1 ... */
static zend_op_array *user_fn(const char *name, zend_class_entry *scope,
                              zend_string *file, apr_uint32_t line_start,
                              apr_uint32_t nops)
{
    zend_op_array *oa = mem_new(sizeof(*oa));
    zend_op *ops = mem_new(nops * sizeof(zend_op));
    apr_uint32_t i;

    oa->type = ZEND_USER_FUNCTION;
    oa->function_name = name ? zstr(name) : NULL;
    oa->scope = scope;
    oa->filename = file;
    oa->line_start = line_start;
    oa->line_end = line_start + nops;
    oa->opcodes = ops;
    oa->last = nops;
    for (i = 0; i < nops; i++) {
        ops[i].lineno = line_start + i;
    }
    return oa;
}

/* Only as large as itself, as the engine allocates internal functions. */
static zend_internal_function *internal_fn(const char *name,
                                           zend_class_entry *scope)
{
    zend_internal_function *fn = mem_new(sizeof(*fn));

    fn->type = ZEND_INTERNAL_FUNCTION;
    fn->function_name = zstr(name);
    fn->scope = scope;
    return fn;
}

static zend_execute_data *frame(void *fn, const zend_op *opline,
                                zend_execute_data *prev)
{
    zend_execute_data *ed = mem_new(sizeof(*ed));

    ed->func = fn;
    ed->opline = opline;
    ed->prev_execute_data = prev;
    return ed;
}

/* A user function's frame at its k-th opline. */
static zend_execute_data *at(zend_op_array *fn, int k, zend_execute_data *prev)
{
    return frame(fn, &fn->opcodes[k], prev);
}

static int walk(int max)
{
    memset(out, 0xa5, sizeof(out));
    memset(&info, 0x5a, sizeof(info));
    mem.calls = 0;
    mem.low = 0;
    return guard_php_walk(&wk, out, max, &info);
}

static int untouched(int i)
{
    const unsigned char *p = (const unsigned char *)&out[i];
    apr_size_t k;

    for (k = 0; k < sizeof(out[i]); k++) {
        if (p[k] != 0xa5) {
            return 0;
        }
    }
    return 1;
}

#define EXPECT(i, fn, file_, line_, flags_) do { \
        ck_assert_str_eq(out[i].function, fn); \
        ck_assert_str_eq(out[i].file, file_); \
        ck_assert_uint_eq(out[i].line, line_); \
        ck_assert_uint_eq(out[i].flags, flags_); \
    } while (0)

#define APP "/srv/www/app.php"

/* {main} at 30 -> a at 12 -> b at 23 -> c at 31; the top is the last. */
static zend_execute_data *abc[4];
static zend_op_array *abc_fn[4];

static void build_abc(void)
{
    zend_string *file = zstr(APP);

    abc_fn[0] = user_fn(NULL, NULL, file, 1, 40);
    abc_fn[1] = user_fn("a", NULL, file, 10, 5);
    abc_fn[2] = user_fn("b", NULL, file, 20, 5);
    abc_fn[3] = user_fn("c", NULL, file, 30, 5);
    abc[0] = at(abc_fn[0], 29, NULL);
    abc[1] = at(abc_fn[1], 2, abc[0]);
    abc[2] = at(abc_fn[2], 3, abc[1]);
    abc[3] = at(abc_fn[3], 1, abc[2]);
    eg->current_execute_data = abc[3];
}

START_TEST(nested_user_functions)
{
    build_abc();
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(0, "c", APP, 31, 0);
    EXPECT(1, "b", APP, 23, 0);
    EXPECT(2, "a", APP, 12, 0);
    EXPECT(3, "{main}", APP, 30, 0);
    ck_assert(untouched(4));
    ck_assert_int_eq(info.complete, 1);
    ck_assert_int_eq(info.line_approx, 0);
    ck_assert_uint_gt(info.reads, 0);
    ck_assert_uint_eq(info.reads, mem.calls);
}
END_TEST

START_TEST(no_php_code_runs)
{
    eg->current_execute_data = NULL;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 0);
    ck_assert_int_eq(info.complete, 1);
    ck_assert_uint_eq(info.reads, 1);
    ck_assert(untouched(0));
}
END_TEST

START_TEST(class_method_and_internal_method)
{
    zend_string *file = zstr(APP);
    zend_op_array *main_fn = user_fn(NULL, NULL, file, 1, 10);
    zend_op_array *run = user_fn("run", class_named("Svc"), file, 40, 10);
    zend_internal_function *query = internal_fn("query", class_named("PDO"));
    zend_execute_data *f;

    f = at(main_fn, 8, NULL);
    f = at(run, 3, f);
    eg->current_execute_data = frame(query, NULL, f);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(0, "PDO::query", "", 0, GUARD_PHPF_INTERNAL);
    EXPECT(1, "Svc::run", APP, 43, 0);
    EXPECT(2, "{main}", APP, 9, 0);
    ck_assert_int_eq(info.complete, 1);
}
END_TEST

START_TEST(closures)
{
    zend_string *file = zstr(APP);
    zend_op_array *main_fn = user_fn(NULL, NULL, file, 1, 10);
    zend_op_array *scoped = user_fn("{closure}", class_named("Svc"), file,
                                    50, 5);
    zend_op_array *bare = user_fn("{closure}", NULL, file, 60, 5);
    zend_internal_function *map = internal_fn("array_map", NULL);
    zend_execute_data *f;

    scoped->fn_flags |= ZEND_ACC_CLOSURE;
    bare->fn_flags |= ZEND_ACC_CLOSURE;
    f = at(main_fn, 2, NULL);
    f = at(scoped, 1, f);
    f = frame(map, NULL, f);
    eg->current_execute_data = at(bare, 4, f);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(0, "{closure}", APP, 64, 0);
    EXPECT(1, "array_map", "", 0, GUARD_PHPF_INTERNAL);
    EXPECT(2, "Svc::{closure}", APP, 51, 0);
    EXPECT(3, "{main}", APP, 3, 0);
}
END_TEST

#define INDEX "/srv/www/index.php"
#define LIB "/srv/www/lib.php"

/* {main} of index.php at 5 includes lib.php, at 3 calling f, at 8. */
static zend_op_array *inc_main, *inc_file;
static zend_execute_data *inc_frames[3];

static void build_include(apr_uint32_t kind)
{
    zend_string *lib = zstr(LIB);
    zend_op_array *f = user_fn("f", NULL, lib, 7, 3);

    inc_main = user_fn(NULL, NULL, zstr(INDEX), 1, 10);
    inc_main->opcodes[4].opcode = ZEND_INCLUDE_OR_EVAL;
    inc_main->opcodes[4].extended_value = kind;
    inc_file = user_fn(NULL, NULL, lib, 1, 10);
    inc_frames[0] = at(inc_main, 4, NULL);
    inc_frames[1] = at(inc_file, 2, inc_frames[0]);
    inc_frames[2] = at(f, 1, inc_frames[1]);
    eg->current_execute_data = inc_frames[2];
}

START_TEST(include_kinds)
{
    static const struct {
        apr_uint32_t kind;
        const char *name;
    } kinds[] = {
        { ZEND_INCLUDE, "include" },
        { ZEND_INCLUDE_ONCE, "include_once" },
        { ZEND_REQUIRE, "require" },
        { ZEND_REQUIRE_ONCE, "require_once" },
        { ZEND_EVAL, "eval" },
    };
    apr_size_t i;

    build_include(0);
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        inc_main->opcodes[4].extended_value = kinds[i].kind;
        inc_file->type = kinds[i].kind == ZEND_EVAL ? ZEND_EVAL_CODE
                                                    : ZEND_USER_FUNCTION;
        ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
        EXPECT(0, "f", LIB, 8, 0);
        EXPECT(1, kinds[i].name, LIB, 3, 0);
        EXPECT(2, "{main}", INDEX, 5, 0);
        ck_assert_int_eq(info.complete, 1);
    }
}
END_TEST

START_TEST(include_kind_unknown)
{
    build_include(ZEND_REQUIRE_ONCE);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    ck_assert_str_eq(out[1].function, "require_once");
    /* The caller's opline is not the include. */
    inc_frames[0]->opline = &inc_main->opcodes[3];
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(1, "include", LIB, 3, 0);
    EXPECT(2, "{main}", INDEX, 4, 0);
    /* Not stored. */
    inc_frames[0]->opline = NULL;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(1, "include", LIB, 3, 0);
    EXPECT(2, "{main}", INDEX, 1, GUARD_PHPF_LINE_APPROX);
    /* An include kind the engine does not have. */
    inc_frames[0]->opline = &inc_main->opcodes[4];
    inc_main->opcodes[4].extended_value = 0x40;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(1, "include", LIB, 3, 0);
    /* Unreadable: past the end of the caller's code. */
    inc_main->opcodes[4].extended_value = ZEND_REQUIRE;
    inc_main->last = 4;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(1, "include", LIB, 3, 0);
}
END_TEST

START_TEST(include_from_internal_code)
{
    zend_internal_function *cb = internal_fn("call_user_func", NULL);

    build_include(ZEND_REQUIRE);
    /* An internal frame between the file and the user code below it. */
    inc_frames[1]->prev_execute_data = frame(cb, NULL, inc_frames[0]);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(1, "include", LIB, 3, 0);
    EXPECT(2, "call_user_func", "", 0, GUARD_PHPF_INTERNAL);
    EXPECT(3, "{main}", INDEX, 5, 0);
    /* No user code below at all: the file is the script. */
    inc_frames[1]->prev_execute_data = frame(cb, NULL, NULL);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 3);
    EXPECT(1, "{main}", LIB, 3, 0);
    EXPECT(2, "call_user_func", "", 0, GUARD_PHPF_INTERNAL);
    ck_assert_int_eq(info.complete, 1);
}
END_TEST

START_TEST(dummy_frames_skipped)
{
    build_abc();
    /* zend_call_function's: no function, below the script and between. */
    abc[0]->prev_execute_data = frame(NULL, NULL, NULL);
    abc[2]->prev_execute_data = frame(NULL, NULL, abc[1]);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(1, "b", APP, 23, 0);
    EXPECT(2, "a", APP, 12, 0);
    EXPECT(3, "{main}", APP, 30, 0);
    ck_assert_int_eq(info.complete, 1);
    /* Only the script. */
    eg->current_execute_data = abc[0];
    ck_assert_int_eq(walk(1), 1);
    EXPECT(0, "{main}", APP, 30, 0);
    ck_assert_int_eq(info.complete, 1);
}
END_TEST

START_TEST(internal_function_on_top)
{
    build_abc();
    eg->current_execute_data = frame(internal_fn("fread", NULL), NULL, abc[3]);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 5);
    EXPECT(0, "fread", "", 0, GUARD_PHPF_INTERNAL);
    EXPECT(1, "c", APP, 31, 0);
    EXPECT(4, "{main}", APP, 30, 0);
    ck_assert_int_eq(info.line_approx, 0);
}
END_TEST

START_TEST(stale_top_opline)
{
    const zend_op *stale[4];
    int i;

    build_abc();
    stale[0] = &abc_fn[1]->opcodes[0];      /* another function's */
    stale[1] = NULL;
    stale[2] = (const zend_op *)((const char *)&abc_fn[3]->opcodes[1] + 8);
    stale[3] = &abc_fn[3]->opcodes[5];      /* one past the end */
    for (i = 0; i < 4; i++) {
        abc[3]->opline = stale[i];
        ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
        EXPECT(0, "c", APP, 30, GUARD_PHPF_LINE_APPROX);
        EXPECT(1, "b", APP, 23, 0);
        ck_assert_int_eq(info.line_approx, 1);
        ck_assert_int_eq(info.complete, 1);
    }
    /* Below the top: the frame says so, the walk does not. */
    abc[3]->opline = &abc_fn[3]->opcodes[1];
    abc[2]->opline = NULL;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(0, "c", APP, 31, 0);
    EXPECT(1, "b", APP, 20, GUARD_PHPF_LINE_APPROX);
    ck_assert_int_eq(info.line_approx, 0);
}
END_TEST

START_TEST(opline_unreadable)
{
    build_abc();
    /* In range, but the code itself cannot be read. */
    abc_fn[3]->opcodes = (zend_op *)(apr_uintptr_t)0x7f0000001000;
    abc[3]->opline = abc_fn[3]->opcodes + 1;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(0, "c", APP, 30, GUARD_PHPF_LINE_APPROX);
    ck_assert_int_eq(info.line_approx, 1);
    /* No code, and an opline that would be in it if there were. */
    abc_fn[3]->opcodes = NULL;
    abc_fn[3]->last = 0x7fffffff;
    abc[3]->opline = (const zend_op *)(apr_uintptr_t)0x40;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    EXPECT(0, "c", APP, 30, GUARD_PHPF_LINE_APPROX);
    ck_assert_uint_eq(mem.low, 0);
}
END_TEST

START_TEST(bad_pointer_in_the_middle)
{
    zend_execute_data copy;
    void *bad[4];
    int i;

    build_abc();
    /* The zero page, misaligned, beyond user space, and a frame that is
     * real but not readable: only reads may see the target's memory. */
    memcpy(&copy, abc[1], sizeof(copy));
    bad[0] = (void *)(apr_uintptr_t)0x10;
    bad[1] = (char *)abc[1] + 4;
    bad[2] = (void *)(apr_uintptr_t)APR_UINT64_C(0xffff800000001000);
    bad[3] = &copy;
    for (i = 0; i < 4; i++) {
        abc[2]->prev_execute_data = bad[i];
        ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
        ck_assert_int_eq(info.complete, 0);
        ck_assert_uint_eq(mem.low, 0);
    }
    abc[2]->prev_execute_data = abc[1];
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
}
END_TEST

START_TEST(bad_function_pointer)
{
    build_abc();
    abc[2]->func = (zend_function *)(apr_uintptr_t)0x7f0000002000;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    abc[2]->func = (zend_function *)((char *)abc_fn[2] + 1);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    /* Not a function's type: the frame is torn. */
    abc[2]->func = (zend_function *)abc_fn[2];
    abc_fn[2]->type = 7;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    abc_fn[2]->type = ZEND_USER_FUNCTION;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
}
END_TEST

START_TEST(names_unreadable)
{
    zend_string *name;

    build_abc();
    name = abc_fn[2]->function_name;
    abc_fn[2]->function_name = (zend_string *)(apr_uintptr_t)0x7f0000003000;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    abc_fn[2]->function_name = name;
    abc_fn[2]->scope = (zend_class_entry *)(apr_uintptr_t)0x7f0000004000;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    abc_fn[2]->scope = NULL;
    abc_fn[1]->filename = (zend_string *)((char *)abc_fn[1]->filename + 2);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
}
END_TEST

START_TEST(loops)
{
    build_abc();
    abc[1]->prev_execute_data = abc[3];
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    ck_assert_int_eq(info.complete, 0);
    abc[1]->prev_execute_data = abc[1];
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    /* Through a dummy frame. */
    abc[1]->prev_execute_data = frame(NULL, NULL, abc[2]);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
}
END_TEST

/* n frames of f, at lines 100, 101 ... from the top. */
static void build_deep(int n)
{
    zend_string *file = zstr(APP);
    zend_op_array *f = user_fn("f", NULL, file, 100, 64);
    zend_execute_data *ed = NULL;
    int i;

    for (i = n - 1; i >= 0; i--) {
        ed = at(f, i, ed);
    }
    eg->current_execute_data = ed;
}

START_TEST(depth_limit)
{
    build_deep(GUARD_STACK_FRAMES + 6);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), GUARD_STACK_FRAMES);
    EXPECT(0, "f", APP, 100, 0);
    EXPECT(GUARD_STACK_FRAMES - 1, "f", APP, 100 + GUARD_STACK_FRAMES - 1, 0);
    ck_assert_int_eq(info.complete, 0);
    ck_assert(untouched(GUARD_STACK_FRAMES));
    ck_assert_int_eq(walk(1000), GUARD_STACK_FRAMES);
    ck_assert(untouched(GUARD_STACK_FRAMES));
    ck_assert_int_eq(walk(3), 3);
    EXPECT(2, "f", APP, 102, 0);
    ck_assert(untouched(3));
    ck_assert_int_eq(walk(0), 0);
    ck_assert_int_eq(info.complete, 0);
    ck_assert(untouched(0));
    ck_assert_int_eq(walk(-1), 0);
    ck_assert(untouched(0));
}
END_TEST

START_TEST(depth_exactly_reached)
{
    build_deep(GUARD_STACK_FRAMES);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), GUARD_STACK_FRAMES);
    ck_assert_int_eq(info.complete, 1);
}
END_TEST

START_TEST(depth_limit_at_a_file_frame)
{
    build_include(ZEND_REQUIRE_ONCE);
    /* The frame below is read only to name the last one kept. */
    ck_assert_int_eq(walk(2), 2);
    EXPECT(0, "f", LIB, 8, 0);
    EXPECT(1, "require_once", LIB, 3, 0);
    ck_assert(untouched(2));
    ck_assert_int_eq(info.complete, 0);
    eg->current_execute_data = inc_frames[1];
    ck_assert_int_eq(walk(1), 1);
    EXPECT(0, "require_once", LIB, 3, 0);
}
END_TEST

START_TEST(endless_dummy_frames)
{
    zend_execute_data *ed = NULL;
    int i;

    for (i = 0; i < 3 * GUARD_STACK_FRAMES; i++) {
        ed = frame(NULL, NULL, ed);
    }
    eg->current_execute_data = ed;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 0);
    ck_assert_int_eq(info.complete, 0);
    /* Each frame seen is read twice: going down, and checked going up. */
    ck_assert_uint_le(info.reads, 2 * (2 * GUARD_STACK_FRAMES + 3));
}
END_TEST

START_TEST(long_names_clamped)
{
    char c40[41], m40[41], n200[201], p300[301];
    char want[GUARD_FRAME_FILE_LEN];
    zend_op_array *fn;

    memset(c40, 'C', 40);
    c40[40] = '\0';
    memset(m40, 'm', 40);
    m40[40] = '\0';
    memset(n200, 'n', 200);
    n200[200] = '\0';
    memset(p300, 'p', 300);
    p300[300] = '\0';
    fn = user_fn(n200, NULL, zstr(p300), 1, 2);
    eg->current_execute_data = at(fn, 0, NULL);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    ck_assert_uint_eq(strlen(out[0].function), GUARD_FRAME_FUNC_LEN - 1);
    ck_assert_int_eq(strspn(out[0].function, "n"), GUARD_FRAME_FUNC_LEN - 1);
    ck_assert_uint_eq(strlen(out[0].file), GUARD_FRAME_FILE_LEN - 1);
    ck_assert_int_eq(strspn(out[0].file, "p"), GUARD_FRAME_FILE_LEN - 1);
    /* Class and method share the field. */
    fn->function_name = zstr(m40);
    fn->scope = class_named(c40);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    memcpy(want, c40, 40);
    memcpy(want + 40, "::", 2);
    memcpy(want + 42, m40, GUARD_FRAME_FUNC_LEN - 1 - 42);
    want[GUARD_FRAME_FUNC_LEN - 1] = '\0';
    ck_assert_str_eq(out[0].function, want);
    /* A class name that fills it alone. */
    fn->scope = class_named(n200);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    ck_assert_uint_eq(strlen(out[0].function), GUARD_FRAME_FUNC_LEN - 1);
    ck_assert_int_eq(strspn(out[0].function, "n"), GUARD_FRAME_FUNC_LEN - 1);
    /* A length far beyond the string: bounded by the field, and by what
     * can be read. */
    fn->scope = NULL;
    fn->function_name = zstr(n200);
    fn->function_name->len = (apr_size_t)-1;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    ck_assert_uint_eq(strlen(out[0].function), GUARD_FRAME_FUNC_LEN - 1);
}
END_TEST

START_TEST(control_bytes_replaced)
{
    zend_op_array *fn = user_fn(NULL, NULL, zstr("/srv/a\tb.php"), 1, 2);

    fn->function_name = zstr_n("a\nb\001c\177d\0e\303\251", 11);
    eg->current_execute_data = at(fn, 0, NULL);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    ck_assert_str_eq(out[0].function, "a?b?c?d?e\303\251");
    ck_assert_str_eq(out[0].file, "/srv/a?b.php");
}
END_TEST

START_TEST(strings_in_an_arena)
{
    /* Interned strings sit one after another in one block: the text ends
     * at the length, not where reading stops. */
    char *arena = mem_new(512);
    zend_string *name = (zend_string *)arena;
    zend_string *file = (zend_string *)(arena + 64);
    zend_op_array *fn;

    memset(arena, 'X', 512);
    name->len = 3;
    memcpy(arena + offsetof(zend_string, val), "run", 3);
    file->len = 6;
    memcpy(arena + 64 + offsetof(zend_string, val), "/a.php", 6);
    fn = user_fn(NULL, NULL, file, 1, 2);
    fn->function_name = name;
    eg->current_execute_data = at(fn, 1, NULL);
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 1);
    EXPECT(0, "run", "/a.php", 2, 0);
}
END_TEST

START_TEST(globals_unreadable)
{
    static zend_executor_globals elsewhere;

    build_abc();
    wk.eg = (apr_uint64_t)(apr_uintptr_t)&elsewhere;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    ck_assert_int_eq(info.complete, 0);
    ck_assert_uint_eq(info.reads, 1);
    wk.eg = 0;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    ck_assert_uint_eq(mem.calls, 0);
    wk.eg = (apr_uint64_t)(apr_uintptr_t)eg + 4;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
    ck_assert_uint_eq(mem.calls, 0);
}
END_TEST

START_TEST(signature)
{
    apr_uint64_t sig;

    build_abc();
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    sig = info.sig;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert(info.sig == sig);
    /* The same frames, one a line further. */
    abc[2]->opline++;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert(info.sig != sig);
    abc[2]->opline--;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert(info.sig == sig);
    /* Another function at the same place. */
    abc[1]->func = (zend_function *)abc_fn[2];
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert(info.sig != sig);
}
END_TEST

/* The thread moves while it is read: at the first read of one frame, the
 * frames or the top change as a running thread changes them. */
static const void *move_at;
static void (*move)(void);

static int moving_read(void *baton, apr_uint64_t addr, void *buf,
                       apr_size_t len)
{
    if (move && addr == (apr_uint64_t)(apr_uintptr_t)move_at) {
        void (*m)(void) = move;

        move = NULL;
        m();
    }
    return mem_read(baton, addr, buf, len);
}

static void caller_went_on(void)
{
    /* {main} is at its next call, and b's frame is the top again. */
    abc[0]->opline++;
    eg->current_execute_data = abc[1];
}

static void top_went_on(void)
{
    abc[3]->opline++;
}

static void frame_reused(void)
{
    /* The frame in the middle now holds another function, called from the
     * same place: the chain above it reads the same. */
    abc[1]->func = (zend_function *)abc_fn[2];
}

START_TEST(torn_walks_refused)
{
    void (*moves[])(void) = { caller_went_on, top_went_on, frame_reused };
    int i;

    build_abc();
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert_int_eq(info.torn, 0);
    wk.read = moving_read;
    for (i = 0; i < 3; i++) {
        build_abc();
        move_at = abc[0];         /* the bottom: read last going down */
        move = moves[i];
        ck_assert_int_eq(walk(GUARD_STACK_FRAMES), -1);
        ck_assert_msg(move == NULL, "move %d not made", i);
        ck_assert_int_eq(info.torn, 1);
    }
    /* Nothing moves: the same walk as before, not torn. */
    build_abc();
    move = NULL;
    ck_assert_int_eq(walk(GUARD_STACK_FRAMES), 4);
    ck_assert_int_eq(info.torn, 0);
    EXPECT(3, "{main}", APP, 30, 0);
    wk.read = mem_read;
}
END_TEST

START_TEST(built_for_this_php)
{
    const char *s = guard_php_built_for();
    apr_size_t n = strlen(s);

    ck_assert_int_eq(guard_php_built(), 1);
    ck_assert_ptr_nonnull(strstr(s, "PHP " PHP_VERSION " "));
    ck_assert_ptr_nonnull(strstr(s, "(Zend Engine v" ZEND_VERSION ")"));
    ck_assert_uint_gt(n, 9);
    ck_assert_str_eq(s + n - 9, ", non-ZTS");
}
END_TEST

START_TEST(locate_without_php)
{
    apr_uint64_t addr = 42;
    char why[128];

    /* Nothing in the test binary exports executor_globals. */
    ck_assert_int_eq(guard_php_locate(&addr, why, sizeof(why)), -1);
    ck_assert(addr == 0);
    ck_assert_str_eq(why, "no executor_globals: PHP is not loaded");
    ck_assert_int_eq(guard_php_locate(&addr, why, 8), -1);
    ck_assert_str_eq(why, "no exec");
    ck_assert_int_eq(guard_php_locate(&addr, why, 0), -1);
}
END_TEST

/* Each way the process's PHP can differ from the one built for, as the
 * symbol tables would say it. */
START_TEST(check_what_was_found)
{
    static const char zend[] = "Zend Engine v" ZEND_VERSION
                               ", Copyright (c) Zend Technologies";
    static char globals[8];
    guard_php_found_t f;
    apr_uint64_t addr = 42;
    char why[160], want[160];

    memset(&f, 0, sizeof(f));
    f.eg = (apr_uint64_t)(apr_uintptr_t)globals;
    f.eg_size = sizeof(zend_executor_globals);
    f.have_version = 1;
    f.version = zend;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), 0);
    ck_assert(addr == f.eg);
    ck_assert_str_eq(why, "");

    f.eg_size = sizeof(zend_executor_globals) - 8;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert(addr == 0);
    snprintf(want, sizeof(want), "executor_globals is %zu bytes, built for "
             "%zu", sizeof(zend_executor_globals) - 8,
             sizeof(zend_executor_globals));
    ck_assert_str_eq(why, want);
    f.eg_size = 0;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "executor_globals: its size is not known");

    f.eg_size = sizeof(zend_executor_globals);
    f.version = "Zend Engine v4.1.99, Copyright (c) Zend Technologies";
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "Zend Engine v4.1.99 running, built for v"
                     ZEND_VERSION);
    /* A version that only starts like the headers' is another one. */
    f.version = "Zend Engine v" ZEND_VERSION "1";
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "Zend Engine v" ZEND_VERSION "1 running, built "
                     "for v" ZEND_VERSION);
    f.version = "HipHop";
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "get_zend_version() names no Zend Engine version");
    f.version = NULL;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "get_zend_version() names no Zend Engine version");
    f.have_version = 0;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "no get_zend_version: not the PHP built for");

    /* A thread-safe PHP exports the offset of its globals in each
     * thread's block, not the globals. */
    memset(&f, 0, sizeof(f));
    f.zts = 1;
    ck_assert_int_eq(guard_php_check(&f, &addr, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "PHP is thread-safe (ZTS): its executor globals "
                     "are per thread; no PHP frames");
    ck_assert(addr == 0);
    ck_assert_str_eq(guard_php_unbuilt_why(), "");
}
END_TEST

Suite *guard_stack_php_suite(void)
{
    Suite *s = suite_create("stack_php");
    TCase *tc = tcase_create("walk");
    TCase *tl = tcase_create("locate");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nested_user_functions);
    tcase_add_test(tc, no_php_code_runs);
    tcase_add_test(tc, class_method_and_internal_method);
    tcase_add_test(tc, closures);
    tcase_add_test(tc, include_kinds);
    tcase_add_test(tc, include_kind_unknown);
    tcase_add_test(tc, include_from_internal_code);
    tcase_add_test(tc, dummy_frames_skipped);
    tcase_add_test(tc, internal_function_on_top);
    tcase_add_test(tc, stale_top_opline);
    tcase_add_test(tc, opline_unreadable);
    tcase_add_test(tc, bad_pointer_in_the_middle);
    tcase_add_test(tc, bad_function_pointer);
    tcase_add_test(tc, names_unreadable);
    tcase_add_test(tc, loops);
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, depth_exactly_reached);
    tcase_add_test(tc, depth_limit_at_a_file_frame);
    tcase_add_test(tc, endless_dummy_frames);
    tcase_add_test(tc, long_names_clamped);
    tcase_add_test(tc, control_bytes_replaced);
    tcase_add_test(tc, strings_in_an_arena);
    tcase_add_test(tc, globals_unreadable);
    tcase_add_test(tc, signature);
    tcase_add_test(tc, torn_walks_refused);
    suite_add_tcase(s, tc);
    tcase_add_test(tl, built_for_this_php);
    tcase_add_test(tl, locate_without_php);
    tcase_add_test(tl, check_what_was_found);
    suite_add_tcase(s, tl);
    return s;
}

#else /* no PHP frames in this build */

#if GUARD_HAVE_PHP
#define NO_WALK "PHP is thread-safe (ZTS): its globals are per thread; " \
                "no PHP frames"
#define UNBUILT "the PHP headers are of a thread-safe (ZTS) PHP"
#else
#define NO_WALK "built without PHP's headers"
#define UNBUILT "no PHP headers"
#endif

static int zero_read(void *baton, apr_uint64_t addr, void *buf,
                     apr_size_t len)
{
    memset(buf, 0, len);
    return 0;
}

START_TEST(not_built)
{
    guard_php_walker_t wk = { zero_read, NULL, 4096 };
    guard_php_frame_t out[GUARD_STACK_FRAMES];
    guard_php_walk_info_t info;
    apr_uint64_t addr = 42;
    char why[128];

    ck_assert_int_eq(guard_php_built(), 0);
    ck_assert_str_eq(guard_php_built_for(), "");
    memset(&info, 0x5a, sizeof(info));
    ck_assert_int_eq(guard_php_walk(&wk, out, GUARD_STACK_FRAMES, &info), -1);
    ck_assert_int_eq(info.complete, 0);
    ck_assert_uint_eq(info.reads, 0);
    ck_assert_int_eq(guard_php_locate(&addr, why, sizeof(why)), -1);
    ck_assert(addr == 0);
    ck_assert_str_eq(why, NO_WALK);
    ck_assert_str_eq(guard_php_unbuilt_why(), UNBUILT);
}
END_TEST

Suite *guard_stack_php_suite(void)
{
    Suite *s = suite_create("stack_php");
    TCase *tc = tcase_create("not_built");

    tcase_add_test(tc, not_built);
    suite_add_tcase(s, tc);
    return s;
}

#endif
