/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session files known by name (guard_lock_sess.h): the session cookie of
 * a request, its id checked, the file's path from a GuardLockWatch
 * pattern, and the id's hash that stands for it once shown.
 */
#include <string.h>
#include <apr_strings.h>
#include "guard_lock_sess.h"

apr_size_t guard_sess_cookie(const char *header, const char *name,
                             const char **val)
{
    apr_size_t nl = strlen(name), n;
    const char *p = header;

    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ';') {
            p++;
        }
        if (!strncmp(p, name, nl) && p[nl] == '=') {
            *val = p + nl + 1;
            n = strcspn(*val, "; \t");
            return n;
        }
        p = strchr(p, ';');
    }
    return 0;
}

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == ',' || c == '-';
}

int guard_sess_id_ok(const char *id, apr_size_t n)
{
    apr_size_t i;

    if (n == 0 || n > GUARD_SESS_ID_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!id_char(id[i])) {
            return 0;
        }
    }
    return 1;
}

/* The '*' of a pattern "DIR/PREFIX*SUFFIX"; NULL when it is not one. */
static const char *the_star(const char *pattern)
{
    const char *slash = strrchr(pattern, '/'), *star;

    if (!slash || slash == pattern || strpbrk(pattern, "?[\\")
        || !(star = strchr(pattern, '*')) || star < slash
        || strchr(star + 1, '*')) {
        return NULL;
    }
    return star;
}

int guard_sess_path(const char *pattern, const char *id, apr_size_t n,
                    char *out, apr_size_t len)
{
    const char *star = the_star(pattern);
    apr_size_t head, tail;

    if (!star) {
        return 0;
    }
    head = (apr_size_t)(star - pattern);
    tail = strlen(star + 1);
    if (head + n + tail >= len) {
        return 0;
    }
    memcpy(out, pattern, head);
    memcpy(out + head, id, n);
    memcpy(out + head + n, star + 1, tail + 1);
    return 1;
}

apr_uint32_t guard_sess_hash(const char *id, apr_size_t n)
{
    apr_uint32_t h = 2166136261u;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    }
    return h;
}

void guard_sess_shown(const char *pattern, apr_uint32_t hash, char *out,
                      apr_size_t len)
{
    char id[10];

    apr_snprintf(id, sizeof(id), "#%08x", hash);
    if (!guard_sess_path(pattern, id, strlen(id), out, len)) {
        apr_cpystrn(out, pattern, len);
    }
}
