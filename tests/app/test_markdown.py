"""Organisers' markdown is rendered, and anything that could run script is removed."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.text.markdown import render_markdown

pytestmark = pytest.mark.unit  # needs no service: `make unit`


def test_renders_common_markdown() -> None:
    source = (
        "# Mare\n\n**Dati** in [CSV](https://example.org/a.csv)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    html = str(render_markdown(source))
    assert "<h1>Mare</h1>" in html
    assert "<strong>Dati</strong>" in html
    assert 'href="https://example.org/a.csv"' in html
    assert "<table>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "![x](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
        "<iframe src='https://example.org'></iframe>",
    ],
)
def test_hostile_markdown_is_neutralised(hostile: str) -> None:
    elements = _elements(str(render_markdown(hostile)))
    tags = {tag for tag, _ in elements}
    assert not tags & {"script", "iframe", "object", "embed"}
    for _, attrs in elements:
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith("javascript:")


def test_raw_html_shows_as_text() -> None:
    html = str(render_markdown("<b onclick=x>hi</b>"))
    assert _elements(html) == [("p", [])]
    assert "&lt;b" in html


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found
