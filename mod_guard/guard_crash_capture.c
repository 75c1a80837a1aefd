/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, what the signal handler records. It copies what the
 * worker's slot already holds into a record of the crash segment, takes a
 * backtrace, and appends a report to a descriptor opened in advance; the
 * handler (mod_guard_crash_signal.c) then lets the process die as it
 * would have.
 *
 * No lock is taken. Backtraces come from glibc's backtrace(), warmed up at
 * child start: glibc then finds libgcc_s's unwinder without its lock, and
 * Debian 12's libgcc_s finds unwind tables with _dl_find_object()
 * (lock-free, async-signal-safe), not dl_iterate_phdr(); its own
 * object_mutex is taken only when some code registered frames by hand
 * (__register_frame_info, JITs). Each address is placed in a module by a
 * table of module ranges read outside the handler (guard_crash_where.h),
 * never by dladdr(), which takes the loader's lock a dlopen() in another
 * thread may hold. Names are looked up later, by the parent and by the
 * pages.
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
#include <execinfo.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "guard_crash_capture.h"
#include "guard_crash_fmt.h"
#include "guard_inspect.h"

#define RAW_FRAMES       (GUARD_CRASH_FRAMES + 8)
#define LINE_MAX_LEN     1024

static int glibc_backtrace(void **frames, int max)
{
    return backtrace(frames, max);
}

void guard_crash_capture_init(guard_crash_ctx_t *cx)
{
    memset(cx, 0, sizeof(*cx));
    cx->child = -1;
    cx->report_fd = -1;
    cx->other_wait_ms = GUARD_CRASH_OTHER_WAIT_MS;
    cx->php.read = guard_inspect_copy;
    cx->backtrace = glibc_backtrace;
    cx->now = guard_crash_capture_now;
}

apr_uint64_t guard_crash_fault_ip(const void *ucv)
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

