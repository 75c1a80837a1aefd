/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A worker's live stacks as the pages show them: the PHP frames and the
 * native frames of its thread, read by its child's watchdog from inside
 * the process (no ptrace, no signal). One record per slot, in shared
 * memory beside the slots; one writer (that watchdog) under seq.
 * Frames are innermost first, as gdb and PHP's own backtraces list them.
 * Names only: no argument values, ever.
 */
#ifndef GUARD_STACK_H
#define GUARD_STACK_H

#include <apr.h>
#include <apr_time.h>

#define GUARD_STACK_FRAMES      32   /* most frames kept of each kind */
#define GUARD_STACK_DEPTH_DEFAULT GUARD_STACK_FRAMES
#define GUARD_FRAME_FUNC_LEN    64
#define GUARD_FRAME_FILE_LEN    128
#define GUARD_FRAME_MODULE_LEN  24
#define GUARD_FRAME_SYMBOL_LEN  48
#define GUARD_BUILD_ID_MAX      20

/* A PHP frame's flags. */
#define GUARD_PHPF_INTERNAL     0x1  /* an internal function: no file, line 0 */
#define GUARD_PHPF_LINE_APPROX  0x2  /* the function's first line: the VM's
                                      * position was not stored (it keeps it
                                      * in a register in a call-free loop) */

typedef struct {
    apr_uint32_t line;            /* 0: none */
    apr_uint32_t flags;           /* GUARD_PHPF_* */
    /* "Class::method", "{closure}", "Class::{closure}", "{main}",
     * "include", "require_once" ..., an internal function's name */
    char function[GUARD_FRAME_FUNC_LEN];
    char file[GUARD_FRAME_FILE_LEN];   /* "": internal function */
} guard_php_frame_t;

typedef struct {
    apr_uint64_t offset;          /* pc - the module's load bias: an address
                                   * of the ELF file (eu-addr2line -e) */
    apr_uint32_t build_id_len;    /* 0: none known */
    apr_uint32_t pad;
    unsigned char build_id[GUARD_BUILD_ID_MAX];
    char module[GUARD_FRAME_MODULE_LEN];   /* file name, no directory; "" */
    char symbol[GUARD_FRAME_SYMBOL_LEN];   /* "" when the tables name none */
} guard_native_frame_t;

/* Why there are no PHP frames, or how they were had. */
typedef enum {
    GUARD_PHP_NONE = 0,           /* not walked (not sampled, stacks off) */
    GUARD_PHP_OK,                 /* frames below (maybe none: no PHP code
                                   * runs in this request now) */
    GUARD_PHP_UNAVAILABLE,        /* no PHP in this process, or not the one
                                   * the module was built for (logged) */
    GUARD_PHP_UNSTABLE,           /* every walk tore: the stack moved */
    GUARD_PHP_FAILED,             /* unreadable (a bad pointer) */
    GUARD_PHP_STATUS_MAX
} guard_php_status_e;

/* Where the native unwind stopped, or why there is none. */
typedef enum {
    GUARD_NATIVE_NONE = 0,        /* not unwound */
    GUARD_NATIVE_END,             /* the outermost frame (main, clone) */
    GUARD_NATIVE_DEPTH,           /* GuardStackDepth frames */
    GUARD_NATIVE_NO_INFO,         /* a frame without unwind information */
    GUARD_NATIVE_JIT,             /* code outside every module (JIT) */
    GUARD_NATIVE_ON_CPU,          /* running: no pc and sp without a signal */
    GUARD_NATIVE_MOVED,           /* the thread ran during the unwind */
    GUARD_NATIVE_UNAVAILABLE,     /* built without libdw, or it failed */
    GUARD_NATIVE_FAILED,          /* no syscall file, or a read failed */
    GUARD_NATIVE_STATUS_MAX
} guard_native_status_e;

/* Stack flags. */
#define GUARD_STACKF_PHP_COMPLETE    0x01  /* reached the outermost frame */
#define GUARD_STACKF_PHP_STABLE      0x02  /* the thread did not run during
                                            * the walk, or three walks
                                            * agreed */
#define GUARD_STACKF_PHP_LINE_APPROX 0x04  /* the top frame's line is */
#define GUARD_STACKF_NATIVE_COMPLETE 0x10
#define GUARD_STACKF_NATIVE_STABLE   0x20  /* pc, sp and run time unchanged */

typedef struct {
    apr_uint32_t seq;
    apr_uint32_t flags;           /* GUARD_STACKF_* */
    apr_time_t req_start;         /* the request these are of; 0: none */
    apr_time_t taken;             /* when they were read */
    apr_uint32_t php_status;      /* guard_php_status_e */
    apr_uint32_t native_status;   /* guard_native_status_e */
    apr_uint32_t nphp;
    apr_uint32_t nnative;
    guard_php_frame_t php[GUARD_STACK_FRAMES];
    guard_native_frame_t native[GUARD_STACK_FRAMES];
} guard_stack_t;

/** "ok", "unavailable" ... as the JSON shows them; "?" out of range. */
const char *guard_php_status_name(apr_uint32_t status);
const char *guard_native_status_name(apr_uint32_t status);

/**
 * The top PHP frame, as log lines name it: " in Svc::run /x.php:10"
 * (with a leading space), or "" when there is none.
 */
void guard_stack_top_php(const guard_stack_t *st, char *buf, apr_size_t len);

/* Room for guard_stack_top_php's text. */
#define GUARD_STACK_TOP_LEN (GUARD_FRAME_FUNC_LEN * 2 + GUARD_FRAME_FILE_LEN + 40)

/** The same, of a live record (copied consistently first; "" when torn). */
void guard_stack_top_of(const guard_stack_t *live, char *buf, apr_size_t len);

/** Consistent copy (retries while the writer is at it); 1 consistent. */
int guard_stack_read(const guard_stack_t *src, guard_stack_t *dst);

/** The same without the native frames (nnative still counts them) when
 *  native is 0. */
int guard_stack_read_part(const guard_stack_t *src, guard_stack_t *dst,
                          int native);

#endif
