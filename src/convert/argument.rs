//! What a command-line argument names, answered once (spec/conversions.md §11.1): a session
//! string, standard input, or a file read once (its first bytes, and the rest where it is
//! text); or why it names nothing usable, as typed facts the command words.
//!
//! [`Argument::classify`] takes a SESSION or SOURCE argument (`inspect`, `import`, `convert`);
//! [`check_session_file`] a FILE a storage opens (`export`, `peers`, `resolve`, `salvage`);
//! [`check_target`] a file to write. All three share the rules of §11.1: what could be a
//! session string ([`could_be_session_string`]) is never quoted, and `NAME` is answered with
//! `NAME.session` where Pyrogram's `Client("NAME")` would open that.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::input::MAX_TEXT;
use super::{ConvertError, ConvertErrorKind, Input};
use crate::storage::{OpenedReadOnly, Storage, StorageError, DEFAULT_WAIT};

/// A SESSION or SOURCE argument, classified ([`Argument::classify`]).
pub enum Argument {
    /// The argument itself is the session string, taken exactly as given (an argument that is
    /// not UTF-8, which no session string is, as its lossy text, which then fails to decode).
    Literal(String),
    /// `-`: standard input holds the session string.
    Stdin,
    /// A regular file, read once.
    File(FileArgument),
    /// A Telegram Desktop `tdata` folder ([`is_tdata_folder`]), read by
    /// [`Input::from_folder`] with the passcode and account the command is given.
    TdataFolder(PathBuf),
}

impl fmt::Debug for Argument {
    /// Never prints a session string, which holds the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Argument::Literal(s) => write!(f, "Literal({} characters)", s.chars().count()),
            Argument::Stdin => f.write_str("Stdin"),
            Argument::File(file) => f.debug_tuple("File").field(file).finish(),
            Argument::TdataFolder(path) => f.debug_tuple("TdataFolder").field(path).finish(),
        }
    }
}

/// A file an argument names, read once: its first bytes say whether it is SQLite; an SQLite
/// file is not read further here (a connection reads it, [`FileArgument::into_input`]); any
/// other is read whole (at most 16 MiB (`MAX_TEXT`) bytes) through the same descriptor.
pub struct FileArgument {
    path: PathBuf,
    content: Content,
}

enum Content {
    /// SQLite's header, and whether it says WAL mode; or a file a storage of this process
    /// holds, which is SQLite and is not read outside SQLite (spec/storage.md §2.5).
    Sqlite { wal: bool },
    /// What was read (everything, or up to an error), and the error, if any.
    Bytes {
        bytes: Zeroizing<Vec<u8>>,
        error: Option<io::Error>,
    },
}

impl fmt::Debug for FileArgument {
    /// Names the file, never what it holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.content {
            Content::Sqlite { .. } => "SQLite",
            Content::Bytes { error: Some(_), .. } => "unreadable",
            Content::Bytes { .. } => "text",
        };
        f.debug_struct("FileArgument")
            .field("path", &self.path)
            .field("content", &what)
            .finish()
    }
}

/// Why an argument names nothing a command can use (spec/conversions.md §11.1): the facts, for
/// the command to word. No variant holds an argument that could be a session string.
#[derive(Debug)]
#[non_exhaustive]
pub enum Refusal {
    /// A directory, a FIFO, device or socket, or a symbolic link to nothing: the storage's
    /// own error.
    NotAFile(StorageError),
    /// The path exists (as a link, say) but cannot be examined.
    Unreadable {
        /// The path.
        path: PathBuf,
        /// What examining it said.
        error: io::Error,
    },
    /// A SESSION or SOURCE that names no file and cannot be a session string: it ends in
    /// `.session` or `.txt`, holds a `/`, or is not UTF-8; or `NAME` where `NAME.session` is a
    /// file.
    NoSuchFile {
        /// The argument.
        path: PathBuf,
        /// `NAME.session`, the file Pyrogram's `Client("NAME")` opens, where it exists.
        did_you_mean: Option<PathBuf>,
    },
    /// A FILE that names nothing, where `NAME.session` is a file.
    NoSuchSessionFile {
        /// The argument.
        path: PathBuf,
        /// `NAME.session`.
        did_you_mean: PathBuf,
    },
    /// A FILE, or a file to write, named by a session string of a format the crate reads.
    SessionString,
    /// A FILE that names nothing and could be a session string, or a file to write whose name
    /// could be one and has 64 characters or more (a string cut short).
    MaybeSessionString {
        /// How many characters the argument has.
        chars: usize,
    },
}

