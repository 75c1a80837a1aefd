/* The PHP frame walker (see guard_stack_php.h). */
#include "guard_config.h"
#include <string.h>
#include "guard_stack_php.h"

int guard_php_built(void)
{
    return 0;
}

const char *guard_php_built_for(void)
{
    return "";
}

int guard_php_walk(const guard_php_walker_t *wk, guard_php_frame_t *out,
                   int max, guard_php_walk_info_t *info)
{
    memset(info, 0, sizeof(*info));
    return -1;
}

int guard_php_locate(apr_uint64_t *eg, char *why, apr_size_t len)
{
    *eg = 0;
    if (len) {
        strncpy(why, "built without PHP's headers", len - 1);
        why[len - 1] = '\0';
    }
    return -1;
}
