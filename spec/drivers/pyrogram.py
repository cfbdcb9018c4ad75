#!/usr/bin/env python3
"""A conformance driver for real Pyrogram and its forks (spec/conformance.md).

Speaks the driver protocol on standard input and output, one JSON object per line, and carries
each operation out with the storage classes of whichever library is installed: pyrogram 2.0.106
(the reference), pyrofork, kurigram, pyrotgfork or hydrogram. Where their storage APIs differ
(constructors, the shape of update_peers, separate usernames tables, aiosqlite), this driver
adapts, so the same scenario means the same thing for each. Nothing touches the network.

    PYROSESSION_DRIVER="<venv>/bin/python spec/drivers/pyrogram.py" cargo test --test conformance
    pyrosession conform --driver "<venv>/bin/python spec/drivers/pyrogram.py"
"""

import os
import sys

# This file is named pyrogram.py: keep its own folder off the import path, or it would shadow
# the library it drives.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import asyncio
import json
import logging
import struct
import time as real_time
import types
from pathlib import Path

logging.disable(logging.CRITICAL)

try:
    import hydrogram as library
    from hydrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser
    from hydrogram.storage import SQLiteStorage
    import hydrogram.storage.sqlite_storage as storage_module
    NAME = "hydrogram"
except ImportError:
    import pyrogram as library
    from pyrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser
    import pyrogram.storage as storages
    import pyrogram.storage.sqlite_storage as storage_module
    NAME = "pyrogram"

VERSION = library.__version__


def distribution():
    """Which distribution provides the module, and its version: the forks install as
    `pyrogram`, and some report a module version of their own (pyrotgfork 2.1.18 says
    2.1.18-TL-177), so the installed distribution's metadata decides."""
    from importlib import metadata
    for dist in ("hydrogram", "pyrofork", "kurigram", "pyrotgfork", "pyrogram"):
        try:
            return dist, metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return NAME, VERSION


DIST, DIST_VERSION = distribution()

# The clock: the storage module reads time.time(); give it a shifted one. Rows are still stamped
# by SQLite's own clock, so a shift moves "now" away from when peers were cached.
OFFSET = 0
storage_module.time = types.SimpleNamespace(time=lambda: real_time.time() + OFFSET)


class DriverFailure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def error_text(e):
    kind = type(e)
    module = kind.__module__
    name = kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"
    return f"{name}: {e}"


def classify(e, default):
    text = str(e)
    if isinstance(e, KeyError):
        if "expired" in text:
            return "expired"
        if "not found" in text:
            return "not_found"
    if isinstance(e, ValueError) and "Invalid peer type" in text:
        return "invalid_peer"
    return default


async def maybe(x):
    return await x if asyncio.iscoroutine(x) else x


def make_storage(kind, name, workdir=None, session_string=None):
    """A storage as the library's Client would make it for a file, memory or a session string."""
    memory = kind in ("memory", "string")
    if DIST == "hydrogram":
        return SQLiteStorage(name, workdir=None if memory else Path(workdir), session_string=session_string, use_memory=memory)
    if hasattr(storages, "FileStorage"):
        # pyrogram, pyrofork, kurigram up to 2.2.9
        if memory:
            return storages.MemoryStorage(name, session_string) if session_string else storages.MemoryStorage(name)
        return storages.FileStorage(name, Path(workdir))
    # kurigram 2.2.10+, pyrotgfork: one SQLiteStorage class
    return storages.SQLiteStorage(name, Path(workdir or "."), session_string=session_string, in_memory=memory)


async def update_peers(s, rows):
    if DIST == "kurigram":
        await s.update_peers([(i, h, t, p) for i, h, t, u, p in rows])
        await s.update_usernames([(i, [u] if u else []) for i, h, t, u, p in rows])
    elif DIST == "pyrotgfork":
        await s.update_peers([(i, h, t, [u] if u else None, p) for i, h, t, u, p in rows])
    else:
        await s.update_peers([tuple(r) for r in rows])


def input_peer(p):
    if isinstance(p, InputPeerUser):
        return {"kind": "user", "user_id": p.user_id, "access_hash": p.access_hash}
    if isinstance(p, InputPeerChat):
        return {"kind": "chat", "chat_id": p.chat_id}
    if isinstance(p, InputPeerChannel):
        return {"kind": "channel", "channel_id": p.channel_id, "access_hash": p.access_hash}
    raise DriverFailure("other", f"unexpected input peer {p!r}")


