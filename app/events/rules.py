"""Rules that relate several keys of a schema-valid event.yaml.

Like the bundle's rules, each issue points at the key an organiser has to
change (the second of two tracks with one slug, the prize naming a partner that
is not listed), which is why these are not Pydantic model validators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from app.bundles.errors import N_, Words
from app.bundles.rules import Issue
from app.events.schema import Event, QuestionKind
from app.text.words import listed


def check_rules(event: Event) -> list[Issue]:
    return [
        *_dates(event),
        *_schedule(event),
        *_tracks(event),
        *_prizes(event),
        *_unique(
            ((("partners", i, "key"), p.key) for i, p in enumerate(event.partners)),
            lambda value: N_("the partner '{value}' is listed twice", value=value),
            N_("give each partner its own value, or remove the repeated one"),
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
                N_(
                    "dates.{second} ({after}) is not after dates.{first} ({before})",
                    second=second,
                    after=_iso(after),
                    first=first,
                    before=_iso(before),
                ),
                N_("set dates.{second} later than dates.{first}", second=second, first=first),
            )
    if d.registration_closes > d.hacking_ends:
        yield Issue(
            ("dates", "registration_closes"),
            N_("registration closes after the hacking ends"),
            N_("close registration no later than dates.hacking_ends"),
        )
    if d.registration_opens > d.hacking_starts:
        yield Issue(
            ("dates", "registration_opens"),
            N_("registration opens after the hacking starts"),
            N_("open registration no later than dates.hacking_starts"),
        )
    if d.results < d.hacking_ends:
        yield Issue(
            ("dates", "results"),
            N_("results are announced before the hacking ends"),
            N_("set dates.results at or after dates.hacking_ends"),
        )


def _schedule(event: Event) -> Iterator[Issue]:
    for i, item in enumerate(event.schedule):
        if item.end is not None and item.end <= item.start:
            yield Issue(
                ("schedule", i, "end"),
                N_(
                    "schedule[{index}] ends ({end}) before it starts ({start})",
                    index=i,
                    end=_iso(item.end),
                    start=_iso(item.start),
                ),
                N_("set `end` later than `start`, or leave `end` out"),
            )


def _unique(
    items: Iterable[tuple[tuple[str | int, ...], str]],
    twice: Callable[[str], Words],
    hint: Words,
) -> Iterator[Issue]:
    """`twice(value)` says which value is repeated: each kind of item has its own sentence,
    so that a translation can agree with the noun (la traccia, il partner)."""
    seen: set[str] = set()
    for loc, value in items:
        if value.lower() in seen:
            yield Issue(loc, twice(value), hint)
        seen.add(value.lower())


def _tracks(event: Event) -> Iterator[Issue]:
    yield from _unique(
        ((("tracks", i, "slug"), t.slug) for i, t in enumerate(event.tracks)),
        lambda value: N_("the track '{value}' is listed twice", value=value),
        N_("give each track its own value, or remove the repeated one"),
    )
    yield from _unique(
        (
            (("tracks", i, "challenges", j), slug)
            for i, t in enumerate(event.tracks)
            for j, slug in enumerate(t.challenges)
        ),
        lambda value: N_("the challenge '{value}' is listed twice", value=value),
        N_("give each challenge its own value, or remove the repeated one"),
    )


def _prizes(event: Event) -> Iterator[Issue]:
    tracks = {t.slug for t in event.tracks}
    challenges = set(event.challenge_slugs())
    partners = {p.key for p in event.partners}
    for i, prize in enumerate(event.prizes):
        if prize.track is not None and prize.challenge is not None:
            yield Issue(
                ("prizes", i),
                N_("prizes[{index}] names both a track and a challenge", index=i),
                N_(
                    "keep one: `track:` for a prize of the whole track, `challenge:` for one "
                    "challenge"
                ),
                at_key=True,
            )
        if prize.track is not None and prize.track not in tracks:
            yield Issue(
                ("prizes", i, "track"),
                N_(
                    "prizes[{index}].track '{track}' is not a track of this event",
                    index=i,
                    track=prize.track,
                ),
                N_("use one of: {names}", names=", ".join(sorted(tracks))),
            )
        if prize.challenge is not None and prize.challenge not in challenges:
            yield Issue(
                ("prizes", i, "challenge"),
                N_(
                    "prizes[{index}].challenge '{challenge}' is in no track of this event",
                    index=i,
                    challenge=prize.challenge,
                ),
                N_(
                    "add it to a track's `challenges:`, or use one of: {names}",
                    names=", ".join(sorted(challenges)),
                ),
            )
        if prize.sponsor is not None and prize.sponsor not in partners:
            keys = listed(sorted(partners), N_("(no partners listed yet)"))
            yield Issue(
                ("prizes", i, "sponsor"),
                N_(
                    "prizes[{index}].sponsor '{sponsor}' is not the key of a partner",
                    index=i,
                    sponsor=prize.sponsor,
                ),
                N_(
                    "add the sponsor under `partners:` with that key, or use one of: {names}",
                    names=keys,
                ),
            )


def _registration(event: Event) -> Iterator[Issue]:
    reg = event.registration
    yield from _unique(
        ((("registration", "questions", i, "key"), q.key) for i, q in enumerate(reg.questions)),
        lambda value: N_("the question key '{value}' is listed twice", value=value),
        N_("give each question key its own value, or remove the repeated one"),
    )
    yield from _unique(
        ((("registration", "consents", i, "key"), c.key) for i, c in enumerate(reg.consents)),
        lambda value: N_("the consent key '{value}' is listed twice", value=value),
        N_("give each consent key its own value, or remove the repeated one"),
    )
    for i, question in enumerate(reg.questions):
        loc = ("registration", "questions", i)
        if question.kind is QuestionKind.TEXT and question.options:
            yield Issue(
                (*loc, "kind"),
                N_("question '{key}' is a text question but lists options", key=question.key),
                N_("remove `options:`, or make it `kind: choice` or `kind: multiple`"),
            )
        if question.kind is not QuestionKind.TEXT and len(question.options) < 2:
            yield Issue(
                (*loc, "kind"),
                N_(
                    "question '{key}' offers {count} option(s) to choose from",
                    key=question.key,
                    count=len(question.options),
                ),
                N_(
                    "list at least two `options:` (each with a key and a label), or make it "
                    "`kind: text`"
                ),
            )
        yield from _unique(
            (((*loc, "options", j, "key"), o.key) for j, o in enumerate(question.options)),
            lambda value: N_("the option key '{value}' is listed twice", value=value),
            N_("give each option key its own value, or remove the repeated one"),
        )


def _people(emails: list[str], key: str) -> Iterator[Issue]:
    yield from _unique(
        (((key, i), email) for i, email in enumerate(emails)),
        lambda value: N_("the e-mail address '{value}' is listed twice", value=value),
        N_("give each e-mail address its own value, or remove the repeated one"),
    )
