/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus renderer on a snapshot of hostile strings: valid text
 * format 0.0.4 (label values escaped, UTF-8, no duplicate series, samples
 * under their TYPE: worker series, labelled by slot, stay distinct with
 * or without ?pids), and the same metrics and labels as with the special
 * bytes of the strings replaced.
 */
#include <stddef.h>
#include <stdint.h>
#include "guard_status_prom.h"
#include "fuzz_check.h"
#include "fuzz_snapshot.h"

static void render_page(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_prometheus(fs->snap, fs->pids, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_render_and_check("prometheus", data, size, render_page,
                        fz_prom_check);
    return 0;
}
