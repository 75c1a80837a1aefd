/*
 * Reading a text file of /proc line by line through a fixed buffer on
 * the stack: such files (/proc/locks, fdinfo) can hold thousands of lines
 * on a busy host. No malloc.
 */
#ifndef GUARD_LINES_H
#define GUARD_LINES_H

/** Called with each complete line, NUL-terminated, without newline. */
typedef void guard_line_fn(void *baton, const char *line);

/**
 * Read fd to its end and call fn for each line, through a fixed buffer
 * on the stack (lines longer than the buffer are skipped).
 * @return 0, or -1 on a read error
 */
int guard_read_lines(int fd, guard_line_fn *fn, void *baton);

#endif
