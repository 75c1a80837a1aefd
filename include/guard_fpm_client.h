/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One read of a pool's status over FastCGI: a non-blocking socket, one
 * deadline for connect, request and reply, a bounded reply. Plain POSIX
 * and the pure parsers; no httpd.
 */
#ifndef GUARD_FPM_CLIENT_H
#define GUARD_FPM_CLIENT_H

#include <apr.h>
#include <apr_time.h>
#include "guard_fpm.h"

/** What one read needs besides the address: buf of cap bytes for the
 *  reply (GUARD_FPM_REPLY_MAX is plenty). */
typedef struct {
    char *buf;
    apr_size_t cap;
    apr_interval_time_t timeout;
} guard_fpm_io_t;

/**
 * Read a's status into p's counts and procs (p's other fields are the
 * caller's). @return NULL, or why it could not be read, in err (errlen
 * bytes). *bytes: received, in either case.
 */
const char *guard_fpm_fetch(const guard_fpm_addr_t *a,
                            const guard_fpm_io_t *io, guard_fpm_pool_t *p,
                            apr_size_t *bytes, char *err, apr_size_t errlen);

#endif
