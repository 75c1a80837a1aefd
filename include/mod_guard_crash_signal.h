/* SPDX-License-Identifier: Apache-2.0 */
/* Crash capture: the signal handler of each child. httpd glue. */
#ifndef MOD_GUARD_CRASH_SIGNAL_H
#define MOD_GUARD_CRASH_SIGNAL_H

#include "httpd.h"
#include "guard_crash_where.h"

/**
 * The handler for SEGV, BUS, FPE, ILL and ABRT, writing its reports to fd
 * (none when -1); the actions it replaces are kept, to be chained to.
 */
void guard_crash_signal_install(server_rec *s, int fd);

/**
 * Read the module ranges the handler places addresses with: always
 * (only_if_stale 0), or when the loader's counters say modules were
 * loaded or unloaded since. Never from a signal handler.
 */
void guard_crash_signal_where(int only_if_stale);

/** The module ranges, read again first if modules came or went: for a
 *  record made outside any handler (GuardStuckTimeout's). */
const guard_where_t *guard_crash_signal_where_table(void);

/** The kept actions back (a pool cleanup: data is unused). */
apr_status_t guard_crash_signal_restore(void *data);

#endif
