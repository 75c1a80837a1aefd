/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON renderers (?json, ?crash=<id>&json, ?child=<n>&json) on a
 * snapshot of hostile strings: the output must be one strict JSON value,
 * and no string may change its structure.
 */
#include <stddef.h>
#include <stdint.h>
#include "guard_status_json.h"
#include "guard_status_pages.h"
#include "fuzz_check.h"
#include "fuzz_snapshot.h"

static void render_page(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_json(fs->snap, o);
}

static void render_crash(const fz_snapshot_t *fs, guard_sink_t *o)
{
    if (fs->item) {
        guard_render_crash_page(fs->snap, fs->item, 1, o);
    }
    else {
        guard_puts(o, "null");
    }
}

static void render_child(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_child_page(fs->snap, fs->child, 1, o);
}

/* The page of ?stack=<child>.<thread>: the stuck worker's, or the first. */
static void render_stack(const fz_snapshot_t *fs, guard_sink_t *o)
{
    int i;

    if (fs->snap->nworkers == 0) {
        guard_puts(o, "null");    /* no such page: the handler says 404 */
    }
    for (i = 0; i < fs->snap->nworkers; i++) {
        if (fs->snap->workers[i].stack || i == fs->snap->nworkers - 1) {
            guard_snapshot_native(fs->pool, &fs->snap->workers[i]);
            guard_render_stack_page(fs->snap, &fs->snap->workers[i], 1, o);
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_render_and_check("json", data, size, render_page, fz_json_check);
    fz_render_and_check("json crash page", data, size, render_crash,
                        fz_json_check);
    fz_render_and_check("json child page", data, size, render_child,
                        fz_json_check);
    fz_render_and_check("json stack page", data, size, render_stack,
                        fz_json_check);
    return 0;
}
