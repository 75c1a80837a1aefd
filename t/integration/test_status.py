# SPDX-License-Identifier: Apache-2.0
"""/guard-status on a real prefork httpd: slots of every child, counters,
graceful restart, query parsing, and the mod_status section."""

import json
import os
import re
import signal
import threading
import time

import pytest

import guardtest
from guardtest import (proc_comm, proc_ppid, proc_threads, wait_for,
                       wait_worker)
from test_worker_slot import ONE_CHILD

# No thread inspection needed: also run against a build without it.
pytestmark = pytest.mark.portable

THREE_CHILDREN = """\
StartServers 3
MinSpareServers 1
MaxSpareServers 3
GuardStuckThreshold 1s
"""


def live_children(server, n):
    return wait_for(lambda: len(server.children()) >= n and server.children(),
                    10, what="%d children of httpd" % n)


def json_with_children(server, n):
    def probe():
        js = server.guard_json()
        return js if len(js["children"]) >= n else None
    return wait_for(probe, 10, what="%d children in ?json" % n)


def test_slots_for_every_child(make_server):
    s = make_server(THREE_CHILDREN)
    real = live_children(s, 3)
    js = json_with_children(s, 3)

    srv = js["server"]
    assert srv["mpm"] == "prefork"
    assert srv["thread_limit"] == 1
    assert srv["server_limit"] >= 3
    assert srv["stuck_threshold_ms"] == 1000
    assert srv["watch_interval_ms"] == 100
    assert srv["version"].startswith("Apache/2.4")

    listed = {c["pid"] for c in js["children"]}
    assert len(js["children"]) >= 3, js["children"]
    for c in js["children"]:
        pid = c["pid"]
        assert proc_comm(pid) == "apache2", "child %r: no live apache2" % c
        assert proc_ppid(pid) == s.master_pid, c
        assert c["generation"] == srv["generation"], c
        assert c["watchdog_tid"] in proc_threads(pid), \
            "watchdog tid of %r is not a thread of that process" % c
        assert c["watchdog_tid"] != pid, c
    # Every real child has its slot.
    assert set(real) <= listed, (real, js["children"])

    worker_pids = {w["pid"] for w in js["workers"]}
    for pid in listed:
        assert pid in worker_pids, "no worker of child %d: %s" \
            % (pid, json.dumps(js["workers"], indent=1))
    for w in js["workers"]:
        if w["pid"] in listed:
            assert w["tid"] == w["pid"], w      # prefork: one thread
    assert js["summary"]["children"] >= 3
    assert js["summary"]["workers"] >= 3

    n = 25
    before = js["counters"]["requests_total"]
    for _ in range(n):
        r = s.get("/hello.php")
        assert r.status == 200, r
    after = wait_for(
        lambda: (lambda v: v if v >= before + n else None)(
            s.guard_json()["counters"]["requests_total"]),
        5, what="requests_total >= %d + %d" % (before, n))
    assert after >= before + n
    js = s.guard_json()
    assert sum(w["requests"] for w in js["workers"]) >= n


