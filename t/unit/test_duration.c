#include "guard_unit.h"

Suite *guard_duration_suite(void)
{
    return suite_create("duration");
}
