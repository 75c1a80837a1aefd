/* SPDX-License-Identifier: Apache-2.0 */
/* The HTML renderer of /guard-status; its crash section is
 * guard_status_crash.h's. Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_HTML_H
#define GUARD_STATUS_HTML_H

#include "guard_sink.h"
#include "guard_snapshot.h"

/** A whole HTML page; refresh > 0 adds a meta refresh. */
void guard_render_html(const guard_snapshot_t *s, int refresh, guard_sink_t *o);

#endif
