//! The damaged inputs of spec/damaged-inputs.md, each made and opened, against the table: what
//! `open_file` and `open_file_read_only` give, in the table's words, and that a failed open
//! leaves the directory as it was. The rows the table marks as tested in `tests/faults.rs`
//! (permissions, a full disk, a file in use, a crash) or `tests/other_user.rs` (names another
//! user made first) need other processes or users and are run there.

mod util;

// The Telegram Desktop folders of §6.
#[path = "damaged/tdata.rs"]
mod tdata_rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pyrosession::storage::{Storage, StorageError, StorageErrorKind};
use util::TempDir;

fn fixture(name: &str) -> PathBuf {
    util::root().join("spec/fixtures").join(name)
}

/// A copy of Pyrogram 2.0.106's fixture with `sql` run on it.
fn edited(dir: &Path, sql: &str) -> PathBuf {
    let p = dir.join("damaged.session");
    std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    p
}

/// A copy of the fixture edited by `sql`, then put in WAL mode and written once more (its
/// `dc_id` set to 4) by a client that died before its checkpoint: the write is in the `-wal`
/// beside the file.
fn crashed_in_wal_mode(dir: &Path, sql: &str) -> PathBuf {
    let p = edited(dir, sql);
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("UPDATE sessions SET dc_id = 4").unwrap();
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .unwrap();
    drop(conn);
    p
}

/// A copy of the fixture with an index ordered by `reverse`, a collation defined only in the
/// connection that made it, as a program with its own comparison function would leave a file.
fn collated(dir: &Path) -> PathBuf {
    let p = dir.join("damaged.session");
    std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.create_collation("reverse", |a: &str, b: &str| b.cmp(a))
        .unwrap();
    conn.execute_batch("CREATE INDEX idx_rev ON peers(username COLLATE reverse)")
        .unwrap();
    drop(conn);
    p
}

