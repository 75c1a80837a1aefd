/* SPDX-License-Identifier: Apache-2.0 */
/* GuardLockWatch: /proc/locks lines, globs, the chain table, log text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_unit.h"
#include "guard_lines.h"
#include "guard_lock_ofd.h"
#include "guard_lock_procfs.h"
#include "guard_lock_rule.h"
#include "guard_lock_table.h"
#include "guard_lock_watch.h"

START_TEST(parse_holder_line)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_locks_parse_line(
        "2: FLOCK  ADVISORY  WRITE 10378 fe:00:10953007 0 EOF", &l), 0);
    ck_assert_uint_eq(l.id, 2);
    ck_assert_int_eq(l.waiter, 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_FLOCK);
    ck_assert_int_eq(l.write, 1);
    ck_assert_int_eq(l.pid, 10378);
    ck_assert_uint_eq(l.dev, guard_dev_make(0xfe, 0));
    ck_assert_uint_eq(l.ino, 10953007);
}
END_TEST

START_TEST(parse_waiter_lines)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_locks_parse_line(
        "2: -> FLOCK  ADVISORY  WRITE 10376 fe:00:10953007 0 EOF", &l), 0);
    ck_assert_int_eq(l.waiter, 1);
    ck_assert_int_eq(l.pid, 10376);
    /* A waiter behind a waiter: deeper indentation, same id. */
    ck_assert_int_eq(guard_locks_parse_line(
        "2:  -> FLOCK  ADVISORY  READ 10379 fe:00:10953007 0 EOF", &l), 0);
    ck_assert_int_eq(l.waiter, 1);
    ck_assert_int_eq(l.write, 0);
    ck_assert_uint_eq(l.id, 2);
    ck_assert_int_eq(l.pid, 10379);
}
END_TEST

START_TEST(parse_posix_ofd_and_hex_devices)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_locks_parse_line(
        "1: POSIX  ADVISORY  WRITE 13840 fe:00:10953207 0 EOF", &l), 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_POSIX);
    ck_assert_int_eq(guard_locks_parse_line(
        "12345: OFDLCK ADVISORY  READ -1 00:2b:4242 100 199", &l), 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_OFD);
    ck_assert_int_eq(l.pid, -1);
    ck_assert_uint_eq(l.id, 12345);
    ck_assert_uint_eq(l.dev, guard_dev_make(0, 0x2b));
    ck_assert_uint_eq(l.ino, 4242);
    /* Minors above 255 print with more than two hex digits. */
    ck_assert_int_eq(guard_locks_parse_line(
        "7: FLOCK  ADVISORY  WRITE 99 103:1a2:18446744073709551615 0 EOF",
        &l), 0);
    ck_assert_uint_eq(l.dev, guard_dev_make(0x103, 0x1a2));
    ck_assert_uint_eq(l.ino, 18446744073709551615ULL);
    ck_assert_int_eq(guard_locks_parse_line(
        "3: LEASE  ACTIVE    READ 2001 08:01:77 0 EOF", &l), 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_OTHER);
}
END_TEST

START_TEST(parse_rejects_malformed)
{
    guard_lock_line_t l;
    static const char *bad[] = {
        "", "garbage", "x: FLOCK ADVISORY WRITE 1 fe:00:1 0 EOF",
        "2 FLOCK ADVISORY WRITE 1 fe:00:1 0 EOF",
        "2: FLOCK ADVISORY WRITE abc fe:00:1 0 EOF",
        "2: FLOCK ADVISORY WRITE 1 fe00:1 0 EOF",
        "2: FLOCK ADVISORY WRITE 1 fe:00:x 0 EOF",
        "2: FLOCK ADVISORY WRITE 1 <none>:0 0 EOF",
        "2: FLOCK ADVISORY WRITE -2 fe:00:1 0 EOF",
        "2: FLOCK ADVISORY WRITE",
    };
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(guard_locks_parse_line(bad[i], &l) != 0, "%s", bad[i]);
    }
}
END_TEST

static void feed(guard_lock_target_t *t, const char *line)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_locks_parse_line(line, &l), 0);
    guard_locks_match(t, 1, &l);
}

static guard_lock_target_t target(apr_uint64_t dev, apr_uint64_t ino)
{
    guard_lock_target_t t;

    memset(&t, 0, sizeof(t));
    t.dev = dev;
    t.ino = ino;
    return t;
}

