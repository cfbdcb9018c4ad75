//! The command's JSON output as spec/json-output.md specifies it: the spec's examples are what
//! the command prints; every object carries its schema version; the error codes of the spec are
//! the library's, and each is produced by some input (both ways); `peers --json` is one object
//! a line, read one peer at a time.

mod util;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pyrosession::report::{ErrorCode, Failure, JSON_SCHEMA};
use pyrosession::storage::{Storage, StorageErrorKind};
use serde_json::Value;

const SPEC: &str = "spec/json-output.md";
const FIXTURE: &str = "spec/fixtures/pyrogram-2.0.106.session";

/// Runs the command in `dir` with `stdin` on its standard input.
fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pyrosession");
    let mut input = child.stdin.take().unwrap();
    // The command may not read it all: a closed pipe is no failure here.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_in(&util::root(), args, b"")
}

fn spec() -> String {
    std::fs::read_to_string(util::root().join(SPEC)).unwrap()
}

/// The objects a command printed, one a line.
#[track_caller]
fn objects(out: &Output) -> Vec<Value> {
    let stdout = std::str::from_utf8(&out.stdout).unwrap();
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "not whole lines: {stdout}"
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The `console` blocks of the spec: each `$ pyrosession ARGS` line, and the lines under it.
fn examples(spec: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut in_console = false;
    for line in spec.lines() {
        if line == "```console" {
            in_console = true;
        } else if line.starts_with("```") {
            in_console = false;
        } else if in_console {
            if let Some(command) = line.strip_prefix("$ pyrosession ") {
                out.push((command.split(' ').map(str::to_owned).collect(), Vec::new()));
            } else {
                out.last_mut()
                    .expect("output before a command")
                    .1
                    .push(line.to_owned());
            }
        }
    }
    out
}

/// The codes of the spec's table in §4, in its order.
fn spec_codes(spec: &str) -> Vec<String> {
    let table = &spec[spec
        .find("| code | the failure |")
        .expect("the table of codes")..];
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let code = l.split('|').nth(1).unwrap().trim();
            code.trim_matches('`').to_owned()
        })
        .collect()
}

#[test]
fn the_spec_examples_are_what_the_command_prints() {
    let examples = examples(&spec());
    assert!(examples.len() >= 9, "{} examples", examples.len());
    for (args, expected) in examples {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let printed = String::from_utf8(out.stdout).unwrap();
        let printed: Vec<&str> = printed.lines().collect();
        assert_eq!(printed, expected, "pyrosession {}", args.join(" "));
    }
}

#[test]
fn the_spec_lists_the_library_codes_both_ways() {
    let listed = spec_codes(&spec());
    let library: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(listed, library);
    for code in &listed {
        assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{code} is not snake case"
        );
    }
}

/// A copy of the Pyrogram fixture in `dir`, private, changed by `sql`.
fn fixture_with(dir: &Path, name: &str, sql: &str) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::copy(util::root().join(FIXTURE), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    if !sql.is_empty() {
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }
    name.to_owned()
}

/// The code of the one error object a failed command printed.
#[track_caller]
fn printed_code(out: &Output) -> String {
    printed_pair(out).0
}

/// The code and the kind (`None` for JSON's `null`) of the one error object a failed command
/// printed. A kind is always there, and is `null` or a kind the specs list.
#[track_caller]
fn printed_pair(out: &Output) -> (String, Option<String>) {
    let objects = objects(out);
    assert!(!out.status.success(), "{objects:?}");
    assert_eq!(objects.len(), 1, "{objects:?}");
    let error = &objects[0]["error"];
    assert_eq!(objects[0]["schema"], JSON_SCHEMA);
    assert!(error["message"].is_string(), "{error}");
    let kind = match error.get("kind") {
        Some(Value::Null) => None,
        Some(Value::String(kind)) => Some(kind.clone()),
        _ => panic!("no kind, or not a string: {error}"),
    };
    if let Some(kind) = &kind {
        assert!(
            listed_kinds().contains(kind),
            "{kind} is in no spec's table"
        );
    }
    (error["code"].as_str().unwrap().to_owned(), kind)
}

