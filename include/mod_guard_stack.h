/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live stacks, httpd glue: GuardStacks and GuardStackDepth as the
 * watchdog and the crash handler use them, and the running PHP's executor
 * globals found at start-up.
 */
#ifndef MOD_GUARD_STACK_H
#define MOD_GUARD_STACK_H

#include "httpd.h"
#include "guard_stack_watch.h"

/**
 * &executor_globals of the PHP in this process, checked against the
 * build at start-up (guard_php_locate); 0 when there are no PHP frames to
 * read (not built for PHP, no PHP loaded, a threaded MPM, GuardStacks
 * Off). Async-signal-safe: a load of a value set before any request.
 */
apr_uint64_t guard_glue_php_eg(void);

/** The watchdog's stacker for this child, reading threads' run times as
 *  the watchdog does. */
void guard_glue_stacker_init(guard_stacker_t *sk, apr_pool_t *pchild,
                             server_rec *s, const guard_logger_t *log,
                             guard_run_ns_fn *run_ns, void *run_baton);

void guard_stack_register_hooks(apr_pool_t *p);

#endif
