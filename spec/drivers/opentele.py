#!/usr/bin/env python3
"""Driver for opentele-ng's Pyrogram conversion (spec/conformance.md §8): the `string_codec`,
`file_read` and `file_write` profiles.

    pyrosession conform --driver "{venv}/bin/python spec/drivers/opentele.py"

in a venv holding `opentele-ng[pyrogram]==1.5.0` (its extra brings pyrofork; .ci/run pins
`pyrofork==2.3.69` and makes target/ci-venvs/opentele-ng-1.5.0). opentele-ng implements no
Pyrogram format itself: its bridge, `opentele.tl.pyrogram_bridge`, goes through the installed
Pyrogram distribution's own storage, and so does what that distribution does. The `hello` name
therefore carries the distribution: `opentele-ng 1.5.0 (pyrofork 2.3.69)`. What is driven:

- decode_string: `read_credentials(pyrogram.Client(name, session_string=s, in_memory=True))`, the
  read of `Account.FromPyrogram` / `TDesktop.FromPyrogram`;
- encode_string: `export_session_string(api_id, dc_id, auth_key, user_id, test_mode=, is_bot=)`;
- write_file: `make_client(api, dc_id, auth_key, user_id, name, in_memory=False, workdir=folder)`,
  the file path of `Account.ToPyrogram(in_memory=False)`, with `api` an `APIData` of the api_id;
- read_file: `read_credentials(pyrogram.Client(name, workdir=folder))`.

`read_credentials` gives no `api_id` nor `date`, so the driver leaves them out of its answers;
`make_client` takes no `test_mode` nor `is_bot`, so the driver cannot pass them (both are written
false). Nothing here reaches the network: an audit hook refuses every socket connection and name
lookup before the package is imported, and no client is ever connected.
"""

import asyncio
import json
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                 "urllib.Request"):
        raise RuntimeError(f"the driver allows no network access ({event})")


sys.addaudithook(_no_network)
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
logging.disable(logging.CRITICAL)

import pyrogram  # noqa: E402  (after the hook)
from opentele.api import APIData  # noqa: E402
from opentele.exception import OpenTeleException  # noqa: E402  (a BaseException, not an Exception)
from opentele.tl import pyrogram_bridge as bridge  # noqa: E402

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)
COUNTER = [0]


def backend():
    for dist in ("pyrofork", "kurigram", "pyrotgfork", "pyrogram"):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    return "no pyrogram"


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def name():
    COUNTER[0] += 1
    return f"opentele-driver-{COUNTER[0]}"


def credentials(client):
    creds = LOOP.run_until_complete(bridge.read_credentials(client))
    return {
        "dc_id": creds.dc_id,
        "test_mode": creds.test_mode,
        "auth_key": creds.auth_key.hex(),
        "user_id": creds.user_id,
        "is_bot": creds.is_bot,
    }


def decode_string(req):
    s = req["session_string"]
    try:
        if not s:  # Client(session_string="") would open an empty storage
            raise ValueError("empty session string")
        return credentials(pyrogram.Client(name(), session_string=s, in_memory=True))
    except (Exception, OpenTeleException) as e:  # every failure of the read rejects the string (§3.3)
        raise Failure("invalid_string", f"{type(e).__name__}: {e}") from None


def encode_string(req):
    f = req["session"]
    try:
        return LOOP.run_until_complete(bridge.export_session_string(
            api_id=f["api_id"], dc_id=f["dc_id"], auth_key=bytes.fromhex(f["auth_key"]),
            user_id=f["user_id"], test_mode=f["test_mode"], is_bot=f["is_bot"]))
    except Exception as e:  # Pyrogram packs NULL fields: struct.error, TypeError
        raise Failure("missing_field", f"{type(e).__name__}: {e}") from None


def split(path):
    p = Path(path)
    if p.suffix != ".session":
        raise Failure("other", "the path must end in .session")
    return p.stem, str(p.parent)


def write_file(req):
    f = req["session"]
    stem, folder = split(req["path"])
    # Every member a Client needs; only api_id reaches the file.
    api = APIData(api_id=f["api_id"], api_hash="0" * 32, device_model="pyrosession", system_version="1",
                  app_version="1", lang_code="en", system_lang_code="en", lang_pack="tdesktop")
    try:
        LOOP.run_until_complete(bridge.make_client(
            api, f["dc_id"], bytes.fromhex(f["auth_key"]), f["user_id"], name=stem,
            in_memory=False, workdir=folder))
    except FileExistsError as e:
        raise Failure("invalid_file", f"FileExistsError: {e}") from None


def read_file(req):
    stem, folder = split(req["path"])
    client = pyrogram.Client(stem, workdir=folder)
    try:
        return credentials(client)
    except (Exception, OpenTeleException) as e:
        conn = getattr(client.storage, "conn", None)
        if conn is not None:  # a failed open leaves the connection open
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        raise Failure("invalid_file", f"{type(e).__name__}: {e}") from None


OPS = {
    "hello": lambda req: {"implementation": f"opentele-ng {version('opentele-ng')} ({backend()})",
                          "protocol": 2, "profiles": ["string_codec", "file_read", "file_write"]},
    "decode_string": decode_string,
    "encode_string": encode_string,
    "read_file": read_file,
    "write_file": write_file,
}


def serve():
    for line in sys.stdin:
        req = json.loads(line)
        try:
            op = OPS.get(req["op"])
            if op is None:
                raise Failure("unsupported", f"unknown operation {req['op']}")
            resp = {"id": req["id"], "ok": op(req)}
        except Failure as e:
            resp = {"id": req["id"], "error": {"kind": e.kind, "message": str(e)}}
        except (Exception, OpenTeleException) as e:  # noqa: BLE001 - a driver answers every request
            resp = {"id": req["id"], "error": {"kind": "other", "message": f"{type(e).__name__}: {e}"}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
