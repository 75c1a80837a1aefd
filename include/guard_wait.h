/* SPDX-License-Identifier: Apache-2.0 */
/* Names of states and waits, the continuity rule, and the one-line description. */
#ifndef GUARD_WAIT_H
#define GUARD_WAIT_H

#include <apr.h>
#include "guard_shm.h"

/** "empty", "idle", "read", "busy", "keepalive". */
const char *guard_ws_name(guard_ws_e s);

/** "none", "cpu", "backend", "client", "listener", "file", "lock", "pipe",
 *  "futex", "sleep", "child", "syscall", "unknown", "cgi". */
const char *guard_wait_kind_name(guard_wait_kind_e k);

/**
 * Whether the process at the other end of a unix socket is part of this
 * server rather than a backend: another child of the server's parent
 * process (mod_cgid's daemon is one, and the CGI script it starts talks
 * to the worker over that socket). Its waits are the application's own
 * (a slow CGI, like a slow PHP page) and have their own timeouts
 * (Timeout, CGIDScriptTimeout): GuardBackendTimeout does not cut them.
 * @param peer_pid    SO_PEERCRED's pid (the process that listened); <= 0
 *                    unknown (another pid namespace)
 * @param peer_ppid   that process's parent, from its /proc stat line
 * @param self_pid    this child
 * @param server_pid  the server's parent process; <= 0 unknown
 */
int guard_wait_server_peer(long peer_pid, long peer_ppid, long self_pid,
                           long server_pid);

/** 1 when a and b are the same wait: kind, syscall, fd, peer and path. */
int guard_wait_same(const guard_wait_t *a, const guard_wait_t *b);

/** When cur continues prev (guard_wait_same), keep prev's 'since'. */
void guard_wait_carry(const guard_wait_t *prev, guard_wait_t *cur);

/**
 * One line for people, e.g. "poll on socket 10.0.0.5:6379 (idle 37.2 s)",
 * "flock on /var/lib/php/sessions/sess_ab12", "futex",
 * "on CPU (spinning: 12.3 s CPU in 12.5 s)", "nanosleep".
 * The text is built only from the (sanitized) wait fields; the caller
 * escapes it for its format.
 * @param elapsed_ms  the request's age, for the CPU share; -1 unknown
 * @return buf
 */
char *guard_wait_describe(const guard_wait_t *w, apr_int64_t elapsed_ms,
                          char *buf, apr_size_t len);

#endif
