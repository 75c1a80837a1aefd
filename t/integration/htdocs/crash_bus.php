<?php
// SPDX-License-Identifier: Apache-2.0
// SIGBUS: touch a shared mapping past the end of its truncated file.
$c = FFI::cdef("
    int open(const char *path, int flags, int mode);
    int ftruncate(int fd, long len);
    void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
", "libc.so.6");
$fd = $c->open($_GET["f"] ?? "/tmp/guard-bus", 0102 | 01000, 0600);  // O_RDWR|O_CREAT|O_TRUNC
$c->ftruncate($fd, 4096);
$p = $c->mmap(null, 4096, 3, 1, $fd, 0);                            // PROT_READ|WRITE, MAP_SHARED
$c->ftruncate($fd, 0);
echo FFI::cast("char *", $p)[0];
