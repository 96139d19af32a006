"""A bounded crawl of the site as one role sees it, and the checks every page it finds must pass.

The crawl starts from the role's home pages and follows same-origin links (GET only: forms are
never submitted by the crawl, so logging out, leaving a team or publishing cannot happen by
accident), skipping downloads and the language switch (which would change the context's
language). URLs are grouped by route pattern (numbers, tokens and challenge slugs collapsed)
and only a few of each pattern are visited, so a site with many teams or submissions is
crawled in the same bounded time as a small one.

On every page found: nothing is wider than the screen, axe finds no serious or critical
violation, no visible text is in the other language (see `language_findings`), every
destructive form asks for a confirmation first (see `destructive_findings`), and no request
leaves the site's origin (recorded on the whole context).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from babel.messages.pofile import read_po
from e2e_flows import assert_fits, assert_page_accessible
from language_allowlist import ALLOWED
from playwright.sync_api import BrowserContext, Page, Request
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
IT_PO = ROOT / "app" / "locale" / "it" / "LC_MESSAGES" / "messages.po"
PER_PATTERN = 1  # one page of each route pattern: the crawl stays bounded as the site grows
MAX_PAGES = 90  # per crawl; a crawl that reaches it fails, so the bound never hides pages
SLUG_PARENTS = frozenset({"challenges", "organise", "judge"})
NOT_SLUGS = frozenset({"dashboard", "upload"})
SKIPPED_SUFFIXES = (".csv", ".zip", ".json", ".txt", ".py", ".ipynb", ".png", ".svg", ".md")
SKIPPED_SEGMENTS = frozenset({"file", "files", "download", "downloads", "logout", "static"})
# The site's own pages are checked in full; these are not the site's templates (FastAPI's
# Swagger UI), so only the requests they make are checked.
FOREIGN_PAGES = ("/api/docs",)

DESTRUCTIVE_ACTION = re.compile(
    r"^(publish|unpublish|reveal|hide|apply|discard|disqualify|leave|cancel|delete|deactivate"
    r"|remove|revoke)",
)
FORMS = """() => [...document.querySelectorAll("form")]
  .filter(f => (f.getAttribute("method") || "get").toLowerCase() === "post")
  .map(f => {
    const buttons = [...f.querySelectorAll(
      "button[type=submit], button:not([type]), input[type=submit]")];
    const label = b => (b.textContent || b.value || "").replace(/\\s+/g, " ").trim();
    return {
      action: new URL(f.getAttribute("action") || location.href, location.href).pathname,
      labels: buttons.map(label),
      danger: buttons.some(b => b.classList.contains("danger")),
      disclosed: f.closest("details.confirm") !== null
        && f.closest("details.confirm").querySelector(":scope > summary") !== null,
      confirm_step: f.querySelector("input[name=confirm][value=yes]") !== null,
      ellipsis: buttons.length > 0 && buttons.every(b => /…$/.test(label(b))),
      disabled: buttons.length > 0 && buttons.every(b => b.disabled),
    };
  })"""
TEXTS = """() => {
  const out = [];
  const skip = "script, style, code, pre, textarea, kbd, samp";
  const pageLang = document.documentElement.lang;
  const foreign = el => { const l = el.closest("[lang]"); return l && l.lang !== pageLang; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest(skip) || foreign(el)) continue;
    const text = walker.currentNode.nodeValue.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (foreign(el)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = (el.getAttribute(name) || "").replace(/\\s+/g, " ").trim();
      if (value) out.push(value);
    }
  }
  for (const el of document.querySelectorAll("input[type=submit], input[type=button]")) {
    if (el.value) out.push(el.value.trim());
  }
  if (document.title) out.push(document.title.trim());
  return {lang: pageLang, texts: out};
}"""
# Words that mark a sentence as being in the other language; two in one text node are a finding.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "your",
        "you",
        "with",
        "this",
        "that",
        "are",
        "is",
        "from",
        "not",
        "has",
        "have",
        "will",
        "been",
        "which",
        "there",
        "their",
        "when",
        "what",
        "can",
        "cannot",
    ]
)
ITALIAN_WORDS = frozenset(
    [
        "il",
        "lo",
        "gli",
        "della",
        "delle",
        "degli",
        "dei",
        "del",
        "che",
        "non",
        "sono",
        "per",
        "una",
        "con",
        "questa",
        "questo",
        "nella",
        "nel",
        "alla",
        "dalla",
        "squadra",
        "invia",
        "anche",
        "solo",
    ]
)
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass
class Catalog:
    """The English texts an Italian page must not show, and the Italian an English one must not."""

    english_only: frozenset[str]
    italian_only: frozenset[str]
    english_patterns: tuple[re.Pattern[str], ...]
    italian_patterns: tuple[re.Pattern[str], ...]


def _pattern(text: str) -> re.Pattern[str] | None:
    """A message with placeholders as a regex; None when too little of it is fixed text."""
    pieces = re.split(r"%\(\w+\)[sdf]|%[sdf]", text)
    if len(pieces) == 1 or sum(len(p.strip()) for p in pieces) < 12:
        return None
    return re.compile(".+?".join(re.escape(p) for p in pieces), re.S)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def catalog() -> Catalog:
    with IT_PO.open("rb") as source:
        po = read_po(source, locale="it")
    english: set[str] = set()
    italian: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        for en, it in zip(ids, strs, strict=False):
            en, it = _normal(en), _normal(it or "")
            if en and it and en != it:
                pairs.append((en, it))
                english.add(en)
                italian.add(it)
    # A text both catalogs use ("No" in both, say) proves nothing either way.
    shared = english & italian
    english_only = frozenset(e for e in english - shared if e not in ALLOWED)
    italian_only = frozenset(i for i in italian - shared if i not in ALLOWED)
    return Catalog(
        english_only,
        italian_only,
        tuple(p for p in (_pattern(e) for e in sorted(english_only)) if p),
        tuple(p for p in (_pattern(i) for i in sorted(italian_only)) if p),
    )


def language_findings(page: Page) -> list[str]:
    """Visible texts of the page that belong to the other language's catalog or read like it."""
    seen: dict[str, Any] = page.evaluate(TEXTS)
    lang = str(seen["lang"])[:2]
    texts: list[str] = list(dict.fromkeys(seen["texts"]))
    messages = catalog()
    if lang == "it":
        other, patterns, words = messages.english_only, messages.english_patterns, ENGLISH_WORDS
    elif lang == "en":
        other, patterns, words = messages.italian_only, messages.italian_patterns, ITALIAN_WORDS
    else:
        return [f"<html lang={lang!r}>: neither Italian nor English"]
    found = []
    for text in texts:
        if text in ALLOWED:
            continue
        if text in other or any(p.fullmatch(text) for p in patterns):
            found.append(f"{text!r} is in the other language's catalog")
            continue
        tokens = [w.lower() for w in WORD.findall(text) if w not in ALLOWED]
        hits = sorted({w for w in tokens if w in words})
        if len(hits) >= 2:
            found.append(f"{text!r} reads as the other language ({', '.join(hits)})")
    return found


