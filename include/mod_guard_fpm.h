/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardFpmStatus in httpd: the segment the pools' records live in (made by
 * the parent, which never reads it), the reader thread of each child, of
 * which one at a time holds the lease and reads, and the pages' view.
 * httpd glue.
 */
#ifndef MOD_GUARD_FPM_H
#define MOD_GUARD_FPM_H

#include "httpd.h"
#include "guard_status_fpm.h"
#include "guard_cut_fpm.h"

/** The FPM section of a page, or NULL when no GuardFpmStatus is set. */
guard_fpm_view_t *guard_glue_fpm_view(apr_pool_t *p,
                                      const guard_snapshot_t *snap,
                                      server_rec *s);

/** The pools' records and addresses for the watchdog's lock chains;
 *  NULL (and *n 0) when no GuardFpmStatus is set. */
const guard_fpm_shm_t *guard_glue_fpm_shm(server_rec *s,
                                          const guard_fpm_addr_t **addrs,
                                          int *n);

/** The watchdog's view of the pools, for what is behind a cut FPM socket
 *  (a scratch copy of one pool from pchild), or NULL when none is set. */
guard_cut_fpm_t *guard_glue_fpm_cut(apr_pool_t *pchild, server_rec *s);

void guard_fpm_register_hooks(apr_pool_t *p);

#endif
