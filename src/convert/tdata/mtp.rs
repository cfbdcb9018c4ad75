//! An account's MTP data: the blocks of its data file and the authorization block in it (spec/tdata.md §7).

use zeroize::Zeroizing;

use super::error::TdataErrorKind;
use super::qt::{put_array, put_i32, put_u32, put_u64, Reader};
use crate::AuthKey;

/// `dbiKey`: a legacy key block (a data center and its key).
const BLOCK_KEY: u32 = 0x00;
/// `dbiUser`: a legacy user block (the user id and the main data center).
const BLOCK_USER: u32 = 0x01;
/// `dbiMtpAuthorization`: the authorization block Telegram Desktop writes since 1.2.
pub(super) const BLOCK_AUTHORIZATION: u32 = 0x4b;

/// The tag of the wide-ids layout: a legacy user id and main data center of `-1` each, that
/// is 64 set bits (Telegram Desktop's `kWideIdsTag`).
const WIDE_IDS_TAG: u64 = u64::MAX;

/// The bytes a key takes in a key list: its data center (`i32`) and its 256 bytes.
const KEY_ENTRY: usize = 4 + AuthKey::LEN;

/// One data center's authorization key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DcKey {
    /// The data center, as Telegram Desktop stores it.
    pub dc_id: i32,
    /// The key (its `Debug` shows only its id).
    pub key: AuthKey,
}

/// An account's authorization (spec/tdata.md §7.2).
///
/// # Layout
/// Big-endian, as `QDataStream` writes it: the user id and main data center as two `i32`
/// (the legacy layout), or the wide-ids tag `FF FF FF FF FF FF FF FF` then the user id as
/// `u64` and the main data center as `i32` (the layout Telegram Desktop writes today); then the keys (an `i32` count,
/// then per key its data center as `i32` and 256 bytes) and the keys to destroy (the same).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The user id; 0 for an account that is not logged in.
    pub user_id: u64,
    /// The main data center.
    pub main_dc: i32,
    /// A key per data center the account has used.
    pub keys: Vec<DcKey>,
    /// Keys Telegram Desktop is to destroy on the server (logged-out keys).
    pub keys_to_destroy: Vec<DcKey>,
    /// Whether the block was in the wide-ids layout.
    pub wide_ids: bool,
}

impl Authorization {
    /// Reads an authorization block (Telegram Desktop's `Account::setMtpAuthorization`).
    /// Bytes after the keys to destroy are ignored, as Telegram Desktop ignores them.
    pub fn parse(bytes: &[u8]) -> Result<Self, TdataErrorKind> {
        let mut r = Reader::new(bytes);
        let legacy_user = r.i32("the user id")?;
        let legacy_dc = r.i32("the main data center")?;
        let tag =
            (u64::from(legacy_user.cast_unsigned()) << 32) | u64::from(legacy_dc.cast_unsigned());
        let (user_id, main_dc, wide_ids) = if tag == WIDE_IDS_TAG {
            (
                r.u64("the wide user id")?,
                r.i32("the main data center")?,
                true,
            )
        } else {
            // A legacy id is Telegram Desktop's `qint32` widened to `quint64`: a negative one
            // becomes a large number, as there.
            (i64::from(legacy_user).cast_unsigned(), legacy_dc, false)
        };
        let keys = read_keys(&mut r)?;
        let keys_to_destroy = read_keys(&mut r)?;
        Ok(Authorization {
            user_id,
            main_dc,
            keys,
            keys_to_destroy,
            wide_ids,
        })
    }

    /// The block in the wide-ids layout, as Telegram Desktop writes it today.
    #[must_use]
    pub fn serialize(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            20 + 8 + KEY_ENTRY * (self.keys.len() + self.keys_to_destroy.len()),
        ));
        put_u64(&mut out, WIDE_IDS_TAG);
        put_u64(&mut out, self.user_id);
        put_i32(&mut out, self.main_dc);
        for list in [&self.keys, &self.keys_to_destroy] {
            put_i32(&mut out, i32::try_from(list.len()).unwrap_or(i32::MAX));
            for k in list {
                put_i32(&mut out, k.dc_id);
                out.extend_from_slice(k.key.as_bytes());
            }
        }
        out
    }

    /// The key of the main data center.
    #[must_use]
    pub fn main_key(&self) -> Option<&DcKey> {
        self.keys.iter().find(|k| k.dc_id == self.main_dc)
    }
}

fn read_keys(r: &mut Reader<'_>) -> Result<Vec<DcKey>, TdataErrorKind> {
    let count = r.i32("a key count")?;
    let fits = usize::try_from(count)
        .ok()
        .filter(|&n| n.checked_mul(KEY_ENTRY).is_some_and(|b| b <= r.remaining()));
    let Some(n) = fits else {
        return Err(TdataErrorKind::KeyCount {
            count,
            available: r.remaining(),
        });
    };
    (0..n)
        .map(|_| {
            let dc_id = r.i32("a key's data center")?;
            let key = AuthKey::from_slice(r.take(AuthKey::LEN, "a key")?)
                .unwrap_or_else(|_| unreachable!("256 bytes were taken"));
            Ok(DcKey { dc_id, key })
        })
        .collect()
}