def test_graceful_restart_keeps_counters(make_server):
    s = make_server(THREE_CHILDREN)
    json_with_children(s, 3)
    for _ in range(10):
        assert s.get("/hello.php").status == 200
    js1 = wait_for(lambda: (lambda j: j if j["counters"]["requests_total"]
                            >= 10 else None)(s.guard_json()), 5,
                   what="10 requests counted")
    old_children = live_children(s, 3)

    s.graceful()

    def new_generation():
        js = s.guard_json()
        return js if js["server"]["generation"] > \
            js1["server"]["generation"] else None
    js2 = wait_for(new_generation, 10, what="generation to increase")
    assert js2["counters"]["requests_total"] >= \
        js1["counters"]["requests_total"], (js1["counters"], js2["counters"])
    assert js2["counters"]["restarts"] > js1["counters"]["restarts"], \
        (js1["counters"], js2["counters"])

    # The new children announce the new generation with live pids.
    def new_children():
        js = s.guard_json()
        gen = js["server"]["generation"]
        cur = [c for c in js["children"] if c["generation"] == gen]
        return js if len(cur) >= 3 else None
    js3 = wait_for(new_children, 10, what="3 children of the new generation")
    gen = js3["server"]["generation"]
    for c in js3["children"]:
        if c["generation"] == gen:
            assert proc_comm(c["pid"]) == "apache2", c
            assert proc_ppid(c["pid"]) == s.master_pid, c
            assert c["pid"] not in old_children, \
                "child %r of the new generation was not forked anew" % c
    for _ in range(5):
        assert s.get("/hello.php").status == 200
    js4 = wait_for(lambda: (lambda j: j if j["counters"]["requests_total"]
                            >= js2["counters"]["requests_total"] + 5
                            else None)(s.guard_json()), 5,
                   what="requests counted after graceful")
    assert js4["counters"]["restarts"] == js2["counters"]["restarts"]


def is_json(body):
    try:
        json.loads(body)
        return True
    except ValueError:
        return False


def test_query_tokens(make_server):
    s = make_server("GuardStuckThreshold 1s\n")

    r = s.guard_get()
    assert r.status == 200 and r.ctype.startswith("text/html"), r
    assert "<html" in r.text.lower()

    r = s.guard_get("json")
    assert r.status == 200 and "application/json" in r.ctype, r
    r.json()

    r = s.guard_get("jsonx")
    assert r.status == 200, r
    assert r.ctype.startswith("text/html"), "?jsonx: %r" % r
    assert not is_json(r.body), "?jsonx answered JSON: %r" % r
    assert "<html" in r.text.lower()

    r = s.guard_get("xjson")
    assert r.ctype.startswith("text/html") and not is_json(r.body), r

    r = s.guard_get("refresh=5")
    assert r.status == 200 and r.ctype.startswith("text/html"), r
    assert re.search(r"<meta\s+http-equiv=[\"']?refresh[\"']?\s+"
                     r"content=[\"']?5\b", r.text, re.I), r.text[:2000]
    r = s.guard_get()
    assert not re.search(r"http-equiv=[\"']?refresh", r.text, re.I), \
        "refresh without ?refresh: %s" % r.text[:2000]

    r = s.guard_get("refresh=abc")
    assert r.status == 400, "?refresh=abc: %r" % r
    assert "<script" not in r.text.lower()

    r = s.guard_get("prometheus")
    assert r.status == 200 and r.ctype.startswith("text/plain"), r
    assert "guard_requests_total" in r.text

    r = s.guard_get("auto")
    assert r.status == 200 and r.ctype.startswith("text/plain"), r
    keys = dict(l.split(": ", 1) for l in r.text.splitlines()
                if not l.startswith("Worker: "))
    for k in ("ServerVersion", "ServerMPM", "Generation", "Workers",
              "BusyWorkers", "IdleWorkers", "StuckWorkers", "RequestsTotal",
              "Restarts", "GuardScoreboard"):
        assert k in keys, "?auto lacks %s: %s" % (k, r.text)
    assert keys["ServerMPM"] == "prefork"
    assert int(keys["StuckWorkers"]) == 0
    assert int(keys["BusyWorkers"]) >= 1        # this request


def test_mod_status_section(make_server):
    s = make_server("GuardStuckThreshold 1s\n")
    r = s.get("/server-status?auto")
    assert r.status == 200, r
    guard_lines = [l for l in r.text.splitlines() if l.startswith("Guard")]
    assert guard_lines, "no Guard* line in /server-status?auto:\n" + r.text
    for l in guard_lines:
        assert re.match(r"^Guard\w+: \S", l), l
    vals = dict(l.split(": ", 1) for l in guard_lines)
    assert vals.get("GuardStuckWorkers") == "0", r.text

    # With a stuck request the count follows.
    bh = s.blackhole()
    s.hang("/backend.php?port=%d" % bh.port)
    bh.wait_accepted()

    def stuck_line():
        t = s.get("/server-status?auto").text
        return t if "GuardStuckWorkers: 1" in t else None
    wait_for(stuck_line, 5, what="GuardStuckWorkers: 1 in ?auto")

    r = s.get("/server-status")
    assert r.status == 200, r
    assert "mod_guard" in r.text, r.text[-3000:]


