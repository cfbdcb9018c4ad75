"""Run by test_forks.py with a fork's own interpreter (one venv per fork): the fork's real
Client, created offline, once with this package's storage given through the fork's storage
parameter and once with the fork's own storage, each on a session file in its own folder. Prints
what each answered, as JSON, for the test to compare.

Usage: fork_client.py DISTRIBUTION WORKDIR
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import pyrosession

DISTRIBUTION, WORKDIR = sys.argv[1], Path(sys.argv[2])
MODULE = "hydrogram" if DISTRIBUTION == "hydrogram" else "pyrogram"
lib = importlib.import_module(MODULE)
raw = lib.raw

# The keyword each fork's Client takes its storage by.
PARAMETER = {
    "pyrofork": "storage",
    "kurigram": "storage_engine",
    "pyrotgfork": "storage_engine",
    "hydrogram": "session_storage_engine",
}[DISTRIBUTION]

API_HASH = "0123456789abcdef0123456789abcdef"
SESSION = pyrosession.decode((Path(__file__).resolve().parents[2] / "spec/examples/v2.txt").read_text().strip())


class NetworkUsed(Exception):
    """Raised where the client would have gone to Telegram."""


def refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise NetworkUsed("the test client tried to reach the network")


lib.session.Session.start = refuse
lib.connection.Connection.connect = refuse
lib.Client.invoke = refuse

photo = raw.types.ChatPhotoEmpty()
PEERS = [
    raw.types.User(id=777, access_hash=-5, username="Alice", phone="15551234567"),
    raw.types.User(id=778, access_hash=9, bot=True, username="SomeBot"),
    raw.types.User(
        id=779,
        access_hash=11,
        usernames=[
            raw.types.Username(username="First", active=True),
            raw.types.Username(username="Second", active=True),
        ],
    ),
    raw.types.Chat(id=4242, title="g", photo=photo, participants_count=1, date=0, version=1),
    raw.types.Channel(
        id=1234567890, title="c", photo=photo, date=0, access_hash=42, username="News",
        broadcast=True,
    ),
    raw.types.Channel(
        id=1987654321, title="s", photo=photo, date=0, access_hash=43, username="chatters",
        megagroup=True, forum=True,
    ),
]

QUERIES: List[Any] = [
    777, "777", "@alice", "ALICE", "+15551234567", 778, "@somebot", "first", "second", -4242,
    -1001234567890, "@news", -1001987654321, "chatters", "me", "@nobody", 999,
]


def client(folder: str, ours: bool) -> Any:
    workdir = WORKDIR / folder
    workdir.mkdir(exist_ok=True)
    kwargs: Dict[str, Any] = {}
    if ours:
        kwargs[PARAMETER] = pyrosession.FileStorage("acct", workdir, wait=1)
    c = lib.Client("acct", api_id=12345, api_hash=API_HASH, workdir=str(workdir), **kwargs)
    assert isinstance(c.storage, pyrosession.FileStorage) == ours, type(c.storage)
    return c


async def prepare(storage: Any) -> None:
    await storage.open()
    s = SESSION.session
    await storage.dc_id(s.dc_id)
    await storage.api_id(s.api_id)
    await storage.test_mode(s.test_mode)
    await storage.auth_key(s.auth_key)
    await storage.date(0)
    await storage.user_id(s.user_id)
    await storage.is_bot(s.is_bot)
    await storage.close()


async def states(storage: Any) -> List[Any]:
    """The update-state calls the fork's client makes, in its own shapes."""
    out: List[Any] = []
    cls = getattr(importlib.import_module(MODULE + ".storage"), "UpdateState", None)
    own = importlib.import_module(MODULE + ".storage").Storage if MODULE == "pyrogram" else None
    if cls is not None:  # kurigram 2.2.26
        await storage.set_update_state(cls(0, 10, 1, 100, 5))
        await storage.set_update_state([cls(-1001234567890, 7, None, 90, None)])
        await storage.set_update_state(cls(0, 11, None, None, None))
        out.append(sorted(tuple(vars(s).values()) for s in await storage.get_update_states()))
        out.append([s.id for s in await storage.get_update_states(0)])
        await storage.delete_update_state([-1001234567890])
        out.append(sorted(tuple(vars(s).values()) for s in await storage.get_update_states()))
        out.append([await storage.server_address(), await storage.port()])
    elif own is not None and hasattr(own, "update_state"):
        await storage.update_state((0, 10, None, 100, 5))
        await storage.update_state((-1001234567890, 7, None, 90, None))
        await storage.update_state((0, 11, None, 101, None))
        out.append(sorted(tuple(s) for s in await storage.update_state()))
        await storage.update_state(-1001234567890)
        out.append(sorted(tuple(s) for s in await storage.update_state()))
        if hasattr(own, "remove_state"):  # pyrofork
            await storage.remove_state(0)
            out.append(sorted(tuple(s) for s in await storage.update_state()))
    return out


async def run(folder: str, ours: bool) -> Dict[str, Any]:
    # The session is written by another client's storage of the same kind: pyrotgfork 2.1.18's
    # storage cannot be opened again once closed (close() shuts its executor down).
    await prepare(client(folder, ours).storage)
    c = client(folder, ours)
    await c.load_session()
    c.is_connected = True
    await c.fetch_peers(PEERS)
    answers: List[str] = []
    for q in QUERIES:
        try:
            answers.append(repr(await c.resolve_peer(q)))
        except NetworkUsed:
            answers.append("network")
        except lib.errors.PeerIdInvalid:
            answers.append("PeerIdInvalid")
    result = {
        "answers": answers,
        "string": await c.export_session_string(),
        "states": await states(c.storage),
    }
    c.is_connected = False
    await c.storage.close()
    return result


async def main() -> None:
    ours = await run("ours", True)
    theirs = await run("theirs", False)
    json.dump({"queries": [repr(q) for q in QUERIES], "ours": ours, "theirs": theirs}, sys.stdout)


asyncio.run(main())
