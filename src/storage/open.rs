//! Creating and opening storages (spec/storage.md §2–§5).
//!
//! An existing file is first examined read-only: what it is, its dialect and version, its
//! `version` and `sessions` rows. Only a file that passes is opened for writing (and migrated),
//! so an open that fails never changes the file (apart from rolling back a hot journal beside
//! it, which any SQLite reader must do first).

use crate::storage::{Named as _, StorageErrorKind};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::fields::read_fields;
use super::schema::{self, Dialect, Shape};
use super::{Engine, FileState, ReadOnly, ReadOnlyCause, Storage, StorageError, SystemClock};
use crate::string::decode_compat;

/// The first 16 bytes of every SQLite database file (SQLite's file format, §1.3).
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What a file's first bytes say of it as a database: `None` where they are not SQLite's
/// header, else whether the header says WAL mode (byte 18 or 19, the write and read versions,
/// 2 or more: SQLite uses the WAL when the read version is 2, whatever the write version
/// says). A header cut short after the magic says no WAL. The one place the magic is read.
#[must_use]
pub(crate) fn sqlite_header(head: &[u8]) -> Option<bool> {
    head.starts_with(SQLITE_MAGIC)
        .then(|| head.len() >= 20 && (head[18] >= 2 || head[19] >= 2))
}

/// Whether the first bytes of a file or text begin, after any ASCII white space, with `{`, as a
/// JSON session does (spec/storage.md §4 step 5, spec/conversions.md §3.1 rule 1). The one place
/// the rule is; the caller chooses how many bytes to look at.
#[must_use]
pub(crate) fn begins_like_json(head: &[u8]) -> bool {
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Whether a JSON object is a Pyrogram ≤ 0.14 JSON session: it has `dc_id` and `auth_key`
/// (spec/conversions.md §3.1 rule 1, spec/storage.md §4 step 5). The one place the rule is.
#[must_use]
pub(crate) fn is_json_session(map: &serde_json::Map<String, serde_json::Value>) -> bool {
    map.contains_key("dc_id") && map.contains_key("auth_key")
}

/// An SQLite session file opened read-only once ([`Storage::open_sqlite_read_only`]).
#[derive(Debug)]
pub(crate) enum OpenedReadOnly {
    /// A Pyrogram (or fork's) session file, recognised and checked.
    Pyrogram(Storage),
    /// A Telethon session file: the connection that found it, for its reader.
    Telethon(OpenedTelethon),
}

/// A Telethon session file's read-only connection, as the open that recognised it left it:
/// any hot journal rolled back, side files checked, and the file held (see [`super::held`])
/// for as long as this lives.
pub(crate) struct OpenedTelethon {
    /// The read-only connection.
    pub(crate) conn: Connection,
    /// The file's path.
    pub(crate) path: PathBuf,
    reads: ReadOnly,
    /// When the wait the open began ends (spec/storage.md §2.5): its reader waits no longer.
    pub(crate) deadline: Option<Instant>,
    /// Kept for the connection's life; dropping it lets the file go.
    _hold: Option<crate::fs::Hold>,
}

impl std::fmt::Debug for OpenedTelethon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedTelethon")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl OpenedTelethon {
    /// Whether what was read through the connection is the file the path still names, as it
    /// was at the open (spec/storage.md §2.2): `Changed` or `Replaced` otherwise.
    pub(crate) fn still_as_opened(&self) -> Result<(), StorageError> {
        self.reads.check(&self.path)
    }
}

/// How long opening a file waits for another client to let go of it before failing with
/// [`StorageErrorKind::InUse`], unless [`OpenOptions::wait`] says otherwise (spec/storage.md §2.5).
/// Pyrogram waits 1 s; Python's `sqlite3` and Telethon wait 5 s.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// How a session file is opened (spec/storage.md §2.2, §2.5).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pyrosession-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use std::time::{Duration, Instant};
/// use pyrosession::storage::OpenOptions;
///
/// let path = dir.join("alice.session");
/// let first = OpenOptions::new().open(&path)?;
/// // A second open of the same file waits (here 100 ms) for the first to close, then gives up.
/// let err = OpenOptions::new().wait(Duration::from_millis(100)).open(&path).unwrap_err();
/// assert!(err.to_string().contains("the session is in use"));
/// drop(first);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pyrosession::storage::StorageError>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    wait: Duration,
    read_only: bool,
    check: bool,
    mmap_size: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            wait: DEFAULT_WAIT,
            read_only: false,
            check: true,
            mmap_size: MMAP_SIZE,
        }
    }
}

impl OpenOptions {
    /// Read-write, creating a missing file, waiting [`DEFAULT_WAIT`] for a busy one.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait for another client to close the file before failing with
    /// [`StorageErrorKind::InUse`]. Zero fails at once.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Opens an existing file for reading only: never created, migrated or written
    /// (see [`Storage::open_file_read_only`]).
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Whether opening an existing file first checks that its pages hold together
    /// (`PRAGMA quick_check`, spec/storage.md §4 step 9a); on by default. The check reads the
    /// whole file: about 0.6 s for 1,000,000 peers. Without it, damage is found, or not, by the
    /// statement that walks into it, and a write into a damaged b-tree can be lost.
    #[must_use]
    pub fn check_integrity(mut self, check: bool) -> Self {
        self.check = check;
        self
    }

    /// How much of the file the read-write connection reads through a memory map
    /// (`PRAGMA mmap_size`, spec/storage.md §2.5 step 3): 256 MiB by default, so that reads
    /// copy nothing. The kernel counts the mapped pages a process has touched in its resident
    /// set; 0 reads every page through SQLite's own cache instead (the file's pages then stay
    /// in the kernel's page cache, outside the process). Only how pages are read changes:
    /// locking, writes and what is read are the same.
    #[must_use]
    pub fn mmap_size(mut self, bytes: u64) -> Self {
        self.mmap_size = bytes;
        self
    }

    /// Opens the file at `path` with these options.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Storage, StorageError> {
        names_a_file(path.as_ref())?;
        // Every owner check of the open against the user it began as, asked once.
        crate::fs::with_process_uid(|| {
            if self.read_only {
                Storage::read_only_with(path.as_ref().to_path_buf(), self.wait, self.check)
            } else {
                let mmap = i64::try_from(self.mmap_size).unwrap_or(i64::MAX);
                Storage::open_with(path.as_ref().to_path_buf(), self.wait, self.check, mmap)
            }
        })
    }
}

/// Refuses a path that cannot name a file, an empty one or one ending in `/`, unless a
/// directory is there, which the open then calls a directory (spec/storage.md §2.2). Without
/// this, creating a file at `nodir/` failed late, at moving the built file into place.
pub(super) fn names_a_file(path: &Path) -> Result<(), StorageError> {
    let bytes = path.as_os_str().as_encoded_bytes();
    if (bytes.is_empty() || bytes.ends_with(b"/")) && !path.is_dir() {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::NotAFilePath,
        ));
    }
    Ok(())
}

/// The wait as SQLite can take it: at most `i32::MAX` milliseconds, about 24.8 days (rusqlite
/// panics beyond; a longer wait is that long, spec/storage.md §2.2).
pub(crate) fn sqlite_wait(wait: Duration) -> Duration {
    wait.min(Duration::from_millis(i32::MAX.unsigned_abs().into()))
}

