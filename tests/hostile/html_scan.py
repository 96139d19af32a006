"""What a rendered page may not contain, found by parsing it as a browser would tokenise it.

A page passes when it has no script other than the site's own files under /static/, no
inline event handler (on*= attributes), no inline style (the CSP would block it anyway, so
one means a template bug), no frame or plugin element, and no URL attribute whose scheme can
run code. Hostile text that was escaped shows up as text, never as any of these.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster"})
FORBIDDEN_TAGS = frozenset({"iframe", "frame", "object", "embed", "applet", "base"})
SAFE_SCHEMES = frozenset({"", "http", "https", "mailto"})
# Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")


def _scheme(url: str) -> str:
    compact = _IGNORED_IN_SCHEME.sub("", url).lower()
    if ":" not in compact.split("/", 1)[0].split("?", 1)[0]:
        return ""
    return urlsplit(compact).scheme


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            src = values.get("src", "")
            if not src:
                self.problems.append("an inline <script> element")
            elif not urlsplit(src).path.startswith("/static/"):
                self.problems.append(f"a script from outside /static/: {src!r}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"a <{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("a <meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"an inline event handler {name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"an inline style attribute on <{tag}>: {value!r}")
            if name in URL_ATTRIBUTES:
                scheme = _scheme(value)
                allowed = SAFE_SCHEMES | ({"data"} if tag == "img" else set())
                if scheme not in allowed:
                    self.problems.append(f"a {scheme}: URL in {name} of <{tag}>: {value!r}")
                if tag == "a" and name == "href":
                    self.links.append(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def page_problems(html: str) -> list[str]:
    """Everything in `html` that could run script; empty for a safe page."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems


def links_of(html: str) -> list[str]:
    """The href of every <a> in the page, as the browser would see it (entities decoded)."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.links
