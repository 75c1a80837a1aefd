/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON renderer of /guard-status; its crash section is
 * guard_status_crash.h's. Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_JSON_H
#define GUARD_STATUS_JSON_H

#include "guard_sink.h"
#include "guard_snapshot.h"

/** JSON, schema in docs/json-schema.md. */
void guard_render_json(const guard_snapshot_t *s, guard_sink_t *o);

/** One worker, as in the "workers" list: a JSON object. */
void guard_render_json_worker(const guard_worker_view_t *w, guard_sink_t *o);

#endif
