# SPDX-License-Identifier: Apache-2.0
"""The Debian package in the machine's own apache2 (as root; run by
scripts/package-test).

libapache2-mod-guard is installed with dpkg -i into the stock /etc/apache2
(Debian's default site, prefork and mod_php), enabled, and the packaged
apache2 is started on port 80. /guard-status must answer from localhost
and show a PHP request hung on a silent loopback backend as a busy worker
polling a socket to that backend, with its PHP frames, and its native
frames once it is stuck (GuardStuckThreshold's default, 10 s): a2enmod
orders guard.load before php8.2.load, and PHP must be found all the same. Then apache2 is stopped and the package
purged, and /etc/apache2 (every file, its checksum, mode and owner; every
symlink, so the enabled modules, confs and sites), apache2's state markers
in /var/lib/apache2, the document root and whether apache2 runs must be as
they were before.

Whatever fails, the machine is put back: apache2 stopped (found by its
pid file and its executable, whatever its process name: with Debian's
mod_perl enabled the master's comm is "/usr/sbin/apach"), the package
purged, the test page removed, the enabled sets and markers as recorded,
and apache2 started again if it ran before. Something else listening on
port 80 fails the test; it is never stopped.

  GUARD_PACKAGE_DEB  the .deb to test (default: built by scripts/package)
"""

import functools
import hashlib
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "t", "integration"))

import guardtest  # noqa: E402
from guardtest import Blackhole, Fail, HangingRequest, wait_for  # noqa: E402

PACKAGE = "libapache2-mod-guard"
ETC = "/etc/apache2"
STATE = "/var/lib/apache2"
DOCROOT = "/var/www/html"
PAGE = "guard-package-test.php"
PAGE_SRC = os.path.join(REPO, "t", "integration", "htdocs", "backend.php")
MODULE_SO = "/usr/lib/apache2/modules/mod_guard.so"
APACHE_BIN = "/usr/sbin/apache2"
PACKAGE_FILES = (MODULE_SO, ETC + "/mods-available/guard.load",
                 ETC + "/mods-available/guard.conf")
ENABLED_DIRS = ("mods-enabled", "conf-enabled", "sites-enabled")
PORT = 80
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "LC_ALL": "C"}


def run(cmd, check=True, timeout=180, env=None):
    """Runs cmd; its output goes to the test's captured output."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=timeout,
                       env=dict(ENV, **(env or {})))
    print("$ %s  (exit %d)\n%s" % (" ".join(cmd), r.returncode, r.stdout))
    if check and r.returncode != 0:
        raise Fail("%s exited with %d:\n%s"
                   % (" ".join(cmd), r.returncode, r.stdout))
    return r


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            h.update(block)
    return h.hexdigest()


def listing(root):
    """Every directory, file and symlink under root: path -> what it is
    (kind, mode, owner, and a file's checksum or a link's target)."""
    out = {}
    if not os.path.isdir(root):
        return out
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            owner = (oct(st.st_mode & 0o7777), st.st_uid, st.st_gid)
            if os.path.islink(p):
                out[p] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[p] = ("dir",) + owner
            else:
                out[p] = ("file", sha256(p)) + owner
    return out


def enabled(etc_listing):
    """{"mods-enabled": [names], ...} as the symlinks say."""
    return {d: sorted(os.path.basename(p) for p in etc_listing
                      if os.path.dirname(p) == os.path.join(ETC, d))
            for d in ENABLED_DIRS}


@functools.lru_cache(maxsize=None)
def pid_file():
    """APACHE_PID_FILE of /etc/apache2/envvars, as apache2ctl sees it."""
    return subprocess.check_output(
        ["sh", "-c", ". %s/envvars && echo \"$APACHE_PID_FILE\"" % ETC],
        env=ENV, universal_newlines=True).strip()


def proc_exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def apache_pid():
    """The pid of the machine's own apache2 (its pid file, not any httpd
    the integration tests run), or None when it does not run. Known by its
    executable, not its comm: a module may rename the process (mod_perl
    makes it "/usr/sbin/apach")."""
    try:
        with open(pid_file()) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    if guardtest.proc_alive(pid) and proc_exe(pid) == APACHE_BIN:
        return pid
    return None


def stock_masters():
    """Live apache2 masters of the stock configuration: the executable,
    parent 1, no -f of the integration tests' servers."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or proc_exe(int(d)) != APACHE_BIN:
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
            if b"-f" not in argv and guardtest.proc_ppid(int(d)) == 1 \
                    and guardtest.proc_alive(int(d)):
                out.append(int(d))
        except OSError:
            continue
    return out


