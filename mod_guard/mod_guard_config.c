/* placeholder */
typedef int guard_placeholder_mod_guard_config;
