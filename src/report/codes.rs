//! The stable error codes of the command's JSON output (spec/json-output.md §4): one per kind
//! of failure a script may act on, each error of the library mapped to one.
//!
//! The mapping from the library's errors to codes lives here, over their kinds
//! ([`StorageErrorKind`], [`ConvertErrorKind`], and [`DecodeError`]): the codes
//! are the command's JSON interface (layer 5), which the storage and conversion layers below
//! must not name. A JSON error object also names the kind of the library's error it comes
//! from, by the kind's own `code()` ([`Failure`]): the code is the category a script branches
//! on, the kind the exact failure.

use crate::convert::{ConvertError, ConvertErrorKind};
use crate::storage::{StorageError, StorageErrorKind};
use crate::string::DecodeError;

/// What went wrong, as the `code` of a JSON error object (spec/json-output.md §4). The names
/// are stable: a code is never renamed or given another meaning within a schema version; new
/// codes may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The command line asks for something the command does not do.
    Usage,
    /// A file the command was to read does not exist.
    NoSuchFile,
    /// The path names a directory, FIFO, device or socket, not a regular file.
    NotAFile,
    /// The file or text is no session of any format the crate reads.
    NotASession,
    /// A session of another format than the command takes.
    OtherFormat,
    /// A session string that no format decodes.
    InvalidString,
    /// A session whose content is missing, out of range or inconsistent.
    InvalidSession,
    /// A cached peer that cannot be used as Pyrogram would use it.
    InvalidPeer,
    /// The file is damaged: SQLite cannot read it whole.
    Damaged,
    /// A schema version this crate does not know.
    UnsupportedVersion,
    /// Another client holds the file.
    InUse,
    /// The file, or a file beside it, is refused because another user could read, write or
    /// replace what it holds.
    UnsafeFile,
    /// The file system does not allow the read or write.
    PermissionDenied,
    /// No cached peer matches the query.
    NotFound,
    /// The cached username is too old to use.
    Expired,
    /// The conversion needs a value the source does not hold: an option must give it.
    MissingOption,
    /// An option's value is not one the conversion can use.
    InvalidOption,
    /// The file to write exists.
    AlreadyExists,
    /// The file to write is the file read.
    SameFile,
    /// Reading or writing failed (the file system, SQLite, standard input or output).
    Io,
    /// What is asked is outside what the crate does for this file.
    Unsupported,
    /// Salvage found nothing worth saving.
    NothingSaved,
    /// The conformance suite's driver failed.
    Driver,
}

impl ErrorCode {
    /// Every code, in the order spec/json-output.md §4 lists them.
    pub const ALL: [ErrorCode; 23] = [
        ErrorCode::Usage,
        ErrorCode::NoSuchFile,
        ErrorCode::NotAFile,
        ErrorCode::NotASession,
        ErrorCode::OtherFormat,
        ErrorCode::InvalidString,
        ErrorCode::InvalidSession,
        ErrorCode::InvalidPeer,
        ErrorCode::Damaged,
        ErrorCode::UnsupportedVersion,
        ErrorCode::InUse,
        ErrorCode::UnsafeFile,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::Expired,
        ErrorCode::MissingOption,
        ErrorCode::InvalidOption,
        ErrorCode::AlreadyExists,
        ErrorCode::SameFile,
        ErrorCode::Io,
        ErrorCode::Unsupported,
        ErrorCode::NothingSaved,
        ErrorCode::Driver,
    ];

