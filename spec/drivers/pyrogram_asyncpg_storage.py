#!/usr/bin/env python3
"""Driver for the PostgreSQL add-on `pyrogram-asyncpg-storage` (spec/conformance.md): the
`storage` profile, against a PostgreSQL server, with `"server": true` in `hello` (spec/conformance.md
§8.1: the twelve scenarios about SQLite files are not applicable).

    PYROSESSION_PG_URL=postgresql://user@127.0.0.1:PORT/db \
      pyrosession conform --driver "{venv}/bin/python spec/drivers/pyrogram_asyncpg_storage.py"

in a venv holding `pyrogram-asyncpg-storage==0.1` with the Pyrogram it is written for,
`pyrogram==2.0.106` (it subclasses Pyrogram 2's `Storage`, whose session has `api_id`, and imports
`get_input_peer` from `pyrogram.storage.sqlite_storage`), and `asyncpg==0.32.0` (.ci/run makes
target/ci-venvs/pyrogram-asyncpg-storage-0.1). The add-on's README puts it in a client as
`app.storage = PostgreSQLStorage(name=..., pool=pool)`: every storage here is such a
`PostgreSQLStorage(name, pool, schema)`, on one `asyncpg` pool to the server of
`PYROSESSION_PG_URL`.

What each operation becomes (the add-on keeps one session in three tables named
`"{schema}"."{name}:sessions"`, `…:peers` and `…:version`):

- open_file PATH: the session named after the file (`name` = the file name less `.session`), in a
  schema of its own for the scenario's folder (`pyrosession_conform_{run}_{n}`), so that two
  scenarios, or two runs on one server, never meet; the file at PATH is never read nor written,
  since the add-on keeps nothing in files.
- open_named NAME WORKDIR: the session named NAME, in the schema of WORKDIR. The add-on has no
  naming rule: `:memory:` is a name like any other.
- open_memory: the add-on has no memory storage; a new session `memory{n}` in the run's schema.
- open_string: refused with `unsupported`. The add-on takes no session string: a client given one
  makes Pyrogram's MemoryStorage, which `app.storage = ...` then replaces, string and all.
- get / set: `await storage.{field}()` / `(value)`, the key as `bytes.fromhex`; `test_mode`
  comes back as the integer of its INTEGER column and is given as `true`/`false`.
- update_peers, get_peer_by_*, export (`Storage.export_session_string` of Pyrogram), save, close:
  the add-on's methods; delete: `close()`, then `delete()`, as the client's log_out does.
- advance_clock: the add-on module's `time.time()` is shifted; rows are stamped by the server
  (`EXTRACT(EPOCH FROM NOW())`), which no driver can shift, as with Pyrogram's SQLite.

Nothing but the server is reached: `PYROSESSION_PG_URL` must name a loopback address or a socket
folder, and an audit hook refuses every socket connection and name lookup of anything else before
the packages are imported. At the end of its input the driver drops the schemas it made (in a
process of its own, which outlives the driver by the time the drop takes).
"""

import os
import sys

# This file has the add-on's module name: keep its own folder off the import path, or it would
# shadow the package it drives.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import asyncio  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import time as real_time  # noqa: E402
import types  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import parse_qs, unquote, urlsplit  # noqa: E402


def loopback(host):
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _no_network(event, args):
    """Only the loopback server: every other connection or name lookup is refused."""
    if event == "socket.connect" or event == "socket.sendto":
        sock, address = args[0], args[1]
        if sock.family == socket.AF_UNIX or (isinstance(address, tuple) and loopback(str(address[0]))):
            return
        raise RuntimeError(f"the driver allows no network access but to the loopback server ({event} {address!r})")
    if event == "socket.getaddrinfo":
        host = args[0]
        if host is None or loopback(host.decode() if isinstance(host, bytes) else str(host)):
            return
        raise RuntimeError(f"the driver allows no network access but to the loopback server ({event} {host!r})")
    if event in ("socket.gethostbyname", "socket.gethostbyaddr", "urllib.Request"):
        raise RuntimeError(f"the driver allows no network access ({event})")


sys.addaudithook(_no_network)
logging.disable(logging.CRITICAL)

import asyncpg  # noqa: E402  (after the hook)
import pyrogram_asyncpg_storage as addon  # noqa: E402
from pyrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser  # noqa: E402

NAME = f"pyrogram-asyncpg-storage {version('pyrogram-asyncpg-storage')} (pyrogram {version('pyrogram')})"
FIELDS = ("dc_id", "api_id", "test_mode", "auth_key", "date", "user_id", "is_bot")

# The clock: the add-on's module reads time.time() for save() and username expiry.
OFFSET = 0
addon.time = types.SimpleNamespace(time=lambda: real_time.time() + OFFSET)


class DriverFailure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def server_url():
    """PYROSESSION_PG_URL, refused unless every host it names is on loopback or a socket folder."""
    url = os.environ.get("PYROSESSION_PG_URL", "").strip()
    if not url:
        raise DriverFailure("other", "PYROSESSION_PG_URL is not set: give the address of a PostgreSQL server "
                            "(.ci/pg-cluster start DIR prints one)")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise DriverFailure("other", f"PYROSESSION_PG_URL is not a postgresql:// address (scheme {parts.scheme!r})")
    hosts = [h.rsplit(":", 1)[0] if h.count(":") == 1 else h for h in unquote(parts.netloc.rpartition("@")[2]).split(",")]
    hosts = [h.strip("[]") for h in hosts if h]
    for key, values in parse_qs(parts.query).items():
        if key in ("host", "hostaddr"):
            hosts += [h for v in values for h in v.split(",")]
    for host in hosts:
        if not (host.startswith("/") or loopback(host)):
            raise DriverFailure("other", f"PYROSESSION_PG_URL names {host!r}: the driver reaches only a loopback server")
    return url


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


