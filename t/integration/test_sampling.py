# SPDX-License-Identifier: Apache-2.0
"""When the watchdog samples: once a request is older than
min(1 s, GuardStuckThreshold), then every GuardWatchInterval while the
wait changes, less often while it does not."""

import time

import pytest

from guardtest import wait_worker

BASE = "StartServers 3\nMinSpareServers 2\nMaxSpareServers 6\n"


def sleeping(w):
    return w["wait"] is not None and w["wait"]["kind"] == "sleep"


@pytest.mark.slow
def test_short_threshold_samples_early(make_server):
    s = make_server(BASE + "GuardStuckThreshold 300ms\n"
                    "GuardWatchInterval 50ms\n")
    s.hang("/sleep.php?us=5000000")
    w, js = wait_worker(s, "/sleep.php", lambda w: w["stuck"] and
                        sleeping(w), timeout=3, what="stuck sleep")
    assert w["elapsed_ms"] < 900, "sampled late for a 300ms threshold: %s" % w
    assert js["server"]["stuck_threshold_ms"] == 300
    assert js["server"]["watch_interval_ms"] == 50


@pytest.mark.slow
def test_long_threshold_samples_at_1s_without_stuck(make_server):
    s = make_server(BASE + "GuardStuckThreshold 5s\n")
    h = s.hang("/sleep.php?us=4000000")
    w, js = wait_worker(s, "/sleep.php", lambda w: w["elapsed_ms"] > 500,
                        timeout=3)
    assert w["elapsed_ms"] < 950, "seen too late to check: %s" % w
    assert w["wait"] is None, "sampled before 1 s: %s" % w
    w, js = wait_worker(s, "/sleep.php", sleeping, timeout=2.5,
                        what="sampled sleep")
    assert w["elapsed_ms"] >= 1000, w
    assert w["stuck"] is False, w
    assert js["summary"]["stuck"] == 0, js["summary"]
    assert js["server"]["watch_interval_ms"] == 100      # the default
    assert h.age() < 4


@pytest.mark.slow
@pytest.mark.parametrize("interval,period,low,high", [
    ("100ms", 1.0, 5, 15),
    ("500ms", 2.0, 2, 6),
])
def test_watch_interval_paces_samples(make_server, interval, period, low,
                                      high):
    s = make_server(BASE + "GuardStuckThreshold 1s\nGuardWatchInterval %s\n"
                    % interval)
    s.hang("/sleep.php?us=8000000")
    w, js = wait_worker(s, "/sleep.php", sleeping, timeout=3,
                        what="sampled sleep")
    n0 = js["counters"]["samples_total"]
    t0 = time.monotonic()
    time.sleep(period)
    js = s.guard_json()
    dt = time.monotonic() - t0
    n = js["counters"]["samples_total"] - n0
    assert low <= n <= high * dt / period, \
        "%d samples in %.2f s with GuardWatchInterval %s" % (n, dt, interval)


@pytest.mark.slow
def test_long_unchanged_waits_are_sampled_less_often(make_server):
    """A worker that stays in the same wait is looked at after a quarter of
    the time it has been in it (at least every second): thousands of
    sleeping workers cost little. A request with a GuardBackendTimeout on
    a backend keeps the full pace (test_backend_timeout's cut latency)."""
    s = make_server(BASE + "GuardStuckThreshold 1s\n")
    s.hang("/sleep.php?us=9000000")
    w, js = wait_worker(s, "/sleep.php",
                        lambda w: sleeping(w) and w["elapsed_ms"] >= 3000,
                        timeout=6, what="a sleep sampled for 3 s")
    n0 = js["counters"]["samples_total"]
    time.sleep(2.0)
    w, js = wait_worker(s, "/sleep.php", sleeping, timeout=1)
    n = js["counters"]["samples_total"] - n0
    # 20 at the 100 ms interval; in the same wait for 2 to 4 s: 500 ms to
    # 1 s apart.
    assert 1 <= n <= 6, "%d samples in 2 s of an unchanged sleep" % n
    assert w["wait"]["kind"] == "sleep" and w["stuck"] is True, w
