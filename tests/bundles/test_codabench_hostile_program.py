"""A Codabench scoring program that tries the network runs in Marea's sandbox with none: it
reaches no listener of this machine, resolves no name, and the submission is still judged
(its score says what the program could reach: nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app.bundles.codabench import import_codabench
from tests.bundles.codabench_helpers import fill_placeholders
from tests.net_helpers import Listeners, host_addresses

WHEAT = Path(__file__).resolve().parents[1] / "fixtures" / "codabench" / "competition.zip"
MAREA = str(Path(sys.executable).with_name("marea"))

PROGRAM = """
import json, socket, sys
targets = json.loads({targets!r})
reached = []
for host, port in targets:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.create_connection((host, port), timeout=2).close()
        reached.append(f"{{host}}:{{port}}")
    except OSError:
        pass
try:
    socket.getaddrinfo("example.org", 443)
    reached.append("dns")
except OSError:
    pass
out = sys.argv[2]
with open(out + "/scores.json", "w") as fh:
    json.dump({{"accuracy": float(len(reached))}}, fh)
print("reached:", reached)
"""


@pytest.mark.docker
def test_a_scoring_program_that_tries_the_network_reaches_nothing(tmp_path: Path) -> None:
    listeners = Listeners.open(["127.0.0.1", *host_addresses()])
    try:
        targets = listeners.addresses("tcp")
        assert targets
        # The check can fail: from this machine, outside the sandbox, each listener answers.
        for host, port in targets:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import socket; socket.create_connection(({host!r}, {port}), 2).close()",
                ],
                check=True,
                timeout=30,
            )
        time.sleep(0.2)
        assert len(listeners.received()) == len(targets)

        bundle = tmp_path / "wheat"
        import_codabench(WHEAT, bundle)
        fill_placeholders(bundle)
        program = bundle / "scoring" / "program" / "scoring.py"
        program.write_text(PROGRAM.format(targets=json.dumps(targets)))
        submission = tmp_path / "predictions.zip"
        with zipfile.ZipFile(submission, "w") as zf:
            zf.writestr("prediction", "1\n")
        done = subprocess.run(
            [MAREA, "judge", str(bundle), str(submission), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["status"] == "scored", data
        assert data["scores"]["public"] == {"accuracy": 0.0}
        time.sleep(0.5)
        assert listeners.received() == []
    finally:
        listeners.close()
