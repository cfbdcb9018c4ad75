//! Errors of the storage engines (spec/storage.md §9).

use std::fmt;
use std::path::{Path, PathBuf};

use super::Dialect;
use crate::peer::PeerType;
use crate::string::DecodeError;

/// Which lookup missed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotFound {
    /// No peer with this id (Pyrogram: `KeyError: 'ID not found: …'`).
    Id(i64),
    /// No peer with this username (`Username not found: …`).
    Username(String),
    /// No peer with this phone number (`Phone number not found: …`).
    PhoneNumber(String),
}

/// What is wrong with a side file of a session file ([`StorageErrorKind::SideFile`],
/// spec/storage.md §2.8).
#[derive(Debug)]
#[non_exhaustive]
pub enum SideFileProblem {
    /// It is not a regular file: `kind` says what it is (`a FIFO`, `a directory`, `a symbolic
    /// link`, `a character device`…).
    NotAFile {
        /// What it is.
        kind: &'static str,
    },
    /// It belongs to another user than the session file's owner, this process's user or root.
    Owner {
        /// Its owner's user id.
        owner: u32,
        /// The session file's owner's user id.
        file_owner: u32,
    },
    /// Its mode lets other users (its group, or everyone) do what the session file's does not.
    Mode {
        /// Its mode.
        mode: u32,
        /// The session file's mode.
        file_mode: u32,
    },
    /// It cannot be opened for reading.
    Unreadable(std::io::Error),
    /// Its name led to another file while it was checked: something is changing it.
    Replaced,
}

/// An error of a storage engine: what went wrong ([`StorageError::kind`]) and the file it
/// concerns, if any ([`StorageError::path`]), named once.
///
/// `Display` prints `<file>: <message>` (a memory storage's SQLite errors say `memory storage`
/// instead; an error about no file has no prefix); the message is whole, with the text of the
/// SQLite or system error that caused it, so [`std::error::Error::source`] returns `None` and a
/// reporter walking the chain prints nothing twice. No error ever holds or prints key material.
#[derive(Debug)]
pub struct StorageError {
    path: Option<PathBuf>,
    kind: StorageErrorKind,
}

/// An SQLite error, as a [`StorageErrorKind::Sqlite`] holds it: its message is one of SQLite's
/// fixed texts, or names only columns and tables, never values (spec/storage.md §9). It is
/// opaque: the SQLite binding the crate uses is not part of its API.
#[derive(Debug)]
pub struct SqliteError(pub(crate) rusqlite::Error);

impl fmt::Display for SqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SqliteError {}

