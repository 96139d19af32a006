"""This machine's own addresses: network tests target only listeners they start here."""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
from dataclasses import dataclass, field
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


@dataclass
class Listeners:
    """TCP and UDP listeners on loopback and on this machine's other addresses."""

    tcp: list[socket.socket] = field(default_factory=list)
    udp: list[socket.socket] = field(default_factory=list)

    @classmethod
    def open(cls, addresses: list[str]) -> Listeners:
        listeners = cls()
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            for kind, bucket in (
                (socket.SOCK_STREAM, listeners.tcp),
                (socket.SOCK_DGRAM, listeners.udp),
            ):
                sock = socket.socket(family, kind)
                try:
                    sock.bind((address, 0))
                except OSError:  # e.g. an IPv6 address still tentative: nothing to reach there
                    sock.close()
                    continue
                if kind == socket.SOCK_STREAM:
                    sock.listen(8)
                sock.setblocking(False)
                bucket.append(sock)
        return listeners

    def addresses(self, kind: str) -> list[tuple[str, int]]:
        bucket = self.tcp if kind == "tcp" else self.udp
        return [(s.getsockname()[0], s.getsockname()[1]) for s in bucket]

    def received(self) -> list[str]:
        """Whatever reached a listener since the last call: connections and datagrams."""
        arrived: list[str] = []
        for sock in self.tcp:
            with contextlib.suppress(BlockingIOError):
                conn, peer = sock.accept()
                conn.close()
                arrived.append(f"tcp connection to {sock.getsockname()} from {peer}")
        for sock in self.udp:
            with contextlib.suppress(BlockingIOError):
                data, peer = sock.recvfrom(4096)
                arrived.append(f"udp {data!r} to {sock.getsockname()} from {peer}")
        return arrived

    def close(self) -> None:
        for sock in self.tcp + self.udp:
            sock.close()
