//! How the `pyrosession` command reads a command-line argument: which kind of source it names
//! (spec/conversions.md §11.1). What is left of the former `inspect` module once its reports
//! moved to `report`, Pyrogram's `resolve_peer` order to `storage` and the Python emulation to
//! `python`: the detection of inputs, which moves to `convert::input` (issue 18).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::string::{decode_compat, decode_strict, DecodeError, Decoded};

/// Where a session comes from, as named on the command line.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// The argument itself is the session string, taken exactly as given.
    Literal(String),
    /// A text file holding the session string.
    File(PathBuf),
    /// An SQLite session file.
    SessionFile(PathBuf),
    /// Standard input holds the session string.
    Stdin,
}

impl std::fmt::Debug for Source {
    /// Never prints a session string, which holds the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Literal(s) => write!(f, "Literal({} characters)", s.chars().count()),
            Source::File(p) => f.debug_tuple("File").field(p).finish(),
            Source::SessionFile(p) => f.debug_tuple("SessionFile").field(p).finish(),
            Source::Stdin => f.write_str("Stdin"),
        }
    }
}

/// What a file's first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// The SQLite header.
    Sqlite,
    /// A JSON object: `{` after any white space.
    Json,
    /// Nothing, or bytes it cannot read.
    Other,
    /// Anything else: text, such as a session string.
    Text,
}

/// The first bytes of the file at `path`, read through a non-blocking open of a regular file
/// (a FIFO put there is not waited on: it cannot be read, [`Head::Other`]).
fn head(path: &Path) -> Head {
    let mut head = [0u8; 256];
    let n = match crate::fs::open(path) {
        // A file a storage of this process holds is SQLite, and is not opened outside SQLite
        // while held.
        Ok(crate::fs::Opened::Held { .. }) => return Head::Sqlite,
        Ok(crate::fs::Opened::File(mut f)) => match f.read(&mut head) {
            Ok(n) => n,
            Err(_) => return Head::Other,
        },
        Err(_) => return Head::Other,
    };
    if crate::storage::sqlite_header(&head[..n]).is_some() {
        Head::Sqlite
    } else {
        match head[..n].iter().find(|b| !b.is_ascii_whitespace()) {
            None => Head::Other,
            Some(b'{') => Head::Json,
            Some(_) => Head::Text,
        }
    }
}

/// Whether the file at `path` begins, after any white space, with `{`, as a JSON session does.
/// The file is opened without waiting and only if it is a regular file: a FIFO or device is
/// not JSON (spec/conversions.md §11).
#[must_use]
pub fn begins_like_json(path: &Path) -> bool {
    head(path) == Head::Json
}

impl Source {
    /// Names the source of an argument: `-` is standard input; the path of an existing file is a
    /// session file when it begins like an SQLite database or a JSON object, or is named
    /// `*.session` and is empty, and a text file otherwise; anything else is the string itself (an argument that is not UTF-8, which
    /// no session string is, kept as its lossy text, which then fails to decode).
    #[must_use]
    pub fn from_arg(arg: impl AsRef<std::ffi::OsStr>) -> Source {
        let arg = arg.as_ref();
        let path = Path::new(arg);
        if arg == "-" {
            Source::Stdin
        } else if path.is_file() {
            let kind = head(path);
            // By its content: a string saved in a `.session` file is a string, and gets the
            // string's verdict; a JSON object, whatever its name, is a JSON session (broken, it
            // gets the JSON session's diagnosis, never a string's), and an empty file named
            // `*.session` a session file, which the storage then names for what it is.
            let session_named = path.extension().is_some_and(|e| e == "session");
            if matches!(kind, Head::Sqlite | Head::Json) || (session_named && kind == Head::Other) {
                Source::SessionFile(path.to_path_buf())
            } else {
                Source::File(path.to_path_buf())
            }
        } else {
            Source::Literal(arg.to_string_lossy().into_owned())
        }
    }

    /// Reads the session string. Text read from a file or standard input loses one final line
    /// ending (`\n` or `\r\n`), as a text editor or `echo` adds it; nothing else is changed.
    pub fn read(&self) -> io::Result<String> {
        let bytes = match self {
            Source::Literal(s) => return Ok(s.clone()),
            Source::File(path) | Source::SessionFile(path) => {
                crate::fs::open_text(path).and_then(crate::convert::read_text_bytes)?
            }
            Source::Stdin => crate::convert::read_text_bytes(io::stdin().lock())?,
        };
        if crate::storage::sqlite_header(&bytes).is_some() {
            // A session file piped in (`< my.session`): named, it is read as one.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an SQLite database (a session file?), not a session string: give the file's name as the argument instead",
            ));
        }
        let mut text = String::from_utf8(bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not UTF-8 text ({})", e.utf8_error()),
            )
        })?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        Ok(text)
    }
}

/// Decodes a session string with the strict decoder or, by default, Pyrogram 2.0.106's rules.
pub fn decode(input: &str, strict: bool) -> Result<Decoded, DecodeError> {
    if strict {
        decode_strict(input)
    } else {
        decode_compat(input)
    }
}

/// Whether a command-line argument that names no file could be a session string, whole or
/// damaged (spec/conversions.md §11.1): at least 12 characters, of which, set aside white
/// space, `=` and one pair of quotes around them all (see the `Quoted` diagnosis), at most two
/// are outside the two base64 alphabets; and not named
/// `*.session` or `*.txt`. The command takes such an argument for a string and never quotes it
/// in a message: a string cut short holds most of its key.
#[must_use]
pub fn could_be_session_string(arg: &str) -> bool {
    let trimmed = arg.trim();
    let body = crate::string::inside_quotes(trimmed).unwrap_or(trimmed);
    let named_like_a_file = Path::new(body)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("session") || e.eq_ignore_ascii_case("txt"));
    let outside = body
        .chars()
        .filter(|&c| {
            !(c.is_ascii_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '-' | '_' | '+' | '/' | '='))
        })
        .count();
    arg.chars().count() >= 12 && outside <= 2 && !named_like_a_file
}
