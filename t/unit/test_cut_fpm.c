/* SPDX-License-Identifier: Apache-2.0 */
/* What is behind a cut FPM socket: the join, the FPM worker's locks in a
 * made-up /proc/locks, the watched file found by its inode, the words of
 * GRD0300, and the debug line of a worker still running after its cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_cut_fpm.h"
#include "guard_log.h"

#define SEC(n) apr_time_from_sec(n)

static char logged[2048];
static int nlogged;

static void capture(void *baton, int lvl, const char *tag, const char *msg)
{
    nlogged++;
    apr_snprintf(logged, sizeof(logged), "%s: %s", tag, msg);
}

static guard_logger_t logger = { capture, NULL, 1 };

static void proc(guard_fpm_proc_t *w, int pid, const char *uri,
                 apr_int64_t dur)
{
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->state = GUARD_FPM_RUNNING;
    strcpy(w->method, "GET");
    strcpy(w->uri, uri);
    w->duration_us = dur;
}

/* A pool www read at 1000 s: 5674 on /hang.php for 3 s, two on /b.php. */
static void pool(guard_fpm_pool_t *p)
{
    memset(p, 0, sizeof(*p));
    p->status = GUARD_FPM_OK;
    p->last_ok = SEC(1000);
    strcpy(p->counts.name, "www");
    strcpy(p->counts.pm, "static");
    p->counts.nprocs = p->counts.procs_total = 4;
    proc(&p->procs[0], 5674, "/hang.php?sid=1", SEC(3));
    proc(&p->procs[1], 5675, "/b.php", SEC(2));
    proc(&p->procs[2], 5676, "/b.php", SEC(2));
    proc(&p->procs[3], 5677, "/", 0);
    p->procs[3].state = GUARD_FPM_IDLE;
}

static void slot(guard_slot_t *s, const char *uri, apr_time_t start)
{
    memset(s, 0, sizeof(*s));
    s->pid = 100;
    s->tid = 101;
    s->req_start = start;
    strcpy(s->req.method, "GET");
    strcpy(s->req.uri, uri);
}

START_TEST(join_states)
{
    static guard_fpm_pool_t p;
    guard_behind_t b;
    guard_slot_t s;

    pool(&p);
    slot(&s, "/hang.php?...", SEC(997));
    memset(&b, 0, sizeof(b));
    guard_behind_join(&p, &s, 0, &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_JOINED);
    ck_assert_int_eq(b.proc.pid, 5674);
    ck_assert(b.fpm_start == SEC(997));
    ck_assert_str_eq(b.pool_name, "www");
    /* Another httpd worker waits for the same request. */
    guard_behind_join(&p, &s, 1, &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_AMBIGUOUS);
    ck_assert_int_eq(b.candidates, 1);
    /* Two FPM workers fit: said so rather than the other waiter. */
    slot(&s, "/b.php", SEC(998));
    guard_behind_join(&p, &s, 1, &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_AMBIGUOUS);
    ck_assert_int_eq(b.candidates, 2);
    /* None does (in FPM's listen queue, or done). */
    slot(&s, "/c.php", SEC(998));
    guard_behind_join(&p, &s, 0, &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_UNKNOWN);
    p.last_ok = 0;
    guard_behind_join(&p, &s, 0, &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_UNREAD);
}
END_TEST

START_TEST(held_locks)
{
    guard_held_locks_t l;

    memset(&l, 0, sizeof(l));
    l.pid = 5674;
    guard_held_locks_feed(&l, "1: POSIX  ADVISORY  WRITE 999 fe:00:7 0 EOF");
    guard_held_locks_feed(&l, "2: FLOCK  ADVISORY  WRITE 5674 fe:00:10953007 0 EOF");
    guard_held_locks_feed(&l, "2: -> FLOCK  ADVISORY  WRITE 5675 fe:00:10953007 0 EOF");
    guard_held_locks_feed(&l, "2:  -> FLOCK  ADVISORY  WRITE 5676 fe:00:10953007 0 EOF");
    guard_held_locks_feed(&l, "1: -> POSIX  ADVISORY  WRITE 5674 fe:00:7 0 EOF");
    guard_held_locks_feed(&l, "garbage");
    ck_assert_int_eq(l.nheld, 1);
    ck_assert(l.held[0].ino == 10953007);
    ck_assert_int_eq(l.held[0].lock_class, GUARD_LOCK_FLOCK);
    ck_assert_int_eq(l.waiters[0], 2);
}
END_TEST

