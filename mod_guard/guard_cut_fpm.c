/* SPDX-License-Identifier: Apache-2.0 */
/* What goes on behind a cut FPM socket (guard_cut_fpm.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <apr_strings.h>
#include "guard_cut_fpm.h"
#include "guard_lines.h"
#include "guard_lock_sess.h"
#include "guard_reqcopy.h"

/* Entries of one rule's directory looked at, at most. */
#define LIST_MAX 100000

int guard_cut_fpm_pool(const guard_cut_fpm_t *x, const char *peer)
{
    int i;

    for (i = 0; x && peer && i < x->n; i++) {
        if (guard_fpm_addr_is_peer(&x->addrs[i], peer)) {
            return i;
        }
    }
    return -1;
}

/* A copy made safe; inconsistent only if the writer never let go. */
static void copy_pool(const guard_fpm_pool_t *src, guard_fpm_pool_t *dst)
{
    guard_fpm_pool_copy(src, dst);
    guard_fpm_sane(dst);
}

void guard_behind_join(const guard_fpm_pool_t *rec, const guard_slot_t *s,
                       int others, guard_behind_t *b)
{
    guard_fpm_waiter_t w;

    apr_cpystrn(b->pool_name, rec->counts.name, sizeof(b->pool_name));
    if (rec->status == GUARD_FPM_FAILED) {
        apr_cpystrn(b->error, rec->error, sizeof(b->error));
    }
    b->others = others;
    if (!rec->last_ok) {
        b->state = GUARD_BEHIND_UNREAD;
        return;
    }
    memset(&w, 0, sizeof(w));
    w.method = s->req.method;
    w.uri = s->req.uri;
    w.query_hash = s->query_hash;
    w.req_start = s->req_start;
    guard_fpm_join(rec->procs, (int)rec->counts.nprocs, rec->last_ok, &w, 1);
    b->candidates = w.ambiguous ? 2 : w.fpm >= 0;
    if (w.ambiguous || (w.fpm >= 0 && others > 0)) {
        b->state = GUARD_BEHIND_AMBIGUOUS;
        return;
    }
    if (w.fpm < 0) {
        b->state = GUARD_BEHIND_UNKNOWN;
        return;
    }
    b->state = GUARD_BEHIND_JOINED;
    b->proc = rec->procs[w.fpm];
    b->fpm_start = rec->last_ok - b->proc.duration_us;
}

static void keep_held(guard_held_locks_t *l, const guard_lock_line_t *ln)
{
    if (l->nheld < GUARD_CUT_FPM_LOCKS) {
        l->held[l->nheld] = *ln;
        l->waiters[l->nheld++] = 0;
    }
    else {
        l->more++;
    }
}

void guard_held_locks_feed(void *baton, const char *line)
{
    guard_held_locks_t *l = baton;
    guard_lock_line_t ln;
    int i;

    if (guard_locks_parse_line(line, &ln) != 0) {
        return;
    }
    if (!ln.waiter) {
        if (ln.pid == l->pid) {
            keep_held(l, &ln);
        }
        return;
    }
    for (i = 0; i < l->nheld; i++) {
        l->waiters[i] += l->held[i].id == ln.id;
    }
}

static int read_locks(const char *file, guard_held_locks_t *l)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC), rv;

    if (fd < 0) {
        return errno ? errno : EIO;
    }
    rv = guard_read_lines(fd, guard_held_locks_feed, l);
    close(fd);
    return rv == 0 ? 0 : EIO;
}

/* The directory part of a pattern, without wildcards; 0 when it has one. */
static int rule_dir(const char *pattern, char *dir, apr_size_t len)
{
    const char *slash = strrchr(pattern, '/');
    apr_size_t n;

    if (!slash || slash == pattern) {
        return 0;
    }
    n = (apr_size_t)(slash - pattern);
    if (n >= len || strcspn(pattern, "*?[\\") < n) {
        return 0;
    }
    memcpy(dir, pattern, n);
    dir[n] = '\0';
    return 1;
}

struct dirent64_hdr {
    apr_uint64_t ino;
    apr_int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/* The held lock this entry of dir is, if it matches the rule: -1 none. */
static int entry_lock(const guard_behind_t *b, int dfd, const char *dir,
                      const char *name, const char *pattern)
{
    char full[GUARD_PATH_LEN];
    struct stat st;
    int i;

    if (name[0] == '.'
        || apr_snprintf(full, sizeof(full), "%s/%s", dir, name)
           >= (int)sizeof(full) - 1
        || !guard_glob_match(pattern, full)
        || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return -1;
    }
    for (i = 0; i < b->locks.nheld; i++) {
        if ((apr_uint64_t)st.st_ino == b->locks.held[i].ino) {
            return i;
        }
    }
    return -1;
}

/* One rule's directory listed with getdents64 into a stack buffer (no
 * malloc in the watchdog). */
static int list_rule(guard_behind_t *b, const char *dir, const char *pattern,
                     int *err)
{
    char buf[8192];
    long n;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), seen = 0;

