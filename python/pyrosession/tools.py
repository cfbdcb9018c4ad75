"""The command's ``inspect`` and ``convert`` from Python: the same reports and the same files
(spec/json-output.md, spec/conversions.md).

A ``str`` source is a session's text (a Pyrogram, Telethon or GramJS string, or a Pyrogram JSON
session); a path (``pathlib.Path`` or any ``os.PathLike``) is a session file of any format the
crate reads, or a Telegram Desktop ``tdata`` folder (spec/tdata.md). Both calls block while they
read and write (opening a file another client holds waits for it; a folder's passcode takes
100,000 rounds of PBKDF2): from async code, run them with ``asyncio.to_thread``.

A folder is read with ``account`` (the index of the account to read, as ``inspect`` lists them;
the first by default) and its local passcode, where it has one: ``passcode`` (``bytes``,
``bytearray`` or ``str``, whose UTF-8 is the passcode) or ``passcode_file`` (a file whose first
line is the passcode, as the command's ``--passcode-file``); ``key_name`` is the key file's name
where Telegram Desktop was started with ``-key NAME`` (the command's ``--key-name``; by default
found as Telegram Desktop would be started for the folder). The package copies the passcode once,
into memory it wipes when the call returns; it is never part of a ``repr``, a message or an
exception. The caller's own object is not changed: a ``bytearray`` can be cleared by the caller
after the call, a ``bytes`` or ``str`` cannot be wiped (and a ``str`` is encoded through a
temporary ``bytes`` copy).
"""

from __future__ import annotations

import json
import os
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from . import _native
from ._text import fit

__all__ = ["Converted", "TARGETS", "TdataWarning", "convert", "inspect", "inspect_json"]

Source = Union[str, "os.PathLike[str]"]
Passcode = Union[bytes, bytearray, str]

#: The targets ``convert`` writes, by the names ``pyrosession convert --to`` takes.
TARGETS = ("pyrogram", "pyrogram-file", "telethon", "telethon-file", "gramjs", "tdata")


class TdataWarning(UserWarning):
    """What a Telegram Desktop folder holds that Telegram Desktop would read differently, or an
    account of its list that could not be read: what the command says after ``warning:``.
    ``convert`` of a folder issues one per fact (``inspect_json`` lists them in ``warnings``)."""


def _path_or_none(path: Optional["os.PathLike[str]"]) -> Optional[str]:
    return None if path is None else os.fspath(path)


#: The highest value of each integer option (the field it fills): what the compiled module takes.
_HIGHEST = {
    "account": 2**32 - 1,
    "api_id": 2**32 - 1,
    "user_id": 2**64 - 1,
    "port": 2**16 - 1,
    "telethon_version": 2**8 - 1,
}


def _check_ranges(**given: Any) -> None:
    """``ValueError`` naming an integer option outside ``0..=`` its highest value (the compiled
    module would raise ``OverflowError``); a value of another type is left to its ``TypeError``."""
    for name, value in given.items():
        if isinstance(value, int) and not 0 <= value <= _HIGHEST[name]:
            raise ValueError(f"{name} must be 0 to {_HIGHEST[name]}, not {value}")


def _source(source: Source) -> Tuple[Optional[str], Optional[str]]:
    if isinstance(source, str):
        return fit(source), None
    if isinstance(source, os.PathLike):
        return None, os.fspath(source)
    raise TypeError(
        f"a session is a str (its text) or a path (its file), not {type(source).__name__}"
    )


def inspect(
    source: Source,
    *,
    strict: bool = False,
    reveal_key: bool = False,
    account: Optional[int] = None,
    passcode: Optional[Passcode] = None,
    passcode_file: Optional["os.PathLike[str]"] = None,
    key_name: Optional[str] = None,
) -> str:
    """The report ``pyrosession inspect`` prints on a session string, file or Telegram Desktop
    folder, as text.

    ``strict`` judges a Pyrogram string by the strict decoder (canonical strings only) instead
    of Pyrogram 2.0.106's rules; ``reveal_key`` shows the auth key itself instead of its
    ``auth_key_id``; ``account``, ``passcode`` and ``passcode_file`` read a folder (see the
    module), and raise ``ValueError`` for any other source. A source that cannot be read raises
    the ``PyrosessionError`` subclass of its kind (``DecodeError``, ``StorageError`` or
    ``ConvertError`` subclasses; a folder's ``TdataError`` subclasses, such as
    ``TdataPasscodeNeededError`` and ``TdataWrongPasscodeError``)."""
    text, path = _source(source)
    _check_ranges(account=account)
    return _native.inspect(
        text,
        path,
        strict,
        reveal_key,
        False,
        account,
        passcode,
        _path_or_none(passcode_file),
        key_name,
    )


