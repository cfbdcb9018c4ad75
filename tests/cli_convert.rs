//! `pyrosession convert`, and `inspect` on other libraries' sessions, run as a user runs them
//! (spec/conversions.md §11).

mod util;

use std::process::{Command, Output};

use pyrosession::convert::{read_path, read_text, Kind};
use pyrosession::string::decode_strict;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .current_dir(util::root())
        .output()
        .expect("run pyrosession")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn example(name: &str) -> String {
    let s = std::fs::read_to_string(util::root().join("spec/examples").join(name)).unwrap();
    s.trim_end().to_owned()
}

/// Bytes 0..=255, the key of the examples and of the fixtures.
fn key_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// No output holds the key: not in hex, not in standard or URL-safe base64, not a piece of it.
#[track_caller]
fn assert_no_key(out: &Output) {
    use base64::Engine as _;
    let key = key_bytes();
    let hex = pyrosession::AuthKey::from_slice(&key).unwrap().to_hex();
    let std64 = base64::engine::general_purpose::STANDARD.encode(&key);
    let url64 = base64::engine::general_purpose::URL_SAFE.encode(&key);
    for stream in [text(&out.stdout), text(&out.stderr)] {
        for whole in [&hex, &std64, &url64] {
            for piece in whole.as_bytes().chunks(24).filter(|c| c.len() == 24) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!stream.contains(piece), "key material in output: {stream}");
            }
        }
    }
}

