# SPDX-License-Identifier: Apache-2.0
"""HTTP/2: mod_http2 serves each stream on worker threads of its own, not
the MPM's. Every stream must be seen, cut and stacked like an HTTP/1.1
request: listed with its stream id and client connection, its wait, its
stuck flag, GuardBackendTimeout's cut, its native frames, a crash record
that names it; the client connection's own thread is shown as an HTTP/2
connection with its streams, never stuck, never cut. h2c with prior
knowledge and h2 over TLS (ALPN), under event and worker."""

import os
import re
import subprocess
import threading
import time

import pytest

import guardtest
from guardtest import proc_threads, wait_for
from h2client import H2Connection
from peers import Blackhole
from test_crash import CRASHTEST_CONF, crashes, crashtest_so  # noqa: F401

H2_CONF = """\
LoadModule http2_module {moddir}/mod_http2.so
Protocols h2c http/1.1
GuardStuckThreshold 1s
GuardBackendTimeout {timeout}s
ProxyPass /slow http://127.0.0.1:{port}/ timeout=600
"""

TLS_CONF = """\
LoadModule ssl_module {moddir}/mod_ssl.so
LoadModule socache_shmcb_module {moddir}/mod_socache_shmcb.so
Listen 127.0.0.1:{tls_port}
<VirtualHost 127.0.0.1:{tls_port}>
    SSLEngine on
    SSLCertificateFile {root}/conf/test.crt
    SSLCertificateKeyFile {root}/conf/test.key
    Protocols h2 http/1.1
    ProxyPass /slow http://127.0.0.1:{port}/ timeout=600
</VirtualHost>
"""

MODDIR = "/usr/lib/apache2/modules"
# The MPMs of the tests that show nothing new under worker once the first
# test has shown streams there: both in the main build, event alone in
# the sanitizer build (which runs the whole suite again, slower).
BOTH_IN_ONE_BUILD = ["event"] if guardtest.SANITIZED else ["event", "worker"]
TIMEOUT = 2


def make_cert(root):
    conf = os.path.join(root, "conf")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", os.path.join(conf, "test.key"),
                    "-out", os.path.join(conf, "test.crt")],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def h2_server(make_server, mpm, bh, extra="", tls=False, so=None):
    conf = H2_CONF.format(moddir=MODDIR, timeout=TIMEOUT, port=bh.port)
    if so:
        conf = CRASHTEST_CONF.format(so=so) + conf
    s = make_server(conf + extra, mpm=mpm, start=False)
    s.adopt(bh)
    if tls:
        s.tls_port = guardtest.free_port()
        make_cert(s.root)
        s.set_snippet(conf + extra + TLS_CONF.format(
            moddir=MODDIR, tls_port=s.tls_port, root=s.root, port=bh.port))
    s.start()
    # mod_proxy_http says so for every cut backend.
    s.expect_log(r"AH01102|AH00898|AH01097")
    return s


def check_connections(js, mpm, w):
    """The client connections' rows: never stuck; under worker (a thread
    holds a connection for its life) the one of stream row w counts it.
    Under event a connection waiting for its streams is handed back to
    the MPM (mod_http2 2.x): no thread, no row."""
    conns = [x for x in js["workers"] if x["kind"] == "mpm" and x["http2"]]
    assert not any(x["stuck"] for x in conns), conns
    if mpm == "worker":
        mine = [x for x in conns if x["http2"]["connection"] ==
                w["http2"]["connection"]]
        assert mine and mine[0]["http2"]["streams"] >= 1, js["workers"]


def h2_rows(s, pred=lambda w: True):
    return [w for w in s.guard_json()["workers"]
            if w["kind"] == "http2" and pred(w)]


def wait_stream(s, st, pred=lambda w: True, timeout=5, what=None):
    """The row of stream st, once pred holds."""
    def probe():
        for w in h2_rows(s):
            if w["http2"]["stream"] == st.id and w["request"] and \
                    st.path.split("?")[0] in w["request"] and pred(w):
                return w
    return wait_for(probe, timeout, what=what or "the row of stream %d"
                    % st.id)