START_TEST(holder_by_waiter_id)
{
    guard_lock_target_t t = target(guard_dev_make(0xfe, 0), 10953007);
    const guard_lock_line_t *h;

    t.waiter_pids[t.nwaiter_pids++] = 10379;
    /* A shared holder of the same file under another id comes first. */
    feed(&t, "1: FLOCK  ADVISORY  READ 500 fe:00:10953007 0 EOF");
    feed(&t, "2: POSIX  ADVISORY  WRITE 600 fe:00:999 0 EOF");
    feed(&t, "3: FLOCK  ADVISORY  WRITE 10378 fe:00:10953007 0 EOF");
    feed(&t, "3: -> FLOCK  ADVISORY  WRITE 10376 fe:00:10953007 0 EOF");
    feed(&t, "3:  -> FLOCK  ADVISORY  WRITE 10379 fe:00:10953007 0 EOF");
    h = guard_locks_holder(&t);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(h->pid, 10378);
    ck_assert_uint_eq(h->id, 3);
}
END_TEST

START_TEST(holder_without_waiter_line)
{
    guard_lock_target_t t = target(guard_dev_make(0xfe, 0), 42);
    const guard_lock_line_t *h;

    t.waiter_pids[t.nwaiter_pids++] = 77;
    feed(&t, "5: OFDLCK ADVISORY  WRITE -1 fe:00:42 0 EOF");
    feed(&t, "5: -> OFDLCK ADVISORY  WRITE -1 fe:00:42 0 EOF");
    h = guard_locks_holder(&t);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(h->pid, -1);
    ck_assert_int_eq(h->lock_class, GUARD_LOCK_OFD);
}
END_TEST

START_TEST(holder_other_device_needs_waiter_pid)
{
    guard_lock_target_t t = target(guard_dev_make(0, 0x30), 42);

    /* Same inode on another device, no waiter of ours: not the holder. */
    feed(&t, "5: FLOCK  ADVISORY  WRITE 12 08:01:42 0 EOF");
    ck_assert_ptr_null(guard_locks_holder(&t));
    /* With one of our waiters behind it (btrfs subvolume devices differ
     * between stat() and /proc/locks): it is. */
    t = target(guard_dev_make(0, 0x30), 42);
    t.waiter_pids[t.nwaiter_pids++] = 13;
    feed(&t, "5: FLOCK  ADVISORY  WRITE 12 00:2f:42 0 EOF");
    feed(&t, "5: -> FLOCK  ADVISORY  WRITE 13 00:2f:42 0 EOF");
    ck_assert_ptr_nonnull(guard_locks_holder(&t));
    ck_assert_int_eq(guard_locks_holder(&t)->pid, 12);
}
END_TEST

typedef struct {
    int lines;
    int matched;
    guard_lock_target_t t;
} count_t;

static void count_line(void *baton, const char *line)
{
    count_t *c = baton;
    guard_lock_line_t l;

    c->lines++;
    if (guard_locks_parse_line(line, &l) == 0) {
        c->matched++;
        guard_locks_match(&c->t, 1, &l);
    }
}

/* A /proc/locks of 20000 lines, through a pipe in odd-sized writes: the
 * holder is near the end, past many buffer refills. */
START_TEST(read_long_file_in_pieces)
{
    int fds[2], i;
    count_t c;
    pid_t pid;

    memset(&c, 0, sizeof(c));
    c.t = target(guard_dev_make(0xfe, 1), 5555);
    c.t.waiter_pids[c.t.nwaiter_pids++] = 4321;
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
        FILE *f = fdopen(fds[1], "w");

        close(fds[0]);
        setvbuf(f, NULL, _IOFBF, 777);
        for (i = 1; i <= 20000; i++) {
            fprintf(f, "%d: POSIX  ADVISORY  WRITE %d fe:01:%d 0 EOF\n",
                    i, 1000 + i, 100000 + i);
        }
        fprintf(f, "20001: FLOCK  ADVISORY  WRITE 1234 fe:01:5555 0 EOF\n");
        fprintf(f, "20001: -> FLOCK  ADVISORY  WRITE 4321 fe:01:5555 0 EOF");
        fclose(f);
        _exit(0);
    }
    close(fds[1]);
    ck_assert_int_eq(guard_read_lines(fds[0], count_line, &c), 0);
    close(fds[0]);
    ck_assert_int_eq(c.lines, 20002);
    ck_assert_int_eq(c.matched, 20002);
    ck_assert_ptr_nonnull(guard_locks_holder(&c.t));
    ck_assert_int_eq(guard_locks_holder(&c.t)->pid, 1234);
}
END_TEST

