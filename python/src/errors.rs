//! The crate's errors as Python exceptions: one class per error kind, under one base class, each
//! carrying the kind, the crate's message and, where the error is about a file, its path. The
//! classes live in `pyrosession/_errors.py`, where type checkers see them; this module names the
//! kind and asks `_errors.make` for the instance.

use std::path::{Path, PathBuf};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyrosession::storage::{StorageError, StorageErrorKind};
use pyrosession::string::{DecodeError, DecodeErrorKind, EncodeError};

/// Every kind of storage error, as `storage_kind` names them (and `_errors.py` has a class for).
const STORAGE_KINDS: &[&str] = &[
    "sqlite",
    "io",
    "name_too_long",
    "no_such_directory",
    "in_use",
    "corrupt",
    "unreadable_schema",
    "read_only",
    "read_only_storage",
    "changed",
    "replaced",
    "delete_replaced",
    "needs_recovery",
    "permission_denied",
    "disk_full",
    "no_such_file",
    "dangling_symlink",
    "not_a_file_path",
    "is_a_directory",
    "not_a_file",
    "empty_file",
    "legacy_json_session",
    "not_sqlite",
    "telethon_session",
    "not_a_session",
    "newer_version",
    "inconsistent_schema",
    "unknown_collation",
    "version_rows",
    "session_rows",
    "invalid_value",
    "unknown_peer_type",
    "missing_access_hash",
    "not_found",
    "username_expired",
    "missing_field",
    "field_out_of_range",
    "user_id_out_of_range",
    "unsupported_write",
    "side_file",
    "wal_index_unavailable",
    "already_exists",
    "nothing_saved",
    "foreign_owner",
    "writable_by_others",
    "too_large_to_copy",
    // Not the crate's: a call on a storage the package has closed or deleted (Pyrogram's
    // `sqlite3` raises `ProgrammingError: Cannot operate on a closed database`).
    "closed",
];

/// Every kind of decoding error.
const DECODE_KINDS: &[&str] = &[
    "empty",
    "invalid_character",
    "non_ascii",
    "invalid_length",
    "non_zero_trailing_bits",
    "invalid_bool",
    "user_id_out_of_range",
    "incorrect_padding",
    "lone_data_character",
    "wrong_byte_length",
];

/// Every kind of encoding error.
const ENCODE_KINDS: &[&str] = &["missing_api_id", "user_id_out_of_range"];

/// The kinds of storage errors, for the package's tests.
#[pyfunction]
pub(crate) fn storage_kinds() -> Vec<&'static str> {
    STORAGE_KINDS.to_vec()
}

/// The kinds of decoding errors, for the package's tests.
#[pyfunction]
pub(crate) fn decode_kinds() -> Vec<&'static str> {
    DECODE_KINDS.to_vec()
}

/// The kinds of encoding errors, for the package's tests.
#[pyfunction]
pub(crate) fn encode_kinds() -> Vec<&'static str> {
    ENCODE_KINDS.to_vec()
}

/// The kind of a storage error; `storage` for a kind this table does not know yet (the crate's
/// error enum is `#[non_exhaustive]`), which raises the base class of storage errors.
fn storage_kind(e: &StorageError) -> &'static str {
    use StorageErrorKind as E;
    match e.kind() {
        E::Sqlite { .. } => "sqlite",
        E::Io { .. } => "io",
        E::NameTooLong { .. } => "name_too_long",
        E::NoSuchDirectory => "no_such_directory",
        E::InUse { .. } => "in_use",
        E::Corrupt { .. } => "corrupt",
        E::UnreadableSchema { .. } => "unreadable_schema",
        E::ReadOnly { .. } => "read_only",
        E::ReadOnlyStorage { .. } => "read_only_storage",
        E::Changed => "changed",
        E::Replaced => "replaced",
        E::DeleteReplaced => "delete_replaced",
        E::NeedsRecovery => "needs_recovery",
        E::PermissionDenied { .. } => "permission_denied",
        E::DiskFull => "disk_full",
        E::NoSuchFile => "no_such_file",
        E::DanglingSymlink { .. } => "dangling_symlink",
        E::NotAFilePath => "not_a_file_path",
        E::IsADirectory => "is_a_directory",
        E::NotAFile => "not_a_file",
        E::EmptyFile => "empty_file",
        E::LegacyJsonSession => "legacy_json_session",
        E::NotSqlite => "not_sqlite",
        E::TelethonSession { .. } => "telethon_session",
        E::NotASession { .. } => "not_a_session",
        E::NewerVersion { .. } => "newer_version",
        E::InconsistentSchema { .. } => "inconsistent_schema",
        E::UnknownCollation { .. } => "unknown_collation",
        E::VersionRows { .. } => "version_rows",
        E::SessionRows { .. } => "session_rows",
        E::InvalidValue { .. } => "invalid_value",
        E::UnknownPeerType { .. } => "unknown_peer_type",
        E::MissingAccessHash { .. } => "missing_access_hash",
        E::NotFound(_) => "not_found",
        E::UsernameExpired { .. } => "username_expired",
        E::MissingField { .. } => "missing_field",
        E::FieldOutOfRange { .. } => "field_out_of_range",
        E::UserIdOutOfRange { .. } => "user_id_out_of_range",
        E::UnsupportedWrite { .. } => "unsupported_write",
        E::SideFile { .. } => "side_file",
        E::WalIndexUnavailable { .. } => "wal_index_unavailable",
        E::AlreadyExists => "already_exists",
        E::NothingSaved { .. } => "nothing_saved",
        E::ForeignOwner { .. } => "foreign_owner",
        E::WritableByOthers { .. } => "writable_by_others",
        E::TooLargeToCopy { .. } => "too_large_to_copy",
        _ => "storage",
    }
}

