# SPDX-License-Identifier: Apache-2.0
"""Helpers of the integration tests: a real httpd started from a templated
httpd.conf, its error-log audit, raw HTTP on loopback, hanging requests,
/proc readers and parsers of the status pages. The fake backends are in
peers.py.

Like httpd's own test suite: every test gets a fresh server directory, a
generated httpd.conf that includes the test's snippet, and the server is
started and stopped for real with -k start / graceful / stop.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import waiting
from peers import Blackhole
from waiting import Fail, wait_for  # noqa: F401 (the tests' names)

HERE = os.path.dirname(os.path.abspath(__file__))
HTDOCS_SRC = os.path.join(HERE, "htdocs")

HTTPD_BIN = os.environ.get("HTTPD_BIN") or "/usr/sbin/apache2"
MODULES_DIR = os.environ.get("HTTPD_MODULES_DIR") or "/usr/lib/apache2/modules"
GUARD_BUILD_DIR = os.environ.get("GUARD_BUILD_DIR") or "/tmp/build-main"
GUARD_SO = os.path.join(GUARD_BUILD_DIR, ".libs", "mod_guard.so")
PROMTOOL = os.environ.get("PROMTOOL") or "/usr/bin/promtool"
RUN_USER = "www-data"
RUN_GROUP = "www-data"

# httpd must not depend on /etc/apache2/envvars nor on the caller's locale.
HTTPD_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
             "LC_ALL": "C"}


def read_build_env(build_dir):
    """The KEY="value" lines configure wrote to <build>/guard-build.env
    ({} for a build directory configured before that file existed)."""
    out = {}
    try:
        with open(os.path.join(build_dir, "guard-build.env")) as f:
            for line in f:
                m = re.match(r'^(\w+)="(.*)"$', line.strip())
                if m:
                    out[m.group(1)] = m.group(2)
    except OSError:
        pass
    return out


BUILD_ENV = read_build_env(GUARD_BUILD_DIR)
# A --enable-sanitizers build: mod_guard.so needs the ASan and UBSan
# runtimes, and ASan's must be the first library of the process, so httpd
# (not built with ASan) runs with them preloaded.
# Ahead of them, t/sanitizer/nodeepbind.c: PHP loads its extensions with
# RTLD_DEEPBIND, which ASan refuses.
SANITIZED = bool(BUILD_ENV.get("GUARD_SANITIZERS"))
# A build without thread inspection (--disable-proc-inspection): only the
# tests marked "portable" run (conftest.py), as on a system without /proc.
PROC_INSPECTION = BUILD_ENV.get("GUARD_PROC_INSPECTION", "yes") != "no"
# Live stacks: PHP frames need a build against PHP's headers (configure
# --with-php-config), native frames one with libdw; a build directory
# configured before either says neither. The stack tests are skipped
# without them.
PHP_STACKS = BUILD_ENV.get("GUARD_PHP_STACKS", "no") == "yes"
NATIVE_STACKS = BUILD_ENV.get("GUARD_NATIVE_STACKS", "no") == "yes"
SANITIZER_PRELOAD = " ".join(
    p for p in (BUILD_ENV.get("GUARD_SANITIZER_SHIM"),
                BUILD_ENV.get("GUARD_SANITIZER_PRELOAD")) if p)

# Options of both runtimes (each parses its own variable).
# - handle_*=0: no sanitizer signal handlers. The crash tests crash
#   children on purpose; mod_guard's handlers and httpd's "exit signal" and
#   core dump must see those signals as in production, and a deliberate
#   crash is not a sanitizer report.
# - use_sigaltstack=0: the runtime would give each thread an alternate
#   stack and unmap whatever alternate stack the thread has at its exit;
#   mod_guard sets up (and keeps) its own, as it does in production.
# - disable_coredump=0: ASan would set RLIMIT_CORE to 0 (its shadow memory
#   is excluded from a core anyway); test_crash checks the core is written.
SAN_COMMON_OPTIONS = ("handle_segv=0:handle_sigbus=0:handle_sigfpe=0:"
                      "handle_sigill=0:handle_abort=0:"
                      "allow_user_segv_handler=1:use_sigaltstack=0:"
                      "disable_coredump=0:print_stacktrace=1")
# - verify_asan_link_order=0: the shim comes before the ASan runtime; it
#   defines dlopen only, so ASan's malloc and the rest still interpose.
# - detect_leaks=0: httpd does not destroy its process and configuration
#   pools before a process exits, and PHP and the other modules keep their
#   process-lifetime allocations: every process would report leaks that
#   are not leaks. mod_guard's own code is checked for leaks by the unit
#   tests (LeakSanitizer in the sanitizer build, valgrind in
#   `make unit-valgrind`).
ASAN_EXTRA_OPTIONS = ("verify_asan_link_order=0:detect_leaks=0:"
                      "halt_on_error=1")
UBSAN_EXTRA_OPTIONS = "halt_on_error=1"

# ASan writes its reports to <server>/sanitizer/asan.<pid> (log_path). With
# gcc's separate runtimes UBSan ignores log_path and writes to stderr, which
# is the error log in every httpd process once the config is read: the
# audit looks for both.
SAN_LOG_RE = re.compile(r": runtime error: |==\d+==ERROR: \w+Sanitizer|"
                        r"^SUMMARY: \w+Sanitizer")

# The one multiplier of the harness's waiting times: sanitized code and a
# preloaded ASan make everything slower (start, fork, every malloc). What
# a test asserts stays the same; only how long it waits for it grows.
TIME_SCALE = float(os.environ.get("GUARD_TEST_TIME_SCALE")
                   or (1.5 if SANITIZED else 1.0))
waiting.scale = TIME_SCALE

# Log lines that fail a test unless it declared them expected.
BAD_LOG_RE = re.compile(
    r"^\[[^\]]*\] \[[\w.-]*:(error|crit|alert|emerg)\]|exit signal")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_answers(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    except OSError:
        return False
    s.close()
    return True


# ---------------------------------------------------------------- /proc


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1].split()[0] != "Z"
    except OSError:
        return False


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def proc_ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().split(") ")[-1].split()[1])


def proc_threads(pid):
    try:
        return {int(t) for t in os.listdir("/proc/%d/task" % pid)}
    except OSError:
        return set()


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_ticks(pid, tid=None):
    """utime+stime of a process (all its threads) or of one thread, in
    clock ticks (CLK_TCK a second)."""
    path = "/proc/%d/stat" % pid if tid is None else \
        "/proc/%d/task/%d/stat" % (pid, tid)
    with open(path) as f:
        fields = f.read().split(") ")[-1].split()
    return int(fields[11]) + int(fields[12])


def proc_cpu_ms(pid, tid=None):
    """utime+stime of a process (or one of its threads) in ms."""
    return proc_cpu_ticks(pid, tid) * 1000.0 / CLK_TCK


def task_runtime_ns(pid, tid):
    """CPU time of one thread in ns (/proc/.../schedstat, first field)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
        return int(f.read().split()[0])


