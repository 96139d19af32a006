"""Text people type for others to read, and the characters that may not be in it.

Control characters and the Unicode bidirectional overrides and isolates (U+202A-U+202E,
U+2066-U+2069) make a name, file name or description display as something it is not:
"invoice\u202efdp.exe" reads as "invoiceexe.pdf" (the "Trojan Source" trick, CVE-2021-42574).
HTML escaping does nothing against them, so names refuse them and longer text drops them.
"""

from __future__ import annotations

import unicodedata

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def _hidden(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc"


def has_hidden_controls(text: str) -> bool:
    """True when `text` holds a control character or a text-direction override."""
    return any(_hidden(ch) for ch in text)


def without_hidden_controls(text: str, keep: str = "") -> str:
    """`text` without control characters and direction overrides, except those in `keep`."""
    return "".join(ch for ch in text if ch in keep or not _hidden(ch))