/// What went wrong in a storage engine, without the file it concerns: [`StorageError::path`]
/// names it, once (spec/storage.md §9).
#[derive(Debug)]
#[non_exhaustive]
pub enum StorageErrorKind {
    /// SQLite failed.
    Sqlite {
        /// What was being done.
        doing: &'static str,
        /// SQLite's error.
        source: SqliteError,
    },
    /// The file system failed.
    Io {
        /// What was being done.
        doing: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The session file's name is so long that SQLite's side files beside it (`-journal`, 8
    /// bytes more) would exceed the 255 bytes a file name may have: SQLite could never write
    /// the file (spec/storage.md §2.8).
    NameTooLong {
        /// The length of its name, in bytes.
        bytes: usize,
    },
    /// The session's directory does not exist (Pyrogram does not create it either).
    NoSuchDirectory,
    /// Another connection has the session open for writing and holds its lock (spec/storage.md
    /// §2.5): one session file serves one client at a time.
    InUse {
        /// How long this open waited for the lock before giving up.
        waited: std::time::Duration,
    },
    /// SQLite found the file damaged: its pages or indexes do not hold together (an integrity
    /// check at open, or SQLite's own corruption error later).
    Corrupt {
        /// What SQLite reported, first problems first.
        detail: String,
    },
    /// An entry of the file's schema cannot be parsed by SQLite (a table made with
    /// `writable_schema`, too many columns, expressions nested too deep), so SQLite reads no
    /// table of the file (spec/storage.md §9). Salvage reads past it (§11.1).
    UnreadableSchema {
        /// The entry's name, as the file gives it (cut to 32 characters).
        name: String,
        /// What SQLite says is wrong with it.
        detail: String,
    },
    /// The file cannot be written: no write permission, a directory that may not be written, a
    /// read-only file system.
    ReadOnly {
        /// Why, as far as the open could tell.
        cause: ReadOnlyCause,
    },
    /// A write or a deletion through a storage opened read-only (spec/storage.md §2.2): the
    /// file may be writable, but this storage is for looking only.
    ReadOnlyStorage {
        /// What was asked: `change it` or `delete it`.
        what: &'static str,
    },
    /// A read-only storage of a WAL-mode file, read without locks (`immutable`), whose file has
    /// been written since it was opened: what it would read may be stale or half-written
    /// (spec/storage.md §2.2).
    Changed,
    /// The file a read-only storage opened by path was renamed over or deleted since the open:
    /// the connection would go on reading the old file (spec/storage.md §2.2).
    Replaced,
    /// `delete()` found another file at the path than the one its storage opened (renamed over
    /// it, or put there after it was removed): nothing was deleted (spec/storage.md §7.4).
    DeleteReplaced,
    /// A write to the file was interrupted, and the `-journal` it left must be rolled back
    /// before anyone can read the file, which this process may not do (it cannot write the file
    /// or its directory).
    NeedsRecovery,
    /// The file or its directory may not be read or written by this user.
    PermissionDenied {
        /// What was being done.
        doing: &'static str,
    },
    /// The disk (or the file size this process may write) is full; the write did not happen,
    /// and every write that returned before it is in the file.
    DiskFull,
    /// An existing session file was asked for, and there is none.
    NoSuchFile,
    /// The path is a symbolic link to nothing. A new session is never created through a link.
    DanglingSymlink {
        /// Where it points.
        target: PathBuf,
    },
    /// The path cannot name a file: it is empty, or ends in `/`, and no directory is there.
    NotAFilePath,
    /// The path is a directory, not a session file.
    IsADirectory,
    /// The path is a FIFO, a device or a socket, not a session file.
    NotAFile {
        /// What it is, in words: `a FIFO`, `a character device`, `a block device`, `a socket`.
        found: &'static str,
    },
    /// The file is empty (0 bytes): a session file that was never written.
    EmptyFile,
    /// The file is a JSON session of Pyrogram 0.14 or earlier.
    LegacyJsonSession,
    /// The file is not an SQLite database.
    NotSqlite,
    /// The file is a Telethon session, not a Pyrogram one.
    TelethonSession {
        /// Telethon's schema version, if readable.
        version: Option<i64>,
    },
    /// The database holds no Pyrogram session schema.
    NotASession {
        /// The tables it has, sorted.
        tables: Vec<String>,
    },
    /// The schema's version is newer than this crate knows for its dialect.
    NewerVersion {
        /// The dialect recognised from the schema, at the newest version known.
        dialect: Dialect,
        /// The version number found.
        found: i64,
    },
    /// The schema's shape and its version number do not fit together.
    InconsistentSchema {
        /// What does not fit.
        detail: String,
    },
    /// The schema orders or compares text by a collation sequence SQLite does not know: one the
    /// program that wrote the file defined in its own connection. Any statement that needs it
    /// fails, the integrity check at open among them (spec/storage.md §9).
    UnknownCollation {
        /// The collation's name, as the schema gives it (at most 32 characters shown).
        name: String,
        /// What was being done.
        doing: &'static str,
    },
    /// `version` holds no row, or more than one (Pyrogram crashes on none).
    VersionRows {
        /// How many rows it holds.
        found: usize,
    },
    /// `sessions` holds no row, or more than one.
    SessionRows {
        /// How many rows it holds.
        found: usize,
    },
    /// A column holds a value of the wrong type or range.
    InvalidValue {
        /// `table.column`.
        column: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// What it holds (a description, never key material).
        found: String,
    },
    /// `peers.type` holds a type this crate does not know.
    UnknownPeerType {
        /// The peer.
        id: i64,
        /// The text found.
        found: String,
    },
    /// A user, bot or channel peer without an access hash.
    MissingAccessHash {
        /// The peer.
        id: i64,
        /// Its type.
        peer_type: PeerType,
    },
    /// A lookup found nothing.
    NotFound(NotFound),
    /// The username is cached but older than 8 hours (either way), so Telegram must be asked again.
    UsernameExpired {
        /// The username.
        username: String,
        /// How old the entry is, in seconds (negative when dated in the future).
        age: i64,
    },
    /// A session string cannot be exported: a field it needs is unset.
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A session string cannot be exported: a field is out of the string's range.
    FieldOutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: i64,
    },
    /// A session's user id does not fit SQLite's signed 64-bit INTEGER.
    UserIdOutOfRange {
        /// The user id.
        user_id: u64,
    },
    /// The session string given to open a memory storage was rejected.
    SessionString(DecodeError),
    /// This write would leave the file invalid for the library that made it.
    UnsupportedWrite {
        /// The file's dialect.
        dialect: Dialect,
        /// What was refused.
        what: String,
    },
    /// A file SQLite keeps beside the session file (`-journal`, `-wal`, `-shm`) is not one that
    /// SQLite made for this file, and SQLite would wait on it, read it into the file or write the
    /// session's pages into it (spec/storage.md §2.8). Nothing was opened: the file and the side
    /// file are as they were.
    SideFile {
        /// The side file.
        side: PathBuf,
        /// What is wrong with it.
        problem: SideFileProblem,
    },
    /// A WAL-mode file whose `-wal` holds writes not yet in the file, with no `-shm` beside it,
    /// where this process cannot create one (spec/storage.md §2.8): SQLite reads a `-wal`
    /// only through that index.
    WalIndexUnavailable {
        /// Where SQLite would create the index.
        shm: PathBuf,
    },
    /// The file already exists and may not be overwritten.
    AlreadyExists,
    /// Salvage could not read the session row of a damaged file, without which nothing is
    /// worth saving (spec/storage.md §11). `cause` says why; its message is part of this one's,
    /// so it is not also a `source()`.
    NothingSaved {
        /// Why the session row cannot be read: `Corrupt`, `SessionRows`, `InvalidValue`, ...
        cause: Box<StorageErrorKind>,
    },
    /// The file belongs to another user (not root), and is not opened for writing: the key
    /// written into it would be theirs to read (spec/storage.md §2.2).
    ForeignOwner {
        /// Its owner's user id.
        owner: u32,
        /// This process's effective user id.
        user: u32,
    },
    /// Users other than its owner may write the file, and it is not opened for writing: they
    /// could swap the session under the client (spec/storage.md §2.2).
    WritableByOthers {
        /// Its permission bits.
        mode: u32,
    },
    /// Salvage copies a damaged file before it reads it, and this one is larger than it copies
    /// (spec/storage.md §11.1).
    TooLargeToCopy {
        /// How many bytes the copy would be: the database's pages as its header counts them, or
        /// the file's size when the header gives no valid count.
        length: u64,
        /// The most salvage copies.
        limit: u64,
        /// Whether `length` is the header's count (else the file's size).
        counted: bool,
    },
    /// The PostgreSQL server, or the connection to it, failed (spec/postgres.md §8): its
    /// SQLSTATE where the server answered, and its primary message, which names objects, never
    /// values (the server's `DETAIL`, which can quote a row, is never kept).
    Postgres {
        /// What was being done.
        doing: &'static str,
        /// The server's SQLSTATE (`40P01`, `57P01`…), where the server answered.
        sqlstate: Option<String>,
        /// The message.
        message: String,
    },
    /// Another holder has the lease on the session in the PostgreSQL engine (spec/postgres.md
    /// §5): one holder at a time, across every machine.
    LeaseHeld {
        /// Who holds it (`host:pid` unless the holder named itself otherwise), as the database
        /// says.
        holder: String,
        /// How long its lease has left, by the server's clock.
        expires_in: std::time::Duration,
        /// How long this open waited for the lease.
        waited: std::time::Duration,
    },
    /// A write of the PostgreSQL engine refused because this storage's lease is no longer its
    /// own (spec/postgres.md §5.3): another holder took it, or it expired or was released.
    /// Nothing of the write was applied.
    LeaseLost {
        /// The fencing token of the lease this storage held.
        token: i64,
        /// Who holds the lease now, if anyone.
        holder: Option<String>,
    },
    /// The database's pyrosession schema is newer than this crate knows (spec/postgres.md §3).
    NewerServerSchema {
        /// The version found.
        found: i64,
        /// The newest this crate knows.
        known: i64,
    },
    /// A session name the PostgreSQL engine cannot store (spec/postgres.md §2).
    InvalidAccountName {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No session of that name in the database (spec/postgres.md §6).
    NoSuchAccount,
    /// Lease options the PostgreSQL engine refuses (spec/postgres.md §5): a ttl under 1 s or
    /// over a year, an empty holder or one with a NUL character.
    InvalidLeaseOptions {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A text holds the NUL character, which PostgreSQL's `text` cannot store
    /// (spec/postgres.md §4): nothing was written.
    NulCharacter {
        /// `table.column` it was to be written to.
        column: &'static str,
    },
    /// A text longer than the PostgreSQL engine stores in an indexed column (spec/postgres.md
    /// §7): a username or phone number over [`crate::storage::postgres::MAX_TEXT_BYTES`];
    /// nothing was written.
    TextTooLong {
        /// `table.column` it was to be written to.
        column: &'static str,
        /// Its length in bytes.
        bytes: usize,
        /// The most the engine stores.
        max: usize,
    },
}

/// Why a file cannot be written, as far as the open could tell ([`StorageErrorKind::ReadOnly`],
/// spec/storage.md §2.5): asked of the system by opening the file for writing once the open's
/// own connection is closed, and never while another storage of this process holds the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadOnlyCause {
    /// This user has no write permission on the file (`EACCES`).
    File,
    /// The file may be written, but not its directory, where SQLite makes the journal.
    Directory,
    /// The file is on a read-only file system (`EROFS`).
    FileSystem,
    /// The system refuses even to this user (`EPERM`: an immutable or append-only file).
    Refused,
    /// Not asked (another storage of this process holds the file), or no answer fits.
    Unknown,
}

impl StorageErrorKind {
    /// A stable code for the kind, in snake case (`in_use`, `corrupt`, `no_such_file`): one
    /// per kind, never renamed or given to another kind, for programs that act on errors (the
    /// command's JSON output; spec/storage.md §9). The codes of [`StorageErrorKind`],
    /// `ConvertErrorKind` and [`crate::string::DecodeErrorKind`] are distinct.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            StorageErrorKind::Sqlite { .. } => "sqlite",
            StorageErrorKind::Io { .. } => "io",
            StorageErrorKind::NameTooLong { .. } => "name_too_long",
            StorageErrorKind::NoSuchDirectory => "no_such_directory",
            StorageErrorKind::InUse { .. } => "in_use",
            StorageErrorKind::Corrupt { .. } => "corrupt",
            StorageErrorKind::UnreadableSchema { .. } => "unreadable_schema",
            StorageErrorKind::ReadOnly { .. } => "read_only",
            StorageErrorKind::ReadOnlyStorage { .. } => "read_only_storage",
            StorageErrorKind::Changed => "changed",
            StorageErrorKind::Replaced => "replaced",
            StorageErrorKind::DeleteReplaced => "delete_replaced",
            StorageErrorKind::NeedsRecovery => "needs_recovery",
            StorageErrorKind::PermissionDenied { .. } => "permission_denied",
            StorageErrorKind::DiskFull => "disk_full",
            StorageErrorKind::NoSuchFile => "no_such_file",
            StorageErrorKind::DanglingSymlink { .. } => "dangling_symlink",
            StorageErrorKind::NotAFilePath => "not_a_file_path",
            StorageErrorKind::IsADirectory => "is_a_directory",
            StorageErrorKind::NotAFile { .. } => "not_a_file",
            StorageErrorKind::EmptyFile => "empty_file",
            StorageErrorKind::LegacyJsonSession => "legacy_json_session",
            StorageErrorKind::NotSqlite => "not_sqlite",
            StorageErrorKind::TelethonSession { .. } => "telethon_session",
            StorageErrorKind::NotASession { .. } => "not_a_session",
            StorageErrorKind::NewerVersion { .. } => "newer_version",
            StorageErrorKind::InconsistentSchema { .. } => "inconsistent_schema",
            StorageErrorKind::UnknownCollation { .. } => "unknown_collation",
            StorageErrorKind::VersionRows { .. } => "version_rows",
            StorageErrorKind::SessionRows { .. } => "session_rows",
            StorageErrorKind::InvalidValue { .. } => "invalid_value",
            StorageErrorKind::UnknownPeerType { .. } => "unknown_peer_type",
            StorageErrorKind::MissingAccessHash { .. } => "missing_access_hash",
            StorageErrorKind::NotFound(_) => "not_found",
            StorageErrorKind::UsernameExpired { .. } => "username_expired",
            StorageErrorKind::MissingField { .. } => "missing_field",
            StorageErrorKind::FieldOutOfRange { .. } => "field_out_of_range",
            StorageErrorKind::UserIdOutOfRange { .. } => "user_id_out_of_range",
            StorageErrorKind::SessionString(_) => "session_string",
            StorageErrorKind::UnsupportedWrite { .. } => "unsupported_write",
            StorageErrorKind::SideFile { .. } => "side_file",
            StorageErrorKind::WalIndexUnavailable { .. } => "wal_index_unavailable",
            StorageErrorKind::AlreadyExists => "already_exists",
            StorageErrorKind::NothingSaved { .. } => "nothing_saved",
            StorageErrorKind::ForeignOwner { .. } => "foreign_owner",
            StorageErrorKind::WritableByOthers { .. } => "writable_by_others",
            StorageErrorKind::TooLargeToCopy { .. } => "too_large_to_copy",
            StorageErrorKind::Postgres { .. } => "postgres",
            StorageErrorKind::LeaseHeld { .. } => "lease_held",
            StorageErrorKind::LeaseLost { .. } => "lease_lost",
            StorageErrorKind::NewerServerSchema { .. } => "newer_server_schema",
            StorageErrorKind::InvalidAccountName { .. } => "invalid_account_name",
            StorageErrorKind::NoSuchAccount => "no_such_account",
            StorageErrorKind::InvalidLeaseOptions { .. } => "invalid_lease_options",
            StorageErrorKind::NulCharacter { .. } => "nul_character",
            StorageErrorKind::TextTooLong { .. } => "text_too_long",
        }
    }
}

