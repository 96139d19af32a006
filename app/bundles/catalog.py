"""The bundled demo catalog (challenges/), ready to load with hidden files nobody has seen.

The catalog lives in a public repository, so its generated challenges keep no
hidden files there: their `tools/generate.py` writes the practice data from a
published seed (committed), and with `--hidden DIR` writes the judged inputs and
the answers from a secret seed (`MAREA_HIDDEN_SEED`, else a random one) that it
never prints. This module runs that once per site, into the data directory
(never committed), and reuses the result, so loading the catalog again changes
nothing; a changed generator makes a new set. Bundles without a generator (the
real-data ones) are loaded as they are: their answers are public, which their
`demo: true` banner says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox import sha256_file

GENERATOR = Path("tools") / "generate.py"
HIDDEN_FOLDER = "catalog-hidden"
GENERATION_TIMEOUT_S = 600


@dataclass(frozen=True)
class CatalogEntry:
    bundle: Path
    hidden: Path | None  # the generated hidden files, or None when the bundle has them


class GenerationFailed(Exception):
    """A catalog generator did not finish; the message says which and what it printed."""


def catalog_bundles(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.glob("*/challenge.yaml"))


def prepare_catalog(
    folder: Path, data_dir: Path, progress: Callable[[str], None] = lambda _m: None
) -> list[CatalogEntry]:
    """Every bundle of the catalog with its hidden files, generating those not made yet."""
    return [
        _entry(bundle, data_dir / HIDDEN_FOLDER, progress) for bundle in catalog_bundles(folder)
    ]


def _entry(bundle: Path, store: Path, progress: Callable[[str], None]) -> CatalogEntry:
    generator = bundle / GENERATOR
    if not generator.is_file():
        return CatalogEntry(bundle, None)
    hidden = store / bundle.name
    stamp = store / f"{bundle.name}.generator-sha256"
    digest = sha256_file(generator)
    if hidden.is_dir() and stamp.is_file() and stamp.read_text().strip() == digest:
        return CatalogEntry(bundle, hidden)
    progress(f"generating the hidden files of {bundle.name} (secret seed, kept in {store})")
    fresh = store / f"{bundle.name}.partial"
    shutil.rmtree(fresh, ignore_errors=True)
    store.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, str(GENERATOR), "--hidden", str(fresh)],
            cwd=bundle,
            env=dict(os.environ),  # MAREA_HIDDEN_SEED, when the operator sets one
            capture_output=True,
            text=True,
            timeout=GENERATION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GenerationFailed(f"{generator} could not run: {exc}") from exc
    if done.returncode != 0:
        raise GenerationFailed(
            f"{generator} --hidden failed (exit {done.returncode}): {done.stderr[-2000:]}"
        )
    shutil.rmtree(hidden, ignore_errors=True)
    fresh.rename(hidden)
    stamp.write_text(digest + "\n")
    return CatalogEntry(bundle, hidden)
