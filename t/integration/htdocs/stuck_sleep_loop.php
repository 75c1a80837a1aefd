<?php
// SPDX-License-Identifier: Apache-2.0
// A slow page that works between naps: n naps of ms milliseconds (default
// 20 of 200 ms), a line after each. Never one long wait.
header("Content-Type: text/plain");
$n = (int)($_GET["n"] ?? 20);
$ms = (int)($_GET["ms"] ?? 200);
for ($i = 0; $i < $n; $i++) {
    usleep($ms * 1000);
    echo "nap $i\n";
}
echo "done\n";
