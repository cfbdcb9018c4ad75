#!/usr/bin/env python3
"""Real Pyrogram (or a fork) reading and writing session files: the interop oracle of
spec/storage.md and spec/dialects.md.

Works with pyrogram 2.0.106 and, for `read`, with pyrofork, kurigram, pyrotgfork and hydrogram:
whichever is installed in the venv running it. The output names the library and its version.

Usage (in a venv holding one of them; nothing touches the network):
    python pyrogram_files.py read FILE QUERIES.json   # opens FILE with FileStorage, prints JSON
    python pyrogram_files.py write FILE SPEC.json     # writes FILE with FileStorage from SPEC

`read` copies nothing: FileStorage.open() migrates and VACUUMs the file it is given, as Pyrogram
always does, so give it a copy. It prints the session fields read through Pyrogram's accessors,
Pyrogram's export_session_string() (or its error), every peers row, and the input peer Pyrogram
builds for each query of QUERIES ({"ids": [...], "usernames": [...], "phones": [...]}).

`write` creates FILE and sets the fields and peers of SPEC ({"dc_id", "api_id", "test_mode",
"auth_key" (hex), "user_id", "is_bot", "peers": [[id, access_hash, type, username, phone], ...]})
through Pyrogram's own accessors and update_peers, then save() and close().
"""

import asyncio
import json
import sys
from pathlib import Path

try:
    import hydrogram as library
    from hydrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser
    from hydrogram.storage import SQLiteStorage as StorageClass
    LIBRARY = "hydrogram"
except ImportError:
    import pyrogram as library
    from pyrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser
    import pyrogram.storage as storages
    StorageClass = getattr(storages, "FileStorage", None) or storages.SQLiteStorage
    LIBRARY = "pyrogram"


def error_text(e):
    kind = type(e)
    module = kind.__module__
    name = kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"
    return f"{name}: {e}"


def input_peer(p):
    if isinstance(p, InputPeerUser):
        return {"kind": "user", "user_id": p.user_id, "access_hash": p.access_hash}
    if isinstance(p, InputPeerChat):
        return {"kind": "chat", "chat_id": p.chat_id}
    if isinstance(p, InputPeerChannel):
        return {"kind": "channel", "channel_id": p.channel_id, "access_hash": p.access_hash}
    return {"kind": repr(p)}


async def attempt(coro):
    try:
        return {"ok": await coro}
    except Exception as e:  # the result is whatever Pyrogram raised
        return {"error": error_text(e)}


def storage_for(path):
    path = Path(path)
    return StorageClass(path.name[: -len(".session")], workdir=path.parent)


async def peer_rows(s):
    """Every peers row (a fork without peers.username reports NULL there)."""
    columns = [r[1] for r in await rows(s, "PRAGMA table_info(peers)")]
    username = "username" if "username" in columns else "NULL"
    return await rows(s, f"SELECT id, access_hash, type, {username}, phone_number, last_update_on FROM peers ORDER BY id")


async def rows(s, sql):
    cursor = s.conn.execute(sql)
    if asyncio.iscoroutine(cursor) or hasattr(cursor, "__await__"):
        cursor = await cursor  # aiosqlite (hydrogram)
        return [list(r) for r in await cursor.fetchall()]
    return [list(r) for r in cursor.fetchall()]


async def read(path, queries):
    s = storage_for(path)
    await s.open()
    key = await s.auth_key()
    out = {
        "library": f"{LIBRARY} {library.__version__}",
        "dc_id": await s.dc_id(),
        "api_id": await s.api_id(),
        "test_mode": None if await s.test_mode() is None else bool(await s.test_mode()),
        "auth_key": None if key is None else key.hex(),
        "user_id": await s.user_id(),
        "is_bot": None if await s.is_bot() is None else bool(await s.is_bot()),
        "date": await s.date(),
        "version": await s.version() if asyncio.iscoroutinefunction(s.version) else s.version(),
        "export": await attempt(s.export_session_string()),
        "peers": await peer_rows(s),
        "by_id": {}, "by_username": {}, "by_phone": {},
    }
    for i in queries.get("ids", []):
        r = await attempt(s.get_peer_by_id(i))
        out["by_id"][str(i)] = {"ok": input_peer(r["ok"])} if "ok" in r else r
    for u in queries.get("usernames", []):
        r = await attempt(s.get_peer_by_username(u))
        out["by_username"][u] = {"ok": input_peer(r["ok"])} if "ok" in r else r
    for p in queries.get("phones", []):
        r = await attempt(s.get_peer_by_phone_number(p))
        out["by_phone"][p] = {"ok": input_peer(r["ok"])} if "ok" in r else r
    await s.close()
    return out


async def write(path, spec):
    s = storage_for(path)
    await s.open()
    await s.dc_id(spec["dc_id"])
    await s.api_id(spec["api_id"])
    await s.test_mode(spec["test_mode"])
    await s.auth_key(bytes.fromhex(spec["auth_key"]))
    await s.user_id(spec["user_id"])
    await s.is_bot(spec["is_bot"])
    await s.update_peers([tuple(p) for p in spec["peers"]])
    await s.save()
    await s.close()
    return {"written": str(path)}


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("read", "write"):
        sys.exit(__doc__)
    arg = json.loads(Path(sys.argv[3]).read_text())
    run = read if sys.argv[1] == "read" else write
    print(json.dumps(asyncio.run(run(sys.argv[2], arg))))
