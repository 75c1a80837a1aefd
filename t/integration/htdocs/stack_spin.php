<?php
// SPDX-License-Identifier: Apache-2.0
// Live stacks of a thread on CPU: stack_spin_loop runs a loop that makes
// no call for about s seconds (default 8), sized by a timed calibration
// run first, so that PHP never stores its position in the loop. The
// "// @" comments mark the lines the tests expect.
header("Content-Type: text/plain");

// Iterations of the loop body a second, measured.
function stack_spin_rate()
{
    $n = 0;
    $t0 = microtime(true);
    for ($i = 0; $i < 300000; $i++) {
        $n = ($n * 31 + $i) % 1000003;
    }
    return 300000 / max(microtime(true) - $t0, 0.001);
}

function stack_spin_loop($count) // @first
{
    $n = 0;
    for ($i = 0; $i < $count; $i++) { // @loop
        $n = ($n * 31 + $i) % 1000003; // @loop
    }
    return $n;
}

$count = (int)(stack_spin_rate() * (float)($_GET["s"] ?? 8));
$n = stack_spin_loop($count); // @frame:{main}
echo "spun $count: $n\n";
