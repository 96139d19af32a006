"""Every kind of mail the site sends, in Italian and in English, through the real SMTP server.

Each kind is queued as the site queues it (`queue_mail`, with a notification's way out where
it is one) with the context its sender gives, and delivered by the RQ mail worker: both
languages arrive, their subjects differ (the Italian is the catalog's, not the English
msgid), the HTML is escaped and the plain text carries the link.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.core.db import session_scope, utcnow
from app.core.settings import Settings
from app.mail.models import MailKind
from app.mail.service import queue_mail
from tests.app.mail.mail_helpers import SmtpServer, html_of, run_mail_worker, text_of
from tests.app.web.web_helpers import engine_of

LINK = "http://testserver/some/page?token=abc"
HOSTILE = "<script>alert(1)</script>"
TITLE = {"it": "Temperatura del mare", "en": "Sea temperature"}

# What each sender puts in the context (a name someone typed is hostile on purpose).
CONTEXTS: dict[str, dict[str, Any]] = {
    MailKind.password_reset: {"name": HOSTILE, "link": LINK, "minutes": 60},
    MailKind.verify_email: {"name": HOSTILE, "email": "ada@example.org", "link": LINK, "days": 3},
    MailKind.password_changed: {"name": HOSTILE, "link": LINK},
    MailKind.role_invitation: {
        "giver": HOSTILE,
        "email": "ada@example.org",
        "role": "judge",
        "over": "challenge",
        "title": TITLE,
        "has_account": True,
        "link": LINK,
    },
    MailKind.team_invitation: {
        "inviter": HOSTILE,
        "team": "Delfini",
        "challenge": {"title": TITLE, "slug": "sst"},
        "link": LINK,
    },
    MailKind.registration_approved: {"event": {"title": TITLE, "slug": "e"}, "link": LINK},
    MailKind.results_published: {"challenge": {"title": TITLE, "slug": "sst"}, "link": LINK},
    MailKind.event_results: {"event": {"title": TITLE, "slug": "e"}, "link": LINK},
    MailKind.submission_result: {
        "challenge": {"title": TITLE, "slug": "sst"},
        "submission_id": 7,
        "scored": False,
        "link": LINK,
    },
    MailKind.phase_reminder: {
        "challenge": {"title": TITLE, "slug": "sst"},
        "phase": {"title": {"it": "Sviluppo", "en": "Development"}, "name": "dev"},
        "opening": False,
        "start": utcnow() - timedelta(days=3),
        "end": utcnow() + timedelta(hours=5),
        "time_zone": "Europe/Rome",
        "link": LINK,
    },
    MailKind.announcement: {
        "title": HOSTILE,
        "where": "Temperatura",
        "body_text": "Il porto chiude alle 18.",
        "body_html": "<p>Il porto chiude alle 18.</p>",
        "link": LINK,
    },
    MailKind.question_answered: {
        "name": HOSTILE,
        "title": TITLE,
        "question": HOSTILE,
        "answer": "Yes.",
        "published": False,
        "link": LINK,
    },
}
NOTIFICATIONS = {
    MailKind.registration_approved, MailKind.results_published, MailKind.event_results,
    MailKind.submission_result, MailKind.phase_reminder, MailKind.question_answered,
    MailKind.announcement,
}  # fmt: skip


def test_every_kind_is_written_in_both_languages_and_delivered(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    kinds = {k.value for k in MailKind}
    assert kinds == set(CONTEXTS), "a new kind of mail needs its context here"
    with session_scope(engine_of(site)) as db:
        for kind, context in CONTEXTS.items():
            for lang in ("it", "en"):
                extra = (
                    {"unsubscribe_url": f"http://testserver/notifications/unsubscribe/{kind}"}
                    if kind in NOTIFICATIONS
                    else {}
                )
                queue_mail(
                    db, mail_settings, to=f"{kind}-{lang}@example.org", kind=str(kind), lang=lang,
                    context={**context, **extra},
                    unsubscribe_url=str(extra.get("unsubscribe_url", "")),
                )  # fmt: skip
    run_mail_worker(site, mail_settings)
    for kind in CONTEXTS:
        [italian] = smtp_server.inbox.to(f"{kind}-it@example.org")
        [english] = smtp_server.inbox.to(f"{kind}-en@example.org")
        assert italian["Subject"] and english["Subject"], kind
        assert italian["Subject"] != english["Subject"], f"{kind}: the Italian subject is English"
        assert italian["Content-Language"] == "it" and english["Content-Language"] == "en"
        for mail in (italian, english):
            assert LINK in text_of(mail), kind
            assert HOSTILE not in html_of(mail), f"{kind}: a typed name became markup"
            assert ("List-Unsubscribe" in mail) == (kind in NOTIFICATIONS), kind
        assert "Hello" not in text_of(italian) and "Ciao" not in text_of(english), kind
