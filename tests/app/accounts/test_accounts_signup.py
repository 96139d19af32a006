"""Signing up with a password: validation shown on the form, then a signed-in session."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, User
from tests.app.accounts.helpers import PASSWORD, form_token, sign_up


def _post_signup(client: TestClient, **fields: str) -> str:
    token = form_token(client, "/signup")
    response = client.post("/signup?lang=en", data={**fields, "csrf_token": token})
    assert response.status_code == 422
    text: str = response.text
    return text


def test_short_password_is_explained_next_to_the_field(client: TestClient) -> None:
    page = _post_signup(client, name="Ada", email="ada@example.org", password="short")
    field = re.search(r'<input id="f-password"[^>]*>', page)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "f-password-error" in field.group(0)  # aria-describedby points at the message
    assert re.search(r'id="f-password-error">The password must have at least 10', page)
    # What the person typed is kept, except the password.
    assert 'value="ada@example.org"' in page and 'value="short"' not in page


def test_bad_email_and_missing_name_are_refused(client: TestClient) -> None:
    assert "is not an email address" in _post_signup(
        client, name="Ada", email="not-an-email", password=PASSWORD
    )
    assert 'id="f-name-error"' in _post_signup(
        client, name="  ", email="ada@example.org", password=PASSWORD
    )


def test_duplicate_email_is_refused_whatever_its_case(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    client.cookies.clear()
    page = _post_signup(client, name="Other", email="ADA@Example.org", password=PASSWORD)
    assert "already exists" in page


def test_signup_signs_in_a_participant_with_a_hashed_password(client: TestClient) -> None:
    sign_up(client, "Ada@Example.org", name="Ada Lovelace")
    home = client.get("/?lang=en")
    assert "Ada Lovelace" in home.text and "Log out" in home.text
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        user = db.exec(select(User).where(User.email == "ada@example.org")).one()
    assert user.role == Role.participant
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_signup_and_login_forms_are_labelled(client: TestClient) -> None:
    for path in ("/signup", "/login"):
        page = client.get(path).text
        for input_id in re.findall(r'<input id="([^"]+)"', page):
            assert f'<label for="{input_id}">' in page, f"{path}: {input_id} has no label"
