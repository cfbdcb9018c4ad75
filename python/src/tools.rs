//! The command's `inspect` and `convert` from Python: the same reports and the same files,
//! from the library's `convert::Input` and `report` (spec/json-output.md, spec/conversions.md).
//!
//! Each call releases the interpreter while it reads and writes: opening a session file may
//! wait for another client to let go of it.

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use pyrosession::convert as conversion;
use pyrosession::convert::tdata::Passcode;
use pyrosession::convert::{ConvertError, FileArgument, FolderChoice, Options, Source, Target};
use pyrosession::report;
use zeroize::Zeroizing;

use crate::errors;

/// Why a tool failed, for [`errors::convert`] and its kin.
enum Failed {
    Convert(ConvertError),
    Storage(pyrosession::storage::StorageError),
    Decode(pyrosession::string::DecodeError, Option<PathBuf>),
    /// A text file that could not be read as text, where reading it again as `convert` does
    /// succeeded: Python's `OSError` of the kind.
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
        let text = Zeroizing::new(file.text().map_err(|e| {
            // What the command's convert says of the same file (the package's `IoError` or
            // `UnrecognisedError`, naming the path), read as convert reads it; the bare
            // `OSError` only if that read now succeeds (the file changed in between).
            match FileArgument::read(path).into_input() {
                Err(convert) => Failed::Convert(convert),
                Ok(_) => Failed::Io(e),
            }
        })?);
        return report::inspect_text(&text, strict).map_err(|e| match e {
            report::InspectError::Decode(e) => Failed::Decode(e, Some(path.to_path_buf())),
            e => e.into(),
        });
    }
    report::inspect_file(file).map_err(Failed::from)
}

/// How to read a Telegram Desktop folder, from Python: `account=`, `key_name=` (the command's
/// `--key-name`), and the passcode given as
/// `passcode=` (`bytes`, `bytearray` or `str`, its UTF-8) or read from the first line of
/// `passcode_file=`, as the command's `--passcode-file` reads it. The passcode is copied once
/// into a [`Passcode`], which is wiped when dropped.
pub(crate) struct Folder {
    account: Option<u32>,
    passcode: Option<Passcode>,
    key_name: Option<String>,
}

impl Folder {
    fn new(
        account: Option<u32>,
        passcode: Option<&Bound<'_, PyAny>>,
        passcode_file: Option<PathBuf>,
        key_name: Option<String>,
    ) -> PyResult<Self> {
        let passcode = match (passcode, passcode_file) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give the passcode or passcode_file, not both",
                ))
            }
            (Some(p), None) => Some(passcode_of(p)?),
            (None, Some(file)) => Some(read_passcode(&file, "the passcode")?),
            (None, None) => None,
        };
        Ok(Folder {
            account,
            passcode,
            key_name,
        })
    }

    fn given(&self) -> Option<&'static str> {
        if self.account.is_some() {
            Some("account")
        } else if self.passcode.is_some() {
            Some("passcode")
        } else if self.key_name.is_some() {
            Some("key_name")
        } else {
            None
        }
    }

    /// What reads only a folder, refused for a session that is not one (the command's usage
    /// error).
    fn refuse(&self) -> PyResult<()> {
        match self.given() {
            Some(what) => Err(PyValueError::new_err(format!(
                "{what}= reads a Telegram Desktop folder, and the session given is not one"
            ))),
            None => Ok(()),
        }
    }

    fn choice(&self) -> FolderChoice<'_> {
        FolderChoice {
            account: self.account,
            passcode: self.passcode.as_ref(),
            key_file: self.key_name.as_deref(),
        }
    }
}

/// The passcode's bytes, copied once into a buffer of their exact size (no copy is left behind
/// by a buffer that grew).
fn passcode_of(given: &Bound<'_, PyAny>) -> PyResult<Passcode> {
    let copy = |bytes: &[u8]| {
        let mut v = Vec::with_capacity(bytes.len());
        v.extend_from_slice(bytes);
        Passcode::new(v)
    };
    if let Ok(b) = given.cast::<PyBytes>() {
        return Ok(copy(b.as_bytes()));
    }
    if let Ok(b) = given.cast::<PyByteArray>() {
        return Ok(Passcode::new(b.to_vec()));
    }
    if let Ok(s) = given.cast::<PyString>() {
        // Not the `UnicodeEncodeError`, whose repr and `object` would hold the passcode.
        let text = s.to_cow().map_err(|_| {
            PyValueError::new_err(
                "a str passcode must have UTF-8: it holds a lone surrogate (give its bytes instead)",
            )
        })?;
        return Ok(copy(text.as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "a passcode is bytes, bytearray or str, not {}",
        given.get_type().name()?
    )))
}

