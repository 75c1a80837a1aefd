# SPDX-License-Identifier: Apache-2.0
"""GuardFpmStatus: a real php-fpm 8.2 (its own config, pool of www-data,
pm static with 4 workers, on a unix socket or TCP) behind event or worker
and mod_proxy_fcgi. /guard-status lists every FPM worker, joins a request
sleeping in PHP to the httpd worker waiting on it (or says "ambiguous"),
counts stuck FPM workers and shows a full pool; an FPM that is stopped, a
status socket that never answers and one that speaks garbage leave every
page answering at once, saying why the status could not be read."""

import os
import re
import signal
import time

import pytest

import guardtest
from fpm import Fpm, FakeStatus
from guardtest import (HangingRequest, MODULES_DIR, free_port,
                       parse_prometheus, promtool_check, prom_values)
from waiting import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/sbin/php-fpm8.2"),
                                reason="php8.2-fpm is not installed")

SLEEP_PHP = """<?php
$t = (float)($_GET['t'] ?? 1);
$end = microtime(true) + $t;
while (microtime(true) < $end) { usleep(20000); }
echo "slept\\n";
"""

BASE = """\
LoadModule proxy_fcgi_module {moddir}/mod_proxy_fcgi.so
GuardStuckThreshold 2s
GuardWatchInterval 100ms
GuardFpmInterval 500ms
GuardStatusShowQuery On
<FilesMatch "\\.php$">
    SetHandler "{handler}"
</FilesMatch>
{more}
"""


@pytest.fixture
def fpms():
    made = []

    def make(**kw):
        f = Fpm(**kw)
        made.append(f)
        return f.start()
    yield make
    for f in made:
        f.cleanup()


def server_for(make_server, fpm, mpm, status=None, more=""):
    if fpm.sock:
        handler = "proxy:unix:%s|fcgi://localhost" % fpm.sock
    else:
        handler = "proxy:fcgi://%s" % fpm.listen
    lines = [more]
    for st in (status or [fpm.guard_address]):
        lines.append("GuardFpmStatus %s" % st)
    s = make_server(BASE.format(moddir=MODULES_DIR, handler=handler,
                                more="\n".join(lines)), mpm=mpm, start=False)
    s.add_page("sleep.php", SLEEP_PHP)
    s.start()
    return s


def pool_of(js, i=0):
    return js["fpm"]["pools"][i]


def wait_pool(s, pred, what, timeout=10, i=0):
    def probe():
        p = pool_of(s.guard_json(), i)
        return p if pred(p) else None
    return wait_for(probe, timeout, interval=0.1, what=what)


def fpm_worker(pool, uri):
    return [w for w in pool["workers"] if w["uri"] == uri]


def end_sleepers(s, f, hs):
    """The sleeping FPM workers killed (the master starts others), so that
    stopping httpd does not wait for them; httpd's proxy says so."""
    s.expect_log(r"\[proxy_fcgi:error\]|\[proxy:error\]")
    for h in hs:
        h.close()
    for pid in f.workers():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def timed_get(s, fmt):
    t0 = time.monotonic()
    r = s.guard_get(fmt, timeout=5)
    return r, time.monotonic() - t0