/// The kinds spec/storage.md §9, spec/conversions.md §9 and spec/session-string.md §7.1 list:
/// each `` (`code`) `` after a kind's name, in the first cell of their tables' rows.
fn listed_kinds() -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for (file, from, to) in [
        ("spec/storage.md", "\n## 9. Errors", "\n## 10."),
        ("spec/conversions.md", "\n## 9. Errors", "\n## 10."),
        ("spec/session-string.md", "\n### 7.1 ", "\n### 7.2 "),
    ] {
        let text = std::fs::read_to_string(util::root().join(file)).unwrap();
        let start = text.find(from).unwrap();
        let end = start + text[start..].find(to).unwrap();
        for row in text[start..end].lines().filter(|l| l.starts_with("| `")) {
            let mut cell = row.split('|').nth(1).unwrap();
            while let Some(i) = cell.find("(`") {
                let rest = &cell[i + 2..];
                let j = rest.find("`)").unwrap();
                kinds.insert(rest[..j].to_owned());
                cell = &rest[j..];
            }
        }
    }
    kinds
}

/// Every code of the spec is produced by some input, and every code an input produces is in the
/// spec. Most through the command; `unsupported` and `permission_denied` through the library,
/// whose errors the command maps the same way (no command writes an existing fork's file, and
/// this process may be root, whom file modes do not stop).
#[test]
#[allow(clippy::too_many_lines)]
fn every_code_is_produced_and_every_produced_code_is_listed() {
    let dir = util::TempDir::new("json-codes");
    let d = dir.0.as_path();
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let v2 = v2.trim_end();
    let telethon =
        std::fs::read_to_string(util::root().join("spec/examples/telethon.txt")).unwrap();
    let damaged_string = telethon.trim_end().trim_end_matches('=').to_owned();
    let root = util::root();
    let telethon_file = root.join("spec/fixtures/telethon-1.45.0.session");
    let telethon_file = telethon_file.to_str().unwrap();
    let v2_file = root.join("spec/examples/v2.txt");
    let v2_file = v2_file.to_str().unwrap();

    let out_of_range = fixture_with(d, "range.session", "UPDATE sessions SET dc_id = 999");
    let no_hash = fixture_with(
        d,
        "hash.session",
        "UPDATE peers SET access_hash = NULL WHERE id = 111111111",
    );
    let newer = fixture_with(d, "newer.session", "UPDATE version SET number = 99");
    let damaged = fixture_with(d, "damaged.session", "");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join(&damaged))
            .unwrap();
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(4096)).unwrap();
        f.write_all(&[0xab; 4096]).unwrap();
    }
    let fifo = fixture_with(d, "fifo.session", "");
    assert!(Command::new("mkfifo")
        .arg(d.join("fifo.session-journal"))
        .status()
        .unwrap()
        .success());
    let no_row = fixture_with(d, "norow.session", "DELETE FROM sessions");
    let good = fixture_with(d, "good.session", "");
    std::fs::write(d.join("empty.session"), b"").unwrap();
    std::fs::create_dir(d.join("folder")).unwrap();

    let cases: Vec<(&str, Vec<&str>, &[u8])> = vec![
        ("usage", vec!["import", "--json", v2, "-"], b""),
        (
            "no_such_file",
            vec!["peers", "--json", "nosuch.session"],
            b"",
        ),
        ("not_a_file", vec!["peers", "--json", "folder"], b""),
        (
            "not_a_session",
            vec!["peers", "--json", "empty.session"],
            b"",
        ),
        ("other_format", vec!["export", "--json", telethon_file], b""),
        (
            "invalid_string",
            vec!["inspect", "--json", &damaged_string],
            b"",
        ),
        (
            "invalid_session",
            vec!["export", "--json", &out_of_range],
            b"",
        ),
        (
            "invalid_peer",
            vec!["resolve", "--json", &no_hash, "111111111"],
            b"",
        ),
        ("damaged", vec!["peers", "--json", &damaged], b""),
        ("unsupported_version", vec!["peers", "--json", &newer], b""),
        ("unsafe_file", vec!["peers", "--json", &fifo], b""),
        (
            "not_found",
            vec!["resolve", "--json", &good, "@nobody"],
            b"",
        ),
        ("expired", vec!["resolve", "--json", &good, "@alice"], b""),
        (
            "missing_option",
            vec!["convert", "--json", "--to", "pyrogram", telethon_file],
            b"",
        ),
        (
            "invalid_option",
            vec![
                "convert",
                "--json",
                "--to",
                "pyrogram",
                "--test-mode",
                "true",
                v2_file,
            ],
            b"",
        ),
        ("already_exists", vec!["import", "--json", v2, &good], b""),
        (
            "same_file",
            vec![
                "convert",
                "--json",
                "--to",
                "pyrogram-file",
                "--force",
                &good,
                &good,
            ],
            b"",
        ),
        ("io", vec!["inspect", "--json", "-"], b"\xff\xfe"),
        (
            "nothing_saved",
            vec!["salvage", "--json", &no_row, "out.session"],
            b"",
        ),
        (
            "driver",
            vec!["conform", "--json", "--driver", "/nonexistent/driver"],
            b"",
        ),
    ];
    let mut produced = BTreeSet::new();
    for (want, args, stdin) in &cases {
        let out = run_in(d, args, stdin);
        let code = printed_code(&out);
        assert_eq!(code, *want, "pyrosession {}", args.join(" "));
        produced.insert(code);
    }

    // Another client holds the file: the command waits for it, then says so.
    let holder = Storage::open_file(d.join(&good)).unwrap();
    produced.insert(printed_code(&run_in(d, &["peers", "--json", &good], b"")));
    drop(holder);

    // Through the library: a write a kurigram 7 file cannot hold, and a write through a
    // storage opened read-only.
    let kurigram = d.join("kurigram.session");
    std::fs::copy(
        root.join("spec/fixtures/kurigram-2.2.26.session"),
        &kurigram,
    )
    .unwrap();
    let refused = Storage::open_file(&kurigram)
        .unwrap()
        .set_dc_id(4)
        .unwrap_err();
    assert!(
        matches!(refused.kind(), StorageErrorKind::UnsupportedWrite { .. }),
        "{refused}"
    );
    produced.insert(ErrorCode::of_storage(&refused).as_str().to_owned());
    let read_only = Storage::open_file_read_only(d.join(&good))
        .unwrap()
        .set_dc_id(4)
        .unwrap_err();
    produced.insert(ErrorCode::of_storage(&read_only).as_str().to_owned());

    let listed: BTreeSet<String> = spec_codes(&spec()).into_iter().collect();
    assert_eq!(produced, listed, "produced (left) and listed (right)");
}

