<?php
// SPDX-License-Identifier: Apache-2.0
// Sleeps ?s=N seconds (default 60, at most 300): blocked, but not on
// anything that could be at fault.
header("Content-Type: text/plain");
$secs = (int)($_GET["s"] ?? 60);
$secs = max(1, min($secs, 300));
usleep($secs * 1000000);
echo "slept $secs s\n";