START_TEST(overlong_line_is_skipped)
{
    int fds[2];
    count_t c;
    char big[9000];

    memset(&c, 0, sizeof(c));
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "1: FLOCK ADVISORY WRITE 1 fe:00:1 0 EOF\n",
                           40), 40);
    ck_assert_int_eq(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
    ck_assert_int_eq(write(fds[1], "\n2: FLOCK ADVISORY WRITE 2 fe:00:2 0 "
                           "EOF\n", 41), 41);
    close(fds[1]);
    ck_assert_int_eq(guard_read_lines(fds[0], count_line, &c), 0);
    close(fds[0]);
    ck_assert_int_eq(c.matched, 2);
    ck_assert_int_eq(c.lines, 2);
}
END_TEST

START_TEST(glob_matches)
{
    ck_assert(guard_glob_match("/var/lib/php/sessions/sess_*",
                               "/var/lib/php/sessions/sess_abc123"));
    ck_assert(guard_glob_match("/var/lib/php/sessions/sess_*",
                               "/var/lib/php/sessions/sess_"));
    ck_assert(!guard_glob_match("/var/lib/php/sessions/sess_*",
                                "/var/lib/php/sessions/other"));
    ck_assert(!guard_glob_match("/var/lock/*", "/var/lock/a/b"));
    ck_assert(guard_glob_match("/var/lock/*/b", "/var/lock/a/b"));
    ck_assert(guard_glob_match("/var/lock/*.lck", "/var/lock/x.y.lck"));
    ck_assert(!guard_glob_match("/var/lock/*.lck", "/var/lock/x.lck.old"));
    ck_assert(guard_glob_match("/tmp/a?c", "/tmp/abc"));
    ck_assert(!guard_glob_match("/tmp/a?c", "/tmp/a/c"));
    ck_assert(guard_glob_match("/tmp/[a-c]x", "/tmp/bx"));
    ck_assert(!guard_glob_match("/tmp/[!a-c]x", "/tmp/bx"));
    ck_assert(guard_glob_match("/tmp/[!a-c]x", "/tmp/dx"));
    ck_assert(guard_glob_match("/tmp/\\*", "/tmp/*"));
    ck_assert(!guard_glob_match("/tmp/\\*", "/tmp/x"));
    ck_assert(guard_glob_match("/exact/path", "/exact/path"));
    ck_assert(!guard_glob_match("/exact/path", "/exact/path2"));
    ck_assert(!guard_glob_match("/exact/path", "/exact/pat"));
    ck_assert(guard_glob_match("/a/**", "/a/bc"));
    ck_assert(guard_glob_match("/*/*/x*y", "/p/q/xaaay"));
    ck_assert(!guard_glob_match("/tmp/[ab", "/tmp/a"));
}
END_TEST

START_TEST(glob_check_and_rules)
{
    guard_lock_rules_t r;

    ck_assert_int_eq(guard_glob_check("/a/[bc]*"), 0);
    ck_assert_int_ne(guard_glob_check("/a/[bc"), 0);
    ck_assert_int_ne(guard_glob_check("/a/b\\"), 0);
    memset(&r, 0, sizeof(r));
    ck_assert_ptr_null(guard_lock_rule_find(&r, "/x"));
    ck_assert_int_eq(guard_lock_rules_min(&r), 0);
    strcpy(r.rule[0].pattern, "/s/sess_*");
    r.rule[0].threshold = apr_time_from_sec(2);
    strcpy(r.rule[1].pattern, "/s/*");
    r.rule[1].threshold = apr_time_from_msec(500);
    r.rule[1].cut_holder = 1;
    r.n = 2;
    ck_assert_ptr_eq(guard_lock_rule_find(&r, "/s/sess_1"), &r.rule[0]);
    ck_assert_ptr_eq(guard_lock_rule_find(&r, "/s/other"), &r.rule[1]);
    ck_assert_ptr_null(guard_lock_rule_find(&r, "/t/sess_1"));
    ck_assert_int_eq(guard_lock_rules_min(&r), apr_time_from_msec(500));
}
END_TEST

