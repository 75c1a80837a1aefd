/*
 * Crash capture. Debian's httpd has no fatal-exception hook, so every
 * child installs its own SA_SIGINFO|SA_ONSTACK handlers for SEGV, BUS,
 * FPE, ILL and ABRT. The handler copies what the worker's slot already
 * holds into a record of the crash segment, takes a backtrace, appends a
 * report to a descriptor opened in advance, and then lets the process die
 * exactly as it would have: previous action restored, signal re-raised (or
 * the faulting instruction re-run), so httpd's sig_coredump still writes a
 * core where CoreDumpDirectory says and the parent still logs "exit
 * signal". The parent joins that exit with the record in one log line.
 *
 * Backtraces come from glibc's backtrace(): no extra library, and its
 * unwinder (libgcc_s) steps through the kernel's signal frame. Its first
 * call dlopens libgcc_s with malloc, so child_init calls it once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "scoreboard.h"
#include "apr_shm.h"
#include "guard_crash.h"
#include "guard_crash_fmt.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_config.h"
#include "mod_guard_crash.h"
#include "mod_guard_retained.h"
#include "mod_guard_shm.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY     "mod_guard-crash"
#define RAW_FRAMES       (GUARD_CRASH_FRAMES + 8)
#define LINE_MAX_LEN     1024
#define STORM_PER_MINUTE 10
/* A second thread crashing waits this long for the first one's report. */
#define OTHER_WAIT_MS    2000

typedef struct {
    guard_segment_t seg;
    guard_crash_shm_t view;
} crash_retained_t;

static crash_retained_t *retained;

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                     SIGABRT };
#define NSIGNALS ((int)(sizeof(crash_signals) / sizeof(crash_signals[0])))

/* Per child, set in child_init, read by the handler. */
static struct sigaction prev_action[NSIGNALS];
static int installed;
static int report_fd = -1;       /* inherited from the parent */
static pid_t owner;              /* tid of the thread in the handler */

guard_crash_shm_t *guard_glue_crash_shm(void)
{
    return retained && retained->seg.ready ? &retained->view : NULL;
}

/* ------------------------------------------------------------ the parent */

static int server_limit(void)
{
    int v = 0;

    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &v) != APR_SUCCESS || v < 1) {
        return 1;
    }
    return v;
}

typedef struct {
    server_rec *s;
    int cap;
    guard_crash_hdr_t old;        /* of a segment dropped: totals carry */
} crash_want_t;

static int segment_fits(const void *base, apr_size_t size, void *baton)
{
    const crash_want_t *w = baton;

    return guard_crash_shm_matches(base, size, w->cap, server_limit());
}

/* A new GuardCrashHistory makes a new ring; the totals carry over. */
static void segment_dropped(const void *base, void *baton)
{
    crash_want_t *w = baton;

    memcpy(&w->old, base, sizeof(w->old));
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, w->s, GRD_CRASH_SHM
                 ": GuardCrashHistory or ServerLimit changed: earlier crash "
                 "records dropped, counts kept");
}

static const guard_segment_ops_t segment_ops = { segment_fits,
                                                 segment_dropped };

static void carry_totals(guard_crash_hdr_t *to, const guard_crash_hdr_t *from)
{
    int i;

    if (from->magic != GUARD_CRASH_MAGIC) {
        return;
    }
    to->next = from->next;
    for (i = 0; i < GUARD_CSIG_MAX; i++) {
        to->by_signal[i] = from->by_signal[i];
    }
}

/* Reports go to a descriptor children inherit: the file of GuardCrashLog,
 * or stderr, which httpd points at the main error log. */
static int open_report_fd(apr_pool_t *pconf, server_rec *s)
{
    const char *path = guard_conf_crash_log(s);
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv;

    if (!path) {
        return STDERR_FILENO;
    }
    if (!*path) {
        return -1;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_APPEND, APR_FPROT_UREAD | APR_FPROT_UWRITE
                       | APR_FPROT_GREAD, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GRD_CRASH_SETUP
                     ": GuardCrashLog: cannot open \"%s\": reports go to "
                     "the error log", path);
        return STDERR_FILENO;
    }
    apr_os_file_get(&fd, f);
    return fd;
}

/* A segment made new is initialised, and takes the totals of the one it
 * replaces. */
