/* SPDX-License-Identifier: Apache-2.0 */
/* The pages of ?crash=<id> and ?child=<n>. Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_PAGES_H
#define GUARD_STATUS_PAGES_H

#include "guard_crash_view.h"
#include "guard_snapshot.h"

/** One crash in full; JSON: {"crash":{...}}, else an HTML page. */
void guard_render_crash_page(const guard_snapshot_t *s,
                             const guard_crash_item_t *it, int json,
                             guard_sink_t *o);

/** A child slot: its current process and workers, its earlier processes
 *  and its crashes. JSON or an HTML page. */
void guard_render_child_page(const guard_snapshot_t *s, int child, int json,
                             guard_sink_t *o);

/** One worker's stacks; JSON: {"worker":{...}} as in ?json, else an HTML
 *  page. */
void guard_render_stack_page(const guard_snapshot_t *s,
                             const guard_worker_view_t *w, int json,
                             guard_sink_t *o);

#endif
