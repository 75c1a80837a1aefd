/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, the signal handler. Debian's httpd has no
 * fatal-exception hook, so every child installs its own
 * SA_SIGINFO|SA_ONSTACK handlers for SEGV, BUS, FPE, ILL and ABRT
 * (mod_guard_crash_child.c). The handler copies what the worker's slot
 * already holds into a record of the crash segment, takes a backtrace,
 * appends a report to a descriptor opened in advance, and then lets the
 * process die exactly as it would have: previous action restored, signal
 * re-raised (or the faulting instruction re-run), so httpd's sig_coredump
 * still writes a core where CoreDumpDirectory says and the parent still
 * logs "exit signal".
 *
 * The handler takes no lock. Backtraces come from glibc's backtrace(),
 * warmed up at child start: glibc then finds libgcc_s's unwinder without
 * its lock, and Debian 12's libgcc_s finds unwind tables with
 * _dl_find_object() (lock-free, async-signal-safe), not dl_iterate_phdr();
 * its own object_mutex is taken only when some code registered frames by
 * hand (__register_frame_info, JITs). Each address is placed in a module
 * by a table of module ranges read outside the handler
 * (guard_crash_where.h), never by dladdr(), which takes the loader's lock
 * a dlopen() in another thread may hold. Names are looked up later, by
 * the parent and by the pages. Should the handler still block, a timer
 * armed on entry ends the process with its signal after
 * GUARD_CRASH_HANDLER_LIMIT_S seconds.
 *
 * When the process runs PHP, its frames are walked from the executor
 * globals (guard_stack_php.h) with every load a process_vm_readv() of this
 * process: a pointer the crash left dangling gives a short walk, never a
 * second fault.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "guard_crash.h"
#include "guard_crash_fmt.h"
#include "guard_crash_where.h"
#include "guard_inspect.h"
#include "guard_log.h"
#include "guard_stack_php.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_crash_parent.h"
#include "mod_guard_crash_signal.h"
#include "mod_guard_shm.h"
#include "mod_guard_stack.h"

APLOG_USE_MODULE(guard);

#define RAW_FRAMES       (GUARD_CRASH_FRAMES + 8)
#define LINE_MAX_LEN     1024
/* A second thread crashing waits this long for the first one's report. */
#define OTHER_WAIT_MS    2000

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                     SIGABRT };
#define NSIGNALS ((int)(sizeof(crash_signals) / sizeof(crash_signals[0])))

/* Per child, set at installation, read by the handler. */
static struct sigaction prev_action[NSIGNALS];
static int installed;
static int report_fd = -1;
static pid_t owner;              /* tid of the thread in the handler */
static int test_hang;            /* GUARD_TEST_CRASH_HANG: tests only */

/* Module ranges: written outside the handler, searched inside it. */
static guard_where_t where;
static char exe_path[GUARD_CRASH_MODULE_LEN];
static pthread_mutex_t where_writer = PTHREAD_MUTEX_INITIALIZER;

/* For the time limit's handler: what the owner is crashing of. */
static volatile sig_atomic_t limit_sig;
static guard_crash_rec_t *volatile limit_slot;

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

