/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inspector against real threads of this process, really blocked:
 * in poll on a loopback TCP connection whose peer never answers, in
 * nanosleep, in flock behind another lock, in read on a pipe, in accept,
 * in a condition wait, and spinning.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include "guard_unit.h"
#include "guard_inspect.h"
#include "guard_proc_net.h"
#include "guard_sockaddr.h"
#include "guard_wait.h"

typedef struct {
    int fd;
    int mode;
    volatile pid_t tid;
    volatile apr_int64_t cpu_start_us;
    volatile int stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} blocker_t;

/* The blockers of the running test, stopped by its teardown: with
 * CK_FORK=no (valgrind) every test runs in one process, and a blocker
 * left spinning or holding its memory would outlive its test. */
static blocker_t *started[4];
static int nstarted;
static int lock_holder = -1;

enum { B_POLL, B_SELECT, B_EPOLL, B_SLEEP, B_FLOCK, B_READ, B_ACCEPT,
       B_COND, B_SPIN };

static apr_int64_t thread_cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (apr_int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void block_in_select(int fd)
{
    fd_set rd;

    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    select(fd + 1, &rd, NULL, NULL, NULL);
}

static void block_in_epoll(int fd)
{
    struct epoll_event ev = { EPOLLIN, { 0 } }, out;
    int ep = epoll_create1(0);

    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    epoll_wait(ep, &out, 1, -1);
}

static void unlock_mutex(void *mu)
{
    pthread_mutex_unlock(mu);
}

static void *blocker_main(void *data)
{
    blocker_t *b = data;
    struct pollfd pfd = { b->fd, POLLIN, 0 };
    struct timespec ts = { 60, 0 };
    char c;

    b->cpu_start_us = thread_cpu_us();
    b->tid = (pid_t)syscall(SYS_gettid);
    switch (b->mode) {
    case B_POLL:   poll(&pfd, 1, 60000); break;
    case B_SELECT: block_in_select(b->fd); break;
    case B_EPOLL:  block_in_epoll(b->fd); break;
    case B_SLEEP:  nanosleep(&ts, NULL); break;
    case B_FLOCK:  flock(b->fd, LOCK_EX); break;
    case B_READ:   (void)!read(b->fd, &c, 1); break;
    case B_ACCEPT: accept(b->fd, NULL, NULL); break;
    case B_COND:
        pthread_mutex_lock(&b->mu);
        pthread_cleanup_push(unlock_mutex, &b->mu);
        pthread_cond_wait(&b->cv, &b->mu);
        pthread_cleanup_pop(1);
        break;
    case B_SPIN:   while (!b->stop) { __asm__ volatile(""); } break;
    }
    return NULL;
}

/* Start a thread blocking as told, and wait until the kernel shows it in
 * a syscall (or on CPU for the spinner). */
static blocker_t *start_blocker(int mode, int fd)
{
    blocker_t *b = calloc(1, sizeof(*b));
    int i;

    ck_assert_int_lt(nstarted, 4);
    b->fd = fd;
    b->mode = mode;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    ck_assert_int_eq(pthread_create(&b->thread, NULL, blocker_main, b), 0);
    started[nstarted++] = b;
    for (i = 0; i < 200 && !b->tid; i++) {
        usleep(5000);
    }
    usleep(mode == B_SPIN ? 300000 : 100000);
    return b;
}

/* Every call a blocker makes is a cancellation point but flock, which
 * returns once the holder's descriptor is closed. */
static void stop_blockers(void)
{
    if (lock_holder >= 0) {
        close(lock_holder);
        lock_holder = -1;
    }
    while (nstarted > 0) {
        blocker_t *b = started[--nstarted];

        b->stop = 1;
        pthread_cancel(b->thread);
        pthread_join(b->thread, NULL);
        if (b->fd >= 0) {
            close(b->fd);
        }
        free(b);
    }
}

#if GUARD_INSPECT_LIVE

static int listener(int backlog, int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A connection to a peer that accepts and never answers. */
static int silent_backend(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;

    listener(8, port);   /* left open: the peer stays, silent */
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(*port);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static const int *test_listen_fds;
static int test_nlisten;

static void inspect(blocker_t *b, int client_fd, guard_slot_t *slots,
                    int nslots, guard_wait_t *w)
{
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req;

    memset(&ctx, 0, sizeof(ctx));
    ctx.listen_fds = test_listen_fds;
    ctx.nlisten = test_nlisten;
    ctx.slots = slots;
    ctx.nslots = nslots;
    ctx.clk_tck = sysconf(_SC_CLK_TCK);
    memset(&req, 0, sizeof(req));
    req.tid = b->tid;
    req.client_fd = client_fd;
    req.cpu_start_us = b->cpu_start_us;
    req.req_start = apr_time_now() - apr_time_from_msec(300);
    ck_assert_int_eq(guard_inspect_thread(&ctx, &req, apr_time_now(), w), 0);
}

/* glibc may implement a call with its newer sibling (select: pselect6). */
static void expect_backend(int mode, const char *sysname, const char *alt)
{
    int port, fd = silent_backend(&port);
    blocker_t *b = start_blocker(mode, fd);
    guard_wait_t w;
    char peer[32];

    inspect(b, -1, NULL, 0, &w);
    snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    ck_assert_msg(strcmp(w.sysname, sysname) == 0
                  || strcmp(w.sysname, alt) == 0, "syscall %s", w.sysname);
    ck_assert_str_eq(w.peer, peer);
    ck_assert_int_eq(w.fd, fd);
    ck_assert(w.flags & GUARD_WAITF_TCP);
    ck_assert(w.idle_ms >= 50 && w.idle_ms < 5000);
}

START_TEST(poll_on_silent_backend)
{
    expect_backend(B_POLL, "poll", "ppoll");
}
END_TEST

START_TEST(select_on_silent_backend)
{
    expect_backend(B_SELECT, "select", "pselect6");
}
END_TEST

START_TEST(epoll_on_silent_backend)
{
    expect_backend(B_EPOLL, "epoll_wait", "epoll_pwait");
}
END_TEST

/* A listener whose accept queue is full: the kernel drops new SYNs, so a
 * connect() to it stays in SYN_SENT. */
static int pending_connect(int *port)
{
    int l = listener(0, port), i, fd = -1;
    struct sockaddr_in a;

    (void)l;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(*port);
    for (i = 0; i < 3; i++) {   /* the first fills the queue */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fd, (struct sockaddr *)&a, sizeof(a));
        usleep(100000);
    }
    return fd;
}

START_TEST(connect_in_progress_names_its_peer)
{
    int port, fd = pending_connect(&port);
    blocker_t *b;
    guard_wait_t w;
    char peer[32];

    b = start_blocker(B_SELECT, fd);   /* waits for readability, like a
                                          client library after connect */
    inspect(b, -1, NULL, 0, &w);
    snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    ck_assert(w.flags & GUARD_WAITF_CONNECTING);
    ck_assert_str_eq(w.peer, peer);
    ck_assert_int_eq(w.idle_ms, -1);
}
END_TEST

START_TEST(own_connection_is_client)
{
    int port, fd = silent_backend(&port);
    blocker_t *b = start_blocker(B_POLL, fd);
    guard_wait_t w;

    inspect(b, fd, NULL, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "client");
}
END_TEST

START_TEST(other_workers_connection_is_client)
{
    int port, fd = silent_backend(&port);
    blocker_t *b = start_blocker(B_POLL, fd);
    guard_slot_t slots[2];
    guard_wait_t w;

    memset(slots, 0, sizeof(slots));
    slots[1].state = GUARD_WS_BUSY;
    slots[1].client_fd = fd;
    inspect(b, -1, slots, 2, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "client");
}
END_TEST

/* A connection another worker left in keep-alive, or an HTTP/2 stream's
 * slot between requests: their socket numbers may be a backend's now. */
START_TEST(stale_connection_numbers_are_not_client)
{
    int port, fd = silent_backend(&port);
    blocker_t *b = start_blocker(B_POLL, fd);
    guard_slot_t slots[3];
    guard_wait_t w;

    memset(slots, 0, sizeof(slots));
    slots[1].state = GUARD_WS_KEEPALIVE;
    slots[1].client_fd = fd;
    slots[2].state = GUARD_WS_READ;
    slots[2].kind = GUARD_SLOT_H2;
    slots[2].client_fd = fd;
    inspect(b, -1, slots, 3, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
}
END_TEST

/* Another worker's slot names a socket that is busy: an accepted one (a
 * listener's port) is a client's; a connected one (a port of its own) is
 * a backend's, whose number the slot names from a connection closed
 * since. */
START_TEST(other_slots_number_checked_against_listeners)
{
    int port, lfd = listener(8, &port), cfd, afd;
    struct sockaddr_in a;
    guard_slot_t slots[2];
    guard_wait_t w;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    cfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(cfd, (struct sockaddr *)&a, sizeof(a)), 0);
    afd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(afd, 0);
    test_listen_fds = &lfd;
    test_nlisten = 1;
    memset(slots, 0, sizeof(slots));
    slots[1].state = GUARD_WS_BUSY;
    slots[1].client_fd = afd;
    inspect(start_blocker(B_POLL, afd), -1, slots, 2, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "client");
    slots[1].client_fd = cfd;
    inspect(start_blocker(B_POLL, cfd), -1, slots, 2, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    test_listen_fds = NULL;
    test_nlisten = 0;
}
END_TEST

START_TEST(sleep_is_sleep)
{
    blocker_t *b = start_blocker(B_SLEEP, -1);
    guard_wait_t w;

    inspect(b, -1, NULL, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "sleep");
    ck_assert(strcmp(w.sysname, "nanosleep") == 0
              || strcmp(w.sysname, "clock_nanosleep") == 0);
}
END_TEST

/* A thread of this process blocked in flock() on a fresh file named after
 * tmpl (mkstemp), as the inspector sees it. */
static void flock_wait_on(char *tmpl, guard_wait_t *w, int *fd)
{
    int holder = mkstemp(tmpl), waiter = open(tmpl, O_RDWR);
    blocker_t *b;

    lock_holder = holder;
    ck_assert_int_eq(flock(holder, LOCK_EX), 0);
    b = start_blocker(B_FLOCK, waiter);
    inspect(b, -1, NULL, 0, w);
    unlink(tmpl);
    *fd = waiter;
}

START_TEST(flock_names_the_file)
{
    char path[] = "/tmp/guard-unit-lockXXXXXX";
    guard_wait_t w;
    int fd;

    flock_wait_on(path, &w, &fd);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "lock");
    ck_assert_str_eq(w.sysname, "flock");
    ck_assert_str_eq(w.path, path);
    ck_assert_int_eq(w.fd, fd);
}
END_TEST

/* A file named with a newline: the path is kept printable, so that the
 * lock-chain and stuck lines of the error log stay one line each. */
START_TEST(odd_file_name_is_escaped)
{
    char path[] = "/tmp/guard-unit-a\nb-XXXXXX";
    guard_wait_t w;
    int fd;

    flock_wait_on(path, &w, &fd);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "lock");
    ck_assert_ptr_null(strchr(w.path, '\n'));
    ck_assert_msg(strncmp(w.path, "/tmp/guard-unit-a\\x0ab-", 23) == 0,
                  "%s", w.path);
}
END_TEST

START_TEST(pipe_read_is_pipe)
{
    int p[2];
    blocker_t *b;
    guard_wait_t w;

    ck_assert_int_eq(pipe(p), 0);
    b = start_blocker(B_READ, p[0]);
    inspect(b, -1, NULL, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "pipe");
    ck_assert_str_eq(w.sysname, "read");
    ck_assert(strncmp(w.path, "pipe:[", 6) == 0);
}
END_TEST

START_TEST(accept_is_listener)
{
    int port, l = listener(8, &port);
    blocker_t *b = start_blocker(B_ACCEPT, l);
    guard_wait_t w;

    inspect(b, -1, NULL, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "listener");
}
END_TEST

/* A prefork child closes its listeners at a graceful restart while its
 * request goes on; the request's backend socket then takes the fd number
 * the listener had. Still a backend (and so cut), not a listener. */
START_TEST(backend_on_old_listener_fd_is_backend)
{
    int port, fd = silent_backend(&port);
    int listen_fds[1];
    blocker_t *b = start_blocker(B_POLL, fd);
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req;
    guard_wait_t w;

    listen_fds[0] = fd;
    memset(&ctx, 0, sizeof(ctx));
    ctx.listen_fds = listen_fds;
    ctx.nlisten = 1;
    ctx.clk_tck = sysconf(_SC_CLK_TCK);
    memset(&req, 0, sizeof(req));
    req.tid = b->tid;
    req.client_fd = -1;
    req.cpu_start_us = b->cpu_start_us;
    req.req_start = apr_time_now() - apr_time_from_msec(300);
    ck_assert_int_eq(guard_inspect_thread(&ctx, &req, apr_time_now(), &w),
                     0);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    ck_assert_int_eq(w.fd, fd);
}
END_TEST

/* A process that listens on a unix socket and never answers, as mod_cgid's
 * daemon (a child of the server's parent) looks while its CGI script is
 * silent: a child of this test process. */
static pid_t unix_listener_child(char *path, apr_size_t len)
{
    struct sockaddr_un a;
    int ready[2], fd;
    pid_t pid;
    char c = 0;

    snprintf(path, len, "/tmp/guard-unit-cgisock.%d", (int)getpid());
    unlink(path);
    ck_assert_int_eq(pipe(ready), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        memset(&a, 0, sizeof(a));
        a.sun_family = AF_UNIX;
        strcpy(a.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0
            || listen(fd, 8) != 0) {
            _exit(1);
        }
        (void)!write(ready[1], &c, 1);
        alarm(20);       /* gone even if the test fails before its kill */
        pause();
        _exit(0);
    }
    close(ready[1]);
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return pid;
}

static int unix_connect(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void inspect_for_server(blocker_t *b, pid_t server_pid,
                               guard_wait_t *w)
{
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req;

    memset(&ctx, 0, sizeof(ctx));
    ctx.clk_tck = sysconf(_SC_CLK_TCK);
    ctx.server_pid = server_pid;
    memset(&req, 0, sizeof(req));
    req.tid = b->tid;
    req.client_fd = -1;
    req.cpu_start_us = b->cpu_start_us;
    req.req_start = apr_time_now() - apr_time_from_msec(300);
    ck_assert_int_eq(guard_inspect_thread(&ctx, &req, apr_time_now(), w), 0);
}

static void end_child(pid_t pid, const char *path)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(path);
}

/* The peer listened in a child of the server's parent (here: of this
 * process, named as the server): the CGI at work, not a backend. */
START_TEST(unix_socket_to_process_of_server_is_cgi)
{
    char path[64], peer[80];
    pid_t child = unix_listener_child(path, sizeof(path));
    int fd = unix_connect(path);
    blocker_t *b = start_blocker(B_POLL, fd);
    guard_wait_t w;

    inspect_for_server(b, getpid(), &w);
    snprintf(peer, sizeof(peer), "unix:%s", path);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "cgi");
    ck_assert_str_eq(w.peer, peer);
    ck_assert_int_eq(w.fd, fd);
    ck_assert(w.flags & GUARD_WAITF_UNIX);
    /* The same socket when the server is another process: a backend. */
    inspect_for_server(b, getppid(), &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    inspect_for_server(b, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    end_child(child, path);
}
END_TEST

/* A unix socket whose listener is this very process: not another process
 * of the server, so a backend. */
START_TEST(unix_socket_to_own_process_is_backend)
{
    struct sockaddr_un a;
    char path[64];
    int l = socket(AF_UNIX, SOCK_STREAM, 0), fd;
    blocker_t *b;
    guard_wait_t w;

    snprintf(path, sizeof(path), "/tmp/guard-unit-own.%d", (int)getpid());
    unlink(path);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(l, 8), 0);
    fd = unix_connect(path);
    b = start_blocker(B_POLL, fd);
    inspect_for_server(b, getppid(), &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    inspect_for_server(b, getpid(), &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "backend");
    close(l);
    unlink(path);
}
END_TEST

START_TEST(condition_wait_is_futex)
{
    blocker_t *b = start_blocker(B_COND, -1);
    guard_wait_t w;

    inspect(b, -1, NULL, 0, &w);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "futex");
}
END_TEST

/* CPU time of a thread of this process, from its stat file. */
static apr_int64_t task_cpu_ms(pid_t tid)
{
    char path[64], line[512], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    int i;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    if (!(f = fopen(path, "r")) || !fgets(line, sizeof(line), f)) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    p = strrchr(line, ')');
    for (i = 0; p && i < 12; i++) {
        p = strchr(p + 1, ' ');
    }
    if (!p || sscanf(p + 1, "%llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (apr_int64_t)((ut + st) * 1000 / sysconf(_SC_CLK_TCK));
}

START_TEST(spinner_is_on_cpu)
{
    blocker_t *b = start_blocker(B_SPIN, -1);
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req;
    guard_wait_t w;
    char text[128];
    apr_int64_t cpu = 0;
    int i;

    /* A loaded machine gives the spinner less than a core: wait for the
     * CPU time, and date the request back by that much, so the thread was
     * on CPU all along, as a spinning request is. */
    for (i = 0; i < 100 && (cpu = task_cpu_ms(b->tid)) < 300; i++) {
        usleep(50000);
    }
    ck_assert(cpu >= 300);
    memset(&ctx, 0, sizeof(ctx));
    ctx.clk_tck = sysconf(_SC_CLK_TCK);
    memset(&req, 0, sizeof(req));
    req.tid = b->tid;
    req.client_fd = -1;
    req.cpu_start_us = b->cpu_start_us;
    req.req_start = apr_time_now() - apr_time_from_msec(cpu);
    /* Under valgrind, threads take turns on one lock: a spinner waiting
     * for its turn sits in a read of valgrind's pipe. Look again, as the
     * watchdog does, until it is seen on CPU. */
    for (i = 0; i < 50; i++) {
        ck_assert_int_eq(guard_inspect_thread(&ctx, &req, apr_time_now(),
                                              &w), 0);
        if (w.kind == GUARD_WAIT_CPU) {
            break;
        }
        usleep(10000);
    }
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "cpu");
    ck_assert(w.cpu_ms >= 250);
    ck_assert(w.flags & GUARD_WAITF_SPINNING);
    guard_wait_describe(&w, cpu, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "spinning"));
}
END_TEST

#else /* built without inspection (--disable-proc-inspection, not Linux) */

/* A thread really asleep is "unknown", with no syscall, fd or CPU time:
 * the page says it cannot tell rather than guess. */
START_TEST(without_inspection_a_sleeping_thread_is_unknown)
{
    blocker_t *b = start_blocker(B_SLEEP, -1);
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req;
    guard_wait_t w;
    apr_time_t now = apr_time_now();

    memset(&ctx, 0, sizeof(ctx));
    memset(&req, 0, sizeof(req));
    req.tid = b->tid;
    req.client_fd = -1;
    req.cpu_start_us = b->cpu_start_us;
    req.req_start = now - apr_time_from_msec(300);
    ck_assert_int_eq(guard_inspect_thread(&ctx, &req, now, &w), -1);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "unknown");
    ck_assert_int_eq(w.syscall, -1);
    ck_assert_int_eq(w.fd, -1);
    ck_assert(w.cpu_ms == -1 && w.idle_ms == -1);
    ck_assert(w.since == now && w.sampled == now);
}
END_TEST

