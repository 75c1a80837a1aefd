/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a thread of this process is doing, from /proc/self and its fds.
 * Linux only (elsewhere it reports "unknown"). Called by the watchdog
 * thread: no malloc, no locks, no stdio; only syscalls on stack buffers.
 */
#ifndef GUARD_INSPECT_H
#define GUARD_INSPECT_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"
#include "guard_proc.h"
#include "guard_sysfd.h"

/* 1 where threads are inspected (Linux with process_vm_readv); elsewhere,
 * or configured with --disable-proc-inspection, every wait is "unknown".
 * Read guard_config.h first (not from here: httpd's headers define some of
 * its names too); guard_inspect_live() tells at run time. */
#if defined(__linux__) && defined(HAVE_PROCESS_VM_READV)
#define GUARD_INSPECT_LIVE 1
#else
#define GUARD_INSPECT_LIVE 0
#endif

typedef struct {
    const int *listen_fds;        /* the server's listening sockets at
                                   * child start (informative: a listener
                                   * is recognized by SO_ACCEPTCONN) */
    int nlisten;
    const guard_slot_t *slots;    /* this child's slots: their client_fd */
    int nslots;
    long clk_tck;                 /* sysconf(_SC_CLK_TCK) */
    /* Optional: 1 when the MPM says thread t of this child serves no
     * connection now; its slot's client_fd is then stale (the fd number
     * may already be a backend socket). */
    int (*thread_released)(void *baton, int child, int thread);
    void *baton;
    int child;
    /* The kept syscall files of this child's threads (NULL: each sample
     * opens /proc/self/task/<tid>/syscall, which only a dumpable or
     * privileged process can). */
    guard_sysfd_t *sysfd;
    /* The server's parent process (its other children are processes of
     * this server: guard_wait_server_peer); 0: none known. */
    pid_t server_pid;
} guard_inspect_ctx_t;

/** GUARD_INSPECT_LIVE as the inspector was built. */
int guard_inspect_live(void);

/** What the thread to sample is doing in its request. */
typedef struct {
    pid_t tid;
    int thread;                   /* its slot in the child (for sysfd) */
    int client_fd;                /* its own connection; -1 */
    apr_int64_t cpu_start_us;     /* thread CPU at request start; -1 */
    apr_time_t req_start;
    /* Optional out: the syscall file's line as read (running, or nr, sp
     * and pc of the blocked thread: where a native unwind starts);
     * line->nr is -2 when it could not be read. */
    guard_syscall_line_t *line;
} guard_inspect_req_t;

/**
 * Sample one thread: read its syscall and stat files, resolve the fds it
 * waits on and classify. Fills w with since = sampled = now.
 * @return 0, or -1 when the thread's files cannot be read (w->kind is then
 *         GUARD_WAIT_UNKNOWN).
 */
int guard_inspect_thread(const guard_inspect_ctx_t *ctx,
                         const guard_inspect_req_t *req, apr_time_t now,
                         guard_wait_t *w);

/**
 * Copy len bytes at addr of this process with process_vm_readv: -1 (never
 * a fault) where the memory is not mapped. A guard_mem_read_fn.
 */
int guard_inspect_copy(void *baton, apr_uint64_t addr, void *buf,
                       apr_size_t len);

/** A thread's schedstat file, kept open. */
typedef struct {
    pid_t tid;                    /* 0: none */
    int fd;                       /* -1: none */
} guard_runfd_t;

/**
 * Thread tid's run time in ns (schedstat), -1 when unreadable. k keeps the
 * file open; a new tid opens anew, a failed read (the thread is gone)
 * closes it.
 */
apr_int64_t guard_inspect_run_ns(guard_runfd_t *k, pid_t tid);

void guard_inspect_runfd_close(guard_runfd_t *k);

#endif
