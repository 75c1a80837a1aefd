/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text of crash reports, built in a caller's buffer by hand: snprintf may
 * take locale locks and strsignal may malloc, neither belongs in a signal
 * handler.
 */
#include <signal.h>
#include <string.h>
#include "guard_crash_fmt.h"
#include "guard_fmt.h"
#include "guard_log.h"

const char *guard_signal_name(int signo)
{
    switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS:  return "SIGBUS";
    case SIGFPE:  return "SIGFPE";
    case SIGILL:  return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS:  return "SIGSYS";
    default:      return NULL;
    }
}

/* Codes every signal may carry: sent by a process, not by the kernel. */
static const char *common_code(int si_code)
{
    switch (si_code) {
    case SI_USER:    return "SI_USER";
    case SI_KERNEL:  return "SI_KERNEL";
    case SI_QUEUE:   return "SI_QUEUE";
    case SI_TIMER:   return "SI_TIMER";
    case SI_MESGQ:   return "SI_MESGQ";
    case SI_ASYNCIO: return "SI_ASYNCIO";
    case SI_TKILL:   return "SI_TKILL";
    default:         return NULL;
    }
}

static const char *segv_code(int c)
{
    switch (c) {
    case SEGV_MAPERR: return "SEGV_MAPERR";
    case SEGV_ACCERR: return "SEGV_ACCERR";
#ifdef SEGV_BNDERR
    case SEGV_BNDERR: return "SEGV_BNDERR";
#endif
#ifdef SEGV_PKUERR
    case SEGV_PKUERR: return "SEGV_PKUERR";
#endif
    default:          return NULL;
    }
}

static const char *bus_code(int c)
{
    switch (c) {
    case BUS_ADRALN: return "BUS_ADRALN";
    case BUS_ADRERR: return "BUS_ADRERR";
    case BUS_OBJERR: return "BUS_OBJERR";
#ifdef BUS_MCEERR_AR
    case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
    case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
#endif
    default:         return NULL;
    }
}

static const char *fpe_code(int c)
{
    switch (c) {
    case FPE_INTDIV: return "FPE_INTDIV";
    case FPE_INTOVF: return "FPE_INTOVF";
    case FPE_FLTDIV: return "FPE_FLTDIV";
    case FPE_FLTOVF: return "FPE_FLTOVF";
    case FPE_FLTUND: return "FPE_FLTUND";
    case FPE_FLTRES: return "FPE_FLTRES";
    case FPE_FLTINV: return "FPE_FLTINV";
    case FPE_FLTSUB: return "FPE_FLTSUB";
    default:         return NULL;
    }
}

static const char *ill_code(int c)
{
    switch (c) {
    case ILL_ILLOPC: return "ILL_ILLOPC";
    case ILL_ILLOPN: return "ILL_ILLOPN";
    case ILL_ILLADR: return "ILL_ILLADR";
    case ILL_ILLTRP: return "ILL_ILLTRP";
    case ILL_PRVOPC: return "ILL_PRVOPC";
    case ILL_PRVREG: return "ILL_PRVREG";
    case ILL_COPROC: return "ILL_COPROC";
    case ILL_BADSTK: return "ILL_BADSTK";
    default:         return NULL;
    }
}

const char *guard_si_code_name(int signo, int si_code)
{
    if (si_code <= 0 || si_code == SI_KERNEL) {
        return common_code(si_code);
    }
    switch (signo) {
    case SIGSEGV: return segv_code(si_code);
    case SIGBUS:  return bus_code(si_code);
    case SIGFPE:  return fpe_code(si_code);
    case SIGILL:  return ill_code(si_code);
    default:      return NULL;
    }
}

void guard_cbuf_init(guard_cbuf_t *b, char *buf, apr_size_t size)
{
    b->buf = buf;
    b->size = size;
    b->len = 0;
    if (size) {
        buf[0] = '\0';
    }
}

void guard_cbuf_strn(guard_cbuf_t *b, const char *s, apr_size_t max)
{
    apr_size_t i;

    for (i = 0; i < max && s[i] && b->len + 1 < b->size; i++) {
        b->buf[b->len++] = s[i];
    }
    if (b->size) {
        b->buf[b->len] = '\0';
    }
}

