"""One settings object for the whole platform, read from `MAREA_*` environment variables.

Everything configurable lives here so that no module reaches for a global: the
web app, the worker and the CLI each build a `Settings` and pass it down.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MiB = 1024 * 1024
DEFAULT_RUNNER_IMAGE = "marea-runner:latest"  # what `marea sandbox build-image` builds
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The pages ship inside the package, so `pip install .` (not editable) serves them too.
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "web" / "templates"


class StoreUrlError(ValueError):
    """MAREA_STORE_URL names no store Marea can open; the message says what to write instead."""


@dataclass(frozen=True)
class FolderLocation:
    path: Path


@dataclass(frozen=True)
class BucketLocation:
    bucket: str
    prefix: str  # "" or ends with "/"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


_STORE_URL_FORMS = "write file:///absolute/path/to/folder or s3://bucket/optional/prefix"


def parse_store_url(url: str, default_folder: Path) -> FolderLocation | BucketLocation:
    """Where MAREA_STORE_URL says the store is, or a StoreUrlError saying how to fix it.

    Credentials in the URL are refused without echoing it (it would put a secret in the
    log): they belong in MAREA_S3_ACCESS_KEY_ID and MAREA_S3_SECRET_ACCESS_KEY.
    """
    text = url.strip()
    if not text:
        return FolderLocation(default_folder)
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise StoreUrlError(
            "MAREA_STORE_URL must not carry credentials: put them in MAREA_S3_ACCESS_KEY_ID "
            "and MAREA_S3_SECRET_ACCESS_KEY, and " + _STORE_URL_FORMS
        )
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StoreUrlError(
                f"MAREA_STORE_URL={text} is not a folder on this host (three slashes and an "
                f"absolute path: file:///srv/marea/store); {_STORE_URL_FORMS}"
            )
        return FolderLocation(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        bucket = parts.netloc
        valid = all(c in "abcdefghijklmnopqrstuvwxyz0123456789-." for c in bucket)
        if not valid or not 3 <= len(bucket) <= 63:
            raise StoreUrlError(
                f"MAREA_STORE_URL={text} names no valid bucket (3 to 63 lowercase letters, "
                f"digits, dots or hyphens after s3://); {_STORE_URL_FORMS}"
            )
        if parts.query or parts.fragment:
            raise StoreUrlError(
                f"MAREA_STORE_URL={text} has a query or fragment; the endpoint and region are "
                f"MAREA_S3_ENDPOINT_URL and MAREA_S3_REGION; {_STORE_URL_FORMS}"
            )
        prefix = "/".join(p for p in unquote(parts.path).split("/") if p)
        return BucketLocation(bucket, f"{prefix}/" if prefix else "")
    raise StoreUrlError(
        f"MAREA_STORE_URL={text} has no scheme Marea knows ({parts.scheme or 'none'}); "
        + _STORE_URL_FORMS
    )


DEFAULT_POOL = "default"
POOL_NAME = r"^[a-z0-9][a-z0-9-]{0,39}$"


def pool_queue_name(base: str, pool: str) -> str:
    """A compute pool's RQ queue. The default pool keeps the plain name, so a site from before
    pools loses no job; both the queue code and the dashboard's figures name queues so."""
    return base if pool == DEFAULT_POOL else f"{base}-pool-{pool}"


class ComputePool(BaseModel):
    """A pool of worker hosts a phase may name (`compute: {pool: ...}`), with what its hosts
    offer: a bundle asking for more than every pool offers is refused when it is loaded."""

    name: str = Field(pattern=POOL_NAME, description="What a bundle's compute.pool names.")
    cpus: float = Field(gt=0, description="CPUs one sandbox of this pool may have.")
    memory_mb: int = Field(gt=0, description="Memory one sandbox of this pool may have.")
    gpus: int = Field(default=0, ge=0, description="GPUs one sandbox of this pool may have.")


