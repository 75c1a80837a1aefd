# SPDX-License-Identifier: Apache-2.0
"""Seed 001 inside PHP-FPM (event + mod_proxy_fcgi, a real php8.2-fpm with
pm static and 4 workers): hang.php takes its session's lock and waits on
a silent backend, five requests of the same session and hello.php follow.
GuardLockWatch names the chain across the boundary (the holder FPM
worker's pid, request and what it waits on, the FPM waiters and the httpd
requests behind them) on ?json and in GRD0400; with end-holder the holder
is ended with SIGTERM and everything is answered; a pool of another user
is only diagnosed."""

import grp
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import guardtest
from guardtest import TIME_SCALE, free_port, parse_prometheus, prom_values
from test_fpm import fpms, server_for, wait_pool  # noqa: F401 (fixture)
from waiting import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/sbin/php-fpm8.2"),
                                reason="php8.2-fpm is not installed")

DURATION = 1.0
CUT_AFTER = 2       # GuardBackendTimeout of hang.php, where a test sets it
# Requirement: named within the rule's duration + 250 ms.
NAMED_WITHIN = DURATION + 0.25 * TIME_SCALE

HANG_PHP = """<?php
session_id($_GET['sid']);
session_start();
$s = fsockopen('127.0.0.1', (int)$_GET['port'], $errno, $errstr, 5);
stream_set_timeout($s, 600);
fwrite($s, "GET / HTTP/1.0\\r\\n\\r\\n");
echo fread($s, 100);
"""

WAIT_PHP = """<?php
session_id($_GET['sid']);
session_start();
echo "ok ", $_GET['n'], "\\n";
"""

HELLO_PHP = "<?php echo \"hello\\n\";\n"

CHAIN_RE = r"\[guard:warn\].* GRD0400: lock wait: "


@pytest.fixture
def pools(fpms):  # noqa: F811
    """pools(user, dumpable, status_listen): a started FPM pool of user
    (pm static, 4 workers) whose sessions are in a directory of that user
    which httpd's user can list (root's, mode 1733 as Debian's when
    debian); process.dumpable = yes when dumpable; its status on a socket
    of its own (pm.status_listen) when status_listen."""
    dirs = []

    def make(user="www-data", dumpable=False, status_listen=False,
             listen="unix", debian=False, more=""):
        sessions = tempfile.mkdtemp(prefix="guardtest-fpmsess-")
        dirs.append(sessions)
        pw = pwd.getpwnam(user)
        if debian:
            # Debian's /var/lib/php/sessions: root's, 1733: httpd's user
            # may search it, not list it.
            os.chown(sessions, 0, 0)
            os.chmod(sessions, 0o1733)
        else:
            os.chown(sessions, pw.pw_uid, pw.pw_gid)
            os.chmod(sessions, 0o755)
        extra = "php_admin_value[session.save_path] = %s\n%s" % (
            sessions, more)
        if user != "www-data":
            extra += "user = %s\ngroup = %s\n" % (
                user, grp.getgrgid(pw.pw_gid).gr_name)
        if dumpable:
            extra += "process.dumpable = yes\n"
        f = fpms(extra=extra, status_listen=status_listen, listen=listen,
                 port=free_port() if listen == "tcp" else None)
        f.sessions = sessions
        return f
    yield make
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def chain_server(make_server, f, end_holder, mpm="event", more="",
                 rule_more=""):
    """mpm (event by default) + mod_proxy_fcgi in front of f; its status
    read through pm.status_listen when f has one (answered when the pool
    is full), else through the pool's own socket. rule_more: more words
    of the GuardLockWatch rule."""
    more += "\nGuardLockWatch %s/sess_* %ds%s%s" % (
        f.sessions, int(DURATION), " end-holder" if end_holder else "",
        rule_more)
    status = ["unix:" + f.status_sock] if f.status_sock else None
    s = server_for(make_server, f, mpm, status=status, more=more)
    s.add_page("hang.php", HANG_PHP)
    s.add_page("wait.php", WAIT_PHP)
    s.add_page("hello.php", HELLO_PHP)
    s.expect_log(r"\[proxy_fcgi:error\]|\[proxy:error\]")
    if mpm == "worker":
        # The pile-up holds 7 of worker's 8 threads; the pages' polls may
        # take the last.
        s.expect_log(r"AH00286: server reached MaxRequestWorkers")
    wait_pool(s, lambda p: p["read"] == "ok", "first read")
    return s


