# SPDX-License-Identifier: Apache-2.0
"""GuardBackendTimeout's max= and minrate=: a backend exchange that
trickles is never idle, yet may run no longer than max=, and no longer
than the idle timeout plus one second for every minrate= bytes it has
received. Real prefork + mod_php (bt_read.php reads a loopback backend
to its end) and event + mod_proxy_http, real backends on loopback."""

import re
import socket
import time

import pytest

import guardtest
from guardtest import wait_for
from peers import Responder, trickle
from test_backend_timeout import BASE, resp, timed, wait_done

# The tests that wait 8 s for bytes to buy time run in the main build; the
# sanitizer build (the whole suite again, slower) runs the others.
MAIN_BUILD_ONLY = pytest.mark.skipif(
    guardtest.SANITIZED, reason="timing of bought seconds: main build only")

# A cut by a limit other than idle, as GRD0300 says it.
LIMIT_LINE = (r"GRD0300: backend cut: pid \d+ tid \d+ \"GET %s[^\"]*\" .* "
              r"GuardBackendTimeout %s \(exchange ([\d.]+) s, (\d+) bytes "
              r"received%s\)")


def steady(rate, seconds, chunk=100):
    """Responder handler: rate bytes a second, in chunks, for seconds; then
    close."""
    def handler(conn, info):
        conn.settimeout(0.05)
        try:
            conn.recv(65536)
        except (socket.timeout, OSError):
            pass
        conn.settimeout(None)
        sent, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < seconds:
            conn.sendall(b"y" * chunk)
            sent += chunk
            info["sent"] = sent
            time.sleep(chunk / float(rate))
        conn.shutdown(socket.SHUT_WR)
    return handler


def burst_then_trickle(burst, nbytes, interval):
    """Responder handler: burst bytes at once, then one byte every
    interval seconds, nbytes of them, then close."""
    inner = trickle(nbytes, interval)

    def handler(conn, info):
        conn.sendall(b"z" * burst)
        info["burst_at"] = time.monotonic()
        inner(conn, info)
    return handler


def by_limit(s):
    return s.guard_json()["counters"]["backend_cuts_by_limit"]


def cut_at(s, h, tb, timeout):
    """The page's response once cut, and when (seconds after the
    backend accepted)."""
    wait_done(h, timeout, "the cut")
    r = resp(h)
    return r, h.done_at - tb.infos[0]["accepted_at"]


def test_trickle_cut_at_max(make_server):
    """A byte a second is never idle: max= ends the exchange at 5 s, and
    GRD0300 says max= with the exchange's age and bytes."""
    s = make_server(BASE + "GuardBackendTimeout 2s max=5s\n")
    tb = s.adopt(Responder(trickle(60, 1.0)))
    h = timed(s, "/bt_read.php?port=%d" % tb.port)
    wait_for(lambda: tb.accepted, 5, what="the backend's accept")
    r, at = cut_at(s, h, tb, 12)
    assert "eof after" in r.text and 4.5 <= at <= 6.5, (at, r.text)
    line = wait_for(lambda: re.search(LIMIT_LINE % ("/bt_read.php", "max=5s",
                                                    ""), s.log_text()),
                    3, what="GRD0300 saying max=")
    assert 4.8 <= float(line.group(1)) <= 6.0, line.group(0)
    assert 3 <= int(line.group(2)) <= 7, line.group(0)
    assert by_limit(s) == {"max": 1, "minrate": 0}
    assert s.guard_json()["counters"]["backend_cuts_total"] == 1


