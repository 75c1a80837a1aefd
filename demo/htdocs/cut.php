<?php
// SPDX-License-Identifier: Apache-2.0
// Reads from the blackhole like hang.php, but holds no session lock. The
// demo's <Location /cut.php> sets GuardBackendTimeout 3s: after 3 s without
// data mod_guard shuts the socket down, fread() returns at once, and the
// client gets the error below instead of waiting 600 s.
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 8099);
if ($port < 1 || $port > 65535) {
    http_response_code(400);
    echo "port must be 1..65535\n";
    exit;
}
$t0 = microtime(true);
$s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 10);
if (!$s) {
    http_response_code(502);
    echo "connect to 127.0.0.1:$port failed: $errstr\n";
    exit;
}
stream_set_timeout($s, 600);
fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
$data = fread($s, 8192);
$secs = microtime(true) - $t0;
if ($data === false || $data === "") {
    http_response_code(504);
    printf("backend 127.0.0.1:%d closed the connection after %.1f s "
           . "without an answer (cut by GuardBackendTimeout)\n", $port, $secs);
    exit;
}
echo "backend said ", strlen($data), " bytes\n";
