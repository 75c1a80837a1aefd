/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test module that crashes on request, for mod_guard's crash tests under
 * threaded MPMs (PHP runs under prefork only). SetHandler crashtest, then
 * ?segv, ?fpe, ?abort, ?bus=<scratch file>, ?stack, ?cleanup (a SIGSEGV
 * in a cleanup of the request's pool, once the request is logged, as a
 * module's request cleanup handler would), or ?after (a SIGSEGV once the
 * request is over, when the connection closes: "no request").
 * For the lock tests: ?flock=<file>[,<port>] or ?ofd=<file>[,<port>] takes
 * that lock on the file, waiting for it, then with a port reads from a
 * backend on 127.0.0.1 while holding it. ?cancel says the worker
 * thread's cancellation state and type. ?sleep=<ms> sleeps, ?spin=<ms>
 * burns the CPU, for that long, or until the child stops ungracefully
 * (-k stop, -k restart: the MPM has closed the connection and waits for
 * the thread), or stops gracefully once their client has left (a graceful
 * stop lets the others run on, as any request).
 * ?dlhold=<shared object> crashes (SIGSEGV)
 * while another thread is inside dlopen() of that object, whose
 * constructor blocks: the loader's lock is held.
 * Never load it in a real server.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "mpm_common.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA crashtest_module;

static volatile int zero = 0;
static volatile int *volatile null_ptr = NULL;
volatile int crashtest_sink;

/* Exported and never inlined or cloned: the frames have names. */
#define CRASH_FN __attribute__((noipa, used))

CRASH_FN int crashtest_segv(void)
{
    return *null_ptr;
}

CRASH_FN int crashtest_fpe(int a)
{
    return a / zero;
}

CRASH_FN int crashtest_bus(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    volatile char *p;

    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        return -1;
    }
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ftruncate(fd, 0) != 0) {
        return -1;
    }
    return p[0];   /* the page is past the end of the file now */
}

/* Deep recursion through a callback, as an interpreter would. */
CRASH_FN int crashtest_recurse(int (*fn)(int, char *), int n, char *prev)
{
    char frame[512];

    frame[0] = (char)n;
    frame[511] = prev ? prev[0] : 0;
    return fn(n + 1, frame) + frame[(n & 255) + 1];
}

CRASH_FN int crashtest_step(int n, char *frame)
{
    return crashtest_recurse(crashtest_step, n, frame);
}

static apr_status_t crash_later(void *data)
{
    crashtest_sink = crashtest_segv();
    return APR_SUCCESS;
}

/* Until the backend answers or closes (or two minutes pass). */
static void read_backend(int port)
{
    struct sockaddr_in sa;
    struct timeval tv = { 120, 0 };
    char buf[256];
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0) {
        return;
    }
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0
        && write(s, "GET / HTTP/1.0\r\n\r\n", 18) == 18) {
        (void)!read(s, buf, sizeof(buf));
    }
    close(s);
}

static int take_lock(int fd, int ofd)
{
    struct flock fl;

    if (!ofd) {
        return flock(fd, LOCK_EX);
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_OFD_SETLKW, &fl);
}

/* "<file>[,<port>]" */
static const char *lock_and_hold(request_rec *r, const char *arg, int ofd)
{
    char *path = apr_pstrdup(r->pool, arg), *comma = strchr(path, ',');
    int port = comma ? atoi(comma + 1) : 0, fd, rc;

    if (comma) {
        *comma = '\0';
    }
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
        return "open failed\n";
    }
    rc = take_lock(fd, ofd);
    if (rc == 0 && port > 0) {
        read_backend(port);
    }
    close(fd);
    return rc == 0 ? "locked\n" : "lock failed\n";
}

/* "state=enable|disable type=deferred|async" of the calling thread, left
 * as they were. */
static const char *cancel_state(request_rec *r)
{
    int st, ty, x;

    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &st);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &ty);
    pthread_setcanceltype(ty, &x);
    pthread_setcancelstate(st, &x);
    return apr_psprintf(r->pool, "state=%s type=%s\n",
                        st == PTHREAD_CANCEL_DISABLE ? "disable" : "enable",
                        ty == PTHREAD_CANCEL_ASYNCHRONOUS ? "async"
                                                          : "deferred");
}

/*
 * Sleepers and spinners end when the child stops ungracefully: else the
 * stop waits for them until the parent's SIGKILL (9 s). A child stopping
 * gracefully no longer hears a later -k stop or restart, so there they
 * end once their client has left. A sleeper stays in one nanosleep() (the
 * watchdog sees a thread that has not run) until a stop wakes it with
 * WAKE_SIGNAL, unblocked only while it sleeps.
 */
#define WAKE_SIGNAL SIGURG
#define MAX_SLEEPERS 64

static volatile sig_atomic_t stopping, stopping_gracefully;
static int sleepers[MAX_SLEEPERS];   /* tids of sleepers; 0: free */

static void wake_noop(int sig)
{
    (void)sig;
}