def fpm_worker_serving(s, uri_part):
    """The pid of the FPM worker running the request with uri_part, once
    mod_guard's read of the pool's status says so (the pool still has
    idle workers: its status is read through its own socket)."""
    p = wait_pool(s, lambda p: any(
        uri_part in w["uri"] and w["state"] == "Running"
        for w in p["workers"]), "%s in the pool's status" % uri_part)
    return [w["pid"] for w in p["workers"] if uri_part in w["uri"]][0]


def pile_up(s, f, sid, cookie=None):
    """hang.php holds the session's lock; then five waiters and hello.php;
    with cookie (a cookie's name), each of the session's requests also
    says its id as PHP's session cookie does. Returns (blackhole, hang,
    holder pid, waiters, hello, the time the waiters were sent)."""
    kw = {"headers": {"Cookie": "theme=dark; %s=%s" % (cookie, sid)}} \
        if cookie else {}
    bh = s.blackhole()
    hang = s.hang("/hang.php?sid=%s&port=%d" % (sid, bh.port), **kw)
    wait_for(lambda: bh.accepted >= 1, 5, what="hang.php on the blackhole")
    holder = fpm_worker_serving(s, "sid=%s&" % sid)
    t0 = time.monotonic()
    waiters = [s.hang("/wait.php?sid=%s&n=%d" % (sid, i), **kw)
               for i in range(1, 6)]
    hello = s.hang("/hello.php")
    return bh, hang, holder, waiters, hello, t0


def fpm_chain(js):
    for c in js["lock_waits"]:
        if c["holder"]["fpm"] is not None:
            return c
    return None


def chain_named(s, t0):
    """The FPM chain on ?json, named within the rule's duration + 250 ms
    of the waiters' arrival."""
    c = wait_for(lambda: fpm_chain(s.guard_json()), 5, interval=0.05,
                 what="the FPM chain on ?json")
    took = time.monotonic() - t0
    assert took <= NAMED_WITHIN, took
    return c


def answered(h, body):
    assert h.done.wait(10 * TIME_SCALE), h.path
    assert h.response.startswith(b"HTTP/1.1 200"), (h.path, h.response[:80])
    assert body in h.response, (h.path, h.response[-80:])


# The matrix at the cost of one more case each: event over a unix
# socket, worker over TCP.
MPM_LISTEN = [("event", "unix"), ("worker", "tcp")]


@pytest.mark.parametrize("mpm,listen", MPM_LISTEN)
def test_chain_named_across_the_boundary(pools, make_server, mpm, listen):
    f = pools(dumpable=True, status_listen=True, listen=listen)
    s = chain_server(make_server, f, end_holder=False, mpm=mpm)
    bh, hang, holder, waiters, hello, t0 = pile_up(s, f, "diag1")
    c = chain_named(s, t0)
    h = c["holder"]
    assert h["pid"] == holder and h["httpd"] is False, h
    assert h["request"].startswith("GET /hang.php?sid=diag1"), h
    assert h["fpm"]["address"] == "unix:" + f.status_sock
    # process.dumpable = yes: the holder's wait is readable.
    assert re.match(r"(p?poll|read|recvfrom) on socket 127\.0\.0\.1:%d$"
                    % bh.port, h["fpm"]["waits_on"]), h
    assert h["text"].startswith("FPM worker pid %d" % h["pid"]), h
    # Three FPM waiters (the fourth worker holds the lock; the rest
    # queue), each with the httpd request behind it: distinct URIs, joined.

    def joined(j):
        fw = [w for w in (fpm_chain(j) or {}).get("waiters", []) if w["fpm"]]
        return len(fw) == 3 and all(w["httpd_request"] != "unknown"
                                    for w in fw) and fw
    fw = wait_for(lambda: joined(s.guard_json()), 3,
                  what="three FPM waiters and the requests behind them")
    for w in fw:
        assert w["pid"] in f.workers() and w["pid"] != holder, w
        assert re.match(r"GET /wait\.php\?sid=diag1&n=\d HTTP/1\.1",
                        w["httpd_request"]), w
        assert w["httpd_worker"]["pid"] in s.children(), w
    wait_for(lambda: s.count_log(CHAIN_RE) >= 1, 3, what="GRD0400")
    line = [x for x in s.log_text().splitlines()
            if re.search(CHAIN_RE, x)][0]
    assert "held by FPM worker pid %d" % h["pid"] in line, line
    assert "GET /hang.php?sid=diag1" in line, line
    assert "httpd requests behind FPM waiters" in line, line
    assert "(FPM)" in line, line
    assert c["end_holder"] is False and c["holder_ends"] == 0
    assert "FPM worker pid %d" % h["pid"] in s.guard_get().text
    bh.release()
    for w in waiters:
        answered(w, b"ok ")
    answered(hello, b"hello")
    assert h["pid"] in f.workers()      # never ended


