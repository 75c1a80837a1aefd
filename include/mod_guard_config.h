/* SPDX-License-Identifier: Apache-2.0 */
/* Directives of mod_guard and their effective values. httpd glue. */
#ifndef MOD_GUARD_CONFIG_H
#define MOD_GUARD_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "guard_lock_rule.h"
#include "guard_listen_addr.h"
#include "guard_fpm.h"

#define GUARD_DEFAULT_INTERVAL   apr_time_from_msec(100)
#define GUARD_DEFAULT_STUCK      apr_time_from_sec(10)
/* Requests younger than this are not sampled, unless a threshold is lower. */
#define GUARD_SAMPLE_AFTER       apr_time_from_sec(1)

#define GUARD_MIN_INTERVAL       apr_time_from_msec(10)
#define GUARD_MAX_INTERVAL       apr_time_from_sec(60)
#define GUARD_MIN_STUCK          apr_time_from_msec(1)
#define GUARD_MAX_STUCK          apr_time_from_sec(24 * 3600)

typedef struct {
    apr_interval_time_t watch_interval;    /* -1: unset */
    apr_interval_time_t stuck_threshold;   /* -1: unset */
    guard_lock_rules_t *lock_rules;        /* GuardLockWatch; NULL: none */
    /* Out-of-band status listener (mod_guard_listen.c). */
    const guard_ip_t *status_listen;       /* NULL: off */
    apr_array_header_t *status_allow;      /* of guard_cidr_t; NULL: unset */
    apr_array_header_t *status_hosts;      /* GuardStatusHost: of const
                                            * char *; NULL: none */
    const char *crash_log;                 /* NULL: unset; "": Off */
    int crash_history;                     /* -1: unset */
    int stacks;                            /* GuardStacks; -1: unset (On) */
    int stack_depth;                       /* GuardStackDepth; -1: unset */
    apr_array_header_t *fpm;               /* GuardFpmStatus: of
                                            * guard_fpm_addr_t; NULL */
    apr_interval_time_t fpm_interval;      /* GuardFpmInterval; -1 */
} guard_srv_conf_t;

#define GUARD_MIN_LOCK           apr_time_from_msec(10)
#define GUARD_MAX_LOCK           apr_time_from_sec(24 * 3600)

#define GUARD_MIN_BACKEND        apr_time_from_msec(10)
#define GUARD_MAX_BACKEND        apr_time_from_sec(24 * 3600)
#define GUARD_MAX_MINRATE        1000000000

typedef struct {
    int show_query;                        /* -1: unset */
    apr_interval_time_t backend_timeout;   /* -1: unset; 0: Off */
    apr_interval_time_t backend_max;       /* max=; 0: none */
    apr_uint32_t backend_minrate;          /* minrate=; 0: none */
    int backend_action;                    /* GUARD_ACTION_CUT / _LOG */
    apr_int64_t stuck_timeout_ms;          /* -1: unset; 0: Off; in ms, as
                                            * the slot keeps it */
} guard_dir_conf_t;

extern const command_rec guard_cmds[];

void *guard_create_srv_conf(apr_pool_t *p, server_rec *s);
void *guard_merge_srv_conf(apr_pool_t *p, void *base, void *add);
void *guard_create_dir_conf(apr_pool_t *p, char *dir);
void *guard_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/** Before the configuration is read (pre_config): forget the last one. */
void guard_conf_read_begins(void);

/**
 * 1 when a request's GuardBackendTimeout or GuardStatusShowQuery may
 * differ from its virtual host's: set in a <Directory>, <Location> or
 * <Files> section, or possibly in .htaccess files (AllowOverride Options
 * or an AllowOverrideList naming GuardBackendTimeout). After the
 * configuration was read.
 */
int guard_conf_dir_values_vary(server_rec *s);

/** Effective values (defaults applied) of the main server. */
apr_interval_time_t guard_conf_interval(server_rec *s);
apr_interval_time_t guard_conf_stuck(server_rec *s);
apr_interval_time_t guard_conf_sample_after(server_rec *s);

/** GuardLockWatch rules of the main server; NULL when there are none. */
const guard_lock_rules_t *guard_conf_lock_rules(server_rec *s);

/** GuardStacks (1: On, the default) and GuardStackDepth. */
int guard_conf_stacks(server_rec *s);
int guard_conf_stack_depth(server_rec *s);

/** GuardFpmStatus pools (*n of them; NULL when none) and
 *  GuardFpmInterval. */
const guard_fpm_addr_t *guard_conf_fpm(server_rec *s, int *n);
apr_interval_time_t guard_conf_fpm_interval(server_rec *s);

/** GuardCrashHistory: crash records kept. */
int guard_conf_crash_history(server_rec *s);

/** GuardCrashLog: a path (relative to ServerRoot), "" for Off, NULL when
 *  unset (the error log). */
const char *guard_conf_crash_log(server_rec *s);

/** What a request's per-dir config (as merged so far) says. */
typedef struct {
    apr_interval_time_t backend_timeout;   /* GuardBackendTimeout; 0: off */
    apr_interval_time_t backend_max;       /* its max=; 0: none */
    apr_uint32_t backend_minrate;          /* its minrate=; 0: none */
    int backend_action;                    /* GUARD_ACTION_CUT / _LOG */
    int show_query;                        /* GuardStatusShowQuery On */
    apr_uint32_t stuck_timeout_ms;         /* GuardStuckTimeout; 0: off */
} guard_req_conf_t;

/** One look-up of the request's per-dir config for all of it. */
void guard_conf_request(request_rec *r, guard_req_conf_t *out);

/** GuardStatusListen of the main server, or NULL when off. */
const guard_ip_t *guard_conf_status_listen(server_rec *s);

/** GuardStatusAllow of the main server (default: loopback); *n entries. */
const guard_cidr_t *guard_conf_status_allow(server_rec *s, int *n);

/**
 * GuardStatusHost of the main server: the names, as written (each checked
 * by guard_host_name_check), that the listener answers for besides its
 * address, localhost and the ServerName; NULL when none.
 */
const apr_array_header_t *guard_conf_status_hosts(server_rec *s);

#endif
