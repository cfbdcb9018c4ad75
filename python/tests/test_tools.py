"""inspect and convert from Python: the command's reports and files, and exceptions of the
crate's error kinds (spec/json-output.md, spec/conversions.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any, List, Optional

import pytest

import pyrosession
from pyrosession import _errors, _native

from conftest import ROOT, example

FIXTURES = ROOT / "spec" / "fixtures"


def command() -> Optional[Path]:
    """The `pyrosession` command built from this tree (`cargo test` builds it), or
    PYROSESSION_BIN."""
    given = os.environ.get("PYROSESSION_BIN")
    path = Path(given) if given else ROOT / "target" / "debug" / "pyrosession"
    return path if path.is_file() else None


needs_command = pytest.mark.skipif(
    command() is None, reason="no pyrosession command: cargo build --bin pyrosession"
)


def run_command(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    bin = command()
    assert bin is not None
    return subprocess.run([str(bin), *args], capture_output=True, text=True, timeout=60)


STRINGS = ["v2.txt", "legacy64.txt", "legacy32.txt", "telethon.txt", "v2-padded.txt"]
FILES = [
    "pyrogram-2.0.106.session",
    "pyrofork-2.3.69.session",
    "kurigram-2.2.26.session",
    "hydrogram-0.2.0.session",
]


def copy(tmp_path: Path, name: str) -> Path:
    """A fixture copied aside (inspect opens files read-only; the copy keeps the fixture safe
    whatever happens)."""
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


@needs_command
@pytest.mark.parametrize("name", STRINGS)
def test_inspect_of_a_string_is_the_command_s_report(name: str) -> None:
    text = example(name)
    out = run_command("inspect", text)
    assert out.returncode in (0, 3), out.stderr
    assert pyrosession.inspect(text) == out.stdout
    out = run_command("inspect", "--json", text)
    assert pyrosession.inspect_json(text) == json.loads(out.stdout)
    out = run_command("inspect", "--reveal-key", text)
    assert pyrosession.inspect(text, reveal_key=True) == out.stdout


@needs_command
@pytest.mark.parametrize("name", FILES)
def test_inspect_of_a_file_is_the_command_s_report(tmp_path: Path, name: str) -> None:
    path = copy(tmp_path, name)
    before = path.read_bytes()
    out = run_command("inspect", str(path))
    assert out.returncode in (0, 3), out.stderr
    assert pyrosession.inspect(path) == out.stdout
    out = run_command("inspect", "--json", str(path))
    report = pyrosession.inspect_json(path)
    assert report == json.loads(out.stdout)
    assert report["schema"] == 1
    assert path.read_bytes() == before, "inspect changed the file"


@needs_command
def test_inspect_of_a_text_file_holding_a_string_is_the_command_s_report(tmp_path: Path) -> None:
    text = tmp_path / "string.txt"
    text.write_text(example("v2.txt") + "\n")
    assert pyrosession.inspect(text) == pyrosession.inspect(example("v2.txt"))
    assert pyrosession.inspect(text) == run_command("inspect", str(text)).stdout


def test_inspect_reports_a_string_as_the_json_interface_says() -> None:
    report = pyrosession.inspect_json(example("v2.txt"))
    assert report["format"] == "v2" and report["dc_id"] == 2 and report["user_id"] == 123456789
    assert "auth_key" not in report and len(report["auth_key_id"]) == 16
    strict = pyrosession.inspect_json(example("v2-padded.txt"), strict=False)
    assert strict["warnings"], "a padded string is reported with its warning"
    with pytest.raises(pyrosession.DecodeError):
        pyrosession.inspect(example("v2-padded.txt"), strict=True)


def test_inspect_of_what_is_no_session_raises_the_kind_s_class(tmp_path: Path) -> None:
    with pytest.raises(pyrosession.EmptyStringError) as empty:
        pyrosession.inspect("")
    assert empty.value.kind == "empty_string"
    with pytest.raises(pyrosession.WrongByteLengthError) as short:
        pyrosession.inspect(example("v2.txt")[:100])
    assert short.value.kind == "wrong_byte_length"
    assert short.value.pyrogram_error == "struct.error: unpack requires a buffer of 271 bytes"
    text = tmp_path / "notes.session"
    text.write_text("these are not the sessions you are looking for\n" * 20)
    # A text file holds a string, as the command reads it: the string's error, naming the file.
    with pytest.raises(pyrosession.DecodeError) as other:
        pyrosession.inspect(text)
    assert other.value.path == text and str(other.value).startswith(f"{text}: ")
    broken = tmp_path / "broken.json"
    broken.write_text('{"dc_id": 2, "auth_key": ')
    with pytest.raises(pyrosession.InvalidJsonSessionError) as json_error:
        pyrosession.inspect(broken)
    assert json_error.value.kind == "invalid_json_session" and json_error.value.path == broken
    with pytest.raises(pyrosession.NoSuchFileError) as missing:
        pyrosession.inspect(tmp_path / "nothing.session")
    assert missing.value.kind == "no_such_file"
    with pytest.raises(TypeError):
        pyrosession.inspect(b"bytes")  # type: ignore[arg-type]


def test_convert_to_each_string_target_gives_the_command_s_string() -> None:
    v2 = example("v2.txt")
    for target in ("pyrogram", "telethon", "gramjs"):
        converted = pyrosession.convert(v2, target)
        assert converted.to == target and converted.file is None and converted.dc_id == 2
        assert converted.session_string and converted.session_string not in repr(converted)
        if command() is not None:
            out = run_command("convert", "--json", v2, "--to", target)
            made = json.loads(out.stdout)
            assert made["session_string"] == converted.session_string
            assert list(converted.notes) == made["notes"]
    assert pyrosession.convert(v2, "pyrogram").session_string == v2
    telethon = pyrosession.convert(v2, "telethon").session_string
    assert telethon is not None
    back = pyrosession.convert(
        telethon, "pyrogram", api_id=12345, user_id=123456789, is_bot=False
    )
    assert back.session_string == v2


def test_convert_to_file_targets_writes_files_of_mode_0600(tmp_path: Path) -> None:
    source = copy(tmp_path, "pyrofork-2.3.69.session")
    pyrogram_file = tmp_path / "out.session"
    made = pyrosession.convert(source, "pyrogram-file", pyrogram_file)
    assert made.file == pyrogram_file and made.session_string is None
    assert made.peers is not None and made.peers > 0
    assert stat.S_IMODE(pyrogram_file.stat().st_mode) == 0o600
    conn = sqlite3.connect(pyrogram_file)
    try:
        assert conn.execute("SELECT count(*) FROM peers").fetchone()[0] == made.peers
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert pyrosession.inspect_json(pyrogram_file)["peers"] == made.peers

    telethon_file = tmp_path / "telethon.session"
    made = pyrosession.convert(source, "telethon-file", telethon_file)
    assert made.file == telethon_file and stat.S_IMODE(telethon_file.stat().st_mode) == 0o600
    assert pyrosession.inspect_json(telethon_file)["input"] == "telethon-file"

    # Never over an existing file, unless forced; never over the source.
    with pytest.raises(pyrosession.AlreadyExistsError) as exists:
        pyrosession.convert(source, "pyrogram-file", pyrogram_file)
    assert exists.value.path == pyrogram_file
    pyrosession.convert(source, "pyrogram-file", pyrogram_file, force=True)
    with pytest.raises(pyrosession.SameFileError):
        pyrosession.convert(source, "pyrogram-file", source, force=True)

    # A string target written to a file.
    string_file = tmp_path / "string.txt"
    made = pyrosession.convert(example("v2.txt"), "telethon", string_file)
    assert made.session_string is None and made.file == string_file
    assert string_file.read_text().strip() == pyrosession.convert(example("v2.txt"), "telethon").session_string

    with pytest.raises(ValueError, match="is a file"):
        pyrosession.convert(source, "pyrogram-file")
    with pytest.raises(ValueError, match="no conversion target") as unknown:
        pyrosession.convert(source, "telegram-desktop")
    # The targets the compiled module takes are the package's TARGETS.
    assert str(unknown.value).endswith(": " + ", ".join(pyrosession.TARGETS))


def test_convert_raises_the_kind_s_class_with_the_values_to_give() -> None:
    telethon = example("telethon.txt")
    with pytest.raises(pyrosession.MissingValuesError) as missing:
        pyrosession.convert(telethon, "pyrogram")
    assert missing.value.kind == "missing_values" and missing.value.path is None
    assert "api_id" in str(missing.value)
    assert isinstance(missing.value, pyrosession.ConvertError)
    with pytest.raises(pyrosession.ConflictError) as conflict:
        pyrosession.convert(example("v2.txt"), "pyrogram", api_id=1)
    assert conflict.value.kind == "conflict"
    with pytest.raises(pyrosession.UnrecognisedError):
        pyrosession.convert("not a session at all", "telethon")


def crate_codes(file: str, enum: str) -> List[str]:
    """The codes `{enum}::code` gives, read from the crate's source: the one place they are
    named."""
    source = (ROOT / file).read_text()
    start = source.index(f"impl {enum} {{")
    body = source[start : source.index("\n}\n", start)]
    body = body[body.index("pub const fn code(") :]
    return re.findall(r'=> "([a-z0-9_]+)"', body)


def test_every_error_kind_of_the_crate_has_its_class() -> None:
    """Every code of the crate's error kinds has a class of its own (a storage error about a
    session string raises the decoding error's class instead); the kinds of the package's
    classes are the crate's codes and nothing else."""
    storage = crate_codes("src/storage/error.rs", "StorageErrorKind")
    decode = crate_codes("src/string/error.rs", "DecodeErrorKind")
    convert = crate_codes("src/convert/error.rs", "ConvertErrorKind")
    tdata = crate_codes("src/convert/tdata/error.rs", "TdataErrorKind")
    assert "in_use" in storage and "empty_string" in decode and "same_file" in convert
    assert "tdata_wrong_passcode" in tdata and len(tdata) >= 30
    convert += tdata  # ConvertErrorKind::Tdata: the folder's kind's code
    convert.remove("pyrogram_string")  # raises the decoding error's class
    storage.remove("session_string")  # likewise
    for concern, kinds, base in (
        ("storage", storage, pyrosession.StorageError),
        ("decode", decode, pyrosession.DecodeError),
        ("encode", _native.encode_kinds(), pyrosession.EncodeError),
        ("convert", convert, pyrosession.ConvertError),
    ):
        for kind in kinds:
            e: Any = _errors.make(concern, kind, "message", None, None)
            assert type(e) is not base, f"{concern} kind {kind} has no class of its own"
            assert isinstance(e, base) and isinstance(e, pyrosession.PyrosessionError)
            assert e.kind == kind and str(e) == "message"
    classes = {
        c.KIND
        for c in vars(_errors).values()
        if isinstance(c, type) and issubclass(c, _errors.PyrosessionError)
    }
    kinds = set(storage) | set(decode) | set(convert) | set(_native.encode_kinds())
    assert classes - kinds == {
        "error",
        "storage",
        "decode",
        "encode",
        "convert",
        "closed",
        "tdata",
        "tdata_damaged",
    }
    for kind in tdata:
        assert isinstance(_errors.make("convert", kind, "m", None, None), pyrosession.TdataError)


