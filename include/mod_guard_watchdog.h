/* The watchdog thread of each child. httpd glue. */
#ifndef MOD_GUARD_WATCHDOG_H
#define MOD_GUARD_WATCHDOG_H

#include "guard_watch.h"

/** This child's watchdog, or NULL when none runs. */
guard_watch_t *guard_glue_watch(void);

/** This child's generation. */
apr_uint32_t guard_glue_generation(void);

/** 1 when the scoreboard says (child, thread) serves nothing now. */
int guard_glue_thread_released(void *baton, int child, int thread);

#endif
