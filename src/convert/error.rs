//! Errors of conversions and of the other libraries' codecs (spec/conversions.md §9).

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Field, Kind, Target};
use crate::storage::{Named, Shown, StorageError, StorageErrorKind};
use crate::string::DecodeError;

/// What went wrong reading, detecting, converting or writing a session of another library
/// ([`ConvertError::kind`]), and the file it concerns, if any ([`ConvertError::path`]), named
/// once (spec/conversions.md §9).
///
/// `Display` prints `<file>: <message>` (`<file> is the source; …` for
/// [`ConvertErrorKind::SameFile`]); an error about no file has no prefix. The message is whole,
/// with the text of the error that caused it, so [`std::error::Error::source`] returns `None`
/// and a reporter walking the chain prints nothing twice. No error ever holds or prints key
/// material.
#[derive(Debug)]
pub struct ConvertError {
    path: Option<PathBuf>,
    kind: ConvertErrorKind,
}

/// What went wrong in a conversion, without the file it concerns: [`ConvertError::path`] names
/// it, once (spec/conversions.md §9).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConvertErrorKind {
    /// The target needs values the source does not hold and the options do not give: `fields`
    /// says which (the command names the flag for each).
    Missing {
        /// The target.
        target: Target,
        /// The values, in the order of [`Field`].
        fields: Vec<Field>,
        /// The source's format.
        source: Kind,
    },
    /// The options give a value that differs from the one the source holds.
    Conflict {
        /// The value.
        field: Field,
        /// What the source holds.
        source: String,
        /// What the options give.
        option: String,
    },
    /// Test mode was to be read from the server's address, which is not in the data-center
    /// table: [`Field::TestMode`] must be given.
    UnknownServer {
        /// The address.
        address: String,
    },
    /// The server was to be taken from the data-center table, which has no such data center:
    /// [`Field::Server`] and [`Field::Port`] must be given.
    UnknownDataCenter {
        /// The data center.
        dc_id: u8,
        /// Test or production.
        test_mode: bool,
    },
    /// The text is not base64 of the kind the format uses.
    Base64 {
        /// The format.
        kind: Kind,
        /// Offset of the offending character in the whole string, when there is one.
        offset: Option<usize>,
        /// The offending character, when there is one.
        found: Option<char>,
    },
    /// The string or its decoded bytes have the wrong length.
    Length {
        /// The format.
        kind: Kind,
        /// What was measured ("characters", "bytes").
        unit: &'static str,
        /// The lengths the format allows.
        expected: &'static str,
        /// The length found.
        found: usize,
    },
    /// A Telethon or GramJS string does not begin with its version character `1`.
    Version {
        /// The format.
        kind: Kind,
        /// The first character, if any.
        found: Option<char>,
    },
    /// There is no auth key, or (for Telethon and GramJS, which take it for none) an all-zero one.
    NoAuthKey {
        /// The format.
        kind: Kind,
    },
    /// A field holds a value the format or the target cannot take.
    Invalid {
        /// The format or target.
        kind: Kind,
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The data-center table's IPv6 address was asked for ([`super::Options::ipv6`]), and the
    /// source's server is not in the table (spec/conversions.md §6.3).
    NoIpv6Address {
        /// The source's format.
        kind: Kind,
        /// The source's server.
        address: String,
    },
    /// A Telethon string holds an IP address, and this server is not one: [`Field::Server`]
    /// must be given, as an IP address.
    NotAnIpAddress {
        /// The address.
        address: String,
    },
    /// A JSON session file (Pyrogram ≤ 0.14) that cannot be read.
    Json {
        /// What is wrong.
        detail: String,
    },
    /// A Telethon session file of a schema version this crate does not know.
    TelethonVersion {
        /// The version found, or `None` if there is no single integer version row.
        found: Option<i64>,
    },
    /// A Telethon session file whose tables are not Telethon's.
    TelethonSchema {
        /// What is missing or wrong.
        detail: String,
    },
    /// A Telethon session file that does not hold exactly one session row.
    SessionRows {
        /// How many rows it holds.
        found: usize,
    },
    /// Nothing recognisable: not a session string, JSON session or session file of any format.
    Unrecognised {
        /// What the input looks like.
        detail: String,
    },
    /// The target is the source file, which a conversion never changes.
    SameFile,
    /// The target exists and is neither a regular file nor a symbolic link to one (a FIFO, a
    /// socket, a device): nothing is written there, with or without `force`
    /// (spec/conversions.md §5.5).
    NotARegularFile {
        /// Where the target, a symbolic link, points.
        link_to: Option<PathBuf>,
        /// What is there: `a FIFO`, `a socket`, `a character device`…
        kind: &'static str,
    },
    /// A Pyrogram session string was rejected.
    PyrogramString(DecodeError),
    /// A Telegram Desktop folder that cannot be read (spec/tdata.md §9); the file it is about
    /// is [`ConvertError::path`].
    Tdata(super::tdata::TdataErrorKind),
    /// A Pyrogram session file could not be read or written, or the file system failed while a
    /// file was read or written: the storage's error, whose file [`ConvertError::path`] names.
    /// A target that exists and may not be replaced is [`StorageErrorKind::AlreadyExists`].
    Storage(StorageErrorKind),
    /// SQLite failed on a Telethon session file ([`StorageErrorKind::Sqlite`]), or another
    /// client holds it ([`StorageErrorKind::InUse`]). A failure of SQLite is shown as
    /// `<file>: <what was being done>: <SQLite's message>`.
    TelethonFile(StorageErrorKind),
}

