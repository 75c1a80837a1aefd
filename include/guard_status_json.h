/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON renderer of /guard-status, crash section included. Pure: a
 * snapshot in, text out. */
#ifndef GUARD_STATUS_JSON_H
#define GUARD_STATUS_JSON_H

#include "guard_crash_view.h"
#include "guard_sink.h"
#include "guard_snapshot.h"

/** JSON, schema in docs/json-schema.md. */
void guard_render_json(const guard_snapshot_t *s, guard_sink_t *o);

/** One worker, as in the "workers" list: a JSON object. */
void guard_render_json_worker(const guard_worker_view_t *w, guard_sink_t *o);

/* The crash section. These write members or values of an enclosing
 * object. */

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

/** t as a JSON string, "2026-11-22T08:56:01.123Z". */
void guard_json_put_time(guard_sink_t *o, apr_time_t t);

#endif