fn sqlite_err<'a>(
    path: Option<&'a Path>,
    doing: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StorageError + 'a {
    move |source| StorageError::from_sqlite(path, doing, source)
}

/// Writes Pyrogram 2.0.106's schema, version row and initial session row in one transaction
/// (spec/storage.md §3.1).
fn create(conn: &mut Connection, path: Option<&Path>) -> Result<(), StorageError> {
    let tx = conn
        .transaction()
        .map_err(sqlite_err(path, "creating the schema"))?;
    tx.execute_batch(schema::SCHEMA_V3)
        .and_then(|()| tx.execute("INSERT INTO version VALUES (?1)", [schema::VERSION]))
        .and_then(|_| {
            tx.execute(
                "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    2,
                    None::<i64>,
                    None::<i64>,
                    None::<Vec<u8>>,
                    0,
                    None::<i64>,
                    None::<i64>
                ],
            )
        })
        .map_err(sqlite_err(path, "creating the schema"))?;
    tx.commit().map_err(sqlite_err(path, "creating the schema"))
}

/// A database fresh from `create`, kept once per process, that new memory storages are copied
/// from.
fn template() -> Result<&'static std::sync::Mutex<Connection>, StorageError> {
    static TEMPLATE: std::sync::OnceLock<std::sync::Mutex<Connection>> = std::sync::OnceLock::new();
    if let Some(t) = TEMPLATE.get() {
        return Ok(t);
    }
    let mut conn = Connection::open_in_memory().map_err(sqlite_err(None, "opening memory"))?;
    create(&mut conn, None)?;
    Ok(TEMPLATE.get_or_init(|| std::sync::Mutex::new(conn)))
}

/// Why a symbolic link that leads to no file cannot be followed: it points to nothing
/// (`DanglingSymlink`), or following it fails, as in a loop of links (`Io`).
pub(super) fn broken_link(path: PathBuf) -> StorageError {
    match std::fs::metadata(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            StorageError::io(&path, "following the symbolic link", e)
        }
        _ => {
            let target = std::fs::read_link(&path).unwrap_or_default();
            StorageError::new(path, StorageErrorKind::DanglingSymlink { target })
        }
    }
}

/// What the first bytes of an existing file say it is.
///
/// Returns whether the file's header says WAL mode (byte 18 or 19, the write and read versions,
/// 2 or more: SQLite uses the WAL when the read version is 2, whatever the write version says).
/// A file a storage of this process holds is not read at all ([`crate::fs::open`]): it is an
/// SQLite session file, and its header's answer is the one kept when it was first held.
pub(super) fn sniff(path: &Path) -> Result<bool, StorageError> {
    let io = |doing: &'static str| move |source| StorageError::io(path, doing, source);
    let meta = std::fs::metadata(path).map_err(io("reading the file's metadata"))?;
    if meta.is_dir() {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::IsADirectory,
        ));
    }
    if let Some(found) = crate::fs::not_regular(&meta) {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::NotAFile { found },
        ));
    }
    // The size is not asked: a file of /proc or /sys says 0 and holds bytes, or cannot be read
    // at all (`/proc/self/mem`); what reading it gives is what it is.
    let mut head = [0u8; 20];
    let mut file = match crate::fs::open(path).map_err(io("opening the file"))? {
        // A file a storage of this process holds is an SQLite session file, never read outside
        // SQLite while held; its header's answer is the one kept when it was first held.
        crate::fs::Opened::Held { wal } => {
            super::side::check(path)?;
            return Ok(wal);
        }
        crate::fs::Opened::File(file) => file,
    };
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io("reading the file")(e)),
        }
    }
    if n == 0 {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::EmptyFile,
        ));
    }
    if let Some(wal) = sqlite_header(&head[..n]) {
        drop(file);
        // Checked before any connection of the crate opens the file (§2.8).
        super::side::check(path)?;
        return Ok(wal);
    }
    if begins_like_json(&head[..n]) && meta.len() < (1 << 24) {
        // The rest from the descriptor the head came from: the file is not opened again.
        let mut text = head[..n].to_vec();
        file.take(1 << 24)
            .read_to_end(&mut text)
            .map_err(io("reading the file"))?;
        if matches!(serde_json::from_slice(&text), Ok(serde_json::Value::Object(map)) if is_json_session(&map))
        {
            return Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::LegacyJsonSession,
            ));
        }
    }
    Err(StorageError::new(
        path.to_path_buf(),
        StorageErrorKind::NotSqlite,
    ))
}

/// Opens an existing file read-only without leaving anything beside it.
///
/// A read-only connection to a WAL-mode file creates `-shm` and `-wal` files and leaves them.
/// When such a file has no `-wal` beside it (it was closed cleanly), the main file holds every
/// committed page, so it is opened `immutable`, which creates nothing. Otherwise the side files
/// exist already.
///
/// Returns the connection and how it reads: an `immutable` one with the file's state as it was
/// just before it opened, which its reads then check (spec/storage.md §2.2). `wal_mode` is what
/// [`sniff`] found.
fn open_read_only(
    path: &Path,
    wait: Duration,
    wal_mode: bool,
) -> Result<(Connection, ReadOnly), StorageError> {
    // Before every attempt's connections: a side file may have appeared meanwhile (§2.8).
    // SQLite keeps the side files beside the file a symbolic link points to.
    let sides = super::side::Sides::of(path);
    super::side::check_sides(path, &sides)?;
    recover_hot_journal(path, &sides.path("-journal"))?;
    let wal = sides.path("-wal");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let (conn, reads) = if wal_mode && !wal.exists() {
        let state = FileState::read(path, wal.clone());
        let uri = format!("file:{}?immutable=1", uri_path(path));
        (
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI),
            ReadOnly::Immutable(state),
        )
    } else {
        // The file's identity from before the connection: one that changes after is caught.
        let id = crate::fs::identity(path);
        (
            Connection::open_with_flags(path, flags),
            ReadOnly::Locked(id),
        )
    };
    let conn = conn.map_err(sqlite_err(Some(path), "opening the file read-only"))?;
    conn.busy_timeout(sqlite_wait(wait))
        .map_err(sqlite_err(Some(path), "setting the busy timeout"))?;
    // The integrity check (§4 step 9a) evaluates CHECK constraints where SQLite keeps them:
    // code the file holds, on values it holds. SQLite 3.54 keeps none in a read-only
    // connection; this makes that hold whatever SQLite's version.
    conn.pragma_update(None, "ignore_check_constraints", true)
        .map_err(sqlite_err(Some(path), "configuring the connection"))?;
    // Reading the schema takes the file's shared lock: a busy file is reported here, after
    // the wait, as in use.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StorageError::from_sqlite_waited(Some(path), "reading the schema", e, wait)
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            StorageError::new(path.to_path_buf(), StorageErrorKind::NotSqlite)
        }
        // A -wal is read through a -shm index, which SQLite could not create (§2.8).
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::CannotOpen
                && wal.exists()
                && !sides.path("-shm").exists() =>
        {
            StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::WalIndexUnavailable {
                    shm: sides.path("-shm"),
                },
            )
        }
        e => StorageError::from_sqlite(Some(path), "reading the schema", e),
    })?;
    Ok((conn, reads))
}

