# SPDX-License-Identifier: Apache-2.0
"""Hostile request data (path, query, Host, User-Agent) shown while the
request hangs: every format escapes it, and the query stays hidden unless
GuardStatusShowQuery On says otherwise."""

import html
import os
import re

import pytest

from guardtest import (norm_hex, parse_prometheus, promtool_check, sanitized,
                       wait_worker)

# No thread inspection needed: also run against a build without it.
pytestmark = pytest.mark.portable

BASE = """\
HttpProtocolOptions Unsafe
StartServers 4
MinSpareServers 2
MaxSpareServers 8
GuardStuckThreshold 1s
"""

SCRIPT = "<script>alert(1)</script>"
IMG_HOST = '"><img src=x onerror=alert(1)>'
QUOTE_HOST = "ex\"ample'.com"
UA = "<script>alert('ua')</script><b onmouseover=x>"
SECRET = "SeCrEtToKeN"

# Raw bytes httpd accepts in a request line: markup, quotes, a backslash,
# UTF-8 (e-acute).
RAW_PATH = (b"/sleep.php/" + SCRIPT.encode() + b"\"'\\\xc3\xa9"
            b"?us=8000000&tok=" + SECRET.encode() + b"<b>")
ENC_PATH = ("/sleep.php/%3Cscript%3Ealert(1)%3C/script%3E%22"
            "?us=8000000&tok=" + SECRET + "%3Cb%3E")
ENC_DECODED = '/sleep.php/<script>alert(1)</script>"'

DANGEROUS = [SCRIPT, "<img src=x", "<script>alert('ua')", "<b onmouseover",
             "<b>"]


def hidden_query(path):
    return path.split("?")[0] + "?..."


def fetch_all(s):
    out = {}
    for fmt in ("", "json", "prometheus", "auto"):
        r = s.guard_get(fmt)
        assert r.status == 200, (fmt, r)
        out[fmt or "html"] = r
    return out


def check_html(page, must_show):
    text = page.text
    for d in DANGEROUS:
        assert d not in text, "raw %r in HTML:\n%s" % (d, text)
    assert "<img" not in text.lower(), text
    shown = html.unescape(text)
    for m in must_show:
        assert m in shown, "%r not shown (escaped) in HTML:\n%s" % (m, text)


def check_prometheus(page):
    rc, out = promtool_check(page.text)
    assert rc == 0, "promtool check metrics: %s\n%s" % (out, page.text)
    samples = parse_prometheus(page.text)
    for line in page.text.splitlines():
        assert not line.startswith("<"), line
    return samples


def check_auto(page):
    lines = page.text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for line in lines:
        assert re.match(r"^[A-Za-z][A-Za-z0-9_]*: ", line), \
            "stray line in ?auto: %r\n%s" % (line, page.text)
    assert "\r" not in page.text


@pytest.mark.slow
def test_hostile_request_data_is_escaped(make_server):
    s = make_server(BASE)
    s.hang(RAW_PATH, host=IMG_HOST, headers={"User-Agent": UA})
    s.hang(ENC_PATH, host=QUOTE_HOST, headers={"User-Agent": UA})
    # The request with the raw path is the one whose request line holds
    # "<script>"; wait until both are stuck and sampled.
    raw_uri = hidden_query(sanitized(RAW_PATH.split(b"?")[0]) + "?x")
    enc_uris = (hidden_query(ENC_PATH), hidden_query(ENC_DECODED + "?x"))

    def both(js):
        ws = [w for w in js["workers"] if w.get("uri") and
              w["uri"].startswith("/sleep.php/")]
        return len(ws) == 2 and all(w["stuck"] for w in ws)
    w, js = wait_worker(s, "/sleep.php/", lambda w: both(s.guard_json()),
                        timeout=5, what="two hostile requests stuck")

    pages = fetch_all(s)
    js = pages["json"].json()
    hostile = [w for w in js["workers"] if w.get("uri") and
               w["uri"].startswith("/sleep.php/")]
    assert len(hostile) == 2, hostile
    uris = sorted(norm_hex(w["uri"]) for w in hostile)
    raw_w = [w for w in hostile if norm_hex(w["uri"]) == raw_uri]
    assert raw_w, "raw path not shown as %r: %r" % (raw_uri, uris)
    assert raw_w[0]["request"] is not None and \
        norm_hex(raw_w[0]["request"]) == "GET %s HTTP/1.1" % raw_uri, raw_w
    enc_w = [w for w in hostile if w["uri"] in enc_uris]
    assert enc_w, "encoded path not shown as one of %r: %r" % (enc_uris, uris)
    for w in hostile:
        assert SECRET not in w["uri"] and SECRET not in w["request"], w
    assert raw_w[0]["vhost"] == IMG_HOST, raw_w
    assert enc_w[0]["vhost"] == QUOTE_HOST, enc_w

    check_html(pages["html"], [SCRIPT + "\"'", IMG_HOST, QUOTE_HOST])
    check_prometheus(pages["prometheus"])
    check_auto(pages["auto"])
    for fmt, page in pages.items():
        assert SECRET not in page.text, \
            "query shown in %s without GuardStatusShowQuery: %s" \
            % (fmt, page.text)
    # JSON and Prometheus escape the quote of the Host.
    for fmt in ("json", "prometheus"):
        assert not re.search(r'(?<!\\)"><img', pages[fmt].text), \
            "unescaped Host in %s:\n%s" % (fmt, pages[fmt].text)
    assert SECRET not in s.log_text()


