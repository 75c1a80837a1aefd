# SPDX-License-Identifier: Apache-2.0
"""GuardLockWatch against a real prefork httpd + mod_php (seeds/001): who
holds the lock that workers wait for, in the JSON, the other formats and
the error log; the chain clears by itself with GuardBackendTimeout or
cut-holder; holders outside httpd; POSIX (fcntl) lock waits."""

import os
import re
import subprocess
import sys
import time

import pytest

from guardtest import (find_worker, get, parse_prometheus, prom_values,
                       proc_comm, wait_for, workers_of)
from test_crash import CRASHTEST_CONF, crashtest_so  # noqa: F401 (fixture)

LOCKS = """\
StartServers 6
MinSpareServers 6
MaxSpareServers 10
GuardWatchInterval 100ms
GuardLockWatch @ROOT@/sessions/sess_*
GuardLockWatch @ROOT@/locks/*.lck
php_admin_value ffi.enable 1
"""

THRESHOLD = 1.0
# Requirement: the chain is known within threshold + 0.5 s.
REPORT_WITHIN = THRESHOLD + 0.5

CHAIN_RE = r"\[guard:warn\].* GRD0400: lock wait: "
CLEARED_RE = r"\[guard:warn\].* GRD0401: lock wait cleared: "

HOLDER_PY = r"""
import fcntl, os, struct, sys, time
f = open(sys.argv[1], "r+")
if sys.argv[2] == "flock":
    fcntl.flock(f, fcntl.LOCK_EX)
elif sys.argv[2] == "ofd":
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD)
    fcntl.fcntl(f, 38, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 0, 0))
else:
    fcntl.lockf(f, fcntl.LOCK_EX)
sys.stdout.write("locked\n")
sys.stdout.flush()
sys.stdin.read()
"""


