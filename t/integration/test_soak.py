# SPDX-License-Identifier: Apache-2.0
"""Soak and faults (marker `soak`): a real prefork + mod_php server under
wrk for a long mixed run (normal pages, hung backend calls cut by
GuardBackendTimeout, crashing pages, status renders), graceful and full
restarts under load, and kill -9 of random children under load. What is
checked is bookkeeping, not speed: every crash and every cut counted once,
no slot left busy, no phantom worker, no fd growth in the children, no
growth of the shared memory, no unexpected line in the error log.

GUARD_SOAK_REQUESTS sets the size of the mixed run (default 100,000;
1,000,000 with GUARD_SOAK=long). Figures go to stderr as "[soak] ..."
lines (and to GUARD_SOAK_REPORT, a file, when set)."""

import json
import os
import random
import re
import resource
import signal
import time

import pytest

import soaklib
from guardtest import Fail, proc_alive, proc_status_kb, wait_for
from soaklib import (Wrk, FdSampler, access_counts, auto_fields, fd_count,
                     fd_targets, json_or_none, kept_debug_fds,
                     kept_syscall_fds, report, settle, shared_maps)

pytestmark = pytest.mark.soak

CRASH_LOG = [r"exit signal", r"GRD050[0-2]", r"GRD0506"]

PREFORK = """\
<IfModule mpm_prefork_module>
    StartServers 24
    MinSpareServers 8
    MaxSpareServers 48
    ServerLimit 48
    MaxRequestWorkers 48
</IfModule>
php_admin_value ffi.enable 1
GuardStuckThreshold 5s
GuardWatchInterval 100ms
GuardBackendTimeout 1s
GuardLockWatch @ROOT@/sessions/sess_* 500ms
"""

# The mix of the long run: per wrk thread, every 2000th request crashes
# (alternately SIGSEGV and SIGABRT), every 1000th reads a silent backend,
# every 9001st does so holding a session lock that every 499th waits
# for (a lock chain for GuardLockWatch, unwound by the cut), every 100th
# renders ?json; the rest cycle over hello.php, hello.txt and a session
# page whose 8 ids are shared by all connections.
THREADS = 2
CONNECTIONS = 24
CRASH_EVERY = 2000
HUNG_EVERY = 1000
HELD_EVERY = 9001
WAITER_EVERY = 499
STATUS_EVERY = 100

# Per child, fds a busy worker may hold beyond its idle set: the client
# connection, a backend socket, a session file, and what the watchdog
# opens for a moment (/proc files, /proc/locks).
BUSY_FDS = 6


