//! Telethon's SQLite session files, schema versions 1 to 8 read, 7 and 8 written
//! (spec/conversions.md §2.4).

use crate::storage::{SqliteError, StorageErrorKind};
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{Account, CachedPeer, ConvertError, ConvertErrorKind, Kind, Loss, Server};
use crate::peer::PeerType;
use crate::storage::schema::{Shape, TELETHON_TABLES};
use crate::storage::{UnreadablePeer, DEFAULT_WAIT};
use crate::AuthKey;

/// The version Telethon 1.45 writes, and this crate by default.
pub const VERSION: u8 = 8;
/// The newest version this crate reads.
pub const NEWEST: i64 = 8;

/// One row of `entities` (spec/conversions.md §2.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entity {
    /// The marked id.
    pub id: i64,
    /// The access hash (`hash`, NOT NULL).
    pub hash: i64,
    /// The username.
    pub username: Option<String>,
    /// The phone number, an integer.
    pub phone: Option<i64>,
    /// The display name.
    pub name: Option<String>,
    /// When Telethon wrote the row, in Unix seconds (version 7 and later).
    pub date: Option<i64>,
}

/// What a Telethon session file holds, as far as a conversion goes.
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelethonFile {
    /// The schema version.
    pub version: i64,
    /// `sessions.dc_id`.
    pub dc_id: u8,
    /// `sessions.server_address` and `port`, when both are set.
    pub server: Option<Server>,
    /// `sessions.auth_key`.
    pub auth_key: AuthKey,
    /// The `entities` rows, by id.
    pub entities: Vec<Entity>,
    /// What the file holds that a conversion does not carry (takeout id, temporary key,
    /// update state, sent files).
    pub losses: Vec<Loss>,
}

/// SQLite's error on the Telethon file `path` while `doing` something; for a read that waited
/// `waited`, a lock another client holds past the wait is `InUse`, naming the wait
/// (spec/storage.md §2.5).
fn sqlite_error(
    path: &Path,
    doing: &'static str,
    source: rusqlite::Error,
    waited: Option<Duration>,
) -> ConvertError {
    let kind = match (&source, waited) {
        (rusqlite::Error::SqliteFailure(f, _), Some(waited))
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StorageErrorKind::InUse { waited }
        }
        _ => StorageErrorKind::Sqlite {
            doing,
            source: SqliteError(crate::storage::fixed_text(source)),
        },
    };
    ConvertError::new(path.to_path_buf(), ConvertErrorKind::TelethonFile(kind))
}

struct Reader<'a> {
    path: &'a Path,
    /// The whole wait of the call, as its `InUse` reports it.
    wait: Duration,
}

impl Reader<'_> {
    /// SQLite's error; a lock another client holds past the wait is `InUse`, naming the wait
    /// (spec/storage.md §2.5).
    fn sqlite(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> ConvertError + '_ {
        move |source| sqlite_error(self.path, doing, source, Some(self.wait))
    }

    fn schema(&self, detail: String) -> ConvertError {
        ConvertError::new(
            self.path.to_path_buf(),
            ConvertErrorKind::TelethonSchema { detail },
        )
    }

    fn invalid(field: &'static str, v: ValueRef<'_>, expected: &str) -> ConvertError {
        ConvertErrorKind::Invalid {
            kind: Kind::TelethonFile,
            field,
            detail: format!(
                "is {}, expected {expected}",
                crate::storage::describe_value(v)
            ),
        }
        .into()
    }

    fn columns(&self, conn: &Connection, table: &str) -> Result<Vec<String>, ConvertError> {
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .map_err(self.sqlite("reading the schema"))?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(1))
            .and_then(Iterator::collect)
            .map_err(self.sqlite("reading the schema"));
        names
    }

    fn count(&self, conn: &Connection, table: &str) -> Result<usize, ConvertError> {
        if self.columns(conn, table)?.is_empty() {
            return Ok(0);
        }
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| usize::try_from(n).unwrap_or(0))
        .map_err(self.sqlite("counting rows"))
    }
}

