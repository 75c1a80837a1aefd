/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a child and the syscall-file broker say to each other, over a unix
 * SOCK_SEQPACKET connection: one fixed-size request, one fixed-size reply
 * (with the fd as SCM_RIGHTS when granted). Nothing else is ever read.
 */
#ifndef GUARD_BROKER_PROTO_H
#define GUARD_BROKER_PROTO_H

#include <apr.h>

#define GUARD_BROKER_MAGIC   0x47524442u     /* "GRDB" */
#define GUARD_BROKER_VERSION 1u

/** "Open /proc/<my pid>/task/<tid>/syscall for me." The pid is never
 * sent: the broker takes it from the kernel (SCM_CREDENTIALS). */
typedef struct {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_int32_t tid;
    apr_uint32_t zero;            /* must be 0 */
} guard_broker_req_t;

/** status 0: the fd came with it; else an errno value (EPERM: not a
 * child of this server; ESRCH: no such thread of yours; EINVAL: bad
 * request). */
typedef struct {
    apr_uint32_t magic;
    apr_int32_t status;
    apr_int32_t tid;
    apr_uint32_t zero;
} guard_broker_reply_t;

#endif
