//! The file and memory storage engines, byte-compatible with Pyrogram 2.0.106 (spec/storage.md).
//!
//! A [`Storage`] is one SQLite database with Pyrogram's schema: a `<name>.session` file, or a
//! database in memory. Both engines behave alike; only where the data lives differs.
//!
//! ```
//! use pyrosession::peer::{InputPeer, Peer, PeerType};
//! use pyrosession::storage::Storage;
//!
//! let mut storage = Storage::memory()?;
//! storage.update_peers(&[Peer {
//!     id: 777,
//!     access_hash: Some(-5),
//!     peer_type: PeerType::User,
//!     username: Some("alice".into()),
//!     phone_number: None,
//! }])?;
//! assert_eq!(
//!     storage.get_peer_by_username("alice")?,
//!     InputPeer::User { user_id: 777, access_hash: -5 }
//! );
//! # Ok::<(), pyrosession::storage::StorageError>(())
//! ```

mod engine;
mod error;
mod fields;
mod open;
mod peers;
#[cfg(feature = "postgres")]
pub mod postgres;
mod resolve;
mod salvage;
pub(crate) mod schema;
mod shared;
pub(crate) mod side;

pub(crate) use open::{
    begins_like_json, is_json_session, sqlite_header, OpenedReadOnly, OpenedTelethon,
};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;

use crate::fs::identity;

pub use engine::SessionStore;
pub(crate) use error::fixed_text;
pub(crate) use error::{write_place, Named, Shown};
pub use error::{
    NotFound, ReadOnlyCause, SideFileProblem, SqliteError, StorageError, StorageErrorKind,
};
pub(crate) use fields::describe as describe_value;
pub(crate) use fields::describe_kind;
pub(crate) use fields::range;
pub use fields::SessionFields;
pub(crate) use open::{build_new_file, lock_for_replacement, remaining, sqlite_wait};
pub use open::{OpenOptions, DEFAULT_WAIT};
pub use peers::{StoredPeer, UnreadablePeer};
pub use resolve::{Lookup, Query, Resolved};
pub use salvage::{
    IndexReport, LeftBehind, Rejected, RowidRange, SalvageReport, Salvaged, TableReport,
};
pub use schema::{Dialect, SCHEMA_V3};
pub use shared::SharedStorage;
pub(crate) use side::name_fits;

/// Seconds after which a cached username is stale, either way (`USERNAME_TTL`, spec/storage.md §6.5).
pub const USERNAME_TTL: i64 = 8 * 60 * 60;

/// The extension of session files.
pub const FILE_EXTENSION: &str = ".session";

