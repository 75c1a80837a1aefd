/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a child's watchdog gets its worker threads' syscall files without
 * the child ever being dumpable (guard_sysfd.h):
 * - prefork: the worker is the child's main thread, and its file is
 *   opened in drop_privileges, before mod_unixd's switch to User;
 * - worker and event: the threads are born after the switch, so the
 *   parent starts the broker (guard_broker.h) as mod_cgid starts its
 *   daemon, but executes its program (guard-broker, beside mod_guard.so)
 *   so that it holds no copy of the parent's memory; restarts it when it
 *   dies, and ends it with its configuration pool. The listening socket is
 *   the parent's own, made once and kept across restarts (retained data),
 *   in a directory only httpd's Group may enter; children close their
 *   inherited copy at start.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"
#include "ap_mpm.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "unixd.h"
#include "guard_broker.h"
#include "guard_broker_sandbox.h"
#include "guard_broker_client.h"
#include "guard_inspect.h"
#include "guard_log.h"
#include "mod_guard_broker.h"
#include "mod_guard_child.h"
#include "mod_guard_retained.h"
#include "mod_guard.h"

APLOG_USE_MODULE(guard);

/* Named for this layout (the socket in a directory): a restart into
 * this module never reads a layout kept under another name. */
#define RETAINED_KEY "mod_guard-broker-dir"
/* How long a child waits for an answer, and then stops asking. */
#define ASK_TIMEOUT_MS 250
#define ASK_PAUSE apr_time_from_sec(1)
#define BROKER_PROGRAM "guard-broker"
#ifndef GUARD_LIBEXECDIR
#define GUARD_LIBEXECDIR "/usr/lib/apache2/modules"
#endif

typedef struct {
    int listen_fd;                /* 0: not made yet */
    pid_t owner;                  /* the parent that made it */
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} broker_retained_t;

static broker_retained_t *retained;
static const char *broker_program;
static apr_pool_t *broker_pool;
static server_rec *broker_server;
/* In a child. */
static guard_broker_addr_t broker_addr;
static apr_time_t ask_paused_until;
static int own_fd = -1;
static pid_t own_tid;

static int mpm_is_threaded(void)
{
    int threaded = AP_MPMQ_NOT_SUPPORTED;

    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    return threaded != AP_MPMQ_NOT_SUPPORTED;
}

/* prefork: before mod_unixd's switch of user. Declines, so that the
 * switch itself still happens. */
static int guard_broker_drop_privileges(apr_pool_t *pchild, server_rec *s)
{
    if (guard_inspect_live() && !mpm_is_threaded()) {
        own_tid = guard_glue_gettid();
        own_fd = guard_sysfd_open_own(own_tid);
    }
    return DECLINED;
}

int guard_glue_own_sysfd(pid_t *tid)
{
    int fd = own_fd;

    *tid = own_tid;
    own_fd = -1;
    return fd;
}

int guard_glue_broker_ask(void *baton, pid_t tid)
{
    apr_time_t now = apr_time_now();
    int fd;

    if (broker_addr.len == 0 || now < ask_paused_until) {
        return -1;
    }
    fd = guard_broker_ask(&broker_addr, tid, ASK_TIMEOUT_MS);
    if (fd < 0 && errno != EPERM && errno != ESRCH && errno != EINVAL) {
        /* No broker now (restarting, or gone): waits show as unknown
         * for a while rather than each thread waiting its turn. */
        ask_paused_until = now + ASK_PAUSE;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, fd < 0 ? errno : 0,
                 (server_rec *)baton, GRD_BROKER_ASK ": syscall file of "
                 "thread %d from the broker: %s", (int)tid,
                 fd < 0 ? "not had" : "had");
    return fd;
}

/* In the forked process: the listener as fd 3, nothing else of the
 * parent's but stdin, stdout and the error log, and no environment but the
 * sanitizers' options (a test build's). Only exec and _exit here. */
