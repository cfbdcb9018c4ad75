#!/usr/bin/env python3
"""Writes BENCHMARKS.md from one run of the Rust benchmarks (target/criterion) and of
benches/pyrogram_anchor.py (target/pyrogram_anchor.jsonl), made by benches/report.sh."""

import glob
import json
import os
import platform
import subprocess
import sys


def ours():
    out = {}
    for f in glob.glob("target/criterion/**/new/benchmark.json", recursive=True):
        bench = json.load(open(f))
        est = json.load(open(os.path.join(os.path.dirname(f), "estimates.json")))
        out[bench["full_id"]] = est["mean"]["point_estimate"]
    return out


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
    mine = ours()
    anchor = [json.loads(l) for l in open("target/pyrogram_anchor.jsonl") if l.strip()]
    theirs = {a["id"]: a["ns"] for a in anchor if "ns" in a}
    their_peak = next((a for a in anchor if "bytes" in a), None)
    our_peak = json.load(open("target/peak_memory.json"))
    ids = sorted({i for i in mine if not i.startswith(("floor/", "session_string/"))} | set(theirs))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    print("# Benchmarks\n")
    print("Written by `benches/report.sh` from one run on one machine: the Rust benchmarks")
    print("(`benches/peer_lookup.rs`, `benches/session_string.rs`, criterion, mean per call) and the same")
    print("workload on real Pyrogram 2.0.106 (`benches/pyrogram_anchor.py`), with the bare-rusqlite floor")
    print("measured in the same run. Ids are `{engine}/{operation}`; lookups end in the number of cached")
    print("peers. *floor* is the same query or upserts through a bare rusqlite connection with cached")
    print("prepared statements on the same schema and data (for `file`: default connection settings).\n")
    print(f"Machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
          f"{subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()}.\n")
    print("| id | Pyrogram 2.0.106 | pyrosession | floor | pyrosession / floor | Pyrogram / pyrosession |")
    print("|---|---|---|---|---|---|")
    for i in ids:
        ours_ns = mine.get(i)
        floor = mine.get("floor/" + i)
        if floor is None and i.startswith("file/"):
            floor = None
        print(f"| `{i}` | {fmt(theirs.get(i))} | {fmt(ours_ns)} | {fmt(floor)} | {ratio(ours_ns, floor)} | {ratio(theirs.get(i), ours_ns)} |")
    print("\nThe codec alone (no storage):\n")
    print("| id | pyrosession |\n|---|---|")
    for i in sorted(k for k in mine if k.startswith("session_string/")):
        print(f"| `{i}` | {fmt(mine[i])} |")
    print("\nFile engine against memory engine (target: within 1.2x):\n")
    print("| lookup | memory | file | file / memory |\n|---|---|---|---|")
    for i in sorted(k for k in mine if k.startswith("memory/get_peer")):
        f = mine.get("file/" + i[len("memory/"):])
        print(f"| `{i[len('memory/'):]}` | {fmt(mine[i])} | {fmt(f)} | {ratio(f, mine[i])} |")
    print("\nPeak memory (resident set, whole process):\n")
    print("| | before | with the cache | cache |\n|---|---|---|---|")
    def mib(b):
        return f"{b / 2**20:.0f} MiB" if b else ""
    for name, p in (("pyrosession", our_peak), ("Pyrogram 2.0.106", their_peak)):
        if p and p.get("bytes"):
            print(f"| {name}: `{p['id']}` | {mib(p['before_bytes'])} | {mib(p['bytes'])} | {mib(p['bytes'] - p['before_bytes'])} |")


main()
