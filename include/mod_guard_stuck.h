/* SPDX-License-Identifier: Apache-2.0 */
/* GuardStuckTimeout's end of a process, per MPM. httpd glue. */
#ifndef MOD_GUARD_STUCK_H
#define MOD_GUARD_STUCK_H

#include "httpd.h"
#include "guard_watchdog.h"

/**
 * What the watchdog needs to end its process by GuardStuckTimeout: the
 * crash segment its records go to, the module table, and the end itself
 * where this MPM has one (prefork: the process exits; worker and event:
 * none yet, the request is only reported).
 */
void guard_glue_stuck_setup(guard_watch_t *w, apr_pool_t *p, server_rec *s);

#endif
