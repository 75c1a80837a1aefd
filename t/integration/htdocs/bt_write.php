<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: writes mb MB (default 64) with ext/sockets to a
// peer that never reads: blocking socket, no SO_SNDTIMEO, so the write
// blocks for ever once the buffers are full. Says how the writing ended.
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 0);
$total = (int)($_GET["mb"] ?? 64) * 1048576;
$sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
if (!socket_connect($sock, "127.0.0.1", $port)) {
    http_response_code(502);
    echo "connect failed: ", socket_strerror(socket_last_error($sock)), "\n";
    exit;
}
socket_set_block($sock);
$chunk = str_repeat("w", 4 * 1048576);
$sent = 0;
$calls = 0;
$partial = 0;
$last = "none";
$err = 0;
$t0 = microtime(true);
while ($sent < $total) {
    $want = min(strlen($chunk), $total - $sent);
    $n = @socket_write($sock, $chunk, $want);
    $calls++;
    if ($n === false) {
        $last = "false";
        $err = socket_last_error($sock);
        break;
    }
    $last = (string)$n;
    if ($n < $want) {
        $partial++;
    }
    $sent += $n;
}
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("write ended after %d ms: sent %d of %d bytes in %d calls, "
       . "partial=%d, last=%s, error=%d (%s), pid=%d\n",
       $ms, $sent, $total, $calls, $partial, $last, $err,
       $err ? socket_strerror($err) : "none", getmypid());
