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

import os
import random
import re
import resource
import signal
import time

import pytest

import soaklib
from guardtest import Fail, proc_alive, wait_for
from soaklib import (Wrk, FdSampler, access_counts, auto_fields, fd_count,
                     fd_targets, json_or_none, report, rss_kib, settle,
                     shared_maps)

pytestmark = pytest.mark.soak

CRASH_LOG = [r"exit signal", r"GRD050[0-2]"]

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
GuardLockWatch @ROOT@/sessions/sess_* 2s
"""

# The mix of the long run: per wrk thread, every 2000th request crashes
# (alternately SIGSEGV and SIGABRT), every 1000th reads a silent backend,
# every 100th renders ?json; the rest cycle over hello.php, hello.txt and
# a session page whose 8 ids are shared by all connections.
THREADS = 2
CONNECTIONS = 24
CRASH_EVERY = 2000
HUNG_EVERY = 1000
STATUS_EVERY = 100

# Per child, fds a busy worker may hold beyond its idle set: the client
# connection, a backend socket, a session file, and one spare.
BUSY_FDS = 4


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
            "master_rss_kib": rss_kib(s.master_pid),
            "fds": {p: fd_count(p) for p in kids},
            "maps": {p: shared_maps(p) for p in kids},
            "targets": {p: fd_targets(p) for p in kids}}


def warm_up(s, bh):
    """A short run of every kind but crashes, so each child has loaded
    what it loads once (PHP extensions, session handler, status page)."""
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            quota=300, hung_every=0, status_every=10,
            normal="php,txt,session", sessions=8)
    res = w.wait(120)
    assert res["errors"]["status"] == 0, res
    return settle(s)


def crash_lines(s):
    log = s.log_text()
    return {"headline": len(re.findall(r"GRD0500: crash \d+: SIG", log)),
            "end": len(re.findall(r"GRD0500: crash \d+: end of report",
                                  log)),
            "parent": len(re.findall(r"GRD0501: child pid", log)),
            "exit_signal": len(re.findall(r"exit signal", log))}


def cut_line_count(s):
    return len(re.findall(r"GRD0300: backend cut", s.log_text()))


def check_maps(s, before, kids_before_maps):
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
    warm_up(s, bh)
    c0 = s.guard_json()["counters"]
    acc0 = access_counts(s)
    before = snapshot(s)
    base_max = max(before["fds"].values())

    sampler = FdSampler(s, interval=2.0)
    w = Wrk(s.port, threads=THREADS, connections=CONNECTIONS,
            quota=total // THREADS, crash_every=CRASH_EVERY,
            hung_every=HUNG_EVERY, status_every=STATUS_EVERY,
            hung="/bt_read.php?port=%d" % bh.port,
            normal="php,txt,session", sessions=8)
    try:
        res = w.wait(7200)
    finally:
        w.stop()
        samples = sampler.stop()
    t_load = w.elapsed
    js = settle(s, timeout=30)
    after = snapshot(s)
    counts = res["counts"]
    crashed = counts.get("crash_ffi", 0) + counts.get("crash_abort", 0)
    hung = counts.get("hung", 0)

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
    assert cs["kept"] == min(crashed, cs["capacity"]), cs
    assert len(js["crashes"]) == cs["kept"], cs

    # Cuts: one per hung request, each logged once, the backend saw each.
    assert cnt["backend_cuts_total"] - c0["backend_cuts_total"] == hung, \
        (cnt, counts)
    assert cnt["backend_cuts"]["read"] == cnt["backend_cuts_total"], cnt
    assert cut_line_count(s) == hung
    assert bh.accepted == hung, (bh.accepted, hung)

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
                       ("session", "/session_touch.php"),
                       ("hung", "/bt_read.php")):
        assert acc.get((path, 200), 0) == counts.get(kind, 0), \
            (kind, acc, counts)
    assert acc.get(("/guard-status", 200), 0) >= counts.get("status", 0)
    for p in ("/crash_ffi.php", "/crash_abort.php"):
        assert not any(k[0] == p for k in acc), acc
    assert cnt["requests_total"] - c0["requests_total"] >= served, \
        (cnt, served)

    # No slot busy but the status request, nothing stuck (settle()), and
    # ?auto agrees.
    auto = auto_fields(s)
    assert auto["BusyWorkers"] == "1" and auto["StuckWorkers"] == "0", auto

    # fds: children that lived through the run hold what they held
    # before; none holds more than the idle maximum; none ever held more
    # than that plus what one request uses.
    kept = [p for p in before["fds"] if p in after["fds"]]
    grown = {p: (before["fds"][p], after["fds"][p]) for p in kept
             if after["fds"][p] > before["fds"][p]}
    assert not grown, (grown, {p: (before["targets"][p],
                                   after["targets"][p]) for p in grown})
    over = {p: n for p, n in after["fds"].items() if n > base_max}
    assert not over, (base_max, over, {p: after["targets"][p]
                                       for p in over})
    peak = {p: max(n for _, n in v) for p, v in samples.items()}
    assert max(peak.values()) <= base_max + BUSY_FDS, (base_max, peak)
    assert after["master_fds"] == before["master_fds"], \
        (before["master_fds"], after["master_fds"])

    # Shared memory: the same mappings in the master and every child, one
    # segment made once (GRD0001).
    maps = check_maps(s, before["master_maps"], before["maps"])
    assert len(guard_shm_bytes(s)) == 1, guard_shm_bytes(s)
    assert guard_shm_bytes(s)[0] <= max(maps), (guard_shm_bytes(s), maps)

    assert s.unexpected_log_lines() == []
    report("mixed", {
        "requests": res["issued"], "answered": res["requests"],
        "seconds": round(t_load, 1),
        "rate": round(res["requests"] / t_load),
        "counts": counts, "errors": errs, "crashes": crashed,
        "cuts": cnt["backend_cuts_total"] - c0["backend_cuts_total"],
        "stuck_total": cnt["stuck_total"] - c0["stuck_total"],
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
