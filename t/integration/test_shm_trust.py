# SPDX-License-Identifier: Apache-2.0
"""A child can write every byte of mod_guard's shared segments (they are
mapped read-write in every child, which runs the site's code). Tried here
as a compromised child would, from outside as root: each segment mod_guard
made is overwritten (headers and bodies: 0xFF, 0x00, random bytes, and a
random header behind a kept magic number), children are killed, and the
server restarts gracefully. The root parent must keep its pid and serve,
never trusting a size, count or index it reads back; every status format
must still answer 200 from the children."""

import os
import random
import re
import signal

import pytest

from guardtest import proc_alive, wait_for

# No thread inspection needed: also run against a build without it.
pytestmark = pytest.mark.portable

# The magic numbers at the start of mod_guard's segments (guard_shm.h,
# guard_crash.h), as the bytes of a little-endian 32-bit word.
MAGICS = {b"1rdg": "shm", b"1rcg": "crash"}
# Where APR's anonymous segments keep their size word before the usable
# memory: the magic is found at one of the first few aligned offsets.
MAGIC_OFFSETS = range(0, 64, 8)
HEADER_BYTES = 128

PATTERNS = ["ff", "00", "random", "header"]
FORMATS = ["", "json", "prometheus", "auto", "child=0", "child=0&json",
           "crash=1", "crash=1&json", "stack=0.0", "stack=0.0&json"]


def shared_mappings(pid):
    """(start, end) of the shared anonymous mappings of pid."""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[1][3] != "s":
                continue
            if not re.match(r"/dev/zero|/SYSV|\[anon_shmem", fields[5]):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            out.append((start, end))
    return out


def guard_segments(pid):
    """{kind: (segment start, mapping end)} of mod_guard's segments."""
    found = {}
    with open("/proc/%d/mem" % pid, "rb") as mem:
        for start, end in shared_mappings(pid):
            mem.seek(start)
            head = mem.read(MAGIC_OFFSETS[-1] + 4)
            for off in MAGIC_OFFSETS:
                kind = MAGICS.get(head[off:off + 4])
                if kind:
                    found[kind] = (start + off, end)
    return found


def fill_bytes(pattern, n, rng):
    if pattern == "ff":
        return b"\xff" * n
    if pattern == "00":
        return b"\x00" * n
    return bytes(rng.getrandbits(8) for _ in range(n))


def overwrite(pid, segs, pattern, rng):
    """Overwrite mod_guard's segments segs of pid (guard_segments(), found
    before any damage). "header": the first HEADER_BYTES only, magic
    kept."""
    with open("/proc/%d/mem" % pid, "r+b") as mem:
        for start, end in segs.values():
            if pattern == "header":
                mem.seek(start + 4)
                mem.write(fill_bytes("random", HEADER_BYTES - 4, rng))
                continue
            mem.seek(start)
            size = end - start
            chunk = fill_bytes(pattern, min(size, 1 << 16), rng)
            done = 0
            while done < size:
                done += mem.write(chunk[:size - done])


def check_formats(s):
    for fmt in FORMATS:
        r = s.guard_get(fmt)
        if "=" in fmt and not fmt.startswith("child"):
            # no such crash or worker in the damaged records: 404 is right
            assert r.status in (200, 404), (fmt, r)
        else:
            assert r.status == 200, (fmt, r)


def kill_children(s, master):
    old = set(s.children())
    assert old
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not any(proc_alive(p) for p in old), 10,
             what="killed children to be reaped")
    wait_for(lambda: set(s.children()) - old, 20,
             what="the parent to start new children")
    assert s.read_pid() == master and proc_alive(master)


def parent_ok(s, master):
    assert s.read_pid() == master and proc_alive(master), s.log_tail()
    text = s.log_text()
    for bad in ("seg fault or similar nasty error",
                "Memory allocation failed", "exit signal"):
        assert bad not in text, s.log_tail()
    assert s.get("/hello.txt").status == 200


@pytest.mark.parametrize("mpm", ["prefork", "worker", "event"])
def test_parent_survives_hostile_segments(make_server, mpm):
    s = make_server("GuardStuckThreshold 1s\n", mpm=mpm)
    master = s.master_pid
    rng = random.Random(0x6775617264)
    assert s.get("/hello.txt").status == 200
    segs = guard_segments(master)
    assert set(segs) == {"shm", "crash"}, segs
    for pattern in PATTERNS:
        overwrite(master, segs, pattern, rng)
        check_formats(s)
        kill_children(s, master)
        check_formats(s)
        parent_ok(s, master)
    overwrite(master, segs, "random", rng)
    s.graceful()
    parent_ok(s, master)
    check_formats(s)
    # The parent kept its segments (their magic is gone: the random bytes
    # wrote over it).
    maps = shared_mappings(master)
    for start, end in segs.values():
        assert any(a <= start and end == b for a, b in maps), (segs, maps)
    overwrite(master, segs, "ff", rng)
    s.graceful()
    parent_ok(s, master)
    check_formats(s)