#[test]
fn inspect_a_telethon_string_says_what_pyrogram_needs() {
    let out = run(&["inspect", &example("telethon.txt")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "format       a Telethon string session (IPv4)
dc_id        2
api_id       not held
test_mode    not held
user_id      not held
is_bot       not held
server       149.154.167.51:443
auth_key_id  e1bc6d0dcda2e1fa
peers        0
to Pyrogram  Pyrogram needs the application's api_id, the account's user id and to know whether the account is a bot, which a Telethon string session does not hold: pass --api-id, --user-id and --is-bot true or --is-bot false
to Telethon  nothing to pass
to GramJS    nothing to pass
"
    );
}

#[test]
fn inspect_json_on_every_other_format_and_no_key() {
    let cases = [
        (
            "spec/fixtures/telethon-1.45.0.session",
            "telethon-file",
            "version 8",
        ),
        (
            "spec/fixtures/pyrogram-json-0.14.session",
            "pyrogram-json",
            "Pyrogram ≤ 0.14",
        ),
    ];
    for (file, format, detail) in cases {
        let out = run(&["inspect", "--json", file]);
        assert_eq!(out.status.code(), Some(0), "{file}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["format"], format);
        assert_eq!(v["detail"], detail);
        assert_eq!(v["auth_key_id"], "c8df57a46e58d132");
        assert_eq!(v["peers"], 10);
        assert!(v.get("auth_key").is_none());
        assert_no_key(&out);
    }
    let out = run(&[
        "inspect",
        "--json",
        "spec/fixtures/pyrogram-json-0.14.session",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["needs"]["pyrogram"],
        "Pyrogram needs the application's api_id, which a Pyrogram JSON session does not hold: pass --api-id"
    );
    assert_eq!(v["needs"]["telethon"], serde_json::Value::Null);
    let out = run(&[
        "inspect",
        "--json",
        "--reveal-key",
        "spec/fixtures/telethon-1.45.0.session",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["auth_key"].as_str().unwrap().len(), 512);
}

/// The library says which value is missing, conflicting or unknown, and names no option; the
/// command names the option for each (spec/conversions.md §9).
#[test]
fn convert_names_the_option_for_each_value() {
    let out = run(&[
        "convert",
        "--to",
        "gramjs",
        "--port",
        "80",
        &example("telethon.txt"),
    ]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: the source holds port 443, but --port says 80: leave the option out or make them agree\n"
    );
    let foreign = run(&[
        "convert",
        "--to",
        "telethon",
        "--server",
        "10.0.0.1",
        "--port",
        "443",
        "spec/examples/v2.txt",
    ]);
    let foreign = text(&foreign.stdout);
    let out = run(&["convert", "--to", "pyrogram", foreign.trim()]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: Pyrogram needs the application's api_id, the account's user id, to know whether the account is a bot and to know whether the session is for the test servers, which a Telethon string session does not hold: pass --api-id, --user-id, --is-bot true or --is-bot false and --test-mode true or --test-mode false\n"
    );
    let out = run(&["convert", "--to", "gramjs", "--ipv6", foreign.trim()]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: a Telethon string session: --ipv6 takes the data-center table's IPv6 address, and the server 10.0.0.1 is not in the table: leave --ipv6 out, or pass --server with the IPv6 address\n"
    );
}

#[test]
fn convert_stops_and_names_the_options_to_pass() {
    let out = run(&[
        "convert",
        "--to",
        "pyrogram",
        "spec/fixtures/telethon-1.45.0.session",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        text(&out.stderr),
        "pyrosession: Pyrogram needs the application's api_id, the account's user id and to know whether the account is a bot, which a Telethon session file does not hold: pass --api-id, --user-id and --is-bot true or --is-bot false\n"
    );
    let out = run(&[
        "convert",
        "--to",
        "pyrogram",
        "--api-id",
        "1",
        "--user-id",
        "2",
        "--is-bot",
        "false",
        "--server",
        "1.2.3.4",
        &example("telethon.txt"),
    ]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: the source holds server 149.154.167.51, but --server says 1.2.3.4: leave the option out or make them agree\n"
    );
    // A GramJS session on a host name: test mode cannot be read from the table.
    let g = text(
        &run(&[
            "convert",
            "--to",
            "gramjs",
            "--server",
            "example.org",
            "--port",
            "8443",
            "spec/examples/v2.txt",
        ])
        .stdout,
    );
    let out = run(&[
        "convert",
        "--to",
        "pyrogram",
        "--api-id",
        "1",
        "--user-id",
        "2",
        "--is-bot",
        "false",
        g.trim(),
    ]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot tell whether example.org is a test or a production server: it is not in Telegram's data-center table; pass --test-mode true or --test-mode false\n"
    );
    // ... and a host name has no place in a Telethon string.
    let out = run(&["convert", "--to", "telethon", g.trim()]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: a Telethon string holds the server as an IP address, and \"example.org\" is not one: pass --server with the IP address\n"
    );
    // An address that is no IP address is said so before the port it lacks.
    let out = run(&[
        "convert",
        "--to",
        "telethon",
        "--server",
        "999.1.1.1",
        "spec/fixtures/pyrogram-2.0.106.session",
    ]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: a Telethon string holds the server as an IP address, and \"999.1.1.1\" is not one: pass --server with the IP address\n"
    );
    // A data center the table does not list.
    let mut s = decode_strict(&example("v2.txt")).unwrap().session;
    s.dc_id = 7;
    let seven = pyrosession::string::encode(&s, pyrosession::string::Format::V2).unwrap();
    let out = run(&["convert", "--to", "gramjs", &seven]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: data center 7 (production) is not in Telegram's data-center table: pass --server and --port\n"
    );
    let out = run(&["convert", "--to", "telethon-file", &seven]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: --to telethon-file writes a file: name the TARGET file after SOURCE\n"
    );
    let out = run(&["convert", "--to", "telethon", "missing.session"]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot read missing.session: no such file\n"
    );
    let out = run(&["convert", "--to", "pyrogram", "not a session"]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: not a session of any known format (Pyrogram string or file, Telethon string or file, GramJS string, Pyrogram JSON): a text of 13 characters\n"
    );
}

#[test]
fn strings_print_on_stdout_and_round_trip_through_the_command() {
    let v2 = example("v2.txt");
    let t = run(&["convert", "--to", "telethon", &v2]);
    assert_eq!(out_code(&t), 0);
    assert_eq!(
        text(&t.stderr),
        "pyrosession: note: Telethon does not hold api_id, user_id, is_bot, test_mode; they are left behind\n"
    );
    let telethon = text(&t.stdout);
    assert_eq!(read_text(&telethon).unwrap().kind, Kind::TelethonString);
    let g = run(&["convert", "--to", "gramjs", telethon.trim()]);
    let back = run(&[
        "convert",
        "--to",
        "pyrogram",
        "--api-id",
        "12345",
        "--user-id",
        "123456789",
        "--is-bot",
        "false",
        text(&g.stdout).trim(),
    ]);
    assert_eq!(text(&back.stdout), format!("{v2}\n"));
    assert_eq!(back.stderr, b"");
}

fn out_code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A file the conversion wrote is readable and writable by its owner only (0600).
#[track_caller]
fn assert_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "{} has mode {:o}",
            path.display(),
            mode & 0o777
        );
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[test]
fn files_are_private_never_overwritten_without_force_and_never_the_source() {
    let dir = util::TempDir::new("cli-convert");
    let target = dir.join("from-telethon.session");
    let t = target.to_str().unwrap();
    let args = [
        "convert",
        "--to",
        "pyrogram-file",
        "--api-id",
        "12345",
        "--user-id",
        "123456789",
        "--is-bot",
        "false",
        "spec/fixtures/telethon-1.45.0.session",
        t,
    ];
    let out = run(&args);
    assert_eq!(out_code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!("pyrosession: note: Telethon's update state (1 row) and sent-file cache (1 row) are left behind
pyrosession: note: display names are not carried: 10 names are left behind
pyrosession: note: the source records no peer types: 10 peers are typed by id, so bots are stored as users and supergroups as channels
pyrosession: wrote {t} (pyrogram-file, dc 2, 10 peers)\n")
    );
    assert_no_key(&out);
    assert_private(&target);
    let account = read_path(&target).unwrap();
    assert_eq!(account.kind, Kind::PyrogramFile);
    assert_eq!(account.peers.len(), 10);
    let before = std::fs::read(&target).unwrap();
    let again = run(&args);
    assert_eq!(out_code(&again), 1);
    assert_eq!(
        text(&again.stderr),
        format!("pyrosession: {t} exists; pass --force to replace it\n")
    );
    assert_eq!(std::fs::read(&target).unwrap(), before);
    let mut forced = args.to_vec();
    forced.insert(1, "--force");
    assert_eq!(out_code(&run(&forced)), 0);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
    // The source is never the target, even with --force.
    let same = run(&["convert", "--force", "--to", "telethon-file", t, t]);
    assert_eq!(text(&same.stderr), format!("pyrosession: {t} is the source; a conversion never changes its source: name another target\n"));
    // A string target written to a file, 0600 as well.
    let s = dir.join("telethon.txt");
    let out = run(&["convert", "--to", "telethon", t, s.to_str().unwrap()]);
    assert_eq!(out_code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"");
    assert_private(&s);
    let written = std::fs::read_to_string(&s).unwrap();
    assert_eq!(read_text(&written).unwrap().dc_id, 2);
}

#[test]
fn telethon_file_versions_and_the_source_is_untouched() {
    let dir = util::TempDir::new("cli-convert-versions");
    let source = "spec/fixtures/pyrogram-2.0.106.session";
    let before = std::fs::read(util::root().join(source)).unwrap();
    for version in ["7", "8"] {
        let target = dir.join(&format!("v{version}.session"));
        let out = run(&[
            "convert",
            "--to",
            "telethon-file",
            "--telethon-version",
            version,
            source,
            target.to_str().unwrap(),
        ]);
        assert_eq!(out_code(&out), 0, "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stderr).lines().filter(|l| l.contains("note")).collect::<Vec<_>>(),
            [
                "pyrosession: note: Telethon does not hold api_id, user_id, is_bot, test_mode; they are left behind",
                "pyrosession: note: Telethon records no peer types: bots will read back as users (1) and supergroups as channels (2)",
            ]
        );
        let conn = rusqlite::Connection::open(&target).unwrap();
        let v: i64 = conn
            .query_row("SELECT version FROM version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v.to_string(), version);
        let inspect = run(&["inspect", target.to_str().unwrap()]);
        assert!(text(&inspect.stdout).starts_with(&format!(
            "format       a Telethon session file (version {version})\n"
        )));
        assert_no_key(&inspect);
    }
    // The refused target lies in the temp dir, so a regression that wrote it anyway could
    // not write into the repository, and is caught here.
    let refused = dir.join("x.session");
    let bad = run(&[
        "convert",
        "--to",
        "telethon-file",
        "--telethon-version",
        "6",
        source,
        refused.to_str().unwrap(),
    ]);
    assert_eq!(out_code(&bad), 2);
    assert!(!refused.exists(), "{} was written", refused.display());
    assert_eq!(std::fs::read(util::root().join(source)).unwrap(), before);
}

/// A TARGET of `-` is standard output for a string, as no TARGET is, and refused for a file
/// target: never a file named `-` (found by a conversions audit; `import` already refused it).
#[test]
fn a_dash_target_is_standard_output_or_refused() {
    let dir = util::TempDir::new("convert-dash");
    let run_in = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .current_dir(&dir.0)
            .output()
            .unwrap()
    };
    let v2 = util::root().join("spec/examples/v2.txt");
    let v2 = v2.to_str().unwrap();
    let to_stdout = run_in(&["convert", "--to", "telethon", v2]);
    let dashed = run_in(&["convert", "--to", "telethon", v2, "-"]);
    assert!(dashed.status.success());
    assert_eq!(dashed.stdout, to_stdout.stdout);
    assert!(text(&dashed.stdout).starts_with('1'));
    let refused = run_in(&["convert", "--to", "telethon-file", v2, "-"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        text(&refused.stderr),
        "pyrosession: --to telethon-file writes a file: name it (- is not a file name here)\n"
    );
    assert!(
        std::fs::read_dir(&dir.0).unwrap().next().is_none(),
        "a file was written"
    );
}

/// A Pyrogram string that Pyrogram takes at another length, its padding kept, is converted as
/// `inspect` and `import` read it, with the same warning (found by a conversions audit:
/// `convert` called it "not a session of any known format").
#[test]
fn a_padded_pyrogram_string_is_converted_with_its_warning() {
    let padded = util::root().join("spec/examples/v2-padded.txt");
    let canonical = run(&["convert", "--to", "telethon", "spec/examples/v2.txt"]);
    assert!(canonical.status.success());
    for source in [
        padded.to_str().unwrap().to_owned(),
        std::fs::read_to_string(&padded).unwrap().trim().to_owned(),
    ] {
        let out = run(&["convert", "--to", "telethon", &source]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(out.stdout, canonical.stdout);
        assert!(
            text(&out.stderr).starts_with(
                "pyrosession: warning: 2 padding character(s) '=', the first at offset 362; canonical strings have no padding\n"
            ),
            "{}",
            text(&out.stderr)
        );
    }
    // A canonical one gets no warning.
    assert!(
        !text(&canonical.stderr).contains("warning"),
        "{}",
        text(&canonical.stderr)
    );
}

/// `convert --force` onto a session that another client holds waits for it, as every write
/// does, and then says it is in use: the holder's writes are not lost to an unlinked file
/// (spec/conversions.md §5.5; it replaced the file at once). Two holders: a storage of this
/// crate, and a client in the middle of a write transaction as Pyrogram leaves one open.
#[test]
fn force_onto_a_held_session_is_in_use() {
    use pyrosession::peer::{Peer, PeerType};
    let dir = util::TempDir::new("force-held");
    let target = dir.join("held.session");
    let t = target.to_str().unwrap();
    let source = util::root().join("spec/examples/v2.txt");
    let args = [
        "convert",
        "--force",
        "--to",
        "pyrogram-file",
        source.to_str().unwrap(),
        t,
    ];
    let expected = format!(
        "pyrosession: {t}: the session is in use: another client has it open (waited 5000 ms; close that client first)\n"
    );

    let mut held = pyrosession::storage::Storage::open_file(&target).unwrap();
    let out = run(&args);
    assert_eq!(text(&out.stderr), expected);
    assert_eq!(out.status.code(), Some(1));
    let peer = Peer {
        id: 5,
        access_hash: Some(9),
        peer_type: PeerType::User,
        username: None,
        phone_number: None,
    };
    held.update_peers(std::slice::from_ref(&peer)).unwrap();
    held.close().unwrap();
    let s = pyrosession::storage::Storage::open_file(&target).unwrap();
    assert_eq!(s.peers().unwrap().len(), 1, "the holder's write was lost");
    s.close().unwrap();

    let conn = rusqlite::Connection::open(&target).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE sessions SET dc_id = 4")
        .unwrap();
    let out = run(&args);
    assert_eq!(text(&out.stderr), expected);
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    let s = pyrosession::storage::Storage::open_file(&target).unwrap();
    assert_eq!(
        s.session().unwrap().dc_id,
        4,
        "the writer's commit was lost"
    );
    s.close().unwrap();

    // Free, it is replaced.
    assert_eq!(run(&args).status.code(), Some(0));
    let s = pyrosession::storage::Storage::open_file(&target).unwrap();
    assert_eq!(s.peers().unwrap().len(), 0);
    assert_eq!(s.session().unwrap().dc_id, 2);
}

/// `convert --force` onto a WAL-mode session that a crash left with its `-wal` takes the old
/// file's side files with it: the new file is read as written, not with the old WAL's pages
/// (spec/conversions.md §5.5).
#[test]
fn force_onto_a_wal_file_leaves_no_old_wal_beside_the_new_one() {
    let dir = util::TempDir::new("force-wal");
    let target = dir.join("old.session");
    let t = target.to_str().unwrap();
    pyrosession::storage::Storage::open_file(&target)
        .unwrap()
        .close()
        .unwrap();
    let conn = rusqlite::Connection::open(&target).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("UPDATE sessions SET dc_id = 5, user_id = 1")
        .unwrap();
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .unwrap();
    drop(conn);
    let wal = dir.join("old.session-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let source = util::root().join("spec/examples/v2.txt");
    let out = run(&[
        "convert",
        "--force",
        "--to",
        "pyrogram-file",
        source.to_str().unwrap(),
        t,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!wal.exists(), "the old -wal is beside the new file");
    let s = pyrosession::storage::Storage::open_file(&target).unwrap();
    let session = s.session().unwrap();
    assert_eq!((session.dc_id, session.user_id), (2, Some(123_456_789)));
}

/// spec/conversions.md §5.5: `--force` follows a symbolic link to a regular file, as the open
/// does: the file it points to is replaced (its old `-journal` goes with it) and the link
/// stays. It replaced the link with a new file and left the real one stale.
#[test]
fn force_through_a_link_replaces_the_file_it_points_to_and_keeps_the_link() {
    let dir = util::TempDir::new("force-link");
    let real = dir.join("real.session");
    let link = dir.join("bot.session");
    pyrosession::storage::Storage::open_file(&real)
        .unwrap()
        .close()
        .unwrap();
    std::os::unix::fs::symlink("real.session", &link).unwrap();
    let source = util::root().join("spec/examples/v2.txt");
    let out = run(&[
        "convert",
        "--force",
        "--to",
        "pyrogram-file",
        source.to_str().unwrap(),
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("real.session")
    );
    let s = pyrosession::storage::Storage::open_file_read_only(&real).unwrap();
    assert_eq!(s.session().unwrap().user_id, Some(123_456_789));
    assert_private(&real);
    // Nothing but the link and the file is left.
    let mut names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bot.session", "real.session"]);
}

/// spec/conversions.md §5.5: a device is never replaced, with or without `--force` (as root,
/// `convert --force … /dev/null` replaced the system's `/dev/null` with a file holding the
/// key). A copy of `/dev/null` is made where `mknod` may be run (as root); elsewhere the test
/// has nothing to make.
#[test]
fn force_never_replaces_a_device() {
    let dir = util::TempDir::new("force-device");
    let device = dir.join("null");
    let made = Command::new("mknod")
        .args([device.to_str().unwrap(), "c", "1", "3"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mknod cannot be run here: nothing to check");
        return;
    }
    let d = device.to_str().unwrap();
    let source = util::root().join("spec/examples/v2.txt");
    for force in [true, false] {
        let mut args = vec!["convert", "--to", "telethon", source.to_str().unwrap(), d];
        if force {
            args.insert(1, "--force");
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            format!("pyrosession: {d}: a character device, not a regular file; nothing is written there\n")
        );
        assert_no_key(&out);
    }
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &std::fs::symlink_metadata(&device).unwrap().file_type()
    ));
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
}

/// A file that is neither SQLite nor UTF-8 text is named first, as every error about a file's
/// content is (issue 18: the path once, where the error begins). Before the redesign the path
/// came at the end of this one message.
#[test]
fn a_file_neither_sqlite_nor_text_is_named_first() {
    let dir = util::TempDir::new("cli-convert-binary");
    let path = dir.join("binary.session");
    std::fs::write(&path, [0xff_u8, 0xfe, 0x00, 0x80, 0x81]).unwrap();
    let out = run(&["convert", "--to", "telethon", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "pyrosession: {}: not a session of any known format (Pyrogram string or file, Telethon string or file, GramJS string, Pyrogram JSON): neither SQLite nor UTF-8 text\n",
            path.display()
        )
    );
}
