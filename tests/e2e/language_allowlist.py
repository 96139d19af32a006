"""Texts and words a page may show in either language, each with the reason it may.

The language check (site_check.language_findings) flags, on an Italian page, a visible text
equal to an English message of the catalog whose Italian differs, or a text with two English
function words, and the reverse on an English page. A text or word here is never flagged:
proper names, technical terms and data that is the same in both languages. Every entry says
why; add one only for a text that is right as it is, never to silence a missing translation.
"""

from __future__ import annotations

ALLOWED: dict[str, str] = {
    "Marea": "the product's name",
    "Italiano": "the language switch names each language in that language",
    "English": "the language switch names each language in that language",
    "RMSE": "metric abbreviation, the same in both languages",
    "MAE": "metric abbreviation, the same in both languages",
    "CSV": "file format",
    "JSON": "file format",
    "File": (
        "the same word in both languages: the Italian for 'Files' (a project's attachments) "
        "and the English 'File' column of submissions"
    ),
    "Partner": (
        "the same word in both languages: the Italian for 'Partners', and the demo event's "
        "English role of a partner (event.yaml data)"
    ),
    "Persistence forecast: tomorrow's waves are today's, tuned on the buoy.": (
        "a team's own write-up (user data in the language the team wrote it in)"
    ),
}
