//! Fuzzes the reader of Telegram Desktop folders (spec/tdata.md): the container, the stream
//! parser, the decryption and its checks, the account list and the MTP data. The first byte
//! chooses where the rest goes: 0, every file of a folder as raw bytes (the container and the
//! MD5 check); 1, the decrypted MTP data of an otherwise valid folder; 2, its decrypted account
//! list; 3, its encrypted local key (the passcode check); 4, Telegram Desktop 7.3's key data
//! trailer (`KD2\0` and the rest; spec/tdata.md §13), its wraps parsed and bounded. Mode 4
//! reads without a passcode, so a wrap in use stops at `PasscodeNeeded` before Argon2id, which
//! costs up to seconds an input within its bounds by design. A folder the reader accepts obeys the
//! round-trip law: its logins written again read back the same.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pyrosession::convert::tdata::{self, Image, Login, ReadOptions, WriteOptions};
use pyrosession::AuthKey;

const SALT: [u8; 32] = [7; 32];

fn array(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

struct Keys {
    local: AuthKey,
    passcode: AuthKey,
}

/// The folder's keys, derived once (one PBKDF2 round: no passcode).
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        local: AuthKey::new([0x5a; 256]),
        passcode: tdata::create_local_key(b"", &SALT),
    })
}

fn encrypt(data: &[u8], key: &AuthKey) -> Vec<u8> {
    tdata::encrypt_local(data, key, &mut |p| p.fill(0))
}

/// The valid folder with its key file's second array null and a fourth, `KD2\0` and `trailer`:
/// a folder of Telegram Desktop 7.3's layout with the trailer given.
fn with_trailer(trailer: &[u8]) -> Image {
    let mut image = folder(None, None, None);
    let mut key_data = Vec::new();
    array(&mut key_data, &SALT);
    key_data.extend_from_slice(&u32::MAX.to_be_bytes());
    array(
        &mut key_data,
        &encrypt(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], &keys().local),
    );
    array(&mut key_data, &[b"KD2\0", trailer].concat());
    image.insert("key_datas", tdata::compose_container(1, &key_data), None);
    image
}

/// A folder of one account whose parts are `mtp`, `info` and `local` (plaintexts), or the
/// valid ones where `None`.
fn folder(mtp: Option<&[u8]>, info: Option<&[u8]>, local: Option<&[u8]>) -> Image {
    let k = keys();
    let valid_mtp = {
        let mut block = vec![0xff; 8];
        block.extend_from_slice(&123_456_789u64.to_be_bytes());
        block.extend_from_slice(&2i32.to_be_bytes());
        block.extend_from_slice(&1i32.to_be_bytes());
        block.extend_from_slice(&2i32.to_be_bytes());
        block.extend_from_slice(&[3; 256]);
        block.extend_from_slice(&0i32.to_be_bytes());
        let mut plain = 0x4bu32.to_be_bytes().to_vec();
        array(&mut plain, &block);
        plain
    };
    let valid_info = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut key_data = Vec::new();
    array(&mut key_data, &SALT);
    array(
        &mut key_data,
        &encrypt(local.unwrap_or(k.local.as_bytes()), &k.passcode),
    );
    array(
        &mut key_data,
        &encrypt(info.unwrap_or(&valid_info), &k.local),
    );
    let mut map = vec![0xff; 8];
    array(&mut map, &encrypt(&[], &k.local));
    let mut mtp_file = Vec::new();
    array(&mut mtp_file, &encrypt(mtp.unwrap_or(&valid_mtp), &k.local));
    let mut image = Image::new();
    image.insert("key_datas", tdata::compose_container(1, &key_data), None);
    image.insert(
        "D877F783D5D3EF8C/maps",
        tdata::compose_container(1, &map),
        None,
    );
    image.insert(
        "D877F783D5D3EF8Cs",
        tdata::compose_container(1, &mtp_file),
        None,
    );
    image
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let image = match mode % 5 {
        0 => {
            // Raw files: the rest cut in three at its first two 0xFE bytes.
            let mut parts = rest.split(|&b| b == 0xfe);
            let mut image = Image::new();
            for name in ["key_datas", "D877F783D5D3EF8Cs", "D877F783D5D3EF8C/maps"] {
                image.insert(name, parts.next().unwrap_or_default().to_vec(), None);
            }
            image
        }
        1 => folder(Some(rest), None, None),
        2 => folder(None, Some(rest), None),
        3 => folder(None, None, Some(rest)),
        _ => with_trailer(rest),
    };
    let Ok(read) = tdata::read_image(&image, &ReadOptions::default()) else {
        return;
    };
    assert!(!read.accounts.is_empty());
    let logins: Vec<Login> = read
        .accounts
        .iter()
        .map(|a| Login {
            authorization: a.authorization.clone(),
        })
        .collect();
    for account in &read.accounts {
        let _ = account.to_account();
    }
    let again = tdata::compose(&logins, &WriteOptions::default()).expect("1 to 6 accounts");
    let back = tdata::read_image(&again, &ReadOptions::default()).expect("what was written reads");
    let mut want: Vec<_> = logins.iter().map(|l| l.authorization.clone()).collect();
    for a in &mut want {
        a.wide_ids = true;
    }
    let got: Vec<_> = back
        .accounts
        .iter()
        .map(|a| a.authorization.clone())
        .collect();
    assert_eq!(got, want);
});
