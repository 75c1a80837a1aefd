/* placeholder */
typedef int guard_placeholder_guard_status_auto;