/// Where time comes from: `save()` dates the session with it, `update_peers` stamps peers with
/// it, and username expiry is measured against it. Tests inject their own.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in Unix seconds.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock that says what it is told, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock stopped at `now`.
    #[must_use]
    pub fn new(now: i64) -> Self {
        ManualClock(AtomicI64::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time by `seconds` (either way).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where a session named on the command line or to a client lives (spec/storage.md §2.1).
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// `:memory:`: a memory storage.
    Memory,
    /// A session string given as the name: a memory storage loaded from it (whitespace removed).
    SessionString(String),
    /// A file `<workdir>/<name>.session`.
    File(PathBuf),
}

impl fmt::Debug for Location {
    /// Never prints a session string, which holds the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Memory => f.write_str("Memory"),
            Location::SessionString(s) => {
                write!(f, "SessionString({} characters)", s.chars().count())
            }
            Location::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// The seed's naming rule as Pyrogram 1.x applied it (spec/storage.md §2.1): `:memory:` is a
/// memory storage; a name of 351 characters or more is a session string, with all whitespace
/// removed after the length test; anything else names the file `<workdir>/<name>.session`.
#[must_use]
pub fn locate(name: &str, workdir: &Path) -> Location {
    if name == ":memory:" {
        Location::Memory
    } else if name.chars().count() >= 351 {
        Location::SessionString(name.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        Location::File(workdir.join(format!("{name}{FILE_EXTENSION}")))
    }
}

/// The engine behind a storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// A session file.
    File(PathBuf),
    /// A database in memory.
    Memory,
}

/// A Pyrogram session storage: session fields and the peer cache in one SQLite database.
///
/// Every write commits before it returns, peers included (spec/storage.md §8.1).
pub struct Storage {
    conn: Connection,
    engine: Engine,
    dialect: Dialect,
    clock: Arc<dyn Clock>,
    /// How long a statement waits for another connection's lock (the open's wait).
    wait: std::time::Duration,
    /// How the file was opened read-only, for a read-only storage (spec/storage.md §2.2). Every
    /// other storage (memory, a claimed file) is one no other connection can use, and its
    /// lookups keep a read transaction open until the next write (§2.5); a read-only storage's
    /// reads must not hold the writer back.
    read_only: Option<ReadOnly>,
    /// The storage's hold on its file, which keeps this process from reading the file's bytes
    /// outside SQLite while it is open (see [`crate::fs::hold`]). Declared after `conn`, so that it is let
    /// go after the connection has closed.
    hold: Option<crate::fs::Hold>,
    /// The file itself, as the open found it: absolute, symbolic links followed. `delete()`
    /// removes this, not the path as given, which a change of working directory or of a link's
    /// target would make another file.
    real: Option<PathBuf>,
}

/// How a read-only storage reads its file (spec/storage.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadOnly {
    /// With SQLite's ordinary locks: every statement sees the file's content as it is; which
    /// file the path names is checked around every read (the identity of the file the open
    /// found, where files have one): a file renamed over it, or its deletion, is not followed by
    /// the connection, which would go on reading the old one.
    Locked(Option<(u64, u64)>),
    /// `immutable` (a WAL-mode file without a `-wal`): SQLite reads without locks and assumes
    /// the file never changes, so every read checks that it is still as it was at the open.
    Immutable(FileState),
}

impl ReadOnly {
    /// Whether `path` still names the file a read-only connection opened: unchanged for an
    /// `immutable` one (else `Changed`), the same file for one opened by path (else
    /// `Replaced`).
    pub(crate) fn check(&self, path: &Path) -> Result<(), StorageError> {
        match self {
            ReadOnly::Immutable(state) if state.changed(path) => Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::Changed,
            )),
            ReadOnly::Locked(Some(id)) if identity(path) != Some(*id) => Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::Replaced,
            )),
            _ => Ok(()),
        }
    }
}

/// What tells whether a file has been written since: the main file's size, time of change and
/// identity, and whether a `-wal` is beside it (a writer of a WAL-mode file creates one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileState {
    wal: PathBuf,
    main: Option<(u64, Option<std::time::SystemTime>, u64)>,
    wal_exists: bool,
}

impl FileState {
    /// The state of `path` now; `wal` is where SQLite keeps its `-wal` (beside the file a
    /// symbolic link points to).
    pub(crate) fn read(path: &Path, wal: PathBuf) -> FileState {
        let main = std::fs::metadata(path).ok().map(|m| {
            #[cfg(unix)]
            let id = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let id = 0;
            (m.len(), m.modified().ok(), id)
        });
        let wal_exists = wal.exists();
        FileState {
            wal,
            main,
            wal_exists,
        }
    }

