#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the passes benches/report.sh made in one directory (argv[1]): per
pass, the Rust benchmarks (criterion-N/) and benches/pyrogram_anchor.py (pyrogram_anchor-N.jsonl).
Each id's time is its fastest median over the passes, on every side alike."""

import glob
import json
import os
import platform
import subprocess
import sys


def fastest(passes):
    """{id: fastest median} and {id: slowest / fastest} over a list of {id: median}."""
    ids = set().union(*passes) if passes else set()
    best = {i: min(p[i] for p in passes if i in p) for i in ids}
    spread = {i: max(p[i] for p in passes if i in p) / best[i] for i in ids}
    return best, spread


def ours(directory):
    passes = []
    for d in sorted(glob.glob(os.path.join(directory, "criterion-*"))):
        out = {}
        for f in glob.glob(os.path.join(d, "**/new/benchmark.json"), recursive=True):
            bench = json.load(open(f))
            est = json.load(open(os.path.join(os.path.dirname(f), "estimates.json")))
            out[bench["full_id"]] = est["median"]["point_estimate"]
        passes.append(out)
    return passes


def pyrogram(directory):
    passes, peak = [], None
    for f in sorted(glob.glob(os.path.join(directory, "pyrogram_anchor-*.jsonl"))):
        anchor = [json.loads(l) for l in open(f) if l.strip()]
        passes.append({a["id"]: a["ns"] for a in anchor if "ns" in a})
        peak = peak or next((a for a in anchor if "bytes" in a), None)
    return passes, peak


def fmt(ns):
    if ns is None:
        return ""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else ""


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "target/bench-passes"
    our_passes = ours(directory)
    their_passes, their_peak = pyrogram(directory)
    if not our_passes or len(our_passes) != len(their_passes):
        sys.exit(f"{directory}: {len(our_passes)} criterion passes and {len(their_passes)} Pyrogram passes")
    mine, our_spread = fastest(our_passes)
    theirs, their_spread = fastest(their_passes)
    our_peak = json.load(open(os.path.join(directory, "peak_memory.json")))
    ids = sorted({i for i in mine if not i.startswith(("floor/", "session_string/"))} | set(theirs))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    print("# Benchmarks\n")
    print("Written by `benches/report.sh` from one run on one machine: the Rust benchmarks")
    print("(`benches/peer_lookup.rs`, `benches/session_string.rs`, criterion, median per call) and the same")
    print("workload on real Pyrogram 2.0.106 (`benches/pyrogram_anchor.py`), with the bare-rusqlite floor")
    n = len(our_passes)
    print(f"measured in the same run, in {n} {'pass' if n == 1 else 'passes'} (ours and Pyrogram's alternating). Each")
    print("time is the fastest of the passes' medians, for every side alike; *spread* is the slowest pass")
    print("over the fastest, how much the machine drifted. Ids are `{engine}/{operation}`; lookups end in")
    print("the number of cached peers. *floor* is the same query or upserts through a bare rusqlite")
    print("connection with cached prepared statements on the same schema and data (for `file`: default")
    print("connection settings). Each cache size's lookups run in a process of their own, ours and the")
    print("floor's together.\n")
    print(f"Machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
          f"{subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()}.\n")
    def spread(table, i):
        return f"{table[i]:.2f}" if i in table else ""

    print("| id | Pyrogram 2.0.106 | pyrosession | floor | pyrosession / floor | Pyrogram / pyrosession | spread: Pyrogram, ours, floor |")
    print("|---|---|---|---|---|---|---|")
    for i in ids:
        ours_ns = mine.get(i)
        floor = mine.get("floor/" + i)
        spreads = ", ".join(x for x in (spread(their_spread, i), spread(our_spread, i), spread(our_spread, "floor/" + i)) if x)
        print(f"| `{i}` | {fmt(theirs.get(i))} | {fmt(ours_ns)} | {fmt(floor)} | {ratio(ours_ns, floor)} | {ratio(theirs.get(i), ours_ns)} | {spreads} |")
    print("\nThe codec alone (no storage):\n")
    print("| id | pyrosession |\n|---|---|")
    for i in sorted(k for k in mine if k.startswith("session_string/")):
        print(f"| `{i}` | {fmt(mine[i])} |")
    print("\nFile engine against memory engine (target: within 1.2x):\n")
    print("| lookup | memory | file | file / memory |\n|---|---|---|---|")
    for i in sorted(k for k in mine if k.startswith("memory/get_peer")):
        f = mine.get("file/" + i[len("memory/"):])
        print(f"| `{i[len('memory/'):]}` | {fmt(mine[i])} | {fmt(f)} | {ratio(f, mine[i])} |")
    targets(mine, theirs)
    print("\nPeak memory (resident set, whole process):\n")
    print("| | before | with the cache | cache |\n|---|---|---|---|")
    def mib(b):
        return f"{b / 2**20:.0f} MiB" if b else ""
    for name, p in (("pyrosession", our_peak), ("Pyrogram 2.0.106", their_peak)):
        if p and p.get("bytes"):
            print(f"| {name}: `{p['id']}` | {mib(p['before_bytes'])} | {mib(p['bytes'])} | {mib(p['bytes'] - p['before_bytes'])} |")


