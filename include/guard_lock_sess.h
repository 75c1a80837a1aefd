/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session files known by name: where httpd's user may search a
 * GuardLockWatch directory but not list it (Debian's session.save_path,
 * mode 1733 and owned by root), the file of a session is stat()ed by its
 * name, made from the session cookie of a request and the rule's pattern.
 * What is kept is the file's dev:ino and a hash of the id, never the id.
 */
#ifndef GUARD_LOCK_SESS_H
#define GUARD_LOCK_SESS_H

#include <apr.h>

#define GUARD_SESS_COOKIE "PHPSESSID"   /* PHP's default session.name */
#define GUARD_SESS_ID_MAX 256

/** A request's session file: dev as guard_dev_make() makes it, its inode
 * (0: none), the GuardLockWatch rule whose pattern named it, the id's
 * hash (guard_redact_session's). */
typedef struct {
    apr_uint64_t dev;
    apr_uint64_t ino;
    apr_int32_t rule;
    apr_uint32_t id_hash;
} guard_sess_t;

/**
 * The value of cookie name in a Cookie header ("a=1; PHPSESSID=x").
 * @return its length, *val its start; 0 when it is not there
 */
apr_size_t guard_sess_cookie(const char *header, const char *name,
                             const char **val);

/** 1 when id[0..n) has only PHP's session id characters
 * ([A-Za-z0-9,-]) and 1 to GUARD_SESS_ID_MAX of them. */
int guard_sess_id_ok(const char *id, apr_size_t n);

/**
 * The file of session id under a pattern "DIR/PREFIX*SUFFIX" (one '*',
 * no other wildcard, none in DIR): DIR/PREFIXidSUFFIX.
 * @return 1 when the pattern is of that form and the path fits in len
 */
int guard_sess_path(const char *pattern, const char *id, apr_size_t n,
                    char *out, apr_size_t len);

/** The hash guard_redact_session shows of a session id. */
apr_uint32_t guard_sess_hash(const char *id, apr_size_t n);

/** The path shown for a session file known by its hash:
 * "DIR/PREFIX#hhhhhhhhSUFFIX", as guard_redact_session shows "sess_" files. */
void guard_sess_shown(const char *pattern, apr_uint32_t hash, char *out,
                      apr_size_t len);

#endif
