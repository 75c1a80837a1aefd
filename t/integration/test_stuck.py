# SPDX-License-Identifier: Apache-2.0
"""GuardStuckTimeout, the last rung: a request stuck past it on what
mod_guard cannot cut (here a flock() on a file that a process outside
httpd holds: the test process itself) has its record kept as a crash's is
(request, wait, PHP and native frames, "ended by GuardStuckTimeout"), a
GRD0900 line logged before anything is done, and under prefork its process
ended; the server serves on. seeds/001 with such a holder: once it is
ended its session's waiters go on. A backend that trickles is never ended
(GuardBackendTimeout's rung); the rate limit holds server-wide; bad values
fail configtest. Real prefork + mod_php, real loopback sockets."""

import fcntl
import shutil
import socket
import subprocess
import tempfile
import os
import re
import time

import pytest

import guardtest
from guardtest import get, wait_for
from peers import Responder, trickle

BASE = """\
<IfModule mpm_prefork_module>
    StartServers 6
    MinSpareServers 6
    MaxSpareServers 10
</IfModule>
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""

END_RE = (r"\[guard:error\] .*GRD0900: GuardStuckTimeout %s s: ending the "
          r"process pid (\d+): tid \d+ \"GET %s[^\"]*\" .* waiting on what "
          r"cannot be cut: ([^;]*); record (\d+) on "
          r"/guard-status\?crash=(\d+)")
PARENT_RE = r"GRD0903: child pid %s \(slot \d+\) ended by GuardStuckTimeout"
RATE_RE = r"\[guard:warn\] .*GRD0901: GuardStuckTimeout "
# Every test that ends a process logs these.
ENDS_LOG = [r"GRD0900", r"GRD0903"]


def held_lock(s, name):
    """A lock file under the server's locks/ directory, flock()ed by this
    process (outside httpd) until the returned file is closed."""
    d = os.path.join(s.root, "locks")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    path = os.path.join(d, name)
    f = open(path, "w")
    os.chmod(path, 0o666)
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def expect_ends(s):
    for r in ENDS_LOG:
        s.expect_log(r)


def stuck_ends(s):
    return s.guard_json()["crash_summary"]["stuck_ends"]


def test_flock_outside_httpd_ended_with_its_record(make_server):
    """A page blocked in flock() on a file this process holds is ended at
    GuardStuckTimeout + <= 2 s: GRD0900 first (pid, request, the wait),
    then the parent's GRD0903; the record has the request, the wait, PHP
    frames and native frames, on ?crash= and ?json and the other formats;
    counted apart from crashes; the server serves on."""
    s = make_server(BASE + "GuardStuckTimeout 2s\n")
    expect_ends(s)
    f = held_lock(s, "outside.lck")
    try:
        h = s.hang("/lock_flock.php?f=outside.lck")
        m = wait_for(lambda: re.search(END_RE % ("2.0", "/lock_flock.php"),
                                       s.log_text()), 8, what="GRD0900")
        wait_for(lambda: h.done.is_set(), 5, what="the client's connection "
                 "closed by the end")
        assert h.age() <= 2.0 + 2.0 + 0.5, h.age()
        pid, wait, rid = int(m.group(1)), m.group(2), int(m.group(3))
        assert "flock" in wait and "outside.lck" in wait, wait
        assert int(m.group(4)) == rid
        wait_for(lambda: not guardtest.proc_alive(pid), 5,
                 what="the ended process gone")
        wait_for(lambda: re.search(PARENT_RE % pid, s.log_text()), 5,
                 what="the parent's GRD0903")
        # GRD0900 was written before the process ended: before the
        # parent's line about it.
        log = s.log_text()
        assert log.index("GRD0900") < log.index("GRD0903"), log
        assert "exit signal" not in log
    finally:
        f.close()
    assert get(s.port, "/hello.txt").status == 200
    rec = s.guard_get("crash=%d&json" % rid).json()["crash"]
    assert rec["ended_by"] == "GuardStuckTimeout", rec
    assert rec["stuck_timeout_ms"] == 2000
    assert "flock" in rec["wait"] and "outside.lck" in rec["wait"], rec
    assert rec["uri"].startswith("/lock_flock.php"), rec
    assert rec["request_state"] == "active" and rec["elapsed_ms"] >= 2000
    assert rec["vhost"] and rec["client"] == "127.0.0.1", rec
    fns = [p["function"] for p in rec["php_frames"]]
    assert fns[:1] == ["flock"] and "{main}" in fns, fns
    assert any(p["file"].endswith("/lock_flock.php")
               for p in rec["php_frames"] if p["file"]), rec["php_frames"]
    assert rec["frames"], "no native frames: %s" % rec
    assert any((fr.get("module") or "").endswith(".so")
               for fr in rec["frames"]), rec["frames"]
    js = s.guard_json()
    assert js["crash_summary"]["stuck_ends"] == 1
    assert js["crash_summary"]["total"] == 0, js["crash_summary"]
    assert any(c["id"] == rid for c in js["crashes"])
    page = s.guard_get("crash=%d" % rid).text
    assert "ended by GuardStuckTimeout" in page and "Waiting on" in page
    prom = guardtest.parse_prometheus(s.guard_get("prometheus").text)
    assert guardtest.prom_values(prom, "guard_stuck_ends_total") == [1.0]
    assert sum(guardtest.prom_values(prom, "guard_crashes_total")) == 0
    assert "StuckEndsTotal: 1" in s.guard_get("auto").text


def test_seed001_uncuttable_holder_ended_waiters_go_on(make_server):
    """seeds/001 with a holder no backend cut can free: it holds its
    session lock and waits in flock() on a file held outside httpd. Its
    GuardStuckTimeout (a <Location>'s) ends it; the session's waiters,
    which have none, then get the lock and answer."""
    s = make_server(BASE + "<Location /stuck_session_flock.php>\n"
                    "    GuardStuckTimeout 2s\n</Location>\n")
    expect_ends(s)
    f = held_lock(s, "backend.lck")
    try:
        cookie = {"Cookie": "PHPSESSID=stuck%d" % int(time.time() * 1000)}
        holder = s.hang("/stuck_session_flock.php?f=backend.lck",
                        headers=cookie)
        # The holder has its session lock once it waits on the other.
        guardtest.wait_worker(
            s, "/stuck_session_flock.php",
            lambda w: w["wait"] is not None and w["wait"]["kind"] == "lock"
            and (w["wait"].get("path") or "").endswith("backend.lck"),
            timeout=3, what="the holder in flock() on backend.lck")
        waiters = [s.hang("/session_touch.php?n=%d" % i, headers=cookie)
                   for i in range(3)]
        time.sleep(0.5)
        assert not any(w.done.is_set() for w in waiters)
        wait_for(lambda: re.search(END_RE % ("2.0",
                                             "/stuck_session_flock.php"),
                                   s.log_text()), 8, what="GRD0900")
        for w in waiters:
            wait_for(lambda: w.done.is_set(), 5, what="a waiter's answer")
            r = guardtest.Response(w.response)
            assert r.status == 200 and "session stuck" in r.text, r.text
        assert holder.done.is_set()
        assert stuck_ends(s) == 1
    finally:
        f.close()


def test_backend_trickle_never_ended(make_server):
    """A backend that sends a byte a second for 6 s: GuardStuckTimeout 2s
    never ends it (a socket is GuardBackendTimeout's to cut); the page
    reads every byte."""
    s = make_server(BASE + "GuardStuckTimeout 2s\nLogLevel guard:debug\n")
    tb = s.adopt(Responder(trickle(6, 1.0)))
    r = get(s.port, "/bt_read.php?port=%d" % tb.port, timeout=20)
    assert r.status == 200 and "got 6 bytes" in r.text, r.text
    log = s.log_text()
    assert "GRD0900" not in log and "GRD0901" not in log
    assert stuck_ends(s) == 0
    # debug says why, once the request is past the timeout.
    assert re.search(r"GRD0902: GuardStuckTimeout 2.0 s: .* is not ended: "
                     r"(a backend socket|its wait is younger)", log), log


def test_sleep_in_a_loop_is_not_one_long_sleep(make_server):
    """A page that naps 200 ms twenty times (4 s) under GuardStuckTimeout
    1s: each sample finds it asleep again, but it ran in between: never
    ended. The same page napping once for 3 s is."""
    s = make_server(BASE + "GuardStuckTimeout 1s\n")
    expect_ends(s)
    r = get(s.port, "/stuck_sleep_loop.php", timeout=20)
    assert r.status == 200 and r.text.endswith("done\n"), r.text
    assert "GRD0900" not in s.log_text()
    h = s.hang("/stuck_sleep_loop.php?n=1&ms=3000")
    wait_for(lambda: re.search(END_RE % ("1.0", "/stuck_sleep_loop.php"),
                               s.log_text()), 5, what="GRD0900 of one nap")
    wait_for(lambda: h.done.is_set(), 5, what="its connection closed")
    assert h.response == b""


def test_cpu_spin_ended(make_server):
    """A page on the CPU for 20 s (no system call in its loop) under
    GuardStuckTimeout 2s is ended within 2 s more, its wait "on CPU"; one
    that spins 1 s answers."""
    s = make_server(BASE + "GuardStuckTimeout 2s\n")
    expect_ends(s)
    r = get(s.port, "/spin.php?s=1", timeout=20)
    assert r.status == 200 and r.text.startswith("spun 1"), r.text
    h = s.hang("/spin.php?s=20")
    m = wait_for(lambda: re.search(END_RE % ("2.0", "/spin.php"),
                                   s.log_text()), 8, what="GRD0900")
    wait_for(lambda: h.done.is_set(), 5, what="its connection closed")
    assert h.age() <= 2.0 + 2.0 + 0.5, h.age()
    assert m.group(2).startswith("on CPU"), m.group(0)
    rec = s.guard_get("crash=%s&json" % m.group(3)).json()["crash"]
    assert rec["wait"].startswith("on CPU") and rec["uri"] == "/spin.php?..."
    assert s.count_log(r"GRD0900") == 1


def wait_minute_start():
    """The rate limit counts per calendar minute: start early in one."""
    sec = time.time() % 60
    if sec > 45:
        time.sleep(61 - sec)


def test_rate_limit_server_wide(make_server):
    """20 workers stuck at once: 5 processes are ended in the minute,
    server-wide (GUARD_STUCK_ENDS_PER_MIN); the others are said once
    (GRD0901) and left to go on."""
    n = 20
    s = make_server("""\
<IfModule mpm_prefork_module>
    StartServers 24
    MinSpareServers 24
    MaxSpareServers 30
    MaxRequestWorkers 30
    ServerLimit 30
</IfModule>
GuardWatchInterval 100ms
GuardStuckTimeout 1s
""")
    expect_ends(s)
    s.expect_log(r"GRD0901")
    wait_minute_start()
    f = held_lock(s, "many.lck")
    try:
        hs = [s.hang("/lock_flock.php?f=many.lck") for _ in range(n)]
        wait_for(lambda: s.count_log(RATE_RE) >= n - 5, 10,
                 what="GRD0901 for every one over the limit")
        time.sleep(0.5)
        assert s.count_log(r"GRD0900") == 5, s.log_tail()
        assert s.count_log(RATE_RE) == n - 5
        assert sum(h.done.is_set() for h in hs) == 5
    finally:
        f.close()
    for h in hs:
        wait_for(lambda: h.done.is_set(), 10, what="every request's end")
    ok = [guardtest.Response(h.response) for h in hs if h.response]
    assert sum(r.status == 200 for r in ok) == n - 5
    assert stuck_ends(s) == 5


BAD = [("GuardStuckTimeout", "banana"), ("GuardStuckTimeout", "0"),
       ("GuardStuckTimeout", "500ms"), ("GuardStuckTimeout", "25h"),
       ("GuardStuckTimeout", "-3s")]


@pytest.mark.parametrize("directive,value", BAD,
                         ids=["%s=%s" % dv for dv in BAD])
def test_bad_value_refused(make_server, directive, value):
    s = make_server("%s %s\n" % (directive, value), start=False)
    rc, out = s.configtest()
    assert rc != 0 and "Syntax OK" not in out, out
    assert directive in out and '"%s"' % value in out, out


def test_contexts(make_server):
    """Server, virtual host and <Location>; Off; not in .htaccess-only
    contexts' way."""
    s = make_server("GuardStuckTimeout 1m\n<VirtualHost 127.0.0.1:@PORT@>\n"
                    "ServerName vh.example\nGuardStuckTimeout Off\n"
                    "</VirtualHost>\n<Location /x>\nGuardStuckTimeout 24h\n"
                    "</Location>\n<Directory \"@ROOT@/htdocs\">\n"
                    "GuardStuckTimeout 1s\n</Directory>\n", start=False)
    rc, out = s.configtest()
    assert rc == 0 and "Syntax OK" in out, out


STUCKTEST_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "modules", "mod_stucktest.c")

# One child at first, so that every request goes to it.
ONE_CHILD = """\
<IfModule mpm_%s_module>
    StartServers 1
    ServerLimit 2
    ThreadsPerChild 8
    ThreadLimit 8
    MaxRequestWorkers 16
    MinSpareThreads 1
    MaxSpareThreads 16
</IfModule>
"""


@pytest.fixture(scope="module")
def stucktest_so():
    """mod_stucktest built with apxs in a scratch directory."""
    d = tempfile.mkdtemp(prefix="stucktest-")
    shutil.copy(STUCKTEST_SRC, d)
    p = subprocess.run([os.environ.get("APXS") or "/usr/bin/apxs", "-c",
                        "-o", "mod_stucktest.so", "mod_stucktest.c"], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode("utf-8", "replace")
    os.chmod(d, 0o755)
    yield os.path.join(d, ".libs", "mod_stucktest.so")
    shutil.rmtree(d, ignore_errors=True)


def keepalive_connection(s):
    """A connection of one answered request, kept alive, idle."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"GET /st?stream=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while not got.endswith(b"\r\n0\r\n\r\n"):
        d = c.recv(4096)
        assert d, got
        got += d
    return c


@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_threaded_futex_others_finish_then_child_goes(make_server,
                                                      stucktest_so, mpm):
    """Under event (and worker) a module's thread waits on a futex nobody
    wakes while five other requests of the same child stream slowly (8
    lines, one every 500 ms). At GuardStuckTimeout the record is kept and
    the child stops gracefully: the five complete, every line; then the
    child is ended (GRD0904) and the server serves on from another."""
    s = make_server("LoadModule stucktest_module %s\n<Location /st>\n"
                    "    SetHandler stucktest\n</Location>\n"
                    "GuardWatchInterval 100ms\nGuardStuckTimeout 2s\n"
                    "GuardStatusShowQuery On\n"
                    % stucktest_so, mpm=mpm, mpm_conf=ONE_CHILD % mpm)
    expect_ends(s)
    s.expect_log(r"GRD0904")
    stuck = s.hang("/st?futex")
    w = wait_for(lambda: guardtest.find_worker(s.guard_json(), "/st?futex"),
                 5, what="the futex request in flight")
    pid = w["pid"]
    ka = keepalive_connection(s)
    time.sleep(0.3)
    streams = [s.hang("/st?stream=8") for _ in range(5)]
    wait_for(lambda: len([x for x in guardtest.workers_of(
        s.guard_json(), "/st?stream") if x["pid"] == pid]) == 5, 5,
        what="the five streams in the same child")
    m = wait_for(lambda: re.search(
        r"GRD0900: GuardStuckTimeout 2.0 s: stopping the process "
        r"gracefully .* pid %d: .*\"GET /st\?futex\" .* waiting on what "
        r"cannot be cut: (futex[^;]*); record (\d+)" % pid, s.log_text()),
        6, what="GRD0900")
    assert guardtest.proc_alive(pid)
    assert not any(h.done.is_set() for h in streams), "a stream cut short"
    for h in streams:
        wait_for(lambda: h.done.is_set(), 10, what="a stream's end")
        r = guardtest.Response(h.response)
        assert r.status == 200, r.status_line
        assert r.text.count("line ") == 8 and r.text.endswith("end\n"), r.text
    wait_for(lambda: not guardtest.proc_alive(pid), 5, what="the child gone")
    # The idle keep-alive connection was closed, nothing asked on it lost.
    ka.settimeout(2)
    assert ka.recv(100) == b""
    ka.close()
    # The streams sleep in a loop: never one long sleep, never ended.
    assert s.count_log(r"GRD0900") == 1 and "GRD0901" not in s.log_text()
    assert re.search(r"GRD0904: GuardStuckTimeout: ending pid %d, its other "
                     r"requests are done" % pid, s.log_text())
    wait_for(lambda: stuck.done.is_set(), 5, what="the futex connection")
    assert stuck.response == b""
    rec = s.guard_get("crash=%s&json" % m.group(2)).json()["crash"]
    assert rec["ended_by"] == "GuardStuckTimeout" and rec["pid"] == pid
    assert rec["wait"].startswith("futex"), rec
    assert any((f.get("function") or "") == "stucktest_futex"
               for f in rec["frames"]), rec["frames"]
    assert get(s.port, "/st?stream=1").status == 200


def test_event_http2_streams_finish(make_server, stucktest_so):
    """Under event two HTTP/2 connections (curl, h2c, a slow stream on
    each) of the child whose futex request is stuck: at GuardStuckTimeout
    the child stops gracefully (mod_http2 sends GOAWAY), the streams
    already open finish, every line; then the child is ended. (curl, not
    h2client: python-h2 drops a connection's DATA once GOAWAY came.)"""
    if not shutil.which("curl"):
        pytest.skip("no curl (with nghttp2) for HTTP/2")
    s = make_server("LoadModule stucktest_module %s\n"
                    "LoadModule http2_module "
                    "/usr/lib/apache2/modules/mod_http2.so\n"
                    "Protocols h2c http/1.1\n<Location /st>\n"
                    "    SetHandler stucktest\n</Location>\n"
                    "GuardWatchInterval 100ms\nGuardStuckTimeout 2s\n"
                    "GuardStatusShowQuery On\n" % stucktest_so,
                    mpm="event", mpm_conf=ONE_CHILD % "event")
    expect_ends(s)
    s.expect_log(r"GRD0904")
    s.hang("/st?futex")
    w = wait_for(lambda: guardtest.find_worker(s.guard_json(), "/st?futex"),
                 5, what="the futex request in flight")
    url = "http://127.0.0.1:%d/st?stream=8" % s.port
    curl = subprocess.Popen(["curl", "-sS", "--no-progress-meter",
                             "--http2-prior-knowledge", "-Z",
                             "--parallel-immediate", "-w",
                             "[%{http_version} %{response_code}]\n", url,
                             url], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    wait_for(lambda: len([x for x in guardtest.workers_of(
        s.guard_json(), "/st?stream") if x.get("http2")]) == 2, 5,
        what="two HTTP/2 streams")
    wait_for(lambda: re.search(r"GRD0900: .* pid %d: .*futex" % w["pid"],
                               s.log_text()), 6, what="GRD0900")
    out = curl.communicate(timeout=15)[0].decode()
    assert curl.returncode == 0, out
    # The two responses interleave: each is 8 lines and its end.
    assert out.count("[2 200]") == 2 and out.count("end\n") == 2, out
    assert all(out.count("line %d of 8" % i) == 2 for i in range(1, 9)), out
    wait_for(lambda: not guardtest.proc_alive(w["pid"]), 5,
             what="the child gone")
    assert s.count_log(r"GRD0900") == 1
