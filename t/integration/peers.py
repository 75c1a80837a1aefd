# SPDX-License-Identifier: Apache-2.0
"""Fake peers of the integration tests: loopback listeners that play a
backend which hangs, answers late, trickles, never reads or never accepts.

Each is a real socket on 127.0.0.1 (or a unix socket), made by listener(),
with the same release()/close() pair, so Httpd.adopt() takes any of them:
release() unwinds what is waiting on it before -k stop, close() ends it at
teardown.
"""

import errno
import os
import select
import socket
import threading
import time

from waiting import Fail, wait_for


def listener(backlog=64, timeout=None, rcvbuf=None, reuseaddr=True,
             unix_path=None):
    """A listening socket on a free port of 127.0.0.1, or on unix_path (a
    unix-domain socket any user may connect to); returns (socket, port),
    port None for a unix socket. rcvbuf is set on the listener, so every
    accepted connection has it too."""
    if unix_path:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(unix_path)
        os.chmod(unix_path, 0o777)
        port = None
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if reuseaddr:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    s.listen(backlog)
    if timeout is not None:
        s.settimeout(timeout)
    return s, port


class Peer:
    """What the accepting peers share: a listener (options of listener())
    and a thread that runs _run() until close(). A subclass sets up its
    own state, then calls _start()."""

    def __init__(self, **listen):
        self.lsock, self.port = listener(**listen)
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _start(self):
        self.thread.start()

    def _run(self):
        raise NotImplementedError

    def describe(self):
        return ":%d" % self.port

    def accept_loop(self, take):
        """Accept (the listener has a short timeout) until close(), handing
        each connection to take(c)."""
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping:
                    return
                time.sleep(0.05)
                continue
            take(c)

    def wait_accepted(self, n=1, timeout=10):
        return wait_for(lambda: self.accepted >= n, timeout,
                        what="%d connection(s) on %s" % (n, self.describe()))

    def release(self):
        pass

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.release()
        self.lsock.close()