#endif /* GUARD_INSPECT_LIVE */

START_TEST(vanished_thread_is_unknown)
{
    guard_inspect_ctx_t ctx;
    guard_inspect_req_t req = { 0x3fffffff, -1, -1, 0 };
    guard_wait_t w;

    memset(&ctx, 0, sizeof(ctx));
    ck_assert_int_eq(guard_inspect_thread(&ctx, &req, apr_time_now(), &w),
                     -1);
    ck_assert_str_eq(guard_wait_kind_name(w.kind), "unknown");
}
END_TEST

/* /proc/net/tcp and tcp6 lines as the kernel prints them (x86: each
 * 32-bit word of the address in host order, little-endian). */
START_TEST(proc_net_tcp_line_gives_the_remote_address)
{
    char line[256], out[GUARD_PEER_LEN];

    strcpy(line, "   3: 0100007F:0050 0500000A:18EB 02 00000000:00000000 "
           "01:00000064 00000000  1000        0 424242 2 0000000000000000 "
           "100 0 0 10 -1");
    ck_assert_int_eq(guard_proc_net_tcp_line(line, 424242, out,
                                             sizeof(out)), 0);
    ck_assert_str_eq(out, "10.0.0.5:6379");
    strcpy(line, "   0: 00000000000000000000000001000000:0050 "
           "00000000000000000000000001000000:1F90 01 00000000:00000000 "
           "00:00000000 00000000    33        0 77 1 0000000000000000");
    ck_assert_int_eq(guard_proc_net_tcp_line(line, 77, out, sizeof(out)),
                     0);
    ck_assert_str_eq(out, "[::1]:8080");
}
END_TEST

