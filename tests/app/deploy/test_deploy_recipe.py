"""The production recipe of docs/operations.md works as written: its systemd units pass
`systemd-analyze verify`, and a backup made by scripts/backup.sh restores into an empty
PostgreSQL database and file store with scripts/restore.sh, the site reading it back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlmodel import Session, select

from app.accounts.models import User
from app.core.db import make_engine, migrate
from app.core.settings import Settings
from app.core.store import open_store
from tests.conftest import POSTGRES_ADMIN_URL, PROJECT_ROOT
from tests.factories import make_user

UNITS = PROJECT_ROOT / "docs" / "deploy" / "systemd"
MAREA = Path(sys.executable).parent / "marea"


def _installed_copy(unit: Path, into: Path, env_file: Path) -> Path:
    """The unit as it would be installed: the paths of this checkout instead of /opt and /etc."""
    text = unit.read_text()
    assert "/opt/marea/venv/bin/marea" in text and "/etc/marea/marea.env" in text
    text = text.replace("/opt/marea/venv/bin/marea", str(MAREA))
    text = text.replace("/etc/marea/marea.env", str(env_file))
    copy = into / unit.name
    copy.write_text(text)
    return copy


def _verify(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    units = sorted(UNITS.glob("*.service"))
    assert [u.name for u in units] == [
        "marea-migrate.service",
        "marea-web.service",
        "marea-worker.service",
    ]
    env_file = tmp_path / "marea.env"
    shutil.copy(PROJECT_ROOT / "docs" / "deploy" / "marea.env.example", env_file)
    copies = [_installed_copy(u, tmp_path, env_file) for u in units]
    result = _verify(copies)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout + result.stderr).strip() == ""


def test_verify_catches_a_mistake_in_a_unit(tmp_path: Path) -> None:
    """The check above can fail: a misspelt directive is reported."""
    env_file = tmp_path / "marea.env"
    env_file.write_text("")
    copy = _installed_copy(UNITS / "marea-web.service", tmp_path, env_file)
    copy.write_text(copy.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = _verify([copy])
    assert "restart specifier" in (result.stdout + result.stderr).lower()


def test_the_env_example_names_only_real_settings() -> None:
    known = {f"MAREA_{name.upper()}" for name in Settings.model_fields}
    names = [
        line.split("=", 1)[0]
        for line in (PROJECT_ROOT / "docs" / "deploy" / "marea.env.example")
        .read_text()
        .splitlines()
        if line and not line.startswith("#")
    ]
    assert names and set(names) <= known, set(names) - known


def _database() -> Iterator[str]:
    """A database of its own, dropped after the test (the session's shared one stays clean)."""
    name = f"marea_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database() -> Iterator[str]:
    yield from _database()


@pytest.fixture
def source_database() -> Iterator[str]:
    yield from _database()


def _script(name: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "MAREA_BIN": str(MAREA), **env},
    )


def _site(tmp_path: Path, name: str, url: str) -> dict[str, str]:
    return {
        "MAREA_DATABASE_URL": url,
        "MAREA_DATA_DIR": str(tmp_path / name),
        "MAREA_STORE_URL": "",
    }


@pytest.mark.postgres
def test_a_backup_restores_into_an_empty_site(
    tmp_path: Path, empty_database: str, source_database: str
) -> None:
    source = _site(tmp_path, "old", source_database)
    engine = make_engine(source_database)
    migrate(engine)
    with Session(engine) as session:
        make_user(session, email="restored@example.org", name="Restored")
        session.commit()
    engine.dispose()
    store = open_store(Settings(data_dir=tmp_path / "old"))
    kept = store.put_bytes(b"a dataset of the Gulf\n")

    backup = _script("backup.sh", [str(tmp_path / "backup")], source)
    assert backup.returncode == 0, backup.stderr
    (dump,) = (tmp_path / "backup").glob("marea-*.dump")

    target = _site(tmp_path, "new", empty_database)
    restore = _script("restore.sh", [str(dump), str(tmp_path / "backup" / "store")], target)
    assert restore.returncode == 0, restore.stderr

    restored = make_engine(empty_database)
    with Session(restored) as session:
        emails = session.exec(select(User.email)).all()
    restored.dispose()
    assert "restored@example.org" in emails
    with open_store(Settings(data_dir=tmp_path / "new")).open(kept.sha256) as fh:
        assert fh.read() == b"a dataset of the Gulf\n"


@pytest.mark.postgres
def test_a_damaged_file_copy_restores_nothing(
    tmp_path: Path, empty_database: str, source_database: str
) -> None:
    engine = make_engine(source_database)
    migrate(engine)
    engine.dispose()
    store = open_store(Settings(data_dir=tmp_path / "old"))
    kept = store.put_bytes(b"reference answers\n")
    backup = _script(
        "backup.sh", [str(tmp_path / "backup")], _site(tmp_path, "old", source_database)
    )
    assert backup.returncode == 0, backup.stderr
    (dump,) = (tmp_path / "backup").glob("marea-*.dump")
    damaged = tmp_path / "backup" / "store" / kept.sha256[:2] / kept.sha256[2:]
    damaged.write_bytes(b"bit rot\n")

    target = _site(tmp_path, "new", empty_database)
    restore = _script("restore.sh", [str(dump), str(tmp_path / "backup" / "store")], target)
    assert restore.returncode == 1
    assert "damaged" in restore.stderr
    with psycopg.connect(empty_database.replace("+psycopg", ""), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