fn int(v: ValueRef<'_>, field: &'static str) -> Result<Option<i64>, ConvertError> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(i)),
        other => Err(Reader::invalid(field, other, "an integer")),
    }
}

fn text(v: ValueRef<'_>, field: &'static str) -> Result<Option<String>, ConvertError> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(|s| Some(s.to_owned()))
            .map_err(|_| Reader::invalid(field, v, "UTF-8 text")),
        other => Err(Reader::invalid(field, other, "text")),
    }
}

/// Reads a Telethon session file without changing it (spec/conversions.md §2.4). Versions 1
/// to 8 are read by column name, so each version's columns are found where they are; a newer
/// version, a `sessions` table without exactly one row, or a missing or all-zero key is an
/// error.
///
/// A file another client holds is waited for up to [`DEFAULT_WAIT`], then refused with
/// `InUse` (spec/storage.md §2.5).
pub fn read(path: &Path) -> Result<TelethonFile, ConvertError> {
    read_until(path, DEFAULT_WAIT, Instant::now().checked_add(DEFAULT_WAIT))
}

/// [`read`] within a wait that began earlier: SQLite waits only until `deadline` (`None`: as
/// long as it takes) for another client's lock, and an `InUse` names `wait`, the whole wait
/// (spec/storage.md §2.5).
pub(crate) fn read_until(
    path: &Path,
    wait: Duration,
    deadline: Option<Instant>,
) -> Result<TelethonFile, ConvertError> {
    let r = Reader { path, wait };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(r.sqlite("opening the file read-only"))?;
    read_connection(&r, &conn, deadline)
}

/// Reads the Telethon file that detection opened ([`crate::convert::Input::from_file`]),
/// through the read-only connection that recognised it: the file is not opened again, and a
/// hot journal beside it was rolled back by that open (spec/storage.md §2.2).
pub(crate) fn read_opened(
    opened: &crate::storage::OpenedTelethon,
    wait: Duration,
) -> Result<TelethonFile, ConvertError> {
    let r = Reader {
        path: &opened.path,
        wait,
    };
    let file = read_connection(&r, &opened.conn, opened.deadline)?;
    opened.still_as_opened()?;
    Ok(file)
}

fn read_connection(
    r: &Reader<'_>,
    conn: &Connection,
    deadline: Option<Instant>,
) -> Result<TelethonFile, ConvertError> {
    let path = r.path;
    // Not rusqlite's own 5 s on every statement: what is left of this call's wait, at most
    // what SQLite can take (`i32::MAX` ms).
    conn.busy_timeout(crate::storage::sqlite_wait(crate::storage::remaining(
        deadline,
    )))
    .map_err(r.sqlite("setting the busy timeout"))?;
    // One read transaction: the first statement's shared lock is kept to the end, so no later
    // statement waits again, and every statement reads the same state of the file.
    conn.execute_batch("BEGIN")
        .map_err(r.sqlite("beginning to read"))?;
    // Nothing is read from a view, a virtual table or a generated column: each runs code the
    // file holds, for as long as that code likes.
    let shape = Shape::read(conn).map_err(r.sqlite("reading the schema"))?;
    if let Some(what) = shape.computed_in(&TELETHON_TABLES) {
        return Err(r.schema(what.to_owned()));
    }
    for (table, needed) in [
        ("version", &["version"][..]),
        (
            "sessions",
            &["dc_id", "server_address", "port", "auth_key"][..],
        ),
        ("entities", &["id", "hash", "username", "phone", "name"][..]),
    ] {
        let columns = r.columns(conn, table)?;
        if columns.is_empty() {
            return Err(r.schema(format!("no table {table}")));
        }
        if let Some(c) = needed.iter().find(|c| !columns.iter().any(|x| x == *c)) {
            return Err(r.schema(format!("table {table} has no column {c}")));
        }
    }
    let versions: Vec<rusqlite::types::Value> = conn
        .prepare("SELECT version FROM version LIMIT 2")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(r.sqlite("reading the version"))?;
    let version = match versions.as_slice() {
        [rusqlite::types::Value::Integer(v)] => *v,
        _ => {
            return Err(ConvertError::new(
                path.to_path_buf(),
                ConvertErrorKind::TelethonVersion { found: None },
            ))
        }
    };
    if !(1..=NEWEST).contains(&version) {
        return Err(ConvertError::new(
            path.to_path_buf(),
            ConvertErrorKind::TelethonVersion {
                found: Some(version),
            },
        ));
    }
    let mut losses = Vec::new();
    let (dc_id, server, auth_key) = read_session(r, conn, &mut losses)?;
    let (mut entities, mut unreadable) = read_entities(r, conn)?;
    if version < 6 && entities.len() + unreadable.len() > 0 {
        losses.push(Loss::StaleEntities {
            version,
            count: entities.len() + unreadable.len(),
        });
        entities.clear();
        unreadable.clear();
    }
    if !unreadable.is_empty() {
        losses.push(Loss::UnreadablePeers { rows: unreadable });
    }
    let update_state = r.count(conn, "update_state")?;
    let sent_files = r.count(conn, "sent_files")?;
    if update_state + sent_files > 0 {
        losses.push(Loss::TelethonTables {
            update_state,
            sent_files,
        });
    }
    let names = entities.iter().filter(|e| e.name.is_some()).count();
    if names > 0 {
        losses.push(Loss::NamesNotHeld { count: names });
    }
    Ok(TelethonFile {
        version,
        dc_id,
        server,
        auth_key,
        entities,
        losses,
    })
}

