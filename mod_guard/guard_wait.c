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
    "futex", "sleep", "child", "syscall", "unknown"
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

/*
 * The shm fields are NUL-terminated when written, but a torn copy need not
 * be: every field is printed with its array size as precision.
 */
#define FIELD(f) (int)strnlen((f), sizeof(f)), (f)

/* Milliseconds as seconds with one decimal, rounded: "37.2". */
static char *secs(apr_int64_t ms, char *buf, apr_size_t len)
{
    apr_int64_t tenths = (ms + 50) / 100;

    apr_snprintf(buf, len, "%" APR_INT64_T_FMT ".%d",
                 tenths / 10, (int)(tenths % 10));
    return buf;
}

static char *describe_cpu(const guard_wait_t *w, apr_int64_t elapsed_ms,
                          char *buf, apr_size_t len)
{
    char cpu[32], wall[32];

    if (w->cpu_ms < 0 || elapsed_ms < 0) {
        apr_cpystrn(buf, "on CPU", len);
        return buf;
    }
    apr_snprintf(buf, len, "on CPU (%s%s s CPU in %s s)",
                 (w->flags & GUARD_WAITF_SPINNING) ? "spinning: " : "",
                 secs(w->cpu_ms, cpu, sizeof(cpu)),
                 secs(elapsed_ms, wall, sizeof(wall)));
    return buf;
}

/* "poll on socket 10.0.0.5:6379 (idle 37.2 s)"; 'what' names the socket. */
static char *describe_socket(const guard_wait_t *w, const char *what,
                             char *buf, apr_size_t len)
{
    const char *peer = w->peer[0] ? w->peer : "?";
    int peer_len = w->peer[0] ? (int)strnlen(w->peer, sizeof(w->peer)) : 1;
    char idle[48] = "";

    if (w->call == GUARD_CALL_CONNECT) {
        apr_snprintf(buf, len, "connect to socket %.*s", peer_len, peer);
        return buf;
    }
    if (w->idle_ms >= 0) {
        char s[32];

        apr_snprintf(idle, sizeof(idle), " (idle %s s)",
                     secs(w->idle_ms, s, sizeof(s)));
    }
    apr_snprintf(buf, len, "%.*s on %s %.*s%s", FIELD(w->sysname), what,
                 peer_len, peer, idle);
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
    switch (w->kind) {
    case GUARD_WAIT_CPU:
        return describe_cpu(w, elapsed_ms, buf, len);
    case GUARD_WAIT_BACKEND:
        return describe_socket(w, "socket", buf, len);
    case GUARD_WAIT_CLIENT:
        return describe_socket(w, "client socket", buf, len);
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
