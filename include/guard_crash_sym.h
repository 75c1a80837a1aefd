/* Symbols of crash frames in this process. Pure: no httpd. */
#ifndef GUARD_CRASH_SYM_H
#define GUARD_CRASH_SYM_H

#include "guard_crash_view.h"

/** dladdr() in this process: modules loaded by the parent sit at the same
 *  addresses in every child of a generation. A guard_symbolize_fn. */
int guard_symbolize_dladdr(void *baton, apr_uint64_t addr, int is_return,
                           guard_frame_sym_t *out);

#endif
