//! Schemas: Pyrogram's exact SQL, dialect recognition and migrations (spec/storage.md §3–§5).

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use rusqlite::Connection;

/// Pyrogram 2.0.106's schema, version 3, statement by statement exactly as its `SCHEMA` text, so
/// that `sqlite_master.sql` of a new file is byte-identical to Pyrogram's (spec/storage.md §3.1).
pub const SCHEMA_V3: &str = "
CREATE TABLE sessions
(
    dc_id     INTEGER PRIMARY KEY,
    api_id    INTEGER,
    test_mode INTEGER,
    auth_key  BLOB,
    date      INTEGER NOT NULL,
    user_id   INTEGER,
    is_bot    INTEGER
);

CREATE TABLE peers
(
    id             INTEGER PRIMARY KEY,
    access_hash    INTEGER,
    type           INTEGER NOT NULL,
    username       TEXT,
    phone_number   TEXT,
    last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER))
);

CREATE TABLE version
(
    number INTEGER PRIMARY KEY
);

CREATE INDEX idx_peers_id ON peers (id);
CREATE INDEX idx_peers_username ON peers (username);
CREATE INDEX idx_peers_phone_number ON peers (phone_number);

CREATE TRIGGER trg_peers_last_update_on
    AFTER UPDATE
    ON peers
BEGIN
    UPDATE peers
    SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER)
    WHERE id = NEW.id;
END;
";

/// The version a new file gets.
pub const VERSION: i64 = 3;

/// The library family whose schema a file has, with its schema version (spec/dialects.md).
///
/// The version number alone is ambiguous (version 4 means one schema in pyrofork and another in
/// kurigram and pyrotgfork), so the family is recognised from the tables and columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Pyrogram's own schema: version 1 (0.15), 2 (0.16–1.4) or 3 (2.x; hydrogram writes the
    /// same).
    Pyrogram(i64),
    /// pyrofork: version 4, with `update_state` and a `usernames` table keyed by username.
    Pyrofork(i64),
    /// kurigram (versions 4–7) or pyrotgfork (4–6): a `usernames` table keyed by peer id and,
    /// from 7 (kurigram only), `sessions.server_address` and `port`.
    ///
    /// Up to version 6 the two libraries write byte-identical schemas (pyrotgfork's
    /// `CREATE INDEX IF NOT EXISTS` is stored by SQLite without `IF NOT EXISTS`), and each reads
    /// and writes the other's files alike, so a file of version 4–6 may be either's.
    Kurigram(i64),
}

impl Dialect {
    /// Whether Pyrogram 2.0.106 takes a file of this dialect as its own: its own schema, of any
    /// version it migrates (hydrogram's files are of it too). A fork's file it would open but not
    /// read rightly (spec/dialects.md).
    #[must_use]
    pub fn opened_by_pyrogram(self) -> bool {
        matches!(self, Dialect::Pyrogram(_))
    }

    /// The schema version.
    #[must_use]
    pub const fn version(self) -> i64 {
        match self {
            Dialect::Pyrogram(v) | Dialect::Pyrofork(v) | Dialect::Kurigram(v) => v,
        }
    }

    /// The family's name: `pyrogram`, `pyrofork`, `kurigram/pyrotgfork` (versions 4–6, which
    /// may be either's) or `kurigram` (version 7).
    #[must_use]
    pub const fn family_name(self) -> &'static str {
        match self {
            Dialect::Pyrogram(_) => "pyrogram",
            Dialect::Pyrofork(_) => "pyrofork",
            Dialect::Kurigram(v) if v <= 6 => "kurigram/pyrotgfork",
            Dialect::Kurigram(_) => "kurigram",
        }
    }

    /// The versions this crate knows for the family.
    #[must_use]
    pub const fn known_versions(self) -> (i64, i64) {
        match self {
            Dialect::Pyrogram(_) => (1, 3),
            Dialect::Pyrofork(_) => (4, 4),
            Dialect::Kurigram(_) => (4, 7),
        }
    }

    /// Whether usernames live in a `usernames` table keyed by peer id (kurigram, pyrotgfork)
    /// rather than in `peers.username`.
    #[must_use]
    pub const fn usernames_by_peer(self) -> bool {
        matches!(self, Dialect::Kurigram(_))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.family_name(), self.version())
    }
}

/// What the schema of a database looks like, read from `sqlite_master` and
/// `PRAGMA table_xinfo`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The tables that store their rows (views and virtual tables excluded), sorted.
    pub tables: Vec<String>,
    pub session_columns: Vec<String>,
    pub peer_columns: Vec<String>,
    pub version_columns: Vec<String>,
    pub username_columns: Vec<String>,
    /// Code the file holds that the crate's reads or writes of a table it uses would run, each
    /// with the table's name (spec/storage.md §4 step 9): a view or a virtual table under the
    /// name of such a table, a generated column, a CHECK constraint, an index on an expression
    /// or a partial one, a default that is an expression other than Pyrogram's own; and a
    /// conflict clause other than `ABORT`, which changes what the crate's writes do. No
    /// library writes these; a file holding them was made to, and is refused before anything
    /// reads from or writes to them.
    pub computed: Vec<(&'static str, String)>,
}

