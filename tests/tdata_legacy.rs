//! The legacy layout of Telegram Desktop folders (spec/tdata.md §4.2, §8.2): a folder of Telegram
//! Desktop before 2.2, with no key file, whose first account's `map` holds the local key under
//! a key derived from the passcode by PBKDF2-HMAC-SHA1.
//!
//! No library this crate is checked against writes such a folder (spec/tdata.md §11 lists those
//! examined), so the folders here are built by this test alone, from the spec's description,
//! and are no real writer's output. What makes the check independent of the crate is the key:
//! each folder's legacy key is the one Python's hashlib computed
//! (`spec/vectors/tdata_legacy_key.json`, made by `spec/oracle/tdata_legacy_key.py`), so the crate
//! opens the folder only where its own derivation gives the same 256 bytes.

mod util;

use std::path::Path;

use pyrosession::convert::tdata::{
    self, read_folder, Layout, Passcode, ReadOptions, TdataErrorKind,
};
use pyrosession::AuthKey;
use util::TempDir;

/// The first account's file part (spec/tdata.md §6.1): MD5("data") nibble-swapped.
const PART: &str = "D877F783D5D3EF8C";
/// Telegram Desktop 2.1.0, the last release before the accounts layout.
const VERSION: i32 = 2_001_000;

struct Vector {
    passcode: Option<String>,
    salt: Vec<u8>,
    rounds: u64,
    key: AuthKey,
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "hex of odd length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The keys hashlib derived: [no passcode (4 rounds), a passcode (4,000 rounds)].
fn vectors() -> [Vector; 2] {
    let entries = util::vectors("tdata_legacy_key");
    assert_eq!(entries.len(), 3, "provenance and two keys");
    let v = |e: &serde_json::Value| Vector {
        passcode: e["passcode"].as_str().map(str::to_owned),
        salt: unhex(e["salt"].as_str().expect("salt")),
        rounds: e["rounds"].as_u64().expect("rounds"),
        key: AuthKey::from_slice(&unhex(e["key"].as_str().expect("key"))).expect("256 bytes"),
    };
    [v(&entries[1]), v(&entries[2])]
}

/// A `QByteArray` in a `QDataStream` (spec/tdata.md §2): its length as a big-endian `u32`.
fn byte_array(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Padding that is not zeros, so that a reader that trusted it would be caught.
fn fill(buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = 0xA5 ^ (i as u8);
    }
}

/// What the MTP data file of a legacy folder holds (spec/tdata.md §7).
enum Mtp {
    /// `dbiMtpAuthorization` in the legacy layout: the user id and main data center as `i32`.
    Authorization,
    /// `dbiUser` and a `dbiKey` per data center, as the oldest releases wrote them.
    UserAndKeyBlocks,
}

/// Builds, as spec/tdata.md §8.2 describes it, a legacy folder at `dir`: no key file;
/// `D877F783D5D3EF8C/maps` holds the salt, the local key encrypted under `legacy_key` and an
/// empty map encrypted under the local key; `D877F783D5D3EF8Cs` the MTP data under the local key.
fn legacy_folder(
    dir: &Path,
    salt: &[u8],
    legacy_key: &AuthKey,
    local_key: &AuthKey,
    login: (i32, i32, &[(i32, AuthKey)]),
    mtp: &Mtp,
) {
    let (user_id, main_dc, keys) = login;
    std::fs::create_dir_all(dir.join(PART)).unwrap();
    let mut map = Vec::new();
    byte_array(&mut map, salt);
    byte_array(
        &mut map,
        &tdata::encrypt_local(local_key.as_bytes(), legacy_key, &mut fill),
    );
    byte_array(&mut map, &tdata::encrypt_local(&[], local_key, &mut fill));
    std::fs::write(
        dir.join(PART).join("maps"),
        tdata::compose_container(VERSION, &map),
    )
    .unwrap();

    let mut plain = Vec::new();
    match mtp {
        Mtp::Authorization => {
            let mut auth = Vec::new();
            auth.extend_from_slice(&user_id.to_be_bytes());
            auth.extend_from_slice(&main_dc.to_be_bytes());
            auth.extend_from_slice(&i32::try_from(keys.len()).unwrap().to_be_bytes());
            for (dc, key) in keys {
                auth.extend_from_slice(&dc.to_be_bytes());
                auth.extend_from_slice(key.as_bytes());
            }
            auth.extend_from_slice(&0i32.to_be_bytes()); // no keys to destroy
            plain.extend_from_slice(&0x4bu32.to_be_bytes());
            byte_array(&mut plain, &auth);
        }
        Mtp::UserAndKeyBlocks => {
            plain.extend_from_slice(&0x01u32.to_be_bytes());
            plain.extend_from_slice(&user_id.to_be_bytes());
            plain.extend_from_slice(&main_dc.to_be_bytes());
            for (dc, key) in keys {
                plain.extend_from_slice(&0x00u32.to_be_bytes());
                plain.extend_from_slice(&dc.to_be_bytes());
                plain.extend_from_slice(key.as_bytes());
            }
        }
    }
    let mut data = Vec::new();
    byte_array(
        &mut data,
        &tdata::encrypt_local(&plain, local_key, &mut fill),
    );
    std::fs::write(
        dir.join(format!("{PART}s")),
        tdata::compose_container(VERSION, &data),
    )
    .unwrap();
}

fn key(seed: u8) -> AuthKey {
    let mut k = [0u8; 256];
    for (i, b) in k.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(13).wrapping_add(seed);
    }
    AuthKey::new(k)
}

