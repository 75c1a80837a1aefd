/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall-file broker and the watchdog's kept syscall files, with real
 * processes: this test process plays httpd's parent, a forked broker
 * serves its forked "children", and the children ask as the watchdog
 * does, or as hostile code in a child would.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/wait.h>
#include <apr_strings.h>
#include "guard_broker.h"
#include "guard_broker_sandbox.h"
#include "guard_broker_client.h"
#include "guard_proc.h"
#include "guard_sysfd.h"
#include "guard_unit.h"

#define NOBODY 65534

static pid_t broker_pid;
static guard_broker_addr_t addr;
static char sock_dir[64], sock_path[108];

static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* The socket's group is nobody's: the "children" of these tests become
 * nobody, as httpd's become its Group. */
static int make_listener(void)
{
    int fd;

    apr_snprintf(sock_dir, sizeof(sock_dir), "/tmp/guard-unit-broker.%d",
                 (int)getpid());
    fd = guard_broker_listen(sock_dir, NOBODY, sock_path, sizeof(sock_path));
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(guard_broker_addr_set(&addr, sock_path,
                                           (socklen_t)strlen(sock_path) + 1),
                     0);
    return fd;
}

/* Under valgrind (make unit-valgrind sets this) a seccomp filter would
 * apply to valgrind's own system calls, which are not the broker's; and
 * valgrind knows no Landlock calls (it warns, and says ENOSYS). */
static int under_valgrind(void)
{
    return getenv("GUARD_UNIT_VALGRIND") != NULL;
}

/* The broker as its program runs it (but for the root of procfs): every
 * test below also checks that the allow-list lets its loop work. */
static void start_broker(void)
{
    static volatile sig_atomic_t never;
    int fd = make_listener();

    broker_pid = fork();
    ck_assert_int_ge(broker_pid, 0);
    if (broker_pid == 0) {
        guard_broker_cfg_t cfg = { fd, getppid(), "/proc" };

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (guard_broker_confine() != 0
            || (!under_valgrind() && (guard_broker_landlock("/proc") < 0
                                      || guard_broker_seccomp() != 0))) {
            _exit(70);
        }
        guard_broker_serve(&cfg, &never);
        _exit(0);
    }
    close(fd);
}

static void stop_broker(void)
{
    int st;

    kill(broker_pid, SIGKILL);
    ck_assert_int_eq(waitpid(broker_pid, &st, 0), broker_pid);
    /* Killed by the test, not by its allow-list (SIGSYS) or its set-up. */
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    unlink(sock_path);
    rmdir(sock_dir);
}

/* fn runs in a child of this process; its exit status is returned. */
static int in_child(int (*fn)(void))
{
    int st;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        _exit(fn());
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* 0 when fd reads as a syscall line of a thread that is in a syscall or
 * running. */
static int reads_as_syscall(int fd)
{
    char buf[512];
    guard_syscall_line_t sc;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    if (n <= 0) {
        return 1;
    }
    buf[n] = '\0';
    return guard_proc_parse_syscall(buf, &sc) == 0 ? 0 : 2;
}

static int become_nobody(void)
{
    /* Like an httpd child after the switch: no longer dumpable. */
    return setgid(NOBODY) == 0 && setuid(NOBODY) == 0
           && prctl(PR_GET_DUMPABLE) == 0 ? 0 : -1;
}

/* --------------------------------------------------- the pure checks */

static guard_broker_req_t good_req(pid_t tid)
{
    guard_broker_req_t r;

    memset(&r, 0, sizeof(r));
    r.magic = GUARD_BROKER_MAGIC;
    r.version = GUARD_BROKER_VERSION;
    r.tid = tid;
    return r;
}

START_TEST(check_request_accepts_only_the_exact_form)
{
    guard_broker_req_t r = good_req(42);
    char big[sizeof(r) + 1];
    pid_t tid = 0;

    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     0);
    ck_assert_int_eq(tid, 42);
    /* Short, long, truncated, control data cut. */
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r) - 1, 0, 7, 7,
                                                &tid), EINVAL);
    memcpy(big, &r, sizeof(r));
    ck_assert_int_eq(guard_broker_check_request(big, sizeof(big), 0, 7, 7,
                                                &tid), EINVAL);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), MSG_TRUNC, 7,
                                                7, &tid), EINVAL);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), MSG_CTRUNC, 7,
                                                7, &tid), EINVAL);
    ck_assert_int_eq(guard_broker_check_request(&r, -1, 0, 7, 7, &tid),
                     EINVAL);
    /* Each field. */
    r.magic ^= 1;
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     EINVAL);
    r = good_req(42);
    r.version = 2;
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     EINVAL);
    r = good_req(42);
    r.zero = 1;
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     EINVAL);
    r = good_req(0);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     EINVAL);
    r = good_req(-5);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 7, 7, &tid),
                     EINVAL);
    /* The sender must be the connection's process, and known. */
    r = good_req(42);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 8, 7, &tid),
                     EPERM);
    ck_assert_int_eq(guard_broker_check_request(&r, sizeof(r), 0, 0, 7, &tid),
                     EPERM);
}
END_TEST