impl StorageError {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &StorageErrorKind {
        &self.kind
    }

    /// What went wrong, taken out of the error.
    #[must_use]
    pub fn into_kind(self) -> StorageErrorKind {
        self.kind
    }

    /// The file the error concerns: `None` for a memory storage, or an error about no file (a
    /// lookup that found nothing, a field a string cannot hold).
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The error an open gives for a path that names something other than a regular file: a
    /// directory ([`StorageErrorKind::IsADirectory`]), a FIFO, device or socket
    /// ([`StorageErrorKind::NotAFile`]), a symbolic link to nothing
    /// ([`StorageErrorKind::DanglingSymlink`]). `None` for a regular file, a path that names
    /// nothing, or one that cannot be examined (spec/conversions.md §11.1).
    #[must_use]
    pub fn not_a_file(path: &Path) -> Option<StorageError> {
        let kind = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => return None,
            Ok(m) if m.is_dir() => StorageErrorKind::IsADirectory,
            Ok(m) => StorageErrorKind::NotAFile {
                found: crate::fs::not_regular(&m).unwrap_or("not a regular file"),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let link = std::fs::symlink_metadata(path).ok()?;
                if !link.file_type().is_symlink() {
                    return None;
                }
                let target = std::fs::read_link(path).unwrap_or_default();
                StorageErrorKind::DanglingSymlink { target }
            }
            Err(_) => return None,
        };
        Some(Self::new(path.to_path_buf(), kind))
    }

    /// The error `kind` about the file `path`.
    pub(crate) fn new(path: impl Into<Option<PathBuf>>, kind: StorageErrorKind) -> Self {
        StorageError {
            path: path.into(),
            kind,
        }
    }

    /// The error `kind` about the file `path` (none for a memory storage).
    pub(crate) fn about(path: Option<&Path>, kind: StorageErrorKind) -> Self {
        Self::new(path.map(Path::to_path_buf), kind)
    }

    /// An SQLite error while doing something with a storage, as the typed error that says what
    /// to do about it: `InUse`, `Corrupt`, `ReadOnly`, `PermissionDenied` or `DiskFull` where
    /// SQLite's code says so, `Sqlite` otherwise.
    pub(crate) fn from_sqlite(
        path: Option<&Path>,
        doing: &'static str,
        source: rusqlite::Error,
    ) -> Self {
        Self::from_sqlite_waited(path, doing, source, std::time::Duration::ZERO)
    }

    /// A file-system error: `PermissionDenied` or `DiskFull` where the error says so, `Io`
    /// otherwise.
    pub(crate) fn io(path: &Path, doing: &'static str, source: std::io::Error) -> Self {
        let kind = match source.kind() {
            std::io::ErrorKind::PermissionDenied => StorageErrorKind::PermissionDenied { doing },
            std::io::ErrorKind::StorageFull => StorageErrorKind::DiskFull,
            _ => StorageErrorKind::Io { doing, source },
        };
        Self::new(path.to_path_buf(), kind)
    }

    /// [`StorageError::from_sqlite`] for a statement that waited up to `waited` for a lock.
    pub(crate) fn from_sqlite_waited(
        path: Option<&Path>,
        doing: &'static str,
        source: rusqlite::Error,
        waited: std::time::Duration,
    ) -> Self {
        use rusqlite::ErrorCode as C;
        use StorageErrorKind as K;
        const ROLLBACK: std::ffi::c_int = 8 | (3 << 8);
        let (code, extended) = match &source {
            rusqlite::Error::SqliteFailure(e, _) => (Some(e.code), Some(e.extended_code)),
            _ => (None, None),
        };
        if let rusqlite::Error::SqliteFailure(_, Some(message)) = &source {
            if let Some(rest) = message.strip_prefix("malformed database schema (") {
                let (name, detail) = rest.split_once(')').unwrap_or((rest, ""));
                let detail = detail.strip_prefix(" - ").unwrap_or("malformed");
                let kind = K::UnreadableSchema {
                    name: shown_name(name),
                    detail: detail.to_owned(),
                };
                return Self::about(path, kind);
            }
            if let Some(name) = message.strip_prefix("no such collation sequence: ") {
                let kind = K::UnknownCollation {
                    name: shown_name(name),
                    doing,
                };
                return Self::about(path, kind);
            }
        }
        let kind = match (code, path) {
            (Some(C::DatabaseBusy | C::DatabaseLocked), Some(_)) => K::InUse { waited },
            (Some(C::DatabaseCorrupt | C::NotADatabase), _) => K::Corrupt {
                detail: fixed_text(source).to_string(),
            },
            // SQLITE_READONLY_ROLLBACK: a hot journal this connection cannot roll back.
            (Some(C::ReadOnly), Some(_)) if extended == Some(ROLLBACK) => K::NeedsRecovery,
            (Some(C::ReadOnly), Some(_)) => K::ReadOnly {
                cause: ReadOnlyCause::Unknown,
            },
            (Some(C::PermissionDenied | C::AuthorizationForStatementDenied), Some(_)) => {
                K::PermissionDenied { doing }
            }
            (Some(C::DiskFull), _) => K::DiskFull,
            _ => K::Sqlite {
                doing,
                source: SqliteError(fixed_text(source)),
            },
        };
        Self::about(path, kind)
    }
}

