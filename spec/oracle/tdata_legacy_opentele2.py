#!/usr/bin/env python3
"""Legacy-layout tdata folders (spec/tdata.md §8.2) assembled with opentele2's primitives.

    python spec/oracle/tdata_legacy_opentele2.py OUT_DIR > spec/fixtures/tdata/legacy-manifest.json

No library writes a folder of Telegram Desktop before 2.2 (spec/tdata.md §11), so these are NOT a
real writer's output: this script lays the files out itself, from spec/tdata.md §8.2 and §7 (its
own `TDF$` container with hashlib's MD5, its own stream writing), and takes the cryptography from
real opentele2 2.0.0 (PyPI), whose compiled core implements Telegram Desktop's legacy key
(`opentele2._native.create_legacy_local_key`: PBKDF2-HMAC-SHA1, 4 or 4,000 rounds) and its
`PrepareEncrypted` (`opentele2._native.encrypt_local`). It is a second construction, in other code
than tests/tdata_legacy.rs, whose folders the crate must read with the logins recorded here.
opentele2 itself does not read them: it needs a key file. Run in a venv with
`pip install opentele2==2.0.0`; nothing reaches the network (an audit hook refuses connections).

The local keys, the MTP keys, the salts and the ids are made-up patterns; the padding inside the
encrypted parts is random (opentele2 draws it), so every run writes other bytes; the manifest
records each file's SHA-256 as made.
"""

import hashlib
import json
import struct
import sys
from importlib.metadata import version
from pathlib import Path


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        raise RuntimeError(f"the oracle allows no network access ({event})")


sys.addaudithook(_no_network)

from opentele2 import _native  # noqa: E402  (after the hook)

PART = "D877F783D5D3EF8C"  # the file part of "data" (spec/tdata.md §6.1)
VERSION = 1009007  # Telegram Desktop 1.9.7, a release of the legacy layout
PASSCODE = "correct horse battery staple"


def pattern(seed, n):
    return bytes((i * 11 + seed) % 256 for i in range(n))


def byte_array(b):
    return struct.pack(">I", len(b)) + b


def container(data):
    v = struct.pack("<i", VERSION)
    check = hashlib.md5(data + struct.pack("<i", len(data)) + v + b"TDF$").digest()
    return b"TDF$" + v + data + check


# name -> (passcode or None, user id, main dc, [(dc, key seed)], MTP layout)
FOLDERS = {
    "legacy-opentele2-2.0.0": (None, 123456789, 2, [(2, 60), (4, 61)], "authorization"),
    "legacy-opentele2-2.0.0-passcode": (PASSCODE, 987654321, 5, [(5, 62)], "blocks"),
}


def make(out):
    entries = [
        "Legacy-layout Telegram Desktop folders (spec/tdata.md section 8.2) for pyrosession, "
        "assembled by spec/oracle/tdata_legacy_opentele2.py: the layout, container and streams "
        "by the script itself (no library writes this layout), the legacy key and every "
        f"encrypted part by opentele2 {version('opentele2')} (PyPI) "
        "(_native.create_legacy_local_key, _native.encrypt_local), under Python "
        f"{sys.version.split()[0]}, offline. Not a real writer's output. Keys, salts and ids "
        "are made-up patterns; padding is random per run."
    ]
    for i, (name, (passcode, user_id, main_dc, keys, layout)) in enumerate(FOLDERS.items()):
        folder = Path(out) / name
        (folder / PART).mkdir(parents=True)
        salt = pattern(70 + i, 32)
        local_key = pattern(80 + i, 256)
        legacy_key = _native.create_legacy_local_key((passcode or "").encode("utf-8"), salt)
        (folder / PART / "maps").write_bytes(container(
            byte_array(salt)
            + byte_array(_native.encrypt_local(local_key, legacy_key))
            + byte_array(_native.encrypt_local(b"", local_key))
        ))
        if layout == "authorization":
            auth = struct.pack(">iii", user_id, main_dc, len(keys))
            auth += b"".join(struct.pack(">i", dc) + pattern(seed, 256) for dc, seed in keys)
            auth += struct.pack(">i", 0)
            plain = struct.pack(">I", 0x4B) + byte_array(auth)
        else:
            plain = struct.pack(">IiI", 0x01, user_id, main_dc)
            plain += b"".join(
                struct.pack(">Ii", 0x00, dc) + pattern(seed, 256) for dc, seed in keys
            )
        (folder / f"{PART}s").write_bytes(
            container(byte_array(_native.encrypt_local(plain, local_key)))
        )
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        entries.append({
            "folder": name,
            "passcode": passcode,
            "file_version": VERSION,
            "mtp_layout": layout,
            "user_id": user_id,
            "main_dc": main_dc,
            "keys": [{"dc_id": dc, "key": pattern(seed, 256).hex()} for dc, seed in keys],
            "files": [{
                "name": str(p.relative_to(folder)),
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
