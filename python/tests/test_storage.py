"""The package's storages against Pyrogram 2.0.106's own, and the spec's rules that differ."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import pyrosession

from conftest import example

pyrogram_storage = pytest.importorskip("pyrogram.storage")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


PEERS: List[Tuple[Any, ...]] = [
    (777, -5, "user", "alice", "15551234567"),
    (778, 9, "bot", "somebot", None),
    (-4242, 0, "group", None, None),
    (-1001234567890, 42, "channel", "news", None),
    (-1009876543210, 43, "supergroup", "chatters", None),
]


async def operations(storage: Any) -> List[Any]:
    """One sequence of the calls Pyrogram's client makes, and what each returned."""
    seen: List[Any] = []
    await storage.open()
    for field in ("dc_id", "api_id", "test_mode", "auth_key", "date", "user_id", "is_bot"):
        seen.append((field, await getattr(storage, field)()))
    await storage.api_id(12345)
    await storage.dc_id(4)
    await storage.date(0)
    await storage.test_mode(False)
    await storage.auth_key(bytes(range(256)))
    await storage.user_id(123456789)
    await storage.is_bot(False)
    for field in ("dc_id", "api_id", "test_mode", "auth_key", "date", "user_id", "is_bot"):
        value = await getattr(storage, field)()
        seen.append((field, bool(value) if field in ("test_mode", "is_bot") else value))
    await storage.update_peers(PEERS)
    for peer in PEERS:
        seen.append(("id", peer[0], await storage.get_peer_by_id(peer[0])))
    seen.append(("id as text", await storage.get_peer_by_id("-1001234567890")))
    seen.append(("username", await storage.get_peer_by_username("alice")))
    seen.append(("username", await storage.get_peer_by_username("news")))
    seen.append(("phone", await storage.get_peer_by_phone_number("15551234567")))
    for lookup, arg in (
        ("get_peer_by_id", 1),
        ("get_peer_by_id", "@alice"),
        ("get_peer_by_username", "nobody"),
        ("get_peer_by_phone_number", "000"),
    ):
        with pytest.raises(KeyError):
            await getattr(storage, lookup)(arg)
        seen.append(("missing", lookup, arg))
    seen.append(("string", await storage.export_session_string()))
    await storage.user_id(None)
    seen.append(("unset", await storage.user_id()))
    await storage.save()
    seen.append(("saved", abs(await storage.date() - time.time()) < 5))
    await storage.close()
    return seen


def test_memory_storage_answers_as_pyrogram_memory_storage() -> None:
    ours = run(operations(pyrosession.MemoryStorage("m")))
    theirs = run(operations(pyrogram_storage.MemoryStorage("m")))
    assert ours == theirs


def test_file_storage_answers_as_pyrogram_file_storage(workdir: Path) -> None:
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    ours = run(operations(pyrosession.FileStorage("s", workdir / "a")))
    theirs = run(operations(pyrogram_storage.FileStorage("s", workdir / "b")))
    assert ours == theirs


def test_memory_storage_from_session_string_holds_its_session() -> None:
    s = example("v2.txt")

    async def both(storage: Any) -> Tuple[Any, ...]:
        await storage.open()
        fields = [await getattr(storage, f)() for f in ("dc_id", "api_id", "auth_key", "user_id")]
        return (*fields, bool(await storage.is_bot()), await storage.export_session_string())

    ours = run(both(pyrosession.MemoryStorage("m", s)))
    assert ours == run(both(pyrogram_storage.MemoryStorage("m", s)))
    assert ours[-1] == s


def test_a_string_pyrogram_refuses_raises_a_decode_error_with_pyrogram_s_error() -> None:
    storage = pyrosession.MemoryStorage("m", example("v2.txt")[:300])
    with pytest.raises(pyrosession.WrongByteLengthError) as info:
        run(storage.open())
    assert isinstance(info.value, pyrosession.DecodeError)
    assert info.value.kind == "wrong_byte_length"
    assert info.value.pyrogram_error == "struct.error: unpack requires a buffer of 271 bytes"