def check_cut(s, st, bh, late=0):
    """st was cut at the timeout (late: how long it may have queued behind
    others first) and ended with mod_proxy's error: 502 over HTTP/1.1,
    500 over HTTP/2 (mod_proxy_http reads the cut as an internal error)."""
    assert st.done.wait(TIMEOUT + late + 6), "stream %d not answered" % st.id
    assert st.status in (500, 502), (st.status, st.data[:200])
    assert TIMEOUT - 0.3 <= st.elapsed <= TIMEOUT + late + 2.5, st.elapsed
    assert re.search(r"GRD0300: backend cut: .* \"GET %s\" .* to 127\.0\.0\.1:%d"
                     % (re.escape(st.path.split("?")[0]), bh.port),
                     s.log_text()), s.log_tail()


@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_stream_listed_stuck_and_cut(make_server, mpm):
    """One stream proxied to a silent backend: its row (kind http2, its
    stream id and client connection, HTTP/2.0), its wait on the backend,
    stuck, native frames; cut at GuardBackendTimeout with a 502; the client
    connection's row counts it and is not stuck."""
    bh = Blackhole()
    s = h2_server(make_server, mpm, bh)
    c = H2Connection(s.port)
    try:
        st = c.get("/slow/one")
        bh.wait_accepted()
        w = wait_stream(s, st, lambda w: w["stuck"] and w["wait"] and
                        w["wait"]["kind"] == "backend")
        assert w["request"] == "GET /slow/one HTTP/2.0", w
        assert w["state"] == "busy" and w["protocol"] == "HTTP/2.0", w
        assert w["wait"]["peer"] == "127.0.0.1:%d" % bh.port, w
        assert w["tid"] in proc_threads(w["pid"]) and w["tid"] != w["pid"]
        js = s.guard_json()
        assert js["summary"]["http2_streams"] >= 1, js["summary"]
        check_connections(js, mpm, w)
        html = s.guard_get("").text
        assert "HTTP/2 stream %d of connection" % st.id in html
        assert "BusyStreams: 1" in s.guard_get("auto").text
        check_cut(s, st, bh)
        # The connection goes on.
        ok = c.get("/hello.txt")
        assert ok.done.wait(5) and ok.status == 200, ok.status
        wait_for(lambda: not h2_rows(s, lambda x: x["state"] == "busy"), 5,
                 what="no busy stream left")
    finally:
        c.close()


@pytest.mark.parametrize("mpm", BOTH_IN_ONE_BUILD)
def test_native_frames_of_a_stuck_stream(make_server, mpm):
    bh = Blackhole()
    s = h2_server(make_server, mpm, bh, "GuardBackendTimeout Off\n")
    c = H2Connection(s.port)
    try:
        st = c.get("/slow/stack")
        bh.wait_accepted()
        w = wait_stream(s, st, lambda w: w["stuck"] and w["native_frames"])
        mods = [f["module"] for f in w["native_frames"]]
        assert mods[0] == "libc.so.6", mods
        assert "mod_proxy_http.so" in mods or "mod_proxy.so" in mods, mods
        assert "mod_http2.so" in mods, mods
    finally:
        bh.release()
        c.close()


