<?php
// SPDX-License-Identifier: Apache-2.0
// usleep(us) microseconds (default 5 s); anything after the script name
// (PATH_INFO) and the rest of the query are ignored.
header("Content-Type: text/plain");
$us = (int)($_GET["us"] ?? 5000000);
usleep($us);
echo "slept $us us\n";