def query_case(make_server, global_on):
    snippet = BASE + """\
GuardStatusShowQuery %s
<Location /sleep.php>
    GuardStatusShowQuery %s
</Location>
""" % (("On", "Off") if global_on else ("Off", "On"))
    s = make_server(snippet)
    q_sleep = "/sleep.php?us=8000000&tok=V1s1ble<b>x</b>"
    s.hang(q_sleep)
    bh = s.blackhole()
    q_back = "/backend.php?port=%d&tok=Hidd3n<i>" % bh.port
    s.hang(q_back)
    bh.wait_accepted()
    wait_worker(s, "/sleep.php", timeout=5)
    wait_worker(s, "/backend.php", timeout=5)
    pages = fetch_all(s)
    js = pages["json"].json()
    sleep_w = [w for w in js["workers"]
               if w.get("uri", "") and w["uri"].startswith("/sleep.php")]
    back_w = [w for w in js["workers"]
              if w.get("uri", "") and w["uri"].startswith("/backend.php")]
    assert len(sleep_w) == 1 and len(back_w) == 1, js["workers"]
    return s, pages, sleep_w[0], back_w[0], q_sleep, q_back


def test_show_query_location_on(make_server):
    s, pages, sw, bw, q_sleep, q_back = query_case(make_server, False)
    assert sw["uri"] == q_sleep, sw
    assert sw["request"] == "GET %s HTTP/1.1" % q_sleep, sw
    assert bw["uri"] == q_back.split("?")[0] + "?...", bw
    for fmt, page in pages.items():
        assert "Hidd3n" not in page.text, (fmt, page.text)
    assert "V1s1ble" in pages["json"].text
    check_html(pages["html"], ["V1s1ble<b>x</b>"])
    samples = check_prometheus(pages["prometheus"])
    assert any(l.get("uri") == q_sleep for n, l, v in samples
               if n == "guard_worker_info"), pages["prometheus"].text
    check_auto(pages["auto"])


def test_show_query_global_on_location_off(make_server):
    s, pages, sw, bw, q_sleep, q_back = query_case(make_server, True)
    assert sw["uri"] == "/sleep.php?...", sw
    assert bw["uri"] == q_back, bw
    for fmt, page in pages.items():
        assert "V1s1ble" not in page.text, (fmt, page.text)
    assert "<i>" not in pages["html"].text, pages["html"].text
    check_html(pages["html"], [q_back])
    check_prometheus(pages["prometheus"])
    check_auto(pages["auto"])


def test_show_query_vhost_and_directory(make_server):
    s = make_server(BASE + """\
<VirtualHost 127.0.0.1:@PORT@>
    ServerName main.example
    DocumentRoot "@ROOT@/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName vh.example
    DocumentRoot "@ROOT@/htdocs"
    GuardStatusShowQuery On
</VirtualHost>
<Directory "@ROOT@/htdocs/open">
    GuardStatusShowQuery On
</Directory>
""")
    os.makedirs(os.path.join(s.root, "htdocs", "open"), mode=0o755)
    with open(os.path.join(s.root, "htdocs", "sleep.php")) as f:
        s.add_page("open/sleep.php", f.read())
    s.hang("/sleep.php?us=6000000&tok=A1main", host="main.example")
    s.hang("/sleep.php?us=6000000&tok=B2vhost", host="vh.example")
    s.hang("/open/sleep.php?us=6000000&tok=C3dir", host="main.example")

    def three(js):
        return len([w for w in js["workers"]
                    if (w.get("uri") or "").startswith(
                        ("/sleep.php", "/open/sleep.php"))]) == 3
    wait_worker(s, "/sleep.php", lambda w: three(s.guard_json()), timeout=5,
                what="three sleeping requests")
    js = s.guard_json()
    by_uri = {w["uri"]: w for w in js["workers"] if w.get("uri")}
    assert "/sleep.php?..." in by_uri, sorted(by_uri)
    assert by_uri["/sleep.php?..."]["vhost"] == "main.example", by_uri
    assert "/sleep.php?us=6000000&tok=B2vhost" in by_uri, sorted(by_uri)
    assert by_uri["/sleep.php?us=6000000&tok=B2vhost"]["vhost"] == \
        "vh.example"
    assert "/open/sleep.php?us=6000000&tok=C3dir" in by_uri, sorted(by_uri)
    assert "A1main" not in s.guard_get().text
