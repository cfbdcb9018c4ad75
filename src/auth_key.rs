//! The 2048-bit MTProto authorization key (spec/session-string.md §2.2).

use std::fmt;

use sha1::{Digest, Sha1};
use zeroize::Zeroize;

/// A 256-byte MTProto authorization key.
///
/// The key is the secret half of a login: whoever holds it acts as the account. This type
/// therefore never shows its bytes: `Debug` and `Display` print only its [`AuthKeyId`], and the
/// bytes are overwritten with zeros when the value is dropped. The bytes live on the heap so
/// that moving an `AuthKey` around never leaves copies of them on the stack.
///
/// # Layout
/// Exactly 256 bytes, stored and transmitted as is (offset 6..262 of a `v2` session string,
/// 2..258 of a legacy one; the `auth_key` BLOB of a session file).
#[derive(Clone)]
pub struct AuthKey(Box<[u8; AuthKey::LEN]>);

impl AuthKey {
    /// The length of every auth key, in bytes.
    pub const LEN: usize = 256;

    /// Wraps 256 bytes. The array passed in is copied; callers holding it should wipe it.
    #[must_use]
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        AuthKey(Box::new(bytes))
    }

    /// Copies a key out of a slice that must be exactly 256 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, AuthKeyLengthError> {
        if bytes.len() != Self::LEN {
            return Err(AuthKeyLengthError { found: bytes.len() });
        }
        let mut key = Box::new([0u8; Self::LEN]);
        key.copy_from_slice(bytes);
        Ok(AuthKey(key))
    }

    /// The key's bytes. Handle with care: this is the login itself.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The key's MTProto identifier: the low 64 bits of its SHA-1.
    #[must_use]
    pub fn id(&self) -> AuthKeyId {
        AuthKeyId::of(self.as_bytes())
    }

    /// The key in lowercase hexadecimal (512 characters), for the rare caller that must reveal it.
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        let mut out = String::with_capacity(Self::LEN * 2);
        for b in self.0.iter() {
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}

impl Drop for AuthKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PartialEq for AuthKey {
    /// Compares every byte, without stopping at the first difference.
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for AuthKey {}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey(id={})", self.id())
    }
}

impl fmt::Display for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "auth key {}", self.id())
    }
}

/// The MTProto `auth_key_id` of a key: the 64 lower-order bits of its SHA-1 hash, that is bytes
/// 12..20 of the digest read as a little-endian integer, exactly as MTProto puts it in front of
/// every encrypted message.
///
/// It identifies a key without revealing it. `Display` prints it as 16 lowercase hexadecimal
/// digits of that integer, and `Debug` as `AuthKeyId(` those digits `)`: the same number in both.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthKeyId(pub u64);

impl fmt::Debug for AuthKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKeyId({self})")
    }
}

impl AuthKeyId {
    /// Computes the identifier of the given key bytes.
    #[must_use]
    pub fn of(key: &[u8; AuthKey::LEN]) -> Self {
        let mut digest = Sha1::digest(key);
        let mut low = [0u8; 8];
        low.copy_from_slice(&digest[12..20]);
        digest.zeroize();
        AuthKeyId(u64::from_le_bytes(low))
    }
}

impl fmt::Display for AuthKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A byte string that cannot be an auth key because it is not 256 bytes long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthKeyLengthError {
    /// The length found, in bytes.
    pub found: usize,
}

impl fmt::Display for AuthKeyLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an auth key is 256 bytes long, found {} bytes",
            self.found
        )
    }
}

impl std::error::Error for AuthKeyLengthError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuthKey {
        let mut b = [0u8; 256];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        AuthKey::new(b)
    }

    #[test]
    fn debug_and_display_show_only_the_id() {
        let k = key();
        let id = k.id().to_string();
        assert_eq!(format!("{k:?}"), format!("AuthKey(id={id})"));
        assert_eq!(k.to_string(), format!("auth key {id}"));
        assert!(!format!("{k:?}").contains(&k.to_hex()[..16]));
    }

    #[test]
    fn id_is_low_64_bits_of_sha1_little_endian() {
        // sha1(bytes 0..=255) = 4916d6bdb7f78e6803698cab32d1586ea457dfc8
        let k = key();
        let expect = u64::from_le_bytes([0x32, 0xd1, 0x58, 0x6e, 0xa4, 0x57, 0xdf, 0xc8]);
        assert_eq!(k.id(), AuthKeyId(expect));
        assert_eq!(k.id().to_string(), format!("{expect:016x}"));
    }

    /// `Debug` shows the id in the hexadecimal `Display` uses (it showed the decimal integer).
    #[test]
    fn an_id_s_debug_shows_its_display() {
        let id = key().id();
        assert_eq!(format!("{id:?}"), format!("AuthKeyId({id})"));
        assert_eq!(
            format!("{:?}", AuthKeyId(0xab)),
            "AuthKeyId(00000000000000ab)"
        );
    }

    #[test]
    fn from_slice_checks_the_length() {
        assert_eq!(AuthKey::from_slice(&[0; 255]).unwrap_err().found, 255);
        assert_eq!(
            AuthKey::from_slice(&[0; 257]).unwrap_err().to_string(),
            "an auth key is 256 bytes long, found 257 bytes"
        );
        assert_eq!(
            AuthKey::from_slice(&[7; 256]).unwrap().as_bytes(),
            &[7; 256]
        );
    }
}
