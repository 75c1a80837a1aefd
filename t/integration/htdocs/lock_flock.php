<?php
// SPDX-License-Identifier: Apache-2.0
// Waits in flock(LOCK_EX) on a lock file of the test (?f=name under the
// server's locks/ directory), then releases it.
header("Content-Type: text/plain");
$name = basename($_GET["f"] ?? "x.lck");
$path = dirname(__DIR__) . "/locks/" . $name;
$h = fopen($path, "c");
if (!$h || !flock($h, LOCK_EX)) {
    http_response_code(500);
    exit;
}
echo "locked $name\n";
flock($h, LOCK_UN);