/// The tables of the Pyrogram family this crate reads.
pub(crate) const PYROGRAM_TABLES: [&str; 5] =
    ["sessions", "peers", "version", "usernames", "update_state"];

/// The tables of a Telethon file this crate reads.
pub(crate) const TELETHON_TABLES: [&str; 5] = [
    "sessions",
    "version",
    "entities",
    "update_state",
    "sent_files",
];

/// Whether `names` holds `name` as SQL compares names: in any case (ASCII letters), so that a
/// table `Sessions` or a column `DC_ID` is the one SQL reads for `sessions` and `dc_id`
/// (spec/storage.md §4 step 7).
pub(crate) fn named(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The columns of one table: the stored ones in order, the generated ones, and the stored ones
/// whose default is an expression that runs code (see [`constant_default`]).
#[derive(Default)]
struct Columns {
    stored: Vec<String>,
    generated: Vec<String>,
    coded_defaults: Vec<String>,
}

/// The tables [`Shape::read`] reads the columns of, in the order it reads them.
const READ_TABLES: [&str; 7] = [
    "sessions",
    "peers",
    "version",
    "usernames",
    "update_state",
    "entities",
    "sent_files",
];

/// The columns of every table in [`READ_TABLES`] that is among `tables` (the stored tables of
/// the file), in that order: one prepared statement that asks `pragma_table_xinfo` of each name
/// in turn, the same answer as one query per table (SQLite parses each statement it prepares,
/// and a file's open read the schema this way seven times, twice over when it is opened
/// read-only and then for writing). A view or a virtual table under one of those names has no
/// columns here: SQLite would prepare the view's query to find them (in a time a chain of views
/// makes exponential), or run the virtual table's module.
fn columns(conn: &Connection, tables: &[String]) -> rusqlite::Result<[Columns; READ_TABLES.len()]> {
    let names: Vec<String> = READ_TABLES
        .iter()
        .enumerate()
        .filter(|(_, t)| named(tables, t))
        .map(|(i, t)| format!("({i}, '{t}')"))
        .collect();
    if names.is_empty() {
        return Ok(Default::default());
    }
    let mut stmt = conn.prepare_cached(&format!(
        "WITH t(i, name) AS (VALUES {}) SELECT t.i, c.name, c.hidden, c.dflt_value \
         FROM t, pragma_table_xinfo(t.name) AS c ORDER BY t.i, c.cid",
        names.join(", ")
    ))?;
    let mut out: [Columns; READ_TABLES.len()] = Default::default();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let Some(table) = usize::try_from(r.get::<_, i64>(0)?)
            .ok()
            .and_then(|i| out.get_mut(i))
        else {
            continue;
        };
        let name: String = r.get(1)?;
        // 0: an ordinary column; 1: hidden, of a virtual table; 2 and 3: generated.
        match r.get::<_, i64>(2)? {
            0 => {
                if r.get::<_, Option<String>>(3)?
                    .is_some_and(|d| !constant_default(&d))
                {
                    table.coded_defaults.push(name.clone());
                }
                table.stored.push(name);
            }
            1 => {}
            _ => table.generated.push(name),
        }
    }
    Ok(out)
}

/// The default Pyrogram and every fork give `peers.last_update_on` (and pyrofork
/// `usernames.last_update_on`), as `pragma_table_xinfo` gives it: the time, computed from no
/// value, in no time and without a way to fail.
const PYROGRAM_DEFAULT: &str = "CAST(STRFTIME('%s', 'now') AS INTEGER)";

/// Whether a column's default (its text, as `pragma_table_xinfo.dflt_value` gives it) runs no
/// code the file chose (spec/storage.md §4 step 9): a literal (a number with an optional sign, a
/// string, a blob, `NULL`, `TRUE`, `FALSE`), optionally in parentheses, SQLite's
/// `CURRENT_TIME`, `CURRENT_DATE` or `CURRENT_TIMESTAMP`, or Pyrogram's own default. Any other
/// expression is evaluated on every insert that leaves the column out, and may take as long
/// and as much memory as it likes (`hex(zeroblob(500000000))`).
fn constant_default(text: &str) -> bool {
    let mut t = text.trim();
    if t == PYROGRAM_DEFAULT {
        return true;
    }
    while let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        t = inner.trim();
    }
    let keyword = [
        "NULL",
        "TRUE",
        "FALSE",
        "CURRENT_TIME",
        "CURRENT_DATE",
        "CURRENT_TIMESTAMP",
    ]
    .iter()
    .any(|k| t.eq_ignore_ascii_case(k));
    let quoted = |t: &str| {
        t.len() >= 2
            && t.starts_with('\'')
            && t.ends_with('\'')
            && !t[1..t.len() - 1].replace("''", "").contains('\'')
    };
    let blob = (t.starts_with("X'") || t.starts_with("x'"))
        && t.len() >= 3
        && t.ends_with('\'')
        && t[2..t.len() - 1].bytes().all(|b| b.is_ascii_hexdigit());
    keyword || quoted(t) || blob || number(t.strip_prefix(['+', '-']).unwrap_or(t))
}