START_TEST(mark_sets_threshold)
{
    guard_lock_rules_t r;
    guard_wait_t w;

    memset(&r, 0, sizeof(r));
    strcpy(r.rule[0].pattern, "/s/*");
    r.rule[0].threshold = apr_time_from_msec(700);
    r.rule[0].cut_holder = 1;
    r.n = 1;
    memset(&w, 0, sizeof(w));
    w.kind = GUARD_WAIT_LOCK;
    strcpy(w.path, "/s/sess_x");
    guard_lockwatch_mark(&r, &w);
    ck_assert(w.flags & GUARD_WAITF_LOCKWATCH);
    ck_assert(w.flags & GUARD_WAITF_CUT_HOLDER);
    ck_assert_uint_eq(w.lock_threshold_ms, 700);
    /* Not a lock wait, or another file: untouched. */
    w.flags = 0;
    w.kind = GUARD_WAIT_FILE;
    guard_lockwatch_mark(&r, &w);
    ck_assert_uint_eq(w.flags, 0);
    w.kind = GUARD_WAIT_LOCK;
    strcpy(w.path, "/t/sess_x");
    guard_lockwatch_mark(&r, &w);
    ck_assert_uint_eq(w.flags, 0);
}
END_TEST

static guard_shm_t *make_shm(void)
{
    static char base[1 << 20] __attribute__((aligned(64)));
    static guard_shm_t shm;

    ck_assert_uint_le(guard_shm_size(4, 1), sizeof(base));
    guard_shm_init(base, 4, 1, 1);
    guard_shm_attach(&shm, base, 4, 1);
    return &shm;
}

START_TEST(chain_claim_find_take)
{
    guard_shm_t *shm = make_shm();
    apr_time_t now = apr_time_from_sec(100);
    guard_chain_t *a, *b, *c;
    int claimed;

    ck_assert_ptr_null(guard_chain_find(shm, 1, 10));
    a = guard_chain_claim(shm, 1, 10, 1, now, &claimed);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(claimed, 1);
    ck_assert_uint_eq(a->owner, 1);
    /* A second child claiming the same lock gets the same entry. */
    b = guard_chain_claim(shm, 1, 10, 2, now, &claimed);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(claimed, 0);
    ck_assert_ptr_eq(guard_chain_find(shm, 1, 10), a);
    /* Another device, same inode: another chain. */
    c = guard_chain_claim(shm, 2, 10, 2, now, &claimed);
    ck_assert_ptr_ne(c, a);
    /* Owned and fresh: not taken; released: taken at once. */
    ck_assert_int_eq(guard_chain_take(a, 2, now, 0, apr_time_from_sec(1)), 0);
    guard_chain_release(a, 1);
    ck_assert_int_eq(guard_chain_take(a, 2, now, 0, apr_time_from_sec(1)), 1);
    ck_assert_uint_eq(a->owner, 2);
    /* An owner that stopped updating: taken after 'stale'. */
    ck_assert_int_eq(guard_chain_take(c, 3, now + apr_time_from_msec(500), 0,
                                      apr_time_from_sec(1)), 0);
    ck_assert_int_eq(guard_chain_take(c, 3, now + apr_time_from_sec(2), 0,
                                      apr_time_from_sec(1)), 1);
    /* Without owner: taken only once orphaned for long enough (counted
     * from the last take or update). */
    guard_chain_release(c, 3);
    ck_assert_int_eq(guard_chain_take(c, 4, now + apr_time_from_sec(4),
                                      apr_time_from_sec(3),
                                      apr_time_from_sec(1)), 0);
    ck_assert_int_eq(guard_chain_take(c, 4, now + apr_time_from_sec(5),
                                      apr_time_from_sec(3),
                                      apr_time_from_sec(1)), 1);
    guard_chain_free(a);
    ck_assert_ptr_null(guard_chain_find(shm, 1, 10));
    ck_assert_ptr_eq(guard_chain_find(shm, 2, 10), c);
}
END_TEST

/* The soak's bug: an owner whose child stopped sampling leaves its entry
 * stale; every watchdog passing by within the same moment took it over
 * in turn (each seeing it stale), and each logged the chain cleared. */
