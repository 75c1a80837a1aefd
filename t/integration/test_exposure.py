# SPDX-License-Identifier: Apache-2.0
"""Inspection without exposure: while the watchdog samples workers that
wait on a silent backend (with GuardBackendTimeout), on a watched lock, in
a sleep and on the CPU, another process of httpd's user polls
/proc/<pid>/mem and /proc/<pid>/environ of every child and reads nothing:
mod_guard never makes a child dumpable. Also: what httpd itself does with
CoreDumpDirectory, and the syscall-file broker of threaded MPMs under
hostile clients."""

import errno
import json
import os
import pwd
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

from guardtest import MODULES_DIR, get, proc_ppid, wait_for, workers_of
from peers import Blackhole
from test_crash import CRASHTEST_CONF, crashtest_so  # noqa: F401 (fixture)
from test_lockwatch import lock_file

USER = "www-data"
READ_SECONDS = 4.0

# The reader: as USER, for a while, every child of the master again and
# again. Counts what it could open and read.
READER_PY = r"""
import json, os, sys, time
master, seconds = int(sys.argv[1]), float(sys.argv[2])
n = dict(rounds=0, children=0, mem_open=0, mem_read=0, environ_read=0,
         maps_read=0, owned_by_user=0)
seen = set()
uid = os.getuid()
end = time.monotonic() + seconds
def children():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == master:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out
def first_map(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            line = f.readline()
        n["maps_read"] += 1
        return int(line.split("-")[0], 16)
    except (OSError, ValueError):
        return None
kids, listed = [], 0.0
while time.monotonic() < end:
    # As fast as it can: a window of microseconds must not slip by.
    if time.monotonic() - listed > 0.25:
        kids, listed = children(), time.monotonic()
        seen.update(kids)
    n["rounds"] += 1
    for pid in kids:
        try:
            fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        except OSError:
            fd = None
        if fd is not None:
            n["mem_open"] += 1
            addr = first_map(pid)
            try:
                if addr is not None and os.pread(fd, 16, addr):
                    n["mem_read"] += 1
            except OSError:
                pass
            os.close(fd)
        try:
            fd = os.open("/proc/%d/environ" % pid, os.O_RDONLY)
        except OSError:
            continue
        try:
            if os.read(fd, 4096):
                n["environ_read"] += 1
        except OSError:
            pass
        os.close(fd)
        try:
            if os.stat("/proc/%d/mem" % pid).st_uid == uid:
                n["owned_by_user"] += 1
        except OSError:
            pass
n["children"] = len(seen)
print(json.dumps(n))
"""


def as_user():
    pw = pwd.getpwnam(USER)

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return drop


