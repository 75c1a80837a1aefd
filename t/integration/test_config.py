# SPDX-License-Identifier: Apache-2.0
"""Directives: bad values and wrong contexts make httpd refuse the
configuration with a message naming the directive and quoting the value."""

import pytest

from guardtest import port_answers, proc_alive

# No thread inspection needed: also run against a build without it.
pytestmark = pytest.mark.portable

BAD_VALUES = [
    ("GuardWatchInterval", "0"),
    ("GuardWatchInterval", "-1"),
    ("GuardWatchInterval", "abc"),
    ("GuardWatchInterval", "5x"),
    ("GuardWatchInterval", "1.5s"),
    ("GuardWatchInterval", ""),
    ("GuardWatchInterval", "99999999999999999999h"),
    ("GuardWatchInterval", "5ms"),
    ("GuardWatchInterval", "9ms"),
    ("GuardWatchInterval", "2m"),
    ("GuardWatchInterval", "61s"),
    ("GuardWatchInterval", "1 s"),
    ("GuardStuckThreshold", "0"),
    ("GuardStuckThreshold", "0ms"),
    ("GuardStuckThreshold", "-1"),
    ("GuardStuckThreshold", "garbage"),
    ("GuardStuckThreshold", "25h"),
    ("GuardStuckThreshold", "99999999999999999999h"),
    ("GuardStuckThreshold", "10sec"),
    ("GuardStatusShowQuery", "maybe"),
    ("GuardLockWatch", "relative/sess_*"),
    ("GuardLockWatch", "/var/lock/[ab"),
    ("GuardStatusListen", "0.0.0.0:8099"),
    ("GuardStatusListen", "[::]:8099"),
    ("GuardStatusListen", "localhost:8099"),
    ("GuardStatusListen", "127.0.0.1"),
    ("GuardStatusListen", "127.0.0.1:0"),
    ("GuardStatusListen", "127.0.0.1:65536"),
    ("GuardStatusListen", "127.0.0.1:http"),
    ("GuardStatusListen", "::1:8099"),
    ("GuardStatusListen", "[127.0.0.1]:8099"),
    ("GuardStatusListen", "127.1:8099"),
    ("GuardStatusListen", "on"),
    ("GuardStatusAllow", "10.0.0.1/8"),
    ("GuardStatusAllow", "300.0.0.0/8"),
    ("GuardStatusAllow", "10.0.0.0/33"),
    ("GuardStatusAllow", "::1/129"),
    ("GuardStatusAllow", "all"),
    ("GuardStatusAllow", "localhost"),
    ("GuardStatusHost", "*.example.org"),
    ("GuardStatusHost", "*"),
    ("GuardStatusHost", "localhost:8099"),
    ("GuardStatusHost", "[::1]"),
    ("GuardStatusHost", "a..b"),
    ("GuardStatusHost", "127.1"),
    ("GuardStatusHost", "web 1"),
    ("GuardCrashHistory", "0"),
    ("GuardCrashHistory", "-5"),
    ("GuardCrashHistory", "65537"),
    ("GuardCrashHistory", "12x"),
    ("GuardCrashHistory", "99999999999999999999"),
    ("GuardCrashLog", "|/bin/logger"),
    ("GuardFpmStatus", "localhost:9000"),
    ("GuardFpmStatus", "unix:run/php/php8.2-fpm.sock"),
    ("GuardFpmStatus", "/run/php/php8.2-fpm.sock"),
    ("GuardFpmStatus", "127.0.0.1"),
    ("GuardFpmStatus", "127.0.0.1:0"),
    ("GuardFpmStatus", "127.0.0.1:65536"),
    ("GuardFpmStatus", "::1:9000"),
    ("GuardFpmStatus", "127.0.0.1:9000 status"),
    ("GuardFpmStatus", "127.0.0.1:9000 /status?full"),
    ("GuardFpmInterval", "100ms"),
    ("GuardFpmInterval", "2h"),
    ("GuardFpmInterval", "often"),
]

