/*
 * How a child's watchdog gets its worker threads' syscall files without
 * the child ever being dumpable (guard_sysfd.h):
 * - prefork: the worker is the child's main thread, and its file is
 *   opened in drop_privileges, before mod_unixd's switch to User;
 * - worker and event: the threads are born after the switch, so the
 *   parent starts the broker (guard_broker.h) as mod_cgid starts its
 *   daemon, restarts it when it dies, and ends it with its configuration
 *   pool. The listening socket is the parent's own, made once and kept
 *   across restarts (retained data), so its name never changes hands;
 *   children close their inherited copy at start.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
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
#include "guard_broker.h"
#include "guard_broker_client.h"
#include "guard_inspect.h"
#include "guard_log.h"
#include "mod_guard_broker.h"
#include "mod_guard_child.h"
#include "mod_guard_retained.h"

APLOG_USE_MODULE(guard);

#define RETAINED_KEY "mod_guard-broker"
/* How long a child waits for an answer, and then stops asking. */
#define ASK_TIMEOUT_MS 250
#define ASK_PAUSE apr_time_from_sec(1)
/* The broker's exit status when it could not confine itself. */
#define BROKER_STARTUP_ERROR 70

typedef struct {
    int listen_fd;                /* 0: not made yet */
    char name[64];
    socklen_t namelen;
} broker_retained_t;

static broker_retained_t *retained;
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

static void broker_main(pid_t parent)
{
    static volatile sig_atomic_t never;
    guard_broker_cfg_t cfg;
    sigset_t none;
    int sig;

    prctl(PR_SET_NAME, "guard-broker", 0, 0, 0);
    /* Dies with the parent; exits if the parent is gone already. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(0);
    }
    cfg.server_pid = parent;
    for (sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(retained->listen_fd, 3) < 0) {
        _exit(BROKER_STARTUP_ERROR);
    }
    syscall(SYS_close_range, 4U, ~0U, 0U);
    cfg.listen_fd = 3;
    if (guard_broker_confine() != 0) {
        _exit(BROKER_STARTUP_ERROR);
    }
    guard_broker_serve(&cfg, &never);
    _exit(0);
}

static void broker_maint(int reason, void *data, apr_wait_t status);

static void start_broker(void)
{
    pid_t parent = getpid(), pid;
    /* From the pool, not static: the pool's subprocess list is walked
     * after its cleanups have unloaded this module. */
    apr_proc_t *proc = apr_pcalloc(broker_pool, sizeof(*proc));

    pid = fork();

    if (pid < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, broker_server,
                     GRD_BROKER_FAILED ": cannot start the syscall-file "
                     "broker: waits of worker threads show as unknown");
        return;
    }
    if (pid == 0) {
        broker_main(parent);
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

static void broker_maint(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;

    switch (reason) {
    case APR_OC_REASON_DEATH:
        apr_proc_other_child_unregister(data);
        if (stopping()) {
            break;
        }
        if (WIFEXITED(status)
            && WEXITSTATUS(status) == BROKER_STARTUP_ERROR) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, broker_server,
                         GRD_BROKER_FAILED ": syscall-file broker pid %d "
                         "could not drop its capabilities: not restarted; "
                         "waits of worker threads show as unknown",
                         (int)proc->pid);
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

static int make_listener(server_rec *s)
{
    unsigned char nonce[8];
    char *p = retained->name;
    int fd, i;

    apr_generate_random_bytes(nonce, sizeof(nonce));
    *p++ = '\0';
    p += apr_snprintf(p, sizeof(retained->name) - 1, "mod_guard-broker-%d-",
                      (int)getpid());
    for (i = 0; i < (int)sizeof(nonce); i++) {
        p += apr_snprintf(p, 3, "%02x", nonce[i]);
    }
    retained->namelen = (socklen_t)(p - retained->name);
    fd = guard_broker_listen(retained->name, retained->namelen);
    if (fd < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, GRD_BROKER_FAILED
                     ": cannot listen for the syscall-file broker: waits of "
                     "worker threads show as unknown");
        return -1;
    }
    retained->listen_fd = fd;
    return 0;
}

static int guard_broker_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                    apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !guard_inspect_live() || !mpm_is_threaded() || geteuid() != 0) {
        return OK;
    }
    retained = guard_glue_retained(RETAINED_KEY, sizeof(*retained));
    if (retained->listen_fd <= 0 && make_listener(s) != 0) {
        return OK;
    }
    guard_broker_addr_set(&broker_addr, retained->name, retained->namelen);
    broker_pool = pconf;
    broker_server = s;
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