def read_as_user(s, seconds=READ_SECONDS):
    p = subprocess.run([sys.executable, "-c", READER_PY, str(s.master_pid),
                        str(seconds)], preexec_fn=as_user(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=seconds + 30)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def kinds(js, needle):
    return {w["wait"]["kind"] for w in workers_of(js, needle) if w["wait"]}


PREFORK = """\
StartServers 6
MinSpareServers 6
MaxSpareServers 10
GuardStuckThreshold 1s
GuardWatchInterval 100ms
GuardLockWatch @ROOT@/sessions/sess_*
<Location /backend.php>
    GuardBackendTimeout 3s
</Location>
"""

THREADED = """\
<IfModule mpm_worker_module>
    StartServers 2
    ServerLimit 2
    ThreadsPerChild 8
    ThreadLimit 8
    MaxRequestWorkers 16
    MinSpareThreads 1
    MaxSpareThreads 16
</IfModule>
GuardStuckThreshold 1s
GuardWatchInterval 100ms
GuardLockWatch @ROOT@/locks/*.lck
GuardStatusShowQuery On
ProxyPass /slow http://127.0.0.1:{port}/ timeout=600
<Location /slow>
    GuardBackendTimeout 3s
</Location>
"""


def start_prefork_waits(s):
    bh, holder_bh = s.blackhole(), s.blackhole()
    s.hang("/backend.php?port=%d" % bh.port)
    cookie = {"Cookie": "PHPSESSID=exposure%d" % int(time.time())}
    s.hang("/session_hold.php?port=%d" % holder_bh.port, headers=cookie)
    holder_bh.wait_accepted()
    s.hang("/session_touch.php?n=1", headers=cookie)
    s.hang("/sleep.php?us=20000000")
    s.hang("/spin.php?s=8")
    bh.wait_accepted()
    return ("/backend.php", "/session_touch.php", "/sleep.php", "/spin.php")


def start_threaded_waits(s):
    holder_bh = s.blackhole()
    path = lock_file(s, "exposure.lck")
    s.hang("/slow/thing")
    s.hang("/ct?flock=%s,%d" % (path, holder_bh.port))
    holder_bh.wait_accepted()
    s.hang("/ct?flock=%s" % path)
    s.hang("/ct?sleep=10000")
    s.hang("/ct?spin=8000")
    return ("/slow/thing", "/ct?flock", "/ct?sleep", "/ct?spin")


def threaded_server(make_server, mpm, so, extra=""):
    bh = Blackhole()
    try:
        s = make_server(extra + CRASHTEST_CONF.format(so=so) +
                        THREADED.format(port=bh.port), mpm=mpm)
    except BaseException:
        bh.close()
        raise
    s.adopt(bh)
    # The cut proxied call, as mod_proxy reports it.
    s.expect_log(r"\[proxy(_http)?:error\].*(AH01102|AH00898)")
    # A thread still at work when the stop's SIGTERMs run out (a loaded
    # machine: ?sleep and ?spin themselves end at an ungraceful stop).
    s.expect_log(r"AH00046: child process \d+ still did not exit")
    return s


def wait_all_seen(s, needles):
    want = {"/backend.php": "backend", "/slow/thing": "backend",
            "/session_touch.php": "lock", "/ct?flock": "lock",
            "/sleep.php": "sleep", "/ct?sleep": "sleep",
            "/spin.php": "cpu", "/ct?spin": "cpu"}

    def seen():
        js = s.guard_json()
        return js if all(want[n] in kinds(js, n) for n in needles) else None
    return wait_for(seen, 10, what="every wait known: %s" % (needles,))


@pytest.mark.slow
@pytest.mark.parametrize("mpm", ["prefork", "worker", "event"])
def test_children_stay_unreadable(make_server, crashtest_so, mpm):
    if mpm == "prefork":
        s = make_server(PREFORK)
        needles = start_prefork_waits(s)
    else:
        s = threaded_server(make_server, mpm, crashtest_so)
        needles = start_threaded_waits(s)
    # The watchdog sees every wait, so it is sampling while we read.
    wait_all_seen(s, needles)
    samples = s.guard_json()["counters"]["samples_total"]
    n = read_as_user(s)
    js = s.guard_json()
    print("%s: %s" % (mpm, n))
    assert n["children"] >= 1 and n["rounds"] > 10000, n
    assert js["counters"]["samples_total"] > samples + 10, \
        (samples, js["counters"])
    for key in ("mem_open", "mem_read", "environ_read", "maps_read",
                "owned_by_user"):
        assert n[key] == 0, (key, n)
    # Everything is still shown, but the backend call: cut meanwhile.
    for needle in needles[1:]:
        assert kinds(js, needle), (needle, workers_of(js, needle))
    wait_for(lambda: s.count_log(r"GRD0300"), 8, what="GRD0300")
    wait_for(lambda: s.count_log(r"GRD0400"), 3, what="GRD0400")


@pytest.mark.slow
def test_core_dump_directory_is_httpds_own(make_server):
    """With CoreDumpDirectory httpd makes its children dumpable itself
    (prctl in the MPM's child set-up), with or without mod_guard: it is the
    operator's choice of core files over that protection."""
    s = make_server(PREFORK + "CoreDumpDirectory @ROOT@/logs\n")
    start_prefork_waits(s)
    n = read_as_user(s, 1.5)
    assert n["owned_by_user"] > 0 and n["environ_read"] > 0, n
    # And waits are still read (this time with the child's own open()).
    wait_all_seen(s, ("/backend.php", "/sleep.php"))


# ------------------------------------------------------------- the broker

def seccomp_mode(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^Seccomp:\s+(\d+)$", f.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def broker_of(s):
    """(pid, socket path) of the server's syscall-file broker, once it has
    confined itself (it is named when it is executed and installs its
    seccomp filter last, before it serves: on a loaded machine, and in a
    sanitizer build, a moment after the server answers). Fails when it
    never does."""
    pids = wait_for(lambda: s.brokers(), 5, what="the broker")
    assert len(pids) == 1, pids
    wait_for(lambda: seccomp_mode(pids[0]) == 2, 5,
             what="the broker under its seccomp filter")
    with open("/proc/net/unix") as f:
        paths = re.findall(r"\s(/\S+/guard-broker\.%d/broker\.sock)$"
                           % s.master_pid, f.read(), re.M)
    assert paths, "no broker socket"
    return pids[0], paths[0]


def connect_as(path, uid, gid, groups=()):
    """0 when a process of uid, gid and groups could connect to path, else
    the errno of its connect."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups(list(groups))
            os.setgid(gid)
            os.setuid(uid)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                c.connect(path)
                code = 0
            except OSError as e:
                code = e.errno
        finally:
            os.write(w, bytes([code]))
            os._exit(0)
    os.close(w)
    code = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    return code[0]


def ask(name, tid, payload=None, creds=True):
    """One request as the broker's protocol has it (or payload as is)."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.settimeout(2)
    c.connect(name)
    try:
        c.send(payload if payload is not None
               else struct.pack("=IIiI", 0x47524442, 1, tid, 0))
        msg, anc, flags, _ = c.recvmsg(64, socket.CMSG_SPACE(16))
    except OSError:
        msg, anc = b"", []
    c.close()
    return msg, anc


@pytest.mark.slow
@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_broker_under_hostile_clients(make_server, crashtest_so, mpm):
    s = threaded_server(make_server, mpm, crashtest_so)
    pid, name = broker_of(s)
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    # Root, with no capability at all, and not dumpable.
    assert re.search(r"^Uid:\s+0\s+0\s+0\s+0$", status, re.M), status
    for cap in ("CapEff", "CapPrm", "CapInh", "CapBnd"):
        assert re.search(r"^%s:\s+0+$" % cap, status, re.M), (cap, status)
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status
    assert os.stat("/proc/%d/mem" % pid).st_uid == 0
    # Under its allow-list of system calls, and its root is procfs.
    assert re.search(r"^Seccomp:\s+2$", status, re.M), status
    assert os.readlink("/proc/%d/root" % pid) == "/proc"

    # Its socket: root's, of httpd's Group, in a directory only that group
    # may enter. Anyone else cannot even connect.
    pw = pwd.getpwnam(USER)
    st, dst = os.stat(name), os.stat(os.path.dirname(name))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) \
        == (0, pw.pw_gid, 0o660), st
    assert (dst.st_uid, dst.st_gid, dst.st_mode & 0o7777) \
        == (0, pw.pw_gid, 0o710), dst
    assert connect_as(name, 65534, 65534) == errno.EACCES
    assert connect_as(name, pw.pw_uid, pw.pw_gid) == 0

    # Not a child of the server: no answer at all, for any tid (its own,
    # a worker thread's, the master's).
    child = s.children()[0]
    tids = [int(t) for t in os.listdir("/proc/%d/task" % child)]
    for tid in (os.getpid(), tids[-1], s.master_pid):
        msg, anc = ask(name, tid)
        assert msg == b"" and anc == [], (tid, msg, anc)

    # Garbage and floods from many connections, as root and as the user.
    def flood():
        socks = []
        for i in range(300):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                c.setblocking(False)
                c.connect(name)
                c.send(os.urandom(i % 40))
            except OSError:
                pass
            socks.append(c)
        for c in socks:
            c.close()
    flood()
    pid_user = os.fork()
    if pid_user == 0:
        try:
            as_user()()
            flood()
        finally:
            os._exit(0)
    os.waitpid(pid_user, 0)
    # A client that never reads and keeps its connection: no harm either.
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    idle.connect(name)

    # The broker is the same process, and still serves the children: a
    # new thread's wait is read.
    assert broker_of(s)[0] == pid
    start_threaded_waits(s)
    wait_all_seen(s, ("/slow/thing", "/ct?sleep"))
    assert s.count_log(r"GRD0023: .*: had") >= 1, s.log_tail()
    idle.close()
    del pw


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[5] for line in f if len(line.split()) > 5}