def destructive_findings(page: Page) -> tuple[list[str], list[dict[str, Any]]]:
    """Destructive forms that submit at once, and those whose label promises a next step.

    A destructive form (a danger button, or an action named for what cannot simply be taken
    back) passes when its button sits in a closed `<details class="confirm">` whose summary
    says what will happen (the site's convention: account.html), when it is the confirmation
    step itself (`confirm=yes`), or when its label ends with "…" and the server answers a
    confirmation page (checked by `check_confirmation_page`, which submits it).
    """
    forms: list[dict[str, Any]] = page.evaluate(FORMS)
    bad, promised = [], []
    for form in forms:
        last = form["action"].rstrip("/").rsplit("/", 1)[-1]
        if not (form["danger"] or DESTRUCTIVE_ACTION.match(last)):
            continue
        if form["disclosed"] or form["confirm_step"] or form["disabled"]:
            continue  # asks first, is the asking, or cannot be sent (an admin's own account)
        if form["ellipsis"]:
            promised.append(form)
            continue
        bad.append(
            f"{form['action']} ({' / '.join(form['labels'])}) submits without a confirmation"
        )
    return bad, promised


def check_confirmation_page(page: Page, url: str, form: dict[str, Any]) -> list[str]:
    """Submit a "…" form without confirming: a confirmation page, and nothing done yet."""
    page.goto(url)
    selector = f"form[action$='{form['action']}']"
    page.locator(selector).first.locator(
        "button[type=submit], button:not([type]), input[type=submit]"
    ).first.click()
    page.wait_for_load_state()
    step = page.locator(f"{selector} input[name=confirm][value=yes]")
    problems = []
    if step.count() == 0:
        problems.append(f"{form['action']}: submitting it showed no confirmation step ({page.url})")
    page.goto(url)
    if page.locator(selector).count() == 0:
        problems.append(f"{form['action']}: the action was done without confirming ({url})")
    return problems


