/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/<pid>/task/<tid>/syscall: guard_proc_parse_syscall and the
 * decoding of what was parsed. A line that parses must print back, in
 * the kernel's format, to a line that parses to the same values; a line
 * that does not must leave the result reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guard_proc.h"
#include "guard_syscall.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

static void check_decode(const guard_syscall_line_t *sc)
{
    guard_call_t call;
    const char *name = guard_syscall_name(sc->nr);

    guard_syscall_decode(sc, &call);
    FZ_ASSERT(call.call <= GUARD_CALL_TRANSFER);
    FZ_ASSERT(name == NULL || strlen(name) < 64);
    if (sc->running || sc->nr < 0) {
        FZ_ASSERT(call.call == GUARD_CALL_NONE);
    }
    else {
        FZ_ASSERT(call.call != GUARD_CALL_NONE);
    }
}

static void check_round_trip(const guard_syscall_line_t *sc)
{
    char line[256];
    guard_syscall_line_t again;

    if (sc->running) {
        snprintf(line, sizeof(line), "running\n");
    }
    else if (sc->nr < 0) {
        snprintf(line, sizeof(line), "%ld 0x%llx 0x%llx\n", sc->nr,
                 (unsigned long long)sc->sp, (unsigned long long)sc->pc);
    }
    else {
        snprintf(line, sizeof(line), "%ld 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx "
                 "0x%llx 0x%llx 0x%llx\n", sc->nr,
                 (unsigned long long)sc->args[0],
                 (unsigned long long)sc->args[1],
                 (unsigned long long)sc->args[2],
                 (unsigned long long)sc->args[3],
                 (unsigned long long)sc->args[4],
                 (unsigned long long)sc->args[5],
                 (unsigned long long)sc->sp, (unsigned long long)sc->pc);
    }
    if (guard_proc_parse_syscall(line, &again) != 0
        || memcmp(&again, sc, sizeof(again)) != 0) {
        fz_fail(line, strlen(line), "syscall line does not parse back");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const guard_syscall_line_t reset = { 0, -1, { 0 }, 0, 0 };
    char *line = fz_cstr(data, size);
    guard_syscall_line_t sc;

    memset(&sc, 0xa5, sizeof(sc));
    if (guard_proc_parse_syscall(line, &sc) == 0) {
        check_round_trip(&sc);
    }
    else {
        FZ_ASSERT(memcmp(&sc, &reset, sizeof(sc)) == 0);
    }
    check_decode(&sc);
    free(line);
    return 0;
}
