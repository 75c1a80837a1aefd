<?php
// SPDX-License-Identifier: Apache-2.0
// SIGABRT: abort() through FFI (needs ffi.enable=1).
FFI::cdef("void abort(void);", "libc.so.6")->abort();
