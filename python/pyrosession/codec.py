"""Session strings from Python: decode them strictly or as Pyrogram 2.0.106 does, and encode
them (spec/session-string.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from . import _native
from ._errors import UserIdOutOfRangeError
from ._text import fit

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
        key = self.auth_key
        if isinstance(key, bytes) and len(key) == 256:
            shown = f"auth_key_id={self.auth_key_id!r}"
        elif key is None:
            shown = "auth_key=None"
        elif isinstance(key, (bytes, bytearray)):
            # Never its bytes: a repr does not raise, and names no key.
            shown = f"auth_key=<{len(key)} bytes, not an auth key>"
        else:
            shown = f"auth_key=<{type(key).__name__}, not an auth key>"
        return (
            f"Session(dc_id={self.dc_id}, api_id={self.api_id}, test_mode={self.test_mode}, "
            f"{shown}, user_id={self.user_id}, is_bot={self.is_bot})"
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
        fit(session_string) if isinstance(session_string, str) else session_string, strict
    )
    return Decoded(
        format=fmt,
        session=Session(dc_id, api_id, test_mode, auth_key, user_id, is_bot),
        warnings=tuple(StringWarning(kind, message) for kind, message in warnings),
    )


#: The highest user id each layout holds (``Format::max_user_id``).
_MAX_USER_ID = {"v2": 2**63 - 1, "legacy64": 2**63 - 1, "legacy32": 2**32 - 1}


def _check_range(name: str, value: object, highest: int) -> None:
    """``ValueError`` for an ``int`` outside ``0..=highest``; other types are left to the
    compiled module's ``TypeError``."""
    if isinstance(value, int) and not 0 <= value <= highest:
        raise ValueError(f"{name} must be 0 to {highest}, not {value}")


def encode(session: Session, format: str = "v2") -> str:
    """The canonical string of ``session`` in ``format`` (``v2``, ``legacy64``,
    ``legacy32``). A session the layout cannot hold raises an ``EncodeError`` subclass (a user
    id out of its range ``UserIdOutOfRangeError``), a field out of its type's range
    ``ValueError``, anything but a ``Session`` ``TypeError``."""
    if not isinstance(session, Session):
        raise TypeError(f"encode takes a Session, not {type(session).__name__}")
    _check_range("dc_id", session.dc_id, 255)
    if session.api_id is not None:
        _check_range("api_id", session.api_id, 2**32 - 1)
    user_id = session.user_id
    highest = _MAX_USER_ID.get(format)
    if highest is not None and isinstance(user_id, int) and not 0 <= user_id < 2**64:
        raise UserIdOutOfRangeError(
            "user_id_out_of_range",
            f"user id {user_id} does not fit the {format} format (at most {highest})",
        )
    return _native.encode(
        session.dc_id,
        session.api_id,
        session.test_mode,
        session.auth_key,
        session.user_id,
        session.is_bot,
        format,
    )