def test_unix_event_join_ambiguous_stuck(fpms, make_server):
    f = fpms()
    s = server_for(make_server, f, "event")
    p = wait_pool(s, lambda p: p["read"] == "ok", "first read")
    # Every FPM worker, by pid, as /proc has them.
    assert sorted(w["pid"] for w in p["workers"]) == f.workers()
    assert p["pool"] == "guardtest" and p["process_manager"] == "static"
    assert p["counts"]["total"] == 4
    one = "/sleep.php?id=one&t=5"
    same = "/sleep.php?id=same&t=5"
    hs = [HangingRequest(s.port, u) for u in (one, same, same)]
    try:
        def joined(p):
            waits = {}
            for w in p["waiting"]:
                waits.setdefault(w["uri"], []).append(w)
            ok = (len(waits.get(one, [])) == 1
                  and waits[one][0]["join"] == "joined"
                  and len(waits.get(same, [])) == 2
                  and all(w["join"] == "ambiguous" for w in waits[same]))
            return ok and waits
        p = wait_pool(s, joined, "join of the sleeping requests")
        waits = joined(p)
        fw = fpm_worker(p, one)
        assert len(fw) == 1 and fw[0]["state"] == "Running", p["workers"]
        assert waits[one][0]["fpm_pid"] == fw[0]["pid"]
        assert fw[0]["pid"] in f.workers()
        assert fw[0]["httpd_worker"] == waits[one][0]["httpd_worker"]
        assert fw[0]["duration_ms"] > 500
        assert all(w["httpd_worker"] is None for w in fpm_worker(p, same))
        # The waiting httpd worker is the one ?json lists with that request.
        hw = guardtest.find_worker(s.guard_json(), "id=one")
        assert hw["pid"] == waits[one][0]["httpd_worker"]["pid"]
        html = s.guard_get().text
        assert "FPM worker %d" % fw[0]["pid"] in html
        assert "ambiguous" in html
        # Past GuardStuckThreshold (2 s): stuck, counted.
        p = wait_pool(s, lambda p: p["stuck"] >= 3, "stuck FPM workers",
                      timeout=6)
        assert all(w["stuck"] for w in p["workers"] if w["uri"] in (one, same))
        js = s.guard_json()
        assert js["fpm"]["stuck"] >= 3
        assert "FpmStuckWorkers: 3" in s.guard_get("auto").text
        prom = s.guard_get("prometheus").text
        rc, out = promtool_check(prom)
        assert rc == 0, out
        vals = prom_values(parse_prometheus(prom), "guard_fpm_stuck_workers")
        assert vals == [3.0], vals
        # One reader: a child of httpd, never the parent.
        assert p["reader_pid"] in [c for c in s.children()], p
    finally:
        end_sleepers(s, f, hs)


def test_full_pool_through_status_listen(fpms, make_server):
    f = fpms(status_listen=True)
    s = server_for(make_server, f, "event",
                   status=["unix:" + f.status_sock])
    wait_pool(s, lambda p: p["read"] == "ok", "first read")
    hs = [HangingRequest(s.port, "/sleep.php?id=full%d&t=2.5" % i)
          for i in range(5)]
    try:
        p = wait_pool(s, lambda p: p["full"], "a full pool")
        assert p["counts"]["active"] == p["counts"]["total"] == 4
        html = s.guard_get().text
        assert "Pool full" in html and "outage" in html
        assert "full=1" in s.guard_get("auto").text
    finally:
        end_sleepers(s, f, hs)


def test_tcp_worker(fpms, make_server):
    f = fpms(listen="tcp", port=free_port())
    s = server_for(make_server, f, "worker")
    p = wait_pool(s, lambda p: p["read"] == "ok", "first read")
    assert sorted(w["pid"] for w in p["workers"]) == f.workers()
    uri = "/sleep.php?id=tcp&t=3"
    h = HangingRequest(s.port, uri)
    try:
        p = wait_pool(s, lambda p: any(w["join"] == "joined"
                                       for w in p["waiting"]),
                      "join over TCP")
        w = p["waiting"][0]
        assert w["uri"] == uri
        assert w["fpm_pid"] == fpm_worker(p, uri)[0]["pid"]
    finally:
        end_sleepers(s, f, [h])


def test_unreadable_status(fpms, make_server):
    gone = fpms()
    silent = FakeStatus(gone.root, "silent")
    garbage = FakeStatus(gone.root, "garbage")
    try:
        s = server_for(make_server, gone, "event",
                       status=[gone.guard_address, "unix:" + silent.path,
                               "unix:" + garbage.path])
        wait_pool(s, lambda p: p["read"] == "ok", "first read")
        gone.stop()
        js = wait_for(lambda: (lambda j: all(
            p["read"] == "failed" for p in j["fpm"]["pools"]) and j)(
                s.guard_json()), 10, what="three failed reads")
        pools = js["fpm"]["pools"]
        assert pools[0]["last_ok"] is not None
        assert re.search(r"connect: (No such file|Connection refused)",
                         pools[0]["error"]), pools[0]
        assert pools[1]["error"] == "no answer in time"
        assert pools[1]["last_ok"] is None
        assert pools[2]["error"] == "not FastCGI (bad version byte)"
        for fmt in ("", "json", "auto", "prometheus"):
            r, took = timed_get(s, fmt)
            assert r.status == 200 and took < 1.0, (fmt, took)
        html = s.guard_get().text
        assert "The status could not be read: no answer in time" in html
        assert "Last read" in html
        assert s.count_log(r"GRD0800: status of unix:\S+silent\S* /status "
                           r"could not be read: no answer in time") >= 1
    finally:
        silent.close()
        garbage.close()
