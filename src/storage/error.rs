//! Errors of the storage engines (spec/storage.md §9).

use std::fmt;
use std::path::PathBuf;

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

/// What is wrong with a side file of a session file ([`StorageError::SideFile`],
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

/// What went wrong in a storage engine. Every variant that concerns a file names it.
#[derive(Debug)]
#[non_exhaustive]
pub enum StorageError {
    /// SQLite failed.
    Sqlite {
        /// The file, or `None` for a memory storage.
        path: Option<PathBuf>,
        /// What was being done.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file system failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The session's directory does not exist (Pyrogram does not create it either).
    NoSuchDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// Another connection has the session open for writing and holds its lock (spec/storage.md
    /// §2.5): one session file serves one client at a time.
    InUse {
        /// The file.
        path: PathBuf,
        /// How long this open waited for the lock before giving up.
        waited: std::time::Duration,
    },
    /// SQLite found the file damaged: its pages or indexes do not hold together (an integrity
    /// check at open, or SQLite's own corruption error later).
    Corrupt {
        /// The file, or `None` for a memory storage.
        path: Option<PathBuf>,
        /// What SQLite reported, first problems first.
        detail: String,
    },
    /// The file cannot be written: no write permission, a directory that may not be written, a
    /// read-only file system.
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// Why, as far as the open could tell.
        cause: ReadOnlyCause,
    },
    /// A write or a deletion through a storage opened read-only (spec/storage.md §2.2): the
    /// file may be writable, but this storage is for looking only.
    ReadOnlyStorage {
        /// The file.
        path: PathBuf,
        /// What was asked: `change it` or `delete it`.
        what: &'static str,
    },
    /// A read-only storage of a WAL-mode file, read without locks (`immutable`), whose file has
    /// been written since it was opened: what it would read may be stale or half-written
    /// (spec/storage.md §2.2).
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// The file a read-only storage opened by path was renamed over or deleted since the open:
    /// the connection would go on reading the old file (spec/storage.md §2.2).
    Replaced {
        /// The file.
        path: PathBuf,
    },
    /// `delete()` found another file at the path than the one its storage opened (renamed over
    /// it, or put there after it was removed): nothing was deleted (spec/storage.md §7.4).
    DeleteReplaced {
        /// The path.
        path: PathBuf,
    },
    /// A write to the file was interrupted, and the `-journal` it left must be rolled back
    /// before anyone can read the file, which this process may not do (it cannot write the file
    /// or its directory).
    NeedsRecovery {
        /// The file.
        path: PathBuf,
    },
    /// The file or its directory may not be read or written by this user.
    PermissionDenied {
        /// The path concerned.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
    },
    /// The disk (or the file size this process may write) is full; the write did not happen,
    /// and every write that returned before it is in the file.
    DiskFull {
        /// The file, or `None` for a memory storage.
        path: Option<PathBuf>,
    },
    /// An existing session file was asked for, and there is none.
    NoSuchFile {
        /// The path.
        path: PathBuf,
    },
    /// The path is a symbolic link to nothing. A new session is never created through a link.
    DanglingSymlink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// The path cannot name a file: it is empty, or ends in `/`, and no directory is there.
    NotAFilePath {
        /// The path.
        path: PathBuf,
    },
    /// The path is a directory, not a session file.
    IsADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The path is a FIFO, a device or a socket, not a session file.
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file is empty (0 bytes): a session file that was never written.
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The file is a JSON session of Pyrogram 0.14 or earlier.
    LegacyJsonSession {
        /// The file.
        path: PathBuf,
    },
    /// The file is not an SQLite database.
    NotSqlite {
        /// The file.
        path: PathBuf,
    },
    /// The file is a Telethon session, not a Pyrogram one.
    TelethonSession {
        /// The file.
        path: PathBuf,
        /// Telethon's schema version, if readable.
        version: Option<i64>,
    },
    /// The database holds no Pyrogram session schema.
    NotASession {
        /// The file, or `None` for a memory storage.
        path: Option<PathBuf>,
        /// The tables it has, sorted.
        tables: Vec<String>,
    },
    /// The schema's version is newer than this crate knows for its dialect.
    NewerVersion {
        /// The file.
        path: Option<PathBuf>,
        /// The dialect recognised from the schema, at the newest version known.
        dialect: Dialect,
        /// The version number found.
        found: i64,
    },
    /// The schema's shape and its version number do not fit together.
    InconsistentSchema {
        /// The file.
        path: Option<PathBuf>,
        /// What does not fit.
        detail: String,
    },
    /// The schema orders or compares text by a collation sequence SQLite does not know: one the
    /// program that wrote the file defined in its own connection. Any statement that needs it
    /// fails, the integrity check at open among them (spec/storage.md §9).
    UnknownCollation {
        /// The file, or `None` for a memory storage.
        path: Option<PathBuf>,
        /// The collation's name, as the schema gives it (at most 32 characters shown).
        name: String,
        /// What was being done.
        doing: &'static str,
    },
    /// `version` holds no row, or more than one (Pyrogram crashes on none).
    VersionRows {
        /// The file.
        path: Option<PathBuf>,
        /// How many rows it holds.
        found: usize,
    },
    /// `sessions` holds no row, or more than one.
    SessionRows {
        /// The file.
        path: Option<PathBuf>,
        /// How many rows it holds.
        found: usize,
    },
    /// A column holds a value of the wrong type or range.
    InvalidValue {
        /// The file, once known (`None` for a memory storage).
        path: Option<PathBuf>,
        /// `table.column`.
        column: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// What it holds (a description, never key material).
        found: String,
    },
    /// `peers.type` holds a type this crate does not know.
    UnknownPeerType {
        /// The file, once known (`None` for a memory storage).
        path: Option<PathBuf>,
        /// The peer.
        id: i64,
        /// The text found.
        found: String,
    },
    /// A user, bot or channel peer without an access hash.
    MissingAccessHash {
        /// The file, once known (`None` for a memory storage).
        path: Option<PathBuf>,
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
        /// The session file.
        path: PathBuf,
        /// The side file.
        side: PathBuf,
        /// What is wrong with it.
        problem: SideFileProblem,
    },
    /// A WAL-mode file whose `-wal` holds writes not yet in the file, with no `-shm` beside it,
    /// where this process cannot create one (spec/storage.md §2.8): SQLite reads a `-wal`
    /// only through that index.
    WalIndexUnavailable {
        /// The session file.
        path: PathBuf,
        /// Where SQLite would create the index.
        shm: PathBuf,
    },
    /// The file already exists and may not be overwritten.
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// Salvage could not read the session row of a damaged file, without which nothing is
    /// worth saving (spec/storage.md §11). `cause` says why; its message is part of this one's,
    /// so it is not also a `source()`.
    NothingSaved {
        /// The damaged file.
        path: PathBuf,
        /// Why the session row cannot be read: `Corrupt`, `SessionRows`, `InvalidValue`, ...
        cause: Box<StorageError>,
    },
}

