"""Drop-in storages for Pyrogram 2.0.106's client: ``FileStorage`` and ``MemoryStorage``.

They have every method Pyrogram's client calls on its storage, async as Pyrogram's are, and the
behaviour of spec/storage.md where it differs from Pyrogram's: peers are committed before
``update_peers`` returns; a session file another process holds raises ``InUseError`` naming the
file once ``wait`` seconds have passed (never ``database is locked``); new files are created with
mode 0600; an open that fails leaves the file as it was.

No call blocks the event loop for longer than one SQLite statement: opening (which may wait for
another process), closing, deleting and large ``update_peers`` batches run in the loop's default
executor; every other call runs on the loop unless another thread's call holds the storage, and
then it too moves to the executor instead of waiting on the loop. A ``PostgresStorage`` runs
every call in the executor: each is a round trip to the server.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import threading
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from . import _native
from ._errors import ClosedError, NotFoundError
from ._text import fit

__all__ = [
    "DEFAULT_WAIT",
    "FileStorage",
    "InputPeerChannel",
    "InputPeerChat",
    "InputPeerUser",
    "Lease",
    "MemoryStorage",
    "PostgresStorage",
    "Storage",
    "UpdateState",
    "storage_for",
    "storage_named",
]

T = TypeVar("T")

#: A peer as a client's ``fetch_peers`` passes it to ``update_peers``: Pyrogram's, hydrogram's and
#: pyrofork's ``(id, access_hash, type, username, phone_number)``, pyrotgfork's
#: ``(id, access_hash, type, usernames, phone_number)`` or kurigram's
#: ``(id, access_hash, type, phone_number)``.
PeerTuple = Union[
    Tuple[int, Optional[int], str, Optional[str], Optional[str]],
    Tuple[int, Optional[int], str, List[str], Optional[str]],
    Tuple[int, Optional[int], str, Optional[str]],
]

#: An update state as pyrofork, pyrotgfork and kurigram 2.2.9 pass it: ``(id, pts, qts, date, seq)``.
StateTuple = Tuple[int, Optional[int], Optional[int], Optional[int], Optional[int]]

#: kurigram 2.2.26's data centre addresses (``storage/sqlite_storage.py``, spec/dialects.md §7):
#: what ``server_address()`` and ``port()`` answer for a file that has no such columns.
KURIGRAM_TEST = {1: "149.154.175.10", 2: "149.154.167.40", 3: "149.154.175.117"}
KURIGRAM_PROD = {
    1: "149.154.175.53",
    2: "149.154.167.51",
    3: "149.154.175.100",
    4: "149.154.167.91",
    5: "91.108.56.130",
    203: "91.105.192.100",
}

# A child made by fork must never use a storage its parent opened (SQLite's rule): the compiled
# module counts forks, and each store refuses every call in a child.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_native.after_fork_in_child)

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


class UpdateState(NamedTuple):
    """An update state, as kurigram 2.2.26's ``UpdateState`` (given where that class cannot be
    imported): a chat's ``id`` (0 for the account) and its ``pts``, ``qts``, ``date``, ``seq``."""

    id: int
    pts: Optional[int]
    qts: Optional[int]
    date: Optional[int]
    seq: Optional[int]


def _state(value: Any) -> StateTuple:
    """``value`` as an update state, ``(id, pts, qts, date, seq)``: an int id and the others
    ints or ``None``, else ``TypeError`` or ``ValueError`` (a state stored malformed would make
    every later read of the states raise)."""
    if isinstance(value, (str, bytes)):
        raise ValueError(
            f"an update state is (id, pts, qts, date, seq), not {type(value).__name__}"
        )
    try:
        fields = tuple(value)
    except TypeError:
        raise TypeError(
            f"an update state is (id, pts, qts, date, seq), not {type(value).__name__}"
        ) from None
    if len(fields) != 5:
        raise ValueError(
            f"an update state has 5 fields (id, pts, qts, date, seq), not {len(fields)}"
        )
    for i, (name, v) in enumerate(zip(("id", "pts", "qts", "date", "seq"), fields)):
        if not isinstance(v, int) and (i == 0 or v is not None):
            wanted = "an int" if i == 0 else "an int or None"
            raise TypeError(f"an update state's {name} is {wanted}, not {type(v).__name__}")
    return fields


