<?php
// SPDX-License-Identifier: Apache-2.0
// Stack overflow: unbounded recursion through a C callback (array_map).
function down($x) { return array_map('down', [$x + 1]); }
down(0);
