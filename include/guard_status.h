/* The renderers of /guard-status. Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_H
#define GUARD_STATUS_H

#include "guard_sink.h"
#include "guard_snapshot.h"

/** JSON, schema in docs/json-schema.md. */
void guard_render_json(const guard_snapshot_t *s, guard_sink_t *o);

/**
 * Prometheus text format 0.0.4. Per-worker series are labelled by slot
 * (child, thread); pids != 0 adds pid and tid labels (?pids).
 */
void guard_render_prometheus(const guard_snapshot_t *s, int pids,
                             guard_sink_t *o);

/** "Key: value" lines, like mod_status's ?auto. */
void guard_render_auto(const guard_snapshot_t *s, guard_sink_t *o);

/** A whole HTML page; refresh > 0 adds a meta refresh. */
void guard_render_html(const guard_snapshot_t *s, int refresh, guard_sink_t *o);

#endif