def inspect_json(
    source: Source,
    *,
    strict: bool = False,
    reveal_key: bool = False,
    account: Optional[int] = None,
    passcode: Optional[Passcode] = None,
    passcode_file: Optional["os.PathLike[str]"] = None,
    key_name: Optional[str] = None,
) -> Dict[str, Any]:
    """The report ``pyrosession inspect --json`` prints, parsed: the object of
    spec/json-output.md §3.1-§3.3 (with its ``"schema": 1``). Raises as ``inspect``."""
    text, path = _source(source)
    _check_ranges(account=account)
    made = _native.inspect(
        text,
        path,
        strict,
        reveal_key,
        True,
        account,
        passcode,
        _path_or_none(passcode_file),
        key_name,
    )
    parsed: Dict[str, Any] = json.loads(made)
    return parsed


@dataclass(frozen=True)
class Converted:
    """What ``convert`` did, as ``pyrosession convert --json`` reports it (spec/json-output.md
    §3.6). Its ``repr`` never shows ``session_string``, which holds the auth key."""

    #: The target's name (``TARGETS``).
    to: str
    #: The file (or ``tdata`` folder) written, or ``None`` where the string is returned.
    file: Optional[Path]
    #: The converted string, where it was not written to a file.
    session_string: Optional[str] = field(repr=False)
    dc_id: int
    #: How many peers the target file holds (0 for a ``tdata`` folder); ``None`` for a string.
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
    account: Optional[int] = None,
    passcode: Optional[Passcode] = None,
    passcode_file: Optional["os.PathLike[str]"] = None,
    key_name: Optional[str] = None,
    new_passcode: Optional[Passcode] = None,
    new_passcode_file: Optional["os.PathLike[str]"] = None,
    new_key_name: Optional[str] = None,
) -> Converted:
    """Converts a session of any format the crate reads to ``to`` (one of ``TARGETS``), as
    ``pyrosession convert`` does (spec/conversions.md §5).

    A string target is returned in ``session_string``, or written to ``file`` if one is given;
    a file target (``pyrogram-file``, ``telethon-file``) is written to ``file`` with mode 0600,
    never over an existing file unless ``force``. The keyword values fill what the source does
    not hold and the target needs (the command's ``--api-id``, ``--user-id``, ``--is-bot``,
    ``--test-mode``, ``--server``, ``--port``, ``--ipv6``, ``--telethon-version``); a value the
    source holds and an option contradicts raises ``ConflictError``, a missing one
    ``MissingValuesError`` naming it, an integer out of its field's range (``port`` above
    65535, a negative ``api_id``, ...) ``ValueError``.

    A Telegram Desktop folder is read with ``account`` and its passcode (see the module); what
    the command says of it as a warning is issued as a ``TdataWarning``. ``tdata`` writes a new
    folder of the one account at ``file`` (never over anything, so ``force`` is refused), for the
    production servers; the source's user id, or ``user_id``. Its local passcode is
    ``new_passcode`` (``bytes``, ``bytearray`` or ``str``, whose UTF-8 is the passcode) or the
    first line of ``new_passcode_file`` (the command's ``--new-passcode-file``), copied and wiped
    as the source's passcode is (see the module); none without either, and an empty one raises
    ``ValueError``. ``new_key_name`` names its key file for a Telegram Desktop started with
    ``-key NAME`` (the command's ``--new-key-name``; ``a``-``z``, ``0``-``9``, ``-`` and ``_``,
    else ``TdataKeyNameNotTelegramsError``; ``data`` by default). These three options raise
    ``ValueError`` for any other target."""
    text, path = _source(source)
    _check_ranges(
        account=account,
        api_id=api_id,
        user_id=user_id,
        port=port,
        telethon_version=telethon_version,
    )
    options = (api_id, user_id, is_bot, test_mode, server, port, ipv6, telethon_version)
    target_file = _path_or_none(file)
    report, folder_warnings = _native.convert(
        text,
        path,
        to,
        target_file,
        force,
        options,
        account,
        passcode,
        _path_or_none(passcode_file),
        key_name,
        new_passcode,
        _path_or_none(new_passcode_file),
        new_key_name,
    )
    for warning in folder_warnings:
        _warnings.warn(warning, TdataWarning, stacklevel=2)
    made = json.loads(report)
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