impl From<StorageErrorKind> for StorageError {
    /// An error about no file (or a memory storage).
    fn from(kind: StorageErrorKind) -> Self {
        StorageError { path: None, kind }
    }
}

/// How an error names the file it concerns: one mechanism for [`StorageError`] and
/// `ConvertError`, which both carry the path once, beside their kind.
pub(crate) trait Named: Sized {
    /// The path the error names.
    fn path_slot(&mut self) -> &mut Option<PathBuf>;

    /// Whether the error is about what a file holds (a row, a value), so that [`Named::at`] may
    /// name the file it was read from.
    fn about_content(&self) -> bool;

    /// The same error about `shown` where it names `built`: a file built under a temporary
    /// name is reported under the name the caller asked for.
    fn naming(mut self, built: &Path, shown: &Path) -> Self {
        let slot = self.path_slot();
        if slot.as_deref() == Some(built) {
            *slot = Some(shown.to_path_buf());
        }
        self
    }

    /// Names `file` in an error about what it holds, where the error names no file yet.
    fn at(mut self, file: Option<&Path>) -> Self {
        if self.about_content() {
            let slot = self.path_slot();
            if slot.is_none() {
                *slot = file.map(Path::to_path_buf);
            }
        }
        self
    }
}

impl Named for StorageError {
    fn path_slot(&mut self) -> &mut Option<PathBuf> {
        &mut self.path
    }