static int sleeper_claim(void)
{
    int i, tid = (int)syscall(SYS_gettid);

    for (i = 0; i < MAX_SLEEPERS; i++) {
        int free_slot = 0;

        if (__atomic_compare_exchange_n(&sleepers[i], &free_slot, tid, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            return i;
        }
    }
    return -1;   /* more than MAX_SLEEPERS: that one sleeps its time */
}

/* The client closed its end of the connection (fd). */
static int client_left(int fd)
{
    char c;

    return fd >= 0 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int time_to_end(int fd)
{
    return stopping || (stopping_gracefully && client_left(fd));
}

static int client_fd(request_rec *r)
{
    apr_socket_t *csd = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd = -1;

    if (!csd || apr_os_sock_get(&fd, csd) != APR_SUCCESS) {
        return -1;
    }
    return fd;
}

static void sleep_for(request_rec *r, long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    sigset_t wake, old;
    int slot = sleeper_claim(), fd = client_fd(r);

    sigemptyset(&wake);
    sigaddset(&wake, WAKE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &wake, &old);
    while (!time_to_end(fd) && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (slot >= 0) {
        __atomic_store_n(&sleepers[slot], 0, __ATOMIC_SEQ_CST);
    }
}

/* A loop the compiler cannot drop, until ms of wall time have passed.
 * It looks at its client every 50 ms: a spinner is seen on the CPU. */
static void spin_for(request_rec *r, long ms)
{
    apr_time_t now = apr_time_now(), end = now + apr_time_from_msec(ms);
    apr_time_t look = now;
    int fd = client_fd(r);

    while (!stopping && now < end) {
        if (now >= look) {
            if (time_to_end(fd)) {
                break;
            }
            look = now + apr_time_from_msec(50);
        }
        crashtest_sink++;
        now = apr_time_now();
    }
}

/* Also run from prefork's SIGTERM handler: async-signal-safe. */
static void crashtest_child_stopping(apr_pool_t *pchild, int graceful)
{
    int i, self = (int)syscall(SYS_gettid);

    if (graceful) {
        stopping_gracefully = 1;
    }
    else {
        stopping = 1;
    }
    for (i = 0; i < MAX_SLEEPERS; i++) {
        int tid = __atomic_load_n(&sleepers[i], __ATOMIC_SEQ_CST);

        if (tid > 0 && tid != self) {
            syscall(SYS_tgkill, (int)getpid(), tid, WAKE_SIGNAL);
        }
    }
}

static void crashtest_child_init(apr_pool_t *pchild, server_rec *s)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wake_noop;   /* no SA_RESTART: nanosleep returns */
    sigemptyset(&sa.sa_mask);
    sigaction(WAKE_SIGNAL, &sa, NULL);
}

static void *open_in_thread(void *path)
{
    return dlopen(path, RTLD_NOW);
}

/* True once path is mapped: dlopen() maps before it runs constructors,
 * and holds the loader's lock throughout. */
static int mapped(const char *path)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;

    while (f && !found && fgets(line, sizeof(line), f)) {
        found = strstr(line, path) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static void crash_in_dlopen(const char *path)
{
    pthread_t t;
    int i;

    pthread_create(&t, NULL, open_in_thread, (void *)path);
    for (i = 0; i < 500 && !mapped(path); i++) {
        usleep(10000);
    }
    usleep(50000);   /* into its constructor */
    crashtest_sink = crashtest_segv();
}

static int crashtest_handler(request_rec *r)
{
    const char *a = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "crashtest")) {
        return DECLINED;
    }
    if (!strcmp(a, "segv")) {
        crashtest_sink = crashtest_segv();
    }
    else if (!strcmp(a, "fpe")) {
        crashtest_sink = crashtest_fpe(7);
    }
    else if (!strcmp(a, "abort")) {
        abort();
    }
    else if (!strncmp(a, "bus=", 4)) {
        crashtest_sink = crashtest_bus(a + 4);
    }
    else if (!strncmp(a, "dlhold=", 7)) {
        crash_in_dlopen(apr_pstrdup(r->pool, a + 7));
    }
    else if (!strcmp(a, "stack")) {
        crashtest_sink = crashtest_step(0, NULL);
    }
    else if (!strncmp(a, "flock=", 6) || !strncmp(a, "ofd=", 4)) {
        ap_set_content_type(r, "text/plain");
        ap_rputs(lock_and_hold(r, strchr(a, '=') + 1, a[0] == 'o'), r);
        return OK;
    }
    else if (!strncmp(a, "sleep=", 6)) {
        sleep_for(r, atol(a + 6));
    }
    else if (!strncmp(a, "spin=", 5)) {
        spin_for(r, atol(a + 5));
    }
    else if (!strcmp(a, "cancel")) {
        ap_set_content_type(r, "text/plain");
        ap_rputs(cancel_state(r), r);
        return OK;
    }
    else if (!strcmp(a, "cleanup")) {
        apr_pool_cleanup_register(r->pool, NULL, crash_later,
                                  apr_pool_cleanup_null);
    }
    else if (!strcmp(a, "after")) {
        apr_pool_cleanup_register(r->connection->pool, NULL, crash_later,
                                  apr_pool_cleanup_null);
    }
    ap_set_content_type(r, "text/plain");
    ap_rputs("still alive\n", r);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_handler(crashtest_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(crashtest_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_stopping(crashtest_child_stopping, NULL, NULL,
                           APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(crashtest) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks
};
