"""The session-string codec from Python (spec/session-string.md), on the spec's examples."""

from __future__ import annotations

from typing import List

import pytest

import pyrosession

from conftest import example


def test_decode_strict_reads_a_canonical_string() -> None:
    s = example("v2.txt")
    decoded = pyrosession.decode(s, strict=True)
    assert decoded.format == "v2"
    assert decoded.session.api_id == 12345
    assert decoded.session.dc_id == 2
    assert len(decoded.session.auth_key) == 256
    assert decoded.warnings == ()


def test_decode_gives_pyrogram_s_verdict_with_warnings() -> None:
    s = example("v2.txt")
    decoded = pyrosession.decode(s + "==")
    assert decoded.session == pyrosession.decode(s, strict=True).session
    assert [w.kind for w in decoded.warnings] == ["padding"]
    assert "offset 362" in str(decoded.warnings[0])
    with pytest.raises(pyrosession.InvalidCharacterError) as info:
        pyrosession.decode(s + "==", strict=True)
    assert info.value.kind == "invalid_character"
    assert isinstance(info.value, ValueError)


def test_a_rejected_string_says_what_pyrogram_raises() -> None:
    with pytest.raises(pyrosession.WrongByteLengthError) as info:
        pyrosession.decode(example("v2.txt")[:300])
    assert info.value.pyrogram_error == "struct.error: unpack requires a buffer of 271 bytes"
    assert str(info.value).startswith("decoded 225 bytes where the v2 layout")
    with pytest.raises(pyrosession.EmptyStringError):
        pyrosession.decode("")


def test_encode_gives_the_canonical_string_back_in_each_layout() -> None:
    for name, fmt in (("v2.txt", "v2"), ("legacy64.txt", "legacy64"), ("legacy32.txt", "legacy32")):
        s = example(name)
        decoded = pyrosession.decode(s, strict=True)
        assert decoded.format == fmt
        assert pyrosession.encode(decoded.session, fmt) == s


def test_encode_refuses_what_the_layout_cannot_hold() -> None:
    session = pyrosession.decode(example("legacy32.txt")).session
    assert session.api_id is None
    with pytest.raises(pyrosession.MissingApiIdError) as info:
        pyrosession.encode(session, "v2")
    assert str(info.value) == "the session has no api_id, which the v2 format requires"
    with pytest.raises(ValueError):
        pyrosession.encode(session, "v3")


def test_a_session_s_repr_names_the_key_by_its_id_only() -> None:
    session = pyrosession.decode(example("v2.txt")).session
    text = repr(session)
    assert session.auth_key_id in text and len(session.auth_key_id) == 16
    assert session.auth_key.hex() not in text
    assert repr(session.auth_key) not in text


def _with(**changes: object) -> pyrosession.Session:
    session = pyrosession.decode(example("v2.txt")).session
    names = ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot")
    fields = {f: getattr(session, f) for f in names}
    fields.update(changes)
    return pyrosession.Session(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [None, "a session string", 5, object()])
def test_encode_of_no_session_is_a_type_error(given: object) -> None:
    with pytest.raises(TypeError, match="Session"):
        pyrosession.encode(given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes, error, words",
    [
        ({"dc_id": 256}, ValueError, "dc_id"),
        ({"dc_id": -1}, ValueError, "dc_id"),
        ({"api_id": 2**32}, ValueError, "api_id"),
        ({"api_id": -1}, ValueError, "api_id"),
        ({"user_id": -1}, pyrosession.UserIdOutOfRangeError, "user id -1"),
        ({"user_id": 2**64}, pyrosession.UserIdOutOfRangeError, "user id 18446744073709551616"),
        ({"user_id": 2**70}, pyrosession.UserIdOutOfRangeError, "does not fit the v2 format"),
    ],
)
def test_encode_of_a_field_out_of_its_range_is_a_value_error(
    changes: dict, error: type, words: str
) -> None:
    """Each field out of what the layout holds raises ``ValueError`` naming it (a user id the
    ``UserIdOutOfRangeError`` the crate raises for one beyond the layout's maximum), never
    ``OverflowError``."""
    with pytest.raises(error, match=words) as info:
        pyrosession.encode(_with(**changes), "v2")
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, OverflowError)


