//! The `TDF$` container every file of a `tdata` folder is stored in, and the names of those
//! files (spec/tdata.md §3, §6).

use md5::{Digest, Md5};

use super::error::TdataErrorKind;

/// The four bytes every file begins with.
pub const MAGIC: [u8; 4] = *b"TDF$";

/// The length of the MD5 check at a file's end.
const CHECK_LEN: usize = 16;

/// A file's content, taken out of its container (spec/tdata.md §3).
///
/// # Layout
/// | offset | bytes | what |
/// |---|---|---|
/// | 0 | 4 | `TDF$` |
/// | 4 | 4 | the version of the Telegram Desktop that wrote it, little-endian `i32` |
/// | 8 | n | the data: a `QDataStream` of byte arrays |
/// | 8 + n | 16 | MD5 of the data, `n` as a little-endian `i32`, the version (4 bytes as stored) and `TDF$` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container<'a> {
    /// The version of the program that wrote the file (Telegram Desktop's `AppVersion`, e.g.
    /// 6001002 for 6.1.2).
    pub version: i32,
    /// The data between the header and the check.
    pub data: &'a [u8],
}

/// Takes a file's content out of its container, checking the magic and the MD5 (spec/tdata.md
/// §3). The version is not judged here.
pub fn parse(bytes: &[u8]) -> Result<Container<'_>, TdataErrorKind> {
    if bytes.len() < 4 || bytes[..4] != MAGIC {
        return Err(TdataErrorKind::BadMagic {
            found: bytes[..bytes.len().min(4)].to_vec(),
        });
    }
    if bytes.len() < 8 {
        return Err(TdataErrorKind::Truncated {
            what: "the version",
            offset: 4,
            needed: 4,
            available: bytes.len() - 4,
        });
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[4..8]);
    let rest = &bytes[8..];
    let Some(data_len) = rest.len().checked_sub(CHECK_LEN) else {
        return Err(TdataErrorKind::Truncated {
            what: "the MD5 check",
            offset: 8,
            needed: CHECK_LEN,
            available: rest.len(),
        });
    };
    let (data, check) = rest.split_at(data_len);
    if check != checksum(data, version).as_slice() {
        return Err(TdataErrorKind::Checksum);
    }
    Ok(Container {
        version: i32::from_le_bytes(version),
        data,
    })
}

/// A file's bytes: the header, `data` and its check (spec/tdata.md §3).
#[must_use]
pub fn compose(version: i32, data: &[u8]) -> Vec<u8> {
    let version = version.to_le_bytes();
    let mut out = Vec::with_capacity(8 + data.len() + CHECK_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version);
    out.extend_from_slice(data);
    out.extend_from_slice(&checksum(data, version));
    out
}

/// MD5 of the data, its length as a little-endian 32-bit integer (Telegram Desktop's `int32`
/// `dataSize`, written from memory on a little-endian machine), the version and the magic.
fn checksum(data: &[u8], version: [u8; 4]) -> [u8; CHECK_LEN] {
    let mut md5 = Md5::new();
    md5.update(data);
    // A file over 2 GiB is refused before it is read (`MAX_FILE`); the cast keeps the low bits
    // as Telegram Desktop's `int32` does.
    md5.update((data.len() as u32).to_le_bytes());
    md5.update(version);
    md5.update(MAGIC);
    md5.finalize().into()
}

/// The name of an account's files (spec/tdata.md §6): the first 8 bytes of the MD5 of `name`
/// (`data`, `data#2`, …), each written as two hexadecimal digits, low nibble first
/// (Telegram Desktop's `ToFilePart` of the little-endian `FileKey`). `data` gives
/// `D877F783D5D3EF8C`.
#[must_use]
pub fn file_part(name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let digest = Md5::digest(name.as_bytes());
    let mut out = String::with_capacity(16);
    for b in &digest[..8] {
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
        out.push(char::from(HEX[usize::from(b >> 4)]));
    }
    out
}

/// The data name of account `index` (Telegram Desktop's `ComposeDataString`): the key file's
/// name without any `#`, and `#` and the index plus one for every account but the first
/// (`data`, `data#2`, `data#3`).
#[must_use]
pub fn data_name(key_file: &str, index: u32) -> String {
    let mut out: String = key_file.chars().filter(|&c| c != '#').collect();
    if index > 0 {
        out.push('#');
        out.push_str(&(u64::from(index) + 1).to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_accounts_file_part_is_telegram_desktops() {
        assert_eq!(file_part("data"), "D877F783D5D3EF8C");
        assert_eq!(data_name("data", 0), "data");
        assert_eq!(data_name("data", 2), "data#3");
        assert_eq!(data_name("da#ta", 1), "data#2");
    }

    #[test]
    fn a_composed_file_parses_back_and_any_changed_byte_is_caught() {
        let bytes = compose(6_001_002, b"\0\0\0\x02hi");
        let c = parse(&bytes).unwrap();
        assert_eq!((c.version, c.data), (6_001_002, &b"\0\0\0\x02hi"[..]));
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assert!(parse(&damaged).is_err(), "byte {i} changed and not caught");
        }
    }

    #[test]
    fn short_and_foreign_files_are_told_apart() {
        assert!(matches!(parse(b"TD"), Err(TdataErrorKind::BadMagic { found }) if found == b"TD"));
        assert!(matches!(
            parse(b"TDF$\x01"),
            Err(TdataErrorKind::Truncated {
                what: "the version",
                ..
            })
        ));
        assert!(matches!(
            parse(b"TDF$\x01\0\0\0abc"),
            Err(TdataErrorKind::Truncated {
                what: "the MD5 check",
                available: 3,
                ..
            })
        ));
    }
}
