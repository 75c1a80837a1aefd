/* The request hooks' per-thread state, for other parts of the glue. */
#ifndef MOD_GUARD_REQUEST_H
#define MOD_GUARD_REQUEST_H

#include "guard_shm.h"

/**
 * The slot of the calling worker thread, or NULL before its first
 * connection (or outside a worker). Reads one thread-local pointer, so it
 * may be called from a signal handler once the thread has served a
 * connection.
 */
guard_slot_t *guard_glue_thread_slot(void);

#endif
