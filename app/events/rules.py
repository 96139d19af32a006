"""Rules that relate several keys of a schema-valid event.yaml.

Like the bundle's rules, each issue points at the key an organiser has to
change (the second of two tracks with one slug, the prize naming a partner that
is not listed), which is why these are not Pydantic model validators.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from app.bundles.rules import Issue
from app.events.schema import Event, QuestionKind


def check_rules(event: Event) -> list[Issue]:
    return [
        *_dates(event),
        *_schedule(event),
        *_tracks(event),
        *_prizes(event),
        *_unique(
            ((("partners", i, "key"), p.key) for i, p in enumerate(event.partners)), "partner"
        ),
        *_registration(event),
        *_people(event.organisers, "organisers"),
        *_people(event.judges, "judges"),
    ]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _dates(event: Event) -> Iterator[Issue]:
    d = event.dates
    pairs = [
        ("registration_opens", d.registration_opens, "registration_closes", d.registration_closes),
        ("hacking_starts", d.hacking_starts, "hacking_ends", d.hacking_ends),
    ]
    for first, before, second, after in pairs:
        if after <= before:
            yield Issue(
                ("dates", second),
                f"dates.{second} ({_iso(after)}) is not after dates.{first} ({_iso(before)})",
                f"set dates.{second} later than dates.{first}",
            )
    if d.registration_closes > d.hacking_ends:
        yield Issue(
            ("dates", "registration_closes"),
            "registration closes after the hacking ends",
            "close registration no later than dates.hacking_ends",
        )
    if d.registration_opens > d.hacking_starts:
        yield Issue(
            ("dates", "registration_opens"),
            "registration opens after the hacking starts",
            "open registration no later than dates.hacking_starts",
        )
    if d.results < d.hacking_ends:
        yield Issue(
            ("dates", "results"),
            "results are announced before the hacking ends",
            "set dates.results at or after dates.hacking_ends",
        )


def _schedule(event: Event) -> Iterator[Issue]:
    for i, item in enumerate(event.schedule):
        if item.end is not None and item.end <= item.start:
            yield Issue(
                ("schedule", i, "end"),
                f"schedule[{i}] ends ({_iso(item.end)}) before it starts ({_iso(item.start)})",
                "set `end` later than `start`, or leave `end` out",
            )


def _unique(items: Iterable[tuple[tuple[str | int, ...], str]], what: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for loc, value in items:
        if value.lower() in seen:
            yield Issue(
                loc,
                f"the {what} '{value}' is listed twice",
                f"give each {what} its own value, or remove the repeated one",
            )
        seen.add(value.lower())


def _tracks(event: Event) -> Iterator[Issue]:
    yield from _unique(
        ((("tracks", i, "slug"), t.slug) for i, t in enumerate(event.tracks)), "track"
    )
    yield from _unique(
        (
            (("tracks", i, "challenges", j), slug)
            for i, t in enumerate(event.tracks)
            for j, slug in enumerate(t.challenges)
        ),
        "challenge",
    )


def _prizes(event: Event) -> Iterator[Issue]:
    tracks = {t.slug for t in event.tracks}
    challenges = set(event.challenge_slugs())
    partners = {p.key for p in event.partners}
    for i, prize in enumerate(event.prizes):
        if prize.track is not None and prize.challenge is not None:
            yield Issue(
                ("prizes", i),
                f"prizes[{i}] names both a track and a challenge",
                "keep one: `track:` for a prize of the whole track, `challenge:` for one challenge",
                at_key=True,
            )
        if prize.track is not None and prize.track not in tracks:
            yield Issue(
                ("prizes", i, "track"),
                f"prizes[{i}].track '{prize.track}' is not a track of this event",
                "use one of: " + ", ".join(sorted(tracks)),
            )
        if prize.challenge is not None and prize.challenge not in challenges:
            yield Issue(
                ("prizes", i, "challenge"),
                f"prizes[{i}].challenge '{prize.challenge}' is in no track of this event",
                "add it to a track's `challenges:`, or use one of: "
                + ", ".join(sorted(challenges)),
            )
        if prize.sponsor is not None and prize.sponsor not in partners:
            yield Issue(
                ("prizes", i, "sponsor"),
                f"prizes[{i}].sponsor '{prize.sponsor}' is not the key of a partner",
                "add the sponsor under `partners:` with that key, or use one of: "
                + (", ".join(sorted(partners)) or "(no partners listed yet)"),
            )


def _registration(event: Event) -> Iterator[Issue]:
    reg = event.registration
    yield from _unique(
        ((("registration", "questions", i, "key"), q.key) for i, q in enumerate(reg.questions)),
        "question key",
    )
    yield from _unique(
        ((("registration", "consents", i, "key"), c.key) for i, c in enumerate(reg.consents)),
        "consent key",
    )
    for i, question in enumerate(reg.questions):
        loc = ("registration", "questions", i)
        if question.kind is QuestionKind.TEXT and question.options:
            yield Issue(
                (*loc, "kind"),
                f"question '{question.key}' is a text question but lists options",
                "remove `options:`, or make it `kind: choice` or `kind: multiple`",
            )
        if question.kind is not QuestionKind.TEXT and len(question.options) < 2:
            yield Issue(
                (*loc, "kind"),
                f"question '{question.key}' offers {len(question.options)} option(s) to choose from",
                "list at least two `options:` (each with a key and a label), or make it "
                "`kind: text`",
            )
        yield from _unique(
            (((*loc, "options", j, "key"), o.key) for j, o in enumerate(question.options)),
            "option key",
        )


def _people(emails: list[str], key: str) -> Iterator[Issue]:
    yield from _unique((((key, i), email) for i, email in enumerate(emails)), "e-mail address")
