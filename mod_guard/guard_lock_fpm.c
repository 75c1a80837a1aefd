/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FPM workers in lock chains: who they are (the pools' status), which
 * lock each waits for (/proc/locks), which file that is (the rules'
 * directories), and what a holder is blocked on where /proc lets httpd's
 * user read it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_fmt.h"
#include "guard_lines.h"
#include "guard_lock_fpm.h"
#include "guard_proc.h"
#include "guard_proc_net.h"
#include "guard_seq.h"
#include "guard_syscall.h"

/* The running workers of one pool, copied under its seq; 0 if torn. */
static int take_pool(const guard_fpm_pool_t *p, int pool, guard_lockfpm_t *f)
{
    apr_uint32_t start = guard_seq_read_begin(&p->seq);
    apr_time_t read_at = p->last_ok;
    apr_uint32_t i, n = p->counts.nprocs;
    int first = f->nworkers;

    for (i = 0; read_at > 0 && i < n && i < GUARD_FPM_WORKERS
                && f->nworkers < GUARD_LOCKFPM_WORKERS; i++) {
        const guard_fpm_proc_t *w = &p->procs[i];
        guard_lockfpm_worker_t *x = &f->workers[f->nworkers];
        apr_int64_t d = w->duration_us;

        if (w->pid <= 0) {
            continue;
        }
        x->pid = w->pid;
        x->pool = pool;
        x->state = w->state;
        x->start = 0;
        x->read_at = read_at;
        if (w->state != GUARD_FPM_IDLE && d >= 0 && d < read_at) {
            x->start = read_at - d;
        }
        f->nworkers++;
    }
    if ((start & 1) || !guard_seq_read_valid(&p->seq, start)) {
        f->nworkers = first;
        return 0;
    }
    f->stale |= read_at > 0 && p->status == GUARD_FPM_FAILED;
    return 1;
}

void guard_lockfpm_take(const guard_fpm_pool_t *pools, int npools,
                        guard_lockfpm_t *f)
{
    int i, tries, k;

    f->nworkers = 0;
    f->oldest = 0;
    f->stale = 0;
    f->nwaits = 0;
    f->nlocks = 0;
    for (i = 0; i < npools && i < GUARD_FPM_POOLS; i++) {
        for (tries = 0; tries < 4 && !take_pool(&pools[i], i, f); tries++) {
        }
    }
    for (k = 0; k < f->nworkers; k++) {
        apr_time_t s = f->workers[k].start;

        if (s > 0 && (!f->oldest || s < f->oldest)) {
            f->oldest = s;
        }
    }
}

const guard_lockfpm_worker_t *guard_lockfpm_find(const guard_lockfpm_t *f,
                                                 apr_int32_t pid)
{
    int i;

    for (i = 0; pid > 0 && i < f->nworkers; i++) {
        if (f->workers[i].pid == pid) {
            return &f->workers[i];
        }
    }
    return NULL;
}

static int lock_index(guard_lockfpm_t *f, apr_uint64_t dev, apr_uint64_t ino)
{
    int i;

    for (i = 0; i < f->nlocks; i++) {
        if (f->locks[i].dev == dev && f->locks[i].ino == ino) {
            return i;
        }
    }
    if (f->nlocks >= GUARD_LOCKFPM_LOCKS) {
        return -1;
    }
    memset(&f->locks[i], 0, sizeof(f->locks[i]));
    f->locks[i].dev = dev;
    f->locks[i].ino = ino;
    f->locks[i].rule = -1;
    f->nlocks++;
    return i;
}

void guard_lockfpm_feed(guard_lockfpm_t *f, const guard_lock_line_t *l)
{
    const guard_lockfpm_worker_t *w;
    guard_lockfpm_wait_t *x;
    int li;

    if (!l->waiter || f->nwaits >= GUARD_LOCKFPM_WAITS
        || !(w = guard_lockfpm_find(f, l->pid))
        || (li = lock_index(f, l->dev, l->ino)) < 0) {
        return;
    }
    x = &f->waits[f->nwaits++];
    x->pid = w->pid;
    x->pool = w->pool;
    x->lock = li;
    x->since = 0;
}

static const guard_lockfpm_seen_e *seen_entry(const guard_lockfpm_seen_t *old,
                                              const guard_lockfpm_t *f,
                                              const guard_lockfpm_wait_t *x)
{
    const guard_lockfpm_lock_t *l = &f->locks[x->lock];
    int i;

    for (i = 0; i < old->n; i++) {
        if (old->e[i].pid == x->pid && old->e[i].dev == l->dev
            && old->e[i].ino == l->ino) {
            return &old->e[i];
        }
    }
    return NULL;
}

static apr_time_t first_seen(const guard_lockfpm_seen_t *old,
                             const guard_lockfpm_t *f,
                             const guard_lockfpm_wait_t *x, apr_time_t now)
{
    const guard_lockfpm_seen_e *e = seen_entry(old, f, x);

    return e ? e->first : now;
}

void guard_lockfpm_date(guard_lockfpm_t *f, guard_lockfpm_seen_t *seen,
                        apr_time_t now)
{
    guard_lockfpm_seen_t old = *seen;
    int i;

    seen->n = 0;
    for (i = 0; i < f->nwaits; i++) {
        guard_lockfpm_wait_t *x = &f->waits[i];
        const guard_lockfpm_worker_t *w = guard_lockfpm_find(f, x->pid);
        guard_lockfpm_lock_t *l = &f->locks[x->lock];
        apr_time_t first = first_seen(&old, f, x, now);

        /* A read made since the wait began speaks of this request. */
        x->since = w && w->start > 0 && w->read_at >= first ? w->start
                                                            : first;
        if (!l->since || x->since < l->since) {
            l->since = x->since;
        }
        if (seen->n < GUARD_LOCKFPM_WAITS) {
            guard_lockfpm_seen_e *e = &seen->e[seen->n++];
            const guard_lockfpm_seen_e *o = seen_entry(&old, f, x);

            if (o) {
                *e = *o;
            }
            else {
                memset(e, 0, sizeof(*e));
                e->pid = x->pid;
                e->dev = l->dev;
                e->ino = l->ino;
                e->first = first;
            }
        }
    }
}

/* The directory of a pattern: its part before the last '/', when that
 * has no wildcard. 0 when there is none. */
static int pattern_dir(const char *pattern, char *dir, apr_size_t len)
{
    const char *slash = strrchr(pattern, '/');
    apr_size_t n;

    if (!slash || slash == pattern
        || (n = (apr_size_t)(slash - pattern)) >= len) {
        return 0;
    }
    memcpy(dir, pattern, n);
    dir[n] = '\0';
    return strpbrk(dir, "*?[\\") == NULL;
}

/* Look for the file of lock l in dir: the entry whose inode is the lock's
 * (readdir says, no stat of every entry), on the lock's device. */
static int find_in_dir(const char *dir, guard_lockfpm_lock_t *l)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    int found = 0;

    if (!d) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        if ((apr_uint64_t)e->d_ino != l->ino
            || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || (apr_uint64_t)st.st_ino != l->ino
            || guard_dev_make(major(st.st_dev), minor(st.st_dev)) != l->dev) {
            continue;
        }
        found = (apr_size_t)apr_snprintf(l->path, sizeof(l->path), "%s/%s",
                                         dir, e->d_name)
                < sizeof(l->path);
    }
    closedir(d);
    return found;
}

