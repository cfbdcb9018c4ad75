#!/usr/bin/env python3
"""Telegram Desktop tdata folders made and read by real opentele-ng (spec/tdata.md §11).

In a venv holding `opentele-ng==1.5.0` from PyPI (.ci/run makes target/ci-venvs/opentele-ng-1.5.0):

    python spec/oracle/tdata_opentele.py make OUT_DIR
        writes the fixture folders OUT_DIR/<name>/ and prints the manifest (spec/fixtures/tdata/
        manifest.json) on standard output;
    python spec/oracle/tdata_opentele.py read FOLDER [PASSCODE_FILE] [--key-name NAME]
        reads FOLDER with opentele's `TDesktop` (its key file `key_NAME`, default `key_data`:
        `keyFile=`) and prints, as JSON, each account's index, user id,
        main data center and the ids of its keys (the low 64 bits of their SHA-1, MTProto's
        auth_key_id: never a key). The passcode, where there is one, is read from a file, never
        taken on the command line.

opentele-ng is driven through its own storage classes only: `Account._setMtpAuthorizationCustom`
and `TDesktop.SaveTData` to write, `TDesktop(folder, passcode=)` to read. Nothing reaches the
network: an audit hook refuses every socket connection and name lookup before the package is
imported. The local key, the salts and the padding are random (opentele draws them from
os.urandom), so every run writes other bytes for the same logins; the manifest records the
logins, the files' names and sizes and each file's SHA-256 as made.
"""

import hashlib
import json
import logging
import sys
from importlib.metadata import version
from pathlib import Path


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                 "urllib.Request"):
        raise RuntimeError(f"the oracle allows no network access ({event})")


sys.addaudithook(_no_network)
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
logging.disable(logging.CRITICAL)

from opentele import td  # noqa: E402  (after the hook)
from opentele.api import API  # noqa: E402
from opentele.td.configs import DcId  # noqa: E402

# Test data, not secrets: made-up ids, keys that are byte patterns, a passcode written here.
PASSCODE = "correct horse battery staple"


def key(seed):
    return bytes((i * 7 + seed) % 256 for i in range(256))


# name -> (passcode or None, [(user_id, main_dc, [(dc_id, key seed)])])
FIXTURES = {
    "opentele-1.5.0": (None, [(123456789, 2, [(2, 0), (4, 1)])]),
    "opentele-1.5.0-passcode": (PASSCODE, [(123456789, 2, [(2, 0), (4, 1)])]),
    "opentele-1.5.0-multi": (None, [
        (111111111, 1, [(1, 10)]),
        (6000000000, 5, [(5, 11), (2, 12)]),
        (333333333, 4, [(4, 13)]),
    ]),
}


def key_id(raw):
    return "%016x" % int.from_bytes(hashlib.sha1(raw).digest()[12:20], "little")


def make(out):
    out = Path(out)
    entries = []
    for name, (passcode, logins) in FIXTURES.items():
        folder = out / name
        desktop = td.TDesktop()
        for index, (user_id, main_dc, keys) in enumerate(logins):
            account = td.Account(owner=desktop, api=API.TelegramDesktop, index=index)
            account._setMtpAuthorizationCustom(
                DcId(main_dc), user_id,
                [td.AuthKey(key(seed), td.AuthKeyType.ReadFromFile, DcId(dc)) for dc, seed in keys])
            desktop._addSingleAccount(account)
        desktop.SaveTData(str(folder), passcode=passcode)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        entries.append({
            "folder": name,
            "library": "opentele-ng",
            "version": version("opentele-ng"),
            "passcode": passcode,
            "file_version": 3004000,
            "accounts": [{
                "index": index,
                "user_id": user_id,
                "main_dc": main_dc,
                "keys": [{"dc_id": dc, "key": key(seed).hex(), "key_id": key_id(key(seed))}
                         for dc, seed in keys],
            } for index, (user_id, main_dc, keys) in enumerate(logins)],
            "files": [{
                "name": str(p.relative_to(folder)),
                "size": p.stat().st_size,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            } for p in files],
        })
    provenance = (
        "Telegram Desktop tdata folders for pyrosession, made by opentele-ng %s (PyPI) with Python %s "
        "offline by spec/oracle/tdata_opentele.py: Account._setMtpAuthorizationCustom then "
        "TDesktop.SaveTData, no network. Keys are byte patterns and ids made up; the passcode "
        "is written in the script. Local keys, salts and padding are random per run."
        % (version("opentele-ng"), sys.version.split()[0]))
    json.dump([provenance] + entries, sys.stdout, indent=2)
    print()


def read(folder, passcode_file=None, key_name=None):
    passcode = None
    if passcode_file:
        passcode = Path(passcode_file).read_bytes().decode("utf-8").rstrip("\r\n")
    desktop = td.TDesktop(folder, passcode=passcode, keyFile=key_name)
    json.dump({"accounts": [{
        "index": account.index,
        "user_id": account.UserId,
        "main_dc": int(account.MainDcId),
        "main_key_id": key_id(account.authKey.key),
    } for account in desktop.accounts]}, sys.stdout)
    print()


if __name__ == "__main__":
    if sys.argv[1:2] == ["make"] and len(sys.argv) == 3:
        make(sys.argv[2])
    elif sys.argv[1:2] == ["read"] and len(sys.argv) in (3, 4, 5, 6):
        args = sys.argv[2:]
        key_name = None
        if "--key-name" in args:
            at = args.index("--key-name")
            key_name = args[at + 1]
            del args[at:at + 2]
        read(*args, key_name=key_name)
    else:
        sys.exit(__doc__)
