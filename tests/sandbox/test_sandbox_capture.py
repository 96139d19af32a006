"""The capped log buffer keeps the tail and counts exactly what it dropped."""

from __future__ import annotations

from sandbox.capture import TailBuffer


def test_tail_is_kept_and_cut_is_counted() -> None:
    buf = TailBuffer(10)
    for chunk in (b"0123456789", b"abc", b"", b"defghijklmnop"):
        buf.write(chunk)
    assert buf.text() == "ghijklmnop"
    assert buf.truncated_bytes == 26 - 10


def test_under_the_limit_nothing_is_cut() -> None:
    buf = TailBuffer(100)
    buf.write("café\n".encode())
    assert buf.text() == "café\n"
    assert buf.truncated_bytes == 0


def test_zero_limit_keeps_nothing_but_counts_everything() -> None:
    buf = TailBuffer(0)
    buf.write(b"hello")
    assert buf.text() == ""
    assert buf.truncated_bytes == 5


def test_a_character_cut_in_half_is_replaced_not_fatal() -> None:
    buf = TailBuffer(3)
    buf.write("xé!".encode())  # é is two bytes; the limit cuts it in half
    assert buf.text().endswith("!")
    assert buf.truncated_bytes == 1
