/*
 * Symbols of crash frames, resolved when a page is rendered. Children of
 * one generation inherit the parent's mappings (modules are loaded at
 * configuration), so an address from a dead sibling means the same here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <string.h>
#include <apr_strings.h>
#include "guard_crash_sym.h"

int guard_symbolize_dladdr(void *baton, apr_uint64_t addr, int is_return,
                           guard_frame_sym_t *out)
{
    Dl_info info;
    /* A return address points after its call: look up the call itself. */
    apr_uint64_t look = is_return && addr > 0 ? addr - 1 : addr;

    memset(out, 0, sizeof(*out));
    out->addr = addr;
    if (!addr || !dladdr((void *)(apr_uintptr_t)look, &info)
        || !info.dli_fname) {
        return 0;
    }
    out->resolved = 1;
    apr_cpystrn(out->module, info.dli_fname, sizeof(out->module));
    out->offset = addr - (apr_uint64_t)(apr_uintptr_t)info.dli_fbase;
    if (info.dli_sname && info.dli_saddr) {
        apr_cpystrn(out->function, info.dli_sname, sizeof(out->function));
        out->func_offset = addr - (apr_uint64_t)(apr_uintptr_t)info.dli_saddr;
    }
    return 1;
}
