/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard-broker: the syscall-file broker's program (guard_broker.h), which
 * httpd's parent executes rather than forks, so that it holds nothing of
 * the parent's memory (modules, keys). Called as
 *     guard-broker <server pid>
 * with the listening socket as fd 3. It confines itself, then serves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "guard_broker.h"
#include "guard_broker_sandbox.h"

static void reset_signals(void)
{
    sigset_t none;
    int sig;

    /* Dispositions ignored by httpd's parent survive exec. */
    for (sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Files: procfs only, by its root where it may change it and by Landlock
 * where the kernel has it; then no capability, then seccomp. */
static int confine(guard_broker_cfg_t *cfg)
{
    /* The loop accepts until none is left (and fcntl is not allowed). */
    if (fcntl(cfg->listen_fd, F_SETFL, O_NONBLOCK) != 0) {
        return -1;
    }
    if (chroot("/proc") == 0 && chdir("/") == 0) {
        cfg->proc = "";
    }
    if (guard_broker_confine() != 0
        || guard_broker_landlock(cfg->proc[0] ? cfg->proc : "/") < 0
        || guard_broker_seccomp() != 0) {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static volatile sig_atomic_t never;
    guard_broker_cfg_t cfg = { GUARD_BROKER_LISTEN_FD, 0, "/proc" };
    char *end;
    long server;

    if (argc != 2) {
        return GUARD_BROKER_EXIT_CONFINE;
    }
    errno = 0;
    server = strtol(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || server <= 1) {
        return GUARD_BROKER_EXIT_CONFINE;
    }
    cfg.server_pid = (pid_t)server;
    reset_signals();
    /* Dies with the parent; exits if the parent is gone already. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != cfg.server_pid) {
        return 0;
    }
    if (confine(&cfg) != 0) {
        return GUARD_BROKER_EXIT_CONFINE;
    }
    guard_broker_serve(&cfg, &never);
    /* No atexit work: it could make calls outside the allow-list. */
    _exit(0);
}