# In the parent, and so in a fork of it: what the broker must not hold.
PARENT_ONLY = ("mod_ssl.so", "libssl.so", "libcrypto.so", "mod_guard.so",
               "mod_crashtest.so", "mod_proxy.so", "mod_mpm_", "libphp")


@pytest.mark.slow
@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_broker_holds_nothing_of_the_parent(make_server, crashtest_so, mpm):
    """The broker is its own program, executed: none of the parent's
    modules (mod_ssl and its keys' library, mod_guard itself) is mapped in
    it, nor is the parent's heap there to read."""
    s = threaded_server(make_server, mpm, crashtest_so,
                        extra="LoadModule ssl_module %s/mod_ssl.so\n"
                        % MODULES_DIR)
    pid, _ = broker_of(s)
    parent, broker = mapped_files(s.master_pid), mapped_files(pid)
    # The premise: the parent has them.
    for lib in ("mod_ssl.so", "libssl.so", "mod_guard.so", "mod_mpm_"):
        assert any(lib in m for m in parent), (lib, sorted(parent))
    held = [m for m in broker for lib in PARENT_ONLY if lib in m]
    assert held == [], sorted(broker)
    assert os.path.basename(os.readlink("/proc/%d/exe" % pid)) \
        == "guard-broker"
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    assert argv[1] == str(s.master_pid).encode(), argv
    with open("/proc/%d/environ" % pid, "rb") as f:
        env = [e for e in f.read().split(b"\0") if e]
    assert all(e.startswith((b"ASAN_OPTIONS=", b"UBSAN_OPTIONS="))
               for e in env), env
    # And it still serves.
    start_threaded_waits(s)
    wait_all_seen(s, ("/slow/thing", "/ct?sleep"))


