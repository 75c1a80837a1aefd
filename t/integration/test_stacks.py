# SPDX-License-Identifier: Apache-2.0
"""Live stacks against real servers: the PHP frames and the native frames
of a worker whose request is older than the sampling age, read by its
child's watchdog and shown on /guard-status (?json, HTML, ?stack=,
?auto) and in the GRD0100/GRD0300/GRD0402 log lines.

Expected PHP frames are computed from the pages' own "// @..." marker
comments (t/integration/htdocs/stack_*.php), never written down as line
numbers here. Native frames are checked against the ELF files the child
has mapped: each frame's build id is its file's, and each symbol is one
the file's tables name, with the frame's offset inside it.

What gdb shows of a prefork child blocked in stack_block.php's fread
(Debian 12, PHP 8.2.36, libc6-dbg installed, apache2 and libphp8.2.so
stripped):
    #0  __GI___poll () libc.so.6
    #1  ?? () libphp8.2.so                       (a static function)
    #2  _php_stream_fill_read_buffer () libphp8.2.so
    #3  _php_stream_read () #4 php_stream_read_to_str ()
    #5  zif_fread ()  #6 execute_ex ()  #7 zend_execute ()
    #8  zend_execute_scripts ()  #9 php_execute_script ()
    #10 ?? () libphp8.2.so                       (a static function)
    #11 ap_run_handler ()  #12 ap_invoke_handler ()  (apache2)
    #13 ap_process_async_request ()  #14 ap_process_request ()
    #15 ?? ()  #16 ap_run_process_connection ()
    #17-#20 ?? () mod_mpm_prefork.so  #21 ap_run_mpm ()  #22 main ()
and below main, __libc_start_call_main, __libc_start_main and _start:
26 frames, within GuardStackDepth's default 32. The dynamic tables name
zif_fread, execute_ex, ap_run_handler and main; libc's names the poll
entry "poll" and "__poll" (its debug file, when installed, more).
"""

import html
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from guardtest import (HTDOCS_SRC, NATIVE_STACKS, PHP_STACKS, SANITIZED,
                       Fail, Response,
                       find_worker, wait_for, wait_worker)
from peers import Responder, answer_after, read_until_eof

HERE = os.path.dirname(os.path.abspath(__file__))
STACKTEST_SRC = os.path.join(HERE, "..", "modules", "mod_stacktest.c")
APXS = os.environ.get("APXS") or "/usr/bin/apxs"

php_stacks = pytest.mark.skipif(
    not PHP_STACKS, reason="built without PHP frames "
    "(GUARD_PHP_STACKS=no in guard-build.env)")
native_stacks = pytest.mark.skipif(
    not NATIVE_STACKS, reason="built without native frames "
    "(GUARD_NATIVE_STACKS=no in guard-build.env)")

BASE = """\
StartServers 4
MinSpareServers 2
MaxSpareServers 8
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""

STACK_KEYS = {"php", "native", "complete", "stable", "line_approximate",
              "native_complete", "native_stable"}
PHP_FRAME_KEYS = {"function", "file", "line", "line_approximate"}
NATIVE_FRAME_KEYS = {"module", "offset", "symbol", "build_id"}

# libc's entry points as its dynamic table (or a debug table) names them.
POLL_SYMBOLS = {"poll", "__poll", "__GI___poll"}
READ_SYMBOLS = {"read", "__read", "__libc_read", "__GI___libc_read"}
FLOCK_SYMBOLS = {"flock", "__flock"}


# ---------------------------------------------------------------- pages

MARK_RE = re.compile(r"// @(\S+)\s*$")


def marks(page):
    """{mark: [line numbers]} of the "// @<mark>" comments that end the
    lines of an htdocs page."""
    out = {}
    with open(os.path.join(HTDOCS_SRC, page)) as f:
        for n, line in enumerate(f, 1):
            m = MARK_RE.search(line)
            if m:
                out.setdefault(m.group(1), []).append(n)
    return out


def mark(page, key):
    lines = marks(page).get(key, [])
    if len(lines) != 1:
        raise Fail("%s: %d lines marked // @%s" % (page, len(lines), key))
    return lines[0]


def docroot(s):
    # PHP names files by their real path.
    return os.path.join(os.path.realpath(s.root), "htdocs")


def php_frame(function, path="", line=0, approx=False):
    return {"function": function, "file": path, "line": line,
            "line_approximate": approx}


def block_frames(s, page="stack_block.php"):
    """The PHP frames of stack_block.php (or a copy of it named page)
    blocked in fread, innermost first."""
    blk = os.path.join(docroot(s), page)
    inc = os.path.join(docroot(s), "stack_inc.php")

    def b(k):
        return mark("stack_block.php", "frame:" + k)

    def i(k):
        return mark("stack_inc.php", "frame:" + k)
    return [php_frame("fread"),
            php_frame("{closure}", blk, b("{closure}")),
            php_frame("Svc::{closure}", inc, i("Svc::{closure}")),
            php_frame("Svc::run", inc, i("Svc::run")),
            php_frame("stack_inner", blk, b("stack_inner")),
            php_frame("stack_outer", blk, b("stack_outer")),
            php_frame("include", inc, i("include")),
            php_frame("{main}", blk, b("{main}"))]


def top_text(frames):
    """How log lines name the top of these frames (an internal function:
    also where it was called from)."""
    f = frames[0]
    if f["file"] == "" and len(frames) > 1:
        g = frames[1]
        return " in %s() from %s %s:%d" % (f["function"], g["function"],
                                           g["file"], g["line"])
    return " in %s %s:%d" % (f["function"], f["file"], f["line"])


# ---------------------------------------------------------------- servers


def stack_server(make_server, snippet=BASE, php_ini=None, **kw):
    """A started server; php_ini: {setting: value} in an ini file of its
    own, scanned after PHP's conf.d (PHP_INI_SCAN_DIR=:<dir>), for what
    php_admin_value cannot set (opcache's JIT buffer is sized at
    start-up)."""
    s = make_server(snippet, start=False, **kw)
    if php_ini:
        d = os.path.join(s.root, "php-ini")
        os.makedirs(d)
        with open(os.path.join(d, "99-stacks.ini"), "w") as f:
            for k, v in php_ini.items():
                f.write("%s=%s\n" % (k, v))
        os.chmod(d, 0o755)
        s.extra_env["PHP_INI_SCAN_DIR"] = ":" + d
    s.start()
    return s


def taken(w):
    """The watchdog has read this worker's stacks."""
    st = w.get("stack")
    return bool(st) and (st.get("php") != "none" or
                         st.get("native") != "none")


