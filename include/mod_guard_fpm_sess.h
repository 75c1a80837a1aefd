/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a request start keeps for the FPM joins where a GuardFpmStatus
 * pool is set: its query's hash, and its session file in a GuardLockWatch
 * directory httpd's user cannot list, known by name from its session
 * cookie (guard_lock_sess.h). httpd glue.
 */
#ifndef MOD_GUARD_FPM_SESS_H
#define MOD_GUARD_FPM_SESS_H

#include "httpd.h"
#include "guard_lock_sess.h"

/**
 * At request start: the session file of r's PHPSESSID cookie (or the
 * rule's cookie=) in a
 * GuardLockWatch directory this child cannot list (stat() by name), or
 * out->ino 0. One test and nothing more where no such directory is
 * watched with a GuardFpmStatus pool.
 */
void guard_fpm_sess_note(request_rec *r, guard_sess_t *out);

/**
 * At request start: the hash of r's query (guard_fpm_query_hash), which
 * joins it to the FPM worker serving it when the query is hidden; 0 where
 * no GuardFpmStatus pool is set or r has none.
 */
apr_uint32_t guard_fpm_query_of(request_rec *r);

/** Which directories those are, found once in each child. */
void guard_fpm_sess_register_hooks(apr_pool_t *p);

#endif
