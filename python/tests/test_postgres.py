"""``PostgresStorage``: one account of a PostgreSQL database under a lease, with a real Pyrogram
2.0.106 Client (offline: never started, never connected). Runs when ``PYROSESSION_PG_URL`` names
a server (``.ci/pg-cluster``), and is skipped with the reason otherwise."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from typing import Any, Iterator

import pytest

import pyrosession

URL = os.environ.get("PYROSESSION_PG_URL")

pytestmark = pytest.mark.skipif(
    not URL, reason="PYROSESSION_PG_URL is not set: no PostgreSQL server to test against"
)

API_HASH = "0123456789abcdef0123456789abcdef"


def url() -> str:
    assert URL is not None
    return URL


@pytest.fixture
def name() -> Iterator[str]:
    """An account name of this test's own, deleted afterwards."""
    n = f"pytest-{uuid.uuid4().hex[:12]}"
    yield n

    async def cleanup() -> None:
        storage = pyrosession.PostgresStorage(n, url(), wait=10.0)
        try:
            await storage.delete()
        except pyrosession.PyrosessionError:
            pass

    asyncio.run(cleanup())


def test_a_session_round_trips_and_the_lease_is_one_holders(name: str) -> None:
    async def body() -> None:
        first = pyrosession.PostgresStorage(name, url(), holder="worker-1", ttl=30.0)
        await first.open()
        assert await first.dc_id() == 2 and await first.auth_key() is None
        await first.dc_id(4)
        await first.auth_key(bytes(range(256)))
        await first.user_id(123456789)
        await first.is_bot(False)
        await first.api_id(12345)
        await first.test_mode(False)
        await first.update_peers([(777, -5, "user", "alice", "15551234567")])
        lease = first.lease()
        assert lease.holder == "worker-1" and 0 < lease.expires_in <= 30.0
        assert url() not in repr(first) and name in repr(first)

        second = pyrosession.PostgresStorage(name, url(), holder="worker-2")
        with pytest.raises(pyrosession.LeaseHeldError) as held:
            await second.open()
        assert held.value.holder == "worker-1"
        assert 0 < held.value.expires_in <= 30.0
        assert held.value.kind == "lease_held"
        assert "worker-1" in str(held.value)

        await first.close()
        await second.open()
        assert await second.dc_id() == 4
        assert await second.user_id() == 123456789
        peer = await second.get_peer_by_username("alice")
        assert (peer.user_id, peer.access_hash) == (777, -5)
        assert second.lease().token > lease.token
        exported = await second.export_session_string()
        assert pyrosession.decode(exported).session.auth_key == bytes(range(256))
        await second.close()

    asyncio.run(body())


def test_a_password_in_the_address_is_never_in_an_error(name: str) -> None:
    async def body() -> None:
        storage = pyrosession.PostgresStorage(
            name, "postgresql://someone:hunter2-secret@127.0.0.1:1/nothing"
        )
        with pytest.raises(pyrosession.PostgresError) as failed:
            await storage.open()
        assert "hunter2-secret" not in str(failed.value)
        assert "hunter2-secret" not in repr(failed.value)
        assert "hunter2-secret" not in repr(storage)

    asyncio.run(body())


class NetworkUsed(Exception):
    """Raised where the client would have gone to Telegram."""


