"""Which Redis server the suites use, so that two checkouts can run their suites at once.

Every suite keeps its own database number (suites flush their own database, never another
one's). `MAREA_TEST_REDIS` names the server (default: the machine's Redis on 6379); a second
checkout running its suite at the same time points it at a redis-server of its own.
"""

from __future__ import annotations

import os

REDIS_BASE = os.environ.get("MAREA_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")


def redis_url(db: int) -> str:
    """The URL of database `db` on the suites' Redis server."""
    return f"{REDIS_BASE}/{db}"
