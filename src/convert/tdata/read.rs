//! Reading a folder, on disk or in memory, as Telegram Desktop reads it (spec/tdata.md §6, §8).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::container::{data_name, file_part, parse};
use super::crypto::{
    argon2_bounds, create_argon2_local_key, create_legacy_local_key, create_local_key,
    decrypt_local, SALT_LEN,
};
use super::error::{TdataError, TdataErrorKind};
use super::mtp::{self, Authorization};
use super::qt::Reader;
use super::{
    key_file_name, Image, Layout, ReadOptions, Tdata, TdataAccount, Warning, DEFAULT_KEY_FILE,
    KNOWN_VERSION, MAX_ACCOUNTS, MAX_FILE,
};
use crate::AuthKey;

/// Whether a file exists, and when it was last modified where that is known.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stat {
    Absent,
    Present(Option<SystemTime>),
}

/// Where a folder's files come from.
trait Source {
    /// Whether the file exists, and when it was last modified.
    fn stat(&self, name: &str) -> Result<Stat, TdataError>;
    /// The file's bytes.
    fn read(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, TdataError>;
    /// The path errors about the file name.
    fn path(&self, name: &str) -> PathBuf;
    /// The names of the folder's own entries (not those of its subfolders).
    fn top_names(&self) -> Result<Vec<String>, TdataError>;
}

impl Source for Image {
    fn stat(&self, name: &str) -> Result<Stat, TdataError> {
        Ok(self
            .files
            .get(name)
            .map_or(Stat::Absent, |(_, m)| Stat::Present(*m)))
    }

    fn read(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, TdataError> {
        self.files
            .get(name)
            .map(|(b, _)| b.clone())
            .ok_or_else(|| TdataError::new(Some(self.path(name)), missing(name)))
    }

    fn path(&self, name: &str) -> PathBuf {
        PathBuf::from(name)
    }

    fn top_names(&self) -> Result<Vec<String>, TdataError> {
        Ok(self
            .files
            .keys()
            .filter(|n| !n.contains('/'))
            .cloned()
            .collect())
    }
}

fn missing(name: &str) -> TdataErrorKind {
    TdataErrorKind::MissingFile {
        name: name[..name.len().saturating_sub(1)].to_owned(),
    }
}

/// A folder on disk.
struct Disk<'a>(&'a Path);

impl Source for Disk<'_> {
    fn stat(&self, name: &str) -> Result<Stat, TdataError> {
        // A name that exists, a symbolic link followed, as Qt's `QFileInfo::exists`.
        match std::fs::metadata(self.path(name)) {
            Ok(m) => Ok(Stat::Present(m.modified().ok())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stat::Absent),
            Err(error) => Err(TdataError::new(
                Some(self.path(name)),
                TdataErrorKind::Io {
                    doing: "examining the file",
                    error,
                },
            )),
        }
    }

    fn read(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, TdataError> {
        let path = self.path(name);
        // Not a regular file: refused by the gate (`InvalidInput`), or by the system before it
        // (a socket cannot be opened: `ENXIO`, "no such device or address").
        let fail = |doing, error: std::io::Error| {
            let kind = match what_it_is(&path) {
                Some(found) => TdataErrorKind::NotAFile { found },
                None if error.kind() == std::io::ErrorKind::InvalidInput => {
                    TdataErrorKind::NotAFile {
                        found: "not a regular file",
                    }
                }
                None => TdataErrorKind::Io { doing, error },
            };
            TdataError::new(Some(path.clone()), kind)
        };
        // Through the one gate to files: a regular file, opened without waiting; a file a
        // storage of this process holds is SQLite, no file of a folder, and is not opened.
        let file = match crate::fs::open(&path).map_err(|e| fail("opening the file", e))? {
            crate::fs::Opened::File(file) => file,
            crate::fs::Opened::Held { .. } => {
                return Err(fail(
                    "opening the file",
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "an SQLite session file this process has open",
                    ),
                ))
            }
        };
        let size = file
            .metadata()
            .map_err(|e| fail("examining the file", e))?
            .len();
        if size > MAX_FILE {
            return Err(TdataError::new(
                Some(path),
                TdataErrorKind::TooLarge {
                    size,
                    max: MAX_FILE,
                },
            ));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize));
        file.take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail("reading the file", e))?;
        Ok(bytes)
    }

    fn path(&self, name: &str) -> PathBuf {
        if name.is_empty() {
            return self.0.to_path_buf();
        }
        self.0.join(name)
    }

    fn top_names(&self) -> Result<Vec<String>, TdataError> {
        let fail = |error| {
            TdataError::new(
                Some(self.0.to_path_buf()),
                TdataErrorKind::Io {
                    doing: "listing the folder",
                    error,
                },
            )
        };
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.0).map_err(fail)? {
            // A name that is not UTF-8 is no name Telegram Desktop writes.
            if let Ok(name) = entry.map_err(fail)?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
}

