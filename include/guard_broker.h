/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall-file broker: a small program (guard-broker) that httpd's
 * parent executes as root (uid 0, every capability dropped, a seccomp
 * allow-list, Landlock: read /proc only) for threaded MPMs, whose worker
 * threads are born after the child has switched to User and so cannot
 * open their own /proc/self/task/<tid>/syscall. It opens
 * /proc/<pid>/task/<tid>/syscall for the asking process only, where pid
 * comes from the kernel (SO_PEERCRED and each message's SCM_CREDENTIALS,
 * which must agree), pid's parent is the server's parent, and tid is a
 * thread of pid; it passes the fd back with SCM_RIGHTS and keeps nothing.
 * It reads fixed-size requests only, never blocks on a client, and holds
 * at most GUARD_BROKER_MAX_CONNS connections for GUARD_BROKER_CONN_TIME
 * each (the oldest goes when a new one comes). Every round it accepts all
 * that wait (up to GUARD_BROKER_ACCEPT_BATCH) and closes those of
 * processes that are not children at once, so that a flood of them cannot
 * fill the backlog.
 */
#ifndef GUARD_BROKER_H
#define GUARD_BROKER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <apr.h>
#include <apr_time.h>
#include "guard_broker_proto.h"

#define GUARD_BROKER_MAX_CONNS 64
#define GUARD_BROKER_CONN_TIME apr_time_from_sec(2)
#define GUARD_BROKER_BACKLOG 1024
#define GUARD_BROKER_ACCEPT_BATCH 1024
/** The fd of the listening socket in the broker's program. */
#define GUARD_BROKER_LISTEN_FD 3
/** The program's exit status when it could not confine itself (or not be
 * executed): the parent does not start it again. */
#define GUARD_BROKER_EXIT_CONFINE 70
/** The socket's name in its directory. */
#define GUARD_BROKER_SOCK_NAME "broker.sock"

/** Processes found not to be children are refused without another look
 * for this long: at most GUARD_BROKER_REFUSED of them, the oldest
 * forgotten first. (A pid that comes back as a child in that time is
 * refused until then: its watchdog asks again a second later.) */
#define GUARD_BROKER_REFUSED 64
#define GUARD_BROKER_REFUSED_TIME apr_time_from_msec(250)

typedef struct {
    pid_t pid[GUARD_BROKER_REFUSED];
    apr_time_t until[GUARD_BROKER_REFUSED];
    int next;
} guard_broker_refused_t;

typedef struct {
    int listen_fd;            /* SOCK_SEQPACKET, listening, SO_PASSCRED,
                               * non-blocking */
    pid_t server_pid;         /* askers must be its children */
    const char *proc;         /* where procfs is: "/proc", or "" when the
                               * broker's root is procfs itself */
} guard_broker_cfg_t;

/**
 * Check one received message. n is recvmsg's result, flags its
 * msg_flags, sender the pid of its SCM_CREDENTIALS (0: none came) and
 * conn_pid the connection's SO_PEERCRED pid.
 * @return 0 with *tid set, or EINVAL (malformed) or EPERM (sender is not
 *         the connection's process)
 */
int guard_broker_check_request(const void *buf, ssize_t n, int flags,
                               pid_t sender, pid_t conn_pid, pid_t *tid);

/** Empty the set of refused pids. */
void guard_broker_refused_init(guard_broker_refused_t *r);

/** 1 when pid was refused less than GUARD_BROKER_REFUSED_TIME before now. */
int guard_broker_refused_has(const guard_broker_refused_t *r, pid_t pid,
                             apr_time_t now);

/** Remember pid as refused at now (replacing the oldest entry). */
void guard_broker_refused_add(guard_broker_refused_t *r, pid_t pid,
                              apr_time_t now);

/**
 * 1 when <proc>/<pid>/stat names server_pid as pid's parent. pid itself
 * (and anything outside the server: its parent, other processes) is not.
 */
int guard_broker_child_of(const char *proc, pid_t pid, pid_t server_pid);

/**
 * Open <proc>/<pid>/task/<tid>/syscall for pid, if pid is a child of
 * server_pid (checked before and after the open).
 * @return an fd, or -1 with errno EPERM or ESRCH
 */
int guard_broker_open_for(const char *proc, pid_t pid, pid_t tid,
                          pid_t server_pid);

/**
 * A listening, non-blocking SOCK_SEQPACKET socket with SO_PASSCRED at
 * <dir>/GUARD_BROKER_SOCK_NAME (its path written to path). dir is made
 * if need be, and must otherwise be a directory of this user (not a
 * link). Then the socket is made mode 0660 and dir 0710, both of this
 * user and of group gid: only this user and members of gid (httpd's
 * Group) can reach the socket, and none but this user can replace it.
 * @return the fd, or -1 with errno (ENAMETOOLONG: the path does not fit
 *         in a sockaddr_un or in size)
 */
int guard_broker_listen(const char *dir, gid_t gid, char *path, size_t size);

/**
 * Drop every capability (effective, permitted, inheritable, bounding;
 * root's exec privileges locked away), forbid new privileges, and make the
 * process not dumpable. The broker needs none of them: a not dumpable
 * child's syscall files belong to uid 0, and the kernel checks at each
 * read that the reader is the thread's own process.
 * @return 0, or -1 when the capabilities could not be dropped
 */
int guard_broker_confine(void);

/**
 * Serve until *stop is set or server_pid is no longer this process's
 * parent. Never blocks on a client.
 */
void guard_broker_serve(const guard_broker_cfg_t *cfg,
                        volatile sig_atomic_t *stop);

#endif
