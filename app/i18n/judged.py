"""Judging's words in the reader's language: its messages, failure kinds and statuses.

judging/ cannot reach the catalogs, so it stores a message as an id and parameters
(`judging.messages`); this renders that in the page's language, with numbers written the
locale's way. Rows that carry none (judged by an older release, or an app message such as
"gave up after 3 attempts") show their stored English text.
"""

from __future__ import annotations

from gettext import NullTranslations

from babel.numbers import format_decimal

from judging import Message, render

STATUS_CONTEXT = "submission status"
FAILURE_CONTEXT = "failure kind"


def pgettext(context: str, text: str) -> str:
    """Marks `text` for extraction under `context`; translated later, in the reader's language."""
    return text


STATUSES = {
    "queued": pgettext("submission status", "queued"),
    "running": pgettext("submission status", "running"),
    "scored": pgettext("submission status", "scored"),
    "failed": pgettext("submission status", "failed"),
    "cancelled": pgettext("submission status", "cancelled"),
}

FAILURES = {
    "timeout": pgettext("failure kind", "time limit exceeded"),
    "out_of_memory": pgettext("failure kind", "out of memory"),
    "runtime_error": pgettext("failure kind", "runtime error"),
    "missing_output": pgettext("failure kind", "missing output"),
    "invalid_output": pgettext("failure kind", "invalid output"),
    "invalid_submission": pgettext("failure kind", "invalid submission"),
    "scoring_error": pgettext("failure kind", "scoring error"),
    "internal_error": pgettext("failure kind", "internal error"),
}


def judged_message(stored: object, english: str, lang: str, translations: NullTranslations) -> str:
    message = Message.from_json(stored)
    if message is None:
        return english
    return render(message, translations.gettext, lambda x: format_decimal(x, locale=lang))


def status_label(status: object, translations: NullTranslations) -> str:
    text = STATUSES.get(str(status))
    return str(status) if text is None else translations.pgettext(STATUS_CONTEXT, text)


def failure_label(failure: object, translations: NullTranslations) -> str:
    text = FAILURES.get(str(failure))
    return str(failure) if text is None else translations.pgettext(FAILURE_CONTEXT, text)