/// The first line of `file`, as the command's `--passcode-file` reads it
/// ([`Passcode::read_line`]); an error says which file (and `what` was read), never what it
/// holds.
fn read_passcode(file: &Path, what: &str) -> PyResult<Passcode> {
    std::fs::File::open(file)
        .and_then(Passcode::read_line)
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot read {what} from {}: {e}", report::shown_path(file)),
            )
            .into()
        })
}

/// How to write a new Telegram Desktop folder (`convert(..., "tdata", ...)`), from Python: the
/// command's `--new-passcode-file` and `--new-key-name` (spec/tdata.md §9.1). The passcode is
/// given as `new_passcode=` (`bytes`, `bytearray` or `str`, its UTF-8) or read from the first
/// line of `new_passcode_file=`, copied once into a [`Passcode`], which is wiped when dropped.
pub(crate) struct NewFolder {
    passcode: Option<Passcode>,
    key_name: Option<String>,
}

impl NewFolder {
    /// The options checked as the command checks them before it writes: for the target `tdata`
    /// only; one passcode, not empty; a key file name Telegram Desktop can be started with
    /// (`-key NAME`, [`TdataErrorKind::KeyNameNotTelegrams`]).
    fn new(
        py: Python<'_>,
        target: Target,
        passcode: Option<&Bound<'_, PyAny>>,
        passcode_file: Option<PathBuf>,
        key_name: Option<String>,
    ) -> PyResult<Self> {
        let given = if passcode.is_some() {
            Some("new_passcode")
        } else if passcode_file.is_some() {
            Some("new_passcode_file")
        } else if key_name.is_some() {
            Some("new_key_name")
        } else {
            None
        };
        if let (Some(option), false) = (given, target == Target::Tdata) {
            return Err(PyValueError::new_err(format!(
                "{option}= is for a new Telegram Desktop folder: it goes with the target tdata, not {target}"
            )));
        }
        if let Some(name) = &key_name {
            use pyrosession::convert::tdata::{telegram_key_name, TdataErrorKind};
            use pyrosession::convert::ConvertErrorKind;
            let telegram = telegram_key_name(name);
            if name.is_empty() || telegram != *name {
                let kind = if name.is_empty() {
                    TdataErrorKind::KeyFileName
                } else {
                    TdataErrorKind::KeyNameNotTelegrams {
                        name: name.clone(),
                        telegram,
                    }
                };
                return Err(errors::convert(py, ConvertErrorKind::Tdata(kind).into()));
            }
        }
        let passcode = match (passcode, passcode_file) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give the new_passcode or new_passcode_file, not both",
                ))
            }
            (Some(p), None) => Some(passcode_of(p)?),
            (None, Some(file)) => Some(read_passcode(&file, "the new folder's passcode")?),
            (None, None) => None,
        };
        if passcode.as_ref().is_some_and(Passcode::is_empty) {
            return Err(PyValueError::new_err(
                "the new folder's passcode is empty: a folder without a passcode is written without new_passcode or new_passcode_file",
            ));
        }
        Ok(NewFolder { passcode, key_name })
    }

    fn options(&self) -> conversion::tdata::WriteOptions<'_> {
        conversion::tdata::WriteOptions {
            passcode: self.passcode.as_ref(),
            key_file: self
                .key_name
                .as_deref()
                .unwrap_or(conversion::tdata::DEFAULT_KEY_FILE),
        }
    }
}

