# SPDX-License-Identifier: Apache-2.0
"""worker MPM + mod_proxy: every slot of ServerLimit x ThreadLimit listed
with its state, a proxied request's backend wait, its cut by a per-location
GuardBackendTimeout, a lock chain among threads of one process, the status
listener with every worker stuck, and a module's crash in a worker thread.
The checks shared with event are those of test_event.py,
test_lockwatch.py, test_listen.py and test_crash.py."""

import re
import socket

import pytest

from guardtest import (Fail, TIME_SCALE, parse_prometheus, proc_comm,
                       proc_ppid, proc_threads, prom_values, wait_for,
                       wait_worker, workers_of)
from peers import Blackhole
from test_backend_timeout import (any_grd030, counters, cut_lines,
                                  make_with_backend, pid_log, resp, timed,
                                  wait_done)
from test_crash import (assert_serving, check_record, crash_server, fire,
                        wait_crash, wait_exit_logged)
from test_crash import crashtest_so  # noqa: F401 (fixture)
from test_event import proxy_backend_seen
from test_listen import SMALL_EVENT, all_stuck, listener_across_gracefuls
from test_lockwatch import holder_thread_chain

# The harness's worker defaults (guardtest.MPM_DEFAULTS): 2 children of 4
# threads, all started.
SERVER_LIMIT, THREAD_LIMIT = 2, 4

SLOTS = """\
GuardStuckThreshold 1s
GuardWatchInterval 100ms
ProxyPass /slow http://127.0.0.1:@BH@/ timeout=600
"""

# (method, path) of the requests held on the backend.
HELD = [("GET", "/slow/a?secret=1"), ("POST", "/slow/b"),
        ("PUT", "/slow/c?x=y")]


def grid(js):
    return sorted((w["child"], w["thread"]) for w in js["workers"])


def states(js):
    return {k: v for k, v in js["summary"]["states"].items() if v}


def mod_status_scoreboard(s):
    """mod_status's scoreboard as ?auto gives it: one letter per slot,
    child after child."""
    r = s.get("/server-status?auto")
    assert r.status == 200, r
    board = [l.split(": ", 1)[1] for l in r.text.splitlines()
             if l.startswith("Scoreboard: ")]
    assert board, r.text
    return board[0]


def all_slots_listed(s, n_busy, others=None):
    """?json once it lists every slot of the 2 children, n_busy of them
    busy (the status request among them), others ({state: n}) in other
    states and the rest idle."""
    full = [(c, t) for c in range(SERVER_LIMIT) for t in range(THREAD_LIMIT)]
    want = dict(others or {}, busy=n_busy)
    want["idle"] = len(full) - sum(want.values())

    def probe():
        js = s.guard_json()
        ok = (grid(js) == full and len(js["children"]) == SERVER_LIMIT and
              states(js) == want)
        return js if ok else None
    return wait_for(probe, 10, what="%d slots: %s" % (len(full), want))


def check_processes(s, js):
    """Each listed slot belongs to its child's live process; the threads
    that served a request are threads of it, one slot each."""
    assert js["server"]["mpm"] == "worker", js["server"]
    assert js["server"]["server_limit"] == SERVER_LIMIT, js["server"]
    assert js["server"]["thread_limit"] == THREAD_LIMIT, js["server"]
    pids = {c["child"]: c["pid"] for c in js["children"]}
    watchdogs = {c["child"]: c["watchdog_tid"] for c in js["children"]}
    assert sorted(pids.values()) == sorted(s.children()), \
        (js["children"], s.children())
    for c in js["children"]:
        assert proc_comm(c["pid"]) == "apache2", c
        assert proc_ppid(c["pid"]) == s.master_pid, c
        assert c["watchdog_tid"] in proc_threads(c["pid"]), c
    tids = []
    for w in js["workers"]:
        assert w["pid"] == pids[w["child"]], (w, js["children"])
        if w["tid"]:
            assert w["tid"] in proc_threads(w["pid"]), w
            assert w["tid"] not in (w["pid"], watchdogs[w["child"]]), w
            tids.append(w["tid"])
    assert len(tids) == len(set(tids)), tids


def slot_letter(board, w):
    return board[w["child"] * THREAD_LIMIT + w["thread"]]