def taken_stuck(w):
    """Read, and the worker is stuck: the pages list its native frames."""
    return taken(w) and w["stuck"]


def wait_stack(s, needle, pred=taken_stuck, timeout=6, what=None):
    w, js = wait_worker(s, needle, pred, timeout=timeout,
                        what=what or "stacks of the worker serving %r"
                        % needle)
    check_shape(w)
    return w, js


def check_shape(w):
    assert isinstance(w.get("stack"), dict), \
        "worker's \"stack\" is %r, not an object" % (w.get("stack"),)
    # taken_ms: when the watchdog read them (ms since the epoch);
    # native_count: native frames read (listed for stuck workers only).
    assert STACK_KEYS <= set(w["stack"]) <= \
        STACK_KEYS | {"taken_ms", "native_count"}, w["stack"]
    if "native_count" in w["stack"]:
        assert len(w["native_frames"]) == \
            (w["stack"]["native_count"] if w["stuck"] else 0), w
    for k in STACK_KEYS - {"php", "native"}:
        assert isinstance(w["stack"][k], bool), (k, w["stack"])
    for f in w["php_frames"]:
        assert set(f) == PHP_FRAME_KEYS, f
        assert isinstance(f["line"], int), f
        assert isinstance(f["line_approximate"], bool), f
    for f in w["native_frames"]:
        assert set(f) == NATIVE_FRAME_KEYS, f
        assert re.fullmatch(r"0x[0-9a-f]+", f["offset"]), f
        assert re.fullmatch(r"([0-9a-f]{2})*", f["build_id"]), f


def release(h, bh):
    """Let a blocked stack_block.php read finish; its response."""
    bh.release()
    assert h.done.wait(10), "request did not come back after release"
    assert h.error is None, h.error
    return Response(h.response)


# ---------------------------------------------------------------- ELF

_elf = {}


