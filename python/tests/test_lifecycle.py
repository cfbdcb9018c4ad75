"""The storages over time and life cycle: a process forked with a storage open, a call
cancelled while its work runs in the executor, calls racing close()."""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import pyrosession


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def peers(start: int, count: int) -> List[Tuple[Any, ...]]:
    return [(i, i * 7, "user", f"u{i}", f"{i}") for i in range(start, start + count)]


def in_child(body: Any) -> int:
    """Runs ``body()`` in a child made by ``os.fork``, which exits with what it returns (99 if
    it raised), and gives that status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 99
        try:
            code = body()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_forked_child_cannot_use_the_parent_s_storage_nor_damage_its_file(
    workdir: Path,
) -> None:
    """A child made by fork inherits the storage but not the file's lock: every call it makes
    raises ClosedError saying so, its close() lets go without touching the connection, and
    the parent's file stays whole. Before, the child's update_peers wrote to the file unlocked
    under the parent's claim and returned; the parent's next commit left the file failing its
    integrity check (rows missing from the indexes, or "database disk image is malformed")."""
    storage = pyrosession.FileStorage("acc", workdir)

    async def first() -> None:
        await storage.open()
        await storage.update_peers(peers(1, 1000))

    run(first())

    def child() -> int:
        async def use() -> int:
            try:
                await storage.update_peers(peers(100_000, 3000))
                return 1
            except pyrosession.ClosedError as e:
                if f"opened by process {os.getppid()}" not in str(e) or "fork" not in str(e):
                    return 2
            try:
                await storage.get_peer_by_id(1)
                return 3
            except pyrosession.ClosedError:
                pass
            await storage.close()
            return 0

        code = run(use())
        gc.collect()
        return code

    status = in_child(child)

    async def second() -> Any:
        await storage.update_peers(peers(5000, 5))
        found = await storage.get_peer_by_id(5004)
        await storage.close()
        return found

    assert run(second()).user_id == 5004
    with sqlite3.connect(workdir / "acc.session") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM peers").fetchone() == (1005,)
    assert status == 0, "the child's calls did not raise ClosedError naming the fork"



@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_forked_child_s_close_leaves_the_parent_s_journal(workdir: Path) -> None:
    """The storage's connection keeps its journal beside the file between transactions
    (exclusive locking mode). A child made by fork that closes the storage it inherited must
    leave it there: before, the child's close() closed the parent's connection in the child,
    and SQLite deleted the journal, so that a crash of the parent during its next write would
    have left no journal to roll the file back with."""
    storage = pyrosession.FileStorage("acc", workdir)
    journal = workdir / "acc.session-journal"

    async def first() -> None:
        await storage.open()
        await storage.update_peers(peers(1, 10))

    run(first())
    assert journal.exists()

    def child() -> int:
        run(storage.close())
        return 0

    assert in_child(child) == 0
    assert journal.exists(), "the child's close() removed the parent's journal"

    async def second() -> None:
        await storage.update_peers(peers(100, 10))
        await storage.close()

    run(second())
    with sqlite3.connect(workdir / "acc.session") as db:
        assert db.execute("SELECT count(*) FROM peers").fetchone() == (20,)

def test_close_while_an_open_waits_leaves_the_storage_closed_and_the_file_free(
    workdir: Path,
) -> None:
    """``close()`` called while this storage's ``open()`` waits in the executor for another
    holder: the open raises ClosedError, and what it opens once the holder lets go is closed at
    once. Before, close() returned, then the open finished and the storage was open again,
    holding the file (another storage's open then raised InUseError)."""

    async def scenario() -> None:
        holder = pyrosession.FileStorage("acc", workdir)
        await holder.open()
        storage = pyrosession.FileStorage("acc", workdir, wait=10.0)
        opening = asyncio.ensure_future(storage.open())
        await asyncio.sleep(0)  # the open is under way: it waits for the holder
        assert not opening.done()
        await storage.close()
        await holder.close()  # the waiting open now gets the file
        with pytest.raises(pyrosession.ClosedError, match="closed while it was opening"):
            await opening
        with pytest.raises(pyrosession.ClosedError):
            await storage.dc_id()
        other = pyrosession.FileStorage("acc", workdir, wait=0.0)
        await other.open()
        await other.close()

    run(scenario())


def test_a_cancelled_large_update_is_stored_whole_and_the_storage_stays_usable(
    workdir: Path,
) -> None:
    """``update_peers`` cancelled (``asyncio.wait_for`` timing out) once its batch is being
    written in the executor: the write runs to its commit, as one transaction, the storage
    answers the next call (which waits for that write off the loop), and close() lets go of
    the file."""
    batch = peers(1_000_000, 100_000)

    async def scenario() -> None:
        storage = pyrosession.FileStorage("acc", workdir)
        await storage.open()
        await storage.update_peers(peers(1, 1))
        store = storage._store
        assert store is not None
        write = asyncio.ensure_future(storage.update_peers(batch))
        while True:  # until the write holds the storage: a call on the loop then raises Busy
            try:
                store.field("dc_id", False)
            except pyrosession._native.Busy:
                break
            assert not write.done(), "the write ended before it was seen holding the storage"
            await asyncio.sleep(0.001)
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
        assert (await storage.get_peer_by_id(1_099_999)).user_id == 1_099_999
        await storage.close()
        other = pyrosession.FileStorage("acc", workdir, wait=0.0)
        await other.open()
        await other.close()

    run(scenario())
    with sqlite3.connect(workdir / "acc.session") as db:
        assert db.execute("SELECT count(*) FROM peers").fetchone() == (100_001,)


def test_delete_while_an_open_waits_deletes_the_file_and_leaves_the_storage_closed(
    workdir: Path,
) -> None:
    """``delete()`` called while this storage's ``open()`` waits in the executor for another
    holder abandons that open, as ``close()`` does: the open raises ClosedError, the file is
    deleted once the holder lets go, and the storage is left closed. Before, the waiting open
    and the delete's own open raced for the file, and the storage could end open on a file
    deleted under it, or the delete raise InUseError."""

    async def scenario() -> None:
        holder = pyrosession.FileStorage("acc", workdir)
        await holder.open()
        storage = pyrosession.FileStorage("acc", workdir, wait=10.0)
        opening = asyncio.ensure_future(storage.open())
        await asyncio.sleep(0)  # the open is under way: it waits for the holder
        assert not opening.done()
        deleting = asyncio.ensure_future(storage.delete())
        await asyncio.sleep(0)
        await holder.close()
        with pytest.raises(pyrosession.ClosedError, match="closed while it was opening"):
            await opening
        await deleting
        assert storage._store is None
        assert not (workdir / "acc.session").exists()

    run(scenario())
