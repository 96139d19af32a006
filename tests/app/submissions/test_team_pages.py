"""The team's own pages (issue 14): scores and final ticks on the list, the comparison of two
submissions, the waiting facts of a queued or running one, cancelling it, and the code-run
instructions of the submit page.

Through the real site (TestClient on SQLite and PostgreSQL, Redis db 15). Scored rows are
inserted with their scores as the worker leaves them; the worker's own race with a cancel is
in test_cancel_race.py.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.queue.live_logs import KEY
from app.submissions.models import Score, Status, Submission, SubmissionEvent
from app.submissions.quotas import usage
from tests.app.web.conftest import client, redis_15, web_settings
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for

__all__ = ["client", "redis_15", "web_settings"]

SLUG = "sea-temp"
PRIVATE_MARK = 7.654321  # a private value whose digits appear nowhere else


def _insert(
    client: TestClient,
    cid: int,
    pid: int,
    team_id: int,
    user_id: int,
    status: Status = Status.scored,
    public: dict[str, float] | None = None,
    private: dict[str, float] | None = None,
    **extra: object,
) -> int:
    with Session(engine_of(client)) as session:
        sub = Submission(challenge_id=cid, phase_id=pid, team_id=team_id, user_id=user_id,
                         kind="predictions", file_sha256="b" * 64, filename="preds.csv", size=20,
                         status=status, **extra)  # type: ignore[arg-type]  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        for split, values in (("public", public or {}), ("private", private or {})):
            for key, value in values.items():
                session.add(Score(submission_id=sub.id, split=split, key=key, value=value))
        session.commit()
        return sub.id


def _world(client: TestClient) -> tuple[int, int, Person, Person, int, int]:
    cid, pid = challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    eve = person(client, "eve@example.org", "Eve")
    team = team_for(client, cid, ada, "Delfini")
    other = team_for(client, cid, eve, "Squali")
    return cid, pid, ada, eve, team, other


def _final(client: TestClient, sid: int) -> bool:
    with Session(engine_of(client)) as session:
        row = session.get(Submission, sid)
        assert row is not None
        return row.selected_final


def _reveal(client: TestClient, cid: int) -> None:
    with Session(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.private_revealed = True
        session.add(ch)
        session.commit()


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_every_public_column_and_no_private_score_before_the_reveal(
    client: TestClient,
) -> None:
    cid, pid, ada, _, team, _ = _world(client)
    sid = _insert(client, cid, pid, team, ada.user_id, public={"rmse": 0.4321, "mae": 0.25},
                  private={"rmse": PRIVATE_MARK, "mae": PRIVATE_MARK})  # fmt: skip
    page = ada.client.get(f"/challenges/{SLUG}/submissions?lang=en")
    assert page.status_code == 200
    assert "RMSE" in page.text and "MAE" in page.text
    assert "0.432" in page.text and "0.25" in page.text
    assert "7.65" not in page.text and "7,65" not in page.text
    assert "Private scores are shown at the end." in page.text
    assert f'/submissions/{sid}">{sid}</a>' in page.text
    italian = ada.client.get(f"/challenges/{SLUG}/submissions?lang=it")
    assert "0,432" in italian.text and "Salva le scelte finali" in italian.text
    _reveal(client, cid)
    after = ada.client.get(f"/challenges/{SLUG}/submissions?lang=en")
    assert "7.654" in after.text and "(private)" in after.text


def test_final_ticks_save_in_one_form_and_respect_the_limit(client: TestClient) -> None:
    cid, pid, ada, eve, team, other = _world(client)
    with Session(engine_of(client)) as session:  # N = 2
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {
            **ch.config,
            "leaderboard": {**ch.config["leaderboard"], "final_submissions": 2},
        }
        session.add(ch)
        session.commit()
    a, b, c = (_insert(client, cid, pid, team, ada.user_id, public={"rmse": v}) for v in (1, 2, 3))
    failed = _insert(client, cid, pid, team, ada.user_id, status=Status.failed)
    theirs = _insert(client, cid, pid, other, eve.user_id, public={"rmse": 0.1})
    page = ada.client.get(f"/challenges/{SLUG}/submissions?lang=en").text
    assert f'name="final" value="{a}"' in page and f'name="final" value="{failed}"' not in page
    token = ada.csrf(f"/challenges/{SLUG}/submissions")
    url = f"/challenges/{SLUG}/submissions/finals"

    def save(who: Person, shown: list[int], final: list[int], tok: str = token) -> object:
        return who.client.post(url, data={"csrf_token": tok, "shown": [str(i) for i in shown],
                                          "final": [str(i) for i in final]},
                               follow_redirects=False)  # fmt: skip

    saved = save(ada, [a, b, c], [a, b])
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert saved.headers["location"].endswith("?saved=1")  # type: ignore[attr-defined]
    confirmed = ada.client.get(saved.headers["location"] + "&lang=en")  # type: ignore[attr-defined]
    assert "Saved: your team" in confirmed.text
    assert f'value="{a}" form="finals-form" id="final-{a}" checked' in confirmed.text
    assert (_final(client, a), _final(client, b), _final(client, c)) == (True, True, False)
    # three is over the limit: refused as a whole, nothing changes
    over = save(ada, [a, b, c], [a, b, c])
    assert over.status_code == 409 and "at most 2 final" in over.text  # type: ignore[attr-defined]
    assert (_final(client, a), _final(client, b), _final(client, c)) == (True, True, False)
    # a swap within the limit: the untick is applied first
    assert save(ada, [a, b, c], [b, c]).status_code == 303  # type: ignore[attr-defined]
    assert (_final(client, a), _final(client, b), _final(client, c)) == (False, True, True)
    # a row not shown (another page) is left alone
    assert save(ada, [a], []).status_code == 303  # type: ignore[attr-defined]
    assert (_final(client, b), _final(client, c)) == (True, True)
    # another team's submission: not found, and not chosen
    eve_token = eve.csrf(f"/challenges/{SLUG}/submissions")
    assert save(eve, [a], [a], eve_token).status_code == 404  # type: ignore[attr-defined]
    assert save(ada, [theirs], [theirs]).status_code == 404  # type: ignore[attr-defined]
    assert not _final(client, theirs) and not _final(client, a)
    # once the phase has ended the ticks are gone and a forged form is refused
    with Session(engine_of(client)) as session:
        phase = session.get(Phase, pid)
        assert phase is not None
        phase.end = utcnow() - timedelta(minutes=1)
        session.add(phase)
        session.commit()
    locked = ada.client.get(f"/challenges/{SLUG}/submissions?lang=en").text
    assert 'name="final"' not in locked and ">final</span>" in locked
    refused = save(ada, [b], [])
    assert refused.status_code == 409 and "closed" in refused.text  # type: ignore[attr-defined]
    assert _final(client, b)
    no_token = ada.client.post(url, data={"shown": [str(b)]}, follow_redirects=False)
    assert no_token.status_code == 403


def test_two_submissions_compare_side_by_side(client: TestClient) -> None:
    cid, pid, ada, eve, team, other = _world(client)
    a = _insert(client, cid, pid, team, ada.user_id, public={"rmse": 0.5, "mae": 0.3},
                private={"rmse": PRIVATE_MARK}, duration_s=12.0)  # fmt: skip
    b = _insert(client, cid, pid, team, ada.user_id, public={"rmse": 0.25, "mae": 0.4},
                description="second idea")  # fmt: skip
    theirs = _insert(client, cid, pid, other, eve.user_id, public={"rmse": 0.1})
    page = ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={b}&lang=en")
    assert page.status_code == 200
    text = page.text
    assert "-0.250" in text  # rmse: 0.25 - 0.5, three decimals
    assert "+0.10" in text  # mae: 0.4 - 0.3, two decimals
    assert "lower is better" in text and "second idea" in text and "12.0 s" in text
    assert "7.65" not in text and "Private scores are shown at the end." in text
    # the better value is marked: b on rmse, a on mae
    rmse_row = text.split('data-key="rmse"')[1].split("</tr>")[0]
    assert "0.250 <strong>better</strong>" in rmse_row and "0.500 <strong>" not in rmse_row
    mae_row = text.split('data-key="mae"')[1].split("</tr>")[0]
    assert "0.30 <strong>better</strong>" in mae_row
    assert (
        ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&lang=en").status_code == 422
    )
    assert ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={a}").status_code == 422
    assert (
        ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={theirs}").status_code
        == 404
    )
    assert eve.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={b}").status_code == 404
    italian = ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={b}&lang=it").text
    assert "Confronta" in italian and "-0,250" in italian
    _reveal(client, cid)
    assert (
        "7.654"
        in ada.client.get(f"/challenges/{SLUG}/submissions/compare?s={a}&s={b}&lang=en").text
    )


# -- waiting, running, cancelling -------------------------------------------------------------


def test_a_queued_submission_shows_its_place_and_an_estimate(client: TestClient) -> None:
    cid, pid, ada, eve, team, other = _world(client)
    now = utcnow()
    for seconds in (10.0, 20.0, 30.0):  # recent runs of this challenge: median 20 s
        _insert(client, cid, pid, other, eve.user_id, duration_s=seconds, finished_at=now)
    _insert(client, cid, pid, other, eve.user_id, status=Status.queued,
            created_at=now - timedelta(minutes=2))  # fmt: skip
    mine = _insert(client, cid, pid, team, ada.user_id, status=Status.queued,
                   created_at=now - timedelta(minutes=1))  # fmt: skip
    page = ada.client.get(f"/submissions/{mine}?lang=en").text
    assert "about 1 submission ahead of it" in page
    assert "result in about 40 seconds" in page  # 2 rounds of 20 s, no run going on now
    assert "the middle of the last 3" in page
    assert "Cancel this submission" in page and "does not count against your team" in page
    italian = ada.client.get(f"/submissions/{mine}?lang=it").text
    assert "In coda" in italian and "Annulla questo invio" in italian
    fragment = ada.client.get(f"/submissions/{mine}/result?lang=en").text
    assert 'id="queue-position"' in fragment  # what submission.js refreshes


def test_a_running_code_submission_shows_elapsed_time_against_its_limit(
    client: TestClient,
) -> None:
    cid, pid, ada, _, team, _ = _world(client)
    with Session(engine_of(client)) as session:
        phase = session.get(Phase, pid)
        assert phase is not None
        phase.kind = "code"
        phase.code = {"command": ["python3", "main.py"], "time_limit_s": 120, "memory_mb": 512}
        session.add(phase)
        session.commit()
    started = utcnow() - timedelta(seconds=30)
    sid = _insert(client, cid, pid, team, ada.user_id, status=Status.running, started_at=started)
    page = ada.client.get(f"/submissions/{sid}?lang=en").text
    assert 'id="elapsed"' in page and "of at most 2 minutes" in page
    assert "no estimate yet" in page
    assert "Cancel this submission" not in page  # running: too late for the team


def test_cancelling_a_queued_submission_is_audited_and_frees_the_quota(
    client: TestClient,
) -> None:
    cid, pid, ada, eve, team, _ = _world(client)
    sid = _insert(client, cid, pid, team, ada.user_id, status=Status.queued)
    with Session(engine_of(client)) as session:
        assert usage(session, pid, team, utcnow()).today == 1
    token = ada.csrf(f"/submissions/{sid}")
    assert eve.client.post(f"/submissions/{sid}/cancel",
                           data={"csrf_token": eve.csrf(f"/submissions/{sid}")}).status_code == 404  # fmt: skip
    done = ada.client.post(f"/submissions/{sid}/cancel", data={"csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].endswith("?cancelled=1")
    shown = ada.client.get(done.headers["location"] + "&lang=en").text
    assert "Cancelled: the submission left the queue" in shown
    with Session(engine_of(client)) as session:
        row = session.get(Submission, sid)
        assert row is not None and row.status == Status.cancelled
        assert usage(session, pid, team, utcnow()).today == 0
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "submission.withdraw")
        ).all()
        assert [(e.actor_id, e.detail["submission_id"]) for e in audit] == [(ada.user_id, sid)]
        events = session.exec(select(SubmissionEvent.status).where(
            SubmissionEvent.submission_id == sid).order_by(col(SubmissionEvent.id))).all()  # fmt: skip
        assert events == ["cancelled"]
    again = ada.client.post(f"/submissions/{sid}/cancel", data={"csrf_token": token})
    assert again.status_code == 409
    # a running one: refused, and the page says why
    running = _insert(client, cid, pid, team, ada.user_id, status=Status.running,
                      started_at=utcnow())  # fmt: skip
    late = ada.client.post(f"/submissions/{running}/cancel?lang=en", data={"csrf_token": token})
    assert late.status_code == 409 and "judging had already started" in late.text
    # the API: the same rule, with a submit token
    queued = _insert(client, cid, pid, team, ada.user_id, status=Status.queued)
    api = client.post(f"/api/v1/submissions/{queued}/cancel", headers=ada.bearer())
    assert api.status_code == 200 and api.json()["status"] == "cancelled"
    assert (
        client.post(f"/api/v1/submissions/{queued}/cancel", headers=ada.bearer()).status_code == 409
    )
    assert (
        client.post(f"/api/v1/submissions/{running}/cancel", headers=eve.bearer()).status_code
        == 404
    )


def test_the_submit_page_of_a_code_phase_says_what_to_upload(client: TestClient) -> None:
    cid, pid, ada, _, _, _ = _world(client)
    with Session(engine_of(client)) as session:
        phase = session.get(Phase, pid)
        ch = session.get(Challenge, cid)
        assert phase is not None and ch is not None
        phase.kind = "code"
        phase.code = {"command": ["python3", "solve.py"], "time_limit_s": 90, "memory_mb": 768,
                      "cpus": 2.0}  # fmt: skip
        ch.config = {**ch.config, "scoring": {"builtin": {}, "predictions_file": "plan.csv"},
                     "data": {"inputs": [{"path": "data/inputs/ships.csv"}]}}  # fmt: skip
        session.add(phase)
        session.add(ch)
        session.commit()
    page = ada.client.get(f"/challenges/{SLUG}/submit?lang=en").text
    assert "<code>python3 solve.py</code>" in page
    assert "90 seconds" in page and "768 MB" in page and "2.0" in page
    assert "/output/plan.csv" in page and "<code>ships.csv</code>" in page
    assert "├── solve.py" in page and "/submission" in page
    italian = ada.client.get(f"/challenges/{SLUG}/submit?lang=it").text
    assert "90 secondi" in italian and "Cosa caricare" in italian
    with Session(engine_of(client)) as session:
        phase = session.get(Phase, pid)
        assert phase is not None
        phase.kind = "predictions"
        phase.code = None
        session.add(phase)
        session.commit()
    assert "python3 solve.py" not in ada.client.get(f"/challenges/{SLUG}/submit?lang=en").text


def test_the_live_output_shows_only_where_the_log_policy_allows(
    client: TestClient, redis_15: redis.Redis
) -> None:
    cid, pid, ada, _, team, _ = _world(client)
    boss = person(client, "boss@example.org", "Boss", Role.organiser)

    def policy(mode: str) -> None:
        with Session(engine_of(client)) as session:
            phase = session.get(Phase, pid)
            assert phase is not None
            phase.kind = "code"
            phase.code = {"command": ["python3", "main.py"], "logs": mode}
            session.add(phase)
            session.commit()

    policy("full")
    sid = _insert(client, cid, pid, team, ada.user_id, status=Status.running, started_at=utcnow())
    with Session(engine_of(client)) as session:
        row = session.get(Submission, sid)
        assert row is not None
        row.kind = "code"
        session.add(row)
        session.commit()
    key = KEY.format(submission_id=sid)
    redis_15.set(key, b"epoch 3/10 loss 0.42\n", ex=60)
    try:
        assert "epoch 3/10 loss 0.42" in ada.client.get(f"/submissions/{sid}?lang=en").text
        assert "epoch 3/10" in ada.client.get(f"/submissions/{sid}/result?lang=en").text
        policy("none")
        hidden = ada.client.get(f"/submissions/{sid}?lang=en").text
        assert "epoch 3/10" not in hidden and "Output so far" not in hidden
        assert "epoch 3/10" in boss.client.get(f"/submissions/{sid}?lang=en").text
    finally:
        redis_15.delete(key)
