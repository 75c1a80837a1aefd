# SPDX-License-Identifier: Apache-2.0
"""`scripts/demo fpm` as a newcomer runs it (with the module of this build,
GUARD_DEMO_SO, instead of setup-deps and a build of its own): event +
HTTP/2 + the demo's own php-fpm on 127.0.0.1:8080; /guard-status shows the
pool www with its 4 workers, full of seed 001's pile-up, over HTTP/1.1,
h2c and h2; GRD0400 names the streams behind the FPM waiters; the cut of
hang.php's FPM socket names the FPM worker holding the session lock;
`scripts/demo stop` ends httpd, its php-fpm and the blackhole."""

import os
import re
import subprocess

import pytest

import guardtest
from guardtest import port_answers
from h2client import H2Connection
from waiting import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(REPO, "scripts", "demo")
DEMO_DIR = "/tmp/mod_guard-demo"
PORTS = (8080, 8081, 8099, 8443)

pytestmark = [
    pytest.mark.skipif(not os.path.exists("/usr/sbin/php-fpm8.2"),
                       reason="php8.2-fpm is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the demo runs as root"),
    # The demo's httpd runs without the sanitizer runtimes the harness
    # preloads: a sanitized module would not load there.
    pytest.mark.skipif(guardtest.SANITIZED, reason="sanitizer build"),
]


def pid_of(name):
    try:
        with open(os.path.join(DEMO_DIR, "run", name)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def demo(*args, timeout=30):
    env = dict(os.environ, GUARD_DEMO_SO=guardtest.GUARD_SO)
    return subprocess.run([DEMO] + list(args), env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def test_demo_fpm_shows_the_pool():
    busy = [p for p in PORTS if port_answers(p)]
    if busy:
        pytest.skip("ports in use (a demo running?): %s" % busy)
    fpm_pid = httpd_pid = None
    try:
        r = demo("fpm")
        assert r.returncode == 0, r.stdout
        assert "/guard-status" in r.stdout and "PHP-FPM" in r.stdout
        fpm_pid, httpd_pid = pid_of("php-fpm.pid"), pid_of("httpd.pid")
        assert fpm_pid and httpd_pid, r.stdout
        js = guardtest.get(8080, "/guard-status?json", timeout=5).json()
        pool = js["fpm"]["pools"][0]
        assert pool["pool"] == "www" and pool["read"] == "ok", pool
        assert pool["process_manager"] == "static", pool
        assert len(pool["workers"]) == 4, pool
        assert pool["full"], pool
        assert any(w["uri"] == "/hang.php" for w in pool["workers"]), pool
        # The pile-up's requests are HTTP/2 streams.
        assert any(w["kind"] == "http2" for w in js["workers"]), js["workers"]
        # After 8 s hang.php's FPM socket is cut: GRD0300 names the FPM
        # worker holding the session lock, its waiters behind it.
        holder = [w["pid"] for w in pool["workers"] if w["uri"] == "/hang.php"]
        log = os.path.join(DEMO_DIR, "logs", "error.log")

        def cut():
            with open(log) as f:
                return [l for l in f if "GRD0300" in l]
        lines = wait_for(cut, 12, interval=0.2, what="GRD0300 of hang.php")
        assert re.search(r"FPM worker %d of pool www serves it \(\"GET "
                         r"/hang.php\", running [\d.]+ s\), holds watched lock "
                         r"%s/sessions/sess_#[0-9a-f]{8} \(flock, 3 waiting\)$"
                         % (holder[0], DEMO_DIR), lines[0].rstrip()), lines
        # GRD0400 names the httpd request behind each FPM waiter: three
        # HTTP/2 streams "/pileup.php?..." (queries hidden), told apart by
        # their queries' hashes.
        def chain():
            with open(log) as f:
                return [l for l in f if "GRD0400" in l]
        line = wait_for(chain, 5, interval=0.2, what="GRD0400")[0]
        assert len(re.findall(r"\d+: GET /pileup\.php\?\.\.\. \(pid \d+ "
                              r"tid \d+\)", line)) == 3, line
        for port, tls in ((8080, False), (8443, True)):
            c = H2Connection(port, tls=tls)
            try:
                st = c.get("/guard-status")
                assert st.done.wait(5) and st.status == 200, (port, st.status)
                assert b"www" in st.data
            finally:
                c.close()
    finally:
        r = demo("stop")
    assert r.returncode == 0, r.stdout
    for pid in (p for p in (fpm_pid, httpd_pid) if p):
        wait_for(lambda: not guardtest.proc_alive(pid), 10,
                 what="pid %s gone" % pid)
    assert not any(port_answers(p) for p in PORTS)
