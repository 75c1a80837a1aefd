/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/<pid>/task/<tid>/stat: guard_proc_parse_stat on any bytes, and on
 * a well-formed line whose comm (spaces, parentheses, anything but NUL)
 * and numbers come from the input: that one must parse, to its numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guard_proc.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* A line as the kernel prints it (fs/proc/array.c), 52 fields. */
static char *stat_line(const char *comm, char state, unsigned long long ut,
                       unsigned long long st, unsigned long long start)
{
    size_t cap = strlen(comm) + 512;
    char *line = malloc(cap);

    snprintf(line, cap, "4242 (%s) %c 1 4242 4242 0 -1 4194560 1375 0 0 0 "
             "%llu %llu 0 0 20 0 1 0 %llu 228036608 2261 "
             "18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 17 1 0 0 "
             "0 0 0 0 0 0 0 0 0 0\n", comm, state, ut, st, start);
    return line;
}

static void check_constructed(fz_input_t *in)
{
    static const char states[] = "RSDTtZXIPKW";
    unsigned long long ut = fz_u64(in), st = fz_u64(in), start = fz_u64(in);
    char state = (char)fz_u8(in), *comm, *line;
    guard_stat_line_t out;

    state = states[(unsigned char)state % (sizeof(states) - 1)];
    comm = fz_rest(in);
    line = stat_line(comm, state, ut, st, start);
    if (guard_proc_parse_stat(line, &out) != 0 || out.state != state
        || out.utime != ut || out.stime != st || out.starttime != start
        || out.ppid != 1) {
        fz_fail(line, strlen(line), "a well-formed stat line was misread");
    }
    free(line);
    free(comm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fz_cstr(data, size);
    guard_stat_line_t out;
    fz_input_t in;

    if (guard_proc_parse_stat(line, &out) != 0) {
        FZ_ASSERT(out.state == 0 && out.ppid == 0 && out.utime == 0
                  && out.stime == 0 && out.starttime == 0);
    }
    free(line);
    fz_init(&in, data, size);
    check_constructed(&in);
    return 0;
}
