# SPDX-License-Identifier: Apache-2.0
"""/guard-status in a real browser: Debian's chromium, headless, loads the
page of a live server (prefork + mod_php) with stuck, cut and crashed
workers whose requests carry markup and script, and an HTTP/2 stream (h2c
with prior knowledge, which mod_http2 serves under prefork on threads of
its own). The DOM chromium builds
holds the tables, marks the stuck rows, shows every hostile string as text
and no element or attribute made from one; no script runs, nothing is
logged to the console; a screenshot is taken."""

import html.parser
import os
import shutil
import signal
import struct
import subprocess
import tempfile

import pytest

from guardtest import (PHP_STACKS, Fail, build_request, proc_alive, raw_exchange,
                       wait_for, wait_worker)
from h2client import H2Connection

CHROMIUM = shutil.which("chromium")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (scripts/setup-deps installs "
           "Debian's chromium package)")

SNIPPET = """\
LoadModule http2_module /usr/lib/apache2/modules/mod_http2.so
Protocols h2c http/1.1
php_admin_value ffi.enable 1
HttpProtocolOptions Unsafe
StartServers 6
MinSpareServers 4
MaxSpareServers 10
GuardStuckThreshold 1s
GuardWatchInterval 100ms
<Location /backend.php>
    GuardBackendTimeout 1s
</Location>
"""

# Each payload, run as script, would leave a mark in the DOM: a
# data-pwned attribute or the title.
PATH_SCRIPT = "<script>document.title='pwned'</script>\"'"
HOST_IMG = ('"><img src=x onerror=document.body.setAttribute('
            "'data-pwned','host')>")
UA = "<script>alert('ua')</script><b onmouseover=x>"
CUT_SVG = "<svg/onload=document.body.setAttribute('data-pwned','cut')>"
CRASH_IFRAME = ("<iframe/src=javascript:parent.document.body.setAttribute("
                "'data-pwned','crash')>")

STUCK_PATH = "/sleep.php/" + PATH_SCRIPT + "?us=30000000"
CUT_PATH = "/backend.php/" + CUT_SVG + "?port=%d"
CRASH_PATH = "/crash_ffi.php/" + CRASH_IFRAME
# Short: a prefork child waits for mod_http2's workers before it exits.
H2_PATH = "/sleep.php/h2" + PATH_SCRIPT + "?us=6000000"

# What the renderers write (and the tbody a browser adds to a table).
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2",
             "h3", "p", "a", "br", "code", "i", "ol", "li", "table", "tbody",
             "tr", "th", "td", "details", "summary"}


