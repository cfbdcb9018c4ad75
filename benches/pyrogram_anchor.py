#!/usr/bin/env python3
"""The benchmarks of benches/peer_lookup.rs and benches/session_string.rs, on real Pyrogram.

Same workload, same sizes, same peers, same ids, on pyrogram 2.0.106's MemoryStorage and
FileStorage. Prints one JSON object per line: {"id": ..., "ns": <median time per call>}, then
{"id": "memory/peak_rss_1000000", "bytes": ...}. Run it in a venv holding pyrogram==2.0.106:

    python benches/pyrogram_anchor.py [SIZES]     # SIZES like 1000,100000,1000000

benches/report.sh runs it beside the Rust benchmarks and writes BENCHMARKS.md.
"""

import asyncio
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyrogram
from pyrogram.storage import FileStorage, MemoryStorage

logging.disable(logging.CRITICAL)


def peer(i):
    """The i-th peer, as benches/peer_lookup.rs makes it."""
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


def keys(n):
    return [(k * 7_919 + 13) % n for k in range(1024)]


def emit(id, seconds, calls):
    print(json.dumps({"id": id, "ns": seconds / calls * 1e9}), flush=True)


async def timed(id, fn, min_seconds=1.0):
    """Time per call of an async call: the median, over samples of at least 20 ms each taken for
    at least min_seconds, of each sample's mean (criterion's median, which the report reads, is
    the same statistic), so that a stall of the machine moves it as little as it moves ours."""
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
    emit(id, statistics.median(samples), 1)


async def fill(s, n):
    for start in range(0, n, 100_000):
        await s.update_peers([peer(i) for i in range(start, min(n, start + 100_000))])
    await s.save()


async def lookups(engine, n, workdir):
    s = MemoryStorage("anchor") if engine == "memory" else FileStorage(f"lookup-{n}", workdir)
    await s.open()
    await fill(s, n)
    ks = keys(n)
    peers = [peer(i) for i in ks]

    async def by_id(c):
        await s.get_peer_by_id(peers[c % len(ks)][0])

    async def miss(c):
        try:
            await s.get_peer_by_id(42)
        except KeyError:
            return
        raise AssertionError("found 42")

    async def by_username(c):
        await s.get_peer_by_username(peers[c % len(ks)][3])

    async def by_phone(c):
        await s.get_peer_by_phone_number(peer(ks[c % len(ks)] // 5 * 5)[4])

    await timed(f"{engine}/get_peer_by_id/{n}", by_id)
    await timed(f"{engine}/get_peer_by_id_miss/{n}", miss)
    await timed(f"{engine}/get_peer_by_username/{n}", by_username)
    await timed(f"{engine}/get_peer_by_phone_number/{n}", by_phone)
    await s.close()


async def updates(engine, workdir):
    batch = [peer(i) for i in range(100_000)]
    for label in ("update_peers_100000", "update_peers_seen_100000"):
        times = []
        for r in range(5):
            s = MemoryStorage("anchor") if engine == "memory" else FileStorage(f"update-{label}-{r}", workdir)
            await s.open()
            if label.startswith("update_peers_seen"):
                await s.update_peers(batch)
                await s.save()
            start = time.perf_counter()
            await s.update_peers(batch)
            await s.save()  # Pyrogram commits cached peers only here
            times.append(time.perf_counter() - start)
            await s.close()
        emit(f"{engine}/{label}", statistics.median(times), 1)


async def strings():
    s = open(Path(__file__).parent.parent / "spec/examples/v2.txt").read().strip()
    m = MemoryStorage("anchor", s)
    await m.open()

    async def export(c):
        assert len(await m.export_session_string()) == 362

    async def import_(c):
        x = MemoryStorage("anchor", s)
        await x.open()
        assert await x.user_id() == 123_456_789
        await x.close()

    await timed("memory/export_session_string", export)
    await timed("memory/import_session_string", import_)


async def main():
    if pyrogram.__version__ != "2.0.106":
        sys.exit(f"this anchor is for pyrogram 2.0.106, found {pyrogram.__version__}")
    sizes = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "1000,100000,1000000").split(",")]
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        await strings()
        for n in sizes:
            for engine in ("memory", "file"):
                await lookups(engine, n, workdir)
        for engine in ("memory", "file"):
            await updates(engine, workdir)
    # Peak memory of a memory storage holding the largest cache, in a fresh process so that
    # nothing measured before counts.
    import subprocess
    child = subprocess.run([sys.executable, __file__, "--peak", str(max(sizes))], capture_output=True, text=True, check=True)
    print(child.stdout.strip(), flush=True)


def vm_hwm():
    """Peak resident set of this process image (Linux VmHWM), as benches/peak_memory.rs reads it."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


async def peak(n):
    before = vm_hwm()
    m = MemoryStorage("peak")
    await m.open()
    await fill(m, n)
    print(json.dumps({"id": f"memory/peak_rss_{n}", "bytes": vm_hwm(), "before_bytes": before}))

if sys.argv[1:2] == ["--peak"]:
    asyncio.run(peak(int(sys.argv[2])))
else:
    asyncio.run(main())
