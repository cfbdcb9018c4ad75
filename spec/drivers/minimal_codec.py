#!/usr/bin/env python3
"""A complete minimal driver for the `string_codec` profile (spec/conformance.md §8).

The implementation it drives is its own few lines of Pyrogram 2.0.106's string codec, written
with nothing but the standard library, so that it runs anywhere Python 3.8+ does:

    pyrosession conform --driver "python3 spec/drivers/minimal_codec.py"

Copy it, keep `serve` and the shape of each operation, and replace `decode` and `encode` with
calls into your implementation. CI runs it through the suite; it agrees with Pyrogram on every
string of the corpus and passes every `string_codec` scenario.
"""

import base64
import binascii
import json
import struct
import sys

V2 = ">BI?256sQ?"          # dc_id, api_id, test_mode, auth_key, user_id, is_bot (271 bytes)
LEGACY32 = ">B?256sI?"     # 263 bytes, chosen by a 351-character string
LEGACY64 = ">B?256sQ?"     # 267 bytes, chosen by a 356-character string


class Failure(Exception):
    """A failure whose kind (spec/conformance.md §3.3) is known."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def decode(s):
    """The six fields of a session string, as Pyrogram's MemoryStorage.open reads them."""
    if not s:
        raise Failure("invalid_string", "the empty string holds no session")
    layout = {351: LEGACY32, 356: LEGACY64}.get(len(s), V2)
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        fields = struct.unpack(layout, raw)
    except (ValueError, binascii.Error, struct.error) as e:
        raise Failure("invalid_string", f"{type(e).__name__}: {e}") from None
    if layout == V2:
        dc_id, api_id, test_mode, auth_key, user_id, is_bot = fields
    else:
        (dc_id, test_mode, auth_key, user_id, is_bot), api_id = fields, None
    if user_id >= 2**63:  # Pyrogram stores it in SQLite, which refuses it
        raise Failure("invalid_string", "user_id does not fit a signed 64-bit integer")
    return {
        "dc_id": dc_id, "api_id": api_id, "test_mode": test_mode, "auth_key": auth_key.hex(),
        "user_id": user_id, "is_bot": is_bot,
        "format": {V2: "v2", LEGACY32: "legacy32", LEGACY64: "legacy64"}[layout],
    }


def encode(session):
    """The v2 string of six fields, as Pyrogram's export_session_string writes it."""
    for field in ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot"):
        if session.get(field) is None:
            raise Failure("missing_field", f"{field} is not set")
    try:
        packed = struct.pack(V2, session["dc_id"], session["api_id"], session["test_mode"],
                             bytes.fromhex(session["auth_key"]), session["user_id"], session["is_bot"])
    except (ValueError, struct.error) as e:
        raise Failure("missing_field", f"{type(e).__name__}: {e}") from None
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


OPS = {
    "hello": lambda req: {"implementation": "minimal-codec-py 1.0", "protocol": 2,
                          "profiles": ["string_codec"]},
    "decode_string": lambda req: decode(req["session_string"]),
    "encode_string": lambda req: encode(req["session"]),
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
            resp = {"id": req["id"], "error": {"kind": "other", "message": repr(e)}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
