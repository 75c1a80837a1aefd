<?php
// SPDX-License-Identifier: Apache-2.0
// Included by stack_block.php: the class whose method and closure sit
// between the include frame and the closure that reads the backend.
class Svc
{
    private $addr;

    public function __construct($addr)
    {
        $this->addr = $addr;
    }

    public function run($read)
    {
        $s = stream_socket_client($this->addr, $errno, $errstr, 10);
        if (!$s) {
            return "";
        }
        stream_set_timeout($s, 600);
        fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
        $call = function () use ($read, $s) {
            return $read($s); // @frame:Svc::{closure}
        };
        return $call(); // @frame:Svc::run
    }
}

return stack_outer($addr); // @frame:include
