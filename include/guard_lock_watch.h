/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GuardLockWatch in the watchdog: mark a worker's lock wait on a watched
 * file, keep the lock chains of the shared table (guard_lock_table.h) up to
 * date, find their holders in /proc/locks and the slots of every child,
 * log each chain once when it appears and once when it clears, and pass
 * the cut-holder request to the holder's own watchdog. No malloc, no
 * locks: stack buffers and atomics only.
 */
#ifndef GUARD_LOCK_WATCH_H
#define GUARD_LOCK_WATCH_H

#include <sys/types.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_cut.h"
#include "guard_fpm.h"
#include "guard_lock_rule.h"
#include "guard_log.h"
#include "guard_shm.h"

/** What the lock pass needs of the watchdog it runs in. */
typedef struct {
    guard_shm_t *shm;
    int child;                    /* this process's child slot */
    pid_t pid;
    const guard_lock_rules_t *rules;      /* NULL: none */
    const guard_logger_t *log;
    apr_interval_time_t interval;         /* between the watchdog's passes */
    /* GuardFpmStatus: the pools' records and addresses (NULL, 0: none),
     * and httpd's parent (never ended). */
    const guard_fpm_shm_t *fpm;
    const guard_fpm_addr_t *fpm_addrs;
    int nfpm;
    struct guard_lockfpm_seen *fpm_seen;  /* process-local; NULL: none */
    pid_t server_pid;
} guard_lockwatch_ctx_t;

/**
 * At a sample, before the path is redacted: when w is a lock wait on a
 * file that a rule matches, flag it with the rule's threshold and action.
 */
void guard_lockwatch_mark(const guard_lock_rules_t *rules, guard_wait_t *w);

/** 1 when the slot copy s is a worker waiting past its rule's threshold. */
int guard_lockwatch_is_waiter(const guard_slot_t *s, apr_time_t now);

/**
 * After the slots of a pass were sampled: the chains.
 * @return when the pass is due again for FPM's lock waits; 0: no need
 */
apr_time_t guard_lockwatch_pass(const guard_lockwatch_ctx_t *w,
                                apr_time_t now);

/** The watchdog ends: hand its chains over to the others. */
void guard_lockwatch_stop(const guard_lockwatch_ctx_t *w);

/**
 * At a sample of this child's worker: 1 when a lock chain asked for the
 * backend socket of this request (s, sampled as wait) to be cut; the
 * request word is cleared. c says what to do, as for a backend timeout:
 * the caller counts the cut, then shuts the socket down (c->ok is 1 until
 * that fails).
 */
int guard_lockwatch_cut_asked(guard_slot_t *live, const guard_slot_t *s,
                              const guard_wait_t *wait, apr_time_t now,
                              guard_cut_t *c);

#endif