START_TEST(chain_stale_taken_once)
{
    guard_shm_t *shm = make_shm();
    apr_time_t now = apr_time_from_sec(100), later;
    apr_interval_time_t orphan = apr_time_from_msec(200);
    apr_interval_time_t stale = apr_time_from_sec(1);
    guard_chain_t *a;
    int claimed, w, took = 0;

    a = guard_chain_claim(shm, 1, 10, 1, now, &claimed);
    ck_assert_ptr_nonnull(a);
    later = now + apr_time_from_sec(3);
    for (w = 2; w <= 9; w++) {
        took += guard_chain_take(a, (apr_uint32_t)w, later, orphan, stale);
    }
    ck_assert_int_eq(took, 1);
    ck_assert_uint_eq(a->owner, 2);
    /* Freed by its keeper: the others do not take it as an orphan. */
    guard_chain_free(a);
    for (w = 3; w <= 9; w++) {
        ck_assert_int_eq(guard_chain_take(a, (apr_uint32_t)w,
                                          later + apr_time_from_msec(1),
                                          orphan, stale), 0);
    }
}
END_TEST

START_TEST(chain_claim_race_gives_back)
{
    guard_shm_t *shm = make_shm();
    apr_uint64_t key = guard_chain_key(1, 10);
    int claimed;

    /* Another child's claim of the same lock, key published, contents
     * not yet written: this claim must not make a second chain. */
    shm->chains[5].key = key;
    ck_assert_ptr_null(guard_chain_claim(shm, 1, 10, 2, 1, &claimed));
    ck_assert_int_eq(claimed, -1);
    ck_assert_uint_eq(shm->chains[0].key, 0);
    /* Once the other one is complete, it is found. */
    shm->chains[5].dev = 1;
    shm->chains[5].ino = 10;
    ck_assert_ptr_eq(guard_chain_claim(shm, 1, 10, 2, 1, &claimed),
                     &shm->chains[5]);
    ck_assert_int_eq(claimed, 0);
}
END_TEST

START_TEST(chain_table_full)
{
    guard_shm_t *shm = make_shm();
    int i, claimed;

    for (i = 0; i < GUARD_CHAINS; i++) {
        ck_assert_ptr_nonnull(guard_chain_claim(shm, 1, (apr_uint64_t)i + 1,
                                                1, 1, &claimed));
    }
    ck_assert_ptr_null(guard_chain_claim(shm, 1, 9999, 1, 1, &claimed));
    /* An existing one is still found. */
    ck_assert_ptr_nonnull(guard_chain_claim(shm, 1, 5, 2, 1, &claimed));
}
END_TEST

static guard_chain_t sample_chain(apr_time_t now)
{
    guard_chain_t c;

    memset(&c, 0, sizeof(c));
    strcpy(c.path, "/var/lib/php/sessions/sess_#1a2b3c4d");
    c.nwaiters = 3;
    c.max_waiters = 3;
    c.waiters[0].pid = 101;
    c.waiters[1].pid = 102;
    c.waiters[2].pid = 103;
    c.lock_class = GUARD_LOCK_FLOCK;
    c.appeared = now - apr_time_from_msec(41000);
    c.holder_pid = 100;
    c.holder_tid = 100;
    c.holder_child = 0;
    c.holder_thread = 0;
    c.holder_req_start = now - apr_time_from_sec(42);
    return c;
}

START_TEST(chain_line_names_holder_and_backend)
{
    apr_time_t now = apr_time_from_sec(1000);
    guard_chain_t c = sample_chain(now);
    guard_slot_t h;
    char buf[1024];

    memset(&h, 0, sizeof(h));
    h.pid = h.tid = 100;
    h.req_start = h.wait_req_start = c.holder_req_start;
    strcpy(h.req.method, "GET");
    strcpy(h.req.uri, "/cart.php");
    strcpy(h.req.protocol, "HTTP/1.1");
    h.wait.kind = GUARD_WAIT_BACKEND;
    strcpy(h.wait.sysname, "poll");
    strcpy(h.wait.peer, "10.0.0.5:11211");
    h.wait.idle_ms = 41000;
    guard_chain_format(&c, &h, now, buf, sizeof(buf));
    ck_assert_str_eq(buf, "lock wait: 3 workers (pids 101,102,103) wait on "
                     "/var/lib/php/sessions/sess_#1a2b3c4d (flock lock, "
                     "waiting 41.0 s) held by pid 100 tid 100 (GET /cart.php "
                     "HTTP/1.1, 42.0 s, poll on socket 10.0.0.5:11211 "
                     "(idle 41.0 s))");
    guard_chain_format_cleared(&c, now + apr_time_from_sec(1), buf,
                               sizeof(buf));
    ck_assert_str_eq(buf, "lock wait cleared: /var/lib/php/sessions/"
                     "sess_#1a2b3c4d after 42.0 s (at most 3 workers waited; "
                     "held by pid 100 tid 100)");
}
END_TEST

