//! Telegram Desktop's `tdata` folders (spec/tdata.md): read into the conversions' hub, and
//! written as new folders.
//!
//! A folder holds a key file (`key_datas`: the salt, the local key encrypted with a key derived
//! from the local passcode, and the account list encrypted with the local key) and, per
//! account, an MTP data file (`D877F783D5D3EF8Cs` for the first) holding the user id, the main
//! data center and a key per data center, beside a folder of the same name holding the
//! account's `maps` and `configs`. Every file is a `TDF$` container with an MD5 check.
//!
//! ```
//! use pyrosession::convert::tdata::{self, Passcode, ReadOptions, WriteOptions};
//! use pyrosession::AuthKey;
//!
//! // A folder of one account, made in memory (no passcode), and read back.
//! let login = tdata::Login::new(123_456_789, 2, AuthKey::new([7; 256]));
//! let image = tdata::compose(&[login], &WriteOptions::default())?;
//! let folder = tdata::read_image(&image, &ReadOptions::default())?;
//! assert_eq!(folder.accounts[0].authorization.user_id, 123_456_789);
//!
//! // The hub value, for any target of `convert::render`.
//! let account = folder.account(0)?;
//! assert_eq!((account.dc_id, account.user_id), (2, Some(123_456_789)));
//!
//! // A passcode is given as a `Passcode`, wiped from memory when dropped.
//! let passcode = Passcode::new(b"correct horse".to_vec());
//! assert_eq!(format!("{passcode:?}"), "Passcode(..)");
//! # Ok::<(), tdata::TdataError>(())
//! ```

mod container;
mod crypto;
mod error;
mod mtp;
mod qt;
mod read;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use zeroize::Zeroizing;

pub use container::{
    compose as compose_container, data_name, file_part, parse as parse_container, Container, MAGIC,
};
pub use crypto::{
    create_argon2_local_key, create_legacy_local_key, create_local_key, decrypt_local,
    encrypt_local, ARGON2_MAX_LANES, ARGON2_MAX_MEMORY_KIB, ARGON2_MAX_TIME, LEGACY_ITERATIONS,
    LEGACY_NO_PASSCODE_ITERATIONS, SALT_LEN, STRONG_ITERATIONS,
};
pub use error::{TdataError, TdataErrorKind};
pub use mtp::{Authorization, DcKey};
pub use read::{key_file_names, read_folder, read_image};
pub use write::{compose, write_folder};

use super::{Account, Kind, Loss};
use crate::AuthKey;

/// The most accounts a folder holds (Telegram Desktop's `kPremiumMaxAccounts`): the account
/// list's count is 1 to this, and each index below it.
pub const MAX_ACCOUNTS: u32 = 6;

/// The key file's name Telegram Desktop uses unless started with `-key NAME`.
pub const DEFAULT_KEY_FILE: &str = "data";

/// The newest Telegram Desktop version whose format spec/tdata.md describes (6.1.2). Files of
/// newer versions are read when their checks pass, with a [`Warning::NewerVersion`].
pub const KNOWN_VERSION: i32 = 6_001_002;

/// The version written into new files: 3.7.6, the first release that reads both the wide-ids
/// authorization and six accounts (spec/tdata.md §8). Older releases skip such files, as they
/// skip any file of a newer version, instead of misreading them.
pub const WRITTEN_VERSION: i32 = 3_007_006;

/// The largest file read: the files that hold logins are a few hundred bytes.
pub const MAX_FILE: u64 = 1 << 20;

/// The longest passcode [`Passcode::read_line`] takes, in bytes: far beyond any typed one.
pub const MAX_PASSCODE: usize = 1024;

/// A local passcode: wiped from memory when dropped, never shown by `Debug`, and no part of
/// any error. Telegram Desktop takes the passcode's UTF-8 bytes.
pub struct Passcode(Zeroizing<Vec<u8>>);