    if (dfd < 0) {
        *err = errno ? errno : EIO;
        return -1;
    }
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0
           && seen < LIST_MAX) {
        long off = 0;

        while (off < n) {
            struct dirent64_hdr *d = (struct dirent64_hdr *)(buf + off);
            int i = entry_lock(b, dfd, dir, d->name, pattern);

            if (i >= 0) {
                close(dfd);
                apr_snprintf(b->path, sizeof(b->path), "%s/%s", dir,
                             d->name);
                return i;
            }
            off += d->reclen;
            seen++;
        }
    }
    *err = n < 0 ? (errno ? errno : EIO) : 0;
    close(dfd);
    return -1;
}

void guard_held_locks_watched(guard_behind_t *b,
                              const guard_lock_rules_t *rules)
{
    char dir[GUARD_PATH_LEN];
    int r;

    b->watched = -1;
    for (r = 0; rules && r < rules->n && b->watched < 0; r++) {
        int err = 0;

        if (!rule_dir(rules->rule[r].pattern, dir, sizeof(dir))) {
            continue;
        }
        b->watched = list_rule(b, dir, rules->rule[r].pattern, &err);
        if (err && !b->list_errno) {
            b->list_errno = err;
            apr_cpystrn(b->list_dir, dir, sizeof(b->list_dir));
        }
    }
}

/* Held lock k on the session file of slot live's request, which its
 * worker stat()ed by name: its path as shown, 1. */
static int sess_of(const guard_slot_t *live, const guard_lock_rules_t *rules,
                   guard_behind_t *b, int k)
{
    guard_slot_t o;

    if (!guard_slot_read(live, &o) || o.state != GUARD_WS_BUSY
        || o.sess.ino != b->locks.held[k].ino
        || o.sess.dev != b->locks.held[k].dev || o.sess.rule < 0
        || o.sess.rule >= rules->n) {
        return 0;
    }
    guard_sess_shown(rules->rule[o.sess.rule].pattern, o.sess.id_hash,
                     b->path, sizeof(b->path));
    return 1;
}

/* Where a rule's directory could not be listed: a held lock on the
 * session file of a request in flight (guard_fpm_sess_note). */
static void watched_by_sess(const guard_shm_t *shm,
                            const guard_lock_rules_t *rules,
                            guard_behind_t *b)
{
    int i, k, all = shm ? shm->server_limit * shm->thread_limit : 0;

    for (i = 0; i < all && b->watched < 0; i++) {
        const guard_slot_t *live = guard_shm_slot_at(shm, i);
        apr_uint64_t ino = live ? __atomic_load_n(&live->sess.ino,
                                                  __ATOMIC_RELAXED) : 0;

        for (k = 0; ino && k < b->locks.nheld && b->watched < 0; k++) {
            if (b->locks.held[k].ino == ino && sess_of(live, rules, b, k)) {
                b->watched = k;
            }
        }
    }
}

/* Other httpd workers, of any child, that wait on the same socket peer
 * for the same method and URI: one FPM worker could be serving either. */
static int count_others(const guard_shm_t *shm, const guard_slot_t *s,
                        const char *peer)
{
    int i, n = 0, all = shm ? shm->server_limit * shm->thread_limit : 0;
    guard_slot_t o;

    for (i = 0; i < all; i++) {
        const guard_slot_t *live = guard_shm_slot_at(shm, i);

        if (!live || !live->req_start || !guard_slot_read(live, &o)
            || (o.pid == s->pid && o.tid == s->tid)
            || !o.req_start || o.wait_req_start != o.req_start
            || o.wait.kind != GUARD_WAIT_BACKEND) {
            continue;
        }
        o.wait.peer[sizeof(o.wait.peer) - 1] = '\0';
        o.req.method[sizeof(o.req.method) - 1] = '\0';
        o.req.uri[sizeof(o.req.uri) - 1] = '\0';
        n += !strcmp(o.wait.peer, peer)
             && !strcmp(o.req.method, s->req.method)
             && !strcmp(o.req.uri, s->req.uri)
             && o.query_hash == s->query_hash;
    }
    return n;
}

static void join_pool(guard_cut_fpm_t *x, int pool, const guard_slot_t *s,
                      int others, guard_behind_t *b)
{
    b->pool = pool;
    apr_cpystrn(b->address, x->addrs[pool].address, sizeof(b->address));
    copy_pool(&x->pools[pool], x->scratch);
    guard_behind_join(x->scratch, s, others, b);
}

