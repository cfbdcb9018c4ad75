//! The crate's errors as Python exceptions: one class per error kind, under one base class, each
//! carrying the kind, the crate's message and, where the error is about a file, its path. The
//! classes live in `pyrosession/_errors.py`, where type checkers see them, keyed by the crate's
//! own codes (`StorageErrorKind::code`, `DecodeErrorKind::code`, `ConvertErrorKind::code`); this
//! module takes the code and asks `_errors.make` for the instance.

use std::path::{Path, PathBuf};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt as _;
use pyrosession::convert::{ConvertError, ConvertErrorKind};
use pyrosession::storage::{StorageError, StorageErrorKind};
use pyrosession::string::{DecodeError, EncodeError};

/// Every kind of encoding error (the crate's `EncodeError` has no codes of its own).
const ENCODE_KINDS: &[&str] = &["missing_api_id", "user_id_out_of_range"];

/// The kinds of encoding errors, for the package's tests.
#[pyfunction]
pub(crate) fn encode_kinds() -> Vec<&'static str> {
    ENCODE_KINDS.to_vec()
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

/// The exception of `concern` (`storage`, `decode`, `encode`, `convert`) and `kind`, from
/// `_errors.make`.
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

/// A storage error as its exception, of the class of its kind's code
/// (`StorageErrorKind::code`). A session string that cannot be read raises the decoding
/// error's class, with the storage's message.
pub(crate) fn storage(py: Python<'_>, e: StorageError) -> PyErr {
    if let StorageErrorKind::SessionString(d) = e.kind() {
        return make(
            py,
            "decode",
            d.kind().code(),
            e.to_string(),
            None,
            d.pyrogram_error(),
        );
    }
    let path = e.path().map(Path::to_path_buf);
    let err = make(py, "storage", e.kind().code(), e.to_string(), path, None);
    // The lease's facts, as attributes a fleet's code acts on (spec/postgres.md §5).
    let facts: Vec<(&str, Py<PyAny>)> = match e.kind() {
        StorageErrorKind::LeaseHeld {
            holder, expires_in, ..
        } => vec![
            ("holder", holder.as_str().into_py_any(py).ok()),
            ("expires_in", expires_in.as_secs_f64().into_py_any(py).ok()),
        ],
        StorageErrorKind::LeaseLost { token, holder } => vec![
            ("token", token.into_py_any(py).ok()),
            ("holder", holder.as_deref().into_py_any(py).ok()),
        ],
        _ => Vec::new(),
    }
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| (name, v)))
    .collect();
    if !facts.is_empty() {
        let value = err.value(py);
        for (name, v) in facts {
            // A class that refuses the attribute keeps the message, which says the same.
            let _ = value.setattr(name, v);
        }
    }
    err
}

/// A decoding error as its exception, of the class of its kind's code
/// (`DecodeErrorKind::code`), with the error Pyrogram 2.0.106 raises for the string.
pub(crate) fn decode(py: Python<'_>, e: &DecodeError) -> PyErr {
    decode_in(py, e, None)
}

/// A decoding error of the string a text file holds (`file`, named first in the message, as
/// the crate names a file), or of a string given as such (`None`).
pub(crate) fn decode_in(py: Python<'_>, e: &DecodeError, file: Option<&Path>) -> PyErr {
    let message = match file {
        Some(f) => format!("{}: {e}", pyrosession::report::shown_path(f)),
        None => e.to_string(),
    };
    make(
        py,
        "decode",
        e.kind().code(),
        message,
        file.map(Path::to_path_buf),
        e.pyrogram_error(),
    )
}

/// A conversion's error as its exception, of the class of its kind's code
/// (`ConvertErrorKind::code`): a storage's error (of a Pyrogram file, the file system, or
/// SQLite on a Telethon file) raises the storage error's class, a Pyrogram string's the
/// decoding error's.
pub(crate) fn convert(py: Python<'_>, e: ConvertError) -> PyErr {
    let message = e.to_string();
    let path = e.path().map(Path::to_path_buf);
    match e.kind() {
        ConvertErrorKind::PyrogramString(d)
        | ConvertErrorKind::Storage(StorageErrorKind::SessionString(d)) => make(
            py,
            "decode",
            d.kind().code(),
            message,
            path,
            d.pyrogram_error(),
        ),
        kind @ (ConvertErrorKind::Storage(_) | ConvertErrorKind::TelethonFile(_)) => {
            make(py, "storage", kind.code(), message, path, None)
        }
        kind => make(py, "convert", kind.code(), message, path, None),
    }
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

/// What a call on a storage raises in a child made by `fork` of the process that opened it
/// (`parent`): the child must never use the parent's connection.
pub(crate) fn forked(py: Python<'_>, parent: u32) -> PyErr {
    make(
        py,
        "storage",
        "closed",
        format!(
            "the storage was opened by process {parent}, and this process ({}) is a child made by fork, which must not use its connection (the parent's file would be damaged): open the session again in the child",
            std::process::id()
        ),
        None,
        None,
    )
}

/// What a call back into a storage from Python code run while this thread's own call holds it
/// raises (a value's `__index__` read by `update_peers`), where waiting would never end.
pub(crate) fn reentrant(py: Python<'_>) -> PyErr {
    make(
        py,
        "storage",
        "reentrant",
        "the storage is held by a call under way on this thread: a value it is reading called back into it".to_owned(),
        None,
        None,
    )
}
