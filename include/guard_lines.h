/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a text file of /proc line by line through a fixed buffer on
 * the stack: such files (/proc/locks, fdinfo) can hold thousands of lines
 * on a busy host. No malloc.
 */
#ifndef GUARD_LINES_H
#define GUARD_LINES_H

#include <sys/types.h>

/* The buffer: a line with its newline longer than GUARD_LINE_BUF - 1 bytes
 * is skipped. */
#define GUARD_LINE_BUF 4096

/** Called with each complete line, NUL-terminated, without newline. */
typedef void guard_line_fn(void *baton, const char *line);

/**
 * Read fd to its end and call fn for each line, through a fixed buffer
 * on the stack (lines longer than the buffer are skipped).
 * @return 0, or -1 on a read error
 */
int guard_read_lines(int fd, guard_line_fn *fn, void *baton);

/** As read(2). */
typedef ssize_t guard_read_fn(int fd, void *buf, size_t n);

/** guard_read_lines, reading through rd instead of read(2). */
int guard_read_lines_from(int fd, guard_read_fn *rd, guard_line_fn *fn,
                          void *baton);

#endif
