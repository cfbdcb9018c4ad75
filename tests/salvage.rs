//! Salvage (spec/storage.md §11): files whose damage is confined to the `peers` b-tree, made by
//! overwriting its pages, give up their session and every peer that can still be read; the
//! damaged file and its side files are never changed; damage to `sessions` saves nothing.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pyrosession::storage::{RowidRange, Storage, StorageError, StorageErrorKind, StoredPeer};
use util::{btree, TempDir};

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Salvage's private directories are checked to be gone after each test: the tests that
/// salvage run one at a time, so that none sees another's directory.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The private directories salvage makes, which must all be gone once it returns.
fn private_dirs() -> Vec<PathBuf> {
    let prefix = format!(".pyrosession-salvage.{}.", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// What a normal open reads from a file before it is damaged.
fn before(path: &Path) -> (String, Vec<StoredPeer>) {
    let s = Storage::open_file_read_only(path).unwrap();
    let out = (s.export_session_string().unwrap(), s.peers().unwrap());
    s.close().unwrap();
    out
}

/// A written target, through the normal open, and SQLite's full integrity check.
fn after(path: &Path) -> (String, Vec<StoredPeer>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let schema: String = conn
        .query_row("SELECT number FROM version", [], |r| r.get::<_, i64>(0))
        .map(|v| v.to_string())
        .unwrap();
    assert_eq!(schema, "3");
    drop(conn);
    let s = Storage::open_file(path).unwrap();
    let out = (s.export_session_string().unwrap(), s.peers().unwrap());
    s.close().unwrap();
    out
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .output()
        .unwrap()
}

/// A leaf of `peers` overwritten: `export` refuses the file; salvage steps over exactly the
/// rowids that leaf covered, names the ids it held (from `idx_peers_id`), and writes a file
/// that opens normally, passes `integrity_check`, and holds the same session and every other
/// peer. The damaged file is byte for byte as it was.
#[test]
fn a_damaged_peers_leaf_is_stepped_over_and_the_rest_saved() {
    let _serial = serial();
    let dir = TempDir::new("salvage-leaf");
    let path = btree::many_peers(&dir.0, 2000);
    let (string, peers) = before(&path);
    let tree = btree::tree(&path, "peers");
    assert!(
        tree.leaves.len() >= 10 && !tree.interior.is_empty(),
        "{tree:?}"
    );
    let k = tree.leaves.len() / 2;
    let (page, lost) = tree.leaves[k].clone();
    btree::zero_page(&path, tree.page_size, page);

    let refused = Storage::open_file_read_only(&path).unwrap_err();
    assert!(
        matches!(refused.kind(), StorageErrorKind::Corrupt { .. }),
        "{refused:?}"
    );
    let files = snapshot(&dir.0);

    let salvaged = Storage::salvage(&path).unwrap();
    let report = salvaged.report();
    assert_eq!(
        report.peers.unreadable,
        [RowidRange {
            first: tree.leaves[k - 1].1.last().unwrap() + 1,
            last: *lost.last().unwrap(),
        }]
    );
    let index = report.index.as_ref().unwrap();
    assert!(index.present && index.complete);
    assert_eq!(index.lost, lost);
    assert_eq!(index.recovered, 0);
    assert!(report.peers.rejected.is_empty());
    assert_eq!(report.peers.saved, peers.len() - lost.len());

    let target = dir.join("saved.session");
    salvaged.write_file(&target).unwrap();
    let kept: Vec<StoredPeer> = peers
        .into_iter()
        .filter(|p| !lost.contains(&p.peer.id))
        .collect();
    assert_eq!(after(&target), (string, kept));
    let mut now = snapshot(&dir.0);
    now.remove(&target);
    assert_eq!(
        now, files,
        "salvage changed the damaged file or its directory"
    );
    assert!(private_dirs().is_empty(), "{:?}", private_dirs());

    // The target is never overwritten.
    let before_again = std::fs::read(&target).unwrap();
    let again = Storage::salvage(&path).unwrap().write_file(&target);
    assert!(
        matches!(
            again.as_ref().map_err(StorageError::kind),
            Err(StorageErrorKind::AlreadyExists)
        ),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), before_again);
}

/// The root of `peers` overwritten: no row of the table can be reached, every id the index
/// lists is lost, and the session is still saved.
#[test]
fn a_damaged_peers_root_loses_every_peer_and_saves_the_session() {
    let _serial = serial();
    let dir = TempDir::new("salvage-root");
    let path = btree::many_peers(&dir.0, 2000);
    let (string, peers) = before(&path);
    let tree = btree::tree(&path, "peers");
    btree::zero_page(&path, tree.page_size, tree.root);
    let salvaged = Storage::salvage(&path).unwrap();
    let report = salvaged.report();
    assert_eq!(
        report.peers.unreadable,
        [RowidRange {
            first: i64::MIN,
            last: i64::MAX
        }]
    );
    let mut ids: Vec<i64> = peers.iter().map(|p| p.peer.id).collect();
    ids.sort_unstable();
    assert_eq!(report.index.as_ref().unwrap().lost, ids);
    assert_eq!(report.peers.saved, 0);
    let target = dir.join("saved.session");
    salvaged.write_file(&target).unwrap();
    assert_eq!(after(&target), (string, Vec::new()));
}

/// With the index on `peers.id` damaged too, or absent, the report gives the unreadable range
/// and says the count of lost peers is not known.
#[test]
fn without_a_readable_index_the_loss_is_a_range() {
    let _serial = serial();
    for drop_index in [false, true] {
        let dir = TempDir::new("salvage-noindex");
        let path = btree::many_peers(&dir.0, 2000);
        if drop_index {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("DROP INDEX idx_peers_id").unwrap();
        }
        let tree = btree::tree(&path, "peers");
        let (page, lost) = tree.leaves[3].clone();
        btree::zero_page(&path, tree.page_size, page);
        if !drop_index {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let root: u32 = conn
                .query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = 'idx_peers_id'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            drop(conn);
            btree::zero_page(&path, tree.page_size, root);
        }
        let salvaged = Storage::salvage(&path).unwrap();
        let report = salvaged.report();
        assert_eq!(
            report.peers.unreadable,
            [RowidRange {
                first: tree.leaves[2].1.last().unwrap() + 1,
                last: *lost.last().unwrap(),
            }]
        );
        let index = report.index.as_ref().unwrap();
        assert_eq!(index.present, !drop_index);
        assert!(!index.complete && index.lost.is_empty());
        let expected = if drop_index {
            "peers lost: unknown (no index idx_peers_id lists the rows)"
        } else {
            "peers lost: unknown (idx_peers_id is damaged too)"
        };
        assert!(
            report.to_text().lines().any(|l| l == expected),
            "{}",
            report.to_text()
        );
    }
}

/// Damage to `sessions`: nothing can be saved, and the error says so, with why.
#[test]
fn a_damaged_sessions_table_saves_nothing() {
    let _serial = serial();
    let dir = TempDir::new("salvage-sessions");
    let path = btree::many_peers(&dir.0, 50);
    let tree = btree::tree(&path, "sessions");
    btree::zero_page(&path, tree.page_size, tree.root);
    let files = snapshot(&dir.0);
    let err = Storage::salvage(&path).unwrap_err();
    let StorageErrorKind::NothingSaved { cause } = err.kind() else {
        panic!("{err:?}");
    };
    assert!(
        matches!(**cause, StorageErrorKind::Corrupt { .. }),
        "{cause:?}"
    );
    util::assert_message(
        &err,
        &format!(
            "{}: the session row cannot be read, so nothing can be saved: the database is damaged (database disk image is malformed); restore a backup or log in again",
            path.display()
        ),
    );
    assert_eq!(snapshot(&dir.0), files);
    assert!(private_dirs().is_empty());
}

/// A session row that reads but fails the open's checks saves nothing either.
#[test]
fn an_invalid_session_row_saves_nothing() {
    let _serial = serial();
    let dir = TempDir::new("salvage-invalid");
    let path = btree::many_peers(&dir.0, 5);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE sessions SET auth_key = zeroblob(255)")
        .unwrap();
    drop(conn);
    let err = Storage::salvage(&path).unwrap_err();
    util::assert_message(
        &err,
        &format!(
            "{}: the session row cannot be read, so nothing can be saved: sessions.auth_key holds a blob of 255 bytes, expected a blob of 256 bytes",
            path.display()
        ),
    );
}

/// A hot journal beside the damaged file is copied with it and rolled back in the copy: the
/// salvage reads the last committed state, and the file and its journal stay as they were.
#[test]
fn a_hot_journal_is_rolled_back_in_the_copy_not_in_the_file() {
    let _serial = serial();
    let dir = TempDir::new("salvage-journal");
    let path = btree::many_peers(&dir.0, 2000);
    let (string, peers) = before(&path);
    let original = std::fs::read(&path).unwrap();
    // A writer whose cache spills: the file holds some of its pages, the journal the old ones.
    let crashed = dir.join("crashed.session");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA cache_size = 1; BEGIN;
             UPDATE sessions SET dc_id = 4;
             UPDATE peers SET username = username || 'x';",
        )
        .unwrap();
        std::fs::write(&crashed, std::fs::read(&path).unwrap()).unwrap();
        let journal = std::fs::read(dir.join("damaged.session-journal")).unwrap();
        std::fs::write(dir.join("crashed.session-journal"), journal).unwrap();
        conn.execute_batch("ROLLBACK").unwrap();
    }
    assert_ne!(
        std::fs::read(&crashed).unwrap(),
        original,
        "the writer spilled nothing: the journal would not matter"
    );
    std::fs::remove_file(&path).unwrap();
    let files = snapshot(&dir.0);
    let salvaged = Storage::salvage(&crashed).unwrap();
    assert_eq!(salvaged.report().side_files, ["-journal"]);
    assert!(salvaged.report().peers.unreadable.is_empty());
    let target = dir.join("saved.session");
    salvaged.write_file(&target).unwrap();
    assert_eq!(after(&target), (string, peers));
    let mut now = snapshot(&dir.0);
    now.remove(&target);
    assert_eq!(now, files, "the file or its journal changed");
}