static apr_uint64_t fault_ip(const void *ucv)
{
    const ucontext_t *uc = ucv;

    if (!uc) {
        return 0;
    }
#if defined(__x86_64__)
    return (apr_uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
    return (apr_uint64_t)uc->uc_mcontext.gregs[REG_EIP];
#elif defined(__aarch64__)
    return (apr_uint64_t)uc->uc_mcontext.pc;
#else
    return 0;
#endif
}

static apr_time_t now_signal_safe(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The slot's request copy: this thread is its only writer. */
static void copy_context(guard_crash_rec_t *r, const guard_slot_t *sl)
{
    guard_shm_t *shm = guard_glue_shm();
    long idx = sl - shm->slots;

    r->child = (apr_int32_t)(idx / (long)shm->thread_limit);
    r->thread = (apr_int32_t)(idx % (long)shm->thread_limit);
    if (sl->req_start != 0 && sl->state == GUARD_WS_BUSY) {
        r->req_start = sl->req_start;
    }
    else if (sl->done_req_start != 0) {
        /* Logged, its pool being destroyed: a cleanup crashed. */
        r->req_start = sl->done_req_start;
        r->flags |= GUARD_CRASHF_REQ_DONE;
    }
    else {
        return;
    }
    r->flags |= GUARD_CRASHF_REQUEST;
    r->elapsed_ms = (r->when - r->req_start) / 1000;
    memcpy(&r->req, &sl->req, sizeof(r->req));
    r->req.method[sizeof(r->req.method) - 1] = '\0';
    r->req.uri[sizeof(r->req.uri) - 1] = '\0';
    r->req.protocol[sizeof(r->req.protocol) - 1] = '\0';
    r->req.vhost[sizeof(r->req.vhost) - 1] = '\0';
    r->req.client[sizeof(r->req.client) - 1] = '\0';
}

static void fill_record(guard_crash_rec_t *r, int sig, const siginfo_t *si,
                        const void *uc, pid_t tid, apr_uint32_t flags)
{
    const guard_slot_t *sl = guard_glue_thread_slot();

    memset(r, 0, sizeof(*r));
    r->when = now_signal_safe();
    r->pid = getpid();
    r->tid = tid;
    r->child = guard_glue_child_index();
    r->thread = -1;
    r->generation = guard_glue_generation();
    r->signo = sig;
    r->si_code = si ? si->si_code : 0;
    r->elapsed_ms = -1;
    r->handler_us = -1;
    r->flags = flags;
    if (si && si->si_code > 0) {
        r->addr = (apr_uint64_t)(apr_uintptr_t)si->si_addr;
    }
    else {
        r->flags |= GUARD_CRASHF_SENT;
    }
    r->ip = fault_ip(uc);
    guard_where_locate(&where, r->addr, 0, r, &r->addr_at);
    guard_where_locate(&where, r->ip, 0, r, &r->ip_at);
    if (sl && guard_glue_shm()) {
        copy_context(r, sl);
    }
    else {
        r->flags |= GUARD_CRASHF_NO_SLOT;
    }
}

static void write_all(int fd, const char *buf, apr_size_t len)
{
    while (fd >= 0 && len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= (apr_size_t)n;
    }
}

static void report_line(const guard_crash_rec_t *r, const char *what)
{
    char line[LINE_MAX_LEN];

    write_all(report_fd, line, guard_crash_subline(r, what, line,
                                                   sizeof(line)));
}

/* One frame as module(+offset) [address]: names are the parent's job. */
static void report_frame(const guard_crash_rec_t *r, int i)
{
    char line[LINE_MAX_LEN];

    write_all(report_fd, line, guard_crash_frame_line(
                  r, i, r->frames[i], guard_crash_module_of(r, &r->at[i]),
                  NULL, r->at[i].offset, line, sizeof(line)));
}

/* Frames from the faulting instruction on, into the record and groups. */
static void add_backtrace(guard_crash_shm_t *c, guard_crash_rec_t *rec,
                          guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    void *raw[RAW_FRAMES];
    int nraw, n, skip, i;

    nraw = backtrace(raw, RAW_FRAMES);
    n = guard_crash_trim_frames(raw, nraw, rec->ip, rec->frames,
                                GUARD_CRASH_FRAMES, &skip);
    rec->nframes = (apr_uint32_t)n;
    for (i = 0; i < n; i++) {
        guard_where_locate(&where, rec->frames[i], i > 0, rec, &rec->at[i]);
    }
    rec->signature = guard_crash_where_signature(rec);
    if (slot) {
        guard_crash_add_frames(slot, ticket, rec);
    }
    guard_crash_count_group(c, rec);
    if (report_fd >= 0 && n > 0) {
        report_line(rec, "backtrace:");
        for (i = 0; i < n; i++) {
            report_frame(rec, i);
        }
    }
}

/* The crashing thread's PHP frames, into the record and the report. In a
 * non-ZTS PHP (the only one guard_glue_php_eg() admits) the executor
 * globals are the interpreter of this thread. */
static void add_php(guard_crash_rec_t *rec, guard_crash_rec_t *slot,
                    apr_uint64_t ticket)
{
    /* Every load a process_vm_readv(getpid()): async-signal-safe. */
    guard_php_walker_t wk = { guard_inspect_copy, NULL, guard_glue_php_eg() };
    guard_php_walk_info_t info;
    int n, i;

    if (!wk.eg) {
        return;
    }
    n = guard_php_walk(&wk, rec->php, GUARD_CRASH_PHP_FRAMES, &info);
    if (n < 0) {
        report_line(rec, "php: the frames could not be read");
        return;
    }
    rec->nphp = (apr_uint32_t)n;
    rec->flags |= GUARD_CRASHF_PHP;
    if (slot) {
        guard_crash_add_php(slot, ticket, rec->php, n);
    }
    if (n == 0) {
        report_line(rec, "php: no PHP code was running");
    }
    for (i = 0; i < n; i++) {
        char line[LINE_MAX_LEN];

        write_all(report_fd, line, guard_crash_php_line(rec, i, line,
                                                        sizeof(line)));
    }
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

static void minimal_record(int sig, const siginfo_t *si, const void *uc,
                           pid_t tid, apr_uint32_t flags)
{
    guard_crash_shm_t *c = guard_glue_crash_shm();
    guard_crash_rec_t rec, *slot;
    char line[LINE_MAX_LEN];

    fill_record(&rec, sig, si, uc, tid, flags);
    guard_crash_publish(c, &rec, &slot);
    write_all(report_fd, line, guard_crash_headline(&rec, line,
                                                    sizeof(line)));
}

static void wait_for_owner(void)
{
    struct timespec ms = { 0, 1000000 };
    int i;

    for (i = 0; i < OTHER_WAIT_MS && __atomic_load_n(&owner,
                                                     __ATOMIC_ACQUIRE); i++) {
        nanosleep(&ms, NULL);
    }
}

/* The time limit's end: the process dies of the crash's own signal, by
 * the action it had before ours (httpd's sig_coredump), else by the
 * default one, else by SIGKILL. */
static void limit_handler(int alrm)
{
    int sig = limit_sig, i = signal_index(sig);
    pid_t tid = guard_glue_gettid();
    guard_crash_rec_t *slot = limit_slot;
    struct sigaction dfl;
    sigset_t set;

    if (slot) {
        __atomic_fetch_or(&slot->flags, GUARD_CRASHF_LIMIT, __ATOMIC_RELEASE);
    }
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

    limit_sig = sig;
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

/* Tests of the time limit only: a handler that never finishes. */
static void hang_for_test(const guard_crash_rec_t *rec)
{
    if (test_hang) {
        report_line(rec, "test: the handler hangs (GUARD_TEST_CRASH_HANG)");
        for (;;) {
            pause();
        }
    }
}

static void other_thread(int sig, siginfo_t *si, void *uc, pid_t tid,
                         pid_t busy)
{
    minimal_record(sig, si, uc, tid, busy == tid ? GUARD_CRASHF_NESTED
                                                 : GUARD_CRASHF_MINIMAL);
    if (busy != tid) {
        wait_for_owner();
    }
    chain(sig, si, tid);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
    guard_crash_shm_t *c = guard_glue_crash_shm();
    int saved_errno = errno;
    pid_t tid = guard_glue_gettid(), busy = 0;
    guard_crash_rec_t rec, *slot;
    char line[LINE_MAX_LEN];
    apr_uint64_t ticket;

    if (!c) {
        chain(sig, si, tid);
        return;
    }
    if (!__atomic_compare_exchange_n(&owner, &busy, tid, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        other_thread(sig, si, uc, tid, busy);
        errno = saved_errno;
        return;
    }
    arm_limit(sig);
    fill_record(&rec, sig, si, uc, tid, 0);
    ticket = guard_crash_publish(c, &rec, &slot);
    limit_slot = slot;
    guard_crash_keep_last(c, &rec);
    write_all(report_fd, line, guard_crash_headline(&rec, line,
                                                    sizeof(line)));
    hang_for_test(&rec);
    add_backtrace(c, &rec, slot, ticket);
    add_php(&rec, slot, ticket);
    report_line(&rec, "end of report");
    if (slot) {
        /* One aligned word: readers see the old or the new value. */
        __atomic_store_n(&slot->handler_us, (apr_int64_t)(
                             now_signal_safe() - rec.when), __ATOMIC_RELEASE);
    }
    alarm(0);   /* done: what follows is the action it had before us */
    chain(sig, si, tid);
    errno = saved_errno;
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

void guard_crash_signal_install(server_rec *s, int fd)
{
    struct sigaction sa;
    int i;

    report_fd = fd;
    test_hang = getenv("GUARD_TEST_CRASH_HANG") != NULL;
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