@pytest.mark.parametrize("mpm,listen", MPM_LISTEN)
def fnv1a(text):
    h = 2166136261
    for c in text.encode():
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h


# PHP's default session.name; another, named by the rule's cookie=.
@pytest.mark.parametrize("cookie", ["PHPSESSID", "MYAPP_SID"])
def test_chain_named_on_an_unlisted_save_path(pools, make_server, cookie):
    """Debian's session.save_path (root's, 1733): httpd's user cannot list
    it, so the lock's inode is not found among its entries; the session
    file of a waiting request's PHPSESSID cookie, stat()ed by name at its
    start, is. The chain is named, its file shown by the id's hash only;
    the cut of hang.php's FPM socket (GRD0300) says the FPM worker behind
    it holds that watched lock."""
    named = cookie != "PHPSESSID"
    f = pools(status_listen=True, debian=True,
              more="php_admin_value[session.name] = %s\n" % cookie)
    # What httpd's user has: search, not read.
    assert subprocess.run(["setpriv", "--reuid", guardtest.RUN_USER,
                           "--regid", guardtest.RUN_USER, "--clear-groups",
                           "ls", f.sessions],
                          capture_output=True).returncode != 0
    s = chain_server(make_server, f, end_holder=False,
                     more="<Location /hang.php>\nGuardBackendTimeout "
                     "%ds\n</Location>" % CUT_AFTER,
                     rule_more=" cookie=%s" % cookie if named else "")
    sid = "deb1a2b3c4d5e6f7"
    bh, hang, holder, waiters, hello, t0 = pile_up(s, f, sid, cookie=cookie)
    c = chain_named(s, t0)
    assert s.count_log(r"\[guard:debug\].* GRD0409: GuardLockWatch %s/sess_\*"
                       r": its directory cannot be listed by httpd's user; "
                       r"session files are found by the %s cookie"
                       % (re.escape(f.sessions), cookie)) >= 1
    shown = "%s/sess_#%08x" % (f.sessions, fnv1a(sid))
    assert c["path"] == shown, c
    assert c["holder"]["pid"] == holder, c
    line = wait_for(lambda: [x for x in s.log_text().splitlines()
                             if re.search(CHAIN_RE, x)], 3,
                    what="GRD0400")[0]
    # The id is the query's here (GuardStatusShowQuery On); the file's
    # name, never.
    assert shown in line and "sess_" + sid not in line, line
    assert "held by FPM worker pid %d" % holder in line, line
    assert "sess_" + sid not in s.guard_get().text
    cut = wait_for(lambda: [x for x in s.log_text().splitlines()
                            if "GRD0300: backend cut" in x], CUT_AFTER + 3,
                   what="GRD0300 of hang.php")[0]
    assert re.search(r"FPM worker %d of pool guardtest serves it .* holds "
                     r"watched lock %s \(flock, \d waiting\)$"
                     % (holder, re.escape(shown)), cut), cut
    bh.release()
    for w in waiters:
        answered(w, b"ok ")
    answered(hello, b"hello")