/// Reads `entities`, by id; `date` only where the version has the column. A row that cannot
/// be read as an entity (a value of the wrong type, an id that is no user, chat or channel id
/// in Telegram's ranges, spec/storage.md §6.3) is set aside with why, and the others are read
/// (spec/conversions.md §2.4): one bad row does not lock the user out of the session, as
/// Telethon itself uses such a file and fails only on a lookup of that entity.
fn read_entities(
    r: &Reader<'_>,
    conn: &Connection,
) -> Result<(Vec<Entity>, Vec<UnreadablePeer>), ConvertError> {
    let entity_columns = r.columns(conn, "entities")?;
    let date = if crate::storage::schema::named(&entity_columns, "date") {
        "date"
    } else {
        "NULL"
    };
    let mut entities = Vec::new();
    let mut unreadable = Vec::new();
    let sql = format!("SELECT id, hash, username, phone, name, {date} FROM entities ORDER BY id");
    let mut stmt = conn.prepare(&sql).map_err(r.sqlite("reading entities"))?;
    let mut rows = stmt.query([]).map_err(r.sqlite("reading entities"))?;
    while let Some(row) = rows.next().map_err(r.sqlite("reading entities"))? {
        let mut cells = Vec::with_capacity(6);
        for i in 0..6 {
            cells.push(row.get_ref(i).map_err(r.sqlite("reading entities"))?);
        }
        match entity(&cells) {
            Ok(e) => entities.push(e),
            Err(bad) => unreadable.push(bad),
        }
    }
    Ok((entities, unreadable))
}

