# SPDX-License-Identifier: Apache-2.0
"""GuardBackendTimeout (seeds/001): a worker blocked on one silent backend
socket past its timeout gets that socket shut down, so the hung read, write
or connect returns and the request (and whatever waits behind it, like a
PHP session lock) unwinds. Never the client's own socket, never files or
pipes; a backend that trickles or answers in time is left alone; `log` only
reports. Real apache2, real PHP, real loopback sockets."""

import os
import re
import socket
import threading
import time

import pytest

from guardtest import (Response, build_request, find_worker, wait_for,
                       wait_worker, workers_of)
from peers import (Blackhole, FullQueue, NonReader, Responder, answer_after,
                   read_until_eof, trickle)

# Enough idle children that parallel requests never wait for a fork.
BASE = """\
<IfModule mpm_prefork_module>
    StartServers 8
    MinSpareServers 8
    MaxSpareServers 16
</IfModule>
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""

READ_CALLS = ("poll", "ppoll", "read", "recvfrom", "recvmsg", "select",
              "pselect6", "epoll_wait", "epoll_pwait")

# One GRD0300/GRD0301/GRD0302 line, as the module writes it.
CUT_LINE = re.compile(
    r'^\[[^\]]*\] \[guard:warn\] .*(GRD030[012]): '
    r'(backend cut|backend timeout \(log only\)|backend cut failed[^:]*): '
    r'pid (\d+) tid (\d+) "(\S+) ([^"]*)" vhost (\S*) client (\S*): '
    r'(read|write|connect) (\S+) on fd (-?\d+) to (\S+) '
    r'blocked ([\d.]+) s(?:, idle ([\d.]+) s|(, no idle time \(not a TCP '
    r'socket\))), GuardBackendTimeout (\S+)( in .*)?$',
    re.M)


def cut_lines(s, tag=None):
    """The parsed GRD030x lines of the error log (all, or those of tag)."""
    out = []
    for m in CUT_LINE.finditer(s.log_text()):
        d = {"tag": m.group(1), "what": m.group(2), "pid": int(m.group(3)),
             "tid": int(m.group(4)), "method": m.group(5),
             "uri": m.group(6), "vhost": m.group(7), "client": m.group(8),
             "kind": m.group(9), "syscall": m.group(10),
             "fd": int(m.group(11)), "peer": m.group(12),
             "blocked": float(m.group(13)),
             # The kernel keeps no idle time for a unix socket: -1.
             "idle": float(m.group(14)) if m.group(14) else -1.0,
             "no_idle": m.group(15) is not None,
             "timeout": m.group(16), "frame": m.group(17),
             "line": m.group(0)}
        if tag is None or d["tag"] == tag:
            out.append(d)
    return out


def any_grd030(s):
    """Every line naming GRD030x, parsed or not (so a malformed line is not
    missed by a 'no cut' assertion)."""
    return [l for l in s.log_text().splitlines() if "GRD030" in l]


def timed(s, path, **kw):
    """s.hang(path) that also records when its response was complete
    (h.done_at, monotonic) and its elapsed time from the client's send
    (h.elapsed())."""
    h = s.hang(path, **kw)
    h.done_at = None

    def watch():
        h.done.wait()
        h.done_at = time.monotonic()
    threading.Thread(target=watch, daemon=True).start()
    h.elapsed = lambda: (h.done_at - h.sent_at) if h.done_at else None
    return h


def wait_done(hs, timeout, what="requests"):
    hs = hs if isinstance(hs, (list, tuple)) else [hs]
    wait_for(lambda: all(h.done_at is not None for h in hs), timeout,
             interval=0.02, what=what)


def resp(h):
    assert h.error is None, "client side error: %r" % h.error
    return Response(h.response)


def counters(s):
    return s.guard_json()["counters"]


def assert_no_cuts(s):
    assert not any_grd030(s), "\n".join(any_grd030(s))
    c = counters(s)
    assert c["backend_cuts_total"] == 0, c
    assert c["backend_cuts"] == {"read": 0, "write": 0, "connect": 0}, c
    assert c["backend_timeouts_logged_total"] == 0, c


def make_with_backend(make_server, backend, snippet, **kw):
    """A server whose config names the backend's port (@BH@); the backend
    is closed if the server does not start."""
    try:
        s = make_server(snippet.replace("@BH@", str(backend.port)), **kw)
    except BaseException:
        backend.close()
        raise
    s.adopt(backend)
    return s


# ------------------------------------------------------------- 1. read


@pytest.mark.slow
def test_read_is_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s\n")
    bh = s.adopt(Responder(read_until_eof))
    peer = "127.0.0.1:%d" % bh.port
    h = timed(s, "/bt_read.php?port=%d&note=secret" % bh.port)
    bh.wait_accepted()
    wait_done(h, 5, "the hung read to come back")
    el = h.elapsed()
    assert 1.95 <= el <= 2.5, "response after %.3f s (timeout 2 s)" % el
    r = resp(h)
    assert r.status == 200, r
    m = re.match(r"eof after (\d+) ms: got 0 bytes in 1 reads, "
                 r"fread=(empty|false), timed_out=no, feof=yes, pid=(\d+)",
                 r.text)
    assert m, r.text
    assert 1800 <= int(m.group(1)) <= 2500, r.text
    pid = int(m.group(3))

    # The backend side saw the connection end (FIN), not a release of ours.
    info = bh.infos[0]
    wait_for(lambda: "eof_at" in info, 3, what="EOF on the backend side")
    assert bh.released_at is None
    assert 1.9 <= info["eof_at"] - h.sent_at <= el + 0.2, \
        (info["eof_at"] - h.sent_at, el)

    # Exactly one warning, naming the request, the peer, the read.
    wait_for(lambda: cut_lines(s), 3, what="GRD0300 line")
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0300" and c["what"] == "backend cut", c
    assert c["kind"] == "read" and c["syscall"] in READ_CALLS, c
    assert c["peer"] == peer, c
    assert c["pid"] == pid and c["tid"] == pid, c
    assert c["method"] == "GET" and c["uri"] == "/bt_read.php?...", c
    assert c["client"] == "127.0.0.1", c
    assert c["timeout"] == "2s", c
    assert 2.0 <= c["blocked"] <= 2.5 and 1.9 <= c["idle"] <= 2.5, c
    assert "secret" not in s.log_text()

    js = s.guard_json()
    cn = js["counters"]
    assert cn["backend_cuts_total"] == 1, cn
    assert cn["backend_cuts"] == {"read": 1, "write": 0, "connect": 0}, cn
    assert cn["backend_timeouts_logged_total"] == 0, cn
    assert len(js["backend_cuts"]) == 1, js["backend_cuts"]
    bc = js["backend_cuts"][0]
    assert bc["kind"] == "read" and bc["action"] == "cut", bc
    assert bc["done"] is True, bc
    assert bc["peer"] == peer and bc["pid"] == pid and bc["tid"] == pid, bc
    assert bc["uri"] == "/bt_read.php?...", bc
    assert bc["syscall"] == c["syscall"] and bc["fd"] == c["fd"], (bc, c)
    assert bc["timeout_ms"] == 2000, bc
    assert 2000 <= bc["blocked_ms"] <= 2500, bc
    assert 1900 <= bc["idle_ms"] <= 2500, bc
    now_ms = time.time() * 1000
    assert now_ms - 10000 <= bc["time_ms"] <= now_ms + 1000, (bc, now_ms)

    # The same figures on the other formats.
    auto = s.guard_get("auto").text
    for k, v in (("BackendCutsTotal", 1), ("BackendCutsRead", 1),
                 ("BackendCutsWrite", 0), ("BackendCutsConnect", 0),
                 ("BackendTimeoutsLogged", 0)):
        assert re.search(r"^%s: %d$" % (k, v), auto, re.M), (k, auto)
    prom = s.guard_get("prometheus").text
    assert re.search(r'^guard_backend_cuts_total\{kind="read"\} 1$', prom,
                     re.M), prom
    assert re.search(r'^guard_backend_cuts_total\{kind="write"\} 0$', prom,
                     re.M), prom
    assert re.search(r'^guard_backend_timeouts_logged_total 0$', prom,
                     re.M), prom


# ------------------------------------------------------------ 2. write


@pytest.mark.slow
def test_write_is_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s\n")
    nr = s.adopt(NonReader())
    peer = "127.0.0.1:%d" % nr.port
    h = timed(s, "/bt_write.php?port=%d&mb=64" % nr.port)
    nr.wait_accepted()
    wait_done(h, 5, "the hung write to come back")
    el = h.elapsed()
    assert 1.95 <= el <= 2.5, "response after %.3f s (timeout 2 s)" % el
    r = resp(h)
    assert r.status == 200, r
    m = re.match(r"write ended after (\d+) ms: sent (\d+) of (\d+) bytes "
                 r"in (\d+) calls, partial=(\d+), last=(\S+), error=(\d+) "
                 r"\(([^)]*)\), pid=(\d+)", r.text)
    assert m, r.text
    sent, total = int(m.group(2)), int(m.group(3))
    assert 0 < sent < total, r.text
    # socket_write came back: either a short count or false (EPIPE...).
    assert int(m.group(5)) > 0 or m.group(6) == "false", r.text
    pid = int(m.group(9))

    wait_for(lambda: cut_lines(s), 3, what="GRD0300 line")
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0300" and c["kind"] == "write", c
    assert c["peer"] == peer and c["pid"] == pid, c
    assert c["uri"] == "/bt_write.php?..." and c["timeout"] == "2s", c
    assert 2.0 <= c["blocked"] <= 2.5, c
    js = s.guard_json()
    assert js["counters"]["backend_cuts"] == \
        {"read": 0, "write": 1, "connect": 0}, js["counters"]
    assert js["counters"]["backend_cuts_total"] == 1, js["counters"]
    bc = js["backend_cuts"][0]
    assert bc["kind"] == "write" and bc["done"] is True, bc
    assert bc["peer"] == peer and bc["pid"] == pid, bc


@pytest.mark.slow
def test_unix_socket_read_is_cut(make_server):
    """A unix-domain backend counts too. No kernel idle time there: it is
    tracked from the first sample that sees it (at most min(1 s,
    GuardStuckThreshold, timeout) = 1 s of age), so with 1s it is cut
    between 1 s and 2 s (+ a sample interval) after the request start."""
    s = make_server(BASE + "GuardBackendTimeout 1s\n")
    path = os.path.join(s.root, "run", "backend.sock")
    bh = s.adopt(Responder(read_until_eof, unix_path=path))
    h = timed(s, "/bt_read.php?unix=" + path)
    bh.wait_accepted()
    wait_done(h, 4, "the hung unix-socket read to come back")
    el = h.elapsed()
    assert 1.0 <= el <= 2.5, "response after %.3f s" % el
    r = resp(h)
    assert r.status == 200 and "got 0 bytes" in r.text and \
        "timed_out=no" in r.text, r.text
    info = bh.infos[0]
    wait_for(lambda: "eof_at" in info, 3, what="EOF on the backend side")
    assert bh.released_at is None
    wait_for(lambda: cut_lines(s), 3, what="GRD0300 line")
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0300" and c["kind"] == "read", c
    assert path in c["peer"], c
    assert c["idle"] == -1.0 and c["no_idle"] and \
        1.0 <= c["blocked"] <= 1.5, c
    js = s.guard_json()
    assert js["counters"]["backend_cuts"]["read"] == 1, js["counters"]
    bc = js["backend_cuts"][0]
    assert bc["idle_ms"] is None and path in bc["peer"], bc


# ---------------------------------------------------------- 3. connect


@pytest.mark.slow
def test_connect_is_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s\n")
    fq = s.adopt(FullQueue())
    assert fq.still_full(), "SYNs to :%d are not dropped" % fq.port
    peer = "127.0.0.1:%d" % fq.port
    hs = {via: timed(s, "/bt_connect.php?port=%d&via=%s" % (fq.port, via))
          for via in ("stream", "sockets")}
    wait_done(list(hs.values()), 5, "the hung connects to come back")
    pids = {}
    # A connect still in SYN_SENT has no kernel idle time to date it back
    # by: it counts from the first sample, taken at 1/8 of the timeout, so
    # the cut may come up to timeout/8 + one interval after the timeout.
    late = 2.0 / 8 + 0.1 + 0.3
    for via, h in hs.items():
        el = h.elapsed()
        assert 1.95 <= el <= 2.0 + late, \
            "%s: response after %.3f s (timeout 2 s)" % (via, el)
        r = resp(h)
        assert r.status == 200, r
        m = re.match(r"connect via %s failed after (\d+) ms: error=(\d+) "
                     r"\(([^)]*)\), pid=(\d+)" % via, r.text)
        assert m, (via, r.text)
        assert 1800 <= int(m.group(1)) <= 2000 + late * 1000, r.text
        pids[int(m.group(4))] = via

    wait_for(lambda: len(cut_lines(s)) >= 2, 3, what="2 GRD0300 lines")
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 2 and len(any_grd030(s)) == 2, any_grd030(s)
    assert {c["pid"] for c in lines} == set(pids), (lines, pids)
    # Both variants are checked before failing, so a report names all the
    # differences at once.
    bad = []
    for c in lines:
        via = pids[c["pid"]]
        for k, ok in (("tag", c["tag"] == "GRD0300"),
                      ("kind", c["kind"] == "connect"),
                      ("peer", c["peer"] == peer),
                      ("uri", c["uri"] == "/bt_connect.php?..."),
                      ("blocked", 2.0 <= c["blocked"] <= 2.5),
                      # no data ever moved on a socket younger than the
                      # request: its idle time is unknown (-1) or cannot
                      # exceed the request's age
                      ("idle", c["idle"] == -1.0 or
                       0 <= c["idle"] <= c["blocked"] + 0.5)):
            if not ok:
                bad.append("%s: log %s: %r" % (via, k, c[k]))
    js = s.guard_json()
    for bc in js["backend_cuts"]:
        via = pids.get(bc["pid"])
        for k, ok in (("kind", bc["kind"] == "connect"),
                      ("peer", bc["peer"] == peer),
                      ("done", bc["done"] is True),
                      ("idle_ms", bc["idle_ms"] is None or
                       0 <= bc["idle_ms"] <= bc["blocked_ms"] + 500)):
            if not ok:
                bad.append("%s: json %s: %r" % (via, k, bc[k]))
    if js["counters"]["backend_cuts"] != \
            {"read": 0, "write": 0, "connect": 2}:
        bad.append("counters: %r" % js["counters"]["backend_cuts"])
    assert js["counters"]["backend_cuts_total"] == 2, js["counters"]
    assert {bc["pid"] for bc in js["backend_cuts"]} == set(pids), js
    assert not bad, "\n".join(bad + [c["line"] for c in lines])


# ------------------------------------------- 4-5. backends left alone


@pytest.mark.slow
def test_trickling_backend_not_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s\n")
    tb = s.adopt(Responder(trickle(10, 0.5)))
    h = timed(s, "/bt_read.php?port=%d" % tb.port)
    tb.wait_accepted()
    # Well past the timeout, the page is still receiving.
    time.sleep(3)
    assert h.done_at is None, h.response
    w = find_worker(s.guard_json(), "/bt_read.php")
    assert w is not None and w["backend_timeout_ms"] == 2000, w
    wait_done(h, 6, "the trickle to end")
    assert tb.infos[0].get("sent") == 10, tb.infos[0]
    r = resp(h)
    assert r.status == 200, r
    assert re.match(r"eof after \d+ ms: got 10 bytes in 11 reads, "
                    r"fread=(empty|false), timed_out=no, feof=yes", r.text), \
        r.text
    assert "data: xxxxxxxxxx\n" in r.text, r.text
    assert h.elapsed() >= 4.9, h.elapsed()
    time.sleep(0.3)
    assert_no_cuts(s)


@pytest.mark.slow
def test_backend_answering_in_time_not_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s\n")
    ab = s.adopt(Responder(answer_after(1.0, b"on time")))
    h = timed(s, "/bt_read.php?port=%d" % ab.port)
    wait_done(h, 4, "the answer")
    r = resp(h)
    assert r.status == 200, r
    assert "got 7 bytes" in r.text and "data: on time\n" in r.text, r.text
    assert 0.95 <= h.elapsed() <= 1.6, h.elapsed()
    time.sleep(1.5)      # past the timeout from the request start
    assert_no_cuts(s)


# -------------------------------------------------------------- 6. log


@pytest.mark.slow
def test_log_only(make_server):
    s = make_server(BASE + "GuardBackendTimeout 2s log\n")
    bh = s.blackhole()
    peer = "127.0.0.1:%d" % bh.port
    h = timed(s, "/bt_read.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, _ = wait_worker(s, "/bt_read.php", timeout=3)
    assert w["backend_timeout_ms"] == 2000 and w["backend_action"] == "log", w

    wait_for(lambda: cut_lines(s, "GRD0301"), 3.5, what="GRD0301 line")
    # Still hung a second past the timeout, reported once.
    time.sleep(max(0, 3.0 - h.age()))
    assert h.done_at is None, h.response
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0301", c
    assert c["what"] == "backend timeout (log only)", c
    assert c["kind"] == "read" and c["peer"] == peer, c
    assert c["timeout"] == "2s" and 2.0 <= c["blocked"] <= 2.6, c
    js = s.guard_json()
    cn = js["counters"]
    assert cn["backend_timeouts_logged_total"] == 1, cn
    assert cn["backend_cuts_total"] == 0, cn
    assert cn["backend_cuts"] == {"read": 0, "write": 0, "connect": 0}, cn
    assert len(js["backend_cuts"]) == 1, js["backend_cuts"]
    bc = js["backend_cuts"][0]
    assert bc["action"] == "log" and bc["done"] is False, bc
    assert bc["peer"] == peer and bc["pid"] == c["pid"], bc
    w = find_worker(js, "/bt_read.php")
    assert w is not None and w["pid"] == c["pid"], w

    # Released, the request ends normally with the backend's answer.
    bh.release()
    wait_done(h, 5, "the released request")
    r = resp(h)
    assert r.status == 200 and "released" in r.text, r.text
    assert "timed_out=no" in r.text, r.text
    assert len(any_grd030(s)) == 1, any_grd030(s)


# ----------------------------------------------- 7. session lock chain


@pytest.mark.slow
@pytest.mark.parametrize("timeout", ["2s", "Off"])
def test_session_lock_chain_unwinds(make_server, timeout):
    s = make_server(BASE + "GuardBackendTimeout %s\n" % timeout)
    bh = s.blackhole()
    sid = "btsess%d" % int(time.time() * 1000)
    cookie = {"Cookie": "PHPSESSID=" + sid}
    holder = timed(s, "/session_hold.php?port=%d" % bh.port, headers=cookie)
    bh.wait_accepted()
    waiters = [timed(s, "/session_touch.php?n=%d" % i, headers=cookie)
               for i in range(3)]

    def locked(js):
        ws = workers_of(js, "/session_touch.php")
        return len(ws) == 3 and all(
            w["wait"] and w["wait"]["kind"] == "lock" for w in ws)
    wait_for(lambda: locked(s.guard_json()), max(0.3, 1.8 - holder.age()),
             interval=0.05, what="3 waiters in flock")

    if timeout == "Off":
        time.sleep(max(0, 4.0 - holder.age()))
        assert holder.done_at is None, holder.response
        assert all(w.done_at is None for w in waiters), \
            [w.response for w in waiters]
        js = s.guard_json()
        assert len(workers_of(js, "/session_touch.php")) == 3, js
        assert find_worker(js, "/session_hold.php")["backend_timeout_ms"] \
            is None
        assert_no_cuts(s)
        bh.release()          # clean up: the chain unwinds
        wait_done([holder] + waiters, 5, "the released chain")
        return

    wait_done(holder, 4, "the holder to come back")
    assert 1.95 <= holder.elapsed() <= 2.5, holder.elapsed()
    r = resp(holder)
    assert r.status == 200 and "session %s n=1" % sid in r.text, r.text
    wait_done(waiters, 3, "the waiters")
    ns = set()
    for w in waiters:
        assert w.elapsed() <= 2 + 1.0, w.elapsed()
        assert w.done_at >= holder.done_at - 0.05
        r = resp(w)
        assert r.status == 200, r
        m = re.search(r"session %s n=(\d+)" % sid, r.text)
        assert m, r.text
        ns.add(int(m.group(1)))
    assert ns == {2, 3, 4}, ns      # one after the other, behind the holder
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    assert lines[0]["uri"] == "/session_hold.php?..." and \
        lines[0]["kind"] == "read", lines[0]
    assert counters(s)["backend_cuts"]["read"] == 1


# ---------------------------------------------- 8. event + mod_proxy

# One event child of 8 threads.
EVENT_MPM = """\
<IfModule mpm_event_module>
    StartServers 1
    ServerLimit 1
    ThreadsPerChild 8
    ThreadLimit 8
    MaxRequestWorkers 8
    MinSpareThreads 1
    MaxSpareThreads 16