/// Every subcommand takes `--json`, and every object it prints carries the schema version.
#[test]
fn every_subcommand_prints_objects_with_their_schema() {
    let dir = util::TempDir::new("json-schema");
    let d = dir.0.as_path();
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let v2 = v2.trim_end();
    let good = fixture_with(d, "good.session", "");
    // `fleet` against no server: its error objects (tests/fleet.rs checks its reports against
    // a real one).
    let nowhere = "postgresql://nobody@127.0.0.1:1/none";
    let commands: [&[&str]; 14] = [
        &["inspect", "--json", v2],
        &["inspect", "--json", &good],
        &["export", "--json", &good],
        &["import", "--json", v2, "new.session"],
        &["convert", "--json", "--to", "gramjs", &good],
        &[
            "convert",
            "--json",
            "--to",
            "telethon-file",
            &good,
            "t.session",
        ],
        &["peers", "--json", &good],
        &["resolve", "--json", &good, "111111111"],
        &["salvage", "--json", &good, "saved.session"],
        &["conform", "--json"],
        &["peers", "--json", "nosuch.session"],
        &["fleet", "ls", "--json", nowhere],
        &["fleet", "import", "--json", nowhere, "."],
        &["fleet", "export", "--json", nowhere, "."],
    ];
    let mut names = BTreeSet::new();
    for args in commands {
        let out = run_in(d, args, b"");
        let objects = objects(&out);
        assert!(!objects.is_empty(), "pyrosession {}", args.join(" "));
        if args[0] != "peers" || out.status.code() != Some(0) {
            assert_eq!(objects.len(), 1, "pyrosession {}", args.join(" "));
        }
        for o in &objects {
            assert_eq!(
                o["schema"],
                JSON_SCHEMA,
                "pyrosession {}: {o}",
                args.join(" ")
            );
            assert_eq!(
                o.get("error").is_some(),
                !out.status.success(),
                "pyrosession {}: {o}",
                args.join(" ")
            );
        }
        names.insert(args[0]);
    }
    // Every subcommand the command has.
    let help = run(&["--help"]);
    let help = String::from_utf8(help.stdout).unwrap();
    let listed: BTreeSet<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert_eq!(names, listed);

    // What convert and import said they wrote.
    let out = run_in(
        d,
        &[
            "convert",
            "--json",
            "--to",
            "telethon-file",
            &good,
            "t2.session",
        ],
        b"",
    );
    let o = &objects(&out)[0];
    assert_eq!(o["to"], "telethon-file");
    assert_eq!(o["file"], "t2.session");
    assert_eq!(o["session_string"], Value::Null);
    assert_eq!(o["peers"], 10);
    let out = run_in(d, &["import", "--json", v2, "named.txt"], b"");
    let o = &objects(&out)[0];
    assert_eq!(o["file"], "named.txt");
    assert_eq!(o["format"], "v2");
    assert_eq!(o["notes"].as_array().unwrap().len(), 1, "{o}");
}