/// Turns the schema's triggers and foreign keys off for this connection (spec/storage.md §2.2,
/// §6.4).
///
/// The only trigger, `trg_peers_last_update_on`, fires on `UPDATE peers`, which Pyrogram never
/// issues and this crate issues only to refresh a re-seen peer's `last_update_on`, where the
/// trigger would overwrite the storage clock's time with SQLite's own. The schema keeps the
/// trigger, and every other connection (Pyrogram's) still runs it.
///
/// Foreign keys are off in Pyrogram's connections (Python's SQLite leaves them off) but on by
/// default in the SQLite this crate builds: enforced, a file's `REFERENCES … ON UPDATE CASCADE`
/// carried the crate's writes into tables it never reads, and the code there (an index on an
/// expression) ran on the new auth key.
fn triggers_off(conn: &Connection, path: Option<&Path>) -> Result<(), StorageError> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
        .and_then(|_| conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false))
        .map(drop)
        .map_err(sqlite_err(path, "configuring the connection"))
}

/// How much of a session file is memory-mapped by default ([`OpenOptions::mmap_size`]): reads
/// then copy nothing.
const MMAP_SIZE: u64 = 256 << 20;

/// When an open that started now must have its answer: `None` for a wait too long to count
/// (the open then waits as long as it takes).
fn deadline(wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait)
}

/// What is left of an open's wait at its deadline.
pub(crate) fn remaining(deadline: Option<Instant>) -> Duration {
    deadline.map_or(Duration::MAX, |d| {
        d.saturating_duration_since(Instant::now())
    })
}

/// A small random number below `n` (at least 1), for spreading the retries of racing openers;
/// not for secrets.
fn jitter(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() % n.max(1)
}

/// One attempt's longest wait for the lock in SQLite's busy handler, in milliseconds, where the
/// attempt waits there at all; each attempt draws its own between the two, so that of two
/// attempts that block each other one gives up first and the other goes on.
const ATTEMPT_MS: (u64, u64) = (20, 80);

/// The longest pause between two attempts, in milliseconds: a pause is drawn at random up to a
/// bound that doubles from 2 ms with each failed attempt, up to this.
const PAUSE_MS: u64 = 32;

/// Opens a read-write connection to `path` and makes it the file's only user for as long as it
/// is open (spec/storage.md §2.5), trying until `deadline`.
///
/// `locking_mode = EXCLUSIVE` keeps every lock the connection takes until it closes, so no
/// statement pays for taking and releasing the file's lock and checking whether another
/// process changed it; with the file memory-mapped, a lookup on a file costs what it costs in
/// memory. `BEGIN EXCLUSIVE` then takes the lock, and in this mode keeps it: while this
/// connection is open every other one, reader or writer, this crate's or Pyrogram's, is
/// refused.
///
/// In exclusive locking mode a connection that fails to take the exclusive lock keeps the
/// shared lock it took on the way, so two such connections waiting for each other's shared lock
/// would both wait until their busy timeouts ran out (an audit saw two racing openers of an
/// idle file both refused after their whole wait). So each attempt waits in SQLite's busy
/// handler for a short, random time only, and one that fails closes its connection, which
/// lets every lock go, before the next attempt opens a new one. Another client that holds the
/// file until after `deadline` makes the open fail with [`StorageErrorKind::InUse`], naming `wait`.
fn claim<T>(
    path: &Path,
    wait: Duration,
    deadline: Option<Instant>,
    mmap: i64,
    wal: &SideWal,
    mut examine: impl FnMut(&Connection) -> Result<T, StorageError>,
) -> Result<(Connection, T), StorageError> {
    // In exclusive locking mode, a WAL-mode connection that fails to take the exclusive lock
    // keeps its shared lock while SQLite's busy handler waits, and gives up the pending lock
    // that keeps newcomers out: racing claimers that wait there hold each other off until all
    // but one give up, and the one that gave up first is back before the others have (a race
    // test saw four openers take 2 s). So a claim of a WAL-mode file never waits in SQLite: it
    // fails at once and tries again after a pause. A rollback-journal file's claim waits there
    // briefly, holding the pending lock that keeps new readers out while it does.
    attempts(wait, deadline, !wal.mode, |slice| {
        // Before every attempt's connection: a side file may have appeared meanwhile (§2.8).
        super::side::check(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_err(Some(path), "opening the file"))?;
        // Before the probe, the first statement that writes: a trigger the file holds never
        // runs in this connection (spec/storage.md §2.2).
        triggers_off(&conn, Some(path))?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(sqlite_err(Some(path), "setting the locking mode"))?;
        conn.pragma_update(None, "mmap_size", mmap)
            .map_err(sqlite_err(Some(path), "setting the mmap size"))?;
        // SQLite opens a file it may not write read-only without saying so: asked before the
        // lock, whose transaction on a WAL-mode file would otherwise fail creating the -wal
        // with a bare "disk I/O error".
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            drop(conn);
            return Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::ReadOnly {
                    cause: read_only_cause(path),
                },
            ));
        }
        let claimed = conn
            .busy_timeout(sqlite_wait(slice))
            .and_then(|()| conn.execute_batch("BEGIN EXCLUSIVE"))
            .map_err(|e| match e {
                // A WAL-mode file is first read here (SQLite's "not a database", as in §4).
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    StorageError::new(path.to_path_buf(), StorageErrorKind::NotSqlite)
                }
                e => StorageError::from_sqlite(Some(path), "taking the session's lock", e),
            })
            .and_then(|()| examine(&conn))
            .and_then(|found| probe(&conn, path).map(|()| found))
            .and_then(|found| {
                conn.busy_timeout(sqlite_wait(wait))
                    .map_err(sqlite_err(Some(path), "setting the busy timeout"))
                    .map(|()| found)
            });
        match claimed {
            Ok(found) => Ok((conn, found)),
            Err(e) if matches!(e.kind(), StorageErrorKind::ReadOnly { .. }) => {
                wal.give_up(conn);
                let cause = read_only_cause(e.path().unwrap_or(path));
                Err(StorageError::about(
                    e.path(),
                    StorageErrorKind::ReadOnly { cause },
                ))
            }
            Err(e) => {
                wal.give_up(conn);
                Err(e)
            }
        }
    })
}

/// Runs `attempt` until it succeeds, fails otherwise than with [`StorageErrorKind::InUse`], or
/// `deadline` passes, pausing a random time between attempts (up to [`PAUSE_MS`], the bound
/// growing with each failure); the last `InUse` names `wait`, the whole wait (spec/storage.md
/// §2.5). `attempt` is given its busy timeout: a short random one (see [`ATTEMPT_MS`]) where
/// `in_sqlite`, otherwise none, for connections that must not wait inside SQLite at all.
///
/// Every wait of an open is made of such attempts, and an attempt that fails lets go of every
/// lock it took (its connection is closed) before the next: no opener waits long while holding
/// a lock that another opener waits for, so racing openers cannot wait for each other until
/// both give up.
fn attempts<T>(
    wait: Duration,
    deadline: Option<Instant>,
    in_sqlite: bool,
    mut attempt: impl FnMut(Duration) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let mut bound = 2;
    loop {
        let slice = if in_sqlite {
            Duration::from_millis(ATTEMPT_MS.0 + jitter(ATTEMPT_MS.1 - ATTEMPT_MS.0))
        } else {
            Duration::ZERO
        };
        match attempt(slice.min(remaining(deadline))) {
            Err(e)
                if matches!(e.kind(), StorageErrorKind::InUse { .. })
                    && remaining(deadline) > Duration::ZERO =>
            {
                let pause = Duration::from_millis(1 + jitter(bound)).min(remaining(deadline));
                bound = (bound * 2).min(PAUSE_MS);
                std::thread::sleep(pause);
            }
            Err(e) if matches!(e.kind(), StorageErrorKind::InUse { .. }) => {
                return Err(StorageError::about(
                    e.path(),
                    StorageErrorKind::InUse { waited: wait },
                ))
            }
            result => return result,
        }
    }
}

