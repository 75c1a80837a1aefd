/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The out-of-band status listener (GuardStatusListen): a socket the parent
 * opens, and a thread of mod_guard in each child that answers on it, so
 * /guard-status is reachable while every MPM worker is stuck. httpd glue.
 */
#ifndef MOD_GUARD_LISTEN_H
#define MOD_GUARD_LISTEN_H

#include "httpd.h"
#include "guard_listen_addr.h"
#include "guard_listen_host.h"

/* Reading the request head may take this long from accept ... */
#define GUARD_LISTEN_READ_TIME   apr_time_from_sec(2)
/* ... or only this long while other connections wait to be accepted ... */
#define GUARD_LISTEN_GRACE       apr_time_from_msec(250)
/* ... writing the response this long once it is rendered ... */
#define GUARD_LISTEN_WRITE_TIME  apr_time_from_sec(2)
/* ... and waiting for the client to close after it, this long. */
#define GUARD_LISTEN_LINGER_TIME apr_time_from_msec(500)
/* Pending connections the kernel queues for the listener. */
#define GUARD_LISTEN_BACKLOG     64

/** One accepted connection, served by guard_listen_serve. */
typedef struct {
    int fd;                       /* non-blocking */
    int listen_fd;                /* readable: more clients wait */
    int stop_fd;                  /* readable: the child is stopping */
    guard_ip_t peer;
    int allowed;                  /* the peer is in GuardStatusAllow */
    const guard_host_set_t *hosts; /* names a Host field may give */
    apr_pool_t *pool;             /* cleared after the connection */
    server_rec *server;
} guard_listen_conn_t;

/**
 * Answer one request on c, an allowed client, within the time bounds
 * above; never blocks longer. The caller closes c->fd.
 */
void guard_listen_serve(guard_listen_conn_t *c);

/**
 * Refuse c, a client outside GuardStatusAllow: one attempt to send a 403
 * that never waits, nothing read. The caller closes c->fd at once.
 */
void guard_listen_refuse(guard_listen_conn_t *c);

#endif
