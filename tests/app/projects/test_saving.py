"""A team's project: every save a version, the deadline, the version judged, the form's rules."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.projects import service
from app.projects.models import Project, ProjectVersion
from app.teams.models import Team
from tests.app.projects.project_helpers import FORM, build, end_phase, project_id, save
from tests.app.web.web_helpers import engine_of


def test_each_save_is_a_new_version_and_all_are_listed(client: TestClient) -> None:
    world = build(client)
    first = save(world.ada)
    assert first.status_code == 303, first.text
    assert first.headers["location"].endswith(FORM)
    page = world.ada.client.get(FORM + "?lang=en")
    assert 'id="project-saved"' in page.text
    second = save(world.bea, title="Gemello digitale, seconda versione")
    assert second.status_code == 303, second.text
    page = world.ada.client.get(FORM + "?lang=en").text
    assert "Version 1" in page and "Version 2" in page
    assert "Gemello digitale, seconda versione" in page
    with Session(engine_of(client)) as session:
        rows = session.exec(select(ProjectVersion).order_by(ProjectVersion.number)).all()
        assert [v.number for v in rows] == [1, 2]
        assert rows[0].author_id == world.ada.user_id and rows[1].author_id == world.bea.user_id
        # tags are trimmed and case-insensitively unique; the link is kept as typed
        assert rows[0].built_with == ["Python", "QGIS"]
        assert rows[0].links == {"repository": "https://example.org/delfini/twin"}


def test_the_form_is_for_members_of_a_team_only(client: TestClient) -> None:
    world = build(client)
    sent = world.solo.client.get(FORM, follow_redirects=False)
    assert sent.status_code == 303  # to the team page, to form or join a team first
    assert sent.headers["location"].endswith("/team")
    assert client.get(FORM, follow_redirects=False).status_code == 303  # to the login page
    refused = world.solo.client.post(
        FORM, data={"csrf_token": world.solo.csrf("/account"), "title": "x"},
        files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))],
    )  # fmt: skip
    assert refused.status_code == 404
    with Session(engine_of(client)) as session:
        assert session.exec(select(Project)).first() is None


def test_saving_after_the_end_is_refused_and_the_judged_version_is_the_last_before(
    client: TestClient,
) -> None:
    world = build(client)
    assert save(world.ada).status_code == 303
    assert save(world.ada, title="Second").status_code == 303
    end_phase(client, world, hours_ago=0)
    late = save(world.ada, title="Too late")
    assert late.status_code == 409
    assert "can no longer be changed" in late.text
    page = world.ada.client.get(FORM + "?lang=en").text
    assert 'id="project-closed"' in page and "the version judged" in page
    with Session(engine_of(client)) as session:
        project = session.get(Project, project_id(client, world.delfini))
        assert project is not None
        judged = service.judged_version(session, project)
        assert judged is not None and judged.title == "Second"
        assert len(service.versions(session, project)) == 2


def test_judged_version_ignores_what_was_written_after_the_end(client: TestClient) -> None:
    """A version stamped after the end (a clock skew, a row written by hand) is never judged,
    and the service refuses to write one."""
    world = build(client)
    with Session(engine_of(client), expire_on_commit=False) as session:
        challenge = session.get(Challenge, world.cid)
        team = session.get(Team, world.delfini)
        ada = session.get(User, world.ada.user_id)
        phase = session.get(Phase, world.project_phase)
        assert challenge and team and ada and phase
        rules = service.rules_of(challenge)
        assert rules is not None
        draft = service.Draft(
            title="Before", summary="s", licence="MIT", credited=[world.ada.user_id]
        )
        clean = service.check_draft(
            session, challenge, rules, team, draft, 0, None, world.ada.user_id
        )
        assert isinstance(clean, service.Clean)
        end = phase.end
        made = service.save_version(
            session, challenge, team, ada, clean, [], now=end - timedelta(minutes=1)
        )
        assert isinstance(made, ProjectVersion)
        refused = service.save_version(session, challenge, team, ada, clean, [], now=end)
        assert not isinstance(refused, ProjectVersion) and refused.code == "project_closed"
        assert made.project_id is not None
        session.add(
            ProjectVersion(
                project_id=made.project_id, number=2, title="After", summary="s",
                licence="MIT", author_id=world.ada.user_id, created_at=end + timedelta(seconds=1),
            )
        )  # fmt: skip
        session.commit()
        project = session.get(Project, made.project_id)
        assert project is not None
        judged = service.judged_version(session, project)
        assert judged is not None and judged.title == "Before"
        assert service.latest(session, project).title == "After"  # type: ignore[union-attr]


def test_links_must_be_web_addresses_of_the_kinds_the_bundle_asks_for(client: TestClient) -> None:
    world = build(client)
    bad = save(world.ada, link_repository="javascript:alert(1)")
    assert bad.status_code == 422 and "https://" in bad.text
    assert save(world.ada, link_demo="data:text/html,<script>x</script>").status_code == 422
    assert save(world.ada, link_demo="ftp://example.org/x").status_code == 422
    assert save(world.ada, link_demo="https://exa mple.org").status_code == 422
    # the bundle lists repository and demo only: a video link is not the form's
    other = save(world.ada, link_video="https://example.org/v")
    assert other.status_code == 422 and "video" in other.text
    page = world.ada.client.get(FORM + "?lang=en").text
    assert 'name="link_demo"' in page and 'name="link_video"' not in page
    assert save(world.ada, link_demo="http://demo.example.org/").status_code == 303


def test_licence_must_be_one_the_bundle_allows(client: TestClient) -> None:
    world = build(client)
    refused = save(world.ada, licence="Proprietary")
    assert refused.status_code == 422 and "EUPL-1.2, MIT" in refused.text
    # what was typed is kept on the page that says what to fix
    assert "Gemello digitale del golfo" in refused.text
    assert save(world.ada, licence="MIT").status_code == 303


def test_only_members_of_the_team_can_be_credited(client: TestClient) -> None:
    world = build(client)
    stranger = save(world.ada, credited=[str(world.ada.user_id), str(world.eve.user_id)])
    assert stranger.status_code == 422 and "Only members of your team" in stranger.text
    both = save(world.ada, credited=[str(world.ada.user_id), str(world.bea.user_id)])
    assert both.status_code == 303
    with Session(engine_of(client)) as session:
        version = session.exec(select(ProjectVersion)).one()
        assert version.credited == sorted([world.ada.user_id, world.bea.user_id])
    # nobody ticked: whoever saves is credited
    assert save(world.bea, credited=[]).status_code == 303
    with Session(engine_of(client)) as session:
        last = session.exec(select(ProjectVersion).where(ProjectVersion.number == 2)).one()
        assert last.credited == [world.bea.user_id]


def test_summary_is_one_line_and_the_title_is_required(client: TestClient) -> None:
    world = build(client)
    assert save(world.ada, summary="one\ntwo").status_code == 422
    assert save(world.ada, title="   ").status_code == 422
    assert save(world.ada, summary="x" * 201).status_code == 422


def test_files_are_kept_across_versions_unless_left_out(client: TestClient) -> None:
    from tests.app.projects.project_helpers import CLEAN_PDF, png

    world = build(client)
    assert save(world.ada, [("report.pdf", CLEAN_PDF, "application/pdf")]).status_code == 303
    with Session(engine_of(client)) as session:
        first = session.exec(select(ProjectVersion)).one()
        sha = first.files[0]["sha256"]
    assert save(world.ada, [("map.png", png(), "image/png")], keep=[sha]).status_code == 303
    assert save(world.ada).status_code == 303  # nothing kept
    with Session(engine_of(client)) as session:
        rows = session.exec(select(ProjectVersion).order_by(ProjectVersion.number)).all()
        assert [len(v.files) for v in rows] == [1, 2, 0]
        assert [f["type"] for f in rows[1].files] == ["pdf", "png"]
    too_many = save(world.ada, [(f"m{i}.png", png(color=(i, i, i)), "image/png") for i in range(4)])
    assert too_many.status_code == 422 and "at most 3 files" in too_many.text


def test_the_italian_page_speaks_italian(client: TestClient) -> None:
    world = build(client)
    page = world.ada.client.get(FORM).text
    assert "Salva una nuova versione" in page
    refused = world.ada.client.post(FORM, data={**_it_form(world), "licence": "GPL"})
    assert refused.status_code == 422 and "Scegli la licenza" in refused.text


def _it_form(world: object) -> dict[str, object]:
    from tests.app.projects.project_helpers import form

    return form(world.ada)  # type: ignore[attr-defined]