static apr_status_t get_segment(server_rec *s, int cap)
{
    apr_size_t size = guard_crash_shm_size(cap, server_limit());
    crash_want_t w;
    apr_status_t rv;
    void *base;
    int kept;

    memset(&w, 0, sizeof(w));
    w.s = s;
    w.cap = cap;
    rv = guard_glue_segment_get(&retained->seg, size, s->process->pool,
                                &segment_ops, &w, &kept);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, GRD_CRASH_SHM
                     ": cannot create %" APR_SIZE_T_FMT " bytes of shared "
                     "memory for crash records: crashes are not recorded",
                     size);
        return rv;
    }
    if (!kept) {
        base = guard_glue_segment_base(&retained->seg);
        guard_crash_shm_init(base, cap, server_limit(), apr_time_now());
        guard_crash_shm_attach(&retained->view, base);
        carry_totals(retained->view.hdr, &w.old);
    }
    return APR_SUCCESS;
}

static int crash_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    if (get_segment(s, guard_conf_crash_history(s)) != APR_SUCCESS) {
        return OK;
    }
    retained->seg.ready = 1;
    report_fd = open_report_fd(pconf, s);
    return OK;
}

static apr_uint64_t requests_of_child(int child)
{
    guard_shm_t *shm = guard_glue_shm();
    apr_uint64_t n = 0;
    int t;

    for (t = 0; shm && child < (int)shm->hdr->server_limit
                && t < (int)shm->hdr->thread_limit; t++) {
        n += guard_shm_slot(shm, child, t)->requests;
    }
    return n;
}

static void log_crash(server_rec *s, const guard_crash_rec_t *r)
{
    char sig[96];
    guard_cbuf_t b;

    guard_cbuf_init(&b, sig, sizeof(sig));
    guard_cbuf_signal(&b, r->signo, r->si_code);
    if (!(r->flags & GUARD_CRASHF_REQUEST)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_CRASH_EXIT
                     ": child pid %d (slot %d) died: crash %" APR_UINT64_T_FMT
                     ": %s at 0x%" APR_UINT64_T_HEX_FMT " in thread %d, no "
                     "request", r->pid, r->child, r->id, sig, r->addr,
                     r->tid);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_CRASH_EXIT
                 ": child pid %d (slot %d) died: crash %" APR_UINT64_T_FMT
                 ": %s at 0x%" APR_UINT64_T_HEX_FMT " in thread %d serving "
                 "\"%.*s %.*s\" vhost \"%.*s\" client \"%.*s\" for %"
                 APR_INT64_T_FMT " ms", r->pid, r->child, r->id, sig,
                 r->addr, r->tid,
                 (int)sizeof(r->req.method), r->req.method,
                 (int)sizeof(r->req.uri), r->req.uri,
                 (int)sizeof(r->req.vhost), r->req.vhost,
                 (int)sizeof(r->req.client), r->req.client, r->elapsed_ms);
}

/* Records the process left, logged once each (the process is gone, so
 * nothing more will come from it). Returns how many; *signo the first's. */
/* The crash the process kept in its child slot, and any other records it
 * left in the ring (other threads crashing at the same time), logged once
 * each: the process is gone, nothing more comes from it. Returns how many;
 * *signo is the first one's signal. */
static apr_uint32_t log_records_of(server_rec *s, guard_crash_shm_t *c,
                                   int slot, pid_t pid, apr_time_t since,
                                   int *signo)
{
    apr_uint64_t next = guard_crash_total(c), t, first = 0;
    apr_uint64_t cap = c->hdr->capacity;
    guard_crash_rec_t r;
    apr_uint32_t n = 0;

    *signo = 0;
    if (guard_crash_last_of(c, slot, pid, &r) && r.when >= since) {
        log_crash(s, &r);
        *signo = r.signo;
        first = r.id;
        n++;
    }
    for (t = next > cap ? next - cap : 0; t < next; t++) {
        if (guard_crash_read(c, t, &r) != 0 && r.pid == pid
            && (r.child == slot || r.child < 0)
            && r.when >= since && r.id != first) {
            log_crash(s, &r);
            if (!n++) {
                *signo = r.signo;
            }
        }
    }
    return n;
}