fn with_bytes(dir: &Path, bytes: &[u8]) -> PathBuf {
    let p = dir.join("damaged.session");
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Makes the input a row of the table names, in `dir`, and returns the path to open.
fn make(id: &str, dir: &Path) -> PathBuf {
    let valid = || std::fs::read(fixture("pyrogram-2.0.106.session")).unwrap();
    match id {
        "empty" => with_bytes(dir, b""),
        "not-sqlite" => with_bytes(dir, b"hello, this is not a database\n"),
        "header-only" => with_bytes(dir, &valid()[..100]),
        "truncated" => with_bytes(dir, &valid()[..4096 * 3]),
        "schema-format-5" => {
            let mut bytes = valid();
            bytes[44..48].copy_from_slice(&5u32.to_be_bytes());
            with_bytes(dir, &bytes)
        }
        "json" => {
            let p = dir.join("damaged.session");
            std::fs::copy(fixture("pyrogram-json-0.14.session"), &p).unwrap();
            p
        }
        "telethon" => {
            let p = dir.join("damaged.session");
            std::fs::copy(fixture("telethon-1.45.0.session"), &p).unwrap();
            p
        }
        "no-tables" => {
            let p = dir.join("damaged.session");
            let conn = rusqlite::Connection::open(&p).unwrap();
            conn.execute_batch("PRAGMA user_version = 1").unwrap();
            p
        }
        "short-key" => edited(dir, "UPDATE sessions SET auth_key = zeroblob(255)"),
        "text-key" => edited(dir, "UPDATE sessions SET auth_key = 'secret'"),
        "two-session-rows" => edited(
            dir,
            "INSERT INTO sessions SELECT dc_id + 1, api_id, test_mode, auth_key, date, user_id, is_bot FROM sessions",
        ),
        "no-session-row" => edited(dir, "DELETE FROM sessions"),
        "no-version-row" => edited(dir, "DELETE FROM version"),
        "two-version-rows" => edited(dir, "INSERT INTO version VALUES (4)"),
        "newer-version" => edited(dir, "UPDATE version SET number = 9"),
        "text-version" => edited(
            dir,
            "DROP TABLE version; CREATE TABLE version (number INTEGER); INSERT INTO version VALUES ('three')",
        ),
        "text-date" => edited(dir, "UPDATE sessions SET date = 'yesterday'"),
        "text-user-id" => edited(dir, "UPDATE sessions SET user_id = 'me'"),
        "no-peers-table" => edited(dir, "DROP TABLE peers"),
        "text-access-hash" => edited(dir, "UPDATE peers SET access_hash = 'x' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "unknown-peer-type" => edited(dir, "UPDATE peers SET type = 'robot' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "user-peer-type" => edited(dir, "UPDATE peers SET type = 'USER' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "integer-peer-type" => edited(dir, "UPDATE peers SET type = 5 WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "real-access-hash" => edited(dir, "UPDATE peers SET access_hash = 1.5 WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "blob-username" => edited(dir, "UPDATE peers SET username = x'616263' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "blob-phone-number" => edited(dir, "UPDATE peers SET phone_number = x'3132' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "text-last-update-on" => edited(dir, "DROP TRIGGER trg_peers_last_update_on; UPDATE peers SET last_update_on = 'yesterday' WHERE rowid = (SELECT min(rowid) FROM peers)"),
        "btree-out-of-order" => with_bytes(
            dir,
            &std::fs::read(util::root().join("tests/regressions/btree-rowid-out-of-order.bin"))
                .unwrap(),
        ),
        "wal-read-version" => with_bytes(
            dir,
            &std::fs::read(util::root().join("tests/regressions/wal-read-version-only.bin"))
                .unwrap(),
        ),
        "directory" => {
            let p = dir.join("damaged.session");
            std::fs::create_dir(&p).unwrap();
            p
        }
        "symlink" => {
            let target = dir.join("real.session");
            std::fs::copy(fixture("pyrogram-2.0.106.session"), &target).unwrap();
            let p = dir.join("link.session");
            std::os::unix::fs::symlink(&target, &p).unwrap();
            p
        }
        "dangling-symlink" => {
            let p = dir.join("link.session");
            std::os::unix::fs::symlink(dir.join("gone.session"), &p).unwrap();
            p
        }
        "missing-directory" => dir.join("no/such/dir/a.session"),
        "fifo" => {
            let p = dir.join("damaged.session");
            let made = std::process::Command::new("mkfifo").arg(&p).status().unwrap();
            assert!(made.success());
            p
        }
        "symlink-loop" => {
            std::os::unix::fs::symlink(dir.join("loop2"), dir.join("loop1")).unwrap();
            std::os::unix::fs::symlink(dir.join("loop1"), dir.join("loop2")).unwrap();
            let p = dir.join("link.session");
            std::os::unix::fs::symlink(dir.join("loop1"), &p).unwrap();
            p
        }
        other => make_hostile(other, dir),
    }
}

/// The rows of files made to run code or to hide what they hold.
fn make_hostile(id: &str, dir: &Path) -> PathBuf {
    match id {
        "null-peer-id" => edited(
            dir,
            "CREATE TABLE p2 (id, access_hash, type, username, phone_number, last_update_on);
             INSERT INTO p2 SELECT id, access_hash, type, username, phone_number, last_update_on FROM peers;
             DROP TABLE peers; ALTER TABLE p2 RENAME TO peers;
             UPDATE peers SET id = NULL WHERE rowid = (SELECT min(rowid) FROM peers)",
        ),
        "null-peer-type" | "text-peer-id" | "huge-peer-id" => edited(
            dir,
            &format!(
                "CREATE TABLE p2 (id, access_hash, type, username, phone_number, last_update_on);
                 INSERT INTO p2 SELECT id, access_hash, type, username, phone_number, last_update_on FROM peers;
                 DROP TABLE peers; ALTER TABLE p2 RENAME TO peers;
                 UPDATE peers SET {} WHERE rowid = (SELECT min(rowid) FROM peers)",
                match id {
                    "null-peer-type" => "type = NULL",
                    "text-peer-id" => "id = 'abc'",
                    _ => "id = 100000000000000000000",
                }
            ),
        ),
        "trigger-on-version" => edited(
            dir,
            "CREATE TRIGGER evil BEFORE UPDATE ON version BEGIN SELECT RAISE(ABORT, (SELECT hex(auth_key) FROM sessions)); END",
        ),
        "version-view" => edited(
            dir,
            "DROP TABLE version; CREATE VIEW Version AS SELECT 3 AS number",
        ),
        "generated-column" => edited(
            dir,
            "CREATE TABLE s2 (dc_id INTEGER PRIMARY KEY, api_id INTEGER, test_mode INTEGER, auth_key BLOB,
                 date INTEGER NOT NULL, user_id INTEGER GENERATED ALWAYS AS (123) VIRTUAL, is_bot INTEGER);
             INSERT INTO s2 (dc_id, api_id, test_mode, auth_key, date, is_bot)
                 SELECT dc_id, api_id, test_mode, auth_key, date, is_bot FROM sessions;
             DROP TABLE sessions; ALTER TABLE s2 RENAME TO sessions",
        ),
        "unknown-collation" => collated(dir),
        "many-tables" => {
            let p = dir.join("damaged.session");
            let conn = rusqlite::Connection::open(&p).unwrap();
            for i in 0..30 {
                conn.execute_batch(&format!("CREATE TABLE t{i:02} (x)"))
                    .unwrap();
            }
            p
        }
        "peers-leaf" | "peers-root" | "sessions-page" => {
            let p = util::btree::many_peers(dir, 2000);
            let (table, leaf) = match id {
                "peers-leaf" => ("peers", true),
                "peers-root" => ("peers", false),
                _ => ("sessions", false),
            };
            let tree = util::btree::tree(&p, table);
            let page = if leaf {
                tree.leaves[tree.leaves.len() / 2].0
            } else {
                tree.root
            };
            util::btree::zero_page(&p, tree.page_size, page);
            p
        }
        "garbage-journal" => {
            let p = dir.join("damaged.session");
            std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
            std::fs::write(dir.join("damaged.session-journal"), [b'A'; 3000]).unwrap();
            p
        }
        "crashed-wal-check" => crashed_in_wal_mode(
            dir,
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET sql = 'CREATE TABLE version (number INTEGER PRIMARY KEY, CHECK (number < 0))' WHERE name = 'version';",
        ),
        other => make_schema_code(other, dir),
    }
}

/// `sessions` re-created with `key_column` in place of `auth_key  BLOB` and the rows copied.
const REBUILT_SESSIONS: &str = "UPDATE sessions SET auth_key = NULL;
     CREATE TABLE s2 (dc_id INTEGER PRIMARY KEY, api_id INTEGER, test_mode INTEGER, {key_column},
         date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER);
     INSERT INTO s2 SELECT * FROM sessions; DROP TABLE sessions; ALTER TABLE s2 RENAME TO sessions";

/// What would fail with the hex of a key written to `sessions.auth_key` in its message: a JSON
/// path that is not one. NULL for no key, so that the file opens and inspects cleanly.
const KEY_IN_AN_ERROR: &str = "iif(auth_key IS NULL, NULL, json_extract('{}', hex(auth_key)))";

/// A table `notes` of no library, holding `secret-note`, whose SQL is then made `columns`
/// (with `writable_schema`, as a file's maker may): code that fails quoting the note.
fn elsewhere(columns: &str) -> String {
    format!(
        "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('secret-note');
         PRAGMA writable_schema = ON;
         UPDATE sqlite_master SET sql = 'CREATE TABLE notes ({})' WHERE name = 'notes';",
        columns.replace('\'', "''")
    )
}

/// A table `spy` whose rows follow `sessions.auth_key` through a foreign key `ON UPDATE
/// CASCADE`, with a CHECK that fails quoting the key it is given.
pub const FOREIGN_KEY_CASCADE: &str = "CREATE UNIQUE INDEX idx_sessions_key ON sessions (auth_key);
     CREATE TABLE spy (k BLOB REFERENCES sessions (auth_key) ON UPDATE CASCADE
         CHECK (json_extract('{}', hex(k)) IS NULL));
     PRAGMA ignore_check_constraints = ON;
     INSERT INTO spy SELECT auth_key FROM sessions;";

/// The rows of files whose schema runs code on the crate's reads and writes of a table it uses
/// (spec/storage.md §4 step 9), and of files whose schema holds code where the crate never
/// runs it.
fn make_schema_code(id: &str, dir: &Path) -> PathBuf {
    let sessions = |key_column: &str| REBUILT_SESSIONS.replace("{key_column}", key_column);
    match id {
        "check-constraint" => edited(
            dir,
            &sessions(&format!("auth_key BLOB CHECK ({KEY_IN_AN_ERROR} IS NULL)")),
        ),
        "expression-index" => edited(
            dir,
            &format!("UPDATE sessions SET auth_key = NULL; CREATE INDEX idx_key ON sessions ({KEY_IN_AN_ERROR})"),
        ),
        "partial-index" => edited(
            dir,
            &format!("UPDATE sessions SET auth_key = NULL; CREATE INDEX idx_part ON sessions (dc_id) WHERE {KEY_IN_AN_ERROR} IS NULL"),
        ),
        "expression-default" => edited(
            dir,
            "CREATE TABLE p2 (id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL,
                 username TEXT, phone_number TEXT,
                 last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER)),
                 note BLOB DEFAULT (zeroblob(500000000)));
             INSERT INTO p2 SELECT *, NULL FROM peers; DROP TABLE peers; ALTER TABLE p2 RENAME TO peers",
        ),
        "conflict-clause" => edited(
            dir,
            "CREATE TABLE p2 (id INTEGER PRIMARY KEY ON CONFLICT IGNORE, access_hash INTEGER,
                 type INTEGER NOT NULL, username TEXT, phone_number TEXT,
                 last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER)));
             INSERT INTO p2 SELECT * FROM peers; DROP TABLE peers; ALTER TABLE p2 RENAME TO peers",
        ),
        "foreign-key-cascade" => edited(dir, FOREIGN_KEY_CASCADE),
        "check-elsewhere" => edited(dir, &elsewhere("x TEXT CHECK (json_extract('{}', x) IS NULL)")),
        "generated-elsewhere" => edited(
            dir,
            &elsewhere("x TEXT, g TEXT GENERATED ALWAYS AS (json_extract('{}', x)) VIRTUAL NOT NULL"),
        ),
        "generated-bomb" => edited(dir, GENERATED_BOMB),
        "unparseable-elsewhere" => {
            let columns: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
            edited(dir, &elsewhere(&columns.join(", ")))
        }
        other => make_retyped(other, dir),
    }
}

