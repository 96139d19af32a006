"""Importing a bundle into the database and the file store, idempotently.

Loading the same bundle twice changes nothing: the bundle's hash (over every
role, path and file hash) is compared first. An update keeps the challenge's
id, teams and submissions; phases are matched by name, and a phase that
already has submissions cannot disappear from a new version, nor may a new
version reopen a phase or change `final_submissions` once final choices are
locked (`app.submissions.finals.bundle_update_refused`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from app.audit.models import AuditEvent
from app.bundles.validate import LoadedBundle, load_bundle
from app.challenges.compute import phase_pool
from app.challenges.models import Challenge, DataFile, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.runtime import Runtime
from app.roles.models import Scoped, Source
from app.roles.service import sync_listed
from app.submissions.finals import bundle_update_refused
from app.submissions.models import Submission

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class LoadOutcome:
    slug: str
    action: Action
    files: int
    published: bool
    version: int


def _pages(bundle: LoadedBundle) -> dict[str, dict[str, str]]:
    pages: dict[str, dict[str, str]] = {}
    for name, texts in bundle.challenge.pages.model_dump().items():
        pages[name] = {
            lang: bundle.path_of(rel).read_text(encoding="utf-8") for lang, rel in texts.items()
        }
    return pages


def _store_files(runtime: Runtime, bundle: LoadedBundle, progress: Callable[[str], None]) -> None:
    seen: set[str] = set()
    for item in bundle.files:
        if item.sha256 in seen:
            continue
        stored = runtime.store.put_file(bundle.path_of(item))
        if stored.sha256 != item.sha256:
            raise RuntimeError(
                f"{item.path} changed while it was being loaded; load the bundle again"
            )
        seen.add(item.sha256)
        progress(item.path)


def _apply_phases(session: Session, challenge: Challenge, config: dict[str, Any]) -> Refusal | None:
    assert challenge.id is not None
    existing = {
        p.name: p for p in session.exec(select(Phase).where(Phase.challenge_id == challenge.id))
    }
    wanted = [p["name"] for p in config["phases"]]
    for name, phase in existing.items():
        if name in wanted:
            continue
        used = session.exec(select(func.count()).where(Submission.phase_id == phase.id)).one()
        if used:
            return Refusal(
                Kind.conflict,
                f"phase {name!r} has {used} submission(s) and cannot be removed; keep it in "
                "challenge.yaml (you may end it early by changing its dates).",
            )
        session.delete(phase)
    for position, item in enumerate(config["phases"]):
        phase = existing.get(item["name"]) or Phase(
            challenge_id=challenge.id,
            name=item["name"],
            kind=item["kind"],
            start=_when(item["start"]),
            end=_when(item["end"]),
        )
        phase.position = position
        phase.title = item["title"]
        phase.kind = item["kind"]
        phase.start = _when(item["start"])
        phase.end = _when(item["end"])
        limits = item.get("limits") or {}
        phase.max_per_day = limits.get("per_day")
        phase.max_total = limits.get("total")
        phase.max_concurrent = limits.get("concurrent")
        phase.code = item.get("code")
        phase.runner_image = item.get("runner_image")
        phase.pool = phase_pool(config, item)
        session.add(phase)
    return None


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def load_into_db(
    runtime: Runtime,
    path: Path,
    *,
    hidden: Path | None = None,
    publish: bool | None = None,
    progress: Callable[[str], None] = lambda _path: None,
    guard: Callable[[Session, Challenge | None], Refusal | None] | None = None,
) -> LoadOutcome | Refusal:
    """Validate, store the files, and create or update the challenge.

    A valid bundle that cannot replace what is in the database (a phase with submissions
    removed, dates that would reopen locked final choices) is a `Refusal` of kind conflict.

    `hidden` is the folder or zip of hidden files supplied apart from the bundle.
    Raises `BundleInvalid` (with every located error) when the bundle is not valid,
    including a runner image the site's settings do not allow.
    `publish=None` keeps an existing challenge's state and leaves a new one a draft.
    `guard` sees the challenge the bundle would replace (None for a new one) before anything
    is stored, and may refuse: the site lets a person replace only a challenge they manage.
    """
    images = runtime.settings.runner_images()
    with load_bundle(path, hidden=hidden, images=images, pools=runtime.settings.pools) as bundle:
        model = bundle.challenge
        config = model.model_dump(mode="json")
        with Session(runtime.engine, expire_on_commit=False) as session:
            current = session.exec(select(Challenge).where(Challenge.slug == model.slug)).first()
            if guard is not None:
                refused = guard(session, current)
                if refused is not None:
                    return refused
            target_published = (
                publish if publish is not None else (current.published if current else False)
            )
            if (
                current is not None
                and current.bundle_sha256 == bundle.sha256
                and current.published == target_published
            ):
                return LoadOutcome(
                    model.slug, "unchanged", len(bundle.files), current.published, current.version
                )
            if current is not None:  # no new version may undo a lock on final choices
                locked = bundle_update_refused(session, current, config)
                if locked is not None:
                    return Refusal(Kind.conflict, locked)
            _store_files(runtime, bundle, progress)
            action: Action = "created" if current is None else "updated"
            challenge = current or Challenge(slug=model.slug, bundle_sha256=bundle.sha256, theme="")
            if current is not None and current.bundle_sha256 != bundle.sha256:
                challenge.version += 1
            challenge.title = config["title"]
            challenge.summary = config["summary"]
            challenge.theme = config["theme"]
            challenge.tags = config["tags"]
            challenge.config = config
            challenge.pages = _pages(bundle)
            challenge.bundle_sha256 = bundle.sha256
            challenge.published = target_published
            challenge.updated_at = utcnow()
            session.add(challenge)
            session.flush()
            assert challenge.id is not None
            refused = _apply_phases(session, challenge, config)
            if refused is not None:
                session.rollback()
                return refused
            session.execute(delete(DataFile).where(col(DataFile.challenge_id) == challenge.id))
            descriptions = {
                entry["path"]: entry.get("description") or {}
                for entries in config["data"].values()
                if isinstance(entries, list)
                for entry in entries
            }
            for item in bundle.files:
                session.add(
                    DataFile(
                        challenge_id=challenge.id,
                        role=item.role,
                        path=item.path,
                        sha256=item.sha256,
                        size=item.size,
                        description=descriptions.get(item.path, {}),
                    )
                )
            sync_listed(
                session,
                source=Source.challenge_yaml,
                role=Scoped.owner,
                emails=config.get("owners", []),
                challenge_id=challenge.id,
            )
            session.add(
                AuditEvent(
                    challenge_id=challenge.id,
                    action=f"bundle.{action}",
                    target=challenge.slug,
                    detail={
                        "bundle_sha256": bundle.sha256,
                        "version": challenge.version,
                        "source": str(path),
                        "hidden": str(hidden) if hidden is not None else None,
                        "published": challenge.published,
                    },
                )
            )
            session.commit()
            return LoadOutcome(
                model.slug, action, len(bundle.files), challenge.published, challenge.version
            )