/// Whether `t` is a numeric literal: `0x` and hex digits, or digits with an optional fraction
/// and exponent (`_` may separate digits).
fn number(t: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit() || b == b'_');
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || digits(whole))
                && (fraction.is_empty() || digits(fraction))
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// The words of an SQL text outside its string literals, quoted names and comments, in order.
///
/// A keyword such as `CHECK` can appear in a table's SQL only as one of these words: inside
/// quotes it is a name or a value, and SQLite does not take `CHECK` as a bare name.
fn bare_words(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        let close = match b {
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            b'`' => Some(b'`'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            // A doubled closing quote is part of the text; `]` has no escape.
            i += 1;
            while i < bytes.len() {
                if bytes[i] == close {
                    if close != b']' && bytes.get(i + 1) == Some(&close) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
        } else if sql[i..].starts_with("/*") {
            i = sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
        } else if word(b) {
            let start = i;
            while i < bytes.len() && word(bytes[i]) {
                i += 1;
            }
            words.push(&sql[start..i]);
        } else {
            i += 1;
        }
    }
    words
}

/// What SQLite makes of a `sqlite_master` row that holds rows or gives them (spec/storage.md §4
/// step 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    /// A table that stores its rows in the file (a virtual table's shadow tables among them).
    Table,
    /// A view: its rows are a query's, computed on every read.
    View,
    /// A virtual table: its rows are whatever its module's code gives.
    Virtual,
}

/// The first `n` words of `sql` (letters, digits and `_`), past whitespace and comments, up to
/// the first byte that is none of these: the keywords a statement begins with.
fn leading_words(sql: &str, n: usize) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut words = Vec::with_capacity(n);
    let mut i = 0;
    while words.len() < n && i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map_or(bytes.len(), |k| i + k + 1);
        } else if sql[i..].starts_with("/*") {
            i = sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |k| i + 2 + k + 2);
        } else if b.is_ascii_alphanumeric() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            words.push(&sql[start..i]);
        } else {
            break;
        }
    }
    words
}

/// What SQLite makes of a `sqlite_master` row whose SQL is `sql`, as it builds its schema
/// (spec/storage.md §4 step 7): it parses the SQL of a row whose SQL begins with `CR` (in any
/// case, nothing before it), and the statement's keywords, never the row's `type`, say what it
/// creates: `CREATE [TEMP] TABLE` a table, `CREATE [TEMP] VIEW` a view, `CREATE VIRTUAL TABLE`
/// a virtual table, whatever the row's root page. `None` for an index, a trigger, or a row
/// SQLite does not parse.
pub(crate) fn object_of(sql: &str) -> Option<Object> {
    if !sql.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("cr")) {
        return None;
    }
    let words = leading_words(sql, 4);
    let is = |i: usize, k: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(k));
    if !is(0, "CREATE") {
        return None;
    }
    let at = if is(1, "TEMP") || is(1, "TEMPORARY") {
        2
    } else {
        1
    };
    if is(at, "TABLE") {
        Some(Object::Table)
    } else if is(at, "VIEW") {
        Some(Object::View)
    } else if at == 1 && is(1, "VIRTUAL") && is(2, "TABLE") {
        Some(Object::Virtual)
    } else {
        None
    }
}

/// The tables, views and virtual tables of `conn`'s main schema, each with its `sqlite_master`
/// SQL, by what SQLite makes of that SQL ([`object_of`]), in rowid order.
///
/// SQLite builds each object from its row's SQL: the row's `type` is never read. A file made
/// or edited with `PRAGMA writable_schema` may give a view the type `table`, `VIEW` or, read
/// with a writable schema as salvage reads, `index`; a table the type `TABLE` or `view`; a
/// virtual table a root page. So what an object is is never asked of that column. Nor of
/// SQLite's `pragma_table_list`, which prepares every view of the file to count its columns,
/// in a time a chain of views makes exponential. Of two rows of one name (possible with a
/// writable schema), SQLite builds the first; so is it here.
fn object_rows(conn: &Connection) -> rusqlite::Result<Vec<(String, Object, String)>> {
    let mut stmt = conn.prepare_cached("SELECT name, sql FROM sqlite_master ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    let mut out: Vec<(String, Object, String)> = Vec::new();
    // The names met, in ASCII lower case (SQLite's names compare so): a set, since a crafted
    // file may hold tens of thousands of rows, and a search of `out` for each was quadratic.
    let mut seen: HashSet<String> = HashSet::new();
    while let Some(r) = rows.next()? {
        let (Some(name), Some(sql)) = (
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
        ) else {
            continue;
        };
        let Some(object) = object_of(&sql) else {
            continue;
        };
        if seen.insert(name.to_ascii_lowercase()) {
            out.push((name, object, sql));
        }
    }
    Ok(out)
}

/// The tables, views and virtual tables of `conn`'s main schema (see [`object_rows`]).
pub(crate) fn objects(conn: &Connection) -> rusqlite::Result<Vec<(String, Object)>> {
    Ok(object_rows(conn)?
        .into_iter()
        .map(|(name, object, _)| (name, object))
        .collect())
}

/// The object named `name` (in any case) in `conn`'s main schema, with its SQL, if it has one
/// (see [`object_rows`]).
fn object_named(conn: &Connection, name: &str) -> rusqlite::Result<Option<(Object, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sql FROM sqlite_master WHERE name = ?1 COLLATE NOCASE ORDER BY rowid",
    )?;
    let mut rows = stmt.query([name])?;
    while let Some(r) = rows.next()? {
        if let Some(sql) = r.get::<_, Option<String>>(0)? {
            if let Some(object) = object_of(&sql) {
                return Ok(Some((object, sql)));
            }
        }
    }
    Ok(None)
}

