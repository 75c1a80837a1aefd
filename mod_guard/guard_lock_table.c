/* SPDX-License-Identifier: Apache-2.0 */
/* The lock-chain table: claimed and kept with atomics, no locks. */
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>
#include "guard_lock_procfs.h"
#include "guard_lock_table.h"
#include "guard_wait.h"
#include "guard_seq.h"

#define READ_TRIES 64

apr_uint64_t guard_chain_key(apr_uint64_t dev, apr_uint64_t ino)
{
    /* Mixed so that neighbouring inodes spread; the full device and
     * inode are compared as well. */
    apr_uint64_t k = ino * 0x9e3779b97f4a7c15ULL ^ (dev + 0x632be59bd9b4e019ULL);

    return k ? k : 1;
}

static int holds(const guard_chain_t *c, apr_uint64_t key, apr_uint64_t dev,
                 apr_uint64_t ino)
{
    return __atomic_load_n(&c->key, __ATOMIC_ACQUIRE) == key
           && c->dev == dev && c->ino == ino;
}

guard_chain_t *guard_chain_find(const guard_shm_t *shm, apr_uint64_t dev,
                                apr_uint64_t ino)
{
    apr_uint64_t key = guard_chain_key(dev, ino);
    int i;

    for (i = 0; i < GUARD_CHAINS; i++) {
        if (holds(&shm->chains[i], key, dev, ino)) {
            return &shm->chains[i];
        }
    }
    return NULL;
}

/* A claimed entry: its contents, then its key becomes visible with them. */
static void init_entry(guard_chain_t *c, apr_uint64_t dev, apr_uint64_t ino,
                       apr_uint32_t owner, apr_time_t now)
{
    c->seq += c->seq & 1;
    guard_seq_write_begin(&c->seq);
    memset((char *)c + offsetof(guard_chain_t, dev), 0,
           sizeof(*c) - offsetof(guard_chain_t, dev));
    c->dev = dev;
    c->ino = ino;
    c->holder_child = -1;
    c->holder_thread = -1;
    guard_seq_write_end(&c->seq);
    __atomic_store_n(&c->ofd_pid, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->ofd_seen, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->owner, owner, __ATOMIC_RELEASE);
    __atomic_store_n(&c->updated, now, __ATOMIC_RELEASE);
}

/* Another entry with the same key: a claim of the same lock raced ours.
 * Keys are published by the compare-and-swap itself, so of two racing
 * claims at least the later one sees the other. */
static int claimed_elsewhere(const guard_shm_t *shm, const guard_chain_t *mine,
                             apr_uint64_t key)
{
    int i;

    for (i = 0; i < GUARD_CHAINS; i++) {
        if (&shm->chains[i] != mine
            && __atomic_load_n(&shm->chains[i].key, __ATOMIC_SEQ_CST) == key) {
            return 1;
        }
    }
    return 0;
}

