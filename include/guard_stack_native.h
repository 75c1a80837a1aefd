/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native frames of a blocked thread of this process, unwound with
 * elfutils' libdw from the pc and sp its syscall file gives: memory read
 * with process_vm_readv on this process, modules reported from
 * dl_iterate_phdr (/proc/self/auxv and maps are the kernel's to refuse
 * once not dumpable). Built with configure --with-libdw; without it
 * guard_native_built() is 0 and there is no unwinder.
 *
 * An unwinder belongs to the one thread that uses it (the watchdog): it
 * keeps libdw's state (modules, their ELF and CFI) between unwinds, and
 * reports the modules anew when the process has loaded or unloaded one.
 */
#ifndef GUARD_STACK_NATIVE_H
#define GUARD_STACK_NATIVE_H

#include <sys/types.h>
#include <apr.h>
#include "guard_stack.h"

typedef struct guard_unwinder guard_unwinder_t;

/** 1 when built with libdw. */
int guard_native_built(void);

/**
 * NULL, with why filled: not built with libdw, or it cannot start (libdw's
 * message). Reports the objects loaded now; ELF files are opened when a
 * frame first lands in one, and symbols are looked for in the file's own
 * tables and the local /usr/lib/debug/.build-id tree only (never over the
 * network).
 */
guard_unwinder_t *guard_unwinder_create(char *why, apr_size_t len);

/** NULL is fine. */
void guard_unwinder_destroy(guard_unwinder_t *u);

/**
 * Unwind thread tid of this process, blocked with the given pc and sp, into
 * at most max frames (at most GUARD_STACK_FRAMES). frame 0 is pc. Memory
 * is read with process_vm_readv only: a stack that moves or tears gives
 * fewer frames, never a fault. A frame in no module has module "" and its
 * pc as offset.
 * @param status  where it stopped:
 *   GUARD_NATIVE_END      the CFI of the last frame says it is the
 *                         outermost (_start, clone)
 *   GUARD_NATIVE_DEPTH    there were more than max frames
 *   GUARD_NATIVE_JIT      the last frame's pc lies in no module
 *   GUARD_NATIVE_NO_INFO  the last frame's module has no CFI for its pc
 *   GUARD_NATIVE_FAILED   no frame (pc 0), or the last frame's CFI could
 *                         not be followed (a read failed, or it needs a
 *                         register other than pc and sp)
 *   GUARD_NATIVE_UNAVAILABLE  u is NULL
 * @return the number of frames written to out
 */
int guard_unwind(guard_unwinder_t *u, pid_t tid, apr_uint64_t pc,
                 apr_uint64_t sp, guard_native_frame_t *out, int max,
                 apr_uint32_t *status);

#endif
