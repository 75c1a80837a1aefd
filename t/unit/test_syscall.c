#include "guard_unit.h"

Suite *guard_syscall_suite(void)
{
    return suite_create("syscall");
}
