/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lock-chain table in shared memory, and the text of its log lines.
 *
 * Every child's watchdog sees only its own workers, and in prefork each
 * waiter of one session lock is in another child. So that a chain is
 * reported once, each lock (device, inode) has at most one entry, and
 * one watchdog at a time keeps it:
 *
 * - claim: a watchdog with a worker waiting past its threshold looks for
 *   the entry of that lock; if there is none, it takes a free one with a
 *   compare-and-swap of 'key' from 0. Two watchdogs claiming the same lock
 *   at the same moment may both succeed on different entries: each then
 *   looks again, and one that sees the other gives its entry back (both
 *   may; then the lock is claimed again at the next pass).
 * - owner: the keeper is 'owner' (child + 1), also swapped atomically. It
 *   alone writes the rest of the entry, under 'seq'; it logs the chain
 *   line once ('reported') and the cleared line once, when no worker of
 *   any child waits for the lock any more, and then frees the entry.
 * - hand-over: a watchdog sleeps when its child serves nothing, so an
 *   owner whose own waiters are gone while others still wait sets owner
 *   to 0; a watchdog with a waiter takes it on its next pass. An entry
 *   left without owner for two intervals, or whose owner stopped updating
 *   it (a child that died) for a second, is taken by whichever watchdog
 *   passes by, which clears it if nobody waits any more.
 */
#ifndef GUARD_LOCK_TABLE_H
#define GUARD_LOCK_TABLE_H

#include <apr.h>
#include <apr_time.h>
#include "guard_shm.h"

/** The table key of a lock: never 0. */
apr_uint64_t guard_chain_key(apr_uint64_t dev, apr_uint64_t ino);

/** The entry of a lock, or NULL. */
guard_chain_t *guard_chain_find(const guard_shm_t *shm, apr_uint64_t dev,
                                apr_uint64_t ino);

/**
 * The entry of a lock: found, or claimed for owner (then empty but for
 * dev, ino and owner). NULL when the table is full, or when a claim of
 * the same lock raced this one (try again at the next pass).
 * @param claimed  set to 1 when this call claimed it, -1 when it raced
 */
guard_chain_t *guard_chain_claim(guard_shm_t *shm, apr_uint64_t dev,
                                 apr_uint64_t ino, apr_uint32_t owner,
                                 apr_time_t now, int *claimed);

/**
 * Become the owner of c when it has none (or has had none for 'orphan'
 * when orphan > 0), or when its owner has not updated it for 'stale'.
 * @return 1 when owner now keeps c
 */
int guard_chain_take(guard_chain_t *c, apr_uint32_t owner, apr_time_t now,
                     apr_interval_time_t orphan, apr_interval_time_t stale);

/** Stop keeping c, for another watchdog to take. */
void guard_chain_release(guard_chain_t *c, apr_uint32_t owner);

/** Free c (by its owner). */
void guard_chain_free(guard_chain_t *c);

/** Begin / end the owner's write of c's contents. */
void guard_chain_write_begin(guard_chain_t *c);
void guard_chain_write_end(guard_chain_t *c, apr_time_t now);

/** A consistent copy for readers. @return 0 when the entry is free. */
int guard_chain_read(const guard_chain_t *src, guard_chain_t *dst);

/**
 * The chain line, e.g. "lock wait: 3 workers (pids 101,102,103) wait on
 * /var/lib/php/sessions/sess_#1a2b3c4d held by pid 100 tid 100 (GET
 * /cart.php HTTP/1.1, 41.0 s, poll on socket 10.0.0.5:11211 (idle 41.0 s))".
 * @param holder  the holder's slot when it is an httpd worker, else NULL
 */
char *guard_chain_format(const guard_chain_t *c, const guard_slot_t *holder,
                         apr_time_t now, char *buf, apr_size_t len);

/** "lock wait cleared: /path after 12.3 s (3 workers waited at most;
 *  held by pid 100)". */
char *guard_chain_format_cleared(const guard_chain_t *c, apr_time_t now,
                                 char *buf, apr_size_t len);

/** "pid 100 tid 100", "pid 555 (python3), not an httpd worker",
 *  "an OFD lock (no pid)", "not found in /proc/locks". */
char *guard_chain_holder_text(const guard_chain_t *c, char *buf,
                              apr_size_t len);

#endif