static int child_is_child(void)
{
    return guard_broker_child_of("/proc", getpid(), getppid()) ? 0 : 1;
}

START_TEST(child_of_is_the_parent_link_only)
{
    ck_assert_int_eq(in_child(child_is_child), 0);
    ck_assert(!guard_broker_child_of("/proc", getpid(), getpid()));
    ck_assert(!guard_broker_child_of("/proc", getppid(), getpid()));
    ck_assert(!guard_broker_child_of("/proc", 1, getpid()));
    ck_assert(!guard_broker_child_of("/proc", 0, getpid()));
    ck_assert(!guard_broker_child_of("/proc", -1, getpid()));
    ck_assert(!guard_broker_child_of("/proc", getpid(), 0));
    ck_assert(guard_broker_child_of("/proc", getpid(), getppid()));
    /* Another root of procfs (the broker's, chrooted into it). */
    ck_assert(!guard_broker_child_of("/nonexistent", getpid(), getppid()));
}
END_TEST

/* ------------------------------------------------ the broker, for real */

static int ask_own(void)
{
    int fd = guard_broker_ask(&addr, my_tid(), 2000);

    return fd < 0 ? 10 + errno % 100 : reads_as_syscall(fd);
}

static void *block_forever(void *arg)
{
    pause();
    return arg;
}

/* A second thread, born after the switch of user, as worker threads are. */
static int ask_for_new_thread_as_nobody(void)
{
    pthread_t t;
    char path[64];
    int fd;
    pid_t tid;

    if (become_nobody() != 0
        || pthread_create(&t, NULL, block_forever, NULL) != 0) {
        return 9;
    }
    usleep(20000);
    /* Its tid: the newest task of this process. */
    tid = 0;
    {
        int i;

        for (i = 1; i < 100000 && !tid; i++) {
            apr_snprintf(path, sizeof(path), "/proc/self/task/%d",
                         (int)my_tid() + i);
            if (access(path, F_OK) == 0) {
                tid = my_tid() + i;
            }
        }
    }
    if (!tid || guard_sysfd_open_own(tid) >= 0 || errno != EACCES) {
        return 8;             /* the premise: its own open() fails */
    }
    fd = guard_broker_ask(&addr, tid, 2000);
    return fd < 0 ? 10 + errno % 100 : reads_as_syscall(fd);
}

START_TEST(broker_gives_a_child_its_own_threads)
{
    start_broker();
    ck_assert_int_eq(in_child(ask_own), 0);
    ck_assert_int_eq(in_child(ask_for_new_thread_as_nobody), 0);
    stop_broker();
}
END_TEST

static int ask_for_parent(void)
{
    int fd = guard_broker_ask(&addr, getppid(), 2000);

    return fd < 0 && errno == ESRCH ? 0 : 1;
}

static int ask_for_broker(void)
{
    int fd = guard_broker_ask(&addr, broker_pid, 2000);

    return fd < 0 && errno == ESRCH ? 0 : 1;
}

static int ask_for_init(void)
{
    int fd = guard_broker_ask(&addr, 1, 2000);

    return fd < 0 && errno == ESRCH ? 0 : 1;
}

static int ask_huge_tid(void)
{
    int fd = guard_broker_ask(&addr, 0x7fffffff, 2000);

    return fd < 0 && errno == ESRCH ? 0 : 1;
}

