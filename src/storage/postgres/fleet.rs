//! A connection without a lease: listing the accounts, importing and reading whole sessions
//! (spec/postgres.md §6).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::conn::{Conn, Fail, Queries};

use super::lease::{check_options, LeaseInfo, LeaseOptions};
use super::{
    at, check_batch, check_name, get, locked, pg_error, read_peers, read_session, session_fields,
    storage_connection, upsert_peers, PgStorage, Place, Server, FLEET_STATEMENT_TIMEOUT,
};
use crate::peer::Peer;
use crate::storage::{Dialect, SessionFields, StorageError, StorageErrorKind, StoredPeer};
use crate::AuthKeyId;

/// One account as `fleet ls` lists it: its session fields but the key, which only its
/// `auth_key_id` stands for, how many peers it caches, and its lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// The session's name.
    pub name: String,
    /// `dc_id`.
    pub dc_id: i64,
    /// `api_id`.
    pub api_id: Option<i64>,
    /// `test_mode`.
    pub test_mode: Option<bool>,
    /// `user_id`.
    pub user_id: Option<i64>,
    /// `is_bot`.
    pub is_bot: Option<bool>,
    /// `date`.
    pub date: i64,
    /// How many peers it caches.
    pub peers: u64,
    /// The key's `auth_key_id`, where a key is set (never the key).
    pub auth_key_id: Option<AuthKeyId>,
    /// The lease, where one is held and not expired.
    pub lease: Option<LeaseInfo>,
}

/// The most idle connections a [`PgFleet`]'s pool keeps; more are closed when handed back.
pub const POOL_IDLE_MAX: usize = 16;

/// The idle connections of a [`PgFleet`], shared with the storages it opened, which hand theirs
/// back when closed: each with the ttl its `idle_in_transaction_session_timeout` was set to.
#[derive(Clone, Default)]
pub(crate) struct Pool(Arc<Mutex<Vec<(Conn, Duration)>>>);

impl Pool {
    /// An idle connection, its timeout set to the options' ttl and its statements' bound to
    /// theirs, or a new one.
    fn get(
        &self,
        server: &Server,
        place: &Place,
        options: &LeaseOptions,
    ) -> Result<Conn, StorageError> {
        let ttl = options.ttl;
        loop {
            let Some((mut client, set)) = locked(&self.0).pop() else {
                return storage_connection(server, place, options);
            };
            if client.is_closed() {
                continue;
            }
            client.set_bound(options.statement_bound());
            if set != ttl {
                let ms = ttl.as_millis().clamp(1, i32::MAX as u128);
                if client
                    .batch_execute(&format!("SET idle_in_transaction_session_timeout TO {ms}"))
                    .is_err()
                {
                    continue;
                }
            }
            return Ok(client);
        }
    }

    /// Takes back a connection, open and out of any transaction, unless the pool is full.
    pub(crate) fn put(&self, client: Conn, ttl: Duration) {
        if client.is_closed() {
            return;
        }
        let mut idle = locked(&self.0);
        if idle.len() < POOL_IDLE_MAX {
            idle.push((client, ttl));
        }
    }

    /// How many connections are idle in the pool.
    fn idle(&self) -> usize {
        locked(&self.0).len()
    }
}

/// A connection to a database of sessions, without a lease (spec/postgres.md §6): what it
/// reads may change under it, and it writes only new sessions. It also opens sessions under a
/// lease ([`PgFleet::open_session`]) on connections of its pool, which they hand back when
/// closed.
pub struct PgFleet {
    server: Server,
    place: Place,
    client: Conn,
    pool: Pool,
    /// The bound of each statement of `client`.
    bound: Duration,
}

