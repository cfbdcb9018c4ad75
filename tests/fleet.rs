//! `pyrosession fleet import | export | ls` (issue 21): a folder of sessions of several dialects,
//! strings, a damaged file and a key held twice, into a database and back as files identical
//! to the file engine's, and the listing. The folder's reading is checked against an in-memory
//! database here always; the commands run against a real PostgreSQL server when
//! `PYROSESSION_PG_URL` is set (`.ci/pg-cluster`), and say they are skipped otherwise.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pyrosession::convert::Options;
use pyrosession::fleet::{self, FleetDb};
use pyrosession::storage::{SessionFields, Storage, StorageError, StorageErrorKind, StoredPeer};
use pyrosession::string::{encode, Format};
use pyrosession::{AuthKey, AuthKeyId, Session};
use util::TempDir;

/// The key of every fixture file (spec/fixtures/README.md), in hex.
const FIXTURE_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f";

fn fixture(name: &str) -> PathBuf {
    util::root().join("spec/fixtures").join(name)
}

/// A key of its own for each `seed`.
fn key(seed: u8) -> AuthKey {
    let mut bytes = [0u8; AuthKey::LEN];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(seed);
    }
    AuthKey::new(bytes)
}

fn session(seed: u8) -> Session {
    Session {
        dc_id: 4,
        api_id: Some(777),
        test_mode: false,
        auth_key: key(seed),
        user_id: 1000 + u64::from(seed),
        is_bot: seed.is_multiple_of(2),
    }
}

/// The Pyrogram files of several dialects the folder holds, by the account name they get.
const DIALECTS: [(&str, &str); 5] = [
    ("p2", "pyrogram-2.0.106.session"),
    ("p1", "pyrogram-1.4.16.session"),
    ("kurigram", "kurigram-2.2.26.session"),
    ("pyrofork", "pyrofork-2.3.69.session"),
    ("hydrogram", "hydrogram-0.2.0.session"),
];