class Dom(html.parser.HTMLParser):
    """The elements of a serialized DOM: tag, attributes, enclosing rows'
    classes, and the text of each table row."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.rows = []          # (class attribute, [cell texts])
        self.title = ""
        self._stack = []
        self._cell = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append((dict(attrs).get("class", ""), []))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._stack and self._stack[-1] == "title":
            self.title += data

    def tags(self):
        return {t for t, a in self.elements}

    def row_texts(self, cls=None):
        return [" | ".join(cells) for c, cells in self.rows
                if cls is None or c == cls]


def chromium(workdir, url, *args, timeout=60):
    """Run headless chromium once (as root: no sandbox) with a profile of
    its own; returns (stdout, stderr). Fails if it leaves a process."""
    prof = tempfile.mkdtemp(prefix="chromium-", dir=workdir)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--user-data-dir=" + prof, "--no-first-run",
           "--disable-extensions", "--disable-background-networking",
           "--enable-logging=stderr", "--v=0"] + list(args) + [url]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, "chromium exited %d:\n%s" % (p.returncode, err)
    try:
        wait_for(lambda: not processes_using(prof), timeout=10,
                 what="chromium's processes to exit")
    except Fail:
        for pid in processes_using(prof):
            os.kill(pid, signal.SIGKILL)
        raise
    return p.stdout.decode("utf-8", "replace"), err


def processes_using(prof):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if prof.encode() in f.read():
                    pids.append(int(d))
        except OSError:
            pass
    return [p for p in pids if proc_alive(p)]


def console_lines(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", head
    return struct.unpack(">II", head[16:24])


def fire_crash(s):
    try:
        raw_exchange(s.port, build_request(CRASH_PATH), 20)
    except OSError:
        pass


@pytest.mark.slow
def test_page_in_chromium(make_server):
    s = make_server(SNIPPET)
    for r in (r"exit signal", r"GRD050[0-2]", r"GRD0506"):
        s.expect_log(r)

    fire_crash(s)
    wait_for(lambda: s.count_log(r"GRD0501") >= 1, timeout=15,
             what="the crash recorded (GRD0501)")
    bh = s.blackhole()
    s.hang(CUT_PATH % bh.port)
    bh.wait_accepted()
    s.hang(STUCK_PATH, host=HOST_IMG, headers={"User-Agent": UA})
    wait_for(lambda: s.count_log(r"GRD0300") >= 1, timeout=15,
             what="the hung backend call cut (GRD0300)")
    wait_worker(s, "/sleep.php/", lambda w: w["stuck"] and w["wait"],
                timeout=10, what="the hostile request stuck and sampled")
    h2 = H2Connection(s.port)
    s.hanging.append(h2)            # closed with the server's requests
    stream = h2.get(H2_PATH)
    wait_worker(s, "/sleep.php/h2", lambda w: w["kind"] == "http2",
                timeout=10, what="the HTTP/2 stream listed")

    url = "http://127.0.0.1:%d/guard-status" % s.port
    dom_text, err = chromium(s.root, url, "--dump-dom")
    assert console_lines(err) == [], console_lines(err)
    dom = Dom(dom_text)

    # Only the elements the renderer writes; none from request data.
    assert dom.tags() <= PAGE_TAGS, (dom.tags() - PAGE_TAGS, dom_text)
    for tag, attrs in dom.elements:
        for name in attrs:
            assert not name.startswith("on") and name != "data-pwned" \
                and name != "src", (tag, attrs)
    assert "pwned" not in dom.title, dom.title

    # The workers' table, the stuck row marked as the page marks it.
    assert any(r.startswith("Child | Thread | PID | TID | State | Request")
               for r in dom.row_texts()), dom.row_texts()
    # (The stream's row, /sleep.php/h2..., is stuck too once chromium takes
    # more than GuardStuckThreshold: it is looked at below.)
    stuck = [r for r in dom.row_texts("stuck")
             if "/sleep.php/" in r and "/sleep.php/h2" not in r]
    assert len(stuck) == 1, dom.row_texts()
    # The hostile strings are there, as text.
    assert "/sleep.php/" + PATH_SCRIPT + "?..." in stuck[0], stuck
    assert HOST_IMG.lower() in stuck[0], stuck      # httpd folds the Host
    assert "clock_nanosleep" in stuck[0] or "nanosleep" in stuck[0], stuck
    assert [e for e in dom.elements
            if e[0] == "p" and e[1].get("class") == "stuck"], dom_text
    # Its stacks, folded under its row: the PHP frames of sleep.php.
    if PHP_STACKS:
        stacks = [r for r in dom.row_texts("stack") if "usleep" in r]
        assert stacks and "{main}" in stacks[0], dom.row_texts("stack")
    # The stream: its own row, its stream id, the hostile path as text.
    streams = [r for r in dom.row_texts() if "/sleep.php/h2" in r]
    assert len(streams) == 1, dom.row_texts()
    assert "busy, HTTP/2 stream 1 of connection " in streams[0], streams
    assert "/sleep.php/h2" + PATH_SCRIPT + "?..." in streams[0], streams
    assert " HTTP/2.0" in streams[0], streams
    cuts = [r for r in dom.row_texts() if "/backend.php/" + CUT_SVG in r]
    assert cuts and "cut" in cuts[0], dom.row_texts()
    crashes = [r for r in dom.row_texts() if "SIGSEGV" in r]
    assert crashes and any("/crash_ffi.php/" + CRASH_IFRAME in r
                           for r in crashes), dom.row_texts()

    # A picture of the same page.
    shot = os.path.join(s.root, "guard-status.png")
    out, err = chromium(s.root, url, "--screenshot=" + shot,
                        "--window-size=1400,900", "--hide-scrollbars")
    assert console_lines(err) == [], console_lines(err)
    assert png_size(shot) == (1400, 900)
    assert os.path.getsize(shot) > 10000, os.path.getsize(shot)
    assert stream.done.wait(15) and stream.status == 200, stream.status
