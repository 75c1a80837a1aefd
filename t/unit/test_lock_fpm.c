/* SPDX-License-Identifier: Apache-2.0 */
/* Lock chains across the FPM boundary: FPM workers from a pool's record,
 * their "->" lines of /proc/locks, the file of a lock in the rules'
 * directories, /proc/<pid>/status, the end-holder decision and the chain
 * line of an FPM holder. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "guard_unit.h"
#include "guard_lock_end.h"
#include "guard_lock_fpm.h"
#include "guard_lock_sess.h"
#include "guard_reqcopy.h"
#include "guard_lock_table.h"

static guard_fpm_pool_t pools[2];
static guard_lockfpm_t f;
static const apr_time_t read_at = 1700000000000000;

static void add_proc(int pool, apr_int32_t pid, apr_uint32_t state,
                     apr_int64_t duration_us, const char *uri)
{
    guard_fpm_pool_t *p = &pools[pool];
    guard_fpm_proc_t *w = &p->procs[p->counts.nprocs++];

    w->pid = pid;
    w->state = state;
    w->duration_us = duration_us;
    strcpy(w->method, "GET");
    strcpy(w->uri, uri);
    p->last_ok = read_at;
}

static void setup(void)
{
    memset(pools, 0, sizeof(pools));
    memset(&f, 0, sizeof(f));
    add_proc(0, 301, GUARD_FPM_RUNNING, 5000000, "/hang.php?sid=a");
    add_proc(0, 302, GUARD_FPM_RUNNING, 2000000, "/wait.php?n=1");
    add_proc(0, 303, GUARD_FPM_IDLE, 400, "/status");
    add_proc(1, 401, GUARD_FPM_RUNNING, 1500000, "/wait.php?n=2");
}

static void feed(const char *line)
{
    guard_lock_line_t l;

    ck_assert_int_eq(guard_locks_parse_line(line, &l), 0);
    guard_lockfpm_feed(&f, &l);
}

START_TEST(workers_from_pools)
{
    const guard_lockfpm_worker_t *w;

    guard_lockfpm_take(pools, 2, &f);
    ck_assert_int_eq(f.nworkers, 4);
    ck_assert(f.oldest == read_at - 5000000);
    w = guard_lockfpm_find(&f, 401);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->pool, 1);
    ck_assert(w->start == read_at - 1500000);
    ck_assert(guard_lockfpm_find(&f, 303)->start == 0);
    ck_assert_ptr_null(guard_lockfpm_find(&f, 999));
    ck_assert_ptr_null(guard_lockfpm_find(&f, 0));
    /* A pool being written is not read. */
    pools[1].seq = 1;
    guard_lockfpm_take(pools, 2, &f);
    ck_assert_int_eq(f.nworkers, 3);
}
END_TEST

/* Only "->" lines of FPM workers (idle ones too: the status may be older
 * than the wait); one lock for them. */
START_TEST(waits_from_proc_locks)
{
    guard_lockfpm_take(pools, 2, &f);
    feed("2: FLOCK  ADVISORY  WRITE 301 fe:01:4242 0 EOF");
    feed("2: -> FLOCK  ADVISORY  WRITE 302 fe:01:4242 0 EOF");
    feed("2: -> FLOCK  ADVISORY  WRITE 401 fe:01:4242 0 EOF");
    feed("2: -> FLOCK  ADVISORY  WRITE 303 fe:01:4242 0 EOF");
    feed("3: -> FLOCK  ADVISORY  WRITE 777 fe:01:4243 0 EOF");
    ck_assert_int_eq(f.nwaits, 3);
    ck_assert_int_eq(f.nlocks, 1);
    ck_assert_int_eq(f.waits[0].pid, 302);
    ck_assert_int_eq(f.waits[1].pool, 1);
    ck_assert(f.locks[0].ino == 4242);
    ck_assert_int_eq(f.locks[0].rule, -1);
}
END_TEST

/* From the request's start when a read since the wait says so; else from
 * the first pass that saw the wait. */
