/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PHP frames of a thread of this process, walked from PHP's executor
 * globals: EG(current_execute_data) -> prev_execute_data. Every load goes
 * through a read function (process_vm_readv on this process in the
 * module), so a pointer freed or torn meanwhile gives an error, never a
 * crash. No malloc, no locks, no stdio: the crash handler calls it too.
 * Built against PHP's own headers (configure --with-php-config); without
 * them, or with a thread-safe (ZTS) PHP's, guard_php_built() is 0, every
 * walk fails and guard_php_locate() says why.
 *
 * mod_php is non-ZTS in Debian: one interpreter per process, the one of its
 * only worker thread (prefork). A ZTS PHP keeps its globals per thread
 * (TSRM): configure builds no walker for its headers, and
 * guard_php_locate() refuses one met at run time.
 */
#ifndef GUARD_STACK_PHP_H
#define GUARD_STACK_PHP_H

#include <apr.h>
#include "guard_stack.h"

/** Copy len bytes at addr of this process into buf: 0, or -1. */
typedef int guard_mem_read_fn(void *baton, apr_uint64_t addr, void *buf,
                              apr_size_t len);

typedef struct {
    guard_mem_read_fn *read;
    void *baton;
    apr_uint64_t eg;              /* &executor_globals */
} guard_php_walker_t;

/** What a walk saw besides its frames. */
typedef struct {
    unsigned reads;               /* read calls made */
    int complete;                 /* reached the outermost frame (a NULL
                                   * prev_execute_data) */
    int line_approx;              /* the top frame's line is approximate */
    int torn;                     /* every frame was read, but one of them
                                   * or the top changed meanwhile */
    apr_uint64_t sig;             /* hash of each frame's execute_data, func
                                   * and opline addresses (dummy frames
                                   * too): two walks that agree have the
                                   * same */
} guard_php_walk_info_t;

/** 1 when built with PHP's headers. */
int guard_php_built(void);

/** "PHP 8.2.36 (Zend Engine v4.2.36), non-ZTS" as built; "" when not. */
const char *guard_php_built_for(void);

/**
 * Walk at most max frames (at most GUARD_STACK_FRAMES; below 0 as 0) into
 * out, innermost first. Frames without a function (zend_call_function's
 * dummies) are passed over. A file's frame is named "{main}" when no user
 * code is below it, else by the include that runs it ("require_once" ...,
 * "include" when that cannot be told); to name the last frame kept, the
 * walk may read frames past max. Async-signal-safe when wk->read is: no
 * allocation, locks, stdio or errno; about 1 KiB of stack.
 * @return the number of frames (0: no PHP code runs, or max is 0), or -1
 *         when the globals or a frame, its function or one of its names
 *         cannot be read, a pointer is misaligned or outside user space,
 *         a function has no known type, the chain loops (info->complete
 *         is then 0), or a frame or the top changed while it was read
 *         (info->torn: the frames seen are read again, bottom up). A frame whose opline lies outside its code has its
 *         function's first line and GUARD_PHPF_LINE_APPROX.
 */
int guard_php_walk(const guard_php_walker_t *wk, guard_php_frame_t *out,
                   int max, guard_php_walk_info_t *info);

/** Why this build walks no PHP frames, for the start-up line ("no PHP
 * headers", or that they are a thread-safe PHP's); "" when it does. */
const char *guard_php_unbuilt_why(void);

/** What the process's symbol tables say of the PHP it runs. */
typedef struct {
    apr_uint64_t eg;              /* &executor_globals; 0: no such symbol */
    apr_uint64_t eg_size;         /* its symbol's size; 0: not known */
    int zts;                      /* executor_globals_offset is there: a
                                   * thread-safe PHP, globals per thread */
    int have_version;             /* get_zend_version is there */
    const char *version;          /* what it returned */
} guard_php_found_t;

/**
 * Check what was found against the build: the symbol is there, the Zend
 * Engine's version is the headers', and the symbol's size is
 * sizeof(zend_executor_globals). Pure: f may be made up (unit tests).
 * @return 0 and *eg set; -1, *eg 0 and why filled (one line, for the log:
 *         "no executor_globals: PHP is not loaded", "PHP is thread-safe
 *         (ZTS): ...", "Zend Engine v4.2.30 running, built for v4.2.36",
 *         "executor_globals is 1792 bytes, built for 1800", or why this
 *         build walks no PHP frames)
 */
int guard_php_check(const guard_php_found_t *f, apr_uint64_t *eg, char *why,
                    apr_size_t len);

/**
 * Find the running PHP's executor globals (dlsym, dladdr1) and check them
 * with guard_php_check(). Call it at start-up, not from a signal handler.
 */
int guard_php_locate(apr_uint64_t *eg, char *why, apr_size_t len);

#endif
