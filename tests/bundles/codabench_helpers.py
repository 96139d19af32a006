"""What an organiser does to a Codabench import before loading it, for tests that need one."""

from __future__ import annotations

from pathlib import Path

from app.bundles.errors import TODO_MARKER


def fill_placeholders(bundle: Path) -> None:
    """What an organiser does after the import: translate, name the licence and the source."""
    text = (bundle / "challenge.yaml").read_text(encoding="utf-8")
    text = text.replace(f"{TODO_MARKER} traduci: ", "")
    text = text.replace(f"{TODO_MARKER}: the licence of the data, e.g. CC-BY-4.0", "CC-BY-4.0")
    text = text.replace(f"{TODO_MARKER}: where the data comes from.", "Codabench test suite.")
    text = text.replace(f"{TODO_MARKER}: the organisers' name", "Comune di Prova")
    (bundle / "challenge.yaml").write_text(text, encoding="utf-8")
    for page in (bundle / "pages").glob("*.md"):
        if page.name.endswith(".it.md"):
            page.write_text("# Pagina\n\nTesto in italiano.\n", encoding="utf-8")
        elif TODO_MARKER in page.read_text(encoding="utf-8"):
            page.write_text("# Page\n\nWritten by the organisers.\n", encoding="utf-8")
