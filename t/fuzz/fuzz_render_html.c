/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTML renderers (the page, ?crash=<id>, ?child=<n>) on a snapshot of
 * hostile strings: every '<' must open a tag the renderer writes, every
 * '&' an entity of the escaper, and the tags must be the same as with
 * the special bytes of the strings replaced.
 */
#include <stddef.h>
#include <stdint.h>
#include "guard_status_html.h"
#include "guard_status_pages.h"
#include "fuzz_check.h"
#include "fuzz_snapshot.h"

static void render_page(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_html(fs->snap, fs->refresh, o);
}

static void render_crash(const fz_snapshot_t *fs, guard_sink_t *o)
{
    if (fs->item) {
        guard_render_crash_page(fs->snap, fs->item, 0, o);
    }
}

static void render_child(const fz_snapshot_t *fs, guard_sink_t *o)
{
    guard_render_child_page(fs->snap, fs->child, 0, o);
}

/* The page of ?stack=<child>.<thread>: the stuck worker's, or the first. */
static void render_stack(const fz_snapshot_t *fs, guard_sink_t *o)
{
    int i;

    for (i = 0; i < fs->snap->nworkers; i++) {
        if (fs->snap->workers[i].stack || i == fs->snap->nworkers - 1) {
            guard_snapshot_native(fs->pool, &fs->snap->workers[i]);
            guard_render_stack_page(fs->snap, &fs->snap->workers[i], 0, o);
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_render_and_check("html", data, size, render_page, fz_html_check);
    fz_render_and_check("html crash page", data, size, render_crash,
                        fz_html_check);
    fz_render_and_check("html child page", data, size, render_child,
                        fz_html_check);
    fz_render_and_check("html stack page", data, size, render_stack,
                        fz_html_check);
    return 0;
}