class Blackhole(Peer):
    """A loopback TCP server that accepts and never answers. It drains what
    it is sent (so closing does not reset the peer). release() finally
    answers every open connection with a short HTTP response and closes it,
    which unwinds a PHP fread or a mod_proxy request cleanly."""

    RELEASE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
               b"Content-Length: 8\r\nConnection: close\r\n\r\nreleased")

    def __init__(self):
        super().__init__()
        self.conns = []
        self.accepted = 0
        self._start()

    def describe(self):
        return "blackhole :%d" % self.port

    def _run(self):
        while not self.stopping:
            with self.lock:
                socks = [self.lsock] + list(self.conns)
            try:
                r, _, _ = select.select(socks, [], [], 0.1)
            except (OSError, ValueError):
                continue
            for s in r:
                if s is self.lsock:
                    try:
                        c, _ = self.lsock.accept()
                    except OSError:
                        continue
                    with self.lock:
                        self.conns.append(c)
                        self.accepted += 1
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    with self.lock:
                        if s in self.conns:
                            self.conns.remove(s)
                    s.close()

    def release(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.sendall(self.RELEASE)
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        deadline = time.monotonic() + 3
        for c in conns:
            try:
                c.settimeout(max(0.05, deadline - time.monotonic()))
                while c.recv(65536):
                    pass
            except OSError:
                pass
            c.close()


class Responder(Peer):
    """A loopback TCP server that runs handler(conn, info) in a thread per
    accepted connection. info is a dict the handler may fill; the server
    records 'accepted_at' and, when the handler returns, 'ended_at'.
    Connections still open at release() are shut down and closed."""

    def __init__(self, handler, backlog=64, unix_path=None):
        super().__init__(backlog=backlog, timeout=0.1, unix_path=unix_path)
        self.handler = handler
        self.unix_path = unix_path
        self.conns = []
        self.infos = []
        self.threads = []
        self.released_at = None
        self._start()

    def describe(self):
        return "backend %s" % (self.unix_path or self.port)

    @property
    def accepted(self):
        with self.lock:
            return len(self.infos)

    def _run(self):
        self.accept_loop(self._take)

    def _take(self, c):
        c.settimeout(None)
        info = {"accepted_at": time.monotonic()}
        t = threading.Thread(target=self._serve, args=(c, info),
                             daemon=True)
        with self.lock:
            self.conns.append(c)
            self.infos.append(info)
            self.threads.append(t)
        t.start()

    def _serve(self, c, info):
        try:
            self.handler(c, info)
        except OSError as e:
            info["error"] = e
        finally:
            info["ended_at"] = time.monotonic()
            with self.lock:
                if c in self.conns:
                    self.conns.remove(c)
            try:
                c.close()
            except OSError:
                pass

    def release(self):
        with self.lock:
            conns = list(self.conns)
            if conns and self.released_at is None:
                self.released_at = time.monotonic()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in list(self.threads):
            t.join(3)


def read_until_eof(conn, info):
    """Responder handler: never answer, read (and drop) until EOF; record
    when EOF came ('eof_at') and how many bytes were read ('got')."""
    got = 0
    while True:
        d = conn.recv(65536)
        if not d:
            info["eof_at"] = time.monotonic()
            break
        got += len(d)
        info["got"] = got


def trickle(nbytes, interval):
    """Responder handler: send one byte every interval seconds, nbytes in
    all, then close (the request line the client sends is drained)."""
    def handler(conn, info):
        conn.setblocking(False)
        sent = 0
        while sent < nbytes:
            time.sleep(interval)
            try:
                while conn.recv(65536):
                    pass
            except (BlockingIOError, InterruptedError):
                pass
            conn.setblocking(True)
            conn.sendall(b"x")
            conn.setblocking(False)
            sent += 1
            info["sent"] = sent
        conn.setblocking(True)
        conn.shutdown(socket.SHUT_WR)
        info["closed_at"] = time.monotonic()
    return handler


def answer_after(delay, data):
    """Responder handler: wait delay seconds, send data, close."""
    def handler(conn, info):
        time.sleep(delay)
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        info["answered_at"] = time.monotonic()
    return handler


class NonReader(Peer):
    """A loopback TCP listener that accepts and never reads: a writer to it
    blocks once the socket buffers are full (small receive buffer by
    default; rcvbuf=None leaves the system's). Also a backend that holds
    thousands of requests at once (backlog)."""

    def __init__(self, rcvbuf=4096, backlog=64):
        super().__init__(backlog=backlog, timeout=0.1, rcvbuf=rcvbuf)
        self.conns = []
        self._start()

    def describe(self):
        return "non-reader :%d" % self.port

    @property
    def accepted(self):
        with self.lock:
            return len(self.conns)

    def _run(self):
        self.accept_loop(self._take)

    def _take(self, c):
        with self.lock:
            self.conns.append(c)

    def unread(self):
        """Bytes waiting unread in each accepted connection."""
        import fcntl
        import struct
        import termios
        out = []
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                buf = fcntl.ioctl(c.fileno(), termios.FIONREAD, b"\0" * 4)
                out.append(struct.unpack("i", buf)[0])
            except OSError:
                out.append(None)
        return out

    def release(self):
        """Close every connection (unread data makes it a reset)."""
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


class FullQueue:
    """A loopback listener with backlog 0 that never accepts, its accept
    queue filled from this process: a new connect() to it gets no SYN-ACK
    (Linux drops SYNs to a listener whose accept queue is full, syncookies
    or not), so it stays in SYN_SENT and retries for about two minutes.
    fill() keeps connecting until one non-blocking connect stays pending
    for probe seconds; that one is kept as proof."""

    def __init__(self, probe=1.0, max_fill=64):
        self.lsock, self.port = listener(backlog=0, reuseaddr=False)
        self.fillers = []
        self.fill(probe, max_fill)

    def fill(self, probe=1.0, max_fill=64):
        for _ in range(max_fill):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            rc = c.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(c)
            if rc == 0:
                continue
            if rc != errno.EINPROGRESS:
                raise Fail("connect to full-queue listener: %s"
                           % os.strerror(rc))
            _, w, _ = select.select([], [c], [], probe)
            if not w:
                return len(self.fillers)
            err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise Fail("connect to full-queue listener failed: %s"
                           % os.strerror(err))
        raise Fail("accept queue of :%d never filled after %d connects"
                   % (self.port, max_fill))

    def still_full(self, probe=0.5):
        """True when a fresh connect still does not complete in probe s."""
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            rc = c.connect_ex(("127.0.0.1", self.port))
            if rc == 0:
                return False
            _, w, _ = select.select([], [c], [], probe)
            return not w
        finally:
            c.close()

    def release(self):
        pass

    def close(self):
        for c in self.fillers:
            c.close()
        self.fillers = []
        self.lsock.close()
