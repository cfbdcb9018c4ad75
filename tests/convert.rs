//! Conversions against the fixtures real libraries wrote, the Telethon schema versions, and
//! the exact text of the errors (spec/conversions.md).

mod util;

#[path = "convert_support/telethon_versions.rs"]
mod telethon_versions;

use pyrosession::convert::{
    read_path, read_text, render, telethon_file, write_file, CachedPeer, ConvertErrorKind, Input,
    Kind, Loss, Options, Server, Target,
};
use pyrosession::peer::PeerType;
use pyrosession::storage::Storage;
use serde_json::Value;
use util::assert_message;

fn fixture(name: &str) -> std::path::PathBuf {
    util::root().join("spec/fixtures").join(name)
}

fn manifest(file: &str) -> Value {
    let text = std::fs::read_to_string(fixture("manifest.json")).unwrap();
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    v.into_iter().find(|e| e["file"] == file).unwrap()
}

#[test]
fn the_telethon_fixture_reads_as_its_manifest_says() {
    let m = manifest("telethon-1.45.0.session");
    let a = read_path(&fixture("telethon-1.45.0.session")).unwrap();
    assert_eq!(a.kind, Kind::TelethonFile);
    assert_eq!(a.dc_id, 2);
    assert_eq!(
        a.server,
        Some(Server {
            address: "149.154.167.51".into(),
            port: 443
        })
    );
    assert_eq!(
        a.auth_key.to_hex(),
        m["sessions"]["auth_key"].as_str().unwrap()
    );
    let mut want: Vec<CachedPeer> = m["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| CachedPeer {
            id: e["id"].as_i64().unwrap(),
            access_hash: e["hash"].as_i64(),
            peer_type: None,
            username: e["username"].as_str().map(str::to_owned),
            phone_number: e["phone"].as_i64().map(|p| p.to_string()),
            date: e["date"].as_i64(),
        })
        .collect();
    want.sort_by_key(|p| p.id);
    assert_eq!(a.peers, want);
    assert_eq!(
        a.losses,
        [
            Loss::TelethonTables {
                update_state: 1,
                sent_files: 1
            },
            Loss::NamesNotHeld { count: 10 }
        ]
    );
}

#[test]
fn the_json_fixture_reads_as_its_manifest_says_and_like_pyrogram_0_18_migrated_it() {
    let json = fixture("pyrogram-json-0.14.session");
    let a = read_path(&json).unwrap();
    assert_eq!(a.kind, Kind::PyrogramJson);
    assert_eq!(
        (a.dc_id, a.test_mode, a.user_id, a.is_bot, a.api_id),
        (2, Some(false), Some(123_456_789), Some(false), None)
    );
    let m = manifest("pyrogram-json-0.14.session");
    assert_eq!(
        a.auth_key.to_hex(),
        m["session"]["auth_key"].as_str().unwrap()
    );
    // Pyrogram 0.18's own migration of the same file: the same ids, hashes and phones, and the
    // types the crate infers. It leaves a group's hash NULL where the crate writes 0, as
    // Pyrogram 2.0.106 does for groups, and drops usernames, which the crate keeps.
    let migrated = read_path(&fixture("pyrogram-0.18.0-from-json.session")).unwrap();
    let dir = util::TempDir::new("convert-json");
    let out = dir.join("from-json.session");
    let options = Options {
        api_id: Some(12345),
        ..Options::default()
    };
    let losses = write_file(&a, Target::PyrogramFile, &options, &out, false, Some(&json)).unwrap();
    assert_eq!(losses, [Loss::PeerTypesInferred { count: 10 }]);
    let ours = read_path(&out).unwrap();
    assert_eq!(ours.peers.len(), migrated.peers.len());
    for (o, p) in ours.peers.iter().zip(&migrated.peers) {
        assert_eq!(
            (o.id, o.peer_type, &o.phone_number),
            (p.id, p.peer_type, &p.phone_number)
        );
        if p.peer_type == Some(PeerType::Group) {
            assert_eq!((o.access_hash, p.access_hash), (Some(0), None));
        } else {
            assert_eq!(o.access_hash, p.access_hash);
        }
        assert_eq!(o.date, Some(0));
    }
    let named: Vec<_> = ours
        .peers
        .iter()
        .filter_map(|p| p.username.as_deref())
        .collect();
    assert_eq!(
        named,
        [
            "dup",
            "news_channel",
            "chat_group",
            "alice",
            "example_bot",
            "bigid_user"
        ]
    );
}

