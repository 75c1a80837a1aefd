/* SPDX-License-Identifier: Apache-2.0 */
/* Crash capture: the parent names a dead child's frames. httpd glue. */
#ifndef MOD_GUARD_CRASH_NAMES_H
#define MOD_GUARD_CRASH_NAMES_H

#include "httpd.h"
#include "guard_crash.h"

/**
 * After the GRD0501 line of crash r: GRD0505 when its handler was ended
 * by its time limit, and its backtrace with names (GRD0506), which the
 * handler leaves out (no lookup there takes the loader's lock). The
 * frames are read from the ring (r may be the child slot's early copy).
 */
void guard_crash_log_names(server_rec *s, const guard_crash_shm_t *c,
                           const guard_crash_rec_t *r);

#endif
