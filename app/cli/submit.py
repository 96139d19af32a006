"""`marea submit CHALLENGE FILE`: upload from a terminal, optionally wait for the scores.

Talks only HTTP to a Marea server (no database, no settings), so participants
can run it from their laptops. Exit codes: 0 queued (or scored with --wait),
1 judged but failed or cancelled, 2 bad arguments or refused by the server.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

CHUNK = 256 * 1024
FINAL = {"scored", "failed", "cancelled"}
EXIT_SCORED, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
POLL_S = 2.0

console = Console(stderr=True)
out = Console()


def _multipart(
    path: Path, fields: dict[str, str], boundary: str, progress: Progress | None
) -> tuple[Iterator[bytes], int]:
    """The body as a generator of chunks (the file is never read whole) and its exact length."""
    head = b""
    for name, value in fields.items():
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    safe_name = path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{safe_name}"\r\nContent-Type: {mime}\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    task = progress.add_task("upload", total=size) if progress is not None else None

    def chunks() -> Iterator[bytes]:
        yield head
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                if progress is not None and task is not None:
                    progress.advance(task, len(chunk))
                yield chunk
        yield tail

    return chunks(), len(head) + size + len(tail)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body["error"]["message"]
        return str(message)
    except (ValueError, KeyError, TypeError):
        return response.text[:500] or f"HTTP {response.status_code}"


def _print_result(sub: dict[str, Any]) -> int:
    status = sub.get("status")
    if status == "scored":
        out.print(f"[green]scored[/green] submission {sub['id']}")
        for split, values in sorted((sub.get("scores") or {}).items()):
            for key, value in sorted(values.items()):
                out.print(f"  {split} {key} = {value}")
        return EXIT_SCORED
    out.print(f"[red]{status}[/red] submission {sub['id']}: {sub.get('failure') or ''}")
    if sub.get("message"):
        out.print(f"  {sub['message']}")
    return EXIT_FAILED


def _follow_events(client: httpx.Client, submission_id: int) -> str | None:
    """Read the SSE stream until a final status; None when the stream is unusable."""
    try:
        with client.stream(
            "GET", f"/api/v1/submissions/{submission_id}/events", timeout=httpx.Timeout(10, read=60)
        ) as response:
            if response.status_code != 200:
                return None
            event = ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "status":
                    status = str(json.loads(line[5:]).get("status", ""))
                    console.print(f"status: {status}")
                    if status in FINAL:
                        return status
    except (httpx.HTTPError, ValueError):
        return None
    return None


def _wait(client: httpx.Client, submission_id: int) -> dict[str, Any] | None:
    status = _follow_events(client, submission_id)
    while status not in FINAL:
        time.sleep(POLL_S)  # fallback when SSE is blocked by a proxy
        response = client.get(f"/api/v1/submissions/{submission_id}")
        if response.status_code != 200:
            console.print(f"[red]error:[/red] {_error_message(response)}")
            return None
        status = response.json().get("status")
    response = client.get(f"/api/v1/submissions/{submission_id}")
    if response.status_code != 200:
        console.print(f"[red]error:[/red] {_error_message(response)}")
        return None
    result: dict[str, Any] = response.json()
    return result


def submit(
    challenge: str = typer.Argument(..., help="The challenge's slug, e.g. sea-temperature."),
    file: Path = typer.Argument(..., help="The predictions file or code archive to submit."),
    phase: str | None = typer.Option(None, help="Phase name; default: the open phase."),
    description: str = typer.Option("", help="What this submission tries (judges read it)."),
    link: str | None = typer.Option(None, help="A link to your code or write-up."),
    wait: bool = typer.Option(False, "--wait", help="Follow the judging and print the scores."),
    url: str = typer.Option("http://127.0.0.1:8000", envvar="MAREA_URL", help="The Marea server."),
    token: str = typer.Option(
        "",
        envvar="MAREA_TOKEN",
        help="Your API token with the submit scope (make one on your account page).",
    ),
) -> None:
    """Upload a submission to a Marea server; with --wait, print its scores when judged."""
    if not token:
        console.print("[red]error:[/red] give your API token with --token or MAREA_TOKEN.")
        raise typer.Exit(EXIT_REFUSED)
    if not file.is_file():
        console.print(f"[red]error:[/red] {file} is not a file.")
        raise typer.Exit(EXIT_REFUSED)
    fields = {"description": description}
    if link:
        fields["link"] = link
    boundary = "marea-" + secrets.token_hex(12)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params = {"phase": phase} if phase else {}
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60) as client:
        try:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=console,
                transient=True,
            ) as progress:
                body, length = _multipart(file, fields, boundary, progress)
                response = client.post(
                    f"/api/v1/challenges/{challenge}/submissions",
                    params=params,
                    content=body,
                    headers={
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(length),
                    },
                    timeout=httpx.Timeout(60, write=None),
                )
        except httpx.HTTPError as exc:
            console.print(f"[red]error:[/red] could not reach {url}: {exc}")
            raise typer.Exit(EXIT_REFUSED) from exc
        if response.status_code != 201:
            message = _error_message(response)
            retry = response.headers.get("retry-after")
            hint = f" (retry after {retry} s)" if retry else ""
            console.print(f"[red]refused ({response.status_code}):[/red] {message}{hint}")
            raise typer.Exit(EXIT_REFUSED)
        submission = response.json()
        out.print(f"submission {submission['id']} queued: {submission['url']}")
        if not wait:
            raise typer.Exit(EXIT_SCORED)
        try:
            final = _wait(client, int(submission["id"]))
        except httpx.HTTPError as exc:
            console.print(f"[red]error:[/red] lost the server while waiting: {exc}")
            raise typer.Exit(EXIT_REFUSED) from exc
        if final is None:
            raise typer.Exit(EXIT_REFUSED)
        raise typer.Exit(_print_result(final))
