"""Python processes on one session file: a second one gets the typed in-use exception within
its wait; a process SIGKILLed in the middle of update_peers, many times, loses no batch whose
call returned and leaves a file that passes its integrity check (spec/storage.md §2.5, §8.1)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import pyrosession

from conftest import python_env

try:
    from pyrogram import storage as pyrogram_storage
except ImportError:  # the tests with Pyrogram's own storage are skipped
    pyrogram_storage = None

needs_pyrogram = pytest.mark.skipif(pyrogram_storage is None, reason="pyrogram is not installed")

HOLDER = """
import asyncio, sys, pyrosession
async def main():
    s = pyrosession.FileStorage(sys.argv[1], sys.argv[2])
    await s.open()
    await s.update_peers([(1, 11, "user", "held", None)])
    print("ready", flush=True)
    sys.stdin.read()
    await s.close()
    print("closed", flush=True)
asyncio.run(main())
"""


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@contextlib.contextmanager
def holding(script: str, *args: str) -> Iterator["subprocess.Popen[str]"]:
    """A child Python process running `script` with `args`, once it has printed "ready"; killed
    on the way out if it is still running (after a failed assertion)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=python_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        yield holder
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_second_process_gets_in_use_within_its_wait_and_nothing_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "shared.session"
    with holding(HOLDER, "shared", str(tmp_path)) as holder:
        assert holder.stdout is not None and holder.stdin is not None

        async def second() -> Tuple[BaseException, float, float]:
            storage = pyrosession.FileStorage("shared", tmp_path, wait=0.5)
            stalls: List[float] = []
            opening = asyncio.ensure_future(storage.open())
            last = time.perf_counter()
            start = last
            while not opening.done():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                stalls.append(now - last)
                last = now
            error = opening.exception()
            assert error is not None, "the second process opened a held session"
            return error, time.perf_counter() - start, max(stalls)

        error, waited, stall = asyncio.run(second())
        assert isinstance(error, pyrosession.InUseError), repr(error)
        assert error.kind == "in_use" and error.path == path
        assert str(path) in str(error) and "database is locked" not in str(error)
        assert 0.5 <= waited < 2.5, f"gave up after {waited:.2f} s, for a wait of 0.5 s"
        assert stall < 0.25, f"the event loop stalled {stall:.3f} s while the open waited"

        holder.stdin.close()
        assert holder.stdout.readline() == "closed\n"
        assert holder.wait(10) == 0

    assert integrity(path) == "ok"

    async def reopen() -> Any:
        storage = pyrosession.FileStorage("shared", tmp_path, wait=0.5)
        await storage.open()
        try:
            return await storage.get_peer_by_username("held")
        finally:
            await storage.close()

    assert asyncio.run(reopen()).user_id == 1


# A process using Pyrogram 2.0.106's own FileStorage: it opens the file and caches a peer
# (Pyrogram's update_peers leaves its write transaction open until save()); with "commit", it
# saves at once, so that it holds no lock while it waits. On a line from its parent it caches
# another peer and saves, and reports how that went.
PYROGRAM_HOLDER = """
import asyncio, sqlite3, sys
from pathlib import Path
from pyrogram.storage import FileStorage
async def main():
    s = FileStorage(sys.argv[1], Path(sys.argv[2]))
    await s.open()
    await s.update_peers([(2, 22, "user", "pyro", None)])
    if sys.argv[3] == "commit":
        await s.save()
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        await s.update_peers([(3, 33, "user", "later", None)])
        await s.save()
        print("saved", flush=True)
    except sqlite3.OperationalError as e:
        print(f"OperationalError: {e}", flush=True)
    await s.close()
    print("closed", flush=True)
asyncio.run(main())
"""