@pytest.fixture
def pyrogram(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pyrogram 2.0.106, whose client cannot reach the network."""
    pyrogram: Any = pytest.importorskip("pyrogram")

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise NetworkUsed("the test client tried to reach the network")

    monkeypatch.setattr(pyrogram.session.Session, "start", refuse)
    monkeypatch.setattr(pyrogram.connection.Connection, "connect", refuse)
    monkeypatch.setattr(pyrogram.Client, "invoke", refuse)
    return pyrogram


def test_a_pyrogram_client_uses_the_database(name: str, pyrogram: Any, tmp_path: Any) -> None:
    raw = pyrogram.raw

    async def body() -> None:
        client = pyrogram.Client(name, api_id=12345, api_hash=API_HASH, workdir=str(tmp_path))
        client.storage = pyrosession.storage_for(client, postgres=url())
        assert isinstance(client.storage, pyrosession.PostgresStorage)
        assert client.storage.wait == 0.0 and client.storage.name == name
        waiting = pyrosession.storage_for(client, postgres=url(), wait=2.5)
        assert isinstance(waiting, pyrosession.PostgresStorage) and waiting.wait == 2.5
        assert pyrosession.storage_for(client).wait == pyrosession.DEFAULT_WAIT  # type: ignore[attr-defined]
        # An account the database holds (as `fleet import` leaves it), signed in.
        setup = pyrosession.PostgresStorage(name, url(), holder="setup")
        await setup.open()
        await setup.dc_id(2)
        await setup.auth_key(bytes(range(256)))
        await setup.user_id(42)
        await setup.is_bot(False)
        await setup.api_id(12345)
        await setup.test_mode(False)
        await setup.close()
        # What start() does before it connects: open the storage (taking the lease) and read
        # the session, which holds a key, so no new one is asked of Telegram.
        await client.load_session()
        assert await client.storage.user_id() == 42
        client.is_connected = True
        await client.fetch_peers(
            [
                raw.types.User(id=777, access_hash=-5, username="Alice", phone="15551234567"),
                raw.types.Channel(
                    id=1234567890, title="c", photo=raw.types.ChatPhotoEmpty(), date=0,
                    access_hash=42, username="News", broadcast=True,
                ),
            ]
        )
        user = await client.resolve_peer("@alice")
        assert isinstance(user, raw.types.InputPeerUser)
        assert (user.user_id, user.access_hash) == (777, -5)
        channel = await client.resolve_peer(-1001234567890)
        assert isinstance(channel, raw.types.InputPeerChannel)
        assert (channel.channel_id, channel.access_hash) == (1234567890, 42)
        by_phone = await client.storage.get_peer_by_phone_number("15551234567")
        assert by_phone.user_id == 777
        # No files: the session lives in the database.
        assert list(tmp_path.iterdir()) == []

        # A second client on the same name, elsewhere: refused while the first holds it.
        other = pyrogram.Client(name, api_id=12345, api_hash=API_HASH, workdir=str(tmp_path))
        other.storage = pyrosession.storage_for(other, postgres=url())
        with pytest.raises(pyrosession.LeaseHeldError) as held:
            await other.storage.open()
        assert held.value.holder == client.storage.lease().holder
        assert held.value.expires_in > 0

        await client.storage.save()
        await client.storage.close()
        await other.storage.open()
        assert await other.storage.user_id() == 42
        await other.storage.close()

    asyncio.run(body())


CHILD = """
import asyncio, sys
import pyrosession

async def main() -> None:
    storage = pyrosession.PostgresStorage(sys.argv[1], sys.argv[2], holder="paused", ttl=1.0)
    await storage.open()
    print("ready", storage.lease().token, flush=True)
    sys.stdin.readline()
    try:
        await storage.dc_id(5)
    except pyrosession.LeaseLostError as e:
        print("refused", e.kind, e.token, e.holder, flush=True)
    else:
        print("applied", flush=True)

asyncio.run(main())
"""


def test_a_write_after_the_lease_passed_is_refused(name: str) -> None:
    """A holder paused (SIGSTOP) past its lease, whose account another holder then opened:
    its write on resuming raises LeaseLostError naming its token and the new holder, and is
    not applied."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import python_env

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, name, url()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=python_env(),
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = child.stdout.readline().split()
        assert ready[0] == "ready", ready
        token = int(ready[1])
        child.send_signal(signal.SIGSTOP)
        time.sleep(1.5)

        async def take() -> pyrosession.PostgresStorage:
            thief = pyrosession.PostgresStorage(name, url(), holder="thief", wait=5.0)
            await thief.open()
            return thief

        thief = asyncio.run(take())
        child.send_signal(signal.SIGCONT)
        child.stdin.write("go\n")
        child.stdin.flush()
        answer = child.stdout.readline().split()
        assert answer == ["refused", "lease_lost", str(token), "thief"], answer
        assert child.wait(timeout=30) == 0

        async def check() -> None:
            assert await thief.dc_id() == 2
            assert thief.lease().token > token
            await thief.close()

        asyncio.run(check())
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGCONT)
            child.kill()
            child.wait()


