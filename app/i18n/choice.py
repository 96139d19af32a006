"""Language choice for pages: ?lang=, then the `lang` cookie, then Accept-Language."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("it", "en")


def pick_language(request: Request, default: str = "it") -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((weight, tag.split("-")[0].strip().lower()))
    for _, lang in sorted(weighted, key=lambda item: -item[0]):
        if lang in LANGUAGES:
            return lang
    return default


def localise(text: dict[str, str] | str | None, lang: str) -> str:
    """A bundle's {it, en} text in the reader's language, falling back to the other one."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang) or next(iter(text.values()), "")
