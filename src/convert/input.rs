//! What an input is, answered once, with the value it was read as (spec/conversions.md §3).
//!
//! [`Input::from_text`] and [`Input::from_file`] say which format a session is in and hand
//! over what they decoded or opened to find out: a Pyrogram string with its warnings, a
//! Telethon or GramJS string, a JSON session, an open Pyrogram storage or a Telethon file read
//! through the one connection that recognised it. `inspect`, `convert`, `import` and `export`
//! consume it: each input is read once and opened once.

use std::fmt;
use std::path::Path;

use super::gramjs::{self, GramjsString};
use super::legacy_json::{self, JsonSession};
use super::tdata::{read_folder, ReadOptions, Tdata};
use super::telethon::{self, TelethonString};
use super::telethon_file::TelethonFile;
use super::{pyrogram, Account, ConvertError, ConvertErrorKind, Kind};
use crate::storage::Storage;
use crate::string::{decode_compat, Decoded, Format};

/// A session, as detection read it (spec/conversions.md §3).
#[derive(Debug)]
#[non_exhaustive]
pub enum Input {
    /// A Pyrogram session string, decoded by Pyrogram 2.0.106's rules, with its warnings.
    PyrogramString(Decoded),
    /// A Telethon string session.
    TelethonString(TelethonString),
    /// A GramJS string session.
    GramjsString(GramjsString),
    /// A Pyrogram ≤ 0.14 JSON session.
    PyrogramJson(JsonSession),
    /// A Pyrogram (or fork's) session file, open read-only as detection opened it.
    PyrogramFile(Storage),
    /// A Telethon session file, read through the connection that recognised it.
    TelethonFile(TelethonFile),
    /// A Telegram Desktop `tdata` folder (spec/tdata.md); its hub value is its first account's.
    TdataFolder(Box<Tdata>),
}

/// A recognised format and its particulars ("v2", "IPv6", "version 8", the file's dialect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    /// The format.
    pub kind: Kind,
    /// Its particulars, for people.
    pub detail: String,
}

impl fmt::Display for Detected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.detail)
    }
}

impl Input {
    /// Says which format a text is and reads it (spec/conversions.md §3.1), surrounding
    /// whitespace ignored:
    ///
    /// 1. `{` first: a Pyrogram JSON session, if it is a JSON object with `dc_id` and
    ///    `auth_key`.
    /// 2. 351, 356 or 362 characters: a Pyrogram string (legacy32, legacy64, v2), decoded by
    ///    Pyrogram 2.0.106's rules. These lengths are 3, 0 and 2 modulo 4; Telethon and GramJS
    ///    strings are all 1 modulo 4, so no string is both.
    /// 3. `1` first and 353 or 369 characters: a Telethon string, unless it is also a valid
    ///    GramJS string that GramJS reads as its own (a 369-character string whose first two
    ///    address bytes, as a signed 16-bit number, are at most 100).
    /// 4. `1` first otherwise: a GramJS string.
    /// 5. Any text Pyrogram 2.0.106 takes at another length (a v2 string with its padding,
    ///    say), when 3 and 4 do not decode it: a Pyrogram string, as `inspect` and `import`
    ///    read it.
    ///
    /// # Errors
    /// A text that fits none is `Unrecognised`; one that fits a format's shape but not its
    /// content gets that format's decoding error.
    pub fn from_text(text: &str) -> Result<Input, ConvertError> {
        let t = text.trim();
        // Trimmed, its first byte is no white space: the rule is the file head's.
        if crate::storage::begins_like_json(t.as_bytes()) {
            return match serde_json::from_str::<serde_json::Value>(t) {
                Ok(serde_json::Value::Object(m)) if crate::storage::is_json_session(&m) => {
                    legacy_json::from_object(&m).map(Input::PyrogramJson)
                }
                Ok(_) => Err(ConvertErrorKind::Unrecognised {
                    detail: "JSON without dc_id and auth_key".to_owned(),
                }
                .into()),
                Err(e) => Err(ConvertErrorKind::Json {
                    detail: e.to_string(),
                }
                .into()),
            };
        }
        let chars = t.chars().count();
        if Format::from_char_len(chars).is_some() {
            return Ok(Input::PyrogramString(decode_compat(t)?));
        }
        if t.starts_with('1') {
            if crate::string::telethon_by_length(chars - 1) {
                // GramJS reads this length as Telethon's (its layout would never decode here:
                // the address would have 3 bytes): a Telethon string or nothing.
                return telethon::decode(t).map(Input::TelethonString);
            }
            if chars == telethon::IPV6_LEN {
                // GramJS's own rule (crate::string::gramjs_layout): its layout when the number
                // after the dc id is an address length it takes, Telethon's otherwise. At this
                // length it decodes
                // only with an address of 15 bytes, which GramJS itself then reads. So a
                // string both decode is GramJS's, and Telethon's error is the one reported.
                return match gramjs::decode(t) {
                    Ok(g) => Ok(Input::GramjsString(g)),
                    Err(_) => telethon::decode(t).map(Input::TelethonString),
                };
            }
            return match gramjs::decode(t) {
                Ok(g) => Ok(Input::GramjsString(g)),
                // Neither: one Pyrogram takes at another length (padded, say) is still its.
                Err(e) => decode_compat(t).map(Input::PyrogramString).or(Err(e)),
            };
        }
        if let Ok(d) = decode_compat(t) {
            return Ok(Input::PyrogramString(d));
        }
        Err(ConvertErrorKind::Unrecognised {
            detail: if t.is_empty() {
                "empty text".to_owned()
            } else {
                // What it recognisably is, as the string decoders say it (a string in quotes,
                // one cut short): spec/session-string.md §7.3.
                match crate::string::diagnose(t) {
                    Some(d) => format!("a text of {chars} characters; {d}"),
                    None => format!("a text of {chars} characters"),
                }
            },
        }
        .into())
    }

