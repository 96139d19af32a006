"""From an HTTP upload to a queued submission, without ever holding the file in memory.

The multipart body is parsed as it arrives (python-multipart's streaming
parser): small form fields are kept, the file part is written chunk by chunk to
a temporary file in the store's own tmp directory and cut off as soon as it
passes the cap (`app.core.capped`, as every capped read), so an oversized
upload costs neither memory nor a stored object. Only a complete file under the cap is moved into the content-addressed
store, and only then is the submission row created (quota check first, in its
own transaction) and handed to the fair dispatcher.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi.concurrency import run_in_threadpool
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import ClientDisconnect, Request

from app.challenges.models import Phase
from app.core.capped import ByteCap, TooLarge, declared_length
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.core.store import Store, StoredObject
from app.i18n.speech import gettext as _
from app.i18n.speech import number
from app.submissions.models import Submission
from app.submissions.service import create_submission
from app.teams.models import Team
from app.text.plain_text import has_hidden_controls, without_hidden_controls
from app.web.body_limit import FORM_OVERHEAD_BYTES
from sandbox import file_chunks

log = logging.getLogger(__name__)

FIELD_MAX_BYTES = 8 * 1024
MAX_FIELDS = 12


@dataclass
class Upload:
    fields: dict[str, str]
    filename: str
    stored: StoredObject


def too_large(max_bytes: int) -> Refusal:
    mib = max_bytes / (1024 * 1024)
    return Refusal(
        Kind.too_large,
        _(
            "The file is larger than the {size} MiB this site accepts; compress it or leave out "
            "what the scorer does not need."
        ).format(size=number(round(mib, 1))),
        "too_large",
    )


def declared_too_large(request: Request, max_bytes: int) -> bool:
    """True when Content-Length alone shows the body is over the cap (checked before reading)."""
    declared = declared_length(request.headers.get("content-length"))
    return declared is not None and declared > max_bytes + FORM_OVERHEAD_BYTES


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _StreamingForm:
    """Callbacks for MultipartParser: fields into a dict, the one file part into `sink`."""

    def __init__(self, sink: BinaryIO, file_field: str, max_bytes: int) -> None:
        self.sink = sink
        self.file_field = file_field
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file = ByteCap(max_bytes)
        self.problem: Refusal | None = None
        self.pending: bytearray = bytearray()  # file bytes parsed from the current chunk
        self._part = _Part()
        self._header_field = b""
        self._header_value = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._part = _Part()

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._header_field.decode("latin-1").lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        disposition = self._part.headers.get("content-disposition", b"")
        _, options = parse_options_header(disposition)
        self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        if raw_filename is not None:
            self._part.filename = raw_filename.decode("utf-8", "replace")

    def _is_file(self) -> bool:
        return self._part.name == self.file_field and self._part.filename is not None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.problem is not None:
            return
        if self._is_file():
            try:
                self.file.take(end - start)
            except TooLarge:
                self.problem = too_large(self.max_bytes)
                return
            self.pending += data[start:end]
            return
        self._part.data += data[start:end]
        if len(self._part.data) > FIELD_MAX_BYTES:
            self.problem = Refusal(
                Kind.too_large,
                _("The form field {name} is too long.").format(name=repr(self._part.name)),
                "field_too_large",
            )

    def _part_end(self) -> None:
        if self.problem is not None:
            return
        if self._is_file():
            if self.filename is not None:
                self.problem = Refusal(
                    Kind.malformed, _("Send one file at a time."), "several_files"
                )
            self.filename = self._part.filename or ""
            return
        if len(self.fields) >= MAX_FIELDS:
            self.problem = Refusal(
                Kind.malformed, _("The form has too many fields."), "too_many_fields"
            )
            return
        self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")


# Decides, from the form fields, whether the file may go into the store at all; raising
# (e.g. an HTTPException) refuses the upload just as returning a problem does.
FieldsCheck = Callable[[dict[str, str]], Awaitable["Refusal | None"]]


def fields_problem(fields: dict[str, str]) -> Refusal | None:
    """Refusals that depend on the form fields alone, made before the file is stored."""
    link = fields.get("link", "").strip()
    if link and not link.startswith(("https://", "http://")):
        return Refusal(
            Kind.invalid, _("The link must start with https:// or http://."), "bad_link", "link"
        )
    if len(link) > 500:
        return Refusal(
            Kind.invalid, _("The link is too long (500 characters at most)."), "bad_link", "link"
        )
    if has_hidden_controls(link) or any(ch.isspace() for ch in link):
        return Refusal(
            Kind.invalid,
            _(
                "The link may not contain spaces, control characters or text-direction "
                "overrides; copy it again from the address bar."
            ),
            "bad_link",
            "link",
        )
    return None


def _boundary(request: Request) -> bytes | None:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        return None
    return options.get(b"boundary") or None


async def receive_upload(
    request: Request,
    store: Store,
    *,
    max_bytes: int,
    file_field: str = "file",
    check_fields: FieldsCheck | None = None,
) -> Upload | Refusal:
    """Parse the multipart body as it streams in and store its one file, capped at `max_bytes`.

    Every refusal, including `check_fields`, comes before the file enters the store: a
    refused upload leaves no object behind (the store cannot tell an orphan from a file
    another submission shares, so it never deletes).
    """
    boundary = _boundary(request)
    if boundary is None:
        return Refusal(
            Kind.unsupported,
            _("Send the file as multipart/form-data in a field named 'file'."),
            "not_multipart",
        )
    if declared_too_large(request, max_bytes):
        return too_large(max_bytes)
    tmp_dir = store.spool_dir
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            form = _StreamingForm(sink, file_field, max_bytes)
            parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
            try:
                async for chunk in request.stream():
                    parser.write(chunk)
                    if form.pending:
                        await run_in_threadpool(sink.write, bytes(form.pending))
                        form.pending.clear()
                    if form.problem is not None:
                        return form.problem
                parser.finalize()
            except ClientDisconnect:
                return Refusal(Kind.malformed, "The upload was interrupted.", "disconnected")
            except Exception as exc:  # malformed multipart from a hand-made client
                return Refusal(Kind.malformed, f"The upload is not valid: {exc}", "bad_multipart")
            if form.problem is not None:
                return form.problem
        if form.filename is None:
            return Refusal(
                Kind.malformed,
                f"Choose a file to submit (form field {file_field!r}).",
                "no_file",
                file_field,
            )
        if form.file.seen == 0:
            return Refusal(Kind.malformed, "The file is empty.", "empty_file", file_field)
        refused = fields_problem(form.fields)
        if refused is None and check_fields is not None:
            refused = await check_fields(form.fields)
        if refused is not None:
            return refused
        try:
            stored = await run_in_threadpool(_store_file, store, tmp_path, max_bytes)
        except TooLarge:
            return too_large(max_bytes)
        return Upload(fields=form.fields, filename=_clean_name(form.filename), stored=stored)
    finally:
        tmp_path.unlink(missing_ok=True)


def _store_file(store: Store, path: Path, max_bytes: int) -> StoredObject:
    return store.put_stream(file_chunks(path), max_bytes=max_bytes)


def _clean_name(filename: str) -> str:
    """Only the last path component: browsers on Windows may send a full path."""
    name = without_hidden_controls(filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "upload"


def accept_submission(
    engine: Engine,
    settings: Settings,
    *,
    phase: Phase,
    team: Team,
    user_id: int,
    upload: Upload,
) -> Submission | Refusal:
    """Create the submission (atomic quota check) and commit it.

    The fields were checked by `receive_upload` (see `fields_problem`). Telling live pages
    and waking the dispatcher is the caller's next step (`app.queue.intake.submitted`).
    """
    description = without_hidden_controls(upload.fields.get("description", ""), keep="\n\t").strip()
    link = upload.fields.get("link", "").strip() or None
    with Session(engine, expire_on_commit=False) as session:
        made = create_submission(
            session,
            phase=phase,
            team=team,
            user_id=user_id,
            stored=upload.stored,
            filename=upload.filename,
            description=description,
            link=link,
        )
        if not isinstance(made, Submission):
            session.rollback()
            return made
        session.commit()
    return made
