"""pyrosession: Pyrogram's session storage from the pyrosession crate.

- ``FileStorage`` and ``MemoryStorage``: drop-ins for Pyrogram 2.0.106's storages, with the
  crate's guarantees (spec/storage.md). A Pyrogram 2.0.106 client takes one by assignment
  before ``start()``: ``client.storage = pyrosession.storage_for(client)``.
- ``PostgresStorage``: one account of a PostgreSQL database under a lease, for fleets
  (spec/postgres.md): ``client.storage = pyrosession.storage_for(client, postgres=URL)``.
- ``decode`` and ``encode``: the session-string codec (spec/session-string.md).
- ``inspect``, ``inspect_json`` and ``convert``: the command's ``inspect`` and ``convert``.
- One exception class per error kind, under ``PyrosessionError``.
"""

from ._errors import *  # noqa: F403 - the exception classes, listed in _errors.__all__
from ._errors import __all__ as _error_names
from .codec import Decoded, Session, StringWarning, decode, encode
from .tools import TARGETS, Converted, TdataWarning, convert, inspect, inspect_json
from .storage import (
    DEFAULT_WAIT,
    FileStorage,
    InputPeerChannel,
    InputPeerChat,
    InputPeerUser,
    Lease,
    MemoryStorage,
    PostgresStorage,
    Storage,
    storage_for,
    storage_named,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_WAIT",
    "TARGETS",
    "Converted",
    "Decoded",
    "FileStorage",
    "InputPeerChannel",
    "InputPeerChat",
    "InputPeerUser",
    "Lease",
    "MemoryStorage",
    "PostgresStorage",
    "Session",
    "Storage",
    "StringWarning",
    "TdataWarning",
    "convert",
    "decode",
    "encode",
    "inspect",
    "inspect_json",
    "storage_for",
    "storage_named",
    *_error_names,
]
