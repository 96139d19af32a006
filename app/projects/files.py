"""What a project's files are, proven by their bytes, and made harmless before they are kept.

A name or a Content-Type is whatever the sender typed: an HTML page called `report.pdf`
would be one click from running script on the site's origin. So a file's type is what its
first bytes prove (PDF, PNG, JPEG, WebP, ZIP) and nothing else is taken; SVG, which is
script-capable XML, is refused like any other unknown content. Each kind is then checked
for what makes it dangerous beyond its type:

- a PDF naming `/JavaScript`, `/JS` or `/Launch` (also spelled with `#xx` escapes, as
  PDF names allow, or inside a Flate-compressed object stream) is refused: viewers run those;
- a zip is opened with `zipfile` and every entry read under a cap, so a small archive that
  expands past the limit (a zip bomb) is refused by what it really expands to, not by the
  sizes its headers claim; names with `..`, absolute paths or links are refused;
- an image is decoded and encoded again by Pillow: what is kept is the new encoding, so
  bytes appended after the image (a polyglot carrying HTML or script) are gone, and the
  file can be shown inline with the type it was proven to be.

Everything here works on a local file and returns a value (`Checked` or a `Refusal`),
so the checks run the same from a page, a test or a command.
"""

from __future__ import annotations

import io
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _

# The bytes each kind starts with. WebP is a RIFF container whose form type is WEBP.
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"

IMAGE_TYPES = frozenset({"png", "jpeg", "webp"})
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "zip": "application/zip",
}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "webp": ".webp", "zip": ".zip"}
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}

# A zip may expand to this many times its file cap, and hold at most this many entries.
ZIP_EXPANSION = 10
ZIP_MAX_ENTRIES = 5000
# Pixels an image may have: a small file declaring a huge canvas is a decompression bomb.
MAX_PIXELS = 50_000_000
READ_CHUNK = 1024 * 1024

# PDF names that make a viewer run something; matched after `#xx` escapes are decoded.
PDF_ACTIVE = frozenset({"javascript", "js", "launch"})
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)


@dataclass(frozen=True)
class Checked:
    """A file fit to keep: its proven type and the bytes to store (re-encoded for images)."""

    type: str
    data: bytes | None  # the new encoding of an image; None: store the file as it came


def sniff(head: bytes) -> str | None:
    """The kind of file the first bytes prove, or None for anything else (SVG, HTML, ...)."""
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(JPEG_MAGIC):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    return None


def _refused(message: str, code: str) -> Refusal:
    return Refusal(Kind.invalid, message, code, "files")


def check_file(path: Path, name: str, allowed: frozenset[str], max_bytes: int) -> Checked | Refusal:
    """Whether the file at `path` (uploaded as `name`) may be kept, and what to keep."""
    with path.open("rb") as source:
        head = source.read(16)
    kind = sniff(head)
    if kind is None:
        return _refused(
            _(
                "“{name}” is not a file this challenge takes: its content is not a {types} "
                "file, whatever its name says (SVG and web pages are never accepted)."
            ).format(name=name, types=", ".join(t.upper() for t in sorted(allowed))),
            "file_type",
        )
    if kind not in allowed:
        return _refused(
            _("“{name}” is a {kind} file; this challenge takes only: {types}.").format(
                name=name, kind=kind.upper(), types=", ".join(t.upper() for t in sorted(allowed))
            ),
            "file_type",
        )
    if kind == "pdf":
        return _check_pdf(path, name, max_bytes)
    if kind == "zip":
        return _check_zip(path, name, max_bytes)
    return _reencode(path, name, kind)


def pdf_active_names(data: bytes) -> set[str]:
    """The names of `PDF_ACTIVE` a PDF's bytes contain, `#xx` escapes decoded."""
    found = set()
    for match in _PDF_NAME.finditer(data):
        raw = _PDF_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        word = raw.decode("latin-1").lower()
        if word in PDF_ACTIVE:
            found.add(word)
    return found