static void rules_for(guard_lock_rules_t *r, const char *pattern)
{
    memset(r, 0, sizeof(*r));
    r->n = 1;
    apr_cpystrn(r->rule[0].pattern, pattern, sizeof(r->rule[0].pattern));
    r->rule[0].threshold = SEC(1);
}

START_TEST(watched_by_inode)
{
    char dir[] = "/tmp/guard-cutfpm-XXXXXX", path[256], pat[256];
    guard_lock_rules_t r;
    guard_behind_t b;
    struct stat st;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    apr_snprintf(path, sizeof(path), "%s/other", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
    apr_snprintf(path, sizeof(path), "%s/sess_abc", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
    ck_assert_int_eq(stat(path, &st), 0);
    memset(&b, 0, sizeof(b));
    b.locks.nheld = 2;
    b.locks.held[0].ino = 1;
    b.locks.held[1].ino = (apr_uint64_t)st.st_ino;
    apr_snprintf(pat, sizeof(pat), "%s/sess_*", dir);
    rules_for(&r, pat);
    guard_held_locks_watched(&b, &r);
    ck_assert_int_eq(b.watched, 1);
    ck_assert_str_eq(b.path, path);
    /* A pattern that does not match the file: not watched. */
    apr_snprintf(pat, sizeof(pat), "%s/lock_*", dir);
    rules_for(&r, pat);
    guard_held_locks_watched(&b, &r);
    ck_assert_int_eq(b.watched, -1);
    ck_assert_int_eq(b.list_errno, 0);
    /* A directory that cannot be listed says so. */
    rules_for(&r, "/nonexistent-guard/sess_*");
    guard_held_locks_watched(&b, &r);
    ck_assert_int_eq(b.watched, -1);
    ck_assert_int_ne(b.list_errno, 0);
    ck_assert_str_eq(b.list_dir, "/nonexistent-guard");
    unlink(path);
    apr_snprintf(path, sizeof(path), "%s/other", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

static void joined(guard_behind_t *b)
{
    memset(b, 0, sizeof(*b));
    b->state = GUARD_BEHIND_JOINED;
    b->watched = -1;
    strcpy(b->pool_name, "www");
    proc(&b->proc, 5674, "/hang.php?sid=1", SEC(3));
    b->running = apr_time_from_msec(3200);
}

START_TEST(text_joined)
{
    guard_behind_t b;
    char buf[640];

    joined(&b);
    b.locks.nheld = 1;
    b.locks.held[0].lock_class = GUARD_LOCK_FLOCK;
    b.locks.waiters[0] = 3;
    b.watched = 0;
    strcpy(b.path, "/var/lib/php/sessions/sess_abcdef0123456789");
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_msg(!strncmp(buf, ", FPM worker 5674 of pool www serves it "
                  "(\"GET /hang.php?...\", running 3.2 s), holds watched "
                  "lock /var/lib/php/sessions/sess_#", 100), "%s", buf);
    ck_assert_msg(strstr(buf, " (flock, 3 waiting)") != NULL, "%s", buf);
    ck_assert(strstr(buf, "abcdef0123") == NULL);
    guard_behind_text(&b, 1, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "\"GET /hang.php?sid=1\"") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "sess_abcdef0123456789 (flock") != NULL, "%s", buf);
    b.locks.nheld = 0;
    b.watched = -1;
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker 5674 of pool www serves it "
                     "(\"GET /hang.php?...\", running 3.2 s), holds no lock");
    b.locks.nheld = 1;
    b.locks.held[0].ino = 77;
    b.list_errno = 13;
    strcpy(b.list_dir, "/var/lib/php/sessions");
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, ", holds 1 lock (flock on inode 77, 3 waiting),"
                  " not known whether watched (/var/lib/php/sessions: "
                  "Permission denied)") != NULL, "%s", buf);
    b.locks_errno = 2;
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, ", its locks unknown (/proc/locks: No such")
                  != NULL, "%s", buf);
}
END_TEST

START_TEST(text_not_joined)
{
    guard_behind_t b;
    char buf[640];

    memset(&b, 0, sizeof(b));
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    strcpy(b.pool_name, "www");
    b.state = GUARD_BEHIND_AMBIGUOUS;
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker ambiguous (more than one running "
                     "worker of pool www fits the request)");
    b.others = 2;
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker ambiguous (2 other httpd workers "
                     "wait on pool www for the same request)");
    b.state = GUARD_BEHIND_UNKNOWN;
    strcpy(b.error, "no answer in time");
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker unknown (no running worker of pool "
                     "www fits the request: last read: no answer in time)");
    b.state = GUARD_BEHIND_UNREAD;
    b.pool_name[0] = '\0';
    b.error[0] = '\0';
    strcpy(b.address, "unix:/run/php/x.sock");
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker unknown (the status of pool "
                     "unix:/run/php/x.sock was not read yet)");
    /* A small buffer is cut, terminated. */
    guard_behind_text(&b, 0, buf, 10);
    ck_assert_int_eq((int)strlen(buf), 9);
}
END_TEST

