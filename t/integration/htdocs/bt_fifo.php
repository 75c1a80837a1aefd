<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: blocks reading a FIFO (path=) until a writer sends
// something; says what it read and after how long.
header("Content-Type: text/plain");
$path = $_GET["path"] ?? "";
$t0 = microtime(true);
$f = fopen($path, "r");
if (!$f) {
    http_response_code(500);
    echo "cannot open $path\n";
    exit;
}
$d = fread($f, 100);
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("fifo said %s after %d ms\n", var_export($d, true), $ms);
