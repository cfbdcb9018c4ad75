#!/usr/bin/env python3
"""Real Pyrogram's verdict on session strings: the oracle of spec/session-string.md.

Every verdict here comes from running Pyrogram itself: a string is given to
``pyrogram.storage.MemoryStorage(name, session_string)`` and opened, exactly as
``Client(session_string=...)`` does; the fields are then read back through the
storage's own accessors, or the exception Pyrogram raised is recorded as
``Type: message``. Nothing touches the network.

Usage:
    python pyrogram_strings.py serve            # JSON lines: {"id", "input"} -> verdicts
    python pyrogram_strings.py vectors OUT.json # writes spec/vectors/session_string.json

Run it in a venv holding ``pyrogram==2.0.106`` (see .ci/run).
"""

import asyncio
import base64
import json
import logging
import platform
import random
import struct
import sys

import pyrogram
from pyrogram.storage import MemoryStorage, Storage

logging.disable(logging.CRITICAL)  # Pyrogram logs a warning for legacy strings
LOOP = asyncio.new_event_loop()


def error_text(e):
    kind = type(e)
    module = kind.__module__
    name = kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"
    return f"{name}: {e}"


def layout_of(s):
    """The layout Pyrogram 2.0.106 picks, by its own constants (memory_storage.py)."""
    if len(s) == Storage.SESSION_STRING_SIZE:
        return "legacy32"
    if len(s) == Storage.SESSION_STRING_SIZE_64:
        return "legacy64"
    return "v2"


async def _verdict(s):
    storage = MemoryStorage("oracle", s)
    try:
        await storage.open()
        if not s:
            # An empty string is no session string: Pyrogram opens an empty storage.
            return {"accepted": False, "error": None, "empty_storage": True}
        key = await storage.auth_key()
        return {
            "accepted": True,
            "format": layout_of(s),
            "dc_id": await storage.dc_id(),
            "api_id": await storage.api_id(),
            "test_mode": bool(await storage.test_mode()),
            "auth_key": key.hex(),
            "user_id": await storage.user_id(),
            "is_bot": bool(await storage.is_bot()),
        }
    except Exception as e:  # the verdict is whatever Pyrogram raised
        return {"accepted": False, "error": error_text(e)}
    finally:
        if storage.conn is not None:
            await storage.close()


def verdict(s):
    return LOOP.run_until_complete(_verdict(s))


async def _export(dc_id, api_id, test_mode, key, user_id, is_bot):
    """A v2 string made by Pyrogram's own export_session_string."""
    storage = MemoryStorage("export")
    await storage.open()
    try:
        await storage.dc_id(dc_id)
        await storage.api_id(api_id)
        await storage.test_mode(test_mode)
        await storage.auth_key(key)
        await storage.user_id(user_id)
        await storage.is_bot(is_bot)
        return await storage.export_session_string()
    finally:
        await storage.close()


def export(*fields):
    return LOOP.run_until_complete(_export(*fields))


def pack_legacy(fmt, dc_id, test_mode, key, user_id, is_bot):
    """A legacy string as Pyrogram 1.x's export wrote it, with 2.0.106's own format constants."""
    raw = struct.pack(fmt, dc_id, test_mode, key, user_id, is_bot)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def raw_v2(dc_id, api_id, test_byte, key, user_id, bot_byte):
    """A v2 string with arbitrary boolean bytes and user id (Pyrogram cannot export these)."""
    raw = struct.pack(">BIB256sQB", dc_id, api_id, test_byte, key, user_id, bot_byte)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def canonical(s, v):
    """Whether s is the canonical string of what Pyrogram read from it."""
    if not v["accepted"]:
        return False
    key = bytes.fromhex(v["auth_key"])
    if v["format"] == "v2":
        again = raw_v2(v["dc_id"], v["api_id"], v["test_mode"], key, v["user_id"], v["is_bot"])
    else:
        fmt = Storage.OLD_SESSION_STRING_FORMAT if v["format"] == "legacy32" else Storage.OLD_SESSION_STRING_FORMAT_64
        again = pack_legacy(fmt, v["dc_id"], v["test_mode"], key, v["user_id"], v["is_bot"])
    return again == s


