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
use pyrosession::convert::{ConvertError, ConvertErrorKind, FileArgument, Input, Options, Target};
use pyrosession::report;
use pyrosession::storage::{Storage, StorageErrorKind};
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

/// A report, as text or as the JSON object of spec/json-output.md.
struct Render {
    json: bool,
    reveal_key: bool,
}

impl Render {
    fn file(&self, storage: &Storage) -> Result<String, Failed> {
        let r = report::file_report(storage)?;
        Ok(if self.json {
            report::file_to_json(&r, self.reveal_key)
        } else {
            report::file_to_text(&r, self.reveal_key)
        })
    }

    /// Another library's session (or a JSON session), which Pyrogram 2.0.106 does not take as
    /// its own.
    fn foreign(&self, input: Input) -> Result<String, Failed> {
        let d = input.detected();
        let account = input.into_account()?;
        Ok(if self.json {
            report::foreign_to_json(&d, &account, self.reveal_key)
        } else {
            report::foreign_to_text(&d, &account, self.reveal_key)
        })
    }

    fn string(&self, decoded: &pyrosession::string::Decoded) -> String {
        if self.json {
            report::to_json(decoded, self.reveal_key)
        } else {
            report::to_text(decoded, self.reveal_key)
        }
    }
}

/// `pyrosession inspect FILE`: the report on a file, as the command makes it (its
/// `inspect_cmd`): the file is read once; a session file's format is detected from what was
/// read, a Pyrogram file reported from the storage detection opened, another format from what
/// it read; a text file holding a string is reported as the string.
fn inspect_file(path: &Path, strict: bool, render: &Render) -> Result<String, Failed> {
    let file = FileArgument::read(path);
    if !file.is_session_file() {
        let text = Zeroizing::new(file.text().map_err(Failed::Io)?);
        return inspect_text(&text, strict, render).map_err(|e| match e {
            Failed::Decode(e, None) => Failed::Decode(e, Some(path.to_path_buf())),
            e => e,
        });
    }
    let began_like_json = file.begins_like_json();
    match file.into_input() {
        Ok(Input::PyrogramFile(storage)) => render.file(&storage),
        Ok(input) => render.foreign(input).map_err(|e| match e {
            Failed::Convert(e) => Failed::Convert(e.at(Some(path))),
            e => e,
        }),
        // A file that begins like JSON is a broken JSON session, as detection says it.
        Err(e) if began_like_json => Err(e.at(Some(path)).into()),
        // Not SQLite after all (emptied, swapped): the storage says what it is.
        Err(e)
            if matches!(
                e.kind(),
                ConvertErrorKind::Unrecognised { .. }
                    | ConvertErrorKind::Storage(StorageErrorKind::Io { .. })
            ) =>
        {
            render.file(&Storage::open_file_read_only(path)?)
        }
        Err(e) if matches!(e.kind(), ConvertErrorKind::Storage(_)) => Err(e.into()),
        // A Telethon file that cannot be read: its reader's answer.
        Err(e) => Err(e.at(Some(path)).into()),
    }
}

/// `pyrosession inspect STRING`: the report on a session string (or a JSON session's text), as
/// the command makes it: Pyrogram's verdict on the text as given, detection's on the text
/// trimmed.
fn inspect_text(text: &str, strict: bool, render: &Render) -> Result<String, Failed> {
    let read_once = !strict && text.trim() == text;
    let decoded = match read_once.then(|| Input::from_text(text)) {
        Some(Ok(Input::PyrogramString(decoded))) => Ok(decoded),
        Some(Ok(input)) => return render.foreign(input),
        Some(Err(_)) | None if strict => pyrosession::string::decode_strict(text),
        Some(Err(_)) | None => pyrosession::string::decode_compat(text),
    };
    match decoded {
        Ok(decoded) => Ok(render.string(&decoded)),
        Err(e) => {
            // Not a Pyrogram string: perhaps another library's string, or a JSON session.
            if !read_once {
                match Input::from_text(text) {
                    Ok(Input::PyrogramString(_)) | Err(_) => {}
                    Ok(input) => return render.foreign(input),
                }
            }
            Err(Failed::Decode(e, None))
        }
    }
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
    let render = Render { json, reveal_key };
    let text = text.map(|t| Zeroizing::new(t.to_owned()));
    let made = py.detach(|| match (&path, &text) {
        (Some(path), _) => inspect_file(path, strict, &render),
        (None, Some(text)) => inspect_text(text, strict, &render),
        (None, None) => Ok(String::new()),
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
