#!/usr/bin/env python3
"""A fixed storage workload through the PostgreSQL add-on `pyrogram-asyncpg-storage`, for the side by
side comparison with the crate's PostgreSQL engine (issue 21, "Performance"; BENCHMARKS.md).

    PYROSESSION_PG_URL=postgresql://user@127.0.0.1:PORT/db \
      {venv}/bin/python benches/postgres_addon.py [--accounts 20] [--peers 2000] [--lookups 10000] [--writes 2000]

in a venv holding `pyrogram-asyncpg-storage==0.1`, `pyrogram==2.0.106` and `asyncpg==0.32.0` (the venv
.ci/run makes, target/ci-venvs/pyrogram-asyncpg-storage-0.1). It prints one JSON object a line per
phase (below) and exits 1 if any answer was wrong. It reaches only a loopback server or a socket.

THE WORKLOAD (an engine run side by side must do exactly this; N = --accounts, P = --peers, a
multiple of 100, L = --lookups, W = --writes):

Setup (not timed). An asyncpg pool of two connections (not one: the add-on's `open()` of a new
session holds a connection while its `create()` takes another, so with a pool of one it waits
forever), and every call awaited before the next: one query at a time, no concurrency anywhere. N accounts, account a = 0 … N-1,
each the add-on's `PostgreSQLStorage(name=f"bench{a:04d}", pool, schema=S)`, S a schema new to this
run (dropped at the end); `open()` creates each account's three tables.

The peers. Peer i = 0 … P-1 of account a is the row `(id, access_hash, type, username, phone)`:

- type = ("user", "bot", "group", "channel", "supergroup")[i % 5];
- id = 10_000_000 + i for user and bot; -(10_000_000 + i) for group;
  -(1_000_000_000_000 + 10_000_000 + i) for channel and supergroup (marked ids, storage §6.3);
- access_hash = 0 for group, else (a + 1) * 1_000_003 + i + g, where g is the generation: 0 when
  first written, 1 when written again;
- username = f"a{a}_p{i}", or None for group;
- phone = str(15_550_000_000 + i) for user, else None.

Phases, timed one by one (time.perf_counter around the whole phase); ops/second = ops / seconds:

1. `upsert_insert`: for b = 0 … P/100-1, for a = 0 … N-1: `update_peers` of account a with its
   peers 100b … 100b+99, generation 0 (new rows). ops = N·P peers (N·P/100 calls). Accounts are
   interleaved batch by batch, as a fleet's accounts receive updates.
2. `upsert_update`: the same calls with generation 1: every row exists and is replaced.
   ops = N·P peers.
3. `lookup_id`: for k = 0 … L-1: a = k % N, i = (k·7919 + a) % P; `get_peer_by_id(id of peer i of
   account a)`; the input peer answered must be that peer's (user/chat/channel id and generation 1
   access hash). ops = L.
4. `lookup_username`: the same k, a and i, but i + 1 when i % 5 == 2 (a group has no username);
   `get_peer_by_username(f"a{a}_p{i}")`, checked likewise. ops = L. (Every row was written moments
   before, so none has expired.)
5. `session_write`: for k = 0 … W-1: a = k % N, field = ("dc_id", "api_id", "test_mode",
   "auth_key", "date", "user_id", "is_bot")[k % 7], set to: dc_id 1 + k % 5; api_id 10_000 + k;
   test_mode k % 2 == 1; auth_key the 256 bytes (k + j) % 256 for j = 0 … 255; date
   1_700_000_000 + k; user_id 5_000_000_000 + k; is_bot k % 2 == 0. One field write each, through
   the add-on's accessor (`await storage.dc_id(value)`). ops = W. Then (not timed) every account's
   seven fields are read back and must be the last values written to it.

With `--workers W` (W > 1) only phases 1 and 2 run, as `upsert_insert_wW` and `upsert_update_wW`: W
writers at once, writer t writing the accounts a with a % W == t batch by batch (each of its calls
awaited before its next), on a pool of W + 1 connections; then one peer of each account is checked.

The add-on has no batch lookup and no transaction around a batch: `update_peers` is one
`executemany` of the upsert, each lookup one query, each field write one UPDATE (the accessor finds
its column's name with `inspect.stack()`, which is part of what it costs).

Output, one line per phase: {"bench": "postgres_addon", "implementation": "pyrogram-asyncpg-storage
0.1 (pyrogram 2.0.106)", "phase": "...", "accounts": N, "peers_per_account": P, "batch": 100,
"ops": ..., "seconds": ..., "ops_per_second": ..., "server": "PostgreSQL 15.x"}.
"""

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import secrets
import socket
import sys
import time
from importlib.metadata import version
from urllib.parse import parse_qs, unquote, urlsplit