# A process that is no child of the server connecting and hanging up as
# fast as it can for a while; prints how many connects it made.
FLOOD_PY = r"""
import os, signal, socket, sys
path, n = sys.argv[1], 0
def done(*_):
    print(n, flush=True)
    os._exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.setblocking(False)
    try:
        c.connect(path)
        n += 1
    except OSError:
        pass
    c.close()
"""


@pytest.mark.slow
@pytest.mark.parametrize("mpm", ["event", "worker"])
def test_broker_flood_of_strangers(make_server, crashtest_so, mpm):
    """Three processes of httpd's user (they may reach the socket, and are
    no children) flood the broker while new children (a graceful restart)
    ask for every thread they sample: no ask fails."""
    s = threaded_server(make_server, mpm, crashtest_so)
    _, path = broker_of(s)
    floods = [subprocess.Popen([sys.executable, "-c", FLOOD_PY, path],
                               preexec_fn=as_user(), stdout=subprocess.PIPE)
              for _ in range(3)]
    try:
        time.sleep(0.5)
        s.graceful()
        start_threaded_waits(s)
        wait_all_seen(s, ("/slow/thing", "/ct?flock", "/ct?sleep",
                          "/ct?spin"))
        assert all(p.poll() is None for p in floods), "flood ended early"
    finally:
        counts = []
        for p in floods:
            p.terminate()
            out, _ = p.communicate(timeout=10)
            counts.append(int(out or 0))
    # The premise: they did flood (and were let in, to be refused).
    assert min(counts) > 1000, counts
    failed = [l for l in s.log_text().splitlines()
              if re.search(r"GRD0023: .*not had", l)]
    assert failed == [], failed
    assert s.count_log(r"GRD0023: .*: had") >= 4, s.log_tail()


