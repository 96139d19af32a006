"""What each kind of notification is called, for the account page and the unsubscribe page."""

from __future__ import annotations

from app.i18n.speech import gettext as _
from app.notifications.models import Notice


def notice_label(notice: Notice) -> str:
    labels = {
        Notice.submission_result: _("One of my submissions was scored or failed"),
        Notice.phase_reminder: _("A phase of a challenge I entered opens, or closes within a day"),
        Notice.registration: _("My registration to an event was approved"),
        Notice.results: _("The results of a challenge or event I took part in are published"),
        Notice.announcement: _("The organisers post an announcement to me"),
        Notice.question: _("A question of my team is answered"),
    }
    return labels[notice]