/// Whether `conn`'s main schema has a table named `name` (in any case) that stores its rows
/// (see [`object_rows`]): not a view nor a virtual table, whatever its `sqlite_master.type`
/// says.
pub(crate) fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(matches!(
        object_named(conn, name)?,
        Some((Object::Table, _))
    ))
}

/// Whether `conn`'s main schema has an index named `index` (in any case) on the table `table`,
/// as SQLite built it from the index's SQL (`pragma_index_list`, which prepares nothing),
/// whatever its row's `type` and `tbl_name` say.
pub(crate) fn has_index(conn: &Connection, table: &str, index: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM pragma_index_list(?1) WHERE name = ?2 COLLATE NOCASE",
    )?;
    stmt.query_row([table, index], |r| r.get::<_, i64>(0))
        .map(|n| n > 0)
}

/// The SQL of the stored table `table` (see [`has_table`]), as `sqlite_master` holds it.
fn table_sql(conn: &Connection, table: &str) -> rusqlite::Result<Option<String>> {
    Ok(match object_named(conn, table)? {
        Some((Object::Table, sql)) => Some(sql),
        _ => None,
    })
}

/// What in `table`'s own SQL and indexes runs code on the crate's writes, or changes what they
/// do (see [`Shape::computed`]), described.
fn code_in(conn: &Connection, table: &'static str) -> rusqlite::Result<Vec<String>> {
    let mut found = Vec::new();
    let sql = table_sql(conn, table)?;
    let words = sql.as_deref().map(bare_words).unwrap_or_default();
    if words.iter().any(|w| w.eq_ignore_ascii_case("CHECK")) {
        found.push(format!(
            "{table} has a CHECK constraint, which runs code the file holds on every write"
        ));
    }
    for w in words.windows(3) {
        if w[0].eq_ignore_ascii_case("ON")
            && w[1].eq_ignore_ascii_case("CONFLICT")
            && !w[2].eq_ignore_ascii_case("ABORT")
        {
            found.push(format!(
                "{table} has a conflict clause (ON CONFLICT {}), which changes what the crate's writes do",
                super::error::shown_name(&w[2].to_ascii_uppercase())
            ));
            break;
        }
    }
    let mut stmt = conn.prepare_cached("SELECT name, partial FROM pragma_index_list(?1)")?;
    let indexes: Vec<(String, bool)> = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, partial) in indexes {
        let shown = super::error::shown_name(&name);
        if partial {
            found.push(format!(
                "index {shown} on {table} is partial (WHERE …), which runs code the file holds on every write"
            ));
            continue;
        }
        // An expression is a key column whose column number is -2.
        let expressions: i64 = conn
            .prepare_cached("SELECT count(*) FROM pragma_index_xinfo(?1) WHERE cid = -2")?
            .query_row([&name], |r| r.get(0))?;
        if expressions > 0 {
            found.push(format!(
                "index {shown} on {table} is on an expression, which runs code the file holds on every write"
            ));
        }
    }
    Ok(found)
}

/// Every `sqlite_master` row of a database (type, name, table, root page and SQL, each as
/// SQLite stored it), in rowid order: the schema SQLite builds its own from, which is all that
/// [`Shape::read`]'s answer depends on (see [`SHAPES`]).
#[derive(PartialEq, Eq)]
struct SchemaRows(Vec<[Option<Vec<u8>>; 5]>);

impl SchemaRows {
    /// The rows of `conn`'s `sqlite_master`, in the order SQLite reads them to build its schema.
    fn read(conn: &Connection) -> rusqlite::Result<SchemaRows> {
        use rusqlite::types::ValueRef;
        let mut stmt = conn.prepare(
            "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row: [Option<Vec<u8>>; 5] = Default::default();
            for (i, cell) in row.iter_mut().enumerate() {
                // Each value with its type: the text `1` and the integer 1 are two schemas.
                *cell = match r.get_ref(i)? {
                    ValueRef::Null => None,
                    ValueRef::Integer(n) => Some([b"i".as_slice(), &n.to_le_bytes()].concat()),
                    ValueRef::Real(x) => {
                        Some([b"r".as_slice(), &x.to_bits().to_le_bytes()].concat())
                    }
                    ValueRef::Text(t) => Some([b"t".as_slice(), t].concat()),
                    ValueRef::Blob(b) => Some([b"b".as_slice(), b].concat()),
                };
            }
            out.push(row);
        }
        Ok(SchemaRows(out))
    }