#[test]
fn every_fixture_is_detected() {
    for entry in std::fs::read_dir(util::root().join("spec/fixtures")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".session") {
            continue;
        }
        let want = if name.starts_with("telethon") {
            Kind::TelethonFile
        } else if name.starts_with("pyrogram-json") {
            Kind::PyrogramJson
        } else {
            Kind::PyrogramFile
        };
        assert_eq!(
            Input::from_file(&path).map(|i| i.detected()).unwrap().kind,
            want,
            "{name}"
        );
        // Detection hands back the Pyrogram files it opened, and only those, as they read.
        let input = Input::from_file(&path).unwrap();
        let detected = input.detected();
        let opened = match input {
            Input::PyrogramFile(storage) => Some(storage),
            _ => None,
        };
        assert_eq!(
            detected,
            Input::from_file(&path).map(|i| i.detected()).unwrap(),
            "{name}"
        );
        assert_eq!(opened.is_some(), want == Kind::PyrogramFile, "{name}");
        if let Some(storage) = opened {
            let fresh = Storage::open_file_read_only(&path).unwrap();
            assert_eq!(
                storage.session().unwrap(),
                fresh.session().unwrap(),
                "{name}"
            );
            assert_eq!(storage.peers().unwrap(), fresh.peers().unwrap(), "{name}");
        }
        // Every one converts to a Telethon string (the table gives the server where needed).
        let a = read_path(&path).unwrap();
        render(&a, Target::Telethon, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (file, want) in [
        ("v2.txt", Kind::PyrogramString),
        ("legacy32.txt", Kind::PyrogramString),
        ("telethon.txt", Kind::TelethonString),
    ] {
        let p = util::root().join("spec/examples").join(file);
        assert_eq!(
            Input::from_file(&p).map(|i| i.detected()).unwrap().kind,
            want,
            "{file}"
        );
        assert!(
            !matches!(Input::from_file(&p).unwrap(), Input::PyrogramFile(_)),
            "{file}"
        );
    }
}

#[test]
fn telethon_files_of_every_version_from_1_to_8() {
    let dir = util::TempDir::new("convert-telethon-versions");
    for version in 1..=8 {
        let path = dir.join(&format!("v{version}.session"));
        telethon_versions::build(&path, version);
        let before = std::fs::read(&path).unwrap();
        let f = telethon_file::read(&path).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the source was changed"
        );
        assert_eq!((f.version, f.dc_id), (version, 4));
        assert_eq!(
            f.auth_key.as_bytes().as_slice(),
            telethon_versions::key().as_slice()
        );
        assert_eq!(
            f.losses.contains(&Loss::TakeoutId),
            version >= 5,
            "v{version}"
        );
        // Telethon deletes the entities of files before version 6 when it opens them.
        if version < 6 {
            assert!(f.entities.is_empty());
            assert!(f
                .losses
                .contains(&Loss::StaleEntities { version, count: 3 }));
            continue;
        }
        assert_eq!(f.entities.len(), 3);
        for (e, (id, hash, username, phone, name, date)) in f.entities.iter().zip(
            telethon_versions::ENTITIES
                .iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
        ) {
            assert_eq!(
                (
                    e.id,
                    e.hash,
                    e.username.as_deref(),
                    e.phone,
                    e.name.as_deref()
                ),
                (id, hash, username, phone, name)
            );
            assert_eq!(e.date, (version >= 7).then_some(date));
        }
    }
    let newer = dir.join("v9.session");
    telethon_versions::build(&newer, 9);
    assert_message(
        &telethon_file::read(&newer).unwrap_err(),
        &format!(
            "{}: Telethon session version 9, and this crate knows versions 1 to 8",
            newer.display()
        ),
    );
}

#[test]
fn telethon_files_with_no_or_two_sessions_or_foreign_tables() {
    let dir = util::TempDir::new("convert-telethon-bad");
    let path = dir.join("empty.session");
    telethon_versions::build(&path, 8);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("delete from sessions", []).unwrap();
    assert_message(
        &telethon_file::read(&path).unwrap_err(),
        &format!(
            "{}: the sessions table holds 0 rows, expected exactly 1",
            path.display()
        ),
    );
    conn.execute_batch("insert into sessions values (1, '1.1.1.1', 1, zeroblob(256), NULL, NULL); insert into sessions values (2, '1.1.1.1', 1, zeroblob(256), NULL, NULL);").unwrap();
    assert!(matches!(
        telethon_file::read(&path),
        Err(e) if matches!(e.kind(), ConvertErrorKind::SessionRows { found: 2 })
    ));
    conn.execute("delete from sessions where dc_id = 2", [])
        .unwrap();
    assert_message(
        &telethon_file::read(&path).unwrap_err(),
        "a Telethon session file holds no auth key (Telethon and GramJS take an all-zero key for none)",
    );
    conn.execute("update sessions set auth_key = x'0102'", [])
        .unwrap();
    assert_message(
        &telethon_file::read(&path).unwrap_err(),
        "a Telethon session file: sessions.auth_key is a blob of 2 bytes, expected a blob of 256 bytes",
    );
    conn.execute("drop table entities", []).unwrap();
    assert_message(
        &telethon_file::read(&path).unwrap_err(),
        &format!(
            "{}: not a Telethon session file: no table entities",
            path.display()
        ),
    );
}