impl Argument {
    /// Classifies a SESSION or SOURCE argument (spec/conversions.md §11.1): `-` is standard
    /// input; a regular file is read once ([`FileArgument`]); a Telegram Desktop folder
    /// ([`is_tdata_folder`]) is named, not read; any other directory, a FIFO, device,
    /// socket or dangling link is refused with the storage's error; an argument that names
    /// nothing is a string, unless it cannot be one and looks like a path (`.session`, `.txt`,
    /// a `/`, not UTF-8), or is `NAME` where `NAME.session` is a file and no session string.
    ///
    /// # Errors
    /// A [`Refusal`]: the argument names nothing a session can be read from.
    pub fn classify(arg: &OsStr) -> Result<Argument, Refusal> {
        let path = Path::new(arg);
        if arg == "-" {
            return Ok(Argument::Stdin);
        }
        if arg.is_empty() {
            return Ok(Argument::Literal(String::new()));
        }
        if is_tdata_folder(path) {
            return Ok(Argument::TdataFolder(path.to_path_buf()));
        }
        if let Some(e) = StorageError::not_a_file(path) {
            return Err(Refusal::NotAFile(e));
        }
        let Err(e) = std::fs::metadata(path) else {
            return Ok(Argument::File(FileArgument::read(path)));
        };
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Refusal::Unreadable {
                path: path.to_path_buf(),
                error: e,
            });
        }
        let no_such_file = |did_you_mean| Refusal::NoSuchFile {
            path: path.to_path_buf(),
            did_you_mean,
        };
        // Every session string is UTF-8.
        let Some(text) = arg.to_str() else {
            return Err(no_such_file(None));
        };
        if let Some(file) = did_you_mean(path).filter(|_| !is_a_session(text)) {
            return Err(no_such_file(Some(file)));
        }
        let looks_like_a_path = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("session") || e.eq_ignore_ascii_case("txt"))
            || text.contains('/');
        if looks_like_a_path && !could_be_session_string(text) {
            return Err(no_such_file(None));
        }
        Ok(Argument::Literal(text.to_owned()))
    }

    /// The session string: the argument itself, or the text of standard input or of the file
    /// ([`FileArgument::text`]).
    ///
    /// # Errors
    /// As [`FileArgument::text`]; standard input as a file.
    pub fn text(self) -> io::Result<String> {
        match self {
            Argument::Literal(s) => Ok(s),
            Argument::Stdin => {
                let mut bytes = Zeroizing::new(Vec::new());
                let error = read_up_to_limit(io::stdin().lock(), &mut bytes).err();
                text_of(bytes, error)
            }
            Argument::File(f) => f.text(),
            Argument::TdataFolder(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a Telegram Desktop folder, not a session string",
            )),
        }
    }

    /// Whether a string's error is about an argument that looks like a path (it holds a `/`)
    /// and names no file: it is neither a file nor a session string (spec/conversions.md
    /// §11.1, rule 2).
    #[must_use]
    pub fn names_no_file(arg: &OsStr) -> bool {
        arg.to_str().is_some_and(|a| a.contains('/')) && !Path::new(arg).exists()
    }
}

/// Whether `path` is a Telegram Desktop `tdata` folder (spec/tdata.md §1, §6.3): a directory
/// (or a link to one, which the folder's reader then refuses by name) holding a key file
/// (`key_datas`, `key_data0` or `key_data1`, or of another name: `key_NAMEs` for Telegram Desktop
/// started with `-key NAME`), or, in the legacy layout without one, the first account's map
/// (`D877F783D5D3EF8C/maps`, `…/map0`, `…/map1`), which holds the local key there. Any other
/// directory is not a session.
#[must_use]
pub fn is_tdata_folder(path: &Path) -> bool {
    use super::tdata::{data_name, file_part, key_file_names, DEFAULT_KEY_FILE};
    if !path.is_dir() {
        return false;
    }
    let first = file_part(&data_name(DEFAULT_KEY_FILE, 0));
    let legacy = ["s", "0", "1"].iter().any(|letter| {
        std::fs::symlink_metadata(path.join(&first).join(format!("map{letter}"))).is_ok()
    });
    legacy
        || std::fs::read_dir(path).is_ok_and(|entries| {
            let names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect();
            !key_file_names(names.iter().map(String::as_str)).is_empty()
        })
}