</IfModule>
"""

EVENT_ONE_CHILD = EVENT_MPM + """\
LogFormat "%P %{tid}P \\"%r\\" %>s" pidtid
CustomLog "@ROOT@/logs/pid_log" pidtid
GuardStuckThreshold 1s
GuardWatchInterval 100ms
GuardBackendTimeout 2s
ProxyPass /slow http://127.0.0.1:@BH@/ timeout=600
"""


def pid_log(s):
    path = os.path.join(s.root, "logs", "pid_log")
    out = []
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'(\d+) (\d+) "([^"]*)" (\d+)', line)
                if m:
                    out.append((int(m.group(1)), int(m.group(2)),
                                m.group(3), int(m.group(4))))
    except OSError:
        pass
    return out


@pytest.mark.slow
def test_event_proxy_cut(make_server):
    bh = Blackhole()
    s = make_with_backend(make_server, bh, EVENT_ONE_CHILD, mpm="event")
    # mod_proxy says what happened to its backend connection.
    s.expect_log(r"\[proxy(_http)?:error\].*(AH01102|AH00898|AH01097|"
                 r"AH01110|AH01095)")
    peer = "127.0.0.1:%d" % bh.port
    h = timed(s, "/slow/thing?x=1")
    bh.wait_accepted()
    w, _ = wait_worker(s, "/slow/thing", timeout=2)
    assert w["backend_timeout_ms"] == 2000, w

    # While it hangs, the same process serves others.
    served = []
    while h.age() < 1.7:
        r = s.get("/hello.txt", timeout=2)
        assert r.status == 200 and r.text == "hello static\n", r
        served.append(time.monotonic())
        time.sleep(0.2)
    assert h.done_at is None, h.response
    assert len(served) >= 3, served

    wait_done(h, 3.5, "the proxied request to come back")
    el = h.elapsed()
    assert 1.95 <= el <= 2.5, "response after %.3f s (timeout 2 s)" % el
    r = resp(h)
    # mod_proxy_http on a connection reset/closed before the status line.
    assert r.status == 502, r

    wait_for(lambda: cut_lines(s), 3, what="GRD0300 line")
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    c = lines[0]
    assert c["tag"] == "GRD0300" and c["kind"] == "read", c
    assert c["peer"] == peer and c["uri"] == "/slow/thing?...", c
    assert c["tid"] != c["pid"], c
    js = s.guard_json()
    assert js["counters"]["backend_cuts"]["read"] == 1, js["counters"]
    assert js["backend_cuts"][0]["pid"] == c["pid"], js["backend_cuts"]

    log = pid_log(s)
    hello = [e for e in log if e[2].startswith("GET /hello.txt")]
    slow = [e for e in log if e[2].startswith("GET /slow/thing")]
    assert len(hello) >= len(served) and slow, log
    # (%{tid}P is the pthread id, not the kernel tid the module shows.)
    assert slow[0][0] == c["pid"], (slow, c)
    assert slow[0][3] == 502, slow
    # The normal requests were served by the very process that hung, in
    # other threads.
    assert all(e[0] == c["pid"] for e in hello), (hello, c)
    assert all(e[1] != slow[0][1] for e in hello), (hello, slow)


# ----------------------------------------- 8b. event + mod_cgid: a CGI

EVENT_CGI = EVENT_MPM + """\
GuardStuckThreshold 1s
GuardWatchInterval 100ms
GuardBackendTimeout 1s
ProxyPass /slow http://127.0.0.1:@BH@/ timeout=600
"""

# Quiet for longer than the timeout between its first and last line.
QUIET_CGI = """\
#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "begin $$"
sleep 4
echo "end $$"
"""


@pytest.mark.slow
def test_event_cgi_is_not_a_backend(make_server):
    """Under mod_cgid a worker waits for its script on a unix socket to
    mod_cgid's daemon. That is the application at work (a slow CGI, like a
    slow PHP page), with its own timeouts: shown as a "cgi" wait, never cut
    by a server-wide GuardBackendTimeout, while a hung proxied backend in
    the same server still is."""
    bh = Blackhole()
    s = make_with_backend(make_server, bh, EVENT_CGI, mpm="event", cgi=True)
    s.expect_log(r"\[proxy(_http)?:error\].*(AH01102|AH00898|AH01097|"
                 r"AH01110|AH01095)")
    s.add_cgi("quiet.cgi", QUIET_CGI)
    cgi = timed(s, "/cgi-bin/quiet.cgi")
    w, js = wait_worker(s, "/cgi-bin/quiet.cgi",
                        lambda w: w["wait"] is not None, timeout=2,
                        what="the CGI's wait")
    assert w["wait"]["kind"] == "cgi", w
    # Past the timeout (a unix socket counts from the first sample, at an
    # eighth of it), still waiting.
    w, js = wait_worker(s, "/cgi-bin/quiet.cgi",
                        lambda w: w["elapsed_ms"] >= 1500, timeout=3,
                        what="the CGI, past the timeout")
    wt = w["wait"]
    assert wt["kind"] == "cgi", w
    assert cgi.done_at is None, cgi.response
    assert wt["peer"].startswith("unix:") and "cgisock" in wt["peer"], wt
    assert wt["text"] == "%s on CGI script via %s" % (wt["syscall"],
                                                      wt["peer"]), wt
    assert w["backend_timeout_ms"] == 1000, w
    # The other three formats say the same.
    auto = s.guard_get("auto").text
    assert re.search(r"request=GET /cgi-bin/quiet\.cgi HTTP/1\.1 .*"
                     r"wait=\w+ on CGI script via unix:\S*cgisock", auto), auto
    prom = s.guard_get("prometheus&pids").text
    assert re.search(r'guard_worker_wait_seconds\{child="0",thread="\d+",'
                     r'pid="%d",tid="%d",wait="cgi",' % (w["pid"], w["tid"]),
                     prom), prom
    html = s.guard_get().text
    assert "on CGI script via unix:" in html, html

    # A hung backend in the same server is still cut.
    slow = timed(s, "/slow/thing")
    bh.wait_accepted()
    wait_done(slow, 4, "the proxied request to be cut")
    assert resp(slow).status == 502, resp(slow)
    wait_done(cgi, 6, "the CGI to finish")
    assert cgi.elapsed() >= 3.9, cgi.elapsed()
    r = resp(cgi)
    assert r.status == 200, r
    pids = re.findall(r"^(begin|end) (\d+)$", r.text, re.M)
    assert [p[0] for p in pids] == ["begin", "end"], r.text
    assert pids[0][1] == pids[1][1], r.text
    time.sleep(0.5)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    assert lines[0]["uri"] == "/slow/thing", lines[0]
    assert lines[0]["peer"] == "127.0.0.1:%d" % bh.port, lines[0]
    c = counters(s)
    assert c["backend_cuts_total"] == 1, c


# ------------------------------------------------- 9. negative cases

SLOW_CLIENT = """\
<IfModule mpm_prefork_module>
    StartServers 4
    MinSpareServers 4
    MaxSpareServers 8