/* A peer that is no pool's status address may still be a pool's socket:
 * the status read through pm.status_listen. The pool is then the one
 * with an FPM worker that fits the request; none: not an FPM socket. */
static void join_by_request(guard_cut_fpm_t *x, const guard_slot_t *s,
                            int others, guard_behind_t *b)
{
    int i;

    for (i = 0; i < x->n; i++) {
        memset(b, 0, sizeof(*b));
        b->watched = -1;
        join_pool(x, i, s, others, b);
        if (b->candidates > 0) {
            b->by_request = 1;
            return;
        }
    }
    memset(b, 0, sizeof(*b));
    b->pool = b->watched = -1;
}

void guard_cut_fpm_behind(guard_cut_fpm_t *x, const guard_shm_t *shm,
                          const guard_slot_t *s, const char *peer,
                          const guard_lock_rules_t *rules, apr_time_t now,
                          guard_behind_t *b)
{
    int pool = guard_cut_fpm_pool(x, peer);

    memset(b, 0, sizeof(*b));
    b->pool = b->watched = -1;
    if (!x || !x->scratch || !peer || !peer[0]) {
        return;
    }
    if (pool >= 0) {
        join_pool(x, pool, s, count_others(shm, s, peer), b);
    }
    else {
        join_by_request(x, s, count_others(shm, s, peer), b);
    }
    if (b->state != GUARD_BEHIND_JOINED) {
        return;
    }
    b->running = now > b->fpm_start ? now - b->fpm_start : 0;
    b->locks.pid = b->proc.pid;
    b->locks_errno = read_locks(x->proc_locks ? x->proc_locks
                                : "/proc/locks", &b->locks);
    if (!b->locks_errno && b->locks.nheld) {
        guard_held_locks_watched(b, rules);
        if (b->watched < 0 && b->list_errno) {
            watched_by_sess(shm, rules, b);
        }
    }
}

/* Appends to a fixed buffer; what does not fit is cut off. */
typedef struct {
    char *buf;
    apr_size_t len;
    apr_size_t at;
} text_t;