LOOKUPS = ("get_peer_by_id", "get_peer_by_username", "get_peer_by_phone_number")


def targets(mine, theirs):
    """Each target of the performance issue, computed from this run: the measured ratio, the
    bound, and whether it holds. Where a target is a ratio to Pyrogram, the floor's own ratio to
    Pyrogram is shown too: no implementation on the same SQLite can be expected to pass it."""
    rows = []

    floor_misses = []

    def add(name, value, bound, at_most, floor_value=None, memory_floor=None):
        """`memory_floor`: for a file lookup's ratio to Pyrogram, the same ratio for the memory
        floor, the speed the file engine is held to (within 1.2x of the memory engine)."""
        if value is None:
            return
        holds = (lambda v: v <= bound) if at_most else (lambda v: v >= bound)
        ok = holds(value)
        sign = "≤" if at_most else "≥"
        shown = "" if floor_value is None else f"{floor_value:.2f}x"
        if memory_floor is not None:
            shown += f"; memory floor {memory_floor:.2f}x"
        best = memory_floor if memory_floor is not None else floor_value
        if not ok and best is not None and not holds(best):
            floor_misses.append(name)
        rows.append((name, f"{value:.2f}x", f"{sign} {bound}x", "yes" if ok else "**no**", shown))

    def r(a, b):
        return a / b if a and b else None

    sizes = sorted({int(k.rsplit("/", 1)[1]) for k in mine if k.startswith("memory/get_peer_by_id/")})
    for op in LOOKUPS:
        for n in sizes:
            add(f"`memory/{op}/{n}` / floor", r(mine.get(f"memory/{op}/{n}"), mine.get(f"floor/memory/{op}/{n}")), 1.15, True)
    for op in LOOKUPS:
        for n in sizes:
            add(f"`file/{op}/{n}` / `memory/...`", r(mine.get(f"file/{op}/{n}"), mine.get(f"memory/{op}/{n}")), 1.2, True)
    for engine, bound in (("memory", 5), ("file", 15)):
        for op in LOOKUPS:
            for n in sizes:
                i = f"{engine}/{op}/{n}"
                add(f"Pyrogram / `{i}`", r(theirs.get(i), mine.get(i)), bound, False,
                    r(theirs.get(i), mine.get(f"floor/{i}")),
                    r(theirs.get(i), mine.get(f"floor/memory/{op}/{n}")) if engine == "file" else None)
    if sizes and sizes[0] == 1000 and sizes[-1] == 1_000_000:
        for engine in ("memory", "file"):
            for op in LOOKUPS + ("get_peer_by_id_miss",):
                add(f"`{engine}/{op}`: 1,000,000 / 1,000", r(mine.get(f"{engine}/{op}/1000000"), mine.get(f"{engine}/{op}/1000")), 2, True,
                    r(mine.get(f"floor/{engine}/{op}/1000000"), mine.get(f"floor/{engine}/{op}/1000")))
    for engine in ("memory", "file"):
        i = f"{engine}/update_peers_100000"
        add(f"`{i}` / floor", r(mine.get(i), mine.get("floor/" + i)), 1.1, True)
        add(f"Pyrogram / `{i}`", r(theirs.get(i), mine.get(i)), 2, False, r(theirs.get(i), mine.get("floor/" + i)))
        j = f"{engine}/update_peers_seen_100000"
        add(f"floor / `{j}`", r(mine.get("floor/" + j), mine.get(j)), 3, False)
    add("Pyrogram / `memory/export_session_string`", r(theirs.get("memory/export_session_string"), mine.get("memory/export_session_string")), 1000, False)
    i = "memory/import_session_string"
    add(f"Pyrogram / `{i}`", r(theirs.get(i), mine.get(i)), 100, False, r(theirs.get(i), mine.get("floor/" + i)))
    met = sum(1 for row in rows if row[3] == "yes")
    print(f"\nTargets: {met} of {len(rows)} met in this run (fastest medians). *Floor* is the same ratio for the bare-rusqlite")
    print("floor where there is one (for a ratio to Pyrogram: how far the floor itself gets; for growth: the")
    print("floor's own growth; for a file lookup's ratio to Pyrogram, also the memory floor's, the speed the")
    print("file engine is held to by the target of 1.2x the memory engine).")
    missed = len(rows) - met
    if missed:
        print(f"Of the {missed} targets missed, {len(floor_misses)} are missed by the floor as well (for a file")
        print("lookup, by the memory floor).")
    print()
    print("| target | measured | bound | met | floor |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


main()
