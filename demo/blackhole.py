#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A backend that accepts connections and never answers (SCENARIOS.md #1).

Keeps every accepted socket open and never reads from it, so a client waits
for data that never comes. Usage: blackhole.py [port] (default 8099).
"""
import socket
import sys


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    held = []
    while True:
        conn, _ = srv.accept()
        held.append(conn)
        if len(held) > 1000:
            held.pop(0).close()


if __name__ == "__main__":
    main()
