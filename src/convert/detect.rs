//! Which format a string or file is (spec/conversions.md §3).

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use super::{gramjs, telethon, ConvertError, Kind};
use crate::storage::{Storage, StorageErrorKind};
use crate::string::{decode_compat, Format};

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

fn detected(kind: Kind, detail: impl Into<String>) -> Detected {
    Detected {
        kind,
        detail: detail.into(),
    }
}

/// A Pyrogram string at a length other than the three canonical ones, which Pyrogram 2.0.106
/// still takes, as `inspect` and `import` do: read as v2 once its padding is restored
/// (spec/session-string.md §6), a padded string among them.
fn pyrogram_at_any_length(t: &str) -> Option<Result<Detected, ConvertError>> {
    decode_compat(t)
        .ok()
        .map(|d| Ok(detected(Kind::PyrogramString, d.format.name())))
}

/// Says which format a text is (spec/conversions.md §3.1), surrounding whitespace ignored:
///
/// 1. `{` first: a Pyrogram JSON session, if it is a JSON object with `dc_id` and `auth_key`.
/// 2. 351, 356 or 362 characters: a Pyrogram string (legacy32, legacy64, v2), decoded by
///    Pyrogram 2.0.106's rules. These lengths are 3, 0 and 2 modulo 4; Telethon and GramJS
///    strings are all 1 modulo 4, so no string is both.
/// 3. `1` first and 353 or 369 characters: a Telethon string, unless it is also a valid GramJS
///    string that GramJS reads as its own (a 369-character string whose first two address
///    bytes, as a signed 16-bit number, are at most 100).
/// 4. `1` first otherwise: a GramJS string.
/// 5. Any text Pyrogram 2.0.106 takes at another length (a v2 string with its padding, say),
///    when 3 and 4 do not decode it: a Pyrogram string, as `inspect` and `import` read it.
///
/// A text that fits none is an error; one that fits a format's shape but not its content gets
/// that format's decoding error.
pub fn detect_text(text: &str) -> Result<Detected, ConvertError> {
    let t = text.trim();
    if t.starts_with('{') {
        return match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(m))
                if m.contains_key("dc_id") && m.contains_key("auth_key") =>
            {
                Ok(detected(Kind::PyrogramJson, "Pyrogram ≤ 0.14"))
            }
            Ok(_) => Err(ConvertError::Unrecognised {
                detail: "JSON without dc_id and auth_key".to_owned(),
            }),
            Err(e) => Err(ConvertError::Json {
                detail: e.to_string(),
            }),
        };
    }
    let chars = t.chars().count();
    if let Some(format) = Format::from_char_len(chars) {
        decode_compat(t)?;
        return Ok(detected(Kind::PyrogramString, format.name()));
    }
    if t.starts_with('1') {
        let as_telethon = telethon::decode(t);
        if chars == telethon::IPV4_LEN || chars == telethon::IPV6_LEN {
            // GramJS's own rule: its layout when the number after the dc id is an address
            // length it takes (1 to 100), Telethon's otherwise. At the IPv4 length its layout
            // never decodes (the address would have 3 bytes); at the IPv6 length it decodes only
            // with an address of 15 bytes, which GramJS itself then reads. So a string both
            // decode is GramJS's.
            let as_gramjs = gramjs::decode(t);
            return match (as_telethon, as_gramjs) {
                (_, Ok(_)) => Ok(detected(Kind::GramjsString, "GramJS layout")),
                (Ok(s), Err(_)) => Ok(detected(
                    Kind::TelethonString,
                    if s.address.is_ipv4() { "IPv4" } else { "IPv6" },
                )),
                (Err(e), Err(_)) => Err(e),
            };
        }
        return match gramjs::decode(t) {
            Ok(_) => Ok(detected(Kind::GramjsString, "GramJS layout")),
            // Neither: one Pyrogram takes at another length (padded, say) is still its.
            Err(e) => pyrogram_at_any_length(t).unwrap_or(Err(e)),
        };
    }
    if let Some(found) = pyrogram_at_any_length(t) {
        return found;
    }
    Err(ConvertError::Unrecognised {
        detail: if t.is_empty() {
            "empty text".to_owned()
        } else {
            // What it recognisably is, as the string decoders say it (a string in quotes, one
            // cut short): spec/session-string.md §7.3.
            match crate::string::diagnose(t) {
                Some(d) => format!("a text of {chars} characters; {d}"),
                None => format!("a text of {chars} characters"),
            }
        },
    })
}

