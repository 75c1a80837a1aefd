/* SPDX-License-Identifier: Apache-2.0 */
/* The query of /guard-status, parsed as tokens: "json", "refresh=5". */
#ifndef GUARD_STATUS_QUERY_H
#define GUARD_STATUS_QUERY_H

#include <apr_pools.h>

typedef enum {
    GUARD_FMT_HTML = 0,
    GUARD_FMT_JSON,
    GUARD_FMT_PROMETHEUS,
    GUARD_FMT_AUTO
} guard_format_e;

typedef struct {
    guard_format_e format;
    int refresh;            /* HTML auto-refresh in seconds, 0: none */
    apr_int64_t crash;      /* ?crash=<id>: one crash record; 0: none */
    int child;              /* ?child=<n>: one child slot's page; -1: none */
    int pids;               /* ?pids: Prometheus worker series carry pid, tid */
    int stack_child;        /* ?stack=<child>.<thread>: one worker's */
    int stack_thread;       /* stacks; -1: none */
} guard_query_t;

/**
 * Parse the query string (may be NULL). Tokens are separated by '&' or ';';
 * "json", "prometheus", "auto" select a format (the last one wins);
 * "pids" adds pid and tid labels to the Prometheus worker series;
 * these words may carry an empty value ("prometheus=", as Prometheus'
 * scrape params send them). "refresh=N" takes 1..3600; "crash=<id>"
 * (1 or more) and "child=<n>" (0 or more) select a crash record or a
 * child slot's page; "stack=<child>.<thread>" one worker's
 * stacks. Unknown tokens are ignored, like mod_status.
 * @return NULL on success, else a message for a 400 response that quotes
 *         the bad token (escaped by the caller).
 */
const char *guard_query_parse(apr_pool_t *p, const char *args, guard_query_t *q);

#endif
