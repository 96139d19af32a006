"""This machine's own addresses: network tests target only listeners they start here."""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
from pathlib import Path

_SIOCGIFADDR = 0x8915


def host_addresses() -> list[str]:
    """This machine's own non-loopback addresses (IPv4 by ioctl, global IPv6 from /proc)."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with probe:
        for _, name in socket.if_nameindex():
            if name == "lo":
                continue
            with contextlib.suppress(OSError):
                packed = fcntl.ioctl(
                    probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
                )
                found.append(socket.inet_ntoa(packed[20:24]))
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            raw, _, _, scope, _, name = line.split()
            if name != "lo" and scope == "00":  # global scope only: link-local needs a zone
                found.append(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(raw)))
    return found
