//! Pyrogram's `resolve_peer` order for a text: which lookups of the peer cache it makes, and in
//! which order (spec/storage.md §6.5, its note on `resolve_peer`).

use super::{Storage, StorageError, StorageErrorKind};
use crate::peer::InputPeer;

/// What `resolve` looks up, in Pyrogram 2.0.106's `resolve_peer` order for a text
/// (spec/storage.md §6.5, its note on `resolve_peer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The id the text is to SQLite, which Pyrogram asks `get_peer_by_id` for first: `peers.id`
    /// has INTEGER affinity, so the text `+111111111` (or ` 42 `, or `42.0`) is the id.
    id: Option<i64>,
    /// `me` or `self`: the account itself, when no peer has that id.
    me: bool,
    /// The text lower-cased, with `@`, `+` and whitespace (Python's `\s`) removed.
    cleaned: String,
}

/// What `resolve` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A cached peer.
    Peer(InputPeer),
    /// The account itself (`InputPeerSelf`), for `me` and `self`: nothing to look up.
    Me,
}

/// The lookup `resolve_peer` makes of a text that is no cached id and not `me` or `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Python's `int()` takes the cleaned text: `get_peer_by_phone_number`, and where it
    /// misses Pyrogram raises `PeerIdInvalid`.
    PhoneNumber(&'a str),
    /// Anything else, the empty text included: `get_peer_by_username`, and where it misses (or
    /// the username has expired) Pyrogram asks Telegram (`contacts.ResolveUsername`).
    Username(&'a str),
}

impl Query {
    /// Reads a query as Pyrogram's `resolve_peer` reads a `str` (spec/storage.md §6.5).
    #[must_use]
    pub fn parse(q: &str) -> Query {
        Query {
            id: sqlite_integer(q),
            me: matches!(q, "me" | "self"),
            cleaned: q
                .to_lowercase()
                .chars()
                .filter(|&c| !matches!(c, '@' | '+') && !crate::python::is_space(c))
                .collect(),
        }
    }

    /// The id `get_peer_by_id` is asked for: the integer SQLite compares the text as with
    /// `peers.id`, if any.
    #[must_use]
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Whether the text is `me` or `self`, the account itself when no peer has that id.
    #[must_use]
    pub fn is_me(&self) -> bool {
        self.me
    }

    /// What is looked up after the id, unless the text is `me` or `self`: the text lower-cased,
    /// with `@`, `+` and Python's whitespace removed, as a phone number if Python's `int()`
    /// takes it, else as a username (the empty text too: Pyrogram looks up the username `''`).
    #[must_use]
    pub fn lookup(&self) -> Lookup<'_> {
        if crate::python::int_accepts(&self.cleaned) {
            Lookup::PhoneNumber(&self.cleaned)
        } else {
            Lookup::Username(&self.cleaned)
        }
    }

    /// Looks the query up as `resolve_peer` does: by id first; then `me`; then by phone number
    /// if what is left is an integer to Python, else by username. Where every lookup misses,
    /// the first one's `NotFound` is the answer.
    pub fn resolve(&self, storage: &Storage) -> Result<Resolved, StorageError> {
        let mut missed = None;
        if let Some(id) = self.id {
            match storage.get_peer_by_id(id) {
                Ok(p) => return Ok(Resolved::Peer(p)),
                Err(e) if matches!(e.kind(), StorageErrorKind::NotFound(_)) => missed = Some(e),
                Err(e) => return Err(e),
            }
        }
        if self.me {
            return Ok(Resolved::Me);
        }
        let found = match self.lookup() {
            Lookup::PhoneNumber(p) => storage.get_peer_by_phone_number(p),
            Lookup::Username(u) => storage.get_peer_by_username(u),
        };
        match (found, missed) {
            (Err(e), Some(first)) if matches!(e.kind(), StorageErrorKind::NotFound(_)) => {
                Err(first)
            }
            (found, _) => found.map(Resolved::Peer),
        }
    }
}

/// The integer SQLite compares a text with in `peers.id = ?`, the rowid: SQLite gives the text
/// numeric affinity (surrounding ASCII whitespace, a sign, a real literal), and a real counts
/// only if it is whole and strictly between -2^63 and 2^63 (`sqlite3VdbeIntegerAffinity`). Where
/// an in-memory SQLite cannot be opened to read a real, Rust reads it, rounding where SQLite
/// truncates.
fn sqlite_integer(q: &str) -> Option<i64> {
    let t = q.trim_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    // A real literal (Rust's grammar for one is SQLite's, without `inf` and `nan`): its value
    // is SQLite's own, which keeps 19 significant digits of a longer number, so that
    // `9007199254740993.00001` is 9007199254740992 to SQLite and ...994 to Rust.
    let r: f64 = t.parse().ok()?;
    let r = rusqlite::Connection::open_in_memory()
        .and_then(|c| c.query_row("SELECT CAST(?1 AS REAL)", [t], |row| row.get(0)))
        .unwrap_or(r);
    // 2^63 exactly; both bounds are excluded, so `as` converts exactly.
    let limit = 9_223_372_036_854_775_808.0_f64;
    #[allow(clippy::cast_possible_truncation)]
    (r.fract() == 0.0 && r > -limit && r < limit).then_some(r as i64)
}
