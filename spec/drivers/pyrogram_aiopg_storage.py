#!/usr/bin/env python3
"""Driver for the PostgreSQL add-on `pyrogram-aiopg-storage` (spec/conformance.md): the `storage`
profile, against a PostgreSQL server, with `"server": true` in `hello` (spec/conformance.md §8.1: the
twelve scenarios about SQLite files are not applicable).

    PYROSESSION_PG_URL=postgresql://user@127.0.0.1:PORT/db \
      pyrosession conform --driver "{venv}/bin/python spec/drivers/pyrogram_aiopg_storage.py"

in a venv holding `pyrogram-aiopg-storage==0.3` with the Pyrogram it is written for,
`pyrogram==1.4.16` (its storage has no `api_id`, and its README passes the storage as
`Client(session_name=storage)`, which only Pyrogram 1.x takes; 1.4.16 is the last 1.x), and what it
imports but does not declare: `aiopg==1.4.0` with `SQLAlchemy` 1.4 (it calls `select([...])`, gone
in SQLAlchemy 2, and aiopg.sa needs < 1.5) and `psycopg2-binary` (.ci/run makes
target/ci-venvs/pyrogram-aiopg-storage-0.3). Every storage is the add-on's
`PostgreSQLStorage(db_pool, user_id, phone)` on one `aiopg.sa` engine to the server of
`PYROSESSION_PG_URL`.

The add-on names a session by its two arguments, not by a name: it keeps one session in the tables
`pyrogram_session_{user_id}_{digits}` and `peers_{user_id}_{digits}`, where `digits` are the
digits of `phone` (its "application user identifier" and "telegram session phone"). So:

- every storage of a run has the same `user_id`, a random number drawn per run, and the tables go
  into a schema of the run's own (`search_path`), so that two runs on one server never meet;
- open_file PATH: `phone` is a number the driver gives PATH the first time it is opened (1, 2, …),
  the same number each time again; the file at PATH is never read nor written, since the add-on
  keeps nothing in files.
- open_named NAME WORKDIR: the same for the pair (WORKDIR, NAME). The add-on has no naming rule.
- open_memory: the add-on has no memory storage; a new number.
- open_string: refused with `unsupported`: the add-on takes no session string.
- get / set: `await storage.{field}()` / `(value)`, the key as `bytes.fromhex`. Pyrogram 1.4.16's
  storage has no `api_id`: `get` and `set` of it are refused with `unsupported`.
- update_peers, get_peer_by_*, export (Pyrogram 1.4.16's `Storage.export_session_string`), save,
  close: the add-on's methods; delete: `close()`, then `delete()`, as the client's log_out does.
- advance_clock: the add-on module's `time.time()` is shifted, which also stamps the peers it
  caches (it writes `int(time.time())` into `last_update_on`).

Nothing but the server is reached. psycopg2 connects through libpq, below Python's audit hooks, so
the driver reads the address first: `PYROSESSION_PG_URL` (and `PGHOST`/`PGHOSTADDR` when it names
no host) must name only loopback addresses or socket folders, and no `service`. An audit hook
also refuses, before the packages are imported, every socket connection and name lookup that
Python itself makes to anything else. At the end of its input the driver drops its schema (in a
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


def loopback(host):
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _no_network(event, args):
    """Only the loopback server: every other connection or name lookup Python makes is refused."""
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

import aiopg.sa  # noqa: E402  (after the hook)
import psycopg2.extensions  # noqa: E402
import pyrogram_aiopg_storage as addon  # noqa: E402
from pyrogram.raw.types import InputPeerChannel, InputPeerChat, InputPeerUser  # noqa: E402

NAME = f"pyrogram-aiopg-storage {version('pyrogram-aiopg-storage')} (pyrogram {version('pyrogram')})"
FIELDS = ("dc_id", "api_id", "test_mode", "auth_key", "date", "user_id", "is_bot")

# The clock: the add-on's module reads time.time() for save(), peer stamps and username expiry.
OFFSET = 0
addon.time = types.SimpleNamespace(time=lambda: real_time.time() + OFFSET)


class DriverFailure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def server_url():
    """PYROSESSION_PG_URL, refused unless libpq would reach only loopback addresses or sockets."""
    url = os.environ.get("PYROSESSION_PG_URL", "").strip()
    if not url:
        raise DriverFailure("other", "PYROSESSION_PG_URL is not set: give the address of a PostgreSQL server "
                            "(.ci/pg-cluster start DIR prints one)")
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except Exception as e:
        raise DriverFailure("other", f"PYROSESSION_PG_URL cannot be read: {e}")
    if "service" in params or os.environ.get("PGSERVICE"):
        raise DriverFailure("other", "PYROSESSION_PG_URL: a connection service could name any host; give the address")
    hosts = []
    for key, env in (("host", "PGHOST"), ("hostaddr", "PGHOSTADDR")):
        value = params.get(key) or os.environ.get(env, "")
        hosts += [h for h in value.split(",") if h]
    for host in hosts:
        if not (host.startswith("/") or host.startswith("@") or loopback(host)):
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
        self.engine = None
        self.user_id = 100000000 + secrets.randbelow(900000000)
        self.schema = f"pyrosession_conform_{self.user_id}"
        self.phones = {}  # (folder, name) or a memory storage's number -> its phone number
        self.storages = {}
        self.next_handle = 1

    def phone_of(self, key):
        if key not in self.phones:
            self.phones[key] = str(len(self.phones) + 1)
        return self.phones[key]

    def handle(self, req):
        try:
            return self.storages[req["handle"]]
        except KeyError:
            raise DriverFailure("other", f"no open storage has the handle {req.get('handle')!r}")

    async def opened(self, key, failure_kind):
        s = addon.PostgreSQLStorage(db_pool=self.engine, user_id=self.user_id, phone=self.phone_of(key))
        try:
            await s.open()
        except Exception as e:
            raise DriverFailure(failure_kind, error_text(e))
        h = self.next_handle
        self.next_handle += 1
        self.storages[h] = s
        return {"handle": h}

    async def op_hello(self, req):
        url = server_url()
        async with aiopg.connect(url) as conn:
            async with conn.cursor() as cur:
                await cur.execute(f'CREATE SCHEMA "{self.schema}"')
        self.engine = await aiopg.sa.create_engine(url, minsize=1, maxsize=4,
                                                   options=f"-c search_path={self.schema}")
        return {"implementation": NAME, "protocol": 2, "profiles": ["storage"], "server": True}

    async def op_open_file(self, req):
        return await self.opened(("file", req["path"]), "invalid_file")

    async def op_open_named(self, req):
        return await self.opened(("named", req["workdir"], req["name"]), "invalid_file")

    async def op_open_memory(self, req):
        return await self.opened(("memory", self.next_handle), "other")

    async def op_open_string(self, req):
        raise DriverFailure("unsupported", "the add-on takes no session string (a client is given either a "
                            "string, kept in Pyrogram's MemoryStorage, or this storage)")

    def accessor(self, s, field):
        if field not in FIELDS:
            raise DriverFailure("unsupported", f"no field {field!r}")
        if not hasattr(s, field):
            raise DriverFailure("unsupported", f"the storage has no {field} (Pyrogram {version('pyrogram')}'s "
                                "Storage has none)")
        return getattr(s, field)

    async def op_get(self, req):
        s, field = self.handle(req), req["field"]
        value = await self.accessor(s, field)()
        if field == "auth_key" and value is not None:
            return bytes(value).hex()
        if field in ("test_mode", "is_bot") and value is not None:
            return bool(value)
        return value

    async def op_set(self, req):
        s, field, value = self.handle(req), req["field"], req["value"]
        setter = self.accessor(s, field)
        if field == "auth_key" and value is not None:
            value = bytes.fromhex(value)
        await write(field, setter, value)

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
        """Drop the run's schema. The runner stops the driver's process group 1 s after closing its
        input, which a loaded server may not meet, so the drop runs in a process of its own
        session (`start_new_session`), which ends when the drop is done."""
        if self.engine is None:
            return
        subprocess.Popen([sys.executable, "-c", DROP, f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)


# The cleanup's program: the server's address is PYROSESSION_PG_URL, already checked by hello.
DROP = """
import os, sys
import psycopg2
conn = psycopg2.connect(os.environ["PYROSESSION_PG_URL"], connect_timeout=10)
conn.autocommit = True
conn.cursor().execute(sys.argv[1])
conn.close()
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
