#!/usr/bin/env python3
"""Where the time of a lookup on a memory storage goes, from Python (issue 20): the floor under
the package's ``MemoryStorage.get_peer_by_id`` and ``get_peer_by_username`` against
Pyrogram 2.0.106's own, in one process.

Every case runs through the harness of benches/python_storage.py (``await call(c)``, where
``call`` is an ``async def`` that awaits the method on one of 1,024 keys of a 1,000-peer
storage), in CPU time (``time.process_time``, so that the load of a shared machine counts
less), the cases alternating in rounds; each figure is the median of the rounds:

- ``pyrogram`` and ``pyrosession``: the lookup, as python_storage.py times it;
- ``harness``: an ``async def`` that returns ``None`` in the method's place (the coroutines and
  the loop, which both sides pay);
- ``empty native call``: an ``async def`` that makes one call into the extension that reads
  nothing (``Store.get_peer_by_id_text`` of a text that is no integer returns ``None`` before it
  touches the storage): the harness, the coroutine and PyO3's call with its arguments;
- ``input peer``: an ``async def`` that makes the ``pyrogram.raw`` input peer as the extension
  does (``object.__new__`` and two slots set), from Python;
- ``sqlite3 lookup``: Pyrogram's own ``SELECT`` through ``sqlite3`` on its connection, without
  its coroutine (what Pyrogram's time is mostly made of).

Run with a Python that has ``pyrogram==2.0.106`` and the package::

    python benches/python_floor.py            # 7 rounds of 200,000 calls per case; ~1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_storage import fill, keys, peer  # noqa: E402

logging.disable(logging.CRITICAL)


async def cpu_per_call(call: Callable[[int], Awaitable[Any]], calls: int) -> float:
    start = time.process_time()
    for c in range(calls):
        await call(c)
    return (time.process_time() - start) / calls


def harnessed(method: Callable[[Any], Awaitable[Any]], column: List[Any]) -> Callable[[int], Awaitable[Any]]:
    """python_storage.py's harness around `method`."""

    async def call(c: int) -> None:
        await method(column[c & 1023])

    return call


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()

    from pyrogram.raw.types import InputPeerUser
    from pyrogram.storage import MemoryStorage as PyrogramMemory

    import pyrosession

    n = 1000
    ks = keys(n)
    ids = [peer(i)[0] for i in ks]
    usernames = [peer(i)[3] for i in ks]
    theirs = PyrogramMemory("bench")
    ours = pyrosession.MemoryStorage("bench")
    for s in (theirs, ours):
        await s.open()
        await fill(s, n)
    store = ours._store
    conn = theirs.conn
    new = object.__new__

    async def nothing(_: Any) -> None:
        return None

    async def empty_native(_: Any) -> Any:
        return store.get_peer_by_id_text("", False)

    async def input_peer(key: int) -> Any:
        made = new(InputPeerUser)
        made.user_id = key
        made.access_hash = key
        return made

    async def sqlite3_lookup(key: int) -> Any:
        return conn.execute(
            "SELECT id, access_hash, type FROM peers WHERE id = ?", (key,)
        ).fetchone()

    cases: Dict[str, Callable[[int], Awaitable[Any]]] = {
        "pyrogram get_peer_by_id": harnessed(theirs.get_peer_by_id, ids),
        "pyrosession get_peer_by_id": harnessed(ours.get_peer_by_id, ids),
        "pyrogram get_peer_by_username": harnessed(theirs.get_peer_by_username, usernames),
        "pyrosession get_peer_by_username": harnessed(ours.get_peer_by_username, usernames),
        "harness": harnessed(nothing, ids),
        "empty native call": harnessed(empty_native, ids),
        "input peer": harnessed(input_peer, ids),
        "sqlite3 lookup": harnessed(sqlite3_lookup, ids),
    }
    times: Dict[str, List[float]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, call in cases.items():
            times[name].append(await cpu_per_call(call, args.calls))
    median = {k: statistics.median(v) for k, v in times.items()}
    print("| case | CPU time per call | spread (slowest / fastest round) |")
    print("|---|---|---|")
    for name, t in median.items():
        spread = max(times[name]) / min(times[name])
        print(f"| {name} | {t * 1e6:.3f} µs | {spread:.2f} |")
    for op in ("get_peer_by_id", "get_peer_by_username"):
        target = median[f"pyrogram {op}"] / 3
        ours_t = median[f"pyrosession {op}"]
        left = target - median["empty native call"]
        print(
            f"\n{op}: Pyrogram / pyrosession {median[f'pyrogram {op}'] / ours_t:.2f}x; "
            f"3x needs {target * 1e6:.3f} µs a call; the empty native call takes "
            f"{median['empty native call'] * 1e6:.3f} µs of it, which leaves "
            f"{left * 1e6:.3f} µs for the read and the input peer; they take "
            f"{(ours_t - median['empty native call']) * 1e6:.3f} µs"
        )
    for s in (theirs, ours):
        await s.close()


if __name__ == "__main__":
    asyncio.run(main())