apr_time_t guard_crash_capture_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The slot's request copy: this thread is its only writer. */
static void copy_context(guard_crash_rec_t *r, const guard_shm_t *shm,
                         const guard_slot_t *sl)
{
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

static void fill_record(const guard_crash_ctx_t *cx, guard_crash_rec_t *r,
                        const guard_crash_event_t *ev, apr_uint32_t flags)
{
    const siginfo_t *si = ev->si;

    memset(r, 0, sizeof(*r));
    r->when = cx->now();
    r->pid = getpid();
    r->tid = ev->tid;
    r->child = cx->child;
    r->thread = -1;
    r->generation = cx->generation;
    r->signo = ev->sig;
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
    r->ip = guard_crash_fault_ip(ev->uc);
    guard_where_locate(cx->where, r->addr, 0, r, &r->addr_at);
    guard_where_locate(cx->where, r->ip, 0, r, &r->ip_at);
    if (ev->slot && cx->shm) {
        copy_context(r, cx->shm, ev->slot);
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

static void report_line(const guard_crash_ctx_t *cx,
                        const guard_crash_rec_t *r, const char *what)
{
    char line[LINE_MAX_LEN];

    write_all(cx->report_fd, line, guard_crash_subline(r, what, line,
                                                       sizeof(line)));
}

/* One frame as module(+offset) [address]: names are the parent's job. */
static void report_frame(const guard_crash_ctx_t *cx,
                         const guard_crash_rec_t *r, int i)
{
    char line[LINE_MAX_LEN];

    write_all(cx->report_fd, line, guard_crash_frame_line(
                  r, i, r->frames[i], guard_crash_module_of(r, &r->at[i]),
                  NULL, r->at[i].offset, line, sizeof(line)));
}

/* Frames from the faulting instruction on, into the record and groups. */
static void add_backtrace(const guard_crash_ctx_t *cx, guard_crash_rec_t *rec,
                          guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    void *raw[RAW_FRAMES];
    int nraw, n, skip, i;

    nraw = cx->backtrace(raw, RAW_FRAMES);
    n = guard_crash_trim_frames(raw, nraw, rec->ip, rec->frames,
                                GUARD_CRASH_FRAMES, &skip);
    rec->nframes = (apr_uint32_t)n;
    for (i = 0; i < n; i++) {
        guard_where_locate(cx->where, rec->frames[i], i > 0, rec,
                           &rec->at[i]);
    }
    rec->signature = guard_crash_where_signature(rec);
    if (slot) {
        guard_crash_add_frames(slot, ticket, rec);
    }
    guard_crash_count_group(cx->crash, rec);
    if (cx->report_fd >= 0 && n > 0) {
        report_line(cx, rec, "backtrace:");
        for (i = 0; i < n; i++) {
            report_frame(cx, rec, i);
        }
    }
}

/* The crashing thread's PHP frames, into the record and the report. In a
 * non-ZTS PHP (the only one the glue admits) the executor globals are the
 * interpreter of this thread. */
static void add_php(const guard_crash_ctx_t *cx, guard_crash_rec_t *rec,
                    guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    guard_php_walk_info_t info;
    int n, i;

    if (!cx->php.eg) {
        return;
    }
    n = guard_php_walk(&cx->php, rec->php, GUARD_CRASH_PHP_FRAMES, &info);
    if (n < 0) {
        report_line(cx, rec, "php: the frames could not be read");
        return;
    }
    rec->nphp = (apr_uint32_t)n;
    rec->flags |= GUARD_CRASHF_PHP;
    if (slot) {
        guard_crash_add_php(slot, ticket, rec->php, n);
    }
    if (n == 0) {
        report_line(cx, rec, "php: no PHP code was running");
    }
    for (i = 0; i < n; i++) {
        char line[LINE_MAX_LEN];

        write_all(cx->report_fd, line, guard_crash_php_line(rec, i, line,
                                                            sizeof(line)));
    }
}

static void minimal_record(const guard_crash_ctx_t *cx,
                           const guard_crash_event_t *ev, apr_uint32_t flags)
{
    guard_crash_rec_t rec, *slot;
    char line[LINE_MAX_LEN];

    fill_record(cx, &rec, ev, flags);
    guard_crash_publish(cx->crash, &rec, &slot);
    write_all(cx->report_fd, line, guard_crash_headline(&rec, line,
                                                        sizeof(line)));
}

static void wait_for_owner(guard_crash_ctx_t *cx)
{
    struct timespec ms = { 0, 1000000 };
    int i;

    for (i = 0; i < cx->other_wait_ms
                && __atomic_load_n(&cx->owner, __ATOMIC_ACQUIRE); i++) {
        nanosleep(&ms, NULL);
    }
}

/* Tests of the time limit only: a capture that never finishes. */
static void hang_for_test(const guard_crash_ctx_t *cx,
                          const guard_crash_rec_t *rec)
{
    if (cx->test_hang) {
        report_line(cx, rec,
                    "test: the handler hangs (GUARD_TEST_CRASH_HANG)");
        for (;;) {
            pause();
        }
    }
}

static guard_capture_e other_thread(guard_crash_ctx_t *cx,
                                    const guard_crash_event_t *ev,
                                    pid_t busy)
{
    int nested = busy == ev->tid;

    minimal_record(cx, ev, nested ? GUARD_CRASHF_NESTED
                                  : GUARD_CRASHF_MINIMAL);
    if (!nested) {
        wait_for_owner(cx);
    }
    return nested ? GUARD_CAPTURE_NESTED : GUARD_CAPTURE_MINIMAL;
}

/* The owner's record: headline first, then frames, PHP and the end. */
static void full_record(guard_crash_ctx_t *cx, const guard_crash_event_t *ev)
{
    guard_crash_rec_t rec, *slot;
    char line[LINE_MAX_LEN];
    apr_uint64_t ticket;

    fill_record(cx, &rec, ev, 0);
    ticket = guard_crash_publish(cx->crash, &rec, &slot);
    cx->limit_slot = slot;
    guard_crash_keep_last(cx->crash, &rec);
    write_all(cx->report_fd, line, guard_crash_headline(&rec, line,
                                                        sizeof(line)));
    hang_for_test(cx, &rec);
    add_backtrace(cx, &rec, slot, ticket);
    add_php(cx, &rec, slot, ticket);
    report_line(cx, &rec, "end of report");
    if (slot) {
        /* One aligned word: readers see the old or the new value. */
        __atomic_store_n(&slot->handler_us, (apr_int64_t)(
                             cx->now() - rec.when), __ATOMIC_RELEASE);
    }
}

guard_capture_e guard_crash_capture(guard_crash_ctx_t *cx,
                                    const guard_crash_event_t *ev)
{
    pid_t busy = 0;

    if (!cx->crash) {
        return GUARD_CAPTURE_NONE;
    }
    if (!__atomic_compare_exchange_n(&cx->owner, &busy, ev->tid, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return other_thread(cx, ev, busy);
    }
    cx->limit_sig = ev->sig;
    if (cx->arm) {
        cx->arm(ev->sig);
    }
    full_record(cx, ev);
    if (cx->disarm) {
        cx->disarm(ev->sig);   /* done: what follows is the action before us */
    }
    return GUARD_CAPTURE_FULL;
}

int guard_crash_capture_limit(guard_crash_ctx_t *cx)
{
    guard_crash_rec_t *slot = cx->limit_slot;

    if (slot) {
        __atomic_fetch_or(&slot->flags, GUARD_CRASHF_LIMIT, __ATOMIC_RELEASE);
    }
    return cx->limit_sig;
}