#[test]
fn messages_name_the_option_to_pass() {
    let t = read_text(
        std::fs::read_to_string(util::root().join("spec/examples/telethon.txt"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let only_user = Options {
        api_id: Some(1),
        is_bot: Some(false),
        ..Options::default()
    };
    assert_message(
        &render(&t, Target::Pyrogram, &only_user).unwrap_err(),
        "Pyrogram needs the account's user id, which a Telethon string session does not hold",
    );
    let zero = Options {
        user_id: Some(0),
        ..only_user.clone()
    };
    assert_message(
        &render(&t, Target::Pyrogram, &zero).unwrap_err(),
        "a Pyrogram session string: user_id is 0, and Pyrogram takes 1 to 9223372036854775807 (0 means signed out)",
    );
    let port = Options {
        port: Some(80),
        ..Options::default()
    };
    assert_message(
        &render(&t, Target::Gramjs, &port).unwrap_err(),
        "the source holds port 443, but the port given is 80: leave it out or make them agree",
    );
    let high = Options {
        server: Some("10.0.0.1".into()),
        port: Some(40000),
        test_mode: Some(false),
        ..Options::default()
    };
    let v2 = read_text(
        std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_message(
        &render(&v2, Target::Gramjs, &high).unwrap_err(),
        "a GramJS string session: the port is 40000, and GramJS takes 1 to 32767",
    );
    let no_port = Options {
        server: Some("10.0.0.1".into()),
        ..Options::default()
    };
    assert_message(
        &render(&v2, Target::Telethon, &no_port).unwrap_err(),
        "Telethon needs the server's port, which a Pyrogram session string does not hold",
    );
    assert_message(
        &Input::from_text("2AAAA").map(|i| i.detected()).unwrap_err(),
        "not a session of any known format (Pyrogram string or file, Telethon string or file, GramJS string, Pyrogram JSON): a text of 5 characters; the string looks truncated: 5 base64 characters, where a session string has 351, 356 or 362",
    );
    assert_message(
        &Input::from_text("1AAAA").map(|i| i.detected()).unwrap_err(),
        "a GramJS string session: the address length is 0, and GramJS reads only 1 to 100 as an address",
    );
}

#[test]
fn debug_never_shows_the_key() {
    let a = read_path(&fixture("telethon-1.45.0.session")).unwrap();
    let r = render(&a, Target::Gramjs, &Options::default()).unwrap();
    let hex = a.auth_key.to_hex();
    for shown in [format!("{a:?}"), format!("{r:?}")] {
        assert!(!shown.contains(&hex[..32]));
        assert!(!shown.contains(&r.text[10..40]));
    }
}

#[test]
fn kurigram_types_become_supergroups_pyrogram_knows() {
    let source = fixture("kurigram-2.2.26.session");
    let a = read_path(&source).unwrap();
    let dir = util::TempDir::new("convert-kurigram");
    let out = dir.join("pyrogram.session");
    let options = Options {
        api_id: Some(12345),
        ..Options::default()
    };
    let losses = write_file(
        &a,
        Target::PyrogramFile,
        &options,
        &out,
        false,
        Some(&source),
    )
    .unwrap();
    assert!(
        losses.contains(&Loss::KurigramTypes { count: 3 }),
        "{losses:?}"
    );
    let storage = pyrosession::storage::Storage::open_file_read_only(&out).unwrap();
    for p in storage.peers().unwrap() {
        assert!(p.peer.peer_type.is_pyrogram(), "{:?}", p.peer);
        // Every peer resolves as Pyrogram 2.0.106 would resolve it.
        storage.get_peer_by_id(p.peer.id).unwrap();
    }
    assert_eq!(
        Loss::KurigramTypes { count: 3 }.to_string(),
        "Pyrogram 2.0.106 knows no forum, direct or community peers: 3 are stored as supergroups"
    );
}

#[test]
fn a_forks_update_state_is_reported_left_behind() {
    // The manifest lists the update states each library wrote into its fixture; every Pyrogram
    // file among them (Telethon's has its own loss) reports as many rows left behind, and only those.
    let text = std::fs::read_to_string(fixture("manifest.json")).unwrap();
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut forks = 0;
    for e in entries.iter().skip(1) {
        let name = e["file"].as_str().unwrap();
        let a = read_path(&fixture(name)).unwrap();
        if a.kind != Kind::PyrogramFile {
            continue;
        }
        let count = e["update_state"].as_array().map_or(0, Vec::len);
        forks += usize::from(count > 0);
        let reported: Vec<_> = a
            .losses
            .iter()
            .filter(|l| matches!(l, Loss::UpdateState { .. }))
            .collect();
        if count == 0 {
            assert!(reported.is_empty(), "{name}: {reported:?}");
        } else {
            assert_eq!(reported, [&Loss::UpdateState { count }], "{name}");
        }
        // Carried into what a conversion reports (an api_id for the files too old to hold one).
        let options = Options {
            api_id: Some(12345),
            ..Options::default()
        };
        let r = render(&a, Target::Pyrogram, &options).unwrap();
        assert_eq!(
            r.losses.contains(&Loss::UpdateState { count }),
            count > 0,
            "{name}: {:?}",
            r.losses
        );
    }
    assert_eq!(forks, 5, "fixtures with update states");
    assert_eq!(
        Loss::UpdateState { count: 2 }.to_string(),
        "the update state (2 rows) is left behind"
    );
}

#[test]
fn loss_notes_read_right_for_one_and_for_many() {
    for (loss, one, many) in [
        (
            |count| Loss::ExtraUsernames { count },
            "1 username beyond each peer's first is left behind",
            "2 usernames beyond each peer's first are left behind",
        ),
        (
            |count| Loss::NamesNotHeld { count },
            "display names are not carried: 1 name is left behind",
            "display names are not carried: 2 names are left behind",
        ),
        (
            |count| Loss::PeersWithoutAccessHash { count },
            "1 peer has no access hash, which Telethon requires; it is left behind",
            "2 peers have no access hash, which Telethon requires; they are left behind",
        ),
        (
            |count| Loss::PhonesNotHeld { count },
            "1 phone number is not plain digits and does not fit Telethon's integer column; it is left behind",
            "2 phone numbers are not plain digits and do not fit Telethon's integer column; they are left behind",
        ),
        (
            |count| Loss::KurigramTypes { count },
            "Pyrogram 2.0.106 knows no forum, direct or community peers: 1 is stored as a supergroup",
            "Pyrogram 2.0.106 knows no forum, direct or community peers: 2 are stored as supergroups",
        ),
        (
            |count| Loss::PeerTypesInferred { count },
            "the source records no peer types: 1 peer is typed by id, so bots are stored as users and supergroups as channels",
            "the source records no peer types: 2 peers are typed by id, so bots are stored as users and supergroups as channels",
        ),
        (
            |count| Loss::StaleEntities { version: 5, count },
            "1 entity of this version 5 file is left behind: Telethon deletes them when it upgrades a file to version 6, as their access hashes may be wrong",
            "2 entities of this version 5 file are left behind: Telethon deletes them when it upgrades a file to version 6, as their access hashes may be wrong",
        ),
        (
            |count| Loss::UpdateState { count },
            "the update state (1 row) is left behind",
            "the update state (2 rows) is left behind",
        ),
    ] as [(fn(usize) -> Loss, &str, &str); 8]
    {
        assert_eq!(loss(1).to_string(), one);
        assert_eq!(loss(2).to_string(), many);
    }
}

/// A Telethon file whose tables hold code (a view, a generated column, a CHECK constraint, an
/// index on an expression, a partial index, a default that is an expression) is refused before
/// anything reads them, and left as it was (spec/conversions.md §2.4, storage.md §4.1).
#[test]
fn telethon_tables_that_run_code_are_refused() {
    let dir = util::TempDir::new("telethon-computed");
    for (sql, detail) in [
        (
            "DROP TABLE version; CREATE VIEW version AS SELECT 8 AS version",
            "version is a view, not a table",
        ),
        (
            "CREATE TABLE s2 (dc_id integer primary key, server_address text,
                 port integer GENERATED ALWAYS AS (443) VIRTUAL, auth_key blob, takeout_id integer,
                 tmp_auth_key blob);
             INSERT INTO s2 (dc_id, server_address, auth_key, takeout_id, tmp_auth_key)
                 SELECT dc_id, server_address, auth_key, takeout_id, tmp_auth_key FROM sessions;
             DROP TABLE sessions; ALTER TABLE s2 RENAME TO sessions",
            "sessions.port is a generated column, not a stored one",
        ),
        (
            "CREATE TABLE s2 (dc_id integer primary key, server_address text, port integer,
                 auth_key blob CHECK (json_extract('{}', hex(auth_key)) IS NULL), takeout_id integer,
                 tmp_auth_key blob);
             PRAGMA ignore_check_constraints = ON;
             INSERT INTO s2 SELECT * FROM sessions;
             DROP TABLE sessions; ALTER TABLE s2 RENAME TO sessions",
            "sessions has a CHECK constraint, which runs code the file holds on every write",
        ),
        (
            "CREATE INDEX idx_name ON entities (lower(name))",
            "index idx_name on entities is on an expression, which runs code the file holds on every write",
        ),
        (
            "CREATE INDEX idx_named ON entities (id) WHERE name IS NOT NULL",
            "index idx_named on entities is partial (WHERE …), which runs code the file holds on every write",
        ),
        (
            "CREATE TABLE v2 (version integer primary key, note blob DEFAULT (randomblob(16)));
             INSERT INTO v2 (version) SELECT version FROM version;
             DROP TABLE version; ALTER TABLE v2 RENAME TO version",
            "version.note defaults to an expression, which runs code the file holds on every write",
        ),
        // SQLite reads what an object is from its SQL, whatever its row's type says (here in
        // capitals, which SQLite takes as the same type).
        (
            "CREATE TABLE e2 AS SELECT * FROM entities; DROP TABLE entities;
             CREATE VIEW entities AS SELECT * FROM e2;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'VIEW' WHERE name = 'entities';",
            "entities is a view, not a table",
        ),
        (
            "CREATE TABLE s2 (dc_id integer primary key, server_address text, port integer,
                 auth_key blob CHECK (json_extract('{}', hex(auth_key)) IS NULL), takeout_id integer,
                 tmp_auth_key blob);
             PRAGMA ignore_check_constraints = ON;
             INSERT INTO s2 SELECT * FROM sessions;
             DROP TABLE sessions; ALTER TABLE s2 RENAME TO sessions;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'TABLE' WHERE name = 'sessions';",
            "sessions has a CHECK constraint, which runs code the file holds on every write",
        ),
    ] {
        let p = dir.join("t.session");
        std::fs::copy(fixture("telethon-1.45.0.session"), &p).unwrap();
        rusqlite::Connection::open(&p)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = read_path(&p).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: not a Telethon session file: {detail}", p.display())
        );
        assert_eq!(std::fs::read(&p).unwrap(), before);
        std::fs::remove_file(&p).unwrap();
    }
}