static void say(text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(text_t *t, const char *fmt, ...)
{
    va_list ap;

    if (t->at + 1 >= t->len) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(t->buf + t->at, t->len - t->at, fmt, ap);
    va_end(ap);
    t->at += strlen(t->buf + t->at);
}

static void say_pool(text_t *t, const guard_behind_t *b)
{
    if (b->pool_name[0]) {
        say(t, "pool %s", b->pool_name);
    }
    else {
        say(t, "pool %s", b->address);
    }
}

/* FPM's URI, its query left out unless shown ("?..."). */
static void say_uri(text_t *t, const char *uri, int show_query)
{
    apr_size_t n = show_query ? strlen(uri) : strcspn(uri, "?");

    say(t, "%.*s%s", (int)n, uri, uri[n] ? "?..." : "");
}

static void say_locks(text_t *t, const guard_behind_t *b, int show_query)
{
    const guard_held_locks_t *l = &b->locks;
    char err[96], path[GUARD_PATH_LEN];
    int n = l->nheld + l->more;

    if (b->locks_errno) {
        say(t, ", its locks unknown (/proc/locks: %s)",
            apr_strerror(b->locks_errno, err, sizeof(err)));
    }
    else if (b->watched >= 0) {
        apr_cpystrn(path, b->path, sizeof(path));
        say(t, ", holds watched lock %s (%s, %d waiting)",
            show_query ? path : guard_redact_session(path),
            guard_lock_class_name(l->held[b->watched].lock_class),
            l->waiters[b->watched]);
    }
    else if (!n) {
        say(t, ", holds no lock");
    }
    else if (b->list_errno) {
        say(t, ", holds %d lock%s (%s on inode %" APR_UINT64_T_FMT
            ", %d waiting), not known whether watched (%s: %s)", n,
            n > 1 ? "s" : "", guard_lock_class_name(l->held[0].lock_class),
            l->held[0].ino, l->waiters[0], b->list_dir,
            apr_strerror(b->list_errno, err, sizeof(err)));
    }
    else {
        say(t, ", holds %d lock%s, none on a GuardLockWatch file", n,
            n > 1 ? "s" : "");
    }
}

static void say_joined(text_t *t, const guard_behind_t *b, int show_query)
{
    say(t, ", FPM worker %d of ", (int)b->proc.pid);
    say_pool(t, b);
    say(t, " serves it (\"%s ", b->proc.method);
    say_uri(t, b->proc.uri, show_query);
    say(t, "\", running %.1f s)", (double)b->running / APR_USEC_PER_SEC);
    say_locks(t, b, show_query);
}

static void say_not_joined(text_t *t, const guard_behind_t *b)
{
    if (b->state == GUARD_BEHIND_AMBIGUOUS) {
        say(t, ", FPM worker ambiguous (");
        if (b->others && b->candidates <= 1) {
            say(t, "%d other httpd worker%s wait%s on ", b->others,
                b->others > 1 ? "s" : "", b->others > 1 ? "" : "s");
            say_pool(t, b);
            say(t, " for the same request)");
        }
        else {
            say(t, "more than one running worker of ");
            say_pool(t, b);
            say(t, " fits the request)");
        }
        return;
    }
    say(t, ", FPM worker unknown (");
    if (b->state == GUARD_BEHIND_UNREAD) {
        say(t, "the status of ");
        say_pool(t, b);
        say(t, " was not read yet");
    }
    else {
        say(t, "no running worker of ");
        say_pool(t, b);
        say(t, " fits the request");
    }
    say(t, b->error[0] ? ": last read: %s)" : "%s)", b->error);
}

void guard_behind_text(const guard_behind_t *b, int show_query, char *buf,
                       apr_size_t len)
{
    text_t t = { buf, len, 0 };

    if (len) {
        buf[0] = '\0';
    }
    if (b->state == GUARD_BEHIND_JOINED) {
        say_joined(&t, b, show_query);
    }
    else if (b->state != GUARD_BEHIND_NONE) {
        say_not_joined(&t, b);
    }
}

void guard_cut_fpm_follow(guard_cut_fpm_t *x, const guard_behind_t *b,
                          apr_time_t now)
{
    int i, oldest = 0;

    if (b->state != GUARD_BEHIND_JOINED) {
        return;
    }
    for (i = 0; i < GUARD_CUT_FPM_AFTER; i++) {
        if (!x->after[i].pid) {
            oldest = i;
            break;
        }
        oldest = x->after[i].cut_at < x->after[oldest].cut_at ? i : oldest;
    }
    x->after[oldest].pool = b->pool;
    x->after[oldest].pid = b->proc.pid;
    x->after[oldest].fpm_start = b->fpm_start;
    x->after[oldest].cut_at = now;
    apr_cpystrn(x->after[oldest].method, b->proc.method,
                sizeof(x->after[oldest].method));
    apr_cpystrn(x->after[oldest].uri, b->proc.uri,
                sizeof(x->after[oldest].uri));
}

/* 1 when f is settled (said, or no longer worth following). */
static int settle(const guard_cut_fpm_t *x, const guard_cut_fpm_follow_t *f,
                  const guard_logger_t *log, apr_time_t now)
{
    const guard_fpm_pool_t *rec = x->scratch;
    apr_uint32_t i;

    if (rec->last_ok <= f->cut_at) {
        return now - f->cut_at > GUARD_CUT_FPM_FOLLOW;
    }
    for (i = 0; i < rec->counts.nprocs; i++) {
        const guard_fpm_proc_t *p = &rec->procs[i];
        apr_time_t start = rec->last_ok - p->duration_us;

        if (p->pid == f->pid && p->state == GUARD_FPM_RUNNING
            && start - f->fpm_start <= GUARD_CUT_FPM_SAME_START
            && f->fpm_start - start <= GUARD_CUT_FPM_SAME_START) {
            guard_log_say(log, GUARD_LOG_DEBUG, GRD_CUT_FPM_ON,
                "FPM worker %d of pool %s still serves \"%s %.*s\" "
                "%.1f s after its socket was cut (running %.1f s): the cut "
                "ended httpd's side only; GuardLockWatch ... end-holder or "
                "FPM's request_terminate_timeout end the worker",
                (int)f->pid, x->addrs[f->pool].address, f->method,
                (int)strcspn(f->uri, "?"), f->uri,
                (double)(rec->last_ok - f->cut_at) / APR_USEC_PER_SEC,
                (double)p->duration_us / APR_USEC_PER_SEC);
            return 1;
        }
    }
    return 1;
}

apr_time_t guard_cut_fpm_after(guard_cut_fpm_t *x, const guard_logger_t *log,
                               apr_time_t now, apr_interval_time_t interval)
{
    int i, left = 0;

    for (i = 0; x && x->scratch && i < GUARD_CUT_FPM_AFTER; i++) {
        guard_cut_fpm_follow_t *f = &x->after[i];

        if (!f->pid) {
            continue;
        }
        copy_pool(&x->pools[f->pool], x->scratch);
        if (settle(x, f, log, now)) {
            memset(f, 0, sizeof(*f));
        }
        else {
            left++;
        }
    }
    return left ? now + interval : 0;
}
