<?php
// SPDX-License-Identifier: Apache-2.0
// GuardBackendTimeout across a graceful restart: waits delay_ms (the test
// asks for a graceful restart meanwhile, and a prefork child closes its
// listeners), then reads a silent backend as bt_read.php does: its socket
// takes the fd number the listener had.
usleep((int)($_GET["delay_ms"] ?? 0) * 1000);
require __DIR__ . "/bt_read.php";
