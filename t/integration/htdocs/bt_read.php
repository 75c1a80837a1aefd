<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout: reads a backend until EOF with a 600 s stream
// timeout (like seeds/001) and says how and when the reading ended.
// port=: a loopback TCP port; or unix=: a unix-domain socket path.
header("Content-Type: text/plain");
$port = (int)($_GET["port"] ?? 0);
$unix = $_GET["unix"] ?? "";     // a unix-domain socket path instead
$s = stream_socket_client($unix !== "" ? "unix://$unix"
                          : "tcp://127.0.0.1:$port", $errno, $errstr, 10);
if (!$s) {
    http_response_code(502);
    echo "connect failed: $errstr\n";
    exit;
}
stream_set_timeout($s, 600);
fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
$t0 = microtime(true);
$got = "";
$reads = 0;
while (true) {
    $d = fread($s, 8192);
    $reads++;
    if ($d === false || $d === "") {
        break;
    }
    $got .= $d;
}
$meta = stream_get_meta_data($s);
$ms = (int)round((microtime(true) - $t0) * 1000);
printf("eof after %d ms: got %d bytes in %d reads, fread=%s, "
       . "timed_out=%s, feof=%s, pid=%d\n",
       $ms, strlen($got), $reads, $d === false ? "false" : "empty",
       $meta["timed_out"] ? "yes" : "no", feof($s) ? "yes" : "no",
       getmypid());
echo "data: ", $got, "\n";
