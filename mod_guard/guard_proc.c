/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers of /proc/<pid>/task/<tid>/{syscall,stat}. Pure: they take text. */
#include <limits.h>
#include <string.h>
#include "guard_proc.h"

#define STAT_FIELD_STATE      3
#define STAT_FIELD_PPID       4
#define STAT_FIELD_UTIME      14
#define STAT_FIELD_STIME      15
#define STAT_FIELD_STARTTIME  22

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The kernel ends its lines with one '\n'; nothing else may follow. */
static int at_end(const char *p)
{
    return p != NULL && (*p == '\0' || (p[0] == '\n' && p[1] == '\0'));
}

/* Unsigned decimal; NULL on no digits or overflow. */
static const char *parse_udec(const char *p, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    const char *start = p;

    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');

        if (v > (APR_UINT64_MAX - d) / 10) {
            return NULL;
        }
        v = v * 10 + d;
    }
    if (p == start) {
        return NULL;
    }
    *out = v;
    return p;
}

/* The syscall number: decimal, "-1" when blocked outside a syscall. */
static const char *parse_nr(const char *p, long *out)
{
    apr_uint64_t v;
    int neg = (*p == '-');

    if ((p = parse_udec(p + neg, &v)) == NULL || v > 0x7fffffff) {
        return NULL;
    }
    *out = neg ? -(long)v : (long)v;
    return p;
}

/* " 0x1f": one space, then hex with its 0x, as the kernel prints it. */
static const char *parse_hexarg(const char *p, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    int n = 0;

    if (p == NULL || p[0] != ' ' || p[1] != '0' || p[2] != 'x') {
        return NULL;
    }
    for (p += 3; hexval(*p) >= 0; p++, n++) {
        if (n == 16) {
            return NULL;
        }
        v = (v << 4) | (apr_uint64_t)hexval(*p);
    }
    if (n == 0) {
        return NULL;
    }
    *out = v;
    return p;
}

static const char *parse_args(const char *p, guard_syscall_line_t *out)
{
    int i;

    for (i = 0; i < 6 && p != NULL; i++) {
        p = parse_hexarg(p, &out->args[i]);
    }
    return p;
}

static void syscall_reset(guard_syscall_line_t *out)
{
    memset(out, 0, sizeof(*out));
    out->nr = -1;
}

int guard_proc_parse_syscall(const char *buf, guard_syscall_line_t *out)
{
    const char *p;

    syscall_reset(out);
    if (buf == NULL) {
        return -1;
    }
    if (strncmp(buf, "running", 7) == 0 && at_end(buf + 7)) {
        out->running = 1;
        return 0;
    }
    p = parse_nr(buf, &out->nr);
    /* Outside a syscall the kernel prints only the stack and program
     * counters. */
    if (p != NULL && out->nr >= 0) {
        p = parse_args(p, out);
    }
    p = parse_hexarg(p, &out->sp);
    p = parse_hexarg(p, &out->pc);
    if (!at_end(p)) {
        syscall_reset(out);
        return -1;
    }
    return 0;
}

/* Field n (1-based) of a stat line, given p at field 3. */
static const char *stat_field(const char *p, int n)
{
    int i;

    for (i = STAT_FIELD_STATE; i < n; i++) {
        p = strchr(p, ' ');
        if (p == NULL) {
            return NULL;
        }
        p++;
    }
    return p;
}

/* A numeric field must end at a separator: "12x" is not a tick count. */
static int stat_number(const char *fields, int n, apr_uint64_t *out)
{
    const char *p = stat_field(fields, n);

    if (p == NULL || (p = parse_udec(p, out)) == NULL) {
        return -1;
    }
    return (*p == ' ' || at_end(p)) ? 0 : -1;
}

int guard_proc_parse_stat(const char *buf, guard_stat_line_t *out)
{
    const char *p, *rparen;
    apr_uint64_t pid;
    guard_stat_line_t st;

    memset(out, 0, sizeof(*out));
    if (buf == NULL || (p = parse_udec(buf, &pid)) == NULL
        || p[0] != ' ' || p[1] != '(') {
        return -1;
    }
    /* ") S ": the state is one character between single spaces. */
    rparen = strrchr(p + 2, ')');
    if (rparen == NULL || rparen[1] != ' ' || rparen[2] == '\0'
        || rparen[3] != ' ') {
        return -1;
    }
    memset(&st, 0, sizeof(st));
    st.state = rparen[2];
    p = rparen + 2;
    if (stat_number(p, STAT_FIELD_PPID, &st.ppid) < 0
        || stat_number(p, STAT_FIELD_UTIME, &st.utime) < 0
        || stat_number(p, STAT_FIELD_STIME, &st.stime) < 0
        || stat_number(p, STAT_FIELD_STARTTIME, &st.starttime) < 0) {
        return -1;
    }
    *out = st;
    return 0;
}

/* "tfd: <n> events: ..." at a line start: n, or -1. */
static int epoll_tfd(const char *line)
{
    const char *p = line + 4;
    apr_uint64_t v;

    if (strncmp(line, "tfd:", 4) != 0) {
        return -1;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    p = parse_udec(p, &v);
    if (p == NULL || !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\0')
        || v > INT_MAX) {
        return -1;
    }
    return (int)v;
}

int guard_proc_epoll_fds(const char *buf, int *fds, int max)
{
    const char *line = buf;
    int n = 0, fd;

    while (line != NULL && *line != '\0' && n < max) {
        if ((fd = epoll_tfd(line)) >= 0) {
            fds[n++] = fd;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return n;
}