def test_new_file_is_created_with_mode_0600(workdir: Path) -> None:
    old = os.umask(0o022)
    try:
        storage = pyrosession.FileStorage("fresh", workdir)
        run(storage.open())
        run(storage.close())
    finally:
        os.umask(old)
    assert stat.S_IMODE((workdir / "fresh.session").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "content, error",
    [
        (b"not a database at all, just text\n" * 10, pyrosession.NotSqliteError),
        (None, pyrosession.NotASessionError),
    ],
)
def test_a_failed_open_leaves_the_file_as_it_was(workdir: Path, content: Any, error: Any) -> None:
    path = workdir / "other.session"
    if content is None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    mode = path.stat().st_mode
    storage = pyrosession.FileStorage("other", workdir)
    with pytest.raises(error) as info:
        run(storage.open())
    assert info.value.path == path
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert path.stat().st_mode == mode
    assert sorted(os.listdir(workdir)) == ["other.session"]


def test_delete_after_close_removes_the_file_as_pyrogram_log_out_does(workdir: Path) -> None:
    storage = pyrosession.FileStorage("gone", workdir)

    async def log_out() -> None:
        await storage.open()
        await storage.close()
        await storage.delete()

    run(log_out())
    assert os.listdir(workdir) == []
    with pytest.raises(FileNotFoundError):
        run(storage.delete())


def test_a_closed_storage_raises_closed_error() -> None:
    storage = pyrosession.MemoryStorage("m")
    with pytest.raises(pyrosession.ClosedError):
        run(storage.dc_id())

    async def closed_then_used() -> None:
        await storage.open()
        await storage.close()
        await storage.close()
        await storage.dc_id()

    with pytest.raises(pyrosession.ClosedError):
        run(closed_then_used())


def test_lookups_do_not_wait_on_the_loop_for_a_large_update() -> None:
    """A lookup made while a large update_peers holds the storage in the executor moves to the
    executor too: the loop keeps running meanwhile (a lookup that waited on the loop would
    stall it for the whole update)."""
    peers = [(i, i, "user", f"u{i}", None) for i in range(1, 200_001)]

    async def scenario() -> Tuple[float, float, List[Any]]:
        storage = pyrosession.MemoryStorage("m")
        await storage.open()
        await storage.update_peers([(1, 1, "user", "u1", None)])
        stalls: List[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                stalls.append(now - last)
                last = now

        tick = asyncio.ensure_future(ticker())
        start = time.perf_counter()
        update = asyncio.ensure_future(storage.update_peers(peers))
        found = []
        while not update.done():
            found.append(await storage.get_peer_by_id(1))
            await asyncio.sleep(0.0005)
        await update
        took = time.perf_counter() - start
        done.set()
        await tick
        await storage.close()
        return took, max(stalls), found

    took, stall, found = run(scenario())
    assert found and all(p.user_id == 1 for p in found)
    assert took > 0.2, f"the update took {took:.3f} s: too fast to show a stall"
    assert stall < took / 2, f"the loop stalled {stall:.3f} s during a {took:.3f} s update"


def test_not_found_and_expired_are_key_errors_as_resolve_peer_needs() -> None:
    assert issubclass(pyrosession.NotFoundError, KeyError)
    assert issubclass(pyrosession.UsernameExpiredError, KeyError)
    assert not issubclass(pyrosession.InUseError, KeyError)


def test_storage_named_follows_the_naming_rule(tmp_path: Path) -> None:
    memory = pyrosession.storage_named(":memory:", tmp_path)
    assert isinstance(memory, pyrosession.MemoryStorage)
    assert memory.session_string is None
    file = pyrosession.storage_named("acct", tmp_path)
    assert isinstance(file, pyrosession.FileStorage)
    assert file.database == tmp_path / "acct.session"
    string = example("v2.txt")
    loaded = pyrosession.storage_named(string[:100] + "\n" + string[100:], tmp_path)
    assert isinstance(loaded, pyrosession.MemoryStorage)
    assert loaded.session_string == string


def test_clock_offset_moves_what_save_writes() -> None:
    async def body() -> int:
        s = pyrosession.MemoryStorage("m")
        await s.open()
        s.set_clock_offset(-86400)
        await s.save()
        date: int = await s.date()
        await s.close()
        return date

    assert abs(asyncio.run(body()) - (int(time.time()) - 86400)) <= 5


def test_input_peers_made_without_the_constructor_equal_the_constructor_s() -> None:
    """pyrogram.raw's input peers are made by ``object.__new__`` and their attributes set (the
    store checks the classes allow it); classes that do not, as the package's own named tuples,
    are called with keywords. Either way the lookups return what the constructor makes."""
    from pyrogram import raw

    async def lookups(storage: Any) -> Tuple[bool, List[Any]]:
        await storage.open()
        await storage.update_peers(PEERS)
        found = [await storage.get_peer_by_id(p[0]) for p in PEERS]
        found.append(await storage.get_peer_by_id(str(PEERS[0][0])))
        found.append(await storage.get_peer_by_username("news"))
        found.append(await storage.get_peer_by_phone_number("15551234567"))
        plain = storage._store.input_types_plain
        await storage.close()
        return plain, found

    t = raw.types
    expected = [
        t.InputPeerUser(user_id=777, access_hash=-5),
        t.InputPeerUser(user_id=778, access_hash=9),
        t.InputPeerChat(chat_id=4242),
        t.InputPeerChannel(channel_id=1234567890, access_hash=42),
        t.InputPeerChannel(channel_id=9876543210, access_hash=43),
        t.InputPeerUser(user_id=777, access_hash=-5),
        t.InputPeerChannel(channel_id=1234567890, access_hash=42),
        t.InputPeerUser(user_id=777, access_hash=-5),
    ]
    plain, found = run(lookups(pyrosession.MemoryStorage("m")))
    assert plain
    assert [type(f) for f in found] == [type(e) for e in expected]
    assert found == expected and [repr(f) for f in found] == [repr(e) for e in expected]

    plain, found = run(lookups(pyrosession.MemoryStorage("m", raw=pyrosession.storage._Plain)))
    assert not plain
    assert found[0] == pyrosession.InputPeerUser(user_id=777, access_hash=-5)
    assert found[2] == pyrosession.InputPeerChat(chat_id=4242)
    assert found[3] == pyrosession.InputPeerChannel(channel_id=1234567890, access_hash=42)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="no /proc/self/maps")