def test_without_inspection_waits_are_unknown(make_server):
    """A build without thread inspection (--disable-proc-inspection, as on
    a system without Linux's /proc) says so at start-up, shows a busy
    worker's wait as "unknown" rather than guessing, and still flags and
    logs it as stuck by its age."""
    if guardtest.PROC_INSPECTION:
        pytest.skip("this build inspects threads: "
                    "test_waits.py::test_sleep_is_diagnosed")
    s = make_server(THREE_CHILDREN)
    assert s.count_log(r"\[guard:notice\].*GRD0006: built without thread "
                       r"inspection") >= 1, s.log_tail()
    s.hang("/sleep.php?us=8000000")
    w, js = wait_worker(s, "/sleep.php", lambda w: w["stuck"], timeout=6,
                        what="the sleeping worker flagged stuck")
    assert w["wait"] is not None and w["wait"]["kind"] == "unknown", w
    assert w["wait"]["text"] == "unknown", w
    assert w["wait"]["syscall"] in (None, ""), w
    assert w["elapsed_ms"] >= 1000, w
    assert js["summary"]["stuck"] >= 1, js["summary"]
    wait_for(lambda: s.count_log(r"GRD0100") >= 1, 5,
             what="GRD0100 in the error log")
    text = s.guard_get("auto").text
    assert re.search(r"^StuckWorkers: [1-9]", text, re.M), text


# ------------------------------------------- the stuck flag of one worker

