//! The storage engines (spec/storage.md): schema, fields, peers, lookups, strings, naming,
//! deletion, and files that are not what they should be.

mod util;

use std::path::{Path, PathBuf};

use std::sync::Arc;
use util::TempDir;

use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::{
    locate, Engine, Location, ManualClock, NotFound, Storage, StorageError, StorageErrorKind,
};
use pyrosession::AuthKey;

fn peer(
    id: i64,
    access_hash: i64,
    t: PeerType,
    username: Option<&str>,
    phone: Option<&str>,
) -> Peer {
    Peer {
        id,
        access_hash: Some(access_hash),
        peer_type: t,
        username: username.map(str::to_owned),
        phone_number: phone.map(str::to_owned),
    }
}

fn sample_peers() -> Vec<Peer> {
    vec![
        peer(777, -5, PeerType::User, Some("alice"), Some("15550001")),
        peer(888, 42, PeerType::Bot, Some("somebot"), None),
        peer(-123_456, 0, PeerType::Group, None, None),
        peer(
            -1_001_234_567_890,
            99,
            PeerType::Channel,
            Some("news"),
            None,
        ),
        peer(-1_002_234_567_890, -99, PeerType::Supergroup, None, None),
    ]
}

fn key() -> AuthKey {
    let mut b = [0u8; 256];
    for (i, x) in b.iter_mut().enumerate() {
        *x = i as u8;
    }
    AuthKey::new(b)
}

fn with_clock(storage: &mut Storage, now: i64) -> Arc<ManualClock> {
    let clock = Arc::new(ManualClock::new(now));
    storage.set_clock(clock.clone());
    clock
}

#[test]
fn a_new_file_has_pyrogram_2_0_106_schema() {
    let dir = TempDir::new("schema");
    let storage = Storage::open_file(dir.join("s.session")).unwrap();
    insta::assert_snapshot!("schema_fresh_v3", storage.render_schema().unwrap());
    let f = storage.session().unwrap();
    assert_eq!(
        (
            f.dc_id,
            f.api_id,
            f.test_mode,
            f.auth_key.is_none(),
            f.date,
            f.user_id,
            f.is_bot
        ),
        (2, None, None, true, 0, None, None)
    );
}

#[test]
fn fields_persist_across_close_and_reopen() {
    let dir = TempDir::new("fields");
    let path = dir.join("me.session");
    let mut s = Storage::open_file(&path).unwrap();
    s.set_dc_id(4).unwrap();
    s.set_api_id(Some(12345)).unwrap();
    s.set_test_mode(Some(true)).unwrap();
    s.set_auth_key(Some(&key())).unwrap();
    s.set_user_id(Some(123_456_789)).unwrap();
    s.set_is_bot(Some(false)).unwrap();
    with_clock(&mut s, 1_700_000_000);
    s.save().unwrap();
    s.close().unwrap();
    let s = Storage::open_file(&path).unwrap();
    let f = s.session().unwrap();
    assert_eq!(f.dc_id, 4);
    assert_eq!(f.api_id, Some(12345));
    assert_eq!(f.test_mode, Some(true));
    assert_eq!(f.auth_key, Some(key()));
    assert_eq!(f.user_id, Some(123_456_789));
    assert_eq!(f.is_bot, Some(false));
    assert_eq!(f.date, 1_700_000_000);
}

#[test]
fn peers_of_every_type_give_pyrogram_input_peers() {
    let mut s = Storage::memory().unwrap();
    s.update_peers(&sample_peers()).unwrap();
    assert_eq!(
        s.get_peer_by_id(777).unwrap(),
        InputPeer::User {
            user_id: 777,
            access_hash: -5
        }
    );
    assert_eq!(
        s.get_peer_by_id(888).unwrap(),
        InputPeer::User {
            user_id: 888,
            access_hash: 42
        }
    );
    assert_eq!(
        s.get_peer_by_id(-123_456).unwrap(),
        InputPeer::Chat { chat_id: 123_456 }
    );
    assert_eq!(
        s.get_peer_by_id(-1_001_234_567_890).unwrap(),
        InputPeer::Channel {
            channel_id: 1_234_567_890,
            access_hash: 99
        }
    );
    assert_eq!(
        s.get_peer_by_id(-1_002_234_567_890).unwrap(),
        InputPeer::Channel {
            channel_id: 2_234_567_890,
            access_hash: -99
        }
    );
    assert_eq!(
        s.get_peer_by_username("news").unwrap(),
        s.get_peer_by_id(-1_001_234_567_890).unwrap()
    );
    assert_eq!(
        s.get_peer_by_phone_number("15550001").unwrap(),
        s.get_peer_by_id(777).unwrap()
    );
    util::assert_message(&s.get_peer_by_id(1).unwrap_err(), "peer id not found: 1");
    util::assert_message(
        &s.get_peer_by_username("ALICE").unwrap_err(),
        "username not found: ALICE",
    );
    util::assert_message(
        &s.get_peer_by_phone_number("+15550001").unwrap_err(),
        "phone number not found: +15550001",
    );
    assert!(matches!(
        s.get_peer_by_id(1).map_err(StorageError::into_kind),
        Err(StorageErrorKind::NotFound(NotFound::Id(1)))
    ));
}

#[test]
fn upsert_replaces_the_whole_row() {
    let mut s = Storage::memory().unwrap();
    let clock = with_clock(&mut s, 1_000_000);
    s.update_peers(&[peer(777, 1, PeerType::User, Some("alice"), Some("1555"))])
        .unwrap();
    clock.advance(10);
    s.update_peers(&[peer(777, 2, PeerType::Bot, None, None)])
        .unwrap();
    let all = s.peers().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].peer, peer(777, 2, PeerType::Bot, None, None));
    assert_eq!(all[0].last_update_on, 1_000_010);
    assert!(matches!(
        s.get_peer_by_username("alice")
            .map_err(StorageError::into_kind),
        Err(StorageErrorKind::NotFound(_))
    ));
}

#[test]
fn usernames_expire_after_eight_hours_either_way_and_the_newest_wins() {
    let mut s = Storage::memory().unwrap();
    let clock = with_clock(&mut s, 1_000_000);
    s.update_peers(&[peer(1, 11, PeerType::User, Some("dup"), None)])
        .unwrap();
    clock.advance(5);
    s.update_peers(&[peer(2, 22, PeerType::User, Some("dup"), None)])
        .unwrap();
    assert_eq!(
        s.get_peer_by_username("dup").unwrap(),
        InputPeer::User {
            user_id: 2,
            access_hash: 22
        }
    );
    clock.advance(28_800);
    assert!(
        s.get_peer_by_username("dup").is_ok(),
        "exactly 28800 s is not expired"
    );
    clock.advance(1);
    util::assert_message(
        &s.get_peer_by_username("dup").unwrap_err(),
        "username expired: dup (cached 28801 s ago, the limit is 28800 s)",
    );
    clock.set(1_000_005 - 28_801);
    assert!(matches!(
        s.get_peer_by_username("dup")
            .map_err(StorageError::into_kind),
        Err(StorageErrorKind::UsernameExpired { age: -28_801, .. })
    ));
    // Lookups by id do not expire.
    assert!(s.get_peer_by_id(2).is_ok());
}

