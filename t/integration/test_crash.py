# SPDX-License-Identifier: Apache-2.0
"""Crash capture against a real httpd: a worker that dies of SIGSEGV,
SIGABRT, SIGBUS, SIGFPE or a stack overflow leaves a crash record (signal,
request, frames) on /guard-status, a report in the crash log and one line
of the parent, and still dies as it would have: httpd logs "exit signal",
a core is written, the server keeps serving."""

import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from guardtest import Fail, get, raw_exchange, build_request, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
CRASHTEST_SRC = os.path.join(HERE, "..", "modules", "mod_crashtest.c")
APXS = os.environ.get("APXS") or "/usr/bin/apxs"

# The crash lines every test here expects in the error log.
CRASH_LOG = [r"exit signal", r"GRD050[0-2]", r"GRD0506"]
# The crash handler's time limit (GUARD_CRASH_HANDLER_LIMIT_S).
HANDLER_LIMIT_S = 5

PHP_FFI = "php_admin_value ffi.enable 1\n"
CRASHTEST_CONF = """\
LoadModule crashtest_module {so}
<Location /ct>
    SetHandler crashtest
</Location>
"""


@pytest.fixture(scope="session")
def crashtest_so():
    """mod_crashtest built with apxs in a scratch directory."""
    d = tempfile.mkdtemp(prefix="crashtest-")
    src = os.path.join(d, "mod_crashtest.c")
    shutil.copy(CRASHTEST_SRC, src)
    p = subprocess.run([APXS, "-c", "-o", "mod_crashtest.so", src], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Fail("apxs -c mod_crashtest.c failed:\n%s"
                   % p.stdout.decode("utf-8", "replace"))
    so = os.path.join(d, ".libs", "mod_crashtest.so")
    os.chmod(d, 0o755)
    yield so
    shutil.rmtree(d, ignore_errors=True)


def crash_server(make_server, mpm="prefork", snippet="", so=None, **kw):
    conf = snippet
    if mpm == "prefork":
        conf = PHP_FFI + conf
    if so:
        conf = CRASHTEST_CONF.format(so=so) + conf
    s = make_server(conf, mpm=mpm, **kw)
    for r in CRASH_LOG:
        s.expect_log(r)
    return s


def fire(server, path, **kw):
    """Send a request that kills its worker: the connection just closes."""
    try:
        return raw_exchange(server.port, build_request(path, **kw), 20)
    except OSError:
        return b""


def crashes(server):
    """The crash list; [] when the probe itself met the dying child (its
    connection reset or closed unanswered), so that callers poll again."""
    try:
        return server.guard_json().get("crashes", [])
    except (OSError, Fail) as e:
        if isinstance(e, Fail) and "no complete HTTP response" not in str(e):
            raise
        return []


def wait_crash(server, pred, timeout=15, what="crash record"):
    def probe():
        return [c for c in crashes(server) if pred(c)]
    return wait_for(probe, timeout, interval=0.2, what=what)[0]


def wait_exit_logged(server, n=1, timeout=15):
    wait_for(lambda: server.count_log(r"exit signal") >= n, timeout,
             what="%d 'exit signal' line(s) from httpd" % n)
    wait_for(lambda: server.count_log(r"GRD0501") >= n, timeout,
             what="%d GRD0501 line(s) from the parent" % n)


def assert_serving(server):
    r = server.get("/hello.txt")
    assert r.status == 200, r


def check_record(c, signal_name, uri_prefix, codes=None):
    assert c["signal"] == signal_name, c
    if codes:
        assert c["si_code"] in codes, c
    assert c["request"] is not None, c
    assert c["uri"].startswith(uri_prefix), c
    assert c["method"] == "GET"
    assert c["vhost"] == "127.0.0.1"
    assert c["client"] == "127.0.0.1"
    assert c["pid"] > 0 and c["tid"] > 0
    assert len(c["frames"]) >= 3, c
    assert c["complete"] is True
    for k in ("id", "time", "addr", "ip", "si_code"):
        assert k in c


# ---------------------------------------------------------------- prefork

PREFORK_CASES = [
    ("crash_ffi.php", "SIGSEGV", ["SEGV_MAPERR"], "ffi_call"),
    ("crash_abort.php", "SIGABRT", ["SI_TKILL"], "abort"),
    ("crash_bus.php?f=@ROOT@/sessions/bus", "SIGBUS", ["BUS_ADRERR"], None),
    ("crash_stack.php", "SIGSEGV", ["SEGV_MAPERR", "SEGV_ACCERR"], None),
]


@pytest.mark.parametrize("page,sig,codes,func", PREFORK_CASES,
                         ids=[c[0].split(".")[0] for c in PREFORK_CASES])
def test_prefork_php_crash(make_server, page, sig, codes, func):
    s = crash_server(make_server)
    path = "/" + page.replace("@ROOT@", s.root)
    fire(s, path)
    c = wait_crash(s, lambda c: c["uri"] and c["uri"].startswith(
        path.split("?")[0]), what="record of %s" % page)
    check_record(c, sig, path.split("?")[0], codes)
    if func:
        names = [f["function"] or "" for f in c["frames"][:6]]
        assert any(func in n for n in names), c["frames"]
    wait_exit_logged(s)
    log = s.log_text()
    signo = {"SIGSEGV": 11, "SIGABRT": 6, "SIGBUS": 7}[sig]
    assert re.search(r"child pid %d exit signal .*\(%d\)"
                     % (c["pid"], signo), log), log
    assert re.search(r"GRD0501: child pid %d .* crash %d: %s"
                     % (c["pid"], c["id"], sig), log), log
    # The report in the error log: headline and symbolized backtrace.
    assert re.search(r"\[guard:crit\] \[pid %d:tid %d\] GRD0500: crash %d: "
                     r"%s" % (c["pid"], c["tid"], c["id"], sig), log), log
    assert "GRD0500: crash %d: end of report" % c["id"] in log
    # Every line of it tagged, and a PHP page's frames in it.
    native, php = assert_report_tagged(log, c)
    assert php and c["php_frames"], c
    named = parent_frames(s, c)
    if func:
        assert any(func in l for l in named[:6]), named
    assert_serving(s)
    js = s.guard_json()
    assert js["counters"]["crashes_total"] == 1


# ---------------------------------------------- PHP frames, report lines


def report_block(log, c):
    """The report lines of crash c: from its headline to its "end of
    report", both included. The error log is shared: lines that other
    processes or threads wrote meanwhile (a new child's start-up, another
    watchdog) are left out; every other line in between, including any
    line that names no process at all, is part of the report."""
    lines = log.splitlines()
    me = "[pid %d:tid %d] " % (c["pid"], c["tid"])
    head = me + "GRD0500: crash %d: " % c["id"]
    start = [i for i, l in enumerate(lines) if head + c["signal"] in l]
    end = [i for i, l in enumerate(lines)
           if l.endswith(head + "end of report")]
    assert len(start) == 1 and len(end) == 1 and start[0] < end[0], log
    return [l for l in lines[start[0]:end[0] + 1]
            if me in l or not re.search(r"\[pid \d+:tid \d+\] ", l)]


def assert_report_tagged(log, c):
    """Every line of the report names its crash; the frame lines are the
    record's frames, native then PHP: module(+offset) as the page has
    them, no name (the handler looks none up), and the address."""
    block = report_block(log, c)
    tag = "] GRD0500: crash %d: " % c["id"]
    untagged = [l for l in block if tag not in l]
    assert not untagged, block
    native = [l.split(tag, 1)[1] for l in block
              if re.search(re.escape(tag) + r"#\d+ ", l)]
    assert len(native) == len(c["frames"]), block
    for i, (text, f) in enumerate(zip(native, c["frames"])):
        if f["where"] == "module":
            want = r"#%d %s\(\+%s\) \[0x[0-9a-f]+\]$" % (
                i, re.escape(f["module"]), f["offset"])
        else:
            want = r"#%d \[0x[0-9a-f]+\]$" % i
        assert re.match(want, text), (text, f)
    php = [l.split(tag, 1)[1] for l in block
           if re.search(re.escape(tag) + r"php #\d+ ", l)]
    return native, php


def parent_frames(server, c):
    """The parent's named frames of crash c (GRD0506), in order, once the
    parent has written the last of them: it writes them one by one after
    its GRD0501 line."""
    last = "GRD0506: crash %d: #%d " % (c["id"], len(c["frames"]) - 1)
    wait_for(lambda: last in server.log_text(), 15,
             what="the parent's last GRD0506 line of crash %d" % c["id"])
    log = server.log_text()
    lines = re.findall(r"GRD0506: crash %d: (#\d+ .*)$" % c["id"], log, re.M)
    assert [l.split(" ", 1)[0] for l in lines] == \
        ["#%d" % i for i in range(len(c["frames"]))], (lines, c["frames"])
    for text, f in zip(lines, c["frames"]):
        if f["where"] == "module" and f["function"]:
            assert text.split(" ", 1)[1].startswith("%s(%s+%s) [0x" % (
                f["module"], f["function"], f["function_offset"])), (text, f)
    return lines


def frame_lines(path):
    """{function: line} of the "@frame <function>" marks of a page."""
    marks = {}
    with open(path) as f:
        for n, text in enumerate(f, 1):
            m = re.search(r"// @frame (\S+)", text)
            if m:
                marks[m.group(1)] = n
    return marks


def test_php_frames_of_deep_ffi_crash(make_server):
    s = crash_server(make_server)
    fire(s, "/crash_ffi_deep.php")
    c = wait_crash(s, lambda c: c["uri"] == "/crash_ffi_deep.php",
                   what="record of crash_ffi_deep.php")
    check_record(c, "SIGSEGV", "/crash_ffi_deep.php", ["SEGV_MAPERR"])
    page = os.path.join(s.root, "htdocs", "crash_ffi_deep.php")
    marks = frame_lines(page)
    php = c["php_frames"]
    assert php, c
    # Innermost first: the FFI call (an internal function, no file),
    # then the script's frames, each on the line of its call.
    user = [f for f in php if f["file"] != ""]
    internal = php[:len(php) - len(user)]
    assert internal and \
        all(f["file"] == "" and f["line"] == 0 for f in internal), php
    assert [f["function"] for f in user] == ["c", "b", "a", "{main}"], php
    for f in user:
        assert f["file"] in (page, os.path.realpath(page)), f
        assert f["line"] == marks[f["function"]], (f, marks)
        assert f["line_approximate"] is False, f
    one = s.guard_get("crash=%d&json" % c["id"]).json()["crash"]
    assert one["php_frames"] == php
    assert one["request_state"] == "active"
    html = s.guard_get("crash=%d" % c["id"]).text
    items = re.findall(r"<li><code>([^<]*)</code> ([^<]*)</li>",
                       html.split("<h3>PHP frames</h3>", 1)[1])
    assert [i[0] for i in items if i[1]] == ["c", "b", "a", "{main}"], html
    for fn, where in items:
        if where:
            assert where == "%s:%d" % (user[0]["file"], marks[fn]), items
    wait_exit_logged(s)
    native, lines = assert_report_tagged(s.log_text(), c)
    assert lines == ["php #%d %s %s:%d" % (i, f["function"], f["file"],
                                           f["line"])
                     if f["file"] else
                     "php #%d %s (internal)" % (i, f["function"])
                     for i, f in enumerate(php)], lines
    assert any("ffi_call" in l for l in parent_frames(s, c))
    assert_serving(s)


# ------------------------------------------------------------ event MPM

EVENT_CASES = [
    ("segv", "SIGSEGV", ["SEGV_MAPERR"], "crashtest_segv"),
    ("fpe", "SIGFPE", ["FPE_INTDIV"], "crashtest_fpe"),
    ("abort", "SIGABRT", ["SI_TKILL"], "abort"),
    ("bus=@ROOT@/sessions/bus", "SIGBUS", ["BUS_ADRERR"], "crashtest_bus"),
    ("stack", "SIGSEGV", ["SEGV_MAPERR", "SEGV_ACCERR"], "crashtest_"),
]


@pytest.mark.parametrize("kind,sig,codes,func", EVENT_CASES,
                         ids=[c[0].split("=")[0] for c in EVENT_CASES])
def test_event_module_crash(make_server, crashtest_so, kind, sig, codes,
                            func):
    s = crash_server(make_server, mpm="event", so=crashtest_so)
    path = "/ct?" + kind.replace("@ROOT@", s.root)
    fire(s, path)
    c = wait_crash(s, lambda c: c["uri"] and c["uri"].startswith("/ct"),
                   what="record of %s" % kind)
    # The query is redacted: the copy shows "?...".
    check_record(c, sig, "/ct?...", codes)
    if func:
        names = [f["function"] or "" for f in c["frames"][:6]]
        assert any(func in n for n in names), c["frames"]
    if sig != "SIGABRT":
        # The first frame is the faulting instruction.
        assert c["frames"][0] == c["ip"], c
    assert c["request_state"] == "active" and c["php_frames"] is None, c
    wait_exit_logged(s)
    assert_report_tagged(s.log_text(), c)
    assert_serving(s)


# ----------------------------------------------------- no request active


def test_crash_without_request_event(make_server, crashtest_so):
    s = crash_server(make_server, mpm="event", so=crashtest_so)
    # Answered and logged; then the connection's end crashes (its reset
    # may beat the response to the client).
    fire(s, "/ct?after")
    c = wait_crash(s, lambda c: True, what="record of ?after")
    with open(os.path.join(s.root, "logs", "access_log")) as f:
        assert re.search(r'"GET /ct\?after HTTP/1.1" 200', f.read())
    assert c["signal"] == "SIGSEGV", c
    # The connection's pool goes where event closes it: on the listener
    # thread (no slot: no request), or on a worker, whose record then names
    # the last request it served, finished: this one (the only one).
    if c["request"] is None:
        assert c["uri"] is None and c["client"] is None, c
        what = "no request"
    else:
        assert c["request"] == "GET /ct?... HTTP/1.1", c
        assert c["request_state"] == "finished", c
        what = 'after finished request "GET /ct\\?\\.\\.\\."'
    wait_exit_logged(s)
    assert re.search(r"GRD0501: .* crash %d: SIGSEGV .* %s"
                     % (c["id"], what), s.log_text()), s.log_tail()
    assert_serving(s)


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_crash_in_request_cleanup(make_server, crashtest_so, mpm):
    """A module's cleanup on the request's pool runs after httpd logged the
    request: the record names that request, finished. Under prefork the
    process runs PHP too: its frames are walked, and none runs."""
    s = crash_server(make_server, mpm=mpm, so=crashtest_so)
    fire(s, "/ct?cleanup")
    c = wait_crash(s, lambda c: True, what="record of ?cleanup")
    with open(os.path.join(s.root, "logs", "access_log")) as f:
        assert re.search(r'"GET /ct\?cleanup HTTP/1.1" 200', f.read())
    check_record(c, "SIGSEGV", "/ct?...", ["SEGV_MAPERR"])
    assert c["request"] == "GET /ct?... HTTP/1.1", c
    assert c["request_state"] == "finished", c
    assert c["elapsed_ms"] >= 0
    # Event MPM: no PHP walk. Prefork: walked, no PHP code running.
    assert c["php_frames"] == (None if mpm == "event" else []), c
    names = [f["function"] or "" for f in c["frames"][:6]]
    assert any("crashtest_segv" in n for n in names), c["frames"]
    html = s.guard_get("crash=%d" % c["id"]).text
    assert "<tr><th>Request state</th><td>finished (logged)" in html, html
    wait_exit_logged(s)
    log = s.log_text()
    assert re.search(r"GRD0501: .* crash %d: SIGSEGV .* after "
                     r'finished request "GET /ct\?\.\.\." vhost "127.0.0.1" '
                     r'client "127.0.0.1", \d+ ms after its start$' % c["id"],
                     log, re.M), log
    head = report_block(log, c)[0]
    assert re.search(r'after finished request "GET /ct\?\.\.\." '
                     r'vhost "127.0.0.1" client "127.0.0.1", \d+ ms after its '
                     r"start$", head), head
    native, php = assert_report_tagged(log, c)
    assert php == [] and native
    assert_serving(s)


def test_signal_to_idle_prefork_child(make_server):
    s = crash_server(make_server)
    assert_serving(s)
    child = wait_for(lambda: s.guard_json()["children"], 10,
                     what="a child")[0]["pid"]
    time.sleep(0.5)    # its child_init (handlers) is surely over
    os.kill(child, signal.SIGSEGV)
    c = wait_crash(s, lambda c: c["pid"] == child, what="record of kill")
    assert c["si_code"] == "SI_USER", c
    # Between requests: none, or the last one it served (a status page or
    # /hello.txt of assert_serving), marked finished.
    assert c["request"] is None or (
        c["request"].split("?")[0].split(" ")[1] in ("/guard-status",
                                                     "/hello.txt")
        and c["request_state"] == "finished"), c
    assert c["addr"] == {"where": "null_page", "module": None,
                         "offset": "0x0", "function": None,
                         "function_offset": None}, c
    wait_exit_logged(s)
    assert_serving(s)


# ------------------------------------------------------------- core dump


def test_core_file_still_written(make_server):
    pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    if pattern.startswith("|") or "/" in pattern:
        pytest.skip("core_pattern %r does not write to the cwd" % pattern)
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard != resource.RLIM_INFINITY and hard < 1 << 30:
        pytest.skip("core size hard limit %d" % hard)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    cores = tempfile.mkdtemp(prefix="guardcore-")
    os.chmod(cores, 0o1777)
    s = None
    try:
        s = crash_server(make_server, snippet="CoreDumpDirectory %s\n" % cores)
        fire(s, "/crash_ffi.php")
        wait_exit_logged(s)
        assert "possible coredump in %s" % cores in s.log_text()
        files = wait_for(lambda: [f for f in os.listdir(cores)
                                  if f.startswith("core")], 15,
                         what="a core file in %s" % cores)
        assert files
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
        if s:
            s.stop()    # -k stop reads the config, which names the dir
        shutil.rmtree(cores, ignore_errors=True)


# ------------------------------------------- storm, restart, secrets, pages

STORM = 200


def test_crash_storm(make_server):
    import threading
    from guardtest import parse_prometheus, prom_values
    s = crash_server(make_server, snippet="GuardCrashHistory 16\n"
                     "StartServers 8\nMinSpareServers 8\nMaxSpareServers 16\n")
    left = list(range(STORM))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not left:
                    return
                i = left.pop()
            fire(s, "/crash_ffi.php?n=%d" % i)
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wait_exit_logged(s, STORM, timeout=60)
    js = s.guard_json()
    assert js["counters"]["crashes_total"] == STORM
    recs = js["crashes"]
    # The ring holds the newest 16, whole and in order.
    assert [c["id"] for c in recs] == list(range(STORM, STORM - 16, -1))
    for c in recs:
        assert c["complete"] and c["signal"] == "SIGSEGV", c
        assert c["uri"] == "/crash_ffi.php?...", c
        assert len(c["frames"]) >= 3
    # One bug, one line: all 200 under one signature.
    groups = js["crash_groups"]
    assert groups[0]["count"] == STORM, groups
    assert s.count_log(r"GRD0501") == STORM
    assert s.count_log(r"GRD0500: crash \d+: end of report") == STORM
    assert s.count_log(r"GRD0502: \d+ crashes in the last minute") >= 1
    samples = parse_prometheus(s.guard_get("prometheus").text)
    assert prom_values(samples, "guard_crashes_total",
                       signal="SIGSEGV") == [STORM]
    assert_serving(s)


def test_graceful_restart_keeps_history(make_server):
    s = crash_server(make_server)
    fire(s, "/crash_ffi.php")
    fire(s, "/crash_abort.php")
    wait_exit_logged(s, 2)
    before = crashes(s)
    assert len(before) == 2
    s.graceful()
    fire(s, "/crash_ffi.php")
    wait_exit_logged(s, 3)
    js = s.guard_json()
    assert js["counters"]["crashes_total"] == 3
    after = js["crashes"]
    assert [c["id"] for c in after] == [3, 2, 1]
    assert {c["signal"] for c in after} == {"SIGSEGV", "SIGABRT"}
    old = [c for c in after if c["id"] == 1][0]
    assert old["generation"] < after[0]["generation"]
    # Frames of an earlier generation: modules and offsets, no names.
    assert old["symbolized"] is False and old["frames"]
    assert any(f["module"] for f in old["frames"]), old["frames"]
    assert not any(f["function"] for f in old["frames"]), old["frames"]
    r = s.guard_get("crash=1")
    assert r.status == 200 and "Crash 1" in r.text, r


def test_secrets_never_recorded(make_server):
    s = crash_server(make_server,
                     snippet="GuardCrashLog @ROOT@/logs/crash_log\n")
    fire(s, "/crash_ffi.php?token=SECRETQ1&x=1",
         headers={"Authorization": "Bearer SECRETA2",
                  "Cookie": "PHPSESSID=SECRETC3"})
    c = wait_crash(s, lambda c: True)
    wait_exit_logged(s)
    assert c["uri"] == "/crash_ffi.php?...", c
    crash_log = open(os.path.join(s.root, "logs", "crash_log")).read()
    assert "GRD0500: crash 1: SIGSEGV" in crash_log, crash_log
    assert "end of report" in crash_log
    # The report went to GuardCrashLog, not to the error log.
    assert s.count_log(r"GRD0500") == 0
    texts = [crash_log, s.log_text()]
    for q in ("", "json", "prometheus", "auto", "crash=1", "crash=1&json",
              "child=%d" % c["child"], "child=%d&json" % c["child"]):
        r = s.guard_get(q)
        assert r.status == 200, (q, r)
        texts.append(r.text)
    for t in texts:
        for secret in ("SECRETQ1", "SECRETA2", "SECRETC3"):
            assert secret not in t


def test_crash_and_child_pages(make_server):
    s = crash_server(make_server)
    s.get("/hello.php")
    fire(s, "/crash_ffi.php?<b>x</b>")
    c = wait_crash(s, lambda c: True)
    wait_exit_logged(s)
    one = s.guard_get("crash=%d&json" % c["id"]).json()["crash"]
    assert one["id"] == c["id"] and one["frames"] == c["frames"]
    assert any(f["function"] == "ffi_call" and f["module"].endswith(
        "libffi.so.8") for f in one["frames"])
    html = s.guard_get("crash=%d" % c["id"]).text
    assert "SIGSEGV (SEGV_MAPERR) at 0x0" in html
    assert "libffi.so.8+0x" in html and "(ffi_call+0x" in html
    assert s.guard_get("crash=999").status == 404
    assert s.guard_get("crash=abc").status == 400
    assert s.guard_get("child=99999").status == 404
    page = s.guard_get("child=%d&json" % c["child"]).json()
    assert page["child"] == c["child"]
    dead = [p for p in page["processes"] if p["pid"] == c["pid"]]
    assert dead and dead[0]["end"] == "crashed", page
    assert dead[0]["signal"] == "SIGSEGV" and dead[0]["crashes"] == 1
    assert dead[0]["requests"] >= 1 and dead[0]["ended"]
    assert [x["id"] for x in page["crashes"]] == [c["id"]]
    main = s.guard_get().text
    assert "<h2>Crashes</h2>" in main and "?crash=%d" % c["id"] in main
    assert "<b>x</b>" not in main
    auto = s.guard_get("auto").text
    assert "CrashesTotal: 1" in auto


# ------------------------------------------------- no lock, a time limit

DLHOLD_SRC = r"""
#include <unistd.h>
/* Holds the loader's lock: dlopen() runs constructors under it. */
__attribute__((constructor)) static void hold(void)
{
    sleep(60);
}
"""


@pytest.fixture(scope="session")
def dlhold_so():
    """A shared object whose constructor blocks for a minute."""
    d = tempfile.mkdtemp(prefix="dlhold-")
    src = os.path.join(d, "dlhold.c")
    with open(src, "w") as f:
        f.write(DLHOLD_SRC)
    so = os.path.join(d, "libdlhold.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], check=True)
    os.chmod(d, 0o755)
    yield so
    shutil.rmtree(d, ignore_errors=True)


def test_crash_while_loader_lock_held(make_server, crashtest_so, dlhold_so):
    """A crash while another thread is in dlopen() (the loader's lock
    held): the handler takes no lock, so it finishes at once, frames and
    all, and the time limit is not what ends the process."""
    s = crash_server(make_server, mpm="event", so=crashtest_so)
    fire(s, "/ct?dlhold=" + dlhold_so)
    c = wait_crash(s, lambda c: c["uri"] and c["uri"].startswith("/ct"),
                   what="record of ?dlhold")
    check_record(c, "SIGSEGV", "/ct?...", ["SEGV_MAPERR"])
    wait_exit_logged(s)
    c = [x for x in s.guard_json()["crashes"] if x["id"] == c["id"]][0]
    assert c["time_limit"] is False, c
    assert c["handler_us"] is not None and c["handler_us"] < 1000000, c
    assert "end of report" in "\n".join(report_block(s.log_text(), c))
    assert any("crashtest_segv" in l for l in parent_frames(s, c))
    assert s.count_log(r"GRD0505") == 0
    assert_serving(s)


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_time_limit_ends_a_hung_handler(make_server, crashtest_so, mpm):
    """A handler that never finishes (GUARD_TEST_CRASH_HANG makes it wait
    after its headline) is ended by its time limit: the child dies of the
    crash's own signal within the limit, httpd logs "exit signal", the
    parent logs the crash and GRD0505, and the record says so."""
    s = crash_server(make_server, mpm=mpm, so=crashtest_so,
                     env={"GUARD_TEST_CRASH_HANG": "1"})
    s.expect_log(r"GRD0505")
    fire(s, "/ct?segv")
    c = wait_crash(s, lambda c: c["uri"] and c["uri"].startswith("/ct"),
                   what="record of the hung handler")
    assert c["handler_us"] is None and c["frames"] == [], c
    start = time.time()
    wait_for(lambda: not os.path.exists("/proc/%d" % c["pid"]) or
             open("/proc/%d/stat" % c["pid"]).read().split(") ")[1][0] == "Z",
             HANDLER_LIMIT_S + 10, interval=0.1,
             what="the end of pid %d" % c["pid"])
    ended = time.time()
    # From the crash to the end: the limit, and scheduling slack.
    assert ended - c["time_ms"] / 1000.0 < HANDLER_LIMIT_S + 3, \
        (ended, c["time_ms"])
    assert ended - start <= HANDLER_LIMIT_S + 3
    wait_exit_logged(s)
    wait_for(lambda: s.count_log(r"GRD0505: crash %d: " % c["id"]) == 1, 10,
             what="GRD0505 of crash %d" % c["id"])
    log = s.log_text()
    assert re.search(r"child pid %d exit signal Segmentation fault"
                     % c["pid"], log), log
    assert "test: the handler hangs" in log
    one = s.guard_get("crash=%d&json" % c["id"]).json()["crash"]
    assert one["time_limit"] is True, one
    assert_serving(s)


# --------------------------------------- no address of the process shown

def mapped_ranges(pids):
    """(start, end) of every mapping of these processes, but a sanitizer
    build's shadow memory (terabytes reserved, where a time in seconds
    would fall)."""
    ranges = set()
    for pid in pids:
        try:
            with open("/proc/%d/maps" % pid) as f:
                for line in f:
                    lo, hi = line.split(" ", 1)[0].split("-")
                    lo, hi = int(lo, 16), int(hi, 16)
                    if hi - lo < 1 << 40:
                        ranges.add((lo, hi))
        except OSError:
            pass
    return sorted(ranges)


NUMBER_RE = re.compile(r"0[xX]([0-9a-fA-F]+)|\b([0-9a-f]{8,16})\b|"
                       r"\b([0-9]{10,20})\b")


def numbers_in(text):
    """Every number a page shows that could be an address: 0x-prefixed
    hex, bare hex of 8 to 16 digits, decimals of 10 digits and more."""
    out = []
    for m in NUMBER_RE.finditer(text):
        h1, h2, d = m.groups()
        if h1:
            out.append((m.group(0), int(h1, 16)))
        elif h2:
            out.append((m.group(0), int(h2, 16)))
        elif int(d) >= 1 << 32:     # below: times in seconds, counts
            out.append((m.group(0), int(d)))
    return out


def assert_no_address(name, text, ranges, absolute):
    for s in absolute:
        assert s not in text, (name, s)
    for token, v in numbers_in(text):
        for lo, hi in ranges:
            assert not (lo <= v < hi), \
                "%s shows %s, inside the mapping %x-%x" % (name, token, lo, hi)


def test_no_address_in_any_format(make_server):
    """After a real crash, and with a stuck worker's live stacks shown,
    no page in any format shows a number inside a mapping of the server's
    processes (the parent's and every child's /proc/<pid>/maps), nor any
    absolute address the crash report wrote to the error log."""
    from guardtest import find_worker
    s = crash_server(make_server, snippet="GuardStuckThreshold 1s\n"
                     "GuardWatchInterval 100ms\nStartServers 3\n")
    fire(s, "/crash_ffi_deep.php")
    c = wait_crash(s, lambda c: c["uri"] == "/crash_ffi_deep.php")
    wait_exit_logged(s)
    bh = s.blackhole()
    s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()

    def stuck():
        w = find_worker(s.guard_json(), "/stack_block")
        st = w and w.get("stack")
        return w if w and w["stuck"] and st and st.get("native") != "none" \
            else None
    w = wait_for(stuck, 15, interval=0.2, what="live stacks of a stuck worker")
    log = s.log_text()
    block = " ".join(report_block(log, c))
    absolute = set(re.findall(r"\[(0x[0-9a-f]{4,})\]", block))
    absolute |= set(re.findall(r"(?:at|ip) (0x[0-9a-f]{4,})", block))
    absolute |= set(re.findall(r"GRD0506: .*\[(0x[0-9a-f]+)\]", log))
    assert absolute, "the report names no address"
    pids = [s.read_pid()]
    pids += [ch["pid"] for ch in s.guard_json()["children"]]
    ranges = mapped_ranges(pids)
    assert ranges
    st = "stack=%d.%d" % (w["child"], w["thread"])
    queries = ["", "json", "prometheus", "auto", "crash=%d" % c["id"],
               "crash=%d&json" % c["id"], st, st + "&json",
               "child=%d" % c["child"], "child=%d&json" % c["child"]]
    for q in queries:
        r = s.guard_get(q)
        assert r.status == 200, (q, r)
        assert_no_address("?" + q, r.text, ranges, absolute)
    js = s.guard_get("crash=%d&json" % c["id"]).json()["crash"]
    assert js["frames"] and all(set(f) == {"where", "module", "offset",
                                           "function", "function_offset"}
                                for f in js["frames"]), js["frames"]
    assert js["addr"]["where"] == "null_page", js
    assert js["ip"]["where"] == "module", js
    assert_serving(s)
