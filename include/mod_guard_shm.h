/* SPDX-License-Identifier: Apache-2.0 */
/* The shared-memory segment's life in httpd: made by the parent in
 * post_config, kept across restarts, inherited by children. httpd glue. */
#ifndef MOD_GUARD_SHM_H
#define MOD_GUARD_SHM_H

#include "guard_shm.h"

/** The segment, or NULL when it could not be made. */
guard_shm_t *guard_glue_shm(void);

#endif
