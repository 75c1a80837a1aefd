#include "guard_unit.h"

Suite *guard_proc_suite(void)
{
    return suite_create("proc");
}