def test_unlisted_save_path_without_cookie_is_not_named(pools, make_server):
    """The same pile-up, the id in the query and in a cookie of another
    name than the rule's (PHPSESSID by default): nothing names the file,
    and no chain is claimed for an unknown file (a wrong rule could end
    the wrong process)."""
    f = pools(status_listen=True, debian=True)
    s = chain_server(make_server, f, end_holder=True)
    bh, hang, holder, waiters, hello, t0 = pile_up(s, f, "nocookie1",
                                                   cookie="OTHER_SID")
    time.sleep(DURATION + 1.0 * TIME_SCALE)
    assert fpm_chain(s.guard_json()) is None
    assert s.count_log(CHAIN_RE) == 0 and s.count_log("GRD0407") == 0
    assert holder in f.workers()
    bh.release()
    for w in waiters:
        answered(w, b"ok ")
    answered(hello, b"hello")


@pytest.mark.parametrize("mpm,listen", MPM_LISTEN)
def test_end_holder(pools, make_server, mpm, listen):
    f = pools(listen=listen)
    s = chain_server(make_server, f, end_holder=True, mpm=mpm)
    bh, hang, holder, waiters, hello, t0 = pile_up(s, f, "end1")
    for w in waiters:
        answered(w, b"ok ")
    answered(hello, b"hello")
    assert time.monotonic() - t0 < DURATION + 5 * TIME_SCALE
    # SIGTERM: the holder is gone, FPM's master started another worker.
    wait_for(lambda: holder not in f.workers(), 5, what="holder ended")
    wait_for(lambda: len(f.workers()) == 4, 5, what="pool back to 4")
    line = wait_for(lambda: [x for x in s.log_text().splitlines()
                             if "GRD0407" in x], 3, what="GRD0407")[0]
    assert re.search(r"\[guard:warn\].* GRD0407: end-holder: SIGTERM to FPM "
                     r"worker pid %d holding \S+sess_\S+ \(GET "
                     r"/hang\.php\?sid=end1" % holder, line), line
    js = s.guard_json()
    assert js["counters"]["lock_holder_ends_total"] == 1
    assert "LockHolderEndsTotal: 1" in s.guard_get("auto").text
    prom = parse_prometheus(s.guard_get("prometheus").text)
    assert prom_values(prom, "guard_lock_holder_ends_total") == [1.0]
    assert "Lock holders ended (end-holder): 1" in s.guard_get().text
    # The pool recovered: every worker idle again, a new request served.
    assert s.get("/hello.php").status == 200
    wait_for(lambda: hang.done.is_set(), 5, what="hang.php answered")
    s.expect_log(r"GRD0407")


def test_other_user_only_diagnosed(pools, make_server):
    f = pools(user="nobody")
    s = chain_server(make_server, f, end_holder=True)
    bh, hang, pid, waiters, hello, t0 = pile_up(s, f, "other1")
    # The pool's status, read through its own socket, is older than the
    # waits: they are dated from the first pass that saw them.
    c = chain_named(s, t0)
    assert c["holder"]["pid"] == pid
    assert c["end_holder"] is True
    assert c["holder"]["fpm"]["waits_on"].startswith("not readable: the FPM "
                                                     "worker is not dumpable")
    uid = pwd.getpwnam("nobody").pw_uid
    wait_for(lambda: s.count_log(
        r"\[guard:debug\].* GRD0408: end-holder: holder pid %d of \S+ not "
        r"ended: runs as uid %d, not httpd's %d"
        % (pid, uid, pwd.getpwnam(guardtest.RUN_USER).pw_uid)) >= 1, 3,
        what="GRD0408 at debug")
    time.sleep(DURATION * 1.5)
    assert pid in f.workers()
    assert s.guard_json()["counters"]["lock_holder_ends_total"] == 0
    assert s.count_log(r"GRD0407") == 0
    bh.release()
    for w in waiters:
        answered(w, b"ok ")
    answered(hello, b"hello")


def test_end_holder_without_a_pool_is_said(make_server):
    """end-holder ends only workers of a GuardFpmStatus pool: without one
    the server starts and says at start-up that it will end nothing."""
    s = make_server("GuardLockWatch @ROOT@/sessions/sess_* 1s end-holder\n")
    s.expect_log(r"GRD0802")
    line = wait_for(lambda: re.search(r"\[guard:warn\].*GRD0802: .*",
                                      s.log_text()), 5, what="GRD0802")
    assert "end-holder" in line.group(0) and "sess_*" in line.group(0), \
        line.group(0)
