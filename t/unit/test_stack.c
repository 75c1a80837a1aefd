/* Unit tests of guard_stack.c: names, the top PHP frame, copies. */
#include <string.h>
#include <check.h>
#include "guard_stack.h"
#include "guard_unit.h"

static void php_frame(guard_php_frame_t *f, const char *fn, const char *file,
                      apr_uint32_t line, apr_uint32_t flags)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->function, fn);
    strcpy(f->file, file);
    f->line = line;
    f->flags = flags;
}

START_TEST(top_frame_user)
{
    static guard_stack_t st;
    char buf[128];

    memset(&st, 0, sizeof(st));
    st.php_status = GUARD_PHP_OK;
    st.nphp = 2;
    php_frame(&st.php[0], "Svc::run", "/x.php", 10, 0);
    php_frame(&st.php[1], "{main}", "/x.php", 12, 0);
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in Svc::run /x.php:10");
}
END_TEST

START_TEST(top_frame_internal_names_its_caller)
{
    static guard_stack_t st;
    char buf[128];

    memset(&st, 0, sizeof(st));
    st.php_status = GUARD_PHP_OK;
    st.nphp = 2;
    php_frame(&st.php[0], "fread", "", 0, GUARD_PHPF_INTERNAL);
    php_frame(&st.php[1], "c", "/x.php", 5, 0);
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in fread() from c /x.php:5");
    st.php[1].flags = GUARD_PHPF_LINE_APPROX;
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, " in fread() from c /x.php:5 (approximate)");
}
END_TEST

START_TEST(top_frame_none_and_bounded)
{
    static guard_stack_t st;
    char buf[16];

    memset(&st, 0, sizeof(st));
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    st.php_status = GUARD_PHP_OK;
    st.nphp = 1;
    /* Not NUL-terminated: bounded by the field. */
    memset(st.php[0].function, 'f', sizeof(st.php[0].function));
    memset(st.php[0].file, 'p', sizeof(st.php[0].file));
    st.php[0].line = 4294967295u;
    guard_stack_top_php(&st, buf, sizeof(buf));
    ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
    ck_assert_str_eq(buf, " in fffffffffff");
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(guard_php_status_name(GUARD_PHP_OK), "ok");
    ck_assert_str_eq(guard_php_status_name(GUARD_PHP_STATUS_MAX), "?");
    ck_assert_str_eq(guard_native_status_name(GUARD_NATIVE_JIT), "jit");
    ck_assert_str_eq(guard_native_status_name(99), "?");
}
END_TEST

START_TEST(read_copies_used_frames)
{
    static guard_stack_t src, dst;

    memset(&src, 0, sizeof(src));
    memset(&dst, 0xaa, sizeof(dst));
    src.req_start = 42;
    src.nphp = 1;
    src.nnative = 1000;           /* out of range: clamped */
    php_frame(&src.php[0], "a", "/a.php", 3, 0);
    ck_assert_int_eq(guard_stack_read(&src, &dst), 1);
    ck_assert_int_eq(dst.req_start, 42);
    ck_assert_uint_eq(dst.nphp, 1);
    ck_assert_uint_eq(dst.nnative, GUARD_STACK_FRAMES);
    ck_assert_str_eq(dst.php[0].function, "a");
    src.seq = 1;                  /* a writer that never finishes */
    ck_assert_int_eq(guard_stack_read(&src, &dst), 0);
}
END_TEST

Suite *guard_stack_suite(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("record");

    tcase_add_test(tc, top_frame_user);
    tcase_add_test(tc, top_frame_internal_names_its_caller);
    tcase_add_test(tc, top_frame_none_and_bounded);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, read_copies_used_frames);
    suite_add_tcase(s, tc);
    return s;
}
