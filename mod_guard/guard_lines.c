/* SPDX-License-Identifier: Apache-2.0 */
/* A file's lines through a fixed buffer. No malloc. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <apr.h>
#include "guard_lines.h"

/* Split the lines of buf[0..have); returns how many bytes of a partial
 * line are left, moved to the front. */
static apr_size_t split_lines(char *buf, apr_size_t have, guard_line_fn *fn,
                              void *baton)
{
    char *line = buf, *nl;
    apr_size_t left;

    buf[have] = '\0';
    while ((nl = memchr(line, '\n', (apr_size_t)(buf + have - line)))) {
        *nl = '\0';
        fn(baton, line);
        line = nl + 1;
    }
    left = (apr_size_t)(buf + have - line);
    memmove(buf, line, left);
    return left;
}

int guard_read_lines(int fd, guard_line_fn *fn, void *baton)
{
    return guard_read_lines_from(fd, read, fn, baton);
}

int guard_read_lines_from(int fd, guard_read_fn *rd, guard_line_fn *fn,
                          void *baton)
{
    char buf[GUARD_LINE_BUF];
    apr_size_t have = 0;
    int skipping = 0;
    ssize_t n;

    for (;;) {
        n = rd(fd, buf + have, sizeof(buf) - 1 - have);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        have += (apr_size_t)n;
        if (skipping) {
            char *nl = memchr(buf, '\n', have);

            if (!nl) {
                have = 0;
                continue;
            }
            have -= (apr_size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have);
            skipping = 0;
        }
        have = split_lines(buf, have, fn, baton);
        if (have == sizeof(buf) - 1) {
            have = 0;             /* no line is that long: drop it */
            skipping = 1;
        }
    }
    if (n == 0 && have > 0 && !skipping) {
        buf[have] = '\0';
        fn(baton, buf);           /* a last line without newline */
    }
    return n < 0 ? -1 : 0;
}
