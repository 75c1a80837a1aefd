/* Stable tags of mod_guard's log lines, so operators and tests can grep. */
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
#define GRD_WD_STARTED    "GRD0010"
#define GRD_WD_FAILED     "GRD0011"
#define GRD_WD_STOPPED    "GRD0012"
#define GRD_CHILD_GONE    "GRD0013"
/* Watchdog decisions. */
#define GRD_STUCK         "GRD0100"
#define GRD_UNSTUCK       "GRD0101"
#define GRD_SAMPLE        "GRD0102"
#define GRD_SLEEP         "GRD0103"
/* Backend cuts. */
#define GRD_CUT           "GRD0300"
#define GRD_CUT_LOGGED    "GRD0301"
#define GRD_CUT_FAILED    "GRD0302"
/* Crashes. */
#define GRD_CRASH         "GRD0500"
#define GRD_CRASH_EXIT    "GRD0501"
#define GRD_CRASH_STORM   "GRD0502"
#define GRD_CRASH_SHM     "GRD0503"
#define GRD_CRASH_SETUP   "GRD0504"
/* Status handler. */
#define GRD_BAD_QUERY     "GRD0200"

#endif