/// A target that cannot be written is named in the error, never the temporary file the
/// conversion builds beside it.
#[test]
fn write_errors_name_the_target_not_the_temporary_file() {
    let dir = util::TempDir::new("convert-target-errors");
    let a = read_path(&fixture("pyrogram-2.0.106.session")).unwrap();
    let missing = dir.join("no/such");
    for target in [Target::TelethonFile, Target::PyrogramFile] {
        let p = missing.join("t.session");
        let err =
            pyrosession::convert::write_file(&a, target, &Options::default(), &p, false, None)
                .unwrap_err()
                .to_string();
        // The target, or for a Pyrogram file the directory it names, which does not exist.
        assert!(
            err.starts_with(&format!("{}: ", p.display()))
                || err == format!("{}: no such directory", missing.display()),
            "{target}: {err}"
        );
        assert!(!err.contains(".tmp"), "{target}: {err}");
    }
    let p = missing.join("t.txt");
    let err = pyrosession::convert::write_string_file(&p, "text", false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        // Said before anything is made (spec/conversions.md §5.5).
        format!("{}: no such directory", missing.display())
    );
}

/// Whatever a Telethon file's key column holds may be key material: an error about it gives
/// the value's kind and size, never the value (found by an API audit: text and integers there
/// were quoted).
#[test]
fn a_telethon_key_column_of_the_wrong_kind_is_described_not_shown() {
    let dir = util::TempDir::new("telethon-key-kind");
    for (value, shown) in [
        ("'00112233445566778899aabbccddeeff'", "a text of 32 bytes"),
        ("123456789", "an integer"),
        ("x'0011223344'", "a blob of 5 bytes"),
    ] {
        let p = dir.join("t.session");
        std::fs::copy(fixture("telethon-1.45.0.session"), &p).unwrap();
        rusqlite::Connection::open(&p)
            .unwrap()
            .execute_batch(&format!("UPDATE sessions SET auth_key = {value}"))
            .unwrap();
        let err = read_path(&p).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "a Telethon session file: sessions.auth_key is {shown}, expected a blob of 256 bytes"
            )
        );
        for secret in ["00112233", "123456789", "0011223344"] {
            assert!(!err.contains(secret), "{err}");
        }
        std::fs::remove_file(&p).unwrap();
    }
}