def test_a_file_storage_maps_no_page_of_its_file(workdir: Path) -> None:
    """The package's file storage reads its file through SQLite's page cache, not a memory
    map (`OpenOptions::mmap_size(0)`): the kernel would count every mapped page it touched in
    the process's resident set, which Pyrogram's own storage does not have (BENCHMARKS.md)."""
    path = workdir / "mapped.session"
    peers = [(i, i, "user", f"u{i}", f"1555{i:07d}") for i in range(1, 20_001)]

    def mapped() -> List[str]:
        with open("/proc/self/maps") as maps:
            return [line for line in maps if line.rstrip().endswith(str(path))]

    async def scenario(new: bool) -> None:
        storage = pyrosession.FileStorage("mapped", workdir)
        await storage.open()
        if new:
            await storage.update_peers(peers)
        for i in range(1, 20_001, 997):
            await storage.get_peer_by_id(i)
            await storage.get_peer_by_username(f"u{i}")
        assert mapped() == [], "the session file is memory-mapped"
        await storage.close()

    run(scenario(True))  # a new file
    assert path.stat().st_size > 1_000_000
    run(scenario(False))  # the file opened again


@pytest.mark.parametrize(
    "bad, error",
    [
        (("not an id", 1, "user", None, None), TypeError),
        ((5_000, 1, "no such type", None, None), ValueError),
        (7, TypeError),
    ],
)
def test_a_bad_tuple_late_in_a_large_batch_stores_none_of_it(
    workdir: Path, bad: Any, error: Any
) -> None:
    """The list is read 256 tuples at a time, but the batch is still one transaction: a tuple
    that is no peer, after several chunks were read and written, raises as it would up front,
    and none of the batch is stored, on a file and in memory. A good batch of the same size is
    stored whole (spec/storage.md §6.4)."""
    good = [(i, i, "user", f"u{i}", None) for i in range(1, 1_001)]

    async def scenario(storage: Any) -> None:
        await storage.open()
        await storage.update_peers([(1, 77, "user", "kept", None)])
        for batch in (good[:700] + [bad] + good[700:], [bad] + good):
            with pytest.raises(error):
                await storage.update_peers(batch)
            assert (await storage.get_peer_by_id(1)).access_hash == 77
            for i in (2, 256, 257, 700, 1_000):
                with pytest.raises(pyrosession.NotFoundError):
                    await storage.get_peer_by_id(i)
        await storage.update_peers(good)
        assert (await storage.get_peer_by_id(1)).access_hash == 1
        assert (await storage.get_peer_by_username("u1000")).user_id == 1_000
        await storage.close()

    run(scenario(pyrosession.MemoryStorage("m")))
    run(scenario(pyrosession.FileStorage("chunks", workdir)))
    with sqlite3.connect(workdir / "chunks.session") as conn:
        assert conn.execute("SELECT count(*) FROM peers").fetchone() == (1_000,)


