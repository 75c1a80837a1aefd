<?php
// Waits in fcntl(F_SETLKW) for a POSIX write lock on a lock file of the
// test (?f=name under the server's locks/ directory). PHP has no fcntl
// locks of its own: FFI calls libc (the test enables ffi.enable).
header("Content-Type: text/plain");
$name = basename($_GET["f"] ?? "x.lck");
$path = dirname(__DIR__) . "/locks/" . $name;
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
$r = $fd >= 0 ? $ffi->fcntl($fd, 7 /* F_SETLKW */, FFI::addr($fl)) : -1;
echo "fcntl $r\n";
$ffi->close($fd);
