<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: takes flock(LOCK_EX) on a file (path=) someone else
// holds; says after how long it got it.
header("Content-Type: text/plain");
$path = $_GET["path"] ?? "";
$t0 = microtime(true);
$f = fopen($path, "c");
if (!$f) {
    http_response_code(500);
    echo "cannot open $path\n";
    exit;
}
$ok = flock($f, LOCK_EX);
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("flock %s after %d ms\n", $ok ? "taken" : "failed", $ms);
flock($f, LOCK_UN);
