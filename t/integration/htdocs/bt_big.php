<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: a large response of mb MB (default 20), each MB the
// same 1 MiB pattern, for a slow reader.
header("Content-Type: application/octet-stream");
$mb = (int)($_GET["mb"] ?? 20);
header("Content-Length: " . ($mb * 1048576));
$chunk = str_repeat("0123456789abcdef", 65536);
for ($i = 0; $i < $mb; $i++) {
    echo $chunk;
    flush();
}