def loopback(host):
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _no_network(event, args):
    """Only the loopback server: every other connection or name lookup is refused."""
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[1]
        if sock.family == socket.AF_UNIX or (isinstance(address, tuple) and loopback(str(address[0]))):
            return
        raise RuntimeError(f"the benchmark reaches only a loopback server ({event} {address!r})")
    if event == "socket.getaddrinfo":
        host = args[0]
        if host is None or loopback(host.decode() if isinstance(host, bytes) else str(host)):
            return
        raise RuntimeError(f"the benchmark reaches only a loopback server ({event} {host!r})")
    if event in ("socket.gethostbyname", "socket.gethostbyaddr", "urllib.Request"):
        raise RuntimeError(f"the benchmark allows no network access ({event})")


sys.addaudithook(_no_network)
logging.disable(logging.CRITICAL)

import asyncpg  # noqa: E402  (after the hook)
from pyrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser  # noqa: E402
from pyrogram_asyncpg_storage import PostgreSQLStorage  # noqa: E402

NAME = f"pyrogram-asyncpg-storage {version('pyrogram-asyncpg-storage')} (pyrogram {version('pyrogram')})"
TYPES = ("user", "bot", "group", "channel", "supergroup")
FIELDS = ("dc_id", "api_id", "test_mode", "auth_key", "date", "user_id", "is_bot")
BATCH = 100


def peer(a, i, generation):
    kind = TYPES[i % 5]
    if kind in ("user", "bot"):
        marked = 10_000_000 + i
    elif kind == "group":
        marked = -(10_000_000 + i)
    else:
        marked = -(1_000_000_000_000 + 10_000_000 + i)
    access_hash = 0 if kind == "group" else (a + 1) * 1_000_003 + i + generation
    username = None if kind == "group" else f"a{a}_p{i}"
    phone = str(15_550_000_000 + i) if kind == "user" else None
    return (marked, access_hash, kind, username, phone)


def expected_input_peer(a, i):
    marked, access_hash, kind, _, _ = peer(a, i, 1)
    if kind in ("user", "bot"):
        return ("user", marked, access_hash)
    if kind == "group":
        return ("chat", -marked, None)
    return ("channel", -1_000_000_000_000 - marked, access_hash)


def as_tuple(p):
    if isinstance(p, InputPeerUser):
        return ("user", p.user_id, p.access_hash)
    if isinstance(p, InputPeerChat):
        return ("chat", p.chat_id, None)
    if isinstance(p, InputPeerChannel):
        return ("channel", p.channel_id, p.access_hash)
    return ("?", repr(p), None)


def field_value(k):
    field = FIELDS[k % 7]
    return field, {
        "dc_id": 1 + k % 5,
        "api_id": 10_000 + k,
        "test_mode": k % 2 == 1,
        "auth_key": bytes((k + j) % 256 for j in range(256)),
        "date": 1_700_000_000 + k,
        "user_id": 5_000_000_000 + k,
        "is_bot": k % 2 == 0,
    }[field]


def server_url(url):
    if not url:
        sys.exit("postgres_addon.py: give the server's address with --url or PYROSESSION_PG_URL")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit(f"postgres_addon.py: not a postgresql:// address (scheme {parts.scheme!r})")
    hosts = [h.rsplit(":", 1)[0] if h.count(":") == 1 else h for h in unquote(parts.netloc.rpartition("@")[2]).split(",")]
    hosts = [h.strip("[]") for h in hosts if h]
    for key, values in parse_qs(parts.query).items():
        if key in ("host", "hostaddr"):
            hosts += [h for v in values for h in v.split(",")]
    for host in hosts:
        if not (host.startswith("/") or loopback(host)):
            sys.exit(f"postgres_addon.py: the address names {host!r}; the benchmark reaches only a loopback server")
    return url


