# SPDX-License-Identifier: Apache-2.0
"""Fixtures: a fresh real httpd per test, always stopped at teardown, with
an error-log audit that fails the test on unexpected errors."""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guardtest  # noqa: E402

# For work on the harness itself only: run the servers without mod_guard.
NO_MODULE = os.environ.get("GUARD_TEST_NO_MODULE") == "1"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "portable: needs no thread "
                            "inspection; the only tests run against a build "
                            "configured with --disable-proc-inspection")
    config.addinivalue_line("markers", "soak: long runs under load (sized "
                            "by GUARD_SOAK_REQUESTS, GUARD_SOAK=long)")


def pytest_collection_modifyitems(config, items):
    if guardtest.PROC_INSPECTION:
        return
    skip = pytest.mark.skip(reason="needs thread inspection: this build "
                            "was configured with --disable-proc-inspection")
    for item in items:
        if "portable" not in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def make_server(request):
    """make_server(snippet, mpm="prefork", start=True, **Httpd options)
    returns a started guardtest.Httpd. Every server is stopped at teardown
    (-k stop, then SIGKILL of leftovers by pid) and its error log audited."""
    servers = []

    def make(snippet="", mpm="prefork", start=True, **kw):
        if NO_MODULE:
            kw["guard"] = False
            snippet = "\n".join(l for l in snippet.splitlines()
                                if not l.strip().startswith("Guard"))
        s = guardtest.Httpd(mpm=mpm, snippet=snippet, **kw)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make

    problems = []
    for s in servers:
        try:
            s.stop()
        except Exception as e:  # keep cleaning up
            problems.append("stop of %s failed: %s" % (s.root, e))
        s.close_resources()
        left = s.kill_leftovers()
        if left:
            problems.append("httpd processes left after -k stop: %s" % left)
        bad = s.unexpected_log_lines()
        if bad:
            problems.append("unexpected lines in %s:\n  %s"
                            % (s.error_log, "\n  ".join(bad)))
        for where, text in s.sanitizer_reports():
            problems.append("sanitizer report in %s:\n%s" % (where, text))
    failed = problems or getattr(request.node, "rep_call", None) is None \
        or request.node.rep_call.failed
    for s in servers:
        if failed or os.environ.get("GUARD_TEST_KEEP") == "1":
            sys.stderr.write("\n[kept server dir %s]\n" % s.root)
        else:
            shutil.rmtree(s.root, ignore_errors=True)
    if problems:
        pytest.fail("teardown audit:\n" + "\n".join(problems), pytrace=False)