/// A non-ASCII character in a Telethon or GramJS string is named as the character it is, at its
/// offset in characters, and a Telethon string's length is counted in characters, as its error
/// says (an audit found 353 characters called "353 characters, expected 353", and the decoder's
/// byte of a character named instead of the character).
#[test]
fn a_non_ascii_character_is_named_where_it_is() {
    use pyrosession::convert::{gramjs, telethon};
    let telethon_string = format!("1{}é", "A".repeat(351));
    assert_eq!(telethon_string.chars().count(), 353);
    assert_eq!(
        telethon::decode(&telethon_string).unwrap_err().to_string(),
        "a Telethon string session is not valid URL-safe base64 with padding: 'é' at offset 352"
    );
    let gramjs_string = format!("1{}é{}", "A".repeat(100), "A".repeat(300));
    assert_eq!(
        gramjs::decode(&gramjs_string).unwrap_err().to_string(),
        "a GramJS string session is not valid standard base64 with padding: 'é' at offset 101"
    );
}

/// The audit of conversions: no loss silent, no loss counted that did not happen, errors that
/// name the source.
mod conversion_audit {
    use super::*;
    use base64::Engine as _;

    fn options() -> Options {
        Options {
            api_id: Some(1),
            user_id: Some(5),
            is_bot: Some(false),
            ..Options::default()
        }
    }

