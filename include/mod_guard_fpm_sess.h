/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session files of GuardLockWatch directories that httpd's user cannot
 * list, known by name from requests' session cookies (guard_lock_sess.h).
 * httpd glue.
 */
#ifndef MOD_GUARD_FPM_SESS_H
#define MOD_GUARD_FPM_SESS_H

#include "httpd.h"
#include "guard_lock_sess.h"

/**
 * At request start: the session file of r's PHPSESSID cookie in a
 * GuardLockWatch directory this child cannot list (stat() by name), or
 * out->ino 0. One test and nothing more where no such directory is
 * watched with a GuardFpmStatus pool.
 */
void guard_fpm_sess_note(request_rec *r, guard_sess_t *out);

/** Which directories those are, found once in each child. */
void guard_fpm_sess_register_hooks(apr_pool_t *p);

#endif