@pytest.fixture(autouse=True)
def no_core_files():
    """A soak crashes hundreds of children: no core files, whatever the
    caller's limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def soak_server(make_server, snippet=PREFORK, mpm="prefork", **kw):
    s = make_server(snippet, mpm=mpm, loglevel="warn guard:info", **kw)
    for r in CRASH_LOG:
        s.expect_log(r)
    return s


def snapshot(s):
    """fds and shared mappings of the master and every child, idle."""
    kids = s.children()
    return {"master_fds": fd_count(s.master_pid),
            "master_maps": shared_maps(s.master_pid),
            "master_rss_kib": proc_status_kb(s.master_pid, "VmRSS"),
            "fds": {p: fd_count(p) for p in kids},
            "syscall_fds": {p: kept_syscall_fds(p) for p in kids},
            "debug_fds": {p: kept_debug_fds(p) for p in kids},
            "maps": {p: shared_maps(p) for p in kids},
            "targets": {p: fd_targets(p) for p in kids}}


def idle_snapshot(s, n=3, pause=0.3):
    """snapshot() with each child's fewest fds over n looks: an fd seen
    once (a connection being closed) is not part of the idle set."""
    snap = snapshot(s)
    for _ in range(n - 1):
        time.sleep(pause)
        again = snapshot(s)
        for p, k in list(snap["fds"].items()):
            if p in again["fds"] and again["fds"][p] < k:
                snap["fds"][p] = again["fds"][p]
                snap["targets"][p] = again["targets"][p]
    return snap


def warm_up(s):
    """A short run of normal pages and status renders, so each child has
    loaded what it loads once (PHP extensions, session handler, status
    page)."""
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            quota=300, hung_every=0, status_every=10,
            normal="php,txt,session", sessions=8)
    res = w.wait(120)
    assert res["errors"]["status"] == 0, res
    return settle(s)


def fd_problems(before, after, base_max):
    """Children holding more fds than before the run (those that lived
    through it) or than the idle maximum, with what their fds are; kept
    syscall and schedstat files that are not of one of the child's own
    threads, or more than one of each per thread; a debug file held twice."""
    out = []
    for p, paths in sorted(after["syscall_fds"].items()):
        tids = [re.match(r"^/proc/(\d+)/task/(\d+)/(\w+)$", t).groups()
                for t in paths.values()]
        if any(int(owner) != p for owner, _, _ in tids) \
                or len(set(tids)) != len(tids):
            out.append("child %d: syscall files %s" % (p, json.dumps(paths)))
    for p, paths in sorted(after["debug_fds"].items()):
        if len(set(paths.values())) != len(paths):
            out.append("child %d: debug files %s" % (p, json.dumps(paths)))
    for p, n in sorted(after["fds"].items()):
        was = before["fds"].get(p)
        if (was is not None and n > was) or n > base_max:
            out.append("child %d: %d fds (before: %s, idle maximum %d): "
                       "now %s; before %s"
                       % (p, n, was, base_max,
                          json.dumps(after["targets"][p]),
                          json.dumps(before["targets"].get(p))))
    return out


def wait_fds_settled(s, before, base_max, timeout=10):
    """A snapshot without fd problems; fails with them after timeout."""
    last = {}

    def probe():
        last["snap"] = snapshot(s)
        last["problems"] = fd_problems(before, last["snap"], base_max)
        return last["snap"] if not last["problems"] else None
    try:
        return wait_for(probe, timeout, interval=0.5,
                        what="children's fds back to their idle count")
    except Fail as e:
        raise Fail("%s:\n  %s" % (e, "\n  ".join(last["problems"])))


def crash_lines(s):
    log = s.log_text()
    return {"headline": len(re.findall(r"GRD0500: crash \d+: SIG", log)),
            "end": len(re.findall(r"GRD0500: crash \d+: end of report",
                                  log)),
            "parent": len(re.findall(r"GRD0501: child pid", log)),
            "exit_signal": len(re.findall(r"exit signal", log))}


def cut_line_count(s):
    return len(re.findall(r"GRD0300: backend cut", s.log_text()))


def check_cut_lines(s, cuts, killed):
    """Each counted cut is logged once, except where kill -9 hit a child
    between the count and its GRD0300 line: the count goes first (it must
    be there before shutdown() lets the worker go on), so each killed
    child's watchdog can leave at most one cut counted and not logged."""
    lines = cut_line_count(s)
    assert lines <= cuts <= lines + len(killed), (lines, cuts, len(killed))


def check_maps(s, before):
    """The master's shared mappings are what they were, and every child
    has the master's."""
    master = shared_maps(s.master_pid)
    assert master == before, ("master's shared mappings changed",
                              before, master)
    for pid in s.children():
        m = shared_maps(pid)
        if m is not None:
            assert m == master, ("child %d: shared mappings %s, master %s"
                                 % (pid, m, master))
    return master


def guard_shm_bytes(s):
    """Sizes mod_guard logged for its segments (GRD0001)."""
    return [int(x) for x in re.findall(r"GRD0001: shared memory for .* "
                                       r"\((\d+) bytes\)", s.log_text())]


# ---------------------------------------------------------- 1. the soak