impl FileArgument {
    /// Reads the file at `path` once: through a non-blocking open of a regular file (a FIFO
    /// put there is refused, never waited on), its first 20 bytes, and, unless they are
    /// SQLite's header, the rest, up to one byte past 16 MiB (`MAX_TEXT`). A file a storage of this
    /// process holds is not read (spec/storage.md §2.5). Errors are kept for the reader.
    #[must_use]
    pub fn read(path: &Path) -> FileArgument {
        let path = path.to_path_buf();
        // The one gate to files answers for a file a storage of this process holds without
        // opening it (spec/storage.md §2.5).
        let mut bytes = Zeroizing::new(Vec::with_capacity(20));
        let read = crate::fs::open(&path).and_then(|opened| {
            let mut file = match opened {
                crate::fs::Opened::Held { wal } => return Ok(Some(wal)),
                crate::fs::Opened::File(file) => file,
            };
            (&mut file).take(20).read_to_end(&mut bytes)?;
            if let Some(wal) = crate::storage::sqlite_header(&bytes) {
                return Ok(Some(wal));
            }
            read_up_to_limit(file, &mut bytes).map(|()| None)
        });
        let content = match read {
            Ok(Some(wal)) => Content::Sqlite { wal },
            Ok(None) => Content::Bytes { bytes, error: None },
            Err(e) => Content::Bytes {
                bytes,
                error: Some(e),
            },
        };
        FileArgument { path, content }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file, by its first bytes, begins (after any white space) with `{`, as a
    /// JSON session does.
    #[must_use]
    pub fn begins_like_json(&self) -> bool {
        match &self.content {
            Content::Sqlite { .. } => false,
            Content::Bytes { bytes, .. } => {
                crate::storage::begins_like_json(&bytes[..bytes.len().min(256)])
            }
        }
    }

    /// The first byte other than white space among the first 256.
    fn first_byte(&self) -> Option<u8> {
        match &self.content {
            Content::Sqlite { .. } => None,
            Content::Bytes { bytes, .. } => bytes
                .iter()
                .take(256)
                .find(|b| !b.is_ascii_whitespace())
                .copied(),
        }
    }

    /// Whether the file is a session file rather than a text file holding a string, by its
    /// content: SQLite, or a JSON object (whatever its name: broken, it gets the JSON session's
    /// diagnosis, never a string's); or named `*.session` with nothing readable in it (empty,
    /// white space, or unreadable), which the storage then names for what it is. A string
    /// saved in a `.session` file is a string.
    #[must_use]
    pub fn is_session_file(&self) -> bool {
        match (&self.content, self.first_byte()) {
            (Content::Sqlite { .. }, _) => true,
            _ if self.begins_like_json() => true,
            (_, None) => self.path.extension().is_some_and(|e| e == "session"),
            (_, Some(_)) => false,
        }
    }

    /// The session string the file holds: its text, less one final line ending (`\n` or
    /// `\r\n`, as a text editor or `echo` adds it); nothing else is changed.
    ///
    /// # Errors
    /// The file could not be read; it holds more than 16 MiB (`MAX_TEXT`) bytes, or bytes that are
    /// not UTF-8 (`InvalidData`); or it is an SQLite database.
    pub fn text(self) -> io::Result<String> {
        match self.content {
            Content::Sqlite { .. } => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an SQLite session file, not text",
            )),
            Content::Bytes { bytes, error } => text_of(bytes, error),
        }
    }

    /// What the file holds, detected and read (spec/conversions.md §3.2): an SQLite file
    /// through one read-only connection, as [`Input::from_file`] says; a JSON session or a
    /// string from the text already read.
    ///
    /// # Errors
    /// As [`Input::from_file`].
    pub fn into_input(self) -> Result<Input, ConvertError> {
        let path = self.path;
        let io = |source| ConvertError::io(&path, "reading the file", source);
        match self.content {
            Content::Sqlite { wal } => {
                match Storage::open_sqlite_read_only(&path, wal, DEFAULT_WAIT)? {
                    OpenedReadOnly::Pyrogram(storage) => Ok(Input::PyrogramFile(storage)),
                    OpenedReadOnly::Telethon(opened) => {
                        super::telethon_file::read_opened(&opened, DEFAULT_WAIT)
                            .map(Input::TelethonFile)
                    }
                }
            }
            Content::Bytes { error: Some(e), .. } => Err(io(e)),
            Content::Bytes { mut bytes, .. } => {
                let text = Zeroizing::new(String::from_utf8(std::mem::take(&mut *bytes)).map_err(
                    |e| {
                        drop(Zeroizing::new(e.into_bytes()));
                        ConvertError::new(
                            path.clone(),
                            ConvertErrorKind::Unrecognised {
                                detail: "neither SQLite nor UTF-8 text".to_owned(),
                            },
                        )
                    },
                )?);
                Input::from_text(&text)
            }
        }
    }
}

