"""Texts that may hold a secret (a session string, whose bytes are the auth key), made fit for
the compiled module."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def fit(text: str) -> str:
    """``text`` with each lone surrogate as U+FFFD (one character for one, so offsets hold).

    A lone surrogate has no UTF-8, and the compiled module takes its texts as UTF-8: handed over
    as it is, it raises ``UnicodeEncodeError``, whose ``repr`` and ``object`` hold the whole
    text, and a session string's text is its auth key. With U+FFFD in its place, the crate
    judges the text as it judges any other character outside ASCII (``NonAsciiError``, as
    Pyrogram refuses it). ``str.isascii`` is constant time: an ASCII text costs nothing."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)