#[test]
fn kurigram_types_are_refused_in_pyrogram_files() {
    let mut s = Storage::memory().unwrap();
    let err = s
        .update_peers(&[peer(-1_001, 1, PeerType::Forum, None, None)])
        .unwrap_err();
    util::assert_message(
        &err,
        "refused to cache peer -1001 of type forum: the pyrogram v3 file would no longer be valid for it",
    );
    assert!(s.peers().unwrap().is_empty());
}

#[test]
fn session_strings_round_trip_through_a_memory_storage() {
    let s = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let storage = Storage::from_session_string(s.trim_end()).unwrap();
    assert_eq!(storage.engine(), &Engine::Memory);
    let f = storage.session().unwrap();
    assert_eq!(
        (f.dc_id, f.api_id, f.user_id, f.date),
        (2, Some(12345), Some(123_456_789), 0)
    );
    assert_eq!(storage.export_session_string().unwrap(), s.trim_end());

    let legacy = std::fs::read_to_string(util::root().join("spec/examples/legacy32.txt")).unwrap();
    let storage = Storage::from_session_string(legacy.trim_end()).unwrap();
    assert_eq!(storage.session().unwrap().api_id, None);
    util::assert_message(
        &storage.export_session_string().unwrap_err(),
        "cannot export a session string: api_id is not set",
    );
    let fresh = Storage::memory().unwrap();
    util::assert_message(
        &fresh.export_session_string().unwrap_err(),
        "cannot export a session string: api_id is not set",
    );
    let mut fresh = fresh;
    fresh.set_api_id(Some(1)).unwrap();
    util::assert_message(
        &fresh.export_session_string().unwrap_err(),
        "cannot export a session string: user_id is not set",
    );
    assert!(matches!(
        Storage::from_session_string("nope").map_err(StorageError::into_kind),
        Err(StorageErrorKind::SessionString(_))
    ));
}

#[test]
fn the_naming_rule() {
    let wd = Path::new("/work/dir");
    assert_eq!(locate(":memory:", wd), Location::Memory);
    assert_eq!(
        locate("my_account", wd),
        Location::File(PathBuf::from("/work/dir/my_account.session"))
    );
    let s = std::fs::read_to_string(util::root().join("spec/examples/legacy32.txt")).unwrap();
    let s = s.trim_end();
    let wrapped = format!("{}\n  {}", &s[..200], &s[200..]);
    assert_eq!(locate(&wrapped, wd), Location::SessionString(s.to_owned()));
    assert_eq!(
        locate(&"x".repeat(350), wd),
        Location::File(PathBuf::from(format!(
            "/work/dir/{}.session",
            "x".repeat(350)
        )))
    );
    assert_eq!(
        format!("{:?}", locate(s, wd)),
        "SessionString(351 characters)"
    );
    let storage = Storage::open(&wrapped, wd).unwrap();
    assert_eq!(storage.session().unwrap().user_id, Some(123_456_789));
}

#[test]
fn delete_removes_the_file_and_its_side_files() {
    let dir = TempDir::new("delete");
    let path = dir.join("gone.session");
    let s = Storage::open_file(&path).unwrap();
    std::fs::write(dir.join("gone.session-journal"), b"").unwrap();
    s.delete().unwrap();
    assert!(!path.exists());
    assert!(!dir.join("gone.session-journal").exists());
    Storage::memory().unwrap().delete().unwrap();
}

#[cfg(unix)]
#[test]
fn new_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let path = dir.join("p.session");
    Storage::open_file(&path).unwrap().close().unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// Opening a file that is not a usable session gives a typed error and leaves it unchanged.
#[track_caller]
fn refused(path: &Path, expected: &str) {
    let before = std::fs::read(path).ok();
    let err = Storage::open_file(path).unwrap_err();
    util::assert_message(
        &err,
        &expected.replace("{path}", &path.display().to_string()),
    );
    assert_eq!(std::fs::read(path).ok(), before, "the file changed");
    let parent = path.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-journal") || n.contains("-wal"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn sqlite_file(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn pyrogram_v3(path: &Path) {
    let mut s = Storage::open_file(path).unwrap();
    s.set_api_id(Some(1)).unwrap();
    s.close().unwrap();
}

