# SPDX-License-Identifier: Apache-2.0
"""What the request hooks write into a worker's slot, request after request
on one worker: the copy follows every request (method, protocol, virtual
host, query redacted), and a prefork worker is made not cancellable while
threaded MPMs' workers are left as they are."""

import pytest

from guardtest import busy_workers, wait_for
from test_crash import CRASHTEST_CONF, crashtest_so  # noqa: F401 (fixture)
from test_listen import listen_server, lget

ONE_CHILD = """\
<IfModule mpm_prefork_module>
    StartServers 1
    MinSpareServers 1
    MaxSpareServers 1
    ServerLimit 1
    MaxRequestWorkers 1
</IfModule>
"""

# (method, host, protocol) in turn on the one worker: the virtual host
# repeats, changes, comes back, and is odd (escaped).
SEQUENCE = [
    ("GET", "one.example", "HTTP/1.1"),
    ("GET", "one.example", "HTTP/1.1"),
    ("HEAD", "two.example", "HTTP/1.1"),
    ("POST", "two.example", "HTTP/1.0"),
    ("PUT", "one.example", "HTTP/1.1"),
    ("GET", "a-much-longer-virtual-host-name.one.example", "HTTP/1.1"),
    ("GET", "one.example", "HTTP/1.1"),
]


def busy_one(port):
    r = lget(port, "json")
    if r.status != 200:
        return None
    busy = busy_workers(r.json())
    return busy[0] if len(busy) == 1 else None


def test_copy_follows_each_request_on_one_worker(make_server):
    s, port = listen_server(make_server, ONE_CHILD)
    s.expect_log(r"AH00161")      # one worker, busy: "reached MaxRequestWorkers"
    for i, (method, host, proto) in enumerate(SEQUENCE):
        h = s.hang("/sleep.php?us=2000000&n=%d" % i, method=method,
                   host=host, proto=proto,
                   headers={"Content-Length": "0"}
                   if method in ("POST", "PUT") else None)
        w = wait_for(lambda: busy_one(port), 10,
                     what="the one worker busy with request %d" % i)
        assert w["method"] == method, (i, w)
        assert w["vhost"] == host, (i, w)
        assert w["protocol"] == proto, (i, w)
        assert w["uri"] == "/sleep.php?...", (i, w)
        assert w["request"] == "%s /sleep.php?... %s" % (method, proto), w
        h.close()
        wait_for(lambda: busy_one(port) is None, 10,
                 what="request %d over" % i)


# The worker thread's cancellation, as mod_crashtest's ?cancel reports it.
CANCEL = [
    ("prefork", True, "state=disable type=async"),
    ("prefork", False, "state=enable type=deferred"),
    ("event", True, "state=enable type=deferred"),
    ("worker", True, "state=enable type=deferred"),
]


@pytest.mark.parametrize("mpm,guard,want", CANCEL,
                         ids=["%s-%s" % (m, "guard" if g else "stock")
                              for m, g, _ in CANCEL])
def test_worker_cancellation(make_server, crashtest_so, mpm, guard, want):
    s = make_server(CRASHTEST_CONF.format(so=crashtest_so), mpm=mpm,
                    guard=guard)
    for _ in range(4):
        r = s.get("/ct?cancel")
        assert r.status == 200, r
        assert r.text == want + "\n", (mpm, guard, r.text)
