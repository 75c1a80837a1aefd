# SPDX-License-Identifier: Apache-2.0
"""A real php-fpm for the tests: its own config, pid file, error log and
socket in a temporary directory, never the machine's service. And fakes
of its status socket that stay silent or speak garbage."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

from waiting import wait_for

FPM_BIN = "/usr/sbin/php-fpm8.2"
RUN_USER = "www-data"


def fcgi_get(address, path, query="", timeout=2.0):
    """One FastCGI request (GET path?query); returns (stdout bytes,
    app status). address: ("unix", path) or ("tcp", (host, port))."""
    kind, where = address
    s = socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET)
    s.settimeout(timeout)
    s.connect(where)

    def rec(t, content):
        return struct.pack(">BBHHBx", 1, t, 1, len(content), 0) + content

    def nv(k, v):
        k, v = k.encode(), v.encode()
        return bytes([len(k), len(v)]) + k + v
    params = b"".join(nv(k, v) for k, v in (
        ("SCRIPT_NAME", path), ("SCRIPT_FILENAME", path),
        ("REQUEST_URI", path + ("?" + query if query else "")),
        ("QUERY_STRING", query), ("REQUEST_METHOD", "GET")))
    s.sendall(rec(1, struct.pack(">HBxxxxx", 1, 0)) + rec(4, params)
              + rec(4, b"") + rec(5, b""))
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    out, status, i = b"", None, 0
    while i + 8 <= len(data):
        _, t, _, clen, plen = struct.unpack(">BBHHBx", data[i:i + 8])
        body = data[i + 8:i + 8 + clen]
        if t == 6:
            out += body
        elif t == 3:
            status = struct.unpack(">I", body[:4])[0]
        i += 8 + clen + plen
    return out, status


class Fpm:
    """php-fpm8.2 run as root with a pool of www-data: pm static with
    `children` workers. listen: "unix" (a socket in the directory) or
    "tcp" (127.0.0.1 and a free port). status_listen: a second socket for
    the status page only (pm.status_listen), answered when the pool is
    full."""

    def __init__(self, listen="unix", children=4, status_listen=False,
                 port=None, extra=""):
        self.root = tempfile.mkdtemp(prefix="guardtest-fpm-")
        os.chmod(self.root, 0o755)
        self.conf = os.path.join(self.root, "php-fpm.conf")
        self.pidfile = os.path.join(self.root, "php-fpm.pid")
        self.error_log = os.path.join(self.root, "error.log")
        self.children = children
        if listen == "unix":
            self.sock = os.path.join(self.root, "fpm.sock")
            self.listen = self.sock
            self.address = ("unix", self.sock)
            self.guard_address = "unix:" + self.sock
        else:
            self.sock = None
            self.listen = "127.0.0.1:%d" % port
            self.address = ("tcp", ("127.0.0.1", port))
            self.guard_address = self.listen
        self.status_sock = None
        lines = []
        if status_listen:
            self.status_sock = os.path.join(self.root, "status.sock")
            lines.append("pm.status_listen = " + self.status_sock)
        self.proc = None
        self.pid = None
        with open(self.conf, "w") as f:
            f.write("""[global]
pid = %(pid)s
error_log = %(log)s
daemonize = no

[guardtest]
user = %(user)s
group = %(user)s
listen = %(listen)s
listen.owner = %(user)s
listen.group = %(user)s
listen.mode = 0660
pm = static
pm.max_children = %(n)d
pm.status_path = /status
catch_workers_output = yes
%(more)s
%(extra)s
""" % {"pid": self.pidfile, "log": self.error_log, "user": RUN_USER,
       "listen": self.listen, "n": children, "more": "\n".join(lines),
       "extra": extra})

    def status_address(self):
        if self.status_sock:
            return ("unix", self.status_sock)
        return self.address

    def start(self, timeout=10):
        self.proc = subprocess.Popen(
            [FPM_BIN, "--nodaemonize", "--fpm-config", self.conf, "-n",
             "-d", "opcache.enable=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.pid = self.proc.pid
        wait_for(lambda: len(self.workers()) == self.children
                 and self._answers(), timeout, what="php-fpm up")
        return self

    def _answers(self):
        try:
            fcgi_get(self.status_address(), "/status", "json", timeout=1)
            return True
        except OSError:
            return False

    def workers(self):
        """pids of the pool's worker processes (children of the master)."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st.rsplit(")", 1)[1].split()[1]) == self.pid:
                out.append(int(d))
        return sorted(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class FakeStatus:
    """A unix socket where a status read finds a peer that accepts and then
    says nothing (mode "silent") or answers bytes that are not FastCGI
    ("garbage")."""

    def __init__(self, directory, mode):
        self.path = os.path.join(directory, "fake-%s.sock" % mode)
        self.mode = mode
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.sock.listen(64)
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.mode == "garbage":
                try:
                    c.recv(4096)
                    c.sendall(b"HTTP/1.0 200 OK\r\n\r\n{\"pool\":" + b"\xff" * 64
                              + b"\x01\x06\x00\x01\xff\xff\x00\x00" * 4)
                    c.close()
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
