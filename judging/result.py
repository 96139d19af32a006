"""What judging one submission produced, ready to store.

`logs` is split by audience so the app cannot show the wrong thing by accident:
`participant` holds the tails of the team's own program output (what they need
to fix a crash), `organiser` the scoring container's output and the failure's
detail, which may mention the hidden data and is never shown to teams.
`withheld` holds the program's output instead of `participant` when it ran on
inputs the team may not read (`IngestionSpec.team_sees_output` is False): the
organisers read it, and may approve an excerpt of it for the team, but no
reader of `participant` can show it by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from judging.failures import Failure
from judging.messages import Message
from judging.scores import Scores

Status = Literal["scored", "failed"]
SCORED = Message("scored")
SCORED_MESSAGE = SCORED.english()


@dataclass
class Provenance:
    """Enough to rerun the same judging and compare: the inputs' digests and the image."""

    submission_sha256: str = ""
    data_sha256: str = ""
    scoring_sha256: str = ""
    image_id: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "submission_sha256": self.submission_sha256,
            "data_sha256": self.data_sha256,
            "scoring_sha256": self.scoring_sha256,
            "image_id": self.image_id,
        }


@dataclass
class Logs:
    participant: dict[str, str] = field(default_factory=dict)
    organiser: dict[str, str] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, dict[str, str]]:
        audiences = {"participant": dict(self.participant), "organiser": dict(self.organiser)}
        if self.withheld:
            audiences["withheld"] = dict(self.withheld)
        return audiences


@dataclass
class JudgeResult:
    failure: Failure | None
    scores: Scores
    duration_s: float
    logs: Logs
    provenance: Provenance
    # The predictions that were scored (uploaded, or written by the team's code), inside workdir.
    predictions_path: Path | None = None

    @property
    def status(self) -> Status:
        return "failed" if self.failure is not None else "scored"

    @property
    def message(self) -> str:
        return self.failure.message if self.failure is not None else SCORED_MESSAGE

    @property
    def said(self) -> Message:
        return self.failure.said if self.failure is not None else SCORED

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "failure": None if self.failure is None else str(self.failure.category),
            "message": self.message,
            "message_i18n": self.said.to_json(),
            "scores": {part: dict(values) for part, values in self.scores.items()},
            "duration_s": round(self.duration_s, 3),
            "logs": self.logs.to_json(),
            "provenance": self.provenance.to_json(),
        }
