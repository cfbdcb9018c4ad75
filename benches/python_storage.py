#!/usr/bin/env python3
"""The Python package's storage against Pyrogram 2.0.106's own, from Python (issue 20).

One process, one run: the same calls, on the same data, through each side's async interface as
a client makes them (the Python call, the coroutine and the ``pyrogram.raw`` input peer
included), alternating between the two sides in passes so that a drift of the shared machine
touches both alike. Each time is the fastest of the passes' medians, for both sides; *spread* is
the slowest pass over the fastest.

- lookups by id, username and phone number at each size, on a file and on a memory storage;
- ``update_peers`` of 100,000 new peers, and of the same 100,000 peers again, each followed by
  ``save()`` (Pyrogram commits cached peers only there; the package has committed them already);
- opening (and closing) a file of the largest size, a copy of the same Pyrogram-made file for
  each side (Pyrogram runs ``VACUUM`` on every open; the package runs SQLite's ``quick_check``,
  its default);
- ``export_session_string``, and a memory storage opened from a session string;
- peak memory: each side's workload in a fresh subprocess of its own (peak resident set,
  ``VmHWM``): filling a file storage with the largest size in 100,000-peer batches, a lookup of
  each kind, closing it and opening it again; and filling a memory storage.

Run it with a Python that has ``pyrogram==2.0.106`` and the package installed::

    python benches/python_storage.py                  # sizes 1000,100000,1000000; 3 passes
    python benches/python_storage.py --sizes 1000 --passes 1 --quick   # CI: runs every call once

It prints a Markdown table (BENCHMARKS.md, "The Python package") and exits 0 whether or not the
targets are met: ``--quick`` is for keeping it working, not for its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Tuple

logging.disable(logging.CRITICAL)

ROOT = Path(__file__).resolve().parent.parent
SIDES = ("pyrogram", "pyrosession")
BATCH = 100_000


def peer(i: int) -> Tuple[int, int, str, str, Any]:
    """The i-th peer, as benches/peer_lookup.rs and benches/pyrogram_anchor.py make it."""
    k = i % 5
    if k < 2:
        pid, t = 1_000_000 + i, ("user" if k == 0 else "bot")
    elif k == 2:
        pid, t = -(1_000 + i), "group"
    elif k == 3:
        pid, t = -1_001_000_000_000 - i, "channel"
    else:
        pid, t = -1_002_000_000_000 - i, "supergroup"
    h = 0 if t == "group" else ((i * 0x9E3779B9 + 2**63) % 2**64) - 2**63
    return (pid, h, t, f"user{i}", f"1555{i:07d}" if k < 2 else None)


def keys(n: int) -> List[int]:
    """1,024 peers spread over the cache, as the Rust benchmarks pick them."""
    return [(k * 7_919 + 13) % n for k in range(1024)]


def storages(side: str) -> Tuple[Any, Any]:
    """The side's (FileStorage, MemoryStorage) classes."""
    if side == "pyrogram":
        from pyrogram.storage import FileStorage, MemoryStorage

        return FileStorage, MemoryStorage
    import pyrosession

    return pyrosession.FileStorage, pyrosession.MemoryStorage


def file_storage(side: str, name: str, workdir: Path) -> Any:
    return storages(side)[0](name, workdir)


def memory_storage(side: str, session_string: Any = None) -> Any:
    return storages(side)[1]("bench", session_string)


async def fill(s: Any, n: int) -> None:
    for start in range(0, n, BATCH):
        await s.update_peers([peer(i) for i in range(start, min(n, start + BATCH))])
        await s.save()


async def per_call(fn: Callable[[int], Awaitable[Any]], min_seconds: float) -> float:
    """Seconds per call: the median, over samples of at least 20 ms taken for at least
    ``min_seconds``, of each sample's mean (criterion's statistic, as pyrogram_anchor.py)."""
    calls, per_sample, samples, total = 0, 1, [], 0.0
    while total < min_seconds or len(samples) < 5:
        start = time.perf_counter()
        for _ in range(per_sample):
            await fn(calls)
            calls += 1
        elapsed = time.perf_counter() - start
        total += elapsed
        if elapsed < 0.02:
            per_sample *= 2
            continue
        samples.append(elapsed / per_sample)
    return statistics.median(samples)


class Results:
    """Each id's time per pass, per side."""

    def __init__(self) -> None:
        self.times: Dict[str, Dict[str, List[float]]] = {}

    def add(self, id: str, side: str, seconds: float) -> None:
        self.times.setdefault(id, {s: [] for s in SIDES})[side].append(seconds)