</IfModule>
GuardStuckThreshold 1s
GuardWatchInterval 100ms
GuardBackendTimeout 1s
"""


def seen_waits(s, needle, until, into):
    """Poll ?json until time until; collect the wait kinds and for_ms seen
    for the worker serving needle."""
    while time.monotonic() < until:
        w = find_worker(s.guard_json(), needle)
        if w and w["wait"]:
            into.append((w["wait"]["kind"], w["wait"].get("for_ms")))
        time.sleep(0.1)


@pytest.mark.slow
def test_slow_client_body_not_cut(make_server):
    s = make_server(SLOW_CLIENT)
    assert "reqtimeout" not in open(s.conf).read()
    body = b"0123456789abcdefghij"
    req = (b"POST /bt_input.php HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
    c = socket.create_connection(("127.0.0.1", s.port), timeout=15)
    waits = []
    try:
        t0 = time.monotonic()
        c.sendall(req)
        # A byte every 300 ms, with one silence of 1.6 s (longer than the
        # timeout: a client socket mistaken for a backend would be cut).
        for i, b in enumerate(body):
            if i == 6:
                seen_waits(s, "/bt_input.php", time.monotonic() + 1.6, waits)
            else:
                time.sleep(0.3)
            c.sendall(bytes([b]))
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
    finally:
        c.close()
    el = time.monotonic() - t0
    assert el >= 4, el
    r = Response(data)
    assert r.status == 200, r
    assert r.text.startswith("got %d bytes" % len(body)), r.text
    assert r.text.endswith(": %s\n" % body.decode()), r.text
    # The watchdog did see the worker wait on its client, past the timeout.
    assert any(k == "client" and (f or 0) >= 1000 for k, f in waits), waits
    assert all(k != "backend" for k, _ in waits), waits
    assert_no_cuts(s)


@pytest.mark.slow
def test_slow_reader_not_cut(make_server):
    s = make_server(SLOW_CLIENT)
    total = 20 * 1048576
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(15)
    c.connect(("127.0.0.1", s.port))
    waits = []
    data = bytearray()
    try:
        t0 = time.monotonic()
        c.sendall(build_request("/bt_big.php?mb=20"))
        # Three silences of 1.3-1.5 s (no byte read, longer than the
        # timeout) with bursts of reading in between: ~4 s in all.
        for pause, upto in ((1.5, total // 3), (1.5, 2 * total // 3),
                            (1.3, None)):
            seen_waits(s, "/bt_big.php", time.monotonic() + pause, waits)
            while upto is None or len(data) < upto:
                d = c.recv(65536)
                if not d:
                    break
                data += d
            if upto is None:
                break
    finally:
        c.close()
    el = time.monotonic() - t0
    assert el >= 4, el
    r = Response(bytes(data))
    assert r.status == 200, r
    assert len(r.body) == total, len(r.body)
    assert r.body == b"0123456789abcdef" * (total // 16)
    assert any(k == "client" and (f or 0) >= 1000 for k, f in waits), waits
    assert all(k != "backend" for k, _ in waits), waits
    assert_no_cuts(s)


@pytest.mark.slow
def test_fifo_and_flock_not_cut(make_server):
    s = make_server(BASE + "GuardBackendTimeout 1s\n")
    import fcntl
    fifo = os.path.join(s.root, "bt.fifo")
    os.mkfifo(fifo, 0o666)
    os.chmod(fifo, 0o666)
    lockf = os.path.join(s.root, "bt.lock")
    with open(lockf, "w"):
        pass
    os.chmod(lockf, 0o666)
    # A writer end kept open, so the page's fopen() does not block: its
    # fread() does.
    wfd = os.open(fifo, os.O_RDWR)
    lfd = os.open(lockf, os.O_RDWR)
    fcntl.flock(lfd, fcntl.LOCK_EX)
    try:
        hf = timed(s, "/bt_fifo.php?path=" + fifo)
        hl = timed(s, "/bt_flock.php?path=" + lockf)
        waits = {"/bt_fifo.php": [], "/bt_flock.php": []}
        until = hf.sent_at + 3
        while time.monotonic() < until:
            js = s.guard_json()
            for k, v in waits.items():
                w = find_worker(js, k)
                if w and w["wait"]:
                    v.append((w["wait"]["kind"], w["wait"].get("for_ms"),
                              w["backend_timeout_ms"],
                              w["wait"].get("path")))
            time.sleep(0.1)
        assert hf.done_at is None and hl.done_at is None
        # PHP reads plain files (FIFOs too) greedily: end with EOF.
        os.write(wfd, b"from the test")
        os.close(wfd)
        wfd = None
        fcntl.flock(lfd, fcntl.LOCK_UN)
        wait_done([hf, hl], 3, "fifo and flock pages")
    finally:
        if wfd is not None:
            os.close(wfd)
        os.close(lfd)
    rf, rl = resp(hf), resp(hl)
    assert rf.status == 200 and \
        re.match(r"fifo said 'from the test' after (\d+) ms", rf.text), rf
    assert rl.status == 200 and \
        re.match(r"flock taken after (\d+) ms", rl.text), rl
    for r in (rf, rl):
        ms = int(re.search(r"after (\d+) ms", r.text).group(1))
        assert ms >= 2800, r.text
    # The watchdog saw each one blocked there past the timeout (a named
    # FIFO has a path: the module calls that wait "file").
    assert any(k in ("pipe", "file") and (f or 0) >= 1000 and t == 1000 and
               p == fifo for k, f, t, p in waits["/bt_fifo.php"]), waits
    assert any(k == "lock" and (f or 0) >= 1000 and t == 1000 and
               p == lockf for k, f, t, p in waits["/bt_flock.php"]), waits
    assert_no_cuts(s)


@pytest.mark.slow
def test_per_location_overrides(make_server):
    s = make_server(BASE + """\
