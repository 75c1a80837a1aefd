<?php
// SPDX-License-Identifier: Apache-2.0
// Another request of the same session: blocks in flock() behind a holder.
session_start();
$_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;
header("Content-Type: text/plain");
echo "session ", session_id(), " n=", $_SESSION["n"], "\n";
