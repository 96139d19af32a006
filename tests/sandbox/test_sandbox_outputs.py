"""Output files come out of the container; hostile archives do not escape the destination."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

import sandbox
from sandbox import RunResult
from sandbox.outputs import extract

RunPython = Callable[..., RunResult]


@pytest.mark.docker
def test_output_files_are_copied_out_links_are_not(run_python: RunPython, tmp_path: Path) -> None:
    result = run_python(
        """
        import os
        os.makedirs("/output/sub/deeper")
        open("/output/predictions.csv", "w").write("id,y\\n1,0.5\\n")
        open("/output/sub/deeper/log.txt", "wb").write(bytes(range(256)))
        os.symlink("/etc/passwd", "/output/passwd-link")
        os.symlink("../../..", "/output/sub/up")
        """
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(result.output_files) == ["predictions.csv", "sub/deeper/log.txt"]
    assert (result.output_path / "predictions.csv").read_text() == "id,y\n1,0.5\n"
    assert (result.output_path / "sub/deeper/log.txt").read_bytes() == bytes(range(256))
    assert not (result.output_path / "passwd-link").exists()
    assert not (result.output_path / "sub/up").is_symlink()
    assert not result.output_truncated


@pytest.mark.docker
def test_output_path_is_created_when_not_given(make_spec: Callable[..., sandbox.RunSpec]) -> None:
    result = sandbox.run(make_spec(("sh", "-c", "echo 42 > /output/answer")))
    try:
        assert result.output_files == ["answer"]
        assert (result.output_path / "answer").read_text() == "42\n"
    finally:
        shutil.rmtree(result.output_path)


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> list[bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    raw = buffer.getvalue()
    return [raw[i : i + 1000] for i in range(0, len(raw), 1000)]


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_extract_refuses_escapes_links_and_devices(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    chunks = _tar(
        [
            (_info("../escaped.txt"), b"evil"),
            (_info("/abs.txt"), b"evil"),
            (_info("./ok/../../escaped2.txt"), b"evil"),
            (_info("link", tarfile.SYMTYPE, "/etc/passwd"), b""),
            (_info("hard", tarfile.LNKTYPE, "/etc/passwd"), b""),
            (_info("fifo", tarfile.FIFOTYPE), b""),
            (_info("./fine/result.csv"), b"a,b\n"),
        ]
    )
    copied = extract(chunks, dest, max_bytes=1 << 20, max_files=10)
    assert copied.files == ["fine/result.csv"]
    assert sorted(copied.skipped) == ["fifo", "hard", "link"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "dest",
        "dest/fine",
        "dest/fine/result.csv",
    ]


def test_extract_stops_at_the_byte_and_file_caps(tmp_path: Path) -> None:
    many = [(_info(f"f{i}.txt"), b"x" * 100) for i in range(20)]
    (tmp_path / "a").mkdir()
    by_count = extract(_tar(many), tmp_path / "a", max_bytes=1 << 20, max_files=5)
    assert by_count.truncated
    assert len(by_count.files) == 5

    (tmp_path / "b").mkdir()
    by_size = extract(_tar(many), tmp_path / "b", max_bytes=450, max_files=100)
    assert by_size.truncated
    assert len(by_size.files) == 4
    assert sum(p.stat().st_size for p in (tmp_path / "b").iterdir()) <= 450


def test_extract_of_a_garbled_stream_keeps_what_came_before(tmp_path: Path) -> None:
    chunks = _tar([(_info("first.txt"), b"1" * 10), (_info("second.txt"), b"2" * 5000)])
    raw = b"".join(chunks)
    copied = extract([raw[:2000]], tmp_path, max_bytes=1 << 20, max_files=10)
    assert copied.truncated
    assert copied.files == ["first.txt"]
