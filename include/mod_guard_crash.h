/* Crash capture in httpd: the segment's life, the signal handlers of each
 * child, the parent's log line per crash. httpd glue. */
#ifndef MOD_GUARD_CRASH_H
#define MOD_GUARD_CRASH_H

#include "guard_crash.h"

/** The crash segment, or NULL when it could not be made. */
guard_crash_shm_t *guard_glue_crash_shm(void);

#endif