@pytest.mark.slow
def test_every_slot_listed_with_its_state(make_server):
    bh = Blackhole()
    s = make_with_backend(make_server, bh, SLOTS, mpm="worker")

    # Idle: all 8 slots, only this status request busy.
    js = all_slots_listed(s, 1)
    check_processes(s, js)
    me = [w for w in js["workers"] if w["state"] == "busy"]
    assert me[0]["request"] == "GET /guard-status?... HTTP/1.1", me
    assert len(mod_status_scoreboard(s)) == SERVER_LIMIT * THREAD_LIMIT

    # Three requests held on the backend, each in its own slot.
    for method, path in HELD:
        s.hang(path, method=method,
               headers={"Content-Length": "0"} if method != "GET" else None)
    bh.wait_accepted(len(HELD))
    js = all_slots_listed(s, len(HELD) + 1)
    check_processes(s, js)
    held = {}
    for method, path in HELD:
        ws = workers_of(js, " %s" % path.split("?")[0])
        assert len(ws) == 1, (path, js["workers"])
        w = ws[0]
        uri = path.split("?")[0] + ("?..." if "?" in path else "")
        assert w["state"] == "busy" and w["method"] == method, w
        assert w["uri"] == uri and w["protocol"] == "HTTP/1.1", w
        assert w["request"] == "%s %s HTTP/1.1" % (method, uri), w
        assert w["client"] == "127.0.0.1", w
        assert w["tid"] and w["tid"] != w["pid"], w
        held[(w["child"], w["thread"])] = w
    assert "secret" not in s.guard_get("json").text
    idle = [w for w in js["workers"] if w["state"] == "idle"]
    assert all(w["request"] is None and w["elapsed_ms"] is None
               for w in idle), idle
    assert js["summary"]["busy"] == len(HELD) + 1, js["summary"]

    # mod_status's scoreboard agrees, slot by slot (its own request is
    # the fourth busy one; a slot may still be closing the connection of
    # the status request before).
    boards = []
    n_idle = SERVER_LIMIT * THREAD_LIMIT - len(HELD) - 1

    def board_agrees():
        board = mod_status_scoreboard(s)
        boards.append(board)
        return (all(slot_letter(board, w) == "W" for w in held.values()) and
                board.count("W") == len(HELD) + 1 and
                board.count("_") == n_idle)
    try:
        wait_for(board_agrees, 5, what="mod_status's scoreboard to agree")
    except Fail as e:
        raise Fail("%s: scoreboard %r, held slots %s"
                   % (e, boards[-1], sorted(held)))

    # The backend answers: the held slots are idle again, same threads.
    bh.release()
    for h in s.hanging:
        assert h.done.wait(10) and b"released" in h.response, h.response
    js = all_slots_listed(s, 1)
    for key, was in held.items():
        w = [x for x in js["workers"]
             if (x["child"], x["thread"]) == key][0]
        assert w["state"] == "idle" and w["request"] is None, w
        assert w["tid"] == was["tid"] and w["requests"] >= 1, (w, was)
    check_processes(s, js)


def read_response(sock):
    """Read one response to GET /hello.txt on a connection kept open."""
    data = b""
    while b"hello static\n" not in data:
        c = sock.recv(65536)
        assert c, data
        data += c
    return data


@pytest.mark.slow
def test_read_and_keepalive_slots(make_server):
    """A worker thread holds its connection while it reads a request and
    between keep-alive requests (unlike event): those slots say so, are
    not stuck however old, and agree with mod_status's scoreboard."""
    s = make_server("GuardStuckThreshold 1s\nKeepAliveTimeout 30\n",
                    mpm="worker")
    ka = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    rd = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        ka.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(ka).startswith(b"HTTP/1.1 200 "), ka
        rd.sendall(b"GET /hello.txt HTTP/1.1\r\n")     # half a head
        js = all_slots_listed(s, 1, {"read": 1, "keepalive": 1})

        def old_enough():
            js = s.guard_json()
            held = [w for w in js["workers"]
                    if w["state"] in ("read", "keepalive")]
            return (len(held) == 2 and
                    all(w["elapsed_ms"] >= 1500 for w in held) and
                    (js, held))
        js, held = wait_for(old_enough, 5, what="both connections 1.5 s old")
        for w in held:
            assert w["request"] is None and w["stuck"] is False, w
            assert w["tid"] in proc_threads(w["pid"]), w
        assert js["summary"]["stuck"] == 0, js["summary"]
        assert s.count_log(r"GRD0100") == 0, s.log_tail()

        letters = {"read": "R", "keepalive": "K"}
        board = mod_status_scoreboard(s)
        for w in held:
            assert slot_letter(board, w) == letters[w["state"]], (board, w)

        # The keep-alive connection serves its next request in its slot.
        ka.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(ka).startswith(b"HTTP/1.1 200 "), ka
    finally:
        ka.close()
        rd.close()
    all_slots_listed(s, 1)