    /// Says which format a file is and reads it (spec/conversions.md §3.2): an SQLite file is a
    /// Pyrogram (or fork's) or a Telethon session file by its tables; a JSON object with
    /// `dc_id` and `auth_key` a Pyrogram JSON session; any other text file is read as holding
    /// a string ([`Input::from_text`]).
    ///
    /// The file is opened once and only read: its first bytes and, for text, the rest through
    /// one descriptor, opened without waiting and only if it is a regular file (a FIFO put
    /// there is refused, never waited on); an SQLite file through one read-only connection,
    /// which rolls back a hot journal beside it first, as any SQLite reader does
    /// (spec/storage.md §2.2). A Pyrogram file stays open in the [`Input`]. A file a storage of
    /// this process holds is SQLite, and is not read outside SQLite: that would drop the
    /// storage's lock (spec/storage.md §2.5). A file another client holds is waited for up to
    /// [`crate::storage::DEFAULT_WAIT`], then refused with `InUse`.
    ///
    /// # Errors
    /// The file cannot be read, is not a session of a known format, or its content is not
    /// valid for its format.
    pub fn from_file(path: &Path) -> Result<Input, ConvertError> {
        super::FileArgument::read(path).into_input()
    }

    /// Reads a Telegram Desktop `tdata` folder (spec/tdata.md §8.1), with its passcode where it
    /// has one.
    ///
    /// # Errors
    /// The folder cannot be read ([`ConvertErrorKind::Tdata`]): missing or damaged files, a
    /// passcode missing or wrong, a folder that is a link.
    pub fn from_folder(path: &Path, options: &ReadOptions<'_>) -> Result<Input, ConvertError> {
        Ok(Input::TdataFolder(Box::new(read_folder(path, options)?)))
    }

    /// The format.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Input::PyrogramString(_) => Kind::PyrogramString,
            Input::TelethonString(_) => Kind::TelethonString,
            Input::GramjsString(_) => Kind::GramjsString,
            Input::PyrogramJson(_) => Kind::PyrogramJson,
            Input::PyrogramFile(_) => Kind::PyrogramFile,
            Input::TelethonFile(_) => Kind::TelethonFile,
            Input::TdataFolder(_) => Kind::TdataFolder,
        }
    }

    /// The format's particulars, for people: a Pyrogram string's layout (`v2`), a Telethon
    /// string's address family, a file's dialect or version.
    #[must_use]
    pub fn detail(&self) -> String {
        match self {
            Input::PyrogramString(d) => d.format.name().to_owned(),
            Input::TelethonString(s) => {
                if s.address.is_ipv4() { "IPv4" } else { "IPv6" }.to_owned()
            }
            Input::GramjsString(_) => "GramJS layout".to_owned(),
            Input::PyrogramJson(_) => "Pyrogram ≤ 0.14".to_owned(),
            Input::PyrogramFile(s) => s.dialect().to_string(),
            Input::TelethonFile(f) => format!("version {}", f.version),
            Input::TdataFolder(t) => t.detail(),
        }
    }

    /// The format and its particulars.
    #[must_use]
    pub fn detected(&self) -> Detected {
        Detected {
            kind: self.kind(),
            detail: self.detail(),
        }
    }

    /// The hub value (spec/conversions.md §4). A Pyrogram file's fields and peers are read
    /// from its storage now.
    ///
    /// # Errors
    /// A Pyrogram file that cannot be read, or whose values are out of the hub's ranges.
    pub fn account(&self) -> Result<Account, ConvertError> {
        match self {
            Input::PyrogramFile(storage) => pyrogram::read_storage(storage),
            Input::PyrogramString(d) => Ok(pyrogram::from_decoded(d.clone())),
            Input::TelethonString(s) => Ok(s.clone().into_account()),
            Input::GramjsString(g) => Ok(g.clone().into_account()),
            Input::PyrogramJson(j) => Ok(j.clone().into_account()),
            Input::TelethonFile(f) => Ok(f.clone().into_account()),
            Input::TdataFolder(t) => Ok(t.first_account()?),
        }
    }

    /// [`Input::account`], consuming the input (nothing is copied).
    ///
    /// # Errors
    /// As [`Input::account`].
    pub fn into_account(self) -> Result<Account, ConvertError> {
        match self {
            Input::PyrogramFile(storage) => pyrogram::read_storage(&storage),
            Input::PyrogramString(d) => Ok(pyrogram::from_decoded(d)),
            Input::TelethonString(s) => Ok(s.into_account()),
            Input::GramjsString(g) => Ok(g.into_account()),
            Input::PyrogramJson(j) => Ok(j.into_account()),
            Input::TelethonFile(f) => Ok(f.into_account()),
            Input::TdataFolder(t) => Ok(t.first_account()?),
        }
    }
}

