/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded, sanitized copy of request data kept in shared memory. */
#ifndef GUARD_REQCOPY_H
#define GUARD_REQCOPY_H

#include <apr.h>

#define GUARD_COPY_URI        0x1  /* text is a URI: its query may be redacted */
#define GUARD_COPY_SHOW_QUERY 0x2  /* keep the query of a URI */

/**
 * Copy src into dst (dstlen bytes, always NUL-terminated). Bytes < 0x20,
 * 0x7f and above, and backslash become "\xHH", so the copy is printable
 * ASCII. With GUARD_COPY_URI and without GUARD_COPY_SHOW_QUERY, everything
 * from the first '?' becomes "?...". A copy cut short ends in "...".
 * src NULL copies as "". Never writes past dst + dstlen. Returns dst.
 */
char *guard_copy_sanitized(char *dst, apr_size_t dstlen, const char *src,
                           int flags);

/**
 * The fast path of guard_copy_sanitized: copy src into dst when it is
 * plain already (printable ASCII without '?' and backslash) and fits.
 * @return 1 when dst holds src as it is; 0 otherwise (dst may then hold
 *         part of it, and the caller writes it anew).
 */
int guard_copy_verbatim(char *dst, apr_size_t dstlen, const char *src);

/**
 * Replace the id of a PHP session file ("sess_<id>" in the last component
 * of path) by a short stable hash, "sess_#1a2b3c4d": a session id is a
 * credential. The same id always gives the same hash, so waiters of one
 * session still read as one. In place; no stdio, no malloc (the watchdog
 * calls it). Returns path.
 */
char *guard_redact_session(char *path);

#endif
