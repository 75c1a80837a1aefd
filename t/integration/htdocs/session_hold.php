<?php
// SPDX-License-Identifier: Apache-2.0
// seeds/001: takes the session lock (flock LOCK_EX on sess_<id>), then
// reads from a backend that never answers, holding the lock.
session_start();
$_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 0);
$s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 10);
if (!$s) {
    http_response_code(502);
    echo "connect failed: $errstr\n";
    exit;
}
stream_set_timeout($s, 600);
fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
$data = fread($s, 8192);
echo "session ", session_id(), " n=", $_SESSION["n"], "\n";
