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
 * Backtraces come from glibc's backtrace(): no extra library, and its
 * unwinder (libgcc_s) steps through the kernel's signal frame. Each frame
 * is named with dladdr(), as backtrace_symbols_fd() does, but written as a
 * line of the report with the crash's tag, so that the lines of children
 * crashing together in one error log can be told apart.
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
#include <dlfcn.h>
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

/* One frame named as backtrace_symbols_fd() would (dladdr), tagged. */
static void report_frame(const guard_crash_rec_t *r, int i, apr_uint64_t pc)
{
    char line[LINE_MAX_LEN];
    Dl_info info;
    const char *module = NULL, *function = NULL;
    apr_uint64_t off = 0;

    if (dladdr((void *)(apr_uintptr_t)pc, &info) && info.dli_fname) {
        module = info.dli_fname;
        function = info.dli_sname;
        off = pc - (apr_uint64_t)(apr_uintptr_t)(function && info.dli_saddr
                                                 ? info.dli_saddr
                                                 : info.dli_fbase);
    }
    write_all(report_fd, line, guard_crash_frame_line(r, i, pc, module,
                                                      function, off, line,
                                                      sizeof(line)));
}

/* Frames from the faulting instruction on, into the record and groups. */
static void add_backtrace(guard_crash_shm_t *c, guard_crash_rec_t *rec,
                          guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    void *raw[RAW_FRAMES];
    apr_uint64_t frames[GUARD_CRASH_FRAMES];
    int nraw, n, skip, i;

    nraw = backtrace(raw, RAW_FRAMES);
    n = guard_crash_trim_frames(raw, nraw, rec->ip, frames,
                                GUARD_CRASH_FRAMES, &skip);
    rec->signature = guard_crash_signature(rec->signo, frames, n);
    if (slot) {
        guard_crash_add_frames(slot, ticket, frames, n, rec->signature);
    }
    guard_crash_count_group(c, rec->signature, rec, frames, n);
    if (report_fd >= 0 && n > 0) {
        report_line(rec, "backtrace:");
        for (i = 0; i < n; i++) {
            report_frame(rec, i, frames[i]);
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
        minimal_record(sig, si, uc, tid, busy == tid ? GUARD_CRASHF_NESTED
                                                     : GUARD_CRASHF_MINIMAL);
        if (busy != tid) {
            wait_for_owner();
        }
        chain(sig, si, tid);
        errno = saved_errno;
        return;
    }
    fill_record(&rec, sig, si, uc, tid, 0);
    ticket = guard_crash_publish(c, &rec, &slot);
    guard_crash_keep_last(c, &rec);
    write_all(report_fd, line, guard_crash_headline(&rec, line,
                                                    sizeof(line)));
    add_backtrace(c, &rec, slot, ticket);
    add_php(&rec, slot, ticket);
    report_line(&rec, "end of report");
    if (slot) {
        /* One aligned word: readers see the old or the new value. */
        __atomic_store_n(&slot->handler_us, (apr_int64_t)(
                             now_signal_safe() - rec.when), __ATOMIC_RELEASE);
    }
    chain(sig, si, tid);
    errno = saved_errno;
}

void guard_crash_signal_install(server_rec *s, int fd)
{
    struct sigaction sa;
    int i;

    report_fd = fd;
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