#[test]
fn files_that_are_not_sessions_are_named_and_left_alone() {
    let dir = TempDir::new("hostile");
    let p = dir.join("empty.session");
    std::fs::write(&p, b"").unwrap();
    refused(&p, "{path}: the file is empty");

    let p = dir.join("json.session");
    std::fs::write(
        &p,
        br#"{"dc_id": 2, "test_mode": false, "auth_key": ["AAAA"], "user_id": 1}"#,
    )
    .unwrap();
    refused(&p, "{path}: a JSON session of Pyrogram 0.14 or earlier, which Pyrogram 2 cannot open; convert it first");

    let p = dir.join("text.session");
    std::fs::write(&p, b"hello, this is not a database at all, not even close").unwrap();
    refused(&p, "{path}: not an SQLite database");

    let p = dir.join("dir.session");
    std::fs::create_dir(&p).unwrap();
    let err = Storage::open_file(&p).unwrap_err();
    util::assert_message(
        &err,
        &format!("{}: is a directory, not a session file", p.display()),
    );

    let p = dir.join("telethon.session");
    sqlite_file(&p, "CREATE TABLE version (version integer primary key); INSERT INTO version VALUES (7);
        CREATE TABLE sessions (dc_id integer primary key, server_address text, port integer, auth_key blob, takeout_id integer);
        CREATE TABLE entities (id integer primary key, hash integer not null, username text, phone integer, name text, date integer);");
    refused(
        &p,
        "{path}: a Telethon session file (version 7), not a Pyrogram one; convert it first",
    );

    let p = dir.join("other.session");
    sqlite_file(&p, "CREATE TABLE t (x); CREATE TABLE a (y);");
    refused(&p, "{path}: no Pyrogram session schema (tables: a, t)");

    let missing = dir.join("nowhere").join("x.session");
    util::assert_message(
        &Storage::open_file(&missing).unwrap_err(),
        &format!("{}: no such directory", dir.join("nowhere").display()),
    );
}

#[test]
fn damaged_rows_are_typed_errors_and_the_file_is_left_alone() {
    let dir = TempDir::new("damaged");
    let cases: &[(&str, &str, &str)] = &[
        (
            "newer",
            "UPDATE version SET number = 9",
            "{path}: schema version 9 is newer than this crate knows for pyrogram (at most 3)",
        ),
        (
            "noversion",
            "DELETE FROM version",
            "{path}: the version table holds 0 rows, not 1",
        ),
        (
            "twoversions",
            "INSERT INTO version VALUES (4)",
            "{path}: the version table holds 2 rows, not 1",
        ),
        (
            "nosession",
            "DELETE FROM sessions",
            "{path}: the sessions table holds 0 rows, not 1",
        ),
        (
            "twosessions",
            "INSERT INTO sessions VALUES (3, 1, 0, NULL, 0, NULL, NULL)",
            "{path}: the sessions table holds 2 rows, not 1",
        ),
        (
            "shortkey",
            "UPDATE sessions SET auth_key = zeroblob(255)",
            "{path}: sessions.auth_key holds a blob of 255 bytes, expected a blob of 256 bytes",
        ),
        (
            "textkey",
            "UPDATE sessions SET auth_key = 'secret'",
            "{path}: sessions.auth_key holds a text of 6 bytes, expected a blob of 256 bytes",
        ),
        (
            "textuser",
            "UPDATE sessions SET user_id = 'me'",
            "{path}: sessions.user_id holds the text \"me\", expected an integer or NULL",
        ),
        (
            "nodate",
            "UPDATE sessions SET date = 'today'",
            "{path}: sessions.date holds the text \"today\", expected an integer",
        ),
    ];
    for (name, damage, expected) in cases {
        let p = dir.join(&format!("{name}.session"));
        pyrogram_v3(&p);
        sqlite_file(&p, damage);
        refused(&p, expected);
    }
}

#[test]
fn damaged_peer_rows_are_typed_errors() {
    let dir = TempDir::new("peers");
    let p = dir.join("p.session");
    let mut s = Storage::open_file(&p).unwrap();
    s.update_peers(&sample_peers()).unwrap();
    s.close().unwrap();
    sqlite_file(
        &p,
        "UPDATE peers SET type = 'wizard' WHERE id = 777; UPDATE peers SET type = 5 WHERE id = 888;
        UPDATE peers SET access_hash = NULL WHERE id = -1001234567890",
    );
    let s = Storage::open_file(&p).unwrap();
    util::assert_message(
        &s.get_peer_by_id(777).unwrap_err(),
        &format!("{}: peer 777 has unknown type \"wizard\"", p.display()),
    );
    util::assert_message(
        &s.get_peer_by_id(888).unwrap_err(),
        &format!(
            "{}: peers.type holds the integer 5, expected the text of a peer type",
            p.display()
        ),
    );
    util::assert_message(
        &s.get_peer_by_id(-1_001_234_567_890).unwrap_err(),
        &format!(
            "{}: channel peer -1001234567890 has no access hash",
            p.display()
        ),
    );
    assert_eq!(
        s.get_peer_by_id(-123_456).unwrap(),
        InputPeer::Chat { chat_id: 123_456 }
    );
    drop(s);

    // Ids whose input peer does not fit in 64 bits (Pyrogram computes it with Python's integers
    // and fails later, serializing it), a NULL id (possible once id is not the INTEGER PRIMARY
    // KEY), and a type too long to show: errors, never a panic, a wrapped id or peer 0.
    let q = dir.join("q.session");
    std::fs::copy(&p, &q).unwrap();
    sqlite_file(
        &q,
        &format!(
            "INSERT INTO peers VALUES ({}, 1, 'channel', 'maxchan', NULL, strftime('%s', 'now'));
            INSERT INTO peers VALUES ({}, 1, 'group', 'mingroup', NULL, strftime('%s', 'now'));
            INSERT INTO peers VALUES (5, 1, '{}', NULL, NULL, 0);
            CREATE TABLE p2 (id, access_hash, type, username, phone_number, last_update_on);
            INSERT INTO p2 SELECT * FROM peers; DROP TABLE peers; ALTER TABLE p2 RENAME TO peers;
            INSERT INTO peers VALUES (NULL, 1, 'user', 'nobody', '555', CAST(strftime('%s', 'now') AS INTEGER))",
            i64::MAX,
            i64::MIN,
            "x".repeat(100)
        ),
    );
    let s = Storage::open_file(&q).unwrap();
    let max = format!(
        "{}: peers.id holds the integer {}, expected a channel's marked id, at most 2^63 - 10^12",
        q.display(),
        i64::MAX
    );
    util::assert_message(&s.get_peer_by_id(i64::MAX).unwrap_err(), &max);
    util::assert_message(&s.get_peer_by_username("maxchan").unwrap_err(), &max);
    let min = format!(
        "{}: peers.id holds the integer {}, expected a group's marked id, above -2^63",
        q.display(),
        i64::MIN
    );
    util::assert_message(&s.get_peer_by_id(i64::MIN).unwrap_err(), &min);
    util::assert_message(&s.get_peer_by_username("mingroup").unwrap_err(), &min);
    let null = format!("{}: peers.id holds NULL, expected an integer", q.display());
    util::assert_message(&s.get_peer_by_username("nobody").unwrap_err(), &null);
    util::assert_message(&s.get_peer_by_phone_number("555").unwrap_err(), &null);
    util::assert_message(
        &s.get_peer_by_id(5).unwrap_err(),
        &format!(
            "{}: peer 5 has unknown type \"{}…\"",
            q.display(),
            "x".repeat(32)
        ),
    );
}

/// pyrofork's second place for usernames, `usernames(id, peer_id, last_update_on)`: its values
/// are checked like a peer row's, and an error names its own columns.
#[test]
fn pyrofork_username_rows_are_typed_errors() {
    let dir = TempDir::new("pyrofork-usernames");
    let p = dir.join("p.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrofork-2.3.69.session"),
        &p,
    )
    .unwrap();
    sqlite_file(
        &p,
        "CREATE TABLE IF NOT EXISTS usernames (id TEXT PRIMARY KEY, peer_id INTEGER NOT NULL, last_update_on INTEGER);
        DELETE FROM usernames;
        CREATE TABLE u2 (id, peer_id, last_update_on);
        INSERT INTO u2 VALUES ('bobby', (SELECT min(id) FROM peers), 'soon'), ('carl', 'x', 1),
            ('eve', (SELECT min(id) FROM peers), NULL);
        DROP TABLE usernames; ALTER TABLE u2 RENAME TO usernames",
    );
    let s = Storage::open_file(&p).unwrap();
    let message = |column: &str, found: &str| {
        format!(
            "{}: usernames.{column} holds {found}, expected an integer",
            p.display()
        )
    };
    util::assert_message(
        &s.get_peer_by_username("bobby").unwrap_err(),
        &message("last_update_on", "the text \"soon\""),
    );
    util::assert_message(
        &s.get_peer_by_username("carl").unwrap_err(),
        &message("peer_id", "the text \"x\""),
    );
    util::assert_message(
        &s.get_peer_by_username("eve").unwrap_err(),
        &message("last_update_on", "NULL"),
    );
    // Listing reads the same rows and names the same columns: pyrofork's `usernames.id` is the
    // username, its `peer_id` the peer (an audit found the listing calling them `id` and
    // `username`).
    util::assert_message(
        &s.peers().unwrap_err(),
        &message("peer_id", "the text \"x\""),
    );
    s.close().unwrap();
    sqlite_file(
        &p,
        "DELETE FROM usernames; INSERT INTO usernames VALUES (x'01', (SELECT min(id) FROM peers), 1)",
    );
    let s = Storage::open_file(&p).unwrap();
    util::assert_message(
        &s.peers().unwrap_err(),
        &format!(
            "{}: usernames.id holds a blob of 1 bytes, expected text",
            p.display()
        ),
    );
}