def _three_storages(workdir: Path) -> List[Any]:
    """A file storage, an empty memory storage and one from a session string (unopened)."""
    return [
        pyrosession.FileStorage("hostile", workdir),
        pyrosession.MemoryStorage("m"),
        pyrosession.MemoryStorage("s", example("v2.txt")),
    ]


@pytest.mark.parametrize("peer_id", [2**63, -(2**63) - 1, 2**64, 2**70, -(2**100)])
def test_an_id_beyond_64_bits_is_not_found(workdir: Path, peer_id: int) -> None:
    """No peer has an id beyond a signed 64-bit integer: the lookup raises ``NotFoundError``
    (a ``KeyError``, which ``resolve_peer`` catches), as the same id given as text does, never
    ``OverflowError``."""

    async def scenario(storage: Any) -> None:
        await storage.open()
        await storage.update_peers([(2**63 - 1, 1, "user", None, None)])
        for asked in (peer_id, str(peer_id)):
            with pytest.raises(pyrosession.NotFoundError):
                await storage.get_peer_by_id(asked)
        assert (await storage.get_peer_by_id(2**63 - 1)).user_id == 2**63 - 1
        await storage.close()

    for storage in _three_storages(workdir):
        run(scenario(storage))


@pytest.mark.parametrize(
    "field, value",
    [
        ("dc_id", 2**64),
        ("dc_id", -(2**63) - 1),
        ("api_id", 2**64),
        ("user_id", 2**64),
        ("user_id", -(2**70)),
        ("date", 2**63),
    ],
)
def test_a_field_value_beyond_64_bits_is_a_value_error_and_changes_nothing(
    workdir: Path, field: str, value: int
) -> None:
    """A session field set to an int no signed 64-bit integer holds raises ``ValueError``
    naming the field (never ``OverflowError``), and the field keeps its value."""

    async def scenario(storage: Any) -> None:
        await storage.open()
        await getattr(storage, field)(7)
        with pytest.raises(ValueError, match=field) as info:
            await getattr(storage, field)(value)
        assert not isinstance(info.value, OverflowError)
        assert await getattr(storage, field)() == 7
        await storage.close()

    for storage in _three_storages(workdir):
        run(scenario(storage))


@pytest.mark.parametrize("seconds", [2**63, -(2**63) - 1, 2**70])
def test_a_clock_offset_beyond_64_bits_is_a_value_error(seconds: int) -> None:
    async def scenario() -> None:
        storage = pyrosession.MemoryStorage("m")
        await storage.open()
        with pytest.raises(ValueError, match="seconds") as info:
            storage.set_clock_offset(seconds)
        assert not isinstance(info.value, OverflowError)
        await storage.save()
        assert abs(await storage.date() - time.time()) < 5
        await storage.close()

    run(scenario())