    fn about_content(&self) -> bool {
        matches!(
            self.kind,
            StorageErrorKind::InvalidValue { .. }
                | StorageErrorKind::UnknownPeerType { .. }
                | StorageErrorKind::MissingAccessHash { .. }
        )
    }
}

/// SQLite's message in words that hold no value (spec/storage.md §9): the error as it is when
/// its message is one of SQLite's fixed texts, or one whose variable part is only names from SQL
/// or the schema (`no such column: …`, `UNIQUE constraint failed: …`); otherwise the same error
/// with its code's text (SQLite's `sqlite3_errstr`, such as `SQL logic error`) as its message.
///
/// An SQL function that fails builds its message from its arguments: `json_extract` quotes a
/// bad path whole, and a file's schema could pass it the auth key being written. A message this
/// does not know is never shown.
pub(crate) fn fixed_text(source: rusqlite::Error) -> rusqlite::Error {
    /// Messages whose text after the prefix is names, types or numbers from SQL or the schema.
    const NAMES_ONLY: [&str; 18] = [
        "no such table: ",
        "no such column: ",
        "no such function: ",
        "no such index: ",
        "no such collation sequence: ",
        "table ",
        "UNIQUE constraint failed: ",
        "NOT NULL constraint failed: ",
        "CHECK constraint failed: ",
        "FOREIGN KEY constraint failed",
        "foreign key mismatch - ",
        "cannot store ",
        "malformed database schema (",
        "near \"",
        "unsafe use of ",
        "cannot commit - no transaction is active",
        "cannot start a transaction within a transaction",
        // A schema format number (header byte 44) this SQLite does not know: fixed text.
        "unsupported file format",
    ];
    match source {
        rusqlite::Error::SqliteFailure(e, Some(message)) => {
            let code = rusqlite::ffi::code_to_str(e.extended_code);
            if message == code || NAMES_ONLY.iter().any(|p| message.starts_with(p)) {
                rusqlite::Error::SqliteFailure(e, Some(message))
            } else {
                rusqlite::Error::SqliteFailure(e, Some(code.to_owned()))
            }
        }
        other => other,
    }
}

/// A lease holder's name as an error shows it: it is text another program wrote into the
/// database, so control characters are escaped and at most 128 characters shown.
pub(crate) fn shown_holder(holder: &str) -> String {
    let cut: String = holder.chars().take(128).collect();
    let more = if cut.len() < holder.len() { "…" } else { "" };
    format!("{}{more}", crate::escape::one_line(&cut))
}

/// A name the file gave, as an error shows it: at most 32 characters, the rest marked as cut.
pub(crate) fn shown_name(name: &str) -> String {
    if name.chars().count() <= 32 {
        name.to_owned()
    } else {
        let head: String = name.chars().take(32).collect();
        format!("{head}…")
    }
}

/// A path as an error names it: UTF-8 as it is, and each byte that is not UTF-8 as `\x` and
/// two lowercase hex digits (`bad\xff.session`), so that the file meant can be told, where
/// [`Path::display`] would show U+FFFD for any such byte (the command's rule,
/// spec/conversions.md §11.2).
pub(crate) struct Shown<'a>(pub(crate) &'a Path);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.as_os_str().as_encoded_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Writes `<file>: ` before an error's message: the path once. An error without a file says
/// `memory storage: ` where it comes from SQLite on a memory storage, and nothing where it is
/// about no file. A path that is not the path of a file ([`StorageErrorKind::NotAFilePath`])
/// is quoted, so that an empty one shows as `""`.
pub(crate) fn write_place(
    f: &mut fmt::Formatter<'_>,
    path: Option<&Path>,
    kind: &StorageErrorKind,
) -> fmt::Result {
    use StorageErrorKind as K;
    match (path, kind) {
        // Quoted, so that an empty path shows as `""`.
        #[allow(clippy::unnecessary_debug_formatting)]
        (Some(p), K::NotAFilePath) => write!(f, "{:?}: ", p.as_os_str()),
        (Some(p), _) => write!(f, "{}: ", Shown(p)),
        (
            None,
            K::Sqlite { .. }
            | K::UnknownCollation { .. }
            | K::Corrupt { .. }
            | K::UnreadableSchema { .. }
            | K::DiskFull
            | K::NotASession { .. }
            | K::NewerVersion { .. }
            | K::InconsistentSchema { .. }
            | K::VersionRows { .. }
            | K::SessionRows { .. },
        ) => f.write_str("memory storage: "),
        (None, _) => Ok(()),
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(f, self.path(), &self.kind)?;
        self.kind.fmt(f)
    }
}