def input_peer(p):
    if isinstance(p, InputPeerUser):
        return {"kind": "user", "user_id": p.user_id, "access_hash": p.access_hash}
    if isinstance(p, InputPeerChat):
        return {"kind": "chat", "chat_id": p.chat_id}
    if isinstance(p, InputPeerChannel):
        return {"kind": "channel", "channel_id": p.channel_id, "access_hash": p.access_hash}
    raise DriverFailure("other", f"unexpected input peer {p!r}")


async def write(field, setter, value):
    """A field's write; a failed write of the key names the exception's type only, since the
    database driver's message may quote the value."""
    if field != "auth_key":
        return await setter(value)
    try:
        await setter(value)
    except Exception as e:
        raise DriverFailure("other", f"writing auth_key failed: {type(e).__module__}.{type(e).__name__}") from None


class Driver:
    def __init__(self):
        self.pool = None
        self.run = secrets.token_hex(4)
        self.folders = {}  # a scenario's folder -> its schema
        self.schemas = [f"pyrosession_conform_{self.run}_memory"]
        self.storages = {}
        self.next_handle = 1
        self.memories = 0

    def schema_of(self, folder):
        if folder not in self.folders:
            self.folders[folder] = f"pyrosession_conform_{self.run}_{len(self.folders) + 1}"
            self.schemas.append(self.folders[folder])
        return self.folders[folder]

    def handle(self, req):
        try:
            return self.storages[req["handle"]]
        except KeyError:
            raise DriverFailure("other", f"no open storage has the handle {req.get('handle')!r}")

    async def opened(self, name, schema, failure_kind):
        s = addon.PostgreSQLStorage(name=name, pool=self.pool, schema=schema)
        try:
            await s.open()
        except Exception as e:
            raise DriverFailure(failure_kind, error_text(e))
        h = self.next_handle
        self.next_handle += 1
        self.storages[h] = s
        return {"handle": h}

    async def op_hello(self, req):
        self.pool = await asyncpg.create_pool(server_url(), min_size=1, max_size=2)
        return {"implementation": NAME, "protocol": 2, "profiles": ["storage"], "server": True}

    async def op_open_file(self, req):
        path = Path(req["path"])
        return await self.opened(path.name[: -len(".session")], self.schema_of(str(path.parent)), "invalid_file")

    async def op_open_named(self, req):
        return await self.opened(req["name"], self.schema_of(req["workdir"]), "invalid_file")

    async def op_open_memory(self, req):
        self.memories += 1
        return await self.opened(f"memory{self.memories}", self.schemas[0], "other")

    async def op_open_string(self, req):
        raise DriverFailure("unsupported", "the add-on takes no session string (a client given one keeps it in "
                            "Pyrogram's MemoryStorage, which app.storage = PostgreSQLStorage(...) replaces)")

    async def op_get(self, req):
        s, field = self.handle(req), req["field"]
        if field not in FIELDS:
            raise DriverFailure("unsupported", f"no field {field!r}")
        value = await getattr(s, field)()
        if field == "auth_key" and value is not None:
            return bytes(value).hex()
        if field in ("test_mode", "is_bot") and value is not None:
            return bool(value)
        return value

    async def op_set(self, req):
        s, field, value = self.handle(req), req["field"], req["value"]
        if field not in FIELDS:
            raise DriverFailure("unsupported", f"no field {field!r}")
        if field == "auth_key" and value is not None:
            value = bytes.fromhex(value)
        await write(field, getattr(s, field), value)

    async def op_update_peers(self, req):
        await self.handle(req).update_peers([tuple(row) for row in req["peers"]])

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
        s = self.handle(req)
        del self.storages[req["handle"]]
        await s.close()

    async def op_delete(self, req):
        s = self.handle(req)
        del self.storages[req["handle"]]
        await s.close()
        await s.delete()

    async def op_advance_clock(self, req):
        global OFFSET
        OFFSET += req["seconds"]

    def finish(self):
        """Drop the schemas this run made. The runner stops the driver's process group 1 s after
        closing its input, which a loaded server may not meet, so the drop runs in a process of
        its own session (`start_new_session`), which ends when the drop is done."""
        if self.pool is None:
            return
        names = ", ".join('"' + s.replace('"', '""') + '"' for s in self.schemas)
        subprocess.Popen([sys.executable, "-c", DROP, f"DROP SCHEMA IF EXISTS {names} CASCADE"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)


# The cleanup's program: the server's address is PYROSESSION_PG_URL, already checked by hello.
DROP = """
import asyncio, os, sys
import asyncpg
async def drop():
    con = await asyncpg.connect(os.environ["PYROSESSION_PG_URL"], timeout=10)
    await con.execute(sys.argv[1], timeout=60)
    await con.close()
asyncio.run(drop())
"""


async def serve():
    driver = Driver()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            driver.finish()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if not line.strip():
            continue
        req = json.loads(line)
        op = getattr(driver, "op_" + str(req.get("op", "")), None)
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