GuardBackendTimeout 1s
<Location /long>
    GuardBackendTimeout 5s
</Location>
<Location /off>
    GuardBackendTimeout Off
</Location>
""")
    page = open(os.path.join(s.root, "htdocs", "bt_read.php")).read()
    for d in ("long", "off"):
        os.makedirs(os.path.join(s.root, "htdocs", d), mode=0o755)
        s.add_page(d + "/bt_read.php", page)
    bh = s.adopt(Responder(read_until_eof))
    hs = {}
    for path in ("/long/bt_read.php", "/off/bt_read.php"):
        hs[path] = timed(s, "%s?port=%d" % (path, bh.port))
    bh.wait_accepted(2)
    hs["/bt_read.php"] = timed(s, "/bt_read.php?port=%d" % bh.port)
    bh.wait_accepted(3)
    js = s.guard_json()
    assert hs["/bt_read.php"].age() < 0.9, "too late to look"
    want = {"/long/bt_read.php": 5000, "/off/bt_read.php": None,
            "/bt_read.php": 1000}
    for path, ms in want.items():
        w = [x for x in workers_of(js, "GET %s?" % path)]
        assert len(w) == 1, (path, js["workers"])
        assert w[0]["backend_timeout_ms"] == ms, (path, w[0])
        assert w[0]["backend_action"] == (ms and "cut"), (path, w[0])

    g = hs["/bt_read.php"]
    wait_done(g, 2, "the global-timeout request")
    assert 0.95 <= g.elapsed() <= 1.5, g.elapsed()
    time.sleep(max(0, 3.0 - hs["/off/bt_read.php"].age()))
    assert hs["/off/bt_read.php"].done_at is None
    assert hs["/long/bt_read.php"].done_at is None
    lg = hs["/long/bt_read.php"]
    wait_done(lg, 6 - lg.age(), "the /long request")
    assert 4.95 <= lg.elapsed() <= 5.5, lg.elapsed()
    assert hs["/off/bt_read.php"].done_at is None
    for h in (g, lg):
        assert "eof after" in resp(h).text and "got 0 bytes" in resp(h).text

    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(any_grd030(s)) == 2, any_grd030(s)
    by_uri = {c["uri"]: c for c in lines}
    assert set(by_uri) == {"/bt_read.php?...", "/long/bt_read.php?..."}, \
        lines
    assert by_uri["/bt_read.php?..."]["timeout"] == "1s"
    assert 1.0 <= by_uri["/bt_read.php?..."]["blocked"] <= 1.5
    assert by_uri["/long/bt_read.php?..."]["timeout"] == "5s"
    assert 5.0 <= by_uri["/long/bt_read.php?..."]["blocked"] <= 5.5
    assert counters(s)["backend_cuts"]["read"] == 2
    w = find_worker(s.guard_json(), "/off/bt_read.php")
    assert w is not None and w["backend_timeout_ms"] is None, w


@pytest.mark.slow
def test_htaccess(make_server):
    s = make_server(BASE + """\