@pytest.mark.parametrize(
    "option, value",
    [
        ("api_id", -1),
        ("api_id", 2**32),
        ("user_id", -1),
        ("user_id", 2**64),
        ("port", 70_000),
        ("port", -1),
        ("telethon_version", 256),
        ("account", -1),
        ("account", 2**40),
    ],
)
def test_convert_of_an_option_out_of_its_range_is_a_value_error(option: str, value: int) -> None:
    """An option out of what its field holds raises ``ValueError`` naming it, never
    ``OverflowError``; nothing is read or written."""
    with pytest.raises(ValueError, match=option) as info:
        pyrosession.convert(example("v2.txt"), "telethon", **{option: value})
    assert not isinstance(info.value, OverflowError)


@pytest.mark.parametrize("value", [-1, 2**32, 2**40])
def test_inspect_of_an_account_out_of_range_is_a_value_error(value: int) -> None:
    for call in (pyrosession.inspect, pyrosession.inspect_json):
        with pytest.raises(ValueError, match="account") as info:
            call(example("v2.txt"), account=value)
        assert not isinstance(info.value, OverflowError)


def test_inspect_of_a_path_it_cannot_read_raises_what_convert_raises(tmp_path: Path) -> None:
    """A path ``inspect`` cannot read as a session or its text (a directory that is no
    ``tdata`` folder, a device, a name with NUL, a file that is neither SQLite nor UTF-8) raises
    the package's class naming the path, the one ``convert`` raises for the same source; it
    raised a bare ``OSError`` without the path."""
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00abc")
    for path in (tmp_path, Path("/dev/null"), tmp_path / "a\0b", binary):
        with pytest.raises(pyrosession.PyrosessionError) as converting:
            pyrosession.convert(path, "pyrogram")
        for call in (pyrosession.inspect, pyrosession.inspect_json):
            with pytest.raises(pyrosession.PyrosessionError) as inspecting:
                call(path)
            assert type(inspecting.value) is type(converting.value), path
            assert inspecting.value.path == converting.value.path, path
            assert str(inspecting.value) == str(converting.value)