/// The message of [`StorageErrorKind::SideFile`]: no advice about permissions unless the side file's
/// own permissions are the problem.
fn side_file(f: &mut fmt::Formatter<'_>, side: &Path, problem: &SideFileProblem) -> fmt::Result {
    let side = side.display();
    match problem {
        SideFileProblem::NotAFile { kind } => write!(
            f,
            "not opened: its side file {side} is {kind}, not a regular file as SQLite makes (SQLite would wait on it, or write the session's pages into it); remove it"
        ),
        SideFileProblem::Owner { owner, file_owner } => write!(
            f,
            "not opened: its side file {side} belongs to user {owner}, not to the file's owner (user {file_owner}) or to this user; another local user may have made it to change the session or to read its key; find out who made it, and remove it"
        ),
        SideFileProblem::Mode { mode, file_mode } => write!(
            f,
            "not opened: its side file {side} (mode {mode:04o}) lets other users do more than the file itself (mode {file_mode:04o}), and SQLite would write the session's pages, its key among them, into it; give it the file's mode"
        ),
        SideFileProblem::Unreadable(e) => write!(
            f,
            "not opened: its side file {side} cannot be read ({e}), and SQLite must read it to open the file"
        ),
        SideFileProblem::Replaced => write!(
            f,
            "not opened: its side file {side} was replaced while it was checked; another program is changing it"
        ),
    }
}