def _kb_field(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_status_kb(pid, key):
    """A kB field of /proc/<pid>/status (VmRSS ...), or None."""
    return _kb_field("/proc/%d/status" % pid, key)


def proc_smaps_rollup_kb(pid, key):
    """A kB field of /proc/<pid>/smaps_rollup (Pss ...), or None."""
    return _kb_field("/proc/%d/smaps_rollup" % pid, key)


def socket_inode(pid, fd):
    """The inode of socket fd of pid, or None when fd is not a socket."""
    try:
        link = os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except OSError:
        return None
    m = re.match(r"socket:\[(\d+)\]$", link)
    return int(m.group(1)) if m else None


def tcp_peer_of_inode(inode):
    """'ip:port' of the remote end of an IPv4 TCP socket, from
    /proc/net/tcp."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if int(parts[9]) != inode:
                continue
            addr, port = parts[2].split(":")
            ip = ".".join(str(int(addr[i:i + 2], 16))
                          for i in (6, 4, 2, 0))
            return "%s:%d" % (ip, int(port, 16))
    return None


# ---------------------------------------------------------------- HTTP


class Response:
    def __init__(self, raw):
        self.raw = raw
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            raise Fail("no complete HTTP response head in %r" % raw[:300])
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status_line = lines[0]
        self.status = int(parts[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            body = dechunk(body)
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def ctype(self):
        return self.headers.get("content-type", "")

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as e:
            raise Fail("not JSON (%s): %r" % (e, self.body[:2000]))

    def __repr__(self):
        return "<Response %s %r>" % (self.status_line, self.body[:500])


def dechunk(body):
    """The data of a chunked body."""
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def build_request(path, host="127.0.0.1", method="GET", headers=None,
                  proto="HTTP/1.1"):
    """A raw request as bytes: path and header values may hold any byte."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("utf-8")
    req = b(method) + b" " + b(path) + b" " + b(proto) + b"\r\n"
    if host is not None:
        req += b"Host: " + b(host) + b"\r\n"
    for k, v in (headers or {}).items():
        req += b(k) + b": " + b(v) + b"\r\n"
    req += b"Connection: close\r\n\r\n"
    return req


def raw_exchange(port, data, timeout=15, bufsize=65536):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            c = s.recv(bufsize)
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    return b"".join(chunks)


def get(port, path, timeout=15, **kw):
    return Response(raw_exchange(port, build_request(path, **kw), timeout))


class HangingRequest:
    """A request sent in a background thread that may not come back for a
    long time. Its socket is closed by close() (the server fixture closes
    every one it made)."""

    def __init__(self, port, path, timeout=120, **kw):
        self.data = build_request(path, **kw)
        self.path = path
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(timeout)
        self.sent_at = time.monotonic()
        self.sock.sendall(self.data)
        self.response = b""
        self.error = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                c = self.sock.recv(65536)
                if not c:
                    break
                self.response += c
        except OSError as e:
            self.error = e
        finally:
            self.done.set()

    def age(self):
        return time.monotonic() - self.sent_at

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()


# ---------------------------------------------------------------- httpd

MPM_DEFAULTS = {
    "prefork": """\
<IfModule mpm_prefork_module>
    StartServers 2
    MinSpareServers 2
    MaxSpareServers 6
    ServerLimit 32
    MaxRequestWorkers 32
</IfModule>
""",
    "event": """\
<IfModule mpm_event_module>
    StartServers 2
    ServerLimit 4
    ThreadsPerChild 8
    ThreadLimit 8
    MaxRequestWorkers 32
    MinSpareThreads 8
    MaxSpareThreads 24
</IfModule>
""",
    # Every child started at once and never stopped as spare: ServerLimit x
    # ThreadLimit slots, all of them running.
    "worker": """\
<IfModule mpm_worker_module>
    StartServers 2
    ServerLimit 2
    ThreadsPerChild 4
    ThreadLimit 4
    MaxRequestWorkers 8
    MinSpareThreads 1
    MaxSpareThreads 8
</IfModule>
""",
}

CONF_TEMPLATE = """\
# Generated by t/integration/guardtest.py
ServerRoot "{root}"
ServerName 127.0.0.1
PidFile "{root}/logs/httpd.pid"
DefaultRuntimeDir "{root}/run"
Mutex file:{root}/run default
ErrorLog "{root}/logs/error_log"
LogLevel {loglevel}
{access_log}
Listen 127.0.0.1:{port}
User {user}
Group {group}
Timeout 300

LoadModule mpm_{mpm}_module {moddir}/mod_mpm_{mpm}.so
{base_modules}
{extra_modules}
TypesConfig /etc/mime.types
{dir_index}{mpm_defaults}
DocumentRoot "{root}/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{root}/htdocs">
    Require all granted
</Directory>
{php_conf}
{cgi_conf}
{status_conf}
{guard_conf}
Include "{root}/conf/test.conf"
"""

# Modules of every server (base_modules= replaces them), before those of
# the options.
BASE_MODULES = ("authz_core", "authz_host", "mime", "dir")

DIR_INDEX_CONF = "DirectoryIndex index.html index.php\n"

ACCESS_LOG_CONF = """\
LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" common
CustomLog "{root}/logs/access_log" common"""

PHP_CONF = """\
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
{php_ini}"""

# The php_admin_value settings of a server ({root}: its directory).
PHP_INI = {"session.save_path": '"{root}/sessions"',
           "max_execution_time": "120"}

# mod_cgid (any MPM): scripts in <root>/cgi-bin, made by Httpd.add_cgi.
CGI_CONF = """\
ScriptAlias /cgi-bin/ "{root}/cgi-bin/"
<Directory "{root}/cgi-bin">
    Require all granted
</Directory>
"""

STATUS_CONF = """\
<Location /server-status>
    SetHandler server-status
</Location>
"""

GUARD_CONF = """\
<Location /guard-status>
    SetHandler guard-status
</Location>
"""


# The process name of mod_guard's syscall-file broker.
BROKER_COMM = "guard-broker"


class Httpd:
    """One server: its directory, config and control.

    guard, php, status, proxy, cgi: what is loaded (php: prefork only by
    default, proxy: the threaded MPMs). php_ini: {name: value} of the
    php_admin_value lines, by default PHP_INI. mpm_conf: the MPM's
    section, by default MPM_DEFAULTS. base_modules: by default
    BASE_MODULES (DirectoryIndex is set when mod_dir is one). guard_location: the <Location /guard-status>
    section, by default with mod_guard only. access_log: whether requests
    are logged. prefix: of the server directory's name. env: more
    variables of the httpd processes' environment (also settable as
    extra_env before start()). guard_first: mod_guard's LoadModule line
    before the others (as Debian's a2enmod orders guard.load before
    php8.2.load), not after."""

    def __init__(self, mpm="prefork", snippet="", guard=True, php=None,
                 status=True, proxy=None, loglevel="warn guard:debug",
                 guard_so=None, cgi=False, php_ini=None, mpm_conf=None,
                 base_modules=BASE_MODULES,
                 guard_location=None, access_log=True, prefix="guardtest-",
                 env=None, guard_first=False):
        assert mpm in ("prefork", "event", "worker")
        self.extra_env = dict(env or {})
        self.mpm = mpm
        self.mpm_conf = MPM_DEFAULTS[mpm] if mpm_conf is None else mpm_conf
        self.base_modules = base_modules
        self.with_guard = guard
        self.guard_first = guard_first
        self.guard_location = guard if guard_location is None \
            else guard_location
        self.access_log = access_log
        self.guard_so = guard_so or GUARD_SO
        self.php = (mpm == "prefork") if php is None else php
        self.php_ini = PHP_INI if php_ini is None else php_ini
        self.status = status
        self.proxy = (mpm != "prefork") if proxy is None else proxy
        self.cgi = cgi
        self.loglevel = loglevel
        self.root = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.root, "conf", "httpd.conf")
        self.snippet_path = os.path.join(self.root, "conf", "test.conf")
        self.error_log = os.path.join(self.root, "logs", "error_log")
        self.pidfile = os.path.join(self.root, "logs", "httpd.pid")
        self.san_dir = os.path.join(self.root, "sanitizer")
        self.san_log_seen = 0     # error log bytes already taken
        self.expected_log = []
        self.hanging = []
        self.blackholes = []
        self.master_pid = None
        self._layout()
        self.write_conf(snippet)

    # -- files

    def _layout(self):
        for d in ("conf", "logs", "run", "htdocs", "sessions", "cgi-bin"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
            os.chmod(os.path.join(self.root, d), 0o755)
        sess = os.path.join(self.root, "sessions")
        shutil.chown(sess, RUN_USER, RUN_GROUP)
        os.chmod(sess, 0o700)
        if SANITIZED:
            # Reports are written by the children too, after they dropped
            # root.
            os.makedirs(self.san_dir, exist_ok=True)
            shutil.chown(self.san_dir, RUN_USER, RUN_GROUP)
            os.chmod(self.san_dir, 0o755)
        if os.path.isdir(HTDOCS_SRC):
            for name in os.listdir(HTDOCS_SRC):
                dst = os.path.join(self.root, "htdocs", name)
                shutil.copy(os.path.join(HTDOCS_SRC, name), dst)
                os.chmod(dst, 0o644)

    def add_page(self, name, content):
        path = os.path.join(self.root, "htdocs", name)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o644)
        return path

    def add_cgi(self, name, content):
        """A CGI script in <root>/cgi-bin (served as /cgi-bin/<name> by a
        server made with cgi=True)."""
        path = os.path.join(self.root, "cgi-bin", name)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o755)
        return path

    def modules_conf(self):
        mods = []
        if self.php:
            mods.append("LoadModule php_module %s/libphp8.2.so" % MODULES_DIR)
        if self.status:
            mods.append("LoadModule status_module %s/mod_status.so"
                        % MODULES_DIR)
        if self.proxy:
            mods.append("LoadModule proxy_module %s/mod_proxy.so"
                        % MODULES_DIR)
            mods.append("LoadModule proxy_http_module %s/mod_proxy_http.so"
                        % MODULES_DIR)
        if self.cgi:
            mods.append("LoadModule alias_module %s/mod_alias.so"
                        % MODULES_DIR)
            mods.append("LoadModule cgid_module %s/mod_cgid.so"
                        % MODULES_DIR)
        if self.with_guard:
            if not os.path.exists(self.guard_so):
                raise Fail("mod_guard is not built: %s does not exist "
                           "(set GUARD_BUILD_DIR)" % self.guard_so)
            line = "LoadModule guard_module %s" % self.guard_so
            if self.guard_first:
                mods.insert(0, line)
            else:
                mods.append(line)
        return "\n".join(mods)

    def php_conf(self):
        return PHP_CONF.format(php_ini="".join(
            "php_admin_value %s %s\n" % (k, v.format(root=self.root))
            for k, v in self.php_ini.items()))

    def write_conf(self, snippet=None):
        loglevel = self.loglevel
        if not self.with_guard:
            loglevel = " ".join(w for w in loglevel.split()
                                if not w.startswith("guard:"))
        text = CONF_TEMPLATE.format(
            root=self.root, port=self.port, mpm=self.mpm,
            moddir=MODULES_DIR, user=RUN_USER, group=RUN_GROUP,
            loglevel=loglevel, extra_modules=self.modules_conf(),
            base_modules="\n".join(
                "LoadModule %s_module %s/mod_%s.so" % (m, MODULES_DIR, m)
                for m in self.base_modules),
            dir_index=DIR_INDEX_CONF if "dir" in self.base_modules else "",
            access_log=ACCESS_LOG_CONF.format(root=self.root)
            if self.access_log else "",
            mpm_defaults=self.mpm_conf,
            php_conf=self.php_conf() if self.php else "",
            cgi_conf=CGI_CONF.format(root=self.root) if self.cgi else "",
            status_conf=STATUS_CONF if self.status else "",
            guard_conf=GUARD_CONF if self.guard_location else "")
        with open(self.conf, "w") as f:
            f.write(text)
        if snippet is not None:
            self.set_snippet(snippet)

    def set_snippet(self, snippet):
        with open(self.snippet_path, "w") as f:
            f.write(snippet.replace("@ROOT@", self.root)
                    .replace("@PORT@", str(self.port)))

    # -- control

    def env(self):
        """The environment of the httpd processes."""
        env = dict(HTTPD_ENV)
        env.update(self.extra_env)
        if SANITIZED:
            env["LD_PRELOAD"] = SANITIZER_PRELOAD
            env["ASAN_OPTIONS"] = "%s:%s:log_path=%s/asan" % (
                SAN_COMMON_OPTIONS, ASAN_EXTRA_OPTIONS, self.san_dir)
            env["UBSAN_OPTIONS"] = "%s:%s" % (SAN_COMMON_OPTIONS,
                                              UBSAN_EXTRA_OPTIONS)
        return env

    def run(self, *args, timeout=60):
        """Run the httpd binary on this config; return (rc, stdout+stderr)."""
        p = subprocess.run([HTTPD_BIN, "-f", self.conf] + list(args),
                           env=self.env(), cwd=self.root,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def configtest(self):
        return self.run("-t")

    def read_pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def log_text(self):
        try:
            with open(self.error_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def count_log(self, regex):
        return len(re.findall(regex, self.log_text()))

    def start(self, timeout=20):
        rc, out = self.run("-k", "start")
        if rc != 0:
            raise Fail("httpd -k start failed (rc %d):\n%s\n%s"
                       % (rc, out, self.log_tail()))

        def up():
            pid = self.read_pid()
            if pid and not proc_alive(pid):
                raise Fail("httpd exited after start:\n%s\n%s"
                           % (out, self.log_tail()))
            return pid and port_answers(self.port) and pid
        self.master_pid = wait_for(up, timeout, interval=0.05,
                                   what="httpd to answer on %d" % self.port)
        return self

    def _generations(self):
        return self.count_log(r"resuming normal operations")

    def graceful(self, timeout=20):
        before = self._generations()
        rc, out = self.run("-k", "graceful")
        if rc != 0:
            raise Fail("httpd -k graceful failed (rc %d): %s" % (rc, out))
        wait_for(lambda: self._generations() > before, timeout,
                 what="graceful restart to complete")
        wait_for(lambda: port_answers(self.port), timeout,
                 what="httpd to answer after graceful")

    def _ours(self, argv):
        """argv names our config, or is our master's syscall-file broker
        (its own program: guard-broker <master pid>)."""
        if self.conf.encode() in argv:
            return True
        return (self.master_pid is not None and len(argv) > 1
                and os.path.basename(argv[0]) == BROKER_COMM.encode()
                and argv[1] == str(self.master_pid).encode())

    def our_processes(self):
        """Live processes started from this config (argv holds its path),
        and its syscall-file broker."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self._ours(argv) and proc_alive(int(d)):
                pids.append(int(d))
        return pids

    def _master_children(self):
        out = []
        for pid in self.our_processes():
            if pid == self.master_pid:
                continue
            try:
                if proc_ppid(pid) == self.master_pid:
                    out.append(pid)
            except OSError:
                pass
        return out

    def children(self):
        """Live worker child pids of the master (not mod_guard's
        syscall-file broker, see brokers())."""
        return [p for p in self._master_children()
                if proc_comm(p) != BROKER_COMM]

    def brokers(self):
        """Live pids of mod_guard's syscall-file broker (threaded MPMs)."""
        return [p for p in self._master_children()
                if proc_comm(p) == BROKER_COMM]

    def stop(self, timeout=20):
        self.release_all()
        pid = self.read_pid() or self.master_pid
        if pid is None or not proc_alive(pid):
            return
        rc, out = self.run("-k", "stop")
        if rc != 0:
            raise Fail("httpd -k stop failed (rc %d): %s" % (rc, out))
        wait_for(lambda: not proc_alive(pid), timeout, interval=0.02,
                 what="httpd master %d to exit" % pid)

    def kill_leftovers(self):
        """SIGKILL what is left of this server, by pid; return those pids."""
        # A remembered pid counts only while its argv still names our config
        # (pids get reused).
        left = self.our_processes()
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        return left

    # -- per-test resources

    def blackhole(self):
        b = Blackhole()
        self.blackholes.append(b)
        return b

    def adopt(self, blackhole):
        """Take a blackhole made before the server (its port is in the
        config), so it is released before -k stop and closed at teardown."""
        self.blackholes.append(blackhole)
        return blackhole

    def hang(self, path, timeout=120, **kw):
        h = HangingRequest(self.port, path, timeout=timeout, **kw)
        self.hanging.append(h)
        return h

    def release_all(self):
        for b in self.blackholes:
            b.release()
        for h in self.hanging:
            h.close()
        self.hanging = []

    def close_resources(self):
        self.release_all()
        for b in self.blackholes:
            b.close()
        self.blackholes = []

    # -- error log audit

    def expect_log(self, regex):
        """Declare that log lines matching regex are expected (not audited)."""
        self.expected_log.append(re.compile(regex))

    def sanitizer_reports(self):
        """[(where, text)] of every sanitizer report: ASan's files (one per
        process, asan.<pid>) and UBSan's lines in the error log (each with
        the stack trace that follows it)."""
        out = []
        try:
            names = sorted(os.listdir(self.san_dir))
        except OSError:
            names = []
        for name in names:
            path = os.path.join(self.san_dir, name)
            with open(path, "rb") as f:
                out.append((path, f.read().decode("utf-8", "replace")))
        lines = self.log_text()[self.san_log_seen:].splitlines()
        for i, line in enumerate(lines):
            if SAN_LOG_RE.search(line):
                out.append((self.error_log, "\n".join(lines[i:i + 30])))
        return out

    def take_sanitizer_reports(self):
        """The reports so far, which the teardown audit then ignores: for
        a test that causes them on purpose."""
        out = self.sanitizer_reports()
        self.san_log_seen = len(self.log_text())
        for path, _ in out:
            if path != self.error_log:
                os.remove(path)
        return out

    def unexpected_log_lines(self):
        bad = []
        for line in self.log_text().splitlines():
            if BAD_LOG_RE.search(line) and not any(
                    r.search(line) for r in self.expected_log):
                bad.append(line)
        return bad

    # -- HTTP

    def get(self, path, **kw):
        return get(self.port, path, **kw)

    def guard_get(self, fmt="", **kw):
        path = "/guard-status" + ("?" + fmt if fmt else "")
        return self.get(path, **kw)

    def guard_json(self):
        r = self.guard_get("json")
        if r.status != 200:
            raise Fail("GET /guard-status?json: %r" % r)
        if "json" not in r.ctype:
            raise Fail("?json content type is %r" % r.ctype)
        return r.json()


# ---------------------------------------------------------------- status


def busy_workers(js):
    return [w for w in js.get("workers", []) if w.get("state") == "busy"]


def find_worker(js, needle):
    """The busy worker whose request line contains needle, or None."""
    for w in js.get("workers", []):
        if w.get("request") and needle in w["request"]:
            return w
    return None


def workers_of(js, needle):
    return [w for w in js.get("workers", [])
            if w.get("request") and needle in w["request"]]


def wait_worker(server, needle, pred=lambda w: True, timeout=10,
                what=None):
    """Poll ?json until a worker serving needle satisfies pred; return
    (worker, whole document)."""
    state = {}

    def probe():
        js = server.guard_json()
        w = find_worker(js, needle)
        state["last"] = w
        if w is not None and pred(w):
            return (w, js)
        return None
    try:
        return wait_for(probe, timeout, interval=0.1,
                        what=what or "worker serving %r" % needle)
    except Fail as e:
        raise Fail("%s; last worker seen: %s"
                   % (e, json.dumps(state.get("last"), indent=1)))


def promtool_check(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace")


_PROM_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_PROM_LABEL = re.compile(
    r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_prometheus(text):
    """[(name, {label: value}, float)] of the samples of an exposition."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _PROM_LINE.match(line)
        if not m:
            raise Fail("unparsable Prometheus line: %r" % line)
        labels = {}
        rest = m.group(3) or ""
        pos = 0
        while pos < len(rest):
            lm = _PROM_LABEL.match(rest, pos)
            if not lm or lm.end() == pos:
                raise Fail("bad labels in Prometheus line: %r" % line)
            labels[lm.group(1)] = re.sub(
                r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
                lm.group(2))
            pos = lm.end()
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def prom_values(samples, name, **labels):
    return [v for n, l, v in samples if n == name and
            all(l.get(k) == x for k, x in labels.items())]


def sanitized(raw):
    """How mod_guard shows request bytes: control bytes, non-ASCII and
    backslash as \\xHH (upper-case hex here; compare with norm_hex)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    out = []
    for c in raw:
        if c < 0x20 or c >= 0x7f or c == 0x5c:
            out.append("\\x%02X" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def norm_hex(s):
    """Upper-case the hex digits of \\xHH escapes, to compare with
    sanitized()."""
    return re.sub(r"\\x([0-9a-fA-F]{2})",
                  lambda m: "\\x" + m.group(1).upper(), s)
