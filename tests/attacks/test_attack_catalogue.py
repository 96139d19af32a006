"""The attack catalogue: hostile submissions through the real judging pipeline, all contained.

One table, `ATTACKS`, one row per attack: what it tries, the submission, and what must come
of it. Each row is judged by `judging.judge()` with a request built by the app's own
`build_request`, against the real Docker engine and runner image, on a worker-like `lab`
(see conftest.py). Whatever the row expects, every attack must also leave:
- no secret (the canary in the worker's environment) anywhere in the result, and no hidden
  reference data or other team's data anywhere the team can see (message, logs, outputs);
- nothing it tried that worked (`allowed`), nothing it found (`found`), no probe that broke;
- no container with its labels, no process with its marker, the host's data unchanged.
A normal submission judged after the catalogue still scores exactly.

Adding an attack is adding a row (and, for a new program, a string in hostile_programs.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from app.queue.judge_request import build_request
from judging import Category, JudgeRequest, JudgeResult, UnpackLimits, judge
from judging.provenance import sha256_tree
from tests.attacks import hostile_programs as hp
from tests.attacks.conftest import GUESS, IDS, SPLIT, TRUTH, Lab, processes_with

pytestmark = pytest.mark.docker

MiB = 1024 * 1024
ATTACK_LABEL = "marea.attack"
MEMORY_MB = 128
OUTPUT_MB = 8
LOG_KIB = 64
SCRATCH_MB = 64  # the sandbox's default scratch (/tmp) size
SHM_MB = 32  # a quarter of the memory limit
UNPACK = UnpackLimits(max_bytes=8 * MiB, max_files=200, max_depth=8)
# Errors that mean a probe itself is broken (bad arguments), not that the sandbox refused it.
BROKEN_PROBE = re.compile(r"EFAULT|EBADF|ArgumentError|TypeError|NameError|AttributeError")


def expected_scores(guess: list[float]) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {}
    for part in ("public", "private"):
        errors = [g - t for t, g, s in zip(TRUTH, guess, SPLIT, strict=True) if s == part]
        scores[part] = {
            "rmse": math.sqrt(sum(e * e for e in errors) / len(errors)),
            "mae": sum(abs(e) for e in errors) / len(errors),
        }
    return scores


HONEST = expected_scores(GUESS)


@dataclass
class Seen:
    """What judging one attack produced, for the row's own checks."""

    result: JudgeResult
    report: dict[str, Any] | None
    visible: str  # everything the team can see, as one text
    workdir: Path
    lab: Lab
    marker: str


@dataclass(frozen=True)
class Attack:
    name: str
    tries: str
    submission: hp.Submission | Callable[[Lab], hp.Submission]
    expect: Category | None  # None: scored, with `scores`
    says: str = ""  # in the message the team reads
    refuses: tuple[str, ...] = ()  # attempts the program must report as refused
    check: Callable[[Seen], None] | None = None
    time_limit_s: int = 10
    # Code attacks print a REPORT line, except those killed before they can.
    reported: bool = True
    scores: dict[str, dict[str, float]] = dataclasses.field(default_factory=lambda: HONEST)


# -- the rows' own checks ------------------------------------------------------------------------


def facts(seen: Seen) -> dict[str, Any]:
    assert seen.report is not None
    facts: dict[str, Any] = seen.report["facts"]
    return facts


def refused(seen: Seen, name: str) -> str:
    assert seen.report is not None
    reason: str = seen.report["refused"][name]
    return reason


def only_kernel_devices(seen: Seen) -> None:
    harmless = {"fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr"}
    harmless |= {"stdin", "stdout", "tty", "urandom", "zero", "console"}
    assert set(facts(seen)["dev"]) <= harmless


def fork_was_refused(seen: Seen) -> None:
    assert "EAGAIN" in refused(seen, "fork while the bomb runs")


def child_was_oom_killed(seen: Seen) -> None:
    assert facts(seen)["child killed by signal"] == 9


def fills_stopped_at_their_caps(seen: Seen) -> None:
    filled = facts(seen)
    assert 0 < filled["filled /tmp"] <= SCRATCH_MB * MiB
    assert 0 < filled["filled /output"] <= OUTPUT_MB * MiB
    assert 0 < filled["filled /dev/shm"] <= SHM_MB * MiB
    for folder in ("/submission", "/inputs", "/var/tmp", "/home", "/"):
        assert filled[f"filled {folder}"] == 0
        assert "EROFS" in refused(seen, f"fill {folder}")
    assert "ENOSPC" in refused(seen, "fill /tmp")
    on_host = sum(p.stat().st_size for p in seen.workdir.rglob("*") if p.is_file())
    assert on_host < 2 * MiB  # nothing of it reached the worker's disk