/// Whether a WAL-mode file had a `-wal` beside it when its open began: what a failed open
/// must leave there (spec/storage.md §2.2, §2.5).
struct SideWal {
    /// Whether the file's header says WAL mode.
    mode: bool,
    existed: bool,
}

impl SideWal {
    /// Looks beside `path` (beside the file a symbolic link points to, where SQLite keeps it).
    fn of(path: &Path, mode: bool) -> SideWal {
        SideWal {
            mode,
            existed: super::side::side_path(path, "-wal").exists(),
        }
    }

    /// Closes the read-write connection of an open that failed, leaving the file as it was.
    ///
    /// Closing the last connection of a WAL-mode file copies the WAL into the file and removes
    /// it. A `-wal` that was there before (a crash left it) must stay as it was, unread into the
    /// file: the connection closes without that checkpoint. One that this connection created
    /// holds nothing committed (the open wrote nothing that was not rolled back): the ordinary
    /// close removes it.
    fn give_up(&self, conn: Connection) {
        if self.existed {
            let _ = conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            );
        }
        drop(conn);
    }
}

/// Why `path` cannot be written (spec/storage.md §2.5, `ReadOnly`): the system's answer to
/// opening it for writing (nothing is written, nothing created). Asked only where no storage of
/// this process but the failing open holds the file, and after that open's connection is
/// closed: closing a descriptor of a file drops every lock the process holds on it (§2.5).
fn read_only_cause(path: &Path) -> ReadOnlyCause {
    // The failing open's own hold is the one expected; another storage's hold leaves the
    // question unasked.
    match crate::fs::open_for_writing(path, 1) {
        Ok(crate::fs::Opened::Held { .. }) => ReadOnlyCause::Unknown,
        Ok(crate::fs::Opened::File(_)) => ReadOnlyCause::Directory,
        Err(e) => match e.raw_os_error() {
            Some(13) => ReadOnlyCause::File,
            Some(30) => ReadOnlyCause::FileSystem,
            Some(1) => ReadOnlyCause::Refused,
            _ => ReadOnlyCause::Unknown,
        },
    }
}

/// The write probe of a claimed connection (spec/storage.md §2.5 steps 5–6).
///
/// SQLite creates the rollback journal beside the file only at the first write: found now, by
/// a write that is rolled back, instead of at the client's first write, so that a file whose
/// directory this process cannot write is refused with `ReadOnly`, unchanged.
fn probe(conn: &Connection, path: &Path) -> Result<(), StorageError> {
    let probe = conn
        .execute_batch("UPDATE version SET number = number")
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                StorageError::new(
                    path.to_path_buf(),
                    StorageErrorKind::ReadOnly {
                        cause: ReadOnlyCause::Unknown,
                    },
                )
            }
            _ => StorageError::from_sqlite(Some(path), "checking the file can be written", e),
        });
    let rollback = conn
        .execute_batch("ROLLBACK")
        .map_err(sqlite_err(Some(path), "checking the file can be written"));
    probe.and(rollback)
}

/// Rolls back a hot journal, as any SQLite reader must before it can read the file.
///
/// A crash in the middle of a write leaves a `-journal` beside the file; the next connection
/// that reads restores the last committed state from it (Pyrogram's open does this too), but a
/// read-only connection cannot, and fails. So when a non-empty `-journal` is there, the file is
/// opened for writing once, read, and closed: SQLite rolls the journal back if it is hot and
/// leaves it alone otherwise. Nothing else is written. `journal` is the file's `-journal`,
/// beside the file a symbolic link points to.
fn recover_hot_journal(path: &Path, journal: &Path) -> Result<(), StorageError> {
    if std::fs::metadata(journal).map_or(true, |m| m.len() == 0) {
        return Ok(());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err(
        Some(path),
        "recovering from an interrupted write",
    ))?;
    // No waiting: a journal whose file someone holds a lock on is not hot, it is in use, and
    // the examination that follows reports that after its own wait.
    conn.busy_timeout(std::time::Duration::ZERO)
        .map_err(sqlite_err(Some(path), "setting the busy timeout"))?;
    // Any read rolls a hot journal back; a file that is not a database just fails here, and is
    // then refused by the examination that follows.
    let _ = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    drop(conn);
    Ok(())
}

/// A path as the path part of an SQLite `file:` URI: absolute, with every byte outside the
/// unreserved set and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Checks that the pages the crate reads and writes hold together (`PRAGMA quick_check`) before
/// anything reads or writes its rows (spec/storage.md §4 step 9a).
///
/// SQLite does not notice most damage on its own until a statement walks into it, and a write
/// into a damaged b-tree can return success and yet be lost. The check reads every page of the
/// checked b-trees once, paid once per open and in proportion to the file: about 0.6 s for a
/// file of 1,000,000 peers (86 MB), a millisecond for a few thousand.
/// [`OpenOptions::check_integrity`] turns it off.
///
/// It is run once per b-tree set the crate uses, never over the whole file: `sqlite_schema`
/// (the schema's pages and, with it, the freelist), then each of the tables of
/// [`schema::PYROGRAM_TABLES`] the file has, with its indexes. A check of the whole file also
/// computes the generated columns declared `NOT NULL` of every other table, and runs the
/// integrity method of every virtual table: code the file holds, for as long as it likes (a
/// 32 KB file took 27 s, and any time it liked). The tables checked here hold none (§4 step 9
/// refused it before), and `ignore_check_constraints` keeps their CHECKs from running.
fn check_integrity(
    conn: &Connection,
    path: Option<&Path>,
    shape: &Shape,
) -> Result<(), StorageError> {
    let mut problems: Vec<String> = Vec::new();
    let present = schema::PYROGRAM_TABLES
        .iter()
        .filter(|t| shape.has_table(t));
    let failed = |e| StorageError::from_sqlite(path, "checking the file's integrity", e);
    for table in std::iter::once(&"sqlite_schema").chain(present) {
        let mut statement = conn
            .prepare(&format!("PRAGMA quick_check({table})"))
            .map_err(failed)?;
        let mut rows = statement.query([]).map_err(failed)?;
        // The check reports what it found in the b-trees first; walking the rows of a damaged
        // one afterwards can then fail, which adds nothing to what it reported.
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let found: String = row.get(0).map_err(failed)?;
                    if found != "ok" {
                        problems.push(found);
                    }
                }
                Ok(None) => break,
                Err(_) if !problems.is_empty() => break,
                Err(e) => return Err(failed(e)),
            }
        }
        if problems.len() >= 4 {
            break;
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.truncate(4);
    Err(StorageError::new(
        path.map(Path::to_path_buf),
        StorageErrorKind::Corrupt {
            detail: problems
                .join("; ")
                .replace("*** in database main ***\n", "")
                .replace('\n', "; "),
        },
    ))
}

/// Recognises the dialect of an open database and checks its `version` and `sessions` rows,
/// all in one read transaction ([`in_one_read`]).
pub(crate) fn examine(
    conn: &Connection,
    path: Option<&Path>,
    check: bool,
) -> Result<Dialect, StorageError> {
    in_one_read(conn, path, || {
        let dialect = recognise(conn, path, check)?;
        read_fields(conn, dialect, path)?;
        Ok(dialect)
    })
}

