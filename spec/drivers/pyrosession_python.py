#!/usr/bin/env python3
"""A conformance driver for the Python package (python/, issue 20) inside a library's venv
(spec/conformance.md): the package's FileStorage and MemoryStorage, called as the library's
client calls its storage. Run in the venv of Pyrogram 2.0.106 or of a fork, with the package
importable; `update_peers` rows are passed in the shape that library's client uses (kurigram's
4-tuples followed by update_usernames, pyrotgfork's username lists), and lookups build the
library's own raw input peers.

    pyrosession conform --driver "<venv>/bin/python spec/drivers/pyrosession_python.py"

hello names the implementation `pyrosession-python {version} ({distribution} {version})`: no
divergence is listed for it (spec/divergences.json), so every scenario must pass.
"""

import os
import sys

# spec/drivers/ holds a pyrogram.py: keep this folder off the import path, or it would shadow
# the library.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import asyncio  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

logging.disable(logging.CRITICAL)

import pyrosession  # noqa: E402


def library():
    """The installed library: its distribution, version and import name."""
    for dist in ("hydrogram", "pyrofork", "kurigram", "pyrotgfork", "pyrogram"):
        try:
            return dist, metadata.version(dist), "hydrogram" if dist == "hydrogram" else "pyrogram"
        except metadata.PackageNotFoundError:
            continue
    raise SystemExit("no Pyrogram-family library in this environment")


DIST, DIST_VERSION, MODULE = library()
raw = __import__(MODULE + ".raw", fromlist=["types"])
InputPeerUser = raw.types.InputPeerUser
InputPeerChat = raw.types.InputPeerChat
InputPeerChannel = raw.types.InputPeerChannel

OFFSET = 0

# The error kinds of spec/conformance.md §3.3, from the package's exception kinds.
KINDS = {
    "not_found": "not_found",
    "username_expired": "expired",
    "unknown_peer_type": "invalid_peer",
    "missing_access_hash": "invalid_peer",
    "missing_field": "missing_field",
    "field_out_of_range": "missing_field",
    "unsupported_write": "unsupported",
}


class DriverFailure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def classify(e, default):
    if isinstance(e, pyrosession.DecodeError):
        return "invalid_string" if default == "invalid_string" else KINDS.get(e.kind, default)
    if isinstance(e, pyrosession.PyrosessionError):
        if e.kind == "invalid_value" and "peers." in str(e):
            return "invalid_peer"
        return KINDS.get(e.kind, default)
    return default


def text(e):
    return f"{type(e).__name__}: {e}"


async def update_peers(s, rows):
    """The rows in the shape the library's client passes them."""
    if DIST == "kurigram":
        await s.update_peers([(i, h, t, p) for i, h, t, u, p in rows])
        await s.update_usernames([(i, [u]) for i, h, t, u, p in rows if u])
    elif DIST == "pyrotgfork":
        await s.update_peers([(i, h, t, [u] if u else [], p) for i, h, t, u, p in rows])
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


FIELDS = ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot")


class Driver:
    def __init__(self):
        self.storages = {}
        self.next_handle = 1

    def handle(self, req):
        return req["storage"] if "storage" in req else self.storages[req["handle"]]

    async def opened(self, s, failure_kind):
        try:
            await s.open()
        except Exception as e:
            raise DriverFailure(classify(e, failure_kind), text(e))
        s.set_clock_offset(OFFSET)
        h = self.next_handle
        self.next_handle += 1
        self.storages[h] = s
        return {"handle": h}

    async def op_hello(self, req):
        return {
            "implementation": f"pyrosession-python {pyrosession.__version__} ({DIST} {DIST_VERSION})",
            "protocol": 2,
            "profiles": ["storage", "string_codec"],
        }

    async def op_decode_string(self, req):
        if not req["session_string"]:
            raise DriverFailure("invalid_string", "empty string: the client would open an empty storage")
        s = pyrosession.MemoryStorage("decode", req["session_string"], raw=raw)
        try:
            await s.open()
        except Exception as e:
            raise DriverFailure(classify(e, "invalid_string"), text(e))
        try:
            return {f: await self.op_get({"field": f, "storage": s}) for f in FIELDS}
        finally:
            await s.close()

    async def op_encode_string(self, req):
        s = pyrosession.MemoryStorage("encode", raw=raw)
        await s.open()
        try:
            for field, value in req["session"].items():
                if field in FIELDS:
                    await self.op_set({"field": field, "value": value, "storage": s})
            return await s.export_session_string()
        except Exception as e:
            raise DriverFailure(classify(e, "other"), text(e))
        finally:
            await s.close()

    async def op_open_file(self, req):
        path = Path(req["path"])
        s = pyrosession.FileStorage(path.name[: -len(".session")], path.parent, wait=5.0, raw=raw)
        return await self.opened(s, "invalid_file")

    async def op_open_named(self, req):
        s = pyrosession.storage_named(req["name"], req["workdir"], wait=5.0, raw=raw)
        return await self.opened(s, "invalid_file")

    async def op_open_memory(self, req):
        return await self.opened(pyrosession.MemoryStorage("memory", raw=raw), "other")

    async def op_open_string(self, req):
        s = req["session_string"]
        if not s:
            # MemoryStorage("x", "") is an empty memory storage, as Pyrogram's is.
            raise DriverFailure("invalid_string", "empty string")
        return await self.opened(pyrosession.MemoryStorage("string", s, raw=raw), "invalid_string")

    async def op_get(self, req):
        value = await getattr(self.handle(req), req["field"])()
        if req["field"] == "auth_key" and value is not None:
            return value.hex()
        return value

    async def op_set(self, req):
        field, value = req["field"], req["value"]
        if field == "auth_key" and value is not None:
            value = bytes.fromhex(value)
        await getattr(self.handle(req), field)(value)

    async def op_update_peers(self, req):
        try:
            await update_peers(self.handle(req), req["peers"])
        except ValueError as e:
            if isinstance(e, pyrosession.PyrosessionError):
                raise
            raise DriverFailure("invalid_peer", text(e))

    async def lookup(self, coro):
        try:
            return input_peer(await coro)
        except DriverFailure:
            raise
        except Exception as e:
            raise DriverFailure(classify(e, "other"), text(e))

    async def op_get_peer_by_id(self, req):
        return await self.lookup(self.handle(req).get_peer_by_id(req["peer_id"]))

    async def op_get_peer_by_username(self, req):
        return await self.lookup(self.handle(req).get_peer_by_username(req["username"]))

    async def op_get_peer_by_phone_number(self, req):
        return await self.lookup(self.handle(req).get_peer_by_phone_number(req["phone_number"]))

    async def op_export(self, req):
        return await self.handle(req).export_session_string()

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
        for s in self.storages.values():
            s.set_clock_offset(OFFSET)


async def serve():
    driver = Driver()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            sys.stdout.flush()
            os._exit(0)
        req = json.loads(line)
        op = getattr(driver, "op_" + req.get("op", ""), None)
        try:
            if op is None:
                raise DriverFailure("unsupported", f"unknown operation {req.get('op')}")
            resp = {"id": req["id"], "ok": await op(req)}
        except DriverFailure as e:
            resp = {"id": req["id"], "error": {"kind": e.kind, "message": str(e)}}
        except Exception as e:
            resp = {"id": req["id"], "error": {"kind": classify(e, "other"), "message": text(e)}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve())