/// An intact file of every dialect is saved whole: the session, and every peer with its
/// username, into a Pyrogram 2.0.106 file; what that file cannot hold is reported.
#[test]
fn an_intact_file_of_any_dialect_is_saved_whole() {
    let _serial = serial();
    for name in [
        "pyrogram-2.0.106.session",
        "pyrogram-0.15.1.session",
        "pyrofork-2.3.69.session",
        "kurigram-2.2.26.session",
        "kurigram-2.2.9.session",
        "hydrogram-0.2.0.session",
    ] {
        let dir = TempDir::new("salvage-intact");
        let path = dir.join("source.session");
        std::fs::copy(util::root().join("spec/fixtures").join(name), &path).unwrap();
        let source = Storage::open_file_read_only(&path).unwrap();
        let fields = source.session().unwrap();
        let peers = source.peers().unwrap();
        source.close().unwrap();
        let salvaged = Storage::salvage(&path).unwrap();
        let report = salvaged.report();
        assert!(
            report.peers.unreadable.is_empty() && report.index.is_none(),
            "{name}"
        );
        assert_eq!(report.peers.saved, peers.len(), "{name}");
        let target = dir.join("saved.session");
        salvaged.write_file(&target).unwrap();
        let saved = Storage::open_file(&target).unwrap();
        let got = saved.session().unwrap();
        assert_eq!(
            (got.dc_id, got.api_id, got.auth_key, got.user_id, got.date),
            (
                fields.dc_id,
                fields.api_id,
                fields.auth_key,
                fields.user_id,
                fields.date
            ),
            "{name}"
        );
        let got: Vec<(i64, Option<String>, i64)> = saved
            .peers()
            .unwrap()
            .into_iter()
            .map(|p| (p.peer.id, p.peer.username, p.last_update_on))
            .collect();
        let want: Vec<(i64, Option<String>, i64)> = peers
            .into_iter()
            .map(|p| (p.peer.id, p.peer.username, p.last_update_on))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

/// The command: `export` refuses the damaged file; `salvage` exits 0 with losses, writes the
/// report one fact a line, and with `-` prints the string alone on standard output; it exits 1
/// with one line on standard error when nothing can be saved.
#[test]
fn the_command_saves_reports_and_fails_as_every_command_does() {
    let _serial = serial();
    let dir = TempDir::new("salvage-cli");
    let path = btree::many_peers(&dir.0, 2000);
    let (string, peers) = before(&path);
    let tree = btree::tree(&path, "peers");
    let (page, lost) = tree.leaves[5].clone();
    btree::zero_page(&path, tree.page_size, page);
    let from = tree.leaves[4].1.last().unwrap() + 1;
    let to = lost.last().unwrap();

    let export = run(&["export".as_ref(), path.as_os_str()]);
    assert_eq!(export.status.code(), Some(1));

    let target = dir.join("saved.session");
    let out = run(&["salvage".as_ref(), path.as_os_str(), target.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let saved = peers.len() - lost.len();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "source: {}\ndialect: pyrogram v3\nsession: read whole (dc 2)\npeers saved: {saved}\npeers unreadable: rowids {from} to {to}\npeers lost: {} (idx_peers_id lists them, and they cannot be read)\ntarget: {} (Pyrogram 2.0.106, schema version 3, {saved} peers)\n",
            path.display(),
            lost.len(),
            target.display()
        )
    );
    assert!(out.stderr.is_empty());

    let out = run(&[
        "salvage".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
        "-".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{string}\n")
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(stderr.strip_prefix("pyrosession: ").unwrap()).unwrap();
    assert_eq!(report["peers"]["saved"], saved);
    assert_eq!(report["peers_written"], 0);
    assert_eq!(report["index"]["lost"], serde_json::json!(lost));

    // A second time: the target exists and is not overwritten.
    let out = run(&["salvage".as_ref(), path.as_os_str(), target.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "pyrosession: {}: already exists; not overwritten\n",
            target.display()
        )
    );

    let broken = TempDir::new("salvage-cli-sessions");
    let bad = btree::many_peers(&broken.0, 5);
    let sessions = btree::tree(&bad, "sessions");
    btree::zero_page(&bad, sessions.page_size, sessions.root);
    let out = run(&["salvage".as_ref(), bad.as_os_str(), "-".as_ref()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "pyrosession: {}: the session row cannot be read, so nothing can be saved: the database is damaged (database disk image is malformed); restore a backup or log in again\n",
            bad.display()
        )
    );
}

/// What salvage returns can cross threads, and its `Debug` never shows the key.
#[test]
fn salvaged_is_send_sync_and_keeps_the_key_out_of_debug() {
    fn check<T: Send + Sync + 'static>() {}
    check::<pyrosession::storage::Salvaged>();
    check::<pyrosession::storage::SalvageReport>();
    let _serial = serial();
    let path = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    let salvaged = Storage::salvage(&path).unwrap();
    let key = salvaged.session().auth_key.clone().unwrap();
    let hex = key.as_bytes().iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    });
    let debug = format!("{salvaged:?}").to_lowercase();
    assert!(!debug.contains(&hex[..32]), "{debug}");
    assert!(!debug.contains(&format!("{:?}", &key.as_bytes()[..16])));
}

/// A copy of Pyrogram 2.0.106's fixture in `dir`, made `length` bytes long with a hole at its
/// end (no disk space used), its header's page count made invalid when `counted` is false.
fn sparse(dir: &TempDir, length: u64, counted: bool) -> PathBuf {
    let path = dir.join("sparse.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &path,
    )
    .unwrap();
    if !counted {
        // The version-valid-for number no longer equals the change counter.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[92] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(length)
        .unwrap();
    path
}

/// Salvage copies only the pages the header counts (spec/storage.md §11.1): a file of 28 KB of
/// pages made 8 GiB long by a hole is salvaged at once (the audit's 10 GB file took 49 s and
/// 10 GB of the temporary directory).
#[test]
fn a_sparse_file_is_copied_only_as_far_as_its_header_counts() {
    use std::time::Duration;
    let _serial = serial();
    let dir = TempDir::new("salvage-sparse");
    let path = sparse(&dir, 8 << 30, true);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Storage::salvage(&path).map(|s| (s.session().dc_id, s.peers().len())));
    });
    let saved = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("salvage answers within 5 s");
    assert_eq!(saved.unwrap(), (2, 10));
    assert!(private_dirs().is_empty());
}

/// Without a valid page count in its header, the file is copied whole, and one larger than salvage
/// copies is refused before anything is copied, with the sizes.
#[test]
fn a_file_too_large_to_copy_is_refused() {
    let _serial = serial();
    let dir = TempDir::new("salvage-too-large");
    let path = sparse(&dir, 5 << 30, false);
    let err = Storage::salvage(&path).map(drop).unwrap_err();
    assert!(
        matches!(err.kind(), StorageErrorKind::TooLargeToCopy { .. }),
        "{err:?}"
    );
    util::assert_message(
        &err,
        &format!(
            "{}: not salvaged: the database is 5368709120 bytes (the file's size: its header counts no pages), and salvage copies at most 4294967296 bytes before it reads a file",
            path.display()
        ),
    );
    assert!(private_dirs().is_empty());
    // The same file with its count valid is salvaged.
    let path = sparse(&dir, 5 << 30, true);
    assert_eq!(Storage::salvage(&path).unwrap().session().dc_id, 2);
}
