//! The local key's derivation and the local encryption of a `tdata` folder (spec/tdata.md §4,
//! §5), on `RustCrypto`'s AES, IGE mode, SHA-1, SHA-512 and PBKDF2.

use aes::cipher::{generic_array::GenericArray, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha1::{Digest, Sha1};
use sha2::Sha512;
use zeroize::{Zeroize, Zeroizing};

use super::error::TdataErrorKind;
use crate::AuthKey;

/// PBKDF2 rounds of the current derivation with a passcode (Telegram Desktop's
/// `kStrongIterationsCount`).
pub const STRONG_ITERATIONS: u32 = 100_000;
/// PBKDF2-HMAC-SHA1 rounds of the legacy derivation with a passcode (`LocalEncryptIterCount`).
pub const LEGACY_ITERATIONS: u32 = 4_000;
/// PBKDF2-HMAC-SHA1 rounds of the legacy derivation without one (`LocalEncryptNoPwdIterCount`).
pub const LEGACY_NO_PASSCODE_ITERATIONS: u32 = 4;
/// The length of every salt Telegram Desktop writes (`LocalEncryptSaltSize`).
pub const SALT_LEN: usize = 32;

/// The key that encrypts the local key (spec/tdata.md §4.1): PBKDF2-HMAC-SHA512 of
/// SHA-512(salt ‖ passcode ‖ salt), salted with `salt`, 256 bytes; one round without a
/// passcode, [`STRONG_ITERATIONS`] with one.
#[must_use]
pub fn create_local_key(passcode: &[u8], salt: &[u8]) -> AuthKey {
    let mut hash = Sha512::new();
    hash.update(salt);
    hash.update(passcode);
    hash.update(salt);
    let hash = Zeroizing::new(<[u8; 64]>::from(hash.finalize()));
    let rounds = if passcode.is_empty() {
        1
    } else {
        STRONG_ITERATIONS
    };
    derive(hash.as_slice(), salt, rounds, true)
}

/// The most memory, in KiB, that [`create_argon2_local_key`] gives Argon2id: 1 GiB, 16 times
/// what Telegram Desktop 7.3's layout asks (spec/tdata.md §13).
pub const ARGON2_MAX_MEMORY_KIB: u32 = 1 << 20;
/// The most passes (time cost) that [`create_argon2_local_key`] makes: 64, 8 times the layout's.
pub const ARGON2_MAX_TIME: u32 = 64;
/// The most lanes that [`create_argon2_local_key`] takes: 16, 16 times the layout's.
pub const ARGON2_MAX_LANES: u32 = 16;

/// The key that encrypts the local key in a passcode wrap of Telegram Desktop 7.3's key data
/// trailer (spec/tdata.md §13): Argon2id (version 0x13) of the passcode, salted with the wrap's
/// salt, with the wrap's memory in KiB, passes and lanes, 256 bytes.
///
/// Parameters outside 1 to [`ARGON2_MAX_LANES`] lanes, 1 to [`ARGON2_MAX_TIME`] passes and 8
/// KiB a lane to [`ARGON2_MAX_MEMORY_KIB`] are refused with
/// [`TdataErrorKind::Argon2Parameters`] before any memory is taken, as is a salt shorter than
/// Argon2's 8 bytes ([`TdataErrorKind::BadSalt`]).
pub fn create_argon2_local_key(
    passcode: &[u8],
    salt: &[u8],
    memory_kib: u32,
    time: u32,
    lanes: u32,
) -> Result<AuthKey, TdataErrorKind> {
    argon2_bounds(memory_kib, time, lanes)?;
    let refused = || TdataErrorKind::Argon2Parameters {
        memory_kib,
        time,
        lanes,
    };
    if salt.len() < argon2::MIN_SALT_LEN {
        return Err(TdataErrorKind::BadSalt { len: salt.len() });
    }
    let params =
        argon2::Params::new(memory_kib, time, lanes, Some(AuthKey::LEN)).map_err(|_| refused())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut blocks = vec![argon2::Block::default(); argon.params().block_count()];
    let mut out = Zeroizing::new([0u8; AuthKey::LEN]);
    let done =
        argon.hash_password_into_with_memory(passcode, salt, out.as_mut_slice(), &mut blocks);
    blocks.iter_mut().for_each(Zeroize::zeroize);
    // The inputs were checked above: a failure here is one this function does not foresee.
    done.map_err(|_| refused())?;
    Ok(AuthKey::new(*out))
}

/// `Argon2Parameters` where Argon2id's parameters are outside what
/// [`create_argon2_local_key`] derives.
pub(super) fn argon2_bounds(memory_kib: u32, time: u32, lanes: u32) -> Result<(), TdataErrorKind> {
    if (1..=ARGON2_MAX_LANES).contains(&lanes)
        && (1..=ARGON2_MAX_TIME).contains(&time)
        && (8 * lanes..=ARGON2_MAX_MEMORY_KIB).contains(&memory_kib)
    {
        Ok(())
    } else {
        Err(TdataErrorKind::Argon2Parameters {
            memory_kib,
            time,
            lanes,
        })
    }
}

/// The legacy key of a `map` file written before Telegram Desktop kept several accounts
/// (spec/tdata.md §4.2): PBKDF2-HMAC-SHA1 of the passcode itself, salted with `salt`, 256
/// bytes; [`LEGACY_NO_PASSCODE_ITERATIONS`] rounds without a passcode, [`LEGACY_ITERATIONS`]
/// with one.
#[must_use]
pub fn create_legacy_local_key(passcode: &[u8], salt: &[u8]) -> AuthKey {
    let rounds = if passcode.is_empty() {
        LEGACY_NO_PASSCODE_ITERATIONS
    } else {
        LEGACY_ITERATIONS
    };
    derive(passcode, salt, rounds, false)
}

/// 256 bytes of PBKDF2-HMAC-SHA512 (`sha512`) or PBKDF2-HMAC-SHA1: the length of every key
/// of the format.
fn derive(password: &[u8], salt: &[u8], rounds: u32, sha512: bool) -> AuthKey {
    let mut out = Zeroizing::new([0u8; AuthKey::LEN]);
    if sha512 {
        pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, rounds, out.as_mut_slice());
    } else {
        pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, rounds, out.as_mut_slice());
    }
    AuthKey::new(*out)
}