/// One `entities` row, from its cells `id, hash, username, phone, name, date`, or why it
/// cannot be read.
fn entity(cells: &[ValueRef<'_>]) -> Result<Entity, UnreadablePeer> {
    let bad = |id: Option<i64>, column: &'static str, v: ValueRef<'_>, expected: &'static str| {
        UnreadablePeer {
            id,
            column,
            expected,
            found: crate::storage::describe_value(v),
        }
    };
    let id = match cells[0] {
        ValueRef::Integer(id) => id,
        v => return Err(bad(None, "entities.id", v, "an integer")),
    };
    if crate::peer::id::kind(id, crate::peer::id::CURRENT).is_none() {
        return Err(bad(
            Some(id),
            "entities.id",
            cells[0],
            "a user, chat or channel id",
        ));
    }
    let int = |i: usize, column: &'static str| match cells[i] {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        v => Err(bad(Some(id), column, v, "an integer")),
    };
    let text = |i: usize, column: &'static str| match cells[i] {
        ValueRef::Null => Ok(None),
        v @ ValueRef::Text(t) => std::str::from_utf8(t)
            .map(|s| Some(s.to_owned()))
            .map_err(|_| bad(Some(id), column, v, "UTF-8 text")),
        v => Err(bad(Some(id), column, v, "text")),
    };
    let phone = match cells[3] {
        v @ ValueRef::Text(t) => Some(
            std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| bad(Some(id), "entities.phone", v, "an integer"))?,
        ),
        _ => int(3, "entities.phone")?,
    };
    Ok(Entity {
        id,
        hash: int(1, "entities.hash")?
            .ok_or_else(|| bad(Some(id), "entities.hash", ValueRef::Null, "an integer"))?,
        username: text(2, "entities.username")?,
        phone,
        name: text(4, "entities.name")?,
        date: int(5, "entities.date")?,
    })
}

/// Reads the one row of `sessions`: dc, server and key; a takeout id or temporary key is a loss.
fn read_session(
    r: &Reader<'_>,
    conn: &Connection,
    losses: &mut Vec<Loss>,
) -> Result<(u8, Option<Server>, AuthKey), ConvertError> {
    let rows = r.count(conn, "sessions")?;
    if rows != 1 {
        return Err(ConvertError::new(
            r.path.to_path_buf(),
            ConvertErrorKind::SessionRows { found: rows },
        ));
    }
    let session_columns = r.columns(conn, "sessions")?;
    let has = |c: &str| crate::storage::schema::named(&session_columns, c);
    let extra = format!(
        "{}, {}",
        if has("takeout_id") {
            "takeout_id"
        } else {
            "NULL"
        },
        if has("tmp_auth_key") {
            "tmp_auth_key"
        } else {
            "NULL"
        }
    );
    let sql = format!("SELECT dc_id, server_address, port, auth_key, {extra} FROM sessions");
    let mut stmt = conn
        .prepare(&sql)
        .map_err(r.sqlite("reading the session"))?;
    let mut rows = stmt.query([]).map_err(r.sqlite("reading the session"))?;
    let row = rows
        .next()
        .map_err(r.sqlite("reading the session"))?
        .ok_or_else(|| {
            ConvertError::new(
                r.path.to_path_buf(),
                ConvertErrorKind::SessionRows { found: 0 },
            )
        })?;
    let get = |i| row.get_ref(i).map_err(r.sqlite("reading the session"));
    let dc_value = get(0)?;
    let dc_id = match dc_value {
        ValueRef::Integer(d) => u8::try_from(d).ok(),
        _ => None,
    }
    .ok_or_else(|| Reader::invalid("sessions.dc_id", dc_value, "an integer from 0 to 255"))?;
    let address = text(get(1)?, "sessions.server_address")?;
    let port = match int(get(2)?, "sessions.port")? {
        None => None,
        Some(p) => Some(u16::try_from(p).map_err(|_| {
            Reader::invalid(
                "sessions.port",
                ValueRef::Integer(p),
                "a port from 0 to 65535",
            )
        })?),
    };
    let key = match get(3)? {
        ValueRef::Null => None,
        ValueRef::Blob(b) if b.len() == AuthKey::LEN => AuthKey::from_slice(b).ok(),
        // Whatever the key's column holds may be key material: its kind and size are shown,
        // never its value (spec/conversions.md §9).
        other => {
            return Err(ConvertErrorKind::Invalid {
                kind: Kind::TelethonFile,
                field: "sessions.auth_key",
                detail: format!(
                    "is {}, expected a blob of 256 bytes",
                    crate::storage::describe_kind(other)
                ),
            }
            .into())
        }
    };
    let key = key.filter(|k| k.as_bytes().iter().any(|&x| x != 0)).ok_or(
        ConvertErrorKind::NoAuthKey {
            kind: Kind::TelethonFile,
        },
    )?;
    if int(get(4)?, "sessions.takeout_id")?.is_some() {
        losses.push(Loss::TakeoutId);
    }
    if matches!(get(5)?, ValueRef::Blob(b) if !b.is_empty()) {
        losses.push(Loss::TmpAuthKey);
    }
    let server = match (address, port) {
        (Some(address), Some(port)) => Some(Server { address, port }),
        _ => None,
    };
    Ok((dc_id, server, key))
}

