#!/usr/bin/env python3
"""Real Pyrogram 2.0.106's resolve_peer on a text, offline: the oracle of spec/storage.md §6.5.

Usage (in a venv holding pyrogram==2.0.106; nothing touches the network):
    python pyrogram_resolve.py generate COUNT SEED   # prints COUNT random queries, one JSON line each
    python pyrogram_resolve.py serve FILE            # answers queries read from standard input

`generate` prints {"kind": ..., "query": ...} lines: random Unicode texts weighted to what
resolve_peer's parsing makes hard (every script's decimal digits, signs, underscores, `@`, `+`,
every whitespace Python knows, texts that clean to nothing, SQLite's forms of the ids cached by
tests/resolve.rs, ids beyond 64 bits, phone-like texts, usernames, texts of any assigned
character). Only characters assigned in Python 3.11's Unicode (14.0) are used: a character
assigned later may lower-case differently in Python 3.11 and in the crate (spec/storage.md §6.5).

`serve FILE` opens FILE with Pyrogram's FileStorage (which VACUUMs it: give it a file made for
the purpose) and, for each {"id": n, "query": text} line, runs Pyrogram's own
ResolvePeer.resolve_peer(text) on a client whose storage is FILE and whose invoke() raises
instead of calling Telegram. It prints {"id": n, "sqlite_id": ..., "calls": ..., "outcome": ...}:
`sqlite_id`, the integer SQLite's `WHERE id = ?` compares the text as (null: none); `calls`, the
storage lookups resolve_peer made, [method, argument] in order; `outcome`, the input peer as the
crate displays it, "InputPeerSelf()", {"error": "PeerIdInvalid"}, {"network": "ResolveUsername",
"username": u} where Pyrogram would ask Telegram, or {"error": "<exception>: <text>"}.
"""

import asyncio
import json
import random
import sqlite3
import sys
import unicodedata
from pathlib import Path

import pyrogram
from pyrogram import raw
from pyrogram.errors import PeerIdInvalid
from pyrogram.methods.advanced.resolve_peer import ResolvePeer
from pyrogram.storage import FileStorage

# The ids, phone numbers and usernames tests/resolve.rs caches (keep the two in step).
IDS = [0, 5, 42, 1000, 111111111, -100, -1001234567890, 9007199254740993, 1099511627775,
       9210000000000000000, 9223372036854774784, 9223372036854775807, -9223372036854775807,
       -9223372036854775808]
PHONES = ["15550001", "123", "-5", "\u0661\u0662\u0663", "1_000", "\uff10", "007"]
USERNAMES = ["", "alice", "ali_ce", "me", "self", "\u03b1\u03c2", "i\u0307", "stra\u00dfe",
             "\u0661\u0662\u0663x", "-", "_1", "1__2", "\u00b2", "12a"]

WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
SQLITE_SPACE = [" ", "\t", "\n", "\x0b", "\x0c", "\r"]
ND = [chr(c) for c in range(0x110000) if chr(c).isdecimal()]
ZEROS = [c for c in ND if unicodedata.decimal(c) == 0]
NOT_DECIMAL_NUMERIC = [chr(c) for c in range(0x110000)
                       if unicodedata.category(chr(c)) in ("No", "Nl")][:400] + ["\u4e09", "\u96f6"]
