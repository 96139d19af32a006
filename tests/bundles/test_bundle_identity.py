"""A bundle's `identity:`: colours refused below WCAG AA, images refused unless raster and small,
each error located at the key or file to change."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from app.bundles.rules import contrast
from app.bundles.validate import validate_bundle

pytestmark = pytest.mark.unit


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def with_identity(bundle: Path, lines: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (bundle / name).parent.mkdir(parents=True, exist_ok=True)
        (bundle / name).write_bytes(data)
    config = bundle / "challenge.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "identity:\n" + lines, encoding="utf-8")
    return bundle


def line_of(bundle: Path, text: str) -> int:
    lines = (bundle / "challenge.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_a_complete_identity_is_valid(valid_bundle: Path) -> None:
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
    bundle = with_identity(
        valid_bundle,
        '  logo: art/logo.png\n  hero: art/hero.webp\n  primary: "#0B5F86"\n  accent: "#f2c14e"\n',
        {"art/logo.png": tiny_png(), "art/hero.webp": webp},
    )
    with validate_bundle(bundle) as report:
        assert report.ok, [str(e) for e in report.errors]
        assert report.challenge is not None and report.challenge.identity is not None


@pytest.mark.parametrize(
    ("key", "colour", "words"),
    [
        ("primary", "#ffcc00", ["white text", "1.51:1", "4.5:1", "darker primary"]),
        ("accent", "#123456", ["dark text", "lighter accent"]),
    ],
)
def test_a_colour_under_wcag_aa_is_refused_at_its_line(
    valid_bundle: Path, key: str, colour: str, words: list[str]
) -> None:
    bundle = with_identity(valid_bundle, f'  {key}: "{colour}"\n', {})
    with validate_bundle(bundle) as report:
        (error,) = report.errors
    assert error.file == "challenge.yaml" and error.line == line_of(bundle, colour)
    for word in words:
        assert word in str(error), str(error)


def test_a_colour_not_written_as_hex_is_refused(valid_bundle: Path) -> None:
    bundle = with_identity(valid_bundle, "  primary: navy\n", {})
    with validate_bundle(bundle) as report:
        (error,) = report.errors
    assert error.line == line_of(bundle, "navy") and "identity.primary" in error.message
    assert "#0b5f86" in error.hint


def test_the_contrast_is_wcag_s() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        (
            "art/logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not a PNG, JPEG or WebP",
        ),
        ("art/logo.png", b"GIF89a" + b"\x00" * 20, "not a PNG, JPEG or WebP"),
        ("art/logo.png", tiny_png() + b"\x00" * (256 * 1024), "over the 256.0 KiB limit"),
    ],
)
def test_an_image_that_is_not_a_small_raster_is_refused(
    valid_bundle: Path, name: str, data: bytes, words: str
) -> None:
    bundle = with_identity(valid_bundle, f"  logo: {name}\n", {name: data})
    with validate_bundle(bundle) as report:
        (error,) = report.errors
    assert error.file == name and words in error.message, str(error)
    assert "identity.logo" in error.message


def test_a_missing_image_is_refused_at_its_key(valid_bundle: Path) -> None:
    bundle = with_identity(valid_bundle, "  hero: art/nowhere.jpg\n", {})
    with validate_bundle(bundle) as report:
        (error,) = report.errors
    assert error.file == "challenge.yaml" and error.line == line_of(bundle, "nowhere.jpg")
