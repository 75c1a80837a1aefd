/* SPDX-License-Identifier: Apache-2.0 */
/* Runs every unit suite and prints Check's summary line. */
#include <string.h>
#include <stdlib.h>
#include <apr_general.h>
#include "guard_unit.h"

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(guard_duration_suite());
    srunner_add_suite(sr, guard_proc_suite());
    srunner_add_suite(sr, guard_syscall_suite());
    srunner_add_suite(sr, guard_reqcopy_suite());
    srunner_add_suite(sr, guard_wait_suite());
    srunner_add_suite(sr, guard_sink_suite());
    srunner_add_suite(sr, guard_status_query_suite());
    srunner_add_suite(sr, guard_shm_suite());
    srunner_add_suite(sr, guard_render_suite());
    srunner_add_suite(sr, guard_status_crash_suite());
    srunner_add_suite(sr, guard_inspect_suite());
    srunner_add_suite(sr, guard_cut_suite());
    srunner_add_suite(sr, guard_stuck_suite());
    srunner_add_suite(sr, guard_watchdog_suite());
    srunner_add_suite(sr, guard_watchdog_log_suite());
    srunner_add_suite(sr, guard_locks_suite());
    srunner_add_suite(sr, guard_listen_http_suite());
    srunner_add_suite(sr, guard_listen_addr_suite());
    srunner_add_suite(sr, guard_listen_host_suite());
    srunner_add_suite(sr, guard_crash_suite());
    srunner_add_suite(sr, guard_crash_capture_suite());
    srunner_add_suite(sr, guard_broker_suite());
    srunner_add_suite(sr, guard_stack_suite());
    srunner_add_suite(sr, guard_stack_php_suite());
    srunner_add_suite(sr, guard_stack_native_suite());
    srunner_add_suite(sr, guard_fpm_suite());
    srunner_add_suite(sr, guard_lock_fpm_suite());
    srunner_add_suite(sr, guard_cut_fpm_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void guard_unit_php_frame(guard_php_frame_t *f, const char *fn,
                          const char *file, apr_uint32_t line,
                          apr_uint32_t flags)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->function, fn);
    strcpy(f->file, file);
    f->line = line;
    f->flags = flags;
}
