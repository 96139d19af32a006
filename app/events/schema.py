"""The shape of event.yaml (format 1): a city hackathon as a whole.

An event is authored like a challenge bundle — a folder with one YAML file and
the Markdown pages and logos it names — and checked the same way, with every
error placed at its key. It reuses the bundle's building blocks (texts in both
languages, safe relative paths, time zones) so the two formats read alike.
Rules that relate several keys (dates in order, prizes naming real tracks) live
in `rules.py`; field descriptions double as the fix hint shown on a bad value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StrictBool

from app.bundles.schema import (
    BundlePath,
    Count,
    Key,
    Localised,
    LocalisedPath,
    Model,
    Text,
    TimeZone,
)
from app.text.words import N_

EVENT_FILE = "event.yaml"

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]{2,63}$",
        description=N_("3 to 64 lowercase letters, digits and '-', e.g. 'hackathon-del-mare-2027'"),
    ),
]
Email = Annotated[
    str,
    Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description=N_("an e-mail address such as hackathon@comune.example.it"),
    ),
]
WebAddress = Annotated[
    str,
    Field(pattern=r"^https?://\S+$", description=N_("a web address starting with https://")),
]
Moment = Annotated[
    AwareDatetime,
    Field(
        description=N_("a date and time with a time zone, e.g. 2027-05-14T09:00:00+02:00"),
    ),
]


class Dates(Model):
    registration_opens: Moment
    registration_closes: Moment
    hacking_starts: Moment
    hacking_ends: Moment
    results: Moment


class Venue(Model):
    name: Text = Field(description=N_("the place's name, e.g. 'Centro Allende'"))
    address: Text = Field(description=N_("the street address, e.g. 'Via Mazzini 47, La Spezia'"))
    map_url: WebAddress | None = None


class Pages(Model):
    about: LocalisedPath = Field(description=N_("{{it: pages/about.it.md, en: pages/about.en.md}}"))
    code_of_conduct: LocalisedPath = Field(
        description=N_("{{it: pages/conduct.it.md, en: pages/conduct.en.md}}")
    )
    data_terms: LocalisedPath | None = None


class Session(Model):
    """One item of the agenda."""

    start: Moment
    end: Moment | None = None
    title: Localised = Field(description=N_("what happens, in Italian and English"))
    place: Localised | None = None


class Track(Model):
    slug: Slug
    title: Localised = Field(description=N_("the track's title, in Italian and English"))
    summary: Localised | None = None
    challenges: list[Slug] = Field(
        default_factory=list,
        description=N_("the slugs of the challenges of this track, e.g. [sea-surface-temperature]"),
    )


class Prize(Model):
    title: Localised = Field(description=N_("the prize, in Italian and English"))
    track: Slug | None = None
    challenge: Slug | None = None
    rank: Count | None = Field(
        default=None, description=N_("the place it rewards: 1 for the winner, 2 for the second…")
    )
    value: Localised | None = None
    sponsor: Key | None = Field(
        default=None, description=N_("the `key` of one of the event's partners")
    )


class Partner(Model):
    key: Key
    name: Text = Field(description=N_("the partner's name as shown on the event page"))
    url: WebAddress | None = None
    logo: BundlePath | None = Field(
        default=None,
        description=N_("a PNG, JPEG or WebP file in the event folder, e.g. logos/port.png"),
    )
    role: Localised | None = None


class QuestionKind(StrEnum):
    CHOICE = "choice"  # one of the options
    MULTIPLE = "multiple"  # any of the options
    TEXT = "text"  # a short free answer


class Option(Model):
    key: Key
    label: Localised = Field(description=N_("the option, in Italian and English"))


class Question(Model):
    key: Key
    label: Localised = Field(description=N_("the question, in Italian and English"))
    kind: QuestionKind = Field(description=N_("choice, multiple or text"))
    options: list[Option] = Field(default_factory=list)
    required: StrictBool = False


class Consent(Model):
    key: Key
    text: Localised = Field(
        description=N_("what the participant agrees to, in Italian and English")
    )
    version: Text = Field(
        description=N_("a label for this wording, e.g. '2027-03'; change it when the text changes")
    )
    required: StrictBool = True


class RegistrationMode(StrEnum):
    OPEN = "open"  # whoever registers takes part
    APPROVAL = "approval"  # the organisers approve each registration


class Registration(Model):
    mode: RegistrationMode = RegistrationMode.OPEN
    capacity: Count | None = Field(
        default=None, description=N_("the most participants admitted; the rest wait in line")
    )
    questions: list[Question] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)


class Event(Model):
    format: Literal[1] = Field(description=N_("the format version: write 1"))
    slug: Slug
    title: Localised = Field(description=N_("the event's name, in Italian and English"))
    summary: Localised = Field(description=N_("one or two sentences, in Italian and English"))
    time_zone: TimeZone = Field(
        default="Europe/Rome",
        description=N_("the time zone pages show dates in, e.g. 'Europe/Rome' (the default)"),
    )
    dates: Dates = Field(
        description=N_(
            "registration_opens, registration_closes, hacking_starts, hacking_ends, results"
        )
    )
    venue: Venue | None = None
    pages: Pages = Field(description=N_("about and code_of_conduct (data_terms optional)"))
    schedule: list[Session] = Field(default_factory=list)
    tracks: list[Track] = Field(min_length=1, description=N_("at least one track"))
    prizes: list[Prize] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    registration: Registration = Field(default_factory=Registration)
    organisers: list[Email] = Field(
        min_length=1, description=N_("at least one organiser's e-mail address")
    )
    judges: list[Email] = Field(default_factory=list)

    def challenge_slugs(self) -> list[str]:
        return [slug for track in self.tracks for slug in track.challenges]

    def track_of(self, challenge: str) -> Track | None:
        return next((t for t in self.tracks if challenge in t.challenges), None)
