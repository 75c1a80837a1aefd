<?php
// SPDX-License-Identifier: Apache-2.0
// SIGSEGV three PHP calls deep: {main} -> a() -> b() -> c(), which calls
// strlen(NULL) through FFI (needs ffi.enable=1). The "@frame" comments
// mark the lines each frame is on when the crash comes.
function c($ffi)
{
    return $ffi->strlen(null); // @frame c
}

function b($ffi)
{
    return c($ffi) + 1; // @frame b
}

function a($ffi)
{
    return b($ffi) + 1; // @frame a
}

$ffi = FFI::cdef("size_t strlen(const char *s);", "libc.so.6");
echo a($ffi); // @frame {main}