def logs_were_capped(seen: Seen) -> None:
    for stream in ("stdout", "stderr"):
        text = seen.result.logs.participant[stream]
        assert len(text.encode()) <= LOG_KIB * 1024 + 100
        assert re.match(r"\[\.\.\. \d+ earlier bytes not kept \.\.\.\]", text)


def copy_stopped_at_the_cap(seen: Seen) -> None:
    assert "EFBIG" in refused(
        seen, "grow predictions.csv past the output cap"
    ) or "ENOSPC" in refused(seen, "grow predictions.csv past the output cap")
    copied = seen.workdir / "ingestion-output" / "predictions.csv"
    assert copied.stat().st_size <= OUTPUT_MB * MiB


def file_count_was_capped(seen: Seen) -> None:
    assert facts(seen)["files written"] == 12000
    copied = list((seen.workdir / "ingestion-output").iterdir())
    assert len(copied) <= 10_000


def only_regular_files_copied(seen: Seen) -> None:
    assert "predictions.csv" in facts(seen)["output"]  # it was there, as a link
    out = seen.workdir / "ingestion-output"
    kinds = {p.name: (p.is_symlink(), p.is_file()) for p in out.iterdir()}
    assert all(not link and regular for link, regular in kinds.values()), kinds
    assert "predictions.csv" not in kinds


def odd_names_cost_only_themselves(seen: Seen) -> None:
    out = seen.workdir / "ingestion-output"
    assert {"predictions.csv", "line\nbreak.txt", "..."} <= {p.name for p in out.iterdir()}
    assert not list(out.rglob("bottom.txt"))  # its 20 KB path cannot exist here: skipped


def nothing_unpacked(seen: Seen) -> None:
    assert not (seen.workdir / "code").exists()
    assert not (seen.workdir / "code.unpacking").exists()


def env_is_only_ours(seen: Seen) -> None:
    names = set(facts(seen)["names"])
    assert names <= {
        "HOME",
        "HOSTNAME",
        "LANG",
        "PATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "MAREA_INPUT_DIR",
        "MAREA_OUTPUT_DIR",
        "MAREA_PREDICTIONS_FILE",
    }, names


def unprivileged(seen: Seen) -> None:
    status = facts(seen)
    assert status["Uid"] == "1000 1000 1000 1000"
    assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == "0000000000000000"
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"


def writable_only_scratch_and_output(seen: Seen) -> None:
    assert facts(seen)["writable"] == ["/tmp", "/output", "/dev/shm"]
    assert (seen.workdir / "code" / "main.py").read_text().startswith(hp.PRELUDE)
    assert not list(seen.lab.work_root.rglob("evil"))


def only_the_sandbox_is_visible(seen: Seen) -> None:
    observed = facts(seen)
    assert observed["hostname"] == "sandbox"
    processes = observed["processes"]
    assert processes["1"] == "sleep infinity"
    for pid, cmdline in processes.items():
        assert cmdline == "sleep infinity" or seen.marker in cmdline, (pid, cmdline)


def no_network(seen: Seen) -> None:
    observed = facts(seen)
    assert observed["interfaces"] == ["lo"]
    assert observed["ipv4 routes"] == []
    assert observed["ipv6 routes"] == []
    assert seen.lab.listeners.received() == []


def daemons_were_running(seen: Seen) -> None:
    assert facts(seen)["alive"] == ["double-fork", "holds-stdout", "nohup"]


def scores_were_not_spoofed(seen: Seen) -> None:
    assert facts(seen)["MAREA_SCORES_FILE"] is None


def message_is_not_a_formula(seen: Seen) -> None:
    assert not seen.result.message.startswith(("=", "+", "-", "@"))


# -- the catalogue ---------------------------------------------------------------------------------

TIMEOUT_S = 3