def cases():
    """(name, description, input) for every vector."""
    rng = random.Random(20261124)
    example = bytes(range(256))
    keys = [bytes(rng.getrandbits(8) for _ in range(256)) for _ in range(4)]
    old32, old64 = Storage.OLD_SESSION_STRING_FORMAT, Storage.OLD_SESSION_STRING_FORMAT_64

    v2 = export(2, 12345, False, example, 123456789, False)
    l32 = pack_legacy(old32, 2, False, example, 123456789, False)
    l64 = pack_legacy(old64, 2, False, example, 123456789, False)
    yield "v2_worked_example", "the reference's worked example, exported by Pyrogram", v2
    yield "legacy32_worked_example", "the worked example in the 0.15-1.4 layout", l32
    yield "legacy64_worked_example", "the worked example in the 1.3-1.4 64-bit layout", l64
    for i, key in enumerate(keys):
        yield f"v2_random_key_{i}", "random key, exported by Pyrogram", export(1 + i, 100000 + i, i % 2 == 1, key, 10**9 + i, i >= 2)
    yield "v2_dc_0", "dc_id 0", export(0, 1, False, keys[0], 1, False)
    yield "v2_dc_255", "dc_id 255", export(255, 1, False, keys[0], 1, False)
    yield "v2_api_id_0", "api_id 0", export(2, 0, False, keys[1], 5, False)
    yield "v2_api_id_max", "api_id 2^32-1", export(2, 2**32 - 1, False, keys[1], 5, False)
    yield "v2_user_id_0", "user_id 0", export(2, 7, False, keys[1], 0, False)
    yield "v2_user_id_2_31_minus_1", "user_id 2^31-1", export(2, 7, False, keys[1], 2**31 - 1, False)
    yield "v2_user_id_i64_max", "user_id 2^63-1, the largest SQLite holds", export(2, 7, False, keys[1], 2**63 - 1, False)
    yield "v2_test_mode_bot", "test_mode and is_bot set", export(3, 7, True, keys[2], 42, True)
    yield "v2_zero_key", "an all-zero key", export(2, 7, False, bytes(256), 42, False)
    yield "v2_ff_key", "an all-0xff key", export(2, 7, False, b"\xff" * 256, 42, False)
    yield "legacy32_user_id_u32_max", "user_id 2^32-1 in 32 bits", pack_legacy(old32, 4, True, keys[3], 2**32 - 1, True)
    yield "legacy64_user_id_i64_max", "user_id 2^63-1 in the 64-bit legacy layout", pack_legacy(old64, 5, False, keys[3], 2**63 - 1, False)
    yield "legacy64_small_user_id", "a 64-bit legacy string with a small user id", pack_legacy(old64, 1, False, keys[3], 1, True)

    # Accepted, not canonical.
    yield "v2_padding_2", "two '=' appended", v2 + "=="
    yield "v2_padding_4", "four '=' appended", v2 + "===="
    yield "v2_standard_alphabet", "'-' and '_' replaced by '+' and '/'", v2.replace("-", "+").replace("_", "/")
    yield "v2_test_mode_byte_2", "test_mode byte 2", raw_v2(2, 7, 2, keys[0], 42, 0)
    yield "v2_is_bot_byte_255", "is_bot byte 255", raw_v2(2, 7, 0, keys[0], 42, 255)
    yield "v2_trailing_bits", "last character with non-zero trailing bits", v2[:-1] + "B"
    yield "v2_two_spaces_and_newline", "'  ' before and a newline after: the ignored characters restore the padding count", "  " + v2 + "\n"
    yield "v2_padding_then_junk", "'==' then text Pyrogram never reads", v2 + "==junk"
    yield "v2_inner_newlines", "line breaks every 64 characters, plus two more", "\n".join(v2[i:i + 64] for i in range(0, 362, 64)) + "\n\n"
    yield "legacy32_nul_ignored", "a NUL character inside (352 characters, read as v2)", l32[:100] + "\x00" + l32[100:]

    # Rejected.
    yield "empty", "the empty string", ""
    yield "v2_user_id_2_63", "user_id 2^63 does not fit SQLite", raw_v2(2, 7, 0, keys[0], 2**63, 0)
    yield "v2_user_id_u64_max", "user_id 2^64-1", raw_v2(2, 7, 0, keys[0], 2**64 - 1, 0)
    yield "legacy64_user_id_2_63", "user_id 2^63 in the 64-bit legacy layout", pack_legacy(old64, 2, False, keys[0], 2**63, False)
    yield "v2_truncated_361", "the last character cut", v2[:-1]
    yield "v2_truncated_360", "the last two characters cut", v2[:-2]
    yield "v2_truncated_300", "cut to 300 characters", v2[:300]
    yield "v2_extended", "one character appended", v2 + "A"
    yield "v2_leading_space", "a leading space", " " + v2
    yield "v2_trailing_newline", "a trailing newline", v2 + "\n"
    yield "legacy32_padded", "a legacy32 string with its '=' kept (352 characters)", l32 + "="
    yield "v2_non_ascii", "an accented letter inside", v2[:10] + "\u00e9" + v2[11:]
    yield "v2_emoji", "an emoji appended", v2 + "\U0001f511"
    telethon = base64.urlsafe_b64encode(struct.pack(">B4sH256s", 2, bytes([149, 154, 167, 51]), 443, keys[0])).decode()
    yield "telethon_ipv4", "a Telethon StringSession (IPv4)", "1" + telethon
    telethon6 = base64.urlsafe_b64encode(struct.pack(">B16sH256s", 2, bytes.fromhex("2001067c04e8f002000000000000000a"), 443, keys[0])).decode()
    yield "telethon_ipv6", "a Telethon StringSession (IPv6)", "1" + telethon6
    addr = b"149.154.167.51"
    gramjs = base64.b64encode(struct.pack(f">BH{len(addr)}sh256s", 4, len(addr), addr, 443, keys[1])).decode()
    yield "gramjs", "a GramJS StringSession", "1" + gramjs
    yield "not_base64", "plain text", "hello world"
    yield "single_char", "one character", "A"


def provenance():
    return (
        f"Generated by spec/oracle/pyrogram_strings.py with pyrogram {pyrogram.__version__} "
        f"(PyPI) on Python {platform.python_version()}: each input was opened with "
        "pyrogram.storage.MemoryStorage(name, input).open() and its fields read back, or "
        "Pyrogram's exception recorded as 'Type: message'. v2 inputs marked 'exported' were "
        "made by Pyrogram's own export_session_string; legacy inputs are struct.pack with "
        "Storage.OLD_SESSION_STRING_FORMAT(_64), as Pyrogram 1.x wrote them."
    )


def write_vectors(path):
    out = [provenance()]
    names = set()
    for name, description, s in cases():
        assert name not in names, name
        names.add(name)
        v = verdict(s)
        out.append({"name": name, "description": description, "input": s, "canonical": canonical(s, v), "pyrogram": v})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")


def serve():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        resp = verdict(req["input"])
        resp["id"] = req["id"]
        sys.stdout.write(json.dumps(resp) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    if pyrogram.__version__ != "2.0.106":
        sys.exit(f"this oracle is for pyrogram 2.0.106, found {pyrogram.__version__}")
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["vectors"] and len(sys.argv) == 3:
        write_vectors(sys.argv[2])
    else:
        sys.exit(__doc__)