START_TEST(broker_refuses_other_processes_threads)
{
    start_broker();
    ck_assert_int_eq(in_child(ask_for_parent), 0);
    ck_assert_int_eq(in_child(ask_for_broker), 0);
    ck_assert_int_eq(in_child(ask_for_init), 0);
    ck_assert_int_eq(in_child(ask_huge_tid), 0);
    /* A sibling's thread. */
    {
        pid_t sib = fork();
        int st, fd;

        ck_assert_int_ge(sib, 0);
        if (sib == 0) {
            pause();
            _exit(0);
        }
        broker_pid = broker_pid;  /* (the sibling just waits) */
        fd = -1;
        {
            int p[2];
            pid_t asker;

            ck_assert_int_eq(pipe(p), 0);
            asker = fork();
            if (asker == 0) {
                int f = guard_broker_ask(&addr, sib, 2000);
                char r = f < 0 && errno == ESRCH ? 'y' : 'n';

                (void)!write(p[1], &r, 1);
                _exit(0);
            }
            close(p[1]);
            {
                char r = 0;

                ck_assert_int_eq(read(p[0], &r, 1), 1);
                ck_assert_int_eq(r, 'y');
            }
            close(p[0]);
            waitpid(asker, &st, 0);
        }
        kill(sib, SIGKILL);
        waitpid(sib, &st, 0);
        (void)fd;
    }
    stop_broker();
}
END_TEST

/* A grandchild of the server is not served: not its own connection... */
static int grandchild_asks(void)
{
    return in_child(ask_own) != 0 ? 0 : 1;
}

/* ...nor one it shares with the child that made it. */
static int grandchild_on_shared_connection(void)
{
    guard_broker_req_t r = good_req(0);
    guard_broker_reply_t rep;
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0), st;
    pid_t g;

    if (s < 0 || connect(s, (struct sockaddr *)&addr.sa, addr.len) != 0) {
        return 2;
    }
    g = fork();
    if (g == 0) {
        r.tid = my_tid();
        (void)!send(s, &r, sizeof(r), 0);
        _exit(0);
    }
    waitpid(g, &st, 0);
    if (recv(s, &rep, sizeof(rep), 0) != (ssize_t)sizeof(rep)) {
        return 3;
    }
    return rep.status == EPERM ? 0 : 4;
}

START_TEST(broker_refuses_grandchildren)
{
    start_broker();
    ck_assert_int_eq(in_child(grandchild_asks), 0);
    ck_assert_int_eq(in_child(grandchild_on_shared_connection), 0);
    stop_broker();
}
END_TEST

static int send_garbage(void)
{
    static const size_t sizes[] = { 0, 1, 15, 17, 4096 };
    char junk[4096], buf[64];
    size_t i;

    memset(junk, 0xa5, sizeof(junk));
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        guard_broker_reply_t rep;
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ssize_t n;

        if (s < 0 || connect(s, (struct sockaddr *)&addr.sa, addr.len) != 0) {
            return 2;
        }
        (void)!send(s, junk, sizes[i], 0);
        n = recv(s, &rep, sizeof(rep), 0);
        /* EINVAL for a message, then the broker hangs up. An empty
         * message reads as the end of the connection. */
        if (sizes[i] > 0 && (n != (ssize_t)sizeof(rep)
                             || rep.status != EINVAL)) {
            return 3;
        }
        if (recv(s, buf, sizeof(buf), 0) != 0) {
            return 4;
        }
        close(s);
    }
    return ask_own();
}

/* fds sent along are not kept by the broker. */
static int send_fds(void)
{
    guard_broker_req_t r = good_req(my_tid());
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = { &r, sizeof(r) };
    struct msghdr msg;
    struct cmsghdr *cm;
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0), fds[8], i;
    guard_broker_reply_t rep;

    for (i = 0; i < 8; i++) {
        fds[i] = 0;
    }
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof(ctl);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cm), fds, sizeof(fds));
    if (connect(s, (struct sockaddr *)&addr.sa, addr.len) != 0
        || sendmsg(s, &msg, 0) != (ssize_t)sizeof(r)
        || recv(s, &rep, sizeof(rep), 0) != (ssize_t)sizeof(rep)) {
        return 2;
    }
    return rep.status == EINVAL ? 0 : 3;
}

static int broker_fds(void)
{
    char path[64], link[64];
    int fd, n = 0;

    for (fd = 0; fd < 256; fd++) {
        apr_snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)broker_pid,
                     fd);
        if (readlink(path, link, sizeof(link)) > 0) {
            n++;
        }
    }
    return n;
}

