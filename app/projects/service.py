"""Saving a team's project, the version judged, and who sees which project.

A save is a new `ProjectVersion`, never an edit: the team can change its mind until the
project phase ends, and afterwards the question "what was handed in?" has one answer,
`judged_version`, the last version saved before the end. Saving after the end is refused
(the page says when it closed), so the judged version is also the last one.

One rule decides who sees a project (`can_see`), for the gallery, the project page and its
files: the team's members and the challenge's staff (its organisers or owners, and its
judges, unless they compete in it) always; everyone else only once the gallery is public
(`gallery: live` from the phase's start, or `published` by an organiser), and never the
project of a team that opted out of the gallery (it is still judged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.challenges.service import phases_of
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.i18n.speech import speaking
from app.projects.models import (
    DESCRIPTION_MAX,
    LINK_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Project,
    ProjectGallery,
    ProjectVersion,
)
from app.roles import service as roles
from app.teams.locking import lock_team
from app.teams.models import Membership, Team
from app.teams.service import team_of
from app.text.plain_text import has_hidden_controls, without_hidden_controls
from app.text.timefmt import as_utc, format_local

PROJECT_KIND = "project"
LINK_KINDS = ("repository", "demo", "video", "slides")
DEFAULT_TYPES = ("pdf", "png", "jpeg")
MB = 1024 * 1024
# File parts one form may carry: the most a bundle allows (20), and one more to say so.
MAX_FILES_PER_FORM = 21


@dataclass(frozen=True)
class Rules:
    """The bundle's `project` section, with its defaults filled in."""

    licences: tuple[str, ...]
    links: tuple[str, ...]
    types: frozenset[str]
    max_files: int
    max_bytes: int
    gallery: str  # "published" or "live"


def rules_of(challenge: Challenge) -> Rules | None:
    """The project rules of a challenge; None when its bundle has no project section."""
    section = challenge.config.get("project")
    if not isinstance(section, dict):
        return None
    files = section.get("files") or {}
    links = section.get("links")
    return Rules(
        licences=tuple(str(x) for x in section.get("licences") or ()),
        links=tuple(str(x) for x in links) if isinstance(links, list) else LINK_KINDS,
        types=frozenset(str(x) for x in files.get("types") or DEFAULT_TYPES),
        max_files=int(files.get("max_files", 5)),
        max_bytes=int(files.get("max_mb", 20)) * MB,
        gallery=str(section.get("gallery") or "published"),
    )


def project_phase(db: Session, challenge: Challenge) -> Phase | None:
    """The challenge's project phase (the last one, should a bundle have several)."""
    assert challenge.id is not None
    found = [p for p in phases_of(db, challenge.id) if p.kind == PROJECT_KIND]
    return found[-1] if found else None


def _zone(challenge: Challenge) -> str | None:
    zone = challenge.config.get("time_zone")
    return zone if isinstance(zone, str) else None


def project_of(db: Session, challenge_id: int, team_id: int) -> Project | None:
    return db.exec(
        select(Project).where(Project.challenge_id == challenge_id, Project.team_id == team_id)
    ).first()


def versions(db: Session, project: Project) -> list[ProjectVersion]:
    """Every version of the project, the newest first."""
    return list(
        db.exec(
            select(ProjectVersion)
            .where(ProjectVersion.project_id == project.id)
            .order_by(col(ProjectVersion.number).desc())
        )
    )


def latest(db: Session, project: Project) -> ProjectVersion | None:
    return db.exec(
        select(ProjectVersion)
        .where(ProjectVersion.project_id == project.id)
        .order_by(col(ProjectVersion.number).desc())
        .limit(1)
    ).first()


def judged_version(session: Session, project: Project) -> ProjectVersion | None:
    """The version judges review: the last one saved before the project phase's end."""
    challenge = session.get(Challenge, project.challenge_id)
    phase = project_phase(session, challenge) if challenge is not None else None
    if phase is None:
        return None
    end = as_utc(phase.end)
    before = [v for v in versions(session, project) if as_utc(v.created_at) < end]
    return before[0] if before else None


# --- the form -----------------------------------------------------------------------------