/// Runs `read` in one read transaction of `conn`, where `conn` is in none (a claimed
/// connection is in its own, which `read` then runs in), and ends it after, whatever `read`
/// answered: the connection is left as it was found.
///
/// Outside a transaction every statement takes the file's shared lock, checks whether another
/// connection changed the file (reading its header, and the schema again if it did), and lets
/// the lock go: about fifteen percent of an open's time, over the examination's thirty-odd
/// statements. In one transaction that is done once, and every statement reads the same state
/// of the file. A deferred `BEGIN` takes no lock: a busy file is still found by the first
/// statement that reads, and waited for by the connection's busy handler, as before.
fn in_one_read<T>(
    conn: &Connection,
    path: Option<&Path>,
    read: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    if !conn.is_autocommit() {
        return read();
    }
    conn.execute_batch("BEGIN")
        .map_err(sqlite_err(path, "beginning to read"))?;
    let result = read();
    // A statement that failed may have ended the transaction already (SQLite rolls back on
    // some errors); what `read` answered is the answer, whatever ending it says.
    let end = if conn.is_autocommit() {
        Ok(())
    } else {
        conn.execute_batch("ROLLBACK")
            .map_err(sqlite_err(path, "ending the read"))
    };
    let value = result?;
    end.map(|()| value)
}

/// [`examine`] through the claimed connection of an open, before it writes anything: as on a
/// read-only connection, the integrity check runs no CHECK the file holds (§4 step 9a); the
/// crate's own writes meet none (§4.1).
fn examine_claimed(conn: &Connection, path: &Path, check: bool) -> Result<Dialect, StorageError> {
    let set = |on: bool| {
        conn.pragma_update(None, "ignore_check_constraints", on)
            .map_err(sqlite_err(Some(path), "configuring the connection"))
    };
    set(true)?;
    let dialect = examine(conn, Some(path), check)?;
    set(false)?;
    Ok(dialect)
}

/// [`examine`] up to the `sessions` row: what the database is, its dialect and its `version`
/// row. Salvage reads the session row itself (spec/storage.md §11).
pub(super) fn recognise(
    conn: &Connection,
    path: Option<&Path>,
    check: bool,
) -> Result<Dialect, StorageError> {
    let owned = || path.map(Path::to_path_buf);
    let shape = match Shape::read(conn) {
        Ok(s) => s,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StorageError::new(
                owned().unwrap_or_default(),
                StorageErrorKind::NotSqlite,
            ));
        }
        Err(e) => return Err(sqlite_err(path, "reading the schema")(e)),
    };
    if shape.is_telethon() {
        let version = if shape.computed_in(&["version"]).is_none() {
            conn.query_row("SELECT version FROM version", [], |r| r.get(0))
                .ok()
        } else {
            None
        };
        return Err(StorageError::new(
            owned().unwrap_or_default(),
            StorageErrorKind::TelethonSession { version },
        ));
    }
    if !shape.is_pyrogram_family() {
        return Err(StorageError::new(
            owned(),
            StorageErrorKind::NotASession {
                tables: shape.tables,
            },
        ));
    }
    // Nothing is read from a view, a virtual table or a generated column: each runs code the
    // file holds, for as long as that code likes.
    if let Some(what) = shape.computed_in(&schema::PYROGRAM_TABLES) {
        return Err(StorageError::new(
            owned(),
            StorageErrorKind::InconsistentSchema {
                detail: what.to_owned(),
            },
        ));
    }
    if check && path.is_some() {
        check_integrity(conn, path, &shape)?;
    }
    let version = read_version(conn, path)?;
    let dialect = shape.family(version);
    let (min, max) = dialect.known_versions();
    if version > max {
        let newest = match dialect {
            Dialect::Pyrogram(_) => Dialect::Pyrogram(max),
            Dialect::Pyrofork(_) => Dialect::Pyrofork(max),
            Dialect::Kurigram(_) => Dialect::Kurigram(max),
        };
        return Err(StorageError::new(
            owned(),
            StorageErrorKind::NewerVersion {
                dialect: newest,
                found: version,
            },
        ));
    }
    if version < min {
        return Err(StorageError::new(
            owned(),
            StorageErrorKind::InconsistentSchema {
                detail: format!("{} tables with version {version}", dialect.family_name()),
            },
        ));
    }
    shape.check(dialect).map_err(|detail| {
        StorageError::new(owned(), StorageErrorKind::InconsistentSchema { detail })
    })?;
    Ok(dialect)
}

/// The one `version.number`, an integer; two rows are told apart from more by counting them,
/// never by reading them all.
fn read_version(conn: &Connection, path: Option<&Path>) -> Result<i64, StorageError> {
    let sqlite = |e| StorageError::from_sqlite(path, "reading the version", e);
    let owned = || path.map(Path::to_path_buf);
    let versions: Vec<rusqlite::types::Value> = conn
        .prepare("SELECT number FROM version LIMIT 2")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sqlite)?;
    match versions.as_slice() {
        [rusqlite::types::Value::Integer(v)] => Ok(*v),
        [other] => Err(StorageError::new(
            owned(),
            StorageErrorKind::InvalidValue {
                column: "version.number",
                expected: "an integer",
                found: super::fields::describe(other.into()),
            },
        )),
        [] => Err(StorageError::new(
            owned(),
            StorageErrorKind::VersionRows { found: 0 },
        )),
        _ => {
            let found: i64 = conn
                .query_row("SELECT count(*) FROM version", [], |r| r.get(0))
                .map_err(sqlite)?;
            Err(StorageError::new(
                owned(),
                StorageErrorKind::VersionRows {
                    found: usize::try_from(found).unwrap_or(usize::MAX),
                },
            ))
        }
    }
}

impl Storage {
    /// Opens the session file at `path`, creating it with Pyrogram 2.0.106's schema if it does
    /// not exist (spec/storage.md §2.2). An existing file is recognised and checked before it is
    /// opened for writing; a Pyrogram file of version 1 or 2 is then migrated to 3. When opening
    /// fails, the file is left as it was.
    ///
    /// It waits up to [`DEFAULT_WAIT`] for another client to close the file; see
    /// [`OpenOptions`] to wait longer or not at all.
    pub fn open_file(path: impl AsRef<Path>) -> Result<Storage, StorageError> {
        OpenOptions::new().open(path)
    }