def test_soak_mixed_load(make_server):
    total = soaklib.soak_requests()
    s = soak_server(make_server)
    bh = s.blackhole()
    warm_up(s)
    c0 = s.guard_json()["counters"]
    acc0 = access_counts(s)
    before = idle_snapshot(s)
    base_max = max(before["fds"].values())

    sampler = FdSampler(s, interval=2.0)
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            quota=total // THREADS, crash_every=CRASH_EVERY,
            hung_every=HUNG_EVERY, status_every=STATUS_EVERY,
            hung="/bt_read.php?port=%d" % bh.port,
            held_every=HELD_EVERY, waiter_every=WAITER_EVERY,
            held="/session_hold.php?port=%d" % bh.port,
            normal="php,txt,session", sessions=8)
    try:
        res = w.wait(7200)
    finally:
        w.stop()
        samples = sampler.stop()
    t_load = w.elapsed
    js = settle(s, timeout=30)
    counts = res["counts"]
    crashed = counts.get("crash_ffi", 0) + counts.get("crash_abort", 0)
    hung = counts.get("hung", 0) + counts.get("held", 0)

    # wrk: every answer a 200; the only broken connections are those of
    # the crashing requests.
    errs = res["errors"]
    assert res["issued"] >= total, res
    assert errs["status"] == 0 and errs["timeout"] == 0, res
    assert errs["connect"] == 0, res
    assert errs["read"] + errs["write"] <= crashed, res
    assert set(res["statuses"]) == {"200"}, res

    # Crashes: each counted once, in the counters, by signal, and in the
    # log (report headline and end, the parent's line, httpd's own).
    wait_for(lambda: crash_lines(s)["parent"] >= crashed, 30,
             what="%d GRD0501 lines" % crashed)
    js = settle(s)
    cnt = js["counters"]
    lines = crash_lines(s)
    assert cnt["crashes_total"] - c0["crashes_total"] == crashed, \
        (cnt, counts)
    assert lines == {"headline": crashed, "end": crashed,
                     "parent": crashed, "exit_signal": crashed}, lines
    by_sig = js["crash_summary"]["by_signal"]
    assert by_sig["SIGSEGV"] == counts.get("crash_ffi", 0), by_sig
    assert by_sig["SIGABRT"] == counts.get("crash_abort", 0), by_sig
    cs = js["crash_summary"]
    assert cs["total"] == crashed, cs
    assert sum(g["count"] for g in js["crash_groups"]) == crashed, \
        js["crash_groups"]
    assert cs["kept"] == min(crashed, cs["capacity"]), cs
    assert len(js["crashes"]) == cs["kept"], cs

    # Cuts: one per hung request, counted even when the next request of
    # that child crashes at once; the backend saw each.
    assert cnt["backend_cuts_total"] - c0["backend_cuts_total"] == hung, \
        (cnt, counts)
    assert cnt["backend_cuts"]["read"] == cnt["backend_cuts_total"], cnt
    assert bh.accepted == hung, (bh.accepted, hung)
    # Each logged once (a child that crashes right after a cut may die
    # before its watchdog writes the line), naming the request that was
    # cut, not the one its worker went on to.
    lines = re.findall(r"GRD0300: backend cut: pid \d+ tid \d+ "
                       r"\"GET ([^\"?]*)", s.log_text())
    assert hung - crashed <= len(lines) <= hung, (len(lines), hung)
    wrong = [u for u in lines
             if u not in ("/bt_read.php", "/session_hold.php")]
    assert not wrong, wrong

    # The access log: every request of every kind but the crashes, 200.
    def logged():
        a = access_counts(s)
        return {k: v - acc0.get(k, 0) for k, v in a.items()}
    served = res["issued"] - crashed
    wait_for(lambda: sum(logged().values()) >= served, 10,
             what="%d requests in the access log" % served)
    acc = logged()
    bad = {k: v for k, v in acc.items() if k[1] != 200}
    assert not bad, bad
    for kind, path in (("php", "/hello.php"), ("txt", "/hello.txt"),
                       ("hung", "/bt_read.php"),
                       ("held", "/session_hold.php")):
        assert acc.get((path, 200), 0) == counts.get(kind, 0), \
            (kind, acc, counts)
    assert acc.get(("/session_touch.php", 200), 0) == \
        counts.get("session", 0) + counts.get("waiter", 0), (acc, counts)
    assert acc.get(("/guard-status", 200), 0) >= counts.get("status", 0)
    for p in ("/crash_ffi.php", "/crash_abort.php"):
        assert not any(k[0] == p for k in acc), acc
    assert cnt["requests_total"] - c0["requests_total"] >= served, \
        (cnt, served)

    # Lock chains (the held sessions, and any other wait past 500 ms):
    # each reported once and cleared once, none left.
    chains = s.count_log(r"GRD0400: lock wait: ")
    wait_for(lambda: s.count_log(r"GRD0401: lock wait cleared: ") >= chains
             and status_json(s)["lock_waits"] == [], 10,
             what="every lock chain cleared")
    time.sleep(0.5)
    cleared = s.count_log(r"GRD0401: lock wait cleared: ")
    cnt = status_json(s)["counters"]
    assert chains == cleared == cnt["lock_waits_total"] - \
        c0["lock_waits_total"], (chains, cleared, cnt)
    assert "GRD0404" not in s.log_text()

    # ?prometheus passes promtool and says the same.
    from guardtest import parse_prometheus, prom_values, promtool_check
    text = s.guard_get("prometheus").text
    rc, out = promtool_check(text)
    assert rc == 0, out
    m = parse_prometheus(text)
    assert sum(prom_values(m, "guard_crashes_total")) == crashed
    assert prom_values(m, "guard_backend_cuts_total", kind="read") == \
        [cnt["backend_cuts"]["read"]], text
    assert prom_values(m, "guard_lock_chains") == [0.0], text

    # No slot busy but the status request, nothing stuck (settle()), and
    # ?auto agrees.
    auto = auto_fields(s)
    assert auto["BusyWorkers"] == "1" and auto["StuckWorkers"] == "0", auto

    # fds: children that lived through the run hold what they held
    # before; none holds more than the idle maximum (a transient fd, such
    # as the watchdog reading /proc, may be seen once: looked at again);
    # none ever held more than that plus what one request uses.
    after = wait_fds_settled(s, before, base_max)
    kept = [p for p in before["fds"] if p in after["fds"]]
    peak = {p: max(n for _, n in v) for p, v in samples.items()}
    assert max(peak.values()) <= base_max + BUSY_FDS, (base_max, peak)
    assert after["master_fds"] == before["master_fds"], \
        (before["master_fds"], after["master_fds"])

    # Shared memory: the same mappings in the master and every child, one
    # segment made once (GRD0001).
    maps = check_maps(s, before["master_maps"])
    assert len(guard_shm_bytes(s)) == 1, guard_shm_bytes(s)
    assert guard_shm_bytes(s)[0] <= max(maps), (guard_shm_bytes(s), maps)

    assert s.unexpected_log_lines() == []
    report("mixed", {
        "requests": res["issued"], "answered": res["requests"],
        "seconds": round(t_load, 1),
        "rate": round(res["requests"] / t_load),
        "counts": counts, "errors": errs, "crashes": crashed,
        "cuts": cnt["backend_cuts_total"] - c0["backend_cuts_total"],
        "cut_lines": len(lines), "lock_chains": chains,
        "stuck_total": cnt["stuck_total"] - c0["stuck_total"],
        "lock_waits_total": cnt["lock_waits_total"],
        "requests_total": cnt["requests_total"] - c0["requests_total"],
        "guard_shm_bytes": guard_shm_bytes(s),
        "children_before": len(before["fds"]),
        "children_after": len(after["fds"]),
        "children_seen": len(samples), "lived_through": len(kept),
        "fds_before": [min(before["fds"].values()), base_max],
        "fds_after": [min(after["fds"].values()),
                      max(after["fds"].values())],
        "fds_peak": max(peak.values()),
        "master_fds": [before["master_fds"], after["master_fds"]],
        "shm_maps": maps, "shm_bytes_total": sum(maps),
        "master_rss_kib": [before["master_rss_kib"],
                           after["master_rss_kib"]],
        "busy_after": js["summary"]["busy"],
        "stuck_after": js["summary"]["stuck"]})


