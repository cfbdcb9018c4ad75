//! The PostgreSQL engine: the sessions of many accounts in one database, each opened for
//! writing by one holder at a time under a lease (spec/postgres.md).
//!
//! [`PgStorage`] is one account's session, opened under a lease, and implements
//! [`SessionStore`] with the semantics spec/storage.md gives the file engine. [`PgFleet`] is a
//! connection without a lease: listing the accounts, importing a whole session, reading one.
//!
//! ```no_run
//! use pyrosession::storage::postgres::{LeaseOptions, PgStorage};
//! use pyrosession::storage::SessionStore;
//!
//! let url = "postgresql://pyrosession@127.0.0.1:5432/fleet";
//! let mut storage = PgStorage::open(url, "support-bot-1", &LeaseOptions::default())?;
//! storage.set_dc_id(4)?; // committed, and only while this storage holds the lease
//! storage.close()?; // releases the lease
//! # Ok::<(), pyrosession::storage::StorageError>(())
//! ```

mod conn;
mod fleet;
mod lease;
mod renewal;
mod schema;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Config, Row, Statement};

use super::{
    Clock, Dialect, NotFound, SessionFields, SessionStore, StorageError, StorageErrorKind,
    StoredPeer, SystemClock, USERNAME_TTL,
};
use crate::peer::{InputPeer, Peer, PeerType};
use crate::{AuthKey, Session};

use conn::{Conn, Fail, Queries, Tx};
use fleet::Pool;
pub use fleet::{AccountSummary, PgFleet, POOL_IDLE_MAX};
pub use lease::{LeaseInfo, LeaseOptions};
pub use schema::{
    MIGRATE_V1_TO_V2, MIGRATE_V2_TO_V3, MIGRATE_V3_TO_V4, MIGRATION_LOCK, SCHEMA_V1, SCHEMA_VERSION,
};

use lease::LeaseState;
use renewal::Renewal;

/// The longest session name, in bytes (spec/postgres.md §2).
pub const MAX_NAME_BYTES: usize = 255;

/// The longest username or phone number the engine stores, in bytes (spec/postgres.md §7):
/// both are keys of a B-tree index, whose entries PostgreSQL limits to about 2,700 bytes
/// (compressed, so whether a longer text fits depends on its content); with the longest
/// session name, an entry of this many bytes fits whatever the text.
pub const MAX_TEXT_BYTES: usize = 2048;

/// How long a connection attempt may take where the address sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive and `tcp_user_timeout` where the address sets none (spec/postgres.md §2,
/// *Bounds*): a peer gone from the network (a machine off, a route dropped) is found by the
/// operating system within about 30 s of silence on an idle connection, or 30 s of data unacknowledged, rather
/// than the system's two hours of idleness before the first probe (or its 15-odd minutes of
/// retransmissions), so that a pooled or renewal connection to it is closed and made again.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(15);
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVES_RETRIES: u32 = 3;
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// tokio-postgres's `keepalives_idle` when the address sets none (libpq's default, two hours).
const CLIENT_KEEPALIVES_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// The bound of each statement of a [`PgFleet`]'s own connection where
/// [`PgFleet::set_statement_timeout`] sets none (spec/postgres.md §2, *Bounds*).
pub const FLEET_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The bound of a migration's transaction (spec/postgres.md §3.2), which may wait for the
/// tables' locks and rebuild an index of every session's peers: never less than this, whatever
/// the connection's own bound.
const MIGRATION_TIMEOUT: Duration = Duration::from_secs(600);

/// How errors name what they concern: the server's address without its password, and the
/// session's name where there is one (`postgresql://user@host:5432/db#name`).
#[derive(Clone, Debug)]
pub(crate) struct Place(Option<PathBuf>);

impl Place {
    pub(crate) fn error(&self, kind: StorageErrorKind) -> StorageError {
        StorageError::new(self.0.clone(), kind)
    }

    fn account(server: &str, name: &str) -> Place {
        Place(Some(PathBuf::from(format!("{server}#{name}"))))
    }
}

/// A PostgreSQL error as a [`StorageErrorKind::Postgres`]: the server's SQLSTATE and primary
/// message (never its `DETAIL`, which can quote a row, key included), or the client's own
/// message for an error of the connection, or for a call the server did not answer within its
/// bound (spec/postgres.md §2, *Bounds*).
pub(crate) fn pg_error(place: &Place, doing: &'static str, e: &impl PgFault) -> StorageError {
    let (sqlstate, message) = e.facts();
    place.error(StorageErrorKind::Postgres {
        doing,
        sqlstate,
        message,
    })
}

/// What [`pg_error`] reports of a failed call: the SQLSTATE, if the server gave one, and the
/// message.
pub(crate) trait PgFault {
    fn facts(&self) -> (Option<String>, String);
}

impl PgFault for tokio_postgres::Error {
    fn facts(&self) -> (Option<String>, String) {
        match self.as_db_error() {
            Some(db) => (Some(db.code().code().to_owned()), db.message().to_owned()),
            None if self.is_closed() => (None, "the connection to the server is closed".to_owned()),
            None => (None, self.to_string()),
        }
    }
}

