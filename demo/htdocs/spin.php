<?php
// SPDX-License-Identifier: Apache-2.0
// SCENARIOS.md #3: burns CPU without a syscall in the loop, for ?s=N
// seconds (default 60, at most 300).
header("Content-Type: text/plain");
$secs = (int)($_GET["s"] ?? 60);
$secs = max(1, min($secs, 300));
$end = microtime(true) + $secs;
$n = 0;
do {
    for ($i = 0; $i < 100000; $i++) {
        $n = ($n * 31 + $i) % 1000003;
    }
} while (microtime(true) < $end);
echo "spun $secs s: $n\n";