@dataclass
class Draft:
    """What the team typed, before it is checked."""

    title: str = ""
    summary: str = ""
    description: str = ""
    links: dict[str, str] = field(default_factory=dict)
    licence: str = ""
    built_with: str = ""
    credited: list[int] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)  # sha256 of the last version's files to keep


@dataclass(frozen=True)
class Clean:
    """A draft that passed every check: what a version is written from."""

    title: str
    summary: str
    description: str
    links: dict[str, str]
    licence: str
    built_with: list[str]
    credited: list[int]
    kept: list[dict[str, Any]]


def _invalid(message: str, code: str, field_name: str) -> Refusal:
    return Refusal(Kind.invalid, message, code, field_name)


def _text(
    value: str, field_name: str, label: str, longest: int, *, one_line: bool
) -> str | Refusal:
    text = without_hidden_controls(value, keep="" if one_line else "\n\t").strip()
    if one_line and ("\n" in value.strip() or "\r" in value.strip()):
        return _invalid(
            _("{label}: write it on one line.").format(label=label), "not_one_line", field_name
        )
    if not text and field_name != "description":
        return _invalid(_("{label}: write something.").format(label=label), "empty", field_name)
    if len(text) > longest:
        return _invalid(
            _("{label}: write at most {n} characters (this text has {length}).").format(
                label=label, n=longest, length=len(text)
            ),
            "too_long",
            field_name,
        )
    return text


def link_problem(kind: str, url: str) -> Refusal | None:
    """Why `url` cannot be the project's `kind` link (only http and https addresses are)."""
    name = link_label(kind)
    if len(url) > LINK_MAX:
        return _invalid(
            _("The {name} link is too long ({n} characters at most).").format(
                name=name, n=LINK_MAX
            ),
            "bad_link",
            f"link_{kind}",
        )
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or has_hidden_controls(url)
        or any(ch.isspace() for ch in url)
    ):
        return _invalid(
            _(
                "The {name} link must be a web address starting with https:// or http:// "
                "(other kinds of address, such as javascript: or data:, are not accepted)."
            ).format(name=name),
            "bad_link",
            f"link_{kind}",
        )
    return None


def link_label(kind: str) -> str:
    labels = {
        "repository": _("repository"),
        "demo": _("demo"),
        "video": _("video"),
        "slides": _("slides"),
    }
    return labels.get(kind, kind)


def _tags(text: str) -> list[str] | Refusal:
    tags: list[str] = []
    seen: set[str] = set()
    for raw in text.split(","):
        tag = without_hidden_controls(raw).strip()
        if not tag or tag.lower() in seen:
            continue
        if len(tag) > TAG_MAX:
            return _invalid(
                _("“Built with”: each tag has at most {n} characters.").format(n=TAG_MAX),
                "tag_too_long",
                "built_with",
            )
        seen.add(tag.lower())
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        return _invalid(
            _("“Built with”: at most {n} tags.").format(n=TAGS_MAX), "too_many_tags", "built_with"
        )
    return tags


def team_member_ids(db: Session, team_id: int) -> list[int]:
    rows = db.exec(
        select(Membership.user_id).where(Membership.team_id == team_id).order_by(col(Membership.id))
    )
    return list(rows)