impl PgFault for Fail {
    fn facts(&self) -> (Option<String>, String) {
        match self {
            Fail::Pg(e) => e.facts(),
            Fail::Timeout(bound) => (
                None,
                format!(
                    "the server did not answer within {} ms (the statement timeout): it stopped \
                     answering (a stopped or frozen server, or a network that drops its packets); \
                     the connection is closed, whether the statement was applied is unknown, and \
                     the next call connects again",
                    bound.as_millis()
                ),
            ),
            Fail::Io(e) => (None, format!("no runtime for the connection: {e}")),
        }
    }
}

/// A server's address, parsed, and how errors show it.
#[derive(Clone)]
pub(crate) struct Server {
    config: Config,
    /// The address as given, which tells servers apart (the renewals of one are shared).
    key: String,
    /// The address without its password.
    shown: String,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Server {
    /// Parses a `postgresql://` URL or a `key=value` connection string. An error never
    /// repeats it: it may hold a password.
    pub(crate) fn parse(url: &str) -> Result<Server, StorageError> {
        let mut config: Config = url.parse().map_err(|_| {
            StorageError::from(StorageErrorKind::Postgres {
                doing: "reading the server's address",
                sqlstate: None,
                message: "not a PostgreSQL connection URL (postgresql://user@host:port/database) or key=value string".to_owned(),
            })
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("pyrosession");
        }
        if config.get_keepalives_idle() == CLIENT_KEEPALIVES_IDLE {
            config.keepalives_idle(KEEPALIVES_IDLE);
        }
        if config.get_keepalives_interval().is_none() {
            config.keepalives_interval(KEEPALIVES_INTERVAL);
        }
        if config.get_keepalives_retries().is_none() {
            config.keepalives_retries(KEEPALIVES_RETRIES);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        let shown = shown_address(&config);
        Ok(Server {
            config,
            key: url.to_owned(),
            shown,
        })
    }

    /// The address as given (it may hold a password: never shown).
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn place(&self) -> Place {
        Place(Some(PathBuf::from(&self.shown)))
    }

    /// A new connection, every commit of which is durable when it returns
    /// (`synchronous_commit` on, whatever the server's default), after `setup` (more `SET`s),
    /// all within the connect timeout for each host (spec/postgres.md §2); each of its later
    /// statements is bounded by `bound`.
    ///
    /// The client crate's `connect_timeout` bounds the socket's connection only: a server
    /// that accepts it and then never answers the startup (a stopped or frozen server process,
    /// whose kernel still accepts connections into its backlog, or a proxy in front of a dead
    /// one) would keep the caller waiting forever. So the connection is made within the
    /// timeout on a thread of its own, and the caller waits for it no longer than the timeout
    /// (a name that takes the system's resolver longer keeps only that thread, which ends with
    /// the resolver).
    pub(crate) fn connect(
        &self,
        place: &Place,
        bound: Duration,
        setup: &str,
    ) -> Result<Conn, StorageError> {
        let config = self.config.clone();
        let hosts = u32::try_from(self.config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
        let timeout = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_TIMEOUT)
            .saturating_mul(hosts);
        let setup = format!("SET synchronous_commit TO on; {setup}");
        let (sent, answer) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("pyrosession-pg-connect".to_owned())
            .spawn(move || {
                // The caller may have stopped waiting: the connection is then dropped, and closed.
                let _ = sent.send(Conn::connect(&config, timeout, &setup));
            });
        let failed = |message: String| {
            place.error(StorageErrorKind::Postgres {
                doing: "connecting to the server",
                sqlstate: None,
                message,
            })
        };
        if let Err(e) = spawned {
            return Err(failed(format!("no thread to connect on: {e}")));
        }
        let timed_out = || {
            failed(format!(
                "the server did not complete the connection within {} ms (connect_timeout): it \
                 accepted it and then did not answer; a stopped or overloaded server, or a proxy \
                 in front of one",
                timeout.as_millis()
            ))
        };
        match answer.recv_timeout(timeout) {
            Ok(Ok(mut conn)) => {
                conn.set_bound(bound);
                Ok(conn)
            }
            Ok(Err(Fail::Timeout(_))) | Err(_) => Err(timed_out()),
            Ok(Err(e)) => Err(pg_error(place, "connecting to the server", &e)),
        }
    }
}

/// The address as errors show it: user, hosts, ports and database, never the password.
fn shown_address(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let mut out = String::from("postgresql://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        out.push('@');
    }
    let ports = config.get_ports();
    for (i, host) in config.get_hosts().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match host {
            Host::Tcp(h) => out.push_str(h),
            #[cfg(unix)]
            Host::Unix(p) => out.push_str(&p.to_string_lossy()),
        }
        if let Some(port) = ports.get(i).or(ports.first()) {
            out.push(':');
            out.push_str(&port.to_string());
        }
    }
    out.push('/');
    if let Some(db) = config.get_dbname() {
        out.push_str(db);
    }
    crate::escape::one_line(&out).into_owned()
}

/// A connection of a [`PgStorage`] (spec/postgres.md §5.3): the server ends a transaction of
/// it that stays idle for the lease's ttl (`idle_in_transaction_session_timeout`), so that a
/// holder paused or cut off between the fence and the commit of a write, whose transaction
/// holds the session's row lock, cannot keep the next holder waiting past its lease. Its
/// statements are planned generically (`plan_cache_mode`, spec/postgres.md §4.3): a lookup
/// then uses its index whatever the table's statistics say of the session's name. Each of its
/// statements is bounded by the options' [`LeaseOptions::statement_bound`] (spec/postgres.md
/// §2, *Bounds*).
pub(crate) fn storage_connection(
    server: &Server,
    place: &Place,
    options: &LeaseOptions,
) -> Result<Conn, StorageError> {
    let ms = options.ttl.as_millis().clamp(1, i32::MAX as u128);
    server.connect(
        place,
        options.statement_bound(),
        &format!(
            "SET idle_in_transaction_session_timeout TO {ms}; SET plan_cache_mode TO force_generic_plan"
        ),
    )
}

/// Checks a session name (spec/postgres.md §2): 1 to 255 bytes, no control character.
pub(crate) fn check_name(name: &str) -> Result<(), StorageError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_BYTES {
        "it is longer than 255 bytes"
    } else if name.chars().any(char::is_control) {
        "it holds a control character"
    } else {
        return Ok(());
    };
    Err(StorageError::from(StorageErrorKind::InvalidAccountName {
        reason,
    }))
}

/// Refuses a text with a NUL character, which PostgreSQL's `text` cannot hold, or longer than
/// [`MAX_TEXT_BYTES`], which its index cannot.
fn storable(text: Option<&str>, column: &'static str) -> Result<(), StorageError> {
    let Some(text) = text else { return Ok(()) };
    if text.contains('\0') {
        return Err(StorageError::from(StorageErrorKind::NulCharacter {
            column,
        }));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(StorageError::from(StorageErrorKind::TextTooLong {
            column,
            bytes: text.len(),
            max: MAX_TEXT_BYTES,
        }));
    }
    Ok(())
}

/// A column of a row read from the database, as a typed error where it holds what this
/// engine never writes (another program's row, or a column whose type was changed).
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    column: &'static str,
    expected: &'static str,
) -> Result<T, StorageError> {
    row.try_get(index).map_err(|_| {
        let found = if matches!(row.try_get::<_, Option<T>>(index), Ok(None)) {
            "NULL".to_owned()
        } else {
            format!(
                "a value of type {}",
                row.columns()
                    .get(index)
                    .map_or("unknown", |c| c.type_().name())
            )
        };
        StorageError::from(StorageErrorKind::InvalidValue {
            column,
            expected,
            found,
        })
    })
}

