#include "guard_unit.h"

Suite *guard_query_suite(void)
{
    return suite_create("query");
}