@pytest.mark.parametrize("mpm", BOTH_IN_ONE_BUILD)
def test_fifty_streams_ten_hang(make_server, mpm):
    """One connection, 50 streams at once, 10 of them on the silent
    backend: the 40 are answered at once, the 10 cut at the timeout, and
    the connection is still usable. mod_http2 processes a connection's
    streams a few at a time at first (more as they complete quickly), in
    the order they came: the 40 are sent first, so that the 10 do not
    hold them up; each of the 10 is cut once it has been blocked for the
    timeout (some may have waited their turn behind the others)."""
    bh = Blackhole()
    s = h2_server(make_server, mpm, bh, "H2MaxWorkers 24\n")
    c = H2Connection(s.port)
    try:
        t0 = time.monotonic()
        fast = [c.get("/hello.txt?%d" % i) for i in range(40)]
        hang = [c.get("/slow/n%d" % i) for i in range(10)]
        for f in fast:
            assert f.done.wait(5), "fast stream %d" % f.id
            assert f.status == 200 and f.data == b"hello static\n"
        assert time.monotonic() - t0 < TIMEOUT - 0.5, time.monotonic() - t0
        for h in hang:
            assert h.done.wait(2 * TIMEOUT + 6), "stream %d not cut" % h.id
            assert h.status in (500, 502), h.status
        assert max(h.elapsed for h in hang) <= 2 * TIMEOUT + 2.5
        cuts = re.findall(r"GRD0300: backend cut: .* blocked (\d+\.\d) s",
                          s.log_text())
        assert len(cuts) == 10, s.log_tail()
        assert all(TIMEOUT <= float(b) <= TIMEOUT + 0.6 for b in cuts), cuts
        again = c.get("/hello.txt")
        assert again.done.wait(5) and again.status == 200
        assert c.error is None, c.error
    finally:
        c.close()


@pytest.mark.parametrize("mpm", BOTH_IN_ONE_BUILD)
def test_tls_stream_cut(make_server, mpm):
    """h2 over TLS (ALPN): the stream is listed and cut the same; the
    connection's thread, switched to h2 by ALPN, is an HTTP/2 connection."""
    bh = Blackhole()
    s = h2_server(make_server, mpm, bh, tls=True)
    c = H2Connection(s.tls_port, tls=True)
    try:
        st = c.get("/slow/tls")
        bh.wait_accepted()
        w = wait_stream(s, st, lambda w: w["wait"] and
                        w["wait"]["kind"] == "backend")
        assert w["request"] == "GET /slow/tls HTTP/2.0", w
        check_connections(s.guard_json(), mpm, w)
        check_cut(s, st, bh)
    finally:
        c.close()


def test_crash_on_a_stream_names_it(make_server, crashtest_so):
    bh = Blackhole()
    s = h2_server(make_server, "event", bh, so=crashtest_so)
    s.expect_log(r"exit signal|GRD050[0-9]")
    c = H2Connection(s.port)
    try:
        c.get("/ct?segv")

        def record():
            # crashes(): [] when the probe met the dying child.
            for cr in crashes(s):
                if cr["uri"] and cr["uri"].startswith("/ct"):
                    return cr
        cr = wait_for(record, 15, what="the crash record of the stream")
        assert cr["request"] == "GET /ct?... HTTP/2.0", cr
        assert cr["signal"] == "SIGSEGV", cr
        assert cr["thread"] >= 8, cr    # a slot after the MPM's ThreadLimit
    finally:
        c.close()


def test_workers_come_and_go(make_server):
    """mod_http2's workers end after H2MaxWorkerIdleSeconds and new ones
    start: a slot is taken by a thread for as long as it lives, and given
    back when it exits; none is leaked."""
    bh = Blackhole()
    s = h2_server(make_server, "event", bh, "H2MinWorkers 1\n"
                  "H2MaxWorkers 8\nH2MaxWorkerIdleSeconds 1\n")
    tids = set()
    for rnd in range(4):
        c = H2Connection(s.port)
        try:
            streams = [c.get("/hello.txt?r%d-%d" % (rnd, i))
                       for i in range(24)]
            for st in streams:
                assert st.done.wait(5) and st.status == 200
        finally:
            c.close()
        rows = h2_rows(s)
        tids |= {w["tid"] for w in rows}
        for w in rows:
            assert w["tid"] in proc_threads(w["pid"]), (w, rnd)
        assert len(rows) <= 8 * 2 + 4, rows   # 2 children, 8 + 4 each
        time.sleep(2.5)                       # idle workers exit
        for w in h2_rows(s):
            assert w["tid"] in proc_threads(w["pid"]), (w, rnd)
    # Threads came and went: more of them than slots ever in use at once.
    assert len(tids) > 2, tids