START_TEST(chain_line_outside_httpd_and_ofd)
{
    apr_time_t now = apr_time_from_sec(1000);
    guard_chain_t c = sample_chain(now);
    char buf[1024];

    c.nwaiters = 1;
    c.holder_child = -1;
    c.holder_tid = 0;
    c.holder_pid = 4242;
    strcpy(c.holder_comm, "python3");
    guard_chain_format(&c, NULL, now, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "lock wait: 1 worker (pid 101) waits on ")
                  == buf, "%s", buf);
    ck_assert_msg(strstr(buf, "held by pid 4242 (python3), not an httpd "
                         "worker") != NULL, "%s", buf);
    c.holder_pid = -1;
    c.lock_class = GUARD_LOCK_OFD;
    guard_chain_format(&c, NULL, now, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "(ofd lock, waiting 41.0 s) held by an OFD "
                         "lock outside httpd's workers (no pid)") != NULL,
                  "%s", buf);
    /* More waiters than listed: the count is exact, the list ends in ... */
    c.nwaiters = GUARD_CHAIN_WAITERS + 4;
    guard_chain_format(&c, NULL, now, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "lock wait: 20 workers (pids 101,102,103,0,")
                  == buf, "%s", buf);
    ck_assert_msg(strstr(buf, ",...) wait on") != NULL, "%s", buf);
}
END_TEST

START_TEST(waiter_needs_its_threshold)
{
    apr_time_t now = apr_time_from_sec(1000);
    guard_slot_t s;

    memset(&s, 0, sizeof(s));
    s.state = GUARD_WS_BUSY;
    s.req_start = s.wait_req_start = now - apr_time_from_sec(3);
    s.wait.kind = GUARD_WAIT_LOCK;
    s.wait.flags = GUARD_WAITF_LOCKWATCH;
    s.wait.lock_threshold_ms = 1000;
    s.wait.since = now - apr_time_from_msec(999);
    ck_assert_int_eq(guard_lockwatch_is_waiter(&s, now), 0);
    s.wait.since = now - apr_time_from_msec(1000);
    ck_assert_int_eq(guard_lockwatch_is_waiter(&s, now), 1);
    s.wait_req_start = 0;         /* a wait of an earlier request */
    ck_assert_int_eq(guard_lockwatch_is_waiter(&s, now), 0);
    s.wait_req_start = s.req_start;
    s.wait.flags = 0;             /* a file no rule watches */
    ck_assert_int_eq(guard_lockwatch_is_waiter(&s, now), 0);
}
END_TEST

START_TEST(parse_fdinfo_lock_lines)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_lockofd_parse_fdinfo(
        "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:10953499 0 EOF", &l), 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_OFD);
    ck_assert_int_eq(l.pid, -1);
    ck_assert_int_eq(l.write, 1);
    ck_assert_uint_eq(l.ino, 10953499);
    ck_assert_int_eq(guard_lockofd_parse_fdinfo(
        "lock:\t2: FLOCK  ADVISORY  READ 77 00:1b:12 0 EOF", &l), 0);
    ck_assert_int_eq(l.lock_class, GUARD_LOCK_FLOCK);
    ck_assert_int_eq(l.pid, 77);
    ck_assert_int_eq(guard_lockofd_parse_fdinfo("ino:\t10953499", &l), -1);
    ck_assert_int_eq(guard_lockofd_parse_fdinfo("pos:\t0", &l), -1);
    ck_assert_int_eq(guard_lockofd_parse_fdinfo("lock:", &l), -1);
    ck_assert_int_eq(guard_lockofd_parse_fdinfo("lock:\tgarbage", &l), -1);
}
END_TEST

