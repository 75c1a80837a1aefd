<?php
// SPDX-License-Identifier: Apache-2.0
// Burns CPU for s seconds (default 3) without a syscall in the loop.
header("Content-Type: text/plain");
$s = (float)($_GET["s"] ?? 3);
$end = microtime(true) + $s;
$n = 0;
while (true) {
    for ($i = 0; $i < 100000; $i++) {
        $n = ($n * 31 + $i) % 1000003;
    }
    if (microtime(true) >= $end) {
        break;
    }
}
echo "spun $s s: $n\n";
