"""A bundle uploaded on the web, loaded exactly as the CLI loads a folder or zip.

The zip is copied in chunks to a temporary file under the work directory and
cut off past `settings.upload_max_bytes`, so a huge upload never sits in memory;
`load_into_db` then validates, stores and records it like `marea bundle load`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.bundles.errors import BundleError
from app.bundles.load import LoadOutcome, LoadRefused, load_into_db
from app.bundles.validate import BundleInvalid
from app.runtime import Runtime

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadRejected:
    """The upload itself is unusable (too large, empty, not a zip)."""

    message: str


@dataclass(frozen=True)
class BundleErrors:
    """The bundle was read but is not valid: every located error, each with a fix."""

    errors: list[BundleError]


UploadResult = LoadOutcome | LoadRefused | UploadRejected | BundleErrors


def copy_capped(source: BinaryIO, target: BinaryIO, max_bytes: int) -> int | None:
    """Bytes copied, or None as soon as the source passes `max_bytes`."""
    total = 0
    while chunk := source.read(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            return None
        target.write(chunk)
    return total


def load_uploaded_zip(runtime: Runtime, source: BinaryIO, filename: str) -> UploadResult:
    if not filename.lower().endswith(".zip"):
        return UploadRejected(
            f"{filename or 'The file'} is not a .zip: zip the bundle folder (challenge.yaml "
            "at its top or in one folder) and upload that, or load the folder with "
            "`marea bundle load`."
        )
    cap = runtime.settings.upload_max_bytes
    runtime.settings.ensure_dirs()
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        path = Path(scratch) / "bundle.zip"
        with path.open("wb") as target:
            size = copy_capped(source, target, cap)
        if size is None:
            return UploadRejected(
                f"The zip is larger than the {cap / (1024 * 1024):.0f} MiB this site accepts; "
                "load large bundles with `marea bundle load` on the server."
            )
        if size == 0:
            return UploadRejected("The uploaded file is empty; choose the bundle's zip.")
        try:
            return load_into_db(runtime, path)
        except BundleInvalid as exc:
            return BundleErrors(list(exc.report.errors))
