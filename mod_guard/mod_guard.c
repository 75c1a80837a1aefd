/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_guard: shows what every httpd worker is blocked on, from a watchdog
 * thread in each child. The module record; each concern registers its own
 * hooks.
 */
#include "httpd.h"
#include "http_config.h"
#include "mod_guard.h"
#include "mod_guard_fpm.h"
#include "mod_guard_broker.h"
#include "mod_guard_config.h"
#include "mod_guard_stack.h"

static void register_hooks(apr_pool_t *p)
{
    guard_child_register_hooks(p);
    guard_shm_register_hooks(p);
    guard_request_register_hooks(p);
    guard_broker_register_hooks(p);
    guard_stack_register_hooks(p);
    guard_watchdog_register_hooks(p);
    guard_status_register_hooks(p);
    guard_listen_register_hooks(p);
    guard_crash_parent_register_hooks(p);
    guard_crash_child_register_hooks(p);
    guard_fpm_register_hooks(p);
}

AP_DECLARE_MODULE(guard) = {
    STANDARD20_MODULE_STUFF,
    guard_create_dir_conf,
    guard_merge_dir_conf,
    guard_create_srv_conf,
    guard_merge_srv_conf,
    guard_cmds,
    register_hooks
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    , AP_MODULE_FLAG_NONE
#endif
};