def elf_symbols(path, dynamic=False):
    """{function symbol: [(start, end)]} of an ELF file's symbol table
    (or its dynamic one)."""
    out = subprocess.run(["nm", "-S", "--defined-only"] +
                         (["-D"] if dynamic else []) + [path],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    syms = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "TtWwi":
            start = int(p[0], 16)
            # Versioned definitions are named with and without it
            # ("__libc_start_main@@GLIBC_2.34").
            for name in {p[3], p[3].split("@")[0]}:
                syms.setdefault(name, []).append(
                    (start, start + int(p[1], 16)))
    return syms


def elf_info(path):
    """(build id in hex or "", {symbol: [(start, end)]}) of an ELF file:
    readelf's notes; the symbols of its table, else of its dynamic one,
    and of its separate debug file when installed (libc6-dbg), as a
    symbolizer finds them."""
    if path in _elf:
        return _elf[path]
    notes = subprocess.run(["readelf", "-n", path], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.decode()
    m = re.search(r"Build ID: ([0-9a-f]+)", notes)
    bid = m.group(1) if m else ""
    syms = elf_symbols(path) or elf_symbols(path, dynamic=True)
    debug = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
    if bid and os.path.exists(debug):
        for k, v in elf_symbols(debug).items():
            syms.setdefault(k, []).extend(v)
    _elf[path] = (bid, syms)
    return _elf[path]


def mapped_files(pid):
    """{file name: path} of the files mapped in process pid."""
    out = {}
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            p = line.split(None, 5)
            if len(p) == 6 and p[5].startswith("/"):
                path = p[5].strip()
                out.setdefault(os.path.basename(path), path)
    return out


def check_native_against_elf(w):
    """Every native frame of w agrees with the file it names: its build
    id, and its offset inside the symbol it names."""
    files = mapped_files(w["pid"])
    for i, f in enumerate(w["native_frames"]):
        if not f["module"]:
            assert not f["symbol"], (i, f)
            continue
        assert f["module"] in files, \
            "frame %d: %s is not mapped in %d" % (i, f["module"], w["pid"])
        bid, syms = elf_info(files[f["module"]])
        assert f["build_id"] == bid, (i, f, files[f["module"]], bid)
        if f["symbol"]:
            off = int(f["offset"], 16)
            ranges = syms.get(f["symbol"], [])
            assert any(a <= off <= b for a, b in ranges), \
                "frame %d: %s not inside %s %s of %s" % (
                    i, f["offset"], f["symbol"],
                    ["%x-%x" % r for r in ranges], files[f["module"]])


def native_index(frames, symbols, module=None, start=0):
    """Index of the first frame from start naming one of symbols (in
    module), or -1."""
    if isinstance(symbols, str):
        symbols = {symbols}
    for i in range(start, len(frames)):
        f = frames[i]
        if f["symbol"] in symbols and (module is None or
                                       f["module"] == module):
            return i
    return -1


def native_names(frames):
    return ["%s!%s" % (f["module"], f["symbol"] or f["offset"])
            for f in frames]


# ------------------------------------------------- 1. frames of a PHP page

OPCACHE_MODES = {
    "opcache-off": {"opcache.enable": "0"},
    # Pages are copied in just before the server starts: younger than
    # opcache's default 2 s of file_update_protection, never cached.
    "opcache-on": {"opcache.enable": "1",
                   "opcache.file_update_protection": "0",
                   "opcache.jit": "off"},
    # Hot counters at 1: the warm-up requests get the page's functions
    # traced and compiled before the request that blocks.
    "jit": {"opcache.enable": "1", "opcache.file_update_protection": "0",
            "opcache.jit": "tracing", "opcache.jit_buffer_size": "32M",
            "opcache.jit_hot_func": "1", "opcache.jit_hot_loop": "1",
            "opcache.jit_hot_return": "1", "opcache.jit_hot_side_exit": "1"},
}

ANSWER = b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nwarm"


def mode_line(mode):
    """What stack_block.php says of opcache once its read returned."""
    return {"opcache-off": r"opcache=off cached=no jit=off jit_used=0",
            "opcache-on": r"opcache=on cached=yes jit=off jit_used=\d+",
            "jit": r"opcache=on cached=yes jit=on jit_used=[1-9]\d*"}[mode]


def jit_used(r, mode, nbytes):
    """The JIT buffer's bytes in use that stack_block.php's response r
    reports, after checking it ran in mode having read nbytes."""
    assert r.status == 200, r
    m = re.fullmatch(r"read %d bytes; %s\n" % (nbytes, mode_line(mode)),
                     r.text)
    assert m, (mode, r.text)
    return int(re.search(r"jit_used=(\d+)", r.text).group(1))


@pytest.mark.slow
@php_stacks
@native_stacks
@pytest.mark.parametrize("mode", list(OPCACHE_MODES))
def test_php_frames_of_blocked_page(make_server, mode):
    """stack_block.php blocked in fread, eight PHP frames deep through a
    function pair, a method, two closures and an include: the exact
    frames, the same with opcache off, on and with its tracing JIT; the
    native frames from libc's poll through zif_fread to ap_run_handler
    (with the JIT the unwind may stop at JIT code above execute_ex)."""
    s = stack_server(make_server, php_ini=OPCACHE_MODES[mode])
    used = [0]
    if mode == "jit":
        # Traces are compiled as the warm-up runs go (JIT buffer use grows
        # from the first to the last): the page runs JIT code by then.
        warm = s.adopt(Responder(answer_after(0, ANSWER)))
        used = [jit_used(s.get("/stack_block.php?port=%d" % warm.port),
                         mode, len(ANSWER)) for _ in range(3)]
        assert used[0] < used[-1], used
    bh = s.blackhole()
    h = s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, js = wait_stack(s, "/stack_block.php")

    st = w["stack"]
    assert st["php"] == "ok", w
    assert w["php_frames"] == block_frames(s), w["php_frames"]
    assert st["complete"] is True and st["stable"] is True, st
    assert st["line_approximate"] is False, st

    nf = w["native_frames"]
    check_native_against_elf(w)
    names = native_names(nf)
    assert nf, st
    assert nf[0]["module"] == "libc.so.6" and \
        nf[0]["symbol"] in POLL_SYMBOLS, names
    assert st["native_stable"] is True, st
    fread_at = native_index(nf, "zif_fread", "libphp8.2.so")
    assert fread_at > 0, names
    if mode == "jit" and st["native"] == "jit":
        assert st["native_complete"] is False, st
    else:
        # 26 to 28 frames: all of them within GuardStackDepth's 32.
        assert st["native"] == "end", (st, names)
        assert st["native_complete"] is True, st
        ex = native_index(nf, "execute_ex", "libphp8.2.so", fread_at)
        assert ex > fread_at, names
        run = native_index(nf, "ap_run_handler", "apache2", ex)
        assert run > ex, names
        assert native_index(nf, "main", "apache2", run) > run, names
        assert nf[-1]["module"] == "apache2", names
    assert len(nf) <= 32, names

    assert jit_used(release(h, bh), mode, len(bh.RELEASE)) >= used[-1]

    # The frames were of that request: once it is over its slot has none.
    def slot_idle():
        for x in s.guard_json()["workers"]:
            if (x["child"], x["thread"]) == (w["child"], w["thread"]) and \
                    x["state"] != "busy":
                return x
    x = wait_for(slot_idle, 5, what="the slot of %d to be idle" % w["pid"])
    assert x["php_frames"] == [] and x["native_frames"] == [], x


@php_stacks
@pytest.mark.parametrize("order", ["php-first", "guard-first"])
def test_php_frames_whatever_the_load_order(make_server, order):
    """Debian's a2enmod loads guard.load before php8.2.load: PHP is
    looked up after every module's post_config (PHP's start-up among
    them), so its frames are there either way, and the start-up line says
    so once, with no GRD0701."""
    s = stack_server(make_server, guard_first=order == "guard-first")
    conf = open(s.conf).read()
    guard_at, php_at = conf.index("guard_module"), conf.index("php_module")
    assert (guard_at < php_at) == (order == "guard-first")
    log = s.log_text()
    assert "GRD0701" not in log, log
    assert len(re.findall(r"GRD0700: live stacks: PHP frames PHP \d", log)) \
        == 1, log
    bh = s.blackhole()
    h = s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, _ = wait_stack(s, "/stack_block.php")
    assert w["stack"]["php"] == "ok", w
    assert w["php_frames"] == block_frames(s), w["php_frames"]
    assert release(h, bh).status == 200


# ------------------------------------------------------- 2. a spinning page


@pytest.mark.slow
@php_stacks
def test_spinning_page(make_server):
    """A loop that makes no call keeps PHP's position in a register: the
    frame names the loop's function, at a line of the loop, or at the
    function's first line with line_approximate saying so. Natively the
    thread is on CPU: no native frames."""
    s = stack_server(make_server)
    page = os.path.join(docroot(s), "stack_spin.php")
    loop_lines = marks("stack_spin.php")["loop"]
    first = mark("stack_spin.php", "first")
    main_line = mark("stack_spin.php", "frame:{main}")
    h = s.hang("/stack_spin.php?s=15")

    def in_loop(w):
        return (taken(w) and w["php_frames"] and
                w["php_frames"][0]["function"] == "stack_spin_loop")
    wait_stack(s, "/stack_spin.php", in_loop, timeout=6,
               what="stacks of the spinning loop")
    looks = 0
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        w = find_worker(s.guard_json(), "/stack_spin.php")
        assert w is not None and not h.done.is_set(), h.response
        st, pf = w["stack"], w["php_frames"]
        assert st["php"] == "ok", w
        assert len(pf) == 2, pf
        top = pf[0]
        assert top["function"] == "stack_spin_loop" and \
            top["file"] == page, pf
        if top["line_approximate"]:
            assert top["line"] == first, (pf, first)
        else:
            assert top["line"] in loop_lines, (pf, loop_lines)
        assert st["line_approximate"] is top["line_approximate"], w
        assert pf[1] == php_frame("{main}", page, main_line), pf
        assert st["complete"] is True and st["stable"] is True, st
        if NATIVE_STACKS:
            assert st["native"] == "on_cpu", st
            assert w["native_frames"] == [], w["native_frames"]
            assert st["native_complete"] is False, st
        looks += 1
        time.sleep(0.2)
    assert looks >= 3
    assert not h.done.is_set(), "spin ended early: %r" % h.response


# ------------------------------------------------ 3. a session lock waiter


@pytest.mark.slow
@php_stacks
def test_session_waiter_and_holder_cut(make_server):
    """Two requests of one session: the holder blocks in fread with the
    session lock, the waiter in session_start (flock on the session file).
    The waiter's frames: session_start (internal), {main}. GuardLockWatch's
    cut-holder then cuts the holder's backend, and its GRD0402 line names
    the holder's top frame."""
    s = stack_server(make_server, BASE + "GuardLockWatch "
                     "@ROOT@/sessions/sess_* 3s cut-holder\n")
    hold = os.path.join(docroot(s), "stack_session_hold.php")
    wpage = os.path.join(docroot(s), "stack_session.php")
    bh = s.blackhole()
    sid = "stacks%d" % int(time.time() * 1000)
    cookie = {"Cookie": "PHPSESSID=" + sid}
    holder = s.hang("/stack_session_hold.php?port=%d" % bh.port,
                    headers=cookie)
    bh.wait_accepted()
    waiter = s.hang("/stack_session.php", headers=cookie)

    w, js = wait_stack(s, "/stack_session.php")
    assert w["wait"] is not None and w["wait"]["kind"] == "lock", w
    assert w["stack"]["php"] == "ok", w
    assert w["php_frames"] == [
        php_frame("session_start"),
        php_frame("{main}", wpage, mark("stack_session.php",
                                        "frame:{main}"))], w["php_frames"]
    assert w["stack"]["complete"] and w["stack"]["stable"], w["stack"]
    if NATIVE_STACKS:
        check_native_against_elf(w)
        nf = w["native_frames"]
        assert nf and nf[0]["module"] == "libc.so.6" and \
            nf[0]["symbol"] in FLOCK_SYMBOLS, native_names(nf)

    hw, js = wait_stack(s, "/stack_session_hold.php")
    hold_frames = [php_frame("fread"),
                   php_frame("{main}", hold, mark("stack_session_hold.php",
                                                  "frame:{main}"))]
    assert hw["stack"]["php"] == "ok" and \
        hw["php_frames"] == hold_frames, hw
    assert not holder.done.is_set() and not waiter.done.is_set()

    cut = wait_for(lambda: re.findall(r"GRD0402: .*", s.log_text()), 5,
                   what="GRD0402: the holder's backend cut")
    assert len(cut) == 1, cut
    # GRD0400 names the holder's frame: the holder's own watchdog read its
    # stacks at its sampling age (375 ms here), long before the waiter had
    # waited the rule's 3 s.
    chain = re.findall(r"GRD0400: .*", s.log_text())
    assert len(chain) == 1, chain
    assert chain[0].endswith(top_text(hold_frames)), \
        "GRD0400 does not end with %r: %s" % (top_text(hold_frames), chain[0])
    assert cut[0].endswith(top_text(hold_frames)), \
        "GRD0402 does not end with %r: %s" % (top_text(hold_frames), cut[0])
    assert waiter.done.wait(5) and holder.done.wait(5)
    r = Response(waiter.response)
    assert r.status == 200 and r.text == "session %s n=2\n" % sid, r


# ------------------------------------------------------------ 4. log lines

STUCK_TAIL = (r"waiting on: \w+ on socket 127\.0\.0\.1:%d "
              r"\(idle \d+\.\d s\)%s$")


@pytest.mark.slow
@php_stacks
def test_log_lines_name_top_frame(make_server):
    """GRD0100 (stuck) and GRD0300 (backend cut) of stack_block.php end
    with its top PHP frame: " in fread() from {closure} <file>:<line>"."""
    s = stack_server(make_server, BASE + "GuardBackendTimeout 2s\n")
    bh = s.adopt(Responder(read_until_eof))
    h = s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()
    tail = top_text(block_frames(s))

    stuck = wait_for(lambda: re.findall(r".*GRD0100: .*", s.log_text()), 4,
                     what="GRD0100 line")
    assert len(stuck) == 1, stuck
    assert re.search(STUCK_TAIL % (bh.port, re.escape(tail)), stuck[0]), \
        "GRD0100 does not end with %r: %s" % (tail, stuck[0])

    cut = wait_for(lambda: re.findall(r".*GRD0300: .*", s.log_text()), 4,
                   what="GRD0300 line")
    assert len(cut) == 1, cut
    assert re.search(r"\[guard:warn\] .*GRD0300: backend cut: pid \d+ .* "
                     r"read \w+ on fd \d+ to 127\.0\.0\.1:%d blocked "
                     r"\d+\.\d s, idle \d+\.\d s, GuardBackendTimeout 2s%s$"
                     % (bh.port, re.escape(tail)), cut[0]), cut[0]
    assert h.done.wait(5)
    r = Response(h.response)
    assert r.status == 200 and r.text.startswith("read 0 bytes; "), r


@pytest.mark.slow
@php_stacks
def test_unix_socket_cut_says_no_idle_time(make_server):
    """The kernel keeps no idle time of a unix socket: the GRD0300 line
    says so, and still names the top PHP frame."""
    s = stack_server(make_server, BASE + "GuardBackendTimeout 1s\n")
    path = os.path.join(s.root, "run", "backend.sock")
    bh = s.adopt(Responder(read_until_eof, unix_path=path))
    h = s.hang("/stack_block.php?unix=" + path)
    bh.wait_accepted()
    tail = top_text(block_frames(s))
    cut = wait_for(lambda: re.findall(r".*GRD0300: .*", s.log_text()), 4,
                   what="GRD0300 line")
    assert len(cut) == 1, cut
    assert "idle -1" not in cut[0], cut[0]
    assert re.search(r"GRD0300: backend cut: .* read \w+ on fd \d+ to "
                     r"\S*%s\S* blocked \d+\.\d s, no idle time[^,]*, "
                     r"GuardBackendTimeout 1s%s$"
                     % (re.escape(path), re.escape(tail)), cut[0]), cut[0]
    assert h.done.wait(5)


# ---------------------------------------------- 5. event MPM, a C module

STACKTEST_CONF = """\
GuardStuckThreshold 1s
GuardWatchInterval 100ms
LoadModule stacktest_module {so}
<Location /st>
    SetHandler stacktest
</Location>
"""

STACKTEST_FUNCS = ["stacktest_wait_backend", "stacktest_fetch",
                   "stacktest_handler"]


# -fno-omit-frame-pointer as distributions now build (Fedora, Ubuntu
# 24.04): the CFI of such a function finds its frame through rbp. And
# without: through sp alone.
STACKTEST_BUILDS = {
    "frame-pointers": ["-Wc,-fno-omit-frame-pointer"],
    "no-frame-pointers": ["-Wc,-fomit-frame-pointer"],
}


@pytest.fixture(scope="session", params=list(STACKTEST_BUILDS))
def stacktest_so(request):
    """mod_stacktest built with apxs in a scratch directory, with debug
    information, no sibling calls, with or without frame pointers."""
    d = tempfile.mkdtemp(prefix="stacktest-")
    src = os.path.join(d, "mod_stacktest.c")
    shutil.copy(STACKTEST_SRC, src)
    p = subprocess.run([APXS, "-c", "-Wc,-g", "-Wc,-O1",
                        "-Wc,-fno-optimize-sibling-calls"] +
                       STACKTEST_BUILDS[request.param] +
                       ["-o", "mod_stacktest.so", src], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise Fail("apxs -c mod_stacktest.c failed:\n%s"
                   % p.stdout.decode("utf-8", "replace"))
    os.chmod(d, 0o755)
    yield (os.path.join(d, ".libs", "mod_stacktest.so"),
           request.param == "frame-pointers")
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.slow
@native_stacks
def test_event_native_frames_of_c_module(make_server, stacktest_so):
    """event MPM, a worker thread of mod_stacktest blocked in read() on a
    silent backend: under libc's read, stacktest_wait_backend,
    stacktest_fetch and stacktest_handler of mod_stacktest.so in that
    order, then httpd's ap_run_handler, down to clone3. No PHP in the
    process. gdb shows these frames for both builds of the module. With
    frame pointers the CFI of the module's functions finds each caller's
    frame by rbp, which /proc/<tid>/syscall does not give (only sp and pc):
    the unwind stops after the first such function, and says so (a limit
    the docs name)."""
    stacktest_so, frame_pointers = stacktest_so
    s = stack_server(make_server, STACKTEST_CONF.format(so=stacktest_so),
                     mpm="event")
    bh = s.blackhole()
    h = s.hang("/st?port=%d" % bh.port)
    bh.wait_accepted()
    w, js = wait_stack(s, "/st?")
    st = w["stack"]
    # A sanitizer build's httpd has ASan's read() interceptor between libc's
    # read and the module: not a frame of the module's chain.
    nf = [f for f in w["native_frames"]
          if not f["module"].startswith(("libasan", "libubsan"))]
    names = native_names(nf)
    assert w["tid"] != w["pid"], w
    assert st["php"] in ("unavailable", "none"), st
    assert w["php_frames"] == [], w
    check_native_against_elf(w)
    assert nf and nf[0]["module"] == "libc.so.6" and \
        nf[0]["symbol"] in READ_SYMBOLS, names
    if SANITIZED:
        # ASan's read() interceptor is built with frame pointers: the
        # unwind stops there, as for mod_stacktest built so (below).
        raw = w["native_frames"]
        assert len(raw) == 2 and raw[1]["module"].startswith("libasan") \
            and "read" in raw[1]["symbol"], native_names(raw)
        assert st["native"] in ("failed", "no_unwind_info"), st
        release(h, bh)
        return
    assert nf[1]["build_id"] == elf_info(stacktest_so)[0], nf[1]
    assert st["native_stable"] is True, st
    if frame_pointers:
        assert [(f["module"], f["symbol"]) for f in nf[1:]] == \
            [("mod_stacktest.so", STACKTEST_FUNCS[0])], (st, names)
        assert st["native"] in ("failed", "no_unwind_info") and \
            st["native_complete"] is False, st
        release(h, bh)
        return
    assert [(f["module"], f["symbol"]) for f in nf[1:4]] == \
        [("mod_stacktest.so", n) for n in STACKTEST_FUNCS], (st, names)
    assert native_index(nf, "ap_run_handler", "apache2", 4) == 4, names
    assert st["native"] == "end" and st["native_complete"] is True, st
    assert st["native_stable"] is True, st
    assert nf[-1]["module"] == "libc.so.6" and \
        nf[-1]["symbol"] in ("clone", "__clone", "clone3", "__clone3"), names
    r = release(h, bh)
    assert r.status == 200 and \
        r.text == "stacktest: read %d bytes\n" % min(256, len(bh.RELEASE)), r


# ------------------------------------------------------------ 6. torture

TORTURE_CONF = """\
StartServers 4
MinSpareServers 2
MaxSpareServers 8
GuardStuckThreshold 1s
GuardWatchInterval 10ms
"""

# The internal functions stack_torture.php calls.
TORTURE_INTERNAL = {"microtime"}


def torture_model():
    """(function ranges {name: (first, last)}, call sites {(caller,
    callee): {lines}}, number of lines) of stack_torture.php."""
    m = marks("stack_torture.php")
    ends = sorted(m["end"])
    fns = {}
    for key, lines in m.items():
        if key.startswith("fn:"):
            first = lines[0]
            fns[key[3:]] = (first, min(e for e in ends if e > first))
    calls = {}
    for key, lines in m.items():
        if key.startswith("call:"):
            caller, callee = key[5:].split(">")
            calls[(caller, callee)] = set(lines)
    with open(os.path.join(HTDOCS_SRC, "stack_torture.php")) as f:
        nlines = len(f.read().splitlines())
    return fns, calls, nlines


def torture_problem(model, page, frames):
    """Why frames are not a stack stack_torture.php can be in; None when
    they are."""
    fns, calls, nlines = model
    if not frames:
        return "no frames"
    if frames[-1]["function"] != "{main}":
        return "outermost frame is not {main}"
    for i, f in enumerate(frames):
        fn = f["function"]
        if fn in TORTURE_INTERNAL:
            if i != 0 or f["file"] != "" or f["line"] != 0:
                return "internal %s at %d with %s:%d" % (fn, i, f["file"],
                                                         f["line"])
            continue
        if f["file"] != page:
            return "frame %d in %r" % (i, f["file"])
        if fn != "{main}" and fn not in fns:
            return "frame %d: %r is not the page's" % (i, fn)
        if i > 0:
            sites = calls.get((fn, frames[i - 1]["function"]), set())
            if f["line"] not in sites or f["line_approximate"]:
                return "frame %d: %s calls %s from line %d (sites %s)" % (
                    i, fn, frames[i - 1]["function"], f["line"],
                    sorted(sites))
        elif fn == "{main}":
            if not 1 <= f["line"] <= nlines:
                return "top {main} at line %d" % f["line"]
        else:
            first, last = fns[fn]
            if f["line_approximate"] and f["line"] != first:
                return "approximate line %d of %s is not %d" % (
                    f["line"], fn, first)
            if not first <= f["line"] <= last:
                return "top %s at line %d, outside %d-%d" % (
                    fn, f["line"], first, last)
    return None


@pytest.mark.soak
@pytest.mark.slow
@php_stacks
def test_torture_stacks_are_true(make_server):
    """A minute of short calls in a tight loop, sampled every 10 ms: the
    child never crashes (the teardown audit fails on "exit signal" and
    GRD0500) and every stack accepted (php "ok" and stable) is one the
    page can be in: its own functions, its file, each caller at the line
    it calls its callee from, the top frame inside its function."""
    # The sanitizer build runs the whole suite again, slower: a third of
    # the minute there.
    seconds = 20 if SANITIZED else 60
    s = stack_server(make_server, TORTURE_CONF)
    page = os.path.join(docroot(s), "stack_torture.php")
    model = torture_model()
    h = s.hang("/stack_torture.php?s=%d" % seconds, timeout=seconds + 90)
    w, js = wait_stack(s, "/stack_torture.php")
    pid = w["pid"]
    statuses, accepted, samples, bad = {}, set(), set(), []
    looks = 0
    while not h.done.is_set():
        w = find_worker(s.guard_json(), "/stack_torture.php")
        if w is None:
            break
        assert w["pid"] == pid, (w, pid)
        st = w["stack"]
        statuses[st["php"]] = statuses.get(st["php"], 0) + 1
        looks += 1
        if st["php"] == "ok" and st["stable"]:
            why = torture_problem(model, page, w["php_frames"])
            if why is None and not st["complete"]:
                why = "not complete"
            if why:
                bad.append((why, w["php_frames"]))
            accepted.add(tuple((f["function"], f["line"])
                               for f in w["php_frames"]))
            samples.add(st.get("taken_ms"))
        time.sleep(0.02)
    assert h.done.wait(30), "torture page did not end"
    r = Response(h.response)
    assert r.status == 200, r
    m = re.fullmatch(r"done: \d+ calls, acc \d+, pid (\d+)\n", r.text)
    assert m and int(m.group(1)) == pid, r.text
    print("[stacks] torture: %d looks, php statuses %s, %d accepted "
          "readings, %d distinct stacks" % (looks, statuses, len(samples),
                                            len(accepted)))
    assert not bad, "%d impossible stacks, first: %s" % (len(bad), bad[:3])
    # Enough looks seen to mean something (the watchdog reads the stack at
    # each look, every 10 ms; the page is polled every 20 ms or so). Under
    # the churn of calls few walks agree three times: those looks say
    # "unstable" (or "failed": a pointer freed meanwhile), which is the
    # point. The page's call-free spins hold still for about 10 ms every
    # 16 bursts: stacks read there are accepted, so the check above was
    # made on real readings, not on none.
    assert looks >= 50 and sum(statuses.get(k, 0) for k in
                               ("ok", "unstable", "failed")) == looks, \
        statuses
    spins = [a for a in accepted if a[0][0] == "t_spin"]
    assert len(samples) >= 5 and spins, (statuses, accepted)
    assert s.guard_json()["counters"]["crashes_total"] == 0


# ------------------------------------------------------ 7. directives

BAD_STACK_VALUES = [
    ("GuardStackDepth", "0"),
    ("GuardStackDepth", "33"),
    ("GuardStackDepth", "99"),
    ("GuardStackDepth", "-1"),
    ("GuardStackDepth", "abc"),
    ("GuardStackDepth", "3x"),
    ("GuardStackDepth", "99999999999999999999"),
    ("GuardStacks", "maybe"),
    ("GuardStacks", "1"),
]


@pytest.mark.portable
@pytest.mark.parametrize("directive,value", BAD_STACK_VALUES,
                         ids=["%s=%s" % dv for dv in BAD_STACK_VALUES])
def test_bad_stack_directive_refused(make_server, directive, value):
    s = make_server("%s %s\n" % (directive, value), start=False)
    rc, out = s.configtest()
    assert rc != 0, "accepted %s %r:\n%s" % (directive, value, out)
    assert directive in out and '"%s"' % value in out, out
    assert "Syntax OK" not in out


@pytest.mark.portable
@pytest.mark.parametrize("snippet", [
    "GuardStacks On\nGuardStackDepth 32\n",
    "GuardStacks Off\n",
    "GuardStacks off\nGuardStackDepth 1\n",
    "GuardStackDepth 3\n",
])
def test_good_stack_directives_pass(make_server, snippet):
    s = make_server(snippet, start=False)
    rc, out = s.configtest()
    assert rc == 0 and "Syntax OK" in out, out


def hang_stuck_on_backend(s):
    """stack_block.php hung on a silent backend, until the worker is stuck
    and its wait diagnosed: (the backend, the worker)."""
    bh = s.blackhole()
    s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, _ = wait_worker(s, "/stack_block.php",
                       lambda w: w["stuck"] and w["wait"] is not None and
                       w["wait"]["kind"] == "backend", timeout=5,
                       what="stuck on the backend")
    return bh, w


@pytest.mark.slow
@php_stacks
def test_stacks_off(make_server):
    """GuardStacks Off: the wait is still diagnosed, no frames are read,
    and GRD0100 names no frame."""
    s = stack_server(make_server, BASE + "GuardStacks Off\n")
    bh, w = hang_stuck_on_backend(s)
    time.sleep(0.3)
    w = find_worker(s.guard_json(), "/stack_block.php")
    assert w["php_frames"] == [] and w["native_frames"] == [], w
    # No stack read in this request: null, as for a worker not sampled.
    assert w["stack"] is None, w
    stuck = wait_for(lambda: re.findall(r".*GRD0100: .*", s.log_text()), 3,
                     what="GRD0100 line")
    assert re.search(STUCK_TAIL % (bh.port, ""), stuck[0]), stuck[0]


@pytest.mark.slow
@php_stacks
@native_stacks
def test_stack_depth_3(make_server):
    """GuardStackDepth 3: the three innermost frames of each kind."""
    s = stack_server(make_server, BASE + "GuardStackDepth 3\n")
    bh = s.blackhole()
    s.hang("/stack_block.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, js = wait_stack(s, "/stack_block.php")
    st = w["stack"]
    assert st["php"] == "ok", st
    assert w["php_frames"] == block_frames(s)[:3], w["php_frames"]
    assert st["complete"] is False and st["stable"] is True, st
    assert len(w["native_frames"]) == 3, w["native_frames"]
    assert st["native"] == "depth" and st["native_complete"] is False, st
    assert w["native_frames"][0]["symbol"] in POLL_SYMBOLS, w
    check_native_against_elf(w)


# ------------------------------------------------------- 8. the pages

# A copy of stack_block.php under this name: its frames name a file whose
# name is markup.
HOSTILE_PAGE = "stack_<img src=x onerror=alert(1)>\"&'.php"

BAD_STACK_QUERIES = ["stack", "stack=", "stack=abc", "stack=1", "stack=1.",
                     "stack=.1", "stack=1.2.3", "stack=-1.0", "stack=0.-1",
                     "stack=0x1.0", "stack=1.0x", "stack=1,0", "stack= 1.0",
                     "stack=99999999999999999999.0"]


def details_after_row(text, w):
    """The <details> element of w's stacks: in the row that follows w's
    row in the main page."""
    row = text.find("<td>%d</td><td>%d</td>" % (w["pid"], w["tid"]))
    assert row >= 0, "no row of pid %d tid %d:\n%s" % (w["pid"], w["tid"],
                                                       text)
    row_end = text.find("</tr>", row)
    nxt = text.find("<tr", row_end)
    nxt_end = text.find("</tr>", nxt)
    at = text.find("<details", row_end)
    assert row_end < nxt < at < nxt_end, \
        "the row of %d is not followed by a row with its <details>:\n%s" \
        % (w["pid"], text[row:row + 3000])
    end = text.find("</details>", at)
    assert at < end < nxt_end, text[at:]
    return text[at:end + len("</details>")]


def check_frames_shown(markup, w):
    assert "<img" not in markup.lower(), markup
    shown = html.unescape(markup)
    for f in w["php_frames"]:
        assert f["function"] in shown, (f, markup)
        if f["file"]:
            assert "%s:%d" % (f["file"], f["line"]) in shown, (f, markup)
    for f in w["native_frames"]:
        if f["symbol"]:
            assert f["symbol"] in shown, (f, markup)


@pytest.mark.slow
@php_stacks
def test_status_pages_show_frames(make_server):
    """The main page folds each worker's frames in a <details> after its
    row; ?stack=<child>.<thread> shows them on a page of their own; both
    escape a file name that is markup. ?auto names the top frame of the
    stuck worker. Malformed ?stack= values: 400."""
    s = stack_server(make_server)
    with open(os.path.join(HTDOCS_SRC, "stack_block.php")) as f:
        s.add_page(HOSTILE_PAGE, f.read())
    bh = s.blackhole()
    uri = "/" + urllib.parse.quote(HOSTILE_PAGE) + "?port=%d" % bh.port
    s.hang(uri)
    bh.wait_accepted()
    w, js = wait_stack(s, "/stack_", lambda w: taken(w) and w["stuck"])
    expected = block_frames(s, HOSTILE_PAGE)
    assert w["php_frames"] == expected, w["php_frames"]

    main = s.guard_get()
    assert main.status == 200 and "text/html" in main.ctype, main
    assert "<img" not in main.text.lower(), main.text
    det = details_after_row(main.text, w)
    assert not re.match(r"<details[^>]*\bopen\b", det), det
    check_frames_shown(det, w)

    one = s.guard_get("stack=%d.%d" % (w["child"], w["thread"]))
    assert one.status == 200 and "text/html" in one.ctype, one
    check_frames_shown(one.text, w)
    assert "<img" not in one.text.lower(), one.text
    oj = s.guard_get("stack=%d.%d&json" % (w["child"], w["thread"])).json()
    assert oj["worker"]["pid"] == w["pid"], oj
    assert oj["worker"]["php_frames"] == w["php_frames"], oj
    assert oj["worker"]["native_frames"] == w["native_frames"], oj

    auto = s.guard_get("auto").text
    where = "%s:%d" % (expected[1]["file"], expected[1]["line"])
    lines = [l for l in auto.splitlines() if where in l]
    assert len(lines) == 1, auto
    assert re.match(r"^[A-Za-z][A-Za-z0-9_]*: ", lines[0]), lines
    assert top_text(expected)[len(" in "):] in lines[0], lines
    assert re.search(r"\bpid=%d\b" % w["pid"], lines[0]) or re.search(
        r"\bchild=%d thread=%d\b" % (w["child"], w["thread"]), lines[0]), \
        lines

    for q in BAD_STACK_QUERIES:
        r = s.get("/guard-status?" + urllib.parse.quote(q, safe="=.,-"))
        assert r.status == 400, (q, r)


# ------------------------------------------- builds without live stacks


@pytest.mark.skipif(PHP_STACKS or NATIVE_STACKS,
                    reason="built with PHP's headers or libdw")
def test_build_without_stacks_says_so(make_server):
    """Built without PHP's headers and libdw: start-up says what cannot be
    read, a stuck worker's wait is still diagnosed, it has no frames, and
    GRD0100 names none."""
    s = stack_server(make_server, BASE)
    bh, w = hang_stuck_on_backend(s)
    assert w["php_frames"] == [] and w["native_frames"] == [], w
    assert w["stack"] is None, w
    log = s.log_text()
    assert re.search(r"GRD0700: live stacks: PHP frames not built \(no PHP "
                     r"headers\), native frames off", log), log
    assert re.search(r"GRD0702: no native frames: built without libdw",
                     log), log
    stuck = wait_for(lambda: re.findall(r".*GRD0100: .*", s.log_text()), 3,
                     what="GRD0100 line")
    assert re.search(STUCK_TAIL % (bh.port, ""), stuck[0]), stuck[0]
