<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: reads the whole request body (php://input) and
// says what it got and how long that took.
header("Content-Type: text/plain");
$t0 = microtime(true);
$in = file_get_contents("php://input");
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("got %d bytes in %d ms: %s\n", strlen($in), $ms, $in);