GuardBackendTimeout Off
<Directory "@ROOT@/htdocs/ht">
    AllowOverride Options
</Directory>
""")
    page = open(os.path.join(s.root, "htdocs", "bt_read.php")).read()
    os.makedirs(os.path.join(s.root, "htdocs", "ht"), mode=0o755)
    s.add_page("ht/bt_read.php", page)
    s.add_page("ht/.htaccess", "GuardBackendTimeout 1s\n")
    bh = s.adopt(Responder(read_until_eof))
    h = timed(s, "/ht/bt_read.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, _ = wait_worker(s, "/ht/bt_read.php", timeout=1)
    assert w["backend_timeout_ms"] == 1000, w
    wait_done(h, 3, "the .htaccess-timed request")
    assert 0.95 <= h.elapsed() <= 1.5, h.elapsed()
    assert "got 0 bytes" in resp(h).text, resp(h).text
    time.sleep(0.3)
    lines = cut_lines(s)
    assert len(lines) == 1 and len(any_grd030(s)) == 1, any_grd030(s)
    assert lines[0]["uri"] == "/ht/bt_read.php?..." and \
        lines[0]["timeout"] == "1s", lines[0]


# Only where a request's values may differ from its virtual host's is it
# looked at again once per-directory config is merged (GRD0005 says which).
DIR_PASS = [
    ("", False),
    ("<Location /x>\nGuardBackendTimeout 5s\n</Location>\n", True),
    ("<Location /x>\nGuardStatusShowQuery On\n</Location>\n", True),
    ("<Directory \"@ROOT@/htdocs\">\nAllowOverride Options\n</Directory>\n",
     True),
    ("<Directory \"@ROOT@/htdocs\">\nAllowOverride All\n</Directory>\n", True),
    ("<Directory \"@ROOT@/htdocs\">\nAllowOverride None\n"
     "AllowOverrideList GuardBackendTimeout\n</Directory>\n", True),
    ("<Directory \"@ROOT@/htdocs\">\nAllowOverride FileInfo\n</Directory>\n",
     False),
    ("<VirtualHost *:@PORT@>\nGuardBackendTimeout 5s\n</VirtualHost>\n",
     False),
]


@pytest.mark.parametrize("snippet,again", DIR_PASS)
def test_per_directory_pass_only_when_needed(make_server, snippet, again):
    s = make_server(snippet)
    lines = re.findall(r"GRD0005: .*", s.log_text())
    assert lines, s.log_tail()
    want = "in use or allowed in .htaccess" if again else "not used"
    assert all(want in l for l in lines), lines


# ---------------------------------------------------------- 10. config

BAD = [
    ("5x", '"5x"'),
    ("2s kill", '"kill"'),
    ("Off log", '"log"'),
    ("5ms", '"5ms"'),
]


@pytest.mark.parametrize("args,quoted", BAD, ids=[a for a, _ in BAD])
def test_bad_value_refused(make_server, args, quoted):
    s = make_server("GuardBackendTimeout %s\n" % args, start=False)
    rc, out = s.configtest()
    assert rc != 0, "accepted GuardBackendTimeout %s:\n%s" % (args, out)
    assert "GuardBackendTimeout" in out, out
    assert quoted in out, "%s not quoted in: %s" % (quoted, out)
    assert "Syntax OK" not in out


GOOD = [
    "GuardBackendTimeout Off\n",
    "GuardBackendTimeout 10ms\n",
    "GuardBackendTimeout 2s log\n",
    "GuardBackendTimeout 1m cut\n",
    "<VirtualHost 127.0.0.1:@PORT@>\nServerName vh.example\n"
    "GuardBackendTimeout 5s\n</VirtualHost>\n"
    "<Location /x>\nGuardBackendTimeout 60s\n</Location>\n"
    "<Directory \"@ROOT@/htdocs\">\nGuardBackendTimeout Off\n</Directory>\n",
]


@pytest.mark.parametrize("snippet", GOOD, ids=range(len(GOOD)))
def test_good_value_accepted(make_server, snippet):
    s = make_server(snippet, start=False)
    rc, out = s.configtest()
    assert rc == 0 and "Syntax OK" in out, out