impl ConvertError {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ConvertErrorKind {
        &self.kind
    }

    /// What went wrong, taken out of the error.
    #[must_use]
    pub fn into_kind(self) -> ConvertErrorKind {
        self.kind
    }

    /// The file the error concerns: the file read, the Telethon file, the target; `None` for an
    /// error about no file (a string, the options).
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The storage's error kind, where the error is one: of a Pyrogram file, of the file system,
    /// or of SQLite on a Telethon file.
    #[must_use]
    pub fn storage_kind(&self) -> Option<&StorageErrorKind> {
        match &self.kind {
            ConvertErrorKind::Storage(k) | ConvertErrorKind::TelethonFile(k) => Some(k),
            _ => None,
        }
    }

    /// The same error naming `source`, the file a session was read from, where it is about
    /// what that file holds (a value out of range, no auth key, broken JSON, a damaged string)
    /// and names no file yet; any other error is returned as it is (spec/conversions.md §9).
    #[must_use]
    pub fn at(self, source: Option<&Path>) -> Self {
        Named::at(self, source)
    }

    /// The error `kind` about the file `path`.
    pub(crate) fn new(path: impl Into<Option<PathBuf>>, kind: ConvertErrorKind) -> Self {
        ConvertError {
            path: path.into(),
            kind,
        }
    }

    /// The file system failed while `doing` something with `path`.
    pub(crate) fn io(path: &Path, doing: &'static str, source: std::io::Error) -> Self {
        Self::new(
            path.to_path_buf(),
            ConvertErrorKind::Storage(StorageErrorKind::Io { doing, source }),
        )
    }

    /// `path` exists and may not be replaced.
    pub(crate) fn already_exists(path: &Path) -> Self {
        Self::new(
            path.to_path_buf(),
            ConvertErrorKind::Storage(StorageErrorKind::AlreadyExists),
        )
    }
}

impl ConvertErrorKind {
    /// A stable code for the kind, in snake case (`missing_values`, `same_file`): one per kind,
    /// never renamed or given to another kind, for programs that act on errors (the command's
    /// JSON output; spec/conversions.md §9). A storage's error wrapped in `Storage` or
    /// `TelethonFile` has the storage kind's code ([`StorageErrorKind::code`]); the codes of
    /// the two enums are distinct.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            ConvertErrorKind::Missing { .. } => "missing_values",
            ConvertErrorKind::Conflict { .. } => "conflict",
            ConvertErrorKind::UnknownServer { .. } => "unknown_server",
            ConvertErrorKind::UnknownDataCenter { .. } => "unknown_data_center",
            ConvertErrorKind::Base64 { .. } => "not_base64",
            ConvertErrorKind::Length { .. } => "wrong_length",
            ConvertErrorKind::Version { .. } => "wrong_version",
            ConvertErrorKind::NoAuthKey { .. } => "no_auth_key",
            ConvertErrorKind::Invalid { .. } => "invalid_field",
            ConvertErrorKind::NoIpv6Address { .. } => "no_ipv6_address",
            ConvertErrorKind::NotAnIpAddress { .. } => "not_an_ip_address",
            ConvertErrorKind::Json { .. } => "invalid_json_session",
            ConvertErrorKind::TelethonVersion { .. } => "telethon_version",
            ConvertErrorKind::TelethonSchema { .. } => "telethon_schema",
            ConvertErrorKind::SessionRows { .. } => "telethon_session_rows",
            ConvertErrorKind::Unrecognised { .. } => "unrecognised",
            ConvertErrorKind::SameFile => "same_file",
            ConvertErrorKind::NotARegularFile { .. } => "not_a_regular_file",
            ConvertErrorKind::PyrogramString(_) => "pyrogram_string",
            ConvertErrorKind::Storage(k) | ConvertErrorKind::TelethonFile(k) => k.code(),
            ConvertErrorKind::Tdata(k) => k.code(),
        }
    }
}

