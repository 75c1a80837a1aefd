<?php
// SPDX-License-Identifier: Apache-2.0
// Another request of the session: blocks in session_start() (flock on
// the session file) while a holder keeps the lock.
header("Content-Type: text/plain");
session_start(); // @frame:{main}
$_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;
echo "session ", session_id(), " n=", $_SESSION["n"], "\n";
