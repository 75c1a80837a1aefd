/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Child and thread identity for the rest of the glue: which child this
 * is (found once, before any other child_init of mod_guard runs), which
 * slot and tid the calling thread has, and what every thread sets up once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "ap_mpm.h"
#include "scoreboard.h"
#include "mod_guard.h"
#include "mod_guard_child.h"
#include "mod_guard_shm.h"
#include "guard_seq.h"

#define ALTSTACK_SIZE (64 * 1024)
/* The parent writes a new child's pid into the scoreboard right after
 * fork(); the child may look first: up to this many 1 ms tries. */
#define FIND_TRIES 2000

/* Per thread, for life: a worker keeps its scoreboard index in every MPM.
 * Initial-exec TLS: a plain %fs-relative load instead of a __tls_get_addr
 * call in every hook (a few bytes of glibc's static TLS reserve, which
 * exists for modules like this one), and safe in a signal handler. The
 * hooks read it inline (mod_guard_child.h); only this file writes it. */
__thread guard_thread_self_t guard_thread_self
    __attribute__((tls_model("initial-exec")));
#define self guard_thread_self

/* Per child, set in child_init. */
static int child_index = -1;
/* Its destructor runs when a thread that has been set up exits: threads
 * of mod_http2 come and go (H2MaxWorkerIdleSeconds). */
static pthread_key_t exit_key;
static int exit_key_ok;
static pid_t child_pid;
static apr_uint32_t generation;

int guard_glue_child_index(void)
{
    return child_index;
}

pid_t guard_glue_child_pid(void)
{
    return child_pid;
}

apr_uint32_t guard_glue_generation(void)
{
    return generation;
}

pid_t guard_glue_gettid(void)
{
#ifdef SYS_gettid
    return (pid_t)syscall(SYS_gettid);
#else
    return getpid();
#endif
}

/* Mapped once with a guard page below and kept for the thread's life. */
static void ensure_altstack(void)
{
    stack_t ss, old;
    long page = sysconf(_SC_PAGESIZE);
    char *mem;

    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)
        && old.ss_size >= ALTSTACK_SIZE) {
        return;   /* someone gave this thread one already */
    }
    mem = mmap(NULL, ALTSTACK_SIZE + page, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED) {
        return;
    }
    mprotect(mem, page, PROT_NONE);
    ss.ss_sp = mem + page;
    ss.ss_size = ALTSTACK_SIZE;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE + page);
        return;
    }
    self.altstack = mem;
}

/* A thread that exits gives back its HTTP/2 slot and its alternate
 * stack (the threads of the MPM leave theirs to the parent, who clears a
 * child's slots once it is gone). */
static void thread_exits(void *unused)
{
    stack_t ss;

    if (self.slot && self.slot->kind == GUARD_SLOT_H2) {
        guard_h2_slot_leave(self.slot);
        self.slot = NULL;
    }
    if (self.altstack) {
        memset(&ss, 0, sizeof(ss));
        ss.ss_flags = SS_DISABLE;
        if (sigaltstack(&ss, NULL) == 0) {
            munmap(self.altstack, ALTSTACK_SIZE + sysconf(_SC_PAGESIZE));
        }
        self.altstack = NULL;
    }
}

void guard_glue_thread_setup(void)
{
    if (!self.setup) {
        self.setup = 1;
        ensure_altstack();
        if (exit_key_ok) {
            pthread_setspecific(exit_key, &self);
        }
    }
}

/* The slot of the worker serving c: its place in the scoreboard, whose
 * rows are the MPM's ThreadLimit long (the slots' rows go on with
 * mod_http2's workers). */
static guard_slot_t *lookup_slot(conn_rec *c)
{
    guard_shm_t *shm = guard_glue_shm();
    worker_score *ws;
    long idx;

    if (!shm || !c->sbh || !ap_scoreboard_image || shm->h2_first < 1) {
        return NULL;
    }
    ws = ap_get_scoreboard_worker(c->sbh);
    if (!ws) {
        return NULL;
    }
    idx = (long)(ws - ap_scoreboard_image->servers[0]);
    return guard_shm_slot(shm, (int)(idx / shm->h2_first),
                          (int)(idx % shm->h2_first));
}

/* A mod_http2 worker's first stream: a slot of the child's HTTP/2 ones,
 * for as long as the thread lives. */
static guard_slot_t *claim_h2_slot(void)
{
    guard_shm_t *shm = guard_glue_shm();

    if (!shm || child_index < 0 || !exit_key_ok) {
        return NULL;
    }
    self.tid = guard_glue_gettid();
    self.slot = guard_h2_slot_claim(shm, child_index, child_pid, self.tid,
                                    generation);
    return self.slot;
}

/* The thread's first connection: its slot, which says from now on which
 * process and thread it is. */
static guard_slot_t *claim_slot(conn_rec *c)
{
    guard_slot_t *s = lookup_slot(c);

    if (!s) {
        return NULL;
    }
    self.tid = guard_glue_gettid();
    guard_seq_write_begin(&s->seq);
    s->pid = child_pid;
    s->tid = self.tid;
    s->generation = generation;
    guard_seq_write_end(&s->seq);
    self.slot = s;
    return s;
}

/* Every thread that serves connections, those that are not a worker's
 * own included, is set up at its first (guard_glue_thread_enter, inline,
 * comes here while the thread has no slot). */
guard_slot_t *guard_glue_thread_claim(conn_rec *c)
{
    guard_glue_thread_setup();
    if (c->outgoing) {
        return NULL;
    }
    if (self.slot) {
        return self.slot;
    }
    return c->master ? claim_h2_slot() : claim_slot(c);
}

/* mod_http2's workers have no scoreboard entry: their slot alone says. */
static int h2_thread(int thread)
{
    guard_shm_t *shm = guard_glue_shm();

    return shm && thread >= shm->h2_first;
}

int guard_glue_thread_released(void *baton, int child, int thread)
{
    worker_score *ws;

    if (!ap_scoreboard_image || h2_thread(thread)) {
        return 0;
    }
    ws = ap_get_scoreboard_worker_from_indexes(child, thread);
    return ws && (ws->status == SERVER_READY || ws->status == SERVER_DEAD
                  || ws->status == SERVER_STARTING
                  || ws->status == SERVER_IDLE_KILL);
}

int guard_glue_thread_gone(void *baton, int child, int thread, int busy)
{
    worker_score *ws;

    if (!ap_scoreboard_image || h2_thread(thread)) {
        return 0;
    }
    ws = ap_get_scoreboard_worker_from_indexes(child, thread);
    return ws && (ws->status == SERVER_DEAD
                  || (!busy && ws->status == SERVER_GRACEFUL));
}

static int find_child_index(void)
{
    int i, tries, limit = 0;

    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit) != APR_SUCCESS) {
        limit = 0;
    }
    for (tries = 0; tries < FIND_TRIES && ap_scoreboard_image; tries++) {
        for (i = 0; i < limit; i++) {
            if (ap_scoreboard_image->parent[i].pid == child_pid) {
                return i;
            }
        }
        apr_sleep(apr_time_from_msec(1));
    }
    return -1;
}

static void guard_identity_child_init(apr_pool_t *pchild, server_rec *s)
{
    int gen = 0;

    child_pid = getpid();
    ap_mpm_query(AP_MPMQ_GENERATION, &gen);
    generation = (apr_uint32_t)gen;
    child_index = find_child_index();
    exit_key_ok = pthread_key_create(&exit_key, thread_exits) == 0;
}

void guard_child_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(guard_identity_child_init, NULL, NULL,
                       GUARD_HOOK_CHILD_FIRST);
}