ATTACKS: list[Attack] = [
    # escapes
    Attack(
        "namespace and mount escape",
        "mount, unshare, chroot, setns, open_by_handle_at, module load, reboot, overwrite exe, "
        "kill pid 1",
        hp.Code(hp.ESCAPE),
        None,
        refuses=("mount a tmpfs", "unshare a user namespace", "open_by_handle_at (shocker)"),
    ),
    Attack(
        "docker socket",
        "connect to the Docker/containerd sockets and the Docker TCP API; look for any socket",
        hp.Code(hp.DOCKER_SOCKET),
        None,
        refuses=("connect /var/run/docker.sock",),
    ),
    Attack(
        "devices",
        "open /dev/mem, kmsg, disks; mknod block and memory devices",
        hp.Code(hp.DEVICES),
        None,
        refuses=("open /dev/mem", "mknod a block device"),
        check=only_kernel_devices,
    ),
    # resource exhaustion
    Attack(
        "fork bomb",
        "a bomb of forked shells that retakes every freed pid; the program then waits",
        hp.Code(hp.FORK_BOMB),
        Category.TIMEOUT,
        says=f"{TIMEOUT_S} s limit",
        check=fork_was_refused,
        time_limit_s=TIMEOUT_S,
    ),
    Attack(
        "fork bomb left behind",
        "write predictions, start the same bomb detached (setsid), exit 0",
        hp.Code(hp.FORK_BOMB_LEFT_BEHIND),
        None,
        check=fork_was_refused,
    ),
    Attack(
        "memory bomb",
        "allocate until the machine runs out",
        hp.Code(hp.MEMORY_BOMB),
        Category.OUT_OF_MEMORY,
        says=f"{MEMORY_MB} MB",
        reported=False,
    ),
    Attack(
        "memory bomb in a child",
        "a child allocates until killed; the parent carries on and exits 0",
        hp.Code(hp.MEMORY_BOMB_IN_CHILD),
        Category.OUT_OF_MEMORY,
        says=f"{MEMORY_MB} MB",
        check=child_was_oom_killed,
    ),
    Attack(
        "disk fill",
        "fill /tmp, /output, /dev/shm, the code, the inputs and the root filesystem",
        hp.Code(hp.DISK_FILL),
        None,
        check=fills_stopped_at_their_caps,
    ),
    Attack(
        "cpu spin past the wall limit",
        "four processes spin, ignoring SIGTERM, SIGINT, SIGHUP, SIGXCPU",
        hp.Code(hp.CPU_SPIN),
        Category.TIMEOUT,
        says=f"{TIMEOUT_S} s limit",
        time_limit_s=TIMEOUT_S,
        reported=False,
    ),
    # output floods
    Attack(
        "stdout and stderr flood",
        "24 MB on each stream, then honest predictions",
        hp.Code(hp.STD_FLOOD),
        None,
        check=logs_were_capped,
    ),
    Attack(
        "predictions file flood",
        "grow predictions.csv until something stops it",
        hp.Code(hp.HUGE_PREDICTIONS),
        Category.INVALID_OUTPUT,
        says="appears again",
        check=copy_stopped_at_the_cap,
    ),
    Attack(
        "output file count flood",
        "12,000 files in the output folder",
        hp.Code(hp.MANY_FILES),
        Category.MISSING_OUTPUT,
        says="larger than allowed",
        check=file_count_was_capped,
    ),
    Attack(
        "links in the output",
        "predictions.csv a symlink to the host's answers; symlinks, a hardlink, a fifo",
        hp.Code(hp.OUTPUT_LINKS),
        Category.MISSING_OUTPUT,
        says="did not write predictions.csv",
        check=only_regular_files_copied,
    ),
    Attack(
        "odd names in the output",
        "a 400-deep folder chain (20 KB paths), names with a line break, bytes that are not UTF-8",
        hp.Code(hp.ODD_OUTPUT_NAMES),
        None,
        check=odd_names_cost_only_themselves,
    ),
    # archives
    Attack(
        "zip slip",
        "an entry named ../../../../escaped-<marker>.py",
        hp.Archive(hp.zip_slip),
        Category.INVALID_SUBMISSION,
        says="points outside the archive",
        check=nothing_unpacked,
    ),
    Attack(
        "absolute path in zip",
        "an entry named /tmp/absolute-<marker>.py",
        hp.Archive(hp.absolute_path),
        Category.INVALID_SUBMISSION,
        says="absolute path",
        check=nothing_unpacked,
    ),
    Attack(
        "zip bomb",
        "64 MiB of zeros deflated to 64 KiB",
        hp.Archive(hp.zip_bomb),
        Category.INVALID_SUBMISSION,
        says="larger than 8 MB unpacked",
        check=nothing_unpacked,
    ),
    Attack(
        "tar.gz bomb",
        "64 MiB of zeros in a tar.gz",
        hp.Archive(hp.tar_bomb, ".tar.gz"),
        Category.INVALID_SUBMISSION,
        says="larger than 8 MB unpacked",
        check=nothing_unpacked,
    ),
    Attack(
        "too many files in the archive",
        "5,000 entries",
        hp.Archive(hp.too_many_files),
        Category.INVALID_SUBMISSION,
        says="more than 200 files",
        check=nothing_unpacked,
    ),
    Attack(
        "symlink in zip",
        "answers.csv -> the host's reference file",
        lambda lab: hp.Archive(hp.zip_symlink(str(lab.reference_file))),
        Category.INVALID_SUBMISSION,
        says="is a link or special file",
        check=nothing_unpacked,
    ),
    Attack(
        "symlink in tar",
        "answers.csv -> the host's reference file",
        lambda lab: hp.Archive(hp.tar_symlink(str(lab.reference_file)), ".tar.gz"),
        Category.INVALID_SUBMISSION,
        says="is a link or special file",
        check=nothing_unpacked,
    ),
    Attack(
        "hardlink in tar",
        "answers.csv hard-linked to the host's reference file",
        lambda lab: hp.Archive(hp.tar_hardlink(str(lab.reference_file)), ".tar.gz"),
        Category.INVALID_SUBMISSION,
        says="is a link or special file",
        check=nothing_unpacked,
    ),
    Attack(
        "device in tar",
        "a block device entry",
        hp.Archive(hp.tar_device, ".tar.gz"),
        Category.INVALID_SUBMISSION,
        says="is a link or special file",
        check=nothing_unpacked,
    ),
    # reading what is not the team's
    Attack(
        "hidden reference data",
        "read the answers by host path, via /proc/1/root, by name and by content anywhere",
        hp.Code(hp.HUNT_REFERENCE),
        None,
        refuses=("read host reference_file via /", "read host reference_file via /proc/1/root"),
    ),
    Attack(
        "other teams' files",
        "read another team's code and uploads by host path and by searching the filesystem",
        hp.Code(hp.HUNT_OTHER_TEAM),
        None,
        refuses=("read host other_team_file via /", "read host work_root via /proc/1/root"),
    ),
    Attack(
        "service environment and secrets",
        "read the worker's secrets from the environment and every /proc/*/environ and cmdline",
        hp.Code(hp.ENV_SECRETS),
        None,
        refuses=("read $MAREA_SECRET_KEY", "read $MAREA_DATABASE_URL"),
        check=env_is_only_ours,
    ),
    # privileges and writes
    Attack(
        "privilege escalation",
        "setuid(0), capset, /etc/shadow, /etc/passwd, setuid mount and su, sudo, chown",
        hp.Code(hp.PRIVILEGE),
        None,
        refuses=("setuid(0)", "capset CAP_SYS_ADMIN", "su to root", "sudo"),
        check=unprivileged,
    ),
    Attack(
        "writing outside the output folder",
        "create files in /, /etc, /usr, the code, the inputs, the host's paths",
        hp.Code(hp.WRITE_OUTSIDE),
        None,
        refuses=("create /etc/evil", "overwrite /inputs/test.csv", "write the host's reference"),
        check=writable_only_scratch_and_output,
    ),
    Attack(
        "/proc and /sys probing",
        "sysrq, core_pattern, kcore, kallsyms, syslog, cgroup limits and release_agent, keyrings",
        hp.Code(hp.PROC_SYS),
        None,
        refuses=(
            "write /proc/sys/kernel/core_pattern",
            "write /sys/fs/cgroup/memory/memory.limit_in_bytes",
            "join a new session keyring",
        ),
        check=only_the_sandbox_is_visible,
    ),
    Attack(
        "network",
        "TCP and UDP to listeners on 127.0.0.1, ::1 and this machine's other addresses; raw sockets",
        hp.Code(hp.NETWORK),
        None,
        refuses=("raw socket", "packet socket"),
        check=no_network,
    ),
    Attack(
        "children left running",
        "a double-forked setsid daemon, a nohup'd one and one holding stdout, all ignoring SIGTERM",
        hp.Code(hp.DAEMONS),
        None,
        check=daemons_were_running,
    ),
    # spoofing and crashing the scorer
    Attack(
        "fake score JSON",
        "print perfect scores and write scores.json beside all-zero predictions",
        hp.Code(hp.FAKE_SCORES),
        None,
        check=scores_were_not_spoofed,
        scores=expected_scores([0.0] * len(IDS)),
    ),
    Attack(
        "NaN and infinity",
        "predictions nan and -inf",
        hp.Upload(hp.predictions({"b2": "nan", "b5": "-inf"})),
        Category.INVALID_OUTPUT,
        says="line 3: the 'sst' value for id 'b2' 'nan' is not a finite number",
    ),
    Attack(
        "1e308",
        "predictions so large the metric overflows",
        hp.Upload(hp.predictions({"b1": "1e308", "b4": "-1.7e308"})),
        Category.INVALID_OUTPUT,
        says="too large to score",
    ),
    Attack(
        "CSV injection",
        "spreadsheet formulas as predictions",
        hp.Upload(hp.predictions({"b1": "=1+1", "b2": "@SUM(A1)", "b3": "+cmd|' /C calc'!A0"})),
        Category.INVALID_OUTPUT,
        says="'=1+1' is not a number",
        check=message_is_not_a_formula,
    ),
    Attack(
        "enormous line",
        "one 2 MiB field",
        hp.Upload(hp.enormous_line),
        Category.INVALID_OUTPUT,
        says="longer than",
    ),
    Attack(
        "enormous header",
        "a million columns",
        hp.Upload(hp.enormous_header),
        Category.INVALID_OUTPUT,
        says="appears twice",
    ),
    Attack(
        "NUL bytes",
        "a NUL byte inside a row",
        hp.Upload(hp.nul_bytes),
        Category.INVALID_OUTPUT,
        says="line 2",
    ),
    Attack(
        "scores JSON as predictions",
        "upload a scores.json in place of the CSV",
        hp.Upload(hp.scores_json),
        Category.INVALID_OUTPUT,
        says="the header has no column 'id'",
    ),
    Attack(
        "JSON injection through an id",
        'an id holding "}, "public": {"rmse": 0}} and a line break',
        hp.Upload(hp.json_injection),
        Category.INVALID_OUTPUT,
        says="is not in the test set",
    ),
]