START_TEST(broker_survives_garbage)
{
    int before;

    start_broker();
    usleep(20000);
    before = broker_fds();
    ck_assert_int_eq(in_child(send_garbage), 0);
    ck_assert_int_eq(in_child(send_fds), 0);
    usleep(20000);
    /* Nothing a client sent or opened stays with the broker. */
    ck_assert_int_eq(broker_fds(), before);
    ck_assert_int_eq(in_child(ask_own), 0);
    stop_broker();
}
END_TEST

/* More connections than the broker keeps, none of them saying anything,
 * then a client that sends and never reads: the next ask is answered. */
static int flood_then_ask(void)
{
    int socks[GUARD_BROKER_MAX_CONNS * 3], i, s;
    guard_broker_req_t r = good_req(my_tid());

    for (i = 0; i < GUARD_BROKER_MAX_CONNS * 3; i++) {
        socks[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
        if (connect(socks[i], (struct sockaddr *)&addr.sa, addr.len) != 0
            && errno != EAGAIN) {
            return 2;
        }
    }
    usleep(100000);
    s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr *)&addr.sa, addr.len) != 0) {
        return 3;
    }
    for (i = 0; i < 100000; i++) {
        if (send(s, &r, sizeof(r), MSG_NOSIGNAL) < 0) {
            break;
        }
    }
    for (i = 0; i < GUARD_BROKER_MAX_CONNS * 3; i++) {
        /* Wait out the oldest's slot if need be: each ask is new. */
        int rc = ask_own();

        if (rc == 0) {
            return 0;
        }
        usleep(50000);
    }
    return 4;
}

START_TEST(broker_survives_floods)
{
    start_broker();
    ck_assert_int_eq(in_child(flood_then_ask), 0);
    ck_assert_int_eq(kill(broker_pid, 0), 0);
    ck_assert_int_eq(in_child(ask_own), 0);
    stop_broker();
}
END_TEST

START_TEST(broker_is_confined)
{
    char path[64], buf[4096];
    FILE *f;
    int caps_zero = 0, nnp = 0;

    start_broker();
    usleep(50000);
    apr_snprintf(path, sizeof(path), "/proc/%d/status", (int)broker_pid);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(buf, sizeof(buf), f)) {
        if ((!strncmp(buf, "CapEff:", 7) || !strncmp(buf, "CapPrm:", 7)
             || !strncmp(buf, "CapInh:", 7))
            && strspn(buf + 7, "\t0") == strlen(buf + 7) - 1) {
            caps_zero++;
        }
        if (!strncmp(buf, "NoNewPrivs:\t1", 13)) {
            nnp = 1;
        }
    }
    fclose(f);
    ck_assert_int_eq(caps_zero, 3);
    ck_assert_int_eq(nnp, 1);
    stop_broker();
}
END_TEST


START_TEST(refused_pids_are_remembered_briefly)
{
    guard_broker_refused_t r;
    apr_time_t now = apr_time_from_sec(1000);
    int i;

    guard_broker_refused_init(&r);
    ck_assert(!guard_broker_refused_has(&r, 42, now));
    ck_assert(!guard_broker_refused_has(&r, 0, now));
    guard_broker_refused_add(&r, 42, now);
    ck_assert(guard_broker_refused_has(&r, 42, now));
    ck_assert(guard_broker_refused_has(&r, 42, now
                                       + GUARD_BROKER_REFUSED_TIME - 1));
    ck_assert(!guard_broker_refused_has(&r, 42, now
                                        + GUARD_BROKER_REFUSED_TIME));
    ck_assert(!guard_broker_refused_has(&r, 43, now));
    /* Bounded: the oldest goes first. */
    for (i = 0; i < GUARD_BROKER_REFUSED; i++) {
        guard_broker_refused_add(&r, 1000 + i, now);
    }
    ck_assert(!guard_broker_refused_has(&r, 42, now));
    ck_assert(guard_broker_refused_has(&r, 1000, now));
    guard_broker_refused_add(&r, 7, now);
    ck_assert(!guard_broker_refused_has(&r, 1000, now));
    ck_assert(guard_broker_refused_has(&r, 1001, now));
    ck_assert(guard_broker_refused_has(&r, 7, now));
}
END_TEST

