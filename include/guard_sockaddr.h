/* SPDX-License-Identifier: Apache-2.0 */
/* The text of a socket address, as the pages and logs name a peer. */
#ifndef GUARD_SOCKADDR_H
#define GUARD_SOCKADDR_H

#include <sys/socket.h>
#include <apr.h>

/**
 * "1.2.3.4:80", "[::1]:80", "unix:/path" ("unix:@name" for the abstract
 * namespace, sanitized); an empty string for other families, a length too
 * short for the family, or an address that does not fit in outlen.
 */
void guard_sockaddr_format(const struct sockaddr *sa, socklen_t len,
                           char *out, apr_size_t outlen);

#endif