# One prefork child with one worker: the request after a stuck one lands
# on the same slot, and a new child takes the slot of the last.
ONE_WORKER = ONE_CHILD + """\
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""

STUCK_LINE = re.compile(r'GRD0100: stuck request: pid (\d+) tid (\d+) '
                        r'"(\S+) ([^"]*)"')
UNSTUCK_LINE = re.compile(r'GRD0101: stuck request ended: pid (\d+) '
                          r'tid (\d+) "(\S+) ([^"]*)"(.*)$', re.M)


def stuck_lines(s):
    return [(int(m.group(1)), int(m.group(2)), m.group(3), m.group(4))
            for m in STUCK_LINE.finditer(s.log_text())]


def unstuck_lines(s):
    return [(int(m.group(1)), int(m.group(2)), m.group(3), m.group(4),
             m.group(5)) for m in UNSTUCK_LINE.finditer(s.log_text())]


def one_worker_server(make_server, extra=""):
    s = make_server(ONE_WORKER + extra)
    # Requests queue behind the one worker on purpose.
    s.expect_log(r"AH00161: server reached MaxRequestWorkers")
    return s


def only_child(s, other_than=None):
    """The pid of the server's one child (a new one when other_than is
    given: the last was replaced)."""
    def probe():
        kids = [p for p in s.children() if p != other_than]
        return kids[0] if len(kids) == 1 else None
    return wait_for(probe, 10, what="one child of httpd other than %r"
                    % other_than)


def grd0101_text(s):
    return "\n".join(l for l in s.log_text().splitlines() if "GRD010" in l)


class Request:
    """A request in a background thread whose client closes its socket as
    soon as the response is complete, as browsers do: the worker's
    lingering close then ends at once, and the worker takes the next
    connection (queued behind it) without a pause."""

    def __init__(self, s, path, timeout=60):
        self.path = path
        self.response = None
        self.error = None
        self.done = threading.Event()

        def run():
            try:
                self.response = s.get(path, timeout=timeout)
            except Exception as e:     # noqa: BLE001 - kept for the test
                self.error = e
            self.done.set()
        threading.Thread(target=run, daemon=True).start()

    def result(self):
        assert self.done.wait(15 * guardtest.TIME_SCALE), self.path
        assert self.error is None, "%s: %r" % (self.path, self.error)
        return self.response


def first_stuck_pid(s):
    lines = wait_for(lambda: stuck_lines(s), 4, what="GRD0100")
    return lines[0][0]


@pytest.mark.slow
def test_unstuck_names_the_stuck_request_not_the_next(make_server):
    """The worker is in its next request when the watchdog sees that the
    stuck one ended: GRD0101 names the stuck one, as GRD0100 did."""
    s = one_worker_server(make_server)
    s.add_page("next.php", '<?php usleep(700000); echo "next\\n";')
    h1 = Request(s, "/sleep.php?us=2500000")
    child = first_stuck_pid(s)
    # Queued behind it on the one worker: served as soon as it is done.
    h2 = Request(s, "/next.php")
    time.sleep(0.2)
    h3 = Request(s, "/hello.php")
    for h in (h1, h2, h3):
        assert h.result().status == 200, h.result()
    assert h2.result().text == "next\n"
    wait_for(lambda: unstuck_lines(s), 3, what="GRD0101")
    time.sleep(1.0)
    assert stuck_lines(s) == [(child, child, "GET", "/sleep.php?...")], \
        grd0101_text(s)
    ended = unstuck_lines(s)
    assert len(ended) == 1, grd0101_text(s)
    pid, tid, method, uri, rest = ended[0]
    assert (pid, tid, method, uri) == (child, child, "GET",
                                       "/sleep.php?..."), grd0101_text(s)
    assert re.match(r" \(began \d+\.\d s ago\)$", rest), rest
    assert only_child(s) == child      # all three on the same process
    assert s.guard_json()["counters"]["stuck_total"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_next_process_of_a_stuck_slot_is_not_stuck(make_server, how):
    """A child ends while its request is stuck: it exits after the request
    (MaxConnectionsPerChild 1), or is killed in it. The next process of
    the slot never reports the old flag as its own (GRD0101 naming its
    pid), and its worker is not stuck."""
    extra = "MaxConnectionsPerChild 1\n" if how == "exit" else ""
    s = one_worker_server(make_server, extra)
    h = Request(s, "/sleep.php?us=%d"
                % (2500000 if how == "exit" else 20000000))
    first = first_stuck_pid(s)
    if how == "kill":
        os.kill(first, signal.SIGKILL)
        assert h.done.wait(10 * guardtest.TIME_SCALE)
        assert h.error is not None, h.response
    else:
        assert h.result().status == 200
    second = only_child(s, other_than=first)
    # The new process serves requests (with MaxConnectionsPerChild 1 each
    # one has a process of its own, in the same slot).
    for _ in range(3):
        r = s.get("/hello.php")
        assert r.status == 200, r
    time.sleep(1.5)
    js = s.guard_json()
    later = {w["pid"] for w in js["workers"]} | set(s.children())
    assert first not in later, js["workers"]
    assert stuck_lines(s) == [(first, first, "GET", "/sleep.php?...")], \
        grd0101_text(s)
    ended = unstuck_lines(s)
    # Killed: nothing more from the first child. Exited: its own line,
    # naming its own request (seen ending, or as the process exits).
    assert all(e[0] == first and e[3] == "/sleep.php?..." for e in ended), \
        grd0101_text(s)
    assert len(ended) == (1 if how == "exit" else 0), grd0101_text(s)
    assert second not in {e[0] for e in ended}
    assert js["summary"]["stuck"] == 0, js["summary"]
    assert not any(w["stuck"] for w in js["workers"]), js["workers"]
    assert js["counters"]["stuck_total"] == 1, js["counters"]