/// What the thing at `path` is, in words, where it is there and not a regular file.
fn what_it_is(path: &Path) -> Option<&'static str> {
    std::fs::metadata(path)
        .ok()
        .and_then(|meta| crate::fs::not_regular(&meta))
}

/// A file taken out of its container.
struct File {
    name: String,
    version: i32,
    data: Zeroizing<Vec<u8>>,
}

/// Reads the file `name` as Telegram Desktop's `ReadFile` chooses among its stored versions
/// (spec/tdata.md §6.2): `{name}s` alone where it exists; else `{name}0` and `{name}1`, the
/// newer first, the other where the first fails its checks. The error is the first one's.
fn choose(src: &dyn Source, name: &str, warnings: &mut Vec<Warning>) -> Result<File, TdataError> {
    let s = format!("{name}s");
    let order = if src.stat(&s)? == Stat::Absent {
        let (zero, one) = (format!("{name}0"), format!("{name}1"));
        match (src.stat(&zero)?, src.stat(&one)?) {
            (Stat::Present(m0), Stat::Present(m1)) if m0 < m1 => vec![one, zero],
            (Stat::Present(_), Stat::Present(_)) => vec![zero, one],
            (Stat::Present(_), Stat::Absent) => vec![zero],
            (Stat::Absent, Stat::Present(_)) => vec![one],
            (Stat::Absent, Stat::Absent) => {
                return Err(TdataError::new(
                    Some(src.path(name)),
                    TdataErrorKind::MissingFile {
                        name: name.to_owned(),
                    },
                ))
            }
        }
    } else {
        vec![s]
    };
    let mut first_error = None;
    for file in order {
        let bytes = match src.read(&file) {
            Ok(b) => b,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        match parse(&bytes) {
            Ok(c) => {
                if c.version > KNOWN_VERSION {
                    warnings.push(Warning::NewerVersion {
                        file: file.clone(),
                        version: c.version,
                    });
                }
                return Ok(File {
                    version: c.version,
                    data: Zeroizing::new(c.data.to_vec()),
                    name: file,
                });
            }
            Err(kind) => {
                first_error.get_or_insert(TdataError::new(Some(src.path(&file)), kind));
            }
        }
    }
    Err(first_error.unwrap_or_else(|| unreachable!("at least one file was tried")))
}

/// Reads the folder at `path` (spec/tdata.md §8). The folder must be a folder, not a symbolic
/// link to one; its files are opened only if they are regular files, without waiting, and
/// nothing is written.
pub fn read_folder(path: &Path, options: &ReadOptions<'_>) -> Result<Tdata, TdataError> {
    let folder_error = |kind| TdataError::new(Some(path.to_path_buf()), kind);
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(folder_error(TdataErrorKind::FolderIsALink))
        }
        Ok(m) if !m.is_dir() => {
            return Err(folder_error(TdataErrorKind::NotAFolder {
                found: crate::fs::not_regular(&m).unwrap_or("a regular file"),
            }))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(folder_error(TdataErrorKind::NoFolder))
        }
        Err(error) => {
            return Err(folder_error(TdataErrorKind::Io {
                doing: "examining the folder",
                error,
            }))
        }
    }
    read_source(&Disk(path), options)
}

