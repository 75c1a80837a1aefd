# SPDX-License-Identifier: Apache-2.0
"""A small HTTP/2 client for the tests (python3-h2): one connection, h2c
with prior knowledge or h2 over TLS (ALPN), many streams at once, each
response kept with the time it completed."""

import socket
import ssl
import threading
import time

import h2.config
import h2.connection
import h2.events


class Stream:
    def __init__(self, sid, path):
        self.id = sid
        self.path = path
        self.sent = time.monotonic()
        self.status = None
        self.headers = {}
        self.data = b""
        self.done = threading.Event()
        self.ended = None          # monotonic time it completed
        self.reset = None          # error code of a RST_STREAM

    @property
    def elapsed(self):
        return None if self.ended is None else self.ended - self.sent


class H2Connection:
    """A client connection; requests are sent with get(), answered in a
    thread of its own. close() ends it."""

    def __init__(self, port, host="127.0.0.1", tls=False, timeout=120):
        raw = socket.create_connection((host, port), timeout=10)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=host)
            assert raw.selected_alpn_protocol() == "h2", \
                raw.selected_alpn_protocol()
        raw.settimeout(timeout)
        self.sock = raw
        self.authority = "%s:%d" % (host, port)
        self.scheme = "https" if tls else "http"
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8"))
        self.lock = threading.Lock()
        self.streams = {}
        self.closed = threading.Event()
        self.error = None
        with self.lock:
            self.conn.initiate_connection()
            self.sock.sendall(self.conn.data_to_send())
        self.reader = threading.Thread(target=self._run, daemon=True)
        self.reader.start()

    def get(self, path):
        with self.lock:
            sid = self.conn.get_next_available_stream_id()
            st = Stream(sid, path)
            self.streams[sid] = st
            self.conn.send_headers(sid, [
                (":method", "GET"), (":scheme", self.scheme),
                (":authority", self.authority), (":path", path)],
                end_stream=True)
            self.sock.sendall(self.conn.data_to_send())
        return st

    def _event(self, ev):
        st = self.streams.get(getattr(ev, "stream_id", None))
        if isinstance(ev, h2.events.ResponseReceived) and st:
            st.headers = dict(ev.headers)
            st.status = int(st.headers.get(":status", "0"))
        elif isinstance(ev, h2.events.DataReceived) and st:
            st.data += ev.data
            self.conn.acknowledge_received_data(ev.flow_controlled_length,
                                                ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded) and st:
            st.ended = time.monotonic()
            st.done.set()
        elif isinstance(ev, h2.events.StreamReset) and st:
            st.reset = ev.error_code
            st.ended = time.monotonic()
            st.done.set()
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.error = "GOAWAY %r" % (ev.error_code,)

    def _run(self):
        try:
            while not self.closed.is_set():
                data = self.sock.recv(65536)
                if not data:
                    self.error = self.error or "connection closed"
                    break
                with self.lock:
                    for ev in self.conn.receive_data(data):
                        self._event(ev)
                    out = self.conn.data_to_send()
                    if out:
                        self.sock.sendall(out)
        except (OSError, ValueError) as e:
            if not self.closed.is_set():
                self.error = "%s" % e
        finally:
            for st in list(self.streams.values()):
                st.done.set()

    def close(self):
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
