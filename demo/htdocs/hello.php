<?php
// SPDX-License-Identifier: Apache-2.0
// Answers at once: the server still serves what does not need the session.
header("Content-Type: text/plain");
echo "hello from pid ", getmypid(), "\n";
