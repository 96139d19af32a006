"""The Content-Disposition of a download whose file name someone else chose.

HTTP headers are Latin-1, so a name with any other character (an emoji, a Greek or Chinese
letter) cannot go into `filename="..."` as it is: the server would fail to encode the header.
RFC 6266 gives the real name in `filename*` (UTF-8, percent-encoded) and an ASCII stand-in in
`filename` for clients that know no better; quotes and backslashes never reach either raw.
"""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str, fallback: str = "download") -> str:
    ascii_name = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    return (
        f'attachment; filename="{ascii_name.strip() or fallback}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )
