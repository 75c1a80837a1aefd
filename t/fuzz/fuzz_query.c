/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard_query_parse: the query string of /guard-status (json,
 * prometheus, auto, pids, refresh=N, crash=<id>, child=<n>). Whatever the
 * input, a success gives values in their ranges and an error quotes a
 * token; a query made of the tokens that parse alone must parse.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include "guard_status_query.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

static apr_pool_t *pool;

static void check_result(const char *args, const char *err,
                         const guard_query_t *q)
{
    if (err) {
        FZ_ASSERT(*err != '\0' && strchr(err, '"') != NULL);
        return;
    }
    if (q->format > GUARD_FMT_AUTO || q->refresh < 0 || q->refresh > 3600
        || q->crash < 0 || q->crash > APR_INT64_C(999999999999)
        || q->child < -1 || q->child > 1000000
        || (q->pids != 0 && q->pids != 1)) {
        fz_fail(args, strlen(args), "query parsed to values out of range");
    }
}

/* The tokens of args that parse alone, joined again with '&'. */
static char *good_tokens(const char *args)
{
    char *out = calloc(1, strlen(args) + 2), *tok = strdup(args), *save;
    char *t;
    guard_query_t q;

    for (t = strtok_r(tok, "&;", &save); t; t = strtok_r(NULL, "&;", &save)) {
        if (guard_query_parse(pool, t, &q) == NULL) {
            strcat(out, *out ? "&" : "");
            strcat(out, t);
        }
    }
    free(tok);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *args = fz_cstr(data, size), *good;
    guard_query_t q;
    const char *err;

    if (!pool) {
        apr_initialize();
        apr_pool_create(&pool, NULL);
    }
    err = guard_query_parse(pool, args, &q);
    check_result(args, err, &q);
    good = good_tokens(args);
    if (guard_query_parse(pool, good, &q) != NULL) {
        fz_fail(good, strlen(good), "tokens that parse alone fail together");
    }
    check_result(good, NULL, &q);
    free(good);
    free(args);
    apr_pool_clear(pool);
    return 0;
}
