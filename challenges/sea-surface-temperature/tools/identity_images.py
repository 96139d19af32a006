"""Draws the challenge's logo and hero as PNG files with the standard library alone.

Run from the bundle folder: python3 tools/identity_images.py (writes identity/*.png).
The logo is a sun over three waves, the hero a sea whose colour warms from left to right,
like the temperatures the challenge forecasts.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

Pixel = tuple[int, int, int]


def png(width: int, height: int, pixel: callable) -> bytes:  # type: ignore[valid-type]
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def mix(a: Pixel, b: Pixel, t: float) -> Pixel:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def logo(x: int, y: int) -> Pixel:
    if (x - 32) ** 2 + (y - 22) ** 2 < 12**2:
        return (242, 193, 78)  # the sun
    for k in range(3):
        wave = 40 + 7 * k + 3 * math.sin(x / 5)
        if wave <= y < wave + 3:
            return (11, 95, 134)
    return (244, 248, 251)


def hero(x: int, y: int) -> Pixel:
    cold, warm = (11, 95, 134), (217, 104, 52)
    sea = mix(cold, warm, x / 959)
    crest = 150 + 18 * math.sin(x / 40) + 8 * math.sin(x / 13)
    if y < crest:
        return mix((244, 248, 251), (201, 214, 224), y / 240)
    return mix(sea, (11, 34, 57), (y - crest) / 240)


if __name__ == "__main__":
    out = Path("identity")
    out.mkdir(exist_ok=True)
    (out / "logo.png").write_bytes(png(64, 64, logo))
    (out / "hero.png").write_bytes(png(960, 240, hero))