    /// The code as JSON writes it, in snake case.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Usage => "usage",
            ErrorCode::NoSuchFile => "no_such_file",
            ErrorCode::NotAFile => "not_a_file",
            ErrorCode::NotASession => "not_a_session",
            ErrorCode::OtherFormat => "other_format",
            ErrorCode::InvalidString => "invalid_string",
            ErrorCode::InvalidSession => "invalid_session",
            ErrorCode::InvalidPeer => "invalid_peer",
            ErrorCode::Damaged => "damaged",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::InUse => "in_use",
            ErrorCode::UnsafeFile => "unsafe_file",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Expired => "expired",
            ErrorCode::MissingOption => "missing_option",
            ErrorCode::InvalidOption => "invalid_option",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::SameFile => "same_file",
            ErrorCode::Io => "io",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::NothingSaved => "nothing_saved",
            ErrorCode::Driver => "driver",
        }
    }

    /// The code of a storage error.
    #[must_use]
    pub fn of_storage(e: &StorageError) -> ErrorCode {
        ErrorCode::of_storage_kind(e.kind())
    }

    /// The code of a kind of storage error.
    #[must_use]
    pub fn of_storage_kind(kind: &StorageErrorKind) -> ErrorCode {
        use StorageErrorKind as E;
        match kind {
            E::NoSuchDirectory | E::NoSuchFile | E::DanglingSymlink { .. } | E::NoSuchAccount => {
                ErrorCode::NoSuchFile
            }
            E::NotAFilePath | E::IsADirectory | E::NotAFile { .. } => ErrorCode::NotAFile,
            E::EmptyFile | E::NotSqlite | E::NotASession { .. } => ErrorCode::NotASession,
            E::LegacyJsonSession | E::TelethonSession { .. } => ErrorCode::OtherFormat,
            E::NewerVersion { .. } | E::NewerServerSchema { .. } => ErrorCode::UnsupportedVersion,
            E::Corrupt { .. }
            | E::UnreadableSchema { .. }
            | E::InconsistentSchema { .. }
            | E::UnknownCollation { .. }
            | E::NeedsRecovery => ErrorCode::Damaged,
            E::VersionRows { .. }
            | E::SessionRows { .. }
            | E::InvalidValue { .. }
            | E::MissingField { .. }
            | E::FieldOutOfRange { .. }
            | E::UserIdOutOfRange { .. } => ErrorCode::InvalidSession,
            E::UnknownPeerType { .. } | E::MissingAccessHash { .. } => ErrorCode::InvalidPeer,
            E::NotFound(_) => ErrorCode::NotFound,
            E::UsernameExpired { .. } => ErrorCode::Expired,
            E::SessionString(_) => ErrorCode::InvalidString,
            E::InUse { .. } | E::LeaseHeld { .. } | E::LeaseLost { .. } => ErrorCode::InUse,
            E::InvalidAccountName { .. } | E::InvalidLeaseOptions { .. } => {
                ErrorCode::InvalidOption
            }
            E::SideFile { .. } | E::ForeignOwner { .. } | E::WritableByOthers { .. } => {
                ErrorCode::UnsafeFile
            }
            E::PermissionDenied { .. } | E::ReadOnly { .. } | E::ReadOnlyStorage { .. } => {
                ErrorCode::PermissionDenied
            }
            E::AlreadyExists => ErrorCode::AlreadyExists,
            E::UnsupportedWrite { .. }
            | E::TooLargeToCopy { .. }
            | E::NulCharacter { .. }
            | E::TextTooLong { .. } => ErrorCode::Unsupported,
            E::NothingSaved { .. } => ErrorCode::NothingSaved,
            E::Sqlite { .. }
            | E::Io { .. }
            | E::NameTooLong { .. }
            | E::DiskFull
            | E::Changed
            | E::Replaced
            | E::DeleteReplaced
            | E::WalIndexUnavailable { .. }
            | E::Postgres { .. } => ErrorCode::Io,
        }
    }

    /// The code of a conversion's error.
    #[must_use]
    pub fn of_convert(e: &ConvertError) -> ErrorCode {
        use ConvertErrorKind as E;
        match e.kind() {
            E::Missing { .. } | E::UnknownServer { .. } | E::UnknownDataCenter { .. } => {
                ErrorCode::MissingOption
            }
            E::Conflict { .. } | E::NotAnIpAddress { .. } | E::NoIpv6Address { .. } => {
                ErrorCode::InvalidOption
            }
            E::Base64 { .. } | E::Length { .. } | E::Version { .. } => ErrorCode::InvalidString,
            E::NoAuthKey { .. }
            | E::Invalid { .. }
            | E::Json { .. }
            | E::TelethonSchema { .. }
            | E::SessionRows { .. } => ErrorCode::InvalidSession,
            E::TelethonVersion { .. } => ErrorCode::UnsupportedVersion,
            E::Unrecognised { .. } => ErrorCode::NotASession,
            E::SameFile => ErrorCode::SameFile,
            E::NotARegularFile { .. } => ErrorCode::NotAFile,
            E::PyrogramString(e) => ErrorCode::of_decode(e),
            E::Storage(kind) | E::TelethonFile(kind) => ErrorCode::of_storage_kind(kind),
            E::Tdata(kind) => ErrorCode::of_tdata_kind(kind),
        }
    }

    /// The code of a Telegram Desktop folder's error (spec/tdata.md §9).
    #[must_use]
    pub fn of_tdata_kind(kind: &crate::convert::tdata::TdataErrorKind) -> ErrorCode {
        use crate::convert::tdata::TdataErrorKind as T;
        match kind {
            T::NoFolder | T::MissingFile { .. } => ErrorCode::NoSuchFile,
            T::NotAFolder { .. } | T::NotAFile { .. } => ErrorCode::NotAFile,
            T::FolderIsALink => ErrorCode::UnsafeFile,
            T::Io { .. } => ErrorCode::Io,
            T::PasscodeNeeded | T::Missing { .. } | T::KeyFiles { .. } => ErrorCode::MissingOption,
            T::WrongPasscode
            | T::NoSuchAccount { .. }
            | T::UserIdConflict { .. }
            | T::KeyFileName
            | T::KeyNameNotTelegrams { .. } => ErrorCode::InvalidOption,
            T::NoAuthorization
            | T::NotLoggedIn
            | T::NoMainKey { .. }
            | T::SameLogin { .. }
            | T::DataCenter { .. } => ErrorCode::InvalidSession,
            T::TestServers | T::AccountsToWrite { .. } | T::Argon2Passcode { .. } => {
                ErrorCode::Unsupported
            }
            T::AlreadyExists => ErrorCode::AlreadyExists,
            _ => ErrorCode::Damaged,
        }
    }

    /// The code of a rejected session string: always [`ErrorCode::InvalidString`].
    #[must_use]
    pub fn of_decode(_: &DecodeError) -> ErrorCode {
        ErrorCode::InvalidString
    }
}

