#include "guard_unit.h"

Suite *guard_wait_suite(void)
{
    return suite_create("wait");
}