/// Reads a folder held in memory, as [`read_folder`] reads one on disk; errors name the files
/// by their names in the image.
pub fn read_image(image: &Image, options: &ReadOptions<'_>) -> Result<Tdata, TdataError> {
    read_source(image, options)
}

/// The names of the key files among `names`: `key_NAME` with a version letter (`s`, `0`, `1`)
/// after a name that is not empty, sorted, each once.
#[must_use]
pub fn key_file_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found: Vec<String> = names
        .into_iter()
        .filter_map(|n| n.strip_prefix("key_"))
        .filter_map(|rest| {
            rest.strip_suffix(['s', '0', '1'])
                .filter(|name| !name.is_empty())
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The key file's name to read where none was given (spec/tdata.md §6.3): the default where the
/// folder has a key file of that name or none at all (then the legacy layout or
/// `MissingFile`), else the one name its key files have.
fn detect_key_file(src: &dyn Source) -> Result<String, TdataError> {
    let names = key_file_names(src.top_names()?.iter().map(String::as_str));
    match names.as_slice() {
        [] => Ok(DEFAULT_KEY_FILE.to_owned()),
        _ if names.iter().any(|n| n == DEFAULT_KEY_FILE) => Ok(DEFAULT_KEY_FILE.to_owned()),
        [one] => Ok(one.clone()),
        _ => Err(TdataError::new(
            Some(src.path("")),
            TdataErrorKind::KeyFiles { names },
        )),
    }
}

fn read_source(src: &dyn Source, options: &ReadOptions<'_>) -> Result<Tdata, TdataError> {
    let detected;
    let key_file = if let Some(name) = options.key_file {
        key_file_name(name)?
    } else {
        detected = detect_key_file(src)?;
        key_file_name(&detected)?
    };
    let passcode = options.passcode.map_or(&[][..], |p| p.as_bytes());
    let mut warnings = Vec::new();
    let key_name = format!("key_{key_file}");
    let key_data = match choose(src, &key_name, &mut warnings) {
        Ok(f) => f,
        Err(e) if matches!(e.kind(), TdataErrorKind::MissingFile { .. }) => {
            // No key file: a folder of Telegram Desktop before 2.2, if its map holds the key.
            let map = format!("{}/map", file_part(&data_name(key_file, 0)));
            for letter in ['s', '0', '1'] {
                if src.stat(&format!("{map}{letter}"))? != Stat::Absent {
                    return read_legacy(src, &map, passcode, key_file, warnings)?.ok_or(e);
                }
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let at = |kind| TdataError::new(Some(src.path(&key_data.name)), kind);
    let mut r = Reader::new(&key_data.data);
    let salt = r.byte_array("the salt").map_err(at)?;
    let key_encrypted = r.byte_array("the encrypted local key").map_err(at)?;
    let info_encrypted = r.byte_array("the encrypted account list").map_err(at)?;
    if salt.len() != SALT_LEN {
        return Err(at(TdataErrorKind::BadSalt { len: salt.len() }));
    }
    let local_key = key_data_local_key(&mut r, salt, key_encrypted, passcode).map_err(at)?;
    let info = decrypt_local(info_encrypted, &local_key, "the account list").map_err(at)?;
    let mut r = Reader::new(&info);
    let count = r.i32("the account count").map_err(at)?;
    if count <= 0 || count.unsigned_abs() > MAX_ACCOUNTS {
        return Err(at(TdataErrorKind::AccountCount { count }));
    }
    let mut indexes: Vec<u32> = Vec::new();
    for _ in 0..count {
        let index = r.i32("an account index").map_err(at)?;
        match u32::try_from(index) {
            Ok(i) if i < MAX_ACCOUNTS && !indexes.contains(&i) => indexes.push(i),
            _ => warnings.push(Warning::IndexSkipped { index }),
        }
    }
    let active = if r.at_end() {
        None
    } else {
        Some(r.i32("the active account").map_err(at)?)
    };
    if indexes.is_empty() {
        return Err(at(TdataErrorKind::NoAccounts));
    }
    let mut tdata = Tdata {
        layout: Layout::Accounts,
        key_file: key_file.to_owned(),
        version: key_data.version,
        passcode: !passcode.is_empty(),
        accounts: Vec::new(),
        skipped: Vec::new(),
        active,
        warnings,
    };
    for index in indexes {
        match read_account(src, &local_key, key_file, index, &mut tdata.warnings) {
            Ok(account) => {
                // Telegram Desktop starts one account per login (`willHaveSessionUniqueId`).
                if let Some(first) = tdata.accounts.iter().find(|a| {
                    a.authorization.user_id == account.authorization.user_id
                        && a.test_mode == account.test_mode
                }) {
                    let first = first.index;
                    tdata.skipped.push((
                        index,
                        TdataError::new(None, TdataErrorKind::SameLogin { first }),
                    ));
                } else {
                    tdata.accounts.push(account);
                }
            }
            Err(e) => tdata.skipped.push((index, e)),
        }
    }
    if tdata.accounts.is_empty() {
        return Err(tdata.skipped.swap_remove(0).1);
    }
    Ok(tdata)
}

/// The passcode wrap in use of Telegram Desktop 7.3's key data trailer (spec/tdata.md §13):
/// its Argon2id parameters, salt and encrypted local key.
struct Wrap<'a> {
    memory_kib: u32,
    time: u32,
    lanes: u32,
    salt: &'a [u8],
    key_encrypted: &'a [u8],
}

/// Telegram Desktop 7.3's key data trailer (spec/tdata.md §13), read after the key file's
/// three byte arrays: the passcode wrap in use, where the trailer names one; `None` where there
/// is no trailer (before 7.3, or bytes that are not one, which Telegram Desktop 6.1.2 ignores)
/// or it names none (no passcode: the local key is in the second array, as before). A wrap of
/// a family other than 1 (Argon2id) is `Argon2Passcode`; parameters out of bounds are
/// `Argon2Parameters`, before any key is derived.
fn passcode_wrap<'a>(r: &mut Reader<'a>) -> Result<Option<Wrap<'a>>, TdataErrorKind> {
    if r.at_end() {
        return Ok(None);
    }
    let trailer = r.byte_array("the key data trailer")?;
    let Some(rest) = trailer.strip_prefix(TRAILER_MAGIC) else {
        return Ok(None);
    };
    // Offsets in the key file's data, not in the trailer.
    let base = r.pos() - rest.len();
    let at = |e| match e {
        TdataErrorKind::Truncated {
            what,
            offset,
            needed,
            available,
        } => TdataErrorKind::Truncated {
            what,
            offset: base + offset,
            needed,
            available,
        },
        other => other,
    };
    let mut t = Reader::new(rest);
    t.u32("the key data trailer's version").map_err(at)?;
    let active = t.u32("the key data trailer's wrap in use").map_err(at)?;
    if active == 0 {
        return Ok(None);
    }
    let count = t.u32("the key data trailer's wrap count").map_err(at)?;
    // Each wrap is at least 28 bytes: a count beyond the bytes left ends in `Truncated`.
    for _ in 0..count {
        let family = t.u32("a passcode wrap's KDF family").map_err(at)?;
        let id = t.u32("a passcode wrap's id").map_err(at)?;
        if id == active && family != 1 {
            return Err(TdataErrorKind::Argon2Passcode { family });
        }
        let memory_kib = t.u32("a passcode wrap's Argon2id memory").map_err(at)?;
        let time = t.u32("a passcode wrap's Argon2id passes").map_err(at)?;
        let lanes = t.u32("a passcode wrap's Argon2id lanes").map_err(at)?;
        let salt = t.byte_array("a passcode wrap's salt").map_err(at)?;
        let key_encrypted = t
            .byte_array("a passcode wrap's encrypted local key")
            .map_err(at)?;
        if id != active {
            continue;
        }
        argon2_bounds(memory_kib, time, lanes)?;
        if salt.len() != SALT_LEN {
            return Err(TdataErrorKind::BadSalt { len: salt.len() });
        }
        return Ok(Some(Wrap {
            memory_kib,
            time,
            lanes,
            salt,
            key_encrypted,
        }));
    }
    Err(TdataErrorKind::NoPasscodeWrap { id: active, count })
}

/// The local key of a key file whose first two arrays are `salt` and `key_encrypted`, `r` after
/// its third: from the passcode wrap in use of a 7.3 trailer (Argon2id), or where there is none
/// from the second array (PBKDF2, §4.1).
fn key_data_local_key(
    r: &mut Reader<'_>,
    salt: &[u8],
    key_encrypted: &[u8],
    passcode: &[u8],
) -> Result<AuthKey, TdataErrorKind> {
    match passcode_wrap(r)? {
        None => local_key(key_encrypted, &create_local_key(passcode, salt), passcode),
        // Nothing to derive without a passcode: Telegram Desktop 7.3 wraps only a passcode's key.
        Some(_) if passcode.is_empty() => Err(TdataErrorKind::PasscodeNeeded),
        Some(wrap) => {
            let passcode_key = create_argon2_local_key(
                passcode,
                wrap.salt,
                wrap.memory_kib,
                wrap.time,
                wrap.lanes,
            )?;
            local_key(wrap.key_encrypted, &passcode_key, passcode)
        }
    }
}

/// The first bytes of Telegram Desktop 7.3's key data trailer (spec/tdata.md §13).
const TRAILER_MAGIC: &[u8] = b"KD2\0";

/// Decrypts the local key with the key derived from the passcode: a failed check is a wrong
/// passcode, or a missing one.
fn local_key(
    encrypted: &[u8],
    passcode_key: &AuthKey,
    passcode: &[u8],
) -> Result<AuthKey, TdataErrorKind> {
    let inner =
        decrypt_local(encrypted, passcode_key, "the encrypted local key").map_err(|e| match e {
            TdataErrorKind::Decryption { .. } if passcode.is_empty() => {
                TdataErrorKind::PasscodeNeeded
            }
            TdataErrorKind::Decryption { .. } => TdataErrorKind::WrongPasscode,
            other => other,
        })?;
    AuthKey::from_slice(&inner).map_err(|e| TdataErrorKind::LocalKeyLength { len: e.found })
}

/// Reads one account's files (spec/tdata.md §8 steps 5 to 7).
fn read_account(
    src: &dyn Source,
    local_key: &AuthKey,
    key_file: &str,
    index: u32,
    warnings: &mut Vec<Warning>,
) -> Result<TdataAccount, TdataError> {
    let part = file_part(&data_name(key_file, index));
    // The map must open and decrypt: Telegram Desktop reads the MTP data only after it.
    let map = choose(src, &format!("{part}/map"), warnings)?;
    let at = |name: &str, kind| TdataError::new(Some(src.path(name)), kind);
    let mut r = Reader::new(&map.data);
    let read = |r: &mut Reader<'_>| -> Result<(), TdataErrorKind> {
        r.byte_array("the legacy salt")?;
        r.byte_array("the legacy key")?;
        let encrypted = r.byte_array("the encrypted map")?;
        decrypt_local(encrypted, local_key, "the map").map(drop)
    };
    read(&mut r).map_err(|k| at(&map.name, k))?;
    let authorization = read_mtp(src, &part, local_key, warnings)?;
    let test_mode = read_test_mode(src, &format!("{part}/config"), local_key);
    Ok(TdataAccount {
        index,
        authorization,
        test_mode,
    })
}

/// Reads and checks the MTP data file `part`.
fn read_mtp(
    src: &dyn Source,
    part: &str,
    local_key: &AuthKey,
    warnings: &mut Vec<Warning>,
) -> Result<Authorization, TdataError> {
    let file = choose(src, part, warnings)?;
    let at = |kind| TdataError::new(Some(src.path(&file.name)), kind);
    let mut r = Reader::new(&file.data);
    let encrypted = r.byte_array("the encrypted MTP data").map_err(at)?;
    let plain = decrypt_local(encrypted, local_key, "the MTP data").map_err(at)?;
    let authorization = mtp::read_data(&plain).map_err(at)?;
    if authorization.user_id == 0 {
        return Err(at(TdataErrorKind::NotLoggedIn));
    }
    if authorization.main_key().is_none() {
        return Err(at(TdataErrorKind::NoMainKey {
            main_dc: authorization.main_dc,
            dcs: authorization.keys.iter().map(|k| k.dc_id).collect(),
        }));
    }
    Ok(authorization)
}

/// Whether the account's configuration is for the test servers: its environment (version 1,
/// then 1 for test). Telegram Desktop takes production where the file is absent or unreadable.
fn read_test_mode(src: &dyn Source, name: &str, local_key: &AuthKey) -> bool {
    let Ok(file) = choose(src, name, &mut Vec::new()) else {
        return false;
    };
    let environment = || -> Result<bool, TdataErrorKind> {
        let mut r = Reader::new(&file.data);
        let plain = decrypt_local(r.byte_array("the config")?, local_key, "the config")?;
        let mut r = Reader::new(&plain);
        let serialized = r.byte_array("the config")?;
        let mut r = Reader::new(serialized);
        Ok(r.i32("the config's version")? == 1 && r.i32("the environment")? == 1)
    };
    environment().unwrap_or(false)
}

/// Reads a folder of Telegram Desktop before 2.2 (spec/tdata.md §8.2): the first account's
/// `map` holds the legacy salt and the local key under the legacy key. `None` where the map
/// holds no legacy salt: a map of the current layout, whose key file is missing.
fn read_legacy(
    src: &dyn Source,
    map: &str,
    passcode: &[u8],
    key_file: &str,
    mut warnings: Vec<Warning>,
) -> Result<Option<Tdata>, TdataError> {
    let file = choose(src, map, &mut warnings)?;
    let at = |kind| TdataError::new(Some(src.path(&file.name)), kind);
    let mut r = Reader::new(&file.data);
    let salt = r.byte_array("the legacy salt").map_err(at)?;
    let key_encrypted = r.byte_array("the legacy key").map_err(at)?;
    let map_encrypted = r.byte_array("the encrypted map").map_err(at)?;
    if salt.is_empty() {
        return Ok(None);
    }
    if salt.len() != SALT_LEN {
        return Err(at(TdataErrorKind::BadSalt { len: salt.len() }));
    }
    let legacy_key = create_legacy_local_key(passcode, salt);
    let local_key = local_key(key_encrypted, &legacy_key, passcode).map_err(at)?;
    decrypt_local(map_encrypted, &local_key, "the map").map_err(at)?;
    let part = file_part(&data_name(key_file, 0));
    let authorization = read_mtp(src, &part, &local_key, &mut warnings)?;
    let test_mode = read_test_mode(src, &format!("{part}/config"), &local_key);
    Ok(Some(Tdata {
        layout: Layout::Legacy,
        key_file: key_file.to_owned(),
        version: file.version,
        passcode: !passcode.is_empty(),
        accounts: vec![TdataAccount {
            index: 0,
            authorization,
            test_mode,
        }],
        skipped: Vec::new(),
        active: None,
        warnings,
    }))
}
