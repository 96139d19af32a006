"""The audit log as sentences an organiser reads, in the reader's language.

The log keeps codes and ids (`team.disqualify`, `team_id`) because programs and
exports read them; a person reading the organisers' page wants "Olga disqualified
team Delfini: …". Each action code has one sentence naming who did it, what it was
done to and what changed. Nothing internal reaches the page: no store keys (the
digest of an approved excerpt), no file-system paths (an uploaded zip's name is
shown without the folders a browser may send), no raw detail dictionaries. An
action this module does not know yet still reads as a sentence, naming its code.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.audit.models import AuditEvent
from app.i18n.speech import gettext as _
from app.i18n.speech import ngettext, speaking
from app.text.timefmt import format_local


@dataclass(frozen=True)
class Line:
    """One event as the page shows it: when, who, and the sentence."""

    event: AuditEvent
    actor: str
    sentence: str


def _quote(text: object) -> str:
    return _("“{text}”").format(text=str(text).strip())


def _file_name(name: object) -> str:
    """The last part of an uploaded file's name: browsers may send the folders too."""
    text = str(name or "")
    return posixpath.basename(ntpath.basename(text)) or _("a zip")


class _Speaker:
    """What the sentences need beside the event: team names and the challenge's clock."""

    def __init__(self, team_names: Mapping[int, str], time_zone: str | None) -> None:
        self.team_names = team_names
        self.time_zone = time_zone
        self.lang = speaking()

    def when(self, value: object) -> str:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                return str(value)
        return format_local(moment, self.lang, self.time_zone)

    def team(self, detail: Mapping[str, Any], fallback: str = "") -> str:
        team_id = detail.get("team_id")
        if isinstance(team_id, int) and team_id in self.team_names:
            return self.team_names[team_id]
        return fallback or (_("number {number}").format(number=team_id) if team_id else "?")


def _split(name: object) -> str:
    return {"public": _("public"), "private": _("private")}.get(str(name), str(name))