    fn open_with(
        path: PathBuf,
        wait: Duration,
        check: bool,
        mmap: i64,
    ) -> Result<Storage, StorageError> {
        let dir = match path.parent() {
            Some(d) if d.as_os_str().is_empty() => Path::new("."),
            Some(d) => d,
            None => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(StorageError::new(
                dir.to_path_buf(),
                StorageErrorKind::NoSuchDirectory,
            ));
        }
        super::side::name_fits(&path)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() && !path.exists() => Err(broken_link(path)),
            Ok(_) => Self::open_existing(path, wait, deadline(wait), check, mmap),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Side files another user made for the file before it exists are refused
                // before it is created (§2.8).
                super::side::check(&path)?;
                Self::create_file(path, wait, check, mmap)
            }
            Err(source) => Err(StorageError::io(
                &path,
                "reading the file's metadata",
                source,
            )),
        }
    }

    /// Opens an existing file for writing; `deadline` is when the open's `wait` runs out.
    fn open_existing(
        path: PathBuf,
        wait: Duration,
        deadline: Option<Instant>,
        check: bool,
        mmap: i64,
    ) -> Result<Storage, StorageError> {
        super::side::check_writable_by_owner_only(&path)?;
        let wal = sniff(&path)?;
        // Held from before the first connection: no read of this file's bytes by this process
        // may drop the claim from here on (spec/storage.md §2.5).
        let hold = crate::fs::hold(&path, wal);
        let side = SideWal::of(&path, wal);
        let (conn, dialect) = if wal {
            // A WAL-mode file is examined by the claimed connection itself, which reads it with
            // the lock held: a read-only connection would read it through the shared-memory WAL
            // index, whose readers can hold the file's shared lock for seconds inside SQLite
            // while claimed connections (which keep their WAL index in their own memory) come
            // and go (spec/storage.md §2.5).
            claim(&path, wait, deadline, mmap, &side, |conn| {
                examine_claimed(conn, &path, check)
            })?
        } else {
            let dialect = attempts(wait, deadline, true, |slice| {
                let (ro, _) = open_read_only(&path, slice, wal)?;
                examine(&ro, Some(&path), check)
            })?;
            claim(&path, wait, deadline, mmap, &side, |_| Ok(dialect))?
        };
        Self::claimed(path, conn, dialect, &side, wait, hold)
    }

    /// Opens the file this process has just built and linked at `path`, whose identity is
    /// `built` (spec/storage.md §2.4, "A file this process built"): it is neither read outside
    /// SQLite nor examined by a read-only connection first, since this process wrote it whole a
    /// moment ago and no open of it can leave it otherwise than it was; its claimed connection
    /// examines it, as it does a WAL-mode file. Where the file at `path` is no longer the one
    /// built (or files have no identity), it is opened as any existing file is.
    fn open_built(
        path: PathBuf,
        built: Option<(u64, u64)>,
        wait: Duration,
        deadline: Option<Instant>,
        check: bool,
        mmap: i64,
    ) -> Result<Storage, StorageError> {
        let hold = crate::fs::hold(&path, false);
        if built.is_none() || hold.as_ref().map(crate::fs::Hold::id) != built {
            drop(hold);
            return Self::open_existing(path, wait, deadline, check, mmap);
        }
        let side = SideWal::of(&path, false);
        let (conn, dialect) = claim(&path, wait, deadline, mmap, &side, |conn| {
            examine_claimed(conn, &path, check)
        })?;
        Self::claimed(path, conn, dialect, &side, wait, hold)
    }

    /// A storage on `conn`, the claimed connection of an open that examined the file and found
    /// `dialect`: a Pyrogram file of version 1 or 2 is migrated to 3 first (spec/storage.md §5).
    fn claimed(
        path: PathBuf,
        mut conn: Connection,
        dialect: Dialect,
        side: &SideWal,
        wait: Duration,
        hold: Option<crate::fs::Hold>,
    ) -> Result<Storage, StorageError> {
        let dialect = match dialect {
            Dialect::Pyrogram(v) if v < schema::VERSION => {
                let migrated = conn
                    .transaction()
                    .and_then(|tx| {
                        schema::migrate_to_v3(&tx, v)?;
                        tx.commit()
                    })
                    .map_err(sqlite_err(Some(&path), "migrating"));
                if let Err(e) = migrated {
                    side.give_up(conn);
                    return Err(e);
                }
                Dialect::Pyrogram(schema::VERSION)
            }
            d => d,
        };
        let real = std::fs::canonicalize(&path).ok();
        Ok(Storage {
            conn,
            engine: Engine::File(path),
            dialect,
            clock: Arc::new(SystemClock),
            wait,
            read_only: None,
            hold,
            real,
        })
    }

    /// Creates a new session file at `path` and opens it.
    ///
    /// The database is built whole under a temporary name in the same directory, created with
    /// mode 0600 (no other user can read the key even for a moment), and then linked into place,
    /// which fails if `path` appeared meanwhile: a crash at any point leaves either no file at
    /// `path` or a complete one, never an empty or half-written session (which is what an
    /// interrupted SQLite creation in place leaves, and what every later open then refuses).
    ///
    /// Another opener that creates the file first wins the race: the file it put in place is
    /// then opened as any existing file is (spec/storage.md §2.5).
    fn create_file(
        path: PathBuf,
        wait: Duration,
        check: bool,
        mmap: i64,
    ) -> Result<Storage, StorageError> {
        let deadline = deadline(wait);
        match publish_new_file(&path, None) {
            Ok(built) => Self::open_built(path, built, wait, deadline, check, mmap),
            Err(e) if matches!(e.kind(), StorageErrorKind::AlreadyExists) => {
                Self::open_existing(path, wait, deadline, check, mmap)
            }
            Err(e) => Err(e),
        }
    }

    /// A new, empty memory storage (spec/storage.md §2.3).
    ///
    /// It is a page-by-page copy (SQLite's backup) of a database created once per process,
    /// instead of running the schema's statements again: the same database, in a fraction of
    /// the time, in an ordinary in-memory database.
    pub fn memory() -> Result<Storage, StorageError> {
        let mut conn = Connection::open_in_memory().map_err(sqlite_err(None, "opening memory"))?;
        {
            let template = template()?
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            rusqlite::backup::Backup::new(&template, &mut conn)
                .and_then(|b| b.step(-1))
                .map_err(sqlite_err(None, "copying the new database"))?;
        }
        triggers_off(&conn, None)?;
        Ok(Storage {
            conn,
            engine: Engine::Memory,
            dialect: Dialect::Pyrogram(schema::VERSION),
            clock: Arc::new(SystemClock),
            wait: Duration::ZERO,
            read_only: None,
            hold: None,
            real: None,
        })
    }

    /// A memory storage loaded from a session string, accepted by Pyrogram 2.0.106's rules
    /// ([`decode_compat`]); `date` is 0 and a legacy string leaves `api_id` unset
    /// (spec/storage.md §2.3).
    pub fn from_session_string(s: &str) -> Result<Storage, StorageError> {
        let decoded =
            decode_compat(s).map_err(|e| StorageError::from(StorageErrorKind::SessionString(e)))?;
        let mut storage = Storage::memory()?;
        storage.set_session(&decoded.session)?;
        Ok(storage)
    }
}

impl Storage {
    /// Opens an existing session file read-only, for looking only: it is recognised and checked
    /// as by [`Storage::open_file`], but never migrated or written (spec/storage.md §2.2).
    /// Writes and [`Storage::delete`] through it fail with `ReadOnlyStorage`; a WAL-mode file
    /// read without locks answers `Changed` once another client has written it.
    pub fn open_file_read_only(path: impl AsRef<Path>) -> Result<Storage, StorageError> {
        OpenOptions::new().read_only(true).open(path)
    }

    fn read_only_with(path: PathBuf, wait: Duration, check: bool) -> Result<Storage, StorageError> {
        match Storage::read_only_opened(path, wait, check, None, false)? {
            OpenedReadOnly::Pyrogram(storage) => Ok(storage),
            // Not asked for: a Telethon file is refused by the examination.
            OpenedReadOnly::Telethon(t) => Err(StorageError::new(
                t.path.clone(),
                StorageErrorKind::TelethonSession { version: None },
            )),
        }
    }

