//! Errors of conversions and of the other libraries' codecs (spec/conversions.md §9).

use std::fmt;
use std::path::PathBuf;

use super::{Field, Kind, Target};
use crate::storage::StorageError;
use crate::string::DecodeError;

/// What went wrong reading, detecting, converting or writing a session of another library.
///
/// No variant ever holds or prints key material.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConvertError {
    /// The target needs a value the source does not hold and no option gave it.
    Missing {
        /// The target.
        target: Target,
        /// The values, in the order of [`Field`].
        fields: Vec<Field>,
        /// The source's format.
        source: Kind,
    },
    /// An option gave a value that differs from the one the source holds.
    Conflict {
        /// The value.
        field: Field,
        /// What the source holds.
        source: String,
        /// What the option says.
        option: String,
    },
    /// Test mode was to be read from the server's address, which is not in the data-center
    /// table.
    UnknownServer {
        /// The address.
        address: String,
    },
    /// The server was to be taken from the data-center table, which has no such data center.
    UnknownDataCenter {
        /// The data center.
        dc_id: u8,
        /// Test or production.
        test_mode: bool,
    },
    /// The text is not base64 of the kind the format uses.
    Base64 {
        /// The format.
        kind: Kind,
        /// Offset of the offending character in the whole string, when there is one.
        offset: Option<usize>,
        /// The offending character, when there is one.
        found: Option<char>,
    },
    /// The string or its decoded bytes have the wrong length.
    Length {
        /// The format.
        kind: Kind,
        /// What was measured ("characters", "bytes").
        unit: &'static str,
        /// The lengths the format allows.
        expected: &'static str,
        /// The length found.
        found: usize,
    },
    /// A Telethon or GramJS string does not begin with its version character `1`.
    Version {
        /// The format.
        kind: Kind,
        /// The first character, if any.
        found: Option<char>,
    },
    /// There is no auth key, or (for Telethon and GramJS, which take it for none) an all-zero one.
    NoAuthKey {
        /// The format.
        kind: Kind,
    },
    /// A field holds a value the format or the target cannot take.
    Invalid {
        /// The format or target.
        kind: Kind,
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A Telethon string holds an IP address, and this server is not one.
    NotAnIpAddress {
        /// The address.
        address: String,
    },
    /// A JSON session file (Pyrogram ≤ 0.14) that cannot be read.
    Json {
        /// What is wrong.
        detail: String,
    },
    /// A Telethon session file of a schema version this crate does not know.
    TelethonVersion {
        /// The file.
        path: PathBuf,
        /// The version found, or `None` if there is no single integer version row.
        found: Option<i64>,
    },
    /// A Telethon session file whose tables are not Telethon's.
    TelethonSchema {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        detail: String,
    },
    /// A Telethon session file that does not hold exactly one session row.
    SessionRows {
        /// The file.
        path: PathBuf,
        /// How many rows it holds.
        found: usize,
    },
    /// Nothing recognisable: not a session string, JSON session or session file of any format.
    Unrecognised {
        /// What the input looks like.
        detail: String,
    },
    /// The target is the source file, which a conversion never changes.
    SameFile {
        /// The file.
        path: PathBuf,
    },
    /// The target file exists and `--force` was not given.
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The target exists and is neither a regular file nor a symbolic link to one (a FIFO, a
    /// socket, a device): nothing is written there, with or without `force`
    /// (spec/conversions.md §5.5).
    NotARegularFile {
        /// The target.
        path: PathBuf,
        /// Where the target, a symbolic link, points.
        link_to: Option<PathBuf>,
        /// What is there: `a FIFO`, `a socket`, `a character device`…
        kind: &'static str,
    },
    /// A Pyrogram session string was rejected.
    PyrogramString(DecodeError),
    /// A Pyrogram session file could not be read or written.
    Storage(StorageError),
    /// A Telegram Desktop folder that cannot be read (spec/tdata.md §9).
    Tdata(super::tdata::TdataError),
    /// SQLite failed on a Telethon file.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file system failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

impl fmt::Display for ConvertError {
    // One arm per variant: splitting the match would only scatter the messages.
    #[allow(clippy::too_many_lines)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Missing {
                target,
                fields,
                source,
            } => {
                let list = |items: Vec<&str>| match items.as_slice() {
                    [] => String::new(),
                    [one] => (*one).to_owned(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                };
                write!(
                    f,
                    "{} needs {}, which {} does not hold: pass {}",
                    target.library(),
                    list(fields.iter().map(|x| x.description()).collect()),
                    source.name(),
                    list(fields.iter().map(|x| x.hint()).collect())
                )
            }
            ConvertError::Conflict {
                field,
                source,
                option,
            } => write!(
                f,
                "the source holds {} {source}, but {} says {option}: leave the option out or make them agree",
                field.name(),
                field.option()
            ),
            ConvertError::UnknownServer { address } => write!(
                f,
                "cannot tell whether {address} is a test or a production server: it is not in Telegram's data-center table; pass --test-mode true or --test-mode false"
            ),
            ConvertError::UnknownDataCenter { dc_id, test_mode } => write!(
                f,
                "data center {dc_id} ({}) is not in Telegram's data-center table: pass --server and --port",
                if *test_mode { "test" } else { "production" }
            ),
            ConvertError::Base64 {
                kind,
                offset,
                found,
            } => {
                write!(f, "{} is not valid {}", kind.name(), kind.base64())?;
                match (offset, found) {
                    (Some(o), Some(c)) => write!(f, ": {c:?} at offset {o}"),
                    (Some(o), None) => write!(f, ": bad padding or final symbol at offset {o}"),
                    _ => Ok(()),
                }
            }
            ConvertError::Length {
                kind,
                unit,
                expected,
                found,
            } => write!(
                f,
                "{} has {found} {unit}, expected {expected}",
                kind.name()
            ),
            ConvertError::Version { kind, found } => match found {
                Some(c) => write!(f, "{} begins with '1', not {c:?}", kind.name()),
                None => write!(f, "{} is empty", kind.name()),
            },
            ConvertError::NoAuthKey { kind } => write!(
                f,
                "{} holds no auth key (Telethon and GramJS take an all-zero key for none)",
                kind.name()
            ),
            ConvertError::Invalid {
                kind,
                field,
                detail,
            } => write!(f, "{}: {field} {detail}", kind.name()),
            ConvertError::NotAnIpAddress { address } => write!(
                f,
                "a Telethon string holds the server as an IP address, and {address:?} is not one: pass --server with the IP address"
            ),
            ConvertError::Json { detail } => {
                write!(f, "not a Pyrogram JSON session (≤ 0.14): {detail}")
            }
            ConvertError::TelethonVersion { path, found } => match found {
                Some(v) => write!(
                    f,
                    "{}: Telethon session version {v}, and this crate knows versions 1 to 8",
                    path.display()
                ),
                None => write!(
                    f,
                    "{}: the Telethon version table does not hold one integer row",
                    path.display()
                ),
            },
            ConvertError::TelethonSchema { path, detail } => {
                write!(f, "{}: not a Telethon session file: {detail}", path.display())
            }
            ConvertError::SessionRows { path, found } => write!(
                f,
                "{}: the sessions table holds {found} rows, expected exactly 1",
                path.display()
            ),
            ConvertError::Unrecognised { detail } => write!(
                f,
                "not a session of any known format (Pyrogram string or file, Telethon string or file, GramJS string, Pyrogram JSON): {detail}"
            ),
            ConvertError::SameFile { path } => write!(
                f,
                "{} is the source; a conversion never changes its source: name another target",
                path.display()
            ),
            ConvertError::AlreadyExists { path } => write!(
                f,
                "{} exists; pass --force to replace it",
                path.display()
            ),
            ConvertError::NotARegularFile {
                path,
                link_to,
                kind,
            } => {
                write!(f, "{}: ", path.display())?;
                if let Some(to) = link_to {
                    write!(f, "a symbolic link to {}, ", to.display())?;
                }
                write!(f, "{kind}, not a regular file; nothing is written there")
            }
            ConvertError::PyrogramString(e) => write!(f, "{e}"),
            ConvertError::Storage(e) => write!(f, "{e}"),
            ConvertError::Tdata(e) => write!(f, "{e}"),
            ConvertError::Sqlite { path, doing, source } => {
                write!(f, "{}: {doing}: {source}", path.display())
            }
            ConvertError::Io { path, doing, source } => {
                write!(f, "{}: {doing}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ConvertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConvertError::PyrogramString(e) => Some(e),
            ConvertError::Storage(e) => Some(e),
            ConvertError::Sqlite { source, .. } => Some(source),
            ConvertError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<super::tdata::TdataError> for ConvertError {
    fn from(e: super::tdata::TdataError) -> Self {
        ConvertError::Tdata(e)
    }
}

impl From<StorageError> for ConvertError {
    fn from(e: StorageError) -> Self {
        ConvertError::Storage(e)
    }
}

impl From<DecodeError> for ConvertError {
    fn from(e: DecodeError) -> Self {
        ConvertError::PyrogramString(e)
    }
}
