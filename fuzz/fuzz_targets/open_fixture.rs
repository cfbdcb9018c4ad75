//! Valid session files written by the real libraries (spec/fixtures), damaged the ways real
//! files get damaged, then opened and used (spec/damaged-inputs.md): values of the wrong type or
//! range in any column, missing and extra rows, dropped tables, odd schema text, schema rows
//! whose type is not what their SQL says, journal modes, truncated files and flipped bytes.
//! Typed errors only, no panic, no hang, and a failed open leaves the file as it was.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../spec/fixtures/pyrogram-2.0.106.session"),
    include_bytes!("../../spec/fixtures/pyrogram-1.4.16.session"),
    include_bytes!("../../spec/fixtures/pyrogram-0.18.0.session"),
    include_bytes!("../../spec/fixtures/pyrogram-0.15.1.session"),
    include_bytes!("../../spec/fixtures/pyrofork-2.3.69.session"),
    include_bytes!("../../spec/fixtures/kurigram-2.2.26.session"),
    include_bytes!("../../spec/fixtures/kurigram-2.2.9.session"),
    include_bytes!("../../spec/fixtures/pyrotgfork-2.1.18.session"),
    include_bytes!("../../spec/fixtures/hydrogram-0.2.0.session"),
    include_bytes!("../../spec/fixtures/telethon-1.45.0.session"),
];

const TABLES: &[&str] = &["sessions", "peers", "version", "usernames", "update_state"];
const SESSION_COLUMNS: &[&str] = &[
    "dc_id",
    "api_id",
    "test_mode",
    "auth_key",
    "date",
    "user_id",
    "is_bot",
    "server_address",
    "port",
];
const PEER_COLUMNS: &[&str] = &[
    "id",
    "access_hash",
    "type",
    "username",
    "phone_number",
    "last_update_on",
];

#[derive(Arbitrary, Debug)]
enum Value {
    Null,
    Int(i64),
    SmallInt(i8),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// A blob of a plausible key length, give or take.
    KeyBlob(u16, u8),
}

