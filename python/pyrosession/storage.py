"""Drop-in storages for Pyrogram 2.0.106's client: ``FileStorage`` and ``MemoryStorage``.

They have every method Pyrogram's client calls on its storage, async as Pyrogram's are, and the
behaviour of spec/storage.md where it differs from Pyrogram's: peers are committed before
``update_peers`` returns; a session file another process holds raises ``InUseError`` naming the
file once ``wait`` seconds have passed (never ``database is locked``); new files are created with
mode 0600; an open that fails leaves the file as it was.

No call blocks the event loop for longer than one SQLite statement: opening (which may wait for
another process), closing, deleting and large ``update_peers`` batches run in the loop's default
executor; every other call runs on the loop unless another thread's call holds the storage, and
then it too moves to the executor instead of waiting on the loop.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Callable, Iterable, List, NamedTuple, Optional, Tuple, TypeVar, Union

from . import _native
from ._errors import ClosedError, NotFoundError

__all__ = [
    "DEFAULT_WAIT",
    "FileStorage",
    "InputPeerChannel",
    "InputPeerChat",
    "InputPeerUser",
    "MemoryStorage",
    "Storage",
    "storage_for",
]

T = TypeVar("T")

#: A peer as Pyrogram's ``Client.fetch_peers`` passes it to ``update_peers``:
#: ``(id, access_hash, type, username, phone_number)``.
PeerTuple = Tuple[int, Optional[int], str, Optional[str], Optional[str]]

#: Seconds an open waits for another process to let go of the session file, by default.
DEFAULT_WAIT: float = _native.DEFAULT_WAIT

#: ``update_peers`` batches of up to this many peers run on the event loop (a few microseconds
#: of inserts and one commit); larger ones run in the executor.
INLINE_PEERS = 32


class InputPeerUser(NamedTuple):
    """A user or bot, where no ``raw`` module is given and Pyrogram is not installed."""

    user_id: int
    access_hash: int


class InputPeerChat(NamedTuple):
    """A basic group, where no ``raw`` module is given and Pyrogram is not installed."""

    chat_id: int


class InputPeerChannel(NamedTuple):
    """A channel or supergroup, where no ``raw`` module is given and Pyrogram is not installed."""

    channel_id: int
    access_hash: int


class _Plain:
    """Stands in for ``pyrogram.raw``: ``types.InputPeerUser`` and the others."""

    class types:  # noqa: N801 - named as pyrogram.raw.types is
        InputPeerUser = InputPeerUser
        InputPeerChat = InputPeerChat
        InputPeerChannel = InputPeerChannel


def _default_raw() -> Any:
    try:
        import pyrogram.raw as raw  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return _Plain
    return raw


class Storage:
    """What the two storages share: Pyrogram's ``Storage`` interface on the crate's engines.

    ``raw`` is the module whose ``types.InputPeerUser``, ``types.InputPeerChat`` and
    ``types.InputPeerChannel`` lookups return (``pyrogram.raw`` by default; a fork's own
    ``raw`` module for a fork's client).
    """

    OLD_SESSION_STRING_FORMAT = ">B?256sI?"
    OLD_SESSION_STRING_FORMAT_64 = ">B?256sQ?"
    SESSION_STRING_SIZE = 351
    SESSION_STRING_SIZE_64 = 356
    SESSION_STRING_FORMAT = ">BI?256sQ?"

    def __init__(self, name: str, *, raw: Any = None) -> None:
        self.name = name
        self._store: Optional[_native.Store] = None
        self._raw = raw

    def _opened(self) -> _native.Store:
        store = self._store
        if store is None:
            raise ClosedError("closed", "the storage is not open")
        return store

    async def _call(self, method: Callable[..., T], *args: Any) -> T:
        """Runs ``method(store, *args, block)``: on the loop if the storage is free, else in the
        executor, where waiting for it blocks no other task."""
        store = self._opened()
        try:
            return method(store, *args, False)
        except _native.Busy:
            pass
        return await self._off_loop(method, store, *args, True)

    @staticmethod
    async def _off_loop(function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: function(*args))

    async def open(self) -> None:
        raise NotImplementedError

    async def save(self) -> None:
        """Sets ``date`` to now and commits (spec/storage.md §7.3)."""
        await self._call(_native.Store.save)

    async def close(self) -> None:
        """Closes the storage; closing a closed storage does nothing."""
        store, self._store = self._store, None
        if store is not None:
            await self._off_loop(store.close)

    async def delete(self) -> None:
        raise NotImplementedError

    async def update_peers(self, peers: Iterable[PeerTuple]) -> None:
        """Caches peers in one transaction, committed before it returns (spec/storage.md §6.4).
        Each peer is ``(id, access_hash, type, username, phone_number)``, as Pyrogram passes
        them."""
        batch = list(peers)
        if len(batch) <= INLINE_PEERS:
            await self._call(_native.Store.update_peers, batch)
        else:
            await self._off_loop(_native.Store.update_peers, self._opened(), batch, True)

    def _input_peer(self, found: Tuple[int, int, int]) -> Any:
        if self._raw is None:
            self._raw = _default_raw()
        types = self._raw.types
        kind, a, b = found
        if kind == 0:
            return types.InputPeerUser(user_id=a, access_hash=b)
        if kind == 1:
            return types.InputPeerChat(chat_id=a)
        return types.InputPeerChannel(channel_id=a, access_hash=b)

    async def get_peer_by_id(self, peer_id: Union[int, str]) -> Any:
        """The input peer for an id; a text is read as SQLite compares it with the id column,
        as Pyrogram's ``resolve_peer`` relies on. Raises ``NotFoundError`` (a ``KeyError``)."""
        if isinstance(peer_id, str):
            found = await self._call(_native.Store.get_peer_by_id_text, peer_id)
            if found is None:
                raise NotFoundError("not_found", f"peer id not found: {peer_id}")
            return self._input_peer(found)
        return self._input_peer(await self._call(_native.Store.get_peer_by_id, peer_id))

    async def get_peer_by_username(self, username: str) -> Any:
        """The input peer for a username cached within the last 8 hours. Raises
        ``NotFoundError`` or ``UsernameExpiredError`` (both ``KeyError``)."""
        return self._input_peer(await self._call(_native.Store.get_peer_by_username, username))

    async def get_peer_by_phone_number(self, phone_number: str) -> Any:
        """The input peer for a phone number. Raises ``NotFoundError`` (a ``KeyError``)."""
        return self._input_peer(
            await self._call(_native.Store.get_peer_by_phone_number, phone_number)
        )

    async def _accessor(self, name: str, value: Any) -> Any:
        if value is object:
            return await self._call(_native.Store.field, name)
        await self._call(_native.Store.set_field, name, value)
        return None

    async def dc_id(self, value: Any = object) -> Any:
        """``dc_id``, or sets it with a value."""
        return await self._accessor("dc_id", value)

    async def api_id(self, value: Any = object) -> Any:
        """``api_id``, or sets it with a value (``None`` unsets it)."""
        return await self._accessor("api_id", value)

    async def test_mode(self, value: Any = object) -> Any:
        """``test_mode``, or sets it with a value."""
        return await self._accessor("test_mode", value)

    async def auth_key(self, value: Any = object) -> Any:
        """``auth_key`` (256 bytes or ``None``), or sets it with a value."""
        return await self._accessor("auth_key", value)

    async def date(self, value: Any = object) -> Any:
        """``date``, or sets it with a value."""
        return await self._accessor("date", value)

    async def user_id(self, value: Any = object) -> Any:
        """``user_id``, or sets it with a value (``None`` unsets it)."""
        return await self._accessor("user_id", value)

    async def is_bot(self, value: Any = object) -> Any:
        """``is_bot``, or sets it with a value."""
        return await self._accessor("is_bot", value)

    async def export_session_string(self) -> str:
        """The session as a v2 session string (spec/storage.md §7.2); a field the string needs
        that is unset raises ``MissingFieldError`` naming it."""
        return await self._call(_native.Store.export_session_string)


class FileStorage(Storage):
    """A session file ``<workdir>/<name>.session``, as Pyrogram 2.0.106's ``FileStorage``.

    ``wait`` is how many seconds ``open()`` waits for another process to let go of the file
    before it raises ``InUseError``; ``check_integrity`` runs SQLite's ``quick_check`` on open
    (spec/storage.md §4).
    """

    FILE_EXTENSION = ".session"

    def __init__(
        self,
        name: str,
        workdir: Union[str, "os.PathLike[str]"] = ".",
        *,
        wait: float = DEFAULT_WAIT,
        check_integrity: bool = True,
        raw: Any = None,
    ) -> None:
        super().__init__(name, raw=raw)
        self.database = Path(workdir) / (name + self.FILE_EXTENSION)
        self.wait = wait
        self.check_integrity = check_integrity

    async def open(self) -> None:
        """Opens the file, or creates it (mode 0600) with Pyrogram 2.0.106's schema; a file of
        schema version 1 or 2 is migrated. Runs in the executor: it may wait for another
        process."""
        self._store = await self._off_loop(
            _native.Store.open_file, os.fspath(self.database), self.wait, self.check_integrity
        )

    async def delete(self) -> None:
        """Closes and removes the file and its side files (spec/storage.md §7.4). Pyrogram
        calls it after ``close()``: the file is then opened again first, so that a file another
        process holds is not removed under it."""
        store, self._store = self._store, None
        if store is None:
            if not self.database.exists():
                raise FileNotFoundError(2, "No such file or directory", os.fspath(self.database))
            store = await self._off_loop(
                _native.Store.open_file, os.fspath(self.database), self.wait, False
            )
        await self._off_loop(store.delete)


class MemoryStorage(Storage):
    """A session in memory, empty or loaded from a session string, as Pyrogram 2.0.106's
    ``MemoryStorage``."""

    def __init__(
        self, name: str, session_string: Optional[str] = None, *, raw: Any = None
    ) -> None:
        super().__init__(name, raw=raw)
        self.session_string = session_string

    async def open(self) -> None:
        """A new memory database; with a session string, holding its session (``date`` 0).
        A string Pyrogram would refuse raises a ``DecodeError`` subclass."""
        if self.session_string:
            self._store = _native.Store.from_session_string(self.session_string)
        else:
            self._store = _native.Store.memory()

    async def delete(self) -> None:
        """Closes the storage; there is nothing else to delete."""
        await self.close()


def storage_for(client: Any, *, wait: float = DEFAULT_WAIT, raw: Any = None) -> Storage:
    """The storage a Pyrogram 2.0.106 ``Client`` would make for itself, from its
    ``session_string``, ``in_memory``, ``name`` and ``workdir``, as this package's class.
    Assign it to ``client.storage`` before ``start()``."""
    if client.session_string:
        return MemoryStorage(client.name, client.session_string, raw=raw)
    if client.in_memory:
        return MemoryStorage(client.name, raw=raw)
    return FileStorage(client.name, client.workdir, wait=wait, raw=raw)