fn decode_kind(e: &DecodeError) -> &'static str {
    use DecodeErrorKind as K;
    match e.kind() {
        K::Empty => "empty",
        K::InvalidCharacter { .. } => "invalid_character",
        K::NonAscii { .. } => "non_ascii",
        K::InvalidLength { .. } => "invalid_length",
        K::NonZeroTrailingBits { .. } => "non_zero_trailing_bits",
        K::InvalidBool { .. } => "invalid_bool",
        K::UserIdOutOfRange { .. } => "user_id_out_of_range",
        K::IncorrectPadding => "incorrect_padding",
        K::LoneDataCharacter { .. } => "lone_data_character",
        K::WrongByteLength { .. } => "wrong_byte_length",
        _ => "decode",
    }
}

fn encode_kind(e: &EncodeError) -> &'static str {
    match e {
        EncodeError::MissingApiId => "missing_api_id",
        EncodeError::UserIdOutOfRange { .. } => "user_id_out_of_range",
        _ => "encode",
    }
}

/// `pyrosession._errors.make`, imported once.
static MAKE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The exception of `concern` (`storage`, `decode`, `encode`) and `kind`, from `_errors.make`.
fn make(
    py: Python<'_>,
    concern: &str,
    kind: &str,
    message: String,
    path: Option<PathBuf>,
    pyrogram_error: Option<String>,
) -> PyErr {
    let made = MAKE
        .get_or_try_init(py, || {
            py.import("pyrosession._errors")?
                .getattr("make")
                .map(Bound::unbind)
        })
        .and_then(|make| {
            make.bind(py)
                .call1((concern, kind, message.as_str(), path, pyrogram_error))
        });
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => PyRuntimeError::new_err(format!(
            "pyrosession: cannot make the exception for {concern} error {kind} ({e}): {message}"
        )),
    }
}

/// A storage error as its exception. A session string that cannot be read raises the decoding
/// error's class, with the storage's message.
pub(crate) fn storage(py: Python<'_>, e: StorageError) -> PyErr {
    if let StorageErrorKind::SessionString(d) = e.kind() {
        return make(
            py,
            "decode",
            decode_kind(d),
            e.to_string(),
            None,
            d.pyrogram_error(),
        );
    }
    let path = e.path().map(Path::to_path_buf);
    make(py, "storage", storage_kind(&e), e.to_string(), path, None)
}

/// A decoding error as its exception, with the error Pyrogram 2.0.106 raises for the string.
pub(crate) fn decode(py: Python<'_>, e: &DecodeError) -> PyErr {
    make(
        py,
        "decode",
        decode_kind(e),
        e.to_string(),
        None,
        e.pyrogram_error(),
    )
}

/// An encoding error as its exception.
pub(crate) fn encode(py: Python<'_>, e: &EncodeError) -> PyErr {
    make(py, "encode", encode_kind(e), e.to_string(), None, None)
}

/// What a call on a closed or deleted storage raises.
pub(crate) fn closed(py: Python<'_>) -> PyErr {
    make(
        py,
        "storage",
        "closed",
        "the storage is closed".to_owned(),
        None,
        None,
    )
}