void guard_cbuf_str(guard_cbuf_t *b, const char *s)
{
    guard_cbuf_strn(b, s, (apr_size_t)-1);
}

static void put_unsigned(guard_cbuf_t *b, apr_uint64_t v, unsigned base,
                         int min_digits)
{
    if (b->size) {
        b->len += guard_fmt_uint(b->buf + b->len, b->size - b->len, v, base,
                                 min_digits);
    }
}

void guard_cbuf_dec(guard_cbuf_t *b, apr_int64_t v)
{
    char tmp[GUARD_FMT_DEC_LEN];

    guard_fmt_dec(tmp, v);
    guard_cbuf_str(b, tmp);
}

void guard_cbuf_hex(guard_cbuf_t *b, apr_uint64_t v)
{
    guard_cbuf_str(b, "0x");
    put_unsigned(b, v, 16, 1);
}

void guard_cbuf_time(guard_cbuf_t *b, apr_time_t t)
{
    if (b->size) {
        b->len += guard_fmt_time(b->buf + b->len, b->size - b->len, t);
    }
}

void guard_cbuf_signal(guard_cbuf_t *b, int signo, int si_code)
{
    const char *sn = guard_signal_name(signo);
    const char *cn = guard_si_code_name(signo, si_code);

    if (sn) {
        guard_cbuf_str(b, sn);
    }
    else {
        guard_cbuf_str(b, "signal ");
        guard_cbuf_dec(b, signo);
    }
    guard_cbuf_str(b, " (");
    if (cn) {
        guard_cbuf_str(b, cn);
    }
    else {
        guard_cbuf_str(b, "code ");
        guard_cbuf_dec(b, si_code);
    }
    guard_cbuf_str(b, ")");
}

static void prefix(guard_cbuf_t *b, const guard_crash_rec_t *r)
{
    guard_cbuf_str(b, "[");
    guard_cbuf_time(b, r->when);
    guard_cbuf_str(b, " UTC] [guard:crit] [pid ");
    guard_cbuf_dec(b, r->pid);
    guard_cbuf_str(b, ":tid ");
    guard_cbuf_dec(b, r->tid);
    guard_cbuf_str(b, "] " GRD_CRASH ": crash ");
    guard_cbuf_dec(b, (apr_int64_t)r->id);
    guard_cbuf_str(b, ": ");
}

#define QUOTED(b, f) \
    do { guard_cbuf_str(b, "\""); guard_cbuf_strn(b, f, sizeof(f)); \
         guard_cbuf_str(b, "\""); } while (0)

static void request_part(guard_cbuf_t *b, const guard_crash_rec_t *r)
{
    int done = (r->flags & GUARD_CRASHF_REQ_DONE) != 0;

    if (!(r->flags & GUARD_CRASHF_REQUEST)) {
        guard_cbuf_str(b, ", no request");
        return;
    }
    guard_cbuf_str(b, done ? ", after finished request \""
                           : ", serving \"");
    guard_cbuf_strn(b, r->req.method, sizeof(r->req.method));
    guard_cbuf_str(b, " ");
    guard_cbuf_strn(b, r->req.uri, sizeof(r->req.uri));
    guard_cbuf_str(b, "\" vhost ");
    QUOTED(b, r->req.vhost);
    guard_cbuf_str(b, " client ");
    QUOTED(b, r->req.client);
    guard_cbuf_str(b, done ? ", " : " for ");
    guard_cbuf_dec(b, r->elapsed_ms);
    guard_cbuf_str(b, done ? " ms after its start" : " ms");
}

/* A buffer with no room for a character and the newline gets "". */
static int too_small(char *buf, apr_size_t size)
{
    if (size >= 2) {
        return 0;
    }
    if (size == 1) {
        buf[0] = '\0';
    }
    return 1;
}