impl From<ConvertErrorKind> for ConvertError {
    /// An error about no file.
    fn from(kind: ConvertErrorKind) -> Self {
        ConvertError { path: None, kind }
    }
}

impl From<super::tdata::TdataError> for ConvertError {
    /// The folder's error, about the same file or folder.
    fn from(e: super::tdata::TdataError) -> Self {
        let path = e.path().map(Path::to_path_buf);
        ConvertError {
            path,
            kind: ConvertErrorKind::Tdata(e.into_kind()),
        }
    }
}

impl From<StorageError> for ConvertError {
    /// The storage's error, about the same file.
    fn from(e: StorageError) -> Self {
        let path = e.path().map(Path::to_path_buf);
        ConvertError {
            path,
            kind: ConvertErrorKind::Storage(e.into_kind()),
        }
    }
}

impl From<DecodeError> for ConvertError {
    fn from(e: DecodeError) -> Self {
        ConvertErrorKind::PyrogramString(e).into()
    }
}

impl Named for ConvertError {
    fn path_slot(&mut self) -> &mut Option<PathBuf> {
        &mut self.path
    }

    /// An error about what a source holds (a value out of range, a missing key, broken JSON):
    /// the file it was read from is named where the error names none.
    fn about_content(&self) -> bool {
        matches!(
            self.kind,
            ConvertErrorKind::Invalid { .. }
                | ConvertErrorKind::NoAuthKey { .. }
                | ConvertErrorKind::Json { .. }
                | ConvertErrorKind::Length { .. }
                | ConvertErrorKind::Version { .. }
                | ConvertErrorKind::Base64 { .. }
                | ConvertErrorKind::Unrecognised { .. }
                | ConvertErrorKind::PyrogramString(_)
                // A folder's error without a file of its own: about the folder (an account it
                // does not have, one that holds no login).
                | ConvertErrorKind::Tdata(_)
        )
    }
}

/// What a conversion says of a target that is its source, after the target's name.
const IS_THE_SOURCE: &str =
    "is the source; a conversion never changes its source: name another target";

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, self.path()) {
            (ConvertErrorKind::Storage(k) | ConvertErrorKind::TelethonFile(k), path) => {
                crate::storage::write_place(f, path, k)?;
            }
            (ConvertErrorKind::SameFile, Some(p)) => {
                return write!(f, "{} {IS_THE_SOURCE}", Shown(p));
            }
            (_, Some(p)) => write!(f, "{}: ", Shown(p))?,
            (_, None) => {}
        }
        self.kind.fmt(f)
    }
}

