/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/locks: guard_read_lines_from through its 4 KiB buffer, with reads
 * cut at any length (and EINTR, and a read error at the end) taken from
 * the input, must deliver exactly the lines a plain split gives, lines
 * longer than the buffer left out; every line then goes through
 * guard_locks_parse_line and the holder search. A line as the kernel
 * prints it must parse to its fields.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "guard_lines.h"
#include "guard_lock_procfs.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* The longest line delivered: with its '\n' and a NUL it fills the buffer. */
#define LINE_MAX_DELIVERED (GUARD_LINE_BUF - 2)
#define TARGETS 3

typedef struct {
    const char *data;             /* the file */
    size_t size, pos;
    fz_input_t *in;               /* read lengths, EINTR, error at the end */
    int eintr_left;
    int fail_at_end;
} file_t;

static file_t file;

ssize_t fuzz_read(int fd, void *buf, size_t n);

ssize_t fuzz_read(int fd, void *buf, size_t n)
{
    /* Once the lengths run out, whole reads. */
    size_t len = fz_left(file.in) ? fz_u8(file.in) : 0x7f;

    FZ_ASSERT(n > 0);
    if (len == 0 && file.eintr_left > 0) {
        file.eintr_left--;
        errno = EINTR;
        return -1;
    }
    if (file.pos == file.size) {
        if (file.fail_at_end) {
            errno = EIO;
            return -1;
        }
        return 0;
    }
    len = (len & 0x80) ? (len & 0x7f) * 64 + 1 : len + 1;
    if (!fz_left(file.in)) {
        len = n;
    }
    if (len > n) {
        len = n;
    }
    if (len > file.size - file.pos) {
        len = file.size - file.pos;
    }
    memcpy(buf, file.data + file.pos, len);
    file.pos += len;
    return (ssize_t)len;
}

typedef struct {
    const char *data;             /* the expected lines: a plain split */
    size_t size, pos;
    int fail_at_end;
    guard_lock_target_t targets[TARGETS];
    unsigned long lines;
} expect_t;

/* The next line the reader must deliver, or NULL; *len its length up to
 * a NUL (the callback gets a C string). */
static const char *next_expected(expect_t *e, size_t *len)
{
    while (e->pos < e->size) {
        const char *start = e->data + e->pos;
        const char *nl = memchr(start, '\n', e->size - e->pos);
        size_t n = nl ? (size_t)(nl - start) : e->size - e->pos;

        e->pos += n + (nl ? 1 : 0);
        if (n > LINE_MAX_DELIVERED || (!nl && e->fail_at_end)) {
            continue;
        }
        if (!nl && n == 0) {
            break;
        }
        *len = strnlen(start, n);
        return start;
    }
    return NULL;
}

static void on_line(void *baton, const char *line)
{
    expect_t *e = baton;
    guard_lock_line_t l;
    const char *want;
    size_t len;

    want = next_expected(e, &len);
    if (!want || strlen(line) != len || memcmp(line, want, len) != 0) {
        fz_fail(line, strlen(line), "line %lu is not the one expected",
                e->lines);
    }
    e->lines++;
    if (guard_locks_parse_line(line, &l) == 0) {
        FZ_ASSERT(l.pid >= -1);
        guard_locks_match(e->targets, TARGETS, &l);
    }
}

static void check_holders(const expect_t *e)
{
    int i;

    for (i = 0; i < TARGETS; i++) {
        const guard_lock_target_t *t = &e->targets[i];
        const guard_lock_line_t *h = guard_locks_holder(t);

        FZ_ASSERT(t->nholders >= 0 && t->nholders <= GUARD_LOCK_HOLDERS);
        FZ_ASSERT(h == NULL || (h >= t->holders
                                && h < t->holders + t->nholders));
        FZ_ASSERT(h == NULL || (!h->waiter && h->ino == t->ino));
    }
}

/* A line as fs/locks.c prints it must parse to its fields. */
static void check_kernel_line(fz_input_t *in)
{
    static const char *const classes[] = { "FLOCK", "POSIX", "OFDLCK",
                                           "LEASE" };
    static const int class_ids[] = { GUARD_LOCK_FLOCK, GUARD_LOCK_POSIX,
                                     GUARD_LOCK_OFD, GUARD_LOCK_OTHER };
    unsigned long long id = fz_range(in, 1, 0xffffffffLL), ino = fz_u64(in);
    unsigned major = (unsigned)fz_range(in, 0, 0xfff);
    unsigned minor = (unsigned)fz_range(in, 0, 0xfffff);
    int c = (int)fz_range(in, 0, 3), waiter = (int)fz_range(in, 0, 2);
    int write = fz_bool(in);
    long pid = c == 2 ? -1 : (long)fz_range(in, 1, 0x7fffffff);
    char line[256];
    guard_lock_line_t l;

    snprintf(line, sizeof(line), "%llu: %s%s ADVISORY  %s %ld "
             "%02x:%02x:%llu 0 EOF", id,
             waiter == 2 ? " -> " : waiter ? "-> " : "", classes[c],
             write ? "WRITE" : "READ ", pid, major, minor, ino);
    if (guard_locks_parse_line(line, &l) != 0 || l.id != id
        || l.waiter != (waiter > 0) || l.lock_class != class_ids[c]
        || l.write != write || l.pid != pid || l.ino != ino
        || l.dev != guard_dev_make(major, minor)) {
        fz_fail(line, strlen(line), "a /proc/locks line was misread");
    }
}

static void setup_targets(expect_t *e, fz_input_t *in)
{
    int i, k;

    for (i = 0; i < TARGETS; i++) {
        guard_lock_target_t *t = &e->targets[i];

        t->dev = guard_dev_make(fz_range(in, 0, 0x103), fz_range(in, 0, 3));
        t->ino = fz_range(in, 0, 20000000);
        t->nwaiter_pids = (int)fz_range(in, 0, GUARD_LOCK_TARGET_PIDS);
        for (k = 0; k < t->nwaiter_pids; k++) {
            t->waiter_pids[k] = (apr_int32_t)fz_range(in, -1, 70000);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    expect_t e;
    size_t len;
    const char *text;
    int rv;

    fz_init(&in, data, size);
    memset(&e, 0, sizeof(e));
    memset(&file, 0, sizeof(file));
    check_kernel_line(&in);
    setup_targets(&e, &in);
    file.eintr_left = (int)fz_range(&in, 0, 3);
    file.fail_at_end = fz_u8(&in) == 0xff;
    /* The rest: read lengths from the back, the file from the front (an
     * even split, so the reads cover the file). */
    len = fz_left(&in) - fz_left(&in) / 8;
    text = (const char *)data + in.front;
    in.front += len;
    file.data = e.data = text;
    file.size = e.size = len;
    file.in = &in;
    e.fail_at_end = file.fail_at_end;
    rv = guard_read_lines_from(-1, fuzz_read, on_line, &e);
    FZ_ASSERT(rv == (file.fail_at_end ? -1 : 0));
    if (next_expected(&e, &len) != NULL) {
        fz_fail(NULL, 0, "lines missing after line %lu", e.lines);
    }
    check_holders(&e);
    return 0;
}
