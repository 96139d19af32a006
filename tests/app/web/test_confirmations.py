"""Every destructive form in every template asks for a confirmation before it acts.

The browser crawl (tests/e2e/site_check.py) checks the forms it meets, but some appear only in
states a crawl rarely reaches (a rescore set waiting for a decision, a queued submission), so
the templates are read here too. A form is destructive when one of its buttons is marked
`danger` or its action's route is named for something that cannot simply be taken back; it
passes when it sits in the `confirm` macro's disclosure (or a `<details class="confirm">`),
when it is a confirmation step itself (`confirm=yes`), or when its label ends with "…" (it
leads to a confirmation page, which the crawl submits to check).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # needs no service: `make unit`

TEMPLATES = Path(__file__).resolve().parents[3] / "app" / "web" / "templates"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
POST = re.compile(r"""method=["']post["']""", re.I)
ROUTE = re.compile(r"""url_for\(\s*['"](\w+)['"]""")
DESTRUCTIVE_ROUTE = re.compile(
    r"publish|reveal|hide|apply|discard|disqualify|leave|cancel|delete|deactivate|unassign|revoke"
)
BUTTON = re.compile(r"<button\b[^>]*>(.*?)</button>", re.S)
OPENS = re.compile(r"""\{%-?\s*call\s+confirm\(|<details class=["']confirm["'][^>]*>""")
CLOSES = re.compile(r"""\{%-?\s*endcall\s*-?%\}|</details>""")


def inside_confirm(text: str, position: int) -> bool:
    """Whether a confirm disclosure is open at `position` (other <details> close nothing here)."""
    stack: list[str] = []
    for match in sorted(
        [*OPENS.finditer(text), *CLOSES.finditer(text), *re.finditer(r"<details\b", text)],
        key=lambda m: m.start(),
    ):
        if match.start() >= position:
            break
        token = match.group(0)
        if OPENS.fullmatch(token):
            stack.append("confirm")
        elif token.startswith("<details"):
            stack.append("other")
        elif stack:
            stack.pop()
    return "confirm" in stack


def destructive_forms() -> list[tuple[str, str, bool]]:
    """(template, the form's route, whether it asks first) for each destructive POST form."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for form in FORM.finditer(text):
            body = form.group(0)
            if not POST.search(body[: body.index(">") + 1]):
                continue
            route = ROUTE.search(body)
            name = route.group(1) if route else "?"
            buttons = BUTTON.findall(body)
            danger = re.search(r"""<button\b[^>]*class=["'][^"']*\bdanger\b""", body)
            if not (danger or DESTRUCTIVE_ROUTE.search(name)):
                continue
            asks = (
                inside_confirm(text, form.start())
                or re.search(r"""name=["']confirm["']\s+value=["']yes["']""", body) is not None
                or (bool(buttons) and all(b.strip().endswith('…") }}') for b in buttons))
            )
            found.append((str(path.relative_to(TEMPLATES)), name, asks))
    return found


def test_the_scan_finds_the_destructive_forms() -> None:
    """A scan that found nothing would pass every template: it must see the known ones."""
    names = {name for _, name, _ in destructive_forms()}
    for known in ("organise_unpublish", "team_leave", "organise_disqualify_team"):
        assert known in names, f"the scan no longer finds {known}: {sorted(names)}"


def test_every_destructive_form_asks_first() -> None:
    unasked = [f"{template}: {name}" for template, name, asks in destructive_forms() if not asks]
    assert not unasked, "destructive forms that act without a confirmation:\n" + "\n".join(unasked)