impl fmt::Display for StorageErrorKind {
    /// The message, without the file: [`StorageError`]'s `Display` names it first.
    // One arm per variant: every message of spec/storage.md §9 in one place.
    #[allow(clippy::too_many_lines)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageErrorKind::Sqlite { doing, source } => {
                write!(f, "sqlite error while {doing}: {source}")
            }
            StorageErrorKind::UnknownCollation { name, doing } => write!(
                f,
                "the schema compares text by the collation {name:?}, which SQLite does not know (only the program that made the file defined it), while {doing}",
            ),
            StorageErrorKind::Io { doing, source } => {
                write!(f, "{doing}: {source}")
            }
            StorageErrorKind::NameTooLong { bytes } => write!(
                f,
                "a file name of {bytes} bytes, and SQLite names its side files with up to 8 more (-journal), beyond the {} bytes a file name may have, so it could never write the file; choose a name of at most {} bytes",
                super::side::NAME_MAX,
                super::side::NAME_MAX - 8
            ),
            StorageErrorKind::NoSuchDirectory  => {
                write!(f, "no such directory")
            }
            StorageErrorKind::InUse { waited } => write!(
                f,
                "the session is in use: another client has it open (waited {} ms; close that client first)",
                waited.as_millis()
            ),
            StorageErrorKind::Corrupt { detail } => write!(
                f,
                "the database is damaged ({detail}); restore a backup or log in again",
            ),
            StorageErrorKind::ReadOnly { cause } => match cause {
                    ReadOnlyCause::File => write!(
                        f,
                        "cannot write the file: this user has no write permission on it; open it read-only, or give this user write permission"
                    ),
                    ReadOnlyCause::Directory => write!(
                        f,
                        "cannot write the file: this user may not write its directory, where SQLite must make the journal of every write; open it read-only, or move the file to a directory this user may write"
                    ),
                    ReadOnlyCause::FileSystem => write!(
                        f,
                        "cannot write the file: it is on a read-only file system; open it read-only, or copy it to a writable one"
                    ),
                    ReadOnlyCause::Refused => write!(
                        f,
                        "cannot write the file: the system refuses to, even to this user (an immutable or append-only file?); open it read-only"
                    ),
                    ReadOnlyCause::Unknown => write!(
                        f,
                        "cannot write the file (no write permission or a read-only file system); open it read-only or fix its permissions"
                    ),
            },
            StorageErrorKind::ReadOnlyStorage { what } => write!(
                f,
                "this storage was opened read-only, for looking only; open the file for writing to {what}",
            ),
            StorageErrorKind::Changed  => write!(
                f,
                "written by another client since this read-only storage opened it (a WAL-mode file, read without locks); open it again to read it",
            ),
            StorageErrorKind::Replaced  => write!(
                f,
                "replaced or deleted since this read-only storage opened it; open it again to read what is there now",
            ),
            StorageErrorKind::DeleteReplaced  => write!(
                f,
                "not deleted: the file there now is not the one this storage opened (another was put at its path since); delete it by hand if it should go",
            ),
            StorageErrorKind::NeedsRecovery  => write!(
                f,
                "a write to it was interrupted, and the -journal beside it must be rolled back before it can be read, which takes write permission on the file and its directory; open it once as its owner (any client's open does it)",
            ),
            StorageErrorKind::PermissionDenied { doing } => {
                write!(f, "permission denied while {doing}")
            }
            StorageErrorKind::DiskFull  => write!(
                f,
                "the disk is full; the last write did not happen, earlier ones are kept",
            ),
            StorageErrorKind::NotAFilePath => {
                f.write_str("not the path of a file (it is empty, or ends in /)")
            }
            StorageErrorKind::IsADirectory  => {
                write!(f, "is a directory, not a session file")
            }
            StorageErrorKind::NotAFile { found } => {
                write!(f, "not a regular file ({found}), not a session file")
            }
            StorageErrorKind::EmptyFile  => write!(f, "the file is empty"),
            StorageErrorKind::LegacyJsonSession  => write!(
                f,
                "a JSON session of Pyrogram 0.14 or earlier, which Pyrogram 2 cannot open; convert it first",
            ),
            StorageErrorKind::NotSqlite  => {
                write!(f, "not an SQLite database")
            }
            StorageErrorKind::TelethonSession { version } => {
                write!(f, "a Telethon session file")?;
                if let Some(v) = version {
                    write!(f, " (version {v})")?;
                }
                f.write_str(", not a Pyrogram one; convert it first")
            }
            StorageErrorKind::NotASession { tables } => {
                // A file made to have thousands of tables gets a line, not a page.
                const SHOWN: usize = 20;
                write!(f, "no Pyrogram session schema (tables: ")?;
                match tables.len() {
                    0 => f.write_str("none")?,
                    n if n <= SHOWN => f.write_str(&tables.join(", "))?,
                    n => write!(f, "{} and {} more", tables[..SHOWN].join(", "), n - SHOWN)?,
                }
                f.write_str(")")
            }
            StorageErrorKind::NewerVersion { dialect, found } => write!(
                f,
                "schema version {found} is newer than this crate knows for {} (at most {})",
                dialect.family_name(),
                dialect.version()
            ),
            StorageErrorKind::InconsistentSchema { detail } => {
                write!(f, "inconsistent schema: {detail}")
            }
            StorageErrorKind::VersionRows { found } => write!(
                f,
                "the version table holds {found} rows, not 1",
            ),
            StorageErrorKind::SessionRows { found } => write!(
                f,
                "the sessions table holds {found} rows, not 1",
            ),
            StorageErrorKind::InvalidValue {
                column,
                expected,
                found,
            } => {
                write!(f, "{column} holds {found}, expected {expected}")
            }
            StorageErrorKind::UnknownPeerType { id, found } => {
                write!(f, "peer {id} has unknown type {found:?}")
            }
            StorageErrorKind::MissingAccessHash {
                id,
                peer_type,
            } => write!(
                f,
                "{peer_type} peer {id} has no access hash",
            ),
            StorageErrorKind::NoSuchFile  => {
                write!(f, "no such session file")
            }
            StorageErrorKind::DanglingSymlink { target } => write!(
                f,
                "a symbolic link to {}, which does not exist",
                target.display()
            ),
            StorageErrorKind::NotFound(NotFound::Id(id)) => write!(f, "peer id not found: {id}"),
            StorageErrorKind::NotFound(NotFound::Username(u)) => write!(f, "username not found: {u}"),
            StorageErrorKind::NotFound(NotFound::PhoneNumber(p)) => {
                write!(f, "phone number not found: {p}")
            }
            StorageErrorKind::UsernameExpired { username, age } => write!(
                f,
                "username expired: {username} (cached {age} s ago, the limit is 28800 s)"
            ),
            StorageErrorKind::MissingField { field } => write!(
                f,
                "cannot export a session string: {field} is not set"
            ),
            StorageErrorKind::FieldOutOfRange { field, value } => write!(
                f,
                "cannot export a session string: {field} {value} is out of range"
            ),
            StorageErrorKind::UserIdOutOfRange { user_id } => write!(
                f,
                "user id {user_id} does not fit SQLite's signed 64-bit INTEGER (at most {})",
                i64::MAX
            ),
            StorageErrorKind::SessionString(e) => write!(f, "invalid session string: {e}"),
            StorageErrorKind::UnsupportedWrite { dialect, what } => {
                write!(f, "refused to {what}: the {dialect} file would no longer be valid for it")
            }
            StorageErrorKind::AlreadyExists  => {
                write!(f, "already exists; not overwritten")
            }
            StorageErrorKind::SideFile {
                side,
                problem,
            } => side_file(f, side, problem),
            StorageErrorKind::WalIndexUnavailable { shm } => write!(
                f,
                "a WAL-mode file whose -wal holds writes not yet in the file, which SQLite reads only through an index it must create at {}, and it cannot (the directory cannot be written by this user, or is on a read-only file system); open it once where that can be done (any client's open copies the -wal into the file), or copy the file and its -wal to such a directory",
                shm.display()
            ),
            StorageErrorKind::ForeignOwner { owner, user } => write!(
                f,
                "not opened for writing: the file belongs to user {owner}, not to this user ({user}) or root; whoever made it could read the key written into it; open it read-only, or copy its session into a file of your own",
            ),
            StorageErrorKind::WritableByOthers { mode } => write!(
                f,
                "not opened for writing: its mode {mode:04o} lets other users write it, who could swap the session under this client; chmod 600 it",
            ),
            StorageErrorKind::UnreadableSchema { name, detail } => write!(
                f,
                "the schema of {name} cannot be read by SQLite ({detail}), so SQLite reads none of the file's tables; a program other than a session library changed it; salvage may save the session if its own tables are whole",
            ),
            StorageErrorKind::TooLargeToCopy {
                length,
                limit,
                counted,
            } => write!(
                f,
                "not salvaged: the database is {length} bytes ({}), and salvage copies at most {limit} bytes before it reads a file",
                if *counted {
                    "the pages its header counts"
                } else {
                    "the file's size: its header counts no pages"
                }
            ),
            StorageErrorKind::Postgres {
                doing,
                sqlstate,
                message,
            } => {
                write!(f, "postgresql error while {doing}: {message}")?;
                match sqlstate {
                    Some(code) => write!(f, " (SQLSTATE {code})"),
                    None => Ok(()),
                }
            }
            StorageErrorKind::LeaseHeld {
                holder,
                expires_in,
                waited,
            } => write!(
                f,
                "the session is in use: {} holds its lease for {} ms more (waited {} ms; stop that holder, or wait for its lease to expire)",
                shown_holder(holder),
                expires_in.as_millis(),
                waited.as_millis()
            ),
            StorageErrorKind::LeaseLost { token, holder } => match holder {
                Some(h) => write!(
                    f,
                    "not written: the lease this storage held (token {token}) has passed to {}; open the session again once it is free",
                    shown_holder(h)
                ),
                None => write!(
                    f,
                    "not written: the lease this storage held (token {token}) has expired or was released; renew it, or open the session again"
                ),
            },
            StorageErrorKind::NewerServerSchema { found, known } => write!(
                f,
                "the database's pyrosession schema is version {found}, newer than this crate knows (at most {known}); use a newer pyrosession"
            ),
            StorageErrorKind::InvalidAccountName { reason } => {
                write!(f, "not a session name: {reason}")
            }
            StorageErrorKind::NoSuchAccount => {
                f.write_str("no such session in the database")
            }
            StorageErrorKind::InvalidLeaseOptions { reason } => {
                write!(f, "invalid lease options: {reason}")
            }
            StorageErrorKind::NulCharacter { column } => write!(
                f,
                "not written: {column} would hold a NUL character, which PostgreSQL's text cannot store"
            ),
            StorageErrorKind::TextTooLong { column, bytes, max } => write!(
                f,
                "not written: {column} would hold {bytes} bytes, more than the {max} this engine stores"
            ),
            // The cause is about the same file: named once, before this message.
            StorageErrorKind::NothingSaved { cause } => write!(
                f,
                "the session row cannot be read, so nothing can be saved: {cause}"
            ),
        }
    }
}

