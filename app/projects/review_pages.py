"""Review assignment of a project track on the site: the organisers' page and the judges'.

/organise/{slug}/reviews: organisers run the balanced assignment, see its shortfalls and
every judge's and team's completeness, and add or remove one assignment by hand.
/judge/{slug}/projects: a judge sees the projects assigned to them (nobody else's), each
linking to the jury's review form, and declares their affiliation and conflicts.

Both answer 404 for a challenge that is not a project track, as the jury's pages do for a
challenge someone does not judge: nothing there to act on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import JudgeUser, OrganiserUser, require_judge, require_organiser
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.web import AnyChallenge, OrganisedChallenge
from app.core.refusal import Refusal
from app.i18n.speech import gettext as _
from app.jury import service as jury
from app.jury.ranking import JudgingSpec
from app.projects import reviews
from app.projects.assignment import Assignment
from app.projects.review_models import AFFILIATION_MAX, REASON_MAX
from app.web.deps import SessionDep
from app.web.errors import Refused, status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["project reviews"])
organise = APIRouter(dependencies=[Depends(require_organiser)])
judge = APIRouter(dependencies=[Depends(require_judge)])
NOTICE = "project_reviews_notice"


def _track(challenge: Challenge) -> Challenge:
    if not reviews.project_track(challenge.config):
        raise Refused(reviews.not_a_track())
    return challenge


# --- organisers -----------------------------------------------------------------------------


def _organise_page(
    page: Page, db: Session, challenge: Challenge, *, problem: Refusal | None = None
) -> HTMLResponse:
    assert challenge.id is not None
    loads, coverage = reviews.completeness(db, challenge)
    teams = reviews.reviewable_teams(db, challenge)
    judges = reviews.eligible_judges(db, challenge)
    names = {u.id: u.name for u in judges} | {load.judge.id: load.judge.name for load in loads}
    by_team: dict[int, list[tuple[int, str, str]]] = {}
    for a in reviews.assignments_of(db, challenge.id):
        by_team.setdefault(a.team_id, []).append(
            (a.judge_id, names.get(a.judge_id, f"#{a.judge_id}"), str(a.source))
        )
    context: dict[str, Any] = {
        "challenge": challenge,
        "k": reviews.reviews_per_project(challenge.config),
        "loads": loads,
        "coverage": coverage,
        "most": max((load.assigned for load in loads), default=0),
        "teams": teams,
        "judges": judges,
        "by_team": by_team,
        "preview": reviews.dry_run(db, challenge),
        "assigned_any": any(by_team.values()),
        "has_rubric": JudgingSpec.from_config(challenge.config) is not None,
        "problem": problem,
        "notice": page.request.session.pop(NOTICE, None),
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("projects/review_organise.html", context, status=status)


def _organise_done(
    page: Page, db: Session, challenge: Challenge, outcome: object, notice: dict[str, Any]
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organise_page(page, db, challenge, problem=outcome)
    db.commit()
    page.request.session[NOTICE] = notice
    path = page.request.url_for("organise_project_reviews", slug=challenge.slug).path
    return RedirectResponse(path, 303)


@organise.get(
    "/organise/{slug}/reviews", response_class=HTMLResponse, name="organise_project_reviews"
)
def organise_project_reviews(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _organise_page(page, db, _track(challenge))


@organise.post("/organise/{slug}/reviews/assign", name="organise_assign_reviews")
def organise_assign_reviews(
    user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> Response:
    outcome = reviews.run_assignment(db, user, _track(challenge))
    notice: dict[str, Any] = {}
    if isinstance(outcome, Assignment):
        notice = {
            "done": "assigned",
            "added": len(outcome.added),
            "dropped": len(outcome.dropped),
            "shortfalls": len(outcome.shortfalls),
        }
    return _organise_done(page, db, challenge, outcome, notice)


@organise.post("/organise/{slug}/reviews/add", name="organise_add_review")
def organise_add_review(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    team_id: int = Form(ge=1),
    judge_id: int = Form(ge=1),
) -> Response:
    outcome = reviews.add_assignment(db, user, _track(challenge), team_id, judge_id)
    return _organise_done(page, db, challenge, outcome, {"done": "added"})


@organise.post("/organise/{slug}/reviews/remove", name="organise_remove_review")
def organise_remove_review(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    team_id: int = Form(ge=1),
    judge_id: int = Form(ge=1),
) -> Response:
    outcome = reviews.remove_assignment(db, user, _track(challenge), team_id, judge_id)
    return _organise_done(page, db, challenge, outcome, {"done": "removed"})


# --- judges ---------------------------------------------------------------------------------


def _judged(db: Session, challenge: Challenge, user: User) -> Challenge:
    """The jury's gate (assigned, not competing), then: a project track."""
    assert challenge.id is not None and user.id is not None
    if not jury.is_assigned(db, challenge.id, user.id):
        raise HTTPException(
            404,
            _("You are not a judge of “{slug}”; ask the organisers.").format(slug=challenge.slug),
        )
    refused = jury.competes(db, challenge.id, user.id)
    if refused is not None:
        raise Refused(refused)
    return _track(challenge)


