<?php
// SPDX-License-Identifier: Apache-2.0
// SCENARIOS.md #1: another request of the same session. session_start()
// blocks in flock() on sess_<id> for as long as hang.php holds the lock.
header("Content-Type: text/plain");
$t0 = microtime(true);
session_start();
$_SESSION["pileup"] = ($_SESSION["pileup"] ?? 0) + 1;
printf("session %s: waited %.1f s for the lock\n", session_id(),
       microtime(true) - $t0);