guard_chain_t *guard_chain_claim(guard_shm_t *shm, apr_uint64_t dev,
                                 apr_uint64_t ino, apr_uint32_t owner,
                                 apr_time_t now, int *claimed)
{
    apr_uint64_t key = guard_chain_key(dev, ino);
    guard_chain_t *c = guard_chain_find(shm, dev, ino);
    int i;

    *claimed = 0;
    if (c) {
        return c;
    }
    for (i = 0; i < GUARD_CHAINS; i++) {
        apr_uint64_t zero = 0;

        c = &shm->chains[i];
        if (__atomic_compare_exchange_n(&c->key, &zero, key, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            if (claimed_elsewhere(shm, c, key)) {
                /* Give it back; the next pass finds the other one (or,
                 * if both racers gave theirs back, claims again). */
                __atomic_store_n(&c->key, 0, __ATOMIC_RELEASE);
                *claimed = -1;
                return NULL;
            }
            init_entry(c, dev, ino, owner, now);
            *claimed = 1;
            return c;
        }
    }
    return NULL;
}

int guard_chain_take(guard_chain_t *c, apr_uint32_t owner, apr_time_t now,
                     apr_interval_time_t orphan, apr_interval_time_t stale)
{
    apr_uint32_t cur = __atomic_load_n(&c->owner, __ATOMIC_ACQUIRE);
    apr_time_t age = now - __atomic_load_n(&c->updated, __ATOMIC_ACQUIRE);

    if (cur == owner) {
        return 1;
    }
    if (cur == 0 ? age < orphan : age < stale) {
        return 0;
    }
    /* Fresh again before the new owner shows: a watchdog that sees the
     * new owner then sees it fresh, and does not take it over in turn
     * (each then logging the chain cleared). */
    __atomic_store_n(&c->updated, now, __ATOMIC_RELEASE);
    if (!__atomic_compare_exchange_n(&c->owner, &cur, owner, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        return 0;
    }
    c->seq += c->seq & 1;         /* a dead owner may have left it odd */
    return 1;
}

void guard_chain_release(guard_chain_t *c, apr_uint32_t owner)
{
    __atomic_compare_exchange_n(&c->owner, &owner, 0, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
}

void guard_chain_free(guard_chain_t *c)
{
    __atomic_store_n(&c->owner, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&c->key, 0, __ATOMIC_RELEASE);
}

void guard_chain_write_begin(guard_chain_t *c)
{
    guard_seq_write_begin(&c->seq);
}

void guard_chain_write_end(guard_chain_t *c, apr_time_t now)
{
    guard_seq_write_end(&c->seq);
    __atomic_store_n(&c->updated, now, __ATOMIC_RELEASE);
}

int guard_chain_read(const guard_chain_t *src, guard_chain_t *dst)
{
    apr_uint64_t key;
    int i;

    for (i = 0; i < READ_TRIES; i++) {
        apr_uint32_t s = guard_seq_read_begin(&src->seq);

        key = __atomic_load_n(&src->key, __ATOMIC_ACQUIRE);
        memcpy(dst, src, sizeof(*dst));
        if (guard_seq_read_valid(&src->seq, s)) {
            break;
        }
    }
    dst->path[sizeof(dst->path) - 1] = '\0';
    dst->holder_comm[sizeof(dst->holder_comm) - 1] = '\0';
    dst->first_holder[sizeof(dst->first_holder) - 1] = '\0';
    return key != 0 && key != ~(apr_uint64_t)0;
}

static char *secs(apr_int64_t ms, char *buf, apr_size_t len)
{
    if (ms < 0) {
        ms = 0;
    }
    ms = (ms + 50) / 100;
    apr_snprintf(buf, len, "%" APR_INT64_T_FMT ".%d", ms / 10, (int)(ms % 10));
    return buf;
}

char *guard_chain_holder_text(const guard_chain_t *c, char *buf,
                              apr_size_t len)
{
    if (c->holder_pid == -1) {
        apr_cpystrn(buf, "an OFD lock outside httpd's workers (no pid)", len);
    }
    else if (c->holder_pid == 0) {
        apr_cpystrn(buf, "nobody found in /proc/locks", len);
    }
    else if (c->holder_child >= 0) {
        apr_snprintf(buf, len, "pid %d tid %d", c->holder_pid,
                     c->holder_tid);
    }
    else if (c->holder_fpm > 0) {
        apr_snprintf(buf, len, "FPM worker pid %d (%s)", c->holder_pid,
                     c->holder_comm[0] ? c->holder_comm : "?");
    }
    else {
        apr_snprintf(buf, len, "pid %d (%s), not an httpd worker",
                     c->holder_pid, c->holder_comm[0] ? c->holder_comm : "?");
    }
    return buf;
}

static apr_size_t put_pids(const guard_chain_t *c, char *buf, apr_size_t len)
{
    apr_size_t n = 0;
    unsigned i, listed = c->nwaiters < GUARD_CHAIN_WAITERS
                         ? c->nwaiters : GUARD_CHAIN_WAITERS;

    buf[0] = '\0';
    for (i = 0; i < listed && n + 16 < len; i++) {
        n += (apr_size_t)apr_snprintf(buf + n, len - n, "%s%d%s",
                                      i ? "," : "", c->waiters[i].pid,
                                      c->waiters[i].fpm ? " (FPM)" : "");
    }
    if (listed < c->nwaiters && n + 8 < len) {
        n += (apr_size_t)apr_snprintf(buf + n, len - n, ",...");
    }
    return n;
}

/* " (GET /x, 41.0 s, not readable: ...)" of an FPM holder. */
static void fpm_request(const guard_chain_t *c, apr_time_t now, char *buf,
                        apr_size_t len)
{
    char age[32];

    apr_snprintf(buf, len, " (%.*s %.*s, %s s, %.*s)",
                 (int)strnlen(c->holder_method, sizeof(c->holder_method)),
                 c->holder_method,
                 (int)strnlen(c->holder_uri, sizeof(c->holder_uri)),
                 c->holder_uri, c->holder_fpm_start > 0
                 ? secs(apr_time_as_msec(now - c->holder_fpm_start), age,
                        sizeof(age)) : "?",
                 (int)strnlen(c->holder_wait, sizeof(c->holder_wait)),
                 c->holder_wait);
}

/* " (GET /x HTTP/1.1, 41.0 s, poll on socket ...)" of an httpd holder. */
static void holder_request(const guard_chain_t *c, const guard_slot_t *h,
                           apr_time_t now, char *buf, apr_size_t len)
{
    char what[256] = "", age[32];
    apr_int64_t ms;

    buf[0] = '\0';
    if (c->holder_fpm > 0) {
        fpm_request(c, now, buf, len);
        return;
    }
    if (!h || h->req_start <= 0 || h->req_start != c->holder_req_start) {
        if (c->holder_child >= 0) {
            apr_cpystrn(buf, " (serving no request)", len);
        }
        return;
    }
    ms = apr_time_as_msec(now - h->req_start);
    if (h->wait_req_start == h->req_start) {
        guard_wait_describe(&h->wait, ms, what, sizeof(what));
    }
    apr_snprintf(buf, len, " (%.*s %.*s %.*s, %s s, %s)",
                 (int)strnlen(h->req.method, sizeof(h->req.method)),
                 h->req.method,
                 (int)strnlen(h->req.uri, sizeof(h->req.uri)), h->req.uri,
                 (int)strnlen(h->req.protocol, sizeof(h->req.protocol)),
                 h->req.protocol, secs(ms, age, sizeof(age)),
                 what[0] ? what : "not sampled yet");
}

char *guard_chain_format(const guard_chain_t *c, const guard_slot_t *holder,
                         apr_time_t now, char *buf, apr_size_t len)
{
    char pids[160], who[96], req[640], waited[32];

    put_pids(c, pids, sizeof(pids));
    guard_chain_holder_text(c, who, sizeof(who));
    holder_request(c, holder, now, req, sizeof(req));
    apr_snprintf(buf, len, "lock wait: %u worker%s (pid%s %s) wait%s on %.*s "
                 "(%s lock, waiting %s s) held by %s%s", c->nwaiters,
                 c->nwaiters == 1 ? "" : "s", c->nwaiters == 1 ? "" : "s",
                 pids, c->nwaiters == 1 ? "s" : "",
                 (int)strnlen(c->path, sizeof(c->path)), c->path,
                 guard_lock_class_name((int)c->lock_class),
                 secs(apr_time_as_msec(now - c->appeared), waited,
                      sizeof(waited)), who, req);
    return buf;
}

char *guard_chain_format_cleared(const guard_chain_t *c, apr_time_t now,
                                 char *buf, apr_size_t len)
{
    char who[96], dur[32];

    /* The holder the chain line named: by now it may be gone. */
    if (c->first_holder[0]) {
        apr_cpystrn(who, c->first_holder, sizeof(who));
    }
    else {
        guard_chain_holder_text(c, who, sizeof(who));
    }
    apr_snprintf(buf, len, "lock wait cleared: %.*s after %s s (at most %u "
                 "worker%s waited; held by %s)",
                 (int)strnlen(c->path, sizeof(c->path)), c->path,
                 secs(apr_time_as_msec(now - c->appeared), dur, sizeof(dur)),
                 c->max_waiters, c->max_waiters == 1 ? "" : "s", who);
    return buf;
}
