/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall-file broker's confinement beyond its capabilities: a
 * seccomp allow-list of the system calls its loop makes (anything else
 * kills it), and, where the kernel has Landlock, read access to /proc
 * only. Plain C, applied by the broker's own program (guard_broker_main.c)
 * after it has dropped its capabilities.
 */
#ifndef GUARD_BROKER_SANDBOX_H
#define GUARD_BROKER_SANDBOX_H

#include <linux/filter.h>

/** Room for the allow-list's BPF program. */
#define GUARD_BROKER_BPF_MAX 64

/**
 * The system calls the broker's loop makes (guard_broker_serve: poll,
 * accept4, getsockopt, openat, read, recvmsg, sendmsg, close, getppid, the
 * clock, and the exits), for this architecture.
 * @return how many were written to nrs (at most max)
 */
int guard_broker_syscalls(int *nrs, int max);

/**
 * Build a seccomp filter that allows exactly the n system calls in nrs,
 * for the architecture arch (an AUDIT_ARCH_* value), and returns
 * deny_action (e.g. SECCOMP_RET_KILL_PROCESS) for every other call, for a
 * call of another architecture, and (x86_64) for x32 calls.
 * @return the number of instructions written to prog, or -1 when max is
 *         too small
 */
int guard_broker_bpf(struct sock_filter *prog, int max, unsigned int arch,
                     const int *nrs, int n, unsigned int deny_action);

/**
 * Install the allow-list of guard_broker_syscalls() (no_new_privs must be
 * set, as guard_broker_confine() does). Irrevocable.
 * @return 0, or -1 with errno (no seccomp in this kernel, unknown arch)
 */
int guard_broker_seccomp(void);

/**
 * The Landlock ABI version of the running kernel.
 * @return >= 1, or 0 when Landlock is absent or disabled (errno says why:
 *         ENOSYS not built in, EOPNOTSUPP disabled at boot)
 */
int guard_broker_landlock_abi(void);

/**
 * Restrict this process, with Landlock, to reading regular files beneath
 * dir (the broker's /proc): no other file access, no TCP bind or connect
 * (ABI 4), no abstract unix socket outside its domain and no signals to
 * other processes (ABI 6). no_new_privs must be set.
 * @return the ABI used, 0 when the kernel has no Landlock (nothing done),
 *         or -1 with errno when it has and the restriction failed
 */
int guard_broker_landlock(const char *dir);

#endif