    /// Whether a [`Shape`] read from this schema may be kept for the next database with the
    /// same rows: not where any row's SQL declares a view or a virtual table (the words `VIEW`
    /// or `VIRTUAL` anywhere in it, in any case), whose columns SQLite finds by resolving a
    /// query or by asking the table's module, which may read the file's rows; nor where the
    /// rows are many (64 KiB of them).
    fn keepable(&self) -> bool {
        let mut size = 0;
        for row in &self.0 {
            size += row.iter().flatten().map(Vec::len).sum::<usize>();
            if let Some(sql) = &row[4] {
                let upper = sql.to_ascii_uppercase();
                if upper.windows(4).any(|w| w == b"VIEW")
                    || upper.windows(7).any(|w| w == b"VIRTUAL")
                {
                    return false;
                }
            }
        }
        size <= 64 << 10
    }
}

/// The shapes of the last few schemas [`Shape::read`] read, each with the `sqlite_master` rows
/// it was read from, newest first.
///
/// What `Shape::read` finds is a function of those rows alone: SQLite builds its schema (the
/// tables, their columns and defaults, the indexes and what they are on) by parsing each row's
/// SQL in rowid order, and the pragmas it asks (`table_xinfo`, `index_list`, `index_xinfo`)
/// answer from that schema, never from the file's other pages; except for views and virtual
/// tables, which [`SchemaRows::keepable`] leaves out. So a database whose rows are the same,
/// byte for byte and type for type, has the same shape, and is given the one found before
/// without asking SQLite's pragmas again (an eighth of an open's instructions, and a third of
/// the `open_file` fuzz target's, went to preparing them). Every database's rows are still
/// read, and everything else the open checks (its integrity, its rows) is checked as before.
static SHAPES: std::sync::Mutex<Vec<(SchemaRows, Shape)>> = std::sync::Mutex::new(Vec::new());

/// How many schemas [`SHAPES`] keeps.
const SHAPES_KEPT: usize = 8;

