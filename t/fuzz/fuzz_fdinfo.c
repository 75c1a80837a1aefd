/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/self/fdinfo/<fd>: the epoll "tfd:" lines (guard_proc_epoll_fds)
 * and the "lock:" lines of OFD locks (guard_lockofd_parse_fdinfo), on any
 * bytes; and on text built as the kernel prints it, from numbers and
 * other lines of the input, which must give back exactly those numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guard_lock_procfs.h"
#include "guard_lock_ofd.h"
#include "guard_proc.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

#define MAX_FDS 16

/* Any bytes: whatever comes back is in range, and each line of it may be
 * read as a lock line. */
static void check_any(const char *text)
{
    int fds[MAX_FDS], n, i;
    char *copy = strdup(text), *line, *save = NULL;
    guard_lock_line_t l;

    n = guard_proc_epoll_fds(text, fds, MAX_FDS);
    FZ_ASSERT(n >= 0 && n <= MAX_FDS);
    for (i = 0; i < n; i++) {
        FZ_ASSERT(fds[i] >= 0);
    }
    for (line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        guard_lockofd_parse_fdinfo(line, &l);
    }
    free(copy);
}

/* A line of the input that cannot pass for a tfd line: no newline in it,
 * and not starting with "tfd:". */
static void other_line(fz_input_t *in, char *dst, size_t cap)
{
    char *p;

    fz_str(in, dst, cap);
    for (p = dst; *p; p++) {
        if (*p == '\n') {
            *p = ' ';
        }
    }
    if (strncmp(dst, "tfd:", 4) == 0) {
        dst[0] = 'x';
    }
}

static void check_epoll(fz_input_t *in)
{
    int want[MAX_FDS], got[MAX_FDS + 1], k = (int)fz_range(in, 0, MAX_FDS);
    int i, n;
    size_t cap = 64 + (size_t)(k + 1) * 256, len = 0;
    char *text = malloc(cap), other[128];

    len += (size_t)snprintf(text + len, cap - len,
                            "pos:\t0\nflags:\t02000002\nmnt_id:\t15\n");
    for (i = 0; i < k; i++) {
        want[i] = (int)fz_range(in, 0, 0x7fffffff);
        len += (size_t)snprintf(text + len, cap - len,
                                "tfd: %8d events: %8x data: %16llx  pos:0 "
                                "ino:%lx sdev:%x\n", want[i],
                                (unsigned)fz_u32(in),
                                (unsigned long long)fz_u64(in),
                                (unsigned long)fz_u32(in),
                                (unsigned)fz_u8(in));
        if (fz_bool(in)) {
            other_line(in, other, sizeof(other));
            len += (size_t)snprintf(text + len, cap - len, "%s\n", other);
        }
    }
    n = guard_proc_epoll_fds(text, got, MAX_FDS + 1);
    if (n != k) {
        fz_fail(text, len, "%d tfd lines read as %d", k, n);
    }
    for (i = 0; i < k; i++) {
        if (got[i] != want[i]) {
            fz_fail(text, len, "tfd %d read as %d", want[i], got[i]);
        }
    }
    free(text);
}

/* An OFD lock as the kernel prints it in fdinfo. */
static void check_ofd_line(fz_input_t *in)
{
    unsigned maj = (unsigned)fz_range(in, 0, 0xfff);
    unsigned mnr = (unsigned)fz_range(in, 0, 0xfffff);
    unsigned long long ino = fz_u64(in);
    int write = fz_bool(in);
    char line[256];
    guard_lock_line_t l;

    snprintf(line, sizeof(line), "lock:\t1: OFDLCK ADVISORY  %s -1 "
             "%02x:%02x:%llu 0 EOF", write ? "WRITE" : "READ ", maj, mnr,
             ino);
    if (guard_lockofd_parse_fdinfo(line, &l) != 0) {
        fz_fail(line, strlen(line), "a well-formed OFD lock line refused");
    }
    if (l.lock_class != GUARD_LOCK_OFD || l.pid != -1 || l.ino != ino
        || l.write != write || l.waiter) {
        fz_fail(line, strlen(line), "OFD lock line misread");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    char *text = malloc(size + 1);

    memcpy(text, data, size);
    text[size] = '\0';
    check_any(text);
    free(text);
    fz_init(&in, data, size);
    check_ofd_line(&in);
    check_epoll(&in);
    return 0;
}
