<?php
// SPDX-License-Identifier: Apache-2.0
// Live stacks: ends blocked in fread on a backend that never answers
// (port=: on 127.0.0.1; unix=: a unix-domain socket path), eight frames
// deep: {main} -> include of stack_inc.php -> stack_outer -> stack_inner
// -> Svc::run -> Svc::{closure} -> {closure} -> fread. A "// @frame:"
// comment marks the line each frame is at while it blocks; the tests find
// them in this source. Once the read returns it says how opcache ran it.
header("Content-Type: text/plain");

function stack_outer($addr)
{
    return stack_inner($addr . ""); // @frame:stack_outer
}

function stack_inner($addr)
{
    $read = function ($s) {
        return fread($s, 8192); // @frame:{closure}
    };
    $svc = new Svc($addr);
    return $svc->run($read); // @frame:stack_inner
}

$unix = $_GET["unix"] ?? "";
$addr = $unix !== "" ? "unix://$unix"
        : "tcp://127.0.0.1:" . (int)($_GET["port"] ?? 0);
$data = include __DIR__ . "/stack_inc.php"; // @frame:{main}
$st = function_exists("opcache_get_status") ? opcache_get_status(false)
      : false;
$jit = $st["jit"] ?? [];
printf("read %d bytes; opcache=%s cached=%s jit=%s jit_used=%d\n",
       strlen((string)$data), $st && $st["opcache_enabled"] ? "on" : "off",
       $st && opcache_is_script_cached(__FILE__) ? "yes" : "no",
       empty($jit["on"]) ? "off" : "on",
       ($jit["buffer_size"] ?? 0) - ($jit["buffer_free"] ?? 0));
