/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, the signal handler. Debian's httpd has no
 * fatal-exception hook, so every child installs its own
 * SA_SIGINFO|SA_ONSTACK handlers for SEGV, BUS, FPE, ILL and ABRT
 * (mod_guard_crash_child.c). The handler hands the crash to
 * guard_crash_capture.c, which records it, and then lets the process die
 * exactly as it would have: previous action restored, signal re-raised
 * (or the faulting instruction re-run), so httpd's sig_coredump still
 * writes a core where CoreDumpDirectory says and the parent still logs
 * "exit signal". Should the capture still block, a timer armed on entry
 * ends the process with its signal after GUARD_CRASH_HANDLER_LIMIT_S
 * seconds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "guard_crash.h"
#include "guard_crash_capture.h"
#include "guard_crash_where.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"
#include "mod_guard_shm.h"
#include "mod_guard_stack.h"

APLOG_USE_MODULE(guard);

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                     SIGABRT };
#define NSIGNALS ((int)(sizeof(crash_signals) / sizeof(crash_signals[0])))

/* Per child, set at installation, read by the handler. */
static struct sigaction prev_action[NSIGNALS];
static int installed;
static guard_crash_ctx_t capture;

/* Module ranges: written outside the handler, searched inside it. */
static guard_where_t where;
static char exe_path[GUARD_CRASH_MODULE_LEN];
static pthread_mutex_t where_writer = PTHREAD_MUTEX_INITIALIZER;

static int signal_index(int sig)
{
    int i;

    for (i = 0; i < NSIGNALS; i++) {
        if (crash_signals[i] == sig) {
            return i;
        }
    }
    return -1;
}

/* Let the process die as it would have without us. */
static void chain(int sig, const siginfo_t *si, pid_t tid)
{
    int i = signal_index(sig);

    if (i >= 0) {
        sigaction(sig, &prev_action[i], NULL);
    }
    if (si && si->si_code > 0) {
        return;   /* a fault: the instruction runs again and faults again */
    }
    /* Blocked while we are in the handler: taken as soon as it returns. */
    syscall(SYS_tgkill, getpid(), tid, sig);
}

/* The time limit's end: the process dies of the crash's own signal, by
 * the action it had before ours (httpd's sig_coredump), else by the
 * default one, else by SIGKILL. */
static void limit_handler(int alrm)
{
    int sig = guard_crash_capture_limit(&capture), i = signal_index(sig);
    pid_t tid = guard_glue_gettid();
    struct sigaction dfl;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, sig);
    if (i >= 0) {
        sigaction(sig, &prev_action[i], NULL);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        syscall(SYS_tgkill, getpid(), tid, sig);
    }
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    syscall(SYS_tgkill, getpid(), tid, sig);
    syscall(SYS_tgkill, getpid(), tid, SIGKILL);
}

/* On entry of the owner: SIGALRM ours and open in this thread (event's
 * workers block it), the alarm set. */
static void arm_limit(int sig)
{
    struct sigaction sa;
    sigset_t set;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = limit_handler;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    alarm(GUARD_CRASH_HANDLER_LIMIT_S);
}

static void disarm_limit(int sig)
{
    alarm(0);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    guard_crash_event_t ev;

    ev.sig = sig;
    ev.si = si;
    ev.uc = uc;
    ev.tid = guard_glue_gettid();
    ev.slot = guard_glue_thread_slot();
    guard_crash_capture(&capture, &ev);
    chain(sig, si, ev.tid);
    errno = saved_errno;
}

/* What the capture reads, all of it fixed once the child has started. */
static void capture_setup(int fd)
{
    guard_crash_capture_init(&capture);
    capture.crash = guard_glue_crash_shm();
    capture.shm = guard_glue_shm();
    capture.where = &where;
    capture.child = guard_glue_child_index();
    capture.generation = guard_glue_generation();
    capture.report_fd = fd;
    capture.test_hang = getenv("GUARD_TEST_CRASH_HANG") != NULL;
    capture.php.baton = NULL;
    capture.php.eg = guard_glue_php_eg();
    capture.arm = arm_limit;
    capture.disarm = disarm_limit;
}

void guard_crash_signal_where(int only_if_stale)
{
    /* One writer at a time; a busy one reads the same news. */
    if (pthread_mutex_trylock(&where_writer) != 0) {
        return;
    }
    if (!exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", exe_path,
                             sizeof(exe_path) - 1);

        exe_path[n > 0 ? n : 0] = '\0';
    }
    if (!only_if_stale || guard_where_stale(&where)) {
        guard_where_refresh(&where, exe_path);
    }
    pthread_mutex_unlock(&where_writer);
}

const guard_where_t *guard_crash_signal_where_table(void)
{
    guard_crash_signal_where(1);
    return &where;
}

void guard_crash_signal_install(server_rec *s, int fd)
{
    struct sigaction sa;
    int i;

    capture_setup(fd);
    guard_crash_signal_where(0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < NSIGNALS; i++) {
        if (sigaction(crash_signals[i], &sa, &prev_action[i]) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, GRD_CRASH_SETUP
                         ": cannot install the crash handler for signal %d",
                         crash_signals[i]);
        }
    }
    installed = 1;
}

apr_status_t guard_crash_signal_restore(void *data)
{
    int i;

    if (installed) {
        for (i = 0; i < NSIGNALS; i++) {
            sigaction(crash_signals[i], &prev_action[i], NULL);
        }
        installed = 0;
    }
    return APR_SUCCESS;
}