def test_the_user_id_limits_are_the_crate_s() -> None:
    """The package's own check (for user ids the compiled module cannot take) says what the
    crate says of the first id beyond each layout's maximum."""
    for fmt, highest in (("v2", 2**63 - 1), ("legacy64", 2**63 - 1), ("legacy32", 2**32 - 1)):
        pyrosession.encode(_with(user_id=highest), fmt)
        with pytest.raises(pyrosession.UserIdOutOfRangeError, match=f"at most {highest}"):
            pyrosession.encode(_with(user_id=highest + 1), fmt)
        with pytest.raises(pyrosession.UserIdOutOfRangeError, match=f"at most {highest}"):
            pyrosession.encode(_with(user_id=2**64), fmt)


@pytest.mark.parametrize("key", [b"", b"short", bytes(255), bytes(257), "not bytes", None])
def test_the_repr_of_a_session_with_a_wrong_key_neither_raises_nor_shows_it(key: object) -> None:
    session = _with(auth_key=key)
    text = repr(session)
    assert text.startswith("Session(dc_id=2,")
    assert "auth_key_id" not in text
    if isinstance(key, bytes) and key:
        assert key.hex() not in text and repr(key) not in text


def _chain_text(e: BaseException) -> str:
    """Everything an exception shows or carries: its str, repr, args, attributes, and the
    same of its cause and context."""
    shown = []
    seen: BaseException | None = e
    while seen is not None:
        shown += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        shown.append(repr(getattr(seen, "object", "")))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(shown)


def test_a_session_string_with_a_lone_surrogate_raises_without_the_string() -> None:
    """A lone surrogate (no UTF-8 holds it) in a session string: the string is refused as any
    string with a character outside ASCII is (``NonAsciiError``, Pyrogram's ``ValueError``),
    and the exception carries no part of the string, whose bytes are the auth key. It raised
    ``UnicodeEncodeError``, whose repr and ``object`` held the whole string."""
    import asyncio

    s = example("v2.txt")
    for bad in (s[:-1] + "\ud800", s[:100] + "\udfff" + s[101:]):
        key_text = bad[10:60]
        calls = [
            lambda: pyrosession.decode(bad),
            lambda: pyrosession.decode(bad, strict=True),
            lambda: asyncio.run(pyrosession.MemoryStorage("m", bad).open()),
            lambda: asyncio.run(pyrosession.storage_named(bad).open()),
            lambda: pyrosession.inspect(bad),
            lambda: pyrosession.inspect_json(bad),
            lambda: pyrosession.convert(bad, "telethon"),
        ]
        for call in calls:
            with pytest.raises(pyrosession.DecodeError) as info:
                call()
            assert not isinstance(info.value, UnicodeError)
            assert key_text not in _chain_text(info.value)


def test_no_object_or_exception_the_package_returns_shows_the_key() -> None:
    """repr and str of what the package returns for a session (decoded, converted, a storage
    holding it, the warnings) and of the exceptions raised for damaged copies of its string:
    no key bytes, no key hex, no run of the string."""
    import asyncio
    import base64

    s = example("v2.txt")
    key = pyrosession.decode(s).session.auth_key
    secrets = [key.hex(), key.hex().upper(), repr(key)[2:40], s[20:60]]
    secrets += [base64.urlsafe_b64encode(key).decode()[8:48], base64.b64encode(key).decode()[8:48]]
    storage = pyrosession.MemoryStorage("m", s)
    asyncio.run(storage.open())
    shown: List[object] = [
        pyrosession.decode(s),
        pyrosession.decode(s + "=="),
        pyrosession.decode(s + "==").warnings[0],
        pyrosession.decode(s).session,
        pyrosession.convert(s, "telethon"),
        pyrosession.convert(s, "gramjs"),
        storage,
        storage._store,
    ]
    for damaged in (s[:-1], s[:-3], s + "A", s[:50] + "!" + s[51:], s[:50] + "é" + s[51:], s[:300]):
        for strict in (False, True):
            try:
                pyrosession.decode(damaged, strict=strict)
            except pyrosession.DecodeError as e:
                shown.append(e)
    assert len(shown) > 14
    for thing in shown:
        for text in (repr(thing), str(thing)):
            assert not any(secret in text for secret in secrets), text
    asyncio.run(storage.close())