def _judge_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    user: User,
    *,
    problem: Refusal | None = None,
) -> HTMLResponse:
    assert challenge.id is not None and user.id is not None
    mine = reviews.assigned_teams(db, challenge.id, user.id)
    done = {
        review.team_id
        for review, _judge, _team in jury.reviews_of(db, challenge.id)
        if review.judge_id == user.id
    }
    declared = reviews.declared_conflicts(db, challenge.id, user.id)
    teams = reviews.reviewable_teams(db, challenge)
    context: dict[str, Any] = {
        "challenge": challenge,
        "mine": mine,
        "done": done,
        "declared": declared,
        "declared_ids": {d.team_id for d in declared},
        "team_names": {t.id: t.name for t in teams},
        "teams": teams,
        "affiliation": reviews.affiliation_of(db, challenge.id, user.id),
        "affiliation_max": AFFILIATION_MAX,
        "reason_max": REASON_MAX,
        "problem": problem,
        "notice": page.request.session.pop(NOTICE, None),
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("projects/review_judge.html", context, status=status)


def _judge_done(
    page: Page, db: Session, challenge: Challenge, user: User, outcome: object, done: str
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        return _judge_page(page, db, challenge, user, problem=outcome)
    db.commit()
    page.request.session[NOTICE] = {"done": done}
    return RedirectResponse(page.request.url_for("judge_projects", slug=challenge.slug).path, 303)


@judge.get("/judge/{slug}/projects", response_class=HTMLResponse, name="judge_projects")
def judge_projects(
    user: JudgeUser, challenge: AnyChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _judge_page(page, db, _judged(db, challenge, user), user)


@judge.post("/judge/{slug}/projects/affiliation", name="judge_affiliation")
def judge_affiliation(
    user: JudgeUser,
    challenge: AnyChallenge,
    db: SessionDep,
    page: PageDep,
    affiliation: str = Form("", max_length=4 * AFFILIATION_MAX),
) -> Response:
    challenge = _judged(db, challenge, user)
    outcome = reviews.set_affiliation(db, user, challenge, affiliation)
    return _judge_done(page, db, challenge, user, outcome, "affiliation")


@judge.post("/judge/{slug}/projects/conflicts", name="judge_declare_conflict")
def judge_declare_conflict(
    user: JudgeUser,
    challenge: AnyChallenge,
    db: SessionDep,
    page: PageDep,
    team_id: int = Form(ge=1),
    reason: str = Form("", max_length=4 * REASON_MAX),
) -> Response:
    challenge = _judged(db, challenge, user)
    outcome = reviews.declare_conflict(db, user, challenge, team_id, reason)
    return _judge_done(page, db, challenge, user, outcome, "declared")


@judge.post("/judge/{slug}/projects/conflicts/withdraw", name="judge_withdraw_conflict")
def judge_withdraw_conflict(
    user: JudgeUser,
    challenge: AnyChallenge,
    db: SessionDep,
    page: PageDep,
    team_id: int = Form(ge=1),
) -> Response:
    challenge = _judged(db, challenge, user)
    outcome = reviews.withdraw_conflict(db, user, challenge, team_id)
    return _judge_done(page, db, challenge, user, outcome, "withdrawn")


router.include_router(organise)
router.include_router(judge)