impl fmt::Display for ConvertErrorKind {
    /// The message, without the file: [`ConvertError`]'s `Display` names it first.
    // One arm per variant: splitting the match would only scatter the messages.
    #[allow(clippy::too_many_lines)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertErrorKind::Missing {
                target,
                fields,
                source,
            } => {
                let list = |items: Vec<&str>| match items.as_slice() {
                    [] => String::new(),
                    [one] => (*one).to_owned(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                };
                write!(
                    f,
                    "{} needs {}, which {} does not hold",
                    target.library(),
                    list(fields.iter().map(|x| x.description()).collect()),
                    source.name(),
                )
            }
            ConvertErrorKind::Conflict {
                field,
                source,
                option,
            } => write!(
                f,
                "the source holds {name} {source}, but the {name} given is {option}: leave it out or make them agree",
                name = field.name(),
            ),
            ConvertErrorKind::UnknownServer { address } => write!(
                f,
                "cannot tell whether {address} is a test or a production server: it is not in Telegram's data-center table"
            ),
            ConvertErrorKind::UnknownDataCenter { dc_id, test_mode } => write!(
                f,
                "data center {dc_id} ({}) is not in Telegram's data-center table",
                if *test_mode { "test" } else { "production" }
            ),
            ConvertErrorKind::Base64 {
                kind,
                offset,
                found,
            } => {
                write!(f, "{} is not valid {}", kind.name(), kind.base64())?;
                match (offset, found) {
                    (Some(o), Some(c)) => write!(f, ": {c:?} at offset {o}"),
                    (Some(o), None) => write!(f, ": bad padding or final symbol at offset {o}"),
                    _ => Ok(()),
                }
            }
            ConvertErrorKind::Length {
                kind,
                unit,
                expected,
                found,
            } => write!(
                f,
                "{} has {found} {unit}, expected {expected}",
                kind.name()
            ),
            ConvertErrorKind::Version { kind, found } => match found {
                Some(c) => write!(f, "{} begins with '1', not {c:?}", kind.name()),
                None => write!(f, "{} is empty", kind.name()),
            },
            ConvertErrorKind::NoAuthKey { kind } => write!(
                f,
                "{} holds no auth key (Telethon and GramJS take an all-zero key for none)",
                kind.name()
            ),
            ConvertErrorKind::Invalid {
                kind,
                field,
                detail,
            } => write!(f, "{}: {field} {detail}", kind.name()),
            ConvertErrorKind::NotAnIpAddress { address } => write!(
                f,
                "a Telethon string holds the server as an IP address, and {address:?} is not one"
            ),
            ConvertErrorKind::NoIpv6Address { kind, address } => write!(
                f,
                "{}: the data-center table's IPv6 address was asked for, and the server {address} is not in the table",
                kind.name()
            ),
            ConvertErrorKind::Json { detail } => {
                write!(f, "not a Pyrogram JSON session (≤ 0.14): {detail}")
            }
            ConvertErrorKind::TelethonVersion { found } => match found {
                Some(v) => write!(
                    f,
                    "Telethon session version {v}, and this crate knows versions 1 to 8"
                ),
                None => write!(f, "the Telethon version table does not hold one integer row"),
            },
            ConvertErrorKind::TelethonSchema { detail } => {
                write!(f, "not a Telethon session file: {detail}")
            }
            ConvertErrorKind::SessionRows { found } => write!(
                f,
                "the sessions table holds {found} rows, expected exactly 1"
            ),
            ConvertErrorKind::Unrecognised { detail } => write!(
                f,
                "not a session of any known format (Pyrogram string or file, Telethon string or file, GramJS string, Pyrogram JSON): {detail}"
            ),
            ConvertErrorKind::SameFile => write!(f, "the target {IS_THE_SOURCE}"),
            ConvertErrorKind::NotARegularFile { link_to, kind } => {
                if let Some(to) = link_to {
                    write!(f, "a symbolic link to {}, ", to.display())?;
                }
                write!(f, "{kind}, not a regular file; nothing is written there")
            }
            ConvertErrorKind::PyrogramString(e) => write!(f, "{e}"),
            // A Telethon file's SQLite error says what was being done, then SQLite's message.
            ConvertErrorKind::TelethonFile(StorageErrorKind::Sqlite { doing, source }) => {
                write!(f, "{doing}: {source}")
            }
            ConvertErrorKind::Storage(k) | ConvertErrorKind::TelethonFile(k) => k.fmt(f),
            ConvertErrorKind::Tdata(k) => k.fmt(f),
        }
    }
}

/// The message holds the text of the error that caused it (a storage's, a string's, the
/// system's), so `source()` is `None`: a reporter that walks the chain prints each text once.
impl std::error::Error for ConvertError {}

#[cfg(test)]
mod tests {
    use super::{ConvertError, ConvertErrorKind, Kind};
    use crate::storage::{Named as _, SqliteError, StorageError, StorageErrorKind};
    use std::path::{Path, PathBuf};