def test_open_of_an_open_storage_closes_it_and_opens_again(workdir: Path) -> None:
    """``open()`` twice, as Pyrogram's ``start()`` does when it is called again after a start
    that failed once the storage was open: the storage is closed and opened again, as
    Pyrogram's storages make a new connection. A file is not waited on as if another client
    held it (``InUseError`` after ``wait`` seconds before the fix), and no store is left open
    behind the new one."""

    async def scenario(storage: Any, keeps_peers: bool) -> None:
        await storage.open()
        await storage.update_peers([(5, 1, "user", "five", None)])
        first = storage._store
        start = time.perf_counter()
        await storage.open()
        assert time.perf_counter() - start < 1.0
        assert first.closed and storage._store is not first
        if keeps_peers:
            assert (await storage.get_peer_by_id(5)).user_id == 5
        else:
            with pytest.raises(pyrosession.NotFoundError):
                await storage.get_peer_by_id(5)
        await storage.close()

    run(scenario(pyrosession.FileStorage("twice", workdir, wait=3.0), True))
    run(scenario(pyrosession.MemoryStorage("m"), False))
    run(scenario(pyrosession.MemoryStorage("s", example("v2.txt")), False))

    async def pyrogram_memory() -> None:
        # Pyrogram's own memory storage opened twice: a new, empty database.
        storage = pyrogram_storage.MemoryStorage("m")
        await storage.open()
        await storage.update_peers([(5, 1, "user", "five", None)])
        await storage.open()
        with pytest.raises(KeyError):
            await storage.get_peer_by_id(5)

    run(pyrogram_memory())

    async def string_session() -> None:
        storage = pyrosession.MemoryStorage("s", example("v2.txt"))
        await storage.open()
        await storage.user_id(None)
        await storage.open()
        assert await storage.user_id() == pyrosession.decode(example("v2.txt")).session.user_id
        await storage.close()

    run(string_session())


def test_a_call_back_into_the_storage_from_a_peer_s_value_raises_instead_of_waiting() -> None:
    """A value whose ``__index__`` calls back into the storage while ``update_peers`` reads the
    batch (after its first chunk, with the storage held): the call raises a ``StorageError``
    instead of waiting for its own thread, which hung forever before the fix; the batch fails
    as a whole (the tuple unreadable: ``TypeError``) and the storage is usable afterwards."""
    outcome: List[Any] = []

    class CallsBack:
        def __init__(self, storage: Any, value: int) -> None:
            self.storage, self.value = storage, value

        def __index__(self) -> int:
            try:
                self.storage.set_clock_offset(0)
            except pyrosession.StorageError as e:
                outcome.append(e)
                raise
            return self.value

    async def scenario() -> None:
        storage = pyrosession.MemoryStorage("m")
        await storage.open()
        peers: List[Any] = [(i, 1, "user", None, None) for i in range(1, 400)]
        peers.append((CallsBack(storage, 999), 1, "user", None, None))
        with pytest.raises(TypeError):
            await storage.update_peers(peers)
        with pytest.raises(pyrosession.NotFoundError):
            await storage.get_peer_by_id(1)
        await storage.update_peers(peers[:5])
        assert (await storage.get_peer_by_id(5)).user_id == 5
        await storage.close()
        outcome.append("done")

    import threading

    thread = threading.Thread(target=lambda: run(scenario()), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "update_peers waited for itself"
    assert outcome and isinstance(outcome[0], pyrosession.StorageError) and outcome[-1] == "done"


def test_usernames_after_a_failed_kurigram_batch_store_none_of_it(workdir: Path) -> None:
    """kurigram passes its usernames after its 4-tuple batch: a batch that failed stored
    nothing, and its usernames store nothing of it either (they stored its good peers before
    the fix)."""

    async def scenario(storage: Any) -> None:
        await storage.open()
        await storage.update_peers([(1, 10, "user", None)])
        with pytest.raises(ValueError):
            await storage.update_peers([(2, 20, "user", None), (3, 30, "no such type", None)])
        await storage.update_usernames([(1, ["one"]), (2, ["two"])])
        with pytest.raises(pyrosession.NotFoundError):
            await storage.get_peer_by_id(2)
        with pytest.raises(pyrosession.NotFoundError):
            await storage.get_peer_by_username("two")
        await storage.close()

    for storage in _three_storages(workdir):
        run(scenario(storage))


@pytest.mark.parametrize(
    "state, error",
    [
        ((1,), ValueError),
        ((1, 2, 3, 4, 5, 6), ValueError),
        ("abc", ValueError),
        ((1, 2, 3, "date", 5), TypeError),
        (("id", 2, 3, 4, 5), TypeError),
        ((None, 2, 3, 4, 5), TypeError),
        ((1, 2.5, 3, 4, 5), TypeError),
        (None, TypeError),
        (1.5, TypeError),
    ],
)
def test_a_malformed_update_state_is_refused_and_stores_nothing(state: Any, error: Any) -> None:
    """pyrofork's ``update_state(value)`` and kurigram's ``set_update_state``: a state that is
    not ``(id, pts, qts, date, seq)`` of ints (``None`` for a field unset) raises as it is
    given, and the states stay readable. It was stored, and every later read raised
    ``IndexError`` or ``TypeError``."""

    class Given:
        def __init__(self, fields: Any) -> None:
            self.id, self.pts, self.qts, self.date, self.seq = (list(fields) + [0] * 5)[:5]

    async def scenario() -> None:
        storage = pyrosession.MemoryStorage("m")
        await storage.open()
        await storage.update_state((7, 1, 1, 100, 1))
        with pytest.raises(error):
            await storage.update_state(state)
        if isinstance(state, tuple) and len(state) == 5:
            with pytest.raises(error):
                await storage.set_update_state([Given((8, 1, 1, 1, 1)), Given(state)])
        with pytest.raises(TypeError):
            await storage.set_update_state([Given((8, 1, 1, 1, 1)), object()])
        assert await storage.update_state() == [(7, 1, 1, 100, 1)]
        assert [s.id for s in await storage.get_update_states()] == [7]
        await storage.close()

    run(scenario())


def test_storage_named_takes_a_file_name_that_is_no_utf_8(tmp_path: Path) -> None:
    """A name decoded from bytes that are no UTF-8 (``os.fsdecode``: lone surrogates) names its
    file as ``FileStorage`` takes it; it raised ``UnicodeEncodeError``."""
    name = os.fsdecode(b"acc\xff")
    storage = pyrosession.storage_named(name, tmp_path)
    assert isinstance(storage, pyrosession.FileStorage)
    assert storage.database == tmp_path / (name + ".session")
    run(storage.open())
    run(storage.close())
    assert os.listdir(os.fsencode(tmp_path)) == [b"acc\xff.session"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:hunter2\ud800@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 user=user password=hunter2\udfff dbname=db",
    ],
)
def test_a_postgres_address_with_a_lone_surrogate_raises_without_the_password(url: str) -> None:
    """An address holding a lone surrogate (no UTF-8): the open fails as for any address that
    cannot be used (``PostgresError``), carrying no part of the password; it raised
    ``UnicodeEncodeError``, whose repr and ``object`` held the whole address."""
    for call in (lambda s: s.open(), lambda s: s.delete()):
        with pytest.raises(pyrosession.PostgresError) as info:
            run(call(pyrosession.PostgresStorage("n", url)))
        e: Any = info.value
        while e is not None:
            shown = (str(e), repr(e), repr(e.args), repr(vars(e)), repr(getattr(e, "object", "")))
            assert not any("hunter2" in s for s in shown)
            e = e.__cause__ or e.__context__