impl Value {
    fn to_sql(&self) -> SqlValue {
        match self {
            Value::Null => SqlValue::Null,
            Value::Int(i) => SqlValue::Integer(*i),
            Value::SmallInt(i) => SqlValue::Integer(i64::from(*i)),
            Value::Real(r) => SqlValue::Real(*r),
            Value::Text(t) => SqlValue::Text(t.clone()),
            Value::Blob(b) => SqlValue::Blob(b.clone()),
            Value::KeyBlob(len, fill) => SqlValue::Blob(vec![*fill; 248 + usize::from(*len % 16)]),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    SetSession {
        column: u8,
        value: Value,
    },
    SetPeer {
        column: u8,
        value: Value,
        row: u8,
    },
    CopySessionRow,
    DeleteSessions,
    DeleteVersion,
    SetVersion(Value),
    AddVersionRow(Value),
    DropTable(u8),
    DropIndexes,
    /// Replaces a piece of one object's `CREATE` text in `sqlite_master`.
    EditSchema {
        object: u8,
        at: u16,
        len: u8,
        with: String,
    },
    /// Sets one object's `sqlite_master.type` (and perhaps its root page) to what its SQL may
    /// not say: SQLite builds the object from its SQL, and the crate must read it as SQLite does.
    Retype {
        object: u8,
        kind: u8,
        root_page: Option<u8>,
    },
    Journal(bool),
    Vacuum,
}

/// The types [`Mutation::Retype`] gives: SQLite's own in other cases, and each of the others.
const TYPES: &[&str] = &[
    "table", "TABLE", "Table", "view", "VIEW", "index", "trigger", "tbl",
];

#[derive(Arbitrary, Debug)]
enum Damage {
    None,
    /// Cuts the file to a whole number of pages, or anywhere.
    Truncate {
        pages: u8,
        bytes: u16,
        whole_pages: bool,
    },
    Flip {
        at: u32,
        xor: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    fixture: u8,
    mutations: Vec<Mutation>,
    damage: Vec<Damage>,
}

fn apply(conn: &Connection, m: &Mutation) {
    // Each mutation may fail (no such table, constraint): the damage is whatever succeeded.
    let _ = match m {
        Mutation::SetSession { column, value } => conn.execute(
            &format!(
                "UPDATE sessions SET {} = ?1",
                SESSION_COLUMNS[usize::from(*column) % SESSION_COLUMNS.len()]
            ),
            [value.to_sql()],
        ),
        Mutation::SetPeer { column, value, row } => conn.execute(
            &format!(
                "UPDATE peers SET {} = ?1 WHERE rowid IN \
                 (SELECT rowid FROM peers LIMIT 1 OFFSET ?2)",
                PEER_COLUMNS[usize::from(*column) % PEER_COLUMNS.len()]
            ),
            rusqlite::params![value.to_sql(), i64::from(*row % 8)],
        ),
        Mutation::CopySessionRow => conn.execute("INSERT INTO sessions SELECT * FROM sessions", []),
        Mutation::DeleteSessions => conn.execute("DELETE FROM sessions", []),
        Mutation::DeleteVersion => conn.execute("DELETE FROM version", []),
        Mutation::SetVersion(v) => conn.execute("UPDATE version SET number = ?1", [v.to_sql()]),
        Mutation::AddVersionRow(v) => conn.execute("INSERT INTO version VALUES (?1)", [v.to_sql()]),
        Mutation::DropTable(t) => conn.execute(
            &format!("DROP TABLE {}", TABLES[usize::from(*t) % TABLES.len()]),
            [],
        ),
        Mutation::DropIndexes => conn
            .execute_batch(
                "DROP INDEX IF EXISTS idx_peers_id; DROP INDEX IF EXISTS idx_peers_username; \
             DROP INDEX IF EXISTS idx_peers_phone_number;",
            )
            .map(|()| 0),
        Mutation::EditSchema {
            object,
            at,
            len,
            with,
        } => edit_schema(conn, *object, *at, *len, with),
        Mutation::Retype {
            object,
            kind,
            root_page,
        } => retype(conn, *object, *kind, *root_page),
        Mutation::Journal(wal) => conn.query_row(
            if *wal {
                "PRAGMA journal_mode=WAL"
            } else {
                "PRAGMA journal_mode=DELETE"
            },
            [],
            |_| Ok(0),
        ),
        Mutation::Vacuum => conn.execute_batch("VACUUM").map(|()| 0),
    };
}

fn edit_schema(
    conn: &Connection,
    object: u8,
    at: u16,
    len: u8,
    with: &str,
) -> rusqlite::Result<usize> {
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT rowid, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (rowid, sql) = &rows[usize::from(object) % rows.len()];
    let chars: Vec<char> = sql.chars().collect();
    let start = usize::from(at) % (chars.len() + 1);
    let end = (start + usize::from(len % 24)).min(chars.len());
    let edited: String = chars[..start]
        .iter()
        .chain(with.chars().collect::<Vec<_>>().iter())
        .chain(chars[end..].iter())
        .collect();
    conn.execute_batch("PRAGMA writable_schema = ON")?;
    let n = conn.execute(
        "UPDATE sqlite_master SET sql = ?1 WHERE rowid = ?2",
        rusqlite::params![edited, rowid],
    );
    conn.execute_batch("PRAGMA writable_schema = OFF")?;
    n
}

fn retype(
    conn: &Connection,
    object: u8,
    kind: u8,
    root_page: Option<u8>,
) -> rusqlite::Result<usize> {
    let rows: Vec<i64> = conn
        .prepare("SELECT rowid FROM sqlite_master ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(0);
    }
    let rowid = rows[usize::from(object) % rows.len()];
    let kind = TYPES[usize::from(kind) % TYPES.len()];
    conn.execute_batch("PRAGMA writable_schema = ON")?;
    let n = match root_page {
        Some(page) => conn.execute(
            "UPDATE sqlite_master SET type = ?1, rootpage = ?2 WHERE rowid = ?3",
            rusqlite::params![kind, i64::from(page), rowid],
        ),
        None => conn.execute(
            "UPDATE sqlite_master SET type = ?1 WHERE rowid = ?2",
            rusqlite::params![kind, rowid],
        ),
    };
    conn.execute_batch("PRAGMA writable_schema = OFF")?;
    n
}

fn damage(bytes: &mut Vec<u8>, d: &Damage) {
    match d {
        Damage::None => {}
        Damage::Truncate {
            pages,
            bytes: b,
            whole_pages,
        } => {
            let page = 4096;
            let len = if *whole_pages {
                usize::from(*pages) * page
            } else {
                usize::from(*b)
            };
            bytes.truncate(len.min(bytes.len()));
        }
        Damage::Flip { at, xor } => {
            if !bytes.is_empty() {
                let i = *at as usize % bytes.len();
                bytes[i] ^= *xor;
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let dir = common::scratch();
    let path = dir.join("fuzz.session");
    std::fs::write(&path, FIXTURES[usize::from(input.fixture) % FIXTURES.len()])
        .expect("write fixture");
    {
        let conn = Connection::open(&path).expect("fixture opens");
        // The damage is made quickly: nothing here needs to survive a crash.
        let _ = conn.execute_batch("PRAGMA synchronous = OFF");
        for m in input.mutations.iter().take(8) {
            apply(&conn, m);
        }
        // Leaves no journal behind: the damage is in the main file only.
        let _ = conn.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()));
    }
    for side in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(dir.join(format!("fuzz.session{side}")));
    }
    if !input.damage.is_empty() {
        let mut bytes = std::fs::read(&path).expect("read back");
        for d in input.damage.iter().take(4) {
            damage(&mut bytes, d);
        }
        std::fs::write(&path, bytes).expect("write damaged");
    }
    let files = common::snapshot(&dir);
    let before: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    common::open_and_use(&dir, &path, &before);
});
