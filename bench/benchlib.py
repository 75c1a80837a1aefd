# SPDX-License-Identifier: Apache-2.0
"""Shared parts of the mod_guard benchmarks: the integration tests'
httpd (t/integration/guardtest.py) with the benchmarks' defaults, a
sequential HTTP client, the row format of bench/results.md and the plots.

Not a test helper: nothing here asserts; the scripts print figures and
append rows for bench/results.md.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "t", "integration"))

import guardtest  # noqa: E402
from guardtest import free_port  # noqa: E402

# SIGTERM unwinds like an exception, so every server is stopped and every
# temp dir removed by the context managers.
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))


def guard_module():
    """Path of mod_guard.so: $GUARD_MODULE, else
    $GUARD_BUILD_DIR/.libs/mod_guard.so (default build dir /tmp/build-main)."""
    path = os.environ.get("GUARD_MODULE") or guardtest.GUARD_SO
    if not os.path.exists(path):
        sys.exit("mod_guard.so not found at %s (set GUARD_MODULE or "
                 "GUARD_BUILD_DIR)" % path)
    return os.path.abspath(path)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- HTTP

USER_AGENT = {"User-Agent": "guard-bench"}


def request(port, path, timeout=60):
    """One GET on a new connection; returns (status, body bytes)."""
    r = guardtest.get(port, path, timeout=timeout, headers=USER_AGENT)
    return r.status, r.body


def sequential_requests(port, path, n):
    """n requests one after the other, each on its own connection (as
    sequential curl); fails loudly on anything but 200."""
    for i in range(n):
        status, _ = request(port, path)
        if status != 200:
            raise RuntimeError("request %d of %s: status %d" % (i, path,
                                                                 status))


def guard_json(port):
    r = guardtest.get(port, "/guard-status?json", timeout=60,
                      headers=USER_AGENT)
    if r.status != 200:
        raise RuntimeError("/guard-status?json: status %d" % r.status)
    return r.json()


# ---------------------------------------------------------------- httpd

# What every benchmark server has on top of guardtest's config.
BENCH_CONF = """\
Timeout 60
KeepAlive Off
"""

# With mod_status (the anchor): what it costs with the scoreboard's
# per-request details.
EXTENDED_STATUS = "ExtendedStatus On\n"

HELLO_PHP = "<?php echo \"Hello, world\\n\";\n"

# Every feature of mod_guard on. The timeout and the lock threshold are not
# reached by the benchmarks that use this: what they measure is the cost of
# having them configured (request hooks, the watchdog's bookkeeping, the
# listener thread, the crash handlers and alternate stacks; crash capture
# is always on).
GUARD_ALL = """\
GuardBackendTimeout 5s
GuardLockWatch @ROOT@/sessions/sess_*
GuardStatusListen 127.0.0.1:{listen}
"""


def guard_all_conf():
    return GUARD_ALL.format(listen=free_port())


class Httpd(guardtest.Httpd):
    """guardtest's server, in a temp dir named for the benchmark, without
    an access log, mod_authz_host nor mod_dir, the same <Location /guard-status> in every config
    (with the module or without: the cost of one more <Location> section
    is the operator's, not mod_guard's; without the module the handler is
    simply unknown), the MPM section of the benchmark (mpm_conf, none by
    default), no php_admin_value but those of php_ini, and hello.php,
    hello.txt and index.html. Use as a context manager (or call
    cleanup()): the server is stopped and the dir removed
    even on failure."""

    def __init__(self, name, mpm="prefork", php=True, guard=False,
                 status=False, mpm_conf="", loglevel="warn", php_ini=None,
                 extra_conf="", proxy=False):
        self.name = name
        self.proc = None          # a foreground (valgrind'd) httpd
        snippet = BENCH_CONF + (EXTENDED_STATUS if status else "")
        super().__init__(
            mpm=mpm, snippet=snippet + extra_conf, guard=guard, php=php,
            php_ini=dict(sorted((php_ini or {}).items())),
            status=status, proxy=proxy, loglevel=loglevel,
            guard_so=guard_module() if guard else None, mpm_conf=mpm_conf,
            guard_location=True, access_log=False,
            base_modules=("authz_core", "mime"),
            prefix="guard-bench-%s-" % name)
        self.add_page("hello.php", HELLO_PHP)
        self.add_page("index.html", "hello\n")
        self.add_page("hello.txt", "Hello, world\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def add_page(self, name, content):
        path = super().add_page(name, content)
        # opcache does not cache a file younger than 2 s
        # (opcache.file_update_protection): make it old, or the first
        # seconds of a run compile it on every request.
        old = time.time() - 3600
        os.utime(path, (old, old))
        return path

    def start(self, timeout=60):
        """-k start: a daemon, master pid from the pid file."""
        return super().start(timeout)

    def start_foreground(self, prefix, timeout=180):
        """httpd -X under a wrapper (valgrind): a single process that
        serves the requests itself."""
        self.proc = subprocess.Popen(
            prefix + [guardtest.HTTPD_BIN, "-X", "-f", self.conf],
            env=self.env(), cwd=self.root, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.master_pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if guardtest.port_answers(self.port):
                return
            time.sleep(0.1)
        out = ""
        if self.proc.poll() is not None:
            out = self.proc.stdout.read().decode(errors="replace")[-3000:]
        raise RuntimeError("httpd %s did not come up on port %d; output:\n"
                           "%s\nerror_log:\n%s" % (self.name, self.port, out,
                                                     self.log_text()))

    def stop(self, timeout=60):
        """Stop cleanly (so that valgrind writes its output)."""
        if self.proc is None:
            return super().stop(timeout)
        if self.proc.poll() is None:
            # Let the last connection finish (lingering close, logging):
            # -X runs the pool cleanups from the SIGTERM handler, which
            # can deadlock in malloc if it lands inside a request.
            time.sleep(2)
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.output = self.proc.stdout.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc = None
        self.master_pid = None

    def cleanup(self):
        try:
            try:
                self.stop()
            except guardtest.Fail as e:
                log("%s: %s" % (self.name, e))
            self.close_resources()
            left = self.kill_leftovers()
            if left:
                log("%s: killed leftover httpd processes %s"
                    % (self.name, left))
        finally:
            if os.environ.get("BENCH_KEEP"):
                log("kept %s" % self.root)
            else:
                shutil.rmtree(self.root, ignore_errors=True)

    def wait_children(self, n, timeout=120):
        """The children's pids once n are up."""
        def up():
            kids = self.children()
            return sorted(kids) if len(kids) >= n else None
        try:
            return guardtest.wait_for(up, timeout, interval=0.5,
                                      what="%d children" % n)
        except guardtest.Fail:
            raise RuntimeError("%s: only %d of %d children came up"
                               % (self.name, len(self.children()), n))


