#!/usr/bin/env python3
"""Telegram Desktop 7.3 folders (spec/tdata.md §13) written by real opentele2 2.0.0.

    python spec/oracle/tdata_opentele2.py OUT_DIR > spec/fixtures/tdata/opentele2-manifest.json

opentele2 2.0.0 (PyPI, a compiled core, `opentele2._native`) writes the key file of Telegram
Desktop 7.3.1 (`TData.new(...).save(path)`, version 7003001): the three byte arrays of before and
a fourth, the key data trailer (`KD2\\0`), which under a passcode holds the local key wrapped under
an Argon2id key, the second array then null. These folders are its output as written: without and
with a passcode, one and two accounts. Run in a venv with `pip install opentele2==2.0.0`; nothing
reaches the network (an audit hook refuses connections). `performance_mode=False`, so the local
key and the salts are drawn from the system's random source: every run writes other bytes, and
the manifest records each file's SHA-256 as made. The MTP keys and the ids are made-up patterns.
"""

import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        raise RuntimeError(f"the oracle allows no network access ({event})")


sys.addaudithook(_no_network)

from opentele2._native import Account, TData  # noqa: E402  (after the hook)

PASSCODE = "correct horse battery staple"


def pattern(seed, n):
    return bytes((i * 13 + seed) % 256 for i in range(n))


# (index, user id, main dc, [(dc, key seed)])
ONE = [(0, 123456789, 2, [(2, 90), (4, 91)])]
TWO = ONE + [(1, 5_000_000_001, 4, [(4, 92)])]

# name -> (passcode or None, accounts)
FOLDERS = {
    "opentele2-2.0.0": (None, ONE),
    "opentele2-2.0.0-passcode": (PASSCODE, ONE),
    "opentele2-2.0.0-multi": (None, TWO),
    "opentele2-2.0.0-multi-passcode": (PASSCODE, TWO),
}


def make(out):
    entries = [
        f"Telegram Desktop 7.3.1 folders written by opentele2 {version('opentele2')} (PyPI) "
        "(_native.TData.new(accounts, passcode, performance_mode=False).save), by "
        "spec/oracle/tdata_opentele2.py under Python "
        f"{sys.version.split()[0]}, offline. MTP keys and ids are made-up patterns; the local "
        "key, salts and padding are random per run."
    ]
    for name, (passcode, accounts) in FOLDERS.items():
        folder = TData.new(
            [
                Account(index, user_id, dc, [(k, pattern(seed, 256)) for k, seed in keys])
                for index, user_id, dc, keys in accounts
            ],
            passcode or b"",
            False,
        )
        path = Path(out) / name
        folder.save(str(path))
        check = TData.load(str(path), passcode or b"")
        assert [(a.index, a.user_id, a.main_dc) for a in check.accounts] == [
            (i, u, d) for i, u, d, _ in accounts
        ]
        files = sorted(p for p in path.rglob("*") if p.is_file())
        entries.append({
            "folder": name,
            "passcode": passcode,
            "file_version": folder.app_version,
            "accounts": [{
                "index": index,
                "user_id": user_id,
                "main_dc": dc,
                "keys": [{"dc_id": k, "key": pattern(seed, 256).hex()} for k, seed in keys],
            } for index, user_id, dc, keys in accounts],
            "files": [{
                "name": str(p.relative_to(path)),
                "size": p.stat().st_size,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            } for p in files],
        })
    json.dump(entries, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make(sys.argv[1])