/// The crate's legacy derivation gives hashlib's bytes, with the rounds of `config.h`.
#[test]
fn the_legacy_key_is_hashlibs_pbkdf2_hmac_sha1() {
    let [none, some] = vectors();
    assert_eq!(none.passcode, None);
    assert_eq!(none.rounds, u64::from(tdata::LEGACY_NO_PASSCODE_ITERATIONS));
    assert_eq!(none.rounds, 4);
    assert_eq!(some.rounds, u64::from(tdata::LEGACY_ITERATIONS));
    assert_eq!(some.rounds, 4_000);
    for v in [&none, &some] {
        let passcode = v.passcode.as_deref().unwrap_or("");
        assert_eq!(
            tdata::create_legacy_local_key(passcode.as_bytes(), &v.salt).as_bytes(),
            v.key.as_bytes(),
            "passcode {:?}",
            v.passcode
        );
    }
}

/// A legacy folder without a passcode (its key: 4 rounds) is read as the legacy layout, one
/// account, with the user id, main data center and keys it was built with, whether its MTP data
/// is an authorization block or the oldest user and key blocks.
#[test]
fn a_legacy_folder_without_a_passcode_is_read() {
    let [none, _] = vectors();
    let dir = TempDir::new("tdata-legacy");
    let keys = [(2, key(1)), (4, key(2))];
    for (name, mtp) in [
        ("authorization", Mtp::Authorization),
        ("blocks", Mtp::UserAndKeyBlocks),
    ] {
        let folder = dir.join(name);
        legacy_folder(
            &folder,
            &none.salt,
            &none.key,
            &key(9),
            (123_456_789, 2, &keys),
            &mtp,
        );
        let read =
            read_folder(&folder, &ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.layout, Layout::Legacy, "{name}");
        assert_eq!(read.version, VERSION, "{name}");
        assert!(!read.passcode, "{name}");
        assert!(read.warnings.is_empty(), "{name}: {:?}", read.warnings);
        assert_eq!(read.accounts.len(), 1, "{name}");
        let a = &read.accounts[0];
        assert_eq!(a.index, 0);
        assert_eq!(a.authorization.user_id, 123_456_789, "{name}");
        assert_eq!(a.authorization.main_dc, 2, "{name}");
        let got: Vec<(i32, &[u8; 256])> = a
            .authorization
            .keys
            .iter()
            .map(|k| (k.dc_id, k.key.as_bytes()))
            .collect();
        let want: Vec<(i32, &[u8; 256])> = keys.iter().map(|(d, k)| (*d, k.as_bytes())).collect();
        assert_eq!(got, want, "{name}");
        let hub = read.first_account().unwrap();
        assert_eq!((hub.dc_id, hub.user_id), (2, Some(123_456_789)), "{name}");
        assert_eq!(hub.auth_key.as_bytes(), key(1).as_bytes(), "{name}");
    }
}

