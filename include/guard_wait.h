/* Names of states and waits, the continuity rule, and the one-line description. */
#ifndef GUARD_WAIT_H
#define GUARD_WAIT_H

#include <apr.h>
#include "guard_shm.h"

/** "empty", "idle", "read", "busy", "keepalive". */
const char *guard_ws_name(guard_ws_e s);

/** "none", "cpu", "backend", "client", "listener", "file", "lock", "pipe",
 *  "futex", "sleep", "child", "syscall", "unknown". */
const char *guard_wait_kind_name(guard_wait_kind_e k);

/** 1 when a and b are the same wait: kind, syscall, fd, peer and path. */
int guard_wait_same(const guard_wait_t *a, const guard_wait_t *b);

/** When cur continues prev (guard_wait_same), keep prev's 'since'. */
void guard_wait_carry(const guard_wait_t *prev, guard_wait_t *cur);

/**
 * One line for people, e.g. "poll on socket 10.0.0.5:6379 (idle 37.2 s)",
 * "flock on /var/lib/php/sessions/sess_ab12", "futex",
 * "on CPU (spinning: 12.3 s CPU in 12.5 s)", "nanosleep".
 * The text is built only from the (sanitized) wait fields; the caller
 * escapes it for its format.
 * @param elapsed_ms  the request's age, for the CPU share; -1 unknown
 * @return buf
 */
char *guard_wait_describe(const guard_wait_t *w, apr_int64_t elapsed_ms,
                          char *buf, apr_size_t len);

#endif
