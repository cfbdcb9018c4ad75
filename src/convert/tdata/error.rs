//! What can go wrong reading or writing a Telegram Desktop folder (spec/tdata.md §9).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::convert::Field;

/// An error reading or writing a `tdata` folder: the file or folder it is about, once, and
/// what is wrong with it ([`TdataErrorKind`]).
///
/// No error holds or prints a key or the passcode.
#[derive(Debug)]
pub struct TdataError {
    path: Option<PathBuf>,
    kind: TdataErrorKind,
}

impl TdataError {
    pub(super) fn new(path: Option<PathBuf>, kind: TdataErrorKind) -> Self {
        TdataError { path, kind }
    }

    /// The file or folder the error is about, where there is one: the file whose content is
    /// wrong, or the folder for what is wrong with the folder as a whole.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &TdataErrorKind {
        &self.kind
    }

    /// What is wrong, taken out of the error.
    #[must_use]
    pub fn into_kind(self) -> TdataErrorKind {
        self.kind
    }
}

impl fmt::Display for TdataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.kind),
            None => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for TdataError {}

/// What is wrong with a `tdata` folder or one of its files (spec/tdata.md §9).
#[derive(Debug)]
#[non_exhaustive]
pub enum TdataErrorKind {
    /// The folder is a symbolic link; it is not followed (a link can lead a reader elsewhere
    /// and a writer into another user's folder).
    FolderIsALink,
    /// The folder's path names something that is not a folder.
    NotAFolder {
        /// What it is, in words ("a regular file").
        found: &'static str,
    },
    /// The folder does not exist.
    NoFolder,
    /// None of the file's stored versions (`s`, `0`, `1`) exists.
    MissingFile {
        /// The file's name without its version letter (`key_data`).
        name: String,
    },
    /// The file is not a regular file (a FIFO, a device, a socket): it is not opened.
    NotAFile {
        /// What it is, in words.
        found: &'static str,
    },
    /// The file is larger than any file of the format.
    TooLarge {
        /// Its size, in bytes.
        size: u64,
        /// The largest size read.
        max: u64,
    },
    /// The system refused an operation.
    Io {
        /// What was being done.
        doing: &'static str,
        /// The system's error.
        error: std::io::Error,
    },
    /// The file does not begin with `TDF$`.
    BadMagic {
        /// Its first bytes (at most 4).
        found: Vec<u8>,
    },
    /// A read ran past the end of the bytes that hold it.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it began.
        offset: usize,
        /// The bytes it needed.
        needed: usize,
        /// The bytes that were left.
        available: usize,
    },
    /// The MD5 check at the file's end does not match its content.
    Checksum,
    /// The salt of `key_data` or of a legacy `map` is not 32 bytes long.
    BadSalt {
        /// Its length.
        len: usize,
    },
    /// The local key is protected by a passcode and none was given.
    PasscodeNeeded,
    /// The local key does not decrypt with the passcode given.
    WrongPasscode,
    /// The key file has Telegram Desktop 7.3's key data trailer (`KD2`) and the local key is
    /// wrapped there under a passcode key of a KDF family other than 1, Argon2id, the one this
    /// reader derives (spec/tdata.md §13): the folder is not read, whatever passcode is given.
    Argon2Passcode {
        /// The KDF family of the wrap in use.
        family: u32,
    },
    /// The passcode wrap in use asks Argon2id for parameters outside what this reader derives
    /// (spec/tdata.md §13: 1 to 16 lanes, 1 to 64 passes, 8 KiB a lane to 1 GiB): a damaged or
    /// hostile file, refused before any memory is taken.
    Argon2Parameters {
        /// The memory it asks, in KiB.
        memory_kib: u32,
        /// The passes (time cost) it asks.
        time: u32,
        /// The lanes it asks.
        lanes: u32,
    },
    /// The key data trailer names a passcode wrap in use that it does not hold.
    NoPasscodeWrap {
        /// The id of the wrap in use.
        id: u32,
        /// The number of wraps the trailer states.
        count: u32,
    },
    /// An encrypted part is not a whole number of 16-byte blocks after its 16-byte check.
    EncryptedSize {
        /// Which part.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// An encrypted part does not decrypt with the local key (its SHA-1 check fails): it is
    /// damaged, since the local key itself decrypted.
    Decryption {
        /// Which part.
        what: &'static str,
    },
    /// The length a decrypted part states does not fit the part.
    DecryptedSize {
        /// Which part.
        what: &'static str,
        /// The stated length.
        stated: u32,
        /// The decrypted bytes.
        decrypted: usize,
    },
    /// The decrypted local key is not 256 bytes.
    LocalKeyLength {
        /// Its length.
        len: usize,
    },
    /// The account list's count is not between 1 and [`super::MAX_ACCOUNTS`].
    AccountCount {
        /// The count.
        count: i32,
    },
    /// The account list names no account index Telegram Desktop reads (0 to 5, each once).
    NoAccounts,
    /// The MTP data holds a block this reader does not know; Telegram Desktop stops there
    /// and rewrites the file without the login.
    UnknownBlock {
        /// The block's id.
        id: u32,
        /// Its offset in the decrypted data.
        offset: usize,
    },
    /// The MTP data holds no authorization block.
    NoAuthorization,
    /// A key list's count is negative or more than the bytes left can hold.
    KeyCount {
        /// The count.
        count: i32,
        /// The bytes left.
        available: usize,
    },
    /// No key is stored for the account's main data center.
    NoMainKey {
        /// The main data center.
        main_dc: i32,
        /// The data centers that have keys.
        dcs: Vec<i32>,
    },
    /// The account is logged in as the same user as an earlier one of the list; Telegram
    /// Desktop starts only the first.
    SameLogin {
        /// The index of the earlier account.
        first: u32,
    },
    /// The account's user id is 0: it is not logged in.
    NotLoggedIn,
    /// A data center id outside 1 to 255.
    DataCenter {
        /// The id.
        dc_id: i32,
    },
    /// No account of that index is in the folder.
    NoSuchAccount {
        /// The index asked for.
        index: usize,
        /// The indexes the folder has.
        accounts: Vec<u32>,
    },
    /// A value Telegram Desktop needs that the session does not hold.
    Missing {
        /// The value.
        field: Field,
    },
    /// The user id given differs from the one the session holds.
    UserIdConflict {
        /// The session's.
        source: u64,
        /// The one given.
        option: u64,
    },
    /// A session for the test servers: a folder for them needs Telegram Desktop's whole
    /// configuration, which this crate does not write.
    TestServers,
    /// More or fewer accounts than a folder holds.
    AccountsToWrite {
        /// How many were given.
        count: usize,
    },
    /// The key file's name is empty, or holds `/` or `\0`.
    KeyFileName,
    /// The folder holds key files of several names (Telegram Desktop started with different
    /// `-key` names) and none of the default name: which to read must be said.
    KeyFiles {
        /// The names, after `key_` and without the version letter, sorted.
        names: Vec<String>,
    },
    /// A key file name Telegram Desktop's `-key` cannot give (it lowercases the name and drops
    /// every character but `a`-`z`, `0`-`9`, `-` and `_`): a folder written under it could not
    /// be opened.
    KeyNameNotTelegrams {
        /// The name given.
        name: String,
        /// What Telegram Desktop makes of it.
        telegram: String,
    },
    /// Something is already at the path a new folder was to be written to.
    AlreadyExists,
}

