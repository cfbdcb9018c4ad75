//! The command's `inspect` and `convert` from Python: the same reports and the same files,
//! from the library's `convert::Input` and `report` (spec/json-output.md, spec/conversions.md).
//!
//! Each call releases the interpreter while it reads and writes: opening a session file may
//! wait for another client to let go of it.

use std::path::{Path, PathBuf};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyrosession::convert as conversion;
use pyrosession::convert::{ConvertError, FileArgument, Input, Options, Target};
use pyrosession::report;
use zeroize::Zeroizing;

use crate::errors;

/// Why a tool failed, for [`errors::convert`] and its kin.
enum Failed {
    Convert(ConvertError),
    Storage(pyrosession::storage::StorageError),
    Decode(pyrosession::string::DecodeError, Option<PathBuf>),
    /// A text file that could not be read as text: Python's `OSError` of the kind.
    Io(std::io::Error),
}

impl From<ConvertError> for Failed {
    fn from(e: ConvertError) -> Self {
        Failed::Convert(e)
    }
}

impl From<pyrosession::storage::StorageError> for Failed {
    fn from(e: pyrosession::storage::StorageError) -> Self {
        Failed::Storage(e)
    }
}

impl From<report::InspectError> for Failed {
    fn from(e: report::InspectError) -> Self {
        match e {
            report::InspectError::Convert(e) => Failed::Convert(e),
            report::InspectError::Storage(e) => Failed::Storage(e),
            report::InspectError::Decode(e) => Failed::Decode(e, None),
        }
    }
}

impl Failed {
    fn raise(self, py: Python<'_>) -> PyErr {
        match self {
            Failed::Convert(e) => errors::convert(py, e),
            Failed::Storage(e) => errors::storage(py, e),
            Failed::Decode(e, file) => errors::decode_in(py, &e, file.as_deref()),
            Failed::Io(e) => e.into(),
        }
    }
}

/// `pyrosession inspect FILE`: the report on a file, as the command makes it
/// ([`report::inspect_file`]); a text file holding a string is reported as the string.
fn inspect_file(path: &Path, strict: bool) -> Result<report::Inspection, Failed> {
    let file = FileArgument::read(path);
    if !file.is_session_file() {
        let text = Zeroizing::new(file.text().map_err(Failed::Io)?);
        return report::inspect_text(&text, strict).map_err(|e| match e {
            report::InspectError::Decode(e) => Failed::Decode(e, Some(path.to_path_buf())),
            e => e.into(),
        });
    }
    report::inspect_file(file).map_err(Failed::from)
}

/// The report `pyrosession inspect` gives on a session file (`path`) or a session string
/// (`text`), as text or as its JSON object (spec/json-output.md §3.1-§3.3).
#[pyfunction]
#[pyo3(signature = (text, path, strict, reveal_key, json))]
#[allow(clippy::fn_params_excessive_bools)]
pub(crate) fn inspect(
    py: Python<'_>,
    text: Option<&str>,
    path: Option<PathBuf>,
    strict: bool,
    reveal_key: bool,
    json: bool,
) -> PyResult<Py<PyString>> {
    let text = text.map(|t| Zeroizing::new(t.to_owned()));
    let made = py.detach(|| -> Result<String, Failed> {
        let inspection = match (&path, &text) {
            (Some(path), _) => inspect_file(path, strict)?,
            (None, Some(text)) => report::inspect_text(text, strict)?,
            (None, None) => return Ok(String::new()),
        };
        Ok(if json {
            inspection.to_json(reveal_key)
        } else {
            inspection.to_text(reveal_key)
        })
    });
    let made = Zeroizing::new(made.map_err(|e| e.raise(py))?);
    Ok(PyString::new(py, &made).unbind())
}

/// Every target, by the name `convert --to` takes.
const TARGETS: [Target; 5] = [
    Target::Pyrogram,
    Target::PyrogramFile,
    Target::Telethon,
    Target::TelethonFile,
    Target::Gramjs,
];

fn target(name: &str) -> PyResult<Target> {
    TARGETS
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|t| t.name()).collect();
            PyValueError::new_err(format!(
                "no conversion target {name:?}: {}",
                names.join(", ")
            ))
        })
}

/// What the conversion's options are, from Python: `(api_id, user_id, is_bot, test_mode,
/// server, port, ipv6, telethon_version)`.
type OptionsTuple = (
    Option<u32>,
    Option<u64>,
    Option<bool>,
    Option<bool>,
    Option<String>,
    Option<u16>,
    bool,
    Option<u8>,
);

fn options(o: OptionsTuple) -> Options {
    let (api_id, user_id, is_bot, test_mode, server, port, ipv6, telethon_version) = o;
    let defaults = Options::default();
    Options {
        api_id,
        user_id,
        is_bot,
        test_mode,
        server,
        port,
        ipv6,
        telethon_version: telethon_version.unwrap_or(defaults.telethon_version),
    }
}

/// `pyrosession convert`: reads a session file (`path`) or text (`text`) of any format the
/// crate reads and converts it to `to` (spec/conversions.md §5): a string target is returned
/// in the object, or written to `file`; a file target is written to `file` (mode 0600, never
/// over an existing file without `force`). Returns the JSON object `convert --json` prints
/// (spec/json-output.md §3.6).
#[pyfunction]
#[pyo3(signature = (text, path, to, file, force, options))]
pub(crate) fn convert(
    py: Python<'_>,
    text: Option<&str>,
    path: Option<PathBuf>,
    to: &str,
    file: Option<PathBuf>,
    force: bool,
    options: OptionsTuple,
) -> PyResult<Py<PyString>> {
    let target = target(to)?;
    if target.is_file() && file.is_none() {
        return Err(PyValueError::new_err(format!(
            "the target {target} is a file: give the file to write"
        )));
    }
    let options = self::options(options);
    let text = text.map(|t| Zeroizing::new(t.to_owned()));
    let made = py.detach(|| -> Result<Zeroizing<String>, Failed> {
        let source = path.as_deref();
        // As the command reads its SOURCE: a file once (a session file, or a text file holding
        // a string), or the text.
        let account = match (&path, &text) {
            (Some(p), _) => FileArgument::read(p)
                .into_input()
                .and_then(Input::into_account),
            (None, Some(t)) => conversion::read_text(t),
            (None, None) => conversion::read_text(""),
        }
        .map_err(|e| e.at(source))?;
        let produced =
            conversion::produce(&account, target, &options, file.as_deref(), force, source)
                .map_err(|e| e.at(source))?;
        Ok(Zeroizing::new(report::convert_to_json(
            target,
            file.as_deref(),
            produced.text.as_deref().map(String::as_str),
            &account,
            produced.peers,
            &produced.losses,
        )))
    });
    let made = made.map_err(|e| e.raise(py))?;
    Ok(PyString::new(py, &made).unbind())
}
