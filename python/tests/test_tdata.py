"""Telegram Desktop folders from Python: inspect, convert from and to tdata, the passcode, and
the exceptions of the folder's errors (spec/tdata.md), on the fixtures opentele-ng wrote
(spec/fixtures/tdata/, manifest.json)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import pyrosession

from conftest import ROOT, example
from test_tools import command, needs_command, run_command

TDATA = ROOT / "spec" / "fixtures" / "tdata"
MANIFEST: List[Any] = json.loads((TDATA / "manifest.json").read_text())
MTCUTE: List[Any] = json.loads((TDATA / "mtcute-manifest.json").read_text())
FOLDERS: Dict[str, Dict[str, Any]] = {e["folder"]: e for e in MANIFEST[1:] + MTCUTE[1:]}
PASSCODE = FOLDERS["opentele-1.5.0-passcode"]["passcode"]
assert isinstance(PASSCODE, str)


def folder(tmp_path: Path, name: str) -> Path:
    """A fixture folder copied aside (reading changes nothing, the copy keeps the fixture safe
    whatever happens)."""
    target = tmp_path / name
    shutil.copytree(TDATA / name, target)
    return target


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_inspect_json_of_a_folder_lists_the_manifest_s_accounts(name: str) -> None:
    entry = FOLDERS[name]
    passcode = entry["passcode"]
    report = pyrosession.inspect_json(TDATA / name, passcode=passcode, key_name=entry.get("key_name"))
    assert report["schema"] == 1 and report["input"] == "tdata"
    assert report["passcode"] is (passcode is not None)
    assert [a["user_id"] for a in report["accounts"]] == [
        a["user_id"] for a in entry["accounts"]
    ]
    for got, want in zip(report["accounts"], entry["accounts"]):
        assert got["index"] == want["index"] and got["dc_id"] == want["main_dc"]
        assert [k["auth_key_id"] for k in got["keys"]] == [k["key_id"] for k in want["keys"]]
    first = entry["accounts"][0]
    assert report["account"] == first["index"] and report["user_id"] == first["user_id"]
    assert "auth_key" not in report
    revealed = pyrosession.inspect_json(TDATA / name, passcode=passcode, reveal_key=True)
    main = next(k for k in first["keys"] if k["dc_id"] == first["main_dc"])
    assert revealed["auth_key"] == main["key"]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_account_chooses_the_account_read(index: int) -> None:
    want = FOLDERS["opentele-1.5.0-multi"]["accounts"][index]
    report = pyrosession.inspect_json(TDATA / "opentele-1.5.0-multi", account=index)
    assert report["account"] == index and report["user_id"] == want["user_id"]
    assert report["dc_id"] == want["main_dc"]
    with pytest.raises(pyrosession.TdataNoSuchAccountError) as none:
        pyrosession.inspect(TDATA / "opentele-1.5.0-multi", account=5)
    assert none.value.kind == "tdata_no_such_account"
    assert "no account 5; the folder has accounts 0, 1 and 2" in str(none.value)
    assert none.value.path == TDATA / "opentele-1.5.0-multi"


@needs_command
@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_inspect_of_a_folder_is_the_command_s_report(tmp_path: Path, name: str) -> None:
    passcode = FOLDERS[name]["passcode"]
    args: List[str] = []
    if FOLDERS[name].get("key_name"):
        args = ["--key-name", FOLDERS[name]["key_name"]]
    if passcode is not None:
        (tmp_path / "passcode.txt").write_text(passcode + "\n")
        args += ["--passcode-file", str(tmp_path / "passcode.txt")]
    for account in [None, 1] if name.endswith("multi") else [None]:
        more = args + ([] if account is None else ["--account", str(account)])
        out = run_command("inspect", *more, str(TDATA / name))
        assert out.returncode == 0, out.stderr
        key_name = FOLDERS[name].get("key_name")
        got = pyrosession.inspect(TDATA / name, passcode=passcode, account=account, key_name=key_name)
        assert got == out.stdout
        out = run_command("inspect", "--json", *more, str(TDATA / name))
        got_json = pyrosession.inspect_json(
            TDATA / name, passcode=passcode, account=account, key_name=key_name
        )
        assert got_json == json.loads(out.stdout)


def test_key_name_reads_the_key_file_of_that_name() -> None:
    path = TDATA / "mtcute-0.29.7-key-name"
    assert FOLDERS[path.name]["key_name"] == "work"
    # Found as Telegram Desktop would be started for the folder, or named.
    assert pyrosession.inspect_json(path)["user_id"] == 222222222
    assert pyrosession.inspect_json(path, key_name="work")["user_id"] == 222222222
    with pytest.raises(pyrosession.TdataMissingFileError) as missing:
        pyrosession.inspect(path, key_name="other")
    assert missing.value.path == path / "key_other"
    with pytest.raises(ValueError, match="key_name= reads a Telegram Desktop folder"):
        pyrosession.inspect(example("v2.txt"), key_name="work")


def test_the_passcode_is_taken_as_bytes_bytearray_str_or_a_file(tmp_path: Path) -> None:
    path = TDATA / "opentele-1.5.0-passcode"
    want = FOLDERS["opentele-1.5.0-passcode"]["accounts"][0]["keys"][0]["key_id"]
    passcode_file = tmp_path / "passcode.txt"
    passcode_file.write_bytes(PASSCODE.encode() + b"\r\nthe second line is not read\n")
    for given in (
        {"passcode": PASSCODE},
        {"passcode": PASSCODE.encode()},
        {"passcode": bytearray(PASSCODE.encode())},
        {"passcode_file": passcode_file},
    ):
        assert pyrosession.inspect_json(path, **given)["auth_key_id"] == want, given
    with pytest.raises(ValueError, match="not both"):
        pyrosession.inspect(path, passcode=PASSCODE, passcode_file=passcode_file)
    with pytest.raises(TypeError, match="bytes, bytearray or str"):
        pyrosession.inspect(path, passcode=1234)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError) as missing:
        pyrosession.inspect(path, passcode_file=tmp_path / "nothing.txt")
    assert "cannot read the passcode from" in str(missing.value)
    assert str(tmp_path / "nothing.txt") in str(missing.value)


def raised_shows_no_passcode(e: BaseException, passcode: str) -> None:
    for shown in (str(e), repr(e), repr(e.args), repr(vars(e))):
        assert passcode not in shown and passcode.encode().hex() not in shown


def test_a_folder_with_a_passcode_raises_needed_and_wrong(tmp_path: Path) -> None:
    path = folder(tmp_path, "opentele-1.5.0-passcode")
    with pytest.raises(pyrosession.TdataPasscodeNeededError) as needed:
        pyrosession.inspect(path)
    assert needed.value.kind == "tdata_passcode_needed"
    assert needed.value.path == path / "key_datas"
    assert isinstance(needed.value, pyrosession.TdataError)
    assert isinstance(needed.value, pyrosession.ConvertError)
    wrong_passcode = "correct horse battery stapler"
    for call in (
        lambda: pyrosession.inspect(path, passcode=wrong_passcode),
        lambda: pyrosession.convert(path, "telethon", passcode=wrong_passcode),
    ):
        with pytest.raises(pyrosession.TdataWrongPasscodeError) as wrong:
            call()
        assert wrong.value.kind == "tdata_wrong_passcode"
        assert "does not decrypt with this passcode" in str(wrong.value)
        raised_shows_no_passcode(wrong.value, wrong_passcode)
    # Nor does the right one show up anywhere in what a failure later in the flow raises.
    with pytest.raises(pyrosession.MissingValuesError) as missing:
        pyrosession.convert(path, "pyrogram", passcode=PASSCODE)
    raised_shows_no_passcode(missing.value, PASSCODE)


def test_folder_options_are_refused_for_a_session_that_is_not_a_folder() -> None:
    for given in ({"account": 0}, {"passcode": "x"}):
        with pytest.raises(ValueError, match="reads a Telegram Desktop folder"):
            pyrosession.inspect(example("v2.txt"), **given)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="reads a Telegram Desktop folder"):
            pyrosession.convert(
                ROOT / "spec" / "fixtures" / "pyrogram-2.0.106.session", "telethon", **given  # type: ignore[arg-type]
            )


def rewrite(file: Path, change: Any) -> None:
    """Rewrites a container file (spec/tdata.md §3) with `change(version, data)` -> (version,
    data), and its MD5 check made again, so that only what was changed differs."""
    raw = file.read_bytes()
    assert raw[:4] == b"TDF$"
    version, data = struct.unpack("<i", raw[4:8])[0], raw[8:-16]
    version, data = change(version, data)
    stored = struct.pack("<i", version)
    check = hashlib.md5(data + struct.pack("<i", len(data)) + stored + b"TDF$").digest()
    file.write_bytes(b"TDF$" + stored + data + check)


def test_a_damaged_folder_raises_a_damaged_error(tmp_path: Path) -> None:
    path = folder(tmp_path, "opentele-1.5.0")
    key_datas = path / "key_datas"
    raw = bytearray(key_datas.read_bytes())
    raw[20] ^= 0x01
    key_datas.write_bytes(bytes(raw))
    with pytest.raises(pyrosession.TdataChecksumError) as checksum:
        pyrosession.inspect(path)
    assert isinstance(checksum.value, pyrosession.TdataDamagedError)
    assert checksum.value.kind == "tdata_checksum" and checksum.value.path == key_datas
    key_datas.write_bytes(b"TDF$" + bytes(raw[4:10]))
    with pytest.raises(pyrosession.TdataTruncatedError):
        pyrosession.inspect(path)
    key_datas.write_bytes(b"SQLite format 3\x00")
    with pytest.raises(pyrosession.TdataBadMagicError):
        pyrosession.inspect(path)
    # An encrypted part changed under a valid MD5: its SHA-1 check after decryption fails.
    path = folder(tmp_path / "second", "opentele-1.5.0")
    rewrite(path / "D877F783D5D3EF8Cs", lambda v, d: (v, d[:-1] + bytes([d[-1] ^ 1])))
    with pytest.raises(pyrosession.TdataDamagedError) as decrypted:
        pyrosession.inspect(path)
    assert decrypted.value.kind == "tdata_decryption"


def test_convert_of_a_folder_issues_its_warnings(tmp_path: Path) -> None:
    path = folder(tmp_path, "opentele-1.5.0")
    rewrite(path / "key_datas", lambda v, d: (7_000_000, d))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted = pyrosession.convert(path, "telethon")
    assert converted.session_string
    said = [w for w in caught if issubclass(w.category, pyrosession.TdataWarning)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert "written by Telegram Desktop 7.0.0, newer than 6.1.2" in str(said[0].message)
    assert pyrosession.inspect_json(path)["warnings"] == [str(said[0].message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pyrosession.convert(TDATA / "opentele-1.5.0", "telethon")
    assert not caught, "the fixture has nothing to warn of"


@pytest.mark.parametrize("target", ["telethon", "gramjs", "pyrogram"])
def test_convert_from_a_folder_gives_the_command_s_string(tmp_path: Path, target: str) -> None:
    path = TDATA / "opentele-1.5.0-multi"
    options: Dict[str, Any] = {"api_id": 12345, "is_bot": False} if target == "pyrogram" else {}
    converted = pyrosession.convert(path, target, account=1, **options)
    assert converted.to == target and converted.dc_id == 5 and converted.session_string
    assert any("other than the main one" in n for n in converted.notes)
    if command() is not None:
        flags = ["--api-id", "12345", "--is-bot", "false"] if options else []
        out = run_command("convert", "--json", "--account", "1", *flags, "--to", target, str(path))
        assert out.returncode == 0, out.stderr
        made = json.loads(out.stdout)
        assert made["session_string"] == converted.session_string
        assert list(converted.notes) == made["notes"]


def test_convert_to_tdata_writes_a_new_folder_that_reads_back(tmp_path: Path) -> None:
    v2 = example("v2.txt")
    target = tmp_path / "tdata"
    made = pyrosession.convert(v2, "tdata", target)
    assert made.to == "tdata" and made.file == target and made.session_string is None
    assert made.peers == 0 and made.dc_id == 2
    assert any("api_id" in n and "is_bot" in n for n in made.notes), made.notes
    for file in target.rglob("*"):
        if file.is_file():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    report = pyrosession.inspect_json(target)
    decoded = pyrosession.decode(v2).session
    assert report["user_id"] == decoded.user_id and report["dc_id"] == decoded.dc_id
    assert report["passcode"] is False
    assert report["auth_key_id"] == pyrosession.inspect_json(v2)["auth_key_id"]
    back = pyrosession.convert(target, "pyrogram", api_id=12345, is_bot=False)
    assert back.session_string == v2

    # Never over anything: not forced, not over an existing folder, not without a path.
    with pytest.raises(pyrosession.TdataAlreadyExistsError) as exists:
        pyrosession.convert(v2, "tdata", target)
    assert exists.value.kind == "tdata_already_exists"
    with pytest.raises(ValueError, match="force does not apply"):
        pyrosession.convert(v2, "tdata", tmp_path / "other", force=True)
    assert not (tmp_path / "other").exists()
    with pytest.raises(ValueError, match="is a folder: give the folder to write"):
        pyrosession.convert(v2, "tdata")
    # A Telethon string holds no user id: given, or named as missing.
    telethon = example("telethon.txt")
    with pytest.raises(pyrosession.MissingValuesError, match="user id"):
        pyrosession.convert(telethon, "tdata", tmp_path / "from-telethon")
    made = pyrosession.convert(telethon, "tdata", tmp_path / "from-telethon", user_id=42)
    assert pyrosession.inspect_json(tmp_path / "from-telethon")["user_id"] == 42
    if command() is not None:
        # A relative TARGET: the command refuses a long name that could be a session string.
        out = subprocess.run(
            [str(command()), "convert", "--json", "--to", "tdata", v2, "by-command"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["notes"] == list(
            pyrosession.convert(v2, "tdata", tmp_path / "by-package").notes
        )


NEW_PASSCODE = "pässcode of the new folder"


def key_files(path: Path) -> List[str]:
    return sorted(p.name for p in path.iterdir() if p.name.startswith("key_"))


def written_with(tmp_path: Path, name: str, **given: Any) -> Path:
    target = tmp_path / name
    made = pyrosession.convert(example("v2.txt"), "tdata", target, **given)
    assert made.to == "tdata" and made.file == target and made.dc_id == 2
    return target


def test_convert_to_tdata_writes_the_new_passcode_and_key_name(tmp_path: Path) -> None:
    v2 = example("v2.txt")
    want = pyrosession.inspect_json(v2)
    passcode_file = tmp_path / "passcode.txt"
    passcode_file.write_bytes(NEW_PASSCODE.encode() + b"\r\nthe second line is not read\n")
    for name, given in (
        ("str", {"new_passcode": NEW_PASSCODE}),
        ("bytes", {"new_passcode": NEW_PASSCODE.encode()}),
        ("bytearray", {"new_passcode": bytearray(NEW_PASSCODE.encode())}),
        ("file", {"new_passcode_file": passcode_file}),
    ):
        path = written_with(tmp_path, name, **given)
        assert key_files(path) == ["key_datas"]
        # Read back by the crate: the passcode is needed, a wrong one refused, the right one
        # gives the account written.
        with pytest.raises(pyrosession.TdataPasscodeNeededError):
            pyrosession.inspect(path)
        with pytest.raises(pyrosession.TdataWrongPasscodeError):
            pyrosession.inspect(path, passcode=NEW_PASSCODE[:-1])
        report = pyrosession.inspect_json(path, passcode=NEW_PASSCODE)
        assert report["passcode"] is True, name
        assert report["user_id"] == want["user_id"] and report["dc_id"] == want["dc_id"]
        assert report["auth_key_id"] == want["auth_key_id"]
        back = pyrosession.convert(path, "pyrogram", passcode=NEW_PASSCODE, api_id=12345, is_bot=False)
        assert back.session_string == v2, name

    path = written_with(tmp_path, "key-name", new_key_name="work", new_passcode=NEW_PASSCODE)
    assert key_files(path) == ["key_works"]
    with pytest.raises(pyrosession.TdataMissingFileError) as missing:
        pyrosession.inspect(path, key_name="data", passcode=NEW_PASSCODE)
    assert missing.value.path == path / "key_data"
    for key_name in ("work", None):  # named, or the one name the folder's key files have
        report = pyrosession.inspect_json(path, key_name=key_name, passcode=NEW_PASSCODE)
        assert report["passcode"] is True and report["auth_key_id"] == want["auth_key_id"]
    path = written_with(tmp_path, "key-name-only", new_key_name="work-2_b")
    assert (path / "key_work-2_bs").is_file()
    assert pyrosession.inspect_json(path, key_name="work-2_b")["passcode"] is False


def test_new_folder_options_are_refused_as_the_command_refuses_them(tmp_path: Path) -> None:
    v2 = example("v2.txt")
    target = tmp_path / "tdata"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\nthe first line is empty\n")
    for given in ({"new_passcode": ""}, {"new_passcode": b""}, {"new_passcode": bytearray()},
                  {"new_passcode_file": empty}):
        with pytest.raises(ValueError, match="the new folder's passcode is empty"):
            pyrosession.convert(v2, "tdata", target, **given)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="new_passcode or new_passcode_file, not both"):
        pyrosession.convert(v2, "tdata", target, new_passcode="x", new_passcode_file=empty)
    with pytest.raises(TypeError, match="bytes, bytearray or str"):
        pyrosession.convert(v2, "tdata", target, new_passcode=1234)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError) as unread:
        pyrosession.convert(v2, "tdata", target, new_passcode_file=tmp_path / "nothing.txt")
    assert "cannot read the new folder's passcode from" in str(unread.value)
    for option, value in (("new_passcode", "x"), ("new_passcode_file", empty), ("new_key_name", "work")):
        for to, file in (("telethon", None), ("pyrogram-file", tmp_path / "x.session")):
            with pytest.raises(ValueError, match=f"{option}= is for a new Telegram Desktop folder"):
                pyrosession.convert(v2, to, file, api_id=1, is_bot=False, **{option: value})  # type: ignore[arg-type]
    assert not (tmp_path / "x.session").exists()
    with pytest.raises(pyrosession.TdataKeyNameNotTelegramsError) as not_telegrams:
        pyrosession.convert(v2, "tdata", target, new_key_name="Work")
    assert not_telegrams.value.kind == "tdata_key_name_not_telegrams"
    assert '-key Work opens "work"' in str(not_telegrams.value)
    with pytest.raises(pyrosession.TdataKeyFileNameError):
        pyrosession.convert(v2, "tdata", target, new_key_name="")
    with pytest.raises(pyrosession.TdataKeyNameNotTelegramsError):
        pyrosession.convert(v2, "tdata", target, new_key_name="../data")
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt"]
    if command() is not None:
        out = run_command("convert", "--json", "--to", "tdata", "--new-key-name", "Work", v2, "by-command")
        assert out.returncode != 0 and not Path("by-command").exists()
        assert json.loads(out.stdout)["error"]["kind"] == not_telegrams.value.kind
        assert json.loads(out.stdout)["error"]["message"] == str(not_telegrams.value)


def test_the_new_passcode_is_in_no_exception(tmp_path: Path) -> None:
    telethon = example("telethon.txt")
    target = tmp_path / "tdata"
    for passcode in (NEW_PASSCODE, NEW_PASSCODE.encode(), bytearray(NEW_PASSCODE.encode())):
        with pytest.raises(pyrosession.MissingValuesError) as missing:
            pyrosession.convert(telethon, "tdata", target, new_passcode=passcode)
        raised_shows_no_passcode(missing.value, NEW_PASSCODE)
        assert not target.exists()
    written_with(tmp_path, "tdata", new_passcode=NEW_PASSCODE)
    with pytest.raises(pyrosession.TdataAlreadyExistsError) as exists:
        written_with(tmp_path, "tdata", new_passcode=NEW_PASSCODE)
    raised_shows_no_passcode(exists.value, NEW_PASSCODE)
    # The caller's bytearray is not changed: its owner clears it.
    given = bytearray(NEW_PASSCODE.encode())
    written_with(tmp_path, "again", new_passcode=given)
    assert given == NEW_PASSCODE.encode()


@needs_command
def test_the_command_and_the_package_write_folders_that_read_the_same(tmp_path: Path) -> None:
    v2 = example("v2.txt")
    passcode_file = tmp_path / "passcode.txt"
    passcode_file.write_text(NEW_PASSCODE + "\n")
    # A relative TARGET: the command refuses a long name that could be a session string.
    out = subprocess.run(
        [str(command()), "convert", "--json", "--to", "tdata", "--new-passcode-file", "passcode.txt",
         "--new-key-name", "work", v2, "by-command"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    made = pyrosession.convert(v2, "tdata", tmp_path / "by-package", new_passcode_file=passcode_file,
                               new_key_name="work")
    assert json.loads(out.stdout)["notes"] == list(made.notes)
    reports = [
        pyrosession.inspect_json(tmp_path / name, key_name="work", passcode=NEW_PASSCODE)
        for name in ("by-command", "by-package")
    ]
    assert reports[0] == reports[1] and reports[0]["passcode"] is True


OPENTELE = os.environ.get("PYROSESSION_OPENTELE_PYTHON")


@pytest.mark.skipif(not OPENTELE, reason="PYROSESSION_OPENTELE_PYTHON names no python with opentele-ng 1.5.0")
def test_opentele_reads_the_folders_the_package_writes(tmp_path: Path) -> None:
    """Real opentele-ng 1.5.0 (spec/oracle/tdata_opentele.py, offline) reads what `convert`
    writes with a passcode and a key file name: the account, its data center and its key."""
    assert OPENTELE is not None
    v2 = example("v2.txt")
    passcode_file = tmp_path / "passcode.txt"
    passcode_file.write_text(NEW_PASSCODE + "\n")
    want = pyrosession.inspect_json(v2)
    for name, given, read in (
        ("passcode", {"new_passcode": NEW_PASSCODE.encode()}, [str(passcode_file)]),
        ("key-name", {"new_key_name": "work"}, ["--key-name", "work"]),
        ("both", {"new_passcode_file": passcode_file, "new_key_name": "work"},
         [str(passcode_file), "--key-name", "work"]),
    ):
        path = written_with(tmp_path, name, **given)
        out = subprocess.run(
            [OPENTELE, str(ROOT / "spec" / "oracle" / "tdata_opentele.py"), "read", str(path), *read],
            capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, f"{name}: {out.stderr}"
        assert json.loads(out.stdout)["accounts"] == [{
            "index": 0,
            "user_id": want["user_id"],
            "main_dc": want["dc_id"],
            "main_key_id": want["auth_key_id"],
        }], name


def test_a_passcode_with_a_lone_surrogate_raises_without_the_passcode(tmp_path: Path) -> None:
    """A ``str`` passcode holding a lone surrogate has no UTF-8: ``ValueError``, carrying no part
    of the passcode (a ``UnicodeEncodeError`` held it whole in its repr and ``object``)."""
    secret = "correct horse battery\ud800"
    v2 = example("v2.txt")
    calls = [
        lambda: pyrosession.inspect(tmp_path, passcode=secret),
        lambda: pyrosession.inspect_json(tmp_path, passcode=secret),
        lambda: pyrosession.convert(tmp_path, "pyrogram", passcode=secret),
        lambda: pyrosession.convert(v2, "tdata", tmp_path / "new", new_passcode=secret),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="passcode") as info:
            call()
        assert not isinstance(info.value, UnicodeError)
        e: Optional[BaseException] = info.value
        while e is not None:
            shown = (str(e), repr(e), repr(e.args), repr(vars(e)), repr(getattr(e, "object", "")))
            assert not any("horse" in s for s in shown)
            e = e.__cause__ or e.__context__
    assert not (tmp_path / "new").exists()