@pytest.mark.slow
def test_proxy_backend_wait(make_server):
    proxy_backend_seen(make_server, "worker", THREAD_LIMIT)


CUT = """\
LogFormat "%P %{tid}P \\"%r\\" %>s" pidtid
CustomLog "@ROOT@/logs/pid_log" pidtid
GuardStuckThreshold 1s
GuardWatchInterval 100ms
ProxyPass /slow http://127.0.0.1:@BH@/ timeout=600
ProxyPass /other http://127.0.0.1:@BH@/ timeout=600
<Location /slow>
    GuardBackendTimeout 1s
</Location>
"""


@pytest.mark.slow
def test_location_backend_timeout_cuts(make_server):
    bh = Blackhole()
    s = make_with_backend(make_server, bh, CUT, mpm="worker")
    # mod_proxy says what happened to its backend connection.
    s.expect_log(r"\[proxy(_http)?:error\].*(AH01102|AH00898|AH01097|"
                 r"AH01110|AH01095)")
    peer = "127.0.0.1:%d" % bh.port
    other = timed(s, "/other/thing")
    bh.wait_accepted(1)
    h = timed(s, "/slow/thing?x=1")
    bh.wait_accepted(2)
    js = s.guard_json()
    w, o = workers_of(js, "/slow/thing"), workers_of(js, "/other/thing")
    assert len(w) == 1 and len(o) == 1, js["workers"]
    assert w[0]["backend_timeout_ms"] == 1000, w
    assert w[0]["backend_action"] == "cut", w
    assert o[0]["backend_timeout_ms"] is None, o

    wait_done(h, 3, "the proxied request to come back")
    el = h.elapsed()
    assert 0.95 <= el <= 1.0 + 0.6 * TIME_SCALE, \
        "response after %.3f s (timeout 1 s)" % el
    r = resp(h)
    # mod_proxy_http on a connection closed before the status line.
    assert r.status == 502, r

    wait_for(lambda: cut_lines(s), 3, what="GRD0300 line")
    # Well past the timeout, the request outside the <Location> is still
    # on its backend, seen there, not cut.
    ow, _ = wait_worker(s, "/other/thing",
                        lambda x: x["wait"] and x["elapsed_ms"] >= 2000,
                        timeout=3, what="the /other request 2 s old")
    assert ow["wait"]["kind"] == "backend" and ow["wait"]["peer"] == peer, ow
    assert other.done_at is None, other.response
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0300" and c["kind"] == "read", c
    assert c["peer"] == peer and c["uri"] == "/slow/thing?...", c
    assert c["method"] == "GET" and c["timeout"] == "1s", c
    assert 1.0 <= c["blocked"] <= 1.0 + 0.5 * TIME_SCALE, c
    assert c["pid"] in s.children() and c["tid"] != c["pid"], c
    assert c["tid"] in proc_threads(c["pid"]), c
    assert (c["pid"], c["tid"]) == (w[0]["pid"], w[0]["tid"]), (c, w)

    cs = counters(s)
    assert cs["backend_cuts_total"] == 1, cs
    assert cs["backend_cuts"] == {"read": 1, "write": 0, "connect": 0}, cs
    prom = parse_prometheus(s.guard_get("prometheus").text)
    assert prom_values(prom, "guard_backend_cuts_total", kind="read") == \
        [1.0], prom_values(prom, "guard_backend_cuts_total")
    assert sum(prom_values(prom, "guard_backend_cuts_total")) == 1.0

    log = pid_log(s)
    slow = [e for e in log if e[2].startswith("GET /slow/thing")]
    assert len(slow) == 1 and slow[0][0] == c["pid"] and \
        slow[0][3] == 502, log

    # The other one comes back when its backend answers.
    bh.release()
    wait_done(other, 5, "the /other request")
    assert resp(other).status == 200 and resp(other).body == b"released"
    assert len(any_grd030(s)) == 1, any_grd030(s)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["flock", "ofd"])
def test_lock_holder_thread(make_server, crashtest_so, how):
    holder_thread_chain(make_server, crashtest_so, "worker", how)


@pytest.mark.slow
def test_listener_answers_with_every_worker_stuck(make_server):
    # SMALL_EVENT's directives are the worker MPM's too: 1 child, 4 threads.
    worst = all_stuck(make_server, "worker", SMALL_EVENT,
                      "ProxyPass /slow http://127.0.0.1:%d/ timeout=600\n")
    print("worker: worst of 10 listener answers: %.1f ms" % (worst * 1000))


def test_listener_across_graceful_restarts(make_server):
    listener_across_gracefuls(make_server, "worker")