/// The report `pyrosession inspect` gives on a session file or Telegram Desktop folder
/// (`path`) or a session string (`text`), as text or as its JSON object (spec/json-output.md
/// §3.1-§3.3). A folder is read with `folder`'s account and passcode.
#[pyfunction]
#[pyo3(signature = (text, path, strict, reveal_key, json, account, passcode, passcode_file, key_name))]
#[allow(clippy::fn_params_excessive_bools, clippy::too_many_arguments)]
pub(crate) fn inspect(
    py: Python<'_>,
    text: Option<&str>,
    path: Option<PathBuf>,
    strict: bool,
    reveal_key: bool,
    json: bool,
    account: Option<u32>,
    passcode: Option<&Bound<'_, PyAny>>,
    passcode_file: Option<PathBuf>,
    key_name: Option<String>,
) -> PyResult<Py<PyString>> {
    let folder = Folder::new(account, passcode, passcode_file, key_name)?;
    let is_folder = path.as_deref().is_some_and(conversion::is_tdata_folder);
    if !is_folder {
        folder.refuse()?;
    }
    let text = text.map(|t| Zeroizing::new(t.to_owned()));
    let made = py.detach(|| -> Result<String, Failed> {
        let inspection = match (&path, &text) {
            (Some(path), _) if is_folder => conversion::read_tdata(path, folder.choice())
                .map(|(f, a)| report::Inspection::Folder(Box::new(f), Box::new(a)))?,
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
    drop(folder);
    let made = Zeroizing::new(made.map_err(|e| e.raise(py))?);
    Ok(PyString::new(py, &made).unbind())
}

/// Every target, by the name `convert --to` takes.
const TARGETS: [Target; 6] = [
    Target::Pyrogram,
    Target::PyrogramFile,
    Target::Telethon,
    Target::TelethonFile,
    Target::Gramjs,
    Target::Tdata,
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

/// `pyrosession convert`: reads a session file or Telegram Desktop folder (`path`, a folder
/// with `folder`'s account and passcode) or text (`text`) of any format the crate reads
/// ([`conversion::read_source`], as the command does) and converts it to `to`
/// (spec/conversions.md §5, [`conversion::produce`]): a string target is returned in the
/// object, or written to `file`; a file target is written to `file` (mode 0600, never over an
/// existing file without `force`; a folder never over anything). Returns the JSON object
/// `convert --json` prints (spec/json-output.md §3.6) and the folder's warnings (what the
/// command says on standard error). The target `tdata` is written with `new_folder`'s passcode
/// and key file name ([`conversion::write_tdata`]).
#[pyfunction]
#[pyo3(signature = (text, path, to, file, force, options, account, passcode, passcode_file, key_name, new_passcode, new_passcode_file, new_key_name))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn convert(
    py: Python<'_>,
    text: Option<&str>,
    path: Option<PathBuf>,
    to: &str,
    file: Option<PathBuf>,
    force: bool,
    options: OptionsTuple,
    account: Option<u32>,
    passcode: Option<&Bound<'_, PyAny>>,
    passcode_file: Option<PathBuf>,
    key_name: Option<String>,
    new_passcode: Option<&Bound<'_, PyAny>>,
    new_passcode_file: Option<PathBuf>,
    new_key_name: Option<String>,
) -> PyResult<(Py<PyString>, Vec<String>)> {
    let target = target(to)?;
    if target.is_file() && file.is_none() {
        return Err(PyValueError::new_err(format!(
            "the target {target} is a {}: give the {} to write",
            written_kind(target),
            written_kind(target)
        )));
    }
    if force && target == Target::Tdata {
        return Err(PyValueError::new_err(
            "the target tdata is written only as a new folder, never over anything: force does not apply",
        ));
    }
    let new_folder = NewFolder::new(py, target, new_passcode, new_passcode_file, new_key_name)?;
    let folder = Folder::new(account, passcode, passcode_file, key_name)?;
    let is_folder = path.as_deref().is_some_and(conversion::is_tdata_folder);
    if !is_folder {
        folder.refuse()?;
    }
    let options = self::options(options);
    let text = text.map(|t| Zeroizing::new(t.to_owned()));
    let made = py.detach(|| -> Result<(Zeroizing<String>, Vec<String>), Failed> {
        let source_path = path.as_deref();
        // As the command reads its SOURCE: a folder, a file once (a session file, or a text
        // file holding a string), or the text.
        let source = match (source_path, &text) {
            (Some(p), _) if is_folder => Source::Folder(p, folder.choice()),
            (Some(p), _) => Source::File(FileArgument::read(p)),
            (None, Some(t)) => Source::Text(t.as_str()),
            (None, None) => Source::Text(""),
        };
        let read = conversion::read_source(source)?;
        let warnings = read
            .folder
            .as_ref()
            .map(|f| report::tdata_warnings(&f.tdata))
            .unwrap_or_default();
        let account = read.account;
        let produced = match (target, file.as_deref()) {
            // Checked above: a folder is always given a path.
            (Target::Tdata, Some(to)) => {
                conversion::write_tdata(&account, &options, to, source_path, &new_folder.options())
                    .map(|losses| conversion::Produced {
                        text: None,
                        losses,
                        peers: Some(account.peers.len()),
                    })
            }
            _ => conversion::produce(
                &account,
                target,
                &options,
                file.as_deref(),
                force,
                source_path,
            ),
        }
        .map_err(|e| e.at(source_path))?;
        let json = Zeroizing::new(report::convert_to_json(
            target,
            file.as_deref(),
            produced.text.as_deref().map(String::as_str),
            &account,
            produced.peers,
            &produced.losses,
        ));
        Ok((json, warnings))
    });
    drop(folder);
    drop(new_folder);
    let (made, warnings) = made.map_err(|e| e.raise(py))?;
    Ok((PyString::new(py, &made).unbind(), warnings))
}

/// What a target written to a path is, in words: a folder for `tdata`, else a file.
fn written_kind(target: Target) -> &'static str {
    if target == Target::Tdata {
        "folder"
    } else {
        "file"
    }
}
