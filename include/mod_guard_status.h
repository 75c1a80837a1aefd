/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producing a status page, shared by the guard-status handler, mod_status's
 * hook and the out-of-band listener: query string -> parse -> snapshot ->
 * render into a sink, with the content type and status code. httpd glue.
 */
#ifndef MOD_GUARD_STATUS_H
#define MOD_GUARD_STATUS_H

#include "httpd.h"
#include "guard_status_query.h"
#include "guard_sink.h"
#include "guard_snapshot.h"

/** The path the listener serves (the handler's is where it is mapped). */
#define GUARD_STATUS_PATH "/guard-status"

typedef struct {
    apr_pool_t *pool;
    server_rec *server;           /* the main server */
    guard_query_t query;
    int status;                   /* HTTP_OK, or the error to answer */
    const char *content_type;     /* of the page, or of the error text */
    const char *message;          /* on an error: why, not escaped */
    guard_snapshot_t *snap;       /* taken early for ?crash= / ?child= */
} guard_page_t;

/**
 * Parse the query and decide what will be served: status 200 and the
 * page's content type, 400 for a bad query, 503 without shared memory.
 * Cheap: no snapshot yet, so a HEAD or an error costs nothing more.
 * @param args  the query string, not decoded, or NULL
 */
void guard_page_prepare(guard_page_t *pg, apr_pool_t *p, server_rec *s,
                        const char *args);

/** Take a snapshot and render the page prepared (status 200) into out. */
void guard_page_render(guard_page_t *pg, guard_sink_t *out);

/** A snapshot of the shared memory now, from pool p. NULL without it. */
guard_snapshot_t *guard_page_snapshot(apr_pool_t *p, server_rec *s);

#endif
