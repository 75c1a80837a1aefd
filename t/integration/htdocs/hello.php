<?php
header("Content-Type: text/plain");
echo "hello from pid ", getmypid(), "\n";
