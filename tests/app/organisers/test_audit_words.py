"""The audit log page says in words what each action did, and shows nothing internal."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.audit.words import SENTENCES
from tests.app.web.web_helpers import challenge, engine_of, person, team_for

DIGEST = "9f" * 32

EVENTS: list[tuple[str, str, dict[str, object]]] = [
    ("bundle.upload", "sea-temp", {"action": "updated", "version": 3,
     "filename": "C:\\Users\\olga\\Desktop\\sea.zip", "hidden_filename": "/home/olga/hidden.zip"}),
    ("challenge.publish", "sea-temp", {}),
    ("phase.dates", "development", {
        "old": {"start": "2027-03-01T08:00:00+00:00", "end": "2027-03-10T08:00:00+00:00"},
        "new": {"start": "2027-03-01T09:00:00+00:00", "end": "2027-04-10T08:00:00+00:00"}}),
    ("team.disqualify", "Delfini", {"team_id": 0, "reason": "Used the test labels."}),
    ("submission.cancel", "submission 41", {"submission_id": 41, "team_id": 0, "reason": ""}),
    ("submission.log_excerpt.approve", "submission 41",
     {"submission_id": 41, "team_id": 0, "excerpt_sha256": DIGEST}),
    ("board.freeze", "sea-temp", {"frozen_at": "2027-03-05T17:00:00+00:00"}),
    ("board.reveal", "sea-temp", {"phases_not_over": ["development"], "automatic_finals": 2}),
    ("export.archive", "sea-temp", {"phase": "development", "files": 12, "missing": 1}),
    ("rescore.apply", "set 3", {"set_id": 3, "changed": 4, "rescued": 1, "unchanged": 7,
     "kept_old_after_failure": 0, "left_alone": 0}),
    ("judge.assign", "judy@example.org", {"user_id": 9}),
    ("something.new", "x", {"secret_path": "/var/marea/store/ab/cd"}),
]  # fmt: skip


def _visible(page: str) -> str:
    body = page[page.index("<h1>") :]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_every_recorded_action_has_a_sentence() -> None:
    recorded = set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', _sources()))
    recorded |= {"board.reveal", "export.leaderboard", "export.submissions", "export.archive"}
    recorded |= {"review.create", "review.update"}
    per_challenge = {a for a in recorded if not a.startswith(("user.", "export.{"))}
    assert per_challenge <= set(SENTENCES), sorted(per_challenge - set(SENTENCES))


def _sources() -> str:
    """The action codes written literally in every `record(` call of the application."""
    texts = []
    for path in (Path(__file__).resolve().parents[3] / "app").rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"\brecord\(\s*[^)]*?\"([a-z_]+\.[a-z_.]+)\"", text, re.S):
            texts.append(f'"{call.group(1)}"')
    return " ".join(texts)


def test_audit_page_speaks_in_sentences_without_codes_or_paths(site: TestClient) -> None:
    cid, _ = challenge(site)
    org = person(site, "olga@example.org", "Olga", Role.organiser)
    captain = person(site, "cap@example.org", "Cap")
    team_id = team_for(site, cid, captain, "Delfini")
    with Session(engine_of(site)) as session:
        for i, (action, target, detail) in enumerate(EVENTS):
            if detail.get("team_id") == 0:
                detail = {**detail, "team_id": team_id}
            session.add(
                AuditEvent(
                    at=datetime(2027, 3, 5, 12, i, tzinfo=UTC),
                    actor_id=None if action == "rescore.apply" else org.user_id,
                    challenge_id=cid,
                    action=action,
                    target=target,
                    detail=detail,
                )
            )
        session.commit()
    english = _visible(org.client.get("/organise/sea-temp/audit?lang=en").text)
    for sentence in (
        "Olga uploaded the bundle sea.zip with the hidden files hidden.zip (version 3).",
        "Olga published the challenge.",
        "Olga moved the dates of phase development from 1 March 2027, 09:00 – 10 March 2027, "
        "09:00 to 1 March 2027, 10:00 – 10 April 2027, 10:00.",
        "Olga disqualified team Delfini for: “Used the test labels.”",
        "Olga cancelled submission 41 of team Delfini.",
        "Olga approved the log excerpt of submission 41 for team Delfini.",
        "Olga froze the public leaderboard at 5 March 2027, 18:00.",
        "Olga revealed the private leaderboard. Phases not over yet: development. 2 final "
        "submissions were chosen automatically",
        "Olga downloaded the files of phase development as a zip (12 files). 1 file was missing",
        "The system applied rescoring set 3: 4 scores changed",
        "Olga made judy@example.org a judge of this challenge.",
        "Olga did something this page cannot describe yet (something.new).",
    ):
        assert " ".join(sentence.split()) in " ".join(english.split()), sentence
    for internal in (DIGEST, "C:\\", "Users", "/home/", "/var/marea", "team.disqualify",
                     "board.freeze", "excerpt_sha256", "team_id", "{"):  # fmt: skip
        assert internal not in english, internal
    italian = " ".join(_visible(org.client.get("/organise/sea-temp/audit?lang=it").text).split())
    assert "Olga ha squalificato la squadra Delfini per: «Used the test labels.»" in italian
    assert "Il sistema ha applicato l'insieme di rivalutazione 3" in italian
    assert "Olga ha congelato la classifica pubblica al 5 marzo 2027, 18:00." in italian