# ---------------------------------------------------------------- limits

def raise_nofile(n=65536):
    """Raise this process's open-file limit (inherited by the httpd it
    starts): thousands of connections need more than the usual 1024."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(n, soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- results

OUT_DIR = os.environ.get("BENCH_OUT") or os.path.join(HERE, "out")
QUICK = os.environ.get("BENCH_QUICK") == "1"


def out_path(name):
    """Path of an output file in bench/out/ (or $BENCH_OUT)."""
    os.makedirs(OUT_DIR, exist_ok=True)
    return os.path.join(OUT_DIR, name)


def pyplot():
    """matplotlib.pyplot with the Agg backend (no display), or None with a
    message when python3-matplotlib is missing: the figures are still
    printed and written, only the PNG is left out."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib (apt-get install python3-matplotlib): no plot")
        return None
    return plt


def plot_distribution(values_ms, title, xlabel, path, target=None,
                      target_label=None):
    """Histogram and empirical CDF of one sample (ms) side by side; an
    optional vertical target line. Returns the path, or None."""
    plt = pyplot()
    if plt is None or not values_ms:
        return None
    v = sorted(values_ms)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.hist(v, bins=min(30, max(5, len(v) // 2)), color="#4477aa",
             edgecolor="white")
    ax1.set_xlabel(xlabel)
    ax1.set_ylabel("count")
    ax2.step(v, [(i + 1) / float(len(v)) for i in range(len(v))],
             where="post", color="#4477aa")
    ax2.set_xlabel(xlabel)
    ax2.set_ylabel("fraction <= x")
    ax2.set_ylim(0, 1.02)
    from matplotlib.ticker import MaxNLocator
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax1, ax2):
        ax.set_xlim(left=min(0, v[0]), right=max(v[-1], target or 0) * 1.05)
        ax.grid(alpha=0.3)
        if target is not None:
            ax.axvline(target, color="#cc3311", linestyle="--",
                       label=target_label or "target")
    if target is not None:
        ax2.legend(loc="lower right")
    fig.suptitle("%s (n=%d)" % (title, len(v)))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    log("wrote %s" % path)
    return path


def percentile(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]

ROWS_FILE = os.environ.get("BENCH_ROWS")


def add_row(figure, without, with_, target, met):
    """One row of results.md, appended to $BENCH_ROWS when bench/run set
    it; always printed."""
    row = "| %s | %s | %s | %s | %s |" % (figure, without, with_, target,
                                          met)
    log("ROW " + row)
    if ROWS_FILE:
        with open(ROWS_FILE, "a") as f:
            f.write(row + "\n")


def add_note(text):
    """A free-text line printed under the table of results.md."""
    log("NOTE " + text)
    if ROWS_FILE:
        with open(ROWS_FILE + ".notes", "a") as f:
            f.write(text + "\n")


def yesno(ok):
    return "yes" if ok else "**no**"