impl TelethonFile {
    /// The hub's view: dc, key, server and the entities as peers without types.
    #[must_use]
    pub fn into_account(self) -> Account {
        Account {
            server: self.server,
            peers: self
                .entities
                .into_iter()
                .map(|e| CachedPeer {
                    id: e.id,
                    access_hash: Some(e.hash),
                    peer_type: None,
                    username: e.username,
                    phone_number: e.phone.map(|p| p.to_string()),
                    date: e.date,
                })
                .collect(),
            losses: self.losses,
            ..Account::keyed(Kind::TelethonFile, self.dc_id, self.auth_key)
        }
    }
}

/// A phone number as Telethon's integer column holds it, if it can: digits only, no leading
/// zero, within 64 bits.
#[must_use]
pub(crate) fn phone_to_integer(phone: &str) -> Option<i64> {
    if phone.is_empty() || phone.starts_with('0') || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    phone.parse().ok()
}

/// The entities a hub's peers become (spec/conversions.md §7.3), and what is lost on the way.
#[must_use]
pub fn entities(peers: &[CachedPeer], losses: &mut Vec<Loss>) -> Vec<Entity> {
    let (mut bots, mut supergroups, mut no_hash, mut phones) = (0, 0, 0, 0);
    let mut out = Vec::with_capacity(peers.len());
    for p in peers {
        // A basic group has no access hash: both libraries hold 0 for it (§7.1), so a source
        // that left it NULL loses nothing.
        let group = p
            .peer_type
            .unwrap_or_else(|| CachedPeer::type_from_id(p.id))
            == PeerType::Group;
        let hash = match p.access_hash {
            Some(hash) => hash,
            None if group => 0,
            None => {
                no_hash += 1;
                continue;
            }
        };
        // Counted among the peers written only: one left behind is not read back at all.
        match p.peer_type {
            Some(PeerType::Bot) => bots += 1,
            Some(
                PeerType::Supergroup | PeerType::Forum | PeerType::Direct | PeerType::Community,
            ) => {
                supergroups += 1;
            }
            _ => {}
        }
        let phone = p.phone_number.as_deref().and_then(|t| {
            let n = phone_to_integer(t);
            if n.is_none() {
                phones += 1;
            }
            n
        });
        out.push(Entity {
            id: p.id,
            hash,
            username: p.username.clone(),
            phone,
            name: None,
            date: p.date,
        });
    }
    if bots + supergroups > 0 {
        losses.push(Loss::PeerTypesNotHeld { bots, supergroups });
    }
    if no_hash > 0 {
        losses.push(Loss::PeersWithoutAccessHash { count: no_hash });
    }
    if phones > 0 {
        losses.push(Loss::PhonesNotHeld { count: phones });
    }
    out
}

