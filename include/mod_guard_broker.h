/* SPDX-License-Identifier: Apache-2.0 */
/* httpd glue of the syscall files: prefork's own, the broker for threaded
 * MPMs (mod_guard_broker.c). */
#ifndef MOD_GUARD_BROKER_H
#define MOD_GUARD_BROKER_H

#include <sys/types.h>
#include "apr_pools.h"

/** The fd that prefork's drop_privileges hook opened for the worker (the
 * main thread), with its tid; -1 where there is none. Taken once. */
int guard_glue_own_sysfd(pid_t *tid);

/** guard_sysfd_ask_fn for the watchdog: the broker's answer, or -1 (also
 * when no broker runs, for a second after it did not answer). baton: the
 * server_rec for the debug log. */
int guard_glue_broker_ask(void *baton, pid_t tid);

void guard_broker_register_hooks(apr_pool_t *p);

#endif