    /// The path is printed once, before the kind's message; a storage's error reads as the
    /// storage prints it; a Telethon file's SQLite error says what was being done.
    #[test]
    fn the_path_is_named_once() {
        let file = Path::new("/x/a.session");
        let rows = ConvertError::new(
            file.to_path_buf(),
            ConvertErrorKind::SessionRows { found: 0 },
        );
        assert_eq!(
            rows.to_string(),
            "/x/a.session: the sessions table holds 0 rows, expected exactly 1"
        );
        let storage = StorageError::new(file.to_path_buf(), StorageErrorKind::EmptyFile);
        let wrapped = ConvertError::from(storage);
        assert_eq!(wrapped.to_string(), "/x/a.session: the file is empty");
        assert_eq!(wrapped.path(), Some(file));
        assert!(matches!(
            wrapped.storage_kind(),
            Some(StorageErrorKind::EmptyFile)
        ));
        let sqlite = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(11),
            Some("database disk image is malformed".to_owned()),
        );
        let telethon = ConvertError::new(
            file.to_path_buf(),
            ConvertErrorKind::TelethonFile(StorageErrorKind::Sqlite {
                doing: "reading the session",
                source: SqliteError(sqlite),
            }),
        );
        assert_eq!(
            telethon.to_string(),
            "/x/a.session: reading the session: database disk image is malformed"
        );
        let same = ConvertError::new(PathBuf::from("/x/b"), ConvertErrorKind::SameFile);
        assert_eq!(
            same.to_string(),
            "/x/b is the source; a conversion never changes its source: name another target"
        );
        assert!(std::error::Error::source(&same).is_none());
    }

    /// `naming` renames only the built file; `at` names the source only in an error about what
    /// it holds, never over a name already given.
    #[test]
    fn naming_and_at_are_the_storage_mechanism() {
        let (built, shown) = (Path::new("/x/.tmp1"), Path::new("/x/a.session"));
        let io = ConvertError::io(built, "writing the file", std::io::Error::other("full"));
        assert_eq!(io.naming(built, shown).path(), Some(shown));
        let key = ConvertError::from(ConvertErrorKind::NoAuthKey {
            kind: Kind::TelethonFile,
        });
        assert_eq!(key.at(Some(shown)).path(), Some(shown));
        let exists = ConvertError::already_exists(Path::new("/y"));
        assert_eq!(exists.at(Some(shown)).path(), Some(Path::new("/y")));
        let server = ConvertError::from(ConvertErrorKind::UnknownServer {
            address: "example.org".to_owned(),
        });
        assert_eq!(server.at(Some(shown)).path(), None);
        let named = ConvertError::new(
            PathBuf::from("/z"),
            ConvertErrorKind::Unrecognised {
                detail: "neither SQLite nor UTF-8 text".to_owned(),
            },
        );
        assert_eq!(named.at(Some(shown)).path(), Some(Path::new("/z")));
    }

    /// A file name that is not UTF-8 is named with each such byte as `\xNN`, so that the file
    /// can be told (spec/conversions.md §11.2).
    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_shown_by_its_bytes() {
        use std::os::unix::ffi::OsStrExt as _;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/x/bad\xfe\xff.session"));
        let e = ConvertError::from(ConvertErrorKind::NoAuthKey {
            kind: Kind::TelethonFile,
        })
        .at(Some(path));
        assert!(
            e.to_string()
                .starts_with("/x/bad\\xfe\\xff.session: a Telethon session file holds no auth key"),
            "{e}"
        );
    }

    /// One value of every kind of the storage, the conversions and the string codec: a new kind
    /// without one fails to compile in `code()`, and belongs here.
    #[allow(clippy::too_many_lines)]
    fn every_kind() -> (
        Vec<StorageErrorKind>,
        Vec<ConvertErrorKind>,
        Vec<crate::string::DecodeErrorKind>,
    ) {
        use crate::storage::{Dialect, NotFound, ReadOnlyCause, SideFileProblem};
        use crate::string::DecodeErrorKind as D;
        use ConvertErrorKind as C;
        use StorageErrorKind as S;
        let decode = || crate::string::decode_strict("").unwrap_err();
        let text = String::new;
        let storage = vec![
            S::Sqlite {
                doing: "x",
                source: SqliteError(rusqlite::Error::QueryReturnedNoRows),
            },
            S::Io {
                doing: "x",
                source: std::io::Error::other("x"),
            },
            S::NameTooLong { bytes: 1 },
            S::NoSuchDirectory,
            S::InUse {
                waited: std::time::Duration::ZERO,
            },
            S::Corrupt { detail: text() },
            S::UnreadableSchema {
                name: text(),
                detail: text(),
            },
            S::ReadOnly {
                cause: ReadOnlyCause::File,
            },
            S::ReadOnlyStorage { what: "x" },
            S::Changed,
            S::Replaced,
            S::DeleteReplaced,
            S::NeedsRecovery,
            S::PermissionDenied { doing: "x" },
            S::DiskFull,
            S::NoSuchFile,
            S::DanglingSymlink {
                target: PathBuf::new(),
            },
            S::NotAFilePath,
            S::IsADirectory,
            S::NotAFile { found: "a FIFO" },
            S::EmptyFile,
            S::LegacyJsonSession,
            S::NotSqlite,
            S::TelethonSession { version: None },
            S::NotASession { tables: Vec::new() },
            S::NewerVersion {
                dialect: Dialect::Pyrogram(3),
                found: 4,
            },
            S::InconsistentSchema { detail: text() },
            S::UnknownCollation {
                name: text(),
                doing: "x",
            },
            S::VersionRows { found: 0 },
            S::SessionRows { found: 0 },
            S::InvalidValue {
                column: "x",
                expected: "x",
                found: text(),
            },
            S::UnknownPeerType {
                id: 1,
                found: text(),
            },
            S::MissingAccessHash {
                id: 1,
                peer_type: crate::peer::PeerType::User,
            },
            S::NotFound(NotFound::Id(1)),
            S::UsernameExpired {
                username: text(),
                age: 0,
            },
            S::MissingField { field: "x" },
            S::FieldOutOfRange {
                field: "x",
                value: 0,
            },
            S::UserIdOutOfRange { user_id: 0 },
            S::SessionString(decode()),
            S::UnsupportedWrite {
                dialect: Dialect::Pyrogram(3),
                what: text(),
            },
            S::SideFile {
                side: PathBuf::new(),
                problem: SideFileProblem::Replaced,
            },
            S::WalIndexUnavailable {
                shm: PathBuf::new(),
            },
            S::AlreadyExists,
            S::NothingSaved {
                cause: Box::new(S::DiskFull),
            },
            S::ForeignOwner { owner: 1, user: 2 },
            S::WritableByOthers { mode: 0o666 },
            S::TooLargeToCopy {
                length: 1,
                limit: 0,
                counted: true,
            },
            S::Postgres {
                doing: "x",
                sqlstate: None,
                message: text(),
            },
            S::LeaseHeld {
                holder: text(),
                expires_in: std::time::Duration::ZERO,
                waited: std::time::Duration::ZERO,
            },
            S::LeaseLost {
                token: 1,
                holder: None,
            },
            S::NewerServerSchema { found: 2, known: 1 },
            S::InvalidAccountName { reason: "x" },
            S::NoSuchAccount,
            S::InvalidLeaseOptions { reason: "x" },
            S::NulCharacter { column: "x" },
            S::TextTooLong {
                column: "x",
                bytes: 2,
                max: 1,
            },
        ];
        let kind = Kind::TelethonString;
        let convert = vec![
            C::Missing {
                target: super::Target::Pyrogram,
                fields: vec![super::Field::ApiId],
                source: kind,
            },
            C::Conflict {
                field: super::Field::Port,
                source: text(),
                option: text(),
            },
            C::UnknownServer { address: text() },
            C::UnknownDataCenter {
                dc_id: 7,
                test_mode: false,
            },
            C::Base64 {
                kind,
                offset: None,
                found: None,
            },
            C::Length {
                kind,
                unit: "x",
                expected: "x",
                found: 0,
            },
            C::Version { kind, found: None },
            C::NoAuthKey { kind },
            C::Invalid {
                kind,
                field: "x",
                detail: text(),
            },
            C::NoIpv6Address {
                kind,
                address: text(),
            },
            C::NotAnIpAddress { address: text() },
            C::Json { detail: text() },
            C::TelethonVersion { found: None },
            C::TelethonSchema { detail: text() },
            C::SessionRows { found: 0 },
            C::Unrecognised { detail: text() },
            C::SameFile,
            C::NotARegularFile {
                link_to: None,
                kind: "a FIFO",
            },
            C::PyrogramString(decode()),
        ];
        let string = [
            D::Empty,
            D::InvalidCharacter { offset: 0, ch: '!' },
            D::NonAscii {
                offset: 0, ch: 'é'
            },
            D::InvalidLength { found: 0 },
            D::NonZeroTrailingBits { offset: 0, ch: 'B' },
            D::InvalidBool {
                field: crate::string::BoolField::TestMode,
                byte_offset: 0,
                value: 2,
            },
            D::UserIdOutOfRange { user_id: 0 },
            D::IncorrectPadding,
            D::LoneDataCharacter { data_chars: 1 },
            D::WrongByteLength {
                format: crate::string::Format::V2,
                found: 0,
            },
        ];
        (storage, convert, string.to_vec())
    }

    /// The codes a spec's table lists: in the first cell of each row of the section from `from`
    /// to `to`, each `` (`code`) `` after a kind's name.
    fn spec_codes(file: &str, from: &str, to: &str) -> std::collections::BTreeSet<String> {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .expect("the spec");
        let start = text.find(from).expect("the section");
        let end = start + text[start..].find(to).expect("the next section");
        let mut codes = std::collections::BTreeSet::new();
        for row in text[start..end].lines().filter(|l| l.starts_with("| `")) {
            let mut cell = row.split('|').nth(1).unwrap_or_default();
            while let Some(i) = cell.find("(`") {
                let rest = &cell[i + 2..];
                let j = rest.find("`)").expect("a code ends with `)");
                codes.insert(rest[..j].to_owned());
                cell = &rest[j..];
            }
        }
        codes
    }

    /// The codes spec/storage.md §9, spec/conversions.md §9 and spec/session-string.md §7.1 list
    /// are the codes of the kinds, both ways: each kind's code is listed in its enum's table, and
    /// each listed code is some kind's (the command's JSON output gives them as `kind`,
    /// spec/json-output.md §4).
    #[test]
    fn the_specs_list_the_codes_of_the_kinds_both_ways() {
        let (storage, convert, string) = every_kind();
        let codes = |c: Vec<&'static str>| -> std::collections::BTreeSet<String> {
            c.into_iter().map(str::to_owned).collect()
        };
        assert_eq!(
            spec_codes("spec/storage.md", "\n## 9. Errors", "\n## 10."),
            codes(storage.iter().map(StorageErrorKind::code).collect()),
            "spec/storage.md §9 (left) and StorageErrorKind::code (right)"
        );
        assert_eq!(
            spec_codes("spec/conversions.md", "\n## 9. Errors", "\n## 10."),
            codes(convert.iter().map(ConvertErrorKind::code).collect()),
            "spec/conversions.md §9 (left) and ConvertErrorKind::code (right)"
        );
        assert_eq!(
            spec_codes("spec/session-string.md", "\n### 7.1 ", "\n### 7.2 "),
            codes(
                string
                    .iter()
                    .map(crate::string::DecodeErrorKind::code)
                    .collect()
            ),
            "spec/session-string.md §7.1 (left) and DecodeErrorKind::code (right)"
        );
    }

    /// Every kind of the storage, the conversions and the string codec has its own code, in
    /// snake case: a program that reads `code` tells them apart (spec/storage.md §9).
    #[test]
    fn codes_are_unique_and_snake_case() {
        use crate::string::DecodeErrorKind as D;
        use ConvertErrorKind as C;
        use StorageErrorKind as S;
        let (storage, convert, string) = every_kind();
        let codes: Vec<&str> = storage
            .iter()
            .map(StorageErrorKind::code)
            .chain(convert.iter().map(ConvertErrorKind::code))
            .chain(string.iter().map(D::code))
            .collect();
        assert_eq!(codes.len(), 56 + 19 + 10);
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            assert!(seen.insert(*code), "{code} is given to two kinds");
            assert!(
                code.starts_with(|c: char| c.is_ascii_lowercase())
                    && !code.ends_with('_')
                    && !code.contains("__")
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code} is not snake case"
            );
        }
        // A wrapped storage error has the storage's code.
        assert_eq!(
            C::Storage(S::InUse {
                waited: std::time::Duration::ZERO
            })
            .code(),
            "in_use"
        );
        assert_eq!(C::TelethonFile(S::DiskFull).code(), "disk_full");
    }
}
