#include "guard_unit.h"

Suite *guard_shm_suite(void)
{
    return suite_create("shm");
}