impl fmt::Debug for PgFleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgFleet")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl PgFleet {
    /// Connects and migrates the schema if needed (spec/postgres.md §3).
    ///
    /// # Errors
    /// `Postgres` when the server fails or cannot be reached; `NewerServerSchema`.
    pub fn connect(url: &str) -> Result<PgFleet, StorageError> {
        let server = Server::parse(url)?;
        let place = server.place();
        let mut client = server.connect(&place, FLEET_STATEMENT_TIMEOUT, "")?;
        super::schema::migrate(&mut client, &place)?;
        Ok(PgFleet {
            server,
            place,
            client,
            pool: Pool::default(),
            bound: FLEET_STATEMENT_TIMEOUT,
        })
    }

    /// Sets how long each later statement of the fleet's own connection ([`PgFleet::accounts`],
    /// [`PgFleet::import`], [`PgFleet::read`]) may take before it fails (`Postgres`, the server
    /// did not answer) and the connection is closed: [`FLEET_STATEMENT_TIMEOUT`] until set
    /// (spec/postgres.md §2, *Bounds*). The storages of [`PgFleet::open_session`] take theirs
    /// from their [`LeaseOptions`]. A zero bound is taken as 1 ms.
    pub fn set_statement_timeout(&mut self, bound: Duration) {
        self.bound = bound.max(Duration::from_millis(1));
        self.client.set_bound(self.bound);
    }

    /// [`PgStorage::open`] without a new connection or a migration: the session's lease is
    /// taken on an idle connection of this fleet's pool (a new one where none is idle), which
    /// the storage hands back when it is closed or dropped after releasing its lease (at most
    /// [`POOL_IDLE_MAX`] are kept idle). The storage is the same as `open`'s, and outlives the
    /// fleet if need be.
    ///
    /// # Errors
    /// As [`PgStorage::open`].
    pub fn open_session(
        &self,
        name: &str,
        options: &LeaseOptions,
    ) -> Result<PgStorage, StorageError> {
        check_name(name)?;
        let place = Place::account(&self.server.shown, name);
        check_options(options).map_err(|kind| place.error(kind))?;
        let client = self.pool.get(&self.server, &place, options)?;
        PgStorage::take(
            self.server.clone(),
            place,
            client,
            Some(self.pool.clone()),
            name,
            options,
        )
    }

    /// How many connections are idle in the pool of [`PgFleet::open_session`].
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.pool.idle()
    }

    /// The connection, connected again if it was closed.
    fn client(&mut self) -> Result<&mut Conn, StorageError> {
        if self.client.is_closed() {
            self.client = self.server.connect(&self.place, self.bound, "")?;
        }
        Ok(&mut self.client)
    }

    /// The name of every account, in order: the names alone, so that a row holding what this
    /// engine never writes (which [`PgFleet::accounts`] refuses) spoils no other account's
    /// export (spec/postgres.md §6).
    ///
    /// # Errors
    /// The server fails.
    pub fn names(&mut self) -> Result<Vec<String>, StorageError> {
        let place = self.place.clone();
        let rows = self
            .client()?
            .query("SELECT name FROM pyrosession_sessions ORDER BY name", &[])
            .map_err(|e| pg_error(&place, "listing the sessions", &e))?;
        rows.iter()
            .map(|row| get(row, 0, "pyrosession_sessions.name", "text").map_err(|e| at(e, &place)))
            .collect()
    }

    /// Every account, by name.
    ///
    /// # Errors
    /// The server fails, or a row holds what this engine never writes (the error names the
    /// account).
    pub fn accounts(&mut self) -> Result<Vec<AccountSummary>, StorageError> {
        let place = self.place.clone();
        let rows = self
            .client()?
            .query(
                "SELECT s.dc_id, s.api_id, s.test_mode, s.auth_key, s.date, s.user_id, s.is_bot, s.name, \
                 (SELECT count(*) FROM pyrosession_peers p WHERE p.session = s.name), \
                 s.lease_token, s.lease_holder, \
                 (EXTRACT(EPOCH FROM s.lease_expires) - EXTRACT(EPOCH FROM clock_timestamp()))::float8 \
                 FROM pyrosession_sessions s ORDER BY s.name",
                &[],
            )
            .map_err(|e| pg_error(&place, "listing the sessions", &e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = get(row, 7, "pyrosession_sessions.name", "text")?;
            let account = Place::account(&self.server.shown, &name);
            let fields = session_fields(row, 0).map_err(|e| at(e, &account))?;
            let peers: i64 = get(row, 8, "count(*)", "a bigint")?;
            let token: i64 = get(row, 9, "pyrosession_sessions.lease_token", "a bigint")
                .map_err(|e| at(e, &account))?;
            let holder: Option<String> =
                get(row, 10, "pyrosession_sessions.lease_holder", "text or NULL")
                    .map_err(|e| at(e, &account))?;
            let secs: Option<f64> = get(row, 11, "lease_expires", "a timestamptz or NULL")?;
            let left = secs
                .filter(|s| *s > 0.0)
                .map(|s| Duration::from_secs_f64(s.min(1e12)));
            out.push(AccountSummary {
                name,
                dc_id: fields.dc_id,
                api_id: fields.api_id,
                test_mode: fields.test_mode,
                user_id: fields.user_id,
                is_bot: fields.is_bot,
                date: fields.date,
                peers: u64::try_from(peers).unwrap_or_default(),
                auth_key_id: fields.auth_key.as_ref().map(crate::AuthKey::id),
                lease: holder.zip(left).map(|(holder, expires_in)| LeaseInfo {
                    token,
                    holder,
                    expires_in,
                }),
            });
        }
        Ok(out)
    }

    /// A whole session and its peers, dated now by the system clock, in one transaction;
    /// `AlreadyExists` if the name is taken (spec/postgres.md §6).
    ///
    /// # Errors
    /// `AlreadyExists`, `InvalidAccountName`, `UnsupportedWrite` (kurigram's peer types, or its
    /// `server_address` and `port`, which this engine does not keep), `NulCharacter`,
    /// `Postgres`.
    pub fn import(
        &mut self,
        name: &str,
        fields: &SessionFields,
        peers: &[Peer],
    ) -> Result<(), StorageError> {
        use crate::storage::Clock as _;
        let now = crate::storage::SystemClock.now();
        self.insert(name, fields, peers, |_| now)
    }

    /// [`PgFleet::import`] keeping each peer's `last_update_on`, as a file's peers carry it.
    ///
    /// # Errors
    /// As [`PgFleet::import`].
    pub fn import_stored(
        &mut self,
        name: &str,
        fields: &SessionFields,
        peers: &[StoredPeer],
    ) -> Result<(), StorageError> {
        let plain: Vec<Peer> = peers.iter().map(|p| p.peer.clone()).collect();
        self.insert(name, fields, &plain, |i| peers[i].last_update_on)
    }

    fn insert(
        &mut self,
        name: &str,
        fields: &SessionFields,
        peers: &[Peer],
        date: impl Fn(usize) -> i64,
    ) -> Result<(), StorageError> {
        check_name(name)?;
        let place = Place::account(&self.server.shown, name);
        if fields.server_address.is_some() || fields.port.is_some() {
            return Err(place.error(StorageErrorKind::UnsupportedWrite {
                dialect: Dialect::Pyrogram(3),
                what: "import kurigram's server_address and port (this engine keeps Pyrogram's session fields)".to_owned(),
            }));
        }
        check_batch(peers).map_err(|e| at(e, &place))?;
        let key: Option<&[u8]> = fields.auth_key.as_ref().map(|k| k.as_bytes().as_slice());
        let pg = |e: Fail| pg_error(&place, "importing the session", &e);
        let client = self.client()?;
        let mut tx = client.transaction().map_err(pg)?;
        let inserted = tx
            .execute(
                "INSERT INTO pyrosession_sessions (name, dc_id, api_id, test_mode, auth_key, date, user_id, is_bot) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING",
                &[
                    &name,
                    &fields.dc_id,
                    &fields.api_id,
                    &fields.test_mode,
                    &key,
                    &fields.date,
                    &fields.user_id,
                    &fields.is_bot,
                ],
            )
            .map_err(pg)?;
        if inserted == 0 {
            return Err(place.error(StorageErrorKind::AlreadyExists));
        }
        upsert_peers(&mut tx, name, peers, date).map_err(pg)?;
        tx.commit().map_err(pg)
    }

    /// The session fields and every peer of one account, by id, read in one snapshot; no lease
    /// needed. `NoSuchAccount` when there is none.
    ///
    /// # Errors
    /// `NoSuchAccount`, `Postgres`, or a row that holds what this engine never writes.
    pub fn read(&mut self, name: &str) -> Result<(SessionFields, Vec<Peer>), StorageError> {
        let (fields, peers) = self.read_stored(name)?;
        Ok((fields, peers.into_iter().map(|p| p.peer).collect()))
    }

    /// [`PgFleet::read`] with each peer's `last_update_on`.
    ///
    /// # Errors
    /// As [`PgFleet::read`].
    pub fn read_stored(
        &mut self,
        name: &str,
    ) -> Result<(SessionFields, Vec<StoredPeer>), StorageError> {
        let place = Place::account(&self.server.shown, name);
        let pg = |e: Fail| pg_error(&place, "reading the session", &e);
        let client = self.client()?;
        let mut tx = client.snapshot().map_err(pg)?;
        let fields = read_session(&mut tx, &place, name)?;
        let peers = read_peers(&mut tx, &place, name)?;
        tx.commit().map_err(pg)?;
        Ok((fields, peers))
    }
}