    /// Opens an SQLite file read-only once, for reading whatever session file it is
    /// (spec/conversions.md §3.2): a Pyrogram (or fork's) file as a read-only storage, and a
    /// Telethon file as the read-only connection its reader then reads, never opened again.
    /// `wal` is what the file's header said ([`sqlite_header`]), read by the caller.
    pub(crate) fn open_sqlite_read_only(
        path: &Path,
        wal: bool,
        wait: Duration,
    ) -> Result<OpenedReadOnly, StorageError> {
        Storage::read_only_opened(path.to_path_buf(), wait, true, Some(wal), true)
    }

    fn read_only_opened(
        path: PathBuf,
        wait: Duration,
        check: bool,
        wal: Option<bool>,
        telethon: bool,
    ) -> Result<OpenedReadOnly, StorageError> {
        if !path.exists() {
            return Err(if path.is_symlink() {
                broken_link(path)
            } else {
                StorageError::new(path, StorageErrorKind::NoSuchFile)
            });
        }
        let wal = match wal {
            Some(wal) => wal,
            None => sniff(&path)?,
        };
        let hold = crate::fs::hold(&path, wal);
        let real = std::fs::canonicalize(&path).ok();
        let deadline = deadline(wait);
        // A writer that changes the file during the examination (an `immutable` connection's
        // file, `Changed`) is waited for like one that holds it.
        let (storage, hold) = attempts(wait, deadline, true, move |slice| {
            let (conn, reads) = open_read_only(&path, slice, wal)?;
            let dialect = match examine(&conn, Some(&path), check) {
                // The examination's connection is the reader's: the file is not opened again.
                Err(e)
                    if telethon && matches!(e.kind(), StorageErrorKind::TelethonSession { .. }) =>
                {
                    return Ok(OpenedReadOnly::Telethon(OpenedTelethon {
                        conn,
                        path: path.clone(),
                        reads,
                        deadline,
                        _hold: None,
                    }));
                }
                found => found?,
            };
            conn.busy_timeout(sqlite_wait(wait))
                .map_err(sqlite_err(Some(&path), "setting the busy timeout"))?;
            let storage = Storage {
                conn,
                engine: Engine::File(path.clone()),
                dialect,
                clock: Arc::new(SystemClock),
                wait,
                read_only: Some(reads),
                hold: None,
                real: real.clone(),
            };
            // The examination read the file: it must not have changed meanwhile.
            match storage.reading(|| Ok(())) {
                Ok(()) => Ok(OpenedReadOnly::Pyrogram(storage)),
                Err(e) if matches!(e.kind(), StorageErrorKind::Changed) => Err(
                    StorageError::about(e.path(), StorageErrorKind::InUse { waited: wait }),
                ),
                Err(e) => Err(e),
            }
        })
        .map(|s| (s, hold))?;
        Ok(match storage {
            OpenedReadOnly::Pyrogram(storage) => {
                OpenedReadOnly::Pyrogram(Storage { hold, ..storage })
            }
            OpenedReadOnly::Telethon(t) => {
                OpenedReadOnly::Telethon(OpenedTelethon { _hold: hold, ..t })
            }
        })
    }

    /// Writes a new Pyrogram 2.0.106 session file holding `session` (`date` 0, no peers), as
    /// importing a session string into a file does (spec/storage.md §2.4).
    ///
    /// The file is built under a temporary name in the same directory and then linked into
    /// place, which fails if `path` exists: an existing file is never overwritten, and a crash
    /// leaves no half-written session at `path`.
    pub fn create_file_from_session(
        path: impl AsRef<Path>,
        session: &crate::Session,
    ) -> Result<(), StorageError> {
        let path = path.as_ref().to_path_buf();
        new_file_place(&path)?;
        publish_new_file(&path, Some(session)).map(drop)
    }
}

/// Refuses a place a new file cannot take: a path that names no file, an existing file
/// (`AlreadyExists`), a missing directory (spec/storage.md §2.4).
pub(super) fn new_file_place(path: &Path) -> Result<(), StorageError> {
    names_a_file(path)?;
    super::side::name_fits(path)?;
    if path.exists() {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::AlreadyExists,
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(StorageError::new(
            dir.to_path_buf(),
            StorageErrorKind::NoSuchDirectory,
        ));
    }
    Ok(())
}

/// Builds a complete session file (Pyrogram 2.0.106's schema, its version row and the session
/// row, holding `session` if given) under a temporary name and links it to `path`, failing with
/// [`StorageErrorKind::AlreadyExists`] if `path` exists (spec/storage.md §2.4). Returns the built
/// file's identity (device and inode, where files have one).
pub(crate) fn publish_new_file(
    path: &Path,
    session: Option<&crate::Session>,
) -> Result<Option<(u64, u64)>, StorageError> {
    let mut built = None;
    publish_built(path, |tmp| {
        build_new_file(tmp, path, session, |_| Ok(()))?;
        built = crate::fs::identity(tmp);
        Ok(())
    })?;
    Ok(built)
}

/// Runs `build` on an empty file made beside `path`, then links the file to `path`, failing
/// with [`StorageErrorKind::AlreadyExists`] if `path` exists; the temporary name is removed whatever
/// happens ([`crate::fs::publish`]).
pub(super) fn publish_built(
    path: &Path,
    build: impl FnOnce(&Path) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    crate::fs::publish(
        path,
        |tmp, file| {
            drop(file);
            build(tmp)
        },
        |tmp| {
            crate::fs::link(tmp, path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    StorageError::new(path.to_path_buf(), StorageErrorKind::AlreadyExists)
                } else {
                    StorageError::io(path, "moving the new file into place", source)
                }
            })
        },
        |failure| match failure {
            crate::fs::Failure::Creating(source) => {
                StorageError::io(path, "creating the file", source)
            }
            // Reported unless an earlier error is (spec/storage.md §2.7).
            crate::fs::Failure::Removing(tmp, source) => {
                StorageError::io(&tmp, "removing the temporary file", source)
            }
        },
    )
}

/// Builds a session file in `tmp`, an empty file [`crate::fs::create_beside`] made: the schema
/// and the session row, then `fill` writes through the same connection (the peers of a
/// conversion or a salvage), so the new file is opened once. Errors name `shown`, the file the
/// caller asked for.
pub(crate) fn build_new_file(
    tmp: &Path,
    shown: &Path,
    session: Option<&crate::Session>,
    fill: impl FnOnce(&mut Storage) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let mut conn = Connection::open_with_flags(
        tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err(Some(shown), "opening the new file"))?;
    create(&mut conn, Some(shown))?;
    // As in every connection of the crate: the schema's trigger would overwrite the dates the
    // peers are written with (spec/storage.md §2.2).
    triggers_off(&conn, Some(shown))?;
    let mut storage = Storage {
        conn,
        engine: Engine::File(tmp.to_path_buf()),
        dialect: Dialect::Pyrogram(schema::VERSION),
        clock: Arc::new(SystemClock),
        wait: Duration::ZERO,
        read_only: None,
        hold: None,
        real: None,
    };
    let filled = match session {
        Some(session) => storage.set_session(session),
        None => Ok(()),
    }
    .and_then(|()| fill(&mut storage));
    filled
        .and_then(|()| storage.close())
        .map_err(|e| e.naming(tmp, shown))
}