@pytest.mark.parametrize("kind,sig,codes,func", [
    ("segv", "SIGSEGV", ["SEGV_MAPERR"], "crashtest_segv"),
    # On the thread's own alternate stack.
    ("stack", "SIGSEGV", ["SEGV_MAPERR", "SEGV_ACCERR"], "crashtest_"),
], ids=["segv", "stack"])
def test_module_crash(make_server, crashtest_so, kind, sig, codes, func):
    s = crash_server(make_server, mpm="worker", so=crashtest_so)
    fire(s, "/ct?" + kind)
    c = wait_crash(s, lambda c: c["uri"] and c["uri"].startswith("/ct"),
                   what="record of %s" % kind)
    check_record(c, sig, "/ct?...", codes)
    names = [f["function"] or "" for f in c["frames"][:6]]
    assert any(func in n for n in names), c["frames"]
    assert c["frames"][0] == c["ip"], c
    assert c["tid"] != c["pid"], c
    assert 0 <= c["child"] < SERVER_LIMIT, c
    assert 0 <= c["thread"] < THREAD_LIMIT, c
    wait_exit_logged(s)
    log = s.log_text()
    assert re.search(r"child pid %d exit signal .*\(11\)" % c["pid"], log)
    assert re.search(r"GRD0501: child pid %d \(slot %d\) died: crash %d: "
                     r"SIGSEGV .* in thread %d serving \"GET /ct\?\.\.\.\""
                     % (c["pid"], c["child"], c["id"], c["tid"]), log), log
    assert_serving(s)
    js = s.guard_json()
    assert js["counters"]["crashes_total"] == 1, js["counters"]
    # The dead child's slots are cleared.
    wait_for(lambda: c["pid"] not in {w["pid"] for w in
                                      s.guard_json()["workers"]}, 5,
             what="no slot of the crashed child %d" % c["pid"])


# ------------------------------------------ slots of threads that do not run
#
# Only threads that run are listed: a new child claims its ThreadsPerChild
# slots (the rest of ThreadLimit stays empty), and a slot whose thread the
# scoreboard says is dead, or finishing after a graceful restart with no
# request, is not a worker. Debian's own worker and event configurations
# have ThreadLimit 64 and ThreadsPerChild 25: 39 slots per child that are
# not workers.


def mod_status_auto(s):
    r = s.get("/server-status?auto")
    assert r.status == 200, r
    return dict(l.split(": ", 1) for l in r.text.splitlines() if ": " in l)


def test_only_running_threads_listed(make_server):
    s = make_server("""\
StartServers 1
ServerLimit 1
ThreadsPerChild 2
ThreadLimit 4
MaxRequestWorkers 2
MinSpareThreads 1
MaxSpareThreads 4
""", mpm="worker")
    js = wait_for(lambda: (lambda j: j if j["children"] else None)(
        s.guard_json()), 10, what="the child in ?json")
    assert js["server"]["thread_limit"] == 4, js["server"]
    st = mod_status_auto(s)
    # mod_status: one letter per thread of ThreadsPerChild.
    assert len(st["Scoreboard"]) == 2, st
    assert grid(js) == [(0, 0), (0, 1)], js["workers"]
    assert js["summary"]["workers"] == 2, js["summary"]
    assert states(js) in ({"busy": 1, "idle": 1}, {"busy": 1, "read": 1},
                          {"busy": 1, "keepalive": 1}), js["summary"]


@pytest.mark.slow
def test_exited_threads_of_a_finishing_child_not_listed(make_server):
    bh = Blackhole()
    s = make_with_backend(make_server, bh, SLOTS + """\
ServerLimit 3
MaxRequestWorkers 12
""", mpm="worker")
    s.hang("/slow/held")
    bh.wait_accepted()
    w, _ = wait_worker(s, "/slow/held", what="the held request")
    s.graceful()

    # The old child keeps only the thread of the held request: mod_status
    # shows it busy and no other thread of that child idle ("W...", or a
    # "G" for a thread that ended as the restart began).
    def finished():
        board = mod_status_auto(s)["Scoreboard"]
        mine = board[w["child"] * THREAD_LIMIT:(w["child"] + 1) * THREAD_LIMIT]
        return mine.count("W") == 1 and "_" not in mine and board
    wait_for(finished, 10, what="the old child's other threads to exit")
    alive = proc_threads(w["pid"])
    assert w["tid"] in alive, (w, alive)
    js = s.guard_json()
    old = [x for x in js["workers"] if x["pid"] == w["pid"]]
    assert [(x["thread"], x["tid"]) for x in old] == \
        [(w["thread"], w["tid"])], (old, alive)
