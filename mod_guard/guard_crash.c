/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crash segment: ring of records, signature groups, process history.
 * The writing half runs in signal handlers: stores, memcpy and atomics
 * only (memcpy and memset are async-signal-safe since POSIX.1-2016).
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include "guard_crash.h"
#include "guard_seq.h"

#define READ_TRIES 8
#define CLAIM_WAIT_MS 50
#define ALIGN8(n) (((n) + 7) & ~(apr_size_t)7)

int guard_crash_proc_capacity(int capacity)
{
    int n = capacity * 2;

    return n < 64 ? 64 : n;
}

static apr_size_t groups_off(void)
{
    return ALIGN8(sizeof(guard_crash_hdr_t));
}

static apr_size_t procs_off(void)
{
    return groups_off() + sizeof(guard_crash_group_t) * GUARD_CRASH_GROUPS;
}

static apr_size_t recs_off(int capacity)
{
    return procs_off() + sizeof(guard_proc_rec_t)
                         * (apr_size_t)guard_crash_proc_capacity(capacity);
}

static apr_size_t last_off(int capacity)
{
    return recs_off(capacity) + sizeof(guard_crash_rec_t) * (apr_size_t)capacity;
}

apr_size_t guard_crash_shm_size(int capacity, int children)
{
    return last_off(capacity) + sizeof(guard_crash_rec_t) * (apr_size_t)children;
}

void guard_crash_shm_init(void *base, int capacity, int children,
                          apr_time_t now)
{
    guard_crash_hdr_t *h = base;

    memset(base, 0, guard_crash_shm_size(capacity, children));
    h->children = (apr_uint32_t)children;
    h->magic = GUARD_CRASH_MAGIC;
    h->version = GUARD_CRASH_VERSION;
    h->capacity = (apr_uint32_t)capacity;
    h->proc_capacity = (apr_uint32_t)guard_crash_proc_capacity(capacity);
    h->created = now;
}

int guard_crash_shm_fits(const guard_crash_shm_t *view, apr_size_t size,
                         int capacity, int children)
{
    return view->hdr != NULL
           && view->version == GUARD_CRASH_VERSION
           && view->capacity == capacity
           && view->children == children
           && size >= guard_crash_shm_size(capacity, children);
}

void guard_crash_shm_attach(guard_crash_shm_t *c, void *base, int capacity,
                            int children)
{
    char *b = base;

    c->version = GUARD_CRASH_VERSION;
    c->capacity = capacity;
    c->proc_capacity = guard_crash_proc_capacity(capacity);
    c->children = children;
    c->proc_next = 0;
    c->storm_logged = 0;
    c->hdr = base;
    c->groups = (guard_crash_group_t *)(b + groups_off());
    c->procs = (guard_proc_rec_t *)(b + procs_off());
    c->recs = (guard_crash_rec_t *)(b + recs_off(capacity));
    c->last = (guard_crash_rec_t *)(b + last_off(capacity));
}

apr_uint64_t guard_crash_proc_count(const guard_crash_shm_t *c)
{
    return __atomic_load_n(&c->hdr->proc_next, __ATOMIC_RELAXED);
}

/* Copy everything but seq, which says who wrote it. */
static void store_body(guard_crash_rec_t *dst, const guard_crash_rec_t *src)
{
    const apr_size_t off = sizeof(dst->seq);

    memcpy((char *)dst + off, (const char *)src + off, sizeof(*dst) - off);
}

void guard_crash_keep_last(guard_crash_shm_t *c, const guard_crash_rec_t *rec)
{
    guard_crash_rec_t *l;

    if (rec->child < 0 || rec->child >= c->children) {
        return;
    }
    l = &c->last[rec->child];
    __atomic_store_n(&l->seq, 1, __ATOMIC_RELEASE);
    store_body(l, rec);
    __atomic_store_n(&l->seq, 2, __ATOMIC_RELEASE);
}

int guard_crash_last_of(const guard_crash_shm_t *c, int child, pid_t pid,
                        guard_crash_rec_t *out)
{
    const guard_crash_rec_t *l;

    if (child < 0 || child >= c->children) {
        return 0;
    }
    l = &c->last[child];
    if (__atomic_load_n(&l->seq, __ATOMIC_ACQUIRE) == 0 || l->pid != pid) {
        return 0;
    }
    memcpy(out, l, sizeof(*out));
    return 1;
}