# ---------------------------------------------------- 2. restarts


RESTART = PREFORK + """\
GuardStatusListen 127.0.0.1:@LPORT@
GuardCrashLog logs/crash_log
"""
GRACEFULS = 20
FULL_RESTARTS = 5


def generations(s):
    return s.count_log(r"resuming normal operations")


def restart(s, how, timeout=30):
    """-k graceful or -k restart; wait until the new generation serves."""
    before = generations(s)
    rc, out = s.run("-k", how)
    if rc != 0:
        raise Fail("httpd -k %s failed (rc %d): %s" % (how, rc, out))
    wait_for(lambda: generations(s) > before, timeout,
             what="-k %s to complete" % how)


def status_json(s, timeout=15):
    """?json, polled again while the probe meets a child on its way out."""
    return wait_for(lambda: json_or_none(s), timeout, interval=0.1,
                    what="an answer from /guard-status?json")


def current_generation(s, js, timeout=30):
    """Wait until every child listed and running is of js's generation."""
    gen = js["server"]["generation"]

    def probe():
        j = status_json(s)
        return j if all(c["generation"] == gen for c in j["children"]) \
            and len(s.children()) == len(j["children"]) else None
    return wait_for(probe, timeout, interval=0.25,
                    what="children of generation %d only" % gen)