impl TdataErrorKind {
    /// A stable code for the kind, in snake case, prefixed `tdata_` (`tdata_passcode_needed`):
    /// one per kind, never renamed or given to another kind.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::FolderIsALink => "tdata_folder_is_a_link",
            Self::NotAFolder { .. } => "tdata_not_a_folder",
            Self::NoFolder => "tdata_no_folder",
            Self::MissingFile { .. } => "tdata_missing_file",
            Self::NotAFile { .. } => "tdata_not_a_file",
            Self::TooLarge { .. } => "tdata_too_large",
            Self::Io { .. } => "tdata_io",
            Self::BadMagic { .. } => "tdata_bad_magic",
            Self::Truncated { .. } => "tdata_truncated",
            Self::Checksum => "tdata_checksum",
            Self::BadSalt { .. } => "tdata_bad_salt",
            Self::PasscodeNeeded => "tdata_passcode_needed",
            Self::WrongPasscode => "tdata_wrong_passcode",
            Self::Argon2Passcode { .. } => "tdata_argon2_passcode",
            Self::Argon2Parameters { .. } => "tdata_argon2_parameters",
            Self::NoPasscodeWrap { .. } => "tdata_no_passcode_wrap",
            Self::EncryptedSize { .. } => "tdata_encrypted_size",
            Self::Decryption { .. } => "tdata_decryption",
            Self::DecryptedSize { .. } => "tdata_decrypted_size",
            Self::LocalKeyLength { .. } => "tdata_local_key_length",
            Self::AccountCount { .. } => "tdata_account_count",
            Self::NoAccounts => "tdata_no_accounts",
            Self::UnknownBlock { .. } => "tdata_unknown_block",
            Self::NoAuthorization => "tdata_no_authorization",
            Self::KeyCount { .. } => "tdata_key_count",
            Self::NoMainKey { .. } => "tdata_no_main_key",
            Self::SameLogin { .. } => "tdata_same_login",
            Self::NotLoggedIn => "tdata_not_logged_in",
            Self::DataCenter { .. } => "tdata_data_center",
            Self::NoSuchAccount { .. } => "tdata_no_such_account",
            Self::Missing { .. } => "tdata_missing_value",
            Self::UserIdConflict { .. } => "tdata_user_id_conflict",
            Self::TestServers => "tdata_test_servers",
            Self::AccountsToWrite { .. } => "tdata_accounts_to_write",
            Self::KeyFileName => "tdata_key_file_name",
            Self::KeyFiles { .. } => "tdata_key_files",
            Self::KeyNameNotTelegrams { .. } => "tdata_key_name_not_telegrams",
            Self::AlreadyExists => "tdata_already_exists",
        }
    }
}