def _upload(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    version = d.get("version", "?")
    if d.get("hidden_filename"):
        return _(
            "{who} uploaded the bundle {file} with the hidden files {hidden} (version {version})."
        ).format(
            who=who,
            file=_file_name(d.get("filename")),
            hidden=_file_name(d.get("hidden_filename")),
            version=version,
        )
    return _("{who} uploaded the bundle {file} (version {version}).").format(
        who=who, file=_file_name(d.get("filename")), version=version
    )


def _phase_dates(s: _Speaker, e: AuditEvent, who: str) -> str:
    old, new = e.detail.get("old") or {}, e.detail.get("new") or {}
    return _(
        "{who} moved the dates of phase {phase} from {old_start} – {old_end} to "
        "{new_start} – {new_end}."
    ).format(
        who=who,
        phase=e.target,
        old_start=s.when(old.get("start")),
        old_end=s.when(old.get("end")),
        new_start=s.when(new.get("start")),
        new_end=s.when(new.get("end")),
    )


def _reinstate(s: _Speaker, e: AuditEvent, who: str) -> str:
    previous = e.detail.get("previous_reason")
    if previous:
        return _("{who} reinstated team {team}, disqualified until then for: {reason}").format(
            who=who, team=e.target, reason=_quote(previous)
        )
    return _("{who} reinstated team {team}.").format(who=who, team=e.target)


def _cancel(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    reason = str(d.get("reason") or "").strip()
    text = _("{who} cancelled submission {number} of team {team}.").format(
        who=who, number=d.get("submission_id", "?"), team=s.team(d)
    )
    if reason:
        text += " " + _("Reason: {reason}").format(reason=_quote(reason))
    return text


def _reveal(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    text = _("{who} revealed the private leaderboard.").format(who=who)
    early = d.get("phases_not_over") or []
    if early:
        text += " " + _("Phases not over yet: {phases}.").format(
            phases=", ".join(str(p) for p in early)
        )
    automatic = d.get("automatic_finals")
    if isinstance(automatic, int) and automatic:
        text += " " + ngettext(
            "{count} final submission was chosen automatically for teams that chose none.",
            "{count} final submissions were chosen automatically for teams that chose none.",
            automatic,
        ).format(count=automatic)
    return text


def _export(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    fmt = str(d.get("format", "")).upper()
    if e.action == "export.leaderboard":
        return _("{who} exported the {split} leaderboard of phase {phase} as {format}.").format(
            who=who, split=_split(d.get("split")), phase=d.get("phase", "?"), format=fmt
        )
    if e.action == "export.submissions":
        return _("{who} exported the submissions and their scores as {format}.").format(
            who=who, format=fmt
        )
    files, missing = int(d.get("files") or 0), int(d.get("missing") or 0)
    text = ngettext(
        "{who} downloaded the files of phase {phase} as a zip ({count} file).",
        "{who} downloaded the files of phase {phase} as a zip ({count} files).",
        files,
    ).format(who=who, phase=d.get("phase", "?"), count=files)
    if missing:
        text += " " + ngettext(
            "{count} file was missing from the store.",
            "{count} files were missing from the store.",
            missing,
        ).format(count=missing)
    return text


def _rescore_start(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    count = int(d.get("submissions") or 0)
    text = ngettext(
        "{who} started rescoring {count} submission of phase {phase} (set {set}).",
        "{who} started rescoring {count} submissions of phase {phase} (set {set}).",
        count,
    ).format(who=who, count=count, phase=d.get("phase", "?"), set=d.get("set_id", "?"))
    if d.get("reason"):
        text += " " + _("Reason: {reason}").format(reason=_quote(d["reason"]))
    return text


def _rescore_apply(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    return _(
        "{who} applied rescoring set {set}: {changed} scores changed, {rescued} failed "
        "submissions now scored, {unchanged} unchanged, {kept} kept their old score after a "
        "failure."
    ).format(
        who=who,
        set=d.get("set_id", "?"),
        changed=d.get("changed", 0),
        rescued=d.get("rescued", 0),
        unchanged=d.get("unchanged", 0),
        kept=d.get("kept_old_after_failure", 0),
    )


def _asker(s: _Speaker, detail: Mapping[str, Any]) -> str:
    if detail.get("team_id") is None:
        return _("a participant without a team")
    return _("team {team}").format(team=s.team(detail))


def _question_answer(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    number, asker = d.get("question_id", "?"), _asker(s, d)
    if d.get("public"):
        return _("{who} changed the published answer to question {number} of {asker}.").format(
            who=who, number=number, asker=asker
        )
    if d.get("edited"):
        return _("{who} changed the private answer to question {number} of {asker}.").format(
            who=who, number=number, asker=asker
        )
    return _("{who} answered question {number} of {asker} privately.").format(
        who=who, number=number, asker=asker
    )


def _question_publish(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    text = _("{who} published question {number} of {asker} and its answer for everyone.").format(
        who=who, number=d.get("question_id", "?"), asker=_asker(s, d)
    )
    if d.get("reworded"):
        text += " " + _("Its wording was edited for publication.")
    return text


def _question_dismiss(s: _Speaker, e: AuditEvent, who: str) -> str:
    d = e.detail
    return _("{who} dismissed question {number} of {asker}.").format(
        who=who, number=d.get("question_id", "?"), asker=_asker(s, d)
    )


Say = Callable[[_Speaker, AuditEvent, str], str]


def _simple(message: str, **keys: Callable[[_Speaker, AuditEvent], object]) -> Say:
    """A sentence whose only values are the actor, the target and `keys` read off the event."""

    def say(s: _Speaker, e: AuditEvent, who: str) -> str:
        values = {name: read(s, e) for name, read in keys.items()}
        return _(message).format(who=who, target=e.target, **values)

    return say


def _drop_reason(code: object) -> str:
    return {
        "conflict": _("a conflict with the team"),
        "not_a_judge": _("no longer a judge of the challenge"),
        "no_such_project": _("the project is no longer under review"),
    }.get(str(code), str(code))


def _announced(e: AuditEvent) -> str:
    """The announcement's title as written (in English when it has one): the log keeps it,
    since a deleted announcement has nothing else left to name it by."""
    return _quote(e.detail.get("title") or "?")


# Each message is written out in full so that pybabel finds it; `_simple` translates it.
def N_(message: str) -> str:
    return message


ROLE_WORDS = {
    "organiser": N_("organiser of the event {event}"),
    "judge": N_("judge of the event {event}"),
    "owner": N_("owner of this challenge"),
}
CHALLENGE_JUDGE = N_("judge of this challenge")


def _role_over(detail: dict[str, Any]) -> str:
    role, event = str(detail.get("role", "")), detail.get("event")
    if role == "judge" and not event:
        return _(CHALLENGE_JUDGE)
    template = ROLE_WORDS.get(role)
    return _(template).format(event=event or "?") if template else role


SENTENCES: dict[str, Say] = {
    "bundle.upload": _upload,
    "challenge.publish": _simple(N_("{who} published the challenge.")),
    "challenge.unpublish": _simple(
        N_("{who} unpublished the challenge; only organisers see it now.")
    ),
    "phase.dates": _phase_dates,
    "team.approve": _simple(N_("{who} approved team {target}.")),
    "team.disqualify": _simple(
        N_("{who} disqualified team {target} for: {reason}"),
        reason=lambda s, e: _quote(e.detail.get("reason", "")),
    ),
    "team.reinstate": _reinstate,
    "submission.cancel": _cancel,
    "submission.log_excerpt.approve": _simple(
        N_("{who} approved the log excerpt of submission {number} for team {team}."),
        number=lambda s, e: e.detail.get("submission_id", "?"),
        team=lambda s, e: s.team(e.detail),
    ),
    "board.freeze": _simple(
        N_("{who} froze the public leaderboard at {time}."),
        time=lambda s, e: s.when(e.detail.get("frozen_at")),
    ),
    "board.unfreeze": _simple(
        N_("{who} unfroze the public leaderboard, frozen since {time}."),
        time=lambda s, e: s.when(e.detail.get("was")),
    ),
    "board.reveal": _reveal,
    "board.hide": _simple(N_("{who} hid the private leaderboard again.")),
    "export.leaderboard": _export,
    "export.submissions": _export,
    "export.archive": _export,
    "rescore.start": _rescore_start,
    "rescore.apply": _rescore_apply,
    "rescore.discard": _simple(
        N_("{who} discarded rescoring set {set}; no score changed."),
        set=lambda s, e: e.detail.get("set_id", "?"),
    ),
    "judge.assign": _simple(N_("{who} made {target} a judge of this challenge.")),
    "judge.unassign": _simple(N_("{who} removed {target} from the judges of this challenge.")),
    "role.give": _simple(
        N_("{who} gave {target} the role: {role}."),
        role=lambda s, e: _role_over(e.detail),
    ),
    "role.revoke": _simple(
        N_("{who} took from {target} the role: {role}."),
        role=lambda s, e: _role_over(e.detail),
    ),
    "question.answer": _question_answer,
    "question.publish": _question_publish,
    "question.dismiss": _question_dismiss,
    "projects.publish": _simple(N_("{who} published the gallery of projects.")),
    "projects.unpublish": _simple(N_("{who} withdrew the gallery of projects from the public.")),
    # People's choice (app/projects/votes.py): the reason of a void is the log's to keep.
    "vote.void": _simple(
        N_("{who} voided vote {number} for team {team}. Reason: {reason}"),
        number=lambda s, e: e.detail.get("vote_id", "?"),
        team=lambda s, e: s.team(e.detail),
        reason=lambda s, e: _quote(e.detail.get("reason", "")),
    ),
    "vote.reveal": _simple(
        N_("{who} revealed the people's choice counts and ranking to everyone.")
    ),
    "review.create": _simple(N_("{who} reviewed team {target}.")),
    "project_review.run": _simple(
        N_("{who} assigned the project reviews: {added} added, {dropped} removed."),
        added=lambda s, e: e.detail.get("added", 0),
        dropped=lambda s, e: e.detail.get("dropped", 0),
    ),
    "project_review.drop": _simple(
        N_("{who}'s assignment removed {judge} from the project of team {target}: {reason}."),
        judge=lambda s, e: e.detail.get("judge") or "?",
        reason=lambda s, e: _drop_reason(e.detail.get("reason")),
    ),
    "project_review.add": _simple(
        N_("{who} assigned the project of team {target} to {judge}."),
        judge=lambda s, e: e.detail.get("judge") or "?",
    ),
    "project_review.remove": _simple(
        N_("{who} took the project of team {target} off the list of {judge}."),
        judge=lambda s, e: e.detail.get("judge") or "?",
    ),
    "judge.affiliation": _simple(N_("{who} gave their affiliation: {target}.")),
    "judge.conflict_declare": _simple(N_("{who} declared a conflict with team {target}.")),
    "judge.conflict_withdraw": _simple(N_("{who} withdrew their conflict with team {target}.")),
    "review.update": _simple(N_("{who} changed the review of team {target}.")),
    # An event's actions (app/events): registrations, check-in and the results.
    "registration.created": _simple(N_("{who} registered for the event.")),
    "registration.updated": _simple(N_("{who} changed their registration answers.")),
    "registration.withdrawn": _simple(N_("{who} withdrew from the event.")),
    "registration.promoted": _simple(
        N_("A place freed up: registration {number} left the waiting list."),
        number=lambda s, e: e.detail.get("registration_id", "?"),
    ),
    "registration.approved": _simple(
        N_("{who} approved registration {number}."),
        number=lambda s, e: e.detail.get("registration_id", "?"),
    ),
    "registration.checked_in": _simple(
        N_("{who} checked in registration {number} at the venue."),
        number=lambda s, e: e.detail.get("registration_id", "?"),
    ),
    "registration.check_in_undone": _simple(
        N_("{who} undid the check-in of registration {number}."),
        number=lambda s, e: e.detail.get("registration_id", "?"),
    ),
    # Announcements (app/announcements), in the challenge's log or, for an event's, the event's.
    "announcement.post": _simple(
        N_("{who} posted the announcement {title}."), title=lambda s, e: _announced(e)
    ),
    "announcement.edit": _simple(
        N_("{who} changed the announcement {title}."), title=lambda s, e: _announced(e)
    ),
    "announcement.pin": _simple(
        N_("{who} pinned the announcement {title}."), title=lambda s, e: _announced(e)
    ),
    "announcement.unpin": _simple(
        N_("{who} unpinned the announcement {title}."), title=lambda s, e: _announced(e)
    ),
    "announcement.delete": _simple(
        N_("{who} deleted the announcement {title}."), title=lambda s, e: _announced(e)
    ),
    "event.created": _simple(N_("{who} loaded the event.")),
    "event.updated": _simple(N_("{who} loaded a new version of the event.")),
    "event.prize_awarded": _simple(
        N_("{who} awarded the prize {prize} to team {team} ({challenge})."),
        prize=lambda s, e: e.detail.get("prize", "?"),
        team=lambda s, e: e.detail.get("team", "?"),
        challenge=lambda s, e: e.detail.get("challenge", "?"),
    ),
    "event.prize_cleared": _simple(
        N_("{who} took back the prize {prize}: not awarded."),
        prize=lambda s, e: e.detail.get("prize", "?"),
    ),
    "event.published": _simple(N_("{who} published the event.")),
    "event.unpublished": _simple(N_("{who} unpublished the event; only its organisers see it.")),
    "event.results_published": _simple(N_("{who} published the event's results.")),
    "event.results_hidden": _simple(N_("{who} withdrew the event's results from the public.")),
}


def describe(
    events: list[tuple[AuditEvent, str | None]],
    team_names: Mapping[int, str],
    time_zone: str | None = None,
) -> list[Line]:
    """Each event with its actor (None: the system, the CLI or a worker) as a sentence."""
    speaker = _Speaker(team_names, time_zone)
    lines = []
    for event, actor in events:
        who = actor if actor is not None else _("The system")
        say = SENTENCES.get(event.action)
        if say is None:
            sentence = _("{who} did something this page cannot describe yet ({action}).").format(
                who=who, action=event.action
            )
        else:
            sentence = say(speaker, event, who)
        lines.append(Line(event, who, sentence))
    return lines
