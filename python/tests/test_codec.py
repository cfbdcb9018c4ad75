"""The session-string codec from Python (spec/session-string.md), on the spec's examples."""

from __future__ import annotations

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
