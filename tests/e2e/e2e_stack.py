"""The running site as the browser tests see it (started by conftest's `stack` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stack:
    """The running site: where to point the browser and where its logs are."""

    base_url: str
    data_dir: Path
    server_log: Path
    worker_log: Path

    def logs_tail(self, lines: int = 40) -> str:
        parts = []
        for log in (self.server_log, self.worker_log):
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            parts.append(f"--- {log.name} (last {lines} lines) ---\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)
