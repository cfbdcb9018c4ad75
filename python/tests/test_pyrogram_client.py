"""A real Pyrogram 2.0.106 Client, created offline, with the package's storage.

Pyrogram 2.0.106's Client has no storage parameter: it makes its own storage in __init__ and
opens it only in start() (load_session). Assigning `client.storage` between the two is the way:
`client.storage = pyrosession.storage_for(client)`. The client never connects here: start() is
never called, the network layer's entry points raise, and `is_connected` is set by hand, which
is all `resolve_peer` checks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, List

import pytest

import pyrosession

from conftest import example

pyrogram = pytest.importorskip("pyrogram")
raw = pyrogram.raw

API_HASH = "0123456789abcdef0123456789abcdef"


class NetworkUsed(Exception):
    """Raised where the client would have gone to Telegram."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise NetworkUsed("the test client tried to reach the network")

    monkeypatch.setattr(pyrogram.session.Session, "start", refuse)
    monkeypatch.setattr(pyrogram.connection.Connection, "connect", refuse)
    monkeypatch.setattr(pyrogram.Client, "invoke", refuse)


PEERS = [
    raw.types.User(id=777, access_hash=-5, username="Alice", phone="15551234567"),
    raw.types.User(id=778, access_hash=9, bot=True, username="SomeBot"),
    raw.types.Chat(
        id=4242, title="g", photo=raw.types.ChatPhotoEmpty(), participants_count=1, date=0, version=1
    ),
    raw.types.Channel(
        id=1234567890, title="c", photo=raw.types.ChatPhotoEmpty(), date=0,
        access_hash=42, username="News", broadcast=True,
    ),
    raw.types.Channel(
        id=1987654321, title="s", photo=raw.types.ChatPhotoEmpty(), date=0,
        access_hash=43, username="chatters", megagroup=True,
    ),
]

QUERIES: List[Any] = [
    777, "777", "@alice", "alice", "ALICE", "+15551234567", "+1 555 123 4567", 778, "@somebot",
    -4242, "-4242", -1001234567890, "@news", "news", -1001987654321, "chatters", "me", "self",
    "@nobody", 999, "+000",
]


async def resolve_all(client: Any) -> List[Any]:
    """Loads the session as start() does, caches PEERS through the client's own fetch_peers,
    and resolves every query through its own resolve_peer."""
    await client.load_session()
    client.is_connected = True
    await client.fetch_peers(PEERS)
    answers: List[Any] = []
    for q in QUERIES:
        try:
            # By repr: raw types compare equal to anything where they have no fields
            # (InputPeerSelf() == "network" is true).
            answers.append(repr(await client.resolve_peer(q)))
        except NetworkUsed:
            answers.append("network")
        except pyrogram.errors.PeerIdInvalid:
            answers.append("PeerIdInvalid")
    answers.append(await client.export_session_string())
    client.is_connected = False
    await client.storage.close()
    return answers


def string_client(storage_of_package: bool) -> Any:
    client = pyrogram.Client(
        "acct", api_id=12345, api_hash=API_HASH, session_string=example("v2.txt"), in_memory=True
    )
    if storage_of_package:
        client.storage = pyrosession.storage_for(client)
    return client


def test_client_with_session_string_resolves_offline_as_with_pyrogram_storage() -> None:
    async def both() -> Any:
        # Pyrogram's Client wants a running event loop when it is made.
        client = string_client(True)
        assert isinstance(client.storage, pyrosession.MemoryStorage)
        return await resolve_all(client), await resolve_all(string_client(False))

    ours, theirs = asyncio.run(both())
    assert ours == theirs
    assert ours[0] == repr(raw.types.InputPeerUser(user_id=777, access_hash=-5))
    assert ours[QUERIES.index("@news")] == repr(
        raw.types.InputPeerChannel(channel_id=1234567890, access_hash=42)
    )
    assert ours[QUERIES.index("+1 555 123 4567")] == ours[0]
    assert ours[QUERIES.index(-4242)] == repr(raw.types.InputPeerChat(chat_id=4242))
    assert ours[QUERIES.index("me")] == repr(raw.types.InputPeerSelf())
    assert ours[QUERIES.index("@nobody")] == "network"
    assert ours[QUERIES.index("+000")] == "PeerIdInvalid"
    assert ours[-1] == example("v2.txt")


def test_client_with_session_file_resolves_offline_as_with_pyrogram_storage(tmp_path: Path) -> None:
    decoded = pyrosession.decode(example("v2.txt"))

    def file_client(dir_name: str, storage_of_package: bool) -> Any:
        workdir = tmp_path / dir_name
        client = pyrogram.Client("acct", api_id=12345, api_hash=API_HASH, workdir=str(workdir))
        if storage_of_package:
            client.storage = pyrosession.storage_for(client, wait=1)
        return client

    async def prepare(client: Any) -> None:
        """A session file holding the example's session, written through the storage the
        client holds."""
        Path(client.workdir).mkdir()
        s = client.storage
        await s.open()
        session = decoded.session
        await s.dc_id(session.dc_id)
        await s.api_id(session.api_id)
        await s.test_mode(session.test_mode)
        await s.auth_key(session.auth_key)
        await s.date(0)
        await s.user_id(session.user_id)
        await s.is_bot(session.is_bot)
        await s.close()

    async def both() -> Any:
        ours_client = file_client("ours", True)
        assert isinstance(ours_client.storage, pyrosession.FileStorage)
        theirs_client = file_client("theirs", False)
        await prepare(ours_client)
        await prepare(theirs_client)
        return await resolve_all(ours_client), await resolve_all(theirs_client)

    ours, theirs = asyncio.run(both())
    assert ours == theirs
    assert ours[-1] == example("v2.txt")
    assert [q for q, a in zip(QUERIES, ours) if a == "network"] == ["@nobody", 999]

    # The file is still a Pyrogram session file: Pyrogram's own storage reads the peers back.
    async def reread() -> Any:
        storage = pyrogram.storage.FileStorage("acct", tmp_path / "ours")
        await storage.open()
        try:
            return await storage.get_peer_by_username("alice"), await storage.export_session_string()
        finally:
            await storage.close()

    peer, string = asyncio.run(reread())
    assert peer == raw.types.InputPeerUser(user_id=777, access_hash=-5)
    assert string == example("v2.txt")
