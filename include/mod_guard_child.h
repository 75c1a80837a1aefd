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
 * The calling worker thread's slot for connection c: set up the thread
 * (guard_glue_thread_setup), then at its first own connection look the
 * slot up and write pid, tid and generation into it. NULL for connections
 * that are not a worker's own (HTTP/2 streams, proxy back-ends) and when
 * the segment is missing.
 */
guard_slot_t *guard_glue_thread_enter(conn_rec *c);

/**
 * The slot of the calling worker thread, or NULL before its first
 * connection (or outside a worker). Reads one thread-local pointer, so it
 * may be called from a signal handler once the thread has served a
 * connection.
 */
guard_slot_t *guard_glue_thread_slot(void);

/** The tid the calling thread wrote into its slot (0 before). */
pid_t guard_glue_thread_tid(void);

/** 1 when the scoreboard says (child, thread) serves nothing now. */
int guard_glue_thread_released(void *baton, int child, int thread);

/** 1 when the scoreboard says (child, thread) has no thread (dead), or
 * one finishing after a restart whose slot serves no request: the
 * scoreboard may keep "G" for a thread that has exited, with its slot as
 * it last was (guard_server_info_t). */
int guard_glue_thread_gone(void *baton, int child, int thread, int busy);

#endif
