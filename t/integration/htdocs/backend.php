<?php
// SPDX-License-Identifier: Apache-2.0
// Reads from a backend that may never answer: the request hangs in a
// socket read (poll/read) for up to 600 s, like seeds/001.
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
echo "backend said: ", strlen((string)$data), " bytes\n";