def peers_in(path: Path) -> Dict[int, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT id, username FROM peers").fetchall())
    finally:
        conn.close()


@needs_pyrogram
def test_pyrogram_holding_a_write_makes_ours_raise_in_use_and_damages_nothing(tmp_path: Path) -> None:
    """Pyrogram's process holds a write transaction (update_peers not yet saved): the
    package's open raises InUseError naming the file once its wait has passed; Pyrogram's
    process then commits as if nothing had happened, and the file is whole."""
    path = tmp_path / "shared.session"
    with holding(PYROGRAM_HOLDER, "shared", str(tmp_path), "open") as holder:
        assert holder.stdin is not None and holder.stdout is not None

        async def ours() -> Tuple[BaseException, float]:
            storage = pyrosession.FileStorage("shared", tmp_path, wait=0.5)
            start = time.perf_counter()
            try:
                await storage.open()
            except pyrosession.PyrosessionError as e:
                return e, time.perf_counter() - start
            await storage.close()
            raise AssertionError("opened a file whose write Pyrogram's process holds")

        error, waited = asyncio.run(ours())
        assert isinstance(error, pyrosession.InUseError), repr(error)
        assert error.kind == "in_use" and error.path == path
        assert "database is locked" not in str(error)
        assert 0.5 <= waited < 2.5, f"gave up after {waited:.2f} s, for a wait of 0.5 s"

        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "saved\n"
        assert holder.stdout.readline() == "closed\n"
        assert holder.wait(10) == 0
    assert integrity(path) == "ok"
    assert peers_in(path) == {2: "pyro", 3: "later"}


@needs_pyrogram
def test_ours_holding_the_file_makes_pyrogram_s_own_sqlite3_say_locked(tmp_path: Path) -> None:
    """The package's storage claims the file for its life: Pyrogram's FileStorage in another
    process cannot open it (its own sqlite3 raises "database is locked" after its 1 s timeout)
    and writes nothing; once ours is closed, Pyrogram opens the file and finds what ours
    stored."""
    path = tmp_path / "shared.session"
    with holding(HOLDER, "shared", str(tmp_path)) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        before = path.read_bytes()

        async def pyrogram_open() -> BaseException:
            storage = pyrogram_storage.FileStorage("shared", tmp_path)
            try:
                await storage.open()
            except sqlite3.OperationalError as e:
                storage.conn.close()
                return e
            await storage.close()
            raise AssertionError("Pyrogram opened a file the package holds")

        error = asyncio.run(pyrogram_open())
        assert str(error) == "database is locked"
        assert path.read_bytes() == before

        holder.stdin.close()
        assert holder.stdout.readline() == "closed\n"
        assert holder.wait(10) == 0
    assert integrity(path) == "ok"

    async def pyrogram_reads() -> Any:
        storage = pyrogram_storage.FileStorage("shared", tmp_path)
        await storage.open()
        try:
            return await storage.get_peer_by_username("held")
        finally:
            await storage.close()

    assert asyncio.run(pyrogram_reads()).user_id == 1


@needs_pyrogram
def test_pyrogram_idle_lets_ours_claim_the_file_and_then_its_writes_fail(tmp_path: Path) -> None:
    """What cannot be guaranteed: a Pyrogram process that has the file open but holds no
    transaction (its peers saved) does not keep ours out. Ours opens and claims the file; the
    Pyrogram process's next write fails in its own sqlite3 with "database is locked", and
    nothing is damaged: the file keeps what each side committed."""
    path = tmp_path / "shared.session"
    with holding(PYROGRAM_HOLDER, "shared", str(tmp_path), "commit") as holder:
        assert holder.stdin is not None and holder.stdout is not None

        async def ours_then_pyrogram() -> str:
            storage = pyrosession.FileStorage("shared", tmp_path, wait=0.5)
            await storage.open()
            try:
                await storage.update_peers([(4, 44, "user", "ours", None)])
                holder.stdin.write("go\n")
                holder.stdin.flush()
                return holder.stdout.readline()
            finally:
                await storage.close()

        assert asyncio.run(ours_then_pyrogram()) == "OperationalError: database is locked\n"
        assert holder.stdout.readline() == "closed\n"
        assert holder.wait(10) == 0
    assert integrity(path) == "ok"
    assert peers_in(path) == {2: "pyro", 4: "ours"}


WRITER = """
import asyncio, sys, pyrosession
async def main():
    name, workdir, round_, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = pyrosession.FileStorage(name, workdir, wait=10)
    await s.open()
    print("open", flush=True)
    i = 0
    while True:
        mark = round_ * 1_000_000 + i
        await s.update_peers(
            [(mark * 1000 + k, mark, "user", f"u{mark}_{k}", None) for k in range(size)]
        )
        print(i, flush=True)
        i += 1
asyncio.run(main())
"""


def read_until(stream: Any, deadline: float, stop: bytes = b"") -> bytes:
    """What the child wrote until `deadline`, its end, or (if given) `stop` is read."""
    out = b""
    fd = stream.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (stop and stop in out):
            return out
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return out
            out += chunk


def test_sigkill_during_update_peers_loses_no_returned_batch(tmp_path: Path) -> None:
    """Rounds: a child opens the file and calls update_peers in a loop, printing each batch's
    number once the call has returned; it is SIGKILLed at a random moment. Every batch printed
    must be in the file whole, a batch not printed may be there whole (killed between the
    commit and the print) or not at all, and the file passes SQLite's integrity check. Batches
    of 20 peers run on the event loop, of 100 in the executor. PYROSESSION_KILL_ROUNDS sets the
    number of rounds (40 by default)."""
    rounds = int(os.environ.get("PYROSESSION_KILL_ROUNDS", "40"))
    rng = random.Random(20)
    path = tmp_path / "killed.session"
    acked: Dict[Tuple[int, int], int] = {}
    started = time.monotonic()
    for r in range(rounds):
        size = 20 if r % 2 == 0 else 100
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, "killed", str(tmp_path), str(r), str(size)],
            stdout=subprocess.PIPE, env=python_env(),
        )
        try:
            assert child.stdout is not None
            first = read_until(child.stdout, time.monotonic() + 30, b"open\n")
            assert first.startswith(b"open\n"), f"round {r}: the child did not open: {first!r}"
            out = first + read_until(child.stdout, time.monotonic() + rng.uniform(0.005, 0.08))
            child.send_signal(signal.SIGKILL)
            child.wait()
            out += child.stdout.read()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        lines = out.split(b"\n")
        done = [int(x) for x in lines[1:-1]]  # the last piece may be a cut line
        assert done == list(range(len(done))), f"round {r}: {done[:5]}"
        assert integrity(path) == "ok", f"round {r}: integrity check failed"
        conn = sqlite3.connect(path)
        try:
            counts = dict(
                conn.execute(
                    "SELECT access_hash, count(*) FROM peers WHERE access_hash >= ? AND access_hash < ? GROUP BY access_hash",
                    (r * 1_000_000, (r + 1) * 1_000_000),
                ).fetchall()
            )
        finally:
            conn.close()
        for i in done:
            assert counts.get(r * 1_000_000 + i) == size, f"round {r}: batch {i} returned but is not whole"
            acked[(r, i)] = size
        extra = set(counts) - {r * 1_000_000 + i for i in done}
        assert extra <= {r * 1_000_000 + len(done)}, f"round {r}: batches never written: {extra}"
        assert all(counts[m] == size for m in extra), f"round {r}: a part of a batch is there"
    took = time.monotonic() - started
    # Without a batch that returned before its kill, no round checked what the test is about.
    assert acked, f"no batch returned before a kill in {rounds} rounds: nothing was checked"

    conn = sqlite3.connect(path)
    try:
        total = conn.execute("SELECT count(*) FROM peers").fetchone()[0]
    finally:
        conn.close()
    assert total >= sum(acked.values())
    print(f"\n{rounds} kill rounds, {len(acked)} batches returned before a kill, {took:.1f} s")
