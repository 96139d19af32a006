"""/judge for judges, and the organisers' judging pages under /organise/{slug}.

A judge who is not assigned to a challenge gets 404 for all of it (nothing to
probe); a judge who belongs to a team gets 403 on that team, with the reason.

Who may call is checked per router: `organise` needs the organiser role, `judge` the judge
role; both are included into `router` (at the bottom), so each refusal names the role the
page needs.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from app.accounts.deps import JudgeUser, OrganiserUser, require_judge, require_organiser
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.web import AnyChallenge, OrganisedChallenge
from app.core.refusal import Refusal
from app.core.store import Store
from app.jury import service
from app.jury.ranking import JudgingSpec
from app.leaderboard.ranking import BoardSpec
from app.projects.review_gate import project_track, review_refusal
from app.submissions.access import current_scores, read_logs
from app.submissions.models import Submission
from app.teams.models import Team
from app.text.attachment import attachment
from app.web.deps import RowId, SessionDep, StoreDep
from app.web.errors import Refused, status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["judges"])
organise = APIRouter(dependencies=[Depends(require_organiser)])
judge = APIRouter(dependencies=[Depends(require_judge)])
CHUNK = 1 << 16


def _spec(challenge: Challenge) -> JudgingSpec:
    spec = JudgingSpec.from_config(challenge.config)
    if spec is None:
        raise HTTPException(404, "This challenge's bundle has no `judging` section, so no judges.")
    return spec


def _judged(db: Session, challenge: Challenge, user: User) -> tuple[Challenge, JudgingSpec]:
    assert challenge.id is not None and user.id is not None
    if not service.is_assigned(db, challenge.id, user.id):
        raise HTTPException(404, f"You are not a judge of {challenge.slug!r}; ask the organisers.")
    refused = service.competes(db, challenge.id, user.id)
    if refused is not None:
        raise Refused(refused)
    return challenge, _spec(challenge)


# --- organisers -----------------------------------------------------------------------------


def _judges_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    spec = JudgingSpec.from_config(challenge.config)
    return page.render(
        "judges/assign.html",
        {
            "challenge": challenge,
            "judges": service.judges_of(db, challenge.id),
            "has_rubric": spec is not None,
            "spec": spec,
            "progress": service.progress(db, challenge, spec) if spec is not None else [],
            "problem": problem,
        },
        status=status,
    )


def _judges_done(page: Page, db: Session, challenge: Challenge, outcome: object) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        return _judges_page(page, db, challenge, status=status_of(outcome), problem=outcome.message)
    db.commit()
    return RedirectResponse(page.request.url_for("organise_judges", slug=challenge.slug).path, 303)


@organise.get("/organise/{slug}/judges", response_class=HTMLResponse, name="organise_judges")
def organise_judges(challenge: OrganisedChallenge, db: SessionDep, page: PageDep) -> HTMLResponse:
    return _judges_page(page, db, challenge)


@organise.post("/organise/{slug}/judges", name="organise_assign_judge")
def organise_assign_judge(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    email: str = Form(),
) -> Response:
    outcome = service.assign(db, user, challenge, email)
    return _judges_done(page, db, challenge, outcome)


@organise.post("/organise/{slug}/judges/remove", name="organise_unassign_judge")
def organise_unassign_judge(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    email: str = Form(),
) -> Response:
    outcome = service.unassign(db, user, challenge, email)
    return _judges_done(page, db, challenge, outcome)


@organise.get("/organise/{slug}/ranking", response_class=HTMLResponse, name="organise_ranking")
def organise_ranking(challenge: OrganisedChallenge, db: SessionDep, page: PageDep) -> HTMLResponse:
    spec = JudgingSpec.from_config(challenge.config)
    return page.render(
        "judges/ranking.html",
        {
            "challenge": challenge,
            "spec": spec,
            "rows": service.ranking(db, challenge, spec) if spec is not None else [],
            "for_judges": False,
        },
    )


@organise.get("/organise/{slug}/reviews.csv", name="organise_reviews_csv")
def organise_reviews_csv(
    slug: str,
    challenge: OrganisedChallenge,
    db: SessionDep,
    by: str = Query("judge", pattern="^(judge|team)$"),
) -> Response:
    text = service.reviews_csv(db, challenge, JudgingSpec.from_config(challenge.config), by)
    if isinstance(text, Refusal):
        raise HTTPException(422, text.message)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-reviews-by-{by}.csv"'},
    )


# --- judges ---------------------------------------------------------------------------------


@judge.get("/judge", response_class=HTMLResponse, name="judge_home")
def judge_home(user: JudgeUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    assert user.id is not None
    judged = service.challenges_judged_by(db, user.id)
    competing = {c.id for c in judged if c.id is not None and service.competes(db, c.id, user.id)}
    return page.render("judges/index.html", {"challenges": judged, "competing": competing})


@judge.get("/judge/{slug}", response_class=HTMLResponse, name="judge_challenge")
def judge_challenge(
    user: JudgeUser, challenge: AnyChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    challenge, spec = _judged(db, challenge, user)
    assert challenge.id is not None and user.id is not None
    rows = service.finalists(db, challenge, spec)
    reviewed = {
        review.team_id
        for review, _judge, _team in service.reviews_of(db, challenge.id)
        if review.judge_id == user.id
    }
    # Shown as such instead of "to do": the judge could open their team's page only to be refused.
    own = {r.team_id for r in rows if service.conflict(db, user, r.team_id) is not None}
    return page.render(
        "judges/finalists.html",
        {
            "challenge": challenge,
            "board": BoardSpec.from_config(challenge.config),
            "rows": rows,
            "reviewed": reviewed,
            "own": own,
        },
    )


@judge.get("/judge/{slug}/ranking", response_class=HTMLResponse, name="judge_ranking")
def judge_ranking(
    user: JudgeUser, challenge: AnyChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    """The organisers' combined ranking, read-only, for the judges of this challenge alone.

    Judges see where their reviews leave the finalists; the same `_judged` gate as their
    other pages keeps out judges of other challenges and judges who compete here.
    """
    challenge, spec = _judged(db, challenge, user)
    return page.render(
        "judges/ranking.html",
        {
            "challenge": challenge,
            "spec": spec,
            "rows": service.ranking(db, challenge, spec),
            "for_judges": True,
        },
    )


def _finalist(
    db: Session, challenge: Challenge, team_id: int, user: User
) -> tuple[Challenge, JudgingSpec, Submission | None]:
    """The finalist's submission; None in a project track, where the team's project is
    reviewed by the judges it is assigned to (app.projects.review_gate) and has no file here."""
    challenge, spec = _judged(db, challenge, user)
    refused = service.conflict(db, user, team_id)
    if refused is not None:
        raise Refused(refused)
    if project_track(challenge.config):
        assert challenge.id is not None and user.id is not None
        refused = review_refusal(db, challenge.id, team_id, user.id)
        if refused is not None:
            raise Refused(refused)
        return challenge, spec, None
    row = service.finalist_row(db, challenge, spec, team_id)
    submission = db.get(Submission, row.submission_id) if row is not None else None
    if submission is None:
        raise HTTPException(404, "This team is not among the finalists of this challenge.")
    return challenge, spec, submission


def _team_page(
    page: Page,
    db: Session,
    store: Store,
    user: User,
    challenge: Challenge,
    spec: JudgingSpec,
    submission: Submission | None,
    team_id: int,
    *,
    status: int = 200,
    problem: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """A finalist's page with its submission, or (submission None) a project track's team."""
    assert challenge.id is not None and user.id is not None
    review = service.review_of(db, challenge.id, team_id, user.id)
    values = form or {
        **{f"rating_{k}": f"{v:g}" for k, v in (review.ratings if review else {}).items()},
        "comment": review.comment if review else "",
    }
    scores: dict[str, dict[str, float]] = {}
    logs: dict[str, str] = {}
    if submission is not None:
        assert submission.id is not None
        scores = current_scores(db, submission.id)
        if not challenge.private_revealed:
            scores.pop("private", None)
        logs = read_logs(store, submission.logs_sha256, organiser=False).get("participant", {})
        team_name = next(
            (r.team_name for r in service.finalists(db, challenge, spec) if r.team_id == team_id),
            "",
        )
    else:
        team = db.get(Team, team_id)
        team_name = team.name if team is not None else ""
    return page.render(
        "judges/team.html",
        {
            "challenge": challenge,
            "spec": spec,
            "board": BoardSpec.from_config(challenge.config),
            "s": submission,
            "team_id": team_id,
            "team_name": team_name,
            "members": service.team_members(db, team_id),
            "scores": scores,
            "logs": logs,
            "values": values,
            "reviewed": review is not None,
            "problem": problem,
        },
        status=status,
    )


@judge.get("/judge/{slug}/teams/{team_id}", response_class=HTMLResponse, name="judge_team")
def judge_team(
    team_id: RowId,
    user: JudgeUser,
    challenge: AnyChallenge,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
) -> HTMLResponse:
    challenge, spec, submission = _finalist(db, challenge, team_id, user)
    return _team_page(page, db, store, user, challenge, spec, submission, team_id)


@judge.post("/judge/{slug}/teams/{team_id}", response_class=HTMLResponse, name="judge_review")
async def judge_review(
    request: Request,
    team_id: RowId,
    user: JudgeUser,
    challenge: AnyChallenge,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
) -> Response:
    challenge, spec, submission = _finalist(db, challenge, team_id, user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    outcome = service.save_review(db, user, challenge, spec, team_id, form)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _team_page(
            page,
            db,
            store,
            user,
            challenge,
            spec,
            submission,
            team_id,
            status=status_of(outcome),
            problem=outcome.message,
            form=form,
        )
    db.commit()
    return RedirectResponse(
        request.url_for("judge_team", slug=challenge.slug, team_id=team_id).path + "?saved=1",
        303,
    )


def _stream(store: Store, sha256: str) -> Iterator[bytes]:
    with store.open(sha256) as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


@judge.get("/judge/{slug}/teams/{team_id}/file", name="judge_team_file")
def judge_team_file(
    team_id: RowId, user: JudgeUser, challenge: AnyChallenge, db: SessionDep, store: StoreDep
) -> StreamingResponse:
    """The file the team submitted, as the scorer received it (predictions or code)."""
    submission = _finalist(db, challenge, team_id, user)[2]
    if submission is None:  # a project track: the project's files are on its own page
        raise HTTPException(404, "A project track's teams submit no file to score.")
    if not store.exists(submission.file_sha256):
        raise HTTPException(404, "The submitted file is no longer in the store.")
    return StreamingResponse(
        _stream(store, submission.file_sha256),
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment(submission.filename, "submission")},
    )


# After every route is declared: including copies the routes, in this order (as before).
router.include_router(organise)
router.include_router(judge)
