//! The peer cache: upserts and lookups (spec/storage.md §6).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::storage::{Named as _, StorageErrorKind};
use rusqlite::types::ValueRef;

use super::fields::describe;
use super::schema::{self, Dialect};
use super::{NotFound, Storage, StorageError, USERNAME_TTL};
use crate::peer::{id, InputPeer, Peer, PeerType};

/// A cached peer as stored, with when it was last written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPeer {
    /// The peer. Its `username` is `peers.username`, or the first of `usernames` where the
    /// dialect keeps usernames in their own table.
    pub peer: Peer,
    /// Every username cached for the peer: kurigram's and pyrotgfork's `usernames` rows, or
    /// pyrofork's extra usernames. Empty where the dialect has none.
    pub usernames: Vec<String>,
    /// `last_update_on`, Unix seconds.
    pub last_update_on: i64,
}

/// A row of `peers` that cannot be read as a peer, and why (spec/storage.md §6.6).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnreadablePeer {
    /// The row's `peers.id`, where that is an integer.
    pub id: Option<i64>,
    /// The column that cannot be read, such as `peers.type`.
    pub column: &'static str,
    /// What the column must hold.
    pub expected: &'static str,
    /// What it holds: its type and, for a short text or a number, its value.
    pub found: String,
}

impl UnreadablePeer {
    /// The row's error as an unreadable row; any other error is given back.
    fn from_error(id: Option<i64>, e: StorageError) -> Result<UnreadablePeer, StorageError> {
        match e.kind() {
            StorageErrorKind::InvalidValue {
                column,
                expected,
                found,
            } => Ok(UnreadablePeer {
                id,
                column,
                expected,
                found: found.clone(),
            }),
            StorageErrorKind::UnknownPeerType { found, .. } => Ok(UnreadablePeer {
                id,
                column: "peers.type",
                expected: "a known peer type",
                found: format!("the text {found:?}"),
            }),
            _ => Err(e),
        }
    }
}

impl std::fmt::Display for UnreadablePeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "peer {id}")?,
            None => f.write_str("a peer row")?,
        }
        write!(
            f,
            ": {} is {}, expected {}",
            self.column, self.found, self.expected
        )
    }
}

fn peer_type(id: i64, v: ValueRef<'_>) -> Result<PeerType, StorageError> {
    match v {
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t);
            text.parse().map_err(|_| {
                StorageError::new(
                    None,
                    StorageErrorKind::UnknownPeerType {
                        id, // What a file holds is shown, not all of it: a type is a short word.
                        found: super::error::shown_name(&text),
                    },
                )
            })
        }
        other => Err(StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column: "peers.type",
                expected: "the text of a peer type",
                found: describe(other),
            },
        )),
    }
}

pub(crate) fn int(v: ValueRef<'_>, column: &'static str) -> Result<Option<i64>, StorageError> {
    match v {
        ValueRef::Integer(i) => Ok(Some(i)),
        ValueRef::Null => Ok(None),
        other => Err(StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column,
                expected: "an integer",
                found: describe(other),
            },
        )),
    }
}

/// `peers.id`: an integer, never NULL (spec/storage.md §3.3).
fn peer_id(v: ValueRef<'_>) -> Result<i64, StorageError> {
    int(v, "peers.id")?.ok_or_else(|| {
        StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column: "peers.id",
                expected: "an integer",
                found: describe(ValueRef::Null),
            },
        )
    })
}

pub(crate) fn text(v: ValueRef<'_>, column: &'static str) -> Result<Option<String>, StorageError> {
    match v {
        ValueRef::Text(t) => Ok(Some(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Null => Ok(None),
        other => Err(StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column,
                expected: "text",
                found: describe(other),
            },
        )),
    }
}