# GuardLockWatch takes up to four words: (line, quoted value expected).
BAD_LOCK_WATCH = [
    ("GuardLockWatch /var/lock/* 5x", '"5x"'),
    ("GuardLockWatch /var/lock/* 0", '"0"'),
    ("GuardLockWatch /var/lock/* 5ms", '"5ms"'),
    ("GuardLockWatch /var/lock/* 25h", '"25h"'),
    ("GuardLockWatch /var/lock/* 1s kill", '"kill"'),
    ("GuardLockWatch /var/lock/* cut-holder 1s", '"1s"'),
    ("GuardLockWatch /var/lock/* 1s cut-holderx", '"cut-holderx"'),
    ("GuardLockWatch /var/lock/* 1s end-holder kill", '"kill"'),
    ("GuardLockWatch /var/lock/* end-holder end-holder", '"end-holder"'),
    ("GuardLockWatch /var/lock/* 1s cut-holder end-holder x", '"x"'),
    ("\n".join("GuardLockWatch /var/lock/%d" % i for i in range(17)),
     '"/var/lock/16"'),
    ("GuardLockWatch /s/sess_* 1s cookie=", '"cookie="'),
    ("GuardLockWatch /s/sess_* cookie=a;b", '"cookie=a;b"'),
    ("GuardLockWatch /s/sess_* cookie=A cookie=B", '"cookie=B"'),
    ("GuardLockWatch /s/sess_* cookie=%s" % ("a" * 64),
     '"cookie=%s"' % ("a" * 64)),
]