def listeners(port):
    """Lines of /proc/net/tcp{,6} of sockets listening on port."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                found.append("%s: %s" % (name, row.strip()))
    return found


def who_listens(port):
    try:
        return run(["ss", "-Hltnp", "sport = :%d" % port],
                   check=False).stdout.strip()
    except OSError:
        return "\n".join(listeners(port))


def package_status():
    r = run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check=False)
    return r.stdout.strip() if r.returncode == 0 else ""


def package_present():
    """Anything of the package left for dpkg: installed, half-installed,
    or its conffiles (removed, not purged)."""
    status = package_status()
    return bool(status) and not status.endswith(" not-installed")


def record():
    return {
        "etc": listing(ETC),
        "state": listing(STATE),
        "docroot": sorted(os.listdir(DOCROOT)),
        "running": apache_pid() is not None,
    }


def differences(before, after):
    lines = []
    for key in ("etc", "state"):
        b, a = before[key], after[key]
        for p in sorted(set(b) | set(a)):
            if b.get(p) != a.get(p):
                lines.append("%s: before %r, after %r"
                             % (p, b.get(p), a.get(p)))
    if before["docroot"] != after["docroot"]:
        lines.append("%s: before %r, after %r"
                     % (DOCROOT, before["docroot"], after["docroot"]))
    if before["running"] != after["running"]:
        lines.append("apache2 running: before %s, after %s"
                     % (before["running"], after["running"]))
    return lines


def upstream_version():
    with open(os.path.join(REPO, "configure.ac")) as f:
        m = re.search(r"^AC_INIT\(\[[^]]*\], *\[([^]]*)\]", f.read(), re.M)
    return m.group(1)


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    given = os.environ.get("GUARD_PACKAGE_DEB")
    if given:
        return given
    out = str(tmp_path_factory.mktemp("deb"))
    r = run([os.path.join(REPO, "scripts", "package")],
            env={"GUARD_PACKAGE_DIR": out})
    return r.stdout.strip().splitlines()[-1]


class Machine:
    """The machine's own apache2 during the test, and how to put it back
    as recorded whatever happened."""

    def __init__(self, before):
        self.before = before
        self.page = os.path.join(DOCROOT, PAGE)
        self.page_made = False
        self.backend = None
        self.hung = None

    def check_preconditions(self, deb):
        if os.geteuid() != 0:
            pytest.fail("the package test runs as root (dpkg -i, port 80)")
        for path in (deb, PAGE_SRC, ETC + "/envvars",
                     ETC + "/mods-available/mpm_prefork.load",
                     ETC + "/mods-available/php8.2.load",
                     ETC + "/sites-available/000-default.conf"):
            if not os.path.exists(path):
                pytest.fail("%s is missing (scripts/setup-deps installs "
                            "apache2 and libapache2-mod-php)" % path)
        if package_present():
            pytest.fail("%s is already on this machine (%s): the test "
                        "would purge it; dpkg --purge it first"
                        % (PACKAGE, package_status()))
        for path in PACKAGE_FILES + (self.page,):
            if os.path.lexists(path):
                pytest.fail("%s exists and belongs to no package (make "
                            "install?): the test would replace and then "
                            "remove it" % path)

    def stop_apache(self):
        """Stops the stock apache2, also one started half-way (its pid
        file not written yet) or whose pid file is gone."""
        pids = set(stock_masters())
        pid = apache_pid()
        if pid is not None:
            pids.add(pid)
        if not pids:
            return
        run(["apache2ctl", "stop"], check=False)
        try:
            wait_for(lambda: not any(guardtest.proc_alive(p) for p in pids),
                     20, what="apache2 (pids %s) to exit" % sorted(pids))
        except Fail:
            for p in pids:
                if guardtest.proc_alive(p) and proc_exe(p) == APACHE_BIN:
                    os.kill(p, 15)
            wait_for(lambda: not any(guardtest.proc_alive(p) for p in pids),
                     10, what="apache2 (pids %s) to exit on SIGTERM"
                     % sorted(pids))

    def start_apache(self):
        run(["apache2ctl", "start"])
        return wait_for(apache_pid, 20, what="apache2 to start (pid file "
                        "%s)" % pid_file())

    def prepare(self):
        """apache2 stopped, port 80 free, prefork, mod_php 8.2 and the
        default site enabled (only what is not so already is changed)."""
        self.stop_apache()
        busy = listeners(PORT)
        if busy:
            raise Fail("port %d is in use by something other than the "
                       "machine's apache2 (stopped for the test); the "
                       "package test needs it and does not stop other "
                       "programs:\n%s" % (PORT, who_listens(PORT)))
        mods = enabled(listing(ETC))["mods-enabled"]
        for other in ("mpm_event", "mpm_worker"):
            if other + ".load" in mods:
                run(["a2dismod", "-q", other])
        if "mpm_prefork.load" not in mods:
            run(["a2enmod", "-q", "mpm_prefork"])
        if "php8.2.load" not in mods:
            run(["a2enmod", "-q", "php8.2"])
        if "000-default.conf" not in enabled(listing(ETC))["sites-enabled"]:
            run(["a2ensite", "-q", "000-default"])

    def add_page(self):
        with open(PAGE_SRC, "rb") as src, open(self.page, "xb") as dst:
            self.page_made = True
            dst.write(src.read())

    def restore_links(self):
        """The *-enabled symlinks as recorded."""
        before = self.before["etc"]
        now = listing(ETC)
        for d in ENABLED_DIRS:
            top = os.path.join(ETC, d)
            for p, what in now.items():
                if os.path.dirname(p) == top and what[0] == "link" \
                        and before.get(p) != what:
                    os.unlink(p)
            for p, what in before.items():
                if os.path.dirname(p) == top and what[0] == "link" \
                        and not os.path.lexists(p):
                    os.symlink(what[1], p)

    def restore_markers(self):
        """a2enmod's and a2dismod's marker files in /var/lib/apache2 as
        recorded (they are empty files named after what was switched)."""
        before = self.before["state"]
        now = listing(STATE)
        for p in sorted(now, reverse=True):
            if p in before:
                continue
            if now[p][0] == "dir":
                os.rmdir(p)
            else:
                os.unlink(p)
        for p, what in sorted(before.items()):
            if os.path.lexists(p):
                continue
            if what[0] == "dir":
                os.mkdir(p, int(what[1], 8))
            else:
                open(p, "w").close()

    def cleanup(self):
        """Puts the machine back as recorded; returns what went wrong."""
        problems = []
        steps = [
            ("hung request", lambda: self.hung and self.hung.close()),
            ("backend", lambda: self.backend and self.backend.close()),
            ("stop apache2", self.stop_apache),
            ("purge", lambda: package_present() and
             run(["dpkg", "--purge", PACKAGE])),
            ("test page", lambda: self.page_made and
             os.path.lexists(self.page) and os.unlink(self.page)),
            ("enabled modules, confs, sites", self.restore_links),
            ("markers", self.restore_markers),
            ("start apache2", lambda: self.before["running"] and
             self.start_apache()),
        ]
        for what, step in steps:
            try:
                step()
            except Exception as e:      # every step is tried
                problems.append("%s: %s" % (what, e))
        return problems


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def check_installed(deb):
    assert package_status() == "install ok installed", package_status()
    r = run(["dpkg-deb", "-f", deb, "Version"])
    assert r.stdout.strip() == upstream_version()
    for path in PACKAGE_FILES:
        assert os.path.isfile(path), "%s not installed" % path
    for name in ("guard.load", "guard.conf"):
        assert sha256(os.path.join(ETC, "mods-available", name)) == \
            sha256(os.path.join(REPO, "conf", name)), \
            "installed %s is not conf/%s" % (name, name)
    r = run(["dpkg", "-L", PACKAGE])
    owned = set(r.stdout.split())
    assert set(PACKAGE_FILES) <= owned, r.stdout
    # As Debian's module packages do: enabled by the postinst
    # (apache2-maintscript-helper), the .conf along with the .load.
    for name in ("guard.load", "guard.conf"):
        link = os.path.join(ETC, "mods-enabled", name)
        assert os.readlink(link) == "../mods-available/" + name, link


def check_status_pages(master):
    r = guardtest.get(PORT, "/guard-status?json")
    assert r.status == 200, r
    assert "json" in r.ctype, r.ctype
    js = r.json()
    assert js["server"]["mpm"] == "prefork", js["server"]
    assert js["server"]["version"].startswith("Apache/2.4"), js["server"]
    assert js["children"], js
    for c in js["children"]:
        assert guardtest.proc_ppid(c["pid"]) == master, c
        with open("/proc/%d/maps" % c["pid"]) as f:
            assert MODULE_SO in f.read(), \
                "child %d has not loaded %s" % (c["pid"], MODULE_SO)
    r = guardtest.get(PORT, "/guard-status")
    assert r.status == 200, r
    assert r.ctype.startswith("text/html"), r.ctype
    assert "<h1>mod_guard status</h1>" in r.text, r.text[:500]


def stuck_frames(worker):
    """The worker's json, once it is stuck with its native frames."""
    key = (worker["child"], worker["thread"])

    def probe():
        js = guardtest.get(PORT, "/guard-status?json").json()
        for w in js.get("workers", []):
            if (w["child"], w["thread"]) == key and w.get("stuck") \
                    and w.get("native_frames"):
                return w
        return None
    return wait_for(probe, 20, what="the hung worker stuck, with its "
                    "native frames")


