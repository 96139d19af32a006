"""A challenge's look on its pages: its logo, hero picture and two colours, served by the site.

The bundle's `identity:` names raster images (checked by content when the bundle is
validated) and colours (checked for text contrast). Pages link to addresses that carry a
digest of what they serve, so a browser or proxy may keep each answer for a year: a new
bundle with another picture or colour changes the address, never the bytes behind one.

The colours reach the page as a style sheet of this site (the Content-Security-Policy allows
no inline style); an image goes out with the content type its first bytes prove, never one a
file name or the bundle claims, and the bundle cannot name an SVG at all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from sqlmodel import Session, select

from app.bundles.files import IDENTITY_IMAGES, image_type
from app.challenges.models import Challenge, DataFile
from app.challenges.web import PublishedChallenge
from app.web.deps import SessionDep, StoreDep

router = APIRouter(tags=["challenges"])

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MAX_IMAGE_BYTES = max(IDENTITY_IMAGES.values())


@dataclass(frozen=True)
class Identity:
    """What a challenge page shows of its identity: addresses, or None where it has none."""

    logo: str | None
    hero: str | None
    css: str | None


def _colours(config: dict[str, Any]) -> dict[str, str]:
    identity = config.get("identity") or {}
    return {
        key: value
        for key in ("primary", "accent")
        if isinstance(value := identity.get(key), str) and _COLOUR.match(value)
    }


# Where each colour goes, written with the text colour the contrast rule checked it against
# (app/bundles/rules.py): white on the primary colour, the site's ink on the accent.
_RULES = {
    "primary": (
        ".challenge-actions .button:not(.secondary) { background: var(--identity-primary); "
        "color: #fff; }\n"
        ".tabs a[aria-current] { border-bottom-color: var(--identity-primary); }\n"
    ),
    "accent": (
        ".tabs a[aria-current] { background: var(--identity-accent); color: var(--ink); }\n"
        ".identity-hero { border-bottom-color: var(--identity-accent); }\n"
    ),
}


def style_sheet(config: dict[str, Any]) -> str:
    """The colours as custom properties and the few rules that use them; "" without colours."""
    colours = _colours(config)
    if not colours:
        return ""
    names = "".join(f"  --identity-{key}: {value.lower()};\n" for key, value in colours.items())
    return ":root {\n" + names + "}\n" + "".join(_RULES[key] for key in colours)


def _image_row(session: Session, challenge: Challenge, key: str) -> DataFile | None:
    path = (challenge.config.get("identity") or {}).get(key)
    if key not in IDENTITY_IMAGES or not isinstance(path, str):
        return None
    return session.exec(
        select(DataFile).where(
            DataFile.challenge_id == challenge.id,
            DataFile.role == "identity",
            DataFile.path == path,
        )
    ).first()


def identity_of(session: Session, challenge: Challenge) -> Identity | None:
    """The addresses a page of `challenge` links to; None when the bundle sets no identity."""
    if not challenge.config.get("identity"):
        return None
    urls: dict[str, str | None] = {}
    for key in IDENTITY_IMAGES:
        row = _image_row(session, challenge, key)
        urls[key] = (
            None
            if row is None
            else f"/challenges/{challenge.slug}/identity/{key}-{row.sha256[:16]}"
        )
    css = style_sheet(challenge.config)
    digest = hashlib.sha256(css.encode()).hexdigest()[:16]
    return Identity(
        logo=urls["logo"],
        hero=urls["hero"],
        css=f"/challenges/{challenge.slug}/identity/colours-{digest}.css" if css else None,
    )


@router.get("/challenges/{slug}/identity/colours-{sheet}.css", name="challenge_identity_css")
def identity_css(challenge: PublishedChallenge, sheet: str) -> Response:
    css = style_sheet(challenge.config)
    if not css or hashlib.sha256(css.encode()).hexdigest()[:16] != sheet:
        raise HTTPException(404, "This challenge has no such style sheet.")
    # Not cacheable, like every answer of the site, although the address names the bytes: a
    # challenge unpublished later must not keep its identity in a shared cache.
    return Response(css, media_type="text/css")


@router.get("/challenges/{slug}/identity/{key}-{digest}", name="challenge_identity_image")
def identity_image(
    challenge: PublishedChallenge, key: str, digest: str, session: SessionDep, store: StoreDep
) -> Response:
    """The logo or hero, with the content type its bytes prove (PNG, JPEG or WebP only)."""
    row = _image_row(session, challenge, key)
    if row is None or len(digest) != 16 or not row.sha256.startswith(digest):
        raise HTTPException(404, "This challenge has no such image.")
    with store.open(row.sha256) as fh:
        data = fh.read(_MAX_IMAGE_BYTES + 1)
    kind = image_type(data[:12])
    if kind is None or len(data) > _MAX_IMAGE_BYTES:  # loaded by a release that did not check
        raise HTTPException(404, "This challenge has no such image.")
    return Response(data, media_type=kind)
