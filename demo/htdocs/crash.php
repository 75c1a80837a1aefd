<?php
// SPDX-License-Identifier: Apache-2.0
// The worker dies of SIGSEGV: strlen(NULL) through PHP's FFI, which the
// demo's config enables for this page only. mod_guard records the crash
// (signal, request, frames) on /guard-status and in the error log
// (GRD0500, GRD0501); httpd still logs "exit signal" and starts a new
// child. The client's connection just closes.
// The record names the PHP frames too: strlen <- checksum <- render.
function checksum(?string $s): int
{
    $ffi = FFI::cdef("size_t strlen(const char *s);", "libc.so.6");
    return $ffi->strlen($s);
}

function render(): string
{
    return "length " . checksum(null) . "\n";
}

echo render();
