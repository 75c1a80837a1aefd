/* SPDX-License-Identifier: Apache-2.0 */
/* Names of states and waits, the continuity rule, the one-line text. */
#include <string.h>
#include <apr_strings.h>
#include "guard_wait.h"
#include "guard_syscall.h"

static const char *const ws_names[GUARD_WS_MAX] = {
    "empty", "idle", "read", "busy", "keepalive"
};

static const char *const kind_names[GUARD_WAIT_MAX] = {
    "none", "cpu", "backend", "client", "listener", "file", "lock", "pipe",
    "futex", "sleep", "child", "syscall", "unknown", "cgi"
};

const char *guard_ws_name(guard_ws_e s)
{
    return ((unsigned)s < GUARD_WS_MAX) ? ws_names[s] : "unknown";
}

const char *guard_wait_kind_name(guard_wait_kind_e k)
{
    return ((unsigned)k < GUARD_WAIT_MAX) ? kind_names[k] : "unknown";
}

int guard_wait_same(const guard_wait_t *a, const guard_wait_t *b)
{
    return a->kind == b->kind
           && a->syscall == b->syscall
           && a->fd == b->fd
           && strncmp(a->peer, b->peer, sizeof(a->peer)) == 0
           && strncmp(a->path, b->path, sizeof(a->path)) == 0;
}

void guard_wait_carry(const guard_wait_t *prev, guard_wait_t *cur)
{
    if (guard_wait_same(prev, cur)) {
        cur->since = prev->since;
    }
}

int guard_wait_server_peer(long peer_pid, long peer_ppid, long self_pid,
                           long server_pid)
{
    return server_pid > 0 && peer_pid > 0 && peer_pid != self_pid
           && peer_pid != server_pid && peer_ppid == server_pid;
}

/*
 * The shm fields are NUL-terminated when written, but a torn copy need not
 * be: every field is printed with its array size as precision.
 */
#define FIELD(f) (int)strnlen((f), sizeof(f)), (f)

/*
 * The common texts are put together by hand: a status page describes
 * every busy worker, and a format string per worker costs more than the
 * rest of its row. Appends are cut at the end of the buffer, as
 * apr_snprintf cuts, and the text stays NUL-terminated.
 */
typedef struct {
    char *buf;
    apr_size_t len;               /* size of buf, >= 1 */
    apr_size_t used;
} text_t;

static char *text_start(text_t *t, char *buf, apr_size_t len)
{
    t->buf = buf;
    t->len = len;
    t->used = 0;
    buf[0] = '\0';
    return buf;
}

static void text_add(text_t *t, const char *s, apr_size_t n)
{
    apr_size_t room = t->len - 1 - t->used;

    if (n > room) {
        n = room;
    }
    memcpy(t->buf + t->used, s, n);
    t->used += n;
    t->buf[t->used] = '\0';
}

#define TEXT_LIT(t, lit) text_add((t), (lit), sizeof(lit) - 1)

/* Milliseconds (>= 0) as seconds with one decimal, rounded: "37.2". */
static void text_secs(text_t *t, apr_int64_t ms)
{
    apr_uint64_t tenths = ((apr_uint64_t)ms + 50) / 100;
    char tmp[24];
    char *p = tmp + sizeof(tmp);

    *--p = (char)('0' + tenths % 10);
    *--p = '.';
    tenths /= 10;
    do {
        *--p = (char)('0' + tenths % 10);
        tenths /= 10;
    } while (tenths);
    text_add(t, p, (apr_size_t)(tmp + sizeof(tmp) - p));
}

static char *describe_cpu(const guard_wait_t *w, apr_int64_t elapsed_ms,
                          char *buf, apr_size_t len)
{
    text_t t;

    if (w->cpu_ms < 0 || elapsed_ms < 0) {
        apr_cpystrn(buf, "on CPU", len);
        return buf;
    }
    text_start(&t, buf, len);
    TEXT_LIT(&t, "on CPU (");
    if (w->flags & GUARD_WAITF_SPINNING) {
        TEXT_LIT(&t, "spinning: ");
    }
    text_secs(&t, w->cpu_ms);
    TEXT_LIT(&t, " s CPU in ");
    text_secs(&t, elapsed_ms);
    TEXT_LIT(&t, " s)");
    return buf;
}

/* "poll on socket 10.0.0.5:6379 (idle 37.2 s)"; 'what' names the socket. */
static char *describe_socket(const guard_wait_t *w, const char *what,
                             char *buf, apr_size_t len)
{
    text_t t;

    text_start(&t, buf, len);
    if (w->call == GUARD_CALL_CONNECT) {
        TEXT_LIT(&t, "connect to socket ");
    }
    else {
        text_add(&t, w->sysname, strnlen(w->sysname, sizeof(w->sysname)));
        TEXT_LIT(&t, " on ");
        text_add(&t, what, strlen(what));
        TEXT_LIT(&t, " ");
    }
    if (w->peer[0]) {
        text_add(&t, w->peer, strnlen(w->peer, sizeof(w->peer)));
    }
    else {
        TEXT_LIT(&t, "?");
    }
    if (w->call != GUARD_CALL_CONNECT && w->idle_ms >= 0) {
        TEXT_LIT(&t, " (idle ");
        text_secs(&t, w->idle_ms);
        TEXT_LIT(&t, " s)");
    }
    return buf;
}

static const char *lock_name(const guard_wait_t *w)
{
    return strncmp(w->sysname, "flock", sizeof(w->sysname)) == 0
           ? "flock" : "fcntl lock";
}

char *guard_wait_describe(const guard_wait_t *w, apr_int64_t elapsed_ms,
                          char *buf, apr_size_t len)
{
    if (len == 0) {
        return buf;
    }
    switch (w->kind) {
    case GUARD_WAIT_CPU:
        return describe_cpu(w, elapsed_ms, buf, len);
    case GUARD_WAIT_BACKEND:
        return describe_socket(w, "socket", buf, len);
    case GUARD_WAIT_CLIENT:
        return describe_socket(w, "client socket", buf, len);
    case GUARD_WAIT_CGI:
        return describe_socket(w, "CGI script via", buf, len);
    case GUARD_WAIT_LISTENER:
        return describe_socket(w, "listener", buf, len);
    case GUARD_WAIT_FILE:
    case GUARD_WAIT_PIPE:
        apr_snprintf(buf, len, "%.*s on %.*s", FIELD(w->sysname),
                     FIELD(w->path));
        break;
    case GUARD_WAIT_LOCK:
        apr_snprintf(buf, len, "%s on %.*s", lock_name(w), FIELD(w->path));
        break;
    case GUARD_WAIT_FUTEX:
        apr_cpystrn(buf, "futex", len);
        break;
    case GUARD_WAIT_SLEEP:
    case GUARD_WAIT_SYSCALL:
        apr_snprintf(buf, len, "%.*s", FIELD(w->sysname));
        break;
    case GUARD_WAIT_CHILD:
        apr_snprintf(buf, len, "%.*s (child process)", FIELD(w->sysname));
        break;
    case GUARD_WAIT_NONE:
        apr_cpystrn(buf, "", len);
        break;
    default:
        apr_cpystrn(buf, "unknown", len);
        break;
    }
    return buf;
}