impl Passcode {
    /// Wraps the passcode's bytes (the UTF-8 of what is typed into Telegram Desktop).
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Passcode(Zeroizing::new(bytes))
    }

    /// The passcode read from `reader` (a file, standard input, a terminal): the bytes up to
    /// the first line ending (`\n` or `\r\n`, not part of it) or the end, at most
    /// [`MAX_PASSCODE`] bytes. Read a byte at a time into one buffer that is wiped: nothing
    /// past the line is read, and no copy is left behind by a buffer that grew.
    ///
    /// # Errors
    /// Reading failed; the line is longer than [`MAX_PASSCODE`] bytes (`InvalidData`).
    pub fn read_line(mut reader: impl std::io::Read) -> std::io::Result<Self> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_PASSCODE + 2));
        let mut byte = Zeroizing::new([0u8; 1]);
        loop {
            match reader.read(byte.as_mut_slice()) {
                Ok(0) => break,
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) if bytes.len() > MAX_PASSCODE => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("longer than {MAX_PASSCODE} bytes, which no passcode is"),
                    ))
                }
                Ok(_) => bytes.push(byte[0]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if bytes.len() > MAX_PASSCODE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("longer than {MAX_PASSCODE} bytes, which no passcode is"),
            ));
        }
        Ok(Passcode(bytes))
    }

    /// Whether it is empty (no passcode).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether it is the same passcode as `other` (a passcode typed twice).
    #[must_use]
    pub fn matches(&self, other: &Passcode) -> bool {
        self.0.as_slice() == other.0.as_slice()
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(..)")
    }
}

/// A folder's files in memory: each name (relative, `/`-separated, with its version letter:
/// `key_datas`, `D877F783D5D3EF8C/maps`) with its bytes and modification time.
///
/// [`compose`] makes one and [`write_folder`] writes it; [`read_image`] reads one as
/// [`read_folder`] reads a folder on disk.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Image {
    files: BTreeMap<String, (Zeroizing<Vec<u8>>, Option<SystemTime>)>,
}

impl Image {
    /// An image without files.
    #[must_use]
    pub fn new() -> Self {
        Image::default()
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, name: &str, bytes: Vec<u8>, modified: Option<SystemTime>) {
        self.files
            .insert(name.to_owned(), (Zeroizing::new(bytes), modified));
    }

    /// A file's bytes.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|(b, _)| b.as_slice())
    }

    /// The files' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

impl fmt::Debug for Image {
    /// Names and sizes only: the files hold keys, encrypted or not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.files
                    .iter()
                    .map(|(n, (b, _))| (n, format!("{} bytes", b.len()))),
            )
            .finish()
    }
}

/// `key_file` where it can be the key file's name: not empty, without `/` or `\0`
/// ([`TdataErrorKind::KeyFileName`]).
fn key_file_name(key_file: &str) -> Result<&str, TdataError> {
    if key_file.is_empty() || key_file.contains(['/', '\0']) {
        return Err(TdataError::new(None, TdataErrorKind::KeyFileName));
    }
    Ok(key_file)
}

/// The name Telegram Desktop makes of `-key NAME` (`Launcher::processArguments`): lowercased,
/// every character but `a`-`z`, `0`-`9`, `-` and `_` dropped (spec/tdata.md §6.3). A folder is
/// written only under a name this leaves unchanged: no other can be given to Telegram Desktop.
#[must_use]
pub fn telegram_key_name(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        .collect()
}

/// How to read a folder.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions<'a> {
    /// The local passcode, where the folder has one.
    pub passcode: Option<&'a Passcode>,
    /// The key file's name (`data` unless Telegram Desktop was started with `-key NAME`).
    /// `None`: found as Telegram Desktop would be started for the folder (spec/tdata.md §6.3):
    /// `data` where the folder has a key file of that name or none, else the one name its key
    /// files have ([`TdataErrorKind::KeyFiles`] where they have several).
    pub key_file: Option<&'a str>,
}

/// How to write a folder.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions<'a> {
    /// The local passcode to protect the folder with; none where `None` or empty.
    pub passcode: Option<&'a Passcode>,
    /// The key file's name.
    pub key_file: &'a str,
}

impl Default for WriteOptions<'_> {
    fn default() -> Self {
        WriteOptions {
            passcode: None,
            key_file: DEFAULT_KEY_FILE,
        }
    }
}

/// The layout the folder was read in (spec/tdata.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// A key file (`key_datas`) and an account list: Telegram Desktop 2.2 and later.
    Accounts,
    /// No key file: the local key is in the first account's `map`, under a legacy key
    /// (PBKDF2-HMAC-SHA1); Telegram Desktop before 2.2, one account.
    Legacy,
}

