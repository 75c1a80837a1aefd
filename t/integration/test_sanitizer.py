# SPDX-License-Identifier: Apache-2.0
"""The harness of a --enable-sanitizers build: httpd runs with the ASan and
UBSan runtimes preloaded, and a report written by a child (after it
dropped root) lands in the server's sanitizer directory, where the
teardown audit finds it. Skipped for a build without sanitizers."""

import os
import shutil
import subprocess
import tempfile

import pytest

import guardtest
from guardtest import Fail, build_request, raw_exchange, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SANBUG_SRC = os.path.join(HERE, "..", "modules", "mod_sanbug.c")
APXS = os.environ.get("APXS") or "/usr/bin/apxs"
SAN_FLAGS = "-fsanitize=address,undefined"

pytestmark = pytest.mark.skipif(not guardtest.SANITIZED,
                                reason="not a --enable-sanitizers build")


@pytest.fixture(scope="module")
def sanbug_so():
    """mod_sanbug built with apxs and the sanitizers."""
    d = tempfile.mkdtemp(prefix="sanbug-")
    src = os.path.join(d, "mod_sanbug.c")
    shutil.copy(SANBUG_SRC, src)
    p = subprocess.run([APXS, "-c", "-o", "mod_sanbug.so",
                        "-Wc,%s" % SAN_FLAGS, "-Wc,-fno-sanitize-recover=all",
                        "-Wl,%s" % SAN_FLAGS, src], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Fail("apxs -c mod_sanbug.c failed:\n%s"
                   % p.stdout.decode("utf-8", "replace"))
    os.chmod(d, 0o755)
    yield os.path.join(d, ".libs", "mod_sanbug.so")
    shutil.rmtree(d, ignore_errors=True)


def sanbug_server(make_server, so):
    return make_server("LoadModule sanbug_module %s\n"
                       "<Location /sanbug>\n    SetHandler sanbug\n"
                       "</Location>\n" % so)


def take_reports(server, what):
    """Wait for a report that says what; take every report (this test
    expects them, the teardown audit would fail on them); return their
    text."""
    def ready():
        text = "\n".join(t for _, t in server.sanitizer_reports())
        return what in text and text
    wait_for(ready, 15, what="a %r report" % what)
    return "\n".join(t for _, t in server.take_sanitizer_reports())


def test_preloaded_and_clean(make_server, sanbug_so):
    s = sanbug_server(make_server, sanbug_so)
    rc, out = s.configtest()
    assert rc == 0 and "Syntax OK" in out, out
    assert s.get("/sanbug").text == "no bug\n"
    for pid in [s.master_pid] + s.children():
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        assert "libasan.so" in maps and "libubsan.so" in maps, pid
    assert s.sanitizer_reports() == []


@pytest.mark.parametrize("bug,what,frame", [
    ("heap", "ERROR: AddressSanitizer: heap-buffer-overflow", "sanbug_heap"),
    ("int", "runtime error: signed integer overflow", "mod_sanbug.c:"),
])
def test_child_report_is_found(make_server, sanbug_so, bug, what, frame):
    s = sanbug_server(make_server, sanbug_so)
    out = raw_exchange(s.port, build_request("/sanbug?" + bug))
    assert b"no bug" not in out, out
    text = take_reports(s, what)
    assert frame in text, text
    assert s.get("/sanbug").text == "no bug\n"
