/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall-file broker under a flood: this process plays httpd's
 * parent, a forked broker runs the real loop (guard_broker_serve), a
 * child asks for its own syscall file N times as the watchdog does (250 ms
 * at most each), while F processes that are not children of the "server"
 * connect and hang up as fast as they can. Prints how many asks failed,
 * and why, and how long the asks took.
 *
 *     flood [F [N [timeout_ms]]]        (defaults 2, 1000, 250)
 *
 * Built against the tree by `make bench/broker-flood/flood`. It also
 * builds against the anchor of bench/broker-flood/README.md (a broker on
 * an abstract socket that accepts one connection per round, with no
 * GUARD_BROKER_SOCK_NAME), for the comparison.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "guard_broker.h"
#include "guard_broker_client.h"
#ifdef GUARD_BROKER_SOCK_NAME
#include "guard_broker_sandbox.h"
#endif

#define MAX_ASKS 100000

static guard_broker_addr_t addr;
static char dir[64], path[108];

static int make_listener(void)
{
#ifdef GUARD_BROKER_SOCK_NAME
    int fd;

    snprintf(dir, sizeof(dir), "/tmp/guard-flood.%d", (int)getpid());
    fd = guard_broker_listen(dir, getgid(), path, sizeof(path));
    guard_broker_addr_set(&addr, path, (socklen_t)strlen(path) + 1);
    return fd;
#else
    char name[64];
    int len = snprintf(name + 1, sizeof(name) - 1, "guard-flood-%d",
                       (int)getpid()) + 1;

    name[0] = '\0';
    guard_broker_addr_set(&addr, name, (socklen_t)len);
    return guard_broker_listen(name, (socklen_t)len);
#endif
}

static pid_t start_broker(int fd)
{
    static volatile sig_atomic_t never;
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#ifdef GUARD_BROKER_SOCK_NAME
        guard_broker_cfg_t cfg = { fd, getppid(), "/proc" };

        if (guard_broker_confine() != 0 || guard_broker_landlock("/proc") < 0
            || guard_broker_seccomp() != 0) {
            _exit(70);
        }
#else
        guard_broker_cfg_t cfg = { fd, getppid() };

        if (guard_broker_confine() != 0) {
            _exit(70);
        }
#endif
        guard_broker_serve(&cfg, &never);
        _exit(0);
    }
    close(fd);
    return pid;
}

static void flood_forever(volatile unsigned long *connects)
{
    for (;;) {
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);

        if (connect(s, (struct sockaddr *)&addr.sa, addr.len) == 0) {
            __atomic_add_fetch(connects, 1, __ATOMIC_RELAXED);
        }
        close(s);
    }
}

static int cmp_time(const void *a, const void *b)
{
    apr_time_t x = *(const apr_time_t *)a, y = *(const apr_time_t *)b;

    return x < y ? -1 : x > y;
}

static void report(int f, int n, int failed, const int *why, apr_time_t *t,
                   unsigned long connects, apr_time_t took)
{
    int e;

    qsort(t, (size_t)n, sizeof(*t), cmp_time);
    printf("flooders %d, asks %d: failed %d", f, n, failed);
    for (e = 1; e < 200; e++) {
        if (why[e]) {
            printf(", %s %d", strerrorname_np(e), why[e]);
        }
    }
    printf("; ask time p50 %ld us, p99 %ld us, max %ld us; "
           "flood connects %.0f/s\n", (long)t[n / 2], (long)t[n * 99 / 100],
           (long)t[n - 1], took ? connects * 1e6 / (double)took : 0.0);
    fflush(stdout);
}

static void asker(int f, int n, int timeout_ms, unsigned long *connects)
{
    static apr_time_t t[MAX_ASKS];
    int why[200] = { 0 }, i, failed = 0;
    pid_t fl[64];
    apr_time_t start;

    for (i = 0; i < f; i++) {
        if ((fl[i] = fork()) == 0) {
            flood_forever(connects);
        }
    }
    usleep(200000);
    start = apr_time_now();
    for (i = 0; i < n; i++) {
        apr_time_t t0 = apr_time_now();
        int fd = guard_broker_ask(&addr, (pid_t)syscall(SYS_gettid),
                                  timeout_ms);

        t[i] = apr_time_now() - t0;
        if (fd < 0) {
            failed++;
            why[errno > 0 && errno < 200 ? errno : 0]++;
        }
        else {
            close(fd);
        }
    }
    report(f, n, failed, why, t, *connects, apr_time_now() - start);
    for (i = 0; i < f; i++) {
        kill(fl[i], SIGKILL);
    }
}

int main(int argc, char **argv)
{
    int f = argc > 1 ? atoi(argv[1]) : 2, n = argc > 2 ? atoi(argv[2]) : 1000;
    int timeout = argc > 3 ? atoi(argv[3]) : 250, fd, st;
    unsigned long *connects = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t broker, child;

    apr_initialize();
    if (f < 0 || f > 64 || n < 1 || n > MAX_ASKS
        || (fd = make_listener()) < 0) {
        fprintf(stderr, "usage: flood [flooders<=64 [asks [timeout_ms]]] "
                "(as root)\n");
        return 2;
    }
    broker = start_broker(fd);
    usleep(100000);
    /* The asker is a child of this "server"; its flooders are not. */
    if ((child = fork()) == 0) {
        asker(f, n, timeout, connects);
        _exit(0);
    }
    waitpid(child, &st, 0);
    kill(broker, SIGKILL);
    waitpid(broker, &st, 0);
    if (path[0]) {
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