def test_a_forked_child_renews_its_own_leases(name: str) -> None:
    """The renewals of a process's leases are one thread per server (spec/postgres.md §5.2); a
    child made by ``fork`` has its parent's memory but not that thread, so its own leases must
    start one: a 1 s lease the child takes is still its own after 2.5 s."""
    import sys

    async def hold() -> pyrosession.PostgresStorage:
        parent = pyrosession.PostgresStorage(name, url(), holder="parent", ttl=30.0)
        await parent.open()
        return parent

    parent = asyncio.run(hold())
    other = f"pytest-{uuid.uuid4().hex[:12]}"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:

            async def child() -> None:
                s = pyrosession.PostgresStorage(other, url(), holder="child", ttl=1.0)
                await s.open()
                await asyncio.sleep(2.5)
                await s.dc_id(5)
                assert s.lease().expires_in > 0.3
                await s.delete()

            asyncio.run(child())
            code = 0
        except BaseException as e:  # the child reports and exits, never returns into pytest
            print(f"child: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)

    async def close() -> None:
        await parent.close()
        leftover = pyrosession.PostgresStorage(other, url(), wait=5.0)
        try:
            await leftover.delete()
        except pyrosession.PyrosessionError:
            pass

    asyncio.run(close())
    assert os.waitstatus_to_exitcode(status) == 0, "the child's lease was not renewed"


def test_the_lease_is_read_while_a_long_write_holds_the_storage(name: str) -> None:
    """``lease()`` is a plain method called on the event loop: it must answer at once while a
    large ``update_peers`` runs in the executor and holds the storage, not wait for its end."""

    async def body() -> None:
        s = pyrosession.PostgresStorage(name, url(), holder="worker-1", ttl=30.0)
        await s.open()
        try:
            batch = [(10_000_000 + i, i, "user", f"u{i}", None) for i in range(300_000)]
            write = asyncio.ensure_future(s.update_peers(batch))
            store = s._store
            assert store is not None
            # Until the write holds the storage: a non-blocking call then raises Busy.
            while not write.done():
                try:
                    store.field("dc_id", False)
                except pyrosession._native.Busy:
                    break
                await asyncio.sleep(0.001)
            assert not write.done(), "the write ended before it was seen holding the storage"
            loop = asyncio.get_running_loop()
            started = loop.time()
            lease = s.lease()
            took = loop.time() - started
            still_writing = not write.done()
            await write
            assert lease.holder == "worker-1" and 0 < lease.expires_in <= 30.0
            assert still_writing and took < 0.1, f"lease() took {took:.3f} s"
        finally:
            await s.close()

    asyncio.run(body())


def test_a_statement_past_its_timeout_raises_and_the_next_call_connects_again(name: str) -> None:
    """``statement_timeout`` reaches the crate: an upsert of 300,000 peers, which takes the
    server seconds, raises ``PostgresError`` (the server did not answer within 200 ms) and closes
    the connection; the next call connects again and answers (spec/postgres.md §2). A timeout
    under 1 ms is refused before the server is asked."""

    async def body() -> None:
        refused = pyrosession.PostgresStorage(name, url(), statement_timeout=0.0001)
        with pytest.raises(pyrosession.InvalidLeaseOptionsError, match="at least 1 ms"):
            await refused.open()
        s = pyrosession.PostgresStorage(name, url(), statement_timeout=0.2)
        await s.open()
        try:
            batch = [(10_000_000 + i, i, "user", f"u{i}", None) for i in range(300_000)]
            with pytest.raises(pyrosession.PostgresError) as raised:
                await s.update_peers(batch)
            assert "the server did not answer within 200 ms (the statement timeout)" in str(
                raised.value
            )
            assert await s.dc_id() == 2
            # The server runs the abandoned upsert to its end, holding the session's row: a
            # write waits for it (each try bounded, on a new connection), then succeeds.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60.0
            while True:
                try:
                    await s.save()
                    break
                except pyrosession.PostgresError:
                    assert loop.time() < deadline, "the session's row stayed locked for 60 s"
        finally:
            await s.close()

    asyncio.run(body())


LOCK_PEERS = """BEGIN;
LOCK TABLE pyrosession_peers IN ACCESS EXCLUSIVE MODE;
\\echo locked
SELECT pg_sleep(1.5);
COMMIT;
"""


@pytest.mark.skipif(shutil.which("psql") is None, reason="no psql to lock the peers table with")
def test_a_lookup_waiting_on_the_server_does_not_stall_the_loop(name: str) -> None:
    """Every call of a PostgreSQL storage is a round trip to the server, which may wait (here
    for another connection's lock on the peers table, held 1.5 s): it runs in the executor,
    and the event loop keeps running meanwhile. Before, a lookup ran on the loop with the
    interpreter held, and the loop stalled for the whole wait (1.52 s)."""

    async def body() -> None:
        s = pyrosession.PostgresStorage(name, url())
        await s.open()
        locker = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            await s.update_peers([(777, 5, "user", "alice", None)])
            assert locker.stdin is not None and locker.stdout is not None
            locker.stdin.write(LOCK_PEERS)
            locker.stdin.close()
            assert locker.stdout.readline() == "locked\n"
            loop = asyncio.get_running_loop()
            lookup = asyncio.ensure_future(s.get_peer_by_username("alice"))
            started = last = loop.time()
            stall = 0.0
            while not lookup.done():
                await asyncio.sleep(0.01)
                now = loop.time()
                stall, last = max(stall, now - last), now
            took = loop.time() - started
            assert (await lookup).user_id == 777
            assert took > 0.5, f"the lookup took {took:.3f} s: it did not wait for the lock"
            assert stall < took / 2, f"the loop stalled {stall:.3f} s during a {took:.3f} s lookup"
        finally:
            locker.wait(timeout=30)
            await s.close()

    asyncio.run(body())
