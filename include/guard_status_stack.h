/* SPDX-License-Identifier: Apache-2.0 */
/* A worker's live stacks on the status pages: JSON fields, HTML lists. */
#ifndef GUARD_STATUS_STACK_H
#define GUARD_STATUS_STACK_H

#include "guard_sink.h"
#include "guard_snapshot.h"

/**
 * The worker's ,"php_frames":[...],"native_frames":[...],"stack":{...}
 * (empty lists and null when no stack was read in its request). native:
 * 0 leaves the native frames out (stack.native_count still says how
 * many): thousands of busy workers' native stacks are megabytes.
 */
void guard_stack_render_json(const guard_stack_view_t *st, int native,
                             guard_sink_t *o);

/** One PHP frame: {"function","file","line","line_approximate"}; an
 *  internal function has file "" and line 0. */
void guard_stack_json_php_frame(const guard_php_frame_t *f, guard_sink_t *o);

/** Its frames as HTML lists (PHP, then native unless native is 0),
 *  escaped; nothing when there are none. */
void guard_stack_render_html(const guard_stack_view_t *st, int native,
                             guard_sink_t *o);

/** The top PHP frame as text for ?auto ("Svc::run /x.php:10"), or "". */
void guard_stack_top_text(const guard_stack_view_t *st, char *buf,
                          apr_size_t len);

#endif