ASSIGNED = [chr(c) for c in range(0x110000)
            if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
LETTERS = [c for c in ASSIGNED if unicodedata.category(c).startswith("L")]
CASE_HARD = ["\u0130", "\u03a3", "\u03c3", "\u03c2", "\u1e9e", "\u00df", "\u0345", "\u01c5",
             "\u2126", "\u212a", "\u0399", "A", "Z", "\u00c0", "\u0410", "\u10a0", "\u13a0",
             "\uff21", "\U00010400", "\U0001e900", "'", ".", "\u00ad", "\u0307"]


class Network(Exception):
    """What resolve_peer would send to Telegram."""


class Recorder:
    """The storage, with each lookup resolve_peer makes written down."""

    def __init__(self, storage):
        self.storage = storage
        self.calls = []

    async def get_peer_by_id(self, peer_id):
        self.calls.append(["id", peer_id])
        return await self.storage.get_peer_by_id(peer_id)

    async def get_peer_by_username(self, username):
        self.calls.append(["username", username])
        return await self.storage.get_peer_by_username(username)

    async def get_peer_by_phone_number(self, phone_number):
        self.calls.append(["phone", phone_number])
        return await self.storage.get_peer_by_phone_number(phone_number)


class OfflineClient:
    is_connected = True

    def __init__(self, storage):
        self.storage = storage

    async def invoke(self, query):
        raise Network(query)

    async def fetch_peers(self, *args):
        raise Network("fetch_peers")


def shown(peer):
    if isinstance(peer, raw.types.InputPeerUser):
        return f"InputPeerUser(user_id={peer.user_id}, access_hash={peer.access_hash})"
    if isinstance(peer, raw.types.InputPeerChat):
        return f"InputPeerChat(chat_id={peer.chat_id})"
    if isinstance(peer, raw.types.InputPeerChannel):
        return f"InputPeerChannel(channel_id={peer.channel_id}, access_hash={peer.access_hash})"
    if isinstance(peer, raw.types.InputPeerSelf):
        return "InputPeerSelf()"
    return {"error": f"unexpected {peer!r}"}


def sqlite_id(probe, text):
    """The integer SQLite's rowid comparison takes the text as: numeric affinity (the same
    conversion an INTEGER column applies on insert), and only an integer result matches."""
    probe.execute("DELETE FROM t")
    probe.execute("INSERT INTO t VALUES (?)", (text,))
    kind, value = probe.execute("SELECT typeof(v), v FROM t").fetchone()
    return value if kind == "integer" else None


async def serve(path):
    storage = FileStorage(Path(path).stem, Path(path).parent)
    await storage.open()
    probe = sqlite3.connect(":memory:")
    probe.execute("CREATE TABLE t (v INTEGER)")
    for line in sys.stdin:
        request = json.loads(line)
        recorder = Recorder(storage)
        client = OfflineClient(recorder)
        try:
            outcome = shown(await ResolvePeer.resolve_peer(client, request["query"]))
        except PeerIdInvalid:
            outcome = {"error": "PeerIdInvalid"}
        except Network as e:
            q = e.args[0]
            if isinstance(q, raw.functions.contacts.ResolveUsername):
                outcome = {"network": "ResolveUsername", "username": q.username}
            else:
                outcome = {"network": type(q).__name__}
        except Exception as e:  # what else Pyrogram raises, kept for the comparison
            outcome = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps({"id": request["id"], "sqlite_id": sqlite_id(probe, request["query"]),
                          "calls": recorder.calls, "outcome": outcome}), flush=False)
    sys.stdout.flush()
    await storage.close()


def spaces(r, pool=None):
    return "".join(r.choice(pool or WHITESPACE) for _ in range(r.choice([0, 0, 1, 1, 2, 3])))


def digits(r, n, script=None):
    zero = script if script is not None else None
    out = []
    for _ in range(n):
        z = zero if zero is not None else r.choice(ZEROS + ["0"] * 8)
        out.append(chr(ord(z) + r.randrange(10)))
    return "".join(out)


def underscores(r, text):
    if len(text) < 2 or r.random() < 0.5:
        return text
    i = r.randrange(0, len(text) + 1)
    return text[:i] + r.choice(["_", "_", "__", "_" * 3]) + text[i:]


def scatter(r, text, pool):
    """Inserts a few characters of the pool at random places."""
    for _ in range(r.choice([0, 1, 1, 2, 3])):
        i = r.randrange(0, len(text) + 1)
        text = text[:i] + r.choice(pool) + text[i:]
    return text


def gen_digits(r):
    n = r.choice([1, 1, 2, 3, 5, 8, 10, 12, 15, 19, 20, 25])
    script = r.choice(ZEROS) if r.random() < 0.6 else None
    text = underscores(r, digits(r, n, script))
    sign = r.choice(["", "", "-", "+", "@", "--", "+-", "-+", "@+", "-_", "_"])
    text = sign + text
    if r.random() < 0.3:
        text += r.choice(["", "_", "-", "x", "\u00b2", r.choice(NOT_DECIMAL_NUMERIC)])
    text = scatter(r, text, WHITESPACE + ["@", "+"]) if r.random() < 0.5 else text
    return spaces(r) + text + spaces(r)


def gen_numeric_not_decimal(r):
    n = r.choice([1, 2, 3])
    text = "".join(r.choice(NOT_DECIMAL_NUMERIC + ND) for _ in range(n))
    return spaces(r) + r.choice(["", "-", "+"]) + text + spaces(r)


def gen_empty(r):
    pool = WHITESPACE + ["@", "+", "@", "+"]
    return "".join(r.choice(pool) for _ in range(r.choice([0, 1, 1, 2, 3, 5])))