static void find_rule(guard_lockfpm_lock_t *l, const guard_lock_rules_t *r)
{
    char dir[GUARD_LOCK_PATTERN_LEN];
    int i;

    l->looked = 1;
    for (i = 0; i < r->n; i++) {
        if (pattern_dir(r->rule[i].pattern, dir, sizeof(dir))
            && find_in_dir(dir, l)) {
            const guard_lock_rule_t *m = guard_lock_rule_find(r, l->path);

            l->rule = m ? (int)(m - r->rule) : -1;
            return;
        }
    }
    l->path[0] = '\0';
}

/* What earlier passes found of lock l's file, and what this one did. */
static void recall(guard_lockfpm_seen_t *seen, guard_lockfpm_lock_t *l,
                   int store)
{
    int i;

    for (i = 0; seen && i < seen->n; i++) {
        guard_lockfpm_seen_e *e = &seen->e[i];

        if (e->dev != l->dev || e->ino != l->ino) {
            continue;
        }
        if (store) {
            e->looked = 1;
            e->rule = l->rule;
            memcpy(e->path, l->path, sizeof(e->path));
        }
        else if (e->looked) {
            l->looked = 1;
            l->rule = e->rule;
            memcpy(l->path, e->path, sizeof(l->path));
            return;
        }
    }
}