/* The whole path: pool found by the socket's peer, the join, the FPM
 * worker's locks from a made-up /proc/locks; then followed after the cut. */
START_TEST(behind_and_after)
{
    static guard_fpm_pool_t shared[1], scratch;
    char locks[] = "/tmp/guard-cutfpm-locks-XXXXXX";
    guard_fpm_addr_t addr;
    guard_cut_fpm_t x;
    guard_behind_t b;
    guard_slot_t s;
    char buf[640];
    FILE *f;
    int fd;

    ck_assert_ptr_null(guard_fpm_addr_parse("unix:/run/php/www.sock", NULL,
                                            &addr));
    pool(&shared[0]);
    ck_assert_int_ge(fd = mkstemp(locks), 0);
    ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
    fputs("2: FLOCK  ADVISORY  WRITE 5674 fe:00:123 0 EOF\n"
          "2: -> FLOCK  ADVISORY  WRITE 5675 fe:00:123 0 EOF\n", f);
    fclose(f);
    memset(&x, 0, sizeof(x));
    x.pools = shared;
    x.addrs = &addr;
    x.n = 1;
    x.scratch = &scratch;
    x.proc_locks = locks;
    slot(&s, "/hang.php?...", SEC(997));
    /* Another socket, another request: not FPM's, nothing said. */
    slot(&s, "/c.php", SEC(997));
    ck_assert_int_eq(guard_cut_fpm_pool(&x, "127.0.0.1:9000"), -1);
    guard_cut_fpm_behind(&x, NULL, &s, "127.0.0.1:9000", NULL, SEC(1001),
                         &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_NONE);
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    /* The pool's socket while its status is read through another
     * (pm.status_listen): found by the request. */
    slot(&s, "/hang.php?...", SEC(997));
    guard_cut_fpm_behind(&x, NULL, &s, "unix:/run/php/www-pool.sock", NULL,
                         SEC(1001), &b);
    ck_assert_int_eq(b.state, GUARD_BEHIND_JOINED);
    ck_assert(b.by_request);
    ck_assert_int_eq(b.proc.pid, 5674);
    guard_cut_fpm_behind(&x, NULL, &s, "unix:/run/php/www.sock", NULL,
                         SEC(1001), &b);
    unlink(locks);
    ck_assert_int_eq(b.state, GUARD_BEHIND_JOINED);
    ck_assert(!b.by_request);
    guard_behind_text(&b, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, ", FPM worker 5674 of pool www serves it "
                     "(\"GET /hang.php?...\", running 4.0 s), holds 1 lock, "
                     "none on a GuardLockWatch file");

    guard_cut_fpm_follow(&x, &b, SEC(1001));
    nlogged = 0;
    /* No read since the cut: followed on. */
    ck_assert(guard_cut_fpm_after(&x, &logger, SEC(1001), SEC(1)) != 0);
    ck_assert_int_eq(nlogged, 0);
    /* A read after the cut shows the same request: said once. */
    shared[0].last_ok = SEC(1002);
    shared[0].procs[0].duration_us = SEC(5);
    ck_assert(guard_cut_fpm_after(&x, &logger, SEC(1002), SEC(1)) == 0);
    ck_assert_int_eq(nlogged, 1);
    ck_assert_msg(!strncmp(logged, "GRD0303: FPM worker 5674 of pool "
                  "unix:/run/php/www.sock still serves \"GET /hang.php\" "
                  "1.0 s after its socket was cut", 100), "%s", logged);
    /* A worker on its next request is not said. */
    guard_cut_fpm_follow(&x, &b, SEC(1001));
    shared[0].procs[0].duration_us = SEC(1);
    ck_assert(guard_cut_fpm_after(&x, &logger, SEC(1002), SEC(1)) == 0);
    ck_assert_int_eq(nlogged, 1);
}
END_TEST

Suite *guard_cut_fpm_suite(void)
{
    Suite *s = suite_create("cut_fpm");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, join_states);
    tcase_add_test(tc, held_locks);
    tcase_add_test(tc, watched_by_inode);
    tcase_add_test(tc, text_joined);
    tcase_add_test(tc, text_not_joined);
    tcase_add_test(tc, behind_and_after);
    suite_add_tcase(s, tc);
    return s;
}