/// Reads the decrypted MTP data file (Telegram Desktop's `Account::readMtpData`): blocks of a
/// `u32` id and the block's content, to the end. The authorization block wins; without one,
/// the legacy user and key blocks make the authorization, as Telegram Desktop reads them.
pub fn read_data(plain: &[u8]) -> Result<Authorization, TdataErrorKind> {
    let mut r = Reader::new(plain);
    let mut authorization = None;
    let mut legacy_user = None;
    let mut legacy_keys = Vec::new();
    while !r.at_end() {
        let offset = r.pos();
        match r.u32("a block id")? {
            BLOCK_AUTHORIZATION => {
                let bytes = r.byte_array("the authorization block")?;
                if !bytes.is_empty() {
                    authorization = Some(bytes);
                }
            }
            BLOCK_USER => {
                let user = r.i32("the legacy user id")?;
                let dc = r.u32("the legacy main data center")?;
                legacy_user = Some((user, dc.cast_signed()));
            }
            BLOCK_KEY => {
                let dc_id = r.i32("a legacy key's data center")?;
                let key = AuthKey::from_slice(r.take(AuthKey::LEN, "a legacy key")?)
                    .unwrap_or_else(|_| unreachable!("256 bytes were taken"));
                legacy_keys.push(DcKey { dc_id, key });
            }
            id => return Err(TdataErrorKind::UnknownBlock { id, offset }),
        }
    }
    if let Some(bytes) = authorization {
        return Authorization::parse(bytes);
    }
    match legacy_user {
        Some((user, main_dc)) if main_dc != 0 => Ok(Authorization {
            user_id: i64::from(user).cast_unsigned(),
            main_dc,
            keys: legacy_keys,
            keys_to_destroy: Vec::new(),
            wide_ids: false,
        }),
        _ => Err(TdataErrorKind::NoAuthorization),
    }
}

/// The MTP data file's content: the authorization block alone, as Telegram Desktop writes it.
#[must_use]
pub fn write_data(authorization: &Authorization) -> Zeroizing<Vec<u8>> {
    let block = authorization.serialize();
    let mut out = Zeroizing::new(Vec::with_capacity(8 + block.len()));
    put_u32(&mut out, BLOCK_AUTHORIZATION);
    put_array(&mut out, Some(&block));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(user_id: u64) -> Authorization {
        Authorization {
            user_id,
            main_dc: 2,
            keys: vec![
                DcKey {
                    dc_id: 2,
                    key: AuthKey::new([2; 256]),
                },
                DcKey {
                    dc_id: 4,
                    key: AuthKey::new([4; 256]),
                },
            ],
            keys_to_destroy: vec![DcKey {
                dc_id: 1,
                key: AuthKey::new([1; 256]),
            }],
            wide_ids: true,
        }
    }

    #[test]
    fn the_wide_layout_round_trips_and_holds_ids_over_32_bits() {
        let a = auth(7_000_000_000);
        let bytes = a.serialize();
        assert_eq!(&bytes[..8], &[0xff; 8]);
        assert_eq!(Authorization::parse(&bytes).unwrap(), a);
        assert_eq!(read_data(&write_data(&a)).unwrap(), a);
        assert_eq!(a.main_key().unwrap().dc_id, 2);
    }

    #[test]
    fn the_legacy_layout_is_read() {
        let mut bytes = Vec::new();
        put_i32(&mut bytes, 123_456);
        put_i32(&mut bytes, 5);
        put_i32(&mut bytes, 0);
        put_i32(&mut bytes, 0);
        let a = Authorization::parse(&bytes).unwrap();
        assert_eq!(
            (a.user_id, a.main_dc, a.wide_ids, a.keys.len()),
            (123_456, 5, false, 0)
        );
    }

    #[test]
    fn legacy_user_and_key_blocks_make_an_authorization() {
        let mut plain = Vec::new();
        put_u32(&mut plain, BLOCK_KEY);
        put_i32(&mut plain, 3);
        plain.extend_from_slice(&[3; 256]);
        put_u32(&mut plain, BLOCK_USER);
        put_i32(&mut plain, 99);
        put_u32(&mut plain, 3);
        let a = read_data(&plain).unwrap();
        assert_eq!((a.user_id, a.main_dc), (99, 3));
        assert_eq!(a.main_key().unwrap().key, AuthKey::new([3; 256]));
    }

    #[test]
    fn counts_that_do_not_fit_and_unknown_blocks_are_refused() {
        let mut bytes = auth(5).serialize().to_vec();
        bytes[20..24].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            Authorization::parse(&bytes),
            Err(TdataErrorKind::KeyCount {
                count: i32::MAX,
                ..
            })
        ));
        bytes[20..24].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            Authorization::parse(&bytes),
            Err(TdataErrorKind::KeyCount { count: -1, .. })
        ));
        assert!(matches!(
            read_data(&[0, 0, 0, 0x4c]),
            Err(TdataErrorKind::UnknownBlock {
                id: 0x4c,
                offset: 0
            })
        ));
        assert!(matches!(
            read_data(&[]),
            Err(TdataErrorKind::NoAuthorization)
        ));
    }
}