START_TEST(waits_dated)
{
    guard_lockfpm_seen_t seen;
    guard_lock_rules_t none;
    apr_time_t first = read_at - apr_time_from_msec(2500);

    memset(&seen, 0, sizeof(seen));
    guard_lockfpm_take(pools, 2, &f);
    feed("2: -> FLOCK  ADVISORY  WRITE 302 fe:01:4242 0 EOF");
    feed("2: -> FLOCK  ADVISORY  WRITE 303 fe:01:4242 0 EOF");
    guard_lockfpm_date(&f, &seen, first);
    /* 302's read (at read_at) is later than the pass: its start holds. */
    ck_assert(f.waits[0].since == read_at - 2000000);
    /* 303 is idle in the read: seen now. */
    ck_assert(f.waits[1].since == first);
    ck_assert(f.locks[0].since == first);
    ck_assert_int_eq(seen.n, 2);
    /* A later pass keeps the first sighting; a wait gone is forgotten. */
    f.nwaits = 0;
    f.nlocks = 0;
    feed("2: -> FLOCK  ADVISORY  WRITE 303 fe:01:4242 0 EOF");
    guard_lockfpm_date(&f, &seen, read_at + apr_time_from_sec(1));
    ck_assert(f.waits[0].since == first);
    ck_assert_int_eq(seen.n, 1);
    /* What was found of its file is recalled, not looked for again. */
    seen.e[0].looked = 1;
    seen.e[0].rule = 3;
    strcpy(seen.e[0].path, "/x/sess_1");
    guard_lockfpm_paths(&f, NULL, read_at + apr_time_from_sec(1), &seen);
    ck_assert_int_eq(f.locks[0].rule, -1);
    memset(&none, 0, sizeof(none));
    guard_lockfpm_paths(&f, &none, read_at + apr_time_from_sec(1), &seen);
    ck_assert_int_eq(f.locks[0].looked, 1);
    ck_assert_int_eq(f.locks[0].rule, 3);
    ck_assert_str_eq(f.locks[0].path, "/x/sess_1");
}
END_TEST

START_TEST(file_of_a_lock)
{
    char dir[] = "/tmp/guardunit-lockfpm-XXXXXX", path[256];
    guard_lock_rules_t rules;
    struct stat st;
    int fd;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sess_abc", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(stat(path, &st), 0);
    memset(&rules, 0, sizeof(rules));
    rules.n = 2;
    snprintf(rules.rule[0].pattern, sizeof(rules.rule[0].pattern),
             "/nonexistent/sess_*");
    snprintf(rules.rule[1].pattern, sizeof(rules.rule[1].pattern),
             "%s/sess_*", dir);
    f.nlocks = 2;
    f.locks[0].dev = guard_dev_make(major(st.st_dev), minor(st.st_dev));
    f.locks[0].ino = st.st_ino;
    f.locks[0].rule = -1;
    f.locks[0].since = read_at - apr_time_from_sec(2);
    f.locks[1] = f.locks[0];
    f.locks[1].ino = st.st_ino + 1000000;
    /* Not looked for before its waits are old enough. */
    guard_lockfpm_paths(&f, &rules, read_at - apr_time_from_sec(3), NULL);
    ck_assert_int_eq(f.locks[0].looked, 0);
    guard_lockfpm_paths(&f, &rules, read_at, NULL);
    ck_assert_str_eq(f.locks[0].path, path);
    ck_assert_int_eq(f.locks[0].rule, 1);
    ck_assert_int_eq(f.locks[0].looked, 1);
    ck_assert_str_eq(f.locks[1].path, "");
    ck_assert_int_eq(f.locks[1].rule, -1);
    /* The file no rule matches is found, but not watched. */
    snprintf(rules.rule[1].pattern, sizeof(rules.rule[1].pattern),
             "%s/other_*", dir);
    f.locks[0].looked = 0;
    guard_lockfpm_paths(&f, &rules, read_at, NULL);
    ck_assert_int_eq(f.locks[0].rule, -1);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(proc_status)
{
    apr_int64_t r, e;
    apr_int32_t pp;

    ck_assert_int_eq(guard_lockfpm_parse_status(
        "Name:\tphp-fpm8.2\nUmask:\t0022\nState:\tS (sleeping)\n"
        "Tgid:\t301\nPid:\t301\nPPid:\t300\nTracerPid:\t0\n"
        "Uid:\t33\t33\t33\t33\nGid:\t33\t33\t33\t33\n", &r, &e, &pp), 0);
    ck_assert(r == 33 && e == 33 && pp == 300);
    ck_assert_int_eq(guard_lockfpm_parse_status("Name:\tx\nPPid:\t1\n",
                                                &r, &e, &pp), -1);
    ck_assert_int_eq(guard_lockfpm_parse_status("PPid:\tx\nUid:\t1 1\n",
                                                &r, &e, &pp), -1);
    ck_assert_int_eq(guard_end_ppid_of(getpid()), getppid());
}
END_TEST

/* An FPM worker of httpd's user, waited on past the duration. */
static guard_end_in_t ok_in(void)
{
    guard_end_in_t in;

    memset(&in, 0, sizeof(in));
    in.rule_on = 1;
    in.duration = apr_time_from_sec(1);
    in.waited_since = read_at - apr_time_from_msec(1200);
    in.pid = 301;
    in.fpm_worker = 1;
    in.known = 1;
    in.ruid = in.euid = 33;
    in.ppid = 300;
    in.master = 300;
    in.my_uid = 33;
    return in;
}

START_TEST(end_decision)
{
    guard_end_in_t in = ok_in();
    char why[160];

    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_YES);
    in.rule_on = 0;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_OFF);
    in = ok_in();
    in.waited_since = read_at - apr_time_from_msec(900);
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_YOUNG);
    /* At most one end per chain and duration. */
    in = ok_in();
    in.last_end = read_at - apr_time_from_msec(999);
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_RATE);
    in.last_end = read_at - apr_time_from_sec(1);
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_YES);
    /* Another user, by real or effective uid. */
    in = ok_in();
    in.ruid = in.euid = 65534;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_USER);
    ck_assert_str_eq(guard_end_reason(&in, GUARD_END_USER, why, sizeof(why)),
                     "runs as uid 65534, not httpd's 33");
    in = ok_in();
    in.euid = 0;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_USER);
    in = ok_in();
    in.my_uid = in.ruid = in.euid = 0;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_ROOT);
}
END_TEST