/// `peers --json` is one object a line, the same peers in the same order as the whole list.
#[test]
fn peers_are_one_object_a_line() {
    for fixture in [
        FIXTURE,
        "spec/fixtures/kurigram-2.2.26.session",
        "spec/fixtures/pyrofork-2.3.69.session",
    ] {
        let storage = Storage::open_file_read_only(util::root().join(fixture)).unwrap();
        let (peers, _) = storage.readable_peers().unwrap();
        let out = run(&["peers", "--json", fixture]);
        let lines = objects(&out);
        assert_eq!(lines.len(), peers.len(), "{fixture}");
        for (line, p) in lines.iter().zip(&peers) {
            assert_eq!(line["id"], p.peer.id, "{fixture}");
            assert_eq!(
                line["usernames"],
                serde_json::json!(p.usernames),
                "{fixture}"
            );
            assert_eq!(
                line["username"],
                serde_json::json!(p.peer.username),
                "{fixture}"
            );
        }
    }
}

/// `Storage::for_each_readable_peer` gives the peers `readable_peers` lists, in its order, with
/// their usernames, and stops where it is told to.
#[test]
fn peers_one_at_a_time_are_the_list() {
    for fixture in [
        FIXTURE,
        "spec/fixtures/kurigram-2.2.26.session",
        "spec/fixtures/pyrofork-2.3.69.session",
    ] {
        let storage = Storage::open_file_read_only(util::root().join(fixture)).unwrap();
        let (all, unreadable) = storage.readable_peers().unwrap();
        let mut each = Vec::new();
        let unreadable_each = storage
            .for_each_readable_peer(|p| {
                each.push(p);
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(each, all, "{fixture}");
        assert_eq!(unreadable_each, unreadable, "{fixture}");
        assert_eq!(storage.peers().unwrap(), all, "{fixture}");
        let mut seen = 0;
        storage
            .for_each_readable_peer(|_| {
                seen += 1;
                ControlFlow::Break(())
            })
            .unwrap();
        assert_eq!(seen, 1, "{fixture}");
    }
}

/// A Telegram Desktop folder is reported in the shape of the other formats' sessions (every key
/// a Telethon string's report has), with its accounts besides; a folder chosen by `--account`
/// is no part of this test (tests/tdata.rs).
#[test]
fn a_tdata_folder_has_the_shape_of_the_other_formats() {
    let folder = util::root().join("spec/fixtures/tdata/opentele-1.5.0-multi");
    let telethon = util::root().join("spec/examples/telethon.txt");
    let tdata = &objects(&run(&["inspect", "--json", folder.to_str().unwrap()]))[0];
    let other = &objects(&run(&["inspect", "--json", telethon.to_str().unwrap()]))[0];
    for key in other.as_object().unwrap().keys() {
        assert!(tdata.get(key).is_some(), "{key} missing from {tdata}");
    }
    assert_eq!(tdata["input"], "tdata");
    assert_eq!(tdata["account"], 0);
    assert_eq!(tdata["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(tdata["accounts"][1]["keys"][1]["dc_id"], 2);
    assert_eq!(tdata["passcode"], false);
    // Key ids only: no key in the report.
    assert!(!tdata.to_string().contains("auth_key\""), "{tdata}");
}

/// A JSON error from a library error carries that error's kind beside its category; one the
/// command finds itself has `"kind": null` (spec/json-output.md §4).
#[test]
#[allow(clippy::too_many_lines)]
fn an_error_of_the_library_carries_its_kind() {
    let dir = util::TempDir::new("json-kinds");
    let d = dir.0.as_path();
    let root = util::root();
    let v2 = std::fs::read_to_string(root.join("spec/examples/v2.txt")).unwrap();
    let v2 = v2.trim_end();
    let telethon = std::fs::read_to_string(root.join("spec/examples/telethon.txt")).unwrap();
    let telethon = telethon.trim_end();
    let cut = telethon.trim_end_matches('=');
    let telethon_file = root.join("spec/fixtures/telethon-1.45.0.session");
    let telethon_file = telethon_file.to_str().unwrap();
    let good = fixture_with(d, "good.session", "");
    let no_row = fixture_with(d, "norow.session", "DELETE FROM sessions");
    let out_of_range = fixture_with(d, "range.session", "UPDATE sessions SET dc_id = 999");

    let cases: [(&[&str], &str, Option<&str>); 13] = [
        // The storage's kinds.
        (
            &["export", "--json", telethon_file],
            "other_format",
            Some("telethon_session"),
        ),
        (
            &["peers", "--json", "nosuch.session"],
            "no_such_file",
            Some("no_such_file"),
        ),
        (
            &["export", "--json", &out_of_range],
            "invalid_session",
            Some("field_out_of_range"),
        ),
        (
            &["resolve", "--json", &good, "@nobody"],
            "not_found",
            Some("not_found"),
        ),
        (
            &["import", "--json", v2, &good],
            "already_exists",
            Some("already_exists"),
        ),
        (
            &["salvage", "--json", &no_row, "out.session"],
            "nothing_saved",
            Some("nothing_saved"),
        ),
        // The conversions' kinds, and a storage kind a conversion wraps.
        (
            &["convert", "--json", "--to", "pyrogram", telethon_file],
            "missing_option",
            Some("missing_values"),
        ),
        (
            &[
                "convert",
                "--json",
                "--to",
                "pyrogram-file",
                "--force",
                &good,
                &good,
            ],
            "same_file",
            Some("same_file"),
        ),
        (
            &["convert", "--json", "--to", "pyrogram-file", v2, &good],
            "already_exists",
            Some("already_exists"),
        ),
        // The string codec's.
        (
            &["inspect", "--json", cut],
            "invalid_string",
            Some("wrong_byte_length"),
        ),
        // The command's own: no kind.
        (&["export", "--json", telethon], "usage", None),
        (
            &["import", "--json", telethon, "new.session"],
            "other_format",
            None,
        ),
        (
            &["conform", "--json", "--driver", "/nonexistent/driver"],
            "driver",
            None,
        ),
    ];
    for (args, code, kind) in cases {
        let (printed_code, printed_kind) = printed_pair(&run_in(d, args, b""));
        assert_eq!(
            (printed_code.as_str(), printed_kind.as_deref()),
            (code, kind),
            "pyrosession {}",
            args.join(" ")
        );
    }

    // Another client holds the file: the command waits for it, then says so.
    let holder = Storage::open_file(d.join(&good)).unwrap();
    let (code, kind) = printed_pair(&run_in(d, &["peers", "--json", &good], b""));
    assert_eq!((code.as_str(), kind.as_deref()), ("in_use", Some("in_use")));
    drop(holder);

    // The library's pairing, for an error no command reaches.
    let kurigram = d.join("kurigram.session");
    std::fs::copy(
        root.join("spec/fixtures/kurigram-2.2.26.session"),
        &kurigram,
    )
    .unwrap();
    let refused = Storage::open_file(&kurigram)
        .unwrap()
        .set_dc_id(4)
        .unwrap_err();
    let failure = Failure::from(&refused);
    assert_eq!(failure.code(), ErrorCode::Unsupported);
    assert_eq!(failure.kind(), Some("unsupported_write"));
    assert_eq!(Failure::from(ErrorCode::Usage).kind(), None);
}

/// `peers` writes through a buffer: a listing longer than the buffer arrives whole and in
/// order, a full device fails it with the one line of spec/conversions.md §11.3, and a reader
/// that stops early (`| head`) is no failure.
#[test]
fn a_long_listing_arrives_whole_and_a_failed_write_fails() {
    let dir = util::TempDir::new("json-peers-buffer");
    let d = dir.0.as_path();
    let many = fixture_with(
        d,
        "many.session",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO peers (id, access_hash, type, username, phone_number, last_update_on)
         SELECT 7000000000 + i, i, 'user', 'u' || i, NULL, 1795512034 FROM n",
    );
    let storage = Storage::open_file_read_only(d.join(&many)).unwrap();
    let (peers, _) = storage.readable_peers().unwrap();
    drop(storage);
    assert_eq!(peers.len(), 3010);
    for json in [true, false] {
        let args: &[&str] = if json {
            &["peers", "--json", &many]
        } else {
            &["peers", &many]
        };
        let out = run_in(d, args, b"");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        if json {
            let ids: Vec<i64> = objects_of(&stdout)
                .iter()
                .map(|o| o["id"].as_i64().unwrap())
                .collect();
            let want: Vec<i64> = peers.iter().map(|p| p.peer.id).collect();
            assert_eq!(ids, want);
        } else {
            // A header line, then one line a peer.
            assert_eq!(stdout.lines().count(), 1 + peers.len());
        }

        let full = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .current_dir(d)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(full.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&full.stderr),
            "pyrosession: cannot write the output: No space left on device (os error 28)\n"
        );

        let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let closed = child.wait_with_output().unwrap();
        assert_eq!(
            closed.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&closed.stderr)
        );
    }
}

/// The objects of a text, one a line.
fn objects_of(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