/// A legacy folder under a passcode (its key: 4,000 rounds) asks for it, refuses a wrong one,
/// and opens with the right one.
#[test]
fn a_legacy_folder_with_a_passcode_needs_it() {
    let [_, some] = vectors();
    let dir = TempDir::new("tdata-legacy-passcode");
    let folder = dir.join("folder");
    let keys = [(5, key(3))];
    legacy_folder(
        &folder,
        &some.salt,
        &some.key,
        &key(10),
        (987_654_321, 5, &keys),
        &Mtp::Authorization,
    );
    let open = |passcode: Option<&str>| {
        let passcode = passcode.map(|p| Passcode::new(p.as_bytes().to_vec()));
        read_folder(
            &folder,
            &ReadOptions {
                passcode: passcode.as_ref(),
                ..ReadOptions::default()
            },
        )
    };
    let e = open(None).unwrap_err();
    assert!(matches!(e.kind(), TdataErrorKind::PasscodeNeeded), "{e:?}");
    assert_eq!(e.path(), Some(folder.join(PART).join("maps").as_path()));
    let e = open(Some("passcode")).unwrap_err();
    assert!(matches!(e.kind(), TdataErrorKind::WrongPasscode), "{e:?}");
    let read = open(some.passcode.as_deref()).unwrap();
    assert_eq!(read.layout, Layout::Legacy);
    assert!(read.passcode);
    assert_eq!(read.accounts[0].authorization.user_id, 987_654_321);
    assert_eq!(read.accounts[0].authorization.main_dc, 5);
}

/// The command reads a legacy folder as any other: it is a Telegram Desktop folder by its map,
/// and `inspect` reports the account's user id and data center.
#[test]
fn the_command_inspects_a_legacy_folder() {
    let [none, _] = vectors();
    let dir = TempDir::new("tdata-legacy-command");
    let folder = dir.join("folder");
    legacy_folder(
        &folder,
        &none.salt,
        &none.key,
        &key(11),
        (55_555, 3, &[(3, key(4))]),
        &Mtp::Authorization,
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .arg("inspect")
        .arg(&folder)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("user_id      55555"), "{text}");
    assert!(text.contains("dc_id        3"), "{text}");
    assert!(text.contains("Telegram Desktop 2.1.0"), "{text}");
}

/// The folders `spec/oracle/tdata_legacy_opentele2.py` assembled (`spec/fixtures/tdata/legacy-*`,
/// manifest in `legacy-manifest.json`): a second construction, in Python, whose legacy key and
/// encrypted parts real opentele2 2.0.0 made. Each reads as the legacy layout with the login the
/// manifest records, the protected one with its passcode only; nothing in the folder changes.
#[test]
fn folders_made_with_opentele2s_primitives_are_read() {
    let fixtures = util::root().join("spec/fixtures/tdata");
    let manifest: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("legacy-manifest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest[0].as_str().unwrap().contains("opentele2 2.0.0"),
        "provenance first"
    );
    assert_eq!(manifest.len(), 3);
    for entry in &manifest[1..] {
        let name = entry["folder"].as_str().unwrap();
        let folder = fixtures.join(name);
        let before = std::fs::read(folder.join(format!("{PART}s"))).unwrap();
        let passcode = entry["passcode"]
            .as_str()
            .map(|p| Passcode::new(p.as_bytes().to_vec()));
        if passcode.is_some() {
            let e = read_folder(&folder, &ReadOptions::default()).unwrap_err();
            assert!(
                matches!(e.kind(), TdataErrorKind::PasscodeNeeded),
                "{name}: {e:?}"
            );
        }
        let read = read_folder(
            &folder,
            &ReadOptions {
                passcode: passcode.as_ref(),
                ..ReadOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.layout, Layout::Legacy, "{name}");
        assert_eq!(
            i64::from(read.version),
            entry["file_version"].as_i64().unwrap(),
            "{name}"
        );
        assert_eq!(read.passcode, passcode.is_some(), "{name}");
        let a = &read.accounts[0].authorization;
        assert_eq!(a.user_id, entry["user_id"].as_u64().unwrap(), "{name}");
        assert_eq!(
            i64::from(a.main_dc),
            entry["main_dc"].as_i64().unwrap(),
            "{name}"
        );
        let got: Vec<(i64, Vec<u8>)> = a
            .keys
            .iter()
            .map(|k| (i64::from(k.dc_id), k.key.as_bytes().to_vec()))
            .collect();
        let want: Vec<(i64, Vec<u8>)> = entry["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["dc_id"].as_i64().unwrap(),
                    unhex(k["key"].as_str().unwrap()),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            std::fs::read(folder.join(format!("{PART}s"))).unwrap(),
            before,
            "{name}: read only"
        );
    }
}