@pytest.mark.parametrize("mpm", BOTH_IN_ONE_BUILD)
def test_lock_chain_of_streams_cut_holder(make_server, crashtest_so, mpm):
    """Streams of one connection on a watched lock: one holds it while it
    reads a silent backend, two wait in flock(). The chain names the
    holder stream's thread and request; cut-holder cuts its backend and
    the waiters go on."""
    from test_lockwatch import CHAIN_RE, CLEARED_RE, chain_of, lock_file
    bh = Blackhole()
    s = h2_server(make_server, mpm, bh, "GuardBackendTimeout Off\n"
                  "GuardLockWatch @ROOT@/locks/*.lck 1s cut-holder\n",
                  so=crashtest_so)
    path = lock_file(s, "h2.lck")
    hb = s.blackhole()
    c = H2Connection(s.port)
    try:
        holder = c.get("/ct?flock=%s,%d" % (path, hb.port))
        hb.wait_accepted()
        waiters = [c.get("/ct?flock=%s" % path) for _ in range(2)]
        line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()),
                        6, what="GRD0400 line")[0]
        assert "2 workers" in line and "GET /ct?... HTTP/2.0" in line, line
        cut = wait_for(lambda: re.findall(r"GRD0402: .*", s.log_text()), 3,
                       what="GRD0402: the holder's backend cut")[0]
        assert "127.0.0.1:%d" % hb.port in cut, cut
        wait_for(lambda: s.count_log(CLEARED_RE), 5, what="GRD0401 line")
        for w in waiters:
            assert w.done.wait(5) and w.status == 200, w.status
            assert w.data == b"locked\n", w.data
        assert holder.done.wait(5)
        js = s.guard_json()
        assert chain_of(js, "h2.lck") is None, js["lock_waits"]
        assert js["backend_cuts"][0]["action"] == "cut-holder", \
            js["backend_cuts"]
        cut = js["backend_cuts"][0]
        row = [x for x in js["workers"]
               if (x["child"], x["thread"]) == (cut["child"], cut["thread"])]
        assert row and row[0]["kind"] == "http2", (cut, row)
    finally:
        c.close()


def test_prefork_prior_knowledge(make_server):
    """Under prefork mod_http2 says HTTP/2 is inactive (AH10034) and
    refuses ALPN and Upgrade, but a client with prior knowledge over
    cleartext still gets streams, on mod_http2's own threads (with mod_php
    running there). mod_guard lists them, stuck, with their PHP frames;
    it cannot say what they wait on nor cut them: under prefork no broker
    opens other threads' syscall files (docs/directives.md, HTTP/2)."""
    bh = Blackhole()
    s = make_server("""\
LoadModule http2_module {moddir}/mod_http2.so
Protocols h2c http/1.1
GuardStuckThreshold 1s
GuardBackendTimeout {timeout}s
""".format(moddir=MODDIR, timeout=TIMEOUT), mpm="prefork")
    s.adopt(bh)
    assert re.search(r"\[http2:warn\].*AH10034", s.log_text()), s.log_tail()
    c = H2Connection(s.port)
    try:
        st = c.get("/backend.php?port=%d" % bh.port)
        bh.wait_accepted()
        w = wait_stream(s, st, lambda w: w["stuck"] and w["php_frames"],
                        what="the stream stuck, with its PHP frames")
        assert w["request"] == "GET /backend.php?... HTTP/2.0", w
        assert w["php_frames"][0]["function"] == "fread", w["php_frames"]
        assert w["wait"] is None or w["wait"]["kind"] == "unknown", w
        time.sleep(max(0, TIMEOUT + 0.5 - w["elapsed_ms"] / 1000.0))
        assert not st.done.is_set() and "GRD0300" not in s.log_text()
        bh.release()
        assert st.done.wait(5) and st.status == 200, st.status
    finally:
        c.close()


def run_h2load(port, n, result):
    """h2load in a thread: its figures, or its whole output when it did
    not end well."""
    p = subprocess.run(["h2load", "-n", str(n), "-c", "4", "-m", "10",
                        "http://127.0.0.1:%d/hello.txt" % port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    out = "h2load exit %d\n%s" % (p.returncode,
                                  p.stdout.decode(errors="replace"))
    m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) "
                  r"succeeded, (\d+) failed, (\d+) errored", out)
    codes = re.search(r"status codes: (\d+) 2xx", out)
    if p.returncode != 0 or not m or not codes:
        result.append((-1, -1, out))
        return
    result.append((int(codes.group(1)), int(m.group(2)) + int(m.group(3)),
                   out))