def test_soak_restarts_under_load(make_server):
    from guardtest import free_port
    lport = free_port()
    s = soak_server(make_server, RESTART.replace("@LPORT@", str(lport)))
    bh = s.blackhole()
    # One crash before the restarts: its record must stay.
    try:
        s.get("/crash_ffi.php")
    except (OSError, Fail):
        pass
    rec = wait_for(lambda: [c for c in (status_json(s)["crashes"])
                            if c["uri"] == "/crash_ffi.php"], 15,
                   what="the crash record")[0]
    wait_for(lambda: crash_lines(s)["parent"] == 1, 15, what="GRD0501")
    js = settle(s)
    master_fds = fd_count(s.master_pid)
    master_maps = shared_maps(s.master_pid)
    gen0 = js["server"]["generation"]
    restarts0 = js["counters"]["restarts"]

    history = []

    def check_kept(how):
        j = status_json(s)
        c = j["counters"]
        prev = history[-1] if history else js
        assert j["server"]["generation"] == prev["server"]["generation"] + 1
        assert c["restarts"] == prev["counters"]["restarts"] + 1, (how, c)
        assert c["requests_total"] >= prev["counters"]["requests_total"], \
            (how, prev["counters"], c)
        assert c["crashes_total"] == 1, (how, c)
        recs = [r for r in j["crashes"] if r["id"] == rec["id"]]
        assert len(recs) == 1, (how, j["crashes"])
        r = recs[0]
        for k in ("pid", "tid", "signal", "si_code", "uri", "time_ms",
                  "signature", "generation"):
            assert r[k] == rec[k], (how, k, rec, r)
        assert r["symbolized"] is False, r   # an earlier generation's
        history.append(j)

    def cuts():
        return status_json(s)["counters"]["backend_cuts_total"]

    def phase(how, n, pause, close, hung=False):
        """n restarts while wrk runs; wrk's result. With hung, every
        1000th request reads a silent backend: each must be cut, by the
        watchdog of whichever generation's child serves it."""
        cuts0 = cuts()
        w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
                status_every=STATUS_EVERY, normal="php,txt,session",
                sessions=8, close=1 if close else 0,
                hung_every=HUNG_EVERY if hung else 0,
                hung="/bt_read.php?port=%d" % bh.port)
        try:
            time.sleep(1)
            for i in range(n):
                restart(s, how)
                check_kept("%s %d" % (how, i + 1))
                time.sleep(pause)
            time.sleep(1)
            assert w.running(), w.output
            w.interrupt()
            res = w.wait(60)
        finally:
            w.stop()
        # Never a refused connection, an error status or a timeout.
        errs = res["errors"]
        assert errs["connect"] == 0 and errs["status"] == 0, (how, res)
        assert errs["timeout"] == 0, (how, res)
        assert set(res["statuses"]) == {"200"}, (how, res)
        res["seconds"] = round(w.elapsed, 1)
        settle(s)
        res["cuts"] = cuts() - cuts0
        # wrk counts a request when it writes it: one written on a
        # keep-alive connection that the restart closes never reaches a
        # worker (wrk sends a new one), so each broken connection may take
        # one hung request with it.
        hung = res["counts"].get("hung", 0)
        lost = errs["read"] + errs["write"]
        assert hung - lost <= res["cuts"] <= hung, (how, res)
        return res

    # Keep-alive connections: a restart may close each open connection
    # once, as a request is sent on it (the client's usual retry case).
    half = GRACEFULS // 2
    ka = phase("graceful", half, 0.5, close=False, hung=True)
    assert ka["errors"]["read"] + ka["errors"]["write"] <= \
        CONNECTIONS * half, ka
    # A connection per request: a graceful restart loses nothing at all
    # (the listeners stay open, old children finish what they accepted).
    cl = phase("graceful", GRACEFULS - half, 0.5, close=True, hung=True)
    assert cl["errors"] == {"connect": 0, "read": 0, "write": 0,
                            "status": 0, "timeout": 0}, cl
    # -k restart kills the children at once: each open connection breaks,
    # and its reconnection may land on a child not yet gone and break once
    # more; never more than that. The parent keeps the shared memory, so
    # the counters and the crash record stay (check_kept).
    full = phase("restart", FULL_RESTARTS, 1, close=False)
    assert full["errors"]["read"] + full["errors"]["write"] <= \
        2 * CONNECTIONS * FULL_RESTARTS, full

    js = current_generation(s, settle(s))
    assert js["server"]["generation"] == gen0 + GRACEFULS + FULL_RESTARTS
    assert js["counters"]["restarts"] == \
        restarts0 + GRACEFULS + FULL_RESTARTS
    assert js["counters"]["crashes_total"] == 1

    # The parent: no fd and no mapping more than before (the listener, the
    # crash log and the segments are reused, not made again).
    assert fd_count(s.master_pid) == master_fds, \
        (master_fds, fd_targets(s.master_pid))
    assert shared_maps(s.master_pid) == master_maps, \
        (master_maps, shared_maps(s.master_pid))
    assert len(guard_shm_bytes(s)) == 1, guard_shm_bytes(s)
    # No process but the master and its current children.
    assert sorted(s.our_processes()) == sorted([s.master_pid] +
                                               s.children())
    # The listener still answers, with the same counters.
    from guardtest import raw_exchange, build_request, Response
    r = Response(raw_exchange(lport, build_request("/guard-status?json")))
    assert r.status == 200 and r.json()["counters"]["crashes_total"] == 1
    assert s.unexpected_log_lines() == []

    # A stop and a start is a new parent: new shared memory, counters and
    # crash history start again (docs/json-schema.md: "since the shared
    # memory was created").
    s.stop()
    s.start()
    j = status_json(s)
    assert j["counters"]["crashes_total"] == 0 and j["crashes"] == [], j
    assert j["counters"]["restarts"] == 0, j["counters"]
    assert j["counters"]["requests_total"] <= 2, j["counters"]
    report("restarts", {
        "gracefuls": GRACEFULS, "full_restarts": FULL_RESTARTS,
        "keepalive_gracefuls": {k: ka[k] for k in ("requests", "seconds",
                                                   "errors", "cuts")},
        "close_gracefuls": {k: cl[k] for k in ("requests", "seconds",
                                               "errors", "cuts")},
        "full_restarts_run": {k: full[k] for k in ("requests", "seconds",
                                                   "errors")},
        "master_fds": master_fds, "shm_maps": master_maps,
        "requests_total": js["counters"]["requests_total"],
        "restarts_counter": js["counters"]["restarts"]})


