/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash capture, the parent's names for a dead child's frames: the
 * handler writes module(+offset) only; the parent, which loaded the same
 * modules at configuration, looks the offsets up with dladdr() when it
 * logs the child's exit. The error log is root's: absolute addresses may
 * stay in it.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "guard_sane.h"
#include "guard_crash_sym.h"
#include "guard_crash_view.h"
#include "guard_crash_where.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_crash_names.h"

APLOG_USE_MODULE(guard);

/* "/lib/libc.so.6(strlen+0x1d)", "/lib/libc.so.6(+0x8a1d)", "" */
static const char *where_text(apr_pool_t *p, const guard_crash_rec_t *r,
                              int i)
{
    guard_frame_sym_t f;

    guard_crash_where_sym(&f, guard_crash_module_of(r, &r->at[i]),
                          &r->at[i], i > 0, guard_symbolize_dladdr, NULL);
    if (!f.resolved) {
        return "";
    }
    if (f.function[0]) {
        return apr_psprintf(p, "%s(%s+0x%" APR_UINT64_T_HEX_FMT ") ",
                            f.module, f.function, f.func_offset);
    }
    return apr_psprintf(p, "%s(+0x%" APR_UINT64_T_HEX_FMT ") ", f.module,
                        f.offset);
}

static void log_frames(server_rec *s, const guard_crash_rec_t *r)
{
    apr_pool_t *p;
    apr_uint32_t i;
    int stuck = (r->flags & GUARD_CRASHF_STUCK) != 0;

    if (!(r->flags & GUARD_CRASHF_FRAMES) || !r->nframes
        || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < r->nframes && i < GUARD_CRASH_FRAMES; i++) {
        /* A GuardStuckTimeout end is no crash: its stack, at notice. */
        ap_log_error(APLOG_MARK, stuck ? APLOG_NOTICE : APLOG_ERR, 0, s,
                     GRD_CRASH_NAMES ": %s %" APR_UINT64_T_FMT ": #%u %s[0x%"
                     APR_UINT64_T_HEX_FMT "]", stuck ? "stuck record"
                     : "crash", r->id, i, where_text(p, r, (int)i),
                     r->frames[i]);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

void guard_crash_log_names(server_rec *s, const guard_crash_shm_t *c,
                           const guard_crash_rec_t *r)
{
    guard_crash_rec_t full;

    if (!r->id || guard_crash_read(c, r->id - 1, &full) == 0
        || full.id != r->id || full.pid != r->pid) {
        return;   /* overwritten since: the report has the addresses */
    }
    /* A child wrote it: counts and module paths made safe first. */
    guard_sane_crash(&full);
    if (full.flags & GUARD_CRASHF_LIMIT) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_CRASH_LIMIT
                     ": crash %" APR_UINT64_T_FMT ": the crash handler of "
                     "pid %d did not finish within %d s: its time limit "
                     "ended the process", r->id, r->pid,
                     GUARD_CRASH_HANDLER_LIMIT_S);
    }
    log_frames(s, &full);
}