def check_frames(w, page):
    """What operators get for the hung page: its PHP frames (fread under
    the script's {main}) and its native frames (libc's poll up to
    apache2's main)."""
    php = w["php_frames"]
    assert w["stack"]["php"] == "ok", w["stack"]
    assert php and php[0]["function"] == "fread", php
    assert php[-1]["function"] == "{main}" and php[-1]["file"] == page, php
    native = w["native_frames"]
    assert native[0]["module"] == "libc.so.6", native
    assert any(f["module"] == "libphp8.2.so" and f["symbol"] == "zif_fread"
               for f in native), native
    assert native[-1]["module"] == "apache2", native


def hung_worker(port):
    """The worker serving the test page, once it is seen busy waiting on
    a socket to the backend's port."""
    state = {}

    def probe():
        js = guardtest.get(PORT, "/guard-status?json").json()
        w = guardtest.find_worker(js, "/" + PAGE)
        state["last"] = w
        wait = (w or {}).get("wait") or {}
        if w and w["state"] == "busy" and wait.get("kind") == "backend" \
                and wait.get("peer") == "127.0.0.1:%d" % port:
            return w
        return None
    try:
        return wait_for(probe, 10, what="the hung request as a busy worker "
                        "waiting on 127.0.0.1:%d" % port)
    except Fail as e:
        raise Fail("%s; last seen: %r" % (e, state.get("last")))