static int ofd_lock(int fd, short type)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_OFD_SETLK, &fl);
}

static int temp_file(char *path, apr_uint64_t *dev, apr_uint64_t *ino)
{
    struct stat st;
    int fd;

    strcpy(path, "/tmp/guard-ofd-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    *dev = guard_dev_make(major(st.st_dev), minor(st.st_dev));
    *ino = (apr_uint64_t)st.st_ino;
    return fd;
}

/* For real: this process's own open files, locked or not. */
START_TEST(ofd_held_through_own_file)
{
    char path[32], path2[32];
    apr_uint64_t dev, ino, dev2, ino2;
    int fd = temp_file(path, &dev, &ino), fd2, other;

    other = temp_file(path2, &dev2, &ino2);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 0);
    ck_assert_int_eq(ofd_lock(fd, F_WRLCK), 0);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 1);
    ck_assert_int_eq(guard_lockofd_held(dev, ino2), 0);
    ck_assert_int_eq(guard_lockofd_held(dev + 1, ino), 0);
    /* Another open file of the same inode holds nothing itself. */
    fd2 = open(path, O_RDWR);
    ck_assert_int_ge(fd2, 0);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 1);
    ck_assert_int_eq(ofd_lock(fd, F_UNLCK), 0);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 0);
    /* flock() and POSIX locks are not OFD locks. */
    ck_assert_int_eq(flock(fd2, LOCK_EX), 0);
    ck_assert_int_eq(lockf(other, F_LOCK, 0), 0);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 0);
    ck_assert_int_eq(guard_lockofd_held(dev2, ino2), 0);
    close(fd2);
    close(other);
    close(fd);
    unlink(path);
    unlink(path2);
}
END_TEST

/* A lock another process holds on a file this one has open too. */
START_TEST(ofd_held_by_another_process)
{
    char path[32], c = 0;
    apr_uint64_t dev, ino;
    int fd = temp_file(path, &dev, &ino), go[2], done[2], status;
    pid_t pid;

    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(done), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int mine = open(path, O_RDWR);

        _exit(mine < 0 || ofd_lock(mine, F_WRLCK) != 0
              || write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1);
    }
    ck_assert_int_eq(read(go[0], &c, 1), 1);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 0);
    ck_assert_int_eq(ofd_lock(fd, F_WRLCK), -1);   /* it is held */
    ck_assert_int_eq(write(done[1], "x", 1), 1);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(ofd_lock(fd, F_WRLCK), 0);
    ck_assert_int_eq(guard_lockofd_held(dev, ino), 1);
    close(fd);
    unlink(path);
}
END_TEST

Suite *guard_locks_suite(void)
{
    Suite *s = suite_create("locks");
    TCase *tc = tcase_create("locks");

    tcase_add_test(tc, parse_holder_line);
    tcase_add_test(tc, parse_waiter_lines);
    tcase_add_test(tc, parse_posix_ofd_and_hex_devices);
    tcase_add_test(tc, parse_rejects_malformed);
    tcase_add_test(tc, holder_by_waiter_id);
    tcase_add_test(tc, holder_without_waiter_line);
    tcase_add_test(tc, holder_other_device_needs_waiter_pid);
    tcase_add_test(tc, read_long_file_in_pieces);
    tcase_add_test(tc, overlong_line_is_skipped);
    tcase_add_test(tc, glob_matches);
    tcase_add_test(tc, glob_check_and_rules);
    tcase_add_test(tc, mark_sets_threshold);
    tcase_add_test(tc, chain_claim_find_take);
    tcase_add_test(tc, chain_stale_taken_once);
    tcase_add_test(tc, chain_claim_race_gives_back);
    tcase_add_test(tc, chain_table_full);
    tcase_add_test(tc, chain_line_names_holder_and_backend);
    tcase_add_test(tc, chain_line_outside_httpd_and_ofd);
    tcase_add_test(tc, waiter_needs_its_threshold);
    tcase_add_test(tc, parse_fdinfo_lock_lines);
    tcase_add_test(tc, ofd_held_through_own_file);
    tcase_add_test(tc, ofd_held_by_another_process);
    suite_add_tcase(s, tc);
    return s;
}