/// The message holds the text of the SQLite or system error that caused it, so `source()` is
/// `None`: a reporter that walks the chain prints each text once.
impl std::error::Error for StorageError {}

#[cfg(test)]
mod tests {
    use super::{fixed_text, Named as _, StorageError, StorageErrorKind};
    use std::path::{Path, PathBuf};

    /// The path is printed once, before the kind's message; a memory storage's SQLite errors
    /// say so; an error about no file has no prefix.
    #[test]
    fn the_path_is_named_once() {
        let file = StorageError::new(PathBuf::from("/x/a.session"), StorageErrorKind::EmptyFile);
        assert_eq!(file.to_string(), "/x/a.session: the file is empty");
        assert_eq!(file.path(), Some(Path::new("/x/a.session")));
        let memory = StorageError::from(StorageErrorKind::DiskFull);
        assert!(memory
            .to_string()
            .starts_with("memory storage: the disk is full"));
        let none = StorageError::from(StorageErrorKind::MissingField { field: "dc_id" });
        assert_eq!(
            none.to_string(),
            "cannot export a session string: dc_id is not set"
        );
        let quoted = StorageError::new(PathBuf::new(), StorageErrorKind::NotAFilePath);
        assert!(
            quoted.to_string().starts_with("\"\": not the path"),
            "{quoted}"
        );
        assert!(std::error::Error::source(&file).is_none());
    }

    /// `naming` renames only the built file; `at` names a file only in an error about what it
    /// holds, and never over a name already given.
    #[test]
    fn naming_and_at_are_one_mechanism() {
        let (built, shown) = (Path::new("/x/.tmp1"), Path::new("/x/a.session"));
        let e = StorageError::new(built.to_path_buf(), StorageErrorKind::DiskFull);
        assert_eq!(e.naming(built, shown).path(), Some(shown));
        let other = StorageError::new(PathBuf::from("/y"), StorageErrorKind::DiskFull);
        assert_eq!(other.naming(built, shown).path(), Some(Path::new("/y")));
        let row = StorageError::from(StorageErrorKind::UnknownPeerType {
            id: 1,
            found: "x".to_owned(),
        });
        assert_eq!(row.at(Some(shown)).path(), Some(shown));
        let lookup = StorageError::from(StorageErrorKind::NotFound(super::NotFound::Id(1)));
        assert_eq!(lookup.at(Some(shown)).path(), None);
    }

    /// `not_a_file` gives the open's error for a directory and a dangling link, nothing for a
    /// regular file or a path that names nothing.
    #[test]
    fn not_a_file_names_what_is_there() {
        let dir = std::env::temp_dir().join(format!("pyrosession-err-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kind = |p: &Path| StorageError::not_a_file(p).map(StorageError::into_kind);
        assert!(matches!(kind(&dir), Some(StorageErrorKind::IsADirectory)));
        let file = dir.join("f");
        std::fs::write(&file, b"").unwrap();
        assert!(kind(&file).is_none());
        assert!(kind(&dir.join("none")).is_none());
        #[cfg(unix)]
        {
            let link = dir.join("l");
            std::os::unix::fs::symlink(dir.join("none"), &link).unwrap();
            assert!(matches!(
                kind(&link),
                Some(StorageErrorKind::DanglingSymlink { target }) if target == dir.join("none")
            ));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn failure(code: i32, message: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.to_owned()))
    }

    /// A message SQLite built from a function's arguments is replaced by its code's text; fixed
    /// texts and messages that name only columns and tables are kept (spec/storage.md §9).
    #[test]
    fn only_messages_without_values_are_kept() {
        let shown = |code, message| fixed_text(failure(code, message)).to_string();
        assert_eq!(shown(1, "bad JSON path: 'ABCDEF0123'"), "SQL logic error");
        assert_eq!(shown(1, "malformed JSON"), "SQL logic error");
        assert_eq!(
            shown(19, "CHECK constraint failed: k"),
            "CHECK constraint failed: k"
        );
        assert_eq!(
            shown(19, "UNIQUE constraint failed: peers.username"),
            "UNIQUE constraint failed: peers.username"
        );
        assert_eq!(
            shown(1, "no such column: user_id"),
            "no such column: user_id"
        );
        assert_eq!(
            shown(11, "database disk image is malformed"),
            "database disk image is malformed"
        );
        let other = rusqlite::Error::QueryReturnedNoRows;
        assert_eq!(fixed_text(other).to_string(), "Query returned no rows");
    }
}
