"""Code archives are unpacked only when harmless, and every refusal says why."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from judging.spec import UnpackLimits
from judging.unpack import UnpackError, unpack

pytestmark = pytest.mark.unit  # needs no service: `make unit`

LIMITS = UnpackLimits(max_bytes=64 * 1024, max_files=20, max_depth=8)


def make_zip(path: Path, entries: dict[str, bytes], modes: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            zf.writestr(info, data)
    return path


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def reg(name: str, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info


def test_zip_is_unpacked_with_modes(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "s.zip",
        {"main.py": b"print(1)\n", "lib/util.py": b"x = 1\n", "run.sh": b"#!/bin/sh\n"},
        {"main.py": stat.S_IFREG | 0o600, "run.sh": stat.S_IFREG | 0o700},
    )
    result = unpack(archive, tmp_path / "code", LIMITS)
    code = tmp_path / "code"
    assert sorted(result.files) == ["lib/util.py", "main.py", "run.sh"]
    assert (code / "lib" / "util.py").read_bytes() == b"x = 1\n"
    # Readable by the unprivileged sandbox user, whatever the archive said.
    assert stat.S_IMODE((code / "main.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((code / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((code / "lib").stat().st_mode) == 0o755


def test_tar_gz_is_unpacked(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "s.tar.gz", [(reg("./main.py"), b"print(2)\n")])
    assert unpack(archive, tmp_path / "code", LIMITS).files == ["main.py"]
    assert (tmp_path / "code" / "main.py").read_bytes() == b"print(2)\n"


def test_a_single_top_folder_is_flattened_and_macos_metadata_dropped(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "s.zip",
        {"team/main.py": b"1", "team/data/x.csv": b"2", "__MACOSX/team/._main.py": b"junk"},
    )
    result = unpack(archive, tmp_path / "code", LIMITS)
    assert result.flattened == "team"
    assert sorted(p.name for p in (tmp_path / "code").iterdir()) == ["data", "main.py"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../evil.py", "outside"),
        ("ok/../../evil.py", "outside"),
        ("/etc/evil.py", "absolute"),
        ("C:/evil.py", "absolute"),
        ("..\\evil.py", "outside"),
    ],
)
def test_zip_slip_is_refused(tmp_path: Path, name: str, words: str) -> None:
    archive = make_zip(tmp_path / "s.zip", {"main.py": b"1", name: b"owned"})
    with pytest.raises(UnpackError, match=words):
        unpack(archive, tmp_path / "out" / "code", LIMITS)
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "out" / "evil.py").exists()
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-unpacked is left


def test_tar_slip_is_refused(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "s.tar.gz", [(reg("../evil.py"), b"owned")])
    with pytest.raises(UnpackError, match="outside"):
        unpack(archive, tmp_path / "code", LIMITS)
    assert not (tmp_path / "evil.py").exists()


def test_symlinks_and_hardlinks_in_tar_are_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("answers")
    link.type = tarfile.SYMTYPE
    link.linkname = "/reference/answers.csv"
    hard = tarfile.TarInfo("passwd")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "/etc/passwd"
    for member in (link, hard):
        archive = make_tar(tmp_path / "s.tar.gz", [(reg("main.py"), b"1"), (member, None)])
        with pytest.raises(UnpackError, match="link"):
            unpack(archive, tmp_path / "code", LIMITS)
        assert not (tmp_path / "code").exists()


def test_symlink_in_zip_is_refused(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "s.zip",
        {"answers": b"/reference/answers.csv"},
        {"answers": stat.S_IFLNK | 0o777},
    )
    with pytest.raises(UnpackError, match="link"):
        unpack(archive, tmp_path / "code", LIMITS)


def test_zip_bomb_stops_at_the_size_cap(tmp_path: Path) -> None:
    # 10 MB of zeros compress to about 10 KB: small to upload, far over the 64 KB cap.
    archive = make_zip(tmp_path / "s.zip", {"zeros.bin": bytes(10 * 1024 * 1024)})
    assert archive.stat().st_size < LIMITS.max_bytes
    with pytest.raises(UnpackError, match="larger than"):
        unpack(archive, tmp_path / "code", LIMITS)
    assert not (tmp_path / "code").exists()


def test_gzip_bomb_stops_at_the_size_cap(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "s.tar.gz", [(reg("zeros.bin"), bytes(10 * 1024 * 1024))])
    with pytest.raises(UnpackError, match="large"):
        unpack(archive, tmp_path / "code", LIMITS)


def test_too_many_files_is_refused(tmp_path: Path) -> None:
    entries = {f"f{i}.txt": b"x" for i in range(LIMITS.max_files + 1)}
    for archive in (
        make_zip(tmp_path / "s.zip", entries),
        make_tar(tmp_path / "s.tar.gz", [(reg(n), d) for n, d in entries.items()]),
    ):
        with pytest.raises(UnpackError, match=f"more than {LIMITS.max_files} files"):
            unpack(archive, tmp_path / "code", LIMITS)


def test_too_deep_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "s.zip", {"/".join("d" * 10) + "/f.py": b"1", "x": b"1"})
    with pytest.raises(UnpackError, match="deeper"):
        unpack(archive, tmp_path / "code", LIMITS)


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "s.tar.gz", [(reg("main.py"), b"1"), (reg("main.py"), b"2")])
    with pytest.raises(UnpackError, match="twice"):
        unpack(archive, tmp_path / "code", LIMITS)


def test_not_an_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "main.py"
    path.write_text("print('hello')\n")
    with pytest.raises(UnpackError, match=r"not a zip or tar\.gz"):
        unpack(path, tmp_path / "code", LIMITS)


def test_damaged_archive_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "s.zip", {"main.py": b"print(1)\n" * 100})
    data = bytearray(archive.read_bytes())
    data[40:60] = b"\x00" * 20
    archive.write_bytes(bytes(data))
    with pytest.raises(UnpackError):
        unpack(archive, tmp_path / "code", LIMITS)
