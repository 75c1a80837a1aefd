/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ?auto renderer on a snapshot of hostile strings: "Key: value" lines
 * only, and the same keys in the same order as with the special bytes of
 * the strings replaced (a CR or LF from a string would forge a line).
 */
#include <stddef.h>
#include <stdint.h>
#include "guard_status_auto.h"
#include "fuzz_check.h"
#include "fuzz_snapshot.h"

static void render_page(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_auto(fs->snap, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_render_and_check("auto", data, size, render_page, fz_auto_check);
    return 0;
}