class OutsideHolder:
    """A process outside httpd that holds a lock on path (flock, a POSIX
    lock or an OFD lock) until stop()."""

    def __init__(self, path, how):
        self.p = subprocess.Popen([sys.executable, "-c", HOLDER_PY, path,
                                   how], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        assert line == b"locked\n", line
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(10)


@pytest.fixture
def holders():
    made = []
    yield made
    for h in made:
        h.stop()


def lock_file(s, name):
    d = os.path.join(s.root, "locks")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    path = os.path.join(d, name)
    with open(path, "w"):
        pass
    os.chmod(path, 0o666)
    return path


def chains(s):
    return s.guard_json()["lock_waits"]


def chain_of(js, path_end):
    for c in js["lock_waits"]:
        if c["path"].endswith(path_end):
            return c
    return None


def start_session_chain(s, bh, n_waiters=3):
    """The holder takes the session lock and hangs on bh; n waiters of the
    same session wait for it. Returns (sid, holder request, time the last
    waiter was sent)."""
    sid = "lockwatch%d" % int(time.time() * 1000)
    cookie = {"Cookie": "PHPSESSID=" + sid}
    holder = s.hang("/session_hold.php?port=%d" % bh.port, headers=cookie)
    bh.wait_accepted()
    for i in range(n_waiters):
        s.hang("/session_touch.php?n=%d" % i, headers=cookie)
    return sid, holder, time.monotonic()


def wait_chain(s, pred, deadline_s, what):
    def probe():
        js = s.guard_json()
        return js if pred(js) else None
    return wait_for(probe, max(0.2, deadline_s), interval=0.05, what=what)


@pytest.mark.slow
def test_session_chain_names_holder_and_waiters(make_server):
    s = make_server(LOCKS)
    bh = s.blackhole()
    sid, holder, sent = start_session_chain(s, bh)

    def complete(js):
        c = chain_of(js, "")
        return (c and len(c["waiters"]) == 3 and c["holder"]["wait"]
                and c["holder"]["wait"]["kind"] == "backend")
    js = wait_chain(s, complete, sent + REPORT_WITHIN - time.monotonic(),
                    "a lock chain with 3 waiters and the holder on a backend")
    assert time.monotonic() - sent <= REPORT_WITHIN + 0.3
    c = js["lock_waits"][0]
    assert len(js["lock_waits"]) == 1, js["lock_waits"]
    h = find_worker(js, "/session_hold.php")
    assert h and h["state"] == "busy", js["workers"]
    waiters = workers_of(js, "/session_touch.php")
    assert len(waiters) == 3, waiters

    # The holder: its pid, its request, the backend it hangs on.
    assert c["holder"]["pid"] == h["pid"] and c["holder"]["tid"] == h["tid"]
    assert c["holder"]["httpd"] is True, c
    assert c["holder"]["request"].startswith("GET /session_hold.php?"), c
    assert c["holder"]["wait"]["peer"] == "127.0.0.1:%d" % bh.port, c
    assert "127.0.0.1:%d" % bh.port in c["holder"]["wait"]["text"], c
    # The waiters, as the workers table shows them.
    assert sorted(w["pid"] for w in c["waiters"]) == \
        sorted(w["pid"] for w in waiters), (c, waiters)
    for w in c["waiters"]:
        assert w["request"].startswith("GET /session_touch.php"), w
        assert 0 <= w["for_ms"] < 60000, w
    for w in waiters:
        assert w["wait"]["kind"] == "lock", w
        assert w["wait"]["lock_holder_pid"] == h["pid"], w
        assert w["wait"]["text"].endswith(
            "waiting for lock held by pid %d" % h["pid"]), w
    # The session id is a credential: the path carries its hash only.
    assert re.search(r"/sessions/sess_#[0-9a-f]{8}$", c["path"]), c
    assert c["class"] == "flock" and c["waiters_count"] == 3, c
    # /proc/locks agrees: the holder pid holds a FLOCK on that inode.
    with open("/proc/locks") as f:
        locks = f.read()
    assert re.search(r"^\d+: FLOCK\s+ADVISORY\s+WRITE\s+%d\s+[0-9a-f]+:"
                     r"[0-9a-f]+:%d " % (h["pid"], c["inode"]), locks, re.M), \
        locks

    # One chain line in the error log, naming all of it.
    line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()), 1,
                    what="GRD0400 line")
    assert len(line) == 1, line
    line = line[0]
    assert "3 workers (pids " in line, line
    for w in waiters:
        assert str(w["pid"]) in line, line
    assert "held by pid %d tid %d (GET /session_hold.php?... HTTP/1.1" \
        % (h["pid"], h["tid"]) in line, line
    assert "127.0.0.1:%d" % bh.port in line, line
    assert "/sess_#" in line and sid not in s.log_text()
    for fmt in ("json", "auto", "prometheus", ""):
        assert sid not in s.guard_get(fmt).text, fmt

    # Other formats.
    prom = parse_prometheus(s.guard_get("prometheus").text)
    assert prom_values(prom, "guard_lock_waiters") == [3.0], prom
    assert prom_values(prom, "guard_lock_chains") == [1.0]
    assert prom_values(prom, "guard_lock_waits_total") == [1.0]
    assert prom_values(prom, "guard_lock_wait_longest_seconds")[0] >= 0.9
    html = s.guard_get().text
    assert "<h2>Lock waits</h2>" in html
    assert "waiting for lock held by pid %d" % h["pid"] in html
    auto = s.guard_get("auto").text
    assert "\nLockWaits: 1\nLockWaiters: 3\n" in auto, auto

    # Still reported once a while later.
    time.sleep(1.0)
    assert s.count_log(CHAIN_RE) == 1, s.log_tail()
    assert not holder.done.is_set()

    # The backend answers: the holder ends, the waiters follow, the chain
    # clears, with its duration.
    bh.release()
    wait_for(lambda: s.count_log(CLEARED_RE), 5, what="GRD0401 line")
    cleared = re.findall(CLEARED_RE + ".*", s.log_text())[0]
    m = re.search(r"/sess_#[0-9a-f]{8} after ([\d.]+) s \(at most 3 workers "
                  r"waited; held by pid %d tid %d\)" % (h["pid"], h["tid"]),
                  cleared)
    assert m, cleared
    assert 1.0 <= float(m.group(1)) < 30, cleared
    wait_for(lambda: chains(s) == [], 3, what="no lock chain left")
    assert s.count_log(CHAIN_RE) == 1 and s.count_log(CLEARED_RE) == 1


@pytest.mark.slow
def test_backend_timeout_unwinds_the_chain(make_server):
    s = make_server(LOCKS + "GuardBackendTimeout 3s\n")
    bh = s.blackhole()
    sid, holder, sent = start_session_chain(s, bh)
    wait_chain(s, lambda js: chain_of(js, "") and
               len(chain_of(js, "")["waiters"]) == 3,
               sent + REPORT_WITHIN - time.monotonic(), "the chain")
    wait_for(lambda: s.count_log(r"GRD0300: backend cut"), 4,
             what="the holder's backend cut")
    wait_for(lambda: s.count_log(CLEARED_RE), 3, what="GRD0401 line")
    wait_for(lambda: chains(s) == [], 3, what="no lock chain left")
    assert s.count_log(CHAIN_RE) == 1, s.log_tail()
    assert holder.done.wait(5)
    # The log says the chain appeared before it cleared.
    text = s.log_text()
    assert text.index("GRD0400") < text.index("GRD0401")


