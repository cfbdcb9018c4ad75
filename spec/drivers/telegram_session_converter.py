#!/usr/bin/env python3
"""Driver for telegram-session-converter's Pyrogram code (spec/conformance.md §8): the
`string_codec` and `file_read` profiles (the package writes no Pyrogram session file).

    pyrosession conform --driver "{venv}/bin/python spec/drivers/telegram_session_converter.py"

in a venv holding `telegram-session-converter==0.1.3` (.ci/run makes
target/ci-venvs/telegram-session-converter-0.1.3). What is driven, all in
`session_converter.SessionManager`:

- decode_string: `SessionManager.from_pyrogram_string_session(s).session`;
- encode_string: `SessionManager(TDSession(**fields)).pyrogram_string_session(version=3)`;
- read_file: `SessionManager.from_pyrogram_session_file(path).session`.

Its `TDSession` has no unset fields: a legacy string's api_id is 0, and fields it is not given
are 0. The driver answers what the package holds. Nothing here reaches the network: an audit hook
refuses every socket connection and name lookup before the package is imported.
"""

import json
import sys
from importlib.metadata import version


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                 "urllib.Request"):
        raise RuntimeError(f"the driver allows no network access ({event})")


sys.addaudithook(_no_network)

from session_converter.session import SessionManager, TDSession  # noqa: E402  (after the hook)


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def fields_of(s, with_date):
    out = {"dc_id": s.dc_id, "api_id": s.api_id, "test_mode": bool(s.test_mode),
           "auth_key": s.auth_key.hex(), "user_id": s.user_id, "is_bot": bool(s.is_bot)}
    if with_date:
        out["date"] = s.date
    return out


def decode_string(req):
    try:
        return fields_of(SessionManager.from_pyrogram_string_session(req["session_string"]).session, False)
    except Exception as e:  # every failure of the decoder rejects the string (§3.3)
        raise Failure("invalid_string", f"{type(e).__name__}: {e}") from None


def encode_string(req):
    f = dict(req["session"])
    try:
        f["auth_key"] = bytes.fromhex(f["auth_key"]) if f.get("auth_key") is not None else None
        session = TDSession(**{k: v for k, v in f.items() if k != "date"})
        return SessionManager(session).pyrogram_string_session(version=3)
    except Exception as e:  # pydantic refuses a None; struct refuses a value out of range
        raise Failure("missing_field", f"{type(e).__name__}: {e}") from None


def read_file(req):
    try:
        return fields_of(SessionManager.from_pyrogram_session_file(req["path"]).session, True)
    except Exception as e:
        raise Failure("invalid_file", f"{type(e).__name__}: {e}") from None


OPS = {
    "hello": lambda req: {"implementation": f"telegram-session-converter {version('telegram-session-converter')}",
                          "protocol": 2, "profiles": ["string_codec", "file_read"]},
    "decode_string": decode_string,
    "encode_string": encode_string,
    "read_file": read_file,
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