impl fmt::Display for TdataErrorKind {
    #[allow(clippy::too_many_lines)] // one arm per kind
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FolderIsALink => f.write_str(
                "a symbolic link, not a folder; give the folder it points to, if it is yours",
            ),
            Self::NotAFolder { found } => write!(f, "{found}, not a tdata folder"),
            Self::NoFolder => f.write_str("no such folder"),
            Self::MissingFile { name } => write!(
                f,
                "no file {name}s, {name}0 or {name}1: not a tdata folder, or one damaged"
            ),
            Self::NotAFile { found } => write!(f, "{found}, not a regular file; not opened"),
            Self::TooLarge { size, max } => write!(
                f,
                "a file of {size} bytes, larger than the {max} any file of a tdata folder has"
            ),
            Self::Io { doing, error } => write!(f, "{doing}: {error}"),
            Self::BadMagic { found } => {
                f.write_str("not a Telegram Desktop data file (it begins with ")?;
                for b in found {
                    if b.is_ascii_graphic() {
                        write!(f, "{}", char::from(*b))?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                if found.is_empty() {
                    f.write_str("nothing")?;
                }
                f.write_str(", not TDF$)")
            }
            Self::Truncated {
                what,
                offset,
                needed,
                available,
            } => write!(
                f,
                "cut short: {what} at offset {offset} needs {needed} bytes, {available} left"
            ),
            Self::Checksum => {
                f.write_str("damaged: its MD5 check does not match its content")
            }
            Self::BadSalt { len } => {
                write!(f, "damaged: a salt of {len} bytes, where Telegram Desktop writes 32")
            }
            Self::PasscodeNeeded => f.write_str(
                "the folder is protected by a local passcode: give it to read the folder",
            ),
            Self::WrongPasscode => f.write_str(
                "the local key does not decrypt with this passcode: the passcode is wrong, or the file is damaged",
            ),
            Self::Argon2Passcode { family } => write!(
                f,
                "the folder is protected by a local passcode in Telegram Desktop 7.3's layout under a key of KDF family {family}, which this reader does not derive (it derives family 1, Argon2id)"
            ),
            Self::Argon2Parameters {
                memory_kib,
                time,
                lanes,
            } => write!(
                f,
                "damaged: the passcode wrap asks Argon2id for {memory_kib} KiB, {time} passes and {lanes} lanes, where this reader allows 1 to 16 lanes, 1 to 64 passes and 8 KiB a lane to 1 GiB (the 7.3 layout as opentele2 writes it: 65536 KiB, 8 passes, 1 lane)"
            ),
            Self::NoPasscodeWrap { id, count } => write!(
                f,
                "damaged: the key data trailer names passcode wrap {id} in use, and none of its {count} wraps has that id"
            ),
            Self::EncryptedSize { what, len } => write!(
                f,
                "damaged: {what} is {len} bytes, not a 16-byte check and whole 16-byte blocks"
            ),
            Self::Decryption { what } => write!(
                f,
                "damaged: {what} does not decrypt with the local key (its SHA-1 check fails)"
            ),
            Self::DecryptedSize {
                what,
                stated,
                decrypted,
            } => write!(
                f,
                "damaged: {what} states {stated} bytes in {decrypted} decrypted ones"
            ),
            Self::LocalKeyLength { len } => {
                write!(f, "damaged: a local key of {len} bytes, not 256")
            }
            Self::AccountCount { count } => write!(
                f,
                "damaged: an account list of {count} accounts, where Telegram Desktop keeps 1 to {}",
                super::MAX_ACCOUNTS
            ),
            Self::NoAccounts => f.write_str(
                "damaged: the account list names no account index from 0 to 5",
            ),
            Self::UnknownBlock { id, offset } => write!(
                f,
                "a block of id {id} (0x{id:02x}) at offset {offset} of the MTP data, which this reader does not know"
            ),
            Self::NoAuthorization => f.write_str("the MTP data holds no authorization: not logged in"),
            Self::KeyCount { count, available } => write!(
                f,
                "damaged: a list of {count} {} in {available} bytes (each takes 260)",
                if *count == 1 { "key" } else { "keys" }
            ),
            Self::NoMainKey { main_dc, dcs } => {
                write!(f, "no key for the main data center {main_dc} (keys for: ")?;
                list(f, dcs)?;
                f.write_str(")")
            }
            Self::SameLogin { first } => write!(
                f,
                "the same login as account {first}; Telegram Desktop starts only that one"
            ),
            Self::NotLoggedIn => f.write_str("the account is not logged in (its user id is 0)"),
            Self::DataCenter { dc_id } => {
                write!(f, "a data center id {dc_id}, not one from 1 to 255")
            }
            Self::NoSuchAccount { index, accounts } => {
                write!(f, "no account {index}; the folder has accounts ")?;
                list(f, accounts)
            }
            Self::Missing { field } => write!(
                f,
                "Telegram Desktop needs {}, which the session does not hold",
                field.description()
            ),
            Self::UserIdConflict { source, option } => write!(
                f,
                "the session holds the user id {source}, and {option} was given"
            ),
            Self::TestServers => f.write_str(
                "a session for the test servers: a tdata folder for them needs Telegram Desktop's whole configuration, which is not written",
            ),
            Self::AccountsToWrite { count } => write!(
                f,
                "{count} accounts to write, where a tdata folder holds 1 to {}",
                super::MAX_ACCOUNTS
            ),
            Self::KeyFileName => f.write_str(
                "the key file's name is empty or holds '/' or a NUL, which Telegram Desktop's file names cannot",
            ),
            Self::KeyFiles { names } => {
                f.write_str("key files of several names (")?;
                let shown: Vec<String> = names.iter().map(|n| format!("key_{n}")).collect();
                list(f, &shown)?;
                f.write_str(") and none of the default name key_data: say which to read")
            }
            Self::KeyNameNotTelegrams { name, telegram } if telegram.is_empty() => write!(
                f,
                "the key file name {name:?} has none of a-z, 0-9, '-' or '_', which are all Telegram Desktop's -key keeps: no Telegram Desktop could open the folder"
            ),
            Self::KeyNameNotTelegrams { name, telegram } => write!(
                f,
                "the key file name {name:?} is not one Telegram Desktop's -key gives (it lowercases and keeps a-z, 0-9, '-' and '_'): -key {name} opens {telegram:?}; give that"
            ),
            Self::AlreadyExists => f.write_str("already exists; a tdata folder is written only as a new folder"),
        }
    }
}

/// "1, 2 and 4", or "none".
fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    match items {
        [] => f.write_str("none"),
        [one] => write!(f, "{one}"),
        [init @ .., last] => {
            for (i, x) in init.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{x}")?;
            }
            write!(f, " and {last}")
        }
    }
}