# ---------------------------------------------------- 3. kill -9


KILL_PREFORK = PREFORK.replace("GuardStuckThreshold 5s",
                               "GuardStuckThreshold 2s")

# Threads enough that the event MPM never closes a kept-alive connection
# on its own (a child over its connection limit, or an idle child stopped),
# so that every broken connection is one of a killed child.
KILL_EVENT = """\
<IfModule mpm_event_module>
    StartServers 2
    ServerLimit 4
    ThreadsPerChild 32
    ThreadLimit 32
    MaxRequestWorkers 128
    MinSpareThreads 32
    MaxSpareThreads 128
</IfModule>
GuardStuckThreshold 2s
GuardWatchInterval 100ms
GuardBackendTimeout 1s
ProxyPass /slow http://127.0.0.1:@BH@/ timeout=600
"""


def kills():
    return 100 if soaklib.long_mode() else 20


MONOTONIC = ("requests_total", "samples_total", "wakeups_total",
             "backend_cuts_total", "lock_waits_total", "crashes_total")


def kill_children(s, n, rng):
    """SIGKILL n random children, one every 0.2-0.6 s; their pids. Between
    kills, the counters never go down (a dead child's slots keep what it
    counted)."""
    killed = []
    last = None
    for _ in range(n):
        kids = [p for p in s.children() if p not in killed]
        if kids:
            pid = rng.choice(kids)
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(rng.uniform(0.2, 0.6))
        js = json_or_none(s)
        if js is not None:
            c = js["counters"]
            if last is not None:
                down = [k for k in MONOTONIC if c[k] < last[k]]
                assert not down, (down, last, c)
            last = c
    return killed


def check_after_kills(s, killed, before_maps, base_fds, threshold_s=2):
    """Reclaimed slots, no phantom (also once the stuck threshold has
    passed: a slot left busy would turn stuck), the same shared memory."""
    js = settle(s)
    time.sleep(threshold_s + 1)
    js = settle(s)
    for pid in killed:
        assert not proc_alive(pid), pid
    pids = {w["pid"] for w in js["workers"]} | \
        {c["pid"] for c in js["children"]}
    assert not pids & set(killed), (pids & set(killed), js["workers"])
    auto = auto_fields(s)
    assert auto["BusyWorkers"] == "1" and auto["StuckWorkers"] == "0", auto
    # Every child's watchdog is a live thread of it.
    from guardtest import proc_threads
    for c in js["children"]:
        assert c["watchdog_tid"] in proc_threads(c["pid"]), c
    check_maps(s, before_maps)
    before = {"fds": {}, "targets": {}}
    wait_fds_settled(s, before, base_fds)
    # SIGKILL is not a crash.
    assert js["counters"]["crashes_total"] == 0, js["counters"]
    assert "GRD0501" not in s.log_text()
    return js


def check_kills_settled(s, killed, before_maps, base_fds, res, master_fds):
    """check_after_kills, then: every request counted, every killed pid
    listed as exited (not crashed), the master's fds as before."""
    js = check_after_kills(s, killed, before_maps, base_fds)
    assert js["counters"]["requests_total"] >= res["requests"], \
        (js["counters"], res["requests"])
    ends = ended_as(s, js, killed)
    assert ends, "no killed pid in any ?child= list"
    assert set(ends.values()) == {("exited", None)}, ends
    assert fd_count(s.master_pid) == master_fds
    return js, ends


