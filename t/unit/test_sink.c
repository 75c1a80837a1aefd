#include "guard_unit.h"

Suite *guard_sink_suite(void)
{
    return suite_create("sink");
}
