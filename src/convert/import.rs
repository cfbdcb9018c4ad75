//! `import`: a new Pyrogram session file from a Pyrogram session string (spec/storage.md §2.4,
//! spec/conversions.md §11.1).

use std::fmt;
use std::path::Path;

use super::{Input, Kind};
use crate::storage::{Storage, StorageError};
use crate::string::{decode_compat, DecodeError, Decoded, Format};

/// A text `import` does not take: Pyrogram 2.0.106's rules reject it.
#[derive(Debug)]
pub struct NotPyrogram {
    /// Why Pyrogram 2.0.106's rules reject it.
    pub error: DecodeError,
    /// The format it is a session of, where the crate reads it as one (another library's
    /// string, a JSON session): a conversion writes a Pyrogram file from it.
    pub other: Option<Kind>,
}

impl fmt::Display for NotPyrogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for NotPyrogram {}

/// What [`import`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The layout the string was read as.
    pub format: Format,
    /// The session's data center.
    pub dc_id: u8,
    /// Where the file's name does not end in `.session`: the name Pyrogram's `Client(NAME)`
    /// is given to open it, which opens `NAME.session` instead (spec/conversions.md §11.1).
    pub unfound_by: Option<ClientName>,
}

/// A file Pyrogram's `Client(stem)` does not find: it opens `{stem}.session`, not `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientName {
    /// The file's name without its extension (lossy where it is not UTF-8).
    pub stem: String,
    /// The file's name (lossy where it is not UTF-8).
    pub name: String,
}

/// The Pyrogram session string `import` reads from `text`, taken as given (no white space is
/// trimmed): Pyrogram 2.0.106's rules decide (spec/session-string.md §6), and the warnings
/// say how it departs from canonical form.
///
/// # Errors
/// Pyrogram 2.0.106's rules reject it; [`NotPyrogram::other`] then says whether it is a
/// session of another format (detected as [`Input::from_text`] does).
pub fn import_string(text: &str) -> Result<Decoded, NotPyrogram> {
    decode_compat(text).map_err(|error| NotPyrogram {
        error,
        other: Input::from_text(text).ok().map(|i| i.kind()),
    })
}

/// Writes a new Pyrogram 2.0.106 session file at `file` holding the decoded string's session
/// (`date` 0, no peers), never overwriting a file ([`Storage::create_file_from_session`]),
/// and says what was written.
///
/// # Errors
/// As [`Storage::create_file_from_session`]: the file exists, its name or place cannot take
/// a session file, or writing fails.
pub fn import(session: &Decoded, file: &Path) -> Result<Imported, StorageError> {
    Storage::create_file_from_session(file, &session.session)?;
    Ok(Imported {
        format: session.format,
        dc_id: session.session.dc_id,
        unfound_by: unfound_by(file),
    })
}

/// The name Pyrogram's `Client` is given for `file` and does not find it by, where the name
/// does not end in `.session`.
fn unfound_by(file: &Path) -> Option<ClientName> {
    if file.extension().is_some_and(|e| e == "session") {
        return None;
    }
    Some(ClientName {
        stem: file.file_stem()?.to_string_lossy().into_owned(),
        name: file.file_name()?.to_string_lossy().into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("spec/examples")
            .join(name);
        std::fs::read_to_string(path).unwrap().trim_end().to_owned()
    }

    #[test]
    fn a_pyrogram_string_is_taken_as_given() {
        let v2 = example("v2.txt");
        let d = import_string(&v2).unwrap();
        assert_eq!(d, decode_compat(&v2).unwrap());
        // A trailing line break is not trimmed: Pyrogram's rules see it.
        let with_newline = format!("{v2}\n");
        assert_eq!(
            import_string(&with_newline).map_err(|e| e.to_string()),
            decode_compat(&with_newline).map_err(|e| e.to_string())
        );
    }

    #[test]
    fn another_librarys_session_is_named() {
        let e = import_string(&example("telethon.txt")).unwrap_err();
        assert_eq!(e.other, Some(Kind::TelethonString));
        assert_eq!(e.to_string(), e.error.to_string());
        let e = import_string("not a session at all").unwrap_err();
        assert_eq!(e.other, None);
    }

    #[test]
    fn the_file_is_written_and_described() {
        let dir = std::env::temp_dir().join(format!("pyrosession-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let v2 = import_string(&example("v2.txt")).unwrap();
        let file = dir.join("mybot");
        let imported = import(&v2, &file).unwrap();
        assert_eq!(imported.format, Format::V2);
        assert_eq!(imported.dc_id, v2.session.dc_id);
        assert_eq!(
            imported.unfound_by,
            Some(ClientName {
                stem: "mybot".to_owned(),
                name: "mybot".to_owned()
            })
        );
        assert_eq!(
            Storage::open_file_read_only(&file)
                .unwrap()
                .export_session_string()
                .unwrap(),
            crate::string::encode(&v2.session, Format::V2).unwrap()
        );
        // Never overwritten.
        assert!(import(&v2, &file).is_err());
        let named = dir.join("a.session");
        assert_eq!(import(&v2, &named).unwrap().unfound_by, None);
        let legacy = import_string(&example("legacy32.txt")).unwrap();
        assert_eq!(
            import(&legacy, &dir.join("b.txt")).unwrap(),
            Imported {
                format: Format::Legacy32,
                dc_id: legacy.session.dc_id,
                unfound_by: Some(ClientName {
                    stem: "b".to_owned(),
                    name: "b.txt".to_owned()
                })
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