class OidcProvider(BaseModel):
    """One OpenID Connect provider people may log in with (its metadata is discovered)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="Used in URLs.")
    issuer: str = Field(description="Issuer URL; `/.well-known/openid-configuration` is read.")
    client_id: str
    client_secret: str
    label: str = Field(default="", description="Button text; the name when empty.")


class Settings(BaseSettings):
    """Platform configuration; see docs/operations.md for what each value is for."""

    model_config = SettingsConfigDict(env_prefix="MAREA_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Where the SQLite file, store and logs live."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in data_dir."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = Field(
        default="", description="Signs sessions; generated and kept when empty."
    )
    runner_image: str = DEFAULT_RUNNER_IMAGE
    allowed_runner_images: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Images a bundle's runner_image may name, besides runner_image; each must "
        "already be on every worker's engine (workers never pull). Comma-separated or JSON.",
    )
    store_url: str = Field(
        default="",
        description=(
            "Where stored files live: file:///absolute/path (a folder every host shares) or "
            "s3://bucket/prefix (an S3-compatible bucket). Empty: the folder data_dir/store."
        ),
    )
    s3_endpoint_url: str = Field(
        default="",
        description="The S3 server (SeaweedFS, MinIO, ...): http(s)://host:port; empty: AWS.",
    )
    s3_region: str = Field(default="us-east-1", description="The bucket's region.")
    s3_access_key_id: str = Field(default="", description="Empty: boto3's own credential chain.")
    s3_secret_access_key: SecretStr = Field(
        default=SecretStr(""), description="Never logged; empty: boto3's own credential chain."
    )
    store_cache_dir: Path | None = Field(
        default=None,
        description=(
            "With an s3:// store: where this host keeps the objects its jobs read as files "
            "(content-addressed, verified by sha256). Empty: data_dir/store-cache."
        ),
    )
    store_cache_bytes: int = Field(
        default=20 * 1024 * MiB,
        ge=0,
        description="The cache's size cap; the least recently used objects go first past it.",
    )
    upload_max_bytes: int = 200 * MiB
    sandboxes_per_worker: int = 2
    queue_name: str = "marea"
    pools: list[ComputePool] = Field(
        default_factory=list,
        description="JSON list of {name, cpus, memory_mb, gpus}: the compute pools this site "
        "runs. Empty: any pool name a bundle gives is accepted, unchecked.",
    )
    worker_gpus: int = Field(
        default=0, ge=0, description="GPUs this worker host announces (it cannot count them)."
    )
    team_concurrency: int = Field(default=2, description="Submissions of one team judged at once.")
    dispatch_depth: int = Field(default=4, description="Jobs kept waiting in Redis, ready to run.")
    max_attempts: int = Field(
        default=3, description="Tries after internal errors before giving up."
    )
    heartbeat_timeout_s: float = Field(default=30.0, description="Silence before a run is dead.")
    sweep_interval_s: float = 5.0
    sandbox_max_age_s: float = Field(
        default=2 * 3600, description="Sandbox containers older than this are removed as leftovers."
    )
    templates_dir: Path = TEMPLATES_DIR
    challenges_dir: Path = PROJECT_ROOT / "challenges"
    base_url: str = "http://127.0.0.1:8000"
    default_language: str = "it"
    oidc_providers: list[OidcProvider] = Field(
        default_factory=list,
        description="JSON list of {name, issuer, client_id, client_secret, label}.",
    )
    login_failures_per_email: int = Field(default=5, description="Failed logins before a pause.")
    login_failures_per_ip: int = Field(default=20, description="Failed logins from one address.")
    login_window_s: int = Field(default=900, description="How long failed logins are counted.")
    access_log: bool = Field(
        default=False,
        description=(
            "Log every request `marea serve` answers (the reverse proxy in front usually does; "
            "on a busy board it costs about a tenth of the web process's time)."
        ),
    )
    board_cache_ttl_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "A cached board is rebuilt from the database after this long even without an event "
            "(a safety net: scores move it row by row, organiser actions drop it)."
        ),
    )
    sse_keepalive_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between keep-alives on live streams (a fixed schedule per stream).",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A request's line and headers must arrive within this time, or it is closed.",
    )
    body_idle_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="A request body that sends nothing for this long is closed.",
    )
    streams_per_client: int = Field(
        default=32,
        ge=1,
        description="Live event streams (SSE) one client address may hold open at once.",
    )
    login_throttle_max_s: int = Field(
        default=30,
        description="Longest pause between attempts on an account guessed at from many addresses.",
    )
    signup_refusals_per_ip: int = Field(
        default=20, description="Refused sign-ups from one address before a pause."
    )
    signup_window_s: int = Field(default=900, description="How long refused sign-ups are counted.")
    session_max_age_s: int = Field(
        default=14 * 24 * 3600, description="How long a browser login lasts before a new one."
    )
    smtp_url: str = Field(
        default="",
        description=(
            "Where mail is sent: smtp://host:port, smtp+starttls://host:port or "
            "smtps://host:port, with optional user:password@ (URL-quoted). Empty: no SMTP "
            "server; mail stays in the outbox (/admin/outbox) and the worker's log."
        ),
    )
    mail_from: str = Field(
        default="Marea <marea@localhost>", description="The From of every mail the site sends."
    )
    mail_reply_to: str = Field(default="", description="Reply-To of every mail; empty: none.")
    smtp_timeout_s: float = Field(
        default=20.0, gt=0, description="How long one SMTP conversation may wait for the server."
    )
    mail_max_attempts: int = Field(
        default=5, ge=1, description="Tries of one mail before it is marked failed."
    )
    mail_retry_base_s: float = Field(
        default=60.0,
        ge=0,
        description="Wait before the first retry of a mail; each next retry waits twice as long.",
    )
    password_reset_ttl_s: int = Field(
        default=3600, gt=0, description="How long a password-reset link works."
    )
    email_verify_ttl_s: int = Field(
        default=7 * 24 * 3600, gt=0, description="How long an address-verification link works."
    )
    mail_requests_per_ip: int = Field(
        default=10,
        description="Password-reset and verification mails one client address may ask for.",
    )
    mail_requests_per_address: int = Field(
        default=3, description="Such mails one address may be sent in the window."
    )
    mail_requests_window_s: int = Field(
        default=3600, description="How long requests for mail are counted."
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token Prometheus sends to /metrics; empty: open to 127.0.0.1/::1 only.",
    )

    @field_validator("allowed_runner_images", mode="before")
    @classmethod
    def _image_list(cls, value: Any) -> Any:
        """`a:1,b:2`, `a:1 b:2` or a JSON list, so the variable is easy to write by hand."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.replace(",", " ").split() if part]
        return value

    def runner_images(self) -> frozenset[str]:
        """Every image a challenge may run in: the site's own and those the administrator allows."""
        return frozenset({self.runner_image, *self.allowed_runner_images})

    def model_post_init(self, __context: object) -> None:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'marea.db'}"

    def store_location(self) -> FolderLocation | BucketLocation:
        """Where the file store is (StoreUrlError if MAREA_STORE_URL is malformed)."""
        return parse_store_url(self.store_url, self.data_dir / "store")

    @property
    def store_dir(self) -> Path:
        """The store's folder: MAREA_STORE_URL's for a file:// store, else data_dir/store."""
        location = self.store_location() if self.store_url.startswith("file:") else None
        if isinstance(location, FolderLocation):
            return location.path
        return self.data_dir / "store"

    @property
    def cache_dir(self) -> Path:
        """The worker-local copy of an object store's files (an s3:// store only)."""
        if self.store_cache_dir is not None:
            return self.store_cache_dir.expanduser().resolve()
        return self.data_dir / "store-cache"

    @property
    def work_dir(self) -> Path:
        """Scratch space for unpacking and judging; safe to wipe between runs."""
        return self.data_dir / "work"

    def ensure_dirs(self) -> None:
        folders = [self.data_dir, self.work_dir]
        if not isinstance(self.store_location(), BucketLocation):
            folders.append(self.store_dir)  # a bucket's site keeps no folder store
        for path in folders:
            path.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first use and kept in data_dir.

        Keeping it on disk means sessions survive a restart without the operator
        having to invent a secret for a local try-out.
        """
        if self.secret_key:
            return self.secret_key
        self.ensure_dirs()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        self.secret_key = key_file.read_text().strip()
        return self.secret_key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (entry points only)."""
    return Settings()