#[test]
fn pyrogram_v2_files_are_migrated_as_pyrogram_does() {
    let dir = TempDir::new("migrate");
    for (from, peers_kept) in [(2, true), (1, false)] {
        let p = dir.join(&format!("v{from}.session"));
        let v2 = pyrosession::storage::SCHEMA_V3.replace("    api_id    INTEGER,\n", "");
        sqlite_file(&p, &format!("{v2} INSERT INTO version VALUES ({from}); INSERT INTO sessions VALUES (2, 0, NULL, 0, 5, 0);
            INSERT INTO peers (id, access_hash, type) VALUES (1, 2, 'user');"));
        let s = Storage::open_file(&p).unwrap();
        assert_eq!(s.dialect(), pyrosession::storage::Dialect::Pyrogram(3));
        insta::assert_snapshot!(
            format!("schema_migrated_from_v{from}"),
            s.render_schema().unwrap()
        );
        assert_eq!(s.session().unwrap().user_id, Some(5));
        assert_eq!(s.session().unwrap().api_id, None);
        assert_eq!(s.get_peer_by_id(1).is_ok(), peers_kept);
    }
}

#[test]
fn storage_types_are_send() {
    fn check<T: Send>() {}
    check::<Storage>();
    check::<StorageError>();
}

/// Looking at a WAL-mode file (hydrogram's, pyrotgfork's) leaves nothing beside it, and neither
/// does a failed open.
#[test]
fn read_only_opens_leave_no_side_files() {
    let dir = TempDir::new("wal");
    let p = dir.join("h.session");
    std::fs::copy(
        util::root().join("spec/fixtures/hydrogram-0.2.0.session"),
        &p,
    )
    .unwrap();
    let s = Storage::open_file_read_only(&p).unwrap();
    assert_eq!(s.dialect(), pyrosession::storage::Dialect::Pyrogram(3));
    assert_eq!(s.peers().unwrap().len(), 10);
    s.close().unwrap();
    let names = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(), ["h.session"]);
    // A WAL file whose version row is gone: refused, and nothing is left.
    sqlite_file(&p, "DELETE FROM version");
    let before = std::fs::read(&p).unwrap();
    assert!(matches!(
        Storage::open_file(&p).map_err(StorageError::into_kind),
        Err(StorageErrorKind::VersionRows { found: 0, .. })
    ));
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(names(), ["h.session"]);
}

/// A write interrupted by a crash leaves a hot `-journal`; opening rolls it back, as Pyrogram's
/// open does, and the last committed state is what is read (spec/storage.md §2.2).
#[test]
fn a_hot_journal_is_rolled_back_on_open() {
    let dir = TempDir::new("hot");
    let p = dir.join("crashed.session");
    let mut s = Storage::open_file(&p).unwrap();
    s.update_peers(&sample_peers()).unwrap();
    s.close().unwrap();
    // A writer that spills an uncommitted transaction to the file, then dies without cleaning up.
    let script = format!(
        "import os, sqlite3\nc = sqlite3.connect({:?})\nc.execute('PRAGMA cache_size=1')\nc.execute('BEGIN')\n\
         for i in range(3000): c.execute(\"INSERT INTO peers (id, access_hash, type) VALUES (?, 1, 'user')\", (10000 + i,))\n\
         os._exit(0)\n",
        p.to_str().unwrap()
    );
    let status = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3");
    assert!(status.success());
    let journal = dir.join("crashed.session-journal");
    assert!(
        std::fs::metadata(&journal).unwrap().len() > 0,
        "the crash left no journal"
    );

    let s = Storage::open_file_read_only(&p).unwrap();
    assert_eq!(s.peers().unwrap().len(), sample_peers().len());
    s.close().unwrap();
    let s = Storage::open_file(&p).unwrap();
    assert_eq!(s.peers().unwrap().len(), sample_peers().len());
    s.close().unwrap();
    let ok: String = rusqlite::Connection::open(&p)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn kurigram_types_only_in_kurigram_v7_files() {
    let dir = TempDir::new("types");
    for (fixture, allowed) in [
        ("kurigram-2.2.26.session", true),
        ("kurigram-2.2.9.session", false),
        ("pyrotgfork-2.2.24.1.session", false),
    ] {
        let p = dir.join(fixture);
        std::fs::copy(util::root().join("spec/fixtures").join(fixture), &p).unwrap();
        let mut s = Storage::open_file(&p).unwrap();
        let forum = peer(-1_003_000_000_001, 1, PeerType::Forum, Some("f"), None);
        assert_eq!(s.update_peers(&[forum]).is_ok(), allowed, "{fixture}");
    }
}

/// The crate's username lookup returns the row Pyrogram's
/// `ORDER BY last_update_on DESC` returns first, ties included (spec/storage.md §6.5).
#[test]
fn username_lookup_picks_pyrogram_row_even_on_ties() {
    let dir = TempDir::new("ties");
    let p = dir.join("ties.session");
    Storage::open_file(&p).unwrap().close().unwrap();
    let conn = rusqlite::Connection::open(&p).unwrap();
    let mut rng = util::mutate::Rng::new(7);
    let mut ids: Vec<i64> = (0..4000)
        .map(|_| i64::try_from(rng.next_u64() >> 20).unwrap() - (1 << 43))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    conn.execute_batch("BEGIN").unwrap();
    for id in &ids {
        let name = format!("u{}", rng.below(300));
        let when = 1_000 + i64::try_from(rng.below(4)).unwrap(); // few timestamps: many ties
        conn.execute(
            "REPLACE INTO peers (id, access_hash, type, username, last_update_on) VALUES (?1, 1, 'user', ?2, ?3)",
            rusqlite::params![id, name, when],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    let mut ties = 0;
    let mut expected = Vec::new();
    for u in 0..300 {
        let name = format!("u{u}");
        let first: Option<i64> = conn
            .query_row(
                "SELECT id FROM peers WHERE username = ?1 ORDER BY last_update_on DESC",
                [&name],
                |r| r.get(0),
            )
            .ok();
        let top: i64 = conn
            .query_row(
                "SELECT count(*) FROM peers WHERE username = ?1 AND last_update_on = (SELECT max(last_update_on) FROM peers WHERE username = ?1)",
                [&name],
                |r| r.get(0),
            )
            .unwrap();
        ties += usize::from(top > 1);
        expected.push((name, first));
    }
    drop(conn);
    let mut s = Storage::open_file_read_only(&p).unwrap();
    with_clock(&mut s, 1_000);
    for (name, first) in expected {
        let ours = s.get_peer_by_username(&name).ok().map(|p| match p {
            InputPeer::User { user_id, .. } => user_id,
            other => panic!("{other:?}"),
        });
        assert_eq!(ours, first, "{name}");
    }
    assert!(ties > 100, "only {ties} usernames with tied newest rows");
}

/// A session file serves one client at a time: a second opener gets a typed "in use" error
/// naming the file, after the wait it asked for, and the first keeps working
/// (spec/storage.md §2.5).
#[test]
fn a_second_opener_is_told_the_session_is_in_use() {
    use pyrosession::storage::OpenOptions;
    use std::time::{Duration, Instant};
    let dir = TempDir::new("inuse");
    let p = dir.join("busy.session");
    let mut first = Storage::open_file(&p).unwrap();
    first.update_peers(&sample_peers()).unwrap();
    let wait = Duration::from_millis(300);
    let started = Instant::now();
    let err = OpenOptions::new().wait(wait).open(&p).unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(err.kind(), StorageErrorKind::InUse { .. }),
        "{err:?}"
    );
    util::assert_message(
        &err,
        &format!(
            "{}: the session is in use: another client has it open (waited 300 ms; close that client first)",
            p.display()
        ),
    );
    assert!(waited >= wait, "no wait for the lock: {waited:?}");
    assert!(waited < wait * 3, "waited more than asked: {waited:?}");
    let started = Instant::now();
    assert!(matches!(
        OpenOptions::new()
            .wait(Duration::ZERO)
            .read_only(true)
            .open(&p)
            .map_err(StorageError::into_kind),
        Err(StorageErrorKind::InUse { .. })
    ));
    assert!(started.elapsed() < wait, "a zero wait waited");
    // A read-only storage opened before the holder reports the wait it was opened with.
    first.close().unwrap();
    let reader = OpenOptions::new()
        .wait(Duration::from_millis(200))
        .read_only(true)
        .open(&p)
        .unwrap();
    let mut first = Storage::open_file(&p).unwrap();
    util::assert_message(
        &reader.session().unwrap_err(),
        &format!(
            "{}: the session is in use: another client has it open (waited 200 ms; close that client first)",
            p.display()
        ),
    );
    drop(reader);
    first
        .update_peers(&[peer(1, 1, PeerType::User, None, None)])
        .unwrap();
    first.close().unwrap();
    let again = Storage::open_file(&p).unwrap();
    assert_eq!(again.peers().unwrap().len(), sample_peers().len() + 1);
}

/// Caching peers again unchanged stores exactly what a plain upsert stores, the time refreshed
/// included (spec/storage.md §6.4).
#[test]
fn re_seen_peers_are_stored_as_a_plain_upsert_would_store_them() {
    let mut seen = Storage::memory().unwrap();
    let clock = with_clock(&mut seen, 1_000_000);
    let mut peers = sample_peers();
    seen.update_peers(&peers).unwrap();
    clock.advance(30_000);
    // The same peers again, one of them changed, and one new one.
    peers[1].access_hash = Some(43);
    peers.push(peer(999, 9, PeerType::User, Some("new"), None));
    seen.update_peers(&peers).unwrap();

    let mut plain = Storage::memory().unwrap();
    with_clock(&mut plain, 1_030_000);
    plain.update_peers(&peers).unwrap();
    assert_eq!(seen.peers().unwrap(), plain.peers().unwrap());
    assert!(seen
        .peers()
        .unwrap()
        .iter()
        .all(|p| p.last_update_on == 1_030_000));
    assert!(
        seen.get_peer_by_username("alice").is_ok(),
        "the refreshed username did not expire"
    );
}

/// Every row of `table` with its rowid, in rowid order, as SQLite holds it.
fn raw_rows(path: &Path, table: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT rowid, * FROM {table} ORDER BY rowid"))
        .unwrap();
    let columns = stmt.column_count();
    let rows = stmt
        .query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// What Pyrogram's upsert stores, done the plain way through bare SQLite: each peer `REPLACE`d
/// in order, in a kurigram file with its usernames rewritten (spec/storage.md §6.4).
fn replace_plainly(path: &Path, batch: &[Peer], now: i64, kurigram: bool) {
    let conn = rusqlite::Connection::open(path).unwrap();
    for p in batch {
        if kurigram {
            conn.execute(
                "REPLACE INTO peers (id, access_hash, type, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![p.id, p.access_hash, p.peer_type.as_str(), p.phone_number, now],
            )
            .unwrap();
            conn.execute("DELETE FROM usernames WHERE id = ?1", [p.id])
                .unwrap();
            if let Some(u) = &p.username {
                conn.execute(
                    "INSERT INTO usernames (id, username) VALUES (?1, ?2)",
                    rusqlite::params![p.id, u],
                )
                .unwrap();
            }
        } else {
            conn.execute(
                "REPLACE INTO peers (id, access_hash, type, username, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![p.id, p.access_hash, p.peer_type.as_str(), p.username, p.phone_number, now],
            )
            .unwrap();
        }
    }
}

fn any_peer() -> impl proptest::strategy::Strategy<Value = Peer> {
    use proptest::prelude::*;
    (
        // Fixture peers and new ones, few enough that a batch meets them again.
        prop::sample::select(vec![
            111_111_111_i64,
            444_444_444,
            -123_456,
            -1_001_555_555_555,
            7,
            8,
            -9,
        ]),
        prop::option::weighted(0.9, prop::sample::select(vec![1_i64, 2])),
        prop::sample::select(PeerType::ALL[..5].to_vec()),
        prop::option::of(prop::sample::select(vec!["alice", "dup", "x"])),
        prop::option::of(prop::sample::select(vec!["1555", "1666"])),
    )
        .prop_map(|(id, access_hash, peer_type, username, phone)| Peer {
            id,
            access_hash,
            peer_type,
            username: username.map(str::to_owned),
            phone_number: phone.map(str::to_owned),
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever mix of new, changed, unchanged and repeated peers the batches hold, and whichever
    /// statements `update_peers` picks for them, the file ends holding exactly what a plain
    /// `REPLACE` of every peer in order leaves: the same rows, rowids and times, in Pyrogram's
    /// dialect and in kurigram's (spec/storage.md §6.4).
    #[test]
    fn update_peers_stores_what_replace_stores(
        batches in proptest::collection::vec(proptest::collection::vec(any_peer(), 0..10), 1..5),
        kurigram in proptest::prelude::any::<bool>(),
    ) {
        let fixture = if kurigram { "kurigram-2.2.26" } else { "pyrogram-2.0.106" };
        let dir = TempDir::new("replace-law");
        let (ours, plain) = (dir.join("ours.session"), dir.join("plain.session"));
        let source = util::root().join(format!("spec/fixtures/{fixture}.session"));
        std::fs::copy(&source, &ours).unwrap();
        std::fs::copy(&source, &plain).unwrap();
        let mut s = Storage::open_file(&ours).unwrap();
        let clock = with_clock(&mut s, 1_900_000_000);
        for (k, batch) in batches.iter().enumerate() {
            let now = 1_900_000_000 + i64::try_from(k).unwrap();
            clock.set(now);
            s.update_peers(batch).unwrap();
            replace_plainly(&plain, batch, now, kurigram);
        }
        s.close().unwrap();
        proptest::prop_assert_eq!(raw_rows(&ours, "peers"), raw_rows(&plain, "peers"));
        if kurigram {
            proptest::prop_assert_eq!(raw_rows(&ours, "usernames"), raw_rows(&plain, "usernames"));
        }
    }
}

/// Lookups on a read-write storage keep a read transaction open until the next write
/// (spec/storage.md §2.5). Every write still commits before it returns: each kind of write,
/// done right after lookups and followed by dropping the storage without `close`, is in the
/// file when it is opened again.
#[test]
fn a_write_after_lookups_is_committed_when_it_returns() {
    type Write = fn(&mut Storage) -> Result<(), StorageError>;
    type Check = fn(&Storage) -> bool;
    let writes: [(&str, Write, Check); 9] = [
        (
            "set_dc_id",
            |s| s.set_dc_id(4),
            |s| s.session().unwrap().dc_id == 4,
        ),
        (
            "set_api_id",
            |s| s.set_api_id(Some(99)),
            |s| s.session().unwrap().api_id == Some(99),
        ),
        (
            "set_test_mode",
            |s| s.set_test_mode(Some(true)),
            |s| s.session().unwrap().test_mode == Some(true),
        ),
        (
            "set_auth_key",
            |s| s.set_auth_key(Some(&key())),
            |s| s.session().unwrap().auth_key == Some(key()),
        ),
        (
            "set_date",
            |s| s.set_date(1_234),
            |s| s.session().unwrap().date == 1_234,
        ),
        (
            "set_user_id",
            |s| s.set_user_id(Some(5)),
            |s| s.session().unwrap().user_id == Some(5),
        ),
        (
            "set_is_bot",
            |s| s.set_is_bot(Some(true)),
            |s| s.session().unwrap().is_bot == Some(true),
        ),
        (
            "set_session",
            |s| {
                s.set_session(&pyrosession::Session {
                    dc_id: 5,
                    api_id: Some(777),
                    test_mode: true,
                    auth_key: key(),
                    user_id: 4242,
                    is_bot: true,
                })
            },
            |s| s.session().unwrap().user_id == Some(4242),
        ),
        (
            "update_peers",
            |s| s.update_peers(&[peer(31, 7, PeerType::User, Some("late"), Some("1"))]),
            |s| s.get_peer_by_username("late").is_ok(),
        ),
    ];
    let dir = TempDir::new("held-read");
    for (name, write, check) in writes {
        let path = dir.join(&format!("{name}.session"));
        let mut s = Storage::open_file(&path).unwrap();
        s.update_peers(&sample_peers()).unwrap();
        s.close().unwrap();
        let mut s = Storage::open_file(&path).unwrap();
        assert!(s.get_peer_by_id(777).is_ok());
        assert!(s.get_peer_by_username("news").is_ok());
        assert!(s.get_peer_by_phone_number("15550001").is_ok());
        assert!(s.get_peer_by_id(1).is_err());
        write(&mut s).unwrap();
        drop(s);
        let s = Storage::open_file(&path).unwrap();
        assert!(check(&s), "{name} after lookups was not committed");
        // Lookups after the write see it, in memory as on a file.
        let mut m = Storage::memory().unwrap();
        m.update_peers(&sample_peers()).unwrap();
        assert!(m.get_peer_by_id(777).is_ok());
        write(&mut m).unwrap();
        assert!(check(&m), "{name} after lookups is not seen in memory");
        assert!(m.get_peer_by_id(-123_456).is_ok());
    }
}

/// A read-only storage holds nothing between its reads: a client that opens the file to write
/// after it has looked something up is not refused, and the reader's next lookup sees what was
/// written (spec/storage.md §2.5).
#[test]
fn a_read_only_storage_neither_holds_the_writer_back_nor_reads_stale_rows() {
    use pyrosession::storage::OpenOptions;
    use std::time::Duration;
    let dir = TempDir::new("ro-held");
    let p = dir.join("shared.session");
    let mut s = Storage::open_file(&p).unwrap();
    s.update_peers(&sample_peers()).unwrap();
    s.close().unwrap();
    let reader = Storage::open_file_read_only(&p).unwrap();
    assert!(reader.get_peer_by_id(777).is_ok());
    assert!(reader.get_peer_by_username("alice").is_ok());
    assert!(matches!(
        reader.get_peer_by_id(31).map_err(StorageError::into_kind),
        Err(StorageErrorKind::NotFound(NotFound::Id(31)))
    ));
    let mut writer = OpenOptions::new().wait(Duration::ZERO).open(&p).unwrap();
    writer
        .update_peers(&[peer(31, 7, PeerType::User, None, None)])
        .unwrap();
    writer.close().unwrap();
    assert_eq!(
        reader.get_peer_by_id(31).unwrap(),
        InputPeer::User {
            user_id: 31,
            access_hash: 7
        }
    );
}

/// A read-only storage is for looking only: its writes and its `delete()` are refused with
/// `ReadOnlyStorage`, before SQLite is asked, and change nothing, while a writer holds the file
/// too (found by an API audit: `delete()` removed a file another client was writing, journal
/// included, and that client's later writes returned Ok and were lost; writes were told the
/// file had no write permission, and to open it read-only) (spec/storage.md §2.2).
#[test]
fn a_read_only_storage_refuses_writes_and_deletion() {
    let dir = TempDir::new("read-only-refuses");
    for fixture in ["pyrogram-2.0.106.session", "hydrogram-0.2.0.session"] {
        let p = dir.join(fixture);
        std::fs::copy(util::root().join("spec/fixtures").join(fixture), &p).unwrap();
        let refused = |what: &str| {
            format!(
                "{}: this storage was opened read-only, for looking only; open the file for writing to {what}",
                p.display()
            )
        };
        let mut ro = Storage::open_file_read_only(&p).unwrap();
        let before = std::fs::read(&p).unwrap();
        util::assert_message(&ro.set_dc_id(4).unwrap_err(), &refused("change it"));
        util::assert_message(&ro.save().unwrap_err(), &refused("change it"));
        util::assert_message(
            &ro.update_peers(&sample_peers()).unwrap_err(),
            &refused("change it"),
        );
        assert!(matches!(
            ro.set_user_id(Some(1)).map_err(StorageError::into_kind),
            Err(StorageErrorKind::ReadOnlyStorage { .. })
        ));
        assert_eq!(std::fs::read(&p).unwrap(), before, "{fixture}");
        util::assert_message(&ro.delete().unwrap_err(), &refused("delete it"));
        assert!(p.exists(), "{fixture}: deleted through a read-only storage");

        // With a writer holding the file: the reader's delete() leaves the writer's file and
        // its journal alone, and every write the writer makes afterwards is in the file.
        let ro = Storage::open_file_read_only(&p).unwrap();
        let mut writer = Storage::open_file(&p).unwrap();
        writer.update_peers(&sample_peers()[..1]).unwrap();
        let side: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(matches!(
            ro.delete().map_err(StorageError::into_kind),
            Err(StorageErrorKind::ReadOnlyStorage { .. })
        ));
        let still: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(side, still, "{fixture}: a side file went away");
        writer.update_peers(&sample_peers()[1..2]).unwrap();
        writer.close().unwrap();
        let reopened = Storage::open_file_read_only(&p).unwrap();
        reopened.get_peer_by_id(sample_peers()[0].id).unwrap();
        reopened.get_peer_by_id(sample_peers()[1].id).unwrap();
        drop(reopened);
        std::fs::remove_file(&p).unwrap();
    }
}

/// A WAL-mode file without a `-wal` is read `immutable`, without locks (it then creates no side
/// file); such a storage checks before and after every read that the file is as it was, and
/// says so once another client has written it, instead of answering from a stale snapshot (found
/// by an API audit: it kept returning the rows of the open, while the writer was in and after)
/// (spec/storage.md §2.2).
#[test]
fn a_read_only_wal_file_written_by_another_client_is_said_to_have_changed() {
    let dir = TempDir::new("read-only-wal-changed");
    let p = dir.join("h.session");
    std::fs::copy(
        util::root().join("spec/fixtures/hydrogram-0.2.0.session"),
        &p,
    )
    .unwrap();
    let changed = format!(
        "{}: written by another client since this read-only storage opened it (a WAL-mode file, read without locks); open it again to read it",
        p.display()
    );
    let ro = Storage::open_file_read_only(&p).unwrap();
    // Unchanged, it reads as often as asked.
    for _ in 0..3 {
        assert_eq!(ro.session().unwrap().dc_id, 2);
        assert_eq!(ro.peers().unwrap().len(), 10);
    }
    let mut writer = Storage::open_file(&p).unwrap();
    writer.update_peers(&sample_peers()).unwrap();
    writer.set_dc_id(5).unwrap();
    // While the writer is in, and after it has gone: every kind of read.
    util::assert_message(&ro.get_peer_by_id(777).unwrap_err(), &changed);
    writer.close().unwrap();
    util::assert_message(&ro.get_peer_by_id(777).unwrap_err(), &changed);
    util::assert_message(&ro.get_peer_by_username("alice").unwrap_err(), &changed);
    util::assert_message(
        &ro.get_peer_by_phone_number("15550001").unwrap_err(),
        &changed,
    );
    util::assert_message(&ro.session().unwrap_err(), &changed);
    util::assert_message(&ro.peers().unwrap_err(), &changed);
    util::assert_message(&ro.export_session_string().unwrap_err(), &changed);
    util::assert_message(&ro.render_schema().unwrap_err(), &changed);
    drop(ro);
    // Opened again, it reads what the writer wrote.
    let again = Storage::open_file_read_only(&p).unwrap();
    assert_eq!(again.session().unwrap().dc_id, 5);
    assert_eq!(
        again.get_peer_by_id(777).unwrap(),
        InputPeer::User {
            user_id: 777,
            access_hash: -5
        }
    );
}

/// SQL names tables and columns in any case, and so does the crate: a file whose tables are
/// `Sessions` and `Peers`, with columns `DC_ID` and `UserName`, is the same session to Pyrogram's
/// queries and is read, looked up and written like the original (an audit found it refused as
/// "no Pyrogram session schema", while `SELECT count(*) FROM sessions` read it)
/// (spec/storage.md §4 step 7).
#[test]
fn table_and_column_names_are_compared_in_any_case() {
    let dir = TempDir::new("names-any-case");
    let p = dir.join("c.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &p,
    )
    .unwrap();
    let original =
        Storage::open_file_read_only(util::root().join("spec/fixtures/pyrogram-2.0.106.session"))
            .unwrap();
    sqlite_file(
        &p,
        // SQLite refuses a rename to the same name in another case: through another name.
        "ALTER TABLE sessions RENAME TO s_tmp; ALTER TABLE s_tmp RENAME TO Sessions;
         ALTER TABLE peers RENAME TO p_tmp; ALTER TABLE p_tmp RENAME TO Peers;
         ALTER TABLE Sessions RENAME COLUMN dc_id TO d_tmp;
         ALTER TABLE Sessions RENAME COLUMN d_tmp TO DC_ID;
         ALTER TABLE Peers RENAME COLUMN username TO u_tmp;
         ALTER TABLE Peers RENAME COLUMN u_tmp TO UserName",
    );
    let mut s = Storage::open_file(&p).unwrap();
    assert_eq!(s.dialect(), original.dialect());
    assert_eq!(s.session().unwrap(), original.session().unwrap());
    assert_eq!(s.peers().unwrap(), original.peers().unwrap());
    let first = original.peers().unwrap()[0].peer.clone();
    assert_eq!(
        s.get_peer_by_id(first.id).unwrap(),
        original.get_peer_by_id(first.id).unwrap()
    );
    s.update_peers(&sample_peers()).unwrap();
    s.set_dc_id(4).unwrap();
    s.close().unwrap();
    let s = Storage::open_file_read_only(&p).unwrap();
    assert_eq!(s.session().unwrap().dc_id, 4);
    assert_eq!(
        s.get_peer_by_username("alice").unwrap(),
        InputPeer::User {
            user_id: 777,
            access_hash: -5
        }
    );
}

/// A path that cannot name a file, empty or ending in `/`, is refused as such by every open and
/// by creation, before anything is built (an audit found `open_file("")` failing with `: moving
/// the new file into place: No such file or directory`); a directory there is still a directory
/// (spec/storage.md §2.2).
#[test]
fn a_path_that_names_no_file_is_said_so() {
    let dir = TempDir::new("no-file-name");
    let session = pyrosession::string::decode_strict(
        std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))
            .unwrap()
            .trim(),
    )
    .unwrap()
    .session;
    let missing = format!("{}/nodir/", dir.0.display());
    for path in ["", missing.as_str()] {
        let said = format!("{path:?}: not the path of a file (it is empty, or ends in /)");
        util::assert_message(&Storage::open_file(path).unwrap_err(), &said);
        util::assert_message(&Storage::open_file_read_only(path).unwrap_err(), &said);
        util::assert_message(
            &Storage::create_file_from_session(path, &session).unwrap_err(),
            &said,
        );
    }
    let existing = format!("{}/", dir.0.display());
    util::assert_message(
        &Storage::open_file(&existing).unwrap_err(),
        &format!("{existing}: is a directory, not a session file"),
    );
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Any wait is taken, the longest too: SQLite's is capped at about 24.8 days (found by an
/// audit: rusqlite panicked "too big" beyond) (spec/storage.md §2.2).
#[test]
fn a_wait_of_any_length_is_taken() {
    let dir = TempDir::new("long-wait");
    let path = dir.join("w.session");
    for wait in [
        std::time::Duration::from_secs(3_000_000),
        std::time::Duration::MAX,
    ] {
        let options = pyrosession::storage::OpenOptions::new().wait(wait);
        options.open(&path).unwrap().close().unwrap();
        options
            .read_only(true)
            .open(&path)
            .unwrap()
            .close()
            .unwrap();
    }
}

/// A read-only storage opened by path reads the file its path names: once another file is
/// renamed over it, or it is deleted, every read says so instead of answering from the old file
/// (found by an audit: it went on answering dc 5 from a file replaced by one saying dc 4)
/// (spec/storage.md §2.2).
#[test]
fn a_read_only_storage_whose_file_is_replaced_says_so() {
    let dir = TempDir::new("read-only-replaced");
    let p = dir.join("r.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &p,
    )
    .unwrap();
    let other = dir.join("other.session");
    std::fs::copy(&p, &other).unwrap();
    let replaced = format!(
        "{}: replaced or deleted since this read-only storage opened it; open it again to read what is there now",
        p.display()
    );
    let ro = Storage::open_file_read_only(&p).unwrap();
    let mut writer = Storage::open_file(&p).unwrap();
    writer.set_dc_id(5).unwrap();
    writer.close().unwrap();
    assert_eq!(ro.session().unwrap().dc_id, 5, "a write in place is read");
    std::fs::rename(&other, &p).unwrap();
    util::assert_message(&ro.session().unwrap_err(), &replaced);
    util::assert_message(&ro.get_peer_by_id(1).unwrap_err(), &replaced);
    assert_eq!(
        Storage::open_file_read_only(&p)
            .unwrap()
            .session()
            .unwrap()
            .dc_id,
        2
    );
    let again = Storage::open_file_read_only(&p).unwrap();
    std::fs::remove_file(&p).unwrap();
    util::assert_message(&again.peers().unwrap_err(), &replaced);
}

/// The names and bytes of every file in `dir`.
fn directory(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A WAL-mode file with the `-wal` a crash left beside it, whose open fails once the file is
/// claimed (its version table has a CHECK that every write of the row breaks), is left as it
/// was: the `-wal` is neither copied into the file nor removed (spec/storage.md §2.2, §2.5).
/// The claimed connection's close used to checkpoint it.
#[test]
fn a_failed_open_leaves_a_wal_file_and_its_wal_as_they_were() {
    let dir = TempDir::new("failed-wal");
    let p = dir.join("crashed.session");
    let schema = "CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, api_id INTEGER, \
                  test_mode INTEGER, auth_key BLOB, date INTEGER NOT NULL, user_id INTEGER, \
                  is_bot INTEGER);
                  CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, \
                  type INTEGER NOT NULL, username TEXT, phone_number TEXT, \
                  last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER)));
                  CREATE TABLE version (number INTEGER PRIMARY KEY, CHECK (number < 0));
                  CREATE INDEX idx_peers_id ON peers (id);
                  CREATE INDEX idx_peers_username ON peers (username);
                  CREATE INDEX idx_peers_phone_number ON peers (phone_number);
                  PRAGMA ignore_check_constraints = ON;
                  INSERT INTO version VALUES (3);
                  PRAGMA ignore_check_constraints = OFF;";
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.execute_batch(schema).unwrap();
    conn.execute(
        "INSERT INTO sessions VALUES (2, 1, 0, ?1, 0, 123, 0)",
        [key().as_bytes().to_vec()],
    )
    .unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute("UPDATE sessions SET dc_id = 4", []).unwrap();
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .unwrap();
    drop(conn);
    let mut wal = p.clone().into_os_string();
    wal.push("-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the crash's -wal is there"
    );
    let before = directory(&dir.0);
    assert!(Storage::open_file(&p).is_err());
    assert_eq!(
        directory(&dir.0),
        before,
        "a failed open changed the directory"
    );
}

/// spec/storage.md §2.8: a session file whose `-journal` name would not fit in 255 bytes is
/// refused before anything is made, with or without the file (it blamed permissions, and left
/// the new file behind); a name of 247 bytes, whose `-journal` has 255, is written as any.
#[test]
fn a_name_whose_journal_would_not_fit_is_refused_and_nothing_is_made() {
    let dir = util::TempDir::new("long-name");
    for len in [248, 255] {
        let path = dir.join(&format!("{}.session", "d".repeat(len - 8)));
        let err = Storage::open_file(&path).unwrap_err();
        assert!(matches!(err.kind(), StorageErrorKind::NameTooLong { bytes } if *bytes == len));
        util::assert_message(
            &err,
            &format!(
                "{}: a file name of {len} bytes, and SQLite names its side files with up to 8 more (-journal), beyond the 255 bytes a file name may have, so it could never write the file; choose a name of at most 247 bytes",
                path.display()
            ),
        );
        assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    }
    let fits = dir.join(&format!("{}.session", "d".repeat(239)));
    let mut s = Storage::open_file(&fits).unwrap();
    s.set_dc_id(4).unwrap();
    s.close().unwrap();
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
    // A short link to a file of a name too long is refused too: SQLite names the side files
    // after the file.
    let long = dir.join(&format!("{}.session", "e".repeat(240)));
    std::fs::write(&long, b"").unwrap();
    std::os::unix::fs::symlink(&long, dir.join("short.session")).unwrap();
    assert!(matches!(
        Storage::open_file(dir.join("short.session"))
            .unwrap_err()
            .into_kind(),
        StorageErrorKind::NameTooLong { bytes: 248, .. }
    ));
}
