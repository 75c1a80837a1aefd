/* SPDX-License-Identifier: Apache-2.0 */
/* The suites of the unit tests, one per concern. */
#ifndef GUARD_UNIT_H
#define GUARD_UNIT_H

#include <check.h>
#include "guard_stack.h"

Suite *guard_duration_suite(void);
Suite *guard_proc_suite(void);
Suite *guard_syscall_suite(void);
Suite *guard_reqcopy_suite(void);
Suite *guard_wait_suite(void);
Suite *guard_sink_suite(void);
Suite *guard_status_query_suite(void);
Suite *guard_shm_suite(void);
Suite *guard_render_suite(void);
Suite *guard_status_crash_suite(void);
Suite *guard_inspect_suite(void);
Suite *guard_cut_suite(void);
Suite *guard_stuck_suite(void);
Suite *guard_watchdog_suite(void);
Suite *guard_watchdog_log_suite(void);
Suite *guard_locks_suite(void);
Suite *guard_listen_http_suite(void);
Suite *guard_listen_addr_suite(void);
Suite *guard_listen_host_suite(void);
Suite *guard_crash_suite(void);
Suite *guard_crash_capture_suite(void);
Suite *guard_broker_suite(void);
Suite *guard_stack_suite(void);
Suite *guard_stack_php_suite(void);
Suite *guard_stack_native_suite(void);
Suite *guard_fpm_suite(void);
Suite *guard_lock_fpm_suite(void);
Suite *guard_cut_fpm_suite(void);

/** A PHP frame of the tests: function, file, line, flags. */
void guard_unit_php_frame(guard_php_frame_t *f, const char *fn,
                          const char *file, apr_uint32_t line,
                          apr_uint32_t flags);

#endif
