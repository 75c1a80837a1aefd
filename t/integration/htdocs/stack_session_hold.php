<?php
// SPDX-License-Identifier: Apache-2.0
// Takes the session lock, then reads from a backend that never answers
// (port=), holding it. The "// @frame:" comment marks where it blocks.
session_start();
$_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;
header("Content-Type: text/plain");
$s = stream_socket_client("tcp://127.0.0.1:" . (int)($_GET["port"] ?? 0),
                          $errno, $errstr, 10);
stream_set_timeout($s, 600);
fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
$data = fread($s, 8192); // @frame:{main}
echo "session ", session_id(), " n=", $_SESSION["n"], "\n";