/// A `peers` row as listing reads and checks it: `id, access_hash, type, username,
/// phone_number, last_update_on` from column `first` on (spec/storage.md §6.6).
pub(crate) fn stored_peer(
    row: &rusqlite::Row<'_>,
    first: usize,
    sqlite: impl Fn(rusqlite::Error) -> StorageError,
) -> Result<StoredPeer, StorageError> {
    let get = |i| row.get_ref(first + i).map_err(&sqlite);
    let peer_id = peer_id(get(0)?)?;
    Ok(StoredPeer {
        peer: Peer {
            id: peer_id,
            access_hash: int(get(1)?, "peers.access_hash")?,
            peer_type: peer_type(peer_id, get(2)?)?,
            username: text(get(3)?, "peers.username")?,
            phone_number: text(get(4)?, "peers.phone_number")?,
        },
        usernames: Vec::new(),
        last_update_on: int(get(5)?, "peers.last_update_on")?.unwrap_or_default(),
    })
}

/// A peer row found by a lookup.
struct Row {
    peer_id: i64,
    access_hash: Option<i64>,
    peer_type: PeerType,
    updated: Option<i64>,
}

impl Row {
    fn input_peer(&self) -> Result<InputPeer, StorageError> {
        input_peer(self.peer_id, self.access_hash, self.peer_type)
    }
}

/// Pyrogram's `get_input_peer` (spec/storage.md §6.2).
pub(crate) fn input_peer(
    peer_id: i64,
    access_hash: Option<i64>,
    t: PeerType,
) -> Result<InputPeer, StorageError> {
    // Pyrogram's arithmetic is Python's, without bounds; its result then fails to serialize.
    let out_of_range = |expected| {
        StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column: "peers.id",
                expected,
                found: describe(ValueRef::Integer(peer_id)),
            },
        )
    };
    let hash = || {
        access_hash.ok_or_else(|| {
            StorageError::new(
                None,
                StorageErrorKind::MissingAccessHash {
                    id: peer_id,
                    peer_type: t,
                },
            )
        })
    };
    Ok(match t {
        PeerType::User | PeerType::Bot => InputPeer::User {
            user_id: peer_id,
            access_hash: hash()?,
        },
        PeerType::Group => InputPeer::Chat {
            chat_id: id::mark_chat(peer_id)
                .ok_or_else(|| out_of_range("a group's marked id, above -2^63"))?,
        },
        PeerType::Channel
        | PeerType::Supergroup
        | PeerType::Forum
        | PeerType::Direct
        | PeerType::Community => InputPeer::Channel {
            channel_id: id::mark_channel(peer_id)
                .ok_or_else(|| out_of_range("a channel's marked id, at most 2^63 - 10^12"))?,
            access_hash: hash()?,
        },
    })
}

