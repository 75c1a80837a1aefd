<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: connects to a port whose SYNs are dropped, either
// with stream_socket_client and a 600 s timeout (via=stream) or with a
// blocking ext/sockets socket_connect (via=sockets). Says how it ended.
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 0);
$via = $_GET["via"] ?? "stream";
$t0 = microtime(true);
if ($via === "sockets") {
    $sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
    socket_set_block($sock);
    $ok = @socket_connect($sock, "127.0.0.1", $port);
    $err = $ok ? 0 : socket_last_error($sock);
    $msg = $ok ? "none" : socket_strerror($err);
} else {
    $s = @stream_socket_client("tcp://127.0.0.1:$port", $err, $msg, 600);
    $ok = (bool)$s;
    if ($ok) {
        $err = 0;
        $msg = "none";
    }
}
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("connect via %s %s after %d ms: error=%d (%s), pid=%d\n", $via,
       $ok ? "succeeded" : "failed", $ms, $err, $msg, getmypid());