class Driver:
    def __init__(self):
        self.storages = {}
        self.next_handle = 1

    def handle(self, req):
        return req["storage"] if "storage" in req else self.storages[req["handle"]]

    async def open_or_fail(self, s, failure_kind):
        try:
            await s.open()
        except Exception as e:
            conn = getattr(s, "conn", None) or getattr(s, "_conn", None)
            if conn is not None:
                try:
                    await maybe(conn.close())
                except Exception:
                    pass
            raise DriverFailure(classify(e, failure_kind), error_text(e))

    async def opened(self, s, failure_kind):
        await self.open_or_fail(s, failure_kind)
        h = self.next_handle
        self.next_handle += 1
        self.storages[h] = s
        return {"handle": h}

    async def op_hello(self, req):
        # The string codec is the memory storage's import and export (spec/conformance.md §8).
        return {"implementation": f"{DIST} {DIST_VERSION}", "protocol": 2,
                "profiles": ["storage", "string_codec"]}

    async def op_decode_string(self, req):
        """The six fields Client(session_string=...) stores, read back from its memory storage."""
        s = req["session_string"]
        if not s:
            raise DriverFailure("invalid_string", "empty string: the library would open an empty storage")
        storage = make_storage("string", "decode", session_string=s)
        await self.open_or_fail(storage, "invalid_string")
        try:
            out = {}
            for field in ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot"):
                out[field] = await self.op_get({"field": field, "storage": storage})
            return out
        finally:
            await storage.close()

    async def op_encode_string(self, req):
        """The string export_session_string makes of a memory storage holding the six fields."""
        storage = make_storage("memory", "encode")
        await storage.open()
        try:
            for field, value in req["session"].items():
                if field in ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot"):
                    await self.op_set({"field": field, "value": value, "storage": storage})
            return await storage.export_session_string()
        except (struct.error, TypeError) as e:
            raise DriverFailure("missing_field", error_text(e))
        finally:
            await storage.close()

    async def op_open_file(self, req):
        path = Path(req["path"])
        return await self.opened(make_storage("file", path.name[: -len(".session")], path.parent), "invalid_file")

    async def op_open_named(self, req):
        # Every library here picks a file storage for a plain name; none treats ":memory:" apart.
        return await self.opened(make_storage("file", req["name"], req["workdir"]), "invalid_file")

    async def op_open_memory(self, req):
        return await self.opened(make_storage("memory", "memory"), "other")

    async def op_open_string(self, req):
        s = req["session_string"]
        if not s:
            raise DriverFailure("invalid_string", "empty string: the library would open an empty storage")
        return await self.opened(make_storage("string", "string", session_string=s), "invalid_string")

    async def op_get(self, req):
        s, field = self.handle(req), req["field"]
        value = await getattr(s, field)()
        if field == "auth_key" and value is not None:
            return value.hex()
        if field in ("test_mode", "is_bot") and value is not None:
            return bool(value)
        return value

    async def op_set(self, req):
        s, field, value = self.handle(req), req["field"], req["value"]
        if field == "auth_key" and value is not None:
            value = bytes.fromhex(value)
        await getattr(s, field)(value)

    async def op_update_peers(self, req):
        await update_peers(self.handle(req), req["peers"])

    async def lookup(self, coro):
        try:
            return input_peer(await coro)
        except DriverFailure:
            raise
        except Exception as e:
            raise DriverFailure(classify(e, "other"), error_text(e))

    async def op_get_peer_by_id(self, req):
        return await self.lookup(self.handle(req).get_peer_by_id(req["peer_id"]))

    async def op_get_peer_by_username(self, req):
        return await self.lookup(self.handle(req).get_peer_by_username(req["username"]))

    async def op_get_peer_by_phone_number(self, req):
        return await self.lookup(self.handle(req).get_peer_by_phone_number(req["phone_number"]))

    async def op_export(self, req):
        try:
            return await self.handle(req).export_session_string()
        except (struct.error, TypeError) as e:
            raise DriverFailure("missing_field", error_text(e))

    async def op_save(self, req):
        await self.handle(req).save()

    async def op_close(self, req):
        await self.storages.pop(req["handle"]).close()

    async def op_delete(self, req):
        # As the Client's log_out does: stop (close), then delete.
        s = self.storages.pop(req["handle"])
        await s.close()
        await s.delete()

    async def op_advance_clock(self, req):
        global OFFSET
        OFFSET += req["seconds"]


async def serve():
    driver = Driver()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            # End of input: leave at once. Storages the runner never closed (a failed scenario
            # stops midway) would otherwise have aiosqlite's threads print a traceback each as
            # the event loop shuts down.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if not line.strip():
            continue
        req = json.loads(line)
        op = getattr(driver, "op_" + req.get("op", ""), None)
        try:
            if op is None:
                raise DriverFailure("unsupported", f"unknown operation {req.get('op')}")
            resp = {"id": req["id"], "ok": await op(req)}
        except DriverFailure as e:
            resp = {"id": req["id"], "error": {"kind": e.kind, "message": str(e)}}
        except Exception as e:
            resp = {"id": req["id"], "error": {"kind": classify(e, "other"), "message": error_text(e)}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve())
