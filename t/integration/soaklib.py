# SPDX-License-Identifier: Apache-2.0
"""Helpers of the soak tests: wrk driven by soak_mix.lua, and what the
kernel says about httpd's processes (fds, shared mappings) before, during
and after a long run."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

from guardtest import Fail, proc_alive, proc_ppid, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
MIX_LUA = os.path.join(HERE, "soak_mix.lua")
WRK_BIN = os.environ.get("WRK_BIN") or "/usr/bin/wrk"

DEFAULT_REQUESTS = 100000
LONG_REQUESTS = 1000000


def long_mode():
    return os.environ.get("GUARD_SOAK") == "long"


def soak_requests():
    """Requests of the mixed soak: GUARD_SOAK_REQUESTS, else 1,000,000
    with GUARD_SOAK=long, else 100,000."""
    v = os.environ.get("GUARD_SOAK_REQUESTS")
    if v:
        return int(v)
    return LONG_REQUESTS if long_mode() else DEFAULT_REQUESTS


def report(name, figures):
    """One line of figures on stderr (pytest -s shows it; the soak mode of
    scripts/test keeps it)."""
    sys.stderr.write("\n[soak] %s: %s\n" % (name, json.dumps(figures)))
    path = os.environ.get("GUARD_SOAK_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"test": name, "figures": figures}) + "\n")


# ---------------------------------------------------------------- wrk


class Wrk:
    """wrk in the background with soak_mix.lua. mix: the script's
    key=value arguments (see soak_mix.lua); quota is per thread."""

    def __init__(self, port, threads=2, connections=16, duration=3600,
                 timeout=30, **mix):
        args = ["%s=%s" % (k, v) for k, v in sorted(mix.items())]
        self.cmd = [WRK_BIN, "-t%d" % threads, "-c%d" % connections,
                    "-d%ds" % duration, "--timeout", "%ds" % timeout,
                    "-s", MIX_LUA, "http://127.0.0.1:%d/" % port,
                    "--"] + args
        self.threads = threads
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.result = None
        self.output = None
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        """Collect wrk's output; once every thread has reached its quota,
        end the run (wrk's main thread would sleep out -d)."""
        done = 0
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            self.lines.append(line)
            if line.startswith("SOAK-THREAD-DONE"):
                done += 1
                if done == self.threads:
                    self.interrupt()

    def running(self):
        return self.proc.poll() is None

    def interrupt(self):
        """End a run without a quota: wrk prints its summary on SIGINT."""
        if self.running():
            self.proc.send_signal(signal.SIGINT)

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.reader.join(10)
            raise Fail("wrk still running after %ds:\n%s"
                       % (timeout, "".join(self.lines)[-3000:]))
        self.reader.join(10)
        self.elapsed = time.monotonic() - self.started
        self.output = "".join(self.lines)
        m = re.search(r"^SOAK-RESULT (\{.*\})$", self.output, re.M)
        if not m:
            raise Fail("no SOAK-RESULT from wrk (rc %s):\n%s"
                       % (self.proc.returncode, self.output[-3000:]))
        self.result = json.loads(m.group(1))
        return self.result

    def stop(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------- processes


def kept_syscall_fds(pid):
    """The watchdog's kept /proc/<pid>/task/<tid>/syscall and schedstat
    files of pid (one of each per sampled thread, for the thread's life),
    as {fd: path}."""
    return {fd: t for fd, t in fd_targets(pid).items()
            if re.match(r"^/proc/\d+/task/\d+/(syscall|schedstat)$", t)}


def kept_debug_fds(pid):
    """Separate debug files (/usr/lib/debug) that libdw keeps open once a
    native unwind went through their module: one per module at most."""
    return {fd: t for fd, t in fd_targets(pid).items()
            if t.startswith("/usr/lib/debug/")}


def fd_count(pid):
    """pid's fds but the watchdog's kept thread and debug files, which a
    soak checks apart (they belong to threads and modules, not to
    requests)."""
    try:
        n = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None
    return n - len(kept_syscall_fds(pid)) - len(kept_debug_fds(pid))


def fd_targets(pid):
    """What each fd of pid points at, sockets and anon inodes by kind."""
    out = {}
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in fds:
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        out[int(fd)] = re.sub(r"\[\d+\]$", "", t)
    return out


SHARED_MAP = re.compile(
    r"^([0-9a-f]+)-([0-9a-f]+) rw-s \S+ \S+ \d+\s+(/dev/zero \(deleted\)|"
    r"/SYSV\S*.*|/dev/shm/\S+.*)$")


def shared_maps(pid):
    """Sorted sizes of pid's shared anonymous mappings (apr_shm_create
    without a file is mmap of /dev/zero: the scoreboard and mod_guard's
    segments)."""
    sizes = []
    try:
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                m = SHARED_MAP.match(line.rstrip("\n"))
                if m:
                    sizes.append(int(m.group(2), 16) - int(m.group(1), 16))
    except OSError:
        return None
    return sorted(sizes)


class FdSampler:
    """Samples the fd count of every child every interval seconds, in a
    thread, until stop(): per pid, the list of (seconds, count)."""

    def __init__(self, server, interval=1.0):
        self.server = server
        self.interval = interval
        self.samples = {}
        self.stopping = threading.Event()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)

    def sample(self):
        now = time.monotonic() - self.t0
        for pid in self.server.children():
            n = fd_count(pid)
            if n is not None:
                self.samples.setdefault(pid, []).append((now, n))

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        return self.samples


# ------------------------------------------------------- status checks


def json_or_none(server):
    """?json, or None when the probe met a dying child (connection reset
    or closed unanswered)."""
    try:
        return server.guard_json()
    except (OSError, Fail) as e:
        if isinstance(e, Fail) and "no complete HTTP response" not in str(e):
            raise
        return None


def phantoms(server, js):
    """Problems with the worker and child lists of a ?json document: a
    busy or stuck worker other than the status request itself, a listed
    pid that is not a live child of the master, a live child not listed."""
    out = []
    master = server.master_pid
    real = set(server.children())
    for w in js["workers"]:
        if w["state"] == "busy" and not (
                w["request"] or "").startswith("GET /guard-status"):
            out.append("busy: %s" % json.dumps(w))
        if w["stuck"]:
            out.append("stuck: %s" % json.dumps(w))
        if not proc_alive(w["pid"]) or _ppid(w["pid"]) != master:
            out.append("worker of a dead pid: %s" % json.dumps(w))
    listed = {c["pid"] for c in js["children"]}
    for c in js["children"]:
        if c["pid"] not in real:
            out.append("child listed but not running: %s" % json.dumps(c))
    for pid in real - listed:
        out.append("running child %d not listed" % pid)
    if js["summary"]["stuck"] != 0:
        out.append("summary.stuck = %d" % js["summary"]["stuck"])
    return out


def _ppid(pid):
    try:
        return proc_ppid(pid)
    except OSError:
        return None


def accept_queue(port):
    """Connections waiting in the accept queue of the loopback listener on
    port (rx_queue of a LISTEN socket in /proc/net/tcp), or None."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] != "0A":
                continue
            if int(parts[1].split(":")[1], 16) == port:
                return int(parts[4].split(":")[1], 16)
    return None


def settle(server, timeout=30):
    """Poll ?json until no connection waits to be accepted, nothing but
    the status request is busy, nothing is stuck and the listed children
    are the running ones; return that document. Fails with what was still
    wrong."""
    last = {}

    def probe():
        queued = accept_queue(server.port)
        if queued:
            last["problems"] = ["%d connection(s) not accepted yet" % queued]
            return None
        js = json_or_none(server)
        if js is None:
            return None
        last["problems"] = phantoms(server, js)
        return js if not last["problems"] else None
    try:
        return wait_for(probe, timeout, interval=0.25,
                        what="an idle server without phantom workers")
    except Fail as e:
        raise Fail("%s:\n  %s" % (e, "\n  ".join(last.get("problems", []))))


def auto_fields(server):
    r = server.guard_get("auto")
    if r.status != 200:
        raise Fail("?auto: %r" % r)
    out = {}
    for line in r.text.splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            out[k] = v
    return out


# ---------------------------------------------------------- access log


ACCESS_LINE = re.compile(r'"(\S+) (\S+) [^"]*" (\d{3}) ')


def access_counts(server):
    """{(path without query, status): count} from the access log."""
    out = {}
    path = os.path.join(server.root, "logs", "access_log")
    with open(path, "rb") as f:
        for raw in f:
            m = ACCESS_LINE.search(raw.decode("iso-8859-1"))
            if not m:
                continue
            key = (m.group(2).split("?")[0], int(m.group(3)))
            out[key] = out.get(key, 0) + 1
    return out