async def lookups(res: Results, n: int, workdir: Path, passes: int, min_seconds: float) -> None:
    """Lookups by id, username and phone at n cached peers, on a file and a memory storage."""
    ks = keys(n)
    ids = [peer(i)[0] for i in ks]
    usernames = [peer(i)[3] for i in ks]
    # Only users and bots have phone numbers: the nearest one at or below each key.
    phones = [peer(i - i % 5)[4] for i in ks]
    opened: Dict[Tuple[str, str], Any] = {}
    for side in SIDES:
        f = file_storage(side, f"lookup-{side}-{n}", workdir)
        m = memory_storage(side)
        for s in (f, m):
            await s.open()
            await fill(s, n)
        opened[(side, "file")], opened[(side, "memory")] = f, m
    for _ in range(passes):
        for engine in ("file", "memory"):
            for op, column in (
                ("get_peer_by_id", ids),
                ("get_peer_by_username", usernames),
                ("get_peer_by_phone_number", phones),
            ):
                for side in SIDES:
                    method = getattr(opened[(side, engine)], op)

                    async def call(c: int, method: Any = method, column: List[Any] = column) -> None:
                        await method(column[c & 1023])

                    res.add(f"{engine}/{op}/{n}", side, await per_call(call, min_seconds))
    for s in opened.values():
        await s.close()


async def updates(res: Results, workdir: Path, passes: int, size: int) -> None:
    """update_peers of `size` new peers, then of the same peers again, each with save()."""
    batch = [peer(i) for i in range(size)]
    for p in range(passes):
        for engine in ("file", "memory"):
            for side in SIDES:
                for seen in (False, True):
                    label = f"{engine}/update_peers{'_seen' if seen else ''}_{size}"
                    if engine == "file":
                        s = file_storage(side, f"update-{side}-{p}-{seen}", workdir)
                    else:
                        s = memory_storage(side)
                    await s.open()
                    if seen:
                        await s.update_peers(batch)
                        await s.save()
                    start = time.perf_counter()
                    await s.update_peers(batch)
                    await s.save()
                    res.add(label, side, time.perf_counter() - start)
                    await s.close()


async def opening(res: Results, n: int, workdir: Path, passes: int) -> int:
    """Opening (and closing) a copy of the same Pyrogram-made file of n peers, per side."""
    made = workdir / f"lookup-pyrogram-{n}.session"
    copies = {}
    for side in SIDES:
        copies[side] = workdir / f"open-{side}-{n}.session"
        shutil.copyfile(made, copies[side])
    for _ in range(passes):
        for side in SIDES:
            s = file_storage(side, f"open-{side}-{n}", workdir)
            start = time.perf_counter()
            await s.open()
            await s.close()
            res.add(f"file/open_{n}", side, time.perf_counter() - start)
    return made.stat().st_size


async def strings(res: Results, passes: int, min_seconds: float) -> None:
    session_string = (ROOT / "spec/examples/v2.txt").read_text().strip()
    for _ in range(passes):
        for side in SIDES:
            m = memory_storage(side, session_string)
            await m.open()

            async def export(c: int, m: Any = m) -> None:
                assert await m.export_session_string() == session_string

            async def from_string(c: int, side: str = side) -> None:
                x = memory_storage(side, session_string)
                await x.open()
                assert await x.user_id() == 123_456_789
                await x.close()

            res.add("memory/export_session_string", side, await per_call(export, min_seconds))
            res.add("memory/from_session_string", side, await per_call(from_string, min_seconds))
            await m.close()


def status(field: str) -> int:
    """A field of this process's /proc/self/status, in bytes: ``VmHWM`` (the peak resident set),
    ``RssAnon`` (the resident set not backed by a file, now)."""
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def vm_hwm() -> int:
    return status("VmHWM")