/// A folder of sessions: Pyrogram files of five dialects (all holding the fixtures' one key:
/// duplicates), a new file and a v2 string of keys of their own, a Telethon string (which
/// needs options to become a Pyrogram session: refused), a damaged file, a stem used twice,
/// `taken` (a name the database holds), a subfolder and a journal (skipped).
fn folder(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    for (name, file) in DIALECTS {
        std::fs::copy(fixture(file), dir.join(&format!("{name}.session"))).unwrap();
    }
    Storage::create_file_from_session(dir.join("fresh.session"), &session(1)).unwrap();
    std::fs::write(
        dir.join("string.txt"),
        format!("{}\n", encode(&session(2), Format::V2).unwrap()),
    )
    .unwrap();
    std::fs::copy(
        util::root().join("spec/examples/telethon.txt"),
        dir.join("telethon.txt"),
    )
    .unwrap();
    let bytes = std::fs::read(fixture("pyrogram-2.0.106.session")).unwrap();
    std::fs::write(dir.join("damaged.session"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(
        dir.join("p2.txt"),
        format!("{}\n", encode(&session(3), Format::V2).unwrap()),
    )
    .unwrap();
    Storage::create_file_from_session(dir.join("taken.session"), &session(4)).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    // An empty journal, private as the file is: SQLite's, not a session.
    let journal = dir.join("fresh.session-journal");
    std::fs::write(&journal, b"").unwrap();
    let mut mode = std::fs::metadata(&journal).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o600);
    std::fs::set_permissions(&journal, mode).unwrap();
    dir
}

/// A database in memory, as a [`FleetDb`].
#[derive(Default)]
struct MemoryDb(BTreeMap<String, (SessionFields, Vec<StoredPeer>)>);

impl FleetDb for MemoryDb {
    fn key_ids(&mut self) -> Result<Vec<(String, Option<AuthKeyId>)>, StorageError> {
        Ok(self
            .0
            .iter()
            .map(|(n, (f, _))| (n.clone(), f.auth_key.as_ref().map(AuthKey::id)))
            .collect())
    }
    fn import(
        &mut self,
        name: &str,
        fields: &SessionFields,
        peers: &[StoredPeer],
    ) -> Result<(), StorageError> {
        if self.0.contains_key(name) {
            return Err(StorageErrorKind::AlreadyExists.into());
        }
        self.0
            .insert(name.to_owned(), (fields.clone(), peers.to_vec()));
        Ok(())
    }
    fn read(&mut self, name: &str) -> Result<(SessionFields, Vec<StoredPeer>), StorageError> {
        Ok(self.0[name].clone())
    }
}

fn file_names<T>(items: &[T], file: impl Fn(&T) -> &Path) -> Vec<String> {
    items
        .iter()
        .map(|i| file(i).file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_folder_is_read_into_a_database() {
    let dir = folder("fleet-memory");
    let mut db = MemoryDb::default();
    db.import("taken", &Storage::memory().unwrap().session().unwrap(), &[])
        .unwrap();
    let mut steps = Vec::new();
    let report = fleet::import_folder(&mut db, &dir.0, &Options::default(), |p| {
        steps.push((p.done, p.total, p.outcome));
    })
    .unwrap();

    let mut imported = file_names(&report.imported, |f| &f.file);
    imported.sort();
    assert_eq!(
        imported,
        [
            "fresh.session",
            "hydrogram.session",
            "kurigram.session",
            "p1.session",
            "p2.session",
            "pyrofork.session",
            "string.txt"
        ]
    );
    let refused: Vec<(String, &str)> = report
        .refused
        .iter()
        .map(|r| {
            (
                r.file.file_name().unwrap().to_string_lossy().into_owned(),
                r.why.failure.code().as_str(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("damaged.session".to_owned(), "damaged"),
            ("p2.txt".to_owned(), "already_exists"),
            ("telethon.txt".to_owned(), "missing_option"),
        ]
    );
    let p2 = report.refused.iter().find(|r| r.file.ends_with("p2.txt"));
    assert!(p2.unwrap().why.message.contains("p2.session"));
    assert_eq!(
        report.exists,
        [(dir.join("taken.session"), "taken".to_owned())]
    );
    assert_eq!(
        report.duplicate_keys.len(),
        1,
        "{:?}",
        report.duplicate_keys
    );
    let d = &report.duplicate_keys[0];
    assert_eq!(
        d.names,
        ["hydrogram", "kurigram", "p1", "p2", "pyrofork"],
        "in the folder's order"
    );
    assert!(d.in_database.is_empty());
    assert_eq!(d.auth_key_id.to_string(), "c8df57a46e58d132");
    assert_eq!(
        file_names(&report.skipped, |s| &s.0),
        ["fresh.session-journal", "sub"]
    );
    assert!(!report.all_imported());
    // One step an entry, counted.
    assert_eq!(steps.len(), 13);
    assert_eq!(steps.last().unwrap().0, 13);
    assert!(steps.iter().all(|s| s.1 == 13));

    // What was stored is what the files hold: the session row and every peer with its date.
    // The folder's copy: another test may salvage the fixture meanwhile, which a storage of this
    // process holding it would refuse.
    let p2 = Storage::open_file_read_only(dir.join("p2.session")).unwrap();
    assert_eq!(db.0["p2"].0, p2.session().unwrap());
    assert_eq!(db.0["p2"].1, p2.peers().unwrap());
    assert_eq!(db.0["p2"].1.len(), 10);
    // kurigram v7's server and peer types are what Pyrogram's schema cannot hold: said.
    let kurigram = report
        .imported
        .iter()
        .find(|f| f.name == "kurigram")
        .unwrap();
    assert_eq!(kurigram.notes.len(), 2, "{:?}", kurigram.notes);
    assert_eq!(db.0["kurigram"].0.server_address, None);
    assert!(db.0["kurigram"]
        .1
        .iter()
        .all(|p| p.peer.peer_type.is_pyrogram()));
    // A string is a session as `import` writes it: date 0, no peers.
    let s = &db.0["string"];
    assert_eq!(s.0.auth_key, Some(key(2)));
    assert_eq!((s.0.date, s.0.user_id, s.1.len()), (0, Some(1002), 0));

    // The report names no key, in text or JSON.
    for out in [report.to_text(), report.to_json()] {
        assert!(!out.contains(FIXTURE_KEY_HEX), "{out}");
        for seed in 1..=4 {
            assert!(!out.contains(&key(seed).to_hex()[..32]), "{out}");
        }
        assert!(out.contains("c8df57a46e58d132"), "{out}");
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["imported"].as_array().unwrap().len(), 7);
    assert_eq!(json["refused"][0]["error"]["code"], "damaged");
    assert_eq!(json["exists"][0]["name"], "taken");
    assert_eq!(json["duplicate_keys"][0]["names"][0], "hydrogram");
}

/// A second import of the same folder: every name is taken now, and every key is held in the
/// database already.
#[test]
fn a_second_import_finds_every_name_and_key_in_the_database() {
    let dir = folder("fleet-memory-again");
    let mut db = MemoryDb::default();
    fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    let again = fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    assert!(again.imported.is_empty());
    assert_eq!(again.exists.len(), 8);
    // The same names again are the same accounts: only the fixtures' key is held by several.
    assert_eq!(again.duplicate_keys.len(), 1, "{:?}", again.duplicate_keys);
    assert!(again.duplicate_keys[0].in_database.is_empty());
    // A key held by an account the database has under another name is a duplicate.
    let other = TempDir::new("fleet-memory-other");
    Storage::create_file_from_session(other.join("twin.session"), &session(1)).unwrap();
    let twin = fleet::import_folder(&mut db, &other.0, &Options::default(), |_| {}).unwrap();
    assert_eq!(twin.imported.len(), 1);
    assert_eq!(twin.duplicate_keys.len(), 1);
    assert_eq!(twin.duplicate_keys[0].names, ["twin"]);
    assert_eq!(twin.duplicate_keys[0].in_database, ["fresh"]);
    assert!(twin.to_text().contains("twin (in the database: fresh)"));
}

/// Export writes each account with the file engine's writer: the same bytes as the file engine
/// writes for the same content (a salvage of the source, which reads it another way), and
/// never over a file.
#[test]
fn export_writes_the_file_engines_bytes_and_never_overwrites() {
    let dir = folder("fleet-memory-export");
    let mut db = MemoryDb::default();
    fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    let out = TempDir::new("fleet-memory-out");
    std::fs::write(out.join("p1.session"), b"mine").unwrap();
    let names: Vec<String> = db.0.keys().cloned().collect();
    let report = fleet::export_folder(&mut db, &names, &out.0, |_| {}).unwrap();
    assert_eq!(report.exists, [("p1".to_owned(), out.join("p1.session"))]);
    assert_eq!(std::fs::read(out.join("p1.session")).unwrap(), b"mine");
    assert_eq!(report.written.len(), names.len() - 1);
    for (name, _) in DIALECTS.iter().filter(|(n, _)| *n != "p1") {
        let reference = TempDir::new("fleet-memory-ref");
        let made = reference.join("made.session");
        Storage::salvage(dir.join(&format!("{name}.session")))
            .unwrap()
            .write_file(&made)
            .unwrap();
        assert_eq!(
            std::fs::read(out.join(&format!("{name}.session"))).unwrap(),
            std::fs::read(&made).unwrap(),
            "{name}"
        );
    }
    assert!(!report.all_written());
    let text = report.to_text();
    assert!(text.contains("not overwritten"), "{text}");
}

/// A file's name is shown on one line in the text reports, whatever it holds: a line break in
/// the name of a hidden file (skipped) or in a file's extension (imported under its stem) is
/// written `\u000a`, and never makes a line of its own that reads as the report's.
#[test]
fn line_breaks_in_file_names_make_no_lines_of_the_report() {
    let dir = TempDir::new("fleet-memory-breaks");
    let string = format!("{}\n", encode(&session(5), Format::V2).unwrap());
    std::fs::write(dir.join(".hidden\nrefused   0"), &string).unwrap();
    std::fs::write(dir.join("alice.se\nimported  9"), &string).unwrap();
    let mut db = MemoryDb::default();
    let report = fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    assert_eq!(report.imported.len(), 1);
    assert_eq!(report.skipped.len(), 1);
    let text = report.to_text();
    let shown = dir.0.display();
    assert_eq!(
        text,
        format!(
            "imported  1\n  alice  {shown}/alice.se\\u000aimported  9  a Pyrogram session string (v2), 0 peers\n\
             refused   0\nin the database already  0\nduplicate keys  0\nskipped   1\n  \
             {shown}/.hidden\\u000arefused   0: a hidden file\n"
        )
    );
    // Back out again, into a folder whose name holds a line break, written and found there.
    let out = TempDir::new("fleet-memory-breaks-out");
    let sub = out.0.join("new\nwritten   7");
    std::fs::create_dir(&sub).unwrap();
    let names = ["alice".to_owned()];
    let written = fleet::export_folder(&mut db, &names, &sub, |_| {}).unwrap();
    let again = fleet::export_folder(&mut db, &names, &sub, |_| {}).unwrap();
    let shown = out.0.display();
    assert_eq!(
        written.to_text(),
        format!(
            "written   1\n  alice  {shown}/new\\u000awritten   7/alice.session  0 peers\n\
             exists    0\nrefused   0\n"
        )
    );
    assert_eq!(
        again.to_text(),
        format!(
            "written   0\nexists    1\n  alice  {shown}/new\\u000awritten   7/alice.session \
             (not overwritten)\nrefused   0\n"
        )
    );
}

/// What a folder's entry leads to is looked at before it is read: a symbolic link that leads
/// out of the folder is refused (`unsafe_file`: a folder another user made could otherwise
/// import any file this user can read; a device, such as `/dev/zero`, is out of it too), one
/// that leads nowhere is `no_such_file`, and a FIFO is `not_a_file`, named as the single-file
/// commands name them and never opened. A link to a file of the folder is read.
#[test]
fn links_out_of_the_folder_fifos_and_devices_are_refused_by_what_they_are() {
    let dir = TempDir::new("fleet-memory-links");
    let elsewhere = TempDir::new("fleet-memory-elsewhere");
    let private = elsewhere.join("private.session");
    Storage::create_file_from_session(&private, &session(6)).unwrap();
    Storage::create_file_from_session(dir.join("own.session"), &session(7)).unwrap();
    std::os::unix::fs::symlink(&private, dir.join("outside.session")).unwrap();
    std::os::unix::fs::symlink("own.session", dir.join("inside.session")).unwrap();
    std::os::unix::fs::symlink("nowhere.session", dir.join("dangling.session")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.session")).unwrap();
    std::os::unix::fs::symlink("loop.session", dir.join("loop.session")).unwrap();
    let fifo = dir.join("fifo.txt");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let mut db = MemoryDb::default();
    let report = fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    assert_eq!(
        db.0.keys().collect::<Vec<_>>(),
        ["inside", "own"],
        "only the folder's own files"
    );
    let refused: Vec<(String, &str, &str)> = report
        .refused
        .iter()
        .map(|r| {
            (
                r.file.file_name().unwrap().to_string_lossy().into_owned(),
                r.why.failure.code().as_str(),
                r.why.message.as_str(),
            )
        })
        .collect();
    let at = |name: &str| dir.join(name).display().to_string();
    let shown_private = std::fs::canonicalize(&private).unwrap();
    assert_eq!(
        refused,
        [
            (
                "dangling.session".to_owned(),
                "no_such_file",
                format!(
                    "{}: a symbolic link to nowhere.session, which does not exist",
                    at("dangling.session")
                )
                .as_str()
            ),
            (
                "fifo.txt".to_owned(),
                "not_a_file",
                format!(
                    "{}: not a regular file (a FIFO), not a session file",
                    at("fifo.txt")
                )
                .as_str()
            ),
            (
                "loop.session".to_owned(),
                "io",
                format!(
                    "{}: following the symbolic link: Too many levels of symbolic links (os error 40)",
                    at("loop.session")
                )
                .as_str()
            ),
            (
                "outside.session".to_owned(),
                "unsafe_file",
                format!(
                    "{}: a symbolic link to {}, out of the folder: only the folder's own files are imported",
                    at("outside.session"),
                    shown_private.display()
                )
                .as_str()
            ),
            (
                "zero.session".to_owned(),
                "unsafe_file",
                format!(
                    "{}: a symbolic link to /dev/zero, out of the folder: only the folder's own files are imported",
                    at("zero.session")
                )
                .as_str()
            ),
        ]
    );
}

/// `fleet export` into something that is not a folder says what is there: a FIFO or a file is
/// no "no such directory", a link to nothing names where it points; nothing is written.
#[test]
fn export_into_what_is_no_folder_says_what_is_there() {
    let dir = TempDir::new("fleet-memory-no-folder");
    let mut db = MemoryDb::default();
    db.import("alice", &Storage::memory().unwrap().session().unwrap(), &[])
        .unwrap();
    let names = ["alice".to_owned()];
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let file = dir.join("file");
    std::fs::write(&file, b"mine").unwrap();
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
    let missing = dir.join("missing");
    for (path, expected) in [
        (&fifo, "writing into the folder: a FIFO, not a folder"),
        (
            &file,
            "writing into the folder: a regular file, not a folder",
        ),
        (
            &dangling,
            "a symbolic link to nowhere, which does not exist",
        ),
        (&missing, "no such directory"),
    ] {
        let e = fleet::export_folder(&mut db, &names, path, |_| {}).unwrap_err();
        util::assert_message(&e, &format!("{}: {expected}", path.display()));
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
    assert!(!missing.exists());
}

/// The commands against a real server: each test in a database of its own on the server
/// `PYROSESSION_PG_URL` names (dropped at the end), or skipped with a message.
#[cfg(feature = "postgres")]
mod server {
    use std::process::{Command, Output};

    use super::{folder, key, DIALECTS, FIXTURE_KEY_HEX};
    use crate::util::TempDir;
    use pyrosession::storage::postgres::{LeaseOptions, PgFleet, PgStorage};
    use pyrosession::storage::Storage;

    /// A database of the test's own, dropped when the value is.
    struct Database {
        admin: String,
        name: String,
        url: String,
    }

    impl Database {
        fn new(tag: &str) -> Option<Database> {
            let Ok(admin) = std::env::var("PYROSESSION_PG_URL") else {
                eprintln!(
                    "skipped: PYROSESSION_PG_URL is not set (start a server with .ci/pg-cluster)"
                );
                return None;
            };
            let name = format!("fleet_{tag}_{}", std::process::id());
            let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            // One statement a call: neither runs inside a transaction.
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .unwrap();
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            let url = format!("{base}/{name}");
            Some(Database { admin, name, url })
        }
    }

    impl Drop for Database {
        fn drop(&mut self) {
            if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
                let _ = client.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }

    fn run(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(args)
            .output()
            .unwrap()
    }

    fn text(out: &Output) -> (String, String) {
        (
            String::from_utf8(out.stdout.clone()).unwrap(),
            String::from_utf8(out.stderr.clone()).unwrap(),
        )
    }

    /// No output holds a key: the fixtures' one, or any of the tests' own.
    fn no_key(out: &Output) {
        let (stdout, stderr) = text(out);
        for s in [&stdout, &stderr] {
            assert!(!s.contains(FIXTURE_KEY_HEX), "{s}");
            for seed in 1..=4 {
                assert!(!s.contains(&key(seed).to_hex()[..32]), "{s}");
            }
        }
    }

    fn dir_str(dir: &TempDir) -> &str {
        dir.0.to_str().unwrap()
    }

    #[test]
    fn import_export_and_ls_through_the_command() {
        let Some(db) = Database::new("commands") else {
            return;
        };
        let dir = folder("fleet-pg-in");
        // `taken` is in the database before the import.
        let mut fleet = PgFleet::connect(&db.url).unwrap();
        fleet
            .import("taken", &Storage::memory().unwrap().session().unwrap(), &[])
            .unwrap();

        let out = run(&["fleet", "import", "--json", &db.url, dir_str(&dir)]);
        no_key(&out);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let (stdout, stderr) = text(&out);
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(report["schema"], 1);
        assert_eq!(report["imported"].as_array().unwrap().len(), 7, "{report}");
        let refused: Vec<&str> = report["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["error"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(refused, ["damaged", "already_exists", "missing_option"]);
        assert_eq!(report["exists"][0]["name"], "taken");
        assert_eq!(
            report["duplicate_keys"][0]["names"],
            serde_json::json!(["hydrogram", "kurigram", "p1", "p2", "pyrofork"])
        );
        // Standard error is no terminal here: one plain line a file.
        assert_eq!(stderr.lines().count(), 13, "{stderr}");
        assert!(
            stderr.lines().all(|l| l.starts_with("pyrosession: [")),
            "{stderr}"
        );

        // What the database holds is what the files hold.
        let (fields, peers) = fleet.read_stored("p2").unwrap();
        let p2 = Storage::open_file_read_only(dir.join("p2.session")).unwrap();
        assert_eq!(fields, p2.session().unwrap());
        assert_eq!(peers, p2.peers().unwrap());
        drop(p2);

        // ls, while a worker holds one account's lease.
        let options = LeaseOptions {
            holder: "worker-7:4242".to_owned(),
            ..LeaseOptions::default()
        };
        let held = PgStorage::open(&db.url, "fresh", &options).unwrap();
        let out = run(&["fleet", "ls", &db.url]);
        no_key(&out);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let (stdout, _) = text(&out);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 9, "a header and 8 accounts: {stdout}");
        assert!(lines[0].starts_with("name\tdc\tuser_id\tbot\tpeers\tlease"));
        let p2_line = lines.iter().find(|l| l.starts_with("p2\t")).unwrap();
        assert_eq!(*p2_line, "p2\t2\t123456789\tno\t10\t-");
        let fresh = lines.iter().find(|l| l.starts_with("fresh\t")).unwrap();
        assert!(fresh.contains("worker-7:4242 ("), "{fresh}");
        let out = run(&["fleet", "ls", "--json", &db.url]);
        no_key(&out);
        let (stdout, _) = text(&out);
        let accounts: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(accounts.len(), 8);
        let fresh = accounts.iter().find(|a| a["name"] == "fresh").unwrap();
        assert_eq!(fresh["lease"]["holder"], "worker-7:4242");
        assert!(fresh["lease"]["expires_in"].as_f64().unwrap() > 0.0);
        assert_eq!(fresh["dc_id"], 4);
        assert_eq!(fresh["auth_key_id"], key(1).id().to_string());
        drop(held);

        // Export: every account as a file, byte for byte the file engine's for the same content.
        let out_dir = TempDir::new("fleet-pg-out");
        std::fs::write(out_dir.join("p1.session"), b"mine").unwrap();
        let out = run(&["fleet", "export", &db.url, dir_str(&out_dir)]);
        no_key(&out);
        assert_eq!(out.status.code(), Some(1), "p1.session exists: {out:?}");
        assert_eq!(std::fs::read(out_dir.join("p1.session")).unwrap(), b"mine");
        let (stdout, _) = text(&out);
        assert!(stdout.contains("written   7"), "{stdout}");
        assert!(stdout.contains("not overwritten"), "{stdout}");
        for (name, _) in DIALECTS.iter().filter(|(n, _)| *n != "p1") {
            let reference = TempDir::new("fleet-pg-ref");
            let made = reference.join("made.session");
            Storage::salvage(dir.join(&format!("{name}.session")))
                .unwrap()
                .write_file(&made)
                .unwrap();
            assert_eq!(
                std::fs::read(out_dir.join(&format!("{name}.session"))).unwrap(),
                std::fs::read(&made).unwrap(),
                "{name}"
            );
        }
        // A string's account comes back as the session it held, in a file Pyrogram opens.
        let string = Storage::open_file_read_only(out_dir.join("string.session")).unwrap();
        assert_eq!(string.session().unwrap().auth_key, Some(key(2)));
        // Again: every file exists now, and none is overwritten.
        let before = std::fs::read(out_dir.join("p2.session")).unwrap();
        let out = run(&["fleet", "export", "--json", &db.url, dir_str(&out_dir)]);
        assert_eq!(out.status.code(), Some(1));
        let (stdout, _) = text(&out);
        let again: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(again["written"].as_array().unwrap().len(), 0);
        assert_eq!(again["exists"].as_array().unwrap().len(), 8);
        assert_eq!(std::fs::read(out_dir.join("p2.session")).unwrap(), before);
    }

    /// A folder that imports whole gives exit status 0.
    #[test]
    fn a_clean_import_exits_0() {
        let Some(db) = Database::new("clean") else {
            return;
        };
        let dir = TempDir::new("fleet-pg-clean");
        Storage::create_file_from_session(dir.join("one.session"), &super::session(1)).unwrap();
        Storage::create_file_from_session(dir.join("two.session"), &super::session(2)).unwrap();
        let out = run(&["fleet", "import", &db.url, dir_str(&dir)]);
        no_key(&out);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let (stdout, _) = text(&out);
        assert!(stdout.starts_with("imported  2\n"), "{stdout}");
        assert!(stdout.contains("duplicate keys  0"), "{stdout}");
    }

    /// Names another program (or a Python worker) gave accounts that are no file's stem are
    /// refused by export, and nothing is written outside the folder.
    #[test]
    fn export_refuses_names_that_are_no_file_name() {
        let Some(db) = Database::new("names") else {
            return;
        };
        let mut fleet = PgFleet::connect(&db.url).unwrap();
        let fields = Storage::memory().unwrap().session().unwrap();
        for name in ["../escape", "a/b", ".hidden", "fine"] {
            fleet.import(name, &fields, &[]).unwrap();
        }
        let parent = TempDir::new("fleet-pg-names");
        let out_dir = parent.0.join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let out = run(&[
            "fleet",
            "export",
            "--json",
            &db.url,
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let (stdout, _) = text(&out);
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let mut refused: Vec<(&str, &str)> = report["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap(),
                    r["error"]["code"].as_str().unwrap(),
                )
            })
            .collect();
        refused.sort_unstable();
        assert_eq!(
            refused,
            [
                ("../escape", "unsupported"),
                (".hidden", "unsupported"),
                ("a/b", "unsupported")
            ]
        );
        assert_eq!(report["written"][0]["name"], "fine");
        let mut written: Vec<String> = std::fs::read_dir(&parent.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(written, ["out"]);
        let inside: Vec<String> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(inside, ["fine.session"]);
    }

    /// Rows another program wrote that the engine cannot read (a 2-byte key, a peer type it
    /// does not know, a name too long for a file) are refused one by one in the export's
    /// report, and every other account is written: before, the export listed the accounts with
    /// `PgFleet::accounts()`, which fails on the first such row, so the command wrote nothing
    /// and printed no report (spec/postgres.md §6).
    #[test]
    fn export_writes_every_account_a_hostile_row_does_not_spoil() {
        let Some(db) = Database::new("hostile_export") else {
            return;
        };
        let mut fleet = PgFleet::connect(&db.url).unwrap();
        let fields = Storage::memory().unwrap().session().unwrap();
        fleet.import("fine", &fields, &[]).unwrap();
        let long = "x".repeat(300);
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "INSERT INTO pyrosession_sessions (name, dc_id, date, auth_key) VALUES ('short-key', 2, 0, '\\x0102');
             INSERT INTO pyrosession_sessions (name, dc_id, date) VALUES ('odd-peer', 2, 0), ('{long}', 2, 0);
             INSERT INTO pyrosession_peers VALUES ('odd-peer', 1, 5, 'USER', NULL, NULL, 0);"
        ))
        .unwrap();
        let parent = TempDir::new("fleet-pg-hostile");
        let out = run(&["fleet", "export", "--json", &db.url, dir_str(&parent)]);
        no_key(&out);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let (stdout, _) = text(&out);
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let mut refused: Vec<&str> = report["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        refused.sort_unstable();
        assert_eq!(
            refused,
            ["odd-peer", "short-key", long.as_str()],
            "{report}"
        );
        assert_eq!(report["written"][0]["name"], "fine", "{report}");
        let inside: Vec<String> = std::fs::read_dir(&parent.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(inside, ["fine.session"]);
    }

    /// A holder another program wrote, a megabyte long with control characters, is shown by
    /// `fleet ls` escaped and cut after 128 characters, as `LeaseHeld` cuts it (before, the
    /// whole megabyte was one line of the listing); `--json` keeps it whole (spec/postgres.md §6).
    #[test]
    fn a_forged_holder_is_cut_in_the_listing() {
        let Some(db) = Database::new("holder") else {
            return;
        };
        PgFleet::connect(&db.url).unwrap();
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        c.batch_execute(
            "INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token, lease_holder, lease_expires)
                 VALUES ('held', 2, 0, 7, E'evil\\n\\u001b[2J' || repeat('x', 1000000), now() + interval '1 hour')",
        )
        .unwrap();
        let out = run(&["fleet", "ls", &db.url]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let (stdout, _) = text(&out);
        let line = stdout.lines().nth(1).unwrap();
        let expected = format!(
            "held\t2\t-\t-\t0\tevil\\u000a\\u001b[2J{}… (",
            "x".repeat(119)
        );
        assert!(
            line.starts_with(&expected),
            "{}",
            &line[..line.len().min(300)]
        );
        assert!(line.len() < 200, "{} bytes", line.len());
        let out = run(&["fleet", "ls", "--json", &db.url]);
        let (stdout, _) = text(&out);
        let account: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(
            account["lease"]["holder"].as_str().unwrap().len(),
            1_000_000 + 9
        );
    }

    /// On a terminal, progress is one counter line rewritten in place and cleared at the end,
    /// not a line a file (`script` gives the command a terminal; skipped without it).
    #[test]
    fn progress_on_a_terminal_is_one_counter_line() {
        let Some(db) = Database::new("terminal") else {
            return;
        };
        let dir = TempDir::new("fleet-pg-terminal");
        Storage::create_file_from_session(dir.join("one.session"), &super::session(1)).unwrap();
        Storage::create_file_from_session(dir.join("two.session"), &super::session(2)).unwrap();
        let command = format!(
            "{} fleet import '{}' '{}' > /dev/null",
            env!("CARGO_BIN_EXE_pyrosession"),
            db.url,
            dir_str(&dir)
        );
        let Ok(out) = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
        else {
            eprintln!("skipped: no `script` (util-linux) to give the command a terminal");
            return;
        };
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let terminal = String::from_utf8(out.stdout).unwrap();
        let clear = "\r\u{1b}[2K";
        assert!(
            terminal.starts_with(&format!("{clear}importing [1/2] ")),
            "{terminal:?}"
        );
        assert!(
            terminal.contains(&format!("{clear}importing [2/2] ")),
            "{terminal:?}"
        );
        assert!(terminal.ends_with(clear), "{terminal:?}");
        assert!(!terminal.contains('\n'), "{terminal:?}");
    }

    /// The address's password is in no output, whatever fails.
    #[test]
    fn the_password_is_never_printed() {
        let secret = "hunter2-Secret";
        let url = format!("postgresql://someone:{secret}@127.0.0.1:1/nothing");
        let dir = TempDir::new("fleet-pg-password");
        for args in [
            vec!["fleet", "ls", url.as_str()],
            vec!["fleet", "ls", "--json", url.as_str()],
            vec!["fleet", "import", url.as_str(), dir_str(&dir)],
            vec!["fleet", "export", "--json", url.as_str(), dir_str(&dir)],
        ] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(1), "{out:?}");
            let (stdout, stderr) = text(&out);
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{stdout}{stderr}"
            );
            assert!(stderr.starts_with("pyrosession: "), "{stderr}");
        }
    }
}

/// A Pyrogram JSON session (≤ 0.14) holds no `api_id`: refused, naming it, and imported
/// with `--api-id`.
#[test]
fn a_json_session_needs_the_api_id() {
    let dir = TempDir::new("fleet-memory-json");
    std::fs::copy(
        fixture("pyrogram-json-0.14.session"),
        dir.join("old.session"),
    )
    .unwrap();
    let mut db = MemoryDb::default();
    let report = fleet::import_folder(&mut db, &dir.0, &Options::default(), |_| {}).unwrap();
    assert_eq!(report.refused.len(), 1);
    assert_eq!(
        report.refused[0].why.failure.code().as_str(),
        "missing_option"
    );
    assert!(report.refused[0].why.message.contains("api_id"));
    let options = Options {
        api_id: Some(777),
        ..Options::default()
    };
    let report = fleet::import_folder(&mut db, &dir.0, &options, |_| {}).unwrap();
    assert_eq!(report.imported.len(), 1, "{}", report.to_text());
    let (fields, _) = &db.0["old"];
    assert_eq!(fields.api_id, Some(777));
    assert_eq!(
        fields
            .auth_key
            .as_ref()
            .map(|k| k.id().to_string())
            .as_deref(),
        Some("c8df57a46e58d132")
    );
}
