/* SPDX-License-Identifier: Apache-2.0 */
/* The module record and the hook registration of each concern. httpd glue. */
#ifndef MOD_GUARD_H
#define MOD_GUARD_H

#include "httpd.h"
#include "http_config.h"

extern module AP_MODULE_DECLARE_DATA guard_module;

void guard_child_register_hooks(apr_pool_t *p);
void guard_shm_register_hooks(apr_pool_t *p);
void guard_request_register_hooks(apr_pool_t *p);
void guard_watchdog_register_hooks(apr_pool_t *p);
void guard_status_register_hooks(apr_pool_t *p);
void guard_listen_register_hooks(apr_pool_t *p);
void guard_crash_parent_register_hooks(apr_pool_t *p);
void guard_crash_child_register_hooks(apr_pool_t *p);
/* At every request start, first of mod_guard's: every 16th request of a
 * thread looks for libraries loaded since (mod_guard_crash_child.c). */
void guard_crash_child_request(void);
void guard_fpm_register_hooks(apr_pool_t *p);

#endif
