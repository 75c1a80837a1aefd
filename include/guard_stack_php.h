/*
 * The PHP frames of a thread of this process, walked from PHP's executor
 * globals: EG(current_execute_data) -> prev_execute_data. Every load goes
 * through a read function (process_vm_readv on this process in the
 * module), so a pointer freed or torn meanwhile gives an error, never a
 * crash. No malloc, no locks, no stdio: the crash handler calls it too.
 * Built against PHP's own headers (configure --with-php-config); without
 * them guard_php_built() is 0 and every walk fails.
 *
 * mod_php is non-ZTS in Debian: one interpreter per process, the one of its
 * only worker thread (prefork). A ZTS PHP keeps its globals per thread
 * (TSRM): guard_php_locate() refuses it.
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
    int complete;                 /* reached the outermost frame */
    int line_approx;              /* the top frame's line is approximate */
    apr_uint64_t sig;             /* hash of the frames' addresses: two
                                   * walks that agree have the same */
} guard_php_walk_info_t;

/** 1 when built with PHP's headers. */
int guard_php_built(void);

/** "PHP 8.2.36 (Zend Engine v4.2.36), non-ZTS" as built; "" when not. */
const char *guard_php_built_for(void);

/**
 * Walk at most max frames (at most GUARD_STACK_FRAMES) into out.
 * @return the number of frames (0: no PHP code runs), or -1 when the
 *         globals cannot be read, a pointer is misaligned or the chain
 *         loops (info->complete is then 0)
 */
int guard_php_walk(const guard_php_walker_t *wk, guard_php_frame_t *out,
                   int max, guard_php_walk_info_t *info);

/**
 * Find the running PHP's executor globals and check them against the
 * build: the symbol is there, its size is sizeof(zend_executor_globals),
 * and the Zend Engine's version is the headers'.
 * @return 0 and *eg set; -1 with why filled (one line, for the log)
 */
int guard_php_locate(apr_uint64_t *eg, char *why, apr_size_t len);

#endif
