/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live stacks, httpd glue: what this server can read (said once at
 * start-up), the running PHP's executor globals, and each child's
 * stacker for its watchdog.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"
#include "ap_mpm.h"
#include <string.h>
#include <apr_strings.h>
#include "guard_inspect.h"
#include "guard_log.h"
#include "mod_guard.h"
#include "mod_guard_config.h"
#include "mod_guard_stack.h"

APLOG_USE_MODULE(guard);

/* Set before any request (post_config, inherited by the children):
 * the crash handler reads it. */
static apr_uint64_t php_eg;
/* libdw could start in the parent: the children try it too. */
static int native_ok;

apr_uint64_t guard_glue_php_eg(void)
{
    return php_eg;
}

/* One interpreter per process (non-ZTS): only a worker that is the
 * process's one thread can be running it. */
static int threaded_mpm(void)
{
    int threaded = AP_MPMQ_NOT_SUPPORTED;

    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    return threaded != AP_MPMQ_NOT_SUPPORTED;
}

static void locate_php(server_rec *s)
{
    char why[256];

    php_eg = 0;
    if (!guard_conf_stacks(s) || !guard_php_built() || threaded_mpm()) {
        return;
    }
    if (guard_php_locate(&php_eg, why, sizeof(why)) != 0) {
        php_eg = 0;
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, GRD_NO_PHP_STACKS
                     ": no PHP frames: %s", why);
    }
}

/* What the start-up line says of PHP frames. */
static const char *php_what(apr_pool_t *p)
{
    if (php_eg) {
        return guard_php_built_for();
    }
    if (!guard_php_built()) {
        return apr_psprintf(p, "not built (%s)", guard_php_unbuilt_why());
    }
    return threaded_mpm() ? "off (threaded MPM: mod_php needs prefork)"
                          : "off (no PHP found)";
}

/* What a stuck worker's stacks will hold, once per start-up. */
static void say_what_is_read(apr_pool_t *ptemp, server_rec *s)
{
    char why[256];
    guard_unwinder_t *u;

    native_ok = 0;
    if (!guard_conf_stacks(s)) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_STACKS
                     ": live stacks off (GuardStacks Off)");
        return;
    }
    u = guard_unwinder_create(why, sizeof(why));
    native_ok = u != NULL;
    if (!u) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, GRD_NO_NATIVE_STACKS
                     ": no native frames: %s", why);
    }
    guard_unwinder_destroy(u);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, GRD_STACKS
                 ": live stacks: PHP frames %s, native frames %s, "
                 "GuardStackDepth %d",
                 php_what(ptemp), u ? "with libdw" : "off",
                 guard_conf_stack_depth(s));
}

static int stack_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    locate_php(s);
    if (guard_inspect_live()) {
        say_what_is_read(ptemp, s);
    }
    return OK;
}

static apr_status_t destroy_stacker(void *data)
{
    guard_stacker_destroy(data);
    return APR_SUCCESS;
}

void guard_glue_stacker_init(guard_stacker_t *sk, apr_pool_t *pchild,
                             server_rec *s, const guard_logger_t *log,
                             guard_run_ns_fn *run_ns, void *run_baton)
{
    memset(sk, 0, sizeof(*sk));
    sk->php_off = sk->native_off = GUARD_PHP_NONE;
    if (!guard_conf_stacks(s) || !guard_inspect_live()) {
        return;
    }
    sk->depth = guard_conf_stack_depth(s);
    sk->log = log;
    sk->run_ns = run_ns;
    sk->baton = run_baton;
    sk->php = php_eg != 0;
    sk->walker.read = guard_inspect_copy;
    sk->walker.eg = php_eg;
    sk->php_off = GUARD_PHP_UNAVAILABLE;
    sk->native_off = GUARD_NATIVE_UNAVAILABLE;
    sk->native = native_ok;
    /* After the watchdog's pre-cleanup has stopped it. */
    apr_pool_cleanup_register(pchild, sk, destroy_stacker,
                              apr_pool_cleanup_null);
}

/* After every other module's post_config, whatever the order of the
 * LoadModule lines (Debian's a2enmod loads guard.load before
 * php8.2.load): PHP's own (php_apache_server_startup) starts the Zend
 * Engine, and only then does get_zend_version() name it. Looked up here,
 * in the parent, once per configuration: the children inherit the
 * address, and the crash handler may need it from a child's first
 * request on. */
void guard_stack_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(stack_post_config, NULL, NULL, APR_HOOK_REALLY_LAST);
}