/// The lock of a file about to be replaced, held until it is dropped (spec/storage.md §2.9).
#[derive(Debug)]
pub(crate) struct Replacing {
    conn: Option<Connection>,
    /// Whether `path` is a symbolic link: a rename replaces the link, and the file it points to
    /// stays, with its side files.
    link: bool,
}

impl Replacing {
    /// Removes the old file's `-wal`, `-shm` and `-journal` once another file has been renamed
    /// over `path`: with the lock held, nobody else uses them, and an old `-wal` left beside
    /// the new file would be read into it by the next connection. Where `path` was a symbolic
    /// link, the rename replaced the link and the file it points to keeps its side files.
    pub(crate) fn remove_side_files(&self, path: &Path) -> Result<(), StorageError> {
        if self.conn.is_none() || self.link {
            return Ok(());
        }
        for suffix in super::side::SUFFIXES {
            let mut side = path.to_path_buf().into_os_string();
            side.push(suffix);
            match std::fs::remove_file(&side) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StorageError::io(
                        Path::new(&side),
                        "removing the old side file",
                        e,
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Takes the exclusive lock of the SQLite database at `path` before another file is renamed
/// over it, waiting up to `wait` in attempts as an open does (spec/storage.md §2.5, §2.9): a
/// client that holds the file (a storage of this crate, in this process or another, or a
/// Pyrogram process in the middle of a write transaction) makes this fail with
/// [`StorageErrorKind::InUse`], and while the returned lock is held no client can begin to write
/// the old file. Nothing is written to it. A path that holds no SQLite database (no file, an
/// empty file, a text file) has no lock to take: `Replacing` holds nothing then.
pub(crate) fn lock_for_replacement(path: &Path, wait: Duration) -> Result<Replacing, StorageError> {
    let nothing = Replacing {
        conn: None,
        link: false,
    };
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(nothing);
    };
    if !meta.is_file() || meta.len() == 0 {
        return Ok(nothing);
    }
    match crate::fs::open(path) {
        Ok(crate::fs::Opened::File(mut file)) => {
            let mut head = [0u8; 16];
            if file.read_exact(&mut head).is_err() || sqlite_header(&head).is_none() {
                return Ok(nothing);
            }
        }
        // A file a storage of this process holds is an SQLite session file, not read outside
        // SQLite (§2.5).
        Ok(crate::fs::Opened::Held { .. }) => {}
        Err(_) => return Ok(nothing),
    }
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let deadline = deadline(wait);
    attempts(wait, deadline, true, |slice| {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_err(Some(path), "opening the file"))?;
        triggers_off(&conn, Some(path))?;
        // The replaced file is left as it was: no checkpoint into it as the lock closes (its
        // side files are removed with it, `remove_side_files`). A file a replaced symbolic
        // link pointed to stays in use: it is closed as any client closes it.
        if !link {
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(sqlite_err(Some(path), "configuring the connection"))?;
        }
        conn.busy_timeout(sqlite_wait(slice))
            .map_err(sqlite_err(Some(path), "setting the busy timeout"))?;
        let locked = if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            // A file this process may not write: a shared lock still proves that no writer
            // of a rollback-journal file is in.
            conn.execute_batch("BEGIN").and_then(|()| {
                conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })
            })
        } else {
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
                .and_then(|()| conn.execute_batch("BEGIN EXCLUSIVE"))
                .map(|()| 0)
        };
        locked.map_err(sqlite_err(Some(path), "taking the session's lock"))?;
        Ok(Replacing {
            conn: Some(conn),
            link,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examination reads in one transaction of its own where the connection is in none,
    /// and leaves the connection as it found it: out of any transaction after a success or a
    /// refusal, still in its own transaction where it was in one (a claimed connection's).
    #[test]
    fn the_examination_reads_in_one_transaction_and_ends_it() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let path = dir.join("one-read.session");
        publish_new_file(&path, None).expect("built");
        let conn = Connection::open(&path).expect("open");
        let seen = std::cell::Cell::new(None);
        let dialect = in_one_read(&conn, Some(&path), || {
            seen.set(Some(conn.is_autocommit()));
            examine(&conn, Some(&path), true)
        })
        .expect("examined");
        assert_eq!(dialect, Dialect::Pyrogram(schema::VERSION));
        assert_eq!(
            seen.get(),
            Some(false),
            "the reads ran outside a transaction"
        );
        assert!(conn.is_autocommit(), "the examination left its read open");
        conn.execute_batch("BEGIN").expect("begin");
        examine(&conn, Some(&path), true).expect("examined");
        assert!(
            !conn.is_autocommit(),
            "the examination ended the caller's transaction"
        );
        conn.execute_batch("ROLLBACK").expect("rollback");
        conn.execute_batch("DROP TABLE sessions").expect("damaged");
        let refused = examine(&conn, Some(&path), true).expect_err("refused");
        assert!(
            matches!(refused.kind(), StorageErrorKind::NotASession { .. }),
            "{refused}"
        );
        assert!(conn.is_autocommit(), "a refusal left the read open");
        drop(conn);
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    /// A file this process built is examined by its claimed connection (spec/storage.md §2.2,
    /// *Creating* step 6): one changed after it was linked (here its session row deleted) is
    /// refused as any such file is, never opened unexamined; and a built file opens as
    /// `pyrogram v3`, held by its storage.
    #[test]
    fn mmap_size_sets_the_claimed_connection_s_memory_map() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let path = dir.join("mapped.session");
        let mapped = |s: &Storage| -> i64 {
            s.conn
                .pragma_query_value(None, "mmap_size", |r| r.get(0))
                .expect("mmap_size")
        };
        // Created, then opened again: both paths to a claimed connection take the option.
        let default = || OpenOptions::new();
        let unmapped = || OpenOptions::new().mmap_size(0);
        for (create, reopen) in [(default(), unmapped()), (unmapped(), default())] {
            for options in [create, reopen] {
                let storage = options.open(&path).expect("opened");
                let want = if options.mmap_size == 0 { 0 } else { 256 << 20 };
                assert_eq!(mapped(&storage), want);
                storage.close().expect("closed");
            }
            std::fs::remove_file(&path).expect("remove");
        }
        std::fs::remove_dir_all(&dir).expect("dir removed");
    }

    #[test]
    fn a_built_file_is_examined_by_its_claim() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let path = dir.join("built.session");
        let built = publish_new_file(&path, None).expect("built");
        Connection::open(&path)
            .and_then(|c| c.execute_batch("DELETE FROM sessions"))
            .expect("changed");
        let err = Storage::open_built(
            path.clone(),
            built,
            DEFAULT_WAIT,
            deadline(DEFAULT_WAIT),
            true,
            256 << 20,
        )
        .expect_err("refused");
        assert!(
            matches!(err.kind(), StorageErrorKind::SessionRows { found: 0 }),
            "{err}"
        );
        std::fs::remove_file(&path).expect("remove");
        let built = publish_new_file(&path, None).expect("built");
        let storage = Storage::open_built(
            path.clone(),
            built,
            DEFAULT_WAIT,
            deadline(DEFAULT_WAIT),
            true,
            256 << 20,
        )
        .expect("opened");
        assert_eq!(storage.dialect(), Dialect::Pyrogram(schema::VERSION));
        assert!(matches!(
            crate::fs::open(&path),
            Ok(crate::fs::Opened::Held { wal: false })
        ));
        drop(storage);
        crate::fs::remove_dir(&dir).expect("remove");
    }
}