/// The AES-256 key and IGE vector for the 16-byte check `msg_key` (spec/tdata.md §5): MTProto
/// 1.0's derivation with `x = 8` (Telegram Desktop's `prepareAES_oldmtp(…, send = false)`).
#[allow(clippy::many_single_char_names)] // the names MTProto's description gives
fn key_and_iv(key: &AuthKey, msg_key: &[u8; 16]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    const X: usize = 8;
    let k = key.as_bytes();
    let sha = |parts: &[&[u8]]| {
        let mut h = Sha1::new();
        for p in parts {
            h.update(p);
        }
        Zeroizing::new(<[u8; 20]>::from(h.finalize()))
    };
    let a = sha(&[msg_key, &k[X..X + 32]]);
    let b = sha(&[&k[32 + X..48 + X], msg_key, &k[48 + X..64 + X]]);
    let c = sha(&[&k[64 + X..96 + X], msg_key]);
    let d = sha(&[msg_key, &k[96 + X..128 + X]]);
    let mut aes_key = Zeroizing::new([0u8; 32]);
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..20].copy_from_slice(&b[8..20]);
    aes_key[20..].copy_from_slice(&c[4..16]);
    let mut iv = Zeroizing::new([0u8; 32]);
    iv[..12].copy_from_slice(&a[8..20]);
    iv[12..20].copy_from_slice(&b[..8]);
    iv[20..24].copy_from_slice(&c[16..20]);
    iv[24..].copy_from_slice(&d[..8]);
    (aes_key, iv)
}

type IgeDecrypt = ige::Decryptor<aes::Aes256>;
type IgeEncrypt = ige::Encryptor<aes::Aes256>;