# -- running one attack ----------------------------------------------------------------------------


def challenge(marker: str, time_limit_s: int) -> dict[str, Any]:
    """A challenge.yaml as the app holds it: one code phase, one predictions phase."""
    return {
        "data": {"reference": [{"path": "reference/answers.csv"}]},
        "scoring": {
            "builtin": {"id_column": "id", "target_column": "sst", "prediction_column": "sst"}
        },
        "leaderboard": {
            "columns": [
                {"key": "rmse", "better": "lower", "metric": "rmse"},
                {"key": "mae", "better": "lower", "metric": "mae"},
            ]
        },
        "phases": [
            {
                "name": "code",
                "kind": "code",
                "code": {
                    # The marker names every process the submission starts, to find strays.
                    "command": ["python3", "main.py", marker],
                    "time_limit_s": time_limit_s,
                    "memory_mb": MEMORY_MB,
                    "cpus": 1,
                },
            },
            {"name": "upload", "kind": "predictions"},
        ],
    }


def request_for(attack: Attack, lab: Lab, marker: str, number: int) -> JudgeRequest:
    submission = attack.submission
    if callable(submission):
        submission = submission(lab)
    path, kind = hp.make_submission(
        submission, lab.uploads / f"sub-{number}", marker, lab.context()
    )
    labels = {**lab.labels, "marea.submission": str(number), ATTACK_LABEL: marker}
    phase = "code" if kind == "code" else "upload"
    request = build_request(
        challenge(marker, attack.time_limit_s), phase, path, lab.dirs, lab.image, labels
    )
    # What the bundle format does not set: small caps, so floods and bombs end quickly.
    ingestion = request.ingestion
    if ingestion is not None:
        ingestion = dataclasses.replace(ingestion, output_mb=OUTPUT_MB, log_kib=LOG_KIB)
    return dataclasses.replace(request, ingestion=ingestion, unpack=UNPACK)