def _default_raw() -> Any:
    """``pyrogram.raw`` (Pyrogram and the forks that keep its name), else ``hydrogram.raw``."""
    for name in ("pyrogram.raw", "hydrogram.raw"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return _Plain


def _library(raw: Any) -> Any:
    """The package ``raw`` belongs to (``pyrogram``, ``hydrogram``), or ``None``."""
    name = getattr(raw, "__name__", "")
    if not name.endswith(".raw"):
        return None
    return sys.modules.get(name[: -len(".raw")])


def _register(cls: type, raw: Any) -> None:
    """Makes ``cls`` a virtual subclass of the library's storage base class (an ``abc.ABC`` in
    every fork): pyrotgfork, kurigram and hydrogram take a storage parameter only if it passes
    ``isinstance(storage, Storage)``."""
    library = _library(raw)
    if library is None:
        return
    try:
        storage = importlib.import_module(library.__name__ + ".storage")
    except ImportError:
        return
    for base_name in ("Storage", "BaseStorage"):
        base = getattr(storage, base_name, None)
        register = getattr(base, "register", None)
        if register is not None and not issubclass(cls, base):  # type: ignore[arg-type]
            register(cls)


def _close_all(stores: List[_native.Store]) -> None:
    """Closes each store, the later ones even if an earlier one's close raises."""
    try:
        if stores:
            stores[0].close()
    finally:
        if len(stores) > 1:
            _close_all(stores[1:])


class _Opening:
    """An open under way in the executor. What it opens goes to the storage, unless the open
    was abandoned meanwhile (the storage closed or deleted, or the open cancelled): then it is
    closed at once, in the executor's thread, and does not keep the file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settled = False
        self._store: Optional[_native.Store] = None

    def arrive(self, store: _native.Store) -> None:
        """The executor's thread: the store just opened."""
        with self._lock:
            if not self._settled:
                self._store = store
                return
        store.close()

    def settle_was_made(self) -> bool:
        """Whether ``settle()`` was called (the open abandoned); settles it either way."""
        with self._lock:
            made, self._settled = self._settled, True
        return made

    def settle(self) -> Optional[_native.Store]:
        """The loop: the store if it has arrived; from now on, one arriving is closed."""
        with self._lock:
            self._settled = True
            store, self._store = self._store, None
        return store


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

    #: Whether a call is first tried on the event loop (a free SQLite storage answers within one
    #: statement); ``False`` where every call is a network round trip, always in the executor.
    _ON_LOOP = True

    def __init__(self, name: str, *, raw: Any = None) -> None:
        self.name = name
        self._store: Optional[_native.Store] = None
        # An open() waiting in the executor, which close() abandons.
        self._opening: Optional[_Opening] = None
        self._raw = _default_raw() if raw is None else raw
        _register(type(self), self._raw)
        # Update states (pyrofork, kurigram, pyrotgfork): held for this process only
        # (python/README.md, "The forks").
        self._states: Dict[int, StateTuple] = {}
        # kurigram: the last batch of 4-tuples, for the usernames that follow it.
        self._kurigram_batch: Dict[int, Sequence[Any]] = {}
        # kurigram 2.2.26: server_address and port set in this process.
        self._address: Dict[str, Any] = {}

    def _typed(self, store: _native.Store) -> _native.Store:
        """``store``, told which classes its lookups return."""
        types = self._raw.types
        store.set_input_types(types.InputPeerUser, types.InputPeerChat, types.InputPeerChannel)
        return store

    def _opened(self) -> _native.Store:
        store = self._store
        if store is None:
            raise ClosedError("closed", "the storage is not open")
        return store

    async def _call(self, method: Callable[..., T], *args: Any) -> T:
        """Runs ``method(store, *args, block)``: on the loop if the storage is free, else in the
        executor, where waiting for it blocks no other task."""
        store = self._opened()
        if self._ON_LOOP:
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

    async def _close_before_open(self) -> None:
        """What each ``open()`` does first: an open storage is closed, so that opening it again
        (Pyrogram's ``start()`` called again after one that failed once the storage was open)
        opens it anew, as Pyrogram's storages make a new connection, instead of waiting on the
        storage's own hold of its file or leaving a store open behind the new one. An open
        still under way is abandoned, as ``close()`` abandons it."""
        if self._store is not None or self._opening is not None:
            await self.close()

    async def _open_off_loop(self, opener: Callable[..., _native.Store], *args: Any) -> None:
        """Opens the storage with ``opener(*args)`` in the executor. A ``close()`` or
        ``delete()`` made meanwhile makes it raise ``ClosedError``; either, or a cancellation,
        closes what it opens as soon as it has opened it (the wait for another holder goes on
        in the executor until it ends, up to ``wait`` seconds)."""
        await self._close_before_open()
        opening = self._opening = _Opening()
        try:
            await self._off_loop(lambda: opening.arrive(opener(*args)))
        except asyncio.CancelledError:
            store = opening.settle()
            if store is not None:
                # Arrived as the open was cancelled: closed in the executor, not waited for
                # (or here, where the executor is already shut down).
                try:
                    asyncio.get_running_loop().run_in_executor(None, store.close)
                except RuntimeError:
                    store.close()
            raise
        except BaseException:
            if opening.settle_was_made():
                # Abandoned by close() or delete() while it waited: what failed afterwards (the
                # file deleted under a later attempt) is not this open's caller's concern.
                raise ClosedError("closed", "the storage was closed while it was opening") from None
            raise
        finally:
            if self._opening is opening:
                self._opening = None
        store = opening.settle()
        if store is None:
            raise ClosedError("closed", "the storage was closed while it was opening")
        self._store = self._typed(store)

    def set_clock_offset(self, seconds: int) -> None:
        """Shifts this open storage's now by ``seconds`` from the system clock: what ``save()``
        writes into ``date``, what username expiry compares with, and the stamp of peers cached
        afterwards. For tests and the conformance driver (spec/conformance.md §3.2). An offset
        beyond a signed 64-bit integer raises ``ValueError``."""
        store = self._opened()
        try:
            store.set_clock_offset(seconds)
        except OverflowError:
            raise ValueError(
                f"the clock offset must fit a signed 64-bit integer of seconds, not {seconds}"
            ) from None

    async def save(self) -> None:
        """Sets ``date`` to now and commits (spec/storage.md §7.3)."""
        await self._call(_native.Store.save)

    def _take_stores(self) -> List[_native.Store]:
        """Takes the open store out of the storage, and abandons an ``open()`` under way (it
        will raise ``ClosedError``): with the store that open has just made, if any."""
        opening, self._opening = self._opening, None
        early = opening.settle() if opening is not None else None
        store, self._store = self._store, None
        return [s for s in (store, early) if s is not None]

    async def close(self) -> None:
        """Closes the storage; closing a closed storage does nothing. An ``open()`` under way
        is abandoned: it raises ``ClosedError``, and what it opens is closed at once."""
        stores = self._take_stores()
        if stores:
            # One job: a close cancelled meanwhile still closes both.
            await self._off_loop(_close_all, stores)

    async def delete(self) -> None:
        raise NotImplementedError

    async def update_peers(self, peers: Iterable[PeerTuple]) -> None:
        """Caches peers in one transaction, committed before it returns (spec/storage.md §6.4).
        Each peer is ``(id, access_hash, type, username, phone_number)``, as Pyrogram passes
        them."""
        batch = list(peers)
        kurigram = bool(batch) and len(batch[0]) == 4
        if kurigram:
            # The usernames that follow a batch belong to it: none, if it fails.
            self._kurigram_batch = {}
        if len(batch) <= INLINE_PEERS and self._ON_LOOP:
            await self._call(_native.Store.update_peers, batch)
        else:
            await self._off_loop(_native.Store.update_peers, self._opened(), batch, True)
        if kurigram:
            self._kurigram_batch = {p[0]: p for p in batch}

    async def update_usernames(self, usernames: Iterable[Tuple[int, Any]]) -> None:
        """The usernames a fork's client passes after ``update_peers``. kurigram's
        ``(peer_id, [names])``: the first name of each peer of the batch just stored becomes its
        username (one committed transaction). pyrofork's ``(peer_id, name)`` pairs, for peers
        with more than one username: the first is already stored by ``update_peers``; the
        others are not kept (a ``Peer`` has one username)."""
        peers = []
        for peer_id, names in usernames:
            if isinstance(names, str) or names is None:
                continue
            stored = self._kurigram_batch.get(peer_id)
            if stored is None:
                continue
            first = next((n for n in names if n is not None), None)
            peers.append((stored[0], stored[1], stored[2], first, stored[3]))
        if peers:
            await self.update_peers(peers)

    def _states_sorted(self) -> List[StateTuple]:
        return sorted(self._states.values(), key=lambda s: (s[3] is not None, s[3] or 0, s[0]))

    async def update_state(self, value: Any = object) -> Any:
        """pyrofork's, pyrotgfork's and kurigram 2.2.9's update states: all of them as
        ``(id, pts, qts, date, seq)`` tuples, oldest first; with a tuple, stores it whole; with an
        id, removes that chat's. Held in memory only."""
        if value is object:
            return self._states_sorted()
        if isinstance(value, int):
            self._states.pop(value, None)
        else:
            state = _state(value)
            self._states[state[0]] = state
        return None

    async def remove_state(self, chat_id: int) -> None:
        """pyrofork: removes a chat's update state."""
        self._states.pop(chat_id, None)

    def _update_state_class(self) -> Any:
        library = _library(self._raw)
        storage = sys.modules.get(library.__name__ + ".storage") if library else None
        return getattr(storage, "UpdateState", UpdateState)

    async def get_update_states(self, ids: Union[int, Iterable[int], None] = None) -> List[Any]:
        """kurigram 2.2.26: the update states (of ``ids``, or all), oldest first, as its
        ``UpdateState``."""
        cls = self._update_state_class()
        wanted = None if ids is None else ({ids} if isinstance(ids, int) else set(ids))
        return [
            cls(*s) for s in self._states_sorted() if wanted is None or s[0] in wanted
        ]

    async def set_update_state(self, update_state: Any) -> None:
        """kurigram 2.2.26: stores one ``UpdateState`` or several; a field given as ``None``
        keeps the stored one, as kurigram's ``COALESCE`` does."""
        states = [update_state] if hasattr(update_state, "pts") else list(update_state)
        given = []
        # Every state read and checked before any is stored.
        for st in states:
            try:
                fields = (st.id, st.pts, st.qts, st.date, st.seq)
            except AttributeError:
                raise TypeError(
                    f"an update state has id, pts, qts, date and seq, not {type(st).__name__}"
                ) from None
            given.append(_state(fields))
        for new in given:
            old = self._states.get(new[0])
            if old is not None:
                new = tuple(n if n is not None else o for n, o in zip(new, old))  # type: ignore[assignment]
            self._states[new[0]] = new

    async def delete_update_state(self, state_id: Union[int, Iterable[int]]) -> None:
        """kurigram 2.2.26: removes one chat's update state or several."""
        for i in [state_id] if isinstance(state_id, int) else list(state_id):
            self._states.pop(i, None)

    async def _address_field(self, name: str, value: Any) -> Any:
        if value is not object:
            self._address[name] = value
            return None
        if name in self._address:
            return self._address[name]
        stored = await self._call(_native.Store.field, name)
        if stored is not None:
            return stored
        test_mode = await self._call(_native.Store.field, "test_mode")
        if name == "port":
            return 80 if test_mode else 443
        dc_id = await self._call(_native.Store.field, "dc_id")
        return (KURIGRAM_TEST if test_mode else KURIGRAM_PROD).get(dc_id)  # type: ignore[call-overload]

    async def server_address(self, value: Any = object) -> Any:
        """kurigram 2.2.26's ``server_address``: a kurigram v7 file's own, else what kurigram
        derives from ``dc_id`` and ``test_mode``; a value set is kept for this process only."""
        return await self._address_field("server_address", value)

    async def port(self, value: Any = object) -> Any:
        """kurigram 2.2.26's ``port``, as ``server_address``."""
        return await self._address_field("port", value)

    # The lookups are what a client calls most: each calls the store directly (as `_call` does,
    # without its coroutine), and the store returns the ``raw`` input peer itself, so that the
    # Python layer adds as little as it can to SQLite's time.

    async def get_peer_by_id(self, peer_id: Union[int, str]) -> Any:
        """The input peer for an id; a text is read as SQLite compares it with the id column,
        as Pyrogram's ``resolve_peer`` relies on. Raises ``NotFoundError`` (a ``KeyError``), also
        for an id beyond a signed 64-bit integer, which no peer has."""
        if isinstance(peer_id, str):
            found = await self._call(_native.Store.get_peer_by_id_text, peer_id)
            if found is None:
                raise NotFoundError("not_found", f"peer id not found: {peer_id}")
            return found
        store = self._store or self._opened()
        try:
            if self._ON_LOOP:
                try:
                    return store.get_peer_by_id(peer_id, False)
                except _native.Busy:
                    pass
            return await self._off_loop(store.get_peer_by_id, peer_id, True)
        except OverflowError:
            # An int beyond a signed 64-bit integer: no peer has it (as no text does).
            raise NotFoundError("not_found", f"peer id not found: {peer_id}") from None

    async def get_peer_by_username(self, username: str) -> Any:
        """The input peer for a username cached within the last 8 hours. Raises
        ``NotFoundError`` or ``UsernameExpiredError`` (both ``KeyError``)."""
        store = self._store or self._opened()
        if self._ON_LOOP:
            try:
                return store.get_peer_by_username(username, False)
            except _native.Busy:
                pass
        return await self._off_loop(store.get_peer_by_username, username, True)

    async def get_peer_by_phone_number(self, phone_number: str) -> Any:
        """The input peer for a phone number. Raises ``NotFoundError`` (a ``KeyError``)."""
        store = self._store or self._opened()
        if self._ON_LOOP:
            try:
                return store.get_peer_by_phone_number(phone_number, False)
            except _native.Busy:
                pass
        return await self._off_loop(store.get_peer_by_phone_number, phone_number, True)

    async def _accessor(self, name: str, value: Any) -> Any:
        if value is object:
            return await self._call(_native.Store.field, name)
        try:
            await self._call(_native.Store.set_field, name, value)
        except OverflowError:
            # Raised as the value is read, before the storage is touched.
            raise ValueError(
                f"{name} must fit a signed 64-bit integer, not {value}"
            ) from None
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
        process. An open storage is closed first."""
        await self._open_off_loop(
            _native.Store.open_file, os.fspath(self.database), self.wait, self.check_integrity
        )

    async def delete(self) -> None:
        """Closes and removes the file and its side files (spec/storage.md §7.4). Pyrogram
        calls it after ``close()``: the file is then opened again first, so that a file another
        process holds is not removed under it."""
        stores = self._take_stores()
        if stores:
            # Both open (an open that arrived as this one was taken): the spare one closed.
            store = stores[0]
            await self._off_loop(_close_all, stores[1:])
        else:
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
        A string Pyrogram would refuse raises a ``DecodeError`` subclass. An open storage is
        closed first: opened again, it is a new database, as Pyrogram's is."""
        await self._close_before_open()
        if self.session_string:
            string = self.session_string
            if isinstance(string, str):
                string = fit(string)
            self._store = self._typed(_native.Store.from_session_string(string))
        else:
            self._store = self._typed(_native.Store.memory())

    async def delete(self) -> None:
        """Closes the storage; there is nothing else to delete."""
        await self.close()


class Lease(NamedTuple):
    """A PostgreSQL storage's lease as it last saw it: its fencing ``token``, its ``holder`` and
    the seconds it has left (``expires_in``), by the server's clock (spec/postgres.md §5)."""

    token: int
    holder: str
    expires_in: float


class PostgresStorage(Storage):
    """The session ``name`` of a PostgreSQL database (spec/postgres.md): many accounts in one
    database, each opened by one holder at a time across every machine.

    ``url`` is the database's address (``postgresql://user@host:port/db`` or ``key=value``
    pairs); its password never appears in an error. ``open()`` creates the session if the
    database has none of that name (empty, as Pyrogram's new file), and takes its lease as
    ``holder`` (``HOSTNAME:PID`` by default) for ``ttl`` seconds, renewed in the background while
    the storage is open. Another holder's lease makes ``open()`` wait up to ``wait`` seconds (0:
    none), then raise ``LeaseHeldError`` with its ``holder`` and ``expires_in``. A write after
    the lease passed to another holder raises ``LeaseLostError`` and is not applied. Each
    statement on the server is bounded by ``statement_timeout`` seconds (``None``: the ttl):
    past it the call raises ``PostgresError`` (the server did not answer), the connection is
    closed, and the next call connects again (spec/postgres.md §2).

    Every call is a round trip to the server, which may be slow or wait for a lock: each runs
    in the executor, never on the event loop.
    """

    _ON_LOOP = False

    def __init__(
        self,
        name: str,
        url: str,
        *,
        holder: Optional[str] = None,
        ttl: float = 30.0,
        wait: float = 0.0,
        statement_timeout: Optional[float] = None,
        raw: Any = None,
    ) -> None:
        super().__init__(name, raw=raw)
        # A lone surrogate as U+FFFD: handed over as it is, its UnicodeEncodeError would hold
        # the whole address, password and all, in its repr.
        self._url = fit(url) if isinstance(url, str) else url
        self.holder = holder
        self.ttl = ttl
        self.wait = wait
        self.statement_timeout = statement_timeout

    def __repr__(self) -> str:
        # Never the address, which may hold a password.
        return f"PostgresStorage({self.name!r})"

    async def open(self) -> None:
        """Connects, creates the session if absent, and takes its lease. Runs in the executor:
        it may wait for another holder. An open storage is closed first (its lease let go)."""
        await self._open_off_loop(self._connect)

    def _connect(self) -> _native.Store:
        """A new store of this account: connected, its lease taken (blocks; off the loop)."""
        return _native.Store.open_postgres(
            self._url, self.name, self.holder, self.ttl, self.wait, self.statement_timeout
        )

    def lease(self) -> Lease:
        """The lease of this open storage."""
        lease = self._opened().lease()
        assert lease is not None
        return Lease(*lease)

    async def delete(self) -> None:
        """Deletes this account only (its session and peers) and lets go of the lease
        (spec/storage.md §7.4). Pyrogram calls it after ``close()``: the session is then opened
        again first, taking the lease, so that a session another holder has is not deleted under
        it."""
        stores = self._take_stores()
        if stores:
            store = stores[0]
            await self._off_loop(_close_all, stores[1:])
        else:
            store = await self._off_loop(self._connect)
        await self._off_loop(store.delete)


def storage_named(
    name: str,
    workdir: Union[str, "os.PathLike[str]"] = ".",
    *,
    wait: float = DEFAULT_WAIT,
    raw: Any = None,
) -> Storage:
    """The storage a client given the session name ``name`` and working directory ``workdir``
    uses, by the crate's naming rule (spec/storage.md §2.1): ``:memory:`` is a memory storage, a
    name of 351 characters or more a session string, anything else the file
    ``<workdir>/<name>.session``."""
    # A lone surrogate (a file name of bytes that are no UTF-8, or a damaged session string)
    # is looked at as U+FFFD: the same length, and never ":memory:".
    fitted = fit(name) if isinstance(name, str) else name
    kind, string, path = _native.locate(fitted, os.fspath(workdir))
    if kind == "memory":
        return MemoryStorage(name, raw=raw)
    if kind == "string":
        return MemoryStorage("string", string, raw=raw)
    if fitted is not name:
        return FileStorage(name, workdir, wait=wait, raw=raw)
    assert path is not None
    return FileStorage(path.name[: -len(FileStorage.FILE_EXTENSION)], path.parent, wait=wait, raw=raw)


def storage_for(
    client: Any,
    *,
    wait: Optional[float] = None,
    raw: Any = None,
    postgres: Optional[str] = None,
) -> Storage:
    """The storage a Pyrogram 2.0.106 ``Client`` (or a fork's) would make for itself, from its
    ``session_string``, ``in_memory``, ``name`` and ``workdir``, as this package's class, with
    the client's own ``raw`` module. Assign it to ``client.storage`` before ``start()``.

    ``wait`` is how long ``open()`` waits for another holder: for a file, ``DEFAULT_WAIT``
    seconds by default. With ``postgres`` (a database's address), the client's session is the
    account of its ``name`` in that database: a ``PostgresStorage``, whose ``open()`` waits
    ``wait`` seconds for another holder's lease (none by default)."""
    try:
        name = client.name
        if postgres is None:
            session_string, in_memory, workdir = (
                client.session_string,
                client.in_memory,
                client.workdir,
            )
    except AttributeError as e:
        raise TypeError(
            f"storage_for takes a Pyrogram Client (or a fork's), not {type(client).__name__}: "
            f"it has no {getattr(e, 'name', None) or 'attribute it needs'}"
        ) from None
    if raw is None:
        package = sys.modules.get(type(client).__module__.split(".")[0])
        raw = getattr(package, "raw", None)
    if postgres is not None:
        return PostgresStorage(name, postgres, wait=wait or 0.0, raw=raw)
    if wait is None:
        wait = DEFAULT_WAIT
    if session_string:
        return MemoryStorage(name, session_string, raw=raw)
    if in_memory:
        return MemoryStorage(name, raw=raw)
    return storage_named(name, workdir, wait=wait, raw=raw)