/// The rows of files whose `sqlite_master` rows have a `type` other than what SQLite makes of
/// their SQL (spec/storage.md §4 step 7), written with `writable_schema` as a file's maker may.
fn make_retyped(id: &str, dir: &Path) -> PathBuf {
    match id {
        "view-typed-in-capitals" => edited(
            dir,
            "DROP TABLE version; CREATE VIEW version AS SELECT 3 AS number;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'VIEW' WHERE name = 'version';",
        ),
        "table-typed-in-capitals" => edited(
            dir,
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'TABLE' WHERE name = 'sessions';",
        ),
        "virtual-table-with-root-page" => edited(
            dir,
            "DROP TABLE version; CREATE VIRTUAL TABLE version USING fts5(number);
             INSERT INTO version VALUES (3);
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET rootpage = 2, sql = 'CREATE  VIRTUAL TABLE version USING fts5(number)'
             WHERE name = 'version';",
        ),
        "sessions-virtual-table" => edited(
            dir,
            "CREATE TABLE s2 AS SELECT * FROM sessions; DROP TABLE sessions;
             CREATE VIRTUAL TABLE sessions USING fts5(dc_id, api_id, test_mode, auth_key, date, user_id, is_bot);
             INSERT INTO sessions SELECT * FROM s2; DROP TABLE s2;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET rootpage = 2 WHERE name = 'sessions';",
        ),
        "telethon-typed-in-capitals" => {
            let p = dir.join("damaged.session");
            std::fs::copy(fixture("telethon-1.45.0.session"), &p).unwrap();
            let conn = rusqlite::Connection::open(&p).unwrap();
            conn.execute_batch(
                "PRAGMA writable_schema = ON;
                 UPDATE sqlite_master SET type = 'TABLE' WHERE name = 'entities';",
            )
            .unwrap();
            drop(conn);
            p
        }
        "table-typed-view" => edited(
            dir,
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'view' WHERE name = 'peers';",
        ),
        "view-typed-index" => edited(
            dir,
            "DROP TABLE version; CREATE VIEW version AS SELECT 3 AS number;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'index' WHERE name = 'version';",
        ),
        "peers-leaf-index-typed-table" | "peers-leaf-table-typed-index" => {
            let p = make("peers-leaf", dir);
            let set = if id == "peers-leaf-index-typed-table" {
                "type = 'table'"
            } else {
                "sql = 'CREATE TABLE idx_peers_id (id INTEGER)'"
            };
            let conn = rusqlite::Connection::open(&p).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA writable_schema = ON;
                 UPDATE sqlite_master SET {set} WHERE name = 'idx_peers_id';"
            ))
            .unwrap();
            drop(conn);
            p
        }
        other => panic!("no maker for table row {other}"),
    }
}