/// Decrypts an encrypted part (Telegram Desktop's `DecryptLocal`, spec/tdata.md §5.2) and
/// gives the data after its 4-byte length, up to that length. `what` names the part in
/// errors. A failed SHA-1 check is [`TdataErrorKind::Decryption`]; the caller that tried a
/// passcode turns it into a wrong or missing passcode.
pub fn decrypt_local(
    encrypted: &[u8],
    key: &AuthKey,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, TdataErrorKind> {
    if encrypted.len() <= 16 || !encrypted.len().is_multiple_of(16) {
        return Err(TdataErrorKind::EncryptedSize {
            what,
            len: encrypted.len(),
        });
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&encrypted[..16]);
    let (aes_key, iv) = key_and_iv(key, &msg_key);
    let mut plain = Zeroizing::new(encrypted[16..].to_vec());
    let mut ige = IgeDecrypt::new(
        GenericArray::from_slice(aes_key.as_slice()),
        GenericArray::from_slice(iv.as_slice()),
    );
    for block in plain.chunks_exact_mut(16) {
        ige.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    if Sha1::digest(plain.as_slice())[..16] != msg_key {
        return Err(TdataErrorKind::Decryption { what });
    }
    let full = plain.len();
    let stated = u32::from_le_bytes([plain[0], plain[1], plain[2], plain[3]]);
    let len = stated as usize;
    // Telegram Desktop's bounds: the length counts itself, fits the decrypted bytes, and
    // leaves less than one block of padding.
    if len > full || len + 16 <= full || len < 4 {
        return Err(TdataErrorKind::DecryptedSize {
            what,
            stated,
            decrypted: full,
        });
    }
    plain.truncate(len);
    plain.drain(..4);
    Ok(plain)
}

/// Encrypts `data` as Telegram Desktop's `PrepareEncrypted` does (spec/tdata.md §5.1): its
/// length plus 4 as a little-endian `u32`, the data, `fill`ed padding to a whole block; then
/// the first 16 bytes of that plaintext's SHA-1 and the plaintext in AES-256-IGE.
pub fn encrypt_local(data: &[u8], key: &AuthKey, fill: &mut dyn FnMut(&mut [u8])) -> Vec<u8> {
    let size = data.len() + 4;
    let padded = size.div_ceil(16) * 16;
    let mut plain = Zeroizing::new(vec![0u8; padded]);
    // The parts this crate writes are a few hundred bytes.
    plain[..4].copy_from_slice(&(size as u32).to_le_bytes());
    plain[4..size].copy_from_slice(data);
    fill(&mut plain[size..]);
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&Sha1::digest(plain.as_slice())[..16]);
    let (aes_key, iv) = key_and_iv(key, &msg_key);
    let mut ige = IgeEncrypt::new(
        GenericArray::from_slice(aes_key.as_slice()),
        GenericArray::from_slice(iv.as_slice()),
    );
    for block in plain.chunks_exact_mut(16) {
        ige.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    let mut out = Vec::with_capacity(16 + padded);
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plain);
    plain.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> AuthKey {
        let mut k = [0u8; 256];
        for (i, b) in k.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(7).wrapping_add(seed);
        }
        AuthKey::new(k)
    }

    #[test]
    fn encrypted_data_decrypts_back_for_every_length_and_not_with_another_key() {
        for len in 0..70u8 {
            let data: Vec<u8> = (0..len).collect();
            let enc = encrypt_local(&data, &key(1), &mut |p| p.fill(0xaa));
            assert_eq!(enc.len() % 16, 0);
            assert_eq!(
                decrypt_local(&enc, &key(1), "x").unwrap().as_slice(),
                &data[..]
            );
            assert!(matches!(
                decrypt_local(&enc, &key(2), "x"),
                Err(TdataErrorKind::Decryption { what: "x" })
            ));
        }
    }

    #[test]
    fn sizes_telegram_desktop_refuses_are_refused() {
        assert!(matches!(
            decrypt_local(&[0; 16], &key(1), "x"),
            Err(TdataErrorKind::EncryptedSize { len: 16, .. })
        ));
        assert!(matches!(
            decrypt_local(&[0; 40], &key(1), "x"),
            Err(TdataErrorKind::EncryptedSize { len: 40, .. })
        ));
    }

    /// PBKDF2-HMAC-SHA1 with 4 rounds against RFC 6070's published vector (4096 rounds of
    /// "password"/"salt" gives 4b007901…); here the first 20 bytes of the 1-round vector.
    #[test]
    fn the_legacy_derivation_is_pbkdf2_hmac_sha1() {
        // RFC 6070: P = "password", S = "salt", c = 1 → 0c60c80f961f0e71f3a9b524af6012062fe037a6.
        let mut out = [0u8; 20];
        pbkdf2::pbkdf2_hmac::<Sha1>(b"password", b"salt", 1, &mut out);
        assert_eq!(
            out,
            [
                0x0c, 0x60, 0xc8, 0x0f, 0x96, 0x1f, 0x0e, 0x71, 0xf3, 0xa9, 0xb5, 0x24, 0xaf, 0x60,
                0x12, 0x06, 0x2f, 0xe0, 0x37, 0xa6
            ]
        );
        // Without a passcode the legacy key takes 4 rounds, with one 4,000: they differ.
        assert_ne!(
            create_legacy_local_key(b"", b"salt").as_bytes(),
            derive(b"", b"salt", 1, false).as_bytes()
        );
    }
}