def test_package_in_stock_apache2(deb):
    assert os.path.basename(deb) == "%s_%s_%s.deb" % (
        PACKAGE, upstream_version(),
        run(["dpkg", "--print-architecture"]).stdout.strip())
    before = record()
    print("before: apache2 %s; %r" % (
        "running" if before["running"] else "not running",
        enabled(before["etc"])))
    m = Machine(before)
    m.check_preconditions(deb)
    error_log = "/var/log/apache2/error.log"
    log_start = log_size(error_log)
    try:
        m.prepare()
        run(["dpkg", "-i", deb])
        check_installed(deb)
        r = run(["a2enmod", "guard"])
        assert "guard" in r.stdout
        r = run(["apache2ctl", "configtest"])
        assert "Syntax OK" in r.stdout
        r = run(["apache2ctl", "-M"])
        assert "guard_module (shared)" in r.stdout
        assert "php_module (shared)" in r.stdout
        assert "mpm_prefork_module (shared)" in r.stdout

        # The postinst may have restarted it already where invoke-rc.d
        # may start services.
        master = apache_pid() or m.start_apache()
        wait_for(lambda: guardtest.port_answers(PORT), 10,
                 what="apache2 on port %d" % PORT)
        check_status_pages(master)

        m.add_page()
        m.backend = Blackhole()
        m.hung = HangingRequest(PORT, "/%s?port=%d" % (PAGE, m.backend.port))
        m.backend.wait_accepted()
        w = hung_worker(m.backend.port)
        assert "socket 127.0.0.1:%d" % m.backend.port in w["wait"]["text"], w
        html = guardtest.get(PORT, "/guard-status").text
        assert "/" + PAGE in html
        assert "socket 127.0.0.1:%d" % m.backend.port in html
        # The stock LogLevel (warn) hides GRD0700/0701 (info, notice): the
        # frames themselves say that PHP was found (test_stacks.py checks
        # the lines, at guard:debug, with either order).
        check_frames(stuck_frames(w), m.page)
        m.backend.release()
        assert m.hung.done.wait(10 * guardtest.TIME_SCALE), \
            "the hung request did not end once its backend answered"
        assert b" 200 " in m.hung.response.split(b"\r\n")[0], \
            m.hung.response[:300]
        assert b"backend said: " in m.hung.response, m.hung.response[:300]

        m.stop_apache()
        wait_for(lambda: not listeners(PORT), 10,
                 what="port %d to be free after apache2 stopped" % PORT)
        run(["dpkg", "--purge", PACKAGE])
        assert not package_present(), package_status()
        for path in PACKAGE_FILES:
            assert not os.path.lexists(path), "%s left by purge" % path
        bad = [line for line in read_from(error_log, log_start).splitlines()
               if guardtest.BAD_LOG_RE.search(line)]
        assert not bad, "errors in %s:\n%s" % (error_log, "\n".join(bad))
    finally:
        problems = m.cleanup()
        for p in problems:
            print("cleanup: " + p)
    assert not problems, problems
    after = record()
    diff = differences(before, after)
    assert not diff, "the machine is not as before:\n" + "\n".join(diff)
