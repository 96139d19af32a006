#!/usr/bin/env bash
# Until the first release, the initial migration is regenerated from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f /tmp/marea-gen.db app/migrations/versions/0001_initial_schema.py
.venv/bin/python - <<'PY'
from alembic import command
from app.core.db import alembic_config
command.revision(alembic_config("sqlite:////tmp/marea-gen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
.venv/bin/ruff check --fix -q --unsafe-fixes app/migrations/versions/ >/dev/null || true
.venv/bin/ruff format -q app/migrations/versions/