/// Reads `reader` to its end onto `bytes`, up to 16 MiB (`MAX_TEXT`) bytes in all; more is an error
/// (`InvalidData`) found after reading one byte past the limit, never the whole of a huge file.
pub(super) fn read_up_to_limit(reader: impl io::Read, bytes: &mut Vec<u8>) -> io::Result<()> {
    let room = (MAX_TEXT + 1).saturating_sub(bytes.len() as u64);
    reader.take(room).read_to_end(bytes)?;
    if bytes.len() as u64 > MAX_TEXT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "more than 16 MiB, too much for a session string or a JSON session",
        ));
    }
    Ok(())
}

/// Text read from a file or standard input as a session string: no SQLite database (a session
/// file piped in), UTF-8, less one final line ending.
fn text_of(bytes: Zeroizing<Vec<u8>>, error: Option<io::Error>) -> io::Result<String> {
    if let Some(e) = error {
        return Err(e);
    }
    if crate::storage::sqlite_header(&bytes).is_some() {
        // A session file piped in (`< my.session`): named, it is read as one.
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "an SQLite database (a session file?), not a session string: give the file's name as the argument instead",
        ));
    }
    let mut bytes = bytes;
    let mut text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        let error = e.utf8_error();
        drop(Zeroizing::new(e.into_bytes()));
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text ({error})"),
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

/// Checks a FILE argument a storage opens (`export`, `peers`, `resolve`, `salvage`'s DAMAGED)
/// where it names nothing (spec/conversions.md §11.1, rules 3 and 6): `NAME` where
/// `NAME.session` is a file; an argument that could be a session string, never quoted.
/// `Ok` where the storage's own message is right (the path exists, or is plainly a path).
///
/// # Errors
/// [`Refusal::NoSuchSessionFile`], [`Refusal::SessionString`] or
/// [`Refusal::MaybeSessionString`].
pub fn check_session_file(file: &Path) -> Result<(), Refusal> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Ok(());
    }
    if let Some(hint) = did_you_mean(file) {
        return Err(Refusal::NoSuchSessionFile {
            path: file.to_path_buf(),
            did_you_mean: hint,
        });
    }
    let Some(text) = file.to_str().filter(|t| could_be_session_string(t)) else {
        return Ok(());
    };
    Err(if is_a_session(text) {
        Refusal::SessionString
    } else {
        Refusal::MaybeSessionString {
            chars: text.chars().count(),
        }
    })
}

/// Checks the name of a file to write (`import`'s FILE, `convert`'s and `salvage`'s TARGET;
/// spec/conversions.md §11.1 rule 4): a session string there (SESSION and FILE swapped), or
/// what may be one cut short (64 characters or more that could be a string), naming no file,
/// is refused before anything is written, and never quoted.
///
/// # Errors
/// [`Refusal::SessionString`] or [`Refusal::MaybeSessionString`].
pub fn check_target(file: &Path) -> Result<(), Refusal> {
    let Some(text) = file.to_str() else {
        return Ok(());
    };
    if std::fs::symlink_metadata(file).is_ok() || !could_be_session_string(text) {
        return Ok(());
    }
    if is_a_session(text) {
        return Err(Refusal::SessionString);
    }
    let chars = text.chars().count();
    if chars >= 64 {
        return Err(Refusal::MaybeSessionString { chars });
    }
    Ok(())
}

