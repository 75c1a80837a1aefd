# SPDX-License-Identifier: Apache-2.0
"""event MPM: a mod_proxy request hung on a backend, seen in its thread;
the other threads keep serving."""

import re
import time

import pytest

from guardtest import (proc_comm, proc_ppid, proc_threads, socket_inode,
                       tcp_peer_of_inode, wait_worker)
from peers import Blackhole


def proxy_backend_seen(make_server, mpm, thread_limit):
    """A request proxied to a silent backend, under a threaded MPM: its
    thread's wait names the backend (checked against the thread's fd in
    /proc), the other threads of the process are listed and keep serving.
    Returns (server, worker, document) for more checks."""
    bh = Blackhole()
    try:
        s = make_server("""\
GuardStuckThreshold 1s
GuardWatchInterval 100ms
ProxyPass /slow http://127.0.0.1:%d/ timeout=600
""" % bh.port, mpm=mpm)
    except BaseException:
        bh.close()
        raise
    s.adopt(bh)
    h = s.hang("/slow/thing?x=1")
    bh.wait_accepted()

    t0 = time.monotonic()
    r = s.get("/hello.txt", timeout=5)
    assert r.status == 200 and r.text == "hello static\n", r
    assert time.monotonic() - t0 < 2

    w, js = wait_worker(s, "/slow/thing",
                        lambda w: w["wait"] is not None and
                        w["wait"]["kind"] == "backend" and w["stuck"],
                        timeout=max(0.5, 4 - h.age()),
                        what="proxy worker on backend")
    assert js["server"]["mpm"] == mpm, js["server"]
    assert js["server"]["thread_limit"] == thread_limit, js["server"]
    peer = "127.0.0.1:%d" % bh.port
    assert w["wait"]["peer"] == peer, w
    assert w["wait"]["syscall"] in ("poll", "ppoll", "read", "recvfrom",
                                    "epoll_wait", "epoll_pwait"), w
    # "poll on socket 127.0.0.1:4567 (idle 2.9 s)"
    assert re.fullmatch(r"%s on socket %s \(idle \d+\.\d s\)"
                        % (w["wait"]["syscall"], re.escape(peer)),
                        w["wait"]["text"]), w
    assert w["request"] == "GET /slow/thing?... HTTP/1.1", w
    assert w["tid"] != w["pid"], w
    assert proc_comm(w["pid"]) == "apache2", w
    assert proc_ppid(w["pid"]) == s.master_pid, w
    assert w["tid"] in proc_threads(w["pid"]), w
    inode = socket_inode(w["pid"], w["wait"]["fd"])
    assert inode is not None and tcp_peer_of_inode(inode) == peer, w

    others = [x for x in js["workers"] if x["pid"] == w["pid"] and
              x is not w]
    assert others, "only one thread of child %d listed" % w["pid"]
    tids = [x["tid"] for x in js["workers"] if x["pid"] == w["pid"] and
            x["tid"]]
    assert len(set(tids)) == len(tids), tids
    assert set(tids) <= proc_threads(w["pid"]), tids

    # Still serving, in parallel.
    for _ in range(5):
        r = s.get("/hello.txt", timeout=5)
        assert r.status == 200, r
    assert not h.done.is_set(), h.response
    return s, w, js


@pytest.mark.slow
def test_event_proxy_backend(make_server):
    proxy_backend_seen(make_server, "event", 8)
