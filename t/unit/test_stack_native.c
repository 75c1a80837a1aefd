/* Unit tests of guard_stack_native.c. */
#include <check.h>
#include "guard_unit.h"

Suite *guard_stack_native_suite(void)
{
    Suite *s = suite_create("stack_native");

    return s;
}
