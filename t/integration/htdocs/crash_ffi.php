<?php
// SPDX-License-Identifier: Apache-2.0
// SIGSEGV: strlen(NULL) through FFI (needs ffi.enable=1).
$ffi = FFI::cdef("size_t strlen(const char *s);", "libc.so.6");
echo $ffi->strlen(null);
