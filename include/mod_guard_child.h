/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling: this child's index in the scoreboard, its generation,
 * the calling thread's slot and tid, and what each thread sets up once.
 * httpd glue shared by the request, crash, watchdog and status glue.
 */
#ifndef MOD_GUARD_CHILD_H
#define MOD_GUARD_CHILD_H

#include <sys/types.h>
#include "httpd.h"
#include "guard_shm.h"

/**
 * The order of this file's child_init: before every other child_init of
 * mod_guard (the request hooks' one is APR_HOOK_REALLY_FIRST), which read
 * the child's index and generation from it.
 */
#define GUARD_HOOK_CHILD_FIRST (APR_HOOK_REALLY_FIRST - 1)

/** This child's slot in the scoreboard, or -1 when it was not found. */
int guard_glue_child_index(void);

/** This child's pid, read once in child_init. */
pid_t guard_glue_child_pid(void);

/** This child's generation. */
apr_uint32_t guard_glue_generation(void);

/** The calling thread's tid: one system call, async-signal-safe. */
pid_t guard_glue_gettid(void);

/**
 * Once per thread, at the first call in it (later calls return at once):
 * its own alternate signal stack, so that the crash handler catches a
 * stack overflow too. Threads do not inherit one.
 */
void guard_glue_thread_setup(void);

/**
 * Per thread, for life (mod_guard_child.c writes it): the thread's slot,
 * the tid written into it, whether guard_glue_thread_setup has run, the
 * alternate signal stack mapped for it. Initial-exec TLS, read inline by
 * the hooks below: one %fs-relative load, no call.
 */
typedef struct {
    guard_slot_t *slot;
    pid_t tid;
    int setup;                    /* guard_glue_thread_setup has run */
    char *altstack;               /* mapped for the thread, or NULL */
} guard_thread_self_t;

extern __thread guard_thread_self_t guard_thread_self
    __attribute__((tls_model("initial-exec")));

/**
 * The slow path of guard_glue_thread_enter, for a thread without a slot
 * yet: set up the thread (guard_glue_thread_setup), then at its first own
 * connection look the slot up (an MPM worker's) or claim one (a mod_http2
 * worker's, for a stream) and write pid, tid and generation into it.
 */
guard_slot_t *guard_glue_thread_claim(conn_rec *c);

/**
 * The calling worker thread's slot for connection c: its own once it has
 * one, else guard_glue_thread_claim. NULL for outgoing connections (proxy
 * back-ends) and when the segment is missing.
 */
static APR_INLINE guard_slot_t *guard_glue_thread_enter(conn_rec *c)
{
    if (guard_thread_self.slot) {
        return c->outgoing ? NULL : guard_thread_self.slot;
    }
    return guard_glue_thread_claim(c);
}

/**
 * The slot of the calling worker thread, or NULL before its first
 * connection (or outside a worker). Reads one thread-local pointer, so it
 * may be called from a signal handler once the thread has served a
 * connection.
 */
static APR_INLINE guard_slot_t *guard_glue_thread_slot(void)
{
    return guard_thread_self.slot;
}

/** The tid the calling thread wrote into its slot (0 before). */
static APR_INLINE pid_t guard_glue_thread_tid(void)
{
    return guard_thread_self.tid;
}

/** 1 when the scoreboard says (child, thread) serves nothing now. */
int guard_glue_thread_released(void *baton, int child, int thread);

/** 1 when the scoreboard says (child, thread) has no thread (dead), or
 * one finishing after a restart whose slot serves no request: the
 * scoreboard may keep "G" for a thread that has exited, with its slot as
 * it last was (guard_server_info_t). */
int guard_glue_thread_gone(void *baton, int child, int thread, int busy);

#endif