START_TEST(end_never_master_nor_httpd)
{
    guard_end_in_t in = ok_in();
    char why[160];

    in.ppid = 1;                  /* a master, or an orphan */
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_MASTER);
    in = ok_in();
    in.parent_of_worker = 1;      /* the parent of a listed worker */
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_MASTER);
    in = ok_in();
    in.pid = in.master = 300;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_MASTER);
    in = ok_in();
    in.ppid = 299;                /* not the pool's master's child */
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_MASTER);
    ck_assert_str_eq(guard_end_reason(&in, GUARD_END_MASTER, why,
                                      sizeof(why)),
                     "not a child of its pool's master (ppid 299, master "
                     "300): never a master");
    in = ok_in();
    in.master = 0;                /* no other worker to tell it by */
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_MASTER);
    in = ok_in();
    in.httpd = 1;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_HTTPD);
    in = ok_in();
    in.fpm_worker = 0;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_NOT_FPM);
    in = ok_in();
    in.known = 0;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_UNKNOWN);
    in = ok_in();
    in.pid = -1;
    ck_assert_int_eq(guard_end_decide(&in, read_at), GUARD_END_NO_PID);
}
END_TEST

START_TEST(chain_line_of_fpm_holder)
{
    guard_chain_t c;
    char line[1024];

    memset(&c, 0, sizeof(c));
    strcpy(c.path, "/srv/sessions/sess_#1a2b3c4d");
    c.lock_class = GUARD_LOCK_FLOCK;
    c.appeared = read_at - apr_time_from_msec(1200);
    c.nwaiters = 2;
    c.waiters[0].pid = 302;
    c.waiters[0].fpm = 1;
    c.waiters[1].pid = 2214;
    c.holder_pid = 301;
    c.holder_child = -1;
    c.holder_fpm = 1;
    c.holder_fpm_start = read_at - apr_time_from_msec(5000);
    strcpy(c.holder_comm, "php-fpm8.2");
    strcpy(c.holder_method, "GET");
    strcpy(c.holder_uri, "/hang.php?sid=a");
    strcpy(c.holder_wait, "not readable: the FPM worker is not dumpable "
           "(process.dumpable = yes in its pool allows it)");
    guard_chain_format(&c, NULL, read_at, line, sizeof(line));
    ck_assert_str_eq(line, "lock wait: 2 workers (pids 302 (FPM),2214) wait "
                     "on /srv/sessions/sess_#1a2b3c4d (flock lock, waiting "
                     "1.2 s) held by FPM worker pid 301 (php-fpm8.2) (GET "
                     "/hang.php?sid=a, 5.0 s, not readable: the FPM worker "
                     "is not dumpable (process.dumpable = yes in its pool "
                     "allows it))");
}
END_TEST