def ended_as(s, js, killed):
    """How ?child=<n>&json says each killed pid ended, where it still
    lists it (each slot keeps its last processes)."""
    out = {}
    for slot in range(js["server"]["server_limit"]):
        r = s.get("/guard-status?child=%d&json" % slot)
        assert r.status == 200, r
        for p in r.json()["processes"]:
            if p["pid"] in killed:
                # What a dead process served is known (null while it runs).
                assert isinstance(p["requests"], int), p
                out[p["pid"]] = (p["end"], p["signal"])
    return out


def test_soak_kill9_prefork(make_server):
    rng = random.Random(int(os.environ.get("GUARD_SOAK_SEED", "9")))
    s = soak_server(make_server, KILL_PREFORK)
    bh = s.blackhole()
    js = warm_up(s)
    before_maps = shared_maps(s.master_pid)
    master_fds = fd_count(s.master_pid)
    base_fds = max(idle_snapshot(s)["fds"].values())

    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            hung_every=200, status_every=STATUS_EVERY,
            hung="/bt_read.php?port=%d" % bh.port,
            normal="php,txt,session", sessions=8)
    try:
        time.sleep(1)
        killed = kill_children(s, kills(), rng)
        time.sleep(1)
        assert w.running(), w.output
        w.interrupt()
        res = w.wait(60)
    finally:
        w.stop()
    errs = res["errors"]
    assert errs["connect"] == 0 and errs["status"] == 0, res
    assert errs["timeout"] == 0, res
    assert set(res["statuses"]) == {"200"}, res
    # prefork: a kill breaks at most the one connection of that child.
    assert errs["read"] + errs["write"] <= len(killed), (len(killed), res)

    js, ends = check_kills_settled(s, killed, before_maps, base_fds, res,
                                   master_fds)
    # Cuts: one per hung request that was not killed, each logged once.
    cuts = js["counters"]["backend_cuts_total"]
    hung = res["counts"].get("hung", 0)
    assert hung - len(killed) <= cuts <= hung, (cuts, hung, len(killed))
    check_cut_lines(s, cuts, killed)

    # The new children's watchdogs still cut: hung requests in parallel,
    # each cut after GuardBackendTimeout, answered 200.
    hs = [s.hang("/bt_read.php?port=%d" % bh.port, timeout=30)
          for _ in range(4)]
    for h in hs:
        assert h.done.wait(20), "a hung request was never cut"
    for h in hs:
        assert h.error is None, h.error
        from guardtest import Response
        r = Response(h.response)
        assert r.status == 200 and r.text.startswith("eof after"), r
    wait_for(lambda: status_json(s)["counters"]["backend_cuts_total"]
             == cuts + 4, 5, what="4 more cuts")
    settle(s)
    assert s.unexpected_log_lines() == []
    report("kill9_prefork", {
        "kills": len(killed), "requests": res["requests"],
        "seconds": round(w.elapsed, 1), "errors": errs,
        "hung": hung, "cuts": cuts, "ends_listed": len(ends),
        "shm_maps": before_maps, "master_fds": master_fds,
        "child_fds_max": base_fds})


