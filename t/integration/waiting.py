# SPDX-License-Identifier: Apache-2.0
"""How the harness waits: until a condition holds, or fail saying what it
waited for. Shared by guardtest (servers) and peers (fake backends)."""

import os
import time


class Fail(AssertionError):
    pass


# Every waiting time is multiplied by this: guardtest sets it from the
# build (sanitized code is slower), GUARD_TEST_TIME_SCALE overrides.
scale = float(os.environ.get("GUARD_TEST_TIME_SCALE") or 1.0)


def wait_for(fn, timeout, interval=0.1, what="condition"):
    """Call fn until it returns something true; return that, or fail after
    timeout with the last value seen."""
    timeout *= scale
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Fail("timed out after %.1fs waiting for %s (last: %r)"
                       % (timeout, what, last))
        time.sleep(interval)
