/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stable tags of mod_guard's log lines, so operators and tests can grep;
 * and the logger that the pure code (the watchdog, the lock pass) reports
 * through, without knowing httpd.
 */
#ifndef GUARD_LOG_H
#define GUARD_LOG_H

#define GUARD_LOG_ERR    3
#define GUARD_LOG_WARN   4
#define GUARD_LOG_NOTICE 5
#define GUARD_LOG_INFO   6
#define GUARD_LOG_DEBUG  7

/* Startup, shared memory, watchdog life. */
#define GRD_SHM_CREATED   "GRD0001"
#define GRD_SHM_REUSED    "GRD0002"
#define GRD_SHM_FAILED    "GRD0003"
#define GRD_SHM_RESIZED   "GRD0004"
#define GRD_DIR_PASS      "GRD0005"
#define GRD_NO_INSPECT    "GRD0006"
#define GRD_WD_STARTED    "GRD0010"
#define GRD_WD_FAILED     "GRD0011"
#define GRD_WD_STOPPED    "GRD0012"
#define GRD_CHILD_GONE    "GRD0013"
/* The syscall-file broker (threaded MPMs). */
#define GRD_BROKER_STARTED "GRD0020"
#define GRD_BROKER_DIED   "GRD0021"
#define GRD_BROKER_FAILED "GRD0022"
#define GRD_BROKER_ASK    "GRD0023"
#define GRD_BROKER_SANDBOX "GRD0024"
#define GRD_BROKER_SIGSYS "GRD0025"
/* Watchdog decisions. */
#define GRD_STUCK         "GRD0100"
#define GRD_UNSTUCK       "GRD0101"
#define GRD_SAMPLE        "GRD0102"
#define GRD_SLEEP         "GRD0103"
#define GRD_STACK_READ    "GRD0104"
/* Backend cuts. */
#define GRD_CUT           "GRD0300"
#define GRD_CUT_LOGGED    "GRD0301"
#define GRD_CUT_FAILED    "GRD0302"
#define GRD_CUT_FPM_ON    "GRD0303"
/* GuardLockWatch. */
#define GRD_LOCK_CHAIN    "GRD0400"
#define GRD_LOCK_CLEARED  "GRD0401"
#define GRD_LOCK_CUT      "GRD0402"
#define GRD_LOCK_CUT_FAILED "GRD0403"
#define GRD_LOCK_FULL     "GRD0404"
#define GRD_LOCK_ASK      "GRD0405"
#define GRD_LOCK_OFD      "GRD0406"
#define GRD_LOCK_END      "GRD0407"
#define GRD_LOCK_END_NOT  "GRD0408"
#define GRD_LOCK_SESS     "GRD0409"

/* Crashes. */
#define GRD_CRASH         "GRD0500"
#define GRD_CRASH_EXIT    "GRD0501"
#define GRD_CRASH_STORM   "GRD0502"
#define GRD_CRASH_SHM     "GRD0503"
#define GRD_CRASH_SETUP   "GRD0504"
#define GRD_CRASH_LIMIT   "GRD0505"
#define GRD_CRASH_NAMES   "GRD0506"
/* Status handler. */
#define GRD_BAD_QUERY     "GRD0200"

#define GRD_STACKS        "GRD0700"
#define GRD_NO_PHP_STACKS "GRD0701"
#define GRD_NO_NATIVE_STACKS "GRD0702"
/* Out-of-band status listener (GuardStatusListen). */
#define GRD_LISTEN_OPEN     "GRD0600"
#define GRD_LISTEN_FAILED   "GRD0601"
#define GRD_LISTEN_CLOSED   "GRD0602"
#define GRD_LISTEN_STARTED  "GRD0603"
#define GRD_LISTEN_NOTHREAD "GRD0604"
#define GRD_LISTEN_STOPPED  "GRD0605"
#define GRD_LISTEN_SERVED   "GRD0606"
#define GRD_LISTEN_REFUSED  "GRD0607"
#define GRD_LISTEN_ERROR    "GRD0608"
#define GRD_LISTEN_HOST     "GRD0609"
/* GuardFpmStatus. */
#define GRD_FPM_READ        "GRD0800"
#define GRD_FPM_SETUP       "GRD0801"
#define GRD_FPM_NO_POOL     "GRD0802"

/* GuardStuckTimeout. */
#define GRD_STUCK_END       "GRD0900"
#define GRD_STUCK_RATE      "GRD0901"
#define GRD_STUCK_WHY       "GRD0902"
#define GRD_STUCK_ENDED     "GRD0903"
#define GRD_STUCK_DRAIN     "GRD0904"

/** Where a line goes: level is a GUARD_LOG_* value, tag a GRD*. */
typedef void guard_log_fn(void *baton, int level, const char *tag,
                          const char *msg);

typedef struct {
    guard_log_fn *fn;             /* NULL: nothing is logged */
    void *baton;
    int debug;                    /* GUARD_LOG_DEBUG lines are passed on */
} guard_logger_t;

/** Format and pass one line to lg->fn (debug only when lg->debug). */
void guard_log_say(const guard_logger_t *lg, int level, const char *tag,
                   const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
