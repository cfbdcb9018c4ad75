//! A command stopped by SIGINT, SIGTERM or SIGHUP removes the temporary files and folders it
//! made, each a copy of the key, and exits with 128 + the signal (spec/storage.md §2.7, rule 7).
//! A real slow input (a session of 300,000 peers) gives the time to stop it half-way.

#![cfg(unix)]

mod util;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Pyrogram session file of 300,000 peers beyond the fixture's.
fn big_session(path: &Path) {
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        path,
    )
    .unwrap();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO peers (id, access_hash, type, username, phone_number, last_update_on)
                 VALUES (?1, ?2, 'user', ?3, NULL, 1)",
            )
            .unwrap();
        for i in 0..300_000i64 {
            insert
                .execute(rusqlite::params![1_000_000_000 + i, i, format!("u{i}")])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Waits until `ready` says the command is half-way, then sends it `signal`; gives its exit
/// status code.
fn stop_half_way(mut child: Child, signal: &str, ready: impl Fn() -> bool) -> Option<i32> {
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the command ended before it could be stopped"
        );
        assert!(start.elapsed() < Duration::from_secs(120), "never half-way");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "ended before the signal"
    );
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    child.wait().unwrap().code()
}

/// `salvage` (its private folder in TMPDIR, its copy of the file, the target's temporary file)
/// and `convert` to both file formats (the temporary file beside the target, and its
/// `-journal`), each stopped by a signal while it writes the target: nothing of them is left,
/// and the status is 128 + the signal. Without the handler, the signal killed the command and
/// left them all.
#[test]
fn a_command_stopped_by_a_signal_leaves_no_copy_of_the_key() {
    let work = util::TempDir::new("signals");
    let source = work.join("big.session");
    big_session(&source);
    let cases: [(&str, i32, &[&str]); 4] = [
        ("TERM", 15, &["salvage", "big.session", "out.session"]),
        ("INT", 2, &["salvage", "big.session", "out.session"]),
        (
            "TERM",
            15,
            &[
                "convert",
                "--to",
                "telethon-file",
                "big.session",
                "out.session",
            ],
        ),
        (
            "HUP",
            1,
            &[
                "convert",
                "--to",
                "pyrogram-file",
                "big.session",
                "out.session",
            ],
        ),
    ];
    for (signal, number, args) in cases {
        let tmp = util::TempDir::new("signals-tmpdir");
        let child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .current_dir(&work.0)
            .env("TMPDIR", &tmp.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Half-way: the target's temporary file exists (for salvage, after its private copy).
        let code = stop_half_way(child, signal, || {
            names(&work.0).iter().any(|n| {
                n.starts_with(".out.session.") && Path::new(n).extension() == Some("tmp".as_ref())
            })
        });
        assert_eq!(
            names(&work.0),
            ["big.session"],
            "{args:?} stopped by SIG{signal}"
        );
        assert_eq!(
            names(&tmp.0),
            Vec::<String>::new(),
            "{args:?} stopped by SIG{signal}"
        );
        assert_eq!(code, Some(128 + number), "{args:?} stopped by SIG{signal}");
    }
}