def not_cut(s, st, rnd):
    """A slow stream not answered in time. If no mod_http2 worker ever
    took it (no row, and no line of the watchdog's names its request: it
    samples a busy worker every 100 ms), mod_http2 left it queued (its stall with workers that come
    and go, docs/directives.md, HTTP/2): nothing of mod_guard's to judge,
    and said so. If a worker has it, mod_guard failed to cut: its row
    says what it was seen waiting on."""
    rows = [w for w in s.guard_json()["workers"] if w["kind"] == "http2"
            and w["request"] and st.path in w["request"]]
    if not rows and '"GET %s' % st.path not in s.log_text():
        pytest.skip("round %d: mod_http2 gave stream %d (%s) to no worker"
                    % (rnd, st.id, st.path))
    raise AssertionError("round %d: stream %d (%s) not cut: %r\n%s"
                         % (rnd, st.id, st.path, rows, s.log_tail()))


def seen_under_load(rows, tids):
    """The HTTP/2 rows of a page taken under load: never more than
    H2MaxWorkers (6) + 4 a child; their threads added to tids."""
    per_child = {}
    for w in rows:
        per_child[w["pid"]] = per_child.get(w["pid"], 0) + 1
        tids.add(w["tid"])
    assert max(per_child.values() or [0]) <= 6 + 4, per_child


@pytest.mark.soak
def test_soak_workers_come_and_go_under_load(make_server):
    """Bursts of h2load, each followed by streams to a silent backend cut
    at the timeout and a pause longer than H2MaxWorkerIdleSeconds:
    mod_http2's workers start under the load and exit in the pauses. (Not
    the load and the silent streams at once: with H2MinWorkers 1, mod_http2
    2.4.71 alone, without mod_guard, can leave streams that arrive while
    its workers are held unserved for good.) No slot is leaked: every HTTP/2 row is a live thread of
    its child, never more rows than H2MaxWorkers + 4 a child, none busy
    once the load is over; every request answered, every cut logged once."""
    import soaklib
    bh = Blackhole()
    s = h2_server(make_server, "event", bh, "H2MinWorkers 1\n"
                  "H2MaxWorkers 6\nH2MaxWorkerIdleSeconds 1\n")
    rounds, per = (6, 10000) if soaklib.long_mode() else (4, 5000)
    tids, cuts = set(), 0
    for rnd in range(rounds):
        result = []
        load = threading.Thread(target=run_h2load, args=(s.port, per, result))
        load.start()
        while load.is_alive():
            seen_under_load(h2_rows(s), tids)
            time.sleep(0.05)
        load.join()
        ok, failed, out = result[0]
        assert (ok, failed) == (per, 0), "round %d:\n%s" % (rnd, out[-3000:])
        c = H2Connection(s.port)
        try:
            slow = [c.get("/slow/r%d-%d" % (rnd, i)) for i in range(2)]
            for st in slow:
                if not st.done.wait(TIMEOUT + 8):
                    not_cut(s, st, rnd)
                assert st.status in (500, 502), st.status
            cuts += len(slow)
        finally:
            c.close()
        time.sleep(2.5)                     # idle workers exit
        rows = h2_rows(s)
        assert all(w["tid"] in proc_threads(w["pid"]) for w in rows), rows
    rows = h2_rows(s)
    assert all(w["tid"] in proc_threads(w["pid"]) for w in rows), rows
    assert not [w for w in rows if w["state"] == "busy"], rows
    assert len(re.findall(r"GRD0300: backend cut", s.log_text())) == cuts
    soaklib.report("h2 workers come and go", {
        "requests": rounds * per, "cuts": cuts,
        "distinct h2 worker threads seen": len(tids)})
    # Threads came and went: more than one child's H2MaxWorkers.
    assert len(tids) > 6, tids
