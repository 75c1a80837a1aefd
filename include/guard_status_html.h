/* SPDX-License-Identifier: Apache-2.0 */
/* The HTML renderer of /guard-status, crash section included. Pure: a
 * snapshot in, text out. */
#ifndef GUARD_STATUS_HTML_H
#define GUARD_STATUS_HTML_H

#include "guard_crash_view.h"
#include "guard_sink.h"
#include "guard_snapshot.h"

/** A whole HTML page; refresh > 0 adds a meta refresh. */
void guard_render_html(const guard_snapshot_t *s, int refresh, guard_sink_t *o);

/** The crash section of the HTML page. */
void guard_crash_render_html(const guard_crash_view_t *v, guard_sink_t *o);

/** One crash in full: HTML body part. */
void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o);

/** Processes and crashes of one child slot: HTML body part. */
void guard_crash_render_html_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

#endif