apr_size_t guard_crash_headline(const guard_crash_rec_t *r, char *buf,
                                apr_size_t size)
{
    guard_cbuf_t b;

    if (too_small(buf, size)) {
        return 0;
    }
    guard_cbuf_init(&b, buf, size - 1);   /* room for the newline */
    prefix(&b, r);
    guard_cbuf_signal(&b, r->signo, r->si_code);
    guard_cbuf_str(&b, " at ");
    guard_cbuf_hex(&b, r->addr);
    guard_cbuf_str(&b, ", ip ");
    guard_cbuf_hex(&b, r->ip);
    guard_cbuf_str(&b, ", child ");
    guard_cbuf_dec(&b, r->child);
    guard_cbuf_str(&b, " thread ");
    guard_cbuf_dec(&b, r->thread);
    guard_cbuf_str(&b, " generation ");
    guard_cbuf_dec(&b, r->generation);
    request_part(&b, r);
    if (r->flags & (GUARD_CRASHF_MINIMAL | GUARD_CRASHF_NESTED)) {
        guard_cbuf_str(&b, r->flags & GUARD_CRASHF_NESTED
                           ? " (inside the crash handler: minimal record)"
                           : " (another thread was crashing: minimal record)");
    }
    buf[b.len++] = '\n';
    buf[b.len] = '\0';
    return b.len;
}


/* The prefix, the text that callers put after it, and the newline. */
static apr_size_t line_begin(guard_cbuf_t *b, const guard_crash_rec_t *r,
                             char *buf, apr_size_t size)
{
    if (too_small(buf, size)) {
        return 0;
    }
    guard_cbuf_init(b, buf, size - 1);
    prefix(b, r);
    return 1;
}

static apr_size_t line_end(guard_cbuf_t *b)
{
    b->buf[b->len++] = '\n';
    b->buf[b->len] = '\0';
    return b->len;
}

apr_size_t guard_crash_frame_line(const guard_crash_rec_t *r, int i,
                                  apr_uint64_t addr, const char *module,
                                  const char *function, apr_uint64_t offset,
                                  char *buf, apr_size_t size)
{
    guard_cbuf_t b;

    if (!line_begin(&b, r, buf, size)) {
        return 0;
    }
    guard_cbuf_str(&b, "#");
    guard_cbuf_dec(&b, i);
    guard_cbuf_str(&b, " ");
    if (module && *module) {
        guard_cbuf_str(&b, module);
        guard_cbuf_str(&b, "(");
        guard_cbuf_str(&b, function && *function ? function : "");
        guard_cbuf_str(&b, "+");
        guard_cbuf_hex(&b, offset);
        guard_cbuf_str(&b, ") ");
    }
    guard_cbuf_str(&b, "[");
    guard_cbuf_hex(&b, addr);
    guard_cbuf_str(&b, "]");
    return line_end(&b);
}

apr_size_t guard_crash_php_line(const guard_crash_rec_t *r, int i, char *buf,
                                apr_size_t size)
{
    const guard_php_frame_t *f = &r->php[i];
    guard_cbuf_t b;

    if (!line_begin(&b, r, buf, size)) {
        return 0;
    }
    guard_cbuf_str(&b, "php #");
    guard_cbuf_dec(&b, i);
    guard_cbuf_str(&b, " ");
    guard_cbuf_strn(&b, f->function, sizeof(f->function));
    if (!f->file[0]) {
        guard_cbuf_str(&b, " (internal)");
        return line_end(&b);
    }
    guard_cbuf_str(&b, " ");
    guard_cbuf_strn(&b, f->file, sizeof(f->file));
    guard_cbuf_str(&b, ":");
    guard_cbuf_dec(&b, f->line);
    if (f->flags & GUARD_PHPF_LINE_APPROX) {
        guard_cbuf_str(&b, " (the function's first line)");
    }
    return line_end(&b);
}

apr_size_t guard_crash_subline(const guard_crash_rec_t *r, const char *what,
                               char *buf, apr_size_t size)
{
    guard_cbuf_t b;

    if (!line_begin(&b, r, buf, size)) {
        return 0;
    }
    guard_cbuf_str(&b, what);
    return line_end(&b);
}