    fn changed(&self, path: &Path) -> bool {
        *self != FileState::read(path, self.wal.clone())
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("engine", &self.engine)
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the storage a name designates (see [`locate`]): a memory storage, a memory storage
    /// loaded from a session string, or the file `<workdir>/<name>.session`, created if missing.
    pub fn open(name: &str, workdir: &Path) -> Result<Storage, StorageError> {
        match locate(name, workdir) {
            Location::Memory => Storage::memory(),
            Location::SessionString(s) => Storage::from_session_string(&s),
            Location::File(path) => Storage::open_file(path),
        }
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The file, for a file storage.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match &self.engine {
            Engine::File(p) => Some(p),
            Engine::Memory => None,
        }
    }

    /// The permission bits of a file storage's file (`0o644`), as they are now; `None` for a
    /// memory storage or where they cannot be read. A file others may read (`mode & 0o044`)
    /// opens, as Pyrogram's files under umask 022 are, but its key can be read by them: say so,
    /// and suggest `chmod 600` (spec/storage.md §2.2, "Owner and mode"). The crate never changes
    /// an existing file's mode.
    #[must_use]
    pub fn file_mode(&self) -> Option<u32> {
        self.path().and_then(side::mode)
    }

    /// The schema's dialect and version.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Replaces the clock.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Now, by the storage's clock.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Renders the schema: its `CREATE` statements, as `sqlite_master` holds them.
    pub fn render_schema(&self) -> Result<String, StorageError> {
        self.reading(|| {
            schema::render(&self.conn).map_err(|e| self.sqlite("reading the schema", e))
        })
    }

    /// How many rows a fork's `update_state` table holds (pyrofork; kurigram and pyrotgfork
    /// from version 5); 0 where the file has no such table. Conversions report them as left
    /// behind (spec/conversions.md §8).
    pub(crate) fn update_state_rows(&self) -> Result<usize, StorageError> {
        const DOING: &str = "counting the update state";
        self.reading(|| {
            if !self.has_table("update_state", DOING)? {
                return Ok(0);
            }
            let n: i64 = self
                .conn
                .query_row("SELECT count(*) FROM update_state", [], |r| r.get(0))
                .map_err(|e| self.sqlite(DOING, e))?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    /// Sets `date` to now and commits (spec/storage.md §7.3).
    pub fn save(&mut self) -> Result<(), StorageError> {
        let now = self.clock.now();
        self.set_date(now)
    }

    /// Closes the database.
    pub fn close(self) -> Result<(), StorageError> {
        let path = self.path().map(Path::to_path_buf);
        self.conn.close().map_err(|(_, source)| {
            StorageError::new(
                path,
                StorageErrorKind::Sqlite {
                    doing: "closing",
                    source: error::SqliteError(fixed_text(source)),
                },
            )
        })
    }

    /// Deletes the session: the file engine closes and removes its file and any `-journal`,
    /// `-wal` and `-shm` side files; the memory engine only closes (spec/storage.md §7.4). A
    /// read-only storage refuses (`ReadOnlyStorage`) and removes nothing: another client may be
    /// writing the file.
    pub fn delete(self) -> Result<(), StorageError> {
        self.writable("delete it")?;
        let given = self.path().map(Path::to_path_buf);
        let real = self.real.clone().or_else(|| given.clone());
        let (Some(given), Some(path)) = (given, real) else {
            return self.close();
        };
        // Only the file this storage opened is deleted: another put at its path since (renamed
        // over it, or a new file after it was removed) is not (spec/storage.md §7.4).
        let opened = self.hold.as_ref().map(crate::fs::Hold::id);
        if opened.is_some() && identity(&path) != opened {
            let _ = self.close();
            return Err(StorageError::new(given, StorageErrorKind::DeleteReplaced));
        }
        // A symbolic link to the session goes too, if it still points at it.
        let link = (given != path
            && std::fs::symlink_metadata(&given).is_ok_and(|m| m.file_type().is_symlink())
            && std::fs::canonicalize(&given).is_ok_and(|t| t == path))
        .then_some(given);
        let remove = |p: PathBuf, missing_ok: bool| match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StorageError::new(
                p,
                StorageErrorKind::Io {
                    doing: "deleting the session",
                    source,
                },
            )),
        };
        // On Unix the file is removed while the connection still holds its lock, so that no
        // client of this crate can have put another file there between the check and the
        // removal (their replacements wait for the lock, spec/conversions.md §5.5).
        if cfg!(unix) {
            if let Err(e) = remove(path.clone(), false) {
                let _ = self.close();
                return Err(e);
            }
            self.close()?;
        } else {
            self.close()?;
            remove(path.clone(), false)?;
        }
        for suffix in side::SUFFIXES {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            remove(PathBuf::from(side), true)?;
        }
        if let Some(link) = link {
            remove(link, true)?;
        }
        Ok(())
    }

    /// Refuses a write or a deletion through a read-only storage, before SQLite is asked: its
    /// answer would be that the file cannot be written, which is not so.
    fn writable(&self, what: &'static str) -> Result<(), StorageError> {
        match (&self.read_only, self.path()) {
            (Some(_), Some(path)) => Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::ReadOnlyStorage { what },
            )),
            _ => Ok(()),
        }
    }