    fn telethon_string(port: u16) -> String {
        let mut b = vec![2u8, 149, 154, 167, 51];
        b.extend_from_slice(&port.to_be_bytes());
        b.extend((0..=255u8).collect::<Vec<_>>());
        format!("1{}", base64::engine::general_purpose::URL_SAFE.encode(b))
    }

    /// A server on another port than the table's is a server Pyrogram will not use: reported
    /// (found: port 80 went silently, and a Telethon string made back from it said 443).
    #[test]
    fn a_port_that_is_not_the_tables_is_reported() {
        let at = |port| {
            render(
                &read_text(&telethon_string(port)).unwrap(),
                Target::Pyrogram,
                &options(),
            )
            .unwrap()
            .losses
        };
        let lost = at(80);
        assert_eq!(
            lost.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["Pyrogram stores no server address: it will connect to the data-center table's address instead of 149.154.167.51:80"]
        );
        assert!(at(443).is_empty(), "{:?}", at(443));
    }

    /// A JSON session's second phone number for one peer is reported like a second username;
    /// an id key written otherwise than Python writes ids is refused, since "+5" and "05" would
    /// name one peer twice (found: the phone went silently, and such keys made "12 peers" of 10).
    #[test]
    fn json_extra_phones_are_reported_and_ids_are_canonical() {
        let text = std::fs::read_to_string(fixture("pyrogram-json-0.14.session")).unwrap();
        let mut json: Value = serde_json::from_str(&text).unwrap();
        let (id, _) = json["peers_by_phone"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .map(|(k, v)| (v.clone(), k.clone()))
            .unwrap();
        json["peers_by_phone"]["15550009"] = id;
        let account = read_text(&json.to_string()).unwrap();
        assert!(
            account.losses.contains(&Loss::ExtraPhones { count: 1 }),
            "{:?}",
            account.losses
        );
        assert_eq!(
            Loss::ExtraPhones { count: 2 }.to_string(),
            "2 phone numbers beyond each peer's first are left behind"
        );
        let mut json: Value = serde_json::from_str(&text).unwrap();
        let first = json["peers_by_id"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        json["peers_by_id"][format!("+{first}")] = Value::from(999);
        // Not the same peer twice: a key that is not an id as Python writes one is set aside,
        // named (spec/damaged-inputs.md §5), and the session is read.
        let account = read_text(&json.to_string()).unwrap();
        assert_eq!(
            account
                .peers
                .iter()
                .filter(|p| p.id.to_string() == first)
                .count(),
            1
        );
        let note = account
            .losses
            .iter()
            .find(|l| matches!(l, Loss::UnreadablePeers { .. }))
            .unwrap();
        assert_eq!(
            note.to_string(),
            format!("1 peer row cannot be read and is left behind: a peer row: a key of peers_by_id is the text \"+{first}\", expected a user, chat or channel id")
        );
    }

    /// Peers left behind for want of an access hash are not counted among the types Telethon
    /// loses; a basic group without one is written with 0, which both libraries hold for a
    /// group (found: the note counted a bot never written, and the group was dropped).
    #[test]
    fn telethon_entities_count_what_is_written_and_keep_hashless_groups() {
        let dir = util::TempDir::new("telethon-hashless");
        let p = dir.join("nh.session");
        std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
        let conn = rusqlite::Connection::open(&p).unwrap();
        // The only bot, one of the two supergroups, and the basic group.
        let bot: i64 = conn
            .query_row("SELECT id FROM peers WHERE type = 'bot'", [], |r| r.get(0))
            .unwrap();
        let supergroup: i64 = conn
            .query_row(
                "SELECT min(id) FROM peers WHERE type = 'supergroup'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "UPDATE peers SET access_hash = NULL WHERE id IN (?1, ?2) OR type = 'group'",
            [bot, supergroup],
        )
        .unwrap();
        drop(conn);
        let account = read_path(&p).unwrap();
        let mut losses = Vec::new();
        let entities = telethon_file::entities(&account.peers, &mut losses);
        assert_eq!(
            losses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "Telethon records no peer types: bots will read back as users (0) and supergroups as channels (1)",
                "2 peers have no access hash, which Telethon requires; they are left behind",
            ]
        );
        assert_eq!(entities.len(), account.peers.len() - 2);
        let group = account
            .peers
            .iter()
            .find(|p| p.peer_type == Some(PeerType::Group))
            .unwrap();
        assert_eq!(
            entities.iter().find(|e| e.id == group.id).map(|e| e.hash),
            Some(0)
        );
    }

    /// An IP address given in another spelling is the same server, not a conflict; `--ipv6`
    /// with a source's IPv4 server from the table takes that data center's IPv6 address, and
    /// with one the table lacks is an error (found: a conflict, and `--ipv6` ignored).
    #[test]
    fn addresses_compare_as_addresses_and_ipv6_is_honoured() {
        let source = read_text(&telethon_string(443)).unwrap();
        let gramjs = |options: &Options| {
            render(&source, Target::Gramjs, options).map(|r| {
                pyrosession::convert::gramjs::decode(&r.text)
                    .unwrap()
                    .address
            })
        };
        let same = Options {
            server: Some("149.154.167.051".to_owned()),
            ..Options::default()
        };
        // Not an IP address (a leading zero): compared as written, so a conflict.
        assert_eq!(
            gramjs(&same).unwrap_err().to_string(),
            "the source holds server 149.154.167.51, but the server given is 149.154.167.051: leave it out or make them agree"
        );
        let v6 = Options {
            ipv6: true,
            ..Options::default()
        };
        assert_eq!(gramjs(&v6).unwrap(), "2001:67c:4e8:f002::a");
        let v6_source = read_text(&render(&source, Target::Gramjs, &v6).unwrap().text).unwrap();
        let respelled = Options {
            server: Some("2001:067c:04e8:f002:0:0:0:a".to_owned()),
            ..Options::default()
        };
        assert_eq!(gramjs_of(&v6_source, &respelled), "2001:67c:4e8:f002::a");
        let mut foreign = source.clone();
        foreign.server = Some(Server {
            address: "10.0.0.1".to_owned(),
            port: 443,
        });
        assert_eq!(
            render(&foreign, Target::Gramjs, &Options { test_mode: Some(false), ..v6 })
                .unwrap_err()
                .to_string(),
            "a Telethon string session: the data-center table's IPv6 address was asked for, and the server 10.0.0.1 is not in the table"
        );
    }

    /// Every missing value is named in one error, test mode among them when the server is one
    /// the table lacks; alone, that server is said so (found: the unknown server came first,
    /// and the rest only on the next run).
    #[test]
    fn all_missing_values_are_named_at_once() {
        let mut account = read_text(&telethon_string(443)).unwrap();
        account.server = Some(Server {
            address: "10.0.0.1".to_owned(),
            port: 443,
        });
        assert_eq!(
            render(&account, Target::Pyrogram, &Options::default())
                .unwrap_err()
                .to_string(),
            "Pyrogram needs the application's api_id, the account's user id, to know whether the account is a bot and to know whether the session is for the test servers, which a Telethon string session does not hold"
        );
        assert_eq!(
            render(&account, Target::Pyrogram, &options())
                .unwrap_err()
                .to_string(),
            "cannot tell whether 10.0.0.1 is a test or a production server: it is not in Telegram's data-center table"
        );
    }

    fn gramjs_of(account: &pyrosession::convert::Account, options: &Options) -> String {
        let text = render(account, Target::Gramjs, options).unwrap().text;
        pyrosession::convert::gramjs::decode(&text).unwrap().address
    }

    /// "Holds no auth key" is said of the source, whatever the target (found: a Pyrogram file
    /// with a zero key was called "a Telethon string session").
    #[test]
    fn no_auth_key_names_the_source() {
        let dir = util::TempDir::new("zero-key");
        let p = dir.join("z.session");
        std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
        rusqlite::Connection::open(&p)
            .unwrap()
            .execute_batch("UPDATE sessions SET auth_key = zeroblob(256)")
            .unwrap();
        let account = read_path(&p).unwrap();
        for target in [Target::Telethon, Target::Gramjs] {
            assert_eq!(
                render(&account, target, &Options::default())
                    .unwrap_err()
                    .to_string(),
                "a Pyrogram session file holds no auth key (Telethon and GramJS take an all-zero key for none)",
                "{target}"
            );
        }
    }
}

/// Makes the source a row of spec/damaged-inputs.md §5 names, in `dir`.
fn damaged_source(id: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("damaged.session");
    if let Some(rest) = id.strip_prefix("json-") {
        let mut v: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture("pyrogram-json-0.14.session")).unwrap(),
        )
        .unwrap();
        let by_id = v["peers_by_id"].as_object_mut().unwrap();
        match rest {
            "bad-key" => drop(by_id.insert("abc".into(), Value::from(1))),
            "key-out-of-range" => drop(by_id.insert("0".into(), Value::from(1))),
            "text-hash" => drop(by_id.insert("-1002234567890".into(), Value::from("x"))),
            "text-username-id" => drop(
                v["peers_by_username"]
                    .as_object_mut()
                    .unwrap()
                    .insert("bob".into(), Value::from("me")),
            ),
            other => panic!("no maker for source row {other}"),
        }
        std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
        return path;
    }
    std::fs::copy(fixture("telethon-1.45.0.session"), &path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let one = "WHERE id = -1002234567890";
    let sql = match id {
        "telethon-text-hash" => format!("UPDATE entities SET hash = 'abc' {one}"),
        "telethon-blob-username" => format!("UPDATE entities SET username = x'41' {one}"),
        "telethon-null-hash" => format!(
            "CREATE TABLE e2 (id integer primary key, hash integer, username text, phone integer,
             name text, date integer); INSERT INTO e2 SELECT * FROM entities; DROP TABLE entities;
             ALTER TABLE e2 RENAME TO entities; UPDATE entities SET hash = NULL {one}"
        ),
        "telethon-ids-out-of-range" => "INSERT INTO entities VALUES
             (-9223372036854775808, 1, 'min', NULL, NULL, 1795512060),
             (0, 1, 'zero', NULL, NULL, 1795512060),
             (9223372036854775807, 1, 'max', NULL, NULL, 1795512060)"
            .to_owned(),
        other => panic!("no maker for source row {other}"),
    };
    conn.execute_batch(&sql).unwrap();
    path
}