/// Something read that Telegram Desktop would read differently or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A file written by a newer Telegram Desktop than [`KNOWN_VERSION`]: read because its checks
    /// pass (Telegram Desktop itself skips files newer than itself).
    NewerVersion {
        /// The file.
        file: String,
        /// Its version.
        version: i32,
    },
    /// The account list names an index twice or outside 0 to 5; Telegram Desktop skips it.
    IndexSkipped {
        /// The index.
        index: i32,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NewerVersion { file, version } => write!(
                f,
                "{file} was written by Telegram Desktop {}, newer than {} which this reader knows; read because its checks pass",
                version_name(*version),
                version_name(KNOWN_VERSION)
            ),
            Warning::IndexSkipped { index } => write!(
                f,
                "the account list names index {index} twice or outside 0 to 5; skipped, as Telegram Desktop skips it"
            ),
        }
    }
}

/// A version number as Telegram Desktop shows it: 6001002 is 6.1.2.
#[must_use]
pub fn version_name(version: i32) -> String {
    let v = version.unsigned_abs();
    format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000)
}

/// One account of a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdataAccount {
    /// Its index in the account list (0 to 5): its files are named after `data` (0) or
    /// `data#N` with N the index plus one.
    pub index: u32,
    /// Its user id, main data center and keys.
    pub authorization: Authorization,
    /// Whether its configuration is for the test servers (absent: production, as Telegram
    /// Desktop reads it).
    pub test_mode: bool,
}

/// What a folder holds (spec/tdata.md).
#[derive(Debug)]
pub struct Tdata {
    /// The layout.
    pub layout: Layout,
    /// The key file's name read (`data`, or the `-key` name Telegram Desktop was started with).
    pub key_file: String,
    /// The version of the Telegram Desktop that wrote the key file (the legacy `map`).
    pub version: i32,
    /// Whether a local passcode protects the local key.
    pub passcode: bool,
    /// The accounts that are logged in, in the account list's order.
    pub accounts: Vec<TdataAccount>,
    /// The accounts of the list that could not be read, each with why, as Telegram Desktop
    /// starts without them.
    pub skipped: Vec<(u32, TdataError)>,
    /// The index of the account that was active, where the list says.
    pub active: Option<i32>,
    /// What was read differently from Telegram Desktop.
    pub warnings: Vec<Warning>,
}

impl Tdata {
    /// The format's particulars, for people: the version of the Telegram Desktop that wrote
    /// the key file, its name where it is not the default one, the accounts read, and whether a local passcode protects the folder.
    #[must_use]
    pub fn detail(&self) -> String {
        let indexes: Vec<String> = self.accounts.iter().map(|a| a.index.to_string()).collect();
        format!(
            "Telegram Desktop {}, {}{}, {}",
            version_name(self.version),
            if self.key_file == DEFAULT_KEY_FILE {
                String::new()
            } else {
                format!("the key file key_{}, ", self.key_file)
            },
            match indexes.len() {
                1 => "1 account".to_owned(),
                n => format!("{n} accounts ({})", indexes.join(", ")),
            },
            if self.passcode {
                "a local passcode"
            } else {
                "no local passcode"
            }
        )
    }

    /// The account of index `index`, or the first where `None`, with its hub value
    /// (spec/tdata.md §10): what `--account N` chooses.
    ///
    /// # Errors
    /// No account has that index ([`TdataErrorKind::NoSuchAccount`], which lists them); the
    /// folder holds no account; the account cannot be a hub value.
    pub fn choose(&self, index: Option<u32>) -> Result<(&TdataAccount, Account), TdataError> {
        let chosen = match index {
            None => self
                .accounts
                .first()
                .ok_or_else(|| TdataError::new(None, TdataErrorKind::NoAccounts))?,
            Some(index) => self
                .accounts
                .iter()
                .find(|a| a.index == index)
                .ok_or_else(|| {
                    TdataError::new(
                        None,
                        TdataErrorKind::NoSuchAccount {
                            index: index as usize,
                            accounts: self.accounts.iter().map(|a| a.index).collect(),
                        },
                    )
                })?,
        };
        Ok((chosen, chosen.to_account()?))
    }

    /// The hub value of the folder's first account, the one `convert` takes unless told
    /// another (spec/tdata.md §10).
    ///
    /// # Errors
    /// As [`Tdata::choose`].
    pub fn first_account(&self) -> Result<Account, TdataError> {
        self.choose(None).map(|(_, account)| account)
    }

