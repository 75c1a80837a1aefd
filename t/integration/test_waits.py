# SPDX-License-Identifier: Apache-2.0
"""What a hung worker is blocked on, as the watchdog sees it, cross-checked
with /proc: a backend socket (seeds/001), a sleep, a CPU spin (seeds/000),
a session lock."""

import json
import re
import time

import pytest

from guardtest import (find_worker, proc_alive, proc_comm, proc_cpu_ms,
                       proc_ppid, socket_inode, tcp_peer_of_inode, wait_for,
                       wait_worker, workers_of)

WATCH = """\
StartServers 3
MinSpareServers 2
MaxSpareServers 6
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""

READ_CALLS = ("poll", "ppoll", "read", "recvfrom")


def assert_live_worker(server, w):
    assert proc_alive(w["pid"]) and proc_comm(w["pid"]) == "apache2", w
    assert proc_ppid(w["pid"]) == server.master_pid, w


@pytest.mark.slow
def test_backend_read_is_diagnosed(make_server):
    s = make_server(WATCH)
    bh = s.blackhole()
    h = s.hang("/backend.php?port=%d&note=secret" % bh.port)

    # Young request: busy, not stuck, not sampled yet.
    w, js = wait_worker(s, "/backend.php", timeout=5)
    assert w["elapsed_ms"] < 900, "first seen late, cannot check: %s" % w
    assert w["stuck"] is False, w
    assert w["wait"] is None, "sampled before 1 s: %s" % w
    assert w["state"] == "busy", w
    assert w["elapsed_ms"] <= h.age() * 1000 + 200, (w, h.age())
    bh.wait_accepted()

    # Within ~3 s: the wait is known and the request is stuck.
    def diagnosed(w):
        return (w["stuck"] and w["wait"] is not None
                and w["wait"]["kind"] == "backend")
    w, js = wait_worker(s, "/backend.php", diagnosed,
                        timeout=max(0.5, 3.5 - h.age()),
                        what="backend wait and stuck flag")
    assert h.age() < 4.5
    assert not h.done.is_set(), "request finished: %r" % h.response
    wait = w["wait"]
    peer = "127.0.0.1:%d" % bh.port
    assert wait["peer"] == peer, wait
    assert wait["syscall"] in READ_CALLS, wait
    assert peer in wait["text"], wait
    assert isinstance(wait["idle_ms"], int) and \
        0 <= wait["idle_ms"] <= w["elapsed_ms"] + 500, (wait, w)
    assert w["elapsed_ms"] >= 1000, w
    assert w["request"] == "GET /backend.php?... HTTP/1.1", w
    assert w["uri"] == "/backend.php?...", w
    assert w["method"] == "GET" and w["protocol"] == "HTTP/1.1", w
    assert w["client"].startswith("127.0.0.1"), w
    assert w["state"] == "busy", w
    assert js["summary"]["stuck"] >= 1, js["summary"]
    assert js["counters"]["stuck_total"] >= 1, js["counters"]
    assert js["counters"]["samples_total"] >= 1, js["counters"]
    busy = [x for x in js["workers"] if x["state"] == "busy"]
    assert js["summary"]["busy"] == len(busy), js["summary"]
    assert js["summary"]["states"]["busy"] == len(busy), js["summary"]
    for st in ("idle", "read", "busy", "keepalive"):
        assert st in js["summary"]["states"], js["summary"]

    # ?auto says the same in one line per busy worker.
    auto = s.guard_get("auto").text
    lines = [l for l in auto.splitlines() if l.startswith("Worker: ") and
             re.search(r"\bpid=%d\b" % w["pid"], l)]
    assert len(lines) == 1, auto
    assert "request=GET /backend.php?... HTTP/1.1" in lines[0], lines
    assert re.search(r"\bwait=.*%s" % re.escape(peer), lines[0]), lines
    assert re.search(r"^StuckWorkers: [1-9]", auto, re.M), auto

    # /proc agrees: a live apache2 child whose fd is that very socket.
    assert_live_worker(s, w)
    assert w["tid"] == w["pid"], w
    inode = socket_inode(w["pid"], wait["fd"])
    assert inode is not None, "fd %r of %d is not a socket" % (wait["fd"],
                                                                w["pid"])
    assert tcp_peer_of_inode(inode) == peer, wait
    with open("/proc/%d/wchan" % w["pid"]) as f:
        wchan = f.read()
    assert wchan != "0", "worker %d is running, not blocked" % w["pid"]

    # The stuck request is logged once with the stable tag, at warn.
    stuck_re = r"\[guard:warn\].*GRD0100.*\b%d\b.*/backend\.php" % w["pid"]
    wait_for(lambda: s.count_log(stuck_re), 3,
             what="GRD0100 for pid %d in the error log" % w["pid"])
    time.sleep(0.5)
    assert s.count_log(stuck_re) == 1, s.log_tail()
    assert s.count_log(r"GRD0100") == 1, s.log_tail()
    assert "secret" not in s.log_text()


@pytest.mark.slow
def test_sleep_is_diagnosed(make_server):
    s = make_server(WATCH)
    s.hang("/sleep.php?us=8000000")

    w, js = wait_worker(s, "/sleep.php",
                        lambda w: w["wait"] is not None and
                        w["wait"]["kind"] == "sleep", timeout=4,
                        what="sleep wait")
    assert w["wait"]["syscall"] in ("nanosleep", "clock_nanosleep"), w
    assert w["wait"]["peer"] in (None, ""), w
    assert w["stuck"] is True, w
    assert w["cpu_ms"] < 0.5 * w["elapsed_ms"], w
    assert_live_worker(s, w)


@pytest.mark.slow
def test_cpu_spin_is_diagnosed(make_server):
    s = make_server(WATCH)
    s.hang("/spin.php?s=12")

    # On a loaded machine the share of CPU may lag: wait for it, do not
    # look once.
    w, js = wait_worker(s, "/spin.php",
                        lambda w: w["wait"] is not None and
                        w["wait"]["kind"] == "cpu" and
                        w["elapsed_ms"] >= 1500 and
                        "spinning" in w["wait"]["text"], timeout=10,
                        what="cpu wait, spinning")
    assert w["cpu_ms"] > 0.5 * w["elapsed_ms"], w
    assert w["cpu_ms"] <= w["elapsed_ms"] + 200, w
    assert_live_worker(s, w)
    # The kernel's own count for that process is at least as much.
    assert proc_cpu_ms(w["pid"]) + 50 >= w["cpu_ms"], \
        (proc_cpu_ms(w["pid"]), w)


@pytest.mark.slow
@pytest.mark.parametrize("show", [False, True], ids=["redacted", "shown"])
def test_session_lock_chain(make_server, show):
    """seeds/001: the holder of a PHP session lock hangs on a backend; two
    more requests of the session wait in flock() on the session file. The
    session id is a credential: the path shows a hash of it unless
    GuardStatusShowQuery is On."""
    s = make_server(WATCH + ("GuardStatusShowQuery On\n" if show else ""))
    bh = s.blackhole()
    sid = "guardtest%d" % int(time.time())
    cookie = {"Cookie": "PHPSESSID=" + sid}
    holder = s.hang("/session_hold.php?port=%d" % bh.port, headers=cookie)
    bh.wait_accepted()
    s.hang("/session_touch.php?n=1", headers=cookie)
    s.hang("/session_touch.php?n=2", headers=cookie)

    def all_known(js):
        h = find_worker(js, "/session_hold.php")
        ws = workers_of(js, "/session_touch.php")
        return (h and h["wait"] and h["wait"]["kind"] == "backend" and
                len(ws) == 2 and
                all(w["wait"] and w["wait"]["kind"] == "lock" for w in ws))
    js = wait_for(lambda: (lambda j: j if all_known(j) else None)(
        s.guard_json()), 5, what="holder on backend, 2 waiters on lock")
    h = find_worker(js, "/session_hold.php")
    assert h["wait"]["peer"] == "127.0.0.1:%d" % bh.port, h
    paths = set()
    for w in workers_of(js, "/session_touch.php"):
        assert w["wait"]["syscall"] == "flock", w
        paths.add(w["wait"]["path"])
        if show:
            assert w["wait"]["path"].endswith("/sess_" + sid), w
        else:
            assert re.search(r"/sess_#[0-9a-f]{8}$", w["wait"]["path"]), w
            for fmt in ("json", "auto", "prometheus", ""):
                assert sid not in s.get("/guard-status?" + fmt).text, fmt
        assert w["wait"]["path"].startswith(s.root + "/sessions/"), w
        assert_live_worker(s, w)
        # /proc/locks has this waiter blocked on a FLOCK.
        with open("/proc/locks") as f:
            locks = f.read()
        assert re.search(r"-> FLOCK\s+ADVISORY\s+WRITE\s+%d\s" % w["pid"],
                         locks), locks
    assert len(paths) == 1, paths       # one session, one (hashed) path
    assert not holder.done.is_set()
    json.dumps(js)