def test_an_iterable_that_raises_midway_stores_none_of_its_peers(workdir: Path) -> None:
    """``update_peers`` of a generator that raises after some peers: the generator's own
    exception, and none of its peers stored (all or nothing), on each storage."""

    def peers(count: int) -> Any:
        for i in range(1, count + 1):
            yield (i, i, "user", f"u{i}", None)
        raise RuntimeError("the source failed")

    async def scenario(storage: Any) -> None:
        await storage.open()
        for count in (3, 300):
            with pytest.raises(RuntimeError, match="the source failed"):
                await storage.update_peers(peers(count))
            for i in (1, count):
                with pytest.raises(pyrosession.NotFoundError):
                    await storage.get_peer_by_id(i)
        await storage.close()

    for storage in _three_storages(workdir):
        run(scenario(storage))


@pytest.mark.parametrize("postgres", [None, "postgresql://user@127.0.0.1:1/db"])
def test_storage_for_of_no_client_is_a_type_error(postgres: Any) -> None:
    """``storage_for`` of something that is no client (``None``, an object without the
    client's ``name``, ``session_string``, ``in_memory`` or ``workdir``) raises ``TypeError``
    naming what is missing; it raised ``AttributeError``."""
    from types import SimpleNamespace

    for given in (None, object(), SimpleNamespace(session_string=None, in_memory=False)):
        with pytest.raises(TypeError, match="Client") as info:
            pyrosession.storage_for(given, postgres=postgres)
        assert not isinstance(info.value, AttributeError)
    client = SimpleNamespace(name="acc", session_string=None, in_memory=True, workdir=".")
    assert isinstance(pyrosession.storage_for(client), pyrosession.MemoryStorage)