def sqlite_form(r, n):
    text = str(n)
    choice = r.randrange(10)
    if choice == 1:
        text = ("+" + text) if n >= 0 else text
    elif choice == 2:
        text += r.choice([".0", ".", ".000", ".5", ".0e0", "e0", "E+0", ".00001"])
    elif choice == 3 and n != 0:
        s = text.lstrip("-")
        text = ("-" if n < 0 else r.choice(["", "+"])) + s[0] + "." + s[1:] + f"e{len(s) - 1}"
    elif choice == 4:
        text = ("-" if n < 0 else "") + "0" * r.randrange(1, 4) + text.lstrip("-")
    elif choice == 5:
        text = text + r.choice(["1", "0", "00", "9"])  # often beyond 64 bits
    elif choice == 6:
        text = text.replace("-", "- ") if n < 0 else " " + text
    elif choice == 7:
        text = str(n + r.choice([-1, 1, 2, -2, 512, -512, 1024]))
    pad = SQLITE_SPACE if r.random() < 0.7 else WHITESPACE
    return spaces(r, pad) + text + spaces(r, pad)


def gen_id(r):
    return sqlite_form(r, r.choice(IDS))


def gen_big(r):
    n = r.choice([2**63, 2**63 - 1, -2**63, -2**63 - 1, 2**64, 10**19, 10**20, 2**53, 2**53 + 1,
                  9.2e18, 9.3e18, 1e19, 2**63 - 512, 2**63 - 1024, 2**63 - 1025])
    if isinstance(n, float):
        return spaces(r, SQLITE_SPACE) + r.choice([repr(n), f"{int(n)}.0", f"{n:e}"])
    return sqlite_form(r, n)


def gen_phone(r):
    p = r.choice(PHONES + ["+1 555 0001", "+1 (555) 000-1", "+44 20 7946 0958"])
    if r.random() < 0.5:
        p = "+" + p
    p = scatter(r, p, [" ", "\u00a0", "\u2028", "\x1f", "\x85", "@", "+", "-", "(", ")"])
    return p


def gen_username(r):
    base = r.choice(USERNAMES + ["Alice", "ALICE", "ALI_CE", "\u0391\u03a3", "\u0130",
                                 "STRASSE", "Stra\u1e9ee", "ME", "Me", "SELF", "me ", " self"])
    if r.random() < 0.6:
        base = scatter(r, base, WHITESPACE + ["@", "+"] + CASE_HARD)
    return r.choice(["", "", "@", "@@", "+"]) + base


def gen_word(r):
    n = r.choice([1, 2, 3, 5, 8, 13])
    pool = r.choice([LETTERS, ASSIGNED, CASE_HARD + ["a", "b", "_", "1"], ND + LETTERS])
    return "".join(r.choice(pool) for _ in range(n))


def gen_any(r):
    n = r.choice([1, 2, 3, 4, 6, 10])
    pool = ASSIGNED + WHITESPACE * 20 + ND * 5 + ["@", "+", "-", "_", ".", "e"] * 50
    return "".join(r.choice(pool) for _ in range(n))


def gen_long(r):
    n = r.choice([4299, 4300, 4301, 4302, 5000])
    text = "".join(r.choice("0123456789") for _ in range(n))
    if r.random() < 0.3:
        text = "-" + text
    if r.random() < 0.3:
        i = r.randrange(1, n - 1)
        text = text[:i] + "_" + text[i:]
    if r.random() < 0.3:
        text = "+" + text + " "
    return text


KINDS = [("digits", gen_digits, 30), ("numeric", gen_numeric_not_decimal, 6), ("empty", gen_empty, 6),
         ("id", gen_id, 18), ("big", gen_big, 6), ("phone", gen_phone, 8),
         ("username", gen_username, 12), ("word", gen_word, 7), ("any", gen_any, 6),
         ("long", gen_long, 1)]


def generate(count, seed):
    r = random.Random(seed)
    names = [k for k, _, w in KINDS for _ in range(w)]
    makers = {k: f for k, f, _ in KINDS}
    for _ in range(count):
        kind = r.choice(names)
        print(json.dumps({"kind": kind, "query": makers[kind](r)}))


def main():
    if pyrogram.__version__ != "2.0.106":
        sys.exit(f"needs pyrogram 2.0.106, not {pyrogram.__version__}")
    if sys.argv[1:2] == ["generate"] and len(sys.argv) == 4:
        generate(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["serve"] and len(sys.argv) == 3:
        asyncio.run(serve(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