/// spec/damaged-inputs.md §5, word for word: one bad entity row of a Telethon file, or one bad
/// entry of a JSON session, is set aside as a loss naming it; the session and the other peers
/// are read (they were refused whole), and a string target carries no peers at all.
#[test]
fn every_source_row_gets_what_the_table_says() {
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md")).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip_while(|l| !l.starts_with("## 5. "))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "{l}");
            (
                cells[0].trim_matches('`').to_owned(),
                cells[2].trim_matches('`').to_owned(),
            )
        })
        .collect();
    assert!(rows.len() >= 8, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    for (id, want) in rows {
        let dir = util::TempDir::new("source-rows");
        let path = damaged_source(&id, &dir.0);
        let got = match read_path(&path) {
            Ok(a) => {
                let notes: Vec<String> = a
                    .losses
                    .iter()
                    .filter(|l| matches!(l, Loss::UnreadablePeers { .. }))
                    .map(ToString::to_string)
                    .collect();
                let string = render(&a, Target::Telethon, &Options::default()).unwrap();
                let held: String = string
                    .losses
                    .iter()
                    .filter(|l| matches!(l, Loss::PeersNotHeld { .. }))
                    .map(ToString::to_string)
                    .collect();
                format!(
                    "ok; {} peers; {}; --to telethon: {held}",
                    a.peers.len(),
                    notes.join("; ")
                )
            }
            Err(e) => e.to_string(),
        };
        let got = got.replace(&dir.0.display().to_string(), "{dir}");
        if got != want {
            failures.push(format!("{id}:\n  table: {want}\n  got:   {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `produce` is the whole output step the command takes (spec/conversions.md §5, §11): a file
/// target is written and its peers counted as the target holds them; a string target is handed
/// back, or written to a file that is never the source.
#[test]
fn produce_writes_files_counts_their_peers_and_hands_back_strings() {
    use pyrosession::convert::{produce, ConvertErrorKind, Options, Target};
    let dir = util::TempDir::new("convert-produce");
    let source = fixture("pyrogram-2.0.106.session");
    let account = read_path(&source).unwrap();
    assert!(!account.peers.is_empty());
    let options = Options::default();

    let pyrogram = dir.join("p.session");
    let made = produce(
        &account,
        Target::PyrogramFile,
        &options,
        Some(&pyrogram),
        false,
        Some(&source),
    )
    .unwrap();
    assert!(made.text.is_none());
    assert_eq!(made.peers, Some(read_path(&pyrogram).unwrap().peers.len()));
    assert_eq!(made.peers, Some(account.peers.len()));

    let telethon = dir.join("t.session");
    let made = produce(
        &account,
        Target::TelethonFile,
        &options,
        Some(&telethon),
        false,
        Some(&source),
    )
    .unwrap();
    let entities = telethon_file::entities(&account.peers, &mut Vec::new()).len();
    assert_eq!(made.peers, Some(entities));
    assert_eq!(read_path(&telethon).unwrap().peers.len(), entities);

    let made = produce(
        &account,
        Target::Pyrogram,
        &options,
        None,
        false,
        Some(&source),
    )
    .unwrap();
    let text = made
        .text
        .expect("a string target without a file hands the string back");
    assert_eq!(made.peers, None);
    assert_eq!(read_text(&text).unwrap().dc_id, account.dc_id);

    let string_file = dir.join("s.txt");
    let made = produce(
        &account,
        Target::Pyrogram,
        &options,
        Some(&string_file),
        false,
        Some(&source),
    )
    .unwrap();
    assert!(made.text.is_none());
    assert_eq!(
        std::fs::read_to_string(&string_file).unwrap().trim(),
        text.as_str()
    );

    let onto_source = produce(
        &account,
        Target::Pyrogram,
        &options,
        Some(&string_file),
        true,
        Some(&string_file),
    );
    assert!(matches!(
        onto_source.unwrap_err().kind(),
        ConvertErrorKind::SameFile
    ));
    let no_file = produce(&account, Target::PyrogramFile, &options, None, false, None);
    assert!(matches!(
        no_file.unwrap_err().kind(),
        ConvertErrorKind::Invalid { .. }
    ));
}