/// The session fields of a `pyrosession_sessions` row read as `dc_id, api_id, test_mode,
/// auth_key, date, user_id, is_bot` from column `first` (spec/postgres.md §4).
fn session_fields(row: &Row, first: usize) -> Result<SessionFields, StorageError> {
    let key: Option<&[u8]> = get(
        row,
        first + 3,
        "pyrosession_sessions.auth_key",
        "a bytea of 256 bytes",
    )?;
    let auth_key = match key {
        None => None,
        Some(bytes) => Some(AuthKey::from_slice(bytes).map_err(|e| {
            StorageError::from(StorageErrorKind::InvalidValue {
                column: "pyrosession_sessions.auth_key",
                expected: "a bytea of 256 bytes",
                found: format!("a bytea of {} bytes", e.found),
            })
        })?),
    };
    Ok(SessionFields {
        dc_id: get(row, first, "pyrosession_sessions.dc_id", "a bigint")?,
        api_id: get(
            row,
            first + 1,
            "pyrosession_sessions.api_id",
            "a bigint or NULL",
        )?,
        test_mode: get(
            row,
            first + 2,
            "pyrosession_sessions.test_mode",
            "a boolean or NULL",
        )?,
        auth_key,
        date: get(row, first + 4, "pyrosession_sessions.date", "a bigint")?,
        user_id: get(
            row,
            first + 5,
            "pyrosession_sessions.user_id",
            "a bigint or NULL",
        )?,
        is_bot: get(
            row,
            first + 6,
            "pyrosession_sessions.is_bot",
            "a boolean or NULL",
        )?,
        server_address: None,
        port: None,
    })
}

/// A peer type as stored: one of the texts of spec/storage.md §6.1.
fn peer_type(id: i64, text: &str) -> Result<PeerType, StorageError> {
    text.parse().map_err(|_| {
        StorageError::from(StorageErrorKind::UnknownPeerType {
            id,
            found: super::error::shown_name(text),
        })
    })
}

/// A `pyrosession_peers` row read as `id, access_hash, type, username, phone_number,
/// last_update_on`.
fn stored_peer(row: &Row) -> Result<StoredPeer, StorageError> {
    let id: i64 = get(row, 0, "pyrosession_peers.id", "a bigint")?;
    let type_text: &str = get(row, 2, "pyrosession_peers.type", "the text of a peer type")?;
    Ok(StoredPeer {
        peer: Peer {
            id,
            access_hash: get(row, 1, "pyrosession_peers.access_hash", "a bigint or NULL")?,
            peer_type: peer_type(id, type_text)?,
            username: get(row, 3, "pyrosession_peers.username", "text or NULL")?,
            phone_number: get(row, 4, "pyrosession_peers.phone_number", "text or NULL")?,
        },
        usernames: Vec::new(),
        last_update_on: get(row, 5, "pyrosession_peers.last_update_on", "a bigint")?,
    })
}