/// Runs `insert`, a plain `INSERT` of a peer row, and says whether it stored the row; `false`
/// when it met a constraint, above all a peer with that `id` already cached, and changed nothing.
///
/// Where it succeeds it stores what `REPLACE` with the same values would: with no conflict,
/// `REPLACE` is that insert. It is tried first because `REPLACE`, which may delete rows, keeps a
/// statement journal of every page it touches, which costs as much again as the insert (twice
/// the time in memory, three times on a file, for a batch of new peers). A constraint it meets
/// is left to the `REPLACE` that follows, which resolves it as it always does.
fn inserted(
    insert: &mut rusqlite::Statement<'_>,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<bool> {
    match insert.execute(params) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Whether a file of this dialect can store a peer of this type. Only kurigram's own version 7
/// is sure to know kurigram's extra types: a file of version 4-6 may be pyrotgfork's or an
/// older kurigram's, which raise "Invalid peer type".
fn holds_type(dialect: Dialect, peer_type: PeerType) -> bool {
    peer_type.is_pyrogram() || matches!(dialect, Dialect::Kurigram(7))
}

fn unsupported_type(dialect: Dialect, p: &Peer) -> StorageError {
    StorageError::from(StorageErrorKind::UnsupportedWrite {
        dialect,
        what: format!("cache peer {} of type {}", p.id, p.peer_type),
    })
}

impl Storage {
    /// Caches peers with Pyrogram's upsert meaning: each peer's whole row is replaced and its
    /// `last_update_on` set to now. The batch is one transaction, committed when this returns
    /// (spec/storage.md §6.4; Pyrogram leaves it uncommitted, §8.1).
    ///
    /// In a kurigram or pyrotgfork file the username goes to their `usernames` table, as they
    /// write it. Kurigram's own peer types are refused where the file's library does not know
    /// them.
    pub fn update_peers(&mut self, peers: &[Peer]) -> Result<(), StorageError> {
        let now = self.clock.now();
        self.cache_peers(peers, |_| now)
    }

    /// [`Storage::update_peers`] for the peers an iterator yields, read one at a time as they
    /// are written: the whole batch is still one transaction, committed when this returns
    /// (spec/storage.md §6.4), and never held in memory at once.
    ///
    /// The first `Err` the iterator yields ends the call: the transaction is rolled back, so
    /// none of the batch is stored, and that error is returned. A failure of the storage
    /// returns as `E::from` its [`StorageError`] and rolls back the same way.
    ///
    /// # Errors
    /// The iterator yields an `Err`, or as [`Storage::update_peers`].
    pub fn update_peers_from<E: From<StorageError>>(
        &mut self,
        peers: impl IntoIterator<Item = Result<Peer, E>>,
    ) -> Result<(), E> {
        let now = self.clock.now();
        self.write_peers(peers.into_iter(), |_| now)
    }

    /// [`Storage::update_peers`] with each peer's `last_update_on` given by `date` (called with
    /// the peer's index), in one transaction: for conversions, which carry the source's dates.
    pub(crate) fn cache_peers(
        &mut self,
        peers: &[Peer],
        date: impl Fn(usize) -> i64,
    ) -> Result<(), StorageError> {
        // A type the file cannot hold is refused before the transaction begins.
        if let Some(p) = peers
            .iter()
            .find(|p| !holds_type(self.dialect, p.peer_type))
        {
            return Err(unsupported_type(self.dialect, p));
        }
        self.write_peers(peers.iter().map(Ok::<_, StorageError>), date)
    }

    /// The upsert of §6.4 for each peer `peers` yields, in one transaction that commits only
    /// once the iterator has ended; an `Err` it yields, a type the file cannot hold or a failed
    /// statement drops the transaction, which rolls the whole batch back.
    fn write_peers<P: Borrow<Peer>, E: From<StorageError>>(
        &mut self,
        peers: impl Iterator<Item = Result<P, E>>,
        date: impl Fn(usize) -> i64,
    ) -> Result<(), E> {
        let dialect = self.dialect;
        self.begin_write()?;
        let path = self.path().map(std::path::Path::to_path_buf);
        let sqlite = |source| StorageError::from_sqlite(path.as_deref(), "caching peers", source);
        let tx = self.conn.transaction().map_err(sqlite)?;
        {
            if dialect.usernames_by_peer() {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO peers (id, access_hash, type, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(sqlite)?;
                let mut replace = tx
                    .prepare_cached(
                        "REPLACE INTO peers (id, access_hash, type, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(sqlite)?;
                let mut forget = tx
                    .prepare_cached("DELETE FROM usernames WHERE id = ?1")
                    .map_err(sqlite)?;
                let mut name = tx
                    .prepare_cached("INSERT INTO usernames (id, username) VALUES (?1, ?2)")
                    .map_err(sqlite)?;
                for (i, p) in peers.enumerate() {
                    let p = p?;
                    let p = p.borrow();
                    if !holds_type(dialect, p.peer_type) {
                        return Err(unsupported_type(dialect, p).into());
                    }
                    let params = rusqlite::params![
                        p.id,
                        p.access_hash,
                        p.peer_type.as_str(),
                        p.phone_number,
                        date(i)
                    ];
                    if !inserted(&mut insert, params).map_err(sqlite)? {
                        replace.execute(params).map_err(sqlite)?;
                    }
                    forget.execute([p.id]).map_err(sqlite)?;
                    if let Some(u) = &p.username {
                        name.execute(rusqlite::params![p.id, u]).map_err(sqlite)?;
                    }
                }
            } else {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO peers (id, access_hash, type, username, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(sqlite)?;
                let mut replace = tx
                    .prepare_cached(
                        "REPLACE INTO peers (id, access_hash, type, username, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(sqlite)?;
                // A peer cached before and unchanged only needs its time refreshed: the same
                // stored row as replacing it, without deleting and re-inserting it and its three
                // index entries. The connection runs with triggers off, so the schema's trigger
                // on UPDATE peers does not overwrite the time with SQLite's clock.
                let mut refresh = tx
                    .prepare_cached(
                        "UPDATE peers SET last_update_on = ?6 WHERE id = ?1 AND access_hash IS ?2 AND type = ?3 AND username IS ?4 AND phone_number IS ?5",
                    )
                    .map_err(sqlite)?;
                // Which to try first adapts to the batch: Pyrogram's clients write back mostly
                // peers they have cached, while a new cache fills with new ones. Each peer
                // starts with the statement that fitted the one before it; a wrong guess costs
                // one statement that changes nothing.
                let mut seen = true;
                for (i, p) in peers.enumerate() {
                    let p = p?;
                    let p = p.borrow();
                    if !holds_type(dialect, p.peer_type) {
                        return Err(unsupported_type(dialect, p).into());
                    }
                    let params = rusqlite::params![
                        p.id,
                        p.access_hash,
                        p.peer_type.as_str(),
                        p.username,
                        p.phone_number,
                        date(i)
                    ];
                    let refreshed_first = seen;
                    if seen && refresh.execute(params).map_err(sqlite)? == 1 {
                        continue;
                    }
                    if inserted(&mut insert, params).map_err(sqlite)? {
                        seen = false;
                        continue;
                    }
                    seen = true;
                    if !refreshed_first && refresh.execute(params).map_err(sqlite)? == 1 {
                        continue;
                    }
                    replace.execute(params).map_err(sqlite)?;
                }
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(())
    }

    /// A row a lookup query returns: id, access hash, type and, where the query asks for it,
    /// `last_update_on`. With `newest`, every matching row is read and the first one with the
    /// greatest `last_update_on` is kept; otherwise the first row. The input peer is built
    /// later, after any expiry check, in Pyrogram's order.
    fn lookup(
        &self,
        sql: &str,
        key: &dyn rusqlite::ToSql,
        newest: bool,
    ) -> Result<Option<Row>, StorageError> {
        self.begin_reads()
            .and_then(|()| self.lookup_rows(sql, key, newest))
            .map_err(|e| e.at(self.path()))
    }

    fn lookup_rows(
        &self,
        sql: &str,
        key: &dyn rusqlite::ToSql,
        newest: bool,
    ) -> Result<Option<Row>, StorageError> {
        let sqlite = |e| self.sqlite("looking up a peer", e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(sqlite)?;
        let mut rows = stmt.query([key]).map_err(sqlite)?;
        let mut found: Option<Row> = None;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let get = |i| {
                row.get_ref(i)
                    .map_err(|e| self.sqlite("looking up a peer", e))
            };
            let updated = if row.as_ref().column_count() > 3 {
                int(get(3)?, "peers.last_update_on")?
            } else {
                None
            };
            // Only a strictly newer row replaces the one kept: on a tie the first stays.
            if found.as_ref().is_some_and(|f| updated <= f.updated) {
                continue;
            }
            let peer_id = peer_id(get(0)?)?;
            let peer_type = peer_type(peer_id, get(2)?)?;
            let access_hash = int(get(1)?, "peers.access_hash")?;
            found = Some(Row {
                peer_id,
                access_hash,
                peer_type,
                updated,
            });
            if !newest {
                break;
            }
        }
        Ok(found)
    }

    /// The input peer cached under this marked id (spec/storage.md §6.5).
    pub fn get_peer_by_id(&self, peer_id: i64) -> Result<InputPeer, StorageError> {
        self.reading(|| {
            self.lookup(
                "SELECT id, access_hash, type FROM peers WHERE id = ?1",
                &peer_id,
                false,
            )?
            .ok_or_else(|| StorageError::from(StorageErrorKind::NotFound(NotFound::Id(peer_id))))?
            .input_peer()
            .map_err(|e| e.at(self.path()))
        })
    }

    /// The input peer cached under this phone number, matched exactly (spec/storage.md §6.5).
    pub fn get_peer_by_phone_number(&self, phone_number: &str) -> Result<InputPeer, StorageError> {
        self.reading(|| {
            self.lookup(
                "SELECT id, access_hash, type FROM peers WHERE phone_number = ?1",
                &phone_number,
                false,
            )?
            .ok_or_else(|| {
                StorageError::from(StorageErrorKind::NotFound(NotFound::PhoneNumber(
                    phone_number.to_owned(),
                )))
            })?
            .input_peer()
            .map_err(|e| e.at(self.path()))
        })
    }

    /// The input peer cached under this username, matched exactly; the most recently written
    /// row wins, and one written more than 8 hours from now, either way, has expired
    /// (spec/storage.md §6.5).
    ///
    /// Pyrogram sorts the matching rows (`ORDER BY last_update_on DESC`) and takes the first;
    /// this reads them in index order and keeps the first with the greatest `last_update_on`:
    /// the same row, ties included, without the sort, which costs SQLite about 8 µs a call
    /// whatever the number of rows (as does `max()`).
    pub fn get_peer_by_username(&self, username: &str) -> Result<InputPeer, StorageError> {
        self.reading(|| {
            let not_found = || StorageError::from(StorageErrorKind::NotFound(NotFound::Username(username.to_owned())));
            let found = match self.dialect {
                Dialect::Kurigram(_) => self.lookup(
                    "SELECT p.id, p.access_hash, p.type, p.last_update_on FROM peers p JOIN usernames u ON p.id = u.id WHERE u.username = ?1",
                    &username,
                    true,
                )?,
                Dialect::Pyrogram(_) | Dialect::Pyrofork(_) => {
                    let direct = self.lookup(
                        "SELECT id, access_hash, type, last_update_on FROM peers WHERE username = ?1",
                        &username,
                        true,
                    )?;
                    match direct {
                        Some(found) => Some(found),
                        None if matches!(self.dialect, Dialect::Pyrofork(_)) => self
                            .pyrofork_username(username)
                            .map_err(|e| e.at(self.path()))?,
                        None => None,
                    }
                }
            };
            let row = found.ok_or_else(not_found)?;
            self.check_fresh(username, row.updated, "peers.last_update_on")
                .and_then(|()| row.input_peer())
                .map_err(|e| e.at(self.path()))
        })
    }

    fn check_fresh(
        &self,
        username: &str,
        updated: Option<i64>,
        column: &'static str,
    ) -> Result<(), StorageError> {
        let updated = updated.ok_or_else(|| {
            StorageError::new(
                None,
                StorageErrorKind::InvalidValue {
                    column,
                    expected: "an integer",
                    found: "NULL".to_owned(),
                },
            )
        })?;
        let age = self.clock.now().saturating_sub(updated);
        if age.saturating_abs() > USERNAME_TTL {
            return Err(StorageError::from(StorageErrorKind::UsernameExpired {
                username: username.to_owned(),
                age,
            }));
        }
        Ok(())
    }

    /// Whether the file has the table `name` now, as SQLite reads its schema
    /// ([`schema::has_table`]): pyrofork creates its `usernames` lazily, and the forks'
    /// `update_state` is optional in some of their versions.
    pub(crate) fn has_table(&self, name: &str, doing: &'static str) -> Result<bool, StorageError> {
        schema::has_table(&self.conn, name).map_err(|e| self.sqlite(doing, e))
    }

    /// pyrofork's second place for usernames: `usernames(id = username, peer_id)`, with its own
    /// expiry, then the peer's row.
    fn pyrofork_username(&self, username: &str) -> Result<Option<Row>, StorageError> {
        let has_table = self.has_table("usernames", "looking up a peer")?;
        if !has_table {
            return Ok(None);
        }
        let sqlite = |e| self.sqlite("looking up a peer", e);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT peer_id, last_update_on FROM usernames WHERE id = ?1 ORDER BY last_update_on DESC")
            .map_err(sqlite)?;
        let mut rows = stmt.query([username]).map_err(sqlite)?;
        let Some(row) = rows.next().map_err(sqlite)? else {
            return Ok(None);
        };
        let peer_id = int(row.get_ref(0).map_err(sqlite)?, "usernames.peer_id")?;
        let updated = int(row.get_ref(1).map_err(sqlite)?, "usernames.last_update_on")?;
        drop(rows);
        drop(stmt);
        let Some(peer_id) = peer_id else {
            return Ok(None);
        };
        self.check_fresh(username, updated, "usernames.last_update_on")?;
        self.lookup(
            "SELECT id, access_hash, type, last_update_on FROM peers WHERE id = ?1",
            &peer_id,
            false,
        )
    }

    /// Every cached peer, by id. A row that cannot be read as a peer (a wrong type of value,
    /// an unknown peer type) is an error; [`Storage::readable_peers`] lists the others.
    pub fn peers(&self) -> Result<Vec<StoredPeer>, StorageError> {
        let mut out = Vec::new();
        self.reading(|| {
            self.visit_peers(None, &mut |p| {
                out.push(p);
                ControlFlow::Continue(())
            })
            .map_err(|e| e.at(self.path()))
        })?;
        Ok(out)
    }

    /// Every cached peer that can be read, by id, and the rows that cannot, with why
    /// (spec/storage.md §6.6): Pyrogram uses such a file, and fails only on a lookup of that
    /// peer. Errors of the file itself (SQLite's) are still errors.
    pub fn readable_peers(&self) -> Result<(Vec<StoredPeer>, Vec<UnreadablePeer>), StorageError> {
        let mut peers = Vec::new();
        let unreadable = self.for_each_readable_peer(|p| {
            peers.push(p);
            ControlFlow::Continue(())
        })?;
        Ok((peers, unreadable))
    }

    /// [`Storage::readable_peers`] one peer at a time, by id, without holding the list: `each`
    /// gets every peer that can be read, and may stop the listing with
    /// [`ControlFlow::Break`]; the rows that cannot be read are returned (spec/storage.md
    /// §6.6). Memory stays that of one peer, and of the usernames where the dialect keeps them
    /// in a table of their own (kurigram, pyrofork), whatever the number of peers.
    pub fn for_each_readable_peer(
        &self,
        mut each: impl FnMut(StoredPeer) -> ControlFlow<()>,
    ) -> Result<Vec<UnreadablePeer>, StorageError> {
        self.reading(|| {
            let mut unreadable = Vec::new();
            self.visit_peers(Some(&mut unreadable), &mut each)
                .map_err(|e| e.at(self.path()))?;
            Ok(unreadable)
        })
    }

    /// The peers, by id, each given to `each` with its usernames; with `unreadable`, a row that
    /// cannot be read goes there instead of failing the listing.
    fn visit_peers(
        &self,
        mut unreadable: Option<&mut Vec<UnreadablePeer>>,
        each: &mut dyn FnMut(StoredPeer) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        let mut usernames = self.usernames_by_peer_id()?;
        let sqlite = |e| self.sqlite("listing peers", e);
        let username_col = if self.dialect.usernames_by_peer() {
            "NULL"
        } else {
            "username"
        };
        let sql = format!("SELECT id, access_hash, type, {username_col}, phone_number, last_update_on FROM peers ORDER BY id");
        let mut stmt = self.conn.prepare(&sql).map_err(sqlite)?;
        let mut rows = stmt.query([]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            match (stored_peer(row, 0, sqlite), unreadable.as_deref_mut()) {
                (Ok(mut p), _) => {
                    if let Some(names) = usernames.remove(&p.peer.id) {
                        for name in names {
                            if p.peer.username.is_none() && self.dialect.usernames_by_peer() {
                                p.peer.username = Some(name.clone());
                            }
                            p.usernames.push(name);
                        }
                    }
                    if each(p).is_break() {
                        return Ok(());
                    }
                }
                (Err(e), Some(list)) => {
                    let id = match row.get_ref(0).map_err(sqlite)? {
                        ValueRef::Integer(i) => Some(i),
                        _ => None,
                    };
                    list.push(UnreadablePeer::from_error(id, e)?);
                }
                (Err(e), None) => return Err(e),
            }
        }
        Ok(())
    }

    /// The usernames the dialect keeps in a table of their own, by the peer's id, each peer's
    /// in the table's order; empty where it has none.
    fn usernames_by_peer_id(&self) -> Result<HashMap<i64, Vec<String>>, StorageError> {
        let mut by_peer: HashMap<i64, Vec<String>> = HashMap::new();
        // The query, and the names of its two columns (the peer, the username) for errors.
        let (sql, peer_column, name_column) = match self.dialect {
            Dialect::Kurigram(_) => (
                "SELECT id, username FROM usernames ORDER BY rowid",
                "usernames.id",
                "usernames.username",
            ),
            Dialect::Pyrofork(_) => (
                "SELECT peer_id, id FROM usernames ORDER BY rowid",
                "usernames.peer_id",
                "usernames.id",
            ),
            Dialect::Pyrogram(_) => return Ok(by_peer),
        };
        let exists = self.has_table("usernames", "listing usernames")?;
        if !exists {
            return Ok(by_peer);
        }
        let sqlite = |e| self.sqlite("listing usernames", e);
        let mut stmt = self.conn.prepare(sql).map_err(sqlite)?;
        let mut rows = stmt.query([]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let peer_id = int(row.get_ref(0).map_err(sqlite)?, peer_column)?;
            let name = text(row.get_ref(1).map_err(sqlite)?, name_column)?;
            if let (Some(peer_id), Some(name)) = (peer_id, name) {
                by_peer.entry(peer_id).or_default().push(name);
            }
        }
        Ok(by_peer)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;
    use rusqlite::types::Value;

    use crate::peer::{Peer, PeerType};
    use crate::storage::{ManualClock, NotFound, Storage, StorageError, StorageErrorKind};

    /// The rows of a table as stored, rowids first, in rowid order.
    fn rows(s: &Storage, table: &str) -> Vec<Vec<Value>> {
        let mut stmt = s
            .conn
            .prepare(&format!("SELECT rowid, * FROM {table} ORDER BY rowid"))
            .unwrap();
        let columns = stmt.column_count();
        stmt.query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The peers and, where the dialect has them, the usernames rows.
    fn stored(s: &Storage) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
        let usernames = if s.dialect.usernames_by_peer() {
            rows(s, "usernames")
        } else {
            Vec::new()
        };
        (rows(s, "peers"), usernames)
    }

    fn scratch(name: &str) -> PathBuf {
        crate::fs::create_dir(&std::env::temp_dir(), &format!("pyrosession-{name}-")).unwrap()
    }

    /// A file or memory storage at a stopped clock: `file` a copy of the fixture named, or
    /// memory where `None`.
    fn storage(dir: &Path, name: &str, fixture: Option<&str>) -> (Storage, Arc<ManualClock>) {
        let mut s = match fixture {
            Some(f) => {
                let path = dir.join(format!("{name}.session"));
                let source = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("spec/fixtures/{f}.session"));
                std::fs::copy(source, &path).unwrap();
                Storage::open_file(&path).unwrap()
            }
            None => Storage::memory().unwrap(),
        };
        let clock = Arc::new(ManualClock::new(1_900_000_000));
        s.set_clock(clock.clone());
        (s, clock)
    }

    fn peer(id: i64) -> Peer {
        Peer {
            id,
            access_hash: Some(id * 3),
            peer_type: PeerType::User,
            username: Some(format!("u{id}")),
            phone_number: None,
        }
    }

    /// The error a test's iterator yields in the middle of a batch.
    #[derive(Debug, PartialEq)]
    enum Stop {
        Source(usize),
        Storage(String),
    }

    impl From<StorageError> for Stop {
        fn from(e: StorageError) -> Self {
            Stop::Storage(e.to_string())
        }
    }

    fn any_peer() -> impl Strategy<Value = Peer> {
        (
            // The fixtures' peers and new ones, few enough that a batch meets them again.
            prop::sample::select(vec![111_111_111_i64, 444_444_444, -123_456, 7, 8, -9]),
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Law: `update_peers_from` stores what `update_peers` stores. Batch after batch, on a
        /// file of Pyrogram's dialect, one of kurigram's and memory, the storage fed by the
        /// iterator holds the same rows, rowids and times as the one given slices; a batch
        /// whose iterator yields an `Err` after `k` peers returns that error and leaves the
        /// storage as if the batch had never been given (spec/storage.md §6.4).
        #[test]
        fn prop_update_peers_from_stores_what_update_peers_stores(
            batches in prop::collection::vec(
                (prop::collection::vec(any_peer(), 0..12), prop::option::weighted(0.3, 0..12_usize)),
                1..5,
            ),
            engine in 0..3_usize,
        ) {
            let fixture = [Some("pyrogram-2.0.106"), Some("kurigram-2.2.26"), None][engine];
            let dir = scratch("from-law");
            let (mut slices, slice_clock) = storage(&dir, "slices", fixture);
            let (mut iterated, iterated_clock) = storage(&dir, "iterated", fixture);
            for (n, (batch, fail_at)) in batches.iter().enumerate() {
                let now = 1_900_000_000 + i64::try_from(n).unwrap();
                slice_clock.set(now);
                iterated_clock.set(now);
                let items = batch.iter().cloned().map(Ok).enumerate().map(|(i, p)| {
                    if Some(i) == *fail_at { Err(Stop::Source(i)) } else { p }
                });
                // Where the error comes after the batch's end, the iterator never yields it.
                let failed = fail_at.filter(|&k| k < batch.len());
                let result = iterated.update_peers_from(items);
                if let Some(k) = failed {
                    prop_assert_eq!(result, Err(Stop::Source(k)));
                } else {
                    prop_assert_eq!(result, Ok(()));
                    slices.update_peers(batch).unwrap();
                }
                prop_assert!(iterated.conn.is_autocommit(), "a transaction was left open");
                prop_assert_eq!(stored(&iterated), stored(&slices));
            }
            drop((slices, iterated));
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// An error from the iterator after several hundred peers (more than the Python package's
    /// chunk of 256) rolls back every peer of the batch, those read before it included: on a
    /// file, opened again, and in memory. The peers cached before stay as they were.
    #[test]
    fn an_error_mid_iterator_rolls_back_the_whole_batch() {
        let dir = scratch("from-rollback");
        let path = dir.join("s.session");
        let mut file = Storage::open_file(&path).unwrap();
        let mut memory = Storage::memory().unwrap();
        for s in [&mut file, &mut memory] {
            s.update_peers(&[peer(1)]).unwrap();
            let before = stored(s);
            let items = (2..1_000)
                .map(|id| Ok(peer(id)))
                .chain([Err(Stop::Source(998))])
                .chain((1_000..1_100).map(|id| Ok(peer(id))));
            assert_eq!(s.update_peers_from(items), Err(Stop::Source(998)));
            assert!(
                s.conn.is_autocommit(),
                "the failed batch left its transaction open"
            );
            assert_eq!(stored(s), before);
            assert!(matches!(
                s.get_peer_by_id(2).unwrap_err().kind(),
                StorageErrorKind::NotFound(NotFound::Id(2))
            ));
            s.get_peer_by_id(1).unwrap();
        }
        file.close().unwrap();
        let again = Storage::open_file(&path).unwrap();
        assert_eq!(rows(&again, "peers").len(), 1);
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A peer of a type the file's dialect cannot hold, met in the middle of the iterator,
    /// fails the call with the error `update_peers` gives for it, and nothing of the batch is
    /// stored (`update_peers` checks the whole slice before it writes).
    #[test]
    fn a_type_the_file_cannot_hold_mid_iterator_rolls_back() {
        let mut s = Storage::memory().unwrap();
        let mut forum = peer(500);
        forum.peer_type = PeerType::Forum;
        let batch: Vec<Peer> = (1..300).map(peer).chain([forum]).collect();
        let from_slice = s.update_peers(&batch).unwrap_err().to_string();
        let from_iterator = s
            .update_peers_from(batch.into_iter().map(Ok::<_, StorageError>))
            .unwrap_err();
        assert_eq!(from_iterator.to_string(), from_slice);
        assert!(s.conn.is_autocommit());
        assert!(rows(&s, "peers").is_empty());
    }
}
