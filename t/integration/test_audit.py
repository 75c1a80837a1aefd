# SPDX-License-Identifier: Apache-2.0
"""The harness's own error-log audit must catch what it is meant to catch,
and the server must survive a child dying of a signal."""

import os
import signal

from guardtest import proc_alive, wait_for


def test_audit_flags_php_errors(make_server):
    s = make_server("GuardStuckThreshold 1s\n")
    s.add_page("fatal.php", "<?php no_such_function_guardtest();\n")
    r = s.get("/fatal.php")
    assert r.status == 500, r
    bad = wait_for(s.unexpected_log_lines, 3, what="audit to flag the error")
    assert any("no_such_function_guardtest" in l for l in bad), bad
    s.expect_log(r"no_such_function_guardtest")
    assert s.unexpected_log_lines() == []


def test_audit_flags_child_crash(make_server):
    s = make_server("StartServers 3\nMinSpareServers 2\nMaxSpareServers 6\n"
                    "GuardStuckThreshold 1s\n")
    js = wait_for(lambda: (lambda j: j if len(j["children"]) >= 3 else None)(
        s.guard_json()), 10, what="3 children")
    victim = js["children"][-1]["pid"]
    os.kill(victim, signal.SIGSEGV)
    wait_for(lambda: not proc_alive(victim), 5, what="child to die")
    wait_for(lambda: s.count_log(r"child pid %d exit signal" % victim), 5,
             what="exit signal line of pid %d" % victim)
    assert any("exit signal" in l for l in s.unexpected_log_lines())
    s.expect_log(r"child pid %d exit signal" % victim)
    # mod_guard's own crash report and the parent's line about it.
    s.expect_log(r"GRD050[016]: (crash \d+|child pid %d)" % victim)

    # The server and the status page survive; the dead child is no busy
    # worker.
    assert s.get("/hello.php").status == 200
    js = s.guard_json()
    for w in js["workers"]:
        if w["pid"] == victim:
            assert w["state"] not in ("busy", "read", "keepalive"), w
