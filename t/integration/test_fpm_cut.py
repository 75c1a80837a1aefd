# SPDX-License-Identifier: Apache-2.0
"""GuardBackendTimeout cutting a PHP-FPM socket: GRD0300 says what goes on
behind it. Seed 001 on FPM: hang.php holds its session lock and waits on
a silent backend inside a real php8.2-fpm worker, a second request of the
same session waits in flock() inside another; the cut of the holder's
socket names the FPM worker, its request, and the watched lock it holds
with its waiter; at debug, that the worker still runs after the cut (the
cut frees httpd's worker only). Identical requests are said ambiguous."""

import os
import re
import shutil
import tempfile

import pytest

from fpm import RUN_USER
from guardtest import free_port
from test_fpm import (SLEEP_PHP, end_sleepers, fpms, server_for,  # noqa: F401
                      wait_pool)
from waiting import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/sbin/php-fpm8.2"),
                                reason="php8.2-fpm is not installed")

TIMEOUT = 3
SESSION = "guardcut0123456789abcdef"

HANG_PHP = """<?php
session_start();
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
$s = fsockopen('127.0.0.1', (int)$_GET['port'], $errno, $errstr, 5);
stream_set_timeout($s, 600);
fread($s, 1);
echo "done\\n";
"""

WAIT_PHP = """<?php
session_start();
echo "got the session\\n";
"""


def session_dir():
    d = tempfile.mkdtemp(prefix="guardtest-sess-")
    shutil.chown(d, RUN_USER, RUN_USER)
    os.chmod(d, 0o700)
    return d


def cut_lines(s, uri):
    return [l for l in s.log_text().splitlines()
            if "GRD0300: backend cut" in l and '"GET %s"' % uri in l]


def wait_cut(s, uri, timeout=TIMEOUT + 4):
    return wait_for(lambda: (cut_lines(s, uri) or [None])[0], timeout,
                    interval=0.1, what="GRD0300 of %s" % uri)


def test_cut_names_fpm_worker_and_its_watched_lock(fpms, make_server):
    sess = session_dir()
    try:
        f = fpms(extra="php_admin_value[session.save_path] = %s" % sess)
        s = server_for(make_server, f, "event", more="\n".join([
            "GuardBackendTimeout %ds" % TIMEOUT,
            "GuardLockWatch %s/sess_* 1s" % sess]))
        bh = s.blackhole()
        s.add_page("hang.php", HANG_PHP)
        s.add_page("wait.php", WAIT_PHP)
        wait_pool(s, lambda p: p["read"] == "ok", "first read")
        cookie = {"Cookie": "PHPSESSID=" + SESSION}
        hang = "/hang.php?port=%d" % bh.port
        hs = [s.hang(hang, headers=cookie)]
        bh.wait_accepted()
        hs.append(s.hang("/wait.php?w=1", headers=cookie))
        try:
            p = wait_pool(s, lambda p: any(
                w["join"] == "joined" and w["uri"] == hang
                for w in p["waiting"]), "the holder joined")
            holder = [w for w in p["waiting"] if w["uri"] == hang][0]
            pid = holder["fpm_pid"]
            assert pid in f.workers()
            line = wait_cut(s, hang)
            assert re.search(
                r"to unix:%s blocked [\d.]+ s, no idle time \(not a TCP "
                r"socket\), GuardBackendTimeout %ds.*, FPM worker %d of pool "
                r"guardtest serves it \(\"GET %s\", running [\d.]+ s\), "
                r"holds watched lock %s/sess_%s \(flock, 1 waiting\)$"
                % (re.escape(f.sock), TIMEOUT, pid, re.escape(hang),
                   re.escape(sess), SESSION), line), line
            # The waiter's own cut: its FPM worker waits, holding nothing.
            line = wait_cut(s, "/wait.php?w=1")
            assert re.search(r"FPM worker \d+ of pool guardtest serves it "
                             r"\(\"GET /wait.php\?w=1\", running [\d.]+ s\),"
                             r" holds no lock$", line), line
            # The cut answered the client; the FPM worker goes on.
            assert wait_for(lambda: hs[0].done.is_set(), 5,
                            what="the holder's client answered")
            assert pid in f.workers()
            wait_for(lambda: s.count_log(
                r"GRD0303: FPM worker %d of pool unix:%s still serves "
                r"\"GET /hang.php\" [\d.]+ s after its socket was cut"
                % (pid, re.escape(f.sock))), 5, interval=0.1,
                what="GRD0303 of the holder")
        finally:
            end_sleepers(s, f, hs)
    finally:
        shutil.rmtree(sess, ignore_errors=True)


def test_identical_requests_cut_said_ambiguous(fpms, make_server):
    """Over TCP, under worker."""
    f = fpms(listen="tcp", port=free_port())
    s = server_for(make_server, f, "worker",
                   more="GuardBackendTimeout %ds" % TIMEOUT)
    wait_pool(s, lambda p: p["read"] == "ok", "first read")
    same = "/sleep.php?id=same&t=8"
    hs = [s.hang(same), s.hang(same)]
    try:
        wait_for(lambda: len(cut_lines(s, same)) == 2, TIMEOUT + 4,
                 interval=0.1, what="two cuts")
        for line in cut_lines(s, same):
            assert " to %s " % f.listen in line, line
            assert line.endswith(", FPM worker ambiguous (more than one "
                                 "running worker of pool guardtest fits the "
                                 "request)"), line
    finally:
        end_sleepers(s, f, hs)


def test_pool_read_through_status_listen_found_by_request(fpms, make_server):
    """The status read on pm.status_listen's socket: httpd waits on the
    pool's own socket, which is no GuardFpmStatus address."""
    f = fpms(status_listen=True)
    s = server_for(make_server, f, "event", status=["unix:" + f.status_sock],
                   more="GuardBackendTimeout %ds" % TIMEOUT)
    wait_pool(s, lambda p: p["read"] == "ok", "first read")
    uri = "/sleep.php?id=listen&t=8"
    hs = [s.hang(uri)]
    try:
        line = wait_cut(s, uri)
        assert re.search(r"to unix:%s blocked .*, FPM worker \d+ of pool "
                         r"guardtest serves it \(\"GET %s\", running [\d.]+ "
                         r"s\), holds no lock$"
                         % (re.escape(f.sock), re.escape(uri)), line), line
    finally:
        end_sleepers(s, f, hs)
