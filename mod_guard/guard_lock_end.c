/* SPDX-License-Identifier: Apache-2.0 */
/*
 * end-holder: the decision, from what /proc says of the holder, and the
 * words of a refusal. The caller logs and signals.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include "guard_fmt.h"
#include "guard_lock_end.h"
#include "guard_lock_fpm.h"

/* Who the holder is: only an FPM worker of a configured pool. */
static int who(const guard_end_in_t *in)
{
    if (in->pid <= 0) {
        return GUARD_END_NO_PID;
    }
    if (in->httpd) {
        return GUARD_END_HTTPD;
    }
    if (!in->fpm_worker) {
        return GUARD_END_NOT_FPM;
    }
    if (!in->known) {
        return GUARD_END_UNKNOWN;
    }
    if (in->ppid <= 1 || in->parent_of_worker || in->master <= 1
        || in->ppid != in->master || in->pid == in->master) {
        return GUARD_END_MASTER;
    }
    if (in->my_uid == 0) {
        return GUARD_END_ROOT;
    }
    if (in->ruid != in->my_uid || in->euid != in->my_uid) {
        return GUARD_END_USER;
    }
    return GUARD_END_YES;
}

int guard_end_decide(const guard_end_in_t *in, apr_time_t now)
{
    if (!in->rule_on) {
        return GUARD_END_OFF;
    }
    if (in->waited_since <= 0 || now - in->waited_since < in->duration) {
        return GUARD_END_YOUNG;
    }
    if (in->last_end > 0 && now - in->last_end < in->duration) {
        return GUARD_END_RATE;
    }
    return who(in);
}

/* The refusals that need no figure, by verdict. */
static const char *const plain[GUARD_END_MAX] = {
    "ended",
    "no rule says end-holder",
    "the waiters have not waited the rule's duration",
    "a holder of this chain was ended less than the rule's duration ago",
    "no holder pid",
    "one of httpd's own processes",
    "not a worker listed in a GuardFpmStatus pool's status",
    NULL,
    "its /proc status is not readable",
    NULL,
    "httpd runs as root: ends nothing"
};

char *guard_end_reason(const guard_end_in_t *in, int verdict, char *buf,
                       apr_size_t len)
{
    if (verdict == GUARD_END_MASTER) {
        apr_snprintf(buf, len, "not a child of its pool's master (ppid %d, "
                     "master %d): never a master", in->ppid, in->master);
    }
    else if (verdict == GUARD_END_USER) {
        apr_snprintf(buf, len, "runs as uid %" APR_INT64_T_FMT ", not "
                     "httpd's %" APR_INT64_T_FMT, in->euid != in->my_uid
                     ? in->euid : in->ruid, in->my_uid);
    }
    else {
        apr_cpystrn(buf, verdict >= 0 && verdict < GUARD_END_MAX
                         && plain[verdict] ? plain[verdict] : "unknown",
                    len);
    }
    return buf;
}

static int read_status(pid_t pid, char *buf, apr_size_t len)
{
    char path[48];
    ssize_t r;
    int fd;

    strcpy(guard_fmt_dec(stpcpy(path, "/proc/"), pid), "/status");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return -1;
    }
    r = read(fd, buf, len - 1);
    close(fd);
    if (r <= 0) {
        return -1;
    }
    buf[r] = '\0';
    return 0;
}

void guard_end_read_proc(guard_end_in_t *in, pid_t pid)
{
    char buf[2048];

    in->known = read_status(pid, buf, sizeof(buf)) == 0
                && guard_lockfpm_parse_status(buf, &in->ruid, &in->euid,
                                              &in->ppid) == 0;
}

apr_int32_t guard_end_ppid_of(pid_t pid)
{
    char buf[2048];
    apr_int64_t r, e;
    apr_int32_t ppid;

    if (read_status(pid, buf, sizeof(buf)) != 0
        || guard_lockfpm_parse_status(buf, &r, &e, &ppid) != 0) {
        return 0;
    }
    return ppid;
}