/// The most a text input may hold: a session string is under 1 KiB, and a JSON session is
/// recognised up to 16 MiB (spec/storage.md §4 step 5).
pub const MAX_TEXT: u64 = 1 << 24;

/// Everything `reader` holds, up to [`MAX_TEXT`] bytes; more is an error (`InvalidData`)
/// found after reading one byte past the limit, never the whole of a huge file.
///
/// # Errors
/// Reading fails, or there is more than [`MAX_TEXT`].
pub fn read_text_bytes(reader: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_TEXT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEXT {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "more than 16 MiB, too much for a session string or a JSON session",
        ));
    }
    Ok(bytes)
}

/// Says which format a file is (spec/conversions.md §3.2): an SQLite file is a Pyrogram (or
/// fork's) or a Telethon session file by its tables; a JSON object with `dc_id` and `auth_key`
/// a Pyrogram JSON session; any other text file is read as holding a string. The file is
/// only read; a hot journal beside an SQLite file is first rolled back, as by any SQLite reader
/// (spec/storage.md §2.2).
pub fn detect_file(path: &Path) -> Result<Detected, ConvertError> {
    detect_and_open(path).map(|(detected, _)| detected)
}

/// [`detect_file`], also giving back a Pyrogram (or fork's) session file opened read-only
/// as detection opened it: reading it ([`super::read_detected`]) then needs no second open,
/// which would recognise and check the whole file again. Other formats give `None`.
pub fn detect_and_open(path: &Path) -> Result<(Detected, Option<Storage>), ConvertError> {
    let io = |doing: &'static str| {
        move |source| ConvertError::Io {
            path: path.to_path_buf(),
            doing,
            source,
        }
    };
    // A file a storage of this process holds is SQLite, and is not read outside SQLite: that
    // would drop the storage's lock (crate::storage::held).
    // Opened once, without waiting and only if it is a regular file (a FIFO put there is
    // refused, never waited on), and read from that descriptor, never opened again by name.
    let mut text = None;
    let sqlite = crate::storage::held::held(path).is_some() || {
        let mut file = crate::storage::open_regular(path).map_err(io("reading the file"))?;
        let mut head = Vec::with_capacity(16);
        (&mut file)
            .take(16)
            .read_to_end(&mut head)
            .map_err(io("reading the file"))?;
        let sqlite = head == b"SQLite format 3\0";
        if !sqlite {
            text = Some(read_text_bytes(head.as_slice().chain(file)));
        }
        sqlite
    };
    if sqlite {
        return match Storage::open_file_read_only(path) {
            Ok(s) => Ok((
                detected(Kind::PyrogramFile, s.dialect().to_string()),
                Some(s),
            )),
            Err(e) => match *e.kind() {
                StorageErrorKind::TelethonSession { version } => Ok((
                    detected(
                        Kind::TelethonFile,
                        version.map_or_else(|| "no version".to_owned(), |v| format!("version {v}")),
                    ),
                    None,
                )),
                _ => Err(ConvertError::Storage(e)),
            },
        };
    }
    let bytes = text
        .unwrap_or_else(|| Err(std::io::Error::other("no text was read")))
        .map_err(io("reading the file"))?;
    let text = String::from_utf8(bytes).map_err(|_| ConvertError::Unrecognised {
        detail: format!("{} is neither SQLite nor UTF-8 text", path.display()),
    })?;
    detect_text(&text).map(|d| (d, None))
}
