<?php
// SPDX-License-Identifier: Apache-2.0
// Waits in fcntl(F_SETLKW) for a POSIX write lock on a lock file of the
// test (?f=name under the server's locks/ directory); with ?ofd=1 for an
// OFD lock (F_OFD_SETLKW: the lock of an open file, with no pid in
// /proc/locks). With ?port=N it then reads from that backend, holding the
// lock. PHP has no fcntl locks of its own: FFI calls libc (ffi.enable).
header("Content-Type: text/plain");
$name = basename($_GET["f"] ?? "x.lck");
$path = dirname(__DIR__) . "/locks/" . $name;
$ofd = !empty($_GET["ofd"]);
$ffi = FFI::cdef("
    struct flock { short l_type; short l_whence; long l_start; long l_len;
                   int l_pid; };
    int open(const char *path, int flags, ...);
    int fcntl(int fd, int cmd, ...);
    int close(int fd);
", "libc.so.6");
$fd = $ffi->open($path, 2 /* O_RDWR */);
$fl = $ffi->new("struct flock");
$fl->l_type = 1;      /* F_WRLCK */
$fl->l_whence = 0;    /* SEEK_SET */
$fl->l_start = 0;
$fl->l_len = 0;
$fl->l_pid = 0;       /* must be 0 for OFD locks */
$cmd = $ofd ? 38 /* F_OFD_SETLKW */ : 7 /* F_SETLKW */;
$r = $fd >= 0 ? $ffi->fcntl($fd, $cmd, FFI::addr($fl)) : -1;
echo "fcntl $r\n";
$port = (int)($_GET["port"] ?? 0);
if ($r == 0 && $port > 0) {
    $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 10);
    if ($s) {
        stream_set_timeout($s, 600);
        fwrite($s, "GET / HTTP/1.0\r\nHost: backend\r\n\r\n");
        fread($s, 8192);
    }
}
$ffi->close($fd);