/* Crashes of the last minute, as far as the ring reaches. */
static void track_rate(server_rec *s, guard_crash_shm_t *c, apr_time_t now)
{
    apr_uint64_t next = guard_crash_total(c), cap = c->hdr->capacity, k;
    guard_crash_rec_t r;
    apr_uint32_t n = 0;

    for (k = 0; k < next && k < cap; k++) {
        int got = guard_crash_read(c, next - 1 - k, &r);

        if (got != 0 && r.when < now - apr_time_from_sec(60)) {
            break;
        }
        n += got != 0;
    }
    c->hdr->rate_1m = n;
    if (n >= STORM_PER_MINUTE
        && now - c->hdr->storm_logged >= apr_time_from_sec(60)) {
        c->hdr->storm_logged = now;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, GRD_CRASH_STORM
                     ": %u crashes in the last minute (%" APR_UINT64_T_FMT
                     " in all): see /guard-status", n, next);
    }
}

static void child_ended(server_rec *s, guard_crash_shm_t *c, int slot,
                        pid_t pid)
{
    guard_proc_rec_t *p = guard_crash_proc_find(c, slot, pid);
    apr_time_t now = apr_time_now();
    apr_uint32_t n;
    int signo;

    if (p && p->end != GUARD_PROC_RUNNING) {
        return;   /* told twice */
    }
    n = log_records_of(s, c, slot, pid,
                       p ? guard_crash_proc_since(c, p) : 0, &signo);
    if (p) {
        guard_crash_proc_end(p, now, n ? GUARD_PROC_CRASHED : GUARD_PROC_EXITED,
                             signo, n, requests_of_child(slot)
                                       - p->requests_base);
    }
    if (n) {
        track_rate(s, c, now);
    }
}

static void crash_child_status(server_rec *s, pid_t pid, ap_generation_t gen,
                               int slot, mpm_child_status state)
{
    guard_crash_shm_t *c = guard_glue_crash_shm();

    if (!c || slot < 0) {
        return;
    }
    if (state == MPM_CHILD_STARTED) {
        guard_crash_proc_start(c, slot, pid, (apr_uint32_t)gen,
                               apr_time_now(), requests_of_child(slot));
        return;
    }
    child_ended(s, c, slot, pid);
}

/* ------------------------------------------------------- the handler */

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

    r->child = (apr_int32_t)(idx / (long)shm->hdr->thread_limit);
    r->thread = (apr_int32_t)(idx % (long)shm->hdr->thread_limit);
    if (sl->req_start == 0 || sl->state != GUARD_WS_BUSY) {
        return;
    }
    r->flags |= GUARD_CRASHF_REQUEST;
    r->req_start = sl->req_start;
    r->elapsed_ms = (r->when - sl->req_start) / 1000;
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

/* Frames from the faulting instruction on, into the record and groups. */
static void add_backtrace(guard_crash_shm_t *c, guard_crash_rec_t *rec,
                          guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    void *raw[RAW_FRAMES];
    apr_uint64_t frames[GUARD_CRASH_FRAMES];
    int nraw, n, skip;

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
        backtrace_symbols_fd(raw + skip, n, report_fd);
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
    report_line(&rec, "end of report");
    if (slot) {
        /* One aligned word: readers see the old or the new value. */
        __atomic_store_n(&slot->handler_us, (apr_int64_t)(
                             now_signal_safe() - rec.when), __ATOMIC_RELEASE);
    }
    chain(sig, si, tid);
    errno = saved_errno;
}

/* ------------------------------------------------------- the child */

/* The first backtrace() dlopens libgcc_s with malloc; the first
 * backtrace_symbols_fd() binds its symbols: both here, not in a handler. */
static void warm_up(void)
{
    void *b[4];
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int n = backtrace(b, 4);

    if (fd >= 0) {
        backtrace_symbols_fd(b, n, fd);
        close(fd);
    }
}

static apr_status_t restore_actions(void *data)
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

static void crash_child_init(apr_pool_t *pchild, server_rec *s)
{
    struct sigaction sa;
    int i;

    if (!guard_glue_crash_shm()) {
        return;
    }
    warm_up();
    guard_glue_thread_setup();   /* prefork's worker is this thread */
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
    apr_pool_cleanup_register(pchild, NULL, restore_actions,
                              apr_pool_cleanup_null);
}

void guard_crash_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(crash_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_guard_child.c's (GUARD_HOOK_CHILD_FIRST): the handler
     * records the child's index found there. */
    ap_hook_child_init(crash_child_init, NULL, NULL, APR_HOOK_LAST);
    ap_hook_child_status(crash_child_status, NULL, NULL, APR_HOOK_MIDDLE);
}