@pytest.mark.slow
def test_cut_holder_unwinds_the_chain(make_server):
    s = make_server(LOCKS.replace("sess_*\n", "sess_* 1s cut-holder\n"))
    bh = s.blackhole()
    sid, holder, sent = start_session_chain(s, bh, n_waiters=2)
    wait_for(lambda: s.count_log(CHAIN_RE), 3, what="GRD0400 line")
    cut = wait_for(lambda: re.findall(r"GRD0402: .*", s.log_text()), 2,
                   what="GRD0402: the holder's backend cut")[0]
    assert "/session_hold.php" in cut and "127.0.0.1:%d" % bh.port in cut
    wait_for(lambda: s.count_log(CLEARED_RE), 3, what="GRD0401 line")
    assert holder.done.wait(5)
    js = s.guard_json()
    assert js["counters"]["lock_holder_cuts_total"] == 1, js["counters"]
    assert js["counters"]["backend_cuts_total"] == 0, js["counters"]
    assert js["backend_cuts"][0]["action"] == "cut-holder", js["backend_cuts"]
    assert js["lock_waits"] == []
    cleared = re.findall(CLEARED_RE + ".*", s.log_text())[0]
    assert "held by pid %d tid %d)" % (js["backend_cuts"][0]["pid"],
                                       js["backend_cuts"][0]["tid"]) \
        in cleared, cleared


@pytest.mark.slow
@pytest.mark.parametrize("how,page,cls", [
    ("flock", "lock_flock.php", "flock"),
    ("posix", "lock_posix.php", "posix"),
])
def test_holder_outside_httpd(make_server, holders, how, page, cls):
    """A lock held by a process that is not httpd (a cron job, a CLI
    script): reported with its pid and comm. The POSIX case is a worker
    blocked in fcntl(F_SETLKW)."""
    s = make_server(LOCKS)
    path = lock_file(s, "job-%s.lck" % how)
    ext = OutsideHolder(path, how)
    holders.append(ext)
    sent = time.monotonic()
    s.hang("/%s?f=%s" % (page, os.path.basename(path)))

    js = wait_chain(s, lambda js: chain_of(js, ".lck"),
                    sent + REPORT_WITHIN - time.monotonic(),
                    "a lock chain on the %s lock" % how)
    c = chain_of(js, ".lck")
    assert c["path"] == path, c
    assert c["class"] == cls, c
    assert c["holder"]["pid"] == ext.pid, (c, ext.pid)
    assert c["holder"]["httpd"] is False and c["holder"]["tid"] is None, c
    assert c["holder"]["comm"] == proc_comm(ext.pid), c
    assert c["holder"]["request"] is None, c
    w = find_worker(js, "/" + page)
    assert w["wait"]["kind"] == "lock", w
    assert w["wait"]["syscall"] == ("flock" if how == "flock" else "fcntl"), w
    assert [x["pid"] for x in c["waiters"]] == [w["pid"]], c
    line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()), 1,
                    what="GRD0400 line")[0]
    assert "1 worker (pid %d) waits on %s (%s lock" % (w["pid"], path, cls) \
        in line, line
    assert "held by pid %d (%s), not an httpd worker" \
        % (ext.pid, proc_comm(ext.pid)) in line, line

    ext.stop()
    wait_for(lambda: s.count_log(CLEARED_RE), 3, what="GRD0401 line")
    wait_for(lambda: chains(s) == [], 3, what="no lock chain left")