def route_pattern(url: str) -> str:
    parts = urlsplit(url)
    segments = parts.path.split("/")
    out = []
    for index, segment in enumerate(segments):
        parent = segments[index - 1] if index else ""
        if re.fullmatch(r"\d+", segment):
            out.append("{n}")
        elif re.fullmatch(r"[A-Za-z0-9_-]{20,}", segment):
            out.append("{token}")
        elif parent in SLUG_PARENTS and segment and segment not in NOT_SLUGS and index == 2:
            out.append("{slug}")
        else:
            out.append(segment)
    query = sorted(
        f"{key}={value if key == 'page' else '*'}" for key, value in parse_qsl(parts.query)
    )
    return "/".join(out) + ("?" + "&".join(query) if query else "")


def followable(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return False
    segments = set(parts.path.split("/"))
    query = dict(parse_qsl(parts.query))
    return not (
        parts.path.endswith(SKIPPED_SUFFIXES)
        or segments & SKIPPED_SEGMENTS
        or parts.path.startswith("/api/")
        or "lang" in query
    )


@dataclass
class Crawl:
    """What one crawl saw: pages visited (by pattern), findings by check, third-party requests."""

    origin: str
    visited: dict[str, list[str]] = field(default_factory=dict)
    findings: dict[str, list[str]] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)

    def add(self, check: str, url: str, problems: Iterable[str]) -> None:
        for problem in problems:
            self.findings.setdefault(check, []).append(f"{url}: {problem}")

    def report(self) -> str:
        lines = []
        for check, problems in sorted(self.findings.items()):
            lines.append(f"== {check} ({len(problems)}) ==")
            lines.extend(f"  {p}" for p in problems[:40])
        return "\n".join(lines)


def watch_requests(context: BrowserContext, crawl: Crawl) -> None:
    """Every request the context makes, from any page: only the site's origin is allowed."""

    def seen(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != crawl.origin:
            frame = request.frame.url if request.frame else "?"
            crawl.outside.append(f"{frame} requested {request.url}")

    context.on("request", seen)


def crawl_site(
    context: BrowserContext,
    origin: str,
    starts: Iterable[str],
    *,
    size: str,
    viewport: dict[str, int],
    axe_source: str,
    language: bool = True,
) -> Crawl:
    """Visit what the role can reach from `starts` and run every check on each page."""
    crawl = Crawl(origin)
    watch_requests(context, crawl)
    page = context.new_page()
    page.set_viewport_size(viewport)  # type: ignore[arg-type]
    queue = [origin + s for s in starts]
    counts: Counter[str] = Counter()
    queued = set(queue)
    promised: list[tuple[str, dict[str, Any]]] = []
    try:
        while queue:
            url = queue.pop(0)
            pattern = route_pattern(url)
            if counts[pattern] >= PER_PATTERN:
                continue
            counts[pattern] += 1
            visits = sum(len(v) for v in crawl.visited.values())
            if visits >= MAX_PAGES:
                crawl.add("bound", url, [f"more than {MAX_PAGES} pages: raise MAX_PAGES"])
                break
            try:
                answer = page.goto(url)
            except PlaywrightError as exc:  # a download the link did not announce
                if "Download is starting" in str(exc):
                    continue
                raise
            crawl.visited.setdefault(pattern, []).append(url)
            path = urlsplit(url).path
            if path in FOREIGN_PAGES:
                page.wait_for_load_state("networkidle")
                continue
            if answer is None or answer.status >= 400:
                crawl.add("status", url, [f"answered {answer.status if answer else None}"])
                continue
            if "text/html" not in (answer.headers.get("content-type") or ""):
                continue
            page.wait_for_load_state("load")
            try:
                assert_fits(page, size)
            except AssertionError as problem:
                crawl.add("overflow", url, [str(problem)])
            try:
                assert_page_accessible(page, axe_source)
            except AssertionError as problem:
                crawl.add("axe", url, [str(problem)])
            if language:
                crawl.add("language", url, language_findings(page))
            bad, ellipsis = destructive_findings(page)
            crawl.add("confirmation", url, bad)
            promised.extend((url, form) for form in ellipsis)
            links: list[str] = page.eval_on_selector_all(
                "a[href]:not([download])", "els => els.map(e => e.href.split('#')[0])"
            )
            for link in links:
                if link not in queued and followable(link, origin):
                    queued.add(link)
                    queue.append(link)
        checked: set[str] = set()
        for url, form in promised:  # after the crawl: these submit (to a confirmation step)
            if form["action"] in checked:
                continue
            checked.add(form["action"])
            crawl.add("confirmation", url, check_confirmation_page(page, url, form))
    finally:
        page.close()
    crawl.add("third-party", "context", crawl.outside)
    return crawl
