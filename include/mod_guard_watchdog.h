/* SPDX-License-Identifier: Apache-2.0 */
/* The watchdog thread of each child. httpd glue. */
#ifndef MOD_GUARD_WATCHDOG_H
#define MOD_GUARD_WATCHDOG_H

#include "guard_watchdog.h"

/** This child's watchdog, or NULL when none runs. */
guard_watch_t *guard_glue_watch(void);

#endif
