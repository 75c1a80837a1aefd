/* SPDX-License-Identifier: Apache-2.0 */
/* Crash capture, the parent's part: the crash segment's life, the report
 * descriptor, the log line per crash at a child's exit. httpd glue. */
#ifndef MOD_GUARD_CRASH_PARENT_H
#define MOD_GUARD_CRASH_PARENT_H

#include "guard_crash.h"

/** The crash segment, or NULL when it could not be made. */
guard_crash_shm_t *guard_glue_crash_shm(void);

/** Where a child's handler writes its reports (GuardCrashLog, else
 *  stderr), or -1 for nowhere. Opened by the parent, inherited. */
int guard_glue_crash_report_fd(void);

#endif