/* Session files known by name: the cookie, the id, the path, the hash. */
START_TEST(session_by_name)
{
    char path[64], big[300];
    const char *v = NULL;

    ck_assert_uint_eq(guard_sess_cookie("a=1; PHPSESSID=ab12,-Z; b=2",
                                        "PHPSESSID", &v), 7);
    ck_assert(!strncmp(v, "ab12,-Z;", 8));
    ck_assert_uint_eq(guard_sess_cookie("PHPSESSID=x", "PHPSESSID", &v), 1);
    ck_assert_uint_eq(guard_sess_cookie("XPHPSESSID=x; PHPSESSIDX=y",
                                        "PHPSESSID", &v), 0);
    ck_assert_uint_eq(guard_sess_cookie("PHPSESSID=", "PHPSESSID", &v), 0);
    ck_assert_uint_eq(guard_sess_cookie("", "PHPSESSID", &v), 0);
    ck_assert(guard_sess_id_ok("ab12,-Z", 7));
    ck_assert(!guard_sess_id_ok("../etc", 6));
    ck_assert(!guard_sess_id_ok("a/b", 3));
    ck_assert(!guard_sess_id_ok("a.b", 3));
    ck_assert(!guard_sess_id_ok("", 0));
    memset(big, 'a', sizeof(big));
    ck_assert(guard_sess_id_ok(big, GUARD_SESS_ID_MAX));
    ck_assert(!guard_sess_id_ok(big, GUARD_SESS_ID_MAX + 1));
    ck_assert(guard_sess_path("/var/lib/php/sessions/sess_*", "ab1", 3,
                              path, sizeof(path)));
    ck_assert_str_eq(path, "/var/lib/php/sessions/sess_ab1");
    ck_assert(guard_sess_path("/s/p_*.lock", "ab1", 3, path, sizeof(path)));
    ck_assert_str_eq(path, "/s/p_ab1.lock");
    /* Not DIR/PREFIX*SUFFIX: no name can be made. */
    ck_assert(!guard_sess_path("/s/*/sess_*", "a", 1, path, sizeof(path)));
    ck_assert(!guard_sess_path("/s/sess_*_*", "a", 1, path, sizeof(path)));
    ck_assert(!guard_sess_path("/s/sess_?*", "a", 1, path, sizeof(path)));
    ck_assert(!guard_sess_path("/s/sess_x", "a", 1, path, sizeof(path)));
    ck_assert(!guard_sess_path("sess_*", "a", 1, path, sizeof(path)));
    ck_assert(!guard_sess_path("/s/sess_*", big, 60, path, sizeof(path)));
    /* The hash is the one guard_redact_session shows. */
    strcpy(path, "/s/sess_deb1a2b3c4d5e6f7");
    guard_redact_session(path);
    strcpy(big, "/s/sess_*");
    guard_sess_shown(big, guard_sess_hash("deb1a2b3c4d5e6f7", 16), big + 20,
                     sizeof(big) - 20);
    ck_assert_str_eq(big + 20, path);
    ck_assert(strncmp(path, "/s/sess_#", 9) == 0 && strlen(path) == 17);
}
END_TEST

Suite *guard_lock_fpm_suite(void)
{
    Suite *s = suite_create("lock_fpm");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, workers_from_pools);
    tcase_add_test(tc, waits_from_proc_locks);
    tcase_add_test(tc, waits_dated);
    tcase_add_test(tc, file_of_a_lock);
    tcase_add_test(tc, proc_status);
    tcase_add_test(tc, end_decision);
    tcase_add_test(tc, end_never_master_nor_httpd);
    tcase_add_test(tc, chain_line_of_fpm_holder);
    tcase_add_test(tc, session_by_name);
    suite_add_tcase(s, tc);
    return s;
}