@pytest.mark.slow
def test_broker_restarted_when_killed(make_server, crashtest_so):
    s = threaded_server(make_server, "event", crashtest_so)
    s.expect_log(r"GRD0021")
    pid, _ = broker_of(s)
    os.kill(pid, 9)
    wait_for(lambda: s.count_log(r"GRD0021: syscall-file broker pid %d died "
                                 r"of signal 9: restarting" % pid), 5,
             what="GRD0021 for the killed broker")
    new = wait_for(lambda: [p for p in s.brokers() if p != pid], 5,
                   what="a new broker")
    assert proc_ppid(new[0]) == s.master_pid
    start_threaded_waits(s)
    wait_all_seen(s, ("/slow/thing", "/ct?sleep", "/ct?flock"))
    # Restarts keep one broker, the same socket name.
    _, name = broker_of(s)
    s.release_all()
    s.graceful()
    wait_for(lambda: len(s.brokers()) == 1, 10, what="one broker")
    assert broker_of(s)[1] == name
    r = get(s.port, "/ct?sleep=10", timeout=5)
    assert r.status == 200, r
    # A full restart (-k restart: the parent lives on) likewise; the old
    # broker is gone with the old configuration, a new one serves.
    old = s.brokers()
    before = s.count_log(r"resuming normal operations")
    rc, out = s.run("-k", "restart")
    assert rc == 0, out
    wait_for(lambda: s.count_log(r"resuming normal operations") > before,
             20, what="-k restart to complete")
    wait_for(lambda: len(s.brokers()) == 1 and s.brokers() != old, 10,
             what="one new broker")
    assert broker_of(s)[1] == name
    s.hang("/ct?sleep=6000")
    wait_all_seen(s, ("/ct?sleep",))
    # Only the kill was a death: restarts end the broker on purpose.
    assert s.count_log(r"GRD0021") == 1, s.log_tail()
    assert s.count_log(r"GRD0020") == 4, s.log_tail()
    # Where the kernel has Landlock, start-up says so (else that it has
    # not); and the socket and its directory go with the server.
    assert s.count_log(r"GRD0024: syscall-file broker: seccomp allow-list"
                       r"(, Landlock ABI \d+: reads procfs only|; this "
                       r"kernel has no Landlock)") >= 1, s.log_tail()
    s.stop()
    assert not os.path.exists(os.path.dirname(name)), name


@pytest.mark.slow
def test_waits_unknown_while_broker_hangs(make_server, crashtest_so):
    """A broker that does not answer costs the watchdog a short wait, not
    a hang: the new thread's wait is "unknown", the page answers, and once
    the broker answers again the wait is read."""
    s = threaded_server(make_server, "event", crashtest_so)
    pid, _ = broker_of(s)
    os.kill(pid, signal.SIGSTOP)
    try:
        s.hang("/ct?sleep=15000")
        w = wait_for(lambda: [x for x in workers_of(s.guard_json(),
                                                    "/ct?sleep")
                              if x["wait"]], 5, what="a sampled sleeper")[0]
        assert w["wait"]["kind"] == "unknown", w
        t0 = time.monotonic()
        assert s.get("/guard-status?json", timeout=5).status == 200
        assert time.monotonic() - t0 < 1.0
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_all_seen(s, ("/ct?sleep",))


@pytest.mark.slow
def test_broker_program_missing_or_not_roots(make_server, crashtest_so,
                                             tmp_path):
    """mod_guard.so without its guard-broker beside it (nor in the module
    directory), or beside one that is not root's alone: start-up says so
    (GRD0022), no broker runs, the server serves, and a worker thread's
    wait shows as unknown."""
    import shutil
    from guardtest import GUARD_BUILD_DIR, GUARD_SO
    assert not os.path.exists(os.path.join(MODULES_DIR, "guard-broker")), \
        "a guard-broker is installed in the module directory"
    os.chmod(str(tmp_path), 0o755)
    so = str(tmp_path / "mod_guard.so")
    shutil.copy(GUARD_SO, so)
    for case in ("missing", "writable"):
        if case == "writable":
            prog = str(tmp_path / "guard-broker")
            shutil.copy(os.path.join(GUARD_BUILD_DIR, ".libs",
                                     "guard-broker"), prog)
            os.chmod(prog, 0o777)
        bh = Blackhole()
        s = make_server(CRASHTEST_CONF.format(so=crashtest_so) +
                        THREADED.format(port=bh.port), mpm="event",
                        guard_so=so)
        s.adopt(bh)
        s.expect_log(r"GRD0022: no program guard-broker")
        s.expect_log(r"AH00046: child process \d+ still did not exit")
        assert s.count_log(r"GRD0022: no program guard-broker") == 1
        assert s.brokers() == []
        s.hang("/ct?sleep=10000")
        w = wait_for(lambda: [x for x in workers_of(s.guard_json(),
                                                    "/ct?sleep")
                              if x["wait"]], 5, what="a sampled sleeper")[0]
        assert w["wait"]["kind"] == "unknown", w
        s.stop()
