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
    report: str = pyrosession.inspect(Path("acct.session"), reveal_key=False)
    fields = pyrosession.inspect_json(string, strict=True)
    print(report, fields["format"])
    try:
        converted: pyrosession.Converted = pyrosession.convert(
            string, "telethon-file", Path("t.session"), force=True, telethon_version=7
        )
        written: Optional[Path] = converted.file
        notes: tuple[str, ...] = converted.notes
        print(written, notes, converted.peers)
    except pyrosession.MissingValuesError as e:
        print(e.kind, e.path)
    except pyrosession.ConvertError as e:
        print(e.message)
    passcode = bytearray(b"secret")
    try:
        folder: str = pyrosession.inspect(Path("tdata"), account=1, passcode=passcode)
        pyrosession.inspect_json(Path("tdata"), passcode_file=Path("passcode.txt"))
        pyrosession.convert(Path("tdata"), "pyrogram", passcode="secret", api_id=1, is_bot=False)
        pyrosession.convert(string, "tdata", Path("new-tdata"), user_id=42)
        pyrosession.convert(string, "tdata", Path("locked-tdata"), new_passcode=passcode, new_key_name="work")
        pyrosession.convert(string, "tdata", Path("locked-2"), new_passcode_file=Path("new-passcode.txt"))
        print(folder)
    except pyrosession.TdataPasscodeNeededError as e:
        print(e.kind, e.path)
    except (pyrosession.TdataWrongPasscodeError, pyrosession.TdataDamagedError) as e:
        print(e.message)
    except pyrosession.TdataKeyNameNotTelegramsError as e:
        print(e.message)
    finally:
        passcode[:] = bytes(len(passcode))

    fleet = pyrosession.PostgresStorage("acct", "postgresql://fleet@db/sessions", ttl=30.0)
    try:
        await fleet.open()
        lease: pyrosession.Lease = fleet.lease()
        token: int = lease.token
        print(token, lease.holder, lease.expires_in + 1.0)
        await fleet.close()
    except pyrosession.LeaseHeldError as e:
        holder: str = e.holder
        left: float = e.expires_in
        print(holder, left)
    except pyrosession.LeaseLostError as e:
        lost: int = e.token
        now: Optional[str] = e.holder
        print(lost, now)


asyncio.run(use())
