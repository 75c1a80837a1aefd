/* Crash capture in httpd: the segment's life, the signal handlers of each
 * child, the parent's log line per crash. httpd glue. */
#ifndef MOD_GUARD_CRASH_H
#define MOD_GUARD_CRASH_H

#include "guard_crash.h"

/** The crash segment, or NULL when it could not be made. */
guard_crash_shm_t *guard_glue_crash_shm(void);

/**
 * Once in every thread that serves connections, at its first: its own
 * alternate signal stack, so that a stack overflow is caught too. The
 * request hooks call it (no hook of its own: nothing per request).
 */
void guard_crash_thread_init(void);

#endif