guard_csig_e guard_csig_of(int signo)
{
    switch (signo) {
    case SIGSEGV: return GUARD_CSIG_SEGV;
    case SIGBUS:  return GUARD_CSIG_BUS;
    case SIGFPE:  return GUARD_CSIG_FPE;
    case SIGILL:  return GUARD_CSIG_ILL;
    case SIGABRT: return GUARD_CSIG_ABRT;
    default:      return GUARD_CSIG_OTHER;
    }
}

/* Move seq from below 'want' to 'want'; fail if a newer ticket holds it.
 * An older ticket still being written (odd) is waited for a while: its
 * writer is far more likely preempted than dead, and taking the record
 * now would let it finish its copy over ours. nanosleep is
 * async-signal-safe. */
static int claim(apr_uint64_t *seq, apr_uint64_t want)
{
    apr_uint64_t cur = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    int waited = 0;

    for (;;) {
        if (cur >= want) {
            return 0;
        }
        if ((cur & 1) && waited++ < CLAIM_WAIT_MS) {
            struct timespec ms = { 0, 1000000 };

            nanosleep(&ms, NULL);
            cur = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
            continue;
        }
        if (__atomic_compare_exchange_n(seq, &cur, want, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            return 1;
        }
    }
}

apr_uint64_t guard_crash_publish(guard_crash_shm_t *c, guard_crash_rec_t *rec,
                                 guard_crash_rec_t **slot)
{
    apr_uint64_t t = __atomic_fetch_add(&c->hdr->next, 1, __ATOMIC_ACQ_REL);
    guard_crash_rec_t *r = &c->recs[t % (apr_uint64_t)c->capacity];
    apr_uint64_t seq;

    if (rec->flags & GUARD_CRASHF_STUCK) {
        __atomic_fetch_add(&c->hdr->stuck_ends, 1, __ATOMIC_RELAXED);
    }
    else {
        __atomic_fetch_add(&c->hdr->by_signal[guard_csig_of(rec->signo)], 1,
                           __ATOMIC_RELAXED);
    }
    rec->id = t + 1;
    *slot = NULL;
    if (!claim(&r->seq, 2 * t + 1)) {
        return t;
    }
    store_body(r, rec);
    /* Done, unless a newer ticket took the record meanwhile (it waited
     * CLAIM_WAIT_MS for us): seq never goes back to an older ticket. */
    seq = 2 * t + 1;
    if (!__atomic_compare_exchange_n(&r->seq, &seq, 2 * t + 2, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return t;
    }
    *slot = r;
    return t;
}

/* Back to "being written" only if the record is still ours: 1 when so. */
static int reopen(guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    apr_uint64_t done = 2 * ticket + 2;

    return __atomic_compare_exchange_n(&slot->seq, &done, 2 * ticket + 1, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void reclose(guard_crash_rec_t *slot, apr_uint64_t ticket)
{
    __atomic_store_n(&slot->seq, 2 * ticket + 2, __ATOMIC_RELEASE);
}

void guard_crash_add_frames(guard_crash_rec_t *slot, apr_uint64_t ticket,
                            const guard_crash_rec_t *rec)
{
    apr_uint32_t n = rec->nframes, m = rec->nmodules;

    if (n > GUARD_CRASH_FRAMES) {
        n = GUARD_CRASH_FRAMES;
    }
    if (m > GUARD_CRASH_MODULES) {
        m = GUARD_CRASH_MODULES;
    }
    if (!reopen(slot, ticket)) {
        return;
    }
    memcpy(slot->frames, rec->frames, sizeof(rec->frames[0]) * n);
    memcpy(slot->at, rec->at, sizeof(rec->at[0]) * n);
    memcpy(slot->modules, rec->modules, sizeof(rec->modules[0]) * m);
    slot->nframes = n;
    slot->nmodules = m;
    slot->signature = rec->signature;
    slot->flags |= GUARD_CRASHF_FRAMES;
    reclose(slot, ticket);
}

void guard_crash_add_php(guard_crash_rec_t *slot, apr_uint64_t ticket,
                         const guard_php_frame_t *php, int n)
{
    if (n < 0) {
        n = 0;
    }
    if (n > GUARD_CRASH_PHP_FRAMES) {
        n = GUARD_CRASH_PHP_FRAMES;
    }
    if (!reopen(slot, ticket)) {
        return;
    }
    memcpy(slot->php, php, sizeof(*php) * (apr_size_t)n);
    slot->nphp = (apr_uint32_t)n;
    slot->flags |= GUARD_CRASHF_PHP;
    reclose(slot, ticket);
}

/* FNV-1a over the signal and the top frames. */
apr_uint64_t guard_crash_signature(int signo, const apr_uint64_t *frames,
                                   int n)
{
    apr_uint64_t h = 0xcbf29ce484222325ULL;
    apr_uint64_t words[1 + GUARD_CRASH_SIG_FRAMES];
    const unsigned char *p = (const unsigned char *)words;
    apr_size_t i, len;
    int k;

    if (n > GUARD_CRASH_SIG_FRAMES) {
        n = GUARD_CRASH_SIG_FRAMES;
    }
    words[0] = (apr_uint64_t)(apr_uint32_t)signo;
    for (k = 0; k < n; k++) {
        words[1 + k] = frames[k];
    }
    len = sizeof(words[0]) * (apr_size_t)(1 + n);
    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ULL;
    }
    return h ? h : 1;   /* 0 marks a free group */
}

/* Each top frame with its module's path: the group outlives the ring. */
static void fill_group(guard_crash_group_t *g, const guard_crash_rec_t *rec)
{
    apr_uint32_t k, n = rec->nframes;

    g->signo = rec->signo;
    g->generation = rec->generation;
    for (k = 0; k < GUARD_CRASH_SIG_FRAMES; k++) {
        const guard_crash_loc_t *at = &rec->at[k];

        memset(&g->at[k], 0, sizeof(g->at[k]));
        g->module[k][0] = '\0';
        g->frames[k] = k < n ? rec->frames[k] : 0;
        if (k >= n) {
            continue;
        }
        g->at[k] = *at;
        if (at->kind == GUARD_AT_MODULE && at->module >= 1
            && at->module <= rec->nmodules
            && at->module <= GUARD_CRASH_MODULES) {
            memcpy(g->module[k], rec->modules[at->module - 1].path,
                   GUARD_CRASH_MODULE_LEN);
            g->module[k][GUARD_CRASH_MODULE_LEN - 1] = '\0';
            g->at[k].module = k + 1;
        }
        else if (at->kind == GUARD_AT_MODULE) {
            g->at[k].kind = GUARD_AT_NONE;
        }
    }
    __atomic_store_n(&g->ready, 1, __ATOMIC_RELEASE);
}

void guard_crash_count_group(guard_crash_shm_t *c,
                             const guard_crash_rec_t *rec)
{
    apr_uint64_t signature = rec->signature;
    int i, start = (int)(signature % GUARD_CRASH_GROUPS);

    for (i = 0; i < GUARD_CRASH_GROUPS; i++) {
        guard_crash_group_t *g = &c->groups[(start + i) % GUARD_CRASH_GROUPS];
        apr_uint64_t free_key = 0;

        if (__atomic_load_n(&g->key, __ATOMIC_ACQUIRE) != signature) {
            if (!__atomic_compare_exchange_n(&g->key, &free_key, signature, 0,
                                             __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
                if (free_key != signature) {
                    continue;   /* another signature's group */
                }
            }
            else {
                fill_group(g, rec);
            }
        }
        __atomic_fetch_add(&g->count, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&g->last_id, rec->id, __ATOMIC_RELAXED);
        __atomic_store_n(&g->last_time, rec->when, __ATOMIC_RELAXED);
        return;
    }
    __atomic_fetch_add(&c->hdr->groups_full, 1, __ATOMIC_RELAXED);
}

int guard_crash_trim_frames(void *const *raw, int nraw, apr_uint64_t ip,
                            apr_uint64_t *out, int max, int *start_out)
{
    int i, start = 0, n = 0;

    /* The handler, backtrace() and the trampoline come first: at most a
     * few frames. Past those, ip is the faulting instruction itself. */
    for (i = 0; i < nraw && i < 8; i++) {
        if ((apr_uint64_t)(apr_uintptr_t)raw[i] == ip) {
            start = i;
            break;
        }
    }
    for (i = start; i < nraw && n < max; i++) {
        out[n++] = (apr_uint64_t)(apr_uintptr_t)raw[i];
    }
    *start_out = start;
    return n;
}

apr_uint64_t guard_crash_total(const guard_crash_shm_t *c)
{
    return __atomic_load_n(&c->hdr->next, __ATOMIC_ACQUIRE);
}

int guard_crash_read(const guard_crash_shm_t *c, apr_uint64_t t,
                     guard_crash_rec_t *out)
{
    const guard_crash_rec_t *r = &c->recs[t % (apr_uint64_t)c->capacity];
    apr_uint64_t s1 = 0;
    int i;

    for (i = 0; i < READ_TRIES; i++) {
        s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
        if (s1 != 2 * t + 1 && s1 != 2 * t + 2) {
            return 0;
        }
        memcpy(out, r, sizeof(*out));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (s1 == 2 * t + 2
            && __atomic_load_n(&r->seq, __ATOMIC_RELAXED) == s1) {
            out->seq = s1;
            return 1;
        }
    }
    /* A writer that died mid-record: show what it wrote. */
    return s1 == 2 * t + 1 ? -1 : 0;
}

guard_proc_rec_t *guard_crash_proc_start(guard_crash_shm_t *c, int child,
                                         pid_t pid, apr_uint32_t generation,
                                         apr_time_t now,
                                         apr_uint64_t requests_base)
{
    apr_uint64_t n = c->proc_next++;
    guard_proc_rec_t *p = &c->procs[n % (apr_uint64_t)c->proc_capacity];
    apr_uint32_t *seq = &p->seq;

    __atomic_store_n(&c->hdr->proc_next, c->proc_next, __ATOMIC_RELAXED);
    guard_seq_write_begin(seq);
    p->pid = pid;
    p->child = child;
    p->generation = generation;
    p->end = GUARD_PROC_RUNNING;
    p->signo = 0;
    p->crashes = 0;
    p->started = now;
    p->ended = 0;
    p->requests_base = requests_base;
    p->requests = 0;
    guard_seq_write_end(seq);
    return p;
}

guard_proc_rec_t *guard_crash_proc_find(guard_crash_shm_t *c, int child,
                                        pid_t pid)
{
    apr_uint64_t n = c->proc_next, cap = (apr_uint64_t)c->proc_capacity, k;

    for (k = 0; k < n && k < cap; k++) {
        guard_proc_rec_t *p = &c->procs[(n - 1 - k) % cap];

        if (p->pid == pid && p->child == child) {
            return p;
        }
    }
    return NULL;
}

apr_time_t guard_crash_proc_since(const guard_crash_shm_t *c,
                                  const guard_proc_rec_t *p)
{
    apr_uint64_t n = c->proc_next, cap = (apr_uint64_t)c->proc_capacity, k;
    int seen = 0;

    for (k = 0; k < n && k < cap; k++) {
        const guard_proc_rec_t *q = &c->procs[(n - 1 - k) % cap];

        if (q == p) {
            seen = 1;
        }
        else if (seen && q->child == p->child) {
            return q->ended;
        }
    }
    return 0;
}

void guard_crash_proc_end(guard_proc_rec_t *p, apr_time_t now,
                          apr_uint32_t end, int signo, apr_uint32_t crashes,
                          apr_uint64_t requests)
{
    apr_uint32_t *seq = &p->seq;

    guard_seq_write_begin(seq);
    p->ended = now;
    p->end = end;
    p->signo = signo;
    p->crashes = crashes;
    p->requests = requests;
    guard_seq_write_end(seq);
}

int guard_crash_proc_read(const guard_proc_rec_t *src, guard_proc_rec_t *dst)
{
    const apr_uint32_t *seq = &src->seq;
    int i;

    for (i = 0; i < READ_TRIES; i++) {
        apr_uint32_t s = guard_seq_read_begin(seq);

        memcpy(dst, src, sizeof(*dst));
        if (guard_seq_read_valid(seq, s)) {
            return 1;
        }
    }
    return 0;
}
