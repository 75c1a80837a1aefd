<?php
// SPDX-License-Identifier: Apache-2.0
// seeds/001 with a holder that cannot be cut: takes the session lock, then
// waits in flock(LOCK_EX) on a lock file of the test (?f=name under the
// server's locks/ directory) that a process outside httpd holds.
session_start();
$_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;
header("Content-Type: text/plain");
$name = basename($_GET["f"] ?? "x.lck");
$h = fopen(dirname(__DIR__) . "/locks/" . $name, "c");
if (!$h || !flock($h, LOCK_EX)) {
    http_response_code(500);
    exit;
}
echo "locked $name, session ", session_id(), "\n";