START_TEST(proc_net_tcp_line_of_another_socket_is_not_it)
{
    char line[256], out[GUARD_PEER_LEN] = "";

    strcpy(line, "   3: 0100007F:0050 0500000A:18EB 02 00000000:00000000 "
           "01:00000064 00000000  1000        0 424242 2");
    ck_assert_int_eq(guard_proc_net_tcp_line(line, 424243, out,
                                             sizeof(out)), -1);
    strcpy(line, "  sl  local_address rem_address   st tx_queue rx_queue");
    ck_assert_int_eq(guard_proc_net_tcp_line(line, 0, out, sizeof(out)),
                     -1);
    strcpy(line, "   3: 0100007F:0050 0500000A 02 0 0 0 0 0 424242");
    ck_assert_int_eq(guard_proc_net_tcp_line(line, 424242, out,
                                             sizeof(out)), -1);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(sockaddr_format_names_each_family)
{
    struct sockaddr_in in;
    struct sockaddr_un un;
    char out[GUARD_PEER_LEN];

    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(443);
    inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
    guard_sockaddr_format((struct sockaddr *)&in, sizeof(in), out,
                          sizeof(out));
    ck_assert_str_eq(out, "192.0.2.7:443");
    guard_sockaddr_format((struct sockaddr *)&in, sizeof(in), out, 8);
    ck_assert_str_eq(out, "");
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    memcpy(un.sun_path, "\0guard", 6);
    guard_sockaddr_format((struct sockaddr *)&un,
                          offsetof(struct sockaddr_un, sun_path) + 6, out,
                          sizeof(out));
    ck_assert_str_eq(out, "unix:@guard");
}
END_TEST

Suite *guard_inspect_suite(void)
{
    Suite *s = suite_create("inspect");
    TCase *tc = tcase_create("threads");

    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, NULL, stop_blockers);
#if GUARD_INSPECT_LIVE
    tcase_add_test(tc, poll_on_silent_backend);
    tcase_add_test(tc, select_on_silent_backend);
    tcase_add_test(tc, epoll_on_silent_backend);
    tcase_add_test(tc, connect_in_progress_names_its_peer);
    tcase_add_test(tc, own_connection_is_client);
    tcase_add_test(tc, other_workers_connection_is_client);
    tcase_add_test(tc, stale_connection_numbers_are_not_client);
    tcase_add_test(tc, other_slots_number_checked_against_listeners);
    tcase_add_test(tc, sleep_is_sleep);
    tcase_add_test(tc, flock_names_the_file);
    tcase_add_test(tc, odd_file_name_is_escaped);
    tcase_add_test(tc, pipe_read_is_pipe);
    tcase_add_test(tc, accept_is_listener);
    tcase_add_test(tc, backend_on_old_listener_fd_is_backend);
    tcase_add_test(tc, condition_wait_is_futex);
    tcase_add_test(tc, unix_socket_to_process_of_server_is_cgi);
    tcase_add_test(tc, unix_socket_to_own_process_is_backend);
    tcase_add_test(tc, spinner_is_on_cpu);
#else
    tcase_add_test(tc, without_inspection_a_sleeping_thread_is_unknown);
#endif
    tcase_add_test(tc, vanished_thread_is_unknown);
    tcase_add_test(tc, proc_net_tcp_line_gives_the_remote_address);
    tcase_add_test(tc, proc_net_tcp_line_of_another_socket_is_not_it);
    tcase_add_test(tc, sockaddr_format_names_each_family);
    suite_add_tcase(s, tc);
    return s;
}
