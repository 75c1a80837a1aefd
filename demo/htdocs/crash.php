<?php
// The worker dies of SIGSEGV: strlen(NULL) through PHP's FFI, which the
// demo's config enables for this page only. mod_guard records the crash
// (signal, request, frames) on /guard-status and in the error log
// (GRD0500, GRD0501); httpd still logs "exit signal" and starts a new
// child. The client's connection just closes.
$ffi = FFI::cdef("size_t strlen(const char *s);", "libc.so.6");
echo $ffi->strlen(null);