    /// What every write does first: refuses a read-only storage, then ends the read lookups
    /// hold.
    fn begin_write(&mut self) -> Result<(), StorageError> {
        self.writable("change it")?;
        self.end_reads()
    }

    /// Runs a read; for an `immutable` read-only storage, only while the file is as it was at
    /// the open, checked before and after, so that neither a stale nor a torn read is returned
    /// (spec/storage.md §2.2).
    #[inline]
    fn reading<T>(
        &self,
        read: impl FnOnce() -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        match &self.read_only {
            Some(reads @ (ReadOnly::Immutable(_) | ReadOnly::Locked(Some(_)))) => {
                self.reading_checked(reads, read)
            }
            _ => read(),
        }
    }

    /// A read through a read-only storage, between two checks that its path still names the
    /// file the open found: unchanged for an `immutable` one (else `Changed`), the same file for
    /// one opened by path (else `Replaced`).
    #[cold]
    fn reading_checked<T>(
        &self,
        reads: &ReadOnly,
        read: impl FnOnce() -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let path = self.path().unwrap_or(Path::new(""));
        reads.check(path)?;
        let result = read();
        reads.check(path)?;
        result
    }

    /// Opens the read transaction lookups run in, where the storage holds one and none is open:
    /// each lookup then skips beginning and ending a transaction of its own, about a sixth of
    /// its cost (spec/storage.md §2.5).
    fn begin_reads(&self) -> Result<(), StorageError> {
        if self.read_only.is_none() && self.conn.is_autocommit() {
            self.conn
                .prepare_cached("BEGIN")
                .and_then(|mut begin| begin.execute([]))
                .map_err(|e| self.sqlite("beginning to read", e))?;
        }
        Ok(())
    }

    /// Ends the read transaction lookups hold, before a write: the write then runs and commits
    /// on its own, as if no read had come before it.
    fn end_reads(&mut self) -> Result<(), StorageError> {
        if !self.conn.is_autocommit() {
            self.conn
                .prepare_cached("COMMIT")
                .and_then(|mut commit| commit.execute([]))
                .map_err(|e| self.sqlite("ending a read", e))?;
        }
        Ok(())
    }

    fn sqlite(&self, doing: &'static str, source: rusqlite::Error) -> StorageError {
        StorageError::from_sqlite_waited(self.path(), doing, source, self.wait)
    }
}

#[cfg(test)]
mod tests {
    use super::Storage;
    use crate::peer::{Peer, PeerType};

    fn one_peer(storage: &mut Storage) {
        let peer = Peer {
            id: 42,
            access_hash: Some(7),
            peer_type: PeerType::User,
            username: Some("answer".to_owned()),
            phone_number: None,
        };
        storage.update_peers(&[peer]).unwrap();
    }

    /// Where the storage holds its reads, a lookup leaves its read transaction open and the
    /// next write ends it; a read-only file never keeps one (spec/storage.md §2.5).
    #[test]
    fn lookups_hold_a_read_until_the_next_write_except_read_only() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-held-").unwrap();
        let path = dir.join("held.session");
        let mut file = Storage::open_file(&path).unwrap();
        let mut memory = Storage::memory().unwrap();
        for s in [&mut file, &mut memory] {
            one_peer(s);
            assert!(s.conn.is_autocommit(), "a write left a transaction open");
            s.get_peer_by_username("answer").unwrap();
            assert!(!s.conn.is_autocommit(), "the lookup's read was not held");
            s.get_peer_by_id(42).unwrap();
            assert!(!s.conn.is_autocommit());
            s.set_dc_id(3).unwrap();
            assert!(s.conn.is_autocommit(), "the write did not end the read");
        }
        // Closing, or deleting, with the read still open ends it.
        file.get_peer_by_id(42).unwrap();
        assert!(!file.conn.is_autocommit());
        file.close().unwrap();
        memory.get_peer_by_id(42).unwrap();
        memory.delete().unwrap();
        let reader = Storage::open_file_read_only(&path).unwrap();
        assert_eq!(reader.session().unwrap().dc_id, 3);
        reader.get_peer_by_id(42).unwrap();
        assert!(
            reader.conn.is_autocommit(),
            "a read-only file held its read"
        );
        drop(reader);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
