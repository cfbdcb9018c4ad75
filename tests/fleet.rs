//! `pyrosession fleet import | export | ls` (issue 21): a folder of sessions of several dialects,
//! strings, a damaged file and a key held twice, into a database and back as files identical
//! to the file engine's, and the listing. The folder's reading is checked against an in-memory
//! database here always; the commands run against a real PostgreSQL server when
//! `PYROSESSION_PG_URL` is set (`.ci/pg-cluster`), and say they are skipped otherwise.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    let report = fleet::import_folder(&mut db, &dir.0, |p| {
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
    let p2 = Storage::open_file_read_only(fixture("pyrogram-2.0.106.session")).unwrap();
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
    fleet::import_folder(&mut db, &dir.0, |_| {}).unwrap();
    let again = fleet::import_folder(&mut db, &dir.0, |_| {}).unwrap();
    assert!(again.imported.is_empty());
    assert_eq!(again.exists.len(), 8);
    // The same names again are the same accounts: only the fixtures' key is held by several.
    assert_eq!(again.duplicate_keys.len(), 1, "{:?}", again.duplicate_keys);
    assert!(again.duplicate_keys[0].in_database.is_empty());
    // A key held by an account the database has under another name is a duplicate.
    let other = TempDir::new("fleet-memory-other");
    Storage::create_file_from_session(other.join("twin.session"), &session(1)).unwrap();
    let twin = fleet::import_folder(&mut db, &other.0, |_| {}).unwrap();
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
    fleet::import_folder(&mut db, &dir.0, |_| {}).unwrap();
    let out = TempDir::new("fleet-memory-out");
    std::fs::write(out.join("p1.session"), b"mine").unwrap();
    let names: Vec<String> = db.0.keys().cloned().collect();
    let report = fleet::export_folder(&mut db, &names, &out.0, |_| {}).unwrap();
    assert_eq!(report.exists, [("p1".to_owned(), out.join("p1.session"))]);
    assert_eq!(std::fs::read(out.join("p1.session")).unwrap(), b"mine");
    assert_eq!(report.written.len(), names.len() - 1);
    for (name, file) in DIALECTS.iter().filter(|(n, _)| *n != "p1") {
        let reference = TempDir::new("fleet-memory-ref");
        let made = reference.join("made.session");
        Storage::salvage(fixture(file))
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