BAD_CONTEXTS = [
    ("GuardWatchInterval", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardWatchInterval 1s\n</VirtualHost>\n"),
    ("GuardStuckThreshold", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardStuckThreshold 5s\n</VirtualHost>\n"),
    ("GuardLockWatch", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardLockWatch /var/lock/*\n</VirtualHost>\n"),
    ("GuardLockWatch", "<Location /x>\nGuardLockWatch /var/lock/*\n"
     "</Location>\n"),
    ("GuardStuckThreshold", "<Location /x>\nGuardStuckThreshold 5s\n"
     "</Location>\n"),
    ("GuardWatchInterval", "<Directory \"@ROOT@/htdocs\">\n"
     "GuardWatchInterval 1s\n</Directory>\n"),
    ("GuardStatusListen", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardStatusListen 127.0.0.1:8099\n"
     "</VirtualHost>\n"),
    ("GuardStatusAllow", "<Location /x>\nGuardStatusAllow 10.0.0.0/8\n"
     "</Location>\n"),
    ("GuardStatusHost", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardStatusHost web1.example\n"
     "</VirtualHost>\n"),
    ("GuardCrashHistory", "<VirtualHost 127.0.0.1:@PORT@>\n"
     "ServerName vh.example\nGuardCrashHistory 8\n</VirtualHost>\n"),
    ("GuardCrashLog", "<Location /x>\nGuardCrashLog logs/c\n</Location>\n"),
]

GOOD = [
    "GuardLockWatch /var/lib/php/sessions/sess_* 2s\n"
    "GuardLockWatch /var/lock/apache2/* 500ms cut-holder\n"
    "GuardLockWatch /run/lock/app.lck CUT-HOLDER\n"
    "GuardLockWatch /run/lock/[a-c]?.lck 24h\n"
    "GuardLockWatch /srv/sessions/sess_* 1s cut-holder end-holder\n"
    "GuardLockWatch /srv/locks/* End-Holder\n"
    "GuardLockWatch /srv/s2/sess_* cookie=MYAPP_SID\n"
    "GuardLockWatch /srv/s3/sess_* 2s end-holder Cookie=x-1\n",
    "GuardWatchInterval 250ms\nGuardStuckThreshold 2s\n"
    "GuardStatusShowQuery On\n",
    "GuardWatchInterval 10ms\n",
    "GuardWatchInterval 60s\n",
    "GuardWatchInterval 1m\n",
    "GuardWatchInterval 1\n",
    "GuardStuckThreshold 5\n",
    "GuardStuckThreshold 1h\n",
    "GuardStuckThreshold 24h\n",
    "GuardStuckThreshold 1ms\n",
    "GuardStatusShowQuery Off\n<VirtualHost 127.0.0.1:@PORT@>\n"
    "ServerName vh.example\nGuardStatusShowQuery On\n</VirtualHost>\n"
    "<Location /x>\nGuardStatusShowQuery On\n</Location>\n"
    "<Directory \"@ROOT@/htdocs\">\nGuardStatusShowQuery Off\n</Directory>\n",
    "GuardStatusListen 127.0.0.1:8099\n",
    "GuardStatusListen 8099\nGuardStatusAllow 10.0.0.0/8 ::1 127.0.0.1\n"
    "GuardStatusAllow 192.168.7.16/28 fd00::/8 0.0.0.0/0\n",
    "GuardStatusListen [::1]:65535\nGuardStatusAllow ::/0\n",
    "GuardStatusListen 127.0.0.1:8099\nGuardStatusHost web1.example.org. "
    "web1 Status_1.example\nGuardStatusHost 10.0.0.5 ::1 2001:db8::7\n",
    "GuardCrashHistory 1\nGuardCrashLog Off\n",
    "GuardCrashHistory 65536\nGuardCrashLog logs/crash_log\n",
]


def conf_value(v):
    return '""' if v == "" else ('"%s"' % v if " " in v else v)


@pytest.mark.parametrize("directive,value", BAD_VALUES,
                         ids=["%s=%s" % dv for dv in BAD_VALUES])
def test_bad_value_refused(make_server, directive, value):
    s = make_server("%s %s\n" % (directive, conf_value(value)), start=False)
    rc, out = s.configtest()
    assert rc != 0, "accepted %s %r:\n%s" % (directive, value, out)
    assert directive in out, out
    if value == "":
        # httpd refuses an empty TAKE1 argument before the module sees it.
        assert '""' in out or "takes one argument" in out, out
    else:
        assert '"%s"' % value in out, "value not quoted in: %s" % out
    assert "Syntax OK" not in out


@pytest.mark.parametrize("directive,snippet", BAD_CONTEXTS,
                         ids=["%s-%d" % (d, i) for i, (d, _)
                              in enumerate(BAD_CONTEXTS)])
def test_bad_context_refused(make_server, directive, snippet):
    s = make_server(snippet, start=False)
    rc, out = s.configtest()
    assert rc != 0, "accepted:\n%s\n%s" % (snippet, out)
    assert directive in out, out
    assert "not allowed" in out or "cannot occur within" in out, out


@pytest.mark.parametrize("line,quoted", BAD_LOCK_WATCH,
                         ids=range(len(BAD_LOCK_WATCH)))
def test_bad_lock_watch_refused(make_server, line, quoted):
    s = make_server(line + "\n", start=False)
    rc, out = s.configtest()
    assert rc != 0, "accepted %r:\n%s" % (line, out)
    assert "GuardLockWatch" in out and quoted in out, out
    assert "Syntax OK" not in out


@pytest.mark.parametrize("snippet", GOOD, ids=range(len(GOOD)))
def test_good_config_passes(make_server, snippet):
    s = make_server(snippet, start=False)
    rc, out = s.configtest()
    assert rc == 0 and "Syntax OK" in out, out


def test_bad_config_refuses_to_start(make_server):
    s = make_server("GuardWatchInterval 5ms\n", start=False)
    rc, out = s.run("-k", "start")
    assert rc != 0, out
    assert "GuardWatchInterval" in out and '"5ms"' in out, out
    assert s.read_pid() is None or not proc_alive(s.read_pid())
    assert not port_answers(s.port)
    assert not s.our_processes()
