/* SPDX-License-Identifier: Apache-2.0 */
/* The Prometheus renderer of /guard-status; its crash counters are
 * guard_status_crash.h's. Pure: a snapshot in, text out. */
#ifndef GUARD_STATUS_PROM_H
#define GUARD_STATUS_PROM_H

#include "guard_sink.h"
#include "guard_snapshot.h"

/**
 * Prometheus text format 0.0.4. Per-worker series are labelled by slot
 * (child, thread); pids != 0 adds pid and tid labels (?pids).
 */
void guard_render_prometheus(const guard_snapshot_t *s, int pids,
                             guard_sink_t *o);

#endif
