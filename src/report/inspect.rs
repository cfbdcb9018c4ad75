//! What `inspect` reads a session file or a session string as, for the command and the Python
//! package alike (spec/json-output.md §3.1-§3.3).

use crate::convert::{
    Account, ConvertError, ConvertErrorKind, Detected, FileArgument, FolderRead, Input,
};
use crate::storage::{Storage, StorageError, StorageErrorKind};
use crate::string::{DecodeError, Decoded};

use super::FileReport;

/// A session as `inspect` reports it.
#[derive(Debug)]
pub enum Inspection {
    /// A Pyrogram session file (or a fork's).
    File(FileReport),
    /// A Pyrogram session string.
    String(Decoded),
    /// Another library's session (or a JSON session), which Pyrogram 2.0.106 does not take as
    /// its own: what detection found, read into the hub.
    Foreign(Detected, Account),
    /// A Telegram Desktop folder: what it holds, and the account chosen
    /// ([`crate::convert::read_tdata`]).
    Folder(Box<FolderRead>, Box<Account>),
}

/// Why `inspect` has no report.
#[derive(Debug)]
pub enum InspectError {
    /// Reading the session failed; from [`inspect_file`], naming the file where the error is
    /// about what it holds ([`ConvertError::at`]).
    Convert(ConvertError),
    /// The storage could not report on the file.
    Storage(StorageError),
    /// The text is no Pyrogram string, nor another session.
    Decode(DecodeError),
}

impl Inspection {
    /// The plain-text report. The auth key is shown only with `reveal_key`.
    #[must_use]
    pub fn to_text(&self, reveal_key: bool) -> String {
        match self {
            Inspection::File(r) => super::file_to_text(r, reveal_key),
            Inspection::String(d) => super::to_text(d, reveal_key),
            Inspection::Foreign(d, a) => super::foreign_to_text(d, a, reveal_key),
            Inspection::Folder(f, a) => super::tdata_to_text(&f.tdata, f.chosen, a, reveal_key),
        }
    }

    /// The JSON report. The auth key is in it only with `reveal_key`.
    #[must_use]
    pub fn to_json(&self, reveal_key: bool) -> String {
        match self {
            Inspection::File(r) => super::file_to_json(r, reveal_key),
            Inspection::String(d) => super::to_json(d, reveal_key),
            Inspection::Foreign(d, a) => super::foreign_to_json(d, a, reveal_key),
            Inspection::Folder(f, a) => super::tdata_to_json(&f.tdata, f.chosen, a, reveal_key),
        }
    }

    /// Whether Pyrogram 2.0.106 takes the session as its own (`inspect --pyrogram`).
    #[must_use]
    pub fn opened_by_pyrogram(&self) -> bool {
        match self {
            Inspection::File(r) => r.dialect.opened_by_pyrogram(),
            Inspection::String(_) => true,
            Inspection::Foreign(..) | Inspection::Folder(..) => false,
        }
    }
}

/// `inspect` of a session file, read once: its format detected from what was read, a Pyrogram
/// file reported from the storage detection opened, another format from what it read.
///
/// # Errors
///
/// [`InspectError::Convert`] where the file cannot be read as the format it is (a file that
/// begins like JSON is a broken JSON session, as detection says it);
/// [`InspectError::Storage`] where it is no SQLite file after all, as the storage says it.
pub fn inspect_file(file: FileArgument) -> Result<Inspection, InspectError> {
    let path = &file.path().to_path_buf();
    let began_like_json = file.begins_like_json();
    match file.into_input() {
        Ok(Input::PyrogramFile(storage)) => file_inspection(&storage),
        Ok(input) => foreign(input).map_err(|e| InspectError::Convert(e.at(Some(path)))),
        Err(e) if began_like_json => Err(InspectError::Convert(e.at(Some(path)))),
        // The storage's own answer, from the open detection made: opening again would wait
        // again for a file another client holds (spec/storage.md §2.5).
        // Not SQLite after all (emptied, swapped): the storage says what it is.
        Err(e)
            if matches!(
                e.kind(),
                ConvertErrorKind::Unrecognised { .. }
                    | ConvertErrorKind::Storage(StorageErrorKind::Io { .. })
            ) =>
        {
            Storage::open_file_read_only(path)
                .map_err(InspectError::Storage)
                .and_then(|s| file_inspection(&s))
        }
        Err(e) if matches!(e.kind(), ConvertErrorKind::Storage(_)) => Err(InspectError::Convert(e)),
        // A Telethon file that cannot be read: its reader's answer.
        Err(e) => Err(InspectError::Convert(e.at(Some(path)))),
    }
}

/// `inspect` of a session string (or a JSON session's text): Pyrogram's verdict is on the text
/// as given, detection's on the text trimmed. A text without surrounding whitespace is read
/// once, by detection, whose Pyrogram string is the one Pyrogram 2.0.106's rules decode
/// (spec/conversions.md §3.1); `strict` decodes with [`crate::string::decode_strict`].
///
/// # Errors
///
/// [`InspectError::Decode`] where the text is no session; [`InspectError::Convert`] where it is
/// another library's that cannot be read into the hub.
pub fn inspect_text(text: &str, strict: bool) -> Result<Inspection, InspectError> {
    let read_once = !strict && text.trim() == text;
    let decoded = match read_once.then(|| Input::from_text(text)) {
        Some(Ok(Input::PyrogramString(decoded))) => Ok(decoded),
        Some(Ok(input)) => return foreign(input).map_err(InspectError::Convert),
        Some(Err(_)) | None if strict => crate::string::decode_strict(text),
        Some(Err(_)) | None => crate::string::decode_compat(text),
    };
    match decoded {
        Ok(decoded) => Ok(Inspection::String(decoded)),
        Err(e) => {
            // Not a Pyrogram string: perhaps another library's string, or a JSON session.
            if !read_once {
                match Input::from_text(text) {
                    Ok(Input::PyrogramString(_)) | Err(_) => {}
                    Ok(input) => return foreign(input).map_err(InspectError::Convert),
                }
            }
            Err(InspectError::Decode(e))
        }
    }
}

fn file_inspection(storage: &Storage) -> Result<Inspection, InspectError> {
    super::file_report(storage)
        .map(Inspection::File)
        .map_err(InspectError::Storage)
}

fn foreign(input: Input) -> Result<Inspection, ConvertError> {
    let d = input.detected();
    Ok(Inspection::Foreign(d, input.into_account()?))
}
