"""Programs that try to reach out of the sandbox: network, root, capabilities, the filesystem."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox import Mount, RunResult
from tests.net_helpers import host_addresses

RunPython = Callable[..., RunResult]

pytestmark = pytest.mark.docker


def test_no_network_interface_but_loopback_and_host_listener_unreachable(
    run_python: RunPython,
) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("0.0.0.0", 0))  # loopback and this machine's own addresses, nothing else
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    own = [a for a in host_addresses() if ":" not in a]
    assert own, "the test needs a non-loopback IPv4 address of this machine to listen on"
    try:
        result = run_python(
            f"""
            import json, socket
            lines = open("/proc/net/dev").read().splitlines()[2:]
            interfaces = sorted(line.split(":")[0].strip() for line in lines)
            outcomes = {{}}
            for host in {["127.0.0.1", *own]!r}:
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.connect((host, {port}))
                    outcomes[host] = "connected"
                except OSError as exc:
                    outcomes[host] = type(exc).__name__
            print(json.dumps({{"interfaces": interfaces, "outcomes": outcomes}}))
            """
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing from the sandbox ever arrived
    finally:
        listener.close()
    seen = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert seen["interfaces"] == ["lo"]
    assert seen["outcomes"]["127.0.0.1"] == "ConnectionRefusedError"  # the sandbox's own lo
    assert all(seen["outcomes"][address] != "connected" for address in own)


def test_runs_as_non_root_without_capabilities_or_privilege_gain(run_python: RunPython) -> None:
    result = run_python(
        """
        import json, os
        lines = open("/proc/self/status").read().splitlines()
        status = dict(line.split(":\\t", 1) for line in lines)
        keys = ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs")
        print(json.dumps({
            "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
            **{k: status[k].strip() for k in keys},
        }))
        """
    )
    seen = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert seen["uid"] == seen["euid"] == 1000
    assert seen["gid"] == 1000
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(seen[cap], 16) == 0, f"{cap} = {seen[cap]}"
    assert seen["NoNewPrivs"] == "1"


def test_root_filesystem_is_read_only(run_python: RunPython) -> None:
    result = run_python(
        """
        import errno, json
        outcomes = {}
        for path in ("/etc/marea", "/usr/lib/marea", "/home/runner/marea", "/marea"):
            try:
                open(path, "w").write("x")
                outcomes[path] = "written"
            except OSError as exc:
                outcomes[path] = errno.errorcode[exc.errno]
        print(json.dumps(outcomes))
        """
    )
    outcomes = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert set(outcomes.values()) <= {"EROFS", "EACCES"}
    assert outcomes["/home/runner/marea"] == "EROFS"  # owned by runner, yet not writable


def test_read_only_mount_is_readable_not_writable(run_python: RunPython, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    data.chmod(0o777)
    result = run_python(
        """
        import errno
        print(open("/data/train.csv").read().splitlines()[1])
        try:
            open("/data/new.csv", "w").write("x")
            print("written")
        except OSError as exc:
            print(errno.errorcode[exc.errno])
        """,
        mounts=(Mount(source=data, target="/data", read_only=True),),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["1,2", "EROFS"]
    assert sorted(p.name for p in data.iterdir()) == ["train.csv"]


def test_environment_is_passed(run_python: RunPython) -> None:
    result = run_python(
        "import os; print(os.environ['MAREA_PHASE']); print(os.environ['HOME'])",
        env={"MAREA_PHASE": "final round"},
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["final round", "/tmp"]