def team_visible(result: JudgeResult, workdir: Path) -> str:
    """The message, the team's logs and every output file their program left."""
    parts = [result.message, json.dumps(result.logs.participant)]
    outputs = workdir / "ingestion-output"
    if outputs.is_dir():
        for path in outputs.rglob("*"):
            parts.append(path.name)
            if path.is_file() and not path.is_symlink():
                parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def program_report(result: JudgeResult) -> dict[str, Any] | None:
    for line in result.logs.participant.get("stdout", "").splitlines():
        if line.startswith("REPORT "):
            report: dict[str, Any] = json.loads(line[len("REPORT ") :])
            return report
    return None


def host_data(lab: Lab) -> str:
    return sha256_tree(
        {
            "reference": lab.dirs.reference,
            "inputs": lab.dirs.inputs,
            "other": lab.other_team_dir,
        }
    ).sha256


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_contained(attack: Attack, lab: Lab, docker_client: docker.DockerClient) -> None:
    number = ATTACKS.index(attack) + 100
    marker = f"marea-attack-{uuid.uuid4().hex}"
    request = request_for(attack, lab, marker, number)
    before = host_data(lab)
    lab.listeners.received()  # start from silence
    workdir = lab.work_root / f"sub-{number}" / "judge"
    try:
        result = judge(request, workdir=workdir)
        seen = Seen(
            result, program_report(result), team_visible(result, workdir), workdir, lab, marker
        )
        assert_contained(attack, seen, docker_client, before)
    finally:
        shutil.rmtree(workdir.parent, ignore_errors=True)