/// `NAME.session` for an argument `NAME` that names nothing, where that file exists: what
/// Pyrogram's `Client("NAME")` opens (spec/conversions.md §11.1 rule 6).
fn did_you_mean(path: &Path) -> Option<PathBuf> {
    let mut name = path.as_os_str().to_owned();
    name.push(".session");
    let file = PathBuf::from(name);
    (path.extension().is_none() && std::fs::symlink_metadata(path).is_err() && file.is_file())
        .then_some(file)
}

/// Whether a text is a session of a format the crate reads: a string of any library, read as
/// detection reads it (trimmed), or as Pyrogram 2.0.106 takes it as given; or a JSON session.
fn is_a_session(text: &str) -> bool {
    Input::from_text(text).is_ok() || crate::string::decode_compat(text).is_ok()
}

/// Whether a command-line argument that names no file could be a session string, whole or
/// damaged (spec/conversions.md §11.1 rule 1): at least 12 characters, of which, set aside
/// white space, `=` and one pair of quotes around them all (see the `Quoted` diagnosis), at
/// most two are outside the two base64 alphabets; and not named `*.session` or `*.txt`. The
/// command takes such an argument for a string and never quotes it in a message: a string cut
/// short holds most of its key.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn example(name: &str) -> String {
        std::fs::read_to_string(root().join("spec/examples").join(name))
            .unwrap()
            .trim_end()
            .to_owned()
    }

    /// A scratch directory of this test's own.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pyrosession-argument-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn strings_and_standard_input_are_not_files() {
        assert!(matches!(
            Argument::classify(OsStr::new("-")),
            Ok(Argument::Stdin)
        ));
        let v2 = example("v2.txt");
        let Ok(Argument::Literal(s)) = Argument::classify(OsStr::new(&v2)) else {
            panic!("a session string is not a literal");
        };
        assert_eq!(s, v2);
        assert_eq!(
            format!("{:?}", Argument::Literal(v2.clone())),
            "Literal(362 characters)"
        );
        // A string holding a `/`, cut short: still a string, never a missing file.
        let cut = &v2[..100];
        assert!(cut.contains('/') || cut.contains('_') || cut.contains('-'));
        assert!(matches!(
            Argument::classify(OsStr::new(cut)),
            Ok(Argument::Literal(_))
        ));
    }

    #[test]
    fn a_path_that_names_nothing_is_refused_with_its_facts() {
        let dir = scratch("missing");
        let missing = dir.join("nosuch.session");
        assert!(matches!(
            Argument::classify(missing.as_os_str()),
            Err(Refusal::NoSuchFile { path, did_you_mean: None }) if path == missing
        ));
        std::fs::write(dir.join("mybot.session"), b"").unwrap();
        let name = dir.join("mybot");
        assert!(matches!(
            Argument::classify(name.as_os_str()),
            Err(Refusal::NoSuchFile { did_you_mean: Some(f), .. }) if f == dir.join("mybot.session")
        ));
        assert!(matches!(
            check_session_file(&name),
            Err(Refusal::NoSuchSessionFile { did_you_mean, .. }) if did_you_mean == dir.join("mybot.session")
        ));
        assert!(matches!(
            Argument::classify(dir.as_os_str()),
            Err(Refusal::NotAFile(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_with_a_key_file_is_a_tdata_folder_and_no_other_is() {
        let fixture = root().join("spec/fixtures/tdata/opentele-1.5.0");
        assert!(is_tdata_folder(&fixture));
        assert!(matches!(
            Argument::classify(fixture.as_os_str()),
            Ok(Argument::TdataFolder(p)) if p == fixture
        ));
        let dir = scratch("tdata");
        // A folder without a key file: refused as a directory, as any other.
        std::fs::write(dir.join("key_datax"), b"").unwrap();
        assert!(!is_tdata_folder(&dir));
        assert!(matches!(
            Argument::classify(dir.as_os_str()),
            Err(Refusal::NotAFile(_))
        ));
        // Each version letter of the key file, and the legacy layout's map.
        for name in ["key_data0", "key_data1", "key_datas"] {
            std::fs::write(dir.join(name), b"").unwrap();
            assert!(is_tdata_folder(&dir), "{name}");
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir(dir.join("D877F783D5D3EF8C")).unwrap();
        std::fs::write(dir.join("D877F783D5D3EF8C/map1"), b"").unwrap();
        assert!(is_tdata_folder(&dir));
        // A key file is not a folder.
        assert!(!is_tdata_folder(&fixture.join("key_datas")));
        assert!(
            Argument::TdataFolder(fixture.clone()).text().is_err(),
            "a folder is no string"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_is_read_once_and_told_by_its_content() {
        let dir = scratch("files");
        let text = dir.join("string.session");
        std::fs::write(&text, format!("{}\r\n", example("v2.txt"))).unwrap();
        let Ok(Argument::File(f)) = Argument::classify(text.as_os_str()) else {
            panic!("a file is not a file");
        };
        // A string saved in a `.session` file is a string.
        assert!(!f.is_session_file());
        assert!(!f.begins_like_json());
        assert!(!format!("{f:?}").contains(&example("v2.txt")[..20]));
        assert_eq!(f.text().unwrap(), example("v2.txt"));

        let json = root().join("spec/fixtures/pyrogram-json-0.14.session");
        let f = FileArgument::read(&json);
        assert!(f.is_session_file() && f.begins_like_json());
        assert!(matches!(f.into_input(), Ok(Input::PyrogramJson(_))));

        let broken = dir.join("broken.json");
        std::fs::write(&broken, b"  {\"dc_id\": 2,").unwrap();
        let f = FileArgument::read(&broken);
        assert!(f.is_session_file());
        assert!(f.into_input().is_err());

        let empty = dir.join("empty.session");
        std::fs::write(&empty, b"\n").unwrap();
        assert!(FileArgument::read(&empty).is_session_file());
        let empty_txt = dir.join("empty.txt");
        std::fs::write(&empty_txt, b"").unwrap();
        assert!(!FileArgument::read(&empty_txt).is_session_file());

        let sqlite = dir.join("p.session");
        std::fs::copy(
            root().join("spec/fixtures/pyrogram-2.0.106.session"),
            &sqlite,
        )
        .unwrap();
        let f = FileArgument::read(&sqlite);
        assert!(f.is_session_file() && !f.begins_like_json());
        assert!(f.text().is_err());
        assert!(matches!(
            FileArgument::read(&sqlite).into_input(),
            Ok(Input::PyrogramFile(_))
        ));

        // A file a storage of this process holds is SQLite, and is not read as text.
        let held = Storage::open_file(&sqlite).unwrap();
        let f = FileArgument::read(&sqlite);
        assert!(f.is_session_file());
        assert_eq!(f.text().unwrap_err().kind(), io::ErrorKind::InvalidData);
        drop(held);

        let latin1 = dir.join("latin1.txt");
        std::fs::write(&latin1, b"\xe9\xe9\n").unwrap();
        assert_eq!(
            FileArgument::read(&latin1).text().unwrap_err().to_string(),
            "not UTF-8 text (invalid utf-8 sequence of 1 bytes from index 0)"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_session_string_names_no_file_to_write() {
        let v2 = example("v2.txt");
        assert!(matches!(
            check_target(Path::new(&v2)),
            Err(Refusal::SessionString)
        ));
        assert!(matches!(
            check_session_file(Path::new(&v2)),
            Err(Refusal::SessionString)
        ));
        let cut = &v2[..80];
        assert!(matches!(
            check_target(Path::new(cut)),
            Err(Refusal::MaybeSessionString { chars: 80 })
        ));
        assert!(matches!(
            check_session_file(Path::new(cut)),
            Err(Refusal::MaybeSessionString { chars: 80 })
        ));
        assert!(check_target(Path::new(&v2[..40])).is_ok());
        assert!(check_target(Path::new("new.session")).is_ok());
        assert!(check_session_file(Path::new("nosuch.session")).is_ok());
    }
}