/// The peer columns in the order [`stored_peer`] reads them.
const PEER_COLUMNS: &str = "id, access_hash, type, username, phone_number, last_update_on";

/// A batch reduced to the last occurrence of each id (ON CONFLICT may not touch a row twice in
/// one statement), in the batch's order of those last occurrences, as the columns of
/// [`UPSERT_PEERS`]'s arrays, each dated by `date` (called with the peer's index).
struct Columns<'a> {
    ids: Vec<i64>,
    hashes: Vec<Option<i64>>,
    types: Vec<&'a str>,
    usernames: Vec<Option<&'a str>>,
    phones: Vec<Option<&'a str>>,
    dates: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn new(peers: &'a [Peer], date: impl Fn(usize) -> i64) -> Columns<'a> {
        let mut last = HashMap::with_capacity(peers.len());
        for (i, p) in peers.iter().enumerate() {
            last.insert(p.id, i);
        }
        let n = last.len();
        let mut c = Columns {
            ids: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            usernames: Vec::with_capacity(n),
            phones: Vec::with_capacity(n),
            dates: Vec::with_capacity(n),
        };
        for (i, p) in peers.iter().enumerate() {
            if last.get(&p.id) != Some(&i) {
                continue;
            }
            c.ids.push(p.id);
            c.hashes.push(p.access_hash);
            c.types.push(p.peer_type.as_str());
            c.usernames.push(p.username.as_deref());
            c.phones.push(p.phone_number.as_deref());
            c.dates.push(date(i));
        }
        c
    }
}

/// The deletion of a session's peers, `$1` its name (spec/postgres.md §4.4): the schema has no
/// foreign key since version 3, so every deletion of a session runs this after deleting the
/// session's row, in the same transaction (under `READ COMMITTED`), never before it: the
/// session's DELETE waits for the row lock of a fenced upsert under way, and this statement's
/// snapshot, taken after, then sees that upsert's rows. Run first, it could miss the rows of
/// an upsert that commits between the two statements and leave them without their session.
pub const DELETE_PEERS: &str = "DELETE FROM pyrosession_peers WHERE session = $1";

/// The upsert of a batch (spec/postgres.md §4.2), its rows from `$3`…`$8`.
const UPSERT_PEERS: &str = "INSERT INTO pyrosession_peers (session, id, access_hash, type, username, phone_number, last_update_on) \
     SELECT $1, u.* FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u";

/// The upsert's conflict clause: every row replaced whole.
const UPSERT_CONFLICT: &str = "ON CONFLICT (session, id) DO UPDATE SET access_hash = EXCLUDED.access_hash, type = EXCLUDED.type, \
     username = EXCLUDED.username, phone_number = EXCLUDED.phone_number, last_update_on = EXCLUDED.last_update_on";

/// Caches peers in the transaction `tx`, unfenced (the fleet's import of a new session):
/// `$2` is unused.
fn upsert_peers(
    tx: &mut Tx<'_>,
    name: &str,
    peers: &[Peer],
    date: impl Fn(usize) -> i64,
) -> Result<(), Fail> {
    if peers.is_empty() {
        return Ok(());
    }
    let c = Columns::new(peers, date);
    tx.execute(
        &format!("{UPSERT_PEERS} WHERE $2::bigint IS NULL {UPSERT_CONFLICT}"),
        &[
            &name,
            &None::<i64>,
            &c.ids,
            &c.hashes,
            &c.types,
            &c.usernames,
            &c.phones,
            &c.dates,
        ],
    )
    .map(drop)
}

/// Refuses a batch before anything is written (spec/storage.md §6.4 step 1, spec/postgres.md
/// §4.2): a kurigram-only peer type, as a `pyrogram v3` file refuses it, or a NUL character.
fn check_batch(peers: &[Peer]) -> Result<(), StorageError> {
    if let Some(p) = peers.iter().find(|p| !p.peer_type.is_pyrogram()) {
        return Err(StorageError::from(StorageErrorKind::UnsupportedWrite {
            dialect: Dialect::Pyrogram(3),
            what: format!("cache peer {} of type {}", p.id, p.peer_type),
        }));
    }
    for p in peers {
        storable(p.username.as_deref(), "pyrosession_peers.username")?;
        storable(p.phone_number.as_deref(), "pyrosession_peers.phone_number")?;
    }
    Ok(())
}

/// The condition every write of a [`PgStorage`] runs under, in the same statement or
/// transaction (spec/postgres.md §5.3): `$1` the name, `$2` the storage's fencing token,
/// `$nonce` its take's nonce.
fn fence(nonce: u8) -> String {
    format!("name = $1 AND lease_token = $2 AND lease_nonce = ${nonce} AND lease_holder IS NOT NULL AND lease_expires > clock_timestamp()")
}

