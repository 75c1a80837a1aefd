/* SPDX-License-Identifier: Apache-2.0 */
/* The "Key: value" renderer of /guard-status, crash lines included.
 * Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_AUTO_H
#define GUARD_STATUS_AUTO_H

#include "guard_crash_view.h"
#include "guard_sink.h"
#include "guard_snapshot.h"

/** "Key: value" lines, like mod_status's ?auto. */
void guard_render_auto(const guard_snapshot_t *s, guard_sink_t *o);

/** CrashesTotal: lines. */
void guard_crash_render_auto(const guard_crash_view_t *v, guard_sink_t *o);

#endif
