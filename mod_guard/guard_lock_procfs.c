/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing /proc/locks and finding the holder of a lock. No malloc. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "guard_lock_procfs.h"
#include "guard_shm.h"

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* The next blank-separated word: its start, and its length in *len. */
static const char *word(const char **pp, apr_size_t *len)
{
    const char *p = skip_spaces(*pp), *start = p;

    while (*p && *p != ' ' && *p != '\t') {
        p++;
    }
    *len = (apr_size_t)(p - start);
    *pp = p;
    return start;
}

static int word_is(const char *w, apr_size_t len, const char *s)
{
    return len == strlen(s) && memcmp(w, s, len) == 0;
}

static int class_of(const char *w, apr_size_t len)
{
    if (word_is(w, len, "FLOCK")) {
        return GUARD_LOCK_FLOCK;
    }
    if (word_is(w, len, "POSIX")) {
        return GUARD_LOCK_POSIX;
    }
    if (word_is(w, len, "OFDLCK")) {
        return GUARD_LOCK_OFD;
    }
    return GUARD_LOCK_OTHER;
}

/* "fe:00:10953007": hex major, hex minor, decimal inode. */
static int parse_dev_ino(const char *w, apr_size_t len, guard_lock_line_t *l)
{
    char tmp[64], *end;
    unsigned long major, minor;

    if (len == 0 || len >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, w, len);
    tmp[len] = '\0';
    errno = 0;
    major = strtoul(tmp, &end, 16);
    if (end == tmp || *end != ':') {
        return -1;
    }
    w = end + 1;
    minor = strtoul(w, &end, 16);
    if (end == w || *end != ':') {
        return -1;
    }
    w = end + 1;
    l->ino = strtoull(w, &end, 10);
    if (end == w || *end || errno) {
        return -1;
    }
    l->dev = guard_dev_make(major, minor);
    return 0;
}

static int parse_pid(const char *w, apr_size_t len, apr_int32_t *pid)
{
    char tmp[16], *end;
    long v;

    if (len == 0 || len >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, w, len);
    tmp[len] = '\0';
    v = strtol(tmp, &end, 10);
    if (*end || v < -1 || v > 0x7fffffffL) {
        return -1;
    }
    *pid = (apr_int32_t)v;
    return 0;
}

int guard_locks_parse_line(const char *line, guard_lock_line_t *l)
{
    const char *p = line, *w;
    char *end;
    apr_size_t len;

    memset(l, 0, sizeof(*l));
    l->id = strtoull(skip_spaces(p), &end, 10);
    if (end == skip_spaces(p) || *end != ':') {
        return -1;
    }
    p = end + 1;
    w = word(&p, &len);
    if (word_is(w, len, "->")) {
        l->waiter = 1;
        w = word(&p, &len);
    }
    l->lock_class = class_of(w, len);
    word(&p, &len);                               /* ADVISORY, ACTIVE ... */
    w = word(&p, &len);                           /* READ, WRITE, UNLCK */
    l->write = word_is(w, len, "WRITE");
    w = word(&p, &len);
    if (parse_pid(w, len, &l->pid) != 0) {
        return -1;
    }
    w = word(&p, &len);
    return parse_dev_ino(w, len, l);              /* "<none>:0" fails */
}

const char *guard_lock_class_name(int lock_class)
{
    switch (lock_class) {
    case GUARD_LOCK_FLOCK: return "flock";
    case GUARD_LOCK_POSIX: return "posix";
    case GUARD_LOCK_OFD:   return "ofd";
    default:               return "other";
    }
}

static int is_waiter_pid(const guard_lock_target_t *t, apr_int32_t pid)
{
    int i;

    for (i = 0; i < t->nwaiter_pids; i++) {
        if (t->waiter_pids[i] == pid) {
            return 1;
        }
    }
    return 0;
}

static void match_one(guard_lock_target_t *t, const guard_lock_line_t *l)
{
    int dev_match = l->dev == t->dev;

    if (l->ino != t->ino) {
        return;
    }
    if (l->waiter) {
        if (!t->have_blocker && l->pid > 0 && is_waiter_pid(t, l->pid)) {
            t->have_blocker = 1;
            t->blocker_id = l->id;
        }
        return;
    }
    if (t->nholders < GUARD_LOCK_HOLDERS) {
        t->holder_dev_match[t->nholders] = dev_match;
        t->holders[t->nholders++] = *l;
    }
}

void guard_locks_match(guard_lock_target_t *t, int n,
                       const guard_lock_line_t *l)
{
    int i;

    for (i = 0; i < n; i++) {
        match_one(&t[i], l);
    }
}

const guard_lock_line_t *guard_locks_holder(const guard_lock_target_t *t)
{
    int i;

    if (t->have_blocker) {
        for (i = 0; i < t->nholders; i++) {
            if (t->holders[i].id == t->blocker_id) {
                return &t->holders[i];
            }
        }
    }
    for (i = 0; i < t->nholders; i++) {
        if (t->holder_dev_match[i]) {
            return &t->holders[i];
        }
    }
    return NULL;
}