#[cfg(test)]
thread_local! {
    /// How many times this thread's [`Shape::read`] found its schema's shape in [`SHAPES`].
    static SHAPES_FOUND: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Shape {
    /// The shape of `conn`'s schema: from [`SHAPES`] where the same rows were read before,
    /// else read from SQLite ([`Shape::read_from_sqlite`]) and kept.
    ///
    /// Only within a transaction of `conn` (as the examination and the Telethon reader read),
    /// where the rows and what the pragmas answer are of one state of the file: outside one,
    /// another connection could change the schema between the two, and the shape of one schema
    /// would be kept under the rows of another. Outside one, the shape is read from SQLite.
    pub(crate) fn read(conn: &Connection) -> rusqlite::Result<Shape> {
        if conn.is_autocommit() {
            return Shape::read_from_sqlite(conn);
        }
        let rows = SchemaRows::read(conn)?;
        let mut shapes = SHAPES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = shapes.iter().position(|(kept, _)| *kept == rows) {
            let entry = shapes.remove(i);
            let shape = entry.1.clone();
            shapes.insert(0, entry);
            #[cfg(test)]
            SHAPES_FOUND.with(|n| n.set(n.get() + 1));
            return Ok(shape);
        }
        drop(shapes);
        let shape = Shape::read_from_sqlite(conn)?;
        if rows.keepable() {
            let mut shapes = SHAPES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            shapes.insert(0, (rows, shape.clone()));
            shapes.truncate(SHAPES_KEPT);
        }
        Ok(shape)
    }

    /// The shape of `conn`'s schema, asked of SQLite: `sqlite_master`, then the columns and
    /// indexes of each table the crate reads.
    fn read_from_sqlite(conn: &Connection) -> rusqlite::Result<Shape> {
        let mut shape = Shape::default();
        for (name, object) in objects(conn)? {
            let computed = match object {
                Object::Table => None,
                Object::View => Some("a view"),
                Object::Virtual => Some("a virtual table"),
            };
            // SQL names tables in any case: `version` reads a view named `Version`.
            let known = PYROGRAM_TABLES
                .iter()
                .chain(&TELETHON_TABLES)
                .find(|t| t.eq_ignore_ascii_case(&name))
                .copied();
            match (computed, known) {
                (None, _) => shape.tables.push(name),
                (Some(what), Some(table)) => {
                    shape
                        .computed
                        .push((table, format!("{name} is {what}, not a table")));
                }
                (Some(_), None) => {}
            }
        }
        shape.tables.sort();
        let [sessions, peers, version, usernames, rest @ ..] = columns(conn, &shape.tables)?;
        let mut read = |table: &'static str, columns: Columns| -> rusqlite::Result<Vec<String>> {
            let Columns {
                stored,
                generated,
                coded_defaults,
            } = columns;
            shape.computed.extend(generated.into_iter().map(|c| {
                (
                    table,
                    format!("{table}.{c} is a generated column, not a stored one"),
                )
            }));
            shape.computed.extend(coded_defaults.into_iter().map(|c| {
                (
                    table,
                    format!(
                        "{table}.{} defaults to an expression, which runs code the file holds on every write",
                        super::error::shown_name(&c)
                    ),
                )
            }));
            if !stored.is_empty() {
                shape
                    .computed
                    .extend(code_in(conn, table)?.into_iter().map(|what| (table, what)));
            }
            Ok(stored)
        };
        let session_columns = read(READ_TABLES[0], sessions)?;
        let peer_columns = read(READ_TABLES[1], peers)?;
        let version_columns = read(READ_TABLES[2], version)?;
        let username_columns = read(READ_TABLES[3], usernames)?;
        for (table, columns) in READ_TABLES[4..].iter().zip(rest) {
            read(table, columns)?;
        }
        shape.session_columns = session_columns;
        shape.peer_columns = peer_columns;
        shape.version_columns = version_columns;
        shape.username_columns = username_columns;
        Ok(shape)
    }

    /// The first of `tables` that runs code when read (see [`Shape::computed`]), described.
    pub(crate) fn computed_in(&self, tables: &[&str]) -> Option<&str> {
        self.computed
            .iter()
            .find(|(t, _)| tables.contains(t))
            .map(|(_, what)| what.as_str())
    }

    pub(crate) fn has_table(&self, t: &str) -> bool {
        named(&self.tables, t)
    }

    pub(crate) fn session_has(&self, c: &str) -> bool {
        named(&self.session_columns, c)
    }

    pub(crate) fn peers_have(&self, c: &str) -> bool {
        named(&self.peer_columns, c)
    }

    /// Whether the file has `table`: as a table, or as a view or a virtual table (which
    /// [`Shape::computed`] then names, and the reader refuses for that).
    fn present(&self, table: &str) -> bool {
        self.has_table(table) || self.computed.iter().any(|(t, _)| *t == table)
    }

    /// Whether `version` has the column `column`, or is a view or a virtual table (whose
    /// columns are not asked, see [`columns`]).
    fn version_has(&self, column: &str) -> bool {
        named(&self.version_columns, column) || self.computed.iter().any(|(t, _)| *t == "version")
    }

    /// Telethon's schema: `version(version)` and `entities` (see [`Shape::present`]).
    pub(crate) fn is_telethon(&self) -> bool {
        self.version_has("version") && self.present("entities")
    }

    /// Whether this is a Pyrogram-family schema at all: `version.number`, and `sessions` and
    /// `peers` (see [`Shape::present`]).
    pub(crate) fn is_pyrogram_family(&self) -> bool {
        self.version_has("number") && self.present("sessions") && self.present("peers")
    }

    /// The family of a Pyrogram-family schema (spec/dialects.md §2), before the version is
    /// checked against it.
    pub(crate) fn family(&self, version: i64) -> Dialect {
        let by_peer = named(&self.username_columns, "username");
        let pyrofork_usernames = named(&self.username_columns, "peer_id");
        if pyrofork_usernames {
            Dialect::Pyrofork(version)
        } else if by_peer || self.session_has("server_address") {
            Dialect::Kurigram(version)
        } else if version >= 4 && self.has_table("update_state") && self.peers_have("username") {
            // pyrofork creates its usernames table lazily.
            Dialect::Pyrofork(version)
        } else {
            Dialect::Pyrogram(version)
        }
    }

    /// Checks that the schema is what the dialect's version should have.
    pub(crate) fn check(&self, dialect: Dialect) -> Result<(), String> {
        let v = dialect.version();
        let need = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{dialect} without {what}"))
            }
        };
        for column in ["auth_key", "date"] {
            need(self.session_has(column), &format!("sessions.{column}"))?;
        }
        for column in ["access_hash", "type"] {
            need(self.peers_have(column), &format!("peers.{column}"))?;
        }
        match dialect {
            Dialect::Pyrogram(_) => {
                need(v < 3 || self.session_has("api_id"), "sessions.api_id")?;
                if v < 3 && self.session_has("api_id") {
                    return Err(format!(
                        "{dialect} with sessions.api_id, which version 3 added"
                    ));
                }
                need(self.peers_have("username"), "peers.username")
            }
            Dialect::Pyrofork(_) => {
                need(self.session_has("api_id"), "sessions.api_id")?;
                need(self.has_table("update_state"), "update_state")
            }
            Dialect::Kurigram(_) => {
                need(self.session_has("api_id"), "sessions.api_id")?;
                need(self.has_table("usernames"), "the usernames table")?;
                need(v < 5 || self.has_table("update_state"), "update_state")?;
                need(
                    v < 7 || self.session_has("server_address"),
                    "sessions.server_address",
                )
            }
        }
    }
}

/// Migrates a Pyrogram schema of version 1 or 2 to version 3, as Pyrogram 2.0.106 does
/// (spec/storage.md §5): version 1 drops the cached peers, version 2 gains `sessions.api_id`
/// (appended last). Runs inside the caller's transaction.
pub(crate) fn migrate_to_v3(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    if from <= 1 {
        conn.execute("DELETE FROM peers", [])?;
    }
    if from <= 2 {
        conn.execute("ALTER TABLE sessions ADD api_id INTEGER", [])?;
    }
    conn.execute("UPDATE version SET number = ?1", [VERSION])?;
    Ok(())
}

