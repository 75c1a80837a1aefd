/* SPDX-License-Identifier: Apache-2.0 */
/* The query of /guard-status: exact tokens, never substrings (mod_status
 * takes "?autox" for "?auto"). */
#include <string.h>
#include <apr_strings.h>
#include "guard_status_query.h"

#define REFRESH_MIN 1
#define REFRESH_MAX 3600

static const struct {
    const char *token;
    guard_format_e format;
} formats[] = {
    { "json",       GUARD_FMT_JSON },
    { "prometheus", GUARD_FMT_PROMETHEUS },
    { "auto",       GUARD_FMT_AUTO },
};

#define FORMAT_COUNT (sizeof(formats) / sizeof(formats[0]))

static int token_is(const char *tok, apr_size_t len, const char *word)
{
    return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* A word, bare or with an empty value: Prometheus' scrape params are
 * name=value pairs, so params {prometheus: ['']} sends "prometheus=". */
static int flag_is(const char *tok, apr_size_t len, const char *word)
{
    if (len > 0 && tok[len - 1] == '=') {
        len--;
    }
    return token_is(tok, len, word);
}

/* Digits only, at most max; -1 when not. */
static apr_int64_t parse_number(const char *v, apr_size_t len,
                                apr_int64_t max)
{
    apr_int64_t n = 0;
    apr_size_t i;

    if (len == 0) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        n = n * 10 + (v[i] - '0');
        if (n > max) {
            return -1;
        }
    }
    return n;
}

static int parse_refresh(const char *v, apr_size_t len)
{
    apr_int64_t n = parse_number(v, len, REFRESH_MAX);

    return n < REFRESH_MIN ? -1 : (int)n;
}

/* "crash=<id>" and "child=<n>": 1 when tok is one, *err when malformed. */
static int parse_selector(apr_pool_t *p, const char *tok, apr_size_t len,
                          guard_query_t *q, const char **err)
{
    static const struct {
        const char *prefix;
        apr_int64_t min, max;
    } sel[] = {
        { "crash=", 1, APR_INT64_C(999999999999) },
        { "child=", 0, 1000000 },
    };
    apr_size_t i, plen;
    apr_int64_t n;

    for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        plen = strlen(sel[i].prefix);
        if (len < plen - 1 || memcmp(tok, sel[i].prefix, plen - 1) != 0
            || (len > plen - 1 && tok[plen - 1] != '=')) {
            continue;
        }
        n = len < plen ? -1 : parse_number(tok + plen, len - plen, sel[i].max);
        if (n < sel[i].min) {
            *err = apr_psprintf(p, "invalid %.*s \"%s\": expected a number",
                                (int)plen - 1, sel[i].prefix,
                                apr_pstrmemdup(p, tok, len));
            return 1;
        }
        if (i == 0) {
            q->crash = n;
        }
        else {
            q->child = (int)n;
        }
        return 1;
    }
    return 0;
}

/* "stack=<child>.<thread>": 1 when tok is one, *err when malformed. */
static int parse_stack(apr_pool_t *p, const char *tok, apr_size_t len,
                       guard_query_t *q, const char **err)
{
    static const char prefix[] = "stack";
    const apr_size_t plen = sizeof(prefix) - 1;
    const char *v = tok + plen + 1, *dot;
    apr_int64_t c = -1, t = -1;

    if (len < plen || memcmp(tok, prefix, plen) != 0
        || (len > plen && tok[plen] != '=')) {
        return 0;
    }
    if (len > plen + 1 && (dot = memchr(v, '.', len - plen - 1)) != NULL) {
        c = parse_number(v, (apr_size_t)(dot - v), 1000000);
        t = parse_number(dot + 1, len - plen - 1 - (apr_size_t)(dot - v) - 1,
                         1000000);
    }
    if (c < 0 || t < 0) {
        *err = apr_psprintf(p, "invalid stack \"%s\": expected "
                            "<child>.<thread>", apr_pstrmemdup(p, tok, len));
        return 1;
    }
    q->stack_child = (int)c;
    q->stack_thread = (int)t;
    return 1;
}

static const char *refresh_error(apr_pool_t *p, const char *tok,
                                 apr_size_t len)
{
    return apr_psprintf(p, "invalid refresh \"%s\": expected %d..%d seconds",
                        apr_pstrmemdup(p, tok, len), REFRESH_MIN, REFRESH_MAX);
}

static const char *parse_token(apr_pool_t *p, const char *tok,
                               apr_size_t len, guard_query_t *q)
{
    static const char prefix[] = "refresh=";
    const apr_size_t plen = sizeof(prefix) - 1;
    const char *err = NULL;
    apr_size_t i;
    int n;

    if (parse_selector(p, tok, len, q, &err)
        || parse_stack(p, tok, len, q, &err)) {
        return err;
    }
    for (i = 0; i < FORMAT_COUNT; i++) {
        if (flag_is(tok, len, formats[i].token)) {
            q->format = formats[i].format;
            return NULL;
        }
    }
    if (flag_is(tok, len, "pids")) {
        q->pids = 1;
        return NULL;
    }
    /* A bare "refresh" is a mistake, not an unknown token. */
    if (token_is(tok, len, "refresh")) {
        return refresh_error(p, tok, len);
    }
    if (len < plen || memcmp(tok, prefix, plen) != 0) {
        return NULL;
    }
    if ((n = parse_refresh(tok + plen, len - plen)) < 0) {
        return refresh_error(p, tok, len);
    }
    q->refresh = n;
    return NULL;
}

const char *guard_query_parse(apr_pool_t *p, const char *args,
                              guard_query_t *q)
{
    guard_query_t parsed = { GUARD_FMT_HTML, 0, 0, -1, 0, -1, -1 };
    const char *err;
    apr_size_t len;

    q->format = GUARD_FMT_HTML;
    q->refresh = 0;
    q->crash = 0;
    q->child = -1;
    q->pids = 0;
    q->stack_child = q->stack_thread = -1;
    while (args != NULL && *args != '\0') {
        len = strcspn(args, "&;");
        if (len > 0 && (err = parse_token(p, args, len, &parsed)) != NULL) {
            return err;
        }
        args += len;
        if (*args != '\0') {
            args++;
        }
    }
    *q = parsed;
    return NULL;
}
