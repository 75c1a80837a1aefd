#include "guard_unit.h"

Suite *guard_reqcopy_suite(void)
{
    return suite_create("reqcopy");
}