def check_draft(
    db: Session,
    challenge: Challenge,
    rules: Rules,
    team: Team,
    draft: Draft,
    new_files: int,
    previous: ProjectVersion | None,
    author_id: int,
) -> Clean | Refusal:
    """Every field checked against the bundle's rules, before any file is kept."""
    assert team.id is not None
    title = _text(draft.title, "title", _("Title"), TITLE_MAX, one_line=True)
    if isinstance(title, Refusal):
        return title
    summary = _text(draft.summary, "summary", _("Summary"), SUMMARY_MAX, one_line=True)
    if isinstance(summary, Refusal):
        return summary
    description = _text(
        draft.description, "description", _("Description"), DESCRIPTION_MAX, one_line=False
    )
    if isinstance(description, Refusal):
        return description
    links: dict[str, str] = {}
    for kind, value in draft.links.items():
        url = value.strip()
        if not url:
            continue
        if kind not in rules.links:
            return _invalid(
                _("This challenge does not ask for a “{kind}” link.").format(kind=kind),
                "unknown_link",
                f"link_{kind}",
            )
        problem = link_problem(kind, url)
        if problem is not None:
            return problem
        links[kind] = url
    if draft.licence not in rules.licences:
        return _invalid(
            _("Choose the licence of your work among those this challenge allows: {names}.").format(
                names=", ".join(rules.licences)
            ),
            "bad_licence",
            "licence",
        )
    tags = _tags(draft.built_with)
    if isinstance(tags, Refusal):
        return tags
    members = team_member_ids(db, team.id)
    # Nobody ticked: the member saving is credited (a project is always somebody's work).
    credited = sorted(set(draft.credited)) or [author_id]
    if any(person not in members for person in credited):
        return _invalid(_("Only members of your team can be credited."), "not_a_member", "credited")
    kept = [f for f in (previous.files if previous else []) if f.get("sha256") in draft.keep]
    if len(kept) + new_files > rules.max_files:
        return _invalid(
            _("A project has at most {n} files; remove some before adding others.").format(
                n=rules.max_files
            ),
            "too_many_files",
            "files",
        )
    return Clean(title, summary, description, links, draft.licence, tags, credited, kept)


def closed(db: Session, challenge: Challenge, now: datetime | None = None) -> Refusal | None:
    """Why the project cannot be saved now: no project phase, or its end has passed."""
    phase = project_phase(db, challenge)
    if phase is None:
        return Refusal(
            Kind.not_found, _("This challenge has no project phase."), "no_project_phase"
        )
    if as_utc(now or utcnow()) >= as_utc(phase.end):
        return Refusal(
            Kind.conflict,
            _(
                "The project phase ended on {when}: the project can no longer be changed, and "
                "the version judged is the last one saved before then."
            ).format(when=format_local(phase.end, speaking(), _zone(challenge))),
            "project_closed",
        )
    return None


def save_version(
    db: Session,
    challenge: Challenge,
    team: Team,
    user: User,
    clean: Clean,
    new_files: list[dict[str, Any]],
    now: datetime | None = None,
) -> ProjectVersion | Refusal:
    """The team's next version, under the team's lock so two saves never share a number."""
    assert challenge.id is not None and team.id is not None and user.id is not None
    now = now or utcnow()
    if not lock_team(db, team.id):
        return Refusal(Kind.not_found, _("This team no longer exists."), "no_team")
    refused = closed(db, challenge, now)
    if refused is not None:
        return refused
    project = project_of(db, challenge.id, team.id)
    if project is None:
        project = Project(challenge_id=challenge.id, team_id=team.id, created_at=now)
        db.add(project)
        db.flush()
    previous = latest(db, project)
    assert project.id is not None
    version = ProjectVersion(
        project_id=project.id,
        number=(previous.number + 1) if previous else 1,
        title=clean.title,
        summary=clean.summary,
        description=clean.description,
        links=clean.links,
        licence=clean.licence,
        built_with=clean.built_with,
        credited=clean.credited,
        files=[*clean.kept, *new_files],
        author_id=user.id,
        created_at=now,
    )
    db.add(version)
    db.flush()
    return version


# --- who sees what ------------------------------------------------------------------------


def is_member(db: Session, team_id: int, user: User | None) -> bool:
    if user is None or user.id is None:
        return False
    stmt = select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == user.id)
    return db.exec(stmt).first() is not None


def is_staff(db: Session, challenge: Challenge, user: User | None) -> bool:
    """Runs or judges this challenge and is in none of its teams (who competes is a
    participant there, whatever their role)."""
    if user is None or user.id is None:
        return False
    assert challenge.id is not None
    if team_of(db, challenge.id, user.id) is not None:
        return False
    scope = roles.scope_of(db, user)
    return roles.manages(db, scope, challenge) or roles.judges(scope, challenge)


def gallery_row(db: Session, challenge_id: int) -> ProjectGallery | None:
    return db.get(ProjectGallery, challenge_id)


