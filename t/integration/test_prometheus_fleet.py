# SPDX-License-Identifier: Apache-2.0
"""The alerting rules in prometheus/ pass promtool's checks and unit tests,
and a real Prometheus server scraping two real httpd servers with
mod_guard sees both, the stuck worker of one, and fires its alert."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

from guardtest import Fail, free_port, wait_for, wait_worker

HERE = os.path.dirname(os.path.abspath(__file__))
RULES_DIR = os.path.join(HERE, "..", "..", "prometheus")
RULES = os.path.join(RULES_DIR, "guard-rules.yml")
RULES_TEST = os.path.join(RULES_DIR, "guard-rules.test.yml")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

SNIPPET = """\
StartServers 4
MinSpareServers 3
MaxSpareServers 6
GuardStuckThreshold 1s
GuardWatchInterval 100ms
"""


def promtool(*args):
    p = subprocess.run([PROMTOOL] + list(args), cwd=RULES_DIR,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    return p.returncode, p.stdout


@pytest.mark.portable
def test_rules_pass_promtool():
    rc, out = promtool("check", "rules", RULES)
    assert rc == 0, out
    assert "SUCCESS: 9 rules found" in out, out
    rc, out = promtool("test", "rules", RULES_TEST)
    assert rc == 0, out
    assert "SUCCESS" in out, out


def short_for_rules(path):
    """The real rules with every for: made 1s: the same expressions, in
    a test that does not wait minutes."""
    with open(RULES) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s+for:) \S+$", r"\1 1s", text)
    assert n >= 5, "no for: durations found in %s" % RULES
    with open(path, "w") as f:
        f.write(text)


class Prometheus:
    """A real Prometheus server on a free loopback port, its config and
    storage in a temporary directory, stopped by its pid."""

    def __init__(self, targets):
        self.root = tempfile.mkdtemp(prefix="guardtest-prom-")
        self.port = free_port()
        self.proc = None
        rules = os.path.join(self.root, "rules.yml")
        short_for_rules(rules)
        # JSON is YAML: no YAML library needed.
        conf = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": [rules],
            "scrape_configs": [{
                "job_name": "httpd",
                "metrics_path": "/guard-status",
                "params": {"prometheus": [""]},
                "static_configs": [{"targets": targets}],
            }],
        }
        self.conf = os.path.join(self.root, "prometheus.yml")
        with open(self.conf, "w") as f:
            json.dump(conf, f, indent=1)
        self.log = os.path.join(self.root, "prometheus.log")

    def start(self):
        rc, out = promtool("check", "config", self.conf)
        assert rc == 0, out
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + self.conf,
                 "--storage.tsdb.path=" + os.path.join(self.root, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        wait_for(self.ready, timeout=30, interval=0.2,
                 what="Prometheus ready on port %d" % self.port)

    def ready(self):
        if self.proc.poll() is not None:
            raise Fail("prometheus exited with %s:\n%s"
                       % (self.proc.returncode, self.log_text()))
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/-/ready" % self.port,
                    timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read().decode())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def prometheus():
    made = []

    def make(targets):
        p = Prometheus(targets)
        made.append(p)
        p.start()
        return p

    yield make
    for p in made:
        p.stop()


def targets_up(prom, want):
    active = prom.api("targets")["activeTargets"]
    up = {t["labels"]["instance"]: t for t in active
          if t["health"] == "up"}
    return up if set(up) == set(want) else None


@pytest.mark.slow
def test_prometheus_scrapes_a_fleet(make_server, prometheus):
    stuck_srv = make_server(SNIPPET)
    calm_srv = make_server(SNIPPET)
    bh = stuck_srv.blackhole()
    stuck_srv.hang("/backend.php?port=%d" % bh.port)
    bh.wait_accepted()
    w, _ = wait_worker(stuck_srv, "/backend.php", lambda w: w["stuck"],
                       timeout=10, what="stuck backend request")
    a = "127.0.0.1:%d" % stuck_srv.port
    b = "127.0.0.1:%d" % calm_srv.port
    prom = prometheus([a, b])

    up = wait_for(lambda: targets_up(prom, [a, b]), timeout=20,
                  what="both targets up")
    for inst, t in up.items():
        assert t["scrapeUrl"].endswith("/guard-status?prometheus="), t
        assert t["lastError"] == "", t
    ups = {r["metric"]["instance"]: r["value"][1]
           for r in prom.query('up{job="httpd"}')}
    assert ups == {a: "1", b: "1"}, ups

    # The stuck worker, by its slot: only on the server that has it.
    stuck = wait_for(lambda: prom.query("guard_worker_stuck == 1"),
                     timeout=15, what="guard_worker_stuck == 1 in a query")
    assert len(stuck) == 1, stuck
    m = stuck[0]["metric"]
    assert m["instance"] == a, stuck
    assert (m["child"], m["thread"]) == (str(w["child"]),
                                         str(w["thread"])), (stuck, w)
    assert "pid" not in m and "tid" not in m, m
    totals = {r["metric"]["instance"]: r["value"][1]
              for r in prom.query("guard_workers_stuck")}
    assert totals == {a: "1", b: "0"}, totals

    def firing():
        alerts = [x for x in prom.api("alerts")["alerts"]
                  if x["labels"]["alertname"] == "GuardWorkersStuck"
                  and x["state"] == "firing"]
        return alerts or None

    alerts = wait_for(firing, timeout=20, what="GuardWorkersStuck firing")
    assert len(alerts) == 1, alerts
    assert alerts[0]["labels"]["instance"] == a, alerts
    assert alerts[0]["labels"]["severity"] == "warning", alerts
    assert alerts[0]["annotations"]["summary"] == \
        "1 stuck httpd workers on %s" % a, alerts
    # Nothing else fires for two healthy servers. GuardTargetDown is left
    # out: with for: 1s, two scrapes that miss their 1 s timeout on a
    # loaded machine would fire it.
    others = [x["labels"]["alertname"] for x in prom.api("alerts")["alerts"]
              if x["labels"]["alertname"] not in ("GuardWorkersStuck",
                                                  "GuardTargetDown")]
    assert others == [], others
