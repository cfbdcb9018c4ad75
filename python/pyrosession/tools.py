"""The command's ``inspect`` and ``convert`` from Python: the same reports and the same files
(spec/json-output.md, spec/conversions.md).

A ``str`` source is a session's text (a Pyrogram, Telethon or GramJS string, or a Pyrogram JSON
session); a path (``pathlib.Path`` or any ``os.PathLike``) is a session file of any format the
crate reads. Both calls block while they read and write (opening a file another client holds
waits for it): from async code, run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from . import _native

__all__ = ["Converted", "TARGETS", "convert", "inspect", "inspect_json"]

Source = Union[str, "os.PathLike[str]"]

#: The targets ``convert`` writes, by the names ``pyrosession convert --to`` takes.
TARGETS = ("pyrogram", "pyrogram-file", "telethon", "telethon-file", "gramjs")


def _source(source: Source) -> Tuple[Optional[str], Optional[str]]:
    if isinstance(source, str):
        return source, None
    if isinstance(source, os.PathLike):
        return None, os.fspath(source)
    raise TypeError(
        f"a session is a str (its text) or a path (its file), not {type(source).__name__}"
    )


def inspect(source: Source, *, strict: bool = False, reveal_key: bool = False) -> str:
    """The report ``pyrosession inspect`` prints on a session string or file, as text.

    ``strict`` judges a Pyrogram string by the strict decoder (canonical strings only) instead
    of Pyrogram 2.0.106's rules; ``reveal_key`` shows the auth key itself instead of its
    ``auth_key_id``. A source that cannot be read raises the ``PyrosessionError`` subclass of
    its kind (``DecodeError``, ``StorageError`` or ``ConvertError`` subclasses)."""
    text, path = _source(source)
    return _native.inspect(text, path, strict, reveal_key, False)


def inspect_json(
    source: Source, *, strict: bool = False, reveal_key: bool = False
) -> Dict[str, Any]:
    """The report ``pyrosession inspect --json`` prints, parsed: the object of
    spec/json-output.md §3.1-§3.3 (with its ``"schema": 1``). Raises as ``inspect``."""
    text, path = _source(source)
    parsed: Dict[str, Any] = json.loads(_native.inspect(text, path, strict, reveal_key, True))
    return parsed


@dataclass(frozen=True)
class Converted:
    """What ``convert`` did, as ``pyrosession convert --json`` reports it (spec/json-output.md
    §3.6). Its ``repr`` never shows ``session_string``, which holds the auth key."""

    #: The target's name (``TARGETS``).
    to: str
    #: The file written, or ``None`` where the string is returned.
    file: Optional[Path]
    #: The converted string, where it was not written to a file.
    session_string: Optional[str] = field(repr=False)
    dc_id: int
    #: How many peers the target file holds; ``None`` for a string.
    peers: Optional[int]
    #: A Pyrogram source string's departures from canonical form.
    warnings: Tuple[str, ...]
    #: What the target cannot hold.
    notes: Tuple[str, ...]


def convert(
    source: Source,
    to: str,
    file: Optional["os.PathLike[str]"] = None,
    *,
    force: bool = False,
    api_id: Optional[int] = None,
    user_id: Optional[int] = None,
    is_bot: Optional[bool] = None,
    test_mode: Optional[bool] = None,
    server: Optional[str] = None,
    port: Optional[int] = None,
    ipv6: bool = False,
    telethon_version: Optional[int] = None,
) -> Converted:
    """Converts a session of any format the crate reads to ``to`` (one of ``TARGETS``), as
    ``pyrosession convert`` does (spec/conversions.md §5).

    A string target is returned in ``session_string``, or written to ``file`` if one is given;
    a file target (``pyrogram-file``, ``telethon-file``) is written to ``file`` with mode 0600,
    never over an existing file unless ``force``. The keyword values fill what the source does
    not hold and the target needs (the command's ``--api-id``, ``--user-id``, ``--is-bot``,
    ``--test-mode``, ``--server``, ``--port``, ``--ipv6``, ``--telethon-version``); a value the
    source holds and an option contradicts raises ``ConflictError``, a missing one
    ``MissingValuesError`` naming it."""
    text, path = _source(source)
    options = (api_id, user_id, is_bot, test_mode, server, port, ipv6, telethon_version)
    target_file = None if file is None else os.fspath(file)
    made = json.loads(_native.convert(text, path, to, target_file, force, options))
    return Converted(
        to=made["to"],
        # The path as given (the report's is escaped for terminals).
        file=None if target_file is None else Path(target_file),
        session_string=made["session_string"],
        dc_id=made["dc_id"],
        peers=made["peers"],
        warnings=tuple(made["warnings"]),
        notes=tuple(made["notes"]),
    )