static void exec_broker(char *const *argv, char *const *envp)
{
    if (dup2(retained->listen_fd, GUARD_BROKER_LISTEN_FD) < 0) {
        _exit(GUARD_BROKER_EXIT_CONFINE);
    }
    syscall(SYS_close_range, GUARD_BROKER_LISTEN_FD + 1U, ~0U, 0U);
    execve(argv[0], argv, envp);
    _exit(GUARD_BROKER_EXIT_CONFINE);
}

static char **broker_env(apr_pool_t *p)
{
    static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS" };
    char **env = apr_pcalloc(p, 3 * sizeof(*env));
    int i, n = 0;

    for (i = 0; i < 2; i++) {
        const char *v = getenv(keep[i]);

        if (v) {
            env[n++] = apr_pstrcat(p, keep[i], "=", v, NULL);
        }
    }
    return env;
}

static void broker_maint(int reason, void *data, apr_wait_t status);

static void start_broker(void)
{
    /* From the pool, not static: the pool's subprocess list is walked
     * after its cleanups have unloaded this module. */
    apr_proc_t *proc = apr_pcalloc(broker_pool, sizeof(*proc));
    char *argv[3];
    char **envp = broker_env(broker_pool);
    pid_t pid;

    argv[0] = (char *)broker_program;
    argv[1] = apr_psprintf(broker_pool, "%d", (int)getpid());
    argv[2] = NULL;
    pid = fork();

    if (pid < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, broker_server,
                     GRD_BROKER_FAILED ": cannot start the syscall-file "
                     "broker: waits of worker threads show as unknown");
        return;
    }
    if (pid == 0) {
        exec_broker(argv, envp);
    }
    proc->pid = pid;
    apr_pool_note_subprocess(broker_pool, proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(proc, broker_maint, proc, NULL,
                                  broker_pool);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, broker_server, GRD_BROKER_STARTED
                 ": syscall-file broker started, pid %d", (int)pid);
}

static int stopping(void)
{
    int state = AP_MPMQ_STOPPING;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) != APR_SUCCESS
           || state == AP_MPMQ_STOPPING;
}

/* An end that another start would only repeat: logged, 1. */
static int ended_for_good(const apr_proc_t *proc, apr_wait_t status)
{
    if (WIFEXITED(status)
        && WEXITSTATUS(status) == GUARD_BROKER_EXIT_CONFINE) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, broker_server,
                     GRD_BROKER_FAILED ": syscall-file broker pid %d "
                     "could not be executed or could not confine itself: "
                     "not restarted; waits of worker threads show as "
                     "unknown", (int)proc->pid);
        return 1;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, broker_server,
                     GRD_BROKER_SIGSYS ": syscall-file broker pid %d made "
                     "a system call outside its allow-list: not "
                     "restarted; waits of worker threads show as unknown",
                     (int)proc->pid);
        return 1;
    }
    return 0;
}

static void broker_maint(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;

    switch (reason) {
    case APR_OC_REASON_DEATH:
        apr_proc_other_child_unregister(data);
        if (stopping() || ended_for_good(proc, status)) {
            break;
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, broker_server, GRD_BROKER_DIED
                     ": syscall-file broker pid %d %s %d: restarting",
                     (int)proc->pid, WIFSIGNALED(status) ? "died of signal"
                     : "exited with status", WIFSIGNALED(status)
                     ? WTERMSIG(status) : WEXITSTATUS(status));
        start_broker();
        break;
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(data);
        start_broker();
        break;
    case APR_OC_REASON_RESTART:
        apr_proc_other_child_unregister(data);
        break;
    default:
        break;
    }
}

/* On pconf, registered after mod_so's unloading (so it runs before it),
 * each generation: the socket goes when the server exits, not at a
 * restart; only in the parent that made it. */
static apr_status_t remove_socket(void *data)
{
    if (retained && retained->owner == getpid()
        && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
        unlink(retained->path);
        rmdir(retained->dir);
    }
    return APR_SUCCESS;
}