def test_soak_kill9_event(make_server):
    from guardtest import Response
    from peers import Blackhole
    rng = random.Random(int(os.environ.get("GUARD_SOAK_SEED", "9")))
    bh = Blackhole()
    try:
        s = soak_server(make_server, KILL_EVENT.replace("@BH@",
                                                        str(bh.port)),
                        mpm="event")
    except BaseException:
        bh.close()
        raise
    s.adopt(bh)
    # mod_proxy says what happened to a backend connection that was cut.
    s.expect_log(r"\[proxy(_http)?:error\].*(AH01102|AH00898|AH01097|"
                 r"AH01110|AH01095)")
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS, quota=300,
            status_every=10, normal="txt")
    w.wait(60)
    js = settle(s)
    before_maps = shared_maps(s.master_pid)
    master_fds = fd_count(s.master_pid)
    base_fds = max(idle_snapshot(s)["fds"].values())

    # Normal requests on kept-alive connections, and beside them two
    # connections that only send requests hung on the backend, one
    # connection each (mod_proxy answers a cut backend with 502 only on a
    # connection's first request; on a later one it closes the
    # connection for the client to retry).
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            status_every=STATUS_EVERY, normal="txt")
    wh = Wrk(s.port, threads=1, connections=2, hung_every=1, close=1,
             hung="/slow/x")
    try:
        time.sleep(1)
        killed = kill_children(s, kills(), rng)
        time.sleep(1)
        assert w.running(), w.output
        assert wh.running(), wh.output
        w.interrupt()
        wh.interrupt()
        res = w.wait(60)
        resh = wh.wait(60)
    finally:
        w.stop()
        wh.stop()
    errs = res["errors"]
    assert errs["connect"] == 0 and errs["timeout"] == 0, res
    assert errs["status"] == 0 and set(res["statuses"]) == {"200"}, res
    # A kill breaks the connections that child held, at most all.
    assert errs["read"] + errs["write"] <= len(killed) * CONNECTIONS, res
    hung = resh["counts"].get("hung", 0)
    assert set(resh["statuses"]) <= {"502"}, resh
    assert resh["errors"]["connect"] == 0, resh
    # Each kill breaks at most both hung connections.
    assert resh["errors"]["read"] + resh["errors"]["write"] <= \
        2 * len(killed), resh

    js, ends = check_kills_settled(s, killed, before_maps, base_fds, res,
                                   master_fds)
    cuts = js["counters"]["backend_cuts_total"]
    answered = resh["statuses"].get("502", 0)
    assert answered <= cuts <= hung, (answered, cuts, hung)
    check_cut_lines(s, cuts, killed)

    h = s.hang("/slow/after-kills", timeout=30)
    assert h.done.wait(20), "the hung proxied request was never cut"
    assert Response(h.response).status == 502
    wait_for(lambda: status_json(s)["counters"]["backend_cuts_total"]
             == cuts + 1, 5, what="one more cut")
    settle(s)
    assert s.unexpected_log_lines() == []
    report("kill9_event", {
        "kills": len(killed), "requests": res["requests"],
        "seconds": round(w.elapsed, 1), "errors": errs,
        "hung": hung, "hung_errors": resh["errors"],
        "hung_statuses": resh["statuses"], "cuts": cuts,
        "ends_listed": len(ends), "shm_maps": before_maps,
        "master_fds": master_fds, "child_fds_max": base_fds})


# ------------------------------- 4. a backend call on a closed listener's fd


def listener_fd(s, pid):
    """The fd number of the server's listening socket in process pid."""
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and \
                    int(parts[1].split(":")[1], 16) == s.port:
                inode = parts[9]
    for fd, target in fd_targets(pid).items():
        if target == "socket:" and os.readlink(
                "/proc/%d/fd/%d" % (pid, fd)) == "socket:[%s]" % inode:
            return fd
    return None


def test_soak_cut_after_graceful_signal(make_server):
    """A graceful restart makes a prefork child close its listeners while
    its request goes on; a backend socket the request opens afterwards
    takes the listener's fd number. It is still cut (it was taken for the
    listener, never cut, and the child hung on it for good)."""
    from guardtest import Response
    s = soak_server(make_server, """\
<IfModule mpm_prefork_module>
    StartServers 4
    MinSpareServers 4
    MaxSpareServers 8
</IfModule>
GuardStuckThreshold 5s
GuardWatchInterval 100ms
GuardBackendTimeout 1s
""")
    bh = s.blackhole()
    kids = s.children()
    lfd = {p: listener_fd(s, p) for p in kids}
    h = s.hang("/bt_read_late.php?delay_ms=1500&port=%d" % bh.port,
               timeout=30)
    from guardtest import wait_worker
    w, _ = wait_worker(s, "/bt_read_late.php", timeout=5)
    restart(s, "graceful")
    bh.wait_accepted(1, timeout=10)
    assert h.done.wait(10), "the backend read after the graceful restart " \
        "was never cut"
    r = Response(h.response)
    assert r.status == 200 and r.text.startswith("eof after"), r
    cut = re.compile(r"GRD0300: backend cut: pid %d .* on fd (\d+) "
                     % w["pid"])
    m = wait_for(lambda: cut.search(s.log_text()), 5, what="the GRD0300 line")
    # The case this is about: the backend socket had the listener's fd.
    assert int(m.group(1)) == lfd.get(w["pid"]), (m.group(0), lfd)
    # The old child then ends, and leaves nothing behind.
    h.close()
    wait_for(lambda: not proc_alive(w["pid"]), 10,
             what="the old child %d to exit" % w["pid"])
    js = settle(s)
    assert all(c["pid"] != w["pid"] for c in js["children"]), js["children"]
    assert s.unexpected_log_lines() == []
