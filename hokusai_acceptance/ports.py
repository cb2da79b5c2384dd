"""Free TCP ports on 127.0.0.1 for servers the suite starts (the embedded stack, load generators, test servers).

A port is free until its server binds it, seconds later: ports handed out are remembered by this process and
reserved on the whole machine for a while, so neither two components of one stack nor two runs at once are
given the same one.
"""

from __future__ import annotations

import random
import socket
import sys
import time
from pathlib import Path


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


#: ports this process has handed out: a port is free until its server binds it, seconds later, so two
#: components of one stack (or two stacks in a row) must never be given the same one
_handed_out: set[int] = set()
#: how long a port handed out stays reserved for this process on the whole machine (its server binds it long before)
RESERVED_SECONDS = 300.0
_reservations: list[tuple[float, socket.socket]] = []


def _reserve(port: int) -> bool:
    """Reserve ``port`` on the whole machine for RESERVED_SECONDS, so that another process of the suite (two
    stacks starting at once) does not choose it in the seconds before its server binds it. The reservation is
    a Unix socket in Linux's abstract namespace: no file, and the kernel drops it when this process ends."""
    now = time.monotonic()
    while _reservations and now - _reservations[0][0] > RESERVED_SECONDS:
        _reservations.pop(0)[1].close()
    if not sys.platform.startswith("linux"):
        return True
    holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        holder.bind(f"\0hokusai-acceptance-port-{port}")
    except OSError:  # another process of the suite holds it
        holder.close()
        return False
    _reservations.append((now, holder))
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now and that no process of the suite has handed
    out lately, below the ephemeral range the kernel hands out to outgoing connections (so no client connection
    takes it before the server binds it)."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randint(max(10000, low - 12000), low - 1)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not _reserve(port):
            continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