static int make_listener(apr_pool_t *pconf, server_rec *s)
{
    const char *dir = ap_runtime_dir_relative(pconf, apr_psprintf(pconf,
                                              "guard-broker.%d",
                                              (int)getpid()));
    int fd;

    fd = guard_broker_listen(dir, ap_unixd_config.group_id, retained->path,
                             sizeof(retained->path));
    if (fd < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, GRD_BROKER_FAILED
                     ": cannot listen for the syscall-file broker in %s: "
                     "waits of worker threads show as unknown", dir);
        return -1;
    }
    apr_cpystrn(retained->dir, dir, sizeof(retained->dir));
    retained->listen_fd = fd;
    retained->owner = getpid();
    return 0;
}

/* A regular file of root's that no one else may write, or NULL. */
static const char *program_at(apr_pool_t *p, const char *dir)
{
    const char *path = apr_pstrcat(p, dir, "/" BROKER_PROGRAM, NULL);
    struct stat st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0
        || (st.st_mode & (S_IWGRP | S_IWOTH)) || !(st.st_mode & S_IXUSR)) {
        return NULL;
    }
    return path;
}

/* Beside mod_guard.so (an installed module, or the build tree's), else
 * where configure said modules go. */
static const char *find_program(apr_pool_t *p)
{
    Dl_info info;
    const char *found = NULL;

    if (dladdr(&guard_module, &info) && info.dli_fname
        && strchr(info.dli_fname, '/')) {
        char *dir = apr_pstrdup(p, info.dli_fname);

        *strrchr(dir, '/') = '\0';
        found = program_at(p, dir);
    }
    return found ? found : program_at(p, GUARD_LIBEXECDIR);
}

static void log_sandbox(server_rec *s)
{
    int abi = guard_broker_landlock_abi();

    if (abi > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_BROKER_SANDBOX
                     ": syscall-file broker: seccomp allow-list, Landlock ABI "
                     "%d: reads procfs only", abi);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, errno, s, GRD_BROKER_SANDBOX
                 ": syscall-file broker: seccomp allow-list; this kernel has "
                 "no Landlock: its files are limited by its root (procfs) "
                 "alone");
}

static int guard_broker_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                    apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !guard_inspect_live() || !mpm_is_threaded() || geteuid() != 0) {
        return OK;
    }
    if ((broker_program = find_program(pconf)) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, GRD_BROKER_FAILED
                     ": no program " BROKER_PROGRAM " (a file of root's, "
                     "writable by root only) beside mod_guard.so or in "
                     GUARD_LIBEXECDIR ": waits of worker threads show as "
                     "unknown");
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    if (retained->listen_fd <= 0 && make_listener(pconf, s) != 0) {
        return OK;
    }
    apr_pool_cleanup_register(pconf, NULL, remove_socket,
                              apr_pool_cleanup_null);
    /* Group may have changed at a restart; the socket stays. */
    if (chown(retained->path, (uid_t)-1, ap_unixd_config.group_id) != 0
        || chown(retained->dir, (uid_t)-1, ap_unixd_config.group_id) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, GRD_BROKER_FAILED
                     ": cannot give %s to httpd's Group", retained->path);
    }
    guard_broker_addr_set(&broker_addr, retained->path,
                          (socklen_t)strlen(retained->path) + 1);
    broker_pool = pconf;
    broker_server = s;
    log_sandbox(s);
    start_broker();
    return OK;
}

/* A child must not hold the broker's listening socket: whoever accepts
 * on it answers with the listener's credentials (root's). */
static void guard_broker_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (retained && retained->listen_fd > 0) {
        close(retained->listen_fd);
    }
}

void guard_broker_register_hooks(apr_pool_t *p)
{
    static const char *const before_unixd[] = { "mod_unixd.c", NULL };

    ap_hook_drop_privileges(guard_broker_drop_privileges, NULL, before_unixd,
                            APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(guard_broker_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(guard_broker_child_init, NULL, NULL,
                       APR_HOOK_REALLY_FIRST);
}