/// What a JSON error object says of a failure besides its message (spec/json-output.md §4):
/// `code`, the category a script branches on, and `kind`, the library error's own kind where
/// the failure is one ([`StorageErrorKind::code`], [`ConvertErrorKind::code`],
/// [`DecodeErrorKind::code`](crate::string::DecodeErrorKind::code)); a failure the command
/// finds itself (a usage error, a driver that fails) has no kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Failure {
    code: ErrorCode,
    kind: Option<&'static str>,
}

impl Failure {
    /// The category: the object's `code`.
    #[must_use]
    pub const fn code(self) -> ErrorCode {
        self.code
    }

    /// The library error's kind: the object's `kind`, `None` (JSON's `null`) for a failure the
    /// command finds itself.
    #[must_use]
    pub const fn kind(self) -> Option<&'static str> {
        self.kind
    }
}

impl From<ErrorCode> for Failure {
    /// A failure the command finds itself: a code and no kind.
    fn from(code: ErrorCode) -> Self {
        Failure { code, kind: None }
    }
}

impl From<&StorageError> for Failure {
    fn from(e: &StorageError) -> Self {
        Failure {
            code: ErrorCode::of_storage(e),
            kind: Some(e.kind().code()),
        }
    }
}

impl From<&ConvertError> for Failure {
    /// The kind's code; for a storage's error it wraps, the storage kind's.
    fn from(e: &ConvertError) -> Self {
        Failure {
            code: ErrorCode::of_convert(e),
            kind: Some(e.kind().code()),
        }
    }
}

impl From<&DecodeError> for Failure {
    fn from(e: &DecodeError) -> Self {
        Failure {
            code: ErrorCode::of_decode(e),
            kind: Some(e.kind().code()),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