@MAIN_BUILD_ONLY
def test_minrate_bytes_buy_time(make_server):
    """minrate=500: a burst of 3,000 bytes buys 6 s more than the idle
    timeout, a trickle after it buys nothing more: cut at about 2 + 6 s,
    by minrate=."""
    s = make_server(BASE + "GuardBackendTimeout 2s minrate=500\n")
    tb = s.adopt(Responder(burst_then_trickle(3000, 60, 1.0)))
    h = timed(s, "/bt_read.php?port=%d" % tb.port)
    wait_for(lambda: tb.accepted, 5, what="the backend's accept")
    r, at = cut_at(s, h, tb, 15)
    assert 7.5 <= at <= 9.5, (at, r.text)
    line = wait_for(lambda: re.search(
        LIMIT_LINE % ("/bt_read.php", "minrate=500", r" buy (\S+)"),
        s.log_text()), 3, what="GRD0300 saying minrate=")
    assert int(line.group(2)) >= 3000, line.group(0)
    assert line.group(3) == "8s", line.group(0)
    assert by_limit(s) == {"max": 0, "minrate": 1}


@MAIN_BUILD_ONLY
def test_steady_rate_not_cut(make_server):
    """2,000 bytes a second for 8 s under minrate=500 (each second buys
    four): never cut, all 16,000 bytes read."""
    s = make_server(BASE + "GuardBackendTimeout 2s minrate=500\n")
    tb = s.adopt(Responder(steady(2000, 8)))
    h = timed(s, "/bt_read.php?port=%d" % tb.port)
    wait_done(h, 15, "the steady backend's end")
    r = resp(h)
    m = re.search(r"got (\d+) bytes", r.text)
    assert m and int(m.group(1)) == tb.infos[0]["sent"] >= 15000, r.text
    assert h.elapsed() >= 7.5, h.elapsed()
    assert "GRD0300" not in s.log_text()
    assert by_limit(s) == {"max": 0, "minrate": 0}


def test_event_proxy_trickle_cut_at_max(make_server):
    """event + mod_proxy_http: a backend that trickles its status line
    is cut at max=, and mod_proxy answers 502."""
    tb = Responder(trickle(60, 1.0))
    s = make_server("GuardBackendTimeout 2s max=4s\n"
                    "ProxyPass /slow http://127.0.0.1:%d/ timeout=600\n"
                    % tb.port, mpm="event")
    s.adopt(tb)
    s.expect_log(r"AH01102|AH00898|AH01097")
    h = timed(s, "/slow/x")
    wait_for(lambda: tb.accepted, 5, what="the backend's accept")
    r, at = cut_at(s, h, tb, 10)
    assert r.status == 502 and 3.5 <= at <= 5.5, (r.status, at)
    assert re.search(LIMIT_LINE % ("/slow/x", "max=4s", ""), s.log_text())
    assert by_limit(s) == {"max": 1, "minrate": 0}


BAD = [
    ('2s max=1s', 'max=1s'),
    ('2s max=abc', 'max=abc'),
    ('2s max=25h', 'max=25h'),
    ('2s minrate=0', 'minrate=0'),
    ('2s minrate=12x', 'minrate=12x'),
    ('2s minrate=', 'minrate='),
    ('2s minrate=2000000000', 'minrate=2000000000'),
    ('2s max=5s max=6s', 'max=6s'),
    ('2s minrate=5 minrate=6', 'minrate=6'),
    ('2s cut log', 'log'),
    ('2s sometimes', 'sometimes'),
    ('Off max=5s', 'max=5s'),
    ('2s max=5s minrate=5 cut extra', None),
]


@pytest.mark.parametrize("args,quoted", BAD, ids=[b[0] for b in BAD])
def test_bad_limits_refused(make_server, args, quoted):
    s = make_server("GuardBackendTimeout %s\n" % args, start=False)
    rc, out = s.configtest()
    assert rc != 0 and "Syntax OK" not in out, out
    assert "GuardBackendTimeout" in out, out
    if quoted:
        assert '"%s"' % quoted in out, out


def test_good_limits_pass(make_server):
    s = make_server("GuardBackendTimeout 2s max=2s minrate=1 log\n"
                    "<Location /x>\n"
                    "    GuardBackendTimeout 5s minrate=1000000000\n"
                    "</Location>\n", start=False)
    rc, out = s.configtest()
    assert rc == 0, out
