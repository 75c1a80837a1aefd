<?php
// SPDX-License-Identifier: Apache-2.0
// SCENARIOS.md #1: takes the session lock (flock LOCK_EX on sess_<id>), then
// waits for a backend that accepts and never answers: the worker blocks in
// poll() on the socket for up to 600 s, holding the lock all that time.
// ?port=N picks the backend port (default 8099, the demo's blackhole).
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 8099);
if ($port < 1 || $port > 65535) {
    http_response_code(400);
    echo "port must be 1..65535\n";
    exit;
}
session_start();
$_SESSION["hang"] = ($_SESSION["hang"] ?? 0) + 1;

// A cart that asks a price service: the worker's PHP stack on
// /guard-status reads fread <- PriceClient::fetch <- Cart::total <- {main}.
class PriceClient
{
    public function fetch(int $port): string
    {
        $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr,
                                  10);
        if (!$s) {
            http_response_code(502);
            return "connect to 127.0.0.1:$port failed: $errstr\n";
        }
        stream_set_timeout($s, 600);
        fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
        $data = fread($s, 8192);
        $meta = stream_get_meta_data($s);
        return $meta["timed_out"] ? "backend timed out\n"
            : "backend said " . strlen((string)$data) . " bytes\n";
    }
}

class Cart
{
    public function total(int $port): string
    {
        return (new PriceClient())->fetch($port);
    }
}

echo (new Cart())->total($port);
