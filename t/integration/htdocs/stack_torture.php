<?php
// SPDX-License-Identifier: Apache-2.0
// Live stacks under fire: short calls in a tight loop (each ~100 ns) for
// s seconds (default 60), so that whatever the watchdog reads is torn
// unless it checks. "// @fn:<name>" marks the first line of each
// function and "// @end" its last; "// @call:<caller>><callee>" marks the
// only line each call is made from. A stack read from this page that is
// not made of these is wrong. Between bursts of calls a call-free loop
// (t_spin, about 10 ms) holds one stack still while the thread stays on
// the CPU: stacks read there are accepted, so the page's readings are not
// all refused.
header("Content-Type: text/plain");

function t_spin($n) // @fn:t_spin
{
    $x = 0;
    for ($j = 0; $j < $n; $j++) {
        $x = ($x * 31 + $j) & 0xffff;
    }
    return $x;
} // @end

function t_leaf($x) // @fn:t_leaf
{
    return $x + 1;
} // @end

function t_mid($x) // @fn:t_mid
{
    return t_leaf($x) * 2; // @call:t_mid>t_leaf
} // @end

function t_outer($x) // @fn:t_outer
{
    $a = t_mid($x); // @call:t_outer>t_mid
    return $a - t_leaf($x); // @call:t_outer>t_leaf
} // @end

class TortureBox
{
    public function step($x) // @fn:TortureBox::step
    {
        return t_outer($x) & 0xffff; // @call:TortureBox::step>t_outer
    } // @end
}

$seconds = (float)($_GET["s"] ?? 60);
$box = new TortureBox();
$f = function ($x) { // @fn:{closure}
    return t_mid($x) + 1; // @call:{closure}>t_mid
}; // @end
$end = microtime(true) + $seconds; // @call:{main}>microtime
$acc = 0;
$calls = 0;
$bursts = 0;
while (true) {
    for ($i = 0; $i < 20000; $i++) {
        $acc += t_outer($i); // @call:{main}>t_outer
        $acc += $box->step($i); // @call:{main}>TortureBox::step
        $acc += $f($i); // @call:{main}>{closure}
        $acc &= 0xffffff;
    }
    $calls += 20000 * 12;
    if (++$bursts % 16 == 0) {
        $acc ^= t_spin(2000000); // @call:{main}>t_spin
    }
    if (microtime(true) >= $end) { // @call:{main}>microtime
        break;
    }
}
echo "done: $calls calls, acc $acc, pid ", getmypid(), "\n";
