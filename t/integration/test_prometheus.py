# SPDX-License-Identifier: Apache-2.0
"""?prometheus passes promtool with idle, busy and stuck workers, and its
numbers match the JSON view of the same moment."""

import pytest

from guardtest import (parse_prometheus, prom_values, promtool_check,
                       wait_worker)

SNIPPET = """\
StartServers 4
MinSpareServers 2
MaxSpareServers 8
GuardStuckThreshold 2s
GuardWatchInterval 100ms
"""


@pytest.mark.slow
def test_prometheus_with_idle_busy_stuck(make_server):
    s = make_server(SNIPPET)
    bh = s.blackhole()
    s.hang("/backend.php?port=%d" % bh.port)
    bh.wait_accepted()
    wait_worker(s, "/backend.php",
                lambda w: w["stuck"] and w["wait"] is not None and
                w["wait"]["kind"] == "backend", timeout=5,
                what="stuck backend request")
    s.hang("/sleep.php?us=10000000")
    w, js = wait_worker(s, "/sleep.php",
                        lambda w: (w["elapsed_ms"] or 0) >= 200, timeout=3,
                        what="sleeping request at least 200 ms old")
    assert w["stuck"] is False and w["state"] == "busy", w

    r = s.guard_get("prometheus")
    assert r.status == 200, r
    assert r.ctype.startswith("text/plain"), r
    text = r.text
    rc, out = promtool_check(text)
    assert rc == 0, "promtool check metrics failed:\n%s\n---\n%s" % (out, text)

    m = parse_prometheus(text)
    assert prom_values(m, "guard_workers_stuck") == [1.0], text
    assert prom_values(m, "guard_workers", state="busy")[0] >= 3, text
    assert prom_values(m, "guard_workers", state="idle")[0] >= 1, text
    for st in ("idle", "read", "busy", "keepalive"):
        assert len(prom_values(m, "guard_workers", state=st)) == 1, (st, text)
    assert prom_values(m, "guard_requests_total")[0] >= 2, text
    assert prom_values(m, "guard_stuck_requests_total")[0] >= 1, text
    assert prom_values(m, "guard_restarts_total") == [0.0], text

    durations = [(l, v) for n, l, v in m
                 if n == "guard_worker_request_duration_seconds"]
    back = [(l, v) for l, v in durations if l.get("wait") == "backend"]
    assert len(back) == 1, durations
    labels, secs = back[0]
    assert secs >= 2.0, back
    assert labels["state"] == "busy", labels
    for k in ("child", "thread"):
        assert labels[k].isdigit(), labels
    # Series follow the slot, not the process: a recycled child keeps them.
    assert "pid" not in labels and "tid" not in labels, labels
    sleeping = [(l, v) for l, v in durations if 0 < v < 2.0 and
                l.get("state") == "busy" and l.get("wait") != "backend"]
    assert sleeping, durations

    info = [l for n, l, v in m if n == "guard_worker_info"]
    uris = [l.get("uri") for l in info]
    assert "/backend.php?..." in uris, info
    assert "/sleep.php?..." in uris, info
    for l in info:
        for k in ("method", "vhost", "client", "uri", "child", "thread"):
            assert k in l, l

    # ?pids (or pids=, as Prometheus' params send it) adds the process
    # and thread ids, which JSON gives for the same slot.
    js = s.guard_json()
    slots = {(str(w["child"]), str(w["thread"])): w for w in js["workers"]}
    for query in ("prometheus&pids", "prometheus=&pids="):
        r = s.guard_get(query)
        rc, out = promtool_check(r.text)
        assert rc == 0, "promtool check metrics failed:\n%s\n---\n%s" \
            % (out, r.text)
        series = [(l, v) for n, l, v in parse_prometheus(r.text)
                  if n == "guard_worker_stuck"]
        for l, v in series:
            assert l["pid"].isdigit() and l["tid"].isdigit(), l
        stuck = [l for l, v in series if v == 1]
        assert len(stuck) == 1, series
        w = slots[(stuck[0]["child"], stuck[0]["thread"])]
        assert w["stuck"], (stuck, w)
        assert stuck[0]["pid"] == str(w["pid"]), (stuck, w)
        assert stuck[0]["tid"] == str(w["tid"]), (stuck, w)
