"""Checked by mypy --strict in CI, never run: the package's public API as a user's code uses it,
so that the stub and the annotations are held to what they promise."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import pyrosession


async def use() -> None:
    storage: pyrosession.Storage = pyrosession.FileStorage("acct", Path("."), wait=1.5)
    await storage.open()
    await storage.update_peers([(1, 2, "user", "name", None)])
    await storage.dc_id(2)
    string: str = await storage.export_session_string()
    try:
        await storage.get_peer_by_username("nobody")
    except pyrosession.NotFoundError as e:
        kind: str = e.kind
        path: Optional[Path] = e.path
        print(kind, path)
    except pyrosession.InUseError as e:
        print(e.message)
    await storage.close()
    decoded: pyrosession.Decoded = pyrosession.decode(string)
    warnings = [w.kind for w in decoded.warnings]
    again: str = pyrosession.encode(decoded.session, decoded.format)
    print(warnings, again, decoded.session.auth_key_id)
    memory = pyrosession.MemoryStorage("m", string)
    await memory.open()


asyncio.run(use())