/// The most a text input may hold: a session string is under 1 KiB, and a JSON session is
/// recognised up to 16 MiB (spec/storage.md §4 step 5).
pub(crate) const MAX_TEXT: u64 = 1 << 24;

/// Reads a session given as text ([`Input::from_text`]) into the hub.
///
/// # Errors
/// As [`Input::from_text`].
pub fn read_text(text: &str) -> Result<Account, ConvertError> {
    Input::from_text(text)?.into_account()
}

/// Reads a session from a path ([`Input::from_file`]) into the hub: an SQLite session file
/// (Pyrogram or Telethon), a JSON session, or a text file holding a session string.
///
/// # Errors
/// As [`Input::from_file`].
pub fn read_path(path: &Path) -> Result<Account, ConvertError> {
    Input::from_file(path)?.into_account()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("spec/fixtures")
            .join(name)
    }

    /// A Telethon file is read through the connection that recognised it, whose hold ends
    /// with the read; a Pyrogram file stays open (and held) in the input.
    #[test]
    fn a_file_is_handed_over_as_it_was_opened() {
        // Copies of their own: no other test holds them meanwhile.
        let dir = std::env::temp_dir().join(format!("pyrosession-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let copy = |name: &str| {
            let to = dir.join(name);
            std::fs::copy(fixture(name), &to).unwrap();
            to
        };
        let path = copy("telethon-1.45.0.session");
        let input = Input::from_file(&path).unwrap();
        assert_eq!(input.kind(), Kind::TelethonFile);
        assert_eq!(input.detail(), "version 8");
        assert!(crate::fs::held(&path).is_none());
        assert_eq!(
            input.into_account().unwrap(),
            super::super::telethon_file::read(&path)
                .unwrap()
                .into_account()
        );

        let path = copy("pyrogram-2.0.106.session");
        let input = Input::from_file(&path).unwrap();
        assert!(matches!(input, Input::PyrogramFile(_)));
        assert!(crate::fs::held(&path).is_some());
        assert_eq!(input.detail(), "pyrogram v3");
        drop(input);
        assert!(crate::fs::held(&path).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What detection decoded is what the hub is made of: a JSON session's object and a
    /// string's decoding, not read a second time.
    #[test]
    fn a_text_is_handed_over_decoded() {
        let json = std::fs::read_to_string(fixture("pyrogram-json-0.14.session")).unwrap();
        let input = Input::from_text(&json).unwrap();
        assert!(matches!(input, Input::PyrogramJson(_)));
        assert_eq!(
            input.into_account().unwrap(),
            legacy_json::read(&json).unwrap().into_account()
        );
        let v2 = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/examples/v2.txt"),
        )
        .unwrap();
        let Input::PyrogramString(decoded) = Input::from_text(&v2).unwrap() else {
            panic!("not read as a Pyrogram string");
        };
        assert_eq!(decoded, decode_compat(v2.trim()).unwrap());
        let telethon = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/examples/telethon.txt"),
        )
        .unwrap();
        let input = Input::from_text(&telethon).unwrap();
        assert_eq!(
            input.detected().to_string(),
            "a Telethon string session (IPv4)"
        );
    }
}