    /// The hub value of the account of index `index` (spec/tdata.md §10).
    ///
    /// # Errors
    /// As [`Tdata::choose`].
    pub fn account(&self, index: u32) -> Result<Account, TdataError> {
        self.choose(Some(index)).map(|(_, account)| account)
    }
}

impl TdataAccount {
    /// The hub value (spec/tdata.md §10): the main data center's key, the user id and the test
    /// flag. Keys of other data centers and keys to destroy are reported as losses; the API id
    /// and the bot flag are not in the folder.
    pub fn to_account(&self) -> Result<Account, TdataError> {
        let a = &self.authorization;
        let dc_error = |dc_id| TdataError::new(None, TdataErrorKind::DataCenter { dc_id });
        let dc = u8::try_from(a.main_dc)
            .ok()
            .filter(|&d| d > 0)
            .ok_or_else(|| dc_error(a.main_dc))?;
        let key = a.main_key().ok_or_else(|| {
            TdataError::new(
                None,
                TdataErrorKind::NoMainKey {
                    main_dc: a.main_dc,
                    dcs: a.keys.iter().map(|k| k.dc_id).collect(),
                },
            )
        })?;
        let mut account = Account::keyed(Kind::TdataFolder, dc, key.key.clone());
        account.user_id = Some(a.user_id);
        account.test_mode = Some(self.test_mode);
        let others: Vec<i32> = a
            .keys
            .iter()
            .map(|k| k.dc_id)
            .filter(|&d| d != a.main_dc)
            .collect();
        if !others.is_empty() {
            account
                .losses
                .push(Loss::OtherDataCenterKeys { dcs: others });
        }
        if !a.keys_to_destroy.is_empty() {
            account.losses.push(Loss::KeysToDestroy {
                count: a.keys_to_destroy.len(),
            });
        }
        Ok(account)
    }
}

/// One login to write into a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The authorization: the user id, the main data center and its key (other keys may
    /// follow).
    pub authorization: Authorization,
}

impl Login {
    /// A login of `user_id` on data center `dc_id` with `key`.
    #[must_use]
    pub fn new(user_id: u64, dc_id: u8, key: AuthKey) -> Self {
        Login {
            authorization: Authorization {
                user_id,
                main_dc: i32::from(dc_id),
                keys: vec![DcKey {
                    dc_id: i32::from(dc_id),
                    key,
                }],
                keys_to_destroy: Vec::new(),
                wide_ids: true,
            },
        }
    }

    /// The login of a hub value (spec/tdata.md §10): its user id (or `user_id`, where the
    /// source holds none), its data center and key. A session for the test servers is refused.
    pub fn from_account(account: &Account, user_id: Option<u64>) -> Result<Self, TdataError> {
        if account.test_mode == Some(true) {
            return Err(TdataError::new(None, TdataErrorKind::TestServers));
        }
        let user_id = match (account.user_id, user_id) {
            (Some(s), Some(o)) if s != o => {
                return Err(TdataError::new(
                    None,
                    TdataErrorKind::UserIdConflict {
                        source: s,
                        option: o,
                    },
                ))
            }
            (Some(u), _) | (None, Some(u)) if u != 0 => u,
            _ => {
                return Err(TdataError::new(
                    None,
                    TdataErrorKind::Missing {
                        field: super::Field::UserId,
                    },
                ))
            }
        };
        Ok(Login::new(user_id, account.dc_id, account.auth_key.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key file's name that cannot be one is refused by the reader and the writer alike.
    #[test]
    fn a_key_file_name_with_a_slash_or_nul_or_none_is_refused() {
        let logins = [Login::new(1, 2, AuthKey::new([3; 256]))];
        for key_file in ["", "a/b", "a\0b"] {
            let read = read_image(
                &Image::new(),
                &ReadOptions {
                    key_file: Some(key_file),
                    ..ReadOptions::default()
                },
            );
            let write = compose(
                &logins,
                &WriteOptions {
                    key_file,
                    ..WriteOptions::default()
                },
            );
            for e in [read.unwrap_err(), write.unwrap_err()] {
                assert!(
                    matches!(e.kind(), TdataErrorKind::KeyFileName),
                    "{key_file:?}: {e}"
                );
            }
        }
    }
}
