#!/usr/bin/env python3
"""Driver for TGConvertor's Pyrogram codec (spec/conformance.md §8): the `string_codec`,
`file_read` and `file_write` profiles.

    pyrosession conform --driver "{venv}/bin/python spec/drivers/tgconvertor.py"

in a venv holding `tgconvertor[pyrogram]==0.3.0` (.ci/run makes target/ci-venvs/tgconvertor-0.3.0).
What is driven is `TGConvertor.PyroSession`, the codec behind every Pyrogram conversion of the
package (`SessionManager.from_pyrogram_string`, `from_pyrogram_file`, `to_pyrogram_string`,
`to_pyrogram_file` and the `tgconvertor` command all go through it):

- decode_string: `PyroSession.from_string(s)`; read_file: `await PyroSession.from_file(path)`;
- encode_string: `PyroSession(**fields).to_string()`;
  write_file: `await PyroSession(**fields).to_file(path, backend="pyrogram")` (Pyrogram's
  version 3 schema; "kurigram" would write Kurigram's version 7).

A field the package gives as `None` is `null`. The package is offline; the driver makes sure, with
an audit hook that refuses every socket connection and name lookup before the package is imported.
"""

import asyncio
import json
import sys
from importlib.metadata import version


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                 "urllib.Request"):
        raise RuntimeError(f"the driver allows no network access ({event})")


sys.addaudithook(_no_network)

from TGConvertor import PyroSession, ValidationError  # noqa: E402  (after the hook)


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def fields_of(session, with_date):
    out = {
        "dc_id": session.dc_id,
        "api_id": session.api_id,
        "test_mode": bool(session.test_mode),
        "auth_key": session.auth_key.hex() if isinstance(session.auth_key, bytes) else session.auth_key,
        "user_id": session.user_id,
        "is_bot": bool(session.is_bot),
    }
    if with_date:
        out["date"] = session.date
    return out


def session_of(f):
    key = f.get("auth_key")
    return PyroSession(
        dc_id=f.get("dc_id"),
        auth_key=bytes.fromhex(key) if isinstance(key, str) else key,
        user_id=f.get("user_id"),
        is_bot=f.get("is_bot"),
        test_mode=f.get("test_mode"),
        api_id=f.get("api_id"),
    )


def decode_string(req):
    try:
        return fields_of(PyroSession.from_string(req["session_string"]), False)
    except Exception as e:  # every failure of the decoder rejects the string (§3.3)
        raise Failure("invalid_string", f"{type(e).__name__}: {e}") from None


def encode_string(req):
    try:
        return session_of(req["session"]).to_string()
    except ValidationError as e:
        raise Failure("missing_field", f"ValidationError: {e}") from None


def read_file(req):
    try:
        return fields_of(asyncio.run(PyroSession.from_file(req["path"])), True)
    except (ValidationError, OSError) as e:
        raise Failure("invalid_file", f"{type(e).__name__}: {e}") from None


def write_file(req):
    try:
        session = session_of(req["session"])
    except ValidationError as e:
        raise Failure("missing_field", f"ValidationError: {e}") from None
    try:
        asyncio.run(session.to_file(req["path"], backend="pyrogram"))
    except ValidationError as e:
        raise Failure("missing_field", f"ValidationError: {e}") from None
    except FileExistsError as e:
        raise Failure("invalid_file", f"FileExistsError: {e}") from None


OPS = {
    "hello": lambda req: {"implementation": f"tgconvertor {version('tgconvertor')}", "protocol": 2,
                          "profiles": ["string_codec", "file_read", "file_write"]},
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
        except Exception as e:  # noqa: BLE001 - a driver answers every request
            resp = {"id": req["id"], "error": {"kind": "other", "message": f"{type(e).__name__}: {e}"}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
