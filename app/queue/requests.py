"""Turning a stored submission into a judging request, the same way for first runs and rescores."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.challenges.models import Challenge, Phase
from app.core.runtime import Runtime
from app.queue.challenge_files import challenge_dirs
from app.queue.judge_request import build_request
from app.submissions.models import Submission
from judging import JudgeRequest


def prepare_request(
    runtime: Runtime,
    session: Session,
    submission: Submission,
    workdir: Path,
    labels: dict[str, str],
) -> JudgeRequest:
    """Copy the upload into `workdir` and describe the run with the challenge as it is now.

    "As it is now" matters for rescoring: a new bundle version brings a new scoring
    program, and judging again is how it reaches existing submissions.
    """
    phase = session.get(Phase, submission.phase_id)
    challenge = session.get(Challenge, submission.challenge_id)
    assert phase is not None and challenge is not None
    dirs = challenge_dirs(session, runtime.store, challenge, runtime.settings.work_dir)
    upload = workdir / "upload" / safe_name(submission.filename)
    runtime.store.copy_to(submission.file_sha256, upload)
    request = build_request(
        challenge.config, phase.name, upload, dirs, runtime.settings.runner_image, labels=labels
    )
    allowed = runtime.settings.runner_images()
    if request.image not in allowed:
        # Loaded while the image was allowed, since taken off the list: judging stops here
        # rather than run an image the administrator no longer vouches for.
        raise ImageNotAllowed(
            f"the runner image {request.image!r} is no longer allowed on this site "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return request


class ImageNotAllowed(Exception):
    """The challenge names a runner image the site's administrator no longer allows."""


def safe_name(filename: str) -> str:
    name = Path(filename).name.strip() or "submission"
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:120]