def gallery_public(db: Session, challenge: Challenge, now: datetime | None = None) -> bool:
    """Whether the public sees the gallery: published by an organiser, or `gallery: live`
    once the project phase has started."""
    rules = rules_of(challenge)
    if rules is None or not challenge.published:
        return False
    assert challenge.id is not None
    row = gallery_row(db, challenge.id)
    if row is not None and row.published_at is not None:
        return True
    if rules.gallery == "live":
        phase = project_phase(db, challenge)
        return phase is not None and as_utc(now or utcnow()) >= as_utc(phase.start)
    return False


def can_see(
    db: Session, challenge: Challenge, project: Project, user: User | None, *, public: bool
) -> bool:
    """The one visibility rule (see the module doc); `public` is `gallery_public`'s answer."""
    if is_member(db, project.team_id, user) or is_staff(db, challenge, user):
        return True
    return public and not project.gallery_opt_out


@dataclass(frozen=True)
class Entry:
    project: Project
    version: ProjectVersion
    team: Team


def gallery(db: Session, challenge: Challenge, user: User | None) -> list[Entry]:
    """The projects `user` may see (with a saved version), by title."""
    assert challenge.id is not None
    public = gallery_public(db, challenge)
    staff = is_staff(db, challenge, user)
    found: list[Entry] = []
    rows = db.exec(
        select(Project, Team)
        .join(Team, col(Team.id) == col(Project.team_id))
        .where(Project.challenge_id == challenge.id)
    ).all()
    for project, team in rows:
        if not staff and not can_see(db, challenge, project, user, public=public):
            continue
        version = latest(db, project)
        if version is not None:
            found.append(Entry(project, version, team))
    return sorted(found, key=lambda e: (e.version.title.lower(), e.project.id or 0))


def project_in(db: Session, challenge: Challenge, project_id: int) -> Project | None:
    project = db.get(Project, project_id)
    if project is None or project.challenge_id != challenge.id:
        return None
    return project


def file_of(
    db: Session, project: Project, sha256: str, *, any_version: bool
) -> dict[str, Any] | None:
    """The file `sha256` of the project: of any version for its team and staff, of the
    version shown for everyone else."""
    chosen = versions(db, project) if any_version else [v for v in [latest(db, project)] if v]
    for version in chosen:
        for item in version.files:
            if item.get("sha256") == sha256:
                return item
    return None


# --- the captain's opt-out and the organisers' publication --------------------------------


def set_opt_out(
    db: Session, challenge: Challenge, team: Team, user: User, opt_out: bool
) -> Project | Refusal:
    """The captain keeps the team's project out of the public gallery, or lets it in."""
    assert challenge.id is not None and team.id is not None
    if team.captain_id != user.id:
        return Refusal(
            Kind.forbidden,
            _("Only the team's captain decides whether its project is shown in the gallery."),
            "not_captain",
        )
    if project_phase(db, challenge) is None:
        return Refusal(
            Kind.not_found, _("This challenge has no project phase."), "no_project_phase"
        )
    lock_team(db, team.id)
    project = project_of(db, challenge.id, team.id)
    if project is None:
        project = Project(challenge_id=challenge.id, team_id=team.id)
    project.gallery_opt_out = opt_out
    db.add(project)
    db.flush()
    return project


def publish_gallery(
    db: Session, challenge: Challenge, actor: User, publish: bool, now: datetime | None = None
) -> ProjectGallery | Refusal:
    """Publishes (or withdraws) the gallery of a challenge's projects, in the audit log."""
    assert challenge.id is not None
    if project_phase(db, challenge) is None:
        return Refusal(
            Kind.not_found, _("This challenge has no project phase."), "no_project_phase"
        )
    row = gallery_row(db, challenge.id) or ProjectGallery(challenge_id=challenge.id)
    if (row.published_at is not None) == publish:
        message = (
            _("The gallery is already published.")
            if publish
            else _("The gallery is not published.")
        )
        return Refusal(Kind.conflict, message, "unchanged")
    row.published_at = (now or utcnow()) if publish else None
    row.published_by = actor.id if publish else None
    db.add(row)
    action = "projects.publish" if publish else "projects.unpublish"
    record(db, actor, challenge.id, action, f"challenge:{challenge.slug}")
    db.flush()
    return row


def member_names(db: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.exec(select(User).where(col(User.id).in_(ids)))
    return {u.id: u.name for u in rows if u.id is not None}
