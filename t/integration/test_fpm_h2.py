# SPDX-License-Identifier: Apache-2.0
"""HTTP/2 + PHP-FPM, Debian's modern stack: an h2c stream (prior
knowledge) to a PHP page that a real php8.2-fpm serves behind
mod_proxy_fcgi, sleeping. The stream's row, on one of mod_http2's own
threads, is joined on ?json to the FPM worker serving it, and
GuardBackendTimeout's cut of the FPM socket logs GRD0300 naming that FPM
worker's pid and request."""

import os
import re

import pytest

from guardtest import MODULES_DIR
from h2client import H2Connection
from test_fpm import (end_sleepers, fpm_worker, fpms, server_for,  # noqa: F401
                      wait_pool)
from test_fpm_chain import (CHAIN_RE, chain_server, fpm_chain,  # noqa: F401
                            fpm_worker_serving, pools)
from test_fpm_cut import wait_cut
from test_http2 import wait_stream
from waiting import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/sbin/php-fpm8.2"),
                                reason="php8.2-fpm is not installed")

TIMEOUT = 3
H2_FPM = """\
LoadModule http2_module {moddir}/mod_http2.so
Protocols h2c http/1.1
GuardBackendTimeout {timeout}s
"""


def test_h2_stream_joined_to_fpm_worker_and_cut(fpms, make_server):
    f = fpms()
    s = server_for(make_server, f, "event",
                   more=H2_FPM.format(moddir=MODULES_DIR, timeout=TIMEOUT))
    wait_pool(s, lambda p: p["read"] == "ok", "first read")
    uri = "/sleep.php?id=h2&t=8"
    c = H2Connection(s.port)
    try:
        st = c.get(uri)
        p = wait_pool(s, lambda p: any(w["uri"] == uri and
                                       w["join"] == "joined"
                                       for w in p["waiting"]),
                      "the stream joined to its FPM worker")
        w = [w for w in p["waiting"] if w["uri"] == uri][0]
        fw = fpm_worker(p, uri)
        assert len(fw) == 1 and w["fpm_pid"] == fw[0]["pid"], p
        assert fw[0]["pid"] in f.workers()
        # The waiting httpd worker is the stream's row, on an HTTP/2
        # worker thread of mod_http2's.
        row = wait_stream(s, st, lambda r: r["wait"] and
                          r["wait"]["kind"] == "backend")
        assert row["kind"] == "http2" and row["protocol"] == "HTTP/2.0"
        assert row["wait"]["peer"] == f.guard_address, row
        hw = w["httpd_worker"]
        assert (hw["pid"], hw["tid"]) == (row["pid"], row["tid"]), (hw, row)
        assert fw[0]["httpd_worker"]["tid"] == row["tid"]
        line = wait_cut(s, uri)
        assert re.search(r"to %s blocked .*, FPM worker %d of pool guardtest "
                         r"serves it \(\"GET %s\", running [\d.]+ s\), holds "
                         r"no lock$" % (re.escape(f.guard_address),
                                        fw[0]["pid"], re.escape(uri)),
                         line), line
        assert st.done.wait(5), "the stream was not answered after its cut"
        assert st.status in (500, 502, 503), st.status
    finally:
        c.close()
        end_sleepers(s, f, [])



def h2_pile_up(s, sid, conns):
    """hang.php holds the session's lock (HTTP/1.1); three waiters of the
    same session follow as HTTP/2 streams of one connection (stream ids
    tell their rows apart)."""
    bh = s.blackhole()
    hang = s.hang("/hang.php?sid=%s&port=%d" % (sid, bh.port))
    wait_for(lambda: bh.accepted >= 1, 5, what="hang.php on the blackhole")
    fpm_worker_serving(s, "sid=%s&" % sid)
    conns.append(H2Connection(s.port))
    sts = [conns[0].get("/wait.php?sid=%s&n=%d" % (sid, i))
           for i in range(1, 4)]
    return bh, hang, sts


def test_h2_streams_behind_fpm_waiters(pools, make_server):
    """The demo's pile-up: the httpd requests behind FPM waiters came as
    HTTP/2 streams, their queries hidden (GuardStatusShowQuery Off, the
    default). All three are "/wait.php?...", which the path could not
    tell apart ("unknown"); each request's query hash does: they are
    named on ?json and in GRD0400."""
    f = pools(status_listen=True)
    s = chain_server(make_server, f, end_holder=False,
                     more=H2_FPM.format(moddir=MODULES_DIR, timeout=600)
                     + "GuardStatusShowQuery Off\n")
    conns = []
    try:
        bh, hang, sts = h2_pile_up(s, "h2w", conns)

        def joined(j):
            fw = [w for w in (fpm_chain(j) or {}).get("waiters", [])
                  if w["fpm"]]
            return len(fw) == 3 and all(w["httpd_request"] != "unknown"
                                        for w in fw) and fw
        fw = wait_for(lambda: joined(s.guard_json()), 5,
                      what="three FPM waiters and the streams behind them")
        by_pid = dict((w["pid"], w) for w in fw)
        for i, st in enumerate(sts):
            # The FPM worker serving ?n=i+1 and the stream that asked it.
            w = by_pid[fpm_worker_serving(s, "n=%d" % (i + 1))]
            row = wait_stream(s, st)
            assert w["httpd_request"] == "GET /wait.php?... HTTP/2.0", w
            assert (w["httpd_worker"]["pid"], w["httpd_worker"]["tid"]) \
                == (row["pid"], row["tid"]), (w, row)
        line = wait_for(lambda: [x for x in s.log_text().splitlines()
                                 if re.search(CHAIN_RE, x)], 3,
                        what="GRD0400")[0]
        assert len(re.findall(r"\d+: GET /wait\.php\?\.\.\. \(pid",
                              line)) == 3, line
        bh.release()
        for st in sts:
            assert st.done.wait(10), st.path
            assert st.status == 200, st.status
    finally:
        for conn in conns:
            conn.close()
