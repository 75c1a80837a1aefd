/* The native unwinder (see guard_stack_native.h). */
#include "guard_config.h"
#include <string.h>
#include "guard_stack_native.h"

int guard_native_built(void)
{
    return 0;
}

guard_unwinder_t *guard_unwinder_create(char *why, apr_size_t len)
{
    if (len) {
        strncpy(why, "built without libdw", len - 1);
        why[len - 1] = '\0';
    }
    return NULL;
}

void guard_unwinder_destroy(guard_unwinder_t *u)
{
}

int guard_unwind(guard_unwinder_t *u, pid_t tid, apr_uint64_t pc,
                 apr_uint64_t sp, guard_native_frame_t *out, int max,
                 apr_uint32_t *status)
{
    *status = GUARD_NATIVE_UNAVAILABLE;
    return 0;
}
