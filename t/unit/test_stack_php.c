/* Unit tests of guard_stack_php.c. */
#include <check.h>
#include "guard_unit.h"

Suite *guard_stack_php_suite(void)
{
    Suite *s = suite_create("stack_php");

    return s;
}