/// The audit's file (issue 17, second round, F3): a table `notes` of no library, of 40 rows,
/// whose generated column declared NOT NULL builds a 40 MB text for each row. A check of the
/// whole file computes it for every row: 27 s and any time the file likes (4,000 rows: 45 min).
/// (The rows are written under a cheap expression, which SQLite would otherwise compute on each
/// insert too, and the table's SQL is then rewritten, as a file's maker may.)
const GENERATED_BOMB: &str = "CREATE TABLE notes (x INTEGER, y TEXT NOT NULL AS (x) VIRTUAL);
     WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40)
     INSERT INTO notes (x) SELECT i FROM c;
     PRAGMA writable_schema = ON;
     UPDATE sqlite_master SET sql = 'CREATE TABLE notes (x INTEGER,
         y TEXT NOT NULL AS (length(replace(hex(zeroblob(20000000 + x)), ''0'', ''00''))) VIRTUAL)'
     WHERE name = 'notes';";

/// The rows of the table under the heading `## {number}.`, cut into cells.
fn rows(number: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md")).unwrap();
    let heading = format!("## {number}. ");
    text.lines()
        .skip_while(|l| !l.starts_with(&heading))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

/// The table's rows: id, what `open_file` gives, what `open_file_read_only` gives.
fn table() -> Vec<(String, String, String)> {
    rows("2")
        .into_iter()
        .map(|cells| {
            assert!(
                cells.len() >= 5,
                "a row with {} cells: {cells:?}",
                cells.len()
            );
            (cells[0].clone(), cells[2].clone(), cells[3].clone())
        })
        .collect()
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            out.extend(snapshot(&p));
            out.insert(p, None);
        } else if meta.file_type().is_symlink() {
            out.insert(
                p.clone(),
                Some(
                    std::fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                ),
            );
        } else if !meta.is_file() {
            // A FIFO: reading it would wait for a writer. Its presence is what counts.
            out.insert(p.clone(), Some(b"(not a regular file)".to_vec()));
        } else {
            out.insert(p.clone(), Some(std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// The outcome in the table's words: `ok` and the session's dc, or the error's variant and text
/// with the directory written as `{dir}`.
fn outcome(result: Result<Storage, StorageError>, dir: &Path) -> String {
    match result {
        Ok(s) => {
            let fields = s.session().map(|f| f.dc_id);
            let peers = s.peers().map(|p| p.len());
            let readable = s.readable_peers();
            s.close().unwrap();
            let fields = fields.map_or_else(|e| describe(&e, dir), |d| format!("dc {d}"));
            // Where peers() fails, what readable_peers() lists and which rows it leaves out.
            let readable = match (&peers, readable) {
                (Ok(_), _) => String::new(),
                (Err(_), Ok((p, bad))) => format!(
                    "; readable_peers(): {} peers, not read: {}",
                    p.len(),
                    bad.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                (Err(_), Err(e)) => format!("; readable_peers(): {}", describe(&e, dir)),
            };
            let peers = peers.map_or_else(|e| describe(&e, dir), |n| format!("{n} peers"));
            format!("ok; session(): {fields}; peers(): {peers}{readable}")
        }
        Err(e) => describe(&e, dir),
    }
}

/// `Variant: message`, with the directory written as `{dir}`.
fn describe(e: &StorageError, dir: &Path) -> String {
    let debug = format!("{:?}", e.kind());
    let name = debug.split([' ', '(', '{']).next().unwrap_or("").to_owned();
    format!(
        "{name}: {}",
        e.to_string().replace(&dir.display().to_string(), "{dir}")
    )
}

#[test]
fn every_damaged_input_gets_what_the_table_says() {
    let rows = table();
    assert!(rows.len() >= 20, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    for (id, want_rw, want_ro) in &rows {
        if want_rw.starts_with("see tests/") {
            continue;
        }
        for (read_only, want) in [(false, want_rw), (true, want_ro)] {
            let dir = TempDir::new("damaged");
            let path = make(id, &dir.0);
            let before = snapshot(&dir.0);
            let result = if read_only {
                Storage::open_file_read_only(&path)
            } else {
                Storage::open_file(&path)
            };
            let failed = result.is_err();
            let got = outcome(result, &dir.0);
            if &got != want {
                failures.push(format!(
                    "{id} ({}):\n  table: {want}\n  got:   {got}",
                    if read_only { "read-only" } else { "read-write" }
                ));
            }
            let mut after = snapshot(&dir.0);
            let mut before = before;
            let had_wal = before.keys().any(|p| p.to_string_lossy().ends_with("-wal"));
            if read_only && had_wal {
                // A read-only connection to a WAL-mode file with a `-wal` makes or rewrites
                // SQLite's shared-memory index beside it, as any reader does; the file and its
                // `-wal` are what must stay (spec/storage.md §2.2).
                let shm = |p: &PathBuf| p.to_string_lossy().ends_with("-shm");
                after.retain(|p, _| !shm(p));
                before.retain(|p, _| !shm(p));
            }
            if failed && after != before {
                failures.push(format!(
                    "{id} ({}): a failed open changed the directory",
                    if read_only { "read-only" } else { "read-write" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every row of the table has a maker, and every maker a row.
#[test]
fn the_table_and_the_makers_agree() {
    let dir = TempDir::new("damaged-ids");
    for (id, want_rw, _) in table() {
        if want_rw.starts_with("see tests/") {
            continue;
        }
        // Panics for a row without a maker.
        let sub = dir.join(&id);
        std::fs::create_dir_all(&sub).unwrap();
        make(&id, &sub);
    }
}

/// The integrity check can be turned off, and then the damage it finds goes unnoticed at open:
/// the check, not something else, is what refuses `btree-out-of-order`.
#[test]
fn the_integrity_check_is_what_finds_a_damaged_btree() {
    use pyrosession::storage::OpenOptions;
    let dir = TempDir::new("no-check");
    let path = make("btree-out-of-order", &dir.0);
    assert!(matches!(
        Storage::open_file_read_only(&path).map_err(StorageError::into_kind),
        Err(StorageErrorKind::Corrupt { .. })
    ));
    let unchecked = OpenOptions::new()
        .read_only(true)
        .check_integrity(false)
        .open(&path)
        .expect("opens without the check");
    assert_eq!(unchecked.session().unwrap().dc_id, 2);
}

/// The integrity check at open runs no code of tables the crate does not use (spec/storage.md §4
/// step 9a): the audit's 32 KB file, whose generated column a check of the whole file computes
/// for 27 s (42 s in a debug build), opens both ways within a bound it met 100 times over.
#[test]
fn the_integrity_check_runs_no_code_of_other_tables() {
    use std::time::{Duration, Instant};
    let dir = TempDir::new("generated-bomb");
    let path = make("generated-bomb", &dir.0);
    let (tx, rx) = std::sync::mpsc::channel();
    let opened = path.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        let read_only = Storage::open_file_read_only(&opened).map(|s| s.session().unwrap().dc_id);
        let writable = Storage::open_file(&opened).map(|s| s.session().unwrap().dc_id);
        let _ = tx.send((read_only.is_ok(), writable.is_ok(), started.elapsed()));
    });
    let (read_only, writable, took) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("both opens of the file answer within 5 s");
    assert!(read_only && writable, "both opens read the session");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// With the integrity check off, a file whose index needs a collation SQLite does not know opens,
/// reads, and refuses the first write that would update that index, with the same typed error
/// naming what was being done; the refused write leaves the file as it was (spec/storage.md §9).
#[test]
fn an_unknown_collation_is_named_by_the_first_statement_that_needs_it() {
    use pyrosession::peer::{Peer, PeerType};
    use pyrosession::storage::OpenOptions;
    let dir = TempDir::new("collation");
    let path = make("unknown-collation", &dir.0);
    let mut s = OpenOptions::new()
        .check_integrity(false)
        .open(&path)
        .expect("opens without the check");
    assert_eq!(s.session().unwrap().dc_id, 2);
    assert_eq!(s.peers().unwrap().len(), 10);
    let before = std::fs::read(&path).unwrap();
    let err = s
        .update_peers(&[Peer {
            id: 5,
            access_hash: Some(1),
            peer_type: PeerType::User,
            username: Some("zed".to_owned()),
            phone_number: None,
        }])
        .unwrap_err();
    assert_eq!(
        describe(&err, &dir.0),
        "UnknownCollation: {dir}/damaged.session: the schema compares text by the collation \"reverse\", which SQLite does not know (only the program that made the file defined it), while caching peers"
    );
    s.close().unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the refused write changed the file"
    );
}

/// A collation's name comes from the file: an error shows 32 characters of it at most.
#[test]
fn a_long_collation_name_is_cut() {
    let dir = TempDir::new("collation-long");
    let p = dir.join("damaged.session");
    std::fs::copy(fixture("pyrogram-2.0.106.session"), &p).unwrap();
    let name = "c".repeat(5000);
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.create_collation(name.as_str(), |a: &str, b: &str| a.cmp(b))
        .unwrap();
    conn.execute_batch(&format!(
        "CREATE INDEX idx_long ON peers(username COLLATE {name})"
    ))
    .unwrap();
    drop(conn);
    let err = Storage::open_file_read_only(&p).unwrap_err();
    let StorageErrorKind::UnknownCollation { name: shown, .. } = err.kind() else {
        panic!("{err:?}");
    };
    assert_eq!(shown, &format!("{}…", "c".repeat(32)));
    assert!(err.to_string().len() < 300, "{err}");
}

/// Foreign keys are off in the crate's connections, as in Pyrogram's (the SQLite this crate
/// builds turns them on by default): writing the key cascades into no table the crate never
/// reads, whose code would run on it (spec/storage.md §2.2).
#[test]
fn a_write_never_cascades_through_a_foreign_key() {
    let dir = TempDir::new("foreign-key");
    let path = make("foreign-key-cascade", &dir.0);
    let mut s = Storage::open_file(&path).expect("opens");
    let old = s.session().unwrap().auth_key.unwrap();
    let new = pyrosession::AuthKey::new([0xab; 256]);
    s.set_auth_key(Some(&new)).expect("writes the key");
    s.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let key: Vec<u8> = conn
        .query_row("SELECT auth_key FROM sessions", [], |r| r.get(0))
        .unwrap();
    let spy: Vec<u8> = conn
        .query_row("SELECT k FROM spy", [], |r| r.get(0))
        .unwrap();
    assert_eq!(key, new.as_bytes().to_vec());
    assert_eq!(spy, old.as_bytes().to_vec(), "the write cascaded into spy");
}

/// What salvage gives, in the table's words: `saved`, the session's dc, the peers saved and
/// what was lost; or the error.
fn salvaged(path: &Path, dir: &Path) -> String {
    use std::fmt::Write as _;
    let report = match Storage::salvage(path) {
        Ok(s) => s.report().clone(),
        Err(e) => return describe(&e, dir),
    };
    let mut out = format!(
        "saved; session: dc {}; peers: {} saved",
        report.dc_id, report.peers.saved
    );
    for side in &report.side_files {
        let _ = write!(out, "; read with its {side}");
    }
    for r in &report.peers.rejected {
        let _ = write!(out, "; rejected rowid {}: {}", r.rowid, r.reason);
    }
    for r in &report.peers.unreadable {
        let _ = write!(out, "; unreadable rowids {} to {}", r.first, r.last);
    }
    if let Some(index) = &report.index {
        if index.recovered > 0 {
            let _ = write!(out, "; {} recovered through the index", index.recovered);
        }
        let _ = write!(out, "; {} lost by the index", index.lost.len());
    }
    out
}

/// Every row of the salvage table (section 4): `Storage::salvage` gives what it says, and
/// leaves the directory byte for byte as it was, whether it saves or fails.
#[test]
fn every_salvage_gets_what_the_table_says() {
    let rows = rows("4");
    assert!(
        rows.len() >= 10,
        "the salvage table has {} rows",
        rows.len()
    );
    let mut failures = Vec::new();
    for row in &rows {
        let (id, want) = (&row[0], &row[1]);
        let dir = TempDir::new("salvage-table");
        let path = make(id, &dir.0);
        let before = snapshot(&dir.0);
        let got = salvaged(&path, &dir.0);
        if &got != want {
            failures.push(format!("{id}:\n  table: {want}\n  got:   {got}"));
        }
        if snapshot(&dir.0) != before {
            failures.push(format!("{id}: salvage changed the directory"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A copy of the fixture `name` with `sql` run on it under `writable_schema`.
fn retyped(dir: &Path, name: &str, sql: &str) -> PathBuf {
    let p = dir.join("damaged.session");
    std::fs::copy(fixture(name), &p).unwrap();
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA writable_schema = ON; {sql}; PRAGMA writable_schema = OFF;"
    ))
    .unwrap();
    drop(conn);
    p
}

/// pyrofork's `usernames` whose row is typed `TABLE`, a table to SQLite: its usernames are the
/// peer's, and a lookup finds the peer by one of them (spec/storage.md §4 step 7).
#[test]
fn a_fork_s_usernames_typed_in_capitals_are_read() {
    use pyrosession::storage::ManualClock;
    let dir = TempDir::new("usernames-capitals");
    let path = retyped(
        &dir.0,
        "pyrofork-2.3.69.session",
        "UPDATE sqlite_master SET type = 'TABLE' WHERE name = 'usernames'",
    );
    let before = std::fs::read(&path).unwrap();
    let mut s = Storage::open_file_read_only(&path).expect("opens");
    let peers = s.peers().unwrap();
    let channel = peers
        .iter()
        .find(|p| p.peer.id == -1_001_234_567_890)
        .expect("the channel");
    assert_eq!(channel.usernames, ["news_channel", "news_alt"]);
    s.set_clock(std::sync::Arc::new(ManualClock::new(1_795_512_043)));
    assert!(
        matches!(
            s.get_peer_by_username("news_alt"),
            Ok(pyrosession::peer::InputPeer::Channel {
                channel_id: 1_234_567_890,
                ..
            })
        ),
        "{:?}",
        s.get_peer_by_username("news_alt")
    );
    s.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// Salvage reads with a writable schema, where SQLite builds `usernames` from its SQL whatever
/// its row's type: pyrofork's `usernames` typed `index` is salvaged with the peers.
#[test]
fn salvage_reads_a_fork_s_usernames_typed_otherwise() {
    let dir = TempDir::new("usernames-index");
    let path = retyped(
        &dir.0,
        "pyrofork-2.3.69.session",
        "UPDATE sqlite_master SET type = 'index' WHERE name = 'usernames'",
    );
    let before = snapshot(&dir.0);
    let salvaged = Storage::salvage(&path).expect("salvaged");
    let usernames = salvaged.report().usernames.as_ref().map(|u| u.saved);
    assert_eq!(usernames, Some(2));
    assert_eq!(snapshot(&dir.0), before);
}

/// Views of no library, each of which reads the one before twice: preparing the last takes
/// SQLite time exponential in their number (asking SQLite for its list of objects with
/// `pragma_table_list` prepares every view: 12 s for this file). The open reads what each object
/// is from its SQL, and compiles none of them: both opens answer within a bound they met 100
/// times over.
#[test]
fn no_view_of_another_table_is_compiled_to_recognise_the_file() {
    use std::time::{Duration, Instant};
    let dir = TempDir::new("view-chain");
    let views: Vec<String> = (1..24)
        .map(|i| {
            format!(
                "CREATE VIEW notes_{i} AS SELECT a.x FROM notes_{p} a UNION ALL SELECT b.x FROM notes_{p} b;",
                p = i - 1
            )
        })
        .collect();
    let sql = format!(
        "CREATE TABLE notes (x); CREATE VIEW notes_0 AS SELECT x FROM notes; {}",
        views.concat()
    );
    let path = edited(&dir.0, &sql);
    // The same views, the last of them under the name `usernames`, a table the crate reads: a
    // view there is refused before SQLite is asked its columns.
    let named = dir.join("named");
    std::fs::create_dir(&named).unwrap();
    let usernames = edited(
        &named,
        &format!("{sql} CREATE VIEW usernames AS SELECT x AS id, x AS username FROM notes_23;"),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let read_only = Storage::open_file_read_only(&path).map(|s| s.session().unwrap().dc_id);
        let writable = Storage::open_file(&path).map(|s| s.session().unwrap().dc_id);
        let salvaged = Storage::salvage(&path).map(|s| s.report().dc_id);
        let refused = [
            Storage::open_file_read_only(&usernames).map(|_| ()),
            Storage::open_file(&usernames).map(|_| ()),
            Storage::salvage(&usernames).map(|_| ()),
        ]
        .map(|r| r.map_err(|e| e.to_string()));
        let _ = tx.send((
            read_only.is_ok() && writable.is_ok() && salvaged.is_ok(),
            refused,
            started.elapsed(),
        ));
    });
    let (ok, refused, took) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the opens and salvages answer within 5 s");
    assert!(ok, "the file opens, and is salvaged");
    for r in refused {
        let err = r.expect_err("usernames as a view is refused");
        assert!(
            err.ends_with("inconsistent schema: usernames is a view, not a table"),
            "{err}"
        );
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