class AnonPeak:
    """The peak of ``RssAnon``, sampled every millisecond by a thread (it runs whenever the
    storage's call has let go of the interpreter): the resident set less the pages mapped from
    files, of which the package's memory map of the session file (spec/storage.md §2.2) is one."""

    def __init__(self) -> None:
        import threading

        self.peak = status("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, status("RssAnon"))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, status("RssAnon"))


async def peak(side: str, workload: str, n: int) -> None:
    """One side's workload in this fresh process; prints its peak resident set as JSON."""
    storages(side)
    if side == "pyrosession":
        import pyrogram.raw  # noqa: F401 - what the package's lookups build input peers from

    before = vm_hwm()
    anon = AnonPeak()
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        if workload == "file":
            s = file_storage(side, "peak", workdir)
            await s.open()
            await fill(s, n)
            await s.get_peer_by_id(peer(n // 2)[0])
            await s.get_peer_by_username(peer(n // 2)[3])
            await s.get_peer_by_phone_number(peer(n // 2 - (n // 2) % 5)[4])
            await s.close()
            s = file_storage(side, "peak", workdir)
            await s.open()
            await s.get_peer_by_id(peer(n // 3)[0])
            await s.close()
        else:
            s = memory_storage(side)
            await s.open()
            await fill(s, n)
            await s.get_peer_by_id(peer(n // 2)[0])
            await s.close()
    print(json.dumps({"before": before, "peak": vm_hwm(), "anon": anon.stop()}))


def peaks(n: int) -> Dict[str, Dict[str, Tuple[int, int, int]]]:
    out: Dict[str, Dict[str, Tuple[int, int, int]]] = {}
    for workload in ("file", "memory"):
        for side in SIDES:
            child = subprocess.run(
                [sys.executable, __file__, "--peak", side, workload, str(n)],
                capture_output=True, text=True, check=True,
            )
            got = json.loads(child.stdout.strip().splitlines()[-1])
            out.setdefault(workload, {})[side] = (got["before"], got["peak"], got["anon"])
    return out


def human(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def mib(b: int) -> str:
    return f"{b / 2**20:.0f} MiB"


def target(id: str) -> float:
    return 5.0 if "/open_" in id else 3.0 if ("get_peer" in id or "update_peers" in id) else 0.0


def report(res: Results, mem: Dict[str, Dict[str, Tuple[int, int, int]]], file_bytes: int, n: int, load: str) -> None:
    import pyrogram
    import pyrosession

    print(f"Python {platform.python_version()}; pyrogram {pyrogram.__version__} (TgCrypto "
          f"{'installed' if _has_tgcrypto() else 'not installed'}); pyrosession {pyrosession.__version__}; "
          f"{os.cpu_count()} cores; load average before the run: {load}. The file opened: "
          f"{n:,} peers, {file_bytes / 1e6:.0f} MB.")
    print()
    print("| id | Pyrogram 2.0.106 | pyrosession | Pyrogram / pyrosession | target | met | spread: Pyrogram, pyrosession |")
    print("|---|---|---|---|---|---|---|")
    met = total = 0
    for id, by_side in res.times.items():
        ours, theirs = min(by_side["pyrosession"]), min(by_side["pyrogram"])
        ratio = theirs / ours
        want = target(id)
        verdict = ""
        if want:
            total += 1
            met += ratio >= want
            verdict = "yes" if ratio >= want else "**no**"
        spread = ", ".join(f"{max(by_side[s]) / min(by_side[s]):.2f}" for s in SIDES)
        print(f"| `{id}` | {human(theirs)} | {human(ours)} | {ratio:.2f}x | "
              f"{f'≥ {want:g}x' if want else ''} | {verdict} | {spread} |")
    print()
    print("Peak memory: the resident set (VmHWM) of a fresh process running one side's workload; "
          "*before*: after the imports; *anonymous*: the peak of the resident set less the pages "
          "mapped from files (RssAnon, sampled every millisecond).")
    print()
    print("| workload | Pyrogram 2.0.106: before, peak, anonymous | pyrosession: before, peak, anonymous "
          "| pyrosession / Pyrogram: peak, anonymous | met (peak no higher) |")
    print("|---|---|---|---|---|")
    for workload, by_side in mem.items():
        (pb, pp, pa), (ob, op, oa) = by_side["pyrogram"], by_side["pyrosession"]
        total += 1
        met += op <= pp
        what = (f"file: fill {n:,} peers, look up, close, open again" if workload == "file"
                else f"memory: fill {n:,} peers")
        print(f"| {what} | {mib(pb)}, {mib(pp)}, {mib(pa)} | {mib(ob)}, {mib(op)}, {mib(oa)} | "
              f"{op / pp:.2f}x, {oa / pa:.2f}x | {'yes' if op <= pp else '**no**'} |")
    print()
    print(f"Targets met: {met} of {total}.")


def _has_tgcrypto() -> bool:
    try:
        import tgcrypto  # noqa: F401
    except ImportError:
        return False
    return True


async def main(args: argparse.Namespace) -> None:
    import pyrogram

    if pyrogram.__version__ != "2.0.106":
        sys.exit(f"this benchmark is for pyrogram 2.0.106, found {pyrogram.__version__}")
    sizes = [int(x) for x in args.sizes.split(",")]
    min_seconds = 0.0 if args.quick else args.seconds
    update_size = min(BATCH, max(sizes))
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"]
    res = Results()
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        await strings(res, args.passes, min_seconds)
        for n in sizes:
            await lookups(res, n, workdir, args.passes, min_seconds)
        await updates(res, workdir, args.passes, update_size)
        file_bytes = await opening(res, max(sizes), workdir, args.passes)
    mem = peaks(max(sizes))
    report(res, mem, file_bytes, max(sizes), ", ".join(load))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peak"]:
        asyncio.run(peak(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.3, help="minimum time per lookup measurement")
    parser.add_argument("--quick", action="store_true", help="one sample per measurement (CI)")
    asyncio.run(main(parser.parse_args()))
