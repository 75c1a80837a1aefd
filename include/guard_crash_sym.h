/* SPDX-License-Identifier: Apache-2.0 */
/* Names of crash frames in this process, never in a signal handler.
 * Pure: no httpd. */
#ifndef GUARD_CRASH_SYM_H
#define GUARD_CRASH_SYM_H

#include "guard_crash_view.h"

/** The load bias of the module loaded here under path ("" or the
 *  program's own path: the program); 1 when one is. */
int guard_crash_module_bias(const char *path, apr_uint64_t *bias);

/** dladdr() of module+offset in this process: a guard_symbolize_fn.
 *  Modules loaded by the parent sit at the same addresses in every child
 *  of a generation; one loaded only by the crashed child is not named. */
int guard_symbolize_dladdr(void *baton, const char *module,
                           apr_uint64_t offset, int is_return,
                           guard_frame_sym_t *out);

#endif
