/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The /proc/net/tcp and tcp6 line parser of the inspector
 * (guard_proc_net_tcp_line): any line must be safe, and a line as the
 * kernel prints it must give the peer address it names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "guard_proc_net.h"
#include "guard_shm.h"
#include "fuzz_check.h"
#include "fuzz_input.h"

/* "  3: 0100007F:1F90 0500000A:18EB 01 ..." with inode ino. */
static void build_line(char *line, size_t cap, const apr_uint32_t *w,
                       int v6, unsigned port, unsigned long long ino)
{
    char addr[40];

    if (v6) {
        snprintf(addr, sizeof(addr), "%08X%08X%08X%08X", w[0], w[1], w[2],
                 w[3]);
    }
    else {
        snprintf(addr, sizeof(addr), "%08X", w[0]);
    }
    snprintf(line, cap, "   3: %s:0050 %s:%04X 01 00000000:00000000 "
             "00:00000000 00000000    33        0 %llu 1 0000000000000000 "
             "20 4 30 10 -1", addr, addr, port, ino);
}

static void expected_peer(const apr_uint32_t *w, int v6, unsigned port,
                          char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];

    inet_ntop(v6 ? AF_INET6 : AF_INET, w, ip, sizeof(ip));
    snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void check_constructed(fz_input_t *in)
{
    apr_uint32_t w[4];
    int v6 = fz_bool(in), i;
    unsigned port = (unsigned)fz_range(in, 0, 65535);
    unsigned long long ino = fz_u64(in);
    char line[512], want[GUARD_PEER_LEN], got[GUARD_PEER_LEN];

    for (i = 0; i < 4; i++) {
        w[i] = fz_u32(in);
    }
    build_line(line, sizeof(line), w, v6, port, ino);
    expected_peer(w, v6, port, want, sizeof(want));
    if (guard_proc_net_tcp_line(line, ino, got, sizeof(got)) != 0
        || strcmp(got, want) != 0) {
        fz_fail(want, strlen(want), "tcp line misread");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in;
    char out[GUARD_PEER_LEN], *line;
    apr_uint64_t ino;

    fz_init(&in, data, size);
    ino = fz_u64(&in);
    line = fz_rest(&in);
    out[0] = '\0';
    if (guard_proc_net_tcp_line(line, ino, out, sizeof(out)) == 0) {
        FZ_ASSERT(strlen(out) < sizeof(out));
    }
    free(line);
    fz_init(&in, data, size);
    check_constructed(&in);
    return 0;
}