void guard_lockfpm_paths(guard_lockfpm_t *f, const guard_lock_rules_t *r,
                         apr_time_t before, guard_lockfpm_seen_t *seen)
{
    int i;

    for (i = 0; r && i < f->nlocks; i++) {
        guard_lockfpm_lock_t *l = &f->locks[i];

        if (!l->looked) {
            recall(seen, l, 0);
        }
        if (!l->looked && l->since > 0 && l->since <= before) {
            find_rule(l, r);
            recall(seen, l, 1);
        }
    }
}

void guard_lockfpm_named(guard_lockfpm_t *f, int i, int rule,
                         const char *path, guard_lockfpm_seen_t *seen)
{
    guard_lockfpm_lock_t *l = &f->locks[i];

    l->looked = 1;
    l->rule = rule;
    apr_cpystrn(l->path, path, sizeof(l->path));
    recall(seen, l, 1);
}

int guard_lockfpm_proc(const guard_fpm_pool_t *pool, apr_int32_t pid,
                       guard_fpm_proc_t *out, apr_time_t *read_at)
{
    int tries;
    apr_uint32_t i;

    for (tries = 0; tries < 4; tries++) {
        apr_uint32_t start = guard_seq_read_begin(&pool->seq);
        apr_uint32_t n = pool->counts.nprocs;
        int found = 0;

        *read_at = pool->last_ok;
        for (i = 0; i < n && i < GUARD_FPM_WORKERS && !found; i++) {
            if (pool->procs[i].pid == pid) {
                memcpy(out, &pool->procs[i], sizeof(*out));
                found = 1;
            }
        }
        if (!(start & 1) && guard_seq_read_valid(&pool->seq, start)) {
            return found;
        }
    }
    return 0;
}

static ssize_t read_small(const char *path, char *buf, apr_size_t len,
                          int *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    *err = 0;
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    r = read(fd, buf, len - 1);
    *err = r < 0 ? errno : 0;
    close(fd);
    buf[r > 0 ? r : 0] = '\0';
    return r;
}

/* "socket:[4242]", "/tmp/x" ... of /proc/<pid>/fd/<fd>. */
static void fd_target(pid_t pid, int fd, char *out, apr_size_t len)
{
    char path[64], *p;
    ssize_t r;

    p = guard_fmt_dec(stpcpy(path, "/proc/"), pid);
    p = guard_fmt_dec(stpcpy(p, "/fd/"), fd);
    *p = '\0';
    r = readlink(path, out, len - 1);
    out[r > 0 ? r : 0] = '\0';
}

/* The first fd of a poll() array in another process's memory. */
static int first_poll_fd(pid_t pid, apr_uint64_t addr)
{
    struct pollfd pfd;
    struct iovec local = { &pfd, sizeof(pfd) };
    struct iovec remote = { (void *)(uintptr_t)addr, sizeof(pfd) };

    if (!addr || process_vm_readv(pid, &local, 1, &remote, 1, 0)
                 != (ssize_t)sizeof(pfd)) {
        return -1;
    }
    return pfd.fd;
}