/// `update_peers` in one statement, so one round trip (spec/postgres.md §4.2): the fence locks
/// the session's row (`FOR SHARE`, re-checked on the row's newest version where a taker changed
/// it meanwhile), the batch is written only where it held, and the statement returns how many
/// rows the fence found (1, or 0 when the lease is no longer this storage's and nothing was
/// written).
fn fenced_upsert() -> String {
    let fence = fence(9);
    format!(
        "WITH fence AS MATERIALIZED (SELECT 1 FROM pyrosession_sessions WHERE {fence} FOR SHARE), \
         upserted AS ({UPSERT_PEERS} WHERE EXISTS (SELECT 1 FROM fence) {UPSERT_CONFLICT}) \
         SELECT count(*) FROM fence"
    )
}

/// Where a [`PgStorage`]'s lease stands, readable while the storage is busy
/// ([`PgStorage::lease_watch`]); after the storage is closed it reads as the lease was last
/// known.
#[derive(Clone)]
pub struct LeaseWatch(Arc<Mutex<LeaseState>>);

impl LeaseWatch {
    /// What [`PgStorage::lease`] answers.
    #[must_use]
    pub fn info(&self) -> LeaseInfo {
        locked(&self.0).info()
    }
}

impl fmt::Debug for LeaseWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LeaseWatch").field(&self.info()).finish()
    }
}

/// One account's session in a PostgreSQL database, opened under a lease (spec/postgres.md):
/// while it is open no other [`PgStorage`], on any machine, has the session, and every write
/// is applied only while this storage's lease is still its own.
///
/// Every write commits before it returns. Reads take no lease.
pub struct PgStorage {
    name: String,
    server: Server,
    place: Place,
    /// The connection (`None` once handed back to the pool it came from).
    client: Mutex<Option<Conn>>,
    /// The pool of the [`PgFleet`] the storage was opened from, which gets its connection back
    /// when it is closed.
    home: Option<Pool>,
    /// The statements, prepared once on the current connection (emptied when it is
    /// replaced): a lookup is then one round trip, not a parse and an execution.
    prepared: Mutex<HashMap<String, Statement>>,
    clock: Arc<dyn Clock>,
    options: LeaseOptions,
    state: Arc<Mutex<LeaseState>>,
    renewal: Option<Renewal>,
    /// Whether the lease was let go (closed or deleted): `Drop` then does nothing.
    done: bool,
}

impl fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStorage")
            .field("server", &self.server)
            .field("name", &self.name)
            .field("lease", &self.lease())
            .finish_non_exhaustive()
    }
}