/// The statements that create a Telethon file of `version` (7 or 8), as Telethon 1.37 (7) and
/// 1.45 (8) write them, whitespace included.
#[must_use]
pub(crate) fn schema(version: u8) -> Vec<String> {
    let indent = "                    ";
    let tmp = if version >= 8 {
        format!(",\n{indent}tmp_auth_key blob")
    } else {
        String::new()
    };
    vec![
        "CREATE TABLE version (version integer primary key)".to_owned(),
        format!("CREATE TABLE sessions (\n{indent}dc_id integer primary key,\n{indent}server_address text,\n{indent}port integer,\n{indent}auth_key blob,\n{indent}takeout_id integer{tmp}\n                )"),
        format!("CREATE TABLE entities (\n{indent}id integer primary key,\n{indent}hash integer not null,\n{indent}username text,\n{indent}phone integer,\n{indent}name text,\n{indent}date integer\n                )"),
        format!("CREATE TABLE sent_files (\n{indent}md5_digest blob,\n{indent}file_size integer,\n{indent}type integer,\n{indent}id integer,\n{indent}hash integer,\n{indent}primary key(md5_digest, file_size, type)\n                )"),
        format!("CREATE TABLE update_state (\n{indent}id integer primary key,\n{indent}pts integer,\n{indent}qts integer,\n{indent}date integer,\n{indent}seq integer\n                )"),
    ]
}

fn check_version(version: u8) -> Result<(), ConvertError> {
    if (7..=8).contains(&version) {
        Ok(())
    } else {
        Err(ConvertErrorKind::Invalid {
            kind: Kind::TelethonFile,
            field: "the version to write",
            detail: format!("is {version}, and this crate writes 7 or 8"),
        }
        .into())
    }
}

/// Writes a new Telethon session file into `path`, an empty file that exists and is private
/// (spec/conversions.md §2.4): the schema of `version` (7 or 8), one `sessions` row (an empty
/// `tmp_auth_key` in version 8, as Telethon 1.45 writes it) and the entities.
pub(crate) fn fill(
    path: &Path,
    version: u8,
    dc_id: u8,
    server: &Server,
    auth_key: &AuthKey,
    entities: &[Entity],
) -> Result<(), ConvertError> {
    check_version(version)?;
    let sqlite = |doing| move |source| sqlite_error(path, doing, source, None);
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite("opening the new file"))?;
    let tx = conn.transaction().map_err(sqlite("writing"))?;
    for stmt in schema(version) {
        tx.execute(&stmt, [])
            .map_err(sqlite("creating the tables"))?;
    }
    tx.execute("INSERT INTO version VALUES (?1)", [i64::from(version)])
        .map_err(sqlite("writing the version"))?;
    let key: &[u8] = auth_key.as_bytes();
    if version >= 8 {
        tx.execute(
            "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, NULL, x'')",
            rusqlite::params![dc_id, server.address, server.port, key],
        )
    } else {
        tx.execute(
            "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, NULL)",
            rusqlite::params![dc_id, server.address, server.port, key],
        )
    }
    .map_err(sqlite("writing the session"))?;
    {
        let mut stmt = tx
            .prepare("INSERT OR REPLACE INTO entities VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(sqlite("writing entities"))?;
        for e in entities {
            stmt.execute(rusqlite::params![
                e.id, e.hash, e.username, e.phone, e.name, e.date
            ])
            .map_err(sqlite("writing entities"))?;
        }
    }
    tx.commit().map_err(sqlite("committing"))?;
    conn.close()
        .map_err(|(_, source)| sqlite_error(path, "closing", source, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read that begins when its wait has run out (detection spent it) waits no more: the
    /// lock another client holds is `InUse` at once, naming the whole wait (spec/storage.md
    /// §2.5).
    #[test]
    fn a_read_waits_only_what_is_left_of_the_wait() {
        let dir =
            crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("folder");
        let path = dir.join("t.session");
        let server = Server {
            address: "149.154.167.51".to_owned(),
            port: 443,
        };
        drop(crate::fs::create_new(&path).expect("create"));
        fill(&path, 8, 2, &server, &AuthKey::new([7; AuthKey::LEN]), &[]).expect("fill");
        let holder = Connection::open(&path).expect("open");
        holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        let started = Instant::now();
        let wait = Duration::from_secs(5);
        let err = read_until(&path, wait, Some(started)).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: the session is in use: another client has it open (waited 5000 ms; close that client first)",
                path.display()
            )
        );
        drop(holder);
        assert!(read_until(&path, wait, Some(started)).is_ok());
        crate::fs::remove_dir(&dir).expect("remove");
    }
}