/// Renders a database's schema for people and snapshots: every `sqlite_master` row in rowid
/// order (type, name, exact SQL, indented), then the columns of `sessions` in order and the
/// version row.
pub fn render(conn: &Connection) -> rusqlite::Result<String> {
    let mut out = String::new();
    let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, name, sql) = row?;
        let _ = writeln!(out, "{kind} {name}");
        for line in sql.unwrap_or_else(|| "(no sql)".to_owned()).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    // The stored columns of `sessions`, as [`columns`] gives them, asked of that table alone:
    // `pragma_table_xinfo` prepares a statement of its own for each table it is asked of.
    let sessions: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_xinfo('sessions') WHERE hidden = 0 ORDER BY cid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let _ = writeln!(out, "sessions columns: {}", sessions.join(", "));
    let versions: Vec<String> = conn
        .prepare("SELECT number FROM version")?
        .query_map([], |r| r.get::<_, rusqlite::types::Value>(0))?
        .map(|v| v.map(|v| format!("{v:?}")))
        .collect::<Result<_, _>>()?;
    let _ = writeln!(out, "version rows: {}", versions.join(", "));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{
        bare_words, constant_default, object_of, object_rows, Object, Shape, PYROGRAM_DEFAULT,
        SCHEMA_V3, SHAPES_FOUND,
    };
    use rusqlite::Connection;

    /// A database with the schema `sql`, in a read transaction (where shapes are kept).
    fn database(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().expect("memory database");
        conn.execute_batch(sql).expect("schema");
        conn.execute_batch("BEGIN").expect("begin");
        conn
    }

    /// A schema of 40,000 tables (a crafted file may hold as many) is read in time linear in
    /// its rows: the first row of each name is kept, met again in any case or not. Searching the
    /// objects kept for each row's name took 20 s and more here (a debug build).
    #[test]
    fn many_objects_are_read_in_linear_time() {
        use std::time::Duration;
        // The rows written straight into `sqlite_master`, as a crafted file holds them (made one
        // `CREATE` at a time, the schema takes minutes to build here).
        let conn = Connection::open_in_memory().expect("memory database");
        conn.execute_batch(
            "CREATE TABLE t0 (x); PRAGMA writable_schema = ON; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 39999) \
             INSERT INTO sqlite_master SELECT 'table', 't' || i, 't' || i, 2, \
                 'CREATE TABLE t' || i || ' (x)' FROM n; \
             INSERT INTO sqlite_master VALUES ('view', 'v', 'v', 0, 'CREATE VIEW v AS SELECT 1'); \
             PRAGMA writable_schema = OFF;",
        )
        .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(object_rows(&conn).map(|rows| {
                (
                    rows.len(),
                    rows.first().map(|r| (r.0.clone(), r.1)),
                    rows.last().map(|r| (r.0.clone(), r.1)),
                )
            }));
        });
        let (n, first, last) = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("40,000 rows read within 5 s")
            .unwrap();
        assert_eq!(n, 40_001);
        assert_eq!(first, Some(("t0".to_owned(), Object::Table)));
        assert_eq!(last, Some(("v".to_owned(), Object::View)));
    }

    fn found() -> usize {
        SHAPES_FOUND.with(std::cell::Cell::get)
    }

    /// A schema read before gives the shape SQLite gives, without asking it again; a schema
    /// that differs in any byte of its SQL (here a CHECK constraint, or a default) is read anew
    /// and gives its own shape; a schema with a view is never kept.
    #[test]
    fn shapes_are_kept_by_their_schema_rows_alone() {
        let pyrogram = database(SCHEMA_V3);
        let fresh = Shape::read_from_sqlite(&pyrogram).expect("read");
        assert!(fresh.computed.is_empty(), "{:?}", fresh.computed);
        // Kept, and found by another database with the same rows (tried three times: the
        // tests that run beside this one may fill what is kept in between).
        let kept = (0..3).any(|_| {
            let other = database(SCHEMA_V3);
            assert_eq!(Shape::read(&pyrogram).expect("read"), fresh);
            let before = found();
            assert_eq!(Shape::read(&other).expect("read"), fresh);
            found() == before + 1
        });
        assert!(kept, "the same rows were read from SQLite again");

        let checked = SCHEMA_V3.replacen(
            "dc_id     INTEGER PRIMARY KEY",
            "dc_id INTEGER PRIMARY KEY CHECK (dc_id > 0)",
            1,
        );
        assert_ne!(checked, SCHEMA_V3);
        for changed in [
            checked,
            SCHEMA_V3.replacen(
                "test_mode INTEGER,",
                "test_mode INTEGER DEFAULT (random()),",
                1,
            ),
        ] {
            assert_ne!(changed, SCHEMA_V3);
            let before = found();
            let shape = Shape::read(&database(&changed)).expect("read");
            assert_eq!(found(), before, "a changed schema was given a kept shape");
            assert!(shape.computed_in(&["sessions"]).is_some(), "{changed}");
            assert_eq!(
                shape,
                Shape::read_from_sqlite(&database(&changed)).expect("read")
            );
        }

        // Outside a transaction nothing is found (nor kept).
        let outside = database(SCHEMA_V3);
        outside.execute_batch("ROLLBACK").expect("rollback");
        let before = found();
        assert_eq!(Shape::read(&outside).expect("read"), fresh);
        assert_eq!(found(), before, "a shape was found outside a transaction");

        let viewed =
            format!("{SCHEMA_V3}; CREATE VIEW usernames AS SELECT id, username FROM peers;");
        let shape = Shape::read(&database(&viewed)).expect("read");
        assert!(shape.computed_in(&["usernames"]).is_some());
        let before = found();
        assert_eq!(Shape::read(&database(&viewed)).expect("read"), shape);
        assert_eq!(found(), before, "a schema with a view was kept");
    }

    /// Literals are constants; anything that calls a function or computes is code
    /// (spec/storage.md §4.1).
    #[test]
    fn only_literals_and_pyrogram_s_default_are_constant_defaults() {
        for constant in [
            "0",
            "-1",
            "+1.5e3",
            ".5",
            "1e-3",
            "0x10",
            "1_000",
            "(0)",
            "( 'a' )",
            "'x''y'",
            "'a'' || hex(x) || ''b'",
            "X'00ff'",
            "NULL",
            "true",
            "CURRENT_TIMESTAMP",
            PYROGRAM_DEFAULT,
        ] {
            assert!(constant_default(constant), "{constant} is a constant");
        }
        for code in [
            "1+1",
            "1-1",
            "(1)-(2)",
            "'a' || 'b'",
            "'a'||'b'",
            "zeroblob(500000000)",
            "(randomblob(16))",
            "X'0g'",
            "e5",
            "0x",
            ".",
            "CAST(STRFTIME('%s', 'now') AS TEXT)",
        ] {
            assert!(!constant_default(code), "{code} is code");
        }
    }

    /// Names and values in quotes, and comments, hide no keyword; a keyword outside them is
    /// found in any case.
    #[test]
    fn bare_words_skip_quotes_and_comments() {
        let sql = "CREATE TABLE t (\"check\" TEXT DEFAULT 'CHECK', [check] INT, `check` INT, \
                   'it''s' -- CHECK here\n, x /* CHECK */ INT cHeCk (x > 0))";
        let checks: Vec<&str> = bare_words(sql)
            .into_iter()
            .filter(|w| w.eq_ignore_ascii_case("check"))
            .collect();
        assert_eq!(checks, ["cHeCk"]);
        assert_eq!(bare_words("a \"unterminated"), ["a"]);
        assert_eq!(bare_words("a /* unterminated"), ["a"]);
    }

    /// An object is what its SQL's keywords create, comments between them, in any case; SQLite
    /// parses no SQL that does not begin with `CR`.
    #[test]
    fn an_object_is_known_by_its_sql() {
        for (sql, object) in [
            ("CREATE TABLE t (x)", Some(Object::Table)),
            ("create table t (x)", Some(Object::Table)),
            ("CREATE /* a */ TEMP\n TABLE t (x)", Some(Object::Table)),
            ("CREATE TEMPORARY TABLE t (x)", Some(Object::Table)),
            ("CREATE -- a\nTABLE t (x)", Some(Object::Table)),
            ("CREATE VIEW t AS SELECT 1", Some(Object::View)),
            ("Create Temp View t AS SELECT 1", Some(Object::View)),
            (
                "CREATE VIRTUAL TABLE t USING fts5(x)",
                Some(Object::Virtual),
            ),
            (
                "CREATE  VIRTUAL\tTABLE t USING fts5(x)",
                Some(Object::Virtual),
            ),
            (
                "CREATE/**/VIRTUAL/**/TABLE t USING fts5(x)",
                Some(Object::Virtual),
            ),
            ("CREATE INDEX t ON u (x)", None),
            ("CREATE UNIQUE INDEX t ON u (x)", None),
            (
                "CREATE TRIGGER t AFTER UPDATE ON u BEGIN SELECT 1; END",
                None,
            ),
            ("CREATE TEMP VIRTUAL TABLE t USING fts5(x)", None),
            ("CREATE \"TABLE\" t (x)", None),
            (" CREATE TABLE t (x)", None),
            ("/* */CREATE TABLE t (x)", None),
            ("CREATE", None),
            ("", None),
        ] {
            assert_eq!(object_of(sql), object, "{sql}");
        }
    }

    /// A table whose row is typed otherwise (`TABLE`) is a table, and the CHECK in its SQL is
    /// found; a view typed `VIEW` is a view (spec/storage.md §4 step 7).
    #[test]
    fn objects_are_what_sqlite_reads_not_what_their_type_says() {
        let conn = Connection::open_in_memory().expect("memory database");
        conn.execute_batch(&SCHEMA_V3.replacen(
            "dc_id     INTEGER PRIMARY KEY",
            "dc_id INTEGER PRIMARY KEY CHECK (dc_id > 0)",
            1,
        ))
        .expect("schema");
        conn.execute_batch(
            "DROP TABLE version; CREATE VIEW version AS SELECT 3 AS number;
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET type = 'TABLE' WHERE name = 'sessions';
             UPDATE sqlite_master SET type = 'VIEW' WHERE name = 'version';
             PRAGMA writable_schema = OFF;",
        )
        .expect("retyped");
        let shape = Shape::read_from_sqlite(&conn).expect("read");
        assert!(shape.has_table("sessions"), "{:?}", shape.tables);
        assert!(!shape.has_table("version"), "{:?}", shape.tables);
        assert_eq!(
            shape.computed_in(&["sessions"]),
            Some("sessions has a CHECK constraint, which runs code the file holds on every write")
        );
        assert_eq!(
            shape.computed_in(&["version"]),
            Some("version is a view, not a table")
        );
    }
}
