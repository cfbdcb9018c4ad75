//! The `pyrosession` command, run as a user runs it.

mod util;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .current_dir(util::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pyrosession");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn example(name: &str) -> String {
    let s = std::fs::read_to_string(util::root().join("spec/examples").join(name)).unwrap();
    s.trim_end_matches('\n').to_owned()
}

/// The key of the examples, bytes 0..=255, in hex.
fn example_key_hex() -> String {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = i as u8;
    }
    pyrosession::AuthKey::new(bytes).to_hex()
}

/// No output may hold the key, in hex or as any long piece of the session string.
#[track_caller]
fn assert_no_key_material(out: &Output, input: &str) {
    let key_hex = example_key_hex();
    for stream in [text(&out.stdout), text(&out.stderr)] {
        assert!(
            !stream.contains(&key_hex[64..96]),
            "key bytes in output: {stream}"
        );
        let chars: Vec<char> = input.chars().collect();
        for window in chars.windows(24) {
            let piece: String = window.iter().collect();
            assert!(
                !stream.contains(&piece),
                "a piece of the session string in output: {stream}"
            );
        }
    }
}

#[test]
fn inspect_a_file_for_people() {
    let out = run(&["inspect", "spec/examples/v2.txt"], None);
    assert!(out.status.success());
    insta::assert_snapshot!("inspect_v2_text", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
    assert_no_key_material(&out, &example("v2.txt"));
}

#[test]
fn inspect_json_has_every_field_and_no_key() {
    for (file, format, api_id) in [
        ("v2.txt", "v2", serde_json::json!(12345)),
        ("legacy64.txt", "legacy64", serde_json::Value::Null),
        ("legacy32.txt", "legacy32", serde_json::Value::Null),
    ] {
        let out = run(
            &["inspect", "--json", &format!("spec/examples/{file}")],
            None,
        );
        assert!(out.status.success(), "{file}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["format"], format);
        assert_eq!(v["api_id"], api_id);
        assert_eq!(v["dc_id"], 2);
        assert_eq!(v["user_id"], 123_456_789);
        assert_eq!(v["test_mode"], false);
        assert_eq!(v["is_bot"], false);
        assert_eq!(v["auth_key_id"], "c8df57a46e58d132");
        assert_eq!(v["warnings"], serde_json::json!([]));
        assert!(v.get("auth_key").is_none());
        assert_no_key_material(&out, &example(file));
    }
}

#[test]
fn reveal_key_shows_the_key_in_hex() {
    let out = run(
        &["inspect", "--json", "--reveal-key", "spec/examples/v2.txt"],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key_hex = example_key_hex();
    assert_eq!(v["auth_key"], key_hex);
    let out = run(&["inspect", "--reveal-key", "spec/examples/v2.txt"], None);
    assert!(text(&out.stdout).contains(&format!("auth_key     {key_hex}\n")));
}

#[test]
fn compatible_by_default_strict_on_request() {
    let out = run(&["inspect", "--json", "spec/examples/v2-padded.txt"], None);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["warnings"],
        serde_json::json!(["2 padding character(s) '=', the first at offset 362; canonical strings have no padding"])
    );

    let out = run(
        &["inspect", "--strict", "spec/examples/v2-padded.txt"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "pyrosession: invalid character '=' at offset 362 (canonical strings have no padding); a valid v2 string followed by 2 more character(s)\n"
    );
}

#[test]
fn rejection_is_one_line_on_stderr_and_an_object_with_json() {
    // A Telethon string without its padding: no format takes it, and Pyrogram's diagnosis
    // says what it looks like. (A whole Telethon string is recognised: tests/cli_convert.rs.)
    let stripped = example("telethon.txt").trim_end_matches('=').to_owned();
    let out = run(&["inspect", "--json", &stripped], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1);
    assert_eq!(
        stderr,
        "pyrosession: decoded 264 bytes where the v2 layout (chosen by the string's length) needs 271 (Pyrogram 2.0.106: struct.error: unpack requires a buffer of 271 bytes); this is a Telethon string session (DC 2, IPv4), not a Pyrogram one\n"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The error object (spec/json-output.md §4).
    let v = &v["error"];
    assert_eq!(v["code"], "invalid_string");
    assert_eq!(
        v["pyrogram_error"],
        "struct.error: unpack requires a buffer of 271 bytes"
    );
    assert_eq!(
        v["diagnosis"],
        "this is a Telethon string session (DC 2, IPv4), not a Pyrogram one"
    );
    assert_eq!(
        format!("pyrosession: {}\n", v["message"].as_str().unwrap()),
        stderr
    );
    assert_no_key_material(&out, &stripped);
}

#[test]
fn strings_as_arguments_and_on_stdin() {
    let s = example("v2.txt");
    let by_arg = run(&["inspect", "--json", &s], None);
    assert!(by_arg.status.success());
    let by_stdin = run(&["inspect", "--json", "-"], Some(&format!("{s}\n")));
    assert!(by_stdin.status.success());
    assert_eq!(by_arg.stdout, by_stdin.stdout);
    // An argument is taken exactly as given: a trailing newline is Pyrogram's padding error.
    let with_newline = run(&["inspect", &format!("{s}\n")], None);
    assert_eq!(with_newline.status.code(), Some(1));
    assert!(text(&with_newline.stderr).contains("binascii.Error: Incorrect padding"));
}

#[test]
fn a_string_beginning_with_a_dash_follows_double_dash() {
    // dc_id 250 makes the first character '-'.
    let session = pyrosession::Session {
        dc_id: 250,
        api_id: Some(1),
        test_mode: false,
        auth_key: pyrosession::AuthKey::new([7; 256]),
        user_id: 1,
        is_bot: false,
    };
    let s = pyrosession::string::encode(&session, pyrosession::string::Format::V2).unwrap();
    assert!(s.starts_with('-'));
    let out = run(&["inspect", "--json", "--", &s], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dc_id"], 250);
}

/// Runs `read` on a FIFO, which must return at once: a read that waits for a writer is failed
/// after 5 seconds (the FIFO is then opened for writing, to let it go).
#[track_caller]
fn returns_on_a_fifo<T: Send + 'static>(
    what: &str,
    read: impl FnOnce(std::path::PathBuf) -> T + Send + 'static,
) -> T {
    let dir = util::TempDir::new("cli-fifo");
    let fifo = dir.join("swapped.txt");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(read(path));
    });
    if let Ok(v) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        return v;
    }
    let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    panic!("{what} waited on a FIFO");
}

/// A file an argument names that is swapped for a FIFO after the check (another user can do
/// it in a shared directory) is refused, never waited on: every read of it opens without
/// waiting and checks the descriptor (spec/conversions.md §11). Each read is given the FIFO
/// as the check would have let it through.
#[test]
fn a_file_swapped_for_a_fifo_is_never_waited_on() {
    use pyrosession::convert::FileArgument;
    let err = returns_on_a_fifo("FileArgument::text of a text file", |p| {
        FileArgument::read(&p).text().unwrap_err().to_string()
    });
    assert_eq!(err, "not a regular file (a FIFO)");
    let err = returns_on_a_fifo("FileArgument::text of a session file", |p| {
        FileArgument::read(&p).text().unwrap_err().to_string()
    });
    assert_eq!(err, "not a regular file (a FIFO)");
    assert_eq!(err, "not a regular file (a FIFO)");
    let err = returns_on_a_fifo("detect_and_open", |p| {
        pyrosession::convert::Input::from_file(&p)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    });
    assert!(
        err.ends_with("reading the file: not a regular file (a FIFO)"),
        "{err}"
    );
    let json =
        std::fs::read_to_string(util::root().join("spec/fixtures/pyrogram-json-0.14.session"))
            .unwrap();
    assert!(pyrosession::convert::Input::from_text(&json).is_ok());
    let err = returns_on_a_fifo("read_path", move |p| {
        pyrosession::convert::read_path(&p)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    });
    assert!(
        err.ends_with("reading the file: not a regular file (a FIFO)"),
        "{err}"
    );
    assert!(!returns_on_a_fifo("begins_like_json", |p| {
        pyrosession::convert::FileArgument::read(&p).begins_like_json()
    }));
}

#[test]
fn unreadable_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("pyrosession-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("latin1.txt");
    std::fs::write(&bad, b"\xe9\xe9\n").unwrap();
    let out = run(&["inspect", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "pyrosession: cannot read {}: not UTF-8 text (invalid utf-8 sequence of 1 bytes from index 0)\n",
            bad.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of a fixture in `dir`, mode 0600 as a session file should be (the fixtures' own mode
/// is the checkout's, which `inspect` warns of when others may read it).
fn fixture_copy(dir: &util::TempDir, name: &str) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let to = dir.join(name);
    std::fs::copy(util::root().join("spec/fixtures").join(name), &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
    to.to_str().unwrap().to_owned()
}

/// A session file other users may read opens, and `inspect` says so with its mode and the fix,
/// in text and JSON (spec/storage.md §2.2, "Owner and mode"); its mode is left as it was.
#[test]
fn inspect_warns_of_a_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = util::TempDir::new("cli-readable");
    let p = fixture_copy(&dir, "pyrogram-2.0.106.session");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let want = "mode 0644: other users of this machine can read the auth key; chmod 600 the file";
    let out = run(&["inspect", &p], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("\nwarning      {want}\n")),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["inspect", "--json", &p], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([want]));
    let mode = std::fs::metadata(&p).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o644);
}

#[test]
fn inspect_a_session_file() {
    let dir = util::TempDir::new("cli-inspect-file");
    let p = fixture_copy(&dir, "pyrogram-2.0.106.session");
    let out = run(&["inspect", &p], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    insta::assert_snapshot!("inspect_file_text", text(&out.stdout));
    let out = run(
        &["inspect", "--json", "spec/fixtures/kurigram-2.2.26.session"],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dialect"], "kurigram");
    assert_eq!(v["version"], 7);
    assert_eq!(v["peers"], 13);
    assert_eq!(v["server_address"], "149.154.167.51");
    assert_eq!(v["auth_key_id"], "c8df57a46e58d132");
    assert!(v.get("auth_key").is_none());
    let key_hex = example_key_hex();
    assert!(!text(&out.stdout).contains(&key_hex[..64]));
}

#[test]
fn inspect_never_changes_a_file() {
    let dir = util::TempDir::new("cli-ro");
    let path = fixture_copy(&dir, "pyrogram-1.4.16.session");
    let before = std::fs::read(&path).unwrap();
    let out = run(&["inspect", "--json", &path], None);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["dialect"].as_str(), v["version"].as_i64(), &v["api_id"]),
        (Some("pyrogram"), Some(2), &serde_json::Value::Null)
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "inspect migrated or changed the file"
    );
}

#[test]
fn export_and_import_round_trip_and_import_never_overwrites() {
    let dir = util::TempDir::new("cli-import");
    let out = run(&["export", "spec/fixtures/pyrogram-2.0.106.session"], None);
    assert!(out.status.success());
    let exported = text(&out.stdout);
    assert_eq!(
        exported.trim_end(),
        example("v2.txt"),
        "the fixture holds the worked example's session"
    );

    let target = dir.join("new.session");
    let target = target.to_str().unwrap();
    let out = run(&["import", "-", target], Some(&exported));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = run(&["export", target], None);
    assert_eq!(again.stdout, exported.as_bytes());

    let before = std::fs::read(target).unwrap();
    let out = run(&["import", "spec/examples/legacy32.txt", target], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("pyrosession: {target}: already exists; not overwritten\n")
    );
    assert_eq!(std::fs::read(target).unwrap(), before);

    let out = run(&["export", "spec/fixtures/pyrogram-1.4.16.session"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot export a session string: api_id is not set\n"
    );
}

/// `peers --json`'s objects, one a line (spec/json-output.md §3.2), as the list they make.
fn ndjson(stdout: &[u8]) -> serde_json::Value {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect()
}

#[test]
fn peers_and_resolve() {
    let out = run(
        &[
            "peers",
            "--json",
            "spec/fixtures/pyrotgfork-2.2.24.1.session",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = ndjson(&out.stdout);
    assert_eq!(v.as_array().unwrap().len(), 10);
    let news = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == -1_001_234_567_890_i64)
        .unwrap();
    assert_eq!(
        news["usernames"],
        serde_json::json!(["news_channel", "news_alt"])
    );

    let out = run(
        &[
            "resolve",
            "spec/fixtures/pyrogram-2.0.106.session",
            "-1001234567890",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "InputPeerChannel(channel_id=1234567890, access_hash=7777777777777777777)\n"
    );
    let out = run(
        &[
            "resolve",
            "--json",
            "spec/fixtures/pyrogram-2.0.106.session",
            "+15550001",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"kind": "user", "user_id": 111_111_111, "access_hash": 1_234_567_890_123_456_789_i64, "schema": 1})
    );
    // A username cached now is usable; one cached long ago has expired.
    let dir = util::TempDir::new("cli-resolve");
    for (name, clock) in [("fresh.session", None), ("stale.session", Some(1_000_000))] {
        let mut s = pyrosession::storage::Storage::open_file(dir.join(name)).unwrap();
        if let Some(t) = clock {
            s.set_clock(std::sync::Arc::new(pyrosession::storage::ManualClock::new(
                t,
            )));
        }
        let alice = pyrosession::peer::Peer {
            id: 111,
            access_hash: Some(-1),
            peer_type: pyrosession::peer::PeerType::User,
            username: Some("alice".into()),
            phone_number: None,
        };
        s.update_peers(&[alice]).unwrap();
        s.close().unwrap();
    }
    let out = run(
        &[
            "resolve",
            dir.join("fresh.session").to_str().unwrap(),
            "@Alice",
        ],
        None,
    );
    assert_eq!(
        text(&out.stdout),
        "InputPeerUser(user_id=111, access_hash=-1)\n",
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &[
            "resolve",
            dir.join("stale.session").to_str().unwrap(),
            "@Alice",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).starts_with("pyrosession: username expired: alice (cached "),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &["resolve", "spec/fixtures/pyrogram-2.0.106.session", "42"],
        None,
    );
    // No such peer: the command worked and the answer is no (spec/conversions.md §11.4).
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stderr), "pyrosession: peer id not found: 42\n");
}
#[test]
fn files_of_other_formats_are_recognised() {
    // What inspect says about them is tests/cli_convert.rs's; here only that they are no
    // longer refused as "not a Pyrogram file".
    for (file, first) in [
        (
            "spec/fixtures/telethon-1.45.0.session",
            "format       a Telethon session file (version 8)",
        ),
        (
            "spec/fixtures/pyrogram-json-0.14.session",
            "format       a Pyrogram JSON session (Pyrogram ≤ 0.14)",
        ),
    ] {
        let out = run(&["inspect", file], None);
        assert_eq!(out.status.code(), Some(0), "{file}");
        assert_eq!(text(&out.stdout).lines().next(), Some(first));
    }
}

/// Paths that cannot be a session's file are said to be so, naming them, and are never decoded
/// as session strings (which gave messages about base64); a session file given to `import`,
/// which takes a string, is named as such.
#[test]
fn paths_that_are_not_session_files_are_named() {
    let dir = util::TempDir::new("cli-paths");
    let d = dir.0.display().to_string();
    let fifo = format!("{d}/fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink(dir.join("gone.session"), dir.join("dangling.session")).unwrap();
    let zero = format!("{d}/zero.session");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let socket = format!("{d}/socket.session");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let cases = [
        (
            vec!["inspect", zero.as_str()],
            format!("{zero}: not a regular file (a character device), not a session file"),
        ),
        (
            vec!["peers", socket.as_str()],
            format!("{socket}: not a regular file (a socket), not a session file"),
        ),
        (vec!["inspect", "nosuch.session"], "cannot read nosuch.session: no such file".to_owned()),
        (vec!["inspect", d.as_str()], format!("{d}: is a directory, not a session file")),
        (
            vec!["inspect", fifo.as_str()],
            format!("{fifo}: not a regular file (a FIFO), not a session file"),
        ),
        (
            vec!["export", fifo.as_str()],
            format!("{fifo}: not a regular file (a FIFO), not a session file"),
        ),
        (
            vec!["convert", "--to", "telethon", fifo.as_str()],
            format!("{fifo}: not a regular file (a FIFO), not a session file"),
        ),
        (
            vec!["import", "nosuch.session", "out.session"],
            "cannot read nosuch.session: no such file".to_owned(),
        ),
        (
            vec!["import", "spec/fixtures/pyrogram-2.0.106.session", "out.session"],
            "spec/fixtures/pyrogram-2.0.106.session is a session file; import takes a session string (to copy a session file into a new Pyrogram file, use convert --to pyrogram-file)".to_owned(),
        ),
    ];
    // A path-like argument of 299 characters that names nothing is a missing file; from 300 on
    // it is taken as a string, so that a string cut short is diagnosed as one (spec/conversions.md
    // §11): here a real GramJS string (standard base64, so it may hold `/`), cut to 340
    // characters.
    let long_path = format!("x/{}.session", "y".repeat(289));
    assert_eq!(long_path.chars().count(), 299);
    let out = run(&["inspect", &long_path], None);
    assert_eq!(
        text(&out.stderr),
        format!("pyrosession: cannot read {long_path}: no such file\n")
    );
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(util::root().join("spec/vectors/gramjs_strings.json")).unwrap(),
    )
    .unwrap();
    let cut: String = vectors
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["string"].as_str())
        .map(|s| s.chars().take(340).collect::<String>())
        .find(|s| s.contains('/'))
        .expect("a GramJS vector holding / in its first 340 characters");
    let out = run(&["inspect", &cut], None);
    let said = text(&out.stderr);
    assert!(
        said.starts_with("pyrosession: ") && !said.contains("cannot read"),
        "{said}"
    );
    for (args, message) in cases {
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!("pyrosession: {message}\n"),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    drop(listener);
    let dangling = format!("{d}/dangling.session");
    let out = run(&["inspect", &dangling], None);
    assert_eq!(
        text(&out.stderr),
        format!(
            "pyrosession: {dangling}: a symbolic link to {d}/gone.session, which does not exist\n"
        )
    );
    assert!(!std::path::Path::new(&util::root().join("out.session")).exists());
}

/// Output that cannot be written is a failure, not a success with a lost backup; a closed pipe
/// (`| head`) is not.
#[test]
fn a_failed_write_to_standard_output_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(["export", "spec/fixtures/pyrogram-2.0.106.session"])
        .current_dir(util::root())
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot write the output: No space left on device (os error 28)\n"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(["peers", "spec/fixtures/pyrogram-2.0.106.session"])
        .current_dir(util::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A session string that did not all reach its reader is a failure: `export`, `convert` to a
/// string and `salvage -` into a closed pipe exit 1 with the one line (spec/conversions.md §11.3);
/// a report into a closed pipe does not (see above).
#[test]
fn a_session_string_into_a_closed_pipe_fails() {
    let dir = util::TempDir::new("cli-closed-pipe");
    let fixture = "spec/fixtures/pyrogram-2.0.106.session";
    let v2 = example("v2.txt");
    for args in [
        vec!["export", fixture],
        vec!["convert", "--to", "telethon", v2.as_str()],
        vec!["salvage", fixture, "-"],
    ] {
        // The reading end is closed before the command starts: every write meets EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(&args)
            .current_dir(util::root())
            .env("TMPDIR", &dir.0)
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr)
                .ends_with("pyrosession: cannot write the output: Broken pipe (os error 32)\n"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A failed write to standard error never panics (exit status 101) and never changes the exit
/// status, which is the work's: 1 for a failure, 0 for a file written (spec/conversions.md
/// §11.3). Standard error on a full device, and on a closed pipe.
#[test]
fn a_failed_write_to_standard_error_keeps_the_work_status() {
    let dir = util::TempDir::new("cli-stderr-full");
    let target = dir.join("o.session");
    let target = target.to_str().unwrap();
    let telethon = "spec/fixtures/telethon-1.45.0.session";
    let cases: [(&[&str], i32); 3] = [
        (&["inspect", "nosuch.session"], 1),
        (&["peers", "--json", "nosuch.session"], 1),
        (
            &[
                "convert",
                "--to",
                "pyrogram-file",
                "--api-id",
                "1",
                "--user-id",
                "5",
                "--is-bot",
                "false",
                telethon,
                target,
            ],
            0,
        ),
    ];
    for (args, code) in cases {
        for closed_pipe in [false, true] {
            let _ = std::fs::remove_file(target);
            let stderr: Stdio = if closed_pipe {
                let (reader, writer) = std::io::pipe().unwrap();
                drop(reader);
                writer.into()
            } else {
                std::fs::File::create("/dev/full").unwrap().into()
            };
            let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
                .args(args)
                .current_dir(util::root())
                .stderr(stderr)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(code),
                "{args:?}, closed pipe {closed_pipe}"
            );
        }
        if code == 0 {
            assert!(std::path::Path::new(target).is_file());
        }
    }
}

/// What a file holds never reaches the terminal as control characters (an escape sequence in
/// a username), and an error is one line even where SQLite's message quotes a damaged schema
/// over several.
#[test]
fn file_text_is_shown_escaped_and_errors_on_one_line() {
    let dir = util::TempDir::new("cli-escapes");
    let p = fixture_copy(&dir, "pyrogram-2.0.106.session");
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch(
            "UPDATE peers SET username = 'evil' || char(27) || '[2J' || char(10) || 'x' || char(8238)
             WHERE rowid = (SELECT min(rowid) FROM peers)",
        )
        .unwrap();
    let out = run(&["peers", &p], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
        "{shown}"
    );
    // The line break in it too: no file adds lines of its own to a report (an audit found a
    // username, and a Telethon server address, printing a fake line).
    assert!(shown.contains("evil\\u001b[2J\\u000ax\\u202e "), "{shown}");
    assert_eq!(shown.lines().count(), 11, "{shown}");
    let t = fixture_copy(&dir, "telethon-1.45.0.session");
    rusqlite::Connection::open(&t)
        .unwrap()
        .execute_batch(
            "UPDATE sessions SET server_address = '1.2.3.4' || char(10) || 'dc_id        9'",
        )
        .unwrap();
    let out = run(&["inspect", &t], None);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("server       1.2.3.4\\u000adc_id        9:443\n"),
        "{shown}"
    );
    assert!(!shown.contains("\ndc_id        9"), "{shown}");
    // In JSON the escapes are JSON's own: the output parses, and holds the username as stored.
    let out = run(&["peers", "--json", &p], None);
    assert!(!text(&out.stdout).contains('\u{202e}'));
    let v = ndjson(&out.stdout);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["username"] == "evil\u{1b}[2J\nx\u{202e}"));

    let mut bytes =
        std::fs::read(util::root().join("spec/fixtures/pyrogram-0.15.1.session")).unwrap();
    let table = bytes
        .windows(20)
        .position(|w| w == b"CREATE TABLE version")
        .unwrap();
    let paren = table + bytes[table..].iter().position(|b| *b == b'(').unwrap();
    bytes[paren] = b'`';
    let damaged = dir.join("multiline.session");
    std::fs::write(&damaged, bytes).unwrap();
    let out = run(&["inspect", damaged.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "the schema of version cannot be read by SQLite (unrecognized token: \"`\\u000a"
        ),
        "{err}"
    );
}

/// A text input larger than any session is refused after reading a little past the limit, not
/// read whole; `resolve` looks a query that cleans to nothing up as the username `''`.
#[test]
fn huge_text_is_refused_and_empty_queries_are_the_empty_username() {
    let dir = util::TempDir::new("cli-huge");
    let big = dir.join("big.txt");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(1 << 30).unwrap();
    let out = run(&["inspect", big.to_str().unwrap()], None);
    assert_eq!(
        text(&out.stderr),
        format!(
            "pyrosession: cannot read {}: more than 16 MiB, too much for a session string or a JSON session\n",
            big.display()
        )
    );
    // A query that cleans to nothing is the username '', which Pyrogram's resolve_peer looks up
    // and a file can hold (spec/storage.md §6.5).
    let dir = util::TempDir::new("cli-empty-username");
    let mut s = pyrosession::storage::Storage::open_file(dir.join("empty.session")).unwrap();
    s.update_peers(&[pyrosession::peer::Peer {
        id: 111,
        access_hash: Some(-1),
        peer_type: pyrosession::peer::PeerType::User,
        username: Some(String::new()),
        phone_number: None,
    }])
    .unwrap();
    s.close().unwrap();
    for q in ["", "@", "+", " \u{1c}\u{a0}"] {
        let out = run(
            &["resolve", dir.join("empty.session").to_str().unwrap(), q],
            None,
        );
        assert_eq!(
            text(&out.stdout),
            "InputPeerUser(user_id=111, access_hash=-1)\n",
            "{q:?}: {}",
            text(&out.stderr)
        );
    }
}

/// `-` is never taken as a file to create, and an empty driver command line is called empty.
#[test]
fn dash_is_not_a_file_and_an_empty_driver_is_named() {
    let dir = util::TempDir::new("cli-dash");
    let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(["import", &example("v2.txt"), "-"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "pyrosession: import writes a session file: name it (- is not a file name here)\n"
    );
    assert!(!dir.join("-").exists());
    let out = run(&["conform", "--driver", ""], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "pyrosession: the driver command line is empty: name a program to run\n"
    );
}

/// A file whose values no session string can hold is reported with a warning for each, in text
/// and JSON, where `export` fails; a file without such values has none.
#[test]
fn inspect_warns_of_what_export_refuses() {
    let dir = util::TempDir::new("cli-warnings");
    let p = fixture_copy(&dir, "pyrogram-2.0.106.session");
    let out = run(&["inspect", "--json", &p], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([]));
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("UPDATE sessions SET dc_id = -5, api_id = 4294967296, user_id = -7")
        .unwrap();
    let want = [
        "dc_id -5 is out of range (0 to 255): no session string can hold it, so export fails",
        "api_id 4294967296 is out of range (0 to 4294967295): no session string can hold it, so export fails",
        "user_id -7 is negative: no session string can hold it, so export fails",
    ];
    let out = run(&["inspect", &p], None);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    for w in want {
        assert!(shown.contains(&format!("warning      {w}\n")), "{shown}");
    }
    let out = run(&["inspect", "--json", &p], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"], serde_json::json!(want));
    let out = run(&["export", &p], None);
    assert_eq!(out.status.code(), Some(1));
}

/// A file name that is not UTF-8 (which Linux allows) is taken as the file it names by every
/// command that takes a file or a string, and a missing one is named, not decoded as a string.
#[test]
fn file_names_that_are_not_utf8_are_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = util::TempDir::new("cli-non-utf8");
    let run_in = |args: &[&OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .current_dir(&dir.0)
            .output()
            .unwrap()
    };
    let os = |s: &str| OsStr::new(s).to_owned();
    let session = OsStr::from_bytes(b"caf\xe9.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        dir.0.join(session),
    )
    .unwrap();
    let out = run_in(&[&os("inspect"), &os("--json"), session]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dialect"], "pyrogram");

    // The string convert prints is the one export prints, and import reads it from a text
    // file whose name is not UTF-8 either.
    let out = run_in(&[&os("convert"), &os("--to"), &os("pyrogram"), session]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = run_in(&[&os("export"), session]);
    assert_eq!(text(&out.stdout), text(&exported.stdout));
    let string_file = OsStr::from_bytes(b"s\xff.txt");
    std::fs::write(dir.0.join(string_file), &out.stdout).unwrap();
    let out = run_in(&[&os("import"), string_file, &os("new.session")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.join("new.session").is_file());

    // A missing one is a missing file, named as the file system has it (lossily shown).
    let missing = OsStr::from_bytes(b"gone\xff");
    for command in ["inspect", "convert --to pyrogram", "import"] {
        let mut args: Vec<std::ffi::OsString> = command.split(' ').map(os).collect();
        args.push(missing.to_owned());
        if command == "import" {
            args.push(os("other.session"));
        }
        let refs: Vec<&OsStr> = args.iter().map(std::ffi::OsString::as_os_str).collect();
        let out = run_in(&refs);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert_eq!(
            text(&out.stderr),
            "pyrosession: cannot read gone\\xff: no such file\n",
            "{command}"
        );
    }
    assert!(!dir.join("other.session").exists());
}

/// The conformance runner against drivers that break the protocol (tests/drivers/broken.py):
/// each run ends, soon, with a driver error that says what happened, and exit status 1; no hang,
/// no unbounded memory, no panic (found by an audit that wrote drivers from the spec: a hanging
/// driver hung the run, and an endless line aborted it out of memory) (spec/conformance.md §2.1,
/// §3.1).
#[test]
fn conform_survives_broken_drivers() {
    let python = std::env::var("PYROSESSION_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = util::root().join("tests/drivers/broken.py");
    for (mode, first, later) in [
        (
            "hang",
            "the driver did not answer open_string within 3 s and was stopped",
            "not sent: the driver did not answer open_string within 3 s and was stopped",
        ),
        (
            "endless",
            "the answer to open_string is longer than 1048576 bytes",
            "within 3 s and was stopped",
        ),
        (
            "not-utf8",
            "the answer to open_string is not UTF-8 (at byte 0)",
            "is not UTF-8",
        ),
        (
            "exit",
            "the driver exited during open_string (exit status: 3)",
            "not sent: the driver exited during open_string (exit status: 3)",
        ),
        (
            "unknown-kind",
            "has the error kind \"NOT_FOUND\", which is none of not_found, expired",
            "which is none of",
        ),
    ] {
        let started = std::time::Instant::now();
        let driver = format!("{python} {} {mode}", script.display());
        // 3 s: a loaded machine has taken most of a second to start Python and answer hello.
        let out = run(&["conform", "--timeout", "3", "--driver", &driver], None);
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{mode}: {said}");
        assert!(
            said.contains(&format!("implementation: broken ({mode})")),
            "{mode}: {said}"
        );
        let errors: Vec<&str> = said
            .lines()
            .filter(|l| l.contains("DRIVER ERROR"))
            .collect();
        assert!(errors.len() > 10, "{mode}: {said}");
        assert!(errors[0].contains(first), "{mode}: {}", errors[0]);
        assert!(errors.last().unwrap().contains(later), "{mode}: {said}");
        assert!(
            said.len() < 100_000,
            "{mode}: a report of {} bytes",
            said.len()
        );
        assert!(
            started.elapsed().as_secs() < 120,
            "{mode}: {:?}",
            started.elapsed()
        );
    }
}

/// A string saved in a file named `*.session` is a string: it gets Pyrogram's verdict, `--strict`
/// and the warnings, as in any other file (found by an audit: the name made it a session file,
/// which read it leniently); a JSON session or an empty file named so is still a session file.
#[test]
fn a_string_in_a_session_named_file_gets_the_strings_verdict() {
    let dir = util::TempDir::new("cli-string-session");
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let lead = dir.join("lead.session");
    std::fs::write(&lead, format!(" {}", v2.trim())).unwrap();
    let out = run(&["inspect", lead.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("(Pyrogram 2.0.106: binascii.Error: Incorrect padding)"),
        "{}",
        text(&out.stderr)
    );
    let padded = dir.join("padded.session");
    std::fs::copy(util::root().join("spec/examples/v2-padded.txt"), &padded).unwrap();
    let out = run(&["inspect", "--strict", padded.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let empty = dir.join("empty.session");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["inspect", empty.to_str().unwrap()], None);
    assert_eq!(
        text(&out.stderr),
        format!("pyrosession: {}: the file is empty\n", empty.display())
    );
}

/// `resolve` answers in `resolve_peer`'s order, as real Pyrogram 2.0.106 answered each text
/// (found by an audit that ran it): the text as an id first (SQLite reads "+111111111" as the
/// integer), then me/self, then a phone number; Python's whitespace includes U+001F
/// (spec/storage.md §6.5).
#[test]
fn resolve_follows_resolve_peers_order() {
    let dir = util::TempDir::new("cli-resolve-order");
    let mut s = pyrosession::storage::Storage::open_file(dir.join("fresh.session")).unwrap();
    s.update_peers(&[pyrosession::peer::Peer {
        id: 111,
        access_hash: Some(-1),
        peer_type: pyrosession::peer::PeerType::User,
        username: Some("alice".into()),
        phone_number: None,
    }])
    .unwrap();
    s.close().unwrap();
    for (q, answer) in [
        (
            "+111111111",
            "InputPeerUser(user_id=111111111, access_hash=1234567890123456789)",
        ),
        (
            "15550001",
            "InputPeerUser(user_id=111111111, access_hash=1234567890123456789)",
        ),
        ("me", "InputPeerSelf()"),
        ("self", "InputPeerSelf()"),
    ] {
        let out = run(
            &["resolve", "spec/fixtures/pyrogram-2.0.106.session", q],
            None,
        );
        assert_eq!(
            text(&out.stdout),
            format!("{answer}\n"),
            "{q}: {}",
            text(&out.stderr)
        );
    }
    let out = run(
        &[
            "resolve",
            dir.join("fresh.session").to_str().unwrap(),
            "@ali\u{1f}ce",
        ],
        None,
    );
    assert_eq!(
        text(&out.stdout),
        "InputPeerUser(user_id=111, access_hash=-1)\n"
    );
}

/// One bad peer row does not lock the user out (spec/storage.md §6.6): `inspect` shows the
/// session and names the rows it could not read, a string is made (it holds no peers), a file
/// target says which peers it left behind, and `peers` lists the others and names the rest.
#[test]
fn bad_peer_rows_do_not_lock_the_user_out() {
    let dir = util::TempDir::new("cli-bad-peers");
    let path = std::path::PathBuf::from(fixture_copy(&dir, "pyrogram-2.0.106.session"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE peers SET type = 'USER' WHERE id = 111111111;
         UPDATE peers SET access_hash = 1.5 WHERE id = 222222222;
         UPDATE peers SET username = x'616263' WHERE id = 444444444;",
    )
    .unwrap();
    drop(conn);
    let file = path.to_str().unwrap();
    let not_read = [
        "peer 111111111: peers.type is the text \"USER\", expected a known peer type",
        "peer 222222222: peers.access_hash is the real 1.5, expected an integer",
        "peer 444444444: peers.username is a blob of 3 bytes, expected text",
    ];

    let out = run(&["inspect", file], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("\npeers        7 (user 1, bot 1, group 1, channel 2, supergroup 2)\n"),
        "{report}"
    );
    let warnings: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("warning"))
        .collect();
    let want: Vec<String> = not_read
        .iter()
        .map(|r| format!("warning      peer row not read: {r}"))
        .collect();
    assert_eq!(warnings, want);
    let out = run(&["inspect", "--json", file], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["unreadable_peers"][0],
        serde_json::json!({"id": 111_111_111, "column": "peers.type", "expected": "a known peer type", "found": "the text \"USER\""})
    );

    let out = run(&["convert", "--to", "pyrogram", file], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "pyrosession: note: a Pyrogram string holds no peers: 10 cached peers are left behind\n"
    );
    let target = dir.join("copy.session");
    let out = run(
        &[
            "convert",
            "--to",
            "pyrogram-file",
            file,
            target.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "pyrosession: note: 3 peer rows cannot be read and are left behind: {}\n",
            not_read.join("; ")
        )),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["peers", file], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1 + 7);
    let want: String = not_read
        .iter()
        .map(|r| format!("pyrosession: warning: peer row not read: {r}"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert_eq!(text(&out.stderr), want);
}

/// Exit statuses a script can use (spec/conversions.md §11.4): `inspect --pyrogram` answers
/// whether Pyrogram 2.0.106 takes the session as its own (0), or not (3: another library's
/// session, a fork's file), apart from a failure (1); `resolve` tells a peer the file does not
/// hold (3) from a failure (1). (A Telethon string inspected with exit status 0, and a missing
/// peer and a missing file both gave 1.)
#[test]
fn exit_statuses_answer_scripts() {
    let fixture = |name: &str| {
        util::root()
            .join("spec/fixtures")
            .join(name)
            .to_string_lossy()
            .into_owned()
    };
    let example = |name: &str| {
        std::fs::read_to_string(util::root().join("spec/examples").join(name))
            .unwrap()
            .trim_end()
            .to_owned()
    };
    let v2 = example("v2.txt");
    for (arg, code) in [
        (fixture("pyrogram-2.0.106.session"), 0),
        (fixture("hydrogram-0.2.0.session"), 0),
        (fixture("kurigram-2.2.26.session"), 3),
        (fixture("telethon-1.45.0.session"), 3),
        (v2.clone(), 0),
        (example("telethon.txt"), 3),
        (v2[..300].to_owned(), 1),
    ] {
        let out = run(&["inspect", "--pyrogram", &arg], None);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            &arg[..40.min(arg.len())]
        );
        // Without the flag, a report printed is success.
        let out = run(&["inspect", &arg], None);
        assert_eq!(out.status.code(), Some(i32::from(code == 1)));
    }
    let file = fixture("pyrogram-2.0.106.session");
    assert_eq!(run(&["resolve", &file, "me"], None).status.code(), Some(0));
    let missing = run(&["resolve", &file, "@nosuchname"], None);
    assert_eq!(missing.status.code(), Some(3));
    assert_eq!(
        text(&missing.stderr),
        "pyrosession: username not found: nosuchname\n"
    );
    assert_eq!(
        run(&["resolve", "no-such-file.session", "me"], None)
            .status
            .code(),
        Some(1)
    );
}

/// A file to write named by what may be a session string cut short (64 characters or more,
/// nearly all base64) is refused, and never printed: `import`, `convert` and `salvage` made such
/// a file and quoted its name in `wrote …` (found by an audit; spec/conversions.md §11.1).
#[test]
fn a_target_named_by_a_cut_string_is_refused_unquoted() {
    let dir = util::TempDir::new("cut-target");
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let v2 = v2.trim_end();
    let cut = &v2[..120];
    let fixture = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    let fixture = fixture.to_str().unwrap();
    for args in [
        vec!["import", v2, cut],
        vec!["convert", "--to", "pyrogram-file", v2, cut],
        vec!["salvage", fixture, cut],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"));
        let out = child.args(&args).current_dir(&dir.0).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", args[0]);
        assert_eq!(
            text(&out.stderr),
            "pyrosession: the file to write is named by what may be a session string (of 120 characters, not shown): give the session first, then the file, whose name is not 64 characters or more of base64\n",
            "{}",
            args[0]
        );
        assert!(!text(&out.stdout).contains(&cut[..24]));
        assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0, "{}", args[0]);
    }
}