@pytest.mark.slow
def test_unwatched_or_short_waits_are_not_chains(make_server, holders):
    """A lock file no pattern names, and a wait shorter than the
    threshold, make no chain."""
    s = make_server(LOCKS.replace("/locks/*.lck\n", "/locks/*.lck 3s\n"))
    other = lock_file(s, "other.lock")
    ext = OutsideHolder(other, "flock")
    holders.append(ext)
    s.hang("/lock_flock.php?f=other.lock")
    path = lock_file(s, "short.lck")
    ext2 = OutsideHolder(path, "flock")
    holders.append(ext2)
    s.hang("/lock_flock.php?f=short.lck")
    time.sleep(2.0)
    js = s.guard_json()
    assert js["lock_waits"] == [], js["lock_waits"]
    assert len([w for w in workers_of(js, "/lock_flock.php")
                if w["wait"] and w["wait"]["kind"] == "lock"]) == 2
    ext2.stop()
    time.sleep(0.5)
    assert s.count_log(r"GRD040") == 0, s.log_tail()


@pytest.mark.slow
def test_ofd_holder_named(make_server):
    """An OFD lock has no pid in /proc/locks: the watchdog of the child
    whose open file holds it names it, and the chain says which worker,
    which request and which backend, as for flock."""
    s = make_server(LOCKS)
    path = lock_file(s, "ofd.lck")
    bh = s.blackhole()
    holder = s.hang("/lock_posix.php?ofd=1&f=ofd.lck&port=%d" % bh.port)
    bh.wait_accepted()
    sent = time.monotonic()
    for _ in range(2):
        s.hang("/lock_posix.php?ofd=1&f=ofd.lck")

    def named(js):
        c = chain_of(js, "ofd.lck")
        return (c and len(c["waiters"]) == 2 and c["holder"]["httpd"]
                and c["holder"]["wait"]
                and c["holder"]["wait"]["kind"] == "backend")
    # The holder's watchdog answers within a couple of watch intervals.
    js = wait_chain(s, named, sent + REPORT_WITHIN + 0.3 - time.monotonic(),
                    "an OFD lock chain naming its holder")
    c = chain_of(js, "ofd.lck")
    # The query is not shown: the holder is the one on the backend.
    h = [w for w in workers_of(js, "/lock_posix.php")
         if w["wait"] and w["wait"]["kind"] == "backend"]
    assert len(h) == 1 and h[0]["state"] == "busy", js["workers"]
    h = h[0]
    assert c["class"] == "ofd", c
    assert c["holder"]["pid"] == h["pid"] and c["holder"]["tid"] == h["tid"]
    assert c["holder"]["request"].startswith("GET /lock_posix.php?"), c
    assert c["holder"]["wait"]["peer"] == "127.0.0.1:%d" % bh.port, c
    waiters = [w for w in workers_of(js, "/lock_posix.php")
               if w["pid"] != h["pid"]]
    assert len(waiters) == 2, js["workers"]
    for w in waiters:
        assert w["wait"]["kind"] == "lock" and \
            w["wait"]["syscall"] == "fcntl", w
        assert w["wait"]["lock_holder_pid"] == h["pid"], w
    # /proc/locks itself has no pid for it: the name came from the holder.
    with open("/proc/locks") as f:
        assert re.search(r"^\d+: OFDLCK\s+ADVISORY\s+WRITE\s+-1\s+[0-9a-f]+:"
                         r"[0-9a-f]+:%d " % c["inode"], f.read(), re.M)
    line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()), 1,
                    what="GRD0400 line")
    assert len(line) == 1, line
    assert "2 workers (pids " in line[0] and "(ofd lock, " in line[0], line
    assert "held by pid %d tid %d (GET /lock_posix.php?... HTTP/1.1" \
        % (h["pid"], h["tid"]) in line[0], line

    bh.release()
    wait_for(lambda: s.count_log(CLEARED_RE), 5, what="GRD0401 line")
    cleared = re.findall(CLEARED_RE + ".*", s.log_text())[0]
    assert "held by pid %d tid %d)" % (h["pid"], h["tid"]) in cleared, \
        cleared
    wait_for(lambda: chains(s) == [], 3, what="no lock chain left")
    assert holder.done.wait(10) and b"fcntl 0" in holder.response, \
        holder.response


@pytest.mark.slow
def test_ofd_holder_outside_httpd(make_server, holders):
    """An OFD lock that no child holds (another program): said so, with
    no pid, after the holders' watchdogs had their chance."""
    s = make_server(LOCKS)
    path = lock_file(s, "ofd-ext.lck")
    ext = OutsideHolder(path, "ofd")
    holders.append(ext)
    sent = time.monotonic()
    s.hang("/lock_posix.php?ofd=1&f=ofd-ext.lck")
    js = wait_chain(s, lambda js: chain_of(js, "ofd-ext.lck"),
                    sent + REPORT_WITHIN - time.monotonic(),
                    "a lock chain on the OFD lock")
    c = chain_of(js, "ofd-ext.lck")
    assert c["class"] == "ofd", c
    line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()), 2,
                    what="GRD0400 line")[0]
    assert "(ofd lock, " in line, line
    assert "held by an OFD lock outside httpd's workers (no pid)" in line, \
        line
    c = chain_of(s.guard_json(), "ofd-ext.lck")
    assert c["holder"]["pid"] == -1 and c["holder"]["httpd"] is False, c
    ext.stop()
    wait_for(lambda: s.count_log(CLEARED_RE), 3, what="GRD0401 line")