typedef struct {
    apr_uint64_t ino;
    char *out;
    apr_size_t len;
    int found;
} tcp_find_t;

static void tcp_line(void *baton, const char *line)
{
    tcp_find_t *t = baton;
    char copy[512];

    if (!t->found) {
        apr_cpystrn(copy, line, sizeof(copy));
        t->found = guard_proc_net_tcp_line(copy, t->ino, t->out, t->len) == 0;
    }
}

/* "socket:[4242]" as its TCP peer, when the kernel's tables have it. */
static int tcp_peer(const char *target, char *out, apr_size_t len)
{
    static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    tcp_find_t t = { 0, out, len, 0 };
    int i, fd;

    if (strncmp(target, "socket:[", 8) != 0
        || (t.ino = strtoull(target + 8, NULL, 10)) == 0) {
        return 0;
    }
    for (i = 0; i < 2 && !t.found; i++) {
        if ((fd = open(tables[i], O_RDONLY | O_CLOEXEC)) >= 0) {
            guard_read_lines(fd, tcp_line, &t);
            close(fd);
        }
    }
    return t.found;
}

static void describe_fd(pid_t pid, const char *name, int fd, char *buf,
                        apr_size_t len)
{
    char target[128], peer[GUARD_PEER_LEN];

    fd_target(pid, fd, target, sizeof(target));
    if (tcp_peer(target, peer, sizeof(peer))) {
        apr_snprintf(buf, len, "%s on socket %s", name, peer);
        return;
    }
    apr_snprintf(buf, len, "%s on fd %d%s%s%s", name, fd,
                 target[0] ? " (" : "", target, target[0] ? ")" : "");
}

char *guard_lockfpm_wait_text(pid_t pid, char *buf, apr_size_t len)
{
    char path[48], raw[256];
    guard_syscall_line_t sl;
    guard_call_t call;
    const char *name;
    int err, fd;

    strcpy(guard_fmt_dec(stpcpy(path, "/proc/"), pid), "/syscall");
    if (read_small(path, raw, sizeof(raw), &err) <= 0) {
        apr_snprintf(buf, len, err == EACCES || err == EPERM
                     ? "not readable: the FPM worker is not dumpable "
                       "(process.dumpable = yes in its pool allows it)"
                     : "not readable: %s", strerror(err));
        return buf;
    }
    if (guard_proc_parse_syscall(raw, &sl) != 0 || sl.running) {
        apr_cpystrn(buf, sl.running ? "on CPU" : "unknown", len);
        return buf;
    }
    guard_syscall_decode(&sl, &call);
    name = guard_syscall_name(sl.nr);
    name = name ? name : "a syscall";
    fd = call.fd;
    if (fd < 0 && call.call == GUARD_CALL_POLL && call.n >= 1) {
        fd = first_poll_fd(pid, call.ptr);
    }
    if (fd < 0) {
        apr_cpystrn(buf, name, len);
        return buf;
    }
    describe_fd(pid, name, fd, buf, len);
    return buf;
}

static const char *field(const char *text, const char *name)
{
    apr_size_t n = strlen(name);
    const char *p = text;

    while (p && *p) {
        if (!strncmp(p, name, n)) {
            return p + n;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return NULL;
}

int guard_lockfpm_parse_status(const char *text, apr_int64_t *ruid,
                               apr_int64_t *euid, apr_int32_t *ppid)
{
    const char *u = field(text, "Uid:"), *pp = field(text, "PPid:");
    char *end;
    long long v;

    if (!u || !pp) {
        return -1;
    }
    *ruid = strtoll(u, &end, 10);
    if (end == u || *ruid < 0) {
        return -1;
    }
    *euid = strtoll(end, &end, 10);
    v = strtoll(pp, &end, 10);
    if (end == pp || v < 0 || v > 0x7fffffff || *euid < 0) {
        return -1;
    }
    *ppid = (apr_int32_t)v;
    return 0;
}
