/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Preloaded ahead of the ASan runtime into the httpd of the integration
 * tests of a --enable-sanitizers build: PHP dlopen()s its extensions with
 * RTLD_DEEPBIND, which the ASan runtime refuses (a library bound deep
 * would call libc's malloc and ASan's free), so this dlopen drops the
 * flag and hands on to the next dlopen (ASan's). Without DEEPBIND an
 * extension resolves its symbols like any httpd module does. Not built
 * with the sanitizers; not part of mod_guard.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

void *dlopen(const char *file, int flags)
{
    static void *(*next)(const char *, int);

    if (!next) {
        next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    }
    return next(file, flags & ~RTLD_DEEPBIND);
}
