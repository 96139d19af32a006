"""A bundle uploaded on the web, loaded exactly as the CLI loads a folder or zip.

The request body is read with a cap (`uploaded_bundle`): a declared Content-Length
over it is refused before a byte is read, and a body that keeps coming is cut off
as soon as it passes the cap, so a huge upload neither sits in memory nor fills the
disk. The zip is then copied in chunks to a temporary file under the work directory;
`load_into_db` validates, stores and records it like `marea challenge load`.

A second, optional zip (`hidden`) holds the bundle's hidden files kept apart from it
(answers, test inputs, scoring program), as `marea challenge load --hidden` takes them;
both zips together stay under the cap.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.bundles.errors import BundleError
from app.bundles.limits import human_size
from app.bundles.load import LoadOutcome, load_into_db
from app.bundles.validate import BundleInvalid
from app.challenges.models import Challenge
from app.core.capped import ByteCap, TooLarge, declared_length
from app.core.refusal import Kind, Refusal
from app.core.runtime import Runtime
from app.i18n.speech import gettext as _
from app.i18n.speech import say
from app.web.body_limit import FORM_OVERHEAD_BYTES
from sandbox import read_chunks


@dataclass(frozen=True)
class BundleErrors:
    """The bundle was read but is not valid: every located error, each with a fix."""

    errors: list[BundleError]


UploadResult = LoadOutcome | Refusal | BundleErrors


def too_large(cap: int) -> Refusal:
    return Refusal(
        Kind.too_large,
        _(
            "The zip (with the zip of hidden files, if any) is larger than the {size} this "
            "site accepts; load large bundles with `marea challenge load` on the server."
        ).format(size=say(human_size(cap))),
        "too_large",
    )


@dataclass(frozen=True)
class UploadedZips:
    bundle: UploadFile
    hidden: UploadFile | None  # the optional zip of hidden files

    async def close(self) -> None:
        await self.bundle.close()
        if self.hidden is not None:
            await self.hidden.close()


async def uploaded_bundle(request: Request, cap: int) -> UploadedZips | Refusal:
    """The form's `bundle` file (and `hidden`, if chosen), the body read under the cap."""
    limit = cap + FORM_OVERHEAD_BYTES
    declared = declared_length(request.headers.get("content-length"))
    if declared is not None and declared > limit:
        return too_large(cap)
    body = ByteCap(limit)
    try:
        form = await Request(request.scope, body.receive(request.receive)).form(
            max_files=2, max_fields=4
        )
    except TooLarge:
        if not body.exceeded:
            raise
        return too_large(cap)
    except HTTPException as exc:  # malformed multipart, too many parts
        return Refusal(
            Kind.malformed,
            _("The upload is not valid ({detail}); choose the zip again.").format(
                detail=exc.detail
            ),
        )
    bundle = form.get("bundle")
    hidden = form.get("hidden")
    if not isinstance(bundle, UploadFile):
        if isinstance(hidden, UploadFile):
            await hidden.close()
        return Refusal(
            Kind.malformed, _("Choose the bundle's zip to upload (form field 'bundle').")
        )
    # A file input left empty still sends a part, with no file name and no bytes.
    if not isinstance(hidden, UploadFile) or not hidden.filename:
        if isinstance(hidden, UploadFile):
            await hidden.close()
        hidden = None
    return UploadedZips(bundle, hidden)


def copy_capped(source: BinaryIO, target: BinaryIO, max_bytes: int) -> int | None:
    """Bytes copied, or None as soon as the source passes `max_bytes`."""
    copied = ByteCap(max_bytes)
    try:
        for chunk in copied.through(read_chunks(source)):
            target.write(chunk)
    except TooLarge:
        return None
    return copied.seen


def load_uploaded_zip(
    runtime: Runtime,
    source: BinaryIO,
    filename: str,
    hidden: BinaryIO | None = None,
    hidden_filename: str = "",
    guard: Callable[[Session, Challenge | None], Refusal | None] | None = None,
) -> UploadResult:
    if not filename.lower().endswith(".zip"):
        return Refusal(
            Kind.malformed,
            _(
                "{file} is not a .zip: zip the bundle folder (challenge.yaml at its top or in "
                "one folder) and upload that, or load the folder with `marea challenge load`."
            ).format(file=filename or _("The file")),
        )
    if hidden is not None and not hidden_filename.lower().endswith(".zip"):
        return Refusal(
            Kind.malformed,
            _(
                "{file} is not a .zip: zip the folder of hidden files (the same relative paths "
                "as in challenge.yaml, e.g. reference/answers.csv) and upload that."
            ).format(file=hidden_filename or _("The hidden files")),
        )
    cap = runtime.settings.upload_max_bytes
    runtime.settings.ensure_dirs()
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        path = Path(scratch) / "bundle.zip"
        with path.open("wb") as target:
            size = copy_capped(source, target, cap)
        if size is None:
            return too_large(cap)
        if size == 0:
            return Refusal(
                Kind.malformed, _("The uploaded file is empty; choose the bundle's zip.")
            )
        hidden_path: Path | None = None
        if hidden is not None:
            hidden_path = Path(scratch) / "hidden.zip"
            with hidden_path.open("wb") as target:
                hidden_size = copy_capped(hidden, target, cap - size)
            if hidden_size is None:
                return too_large(cap)
            if hidden_size == 0:
                return Refusal(
                    Kind.malformed, _("The zip of hidden files is empty; choose it again.")
                )
        try:
            return load_into_db(runtime, path, hidden=hidden_path, guard=guard)
        except BundleInvalid as exc:
            return BundleErrors(list(exc.report.errors))
