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

/** 1 when the scoreboard says (child, thread) has no thread (dead), or
 * one finishing after a restart whose slot is idle (guard_server_info_t). */
int guard_glue_thread_gone(void *baton, int child, int thread, int idle);

#endif
