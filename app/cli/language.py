"""`--lang` for commands whose errors organisers read (`challenge validate`, `event validate`).

English unless asked: a terminal's LANG says little about who reads CI logs, and scripts
that grep the output should not change with the machine. `--lang it` says the same errors
in Italian, as the organisers' upload page does.
"""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.console import Console
from rich.markup import escape

from app.bundles.errors import BundleError
from app.i18n.speech import gettext as _
from app.i18n.speech import say


class Language(StrEnum):
    en = "en"
    it = "it"


LANG_OPTION = typer.Option(
    Language.en, "--lang", help="Language of the errors and fixes: en (the default) or it."
)


def print_error(out: Console, where: str, error: BundleError) -> None:
    """`where: message` (editors make it a link) and the fix below, in the language spoken."""
    out.print(f"[bold]{escape(where)}[/bold]: {escape(say(error.message))}")
    fix = _("fix:")
    out.print(f"  {escape(fix)} {escape(say(error.hint))}")
