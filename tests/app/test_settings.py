"""Settings come from MAREA_* variables; the secret key is made once and kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.settings import Settings


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAREA_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("MAREA_REDIS_URL", "redis://queue.internal:6379/3")
    monkeypatch.setenv("MAREA_UPLOAD_MAX_BYTES", "1234")
    monkeypatch.setenv("MAREA_RUNNER_IMAGE", "example/runner:1")
    settings = Settings()
    assert settings.data_dir == (tmp_path / "d").resolve()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'd').resolve() / 'marea.db'}"
    assert settings.redis_url.endswith("/3")
    assert settings.upload_max_bytes == 1234
    assert settings.runner_image == "example/runner:1"


def test_explicit_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAREA_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().database_url == "postgresql+psycopg://u@h/db"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    second = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path, secret_key="given").resolved_secret_key() == "given"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", set()),
        ("ghcr.io/city/runner:2", {"ghcr.io/city/runner:2"}),
        ("a:1, b:2", {"a:1", "b:2"}),
        ("a:1 b:2", {"a:1", "b:2"}),
        ('["a:1", "b:2"]', {"a:1", "b:2"}),
    ],
)
def test_allowed_runner_images_add_to_the_runner_image(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: set[str]
) -> None:
    monkeypatch.setenv("MAREA_RUNNER_IMAGE", "example/runner:1")
    monkeypatch.setenv("MAREA_ALLOWED_RUNNER_IMAGES", raw)
    assert Settings().runner_images() == {"example/runner:1", *expected}