def holder_thread_chain(make_server, crashtest_so, mpm, how):
    """Under a threaded MPM every waiter and the holder may be threads of
    one process: the kernel names the process (or, for OFD, nobody); the
    holder is the thread of that process that is busy and not waiting
    for the lock itself. A younger busy thread on another backend is not
    taken for it. The log names the holder thread when the chain appears
    and when it clears."""
    s = make_server(CRASHTEST_CONF.format(so=crashtest_so) + """\
StartServers 1
ServerLimit 1
ThreadsPerChild 16
ThreadLimit 16
MinSpareThreads 1
MaxSpareThreads 16
MaxRequestWorkers 16
GuardWatchInterval 100ms
GuardLockWatch @ROOT@/locks/*.lck
""", mpm=mpm)
    path = lock_file(s, "ev-%s.lck" % how)
    bh, other = s.blackhole(), s.blackhole()
    holder = s.hang("/ct?%s=%s,%d" % (how, path, bh.port))
    bh.wait_accepted()
    sent = time.monotonic()
    for _ in range(2):
        s.hang("/ct?%s=%s" % (how, path))
    # Another request of the same process, blocked on another backend.
    s.hang("/ct?%s=%s,%d" % (how, lock_file(s, "free.lck"), other.port))
    other.wait_accepted()

    def named(js):
        c = chain_of(js, "ev-%s.lck" % how)
        return (c and len(c["waiters"]) == 2 and c["holder"]["httpd"]
                and c["holder"]["tid"])
    js = wait_chain(s, named, sent + REPORT_WITHIN + 0.3 - time.monotonic(),
                    "a lock chain naming the holder thread")
    c = chain_of(js, "ev-%s.lck" % how)
    assert c["class"] == how, c
    busy = workers_of(js, "/ct?")
    assert len(busy) == 4 and len({w["pid"] for w in busy}) == 1, busy
    h = [w for w in busy if w["wait"] and w["wait"]["kind"] == "backend"
         and w["wait"]["peer"] == "127.0.0.1:%d" % bh.port]
    assert len(h) == 1, busy
    h = h[0]
    assert (c["holder"]["pid"], c["holder"]["tid"]) == \
        (h["pid"], h["tid"]), (c, h)
    assert c["holder"]["wait"]["peer"] == "127.0.0.1:%d" % bh.port, c
    assert sorted(w["tid"] for w in c["waiters"]) == sorted(
        w["tid"] for w in busy if w["wait"] and w["wait"]["kind"] == "lock")

    line = wait_for(lambda: re.findall(CHAIN_RE + ".*", s.log_text()), 1,
                    what="GRD0400 line")
    assert len(line) == 1, line
    assert "2 workers (pids %d,%d) wait on %s (%s lock, " \
        % (h["pid"], h["pid"], path, how) in line[0], line
    assert "held by pid %d tid %d (GET /ct?... HTTP/1.1, " \
        % (h["pid"], h["tid"]) in line[0], line
    assert "on socket 127.0.0.1:%d" % bh.port in line[0], line
    bh.release()
    other.release()
    wait_for(lambda: s.count_log(CLEARED_RE), 5, what="GRD0401 line")
    cleared = re.findall(CLEARED_RE + ".*", s.log_text())
    assert len(cleared) == 1, cleared
    assert "%s after " % path in cleared[0], cleared
    assert "held by pid %d tid %d)" % (h["pid"], h["tid"]) in cleared[0], \
        cleared
    assert holder.done.wait(10) and b"locked" in holder.response
    assert get(s.port, "/ct?%s=%s" % (how, path)).text == "locked\n"
    assert s.count_log(CHAIN_RE) == 1, s.log_tail()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["flock", "ofd"])
def test_holder_thread_under_event(make_server, crashtest_so, how):
    holder_thread_chain(make_server, crashtest_so, "event", how)
