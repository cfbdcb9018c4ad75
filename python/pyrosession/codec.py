"""Session strings from Python: decode them strictly or as Pyrogram 2.0.106 does, and encode
them (spec/session-string.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from . import _native

__all__ = ["Decoded", "Session", "StringWarning", "decode", "encode"]


@dataclass(frozen=True)
class Session:
    """A session: what a session string holds. Its ``repr`` names the key by its
    ``auth_key_id``, never shows it."""

    dc_id: int
    api_id: Optional[int]
    test_mode: bool
    auth_key: bytes = field(repr=False)
    user_id: int
    is_bot: bool

    @property
    def auth_key_id(self) -> str:
        """The key's MTProto ``auth_key_id`` (the low 64 bits of its SHA-1), 16 hex digits."""
        return _native.auth_key_id(self.auth_key)

    def __repr__(self) -> str:
        return (
            f"Session(dc_id={self.dc_id}, api_id={self.api_id}, test_mode={self.test_mode}, "
            f"auth_key_id={self.auth_key_id!r}, user_id={self.user_id}, is_bot={self.is_bot})"
        )


@dataclass(frozen=True)
class StringWarning:
    """A way in which a string Pyrogram accepts departs from canonical form
    (spec/session-string.md §6.4): ``kind`` (``padding``, ``standard_alphabet``, ...) and the
    crate's message."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Decoded:
    """A decoded string: its layout (``v2``, ``legacy64``, ``legacy32``), its session and,
    from ``decode(s)`` without ``strict``, every departure from canonical form."""

    format: str
    session: Session
    warnings: Tuple[StringWarning, ...]


def decode(session_string: str, *, strict: bool = False) -> Decoded:
    """Decodes a session string.

    Without ``strict``, exactly what Pyrogram 2.0.106 accepts is accepted, and each departure
    from canonical form is a warning (Pyrogram's verdict); with ``strict``, only canonical
    strings. A rejected string raises a ``DecodeError`` subclass, whose ``pyrogram_error`` is
    what Pyrogram raises for it."""
    fmt, dc_id, api_id, test_mode, auth_key, user_id, is_bot, warnings = _native.decode(
        session_string, strict
    )
    return Decoded(
        format=fmt,
        session=Session(dc_id, api_id, test_mode, auth_key, user_id, is_bot),
        warnings=tuple(StringWarning(kind, message) for kind, message in warnings),
    )


def encode(session: Session, format: str = "v2") -> str:
    """The canonical string of ``session`` in ``format`` (``v2``, ``legacy64``,
    ``legacy32``). A session the layout cannot hold raises an ``EncodeError`` subclass."""
    return _native.encode(
        session.dc_id,
        session.api_id,
        session.test_mode,
        session.auth_key,
        session.user_id,
        session.is_bot,
        format,
    )