/// Why a file cannot be written, as far as the open could tell ([`StorageError::ReadOnly`],
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

impl StorageError {
    /// An SQLite error while doing something with a storage, as the typed error that says what
    /// to do about it: `InUse`, `Corrupt`, `ReadOnly`, `PermissionDenied` or `DiskFull` where
    /// SQLite's code says so, `Sqlite` otherwise.
    pub(crate) fn from_sqlite(
        path: Option<&std::path::Path>,
        doing: &'static str,
        source: rusqlite::Error,
    ) -> Self {
        Self::from_sqlite_waited(path, doing, source, std::time::Duration::ZERO)
    }

    /// The same error about `shown` where it names `built`: a file built under a temporary
    /// name is reported under the name the caller asked for.
    pub(crate) fn naming(mut self, built: &std::path::Path, shown: &std::path::Path) -> Self {
        let rename = |p: &mut PathBuf| {
            if p == built {
                *p = shown.to_path_buf();
            }
        };
        match &mut self {
            StorageError::Sqlite { path: Some(p), .. }
            | StorageError::UnknownCollation { path: Some(p), .. }
            | StorageError::Corrupt { path: Some(p), .. }
            | StorageError::DiskFull { path: Some(p) }
            | StorageError::InvalidValue { path: Some(p), .. }
            | StorageError::UnknownPeerType { path: Some(p), .. }
            | StorageError::MissingAccessHash { path: Some(p), .. }
            | StorageError::NotASession { path: Some(p), .. }
            | StorageError::SessionRows { path: Some(p), .. }
            | StorageError::VersionRows { path: Some(p), .. }
            | StorageError::Io { path: p, .. }
            | StorageError::InUse { path: p, .. }
            | StorageError::ReadOnly { path: p, .. }
            | StorageError::ReadOnlyStorage { path: p, .. }
            | StorageError::Changed { path: p }
            | StorageError::Replaced { path: p }
            | StorageError::DeleteReplaced { path: p }
            | StorageError::NeedsRecovery { path: p }
            | StorageError::PermissionDenied { path: p, .. } => rename(p),
            _ => {}
        }
        self
    }