def assert_contained(
    attack: Attack, seen: Seen, docker_client: docker.DockerClient, before: str
) -> None:
    result, lab, marker = seen.result, seen.lab, seen.marker
    body = json.dumps(result.to_json())
    # The outcome the row expects, said clearly.
    if attack.expect is None:
        assert result.status == "scored", body
        for part, scores in attack.scores.items():
            assert result.scores[part] == pytest.approx(scores, rel=1e-12), part
    else:
        assert result.failure is not None, body
        assert result.failure.category is attack.expect, body
        assert result.failure.category.blames_team
        assert attack.says in result.message, result.message
        assert len(result.message) < 2500
    # What the program says it tried: all refused, nothing found, no probe broken.
    if isinstance(attack.submission, hp.Code) and attack.reported:
        assert seen.report is not None, body
    if seen.report is not None:
        assert seen.report["allowed"] == {}, seen.report["allowed"]
        assert seen.report["found"] == [], seen.report["found"]
        broken = {k: v for k, v in seen.report["refused"].items() if BROKEN_PROBE.search(v)}
        assert broken == {}
        assert set(attack.refuses) <= set(seen.report["refused"]), seen.report["refused"]
    if attack.check is not None:
        attack.check(seen)
    # Nothing secret reached the team; the worker's secrets reached nobody.
    assert lab.canary not in body
    assert lab.canary not in seen.visible
    assert lab.hidden not in seen.visible
    assert lab.other not in seen.visible
    # Nothing left behind, nothing changed on the host.
    left = docker_client.api.containers(all=True, filters={"label": f"{ATTACK_LABEL}={marker}"})
    assert left == [], [c["Id"][:12] for c in left]
    assert processes_with(marker) == []
    assert host_data(lab) == before
    assert list(lab.root.rglob(f"*{marker}*")) == []
    assert list(Path("/tmp").glob(f"*{marker}*")) == []
    assert lab.listeners.received() == []


def test_a_normal_submission_after_the_catalogue_scores_exactly(lab: Lab) -> None:
    """The attacks left the worker as it was: the next team's submission is judged normally."""
    honest = hp.Code("predict()\nprint('wrote predictions')\n")
    attack = Attack("honest", "nothing", honest, None)
    marker = f"marea-attack-{uuid.uuid4().hex}"
    request = request_for(attack, lab, marker, 99)
    result = judge(request, workdir=lab.work_root / "sub-99" / "judge")

    assert result.status == "scored", result.to_json()
    for part, scores in HONEST.items():
        assert result.scores[part] == pytest.approx(scores, rel=1e-12), part
    assert "wrote predictions" in result.logs.participant["stdout"]


def catalogue_table() -> str:
    """The catalogue as a Markdown table, for docs/reliability.md."""
    lines = ["| attack | what it tries | outcome |", "| --- | --- | --- |"]
    for attack in ATTACKS:
        outcome = "all refused, scored normally" if attack.expect is None else f"`{attack.expect}`"
        if attack.says:
            outcome += f": “…{attack.says}…”"
        lines.append(f"| {attack.name} | {attack.tries} | {outcome} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalogue_table())
