//! Telegram Desktop `tdata` folders (spec/tdata.md): the folders real opentele-ng wrote
//! (spec/fixtures/tdata/) read with the keys and user ids its manifest records, the hub values
//! they give, and new folders written, private and never over anything.

mod util;

use std::path::{Path, PathBuf};
use std::time::Instant;

use pyrosession::convert::tdata::{
    self, read_folder, Login, Passcode, ReadOptions, TdataErrorKind, WriteOptions,
};
use pyrosession::convert::{self, Loss, Options, Target};
use pyrosession::AuthKey;
use serde_json::Value;
use util::TempDir;

fn fixtures() -> PathBuf {
    util::root().join("spec/fixtures/tdata")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(
        all[0].as_str().unwrap().contains("opentele-ng"),
        "provenance first"
    );
    all[1..].to_vec()
}

fn passcode_of(entry: &Value) -> Option<Passcode> {
    entry["passcode"]
        .as_str()
        .map(|p| Passcode::new(p.as_bytes().to_vec()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Every fixture folder reads with the user ids, main data centers and keys opentele-ng was
/// given, in the order of its account list, and its files' version.
#[test]
fn opentele_folders_read_with_the_same_keys_and_user_ids() {
    let entries = manifest();
    assert_eq!(entries.len(), 3);
    for entry in entries {
        let name = entry["folder"].as_str().unwrap();
        let passcode = passcode_of(&entry);
        let options = ReadOptions {
            passcode: passcode.as_ref(),
            ..ReadOptions::default()
        };
        let started = Instant::now();
        let folder =
            read_folder(&fixtures().join(name), &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: read in {:?}", started.elapsed());
        assert_eq!(folder.layout, tdata::Layout::Accounts, "{name}");
        assert_eq!(
            i64::from(folder.version),
            entry["file_version"].as_i64().unwrap()
        );
        assert_eq!(folder.passcode, passcode.is_some(), "{name}");
        assert!(folder.skipped.is_empty(), "{name}: {:?}", folder.skipped);
        assert!(folder.warnings.is_empty(), "{name}: {:?}", folder.warnings);
        let want = entry["accounts"].as_array().unwrap();
        assert_eq!(folder.accounts.len(), want.len(), "{name}");
        for (got, want) in folder.accounts.iter().zip(want) {
            let a = &got.authorization;
            assert_eq!(i64::from(got.index), want["index"].as_i64().unwrap());
            assert_eq!(a.user_id, want["user_id"].as_u64().unwrap(), "{name}");
            assert_eq!(i64::from(a.main_dc), want["main_dc"].as_i64().unwrap());
            assert!(a.wide_ids, "opentele writes the wide-ids layout");
            assert!(!got.test_mode);
            let keys: Vec<(i64, String, String)> = a
                .keys
                .iter()
                .map(|k| {
                    (
                        i64::from(k.dc_id),
                        hex(k.key.as_bytes()),
                        k.key.id().to_string(),
                    )
                })
                .collect();
            let want_keys: Vec<(i64, String, String)> = want["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    (
                        k["dc_id"].as_i64().unwrap(),
                        k["key"].as_str().unwrap().to_owned(),
                        k["key_id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            assert_eq!(keys, want_keys, "{name}");
            assert!(a.keys_to_destroy.is_empty());
        }
    }
}

/// The passcode-protected folder says so without its passcode, and refuses a wrong one.
#[test]
fn a_passcode_folder_asks_for_its_passcode_and_refuses_a_wrong_one() {
    let path = fixtures().join("opentele-1.5.0-passcode");
    let err = read_folder(&path, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err.kind(), TdataErrorKind::PasscodeNeeded),
        "{err}"
    );
    util::assert_message(
        &err,
        &format!(
            "{}: the folder is protected by a local passcode: give it to read the folder",
            path.join("key_datas").display()
        ),
    );
    let wrong = Passcode::new(b"correct horse battery stable".to_vec());
    let options = ReadOptions {
        passcode: Some(&wrong),
        ..ReadOptions::default()
    };
    let err = read_folder(&path, &options).unwrap_err();
    assert!(matches!(err.kind(), TdataErrorKind::WrongPasscode), "{err}");
    assert!(!format!("{err} {err:?}").contains("stable"));
    assert_eq!(format!("{wrong:?}"), "Passcode(..)");
}

/// The hub value carries the user id and the test flag from the folder, the main data center's
/// key, and reports the key of the other data center as a loss; it converts to every string
/// target, the API id (not in the folder) given.
#[test]
fn the_hub_value_holds_the_user_id_and_reports_other_keys() {
    let folder = read_folder(&fixtures().join("opentele-1.5.0"), &ReadOptions::default()).unwrap();
    let account = folder.account(0).unwrap();
    assert_eq!(account.kind, convert::Kind::TdataFolder);
    assert_eq!(
        (account.dc_id, account.user_id, account.test_mode),
        (2, Some(123_456_789), Some(false))
    );
    let key: Vec<u8> = (0..256u32).map(|i| ((i * 7) % 256) as u8).collect();
    assert_eq!(account.auth_key.as_bytes().as_slice(), key.as_slice());
    assert_eq!(account.losses, [Loss::OtherDataCenterKeys { dcs: vec![4] }]);
    assert_eq!(
        account.losses[0].to_string(),
        "the keys for data centers other than the main one (4) are left behind: the client makes new ones when it needs them"
    );
    let options = Options {
        api_id: Some(2040),
        is_bot: Some(false),
        ..Options::default()
    };
    for target in [Target::Pyrogram, Target::Telethon, Target::Gramjs] {
        let rendered =
            convert::render(&account, target, &options).unwrap_or_else(|e| panic!("{target}: {e}"));
        let back = convert::read_text(&rendered.text).unwrap();
        assert_eq!(back.auth_key, account.auth_key, "{target}");
        assert_eq!(back.dc_id, 2, "{target}");
    }
    let multi = read_folder(
        &fixtures().join("opentele-1.5.0-multi"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(multi.account(1).unwrap().user_id, Some(6_000_000_000));
    let err = multi.account(4).unwrap_err();
    util::assert_message(&err, "no account 4; the folder has accounts 0, 1 and 2");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// A written folder is 0700 with 0600 files, reads back with what was written, and is never
/// written over anything: a folder, a file, or a link at its name.
#[test]
fn a_new_folder_is_private_reads_back_and_is_never_written_over() {
    let dir = TempDir::new("tdata-write");
    let path = dir.join("tdata");
    let logins = [
        Login::new(42, 2, AuthKey::new([1; 256])),
        Login::new(7_000_000_000, 5, AuthKey::new([2; 256])),
    ];
    tdata::write_folder(&path, &logins, &WriteOptions::default()).unwrap();
    assert_eq!(mode(&path), 0o700);
    let mut names = Vec::new();
    for e in walk(&path) {
        let rel = e.strip_prefix(&path).unwrap().display().to_string();
        let want = if e.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&e), want, "{rel}");
        names.push(rel);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "A7FDF864FBC10B77",
            "A7FDF864FBC10B77/maps",
            "A7FDF864FBC10B77s",
            "D877F783D5D3EF8C",
            "D877F783D5D3EF8C/maps",
            "D877F783D5D3EF8Cs",
            "key_datas"
        ]
    );
    let folder = read_folder(&path, &ReadOptions::default()).unwrap();
    let got: Vec<_> = folder
        .accounts
        .iter()
        .map(|a| a.authorization.clone())
        .collect();
    let want: Vec<_> = logins.iter().map(|l| l.authorization.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(folder.version, tdata::WRITTEN_VERSION);
    assert_eq!(folder.active, Some(0));

    let before = std::fs::read(path.join("key_datas")).unwrap();
    let err = tdata::write_folder(&path, &logins, &WriteOptions::default()).unwrap_err();
    util::assert_message(
        &err,
        &format!(
            "{}: already exists; a tdata folder is written only as a new folder",
            path.display()
        ),
    );
    assert_eq!(std::fs::read(path.join("key_datas")).unwrap(), before);
    let link = dir.join("link");
    std::os::unix::fs::symlink(dir.join("nowhere"), &link).unwrap();
    let err = tdata::write_folder(&link, &logins, &WriteOptions::default()).unwrap_err();
    assert!(matches!(err.kind(), TdataErrorKind::AlreadyExists), "{err}");
    assert!(!dir.join("nowhere").exists(), "the link was followed");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// A session from any source becomes a folder when it holds a user id (or one is given), and
/// the folder gives the session back; one for the test servers is refused.
#[test]
fn a_session_from_a_string_becomes_a_folder() {
    let text = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let account = convert::read_text(text.trim_end()).unwrap();
    let login = Login::from_account(&account, None).unwrap();
    let image = tdata::compose(&[login], &WriteOptions::default()).unwrap();
    let folder = tdata::read_image(&image, &ReadOptions::default()).unwrap();
    let back = folder.account(0).unwrap();
    assert_eq!(back.auth_key, account.auth_key);
    assert_eq!((back.dc_id, back.user_id), (account.dc_id, account.user_id));

    let telethon = convert::render(&account, Target::Telethon, &Options::default()).unwrap();
    let no_user = convert::read_text(&telethon.text).unwrap();
    let err = Login::from_account(&no_user, None).unwrap_err();
    util::assert_message(
        &err,
        "Telegram Desktop needs the account's user id, which the session does not hold",
    );
    assert!(Login::from_account(&no_user, Some(99)).is_ok());
    let mut on_test_servers = account.clone();
    on_test_servers.test_mode = Some(true);
    assert!(matches!(
        Login::from_account(&on_test_servers, None)
            .unwrap_err()
            .kind(),
        TdataErrorKind::TestServers
    ));
}

/// The cost of a passcode: the 100,000 rounds of PBKDF2-HMAC-SHA512 (spec/tdata.md §4.1), the
/// time printed for the record; one round without a passcode.
#[test]
fn the_passcode_derivation_takes_100000_rounds() {
    let salt = [5u8; 32];
    let started = Instant::now();
    let with = tdata::create_local_key(b"p", &salt);
    let took = started.elapsed();
    let started = Instant::now();
    let without = tdata::create_local_key(b"", &salt);
    println!(
        "PBKDF2-HMAC-SHA512: 100,000 rounds {took:?}, 1 round {:?}",
        started.elapsed()
    );
    // Python's hashlib.pbkdf2_hmac("sha512", sha512(salt + b"p" + salt), salt, rounds, 256):
    // 100,000 rounds with a passcode, 1 without (99,999 rounds would begin 13e92c1b).
    assert_eq!(
        hex(&with.as_bytes()[..16]),
        "3fec0a13ad7950a00c431311be225168"
    );
    assert_eq!(
        hex(&without.as_bytes()[..16]),
        "85ff3d35d1967307cccdc6c03779c37c"
    );
    assert_eq!(tdata::STRONG_ITERATIONS, 100_000);
}

/// opentele-ng reads the folders the crate writes (with and without a passcode, one and several
/// accounts) with the same user ids, main data centers and main keys (by id). Run by .ci/run
/// with `PYROSESSION_OPENTELE_PYTHON` naming the venv's python.
#[test]
#[ignore = "needs opentele-ng: PYROSESSION_OPENTELE_PYTHON"]
#[allow(clippy::too_many_lines)] // the library's folders, then the command's, in order
fn opentele_reads_what_the_crate_writes() {
    let python = std::env::var("PYROSESSION_OPENTELE_PYTHON")
        .expect("PYROSESSION_OPENTELE_PYTHON names a python with opentele-ng 1.5.0");
    let dir = TempDir::new("tdata-opentele");
    let passcode = Passcode::new("pässcode".as_bytes().to_vec());
    let cases: [(&str, Option<&Passcode>, Vec<Login>); 3] = [
        (
            "one",
            None,
            vec![Login::new(123_456_789, 2, AuthKey::new([3; 256]))],
        ),
        (
            "passcode",
            Some(&passcode),
            vec![Login::new(987_654_321, 4, AuthKey::new([4; 256]))],
        ),
        (
            "several",
            None,
            (1..=6u8)
                .map(|i| Login::new(u64::from(i) << 33, (i % 5) + 1, AuthKey::new([i; 256])))
                .collect(),
        ),
    ];
    let passcode_file = dir.join("passcode.txt");
    std::fs::write(&passcode_file, "pässcode\n").unwrap();
    for (name, passcode, logins) in cases {
        let path = dir.join(name);
        let options = WriteOptions {
            passcode,
            ..WriteOptions::default()
        };
        tdata::write_folder(&path, &logins, &options).unwrap();
        let mut command = std::process::Command::new(&python);
        command
            .arg(util::root().join("spec/oracle/tdata_opentele.py"))
            .arg("read")
            .arg(&path);
        if passcode.is_some() {
            command.arg(&passcode_file);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let want: Vec<Value> = logins
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let a = &l.authorization;
                serde_json::json!({
                    "index": i,
                    "user_id": a.user_id,
                    "main_dc": a.main_dc,
                    "main_key_id": a.keys[0].key.id().to_string(),
                })
            })
            .collect();
        assert_eq!(got["accounts"], Value::Array(want), "{name}");
    }

    // Written by the command: a passcode from --new-passcode-file, and a key file of another
    // name (--new-key-name), which opentele reads with keyFile=.
    let v2 = util::root().join("spec/examples/v2.txt");
    for (name, extra, read_extra) in [
        (
            "by.the.command.passcode",
            vec![os("--new-passcode-file"), passcode_file.as_os_str()],
            vec![passcode_file.clone().into_os_string()],
        ),
        (
            "by.the.command.key-name",
            vec![os("--new-key-name"), os("work")],
            vec!["--key-name".into(), "work".into()],
        ),
    ] {
        let path = dir.join(name);
        let mut args = vec![os("convert"), os("--to"), os("tdata")];
        args.extend(extra);
        args.extend([v2.as_os_str(), path.as_os_str()]);
        let (status, _, err) = command(&args, b"");
        assert_eq!(status, Some(0), "{name}: {err}");
        let out = std::process::Command::new(&python)
            .arg(util::root().join("spec/oracle/tdata_opentele.py"))
            .arg("read")
            .arg(&path)
            .args(read_extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            got["accounts"],
            serde_json::json!([{
                "index": 0,
                "user_id": 123_456_789,
                "main_dc": 2,
                "main_key_id": "c8df57a46e58d132",
            }]),
            "{name}"
        );
    }
}

/// The command reads a folder as any session: `inspect` reports its first account with the user
/// id and data center from the folder, `convert` takes it to a string target, and a
/// passcode-protected folder is refused with a message that says so, naming the key file.
#[test]
fn inspect_and_convert_read_a_folder() {
    let bin = env!("CARGO_BIN_EXE_pyrosession");
    let run =
        |args: &[&std::ffi::OsStr]| std::process::Command::new(bin).args(args).output().unwrap();
    let folder = fixtures().join("opentele-1.5.0-multi");
    let out = run(&["inspect".as_ref(), folder.as_os_str()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("format       a Telegram Desktop tdata folder (Telegram Desktop 3.4.0, 3 accounts (0, 1, 2), no local passcode)"),
        "{text}"
    );
    assert!(text.contains("user_id      111111111"), "{text}");
    assert!(text.contains("dc_id        1"), "{text}");
    let out = run(&[
        "convert".as_ref(),
        "--to".as_ref(),
        "telethon".as_ref(),
        folder.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = convert::read_text(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    let key: Vec<u8> = (0..256u32).map(|i| ((i * 7 + 10) % 256) as u8).collect();
    assert_eq!(back.auth_key.as_bytes().as_slice(), key.as_slice());
    let locked = fixtures().join("opentele-1.5.0-passcode");
    let out = run(&["inspect".as_ref(), locked.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "pyrosession: {}: the folder is protected by a local passcode: give it to read the folder: pass --passcode-file FILE (- for standard input), or run the command on a terminal to be asked for it\n",
            locked.join("key_datas").display()
        )
    );
}

/// The command, with its arguments and standard input; its status, standard output and standard
/// error.
fn command(args: &[&std::ffi::OsStr], stdin: &[u8]) -> (Option<i32>, String, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may stop before it reads standard input.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `--account N` chooses the account `inspect` reports and `convert` converts; an index the folder
/// does not have is refused with the indexes it has; neither option is taken for another source.
#[test]
fn the_account_is_chosen_by_its_index() {
    let folder = fixtures().join("opentele-1.5.0-multi");
    let (status, out, err) = command(
        &[
            os("inspect"),
            os("--json"),
            os("--account"),
            os("1"),
            folder.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["account"], 1);
    assert_eq!(v["user_id"], 6_000_000_000_u64);
    assert_eq!(v["dc_id"], 5);
    assert_eq!(v["auth_key_id"], v["accounts"][1]["keys"][0]["auth_key_id"]);
    assert_eq!(
        v["notes"][0],
        "the keys for data centers other than the main one (2) are left behind: the client makes new ones when it needs them"
    );

    let (status, out, err) = command(
        &[
            os("convert"),
            os("--to"),
            os("telethon"),
            os("--account"),
            os("2"),
            folder.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let back = convert::read_text(out.trim()).unwrap();
    assert_eq!(back.dc_id, 4);
    assert_eq!(back.auth_key.id().to_string(), "77755be171d05ee5");

    for args in [
        &[os("inspect"), os("--json"), os("--account"), os("4")][..],
        &[
            os("convert"),
            os("--json"),
            os("--to"),
            os("gramjs"),
            os("--account"),
            os("4"),
        ][..],
    ] {
        let mut args = args.to_vec();
        args.push(folder.as_os_str());
        let (status, out, err) = command(&args, b"");
        assert_eq!(status, Some(1));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["code"], "invalid_option", "{out}");
        assert_eq!(
            err,
            format!(
                "pyrosession: {}: no account 4; the folder has accounts 0, 1 and 2\n",
                folder.display()
            )
        );
    }

    let v2 = util::root().join("spec/examples/v2.txt");
    for option in ["--account", "--passcode-file"] {
        let (status, out, err) = command(
            &[
                os("inspect"),
                os("--json"),
                os(option),
                os("1"),
                v2.as_os_str(),
            ],
            b"",
        );
        assert_eq!(status, Some(1), "{option}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["code"], "usage", "{out}");
        assert_eq!(
            err,
            format!("pyrosession: {option} reads a Telegram Desktop folder, and the session given is not one\n")
        );
    }
}

/// The passcode comes from a file or standard input (`--passcode-file -`), never from the command
/// line; without it, and with no terminal to ask on, a protected folder is refused saying how to
/// give it; a wrong one is refused as such.
#[test]
fn the_passcode_comes_from_a_file_or_standard_input_never_the_command_line() {
    let folder = fixtures().join("opentele-1.5.0-passcode");
    let dir = TempDir::new("tdata-passcode");
    let file = dir.join("passcode");
    std::fs::write(&file, "correct horse battery staple\n").unwrap();
    let want_id = manifest()
        .iter()
        .find(|e| e["folder"] == "opentele-1.5.0-passcode")
        .unwrap()["accounts"][0]["keys"][0]["key_id"]
        .clone();

    let inspect = |extra: &[&std::ffi::OsStr], stdin: &[u8]| {
        let mut args = vec![os("inspect"), os("--json")];
        args.extend_from_slice(extra);
        args.push(folder.as_os_str());
        command(&args, stdin)
    };
    let (status, out, err) = inspect(&[os("--passcode-file"), file.as_os_str()], b"");
    assert_eq!(status, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["passcode"], true);
    assert_eq!(v["auth_key_id"], want_id);
    assert!(!out.contains("correct horse") && !err.contains("correct horse"));

    let (status, out, err) = inspect(
        &[os("--passcode-file"), os("-")],
        b"correct horse battery staple\r\n",
    );
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["auth_key_id"],
        want_id
    );

    let (status, out, err) = inspect(&[os("--passcode-file"), os("-")], b"wrong\n");
    assert_eq!(status, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "invalid_option", "{out}");
    assert!(
        err.contains("wrong") && !err.contains("correct horse"),
        "{err}"
    );

    // No passcode, and standard input is no terminal: nothing to ask on.
    let (status, out, err) = inspect(&[], b"correct horse battery staple\n");
    assert_eq!(status, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "missing_option", "{out}");
    assert_eq!(
        err,
        format!(
            "pyrosession: {}: the folder is protected by a local passcode: give it to read the folder: pass --passcode-file FILE (- for standard input), or run the command on a terminal to be asked for it\n",
            folder.join("key_datas").display()
        )
    );

    // The passcode is no option's value.
    let (status, _, err) = inspect(&[os("--passcode"), os("correct horse battery staple")], b"");
    assert_eq!(status, Some(2), "{err}");

    let (status, _, err) = inspect(
        &[os("--passcode-file"), dir.join("nosuch").as_os_str()],
        b"",
    );
    assert_eq!(status, Some(1));
    assert!(
        err.starts_with("pyrosession: cannot read the passcode from "),
        "{err}"
    );
}

/// On a terminal, the command asks for the passcode, with the terminal's echo off: what is typed
/// is not shown. Run under `script` (util-linux), which gives the command a terminal; skipped
/// where there is none.
#[test]
fn on_a_terminal_the_passcode_is_asked_for_and_not_shown() {
    use std::io::{Read as _, Write as _};
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("script (util-linux) is not installed: the prompt is not tested");
        return;
    }
    let folder = fixtures().join("opentele-1.5.0-passcode");
    let line = format!(
        "{} inspect --json {}",
        env!("CARGO_BIN_EXE_pyrosession"),
        folder.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Wait for the prompt, which comes once the echo is off, before typing.
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("(not shown): ") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"correct horse battery staple\n").unwrap();
    stdout.read_to_end(&mut seen).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let seen = String::from_utf8_lossy(&seen);
    assert!(status.success(), "{seen}");
    assert!(
        seen.contains(&format!(
            "pyrosession: passcode of {} (not shown): ",
            folder.display()
        )),
        "{seen}"
    );
    assert!(seen.contains("\"passcode\":true"), "{seen}");
    assert!(
        !seen.contains("correct horse"),
        "the passcode was shown: {seen}"
    );
}

/// `convert --to tdata` writes a new folder (0700, 0600 files) from a session with a user id,
/// which `inspect` reads back with the same key; never over anything, `--force` or not; a
/// session without a user id is refused naming what is missing.
#[test]
#[allow(clippy::too_many_lines)] // one folder written, then each refusal, in order
fn convert_writes_a_new_folder_from_a_session_with_a_user_id() {
    let dir = TempDir::new("tdata-convert");
    let v2 = util::root().join("spec/examples/v2.txt");
    let target = dir.join("tdata");
    let (status, out, err) = command(
        &[
            os("convert"),
            os("--json"),
            os("--to"),
            os("tdata"),
            v2.as_os_str(),
            target.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["to"], "tdata");
    assert_eq!(v["file"], target.display().to_string());
    assert_eq!(v["session_string"], Value::Null);
    assert_eq!(v["dc_id"], 2);
    assert_eq!(
        v["notes"][0],
        "Telegram Desktop does not hold api_id, is_bot; they are left behind"
    );
    assert_eq!(
        err,
        format!(
            "pyrosession: note: Telegram Desktop does not hold api_id, is_bot; they are left behind\npyrosession: wrote {} (tdata, dc 2, 0 peers)\n",
            target.display()
        )
    );
    assert_eq!(mode(&target), 0o700);
    for e in walk(&target) {
        assert_eq!(
            mode(&e),
            if e.is_dir() { 0o700 } else { 0o600 },
            "{}",
            e.display()
        );
    }
    let (status, out, err) = command(&[os("inspect"), os("--json"), target.as_os_str()], b"");
    assert_eq!(status, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["user_id"], 123_456_789);
    assert_eq!(v["auth_key_id"], "c8df57a46e58d132");

    // Never over anything: the folder just written, with or without --force.
    let before = std::fs::read(target.join("key_datas")).unwrap();
    for force in [false, true] {
        let mut args = vec![os("convert"), os("--json"), os("--to"), os("tdata")];
        if force {
            args.push(os("--force"));
        }
        args.extend([v2.as_os_str(), target.as_os_str()]);
        let (status, out, _) = command(&args, b"");
        assert_eq!(status, Some(1));
        let v: Value = serde_json::from_str(&out).unwrap();
        let code = if force { "usage" } else { "already_exists" };
        assert_eq!(v["error"]["code"], code, "{out}");
    }
    assert_eq!(std::fs::read(target.join("key_datas")).unwrap(), before);

    // A Telethon string holds no user id: named, and the option that gives it.
    let telethon = util::root().join("spec/examples/telethon.txt");
    let second = dir.join("second");
    let (status, out, err) = command(
        &[
            os("convert"),
            os("--json"),
            os("--to"),
            os("tdata"),
            telethon.as_os_str(),
            second.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "missing_option", "{out}");
    assert_eq!(
        err,
        "pyrosession: Telegram Desktop needs the account's user id, which a Telethon string session does not hold: pass --user-id\n"
    );
    assert!(!second.exists());
    let (status, _, err) = command(
        &[
            os("convert"),
            os("--to"),
            os("tdata"),
            os("--user-id"),
            os("777"),
            telethon.as_os_str(),
            second.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let folder = read_folder(&second, &ReadOptions::default()).unwrap();
    assert_eq!(folder.accounts[0].authorization.user_id, 777);

    // A folder, named: not `-`, and not left out.
    for name in [Some("-"), None] {
        let mut args = vec![os("convert"), os("--to"), os("tdata"), v2.as_os_str()];
        args.extend(name.map(os));
        let (status, _, err) = command(&args, b"");
        assert_eq!(status, Some(1));
        let want = if name.is_some() {
            "pyrosession: --to tdata writes a folder: name it (- is not a folder name here)\n"
        } else {
            "pyrosession: --to tdata writes a folder: name the TARGET folder after SOURCE\n"
        };
        assert_eq!(err, want);
    }

    // A folder's account to a new folder.
    let multi = fixtures().join("opentele-1.5.0-multi");
    let third = dir.join("third");
    let (status, _, err) = command(
        &[
            os("convert"),
            os("--to"),
            os("tdata"),
            os("--account"),
            os("1"),
            multi.as_os_str(),
            third.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let folder = read_folder(&third, &ReadOptions::default()).unwrap();
    assert_eq!(folder.accounts[0].authorization.user_id, 6_000_000_000);
    assert_eq!(folder.accounts[0].authorization.main_dc, 5);
}

/// A passcode is read up to the first line ending (`\n` or `\r\n`), nothing past it; one too
/// long is refused, never cut.
#[test]
fn a_passcode_is_one_line() {
    use std::io::Read as _;
    let read = |bytes: &[u8]| Passcode::read_line(bytes).map(|p| format!("{p:?}"));
    assert_eq!(read(b"abc\n").unwrap(), "Passcode(..)");
    let mut rest: &[u8] = b"abc\r\nnext line\n";
    let p = Passcode::read_line(&mut rest).unwrap();
    assert!(!p.is_empty());
    let mut left = String::new();
    rest.read_to_string(&mut left).unwrap();
    assert_eq!(left, "next line\n", "read past the line");
    assert!(Passcode::read_line(&b"\n"[..]).unwrap().is_empty());
    assert!(Passcode::read_line(&b""[..]).unwrap().is_empty());
    // The same passcode however it ends: a folder written with one reads with the others.
    let dir = TempDir::new("tdata-line");
    let path = dir.join("tdata");
    let written = Passcode::new(b"p\xc3\xa4ss".to_vec());
    tdata::write_folder(
        &path,
        &[Login::new(1, 2, AuthKey::new([3; 256]))],
        &WriteOptions {
            passcode: Some(&written),
            ..WriteOptions::default()
        },
    )
    .unwrap();
    for line in [&b"p\xc3\xa4ss"[..], b"p\xc3\xa4ss\n", b"p\xc3\xa4ss\r\n"] {
        let p = Passcode::read_line(line).unwrap();
        let options = ReadOptions {
            passcode: Some(&p),
            ..ReadOptions::default()
        };
        assert_eq!(read_folder(&path, &options).unwrap().accounts.len(), 1);
    }
    let long = vec![b'x'; tdata::MAX_PASSCODE + 1];
    let err = Passcode::read_line(long.as_slice()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        err.to_string(),
        "longer than 1024 bytes, which no passcode is"
    );
    let exact = vec![b'x'; tdata::MAX_PASSCODE];
    assert!(Passcode::read_line(exact.as_slice()).is_ok());
}

/// `convert --to tdata` protects the new folder with a passcode from `--new-passcode-file`, a file's
/// first line or standard input's: the folder then needs it, and reads with it. An empty passcode,
/// the option with another target, and standard input asked for twice are refused, nothing
/// written.
#[test]
fn convert_writes_a_folder_with_a_passcode_from_a_file_or_standard_input() {
    let dir = TempDir::new("tdata-new-passcode");
    let v2 = util::root().join("spec/examples/v2.txt");
    let file = dir.join("passcode.txt");
    std::fs::write(&file, "pässcode\nnot this line\n").unwrap();
    let passcode = Passcode::new("pässcode".as_bytes().to_vec());
    for (name, from, stdin) in [
        ("from-file", file.as_os_str(), &b""[..]),
        ("from-stdin", os("-"), &b"p\xc3\xa4sscode\r\n"[..]),
    ] {
        let target = dir.join(name);
        let (status, _, err) = command(
            &[
                os("convert"),
                os("--to"),
                os("tdata"),
                os("--new-passcode-file"),
                from,
                v2.as_os_str(),
                target.as_os_str(),
            ],
            stdin,
        );
        assert_eq!(status, Some(0), "{name}: {err}");
        let err = read_folder(&target, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(err.kind(), TdataErrorKind::PasscodeNeeded),
            "{name}: {err}"
        );
        let options = ReadOptions {
            passcode: Some(&passcode),
            ..ReadOptions::default()
        };
        let folder = read_folder(&target, &options).unwrap();
        assert!(folder.passcode);
        assert_eq!(folder.accounts[0].authorization.user_id, 123_456_789);
        let (status, out, err) = command(
            &[
                os("inspect"),
                os("--json"),
                os("--passcode-file"),
                file.as_os_str(),
                target.as_os_str(),
            ],
            b"",
        );
        assert_eq!(status, Some(0), "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["auth_key_id"], "c8df57a46e58d132");
    }

    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "\n").unwrap();
    let target = dir.join("refused");
    let refusals: [(Vec<&std::ffi::OsStr>, &[u8], &str, &str); 5] = [
        (
            vec![os("--to"), os("tdata"), os("--new-passcode-file"), empty.as_os_str(), v2.as_os_str()],
            b"",
            "invalid_option",
            "the new folder's passcode is empty: a folder without a passcode is written without --new-passcode-file or --ask-new-passcode",
        ),
        (
            vec![os("--to"), os("telethon"), os("--new-passcode-file"), file.as_os_str(), v2.as_os_str()],
            b"",
            "usage",
            "--new-passcode-file is for a new Telegram Desktop folder: it goes with --to tdata",
        ),
        (
            vec![os("--to"), os("tdata"), os("--new-passcode-file"), os("-"), os("-")],
            b"",
            "usage",
            "standard input gives the session (-): --new-passcode-file - cannot read it too; give the passcode in a file",
        ),
        (
            vec![
                os("--to"), os("tdata"), os("--passcode-file"), os("-"), os("--new-passcode-file"), os("-"),
                fixtures().join("opentele-1.5.0-passcode").into_os_string().leak(),
            ],
            b"",
            "usage",
            "--passcode-file - and --new-passcode-file - both read standard input: give one of them a file",
        ),
        (
            vec![os("--to"), os("tdata"), os("--ask-new-passcode"), v2.as_os_str()],
            b"",
            "usage",
            "--ask-new-passcode asks on a terminal, and standard input is not one: give --new-passcode-file FILE (- for standard input)",
        ),
    ];
    for (args, stdin, code, message) in refusals {
        let mut all = vec![os("convert"), os("--json")];
        all.extend(args);
        all.push(target.as_os_str());
        let (status, out, err) = command(&all, stdin);
        assert_eq!(status, Some(1), "{all:?}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["code"], code, "{out}");
        assert_eq!(err, format!("pyrosession: {message}\n"));
        assert!(!target.exists(), "{all:?}");
    }
}

/// On a terminal, `--ask-new-passcode` asks for the new folder's passcode twice, the echo off:
/// the same twice writes the folder, which reads with it; two that differ write nothing. Run
/// under `script` (util-linux); skipped where there is none.
#[test]
fn on_a_terminal_the_new_passcode_is_asked_for_twice() {
    use std::io::{Read as _, Write as _};
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("script (util-linux) is not installed: the prompt is not tested");
        return;
    }
    let dir = TempDir::new("tdata-ask-new");
    let v2 = util::root().join("spec/examples/v2.txt");
    for (name, second) in [("same", "tr0ub4dor"), ("differ", "tr0ub4dor&3")] {
        let target = dir.join(name);
        let line = format!(
            "{} convert --to tdata --ask-new-passcode {} {}",
            env!("CARGO_BIN_EXE_pyrosession"),
            v2.display(),
            target.display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        for (prompt, typed) in [
            ("the passcode of the new folder", "tr0ub4dor"),
            ("again, the passcode of the new folder", second),
        ] {
            let want = format!("pyrosession: {prompt} {} (not shown): ", target.display());
            while !String::from_utf8_lossy(&seen).contains(&want) {
                let n = stdout.read(&mut buf).unwrap();
                assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
                seen.extend_from_slice(&buf[..n]);
            }
            stdin.write_all(format!("{typed}\n").as_bytes()).unwrap();
        }
        stdout.read_to_end(&mut seen).unwrap();
        drop(stdin);
        let status = child.wait().unwrap();
        let seen = String::from_utf8_lossy(&seen);
        assert!(
            !seen.contains("tr0ub4dor"),
            "the passcode was shown: {seen}"
        );
        if name == "same" {
            assert!(status.success(), "{seen}");
            let passcode = Passcode::new(b"tr0ub4dor".to_vec());
            let options = ReadOptions {
                passcode: Some(&passcode),
                ..ReadOptions::default()
            };
            assert_eq!(read_folder(&target, &options).unwrap().accounts.len(), 1);
        } else {
            assert!(!status.success(), "{seen}");
            assert!(
                seen.contains("the two passcodes typed differ; nothing written"),
                "{seen}"
            );
            assert!(!target.exists());
        }
    }
}

/// A key file of another name (Telegram Desktop's `-key NAME`): written by `--new-key-name`
/// (`key_NAMEs`, the accounts' files named after NAME), read by `--key-name` or found where the
/// folder has key files of that one name; several names are refused until one is given, and a
/// name Telegram Desktop's `-key` cannot give is refused before anything is written.
#[test]
#[allow(clippy::too_many_lines)] // written, found, chosen, then each refusal, in order
fn a_key_file_of_another_name_is_written_found_and_chosen() {
    let dir = TempDir::new("tdata-key-name");
    let v2 = util::root().join("spec/examples/v2.txt");
    let target = dir.join("work");
    let (status, _, err) = command(
        &[
            os("convert"),
            os("--to"),
            os("tdata"),
            os("--new-key-name"),
            os("work-2_x"),
            v2.as_os_str(),
            target.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let part = tdata::file_part("work-2_x");
    let mut names: Vec<String> = walk(&target)
        .iter()
        .map(|p| p.strip_prefix(&target).unwrap().display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            part.clone(),
            format!("{part}/maps"),
            format!("{part}s"),
            "key_work-2_xs".to_owned()
        ]
    );
    // Found: the one name the key files have.
    let folder = read_folder(&target, &ReadOptions::default()).unwrap();
    assert_eq!(folder.key_file, "work-2_x");
    assert_eq!(folder.accounts[0].authorization.user_id, 123_456_789);
    let (status, out, err) = command(&[os("inspect"), target.as_os_str()], b"");
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.contains(
            "(Telegram Desktop 3.7.6, the key file key_work-2_x, 1 account, no local passcode)"
        ),
        "{out}"
    );
    // Chosen: the name given, and no other.
    let (status, _, err) = command(
        &[
            os("inspect"),
            os("--key-name"),
            os("work-2_x"),
            target.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(0), "{err}");
    let (status, out, _) = command(
        &[
            os("inspect"),
            os("--json"),
            os("--key-name"),
            os("data"),
            target.as_os_str(),
        ],
        b"",
    );
    assert_eq!(status, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "tdata_missing_file", "{out}");
    // Several names, none the default: which is said, then read.
    std::fs::copy(
        fixtures().join("opentele-1.5.0/key_datas"),
        target.join("key_others"),
    )
    .unwrap();
    let err = read_folder(&target, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err.kind(), TdataErrorKind::KeyFiles { names } if names == &["other", "work-2_x"]),
        "{err}"
    );
    let (status, out, err) = command(&[os("inspect"), os("--json"), target.as_os_str()], b"");
    assert_eq!(status, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "missing_option", "{out}");
    assert_eq!(
        err,
        format!(
            "pyrosession: {}: key files of several names (key_other and key_work-2_x) and none of the default name key_data: say which to read: pass --key-name NAME (key_NAMEs is its key file)\n",
            target.display()
        )
    );
    let options = ReadOptions {
        key_file: Some("work-2_x"),
        ..ReadOptions::default()
    };
    assert_eq!(read_folder(&target, &options).unwrap().accounts.len(), 1);
    // The default name wins where it is there, as Telegram Desktop started without -key.
    let both = dir.join("both");
    std::fs::create_dir(&both).unwrap();
    for e in std::fs::read_dir(fixtures().join("opentele-1.5.0")).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), both.join(e.file_name())).unwrap();
        } else {
            std::fs::create_dir(both.join(e.file_name())).unwrap();
            for f in std::fs::read_dir(e.path()).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), both.join(e.file_name()).join(f.file_name())).unwrap();
            }
        }
    }
    std::fs::copy(target.join("key_work-2_xs"), both.join("key_work-2_xs")).unwrap();
    let folder = read_folder(&both, &ReadOptions::default()).unwrap();
    assert_eq!(folder.key_file, "data");

    // Names Telegram Desktop's -key cannot give: refused, nothing written.
    let refused = dir.join("refused");
    for (name, kind, message) in [
        (
            "Work",
            "tdata_key_name_not_telegrams",
            "the key file name \"Work\" is not one Telegram Desktop's -key gives (it lowercases and keeps a-z, 0-9, '-' and '_'): -key Work opens \"work\"; give that",
        ),
        (
            "..",
            "tdata_key_name_not_telegrams",
            "the key file name \"..\" has none of a-z, 0-9, '-' or '_', which are all Telegram Desktop's -key keeps: no Telegram Desktop could open the folder",
        ),
        (
            "",
            "tdata_key_file_name",
            "the key file's name is empty or holds '/' or a NUL, which Telegram Desktop's file names cannot",
        ),
    ] {
        let (status, out, err) = command(
            &[
                os("convert"),
                os("--json"),
                os("--to"),
                os("tdata"),
                os("--new-key-name"),
                os(name),
                v2.as_os_str(),
                refused.as_os_str(),
            ],
            b"",
        );
        assert_eq!(status, Some(1), "{name}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["code"], "invalid_option", "{out}");
        assert_eq!(v["error"]["kind"], kind, "{out}");
        assert_eq!(err, format!("pyrosession: {message}\n"));
        assert!(!refused.exists());
    }
    // The library refuses them too.
    let err = tdata::compose(
        &[Login::new(1, 2, AuthKey::new([3; 256]))],
        &WriteOptions {
            key_file: "Work",
            ..WriteOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), TdataErrorKind::KeyNameNotTelegrams { telegram, .. } if telegram == "work")
    );
}

fn mtcute_manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("mtcute-manifest.json")).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(
        all[0].as_str().unwrap().contains("@mtcute/convert 0.29.7"),
        "provenance first"
    );
    all[1..].to_vec()
}

/// Every folder real @mtcute/convert 0.29.7 wrote (spec/fixtures/tdata/mtcute-*) reads with the
/// user ids, main data centers and keys it was given; the one of another key file name is found
/// without the name, and read with it.
#[test]
fn mtcute_folders_read_with_the_same_keys_and_user_ids() {
    let entries = mtcute_manifest();
    assert_eq!(entries.len(), 4);
    for entry in entries {
        let name = entry["folder"].as_str().unwrap();
        let passcode = passcode_of(&entry);
        let key_name = entry["key_name"].as_str();
        for given in [None, key_name]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            let options = ReadOptions {
                passcode: passcode.as_ref(),
                key_file: given,
            };
            let folder = read_folder(&fixtures().join(name), &options)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(folder.key_file, key_name.unwrap_or("data"), "{name}");
            assert_eq!(
                i64::from(folder.version),
                entry["file_version"].as_i64().unwrap()
            );
            assert_eq!(folder.passcode, passcode.is_some(), "{name}");
            assert!(folder.skipped.is_empty(), "{name}: {:?}", folder.skipped);
            assert!(folder.warnings.is_empty(), "{name}: {:?}", folder.warnings);
            let want = entry["accounts"].as_array().unwrap();
            assert_eq!(folder.accounts.len(), want.len(), "{name}");
            for (got, want) in folder.accounts.iter().zip(want) {
                let a = &got.authorization;
                assert_eq!(i64::from(got.index), want["index"].as_i64().unwrap());
                assert_eq!(a.user_id, want["user_id"].as_u64().unwrap(), "{name}");
                assert_eq!(i64::from(a.main_dc), want["main_dc"].as_i64().unwrap());
                let keys: Vec<(i64, String)> = a
                    .keys
                    .iter()
                    .map(|k| (i64::from(k.dc_id), hex(k.key.as_bytes())))
                    .collect();
                let want_keys: Vec<(i64, String)> = want["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| {
                        (
                            k["dc_id"].as_i64().unwrap(),
                            k["key"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                assert_eq!(keys, want_keys, "{name}");
            }
        }
    }
}

/// @mtcute/convert 0.29.7 reads the folders the crate writes (one account, a passcode, six
/// accounts, a key file of another name) with the same user ids, main data centers and main keys
/// (by id). Run by .ci/run with `PYROSESSION_MTCUTE_DIR` naming the folder npm installed it in.
#[test]
#[ignore = "needs @mtcute/convert: PYROSESSION_MTCUTE_DIR"]
fn mtcute_reads_what_the_crate_writes() {
    let mtcute = std::env::var("PYROSESSION_MTCUTE_DIR")
        .expect("PYROSESSION_MTCUTE_DIR names a folder with @mtcute/convert 0.29.7 installed");
    let dir = TempDir::new("tdata-mtcute");
    let passcode = Passcode::new("pässcode".as_bytes().to_vec());
    let passcode_file = dir.join("passcode.txt");
    std::fs::write(&passcode_file, "pässcode\n").unwrap();
    let cases: [(&str, Option<&Passcode>, &str, Vec<Login>); 4] = [
        (
            "one",
            None,
            "data",
            vec![Login::new(123_456_789, 2, AuthKey::new([3; 256]))],
        ),
        (
            "passcode",
            Some(&passcode),
            "data",
            vec![Login::new(987_654_321, 4, AuthKey::new([4; 256]))],
        ),
        (
            "several",
            None,
            "data",
            (1..=6u8)
                .map(|i| Login::new(u64::from(i) << 33, (i % 5) + 1, AuthKey::new([i; 256])))
                .collect(),
        ),
        (
            "key-name",
            None,
            "work",
            vec![Login::new(55_555, 1, AuthKey::new([5; 256]))],
        ),
    ];
    for (name, passcode, key_file, logins) in cases {
        let path = dir.join(name);
        let options = WriteOptions { passcode, key_file };
        tdata::write_folder(&path, &logins, &options).unwrap();
        let mut command = std::process::Command::new("node");
        command
            .arg(util::root().join("spec/oracle/tdata_mtcute.js"))
            .arg(&mtcute)
            .arg("read")
            .arg(&path);
        if passcode.is_some() {
            command.arg(&passcode_file);
        }
        if key_file != "data" {
            command.args(["--key-name", key_file]);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let want: Vec<Value> = logins
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let a = &l.authorization;
                serde_json::json!({
                    "index": i,
                    "user_id": a.user_id,
                    "main_dc": a.main_dc,
                    "main_key_id": a.keys[0].key.id().to_string(),
                })
            })
            .collect();
        assert_eq!(got["accounts"], Value::Array(want), "{name}");
    }
}

fn opentele2_manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("opentele2-manifest.json")).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(
        all[0].as_str().unwrap().contains("opentele2 2.0.0"),
        "provenance first"
    );
    all[1..].to_vec()
}

/// Telegram Desktop 7.3.1 folders written by opentele2 2.0.0 (spec/tdata.md §13) read with the
/// keys and user ids opentele2 was given: without a passcode, the local key is where it was
/// before 7.3; with one, it is wrapped in the key data trailer under an Argon2id key of the
/// passcode, which this reader derives with the wrap's parameters. A wrong passcode is
/// `WrongPasscode`, none is `PasscodeNeeded`, as for a folder before 7.3.
#[test]
fn opentele2_7_3_folders_read_with_their_passcodes() {
    let entries = opentele2_manifest();
    assert_eq!(entries.len(), 4);
    let mut with_passcode = 0;
    for entry in entries {
        let name = entry["folder"].as_str().unwrap();
        assert_eq!(entry["file_version"].as_i64(), Some(7_003_001), "{name}");
        let path = fixtures().join(name);
        let passcode = passcode_of(&entry);
        if passcode.is_some() {
            let wrong = Passcode::new(b"Correct horse battery staple".to_vec());
            for (given, code) in [
                (Some(&wrong), "tdata_wrong_passcode"),
                (None, "tdata_passcode_needed"),
            ] {
                let options = ReadOptions {
                    passcode: given,
                    key_file: None,
                };
                let err = read_folder(&path, &options).unwrap_err();
                assert_eq!(err.kind().code(), code, "{name}: {err}");
                assert_eq!(err.path(), Some(path.join("key_datas").as_path()));
            }
            with_passcode += 1;
        }
        let options = ReadOptions {
            passcode: passcode.as_ref(),
            key_file: None,
        };
        let folder = read_folder(&path, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(folder.passcode, passcode.is_some(), "{name}");
        assert_eq!(folder.version, 7_003_001, "{name}");
        assert!(folder.skipped.is_empty(), "{name}: {:?}", folder.skipped);
        let want = entry["accounts"].as_array().unwrap();
        assert_eq!(folder.accounts.len(), want.len(), "{name}");
        for (got, want) in folder.accounts.iter().zip(want) {
            let a = &got.authorization;
            assert_eq!(i64::from(got.index), want["index"].as_i64().unwrap());
            assert_eq!(a.user_id, want["user_id"].as_u64().unwrap(), "{name}");
            assert_eq!(i64::from(a.main_dc), want["main_dc"].as_i64().unwrap());
            let keys: Vec<(i64, String)> = a
                .keys
                .iter()
                .map(|k| (i64::from(k.dc_id), hex(k.key.as_bytes())))
                .collect();
            let want_keys: Vec<(i64, String)> = want["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    (
                        k["dc_id"].as_i64().unwrap(),
                        k["key"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            assert_eq!(keys, want_keys, "{name}");
        }
    }
    assert_eq!(with_passcode, 2);
}

/// The byte arrays of a `QDataStream` (a null one as empty).
fn qt_arrays(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let n = u32::from_be_bytes(data[..4].try_into().unwrap());
        let n = if n == u32::MAX { 0 } else { n as usize };
        out.push(data[4..4 + n].to_vec());
        data = &data[4 + n..];
    }
    out
}

/// A hostile 7.3 passcode folder: Argon2id parameters out of bounds (spec/tdata.md §13) are
/// refused with `Argon2Parameters`, naming them, before any memory is taken (4 TiB would abort
/// the process); a family other than 1 is `Argon2Passcode`; a wrap in use that the trailer
/// does not hold is `NoPasscodeWrap`; a trailer cut short is `Truncated` at its offset in the
/// key file's data.
#[test]
fn hostile_7_3_passcode_wraps_are_refused_before_deriving() {
    let fixture = fixtures().join("opentele2-2.0.0-passcode");
    let bytes = std::fs::read(fixture.join("key_datas")).unwrap();
    let a = qt_arrays(tdata::parse_container(&bytes).unwrap().data);
    let trailer = a[3].clone();
    assert_eq!(&trailer[..4], b"KD2\0");
    // family, id, memory, time, lanes: u32s at 16, 20, 24, 28, 32 of the trailer.
    let field = |t: &[u8], at: usize| u32::from_be_bytes(t[at..at + 4].try_into().unwrap());
    assert_eq!(
        [16, 20, 24, 28, 32].map(|at| field(&trailer, at)),
        [1, 1, 65_536, 8, 1]
    );
    let set = |changes: &[(usize, u32)]| {
        let mut t = trailer.clone();
        for &(at, v) in changes {
            t[at..at + 4].copy_from_slice(&v.to_be_bytes());
        }
        t
    };
    let cut = trailer[..30].to_vec();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            set(&[(24, u32::MAX)]),
            "4294967295 KiB, 8 passes and 1 lanes",
        ),
        (
            set(&[(24, (1 << 20) + 1)]),
            "1048577 KiB, 8 passes and 1 lanes",
        ),
        (set(&[(28, 65)]), "65536 KiB, 65 passes and 1 lanes"),
        (set(&[(28, 0)]), "65536 KiB, 0 passes and 1 lanes"),
        (set(&[(32, 0)]), "65536 KiB, 8 passes and 0 lanes"),
        (set(&[(32, 17)]), "65536 KiB, 8 passes and 17 lanes"),
        (set(&[(24, 15), (32, 2)]), "15 KiB, 8 passes and 2 lanes"),
        (set(&[(16, 2)]), "KDF family 2"),
        (
            set(&[(8, 7)]),
            "names passcode wrap 7 in use, and none of its 1 wraps",
        ),
        (set(&[(12, 0)]), "none of its 0 wraps"),
        (
            cut,
            "cut short: a passcode wrap's Argon2id passes at offset",
        ),
    ];
    let passcode = Passcode::new(b"correct horse battery staple".to_vec());
    for (t, want) in cases {
        let dir = TempDir::new("tdata-hostile-wrap");
        // The key file alone: each of these is refused before an account is read.
        let folder = dir.0.join("tdata");
        std::fs::create_dir(&folder).unwrap();
        let mut data = Vec::new();
        data.extend_from_slice(&32u32.to_be_bytes());
        data.extend_from_slice(&a[0]);
        data.extend_from_slice(&u32::MAX.to_be_bytes());
        for part in [&a[2], &t] {
            data.extend_from_slice(&(part.len() as u32).to_be_bytes());
            data.extend_from_slice(part);
        }
        std::fs::write(
            folder.join("key_datas"),
            tdata::compose_container(7_003_001, &data),
        )
        .unwrap();
        let options = ReadOptions {
            passcode: Some(&passcode),
            key_file: None,
        };
        let err = read_folder(&folder, &options).unwrap_err();
        assert!(err.to_string().contains(want), "{want}: {err}");
        assert_eq!(err.path(), Some(folder.join("key_datas").as_path()));
    }
    assert!(matches!(
        tdata::create_argon2_local_key(b"p", &[0; 32], u32::MAX, 1, 1),
        Err(TdataErrorKind::Argon2Parameters { .. })
    ));
}