def _inflated_streams(data: bytes, budget: int) -> Iterator[bytes] | None:
    """The Flate-compressed streams of a PDF, inflated: object streams (PDF 1.5) hide whole
    dictionaries, actions included, inside them. None when they inflate past `budget`."""
    found: list[bytes] = []
    spent = 0
    for match in _PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(match.group(1), budget - spent + 1)
        except zlib.error:
            continue  # not Flate (an image's DCT, say): nothing a viewer runs
        spent += len(out)
        if spent > budget:
            return None
        found.append(out)
    return iter(found)


def _check_pdf(path: Path, name: str, max_bytes: int) -> Checked | Refusal:
    # The whole file and every Flate stream in it: an action may sit anywhere.
    data = path.read_bytes()
    inflated = _inflated_streams(data, max_bytes * ZIP_EXPANSION)
    if inflated is None:
        return _refused(
            _("“{name}” is a PDF whose compressed parts expand too far to be checked.").format(
                name=name
            ),
            "pdf_bomb",
        )
    if pdf_active_names(data) or any(pdf_active_names(part) for part in inflated):
        return _refused(
            _(
                "“{name}” is a PDF that contains script or launches programs (/JavaScript, /JS "
                "or /Launch); export it again without them (print it to PDF, for example)."
            ).format(name=name),
            "pdf_script",
        )
    return Checked("pdf", None)


def _unsafe_entry(info: zipfile.ZipInfo) -> bool:
    entry = info.filename.replace("\\", "/")
    parts = entry.split("/")
    absolute = entry.startswith("/") or bool(re.match(r"^[A-Za-z]:", entry))
    link = stat.S_ISLNK(info.external_attr >> 16)
    return absolute or ".." in parts or link


def _check_zip(path: Path, name: str, max_bytes: int) -> Checked | Refusal:
    limit = max_bytes * ZIP_EXPANSION
    broken = _refused(
        _("“{name}” is not a readable zip archive; make it again.").format(name=name), "bad_zip"
    )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                return _refused(
                    _("“{name}” holds {count} files; a zip may hold at most {n}.").format(
                        name=name, count=len(entries), n=ZIP_MAX_ENTRIES
                    ),
                    "zip_entries",
                )
            for info in entries:
                if _unsafe_entry(info):
                    return _refused(
                        _(
                            "“{name}” contains “{entry}”, a path outside the archive (with "
                            "“..”, absolute, or a link); zip the folder itself again."
                        ).format(name=name, entry=info.filename),
                        "zip_path",
                    )
            expanded = 0
            for info in entries:
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    while chunk := member.read(READ_CHUNK):
                        expanded += len(chunk)
                        if expanded > limit:
                            return _refused(
                                _(
                                    "“{name}” expands to more than {mb} MB; a zip may expand "
                                    "to at most {mb} MB (ten times its size limit)."
                                ).format(name=name, mb=limit // (1024 * 1024)),
                                "zip_bomb",
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        return broken
    except RuntimeError:  # an encrypted entry
        return _refused(
            _("“{name}” is encrypted; attach it without a password.").format(name=name),
            "zip_encrypted",
        )
    return Checked("zip", None)


def _reencode(path: Path, name: str, kind: str) -> Checked | Refusal:
    broken = _refused(
        _("“{name}” is not a readable {kind} image; save it again.").format(
            name=name, kind=kind.upper()
        ),
        "bad_image",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format != PIL_FORMATS[kind]:
                    return broken
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return _refused(
                        _("“{name}” is too large an image ({w}×{h} pixels).").format(
                            name=name, w=width, h=height
                        ),
                        "image_pixels",
                    )
                image.load()
                out = io.BytesIO()
                if kind == "jpeg":
                    clean = image.convert("RGB") if image.mode not in ("RGB", "L") else image
                    clean.save(out, format="JPEG", quality=90)
                elif kind == "webp":
                    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                    image.convert("RGBA" if has_alpha else "RGB").save(
                        out, format="WEBP", quality=90
                    )
                else:
                    keep = image if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else None
                    (keep or image.convert("RGBA")).save(out, format="PNG", optimize=False)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        return broken
    return Checked(kind, out.getvalue())
