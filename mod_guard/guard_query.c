/* placeholder */
typedef int guard_placeholder_guard_query;
