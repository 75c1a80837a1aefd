/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names of crash frames, resolved outside the crash handler: by the page
 * renderer, and by the parent when it logs a child's exit. A record gives
 * a module's path and an offset; the module loaded here under that path
 * (children of one generation load what the parent loaded at
 * configuration) gives the address to hand to dladdr().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_crash_sym.h"

typedef struct {
    const char *path;
    char exe[GUARD_CRASH_MODULE_LEN];
    int found;
    apr_uint64_t bias;
} find_t;

static int match_module(struct dl_phdr_info *info, size_t size, void *data)
{
    find_t *f = data;
    const char *name = info->dlpi_name && *info->dlpi_name
                       ? info->dlpi_name : f->exe;

    /* A record's path is cut to GUARD_CRASH_MODULE_LEN - 1. */
    if (strncmp(name, f->path, GUARD_CRASH_MODULE_LEN - 1) != 0) {
        return 0;
    }
    f->found = 1;
    f->bias = (apr_uint64_t)info->dlpi_addr;
    return 1;
}

int guard_crash_module_bias(const char *path, apr_uint64_t *bias)
{
    find_t f;
    ssize_t n;

    memset(&f, 0, sizeof(f));
    f.path = path;
    n = readlink("/proc/self/exe", f.exe, sizeof(f.exe) - 1);
    f.exe[n > 0 ? n : 0] = '\0';
    if (!path || !*path) {
        return 0;
    }
    dl_iterate_phdr(match_module, &f);
    *bias = f.bias;
    return f.found;
}

int guard_symbolize_dladdr(void *baton, const char *module,
                           apr_uint64_t offset, int is_return,
                           guard_frame_sym_t *out)
{
    Dl_info info;
    apr_uint64_t bias, addr;

    if (!guard_crash_module_bias(module, &bias)) {
        return 0;
    }
    addr = bias + offset;
    if (!dladdr((void *)(apr_uintptr_t)(is_return ? addr - 1 : addr), &info)
        || !info.dli_sname || !info.dli_saddr
        || (apr_uint64_t)(apr_uintptr_t)info.dli_saddr > addr) {
        return 0;
    }
    apr_cpystrn(out->function, info.dli_sname, sizeof(out->function));
    out->func_offset = addr - (apr_uint64_t)(apr_uintptr_t)info.dli_saddr;
    return 1;
}
