/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crashes on the status pages, every format (guard_status_crash.c): the
 * sections the page renderers of each format call, and the parts of the
 * ?crash= and ?child= pages. Pure: a crash view in, text out.
 */
#ifndef GUARD_STATUS_CRASH_H
#define GUARD_STATUS_CRASH_H

#include "guard_crash_view.h"
#include "guard_sink.h"

/** The crash section of the HTML page. */
void guard_crash_render_html(const guard_crash_view_t *v, guard_sink_t *o);

/** One crash in full: HTML body part. */
void guard_crash_render_html_one(const guard_crash_view_t *v,
                                 const guard_crash_item_t *it,
                                 guard_sink_t *o);

/** Processes and crashes of one child slot: HTML body part. */
void guard_crash_render_html_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/* The JSON ones write members or values of an enclosing object. */

/** "crashes":[...],"crash_groups":[...],"crash_summary":{...} */
void guard_crash_render_json(const guard_crash_view_t *v, guard_sink_t *o);

/** One crash in full: a JSON object. */
void guard_crash_render_json_one(const guard_crash_item_t *it,
                                 guard_sink_t *o);

/** The processes of child slot child, newest first: a JSON array. */
void guard_crash_render_json_procs(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/** Crashes of child slot child: a JSON array. */
void guard_crash_render_json_child(const guard_crash_view_t *v, int child,
                                   guard_sink_t *o);

/** guard_crashes_total{signal} and friends. */
void guard_crash_render_prometheus(const guard_crash_view_t *v,
                                   guard_sink_t *o);

/** CrashesTotal: lines. */
void guard_crash_render_auto(const guard_crash_view_t *v, guard_sink_t *o);

#endif
