#include "guard_unit.h"

Suite *guard_render_suite(void)
{
    return suite_create("render");
}