/* ------------------------------------------------------ the socket */

/* Anyone outside the socket's group: not even a connection. */
static int connect_as_stranger(void)
{
    int s;

    if (setgroups(0, NULL) != 0 || setgid(12345) != 0 || setuid(12345) != 0) {
        return 9;
    }
    s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (connect(s, (struct sockaddr *)&addr.sa, addr.len) == 0) {
        return 1;
    }
    return errno == EACCES ? 0 : 2;
}

START_TEST(socket_is_for_its_group_only)
{
    struct stat st;
    char link[160];
    int fd;

    start_broker();
    ck_assert_int_eq(stat(sock_path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0660);
    ck_assert_int_eq(st.st_uid, 0);
    ck_assert_int_eq(st.st_gid, NOBODY);
    ck_assert_int_eq(stat(sock_dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0710);
    ck_assert_int_eq(st.st_gid, NOBODY);
    ck_assert_int_eq(in_child(connect_as_stranger), 0);
    ck_assert_int_eq(in_child(ask_own), 0);
    stop_broker();
    /* A link in the directory's place is not followed. */
    apr_snprintf(link, sizeof(link), "/tmp/guard-unit-broker-link.%d",
                 (int)getpid());
    ck_assert_int_eq(mkdir(sock_dir, 0700), 0);
    ck_assert_int_eq(symlink(sock_dir, link), 0);
    fd = guard_broker_listen(link, NOBODY, sock_path, sizeof(sock_path));
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, EEXIST);
    unlink(link);
    rmdir(sock_dir);
    /* Too long for a sockaddr_un. */
    memset(link, 'a', sizeof(link) - 1);
    link[0] = '/';
    link[sizeof(link) - 1] = '\0';
    ck_assert_int_eq(guard_broker_listen(link, NOBODY, sock_path,
                                         sizeof(sock_path)), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* ------------------------------------------------ seccomp and Landlock */

START_TEST(bpf_is_the_allow_list)
{
    struct sock_filter prog[GUARD_BROKER_BPF_MAX];
    int nrs[GUARD_BROKER_BPF_MAX], n, len, i, allows = 0;

    n = guard_broker_syscalls(nrs, GUARD_BROKER_BPF_MAX);
    ck_assert_int_ge(n, 10);
    len = guard_broker_bpf(prog, GUARD_BROKER_BPF_MAX, 0xc000003e, nrs, n,
                           SECCOMP_RET_KILL_PROCESS);
    ck_assert_int_ge(len, n + 6);
    /* Each listed call jumps to the one ALLOW at the end; nothing else
     * reaches it. */
    ck_assert_uint_eq(prog[len - 1].code, BPF_RET | BPF_K);
    ck_assert_uint_eq(prog[len - 1].k, SECCOMP_RET_ALLOW);
    ck_assert_uint_eq(prog[len - 2].k, SECCOMP_RET_KILL_PROCESS);
    ck_assert_uint_eq(prog[1].k, 0xc000003e);
    for (i = 0; i < len - 1; i++) {
        if ((prog[i].code & BPF_JMP) && prog[i].code != (BPF_RET | BPF_K)
            && i + 1 + prog[i].jt == len - 1) {
            allows++;
        }
    }
    ck_assert_int_eq(allows, n);
    /* Too little room. */
    ck_assert_int_eq(guard_broker_bpf(prog, n + 2, 0xc000003e, nrs, n,
                                      SECCOMP_RET_KILL_PROCESS), -1);
    /* Not in the list: no setuid, socket, connect, execve, ptrace, write,
     * mmap, kill. */
    for (i = 0; i < n; i++) {
        ck_assert_int_ne(nrs[i], SYS_setuid);
        ck_assert_int_ne(nrs[i], SYS_socket);
        ck_assert_int_ne(nrs[i], SYS_connect);
        ck_assert_int_ne(nrs[i], SYS_execve);
        ck_assert_int_ne(nrs[i], SYS_ptrace);
        ck_assert_int_ne(nrs[i], SYS_write);
        ck_assert_int_ne(nrs[i], SYS_mmap);
        ck_assert_int_ne(nrs[i], SYS_kill);
    }
}
END_TEST

static int allowed_then_socket(void)
{
    if (guard_broker_confine() != 0 || guard_broker_seccomp() != 0) {
        return 9;
    }
    /* Allowed: the loop's own calls. */
    if (getppid() <= 0 || close(-1) != -1) {
        return 2;
    }
    (void)!socket(AF_UNIX, SOCK_STREAM, 0);
    return 3;                 /* not reached: killed */
}

START_TEST(seccomp_kills_on_other_calls)
{
    if (under_valgrind()) {
        return;
    }
    ck_assert_int_eq(in_child(allowed_then_socket), 100 + SIGSYS);
}
END_TEST

static int proc_only(void)
{
    int abi, fd;

    if (guard_broker_confine() != 0) {
        return 9;
    }
    if ((abi = guard_broker_landlock("/proc")) <= 0) {
        return abi == 0 ? 0 : 8;
    }
    if ((fd = open("/proc/self/stat", O_RDONLY)) < 0) {
        return 2;
    }
    close(fd);
    /* Root's files (owner access of uid 0), and /proc's magic links out. */
    if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES) {
        return 3;
    }
    if (open("/proc/self/root/etc/passwd", O_RDONLY) >= 0) {
        return 4;
    }
    if (open("/proc/self/attr/current", O_WRONLY) >= 0 && errno != EACCES) {
        return 5;
    }
    return 0;
}

START_TEST(landlock_reads_proc_only)
{
    if (under_valgrind()) {
        return;
    }
    ck_assert_int_eq(in_child(proc_only), 0);
    if (guard_broker_landlock_abi() == 0) {
        fprintf(stderr, "landlock_reads_proc_only: no Landlock here (%s)\n",
                strerror(errno));
    }
}
END_TEST

/* -------------------------------------------------------- the flood */

#define FLOODERS 3
#define FLOOD_ASKS 300

/* Connects and hangs up as fast as it can, until killed. Not a child of
 * the server: a grandchild. */
static void flood_forever(void)
{
    for (;;) {
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);

        (void)!connect(s, (struct sockaddr *)&addr.sa, addr.len);
        close(s);
    }
}

static int asks_under_flood(void)
{
    pid_t f[FLOODERS];
    int i, failed = 0, st;

    for (i = 0; i < FLOODERS; i++) {
        if ((f[i] = fork()) == 0) {
            if (become_nobody() != 0) {
                _exit(9);
            }
            flood_forever();
        }
    }
    usleep(100000);
    /* As the watchdog asks: 250 ms at most. */
    for (i = 0; i < FLOOD_ASKS; i++) {
        int fd = guard_broker_ask(&addr, my_tid(), 250);

        if (fd < 0) {
            fprintf(stderr, "flood: ask %d: %s\n", i, strerror(errno));
            failed++;
        }
        else {
            close(fd);
        }
    }
    for (i = 0; i < FLOODERS; i++) {
        kill(f[i], SIGKILL);
        waitpid(f[i], &st, 0);
    }
    if (failed) {
        fprintf(stderr, "flood: %d of %d asks failed\n", failed, FLOOD_ASKS);
    }
    return failed ? 1 : 0;
}

START_TEST(flood_of_strangers_fails_no_ask)
{
    start_broker();
    ck_assert_int_eq(in_child(asks_under_flood), 0);
    stop_broker();
}
END_TEST

/* ------------------------------------------------ the kept syscall files */

static int asks;

static int ask_broker(void *baton, pid_t tid)
{
    asks++;
    return guard_broker_ask(&addr, tid, 2000);
}

static int sysfd_as_nobody(void)
{
    guard_sysfd_entry_t e[4];
    guard_sysfd_t t;
    char buf[512];
    pid_t tid = my_tid();
    apr_time_t now = apr_time_now();

    if (become_nobody() != 0) {
        return 9;
    }
    guard_sysfd_init(&t, e, 4, ask_broker, NULL);
    if (guard_sysfd_read(&t, 1, tid, now, buf, sizeof(buf)) <= 0
        || asks != 1 || t.asked != 1) {
        return 2;
    }
    /* Kept: read again without asking. */
    if (guard_sysfd_read(&t, 1, tid, now, buf, sizeof(buf)) <= 0
        || asks != 1) {
        return 3;
    }
    /* Out of range, no tid. */
    if (guard_sysfd_read(&t, 4, tid, now, buf, sizeof(buf)) != -1
        || guard_sysfd_read(&t, -1, tid, now, buf, sizeof(buf)) != -1
        || guard_sysfd_read(&t, 0, 0, now, buf, sizeof(buf)) != -1) {
        return 4;
    }
    /* A tid that is not ours is not asked for (our own open() says
     * ENOENT, not EACCES), and not tried again for a while. */
    if (guard_sysfd_read(&t, 2, getppid(), now, buf, sizeof(buf)) != -1
        || asks != 1 || e[2].retry != now + GUARD_SYSFD_RETRY
        || guard_sysfd_read(&t, 2, getppid(), now + 1000, buf,
                            sizeof(buf)) != -1
        || e[2].retry != now + GUARD_SYSFD_RETRY
        || guard_sysfd_read(&t, 2, getppid(), now + GUARD_SYSFD_RETRY, buf,
                            sizeof(buf)) != -1
        || e[2].retry != now + 2 * GUARD_SYSFD_RETRY) {
        return 5;
    }
    guard_sysfd_close_all(&t);
    return e[1].fd == -1 && e[1].tid == 0 ? 0 : 6;
}

START_TEST(sysfd_asks_once_per_thread)
{
    start_broker();
    ck_assert_int_eq(in_child(sysfd_as_nobody), 0);
    stop_broker();
}
END_TEST

static void *exit_soon(void *arg)
{
    *(pid_t *)arg = my_tid();
    usleep(100000);
    return NULL;
}

START_TEST(sysfd_forgets_a_thread_that_ended)
{
    guard_sysfd_entry_t e[2];
    guard_sysfd_t t;
    pthread_t th;
    pid_t tid = 0;
    char buf[512];
    int fd;

    guard_sysfd_init(&t, e, 2, NULL, NULL);
    ck_assert_int_eq(pthread_create(&th, NULL, exit_soon, &tid), 0);
    while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST)) {
        usleep(1000);
    }
    ck_assert_int_gt(guard_sysfd_read(&t, 0, tid, apr_time_now(), buf,
                                      sizeof(buf)), 0);
    fd = e[0].fd;
    ck_assert_int_ge(fd, 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(guard_sysfd_read(&t, 0, tid, apr_time_now(), buf,
                                      sizeof(buf)), -1);
    ck_assert_int_eq(e[0].fd, -1);
    ck_assert_int_eq(e[0].tid, 0);
    /* Adopted fds are used as they are; a new tid replaces them. */
    guard_sysfd_adopt(&t, 1, my_tid(), guard_sysfd_open_own(my_tid()));
    ck_assert_int_gt(guard_sysfd_read(&t, 1, my_tid(), apr_time_now(), buf,
                                      sizeof(buf)), 0);
    {
        /* Read by the thread itself: it is in that very pread. */
        guard_syscall_line_t sc;

        ck_assert_int_eq(guard_proc_parse_syscall(buf, &sc), 0);
        ck_assert_int_eq(sc.nr, SYS_pread64);
    }
    guard_sysfd_close_all(&t);
}
END_TEST

Suite *guard_broker_suite(void)
{
    Suite *s = suite_create("broker");
    TCase *tc = tcase_create("broker");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, check_request_accepts_only_the_exact_form);
    tcase_add_test(tc, child_of_is_the_parent_link_only);
    tcase_add_test(tc, broker_gives_a_child_its_own_threads);
    tcase_add_test(tc, broker_refuses_other_processes_threads);
    tcase_add_test(tc, broker_refuses_grandchildren);
    tcase_add_test(tc, broker_survives_garbage);
    tcase_add_test(tc, broker_survives_floods);
    tcase_add_test(tc, broker_is_confined);
    tcase_add_test(tc, refused_pids_are_remembered_briefly);
    tcase_add_test(tc, socket_is_for_its_group_only);
    tcase_add_test(tc, bpf_is_the_allow_list);
    tcase_add_test(tc, seccomp_kills_on_other_calls);
    tcase_add_test(tc, landlock_reads_proc_only);
    tcase_add_test(tc, flood_of_strangers_fails_no_ask);
    tcase_add_test(tc, sysfd_asks_once_per_thread);
    tcase_add_test(tc, sysfd_forgets_a_thread_that_ended);
    suite_add_tcase(s, tc);
    return s;
}