    /// Names the file in an error about one of its rows, where the error does not yet.
    pub(crate) fn at(mut self, file: Option<&std::path::Path>) -> Self {
        if let StorageError::InvalidValue { path, .. }
        | StorageError::UnknownPeerType { path, .. }
        | StorageError::MissingAccessHash { path, .. } = &mut self
        {
            if path.is_none() {
                *path = file.map(std::path::Path::to_path_buf);
            }
        }
        self
    }

    /// A file-system error: `PermissionDenied` or `DiskFull` where the error says so, `Io`
    /// otherwise.
    pub(crate) fn io(path: &std::path::Path, doing: &'static str, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::PermissionDenied => StorageError::PermissionDenied {
                path: path.to_path_buf(),
                doing,
            },
            std::io::ErrorKind::StorageFull => StorageError::DiskFull {
                path: Some(path.to_path_buf()),
            },
            _ => StorageError::Io {
                path: path.to_path_buf(),
                doing,
                source,
            },
        }
    }

    /// [`StorageError::from_sqlite`] for a statement that waited up to `waited` for a lock.
    pub(crate) fn from_sqlite_waited(
        path: Option<&std::path::Path>,
        doing: &'static str,
        source: rusqlite::Error,
        waited: std::time::Duration,
    ) -> Self {
        use rusqlite::ErrorCode as C;
        const ROLLBACK: std::ffi::c_int = 8 | (3 << 8);
        let (code, extended) = match &source {
            rusqlite::Error::SqliteFailure(e, _) => (Some(e.code), Some(e.extended_code)),
            _ => (None, None),
        };
        let owned = || path.map(std::path::Path::to_path_buf);
        if let rusqlite::Error::SqliteFailure(_, Some(message)) = &source {
            if let Some(name) = message.strip_prefix("no such collation sequence: ") {
                return StorageError::UnknownCollation {
                    path: owned(),
                    name: shown_name(name),
                    doing,
                };
            }
        }
        match (code, path) {
            (Some(C::DatabaseBusy | C::DatabaseLocked), Some(p)) => StorageError::InUse {
                path: p.to_path_buf(),
                waited,
            },
            (Some(C::DatabaseCorrupt | C::NotADatabase), _) => StorageError::Corrupt {
                path: owned(),
                detail: fixed_text(source).to_string(),
            },
            // SQLITE_READONLY_ROLLBACK: a hot journal this connection cannot roll back.
            (Some(C::ReadOnly), Some(p)) if extended == Some(ROLLBACK) => {
                StorageError::NeedsRecovery {
                    path: p.to_path_buf(),
                }
            }
            (Some(C::ReadOnly), Some(p)) => StorageError::ReadOnly {
                path: p.to_path_buf(),
                cause: ReadOnlyCause::Unknown,
            },
            (Some(C::PermissionDenied | C::AuthorizationForStatementDenied), Some(p)) => {
                StorageError::PermissionDenied {
                    path: p.to_path_buf(),
                    doing,
                }
            }
            (Some(C::DiskFull), _) => StorageError::DiskFull { path: owned() },
            _ => StorageError::Sqlite {
                path: path.map(std::path::Path::to_path_buf),
                doing,
                source: fixed_text(source),
            },
        }
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

/// A name the file gave, as an error shows it: at most 32 characters, the rest marked as cut.
pub(crate) fn shown_name(name: &str) -> String {
    if name.chars().count() <= 32 {
        name.to_owned()
    } else {
        let head: String = name.chars().take(32).collect();
        format!("{head}…")
    }
}

/// `"<file>: "` for an error about a row of a file, nothing for a memory storage.
fn prefix(path: Option<&PathBuf>) -> String {
    path.map_or_else(String::new, |p| format!("{}: ", p.display()))
}

fn place(path: Option<&PathBuf>) -> String {
    path.map_or_else(|| "memory storage".to_owned(), |p| p.display().to_string())
}

/// The message of [`StorageError::SideFile`]: no advice about permissions unless the side file's
/// own permissions are the problem.
fn side_file(
    f: &mut fmt::Formatter<'_>,
    path: &std::path::Path,
    side: &std::path::Path,
    problem: &SideFileProblem,
) -> fmt::Result {
    let (path, side) = (path.display(), side.display());
    match problem {
        SideFileProblem::NotAFile { kind } => write!(
            f,
            "{path}: not opened: its side file {side} is {kind}, not a regular file as SQLite makes (SQLite would wait on it, or write the session's pages into it); remove it"
        ),
        SideFileProblem::Owner { owner, file_owner } => write!(
            f,
            "{path}: not opened: its side file {side} belongs to user {owner}, not to the file's owner (user {file_owner}) or to this user; another local user may have made it to change the session or to read its key; find out who made it, and remove it"
        ),
        SideFileProblem::Mode { mode, file_mode } => write!(
            f,
            "{path}: not opened: its side file {side} (mode {mode:04o}) lets other users do more than the file itself (mode {file_mode:04o}), and SQLite would write the session's pages, its key among them, into it; give it the file's mode"
        ),
        SideFileProblem::Unreadable(e) => write!(
            f,
            "{path}: not opened: its side file {side} cannot be read ({e}), and SQLite must read it to open the file"
        ),
        SideFileProblem::Replaced => write!(
            f,
            "{path}: not opened: its side file {side} was replaced while it was checked; another program is changing it"
        ),
    }
}

impl fmt::Display for StorageError {
    // One arm per variant: every message of spec/storage.md §9 in one place.
    #[allow(clippy::too_many_lines)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Sqlite { path, doing, source } => {
                write!(f, "{}: sqlite error while {doing}: {source}", place(path.as_ref()))
            }
            StorageError::UnknownCollation { path, name, doing } => write!(
                f,
                "{}: the schema compares text by the collation {name:?}, which SQLite does not know (only the program that made the file defined it), while {doing}",
                place(path.as_ref())
            ),
            StorageError::Io { path, doing, source } => {
                write!(f, "{}: {doing}: {source}", path.display())
            }
            StorageError::NoSuchDirectory { path } => {
                write!(f, "{}: no such directory", path.display())
            }
            StorageError::InUse { path, waited } => write!(
                f,
                "{}: the session is in use: another client has it open (waited {} ms; close that client first)",
                path.display(),
                waited.as_millis()
            ),
            StorageError::Corrupt { path, detail } => write!(
                f,
                "{}: the database is damaged ({detail}); restore a backup or log in again",
                place(path.as_ref())
            ),
            StorageError::ReadOnly { path, cause } => {
                let path = path.display();
                match cause {
                    ReadOnlyCause::File => write!(
                        f,
                        "{path}: cannot write the file: this user has no write permission on it; open it read-only, or give this user write permission"
                    ),
                    ReadOnlyCause::Directory => write!(
                        f,
                        "{path}: cannot write the file: this user may not write its directory, where SQLite must make the journal of every write; open it read-only, or move the file to a directory this user may write"
                    ),
                    ReadOnlyCause::FileSystem => write!(
                        f,
                        "{path}: cannot write the file: it is on a read-only file system; open it read-only, or copy it to a writable one"
                    ),
                    ReadOnlyCause::Refused => write!(
                        f,
                        "{path}: cannot write the file: the system refuses to, even to this user (an immutable or append-only file?); open it read-only"
                    ),
                    ReadOnlyCause::Unknown => write!(
                        f,
                        "{path}: cannot write the file (no write permission or a read-only file system); open it read-only or fix its permissions"
                    ),
                }
            }
            StorageError::ReadOnlyStorage { path, what } => write!(
                f,
                "{}: this storage was opened read-only, for looking only; open the file for writing to {what}",
                path.display()
            ),
            StorageError::Changed { path } => write!(
                f,
                "{}: written by another client since this read-only storage opened it (a WAL-mode file, read without locks); open it again to read it",
                path.display()
            ),
            StorageError::Replaced { path } => write!(
                f,
                "{}: replaced or deleted since this read-only storage opened it; open it again to read what is there now",
                path.display()
            ),
            StorageError::DeleteReplaced { path } => write!(
                f,
                "{}: not deleted: the file there now is not the one this storage opened (another was put at its path since); delete it by hand if it should go",
                path.display()
            ),
            StorageError::NeedsRecovery { path } => write!(
                f,
                "{}: a write to it was interrupted, and the -journal beside it must be rolled back before it can be read, which takes write permission on the file and its directory; open it once as its owner (any client's open does it)",
                path.display()
            ),
            StorageError::PermissionDenied { path, doing } => {
                write!(f, "{}: permission denied while {doing}", path.display())
            }
            StorageError::DiskFull { path } => write!(
                f,
                "{}: the disk is full; the last write did not happen, earlier ones are kept",
                place(path.as_ref())
            ),
            // Quoted, so that an empty path shows as `""`.
            #[allow(clippy::unnecessary_debug_formatting)]
            StorageError::NotAFilePath { path } => write!(
                f,
                "{:?}: not the path of a file (it is empty, or ends in /)",
                path.as_os_str()
            ),
            StorageError::IsADirectory { path } => {
                write!(f, "{}: is a directory, not a session file", path.display())
            }
            StorageError::NotAFile { path } => write!(
                f,
                "{}: not a regular file (a FIFO, a device or a socket), not a session file",
                path.display()
            ),
            StorageError::EmptyFile { path } => write!(f, "{}: the file is empty", path.display()),
            StorageError::LegacyJsonSession { path } => write!(
                f,
                "{}: a JSON session of Pyrogram 0.14 or earlier, which Pyrogram 2 cannot open; convert it first",
                path.display()
            ),
            StorageError::NotSqlite { path } => {
                write!(f, "{}: not an SQLite database", path.display())
            }
            StorageError::TelethonSession { path, version } => {
                write!(f, "{}: a Telethon session file", path.display())?;
                if let Some(v) = version {
                    write!(f, " (version {v})")?;
                }
                f.write_str(", not a Pyrogram one; convert it first")
            }
            StorageError::NotASession { path, tables } => {
                // A file made to have thousands of tables gets a line, not a page.
                const SHOWN: usize = 20;
                write!(f, "{}: no Pyrogram session schema (tables: ", place(path.as_ref()))?;
                match tables.len() {
                    0 => f.write_str("none")?,
                    n if n <= SHOWN => f.write_str(&tables.join(", "))?,
                    n => write!(f, "{} and {} more", tables[..SHOWN].join(", "), n - SHOWN)?,
                }
                f.write_str(")")
            }
            StorageError::NewerVersion { path, dialect, found } => write!(
                f,
                "{}: schema version {found} is newer than this crate knows for {} (at most {})",
                place(path.as_ref()),
                dialect.family_name(),
                dialect.version()
            ),
            StorageError::InconsistentSchema { path, detail } => {
                write!(f, "{}: inconsistent schema: {detail}", place(path.as_ref()))
            }
            StorageError::VersionRows { path, found } => write!(
                f,
                "{}: the version table holds {found} rows, not 1",
                place(path.as_ref())
            ),
            StorageError::SessionRows { path, found } => write!(
                f,
                "{}: the sessions table holds {found} rows, not 1",
                place(path.as_ref())
            ),
            StorageError::InvalidValue {
                path,
                column,
                expected,
                found,
            } => {
                write!(f, "{}{column} holds {found}, expected {expected}", prefix(path.as_ref()))
            }
            StorageError::UnknownPeerType { path, id, found } => {
                write!(f, "{}peer {id} has unknown type {found:?}", prefix(path.as_ref()))
            }
            StorageError::MissingAccessHash {
                path,
                id,
                peer_type,
            } => write!(
                f,
                "{}{peer_type} peer {id} has no access hash",
                prefix(path.as_ref())
            ),
            StorageError::NoSuchFile { path } => {
                write!(f, "{}: no such session file", path.display())
            }
            StorageError::DanglingSymlink { path, target } => write!(
                f,
                "{}: a symbolic link to {}, which does not exist",
                path.display(),
                target.display()
            ),
            StorageError::NotFound(NotFound::Id(id)) => write!(f, "peer id not found: {id}"),
            StorageError::NotFound(NotFound::Username(u)) => write!(f, "username not found: {u}"),
            StorageError::NotFound(NotFound::PhoneNumber(p)) => {
                write!(f, "phone number not found: {p}")
            }
            StorageError::UsernameExpired { username, age } => write!(
                f,
                "username expired: {username} (cached {age} s ago, the limit is 28800 s)"
            ),
            StorageError::MissingField { field } => write!(
                f,
                "cannot export a session string: {field} is not set"
            ),
            StorageError::FieldOutOfRange { field, value } => write!(
                f,
                "cannot export a session string: {field} {value} is out of range"
            ),
            StorageError::UserIdOutOfRange { user_id } => write!(
                f,
                "user id {user_id} does not fit SQLite's signed 64-bit INTEGER (at most {})",
                i64::MAX
            ),
            StorageError::SessionString(e) => write!(f, "invalid session string: {e}"),
            StorageError::UnsupportedWrite { dialect, what } => {
                write!(f, "refused to {what}: the {dialect} file would no longer be valid for it")
            }
            StorageError::AlreadyExists { path } => {
                write!(f, "{}: already exists; not overwritten", path.display())
            }
            StorageError::SideFile {
                path,
                side,
                problem,
            } => side_file(f, path, side, problem),
            StorageError::WalIndexUnavailable { path, shm } => write!(
                f,
                "{}: a WAL-mode file whose -wal holds writes not yet in the file, which SQLite reads only through an index it must create at {}, and it cannot (the directory cannot be written by this user, or is on a read-only file system); open it once where that can be done (any client's open copies the -wal into the file), or copy the file and its -wal to such a directory",
                path.display(),
                shm.display()
            ),
            StorageError::NothingSaved { path, cause } => {
                // The cause names the same file: said once.
                let named = format!("{}: ", path.display());
                let cause = cause.to_string();
                write!(
                    f,
                    "{named}the session row cannot be read, so nothing can be saved: {}",
                    cause.strip_prefix(&named).unwrap_or(&cause)
                )
            }
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Sqlite { source, .. } => Some(source),
            StorageError::Io { source, .. } => Some(source),
            StorageError::SessionString(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixed_text;

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
