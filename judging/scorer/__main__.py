"""Entry point inside the scoring container: `python3 -m marea_scorer CONFIG_JSON`.

The package is mounted read-only under another name (`marea_scorer`), so it may
import only itself, the standard library and numpy. Paths come from the same
environment variables an organiser's program gets.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .score import score


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 -m marea_scorer CONFIG_JSON", file=sys.stderr)
        return 2
    config = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    answer = score(
        config,
        Path(os.environ["MAREA_PREDICTIONS_FILE"]),
        Path(os.environ["MAREA_REFERENCE_DIR"]),
    )
    Path(os.environ["MAREA_SCORES_FILE"]).write_text(json.dumps(answer), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