pub(crate) fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PgStorage {
    /// Connects, migrates the schema if needed (spec/postgres.md §3), creates the session if
    /// absent (empty, as the file engine's new file: `dc_id` 2, `date` 0, the rest NULL), and
    /// takes its lease, waiting up to `options.wait` for another holder's to end
    /// (spec/postgres.md §5). The lease is then renewed every `ttl / 3` until the storage is
    /// closed, by a thread this process keeps for the server, which renews all the leases the
    /// process holds there in one statement a round, on a connection of its own (§5.2).
    ///
    /// # Errors
    /// `LeaseHeld` when another holder keeps the lease past the wait; `InvalidAccountName`;
    /// `Postgres` when the server fails or cannot be reached; `NewerServerSchema`.
    pub fn open(url: &str, name: &str, options: &LeaseOptions) -> Result<PgStorage, StorageError> {
        let server = Server::parse(url)?;
        check_name(name)?;
        let place = Place::account(&server.shown, name);
        lease::check_options(options).map_err(|kind| place.error(kind))?;
        let mut client = storage_connection(&server, &place, options)?;
        schema::migrate(&mut client, &place)?;
        PgStorage::take(server, place, client, None, name, options)
    }

    /// Takes the lease on `client`, a connection of a migrated database whose
    /// `idle_in_transaction_session_timeout` is `options.ttl`, and starts the renewal.
    pub(crate) fn take(
        server: Server,
        place: Place,
        mut client: Conn,
        home: Option<Pool>,
        name: &str,
        options: &LeaseOptions,
    ) -> Result<PgStorage, StorageError> {
        let state = match lease::take(&mut client, &place, name, options) {
            Ok(state) => state,
            Err(e) => {
                if let Some(home) = &home {
                    home.put(client, options.ttl);
                }
                return Err(e);
            }
        };
        let lease = (state.token, state.nonce);
        let state = Arc::new(Mutex::new(state));
        let renewal = match Renewal::start(&server, &place, name, options.ttl, Arc::clone(&state)) {
            Ok(r) => r,
            Err(e) => {
                let _ = lease::release(&mut client, &place, name, lease);
                return Err(e);
            }
        };
        Ok(PgStorage {
            name: name.to_owned(),
            server,
            place,
            client: Mutex::new(Some(client)),
            home,
            prepared: Mutex::new(HashMap::new()),
            clock: Arc::new(SystemClock),
            options: options.clone(),
            state,
            renewal: Some(renewal),
            done: false,
        })
    }

    /// The session's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lease as this storage last saw it: its fencing token, holder and time left (from
    /// the server's answer at the last take or renewal, counted down by this machine's
    /// monotonic clock from when that request was sent, so never more than the server's).
    #[must_use]
    pub fn lease(&self) -> LeaseInfo {
        locked(&self.state).info()
    }

    /// A handle that reads this storage's lease as [`PgStorage::lease`] does, without the
    /// storage itself: a caller that keeps the storage behind a lock (a binding that runs a
    /// long write on another thread) can still say where the lease stands at once.
    #[must_use]
    pub fn lease_watch(&self) -> LeaseWatch {
        LeaseWatch(Arc::clone(&self.state))
    }

    /// Renews the lease now: its expiry becomes the server's now plus the ttl. Renewing
    /// succeeds while the lease's token is still this storage's, even past its expiry if no
    /// other holder took it in between (spec/postgres.md §5.2).
    ///
    /// # Errors
    /// `LeaseLost` when another holder took it, or it was released or the session deleted.
    pub fn renew(&mut self) -> Result<LeaseInfo, StorageError> {
        let (lease, ttl) = (self.token(), self.options.ttl);
        let sent = Instant::now();
        let left =
            self.with_client(|client, place| lease::renew(client, place, &self.name, lease, ttl))?;
        match left {
            Some(left) => {
                let mut state = locked(&self.state);
                state.expires_at = sent + left;
                state.lost = false;
                Ok(state.info())
            }
            None => Err(self.lost()),
        }
    }

    /// Stops the background renewal: the lease then ends `ttl` after its last renewal unless
    /// [`PgStorage::renew`] is called. For callers that renew on their own schedule, and for
    /// tests of expiry.
    pub fn stop_renewal(&mut self) {
        if let Some(r) = self.renewal.take() {
            r.stop();
        }
    }

    /// Replaces the clock that dates saves and peers and ages usernames (leases use the
    /// server's clock, never this one).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Every cached peer, by id.
    ///
    /// # Errors
    /// The server fails, or a row holds what this engine never writes.
    pub fn peers(&self) -> Result<Vec<StoredPeer>, StorageError> {
        let name = self.name.clone();
        self.with_client(|client, place| read_peers(client, place, &name))
    }

    /// Runs `f` on the connection, first connecting again if the last one was closed (the
    /// server restarted, the connection cut): a call that failed on a closed connection is
    /// not retried, the next call connects anew.
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut Conn, &Place) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut guard = locked(&self.client);
        let client = match &mut *guard {
            Some(c) if !c.is_closed() => c,
            slot => {
                locked(&self.prepared).clear();
                slot.insert(storage_connection(
                    &self.server,
                    &self.place,
                    &self.options,
                )?)
            }
        };
        f(client, &self.place)
    }

    /// Why a fenced write changed nothing: the lease is another's, expired or released
    /// (`LeaseLost`), as the server says now. Marks the lease lost.
    fn lost(&self) -> StorageError {
        let (token, nonce) = {
            let mut state = locked(&self.state);
            state.lost = true;
            (state.token, state.nonce)
        };
        let holder = self
            .with_client(|client, place| lease::current(client, place, &self.name))
            .ok()
            .flatten()
            .and_then(|now| {
                ((now.token, now.nonce) != (token, nonce) && now.remaining > Duration::ZERO)
                    .then_some(now.holder)
            });
        self.place
            .error(StorageErrorKind::LeaseLost { token, holder })
    }

    /// The lease's token and nonce, as the fence checks them.
    fn token(&self) -> (i64, i64) {
        let state = locked(&self.state);
        (state.token, state.nonce)
    }

    /// Sets one column of the session row, fenced.
    fn set(
        &mut self,
        column: &'static str,
        value: &(dyn ToSql + Sync),
    ) -> Result<(), StorageError> {
        let (token, nonce) = self.token();
        let sql = format!(
            "UPDATE pyrosession_sessions SET {column} = $3 WHERE {}",
            fence(4)
        );
        let n = self.with_client(|client, place| {
            let pg = |e: Fail| pg_error(place, "writing the session", &e);
            let statement = self.statement(client, &sql).map_err(pg)?;
            client
                .execute(&statement, &[&self.name, &token, value, &nonce])
                .map_err(pg)
        })?;
        if n == 1 {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    /// The first row a lookup finds, or `None`.
    fn lookup(
        &self,
        sql: &'static str,
        key: &(dyn ToSql + Sync),
    ) -> Result<Option<Row>, StorageError> {
        self.with_client(|client, place| {
            let pg = |e: Fail| pg_error(place, "looking up a peer", &e);
            let statement = self.statement(client, sql).map_err(pg)?;
            client.query_opt(&statement, &[&self.name, key]).map_err(pg)
        })
    }

    /// `sql` prepared on the current connection, once (the cache is emptied when the
    /// connection is replaced): each later call is then one round trip, not a parse and an
    /// execution.
    fn statement(&self, client: &mut Conn, sql: &str) -> Result<Statement, Fail> {
        if let Some(s) = locked(&self.prepared).get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        locked(&self.prepared).insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Releases the lease if it is still this storage's, and stops the renewal.
    fn release(&mut self) -> Result<(), StorageError> {
        self.stop_renewal();
        if self.done {
            return Ok(());
        }
        self.done = true;
        let lease = self.token();
        let released =
            self.with_client(|client, place| lease::release(client, place, &self.name, lease));
        if let (Ok(()), Some(home)) = (&released, &self.home) {
            locked(&self.prepared).clear();
            if let Some(client) = locked(&self.client).take() {
                home.put(client, self.options.ttl);
            }
        }
        released
    }
}

impl Drop for PgStorage {
    /// Releases the lease, as `close` does, where the storage was not closed; errors are
    /// dropped (the lease then ends at its expiry).
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// Every peer of a session, by id.
fn read_peers(
    client: &mut impl Queries,
    place: &Place,
    name: &str,
) -> Result<Vec<StoredPeer>, StorageError> {
    let sql =
        format!("SELECT {PEER_COLUMNS} FROM pyrosession_peers WHERE session = $1 ORDER BY id");
    let rows = client
        .query(sql.as_str(), &[&name])
        .map_err(|e| pg_error(place, "listing peers", &e))?;
    rows.iter()
        .map(|r| stored_peer(r).map_err(|e| at(e, place)))
        .collect()
}

/// Names the session in an error about what a row holds.
fn at(e: StorageError, place: &Place) -> StorageError {
    use super::Named as _;
    e.at(place.0.as_deref())
}

/// The session row of `name`, or `NoSuchAccount`.
fn read_session(
    client: &mut impl Queries,
    place: &Place,
    name: &str,
) -> Result<SessionFields, StorageError> {
    let rows = client
        .query(
            "SELECT dc_id, api_id, test_mode, auth_key, date, user_id, is_bot FROM pyrosession_sessions WHERE name = $1",
            &[&name],
        )
        .map_err(|e| pg_error(place, "reading the session", &e))?;
    match rows.as_slice() {
        [] => Err(place.error(StorageErrorKind::NoSuchAccount)),
        [row] => session_fields(row, 0).map_err(|e| at(e, place)),
        // The primary key dropped by another program: which row is the session is unknown.
        several => Err(place.error(StorageErrorKind::SessionRows {
            found: several.len(),
        })),
    }
}

/// A row found by a lookup, read and checked in spec/storage.md §6.5's order; `updated` where
/// the query has `last_update_on` (column 3).
fn found_peer(row: &Row) -> Result<(i64, Option<i64>, PeerType, Option<i64>), StorageError> {
    let updated = if row.len() > 3 {
        Some(get(row, 3, "pyrosession_peers.last_update_on", "a bigint")?)
    } else {
        None
    };
    let id: i64 = get(row, 0, "pyrosession_peers.id", "a bigint")?;
    let type_text: &str = get(row, 2, "pyrosession_peers.type", "the text of a peer type")?;
    let peer_type = peer_type(id, type_text)?;
    let access_hash = get(row, 1, "pyrosession_peers.access_hash", "a bigint or NULL")?;
    Ok((id, access_hash, peer_type, updated))
}

impl SessionStore for PgStorage {
    fn session(&self) -> Result<SessionFields, StorageError> {
        self.with_client(|client, place| read_session(client, place, &self.name))
    }

    fn set_dc_id(&mut self, dc_id: i64) -> Result<(), StorageError> {
        self.set("dc_id", &dc_id)
    }

    fn set_api_id(&mut self, api_id: Option<i64>) -> Result<(), StorageError> {
        self.set("api_id", &api_id)
    }

    fn set_test_mode(&mut self, test_mode: Option<bool>) -> Result<(), StorageError> {
        self.set("test_mode", &test_mode)
    }

    fn set_auth_key(&mut self, auth_key: Option<&AuthKey>) -> Result<(), StorageError> {
        let bytes: Option<&[u8]> = auth_key.map(|k| k.as_bytes().as_slice());
        self.set("auth_key", &bytes)
    }

    fn set_date(&mut self, date: i64) -> Result<(), StorageError> {
        self.set("date", &date)
    }

    fn set_user_id(&mut self, user_id: Option<i64>) -> Result<(), StorageError> {
        self.set("user_id", &user_id)
    }

    fn set_is_bot(&mut self, is_bot: Option<bool>) -> Result<(), StorageError> {
        self.set("is_bot", &is_bot)
    }

    fn set_session(&mut self, session: &Session) -> Result<(), StorageError> {
        let user_id = i64::try_from(session.user_id).map_err(|_| {
            StorageError::from(StorageErrorKind::UserIdOutOfRange {
                user_id: session.user_id,
            })
        })?;
        let (token, nonce) = self.token();
        let dc_id = i64::from(session.dc_id);
        let api_id = session.api_id.map(i64::from);
        let key: &[u8] = session.auth_key.as_bytes();
        let sql = format!(
            "UPDATE pyrosession_sessions SET dc_id = $3, api_id = $4, test_mode = $5, auth_key = $6, date = 0, user_id = $7, is_bot = $8 WHERE {}",
            fence(9)
        );
        let n = self.with_client(|client, place| {
            client
                .execute(
                    sql.as_str(),
                    &[
                        &self.name,
                        &token,
                        &dc_id,
                        &api_id,
                        &session.test_mode,
                        &key,
                        &user_id,
                        &session.is_bot,
                        &nonce,
                    ],
                )
                .map_err(|e| pg_error(place, "writing the session", &e))
        })?;
        if n == 1 {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    fn update_peers(&mut self, peers: &[Peer]) -> Result<(), StorageError> {
        check_batch(peers)?;
        let now = self.clock.now();
        let (token, nonce) = self.token();
        let c = Columns::new(peers, |_| now);
        let sql = fenced_upsert();
        let fenced = self.with_client(|client, place| {
            let pg = |e: Fail| pg_error(place, "caching peers", &e);
            let statement = self.statement(client, &sql).map_err(pg)?;
            let row = client
                .query_one(
                    &statement,
                    &[
                        &self.name,
                        &token,
                        &c.ids,
                        &c.hashes,
                        &c.types,
                        &c.usernames,
                        &c.phones,
                        &c.dates,
                        &nonce,
                    ],
                )
                .map_err(pg)?;
            let n: i64 = row.try_get(0).map_err(|e| pg(e.into()))?;
            Ok(n == 1)
        })?;
        if fenced {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    fn get_peer_by_id(&self, peer_id: i64) -> Result<InputPeer, StorageError> {
        let row = self
            .lookup(
                "SELECT id, access_hash, type FROM pyrosession_peers WHERE session = $1 AND id = $2",
                &peer_id,
            )?
            .ok_or_else(|| StorageError::from(StorageErrorKind::NotFound(NotFound::Id(peer_id))))?;
        let (id, hash, t, _) = found_peer(&row).map_err(|e| at(e, &self.place))?;
        super::peers::input_peer(id, hash, t).map_err(|e| at(e, &self.place))
    }

    fn get_peer_by_username(&self, username: &str) -> Result<InputPeer, StorageError> {
        let not_found = || {
            StorageError::from(StorageErrorKind::NotFound(NotFound::Username(
                username.to_owned(),
            )))
        };
        // No row can hold a NUL character.
        if username.contains('\0') {
            return Err(not_found());
        }
        let row = self
            .lookup(
                "SELECT id, access_hash, type, last_update_on FROM pyrosession_peers WHERE session = $1 AND username = $2 ORDER BY last_update_on DESC, id LIMIT 1",
                &username,
            )?
            .ok_or_else(not_found)?;
        let (id, hash, t, updated) = found_peer(&row).map_err(|e| at(e, &self.place))?;
        let age = self.clock.now().saturating_sub(updated.unwrap_or_default());
        if age.saturating_abs() > USERNAME_TTL {
            return Err(StorageError::from(StorageErrorKind::UsernameExpired {
                username: username.to_owned(),
                age,
            }));
        }
        super::peers::input_peer(id, hash, t).map_err(|e| at(e, &self.place))
    }

    fn get_peer_by_phone_number(&self, phone_number: &str) -> Result<InputPeer, StorageError> {
        let not_found = || {
            StorageError::from(StorageErrorKind::NotFound(NotFound::PhoneNumber(
                phone_number.to_owned(),
            )))
        };
        if phone_number.contains('\0') {
            return Err(not_found());
        }
        let row = self
            .lookup(
                "SELECT id, access_hash, type FROM pyrosession_peers WHERE session = $1 AND phone_number = $2 ORDER BY id LIMIT 1",
                &phone_number,
            )?
            .ok_or_else(not_found)?;
        let (id, hash, t, _) = found_peer(&row).map_err(|e| at(e, &self.place))?;
        super::peers::input_peer(id, hash, t).map_err(|e| at(e, &self.place))
    }

    fn save(&mut self) -> Result<(), StorageError> {
        let now = self.clock.now();
        self.set_date(now)
    }

    fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        PgStorage::set_clock(self, clock);
    }

    /// Releases the lease (if it is still this storage's) and closes.
    fn close(mut self) -> Result<(), StorageError> {
        self.release()
    }

    /// Deletes this session and its peers, and nothing of any other session, then closes; a
    /// lease no longer this storage's is `LeaseLost`, and nothing is deleted.
    fn delete(mut self) -> Result<(), StorageError> {
        self.stop_renewal();
        let (token, nonce) = self.token();
        let n = self.with_client(|client, place| {
            let pg = |e: Fail| pg_error(place, "deleting the session", &e);
            let mut tx = client.transaction().map_err(pg)?;
            // The session's row first: the fenced DELETE waits for the row lock (`FOR SHARE`)
            // of an upsert under way, so that the peers' DELETE, a new statement with a new
            // snapshot, sees the rows of every upsert that committed before (spec/postgres.md
            // §4.4).
            let n = tx
                .execute(
                    &format!("DELETE FROM pyrosession_sessions WHERE {}", fence(3)),
                    &[&self.name, &token, &nonce],
                )
                .map_err(pg)?;
            if n == 1 {
                tx.execute(DELETE_PEERS, &[&self.name]).map_err(pg)?;
            }
            tx.commit().map_err(pg)?;
            Ok(n)
        })?;
        if n == 1 {
            self.done = true;
            Ok(())
        } else {
            let e = self.lost();
            self.done = true;
            Err(e)
        }
    }
}