async def run(args):
    n, p, lookups, writes = args.accounts, args.peers, args.lookups, args.writes
    if n < 1 or p < BATCH or p % BATCH or lookups < 1 or writes < 7:
        sys.exit("postgres_addon.py: --accounts >= 1, --peers a multiple of 100, --lookups >= 1, --writes >= 7")
    # One connection per writer, and one more (the add-on's `open()` takes two at once).
    pool = await asyncpg.create_pool(server_url(args.url), min_size=2, max_size=max(2, args.workers + 1))
    schema = f"pyrosession_bench_{secrets.token_hex(4)}"
    async with pool.acquire() as con:
        server = "PostgreSQL " + (await con.fetchval("SHOW server_version")).split()[0]
    wrong = []

    def report(phase, ops, seconds):
        print(json.dumps({"bench": "postgres_addon", "implementation": NAME, "phase": phase, "accounts": n,
                          "peers_per_account": p, "batch": BATCH, "ops": ops, "seconds": round(seconds, 6),
                          "ops_per_second": round(ops / seconds, 1), "server": server}), flush=True)

    try:
        accounts = [PostgreSQLStorage(name=f"bench{a:04d}", pool=pool, schema=schema) for a in range(n)]
        for s in accounts:
            await s.open()

        if args.workers > 1:
            # The upsert phases only, `workers` writers at once (the engine's `_w{workers}` phases):
            # writer t writes the accounts a with a % workers == t, batch by batch, each of its
            # calls awaited before its next.
            for generation, phase in ((0, "upsert_insert"), (1, "upsert_update")):
                batches = [[[peer(a, i, generation) for i in range(b * BATCH, (b + 1) * BATCH)] for a in range(n)]
                           for b in range(p // BATCH)]

                async def writer(t, batches=batches):
                    for per_account in batches:
                        for a in range(t, n, args.workers):
                            await accounts[a].update_peers(per_account[a])

                start = time.perf_counter()
                await asyncio.gather(*(writer(t) for t in range(args.workers)))
                report(f"{phase}_w{args.workers}", n * p, time.perf_counter() - start)
            for a in range(n):
                got = as_tuple(await accounts[a].get_peer_by_id(peer(a, p - 1, 1)[0]))
                if got != expected_input_peer(a, p - 1):
                    wrong.append(("upsert_w", a, p - 1, got))
            return finish(wrong)

        for generation, phase in ((0, "upsert_insert"), (1, "upsert_update")):
            start = time.perf_counter()
            for b in range(p // BATCH):
                for a in range(n):
                    await accounts[a].update_peers([peer(a, i, generation) for i in range(b * BATCH, (b + 1) * BATCH)])
            report(phase, n * p, time.perf_counter() - start)

        plan = [(k % n, (k * 7919 + k % n) % p) for k in range(lookups)]
        start = time.perf_counter()
        for a, i in plan:
            got = as_tuple(await accounts[a].get_peer_by_id(peer(a, i, 1)[0]))
            if got != expected_input_peer(a, i):
                wrong.append(("lookup_id", a, i, got))
        report("lookup_id", lookups, time.perf_counter() - start)

        plan = [(a, i + 1 if i % 5 == 2 else i) for a, i in plan]
        start = time.perf_counter()
        for a, i in plan:
            got = as_tuple(await accounts[a].get_peer_by_username(f"a{a}_p{i}"))
            if got != expected_input_peer(a, i):
                wrong.append(("lookup_username", a, i, got))
        report("lookup_username", lookups, time.perf_counter() - start)

        last = [{} for _ in range(n)]
        start = time.perf_counter()
        for k in range(writes):
            field, value = field_value(k)
            await getattr(accounts[k % n], field)(value)
            last[k % n][field] = value
        report("session_write", writes, time.perf_counter() - start)
        for a, s in enumerate(accounts):
            for field, value in last[a].items():
                got = await getattr(s, field)()
                if field in ("test_mode", "is_bot"):
                    got = bool(got)
                if got != value:
                    wrong.append(("session_write", a, field, got))
    finally:
        async with pool.acquire() as con:
            await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await pool.close()
    return finish(wrong)


def finish(wrong):
    if wrong:
        print(f"postgres_addon.py: {len(wrong)} wrong answers, the first: {wrong[0]!r}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("PYROSESSION_PG_URL", ""))
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--peers", type=int, default=2000, help="peers per account, a multiple of 100")
    parser.add_argument("--lookups", type=int, default=10000)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1,
                        help="above 1: only the upsert phases, this many writers at once")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
