/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's seccomp allow-list and its Landlock rule (see
 * guard_broker_sandbox.h). The Landlock structures and constants are
 * written out here: Debian 12's kernel headers stop at ABI 1, the
 * kernels it runs on may have more.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "guard_broker_sandbox.h"

#if defined(__x86_64__)
#define GUARD_AUDIT_ARCH AUDIT_ARCH_X86_64
#define GUARD_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define GUARD_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

typedef struct {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;    /* ABI 4 */
    uint64_t scoped;                /* ABI 6 */
} ll_ruleset_attr_t;

typedef struct {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed)) ll_path_beneath_t;

int guard_broker_syscalls(int *nrs, int max)
{
    static const int calls[] = {
#ifdef SYS_poll
        SYS_poll,
#else
        SYS_ppoll,                /* glibc's poll() where there is no poll */
#endif
        SYS_accept4, SYS_getsockopt, SYS_openat, SYS_read,
        SYS_recvmsg, SYS_sendmsg, SYS_close, SYS_getppid,
        SYS_clock_gettime, SYS_gettimeofday, SYS_restart_syscall,
        SYS_rt_sigreturn, SYS_exit, SYS_exit_group
    };
    int i, n = (int)(sizeof(calls) / sizeof(calls[0]));

    for (i = 0; i < n && i < max; i++) {
        nrs[i] = calls[i];
    }
    return i;
}

static void put(struct sock_filter *p, unsigned short code, unsigned char jt,
                unsigned char jf, unsigned int k)
{
    p->code = code;
    p->jt = jt;
    p->jf = jf;
    p->k = k;
}

int guard_broker_bpf(struct sock_filter *prog, int max, unsigned int arch,
                     const int *nrs, int n, unsigned int deny_action)
{
    int i, len = 0;

    if (n < 0 || max < n + 7) {
        return -1;
    }
    put(&prog[len++], BPF_LD | BPF_W | BPF_ABS,
        0, 0, offsetof(struct seccomp_data, arch));
    put(&prog[len++], BPF_JMP | BPF_JEQ | BPF_K, 1, 0, arch);
    put(&prog[len++], BPF_RET | BPF_K, 0, 0, deny_action);
    put(&prog[len++], BPF_LD | BPF_W | BPF_ABS,
        0, 0, offsetof(struct seccomp_data, nr));
#ifdef GUARD_X32_BIT
    /* x32 numbers alias x86_64's with this bit set: to the deny. */
    put(&prog[len++], BPF_JMP | BPF_JGE | BPF_K, (unsigned char)n, 0,
        GUARD_X32_BIT);
#endif
    for (i = 0; i < n; i++) {
        /* The last compare of the list jumps to ALLOW past the deny. */
        put(&prog[len++], BPF_JMP | BPF_JEQ | BPF_K,
            (unsigned char)(n - i), 0, (unsigned int)nrs[i]);
    }
    put(&prog[len++], BPF_RET | BPF_K, 0, 0, deny_action);
    put(&prog[len++], BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    return len;
}

int guard_broker_seccomp(void)
{
#ifdef GUARD_AUDIT_ARCH
    struct sock_filter prog[GUARD_BROKER_BPF_MAX];
    struct sock_fprog fprog;
    int nrs[GUARD_BROKER_BPF_MAX], n, len;

    n = guard_broker_syscalls(nrs, GUARD_BROKER_BPF_MAX);
    len = guard_broker_bpf(prog, GUARD_BROKER_BPF_MAX, GUARD_AUDIT_ARCH, nrs,
                           n, SECCOMP_RET_KILL_PROCESS);
    if (len < 0) {
        errno = ENOSPC;
        return -1;
    }
    fprog.len = (unsigned short)len;
    fprog.filter = prog;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
#else
    errno = ENOTSUP;
    return -1;
#endif
}

int guard_broker_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
                     LL_CREATE_RULESET_VERSION);

    return v > 0 ? (int)v : 0;
}

/* Every file access the kernel's ABI knows, so that all are denied but
 * the one the rule allows. */
static uint64_t fs_accesses(int abi)
{
    uint64_t all = (1ULL << 13) - 1;       /* ABI 1: EXECUTE..MAKE_SYM */

    if (abi >= 2) {
        all |= 1ULL << 13;                 /* REFER */
    }
    if (abi >= 3) {
        all |= 1ULL << 14;                 /* TRUNCATE */
    }
    if (abi >= 5) {
        all |= 1ULL << 15;                 /* IOCTL_DEV */
    }
    return all;
}

static int ll_ruleset(int abi)
{
    ll_ruleset_attr_t attr;
    size_t size = offsetof(ll_ruleset_attr_t, handled_access_net);

    memset(&attr, 0, sizeof(attr));
    attr.handled_access_fs = fs_accesses(abi);
    if (abi >= 4) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = offsetof(ll_ruleset_attr_t, scoped);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof(attr);
    }
    return (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
}

int guard_broker_landlock(const char *dir)
{
    ll_path_beneath_t rule;
    int abi = guard_broker_landlock_abi(), rs, rc = -1, e;

    if (abi == 0) {
        return 0;
    }
    if ((rs = ll_ruleset(abi)) < 0) {
        return -1;
    }
    rule.allowed_access = LL_FS_READ_FILE;
    rule.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rule.parent_fd >= 0
        && syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &rule,
                   0) == 0
        && syscall(SYS_landlock_restrict_self, rs, 0) == 0) {
        rc = abi;
    }
    e = errno;
    if (rule.parent_fd >= 0) {
        close(rule.parent_fd);
    }
    close(rs);
    errno = e;
    return rc;
}
