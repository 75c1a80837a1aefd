/* SPDX-License-Identifier: Apache-2.0 */
/* The logger of the pure code: formats a line and hands it on. */
#include <stdarg.h>
#include <apr_strings.h>
#include "guard_log.h"

void guard_log_say(const guard_logger_t *lg, int level, const char *tag,
                   const char *fmt, ...)
{
    char msg[2048];         /* GRD0300 with what is behind an FPM socket */
    va_list ap;

    if (!lg || !lg->fn || (level == GUARD_LOG_DEBUG && !lg->debug)) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lg->fn(lg->baton, level, tag, msg);
}
