//! The damaged Telegram Desktop folders of spec/damaged-inputs.md §6: each made from a folder
//! opentele-ng wrote (spec/fixtures/tdata/), read with `convert::tdata::read_folder`, and
//! compared with the table word for word; the folder is left as it was.

use std::path::{Path, PathBuf};

use pyrosession::convert::tdata::{self, Passcode, ReadOptions, TdataError};
use pyrosession::AuthKey;

use super::util::{self, TempDir};

const PASSCODE: &str = "correct horse battery staple";

fn fixture(name: &str) -> PathBuf {
    util::root().join("spec/fixtures/tdata").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// A copy of the fixture `name` at `{dir}/tdata`.
fn copied(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join("tdata");
    copy_dir(&fixture(name), &p);
    p
}

/// The byte arrays of a `QDataStream`.
fn arrays(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let n = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
        let n = if n == u32::MAX as usize { 0 } else { n };
        out.push(data[4..4 + n].to_vec());
        data = &data[4 + n..];
    }
    out
}

fn stream(arrays: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in arrays {
        out.extend_from_slice(&(a.len() as u32).to_be_bytes());
        out.extend_from_slice(a);
    }
    out
}

/// The arrays of the file at `path` (its container checked).
fn file_arrays(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    arrays(tdata::parse_container(&bytes).unwrap().data)
}

/// Rewrites the file at `path` with `arrays` in a valid container.
fn rewrite(path: &Path, arrays: &[&[u8]]) {
    std::fs::write(path, tdata::compose_container(3_004_000, &stream(arrays))).unwrap();
}

/// The local key of a folder without a passcode.
fn local_key(folder: &Path) -> AuthKey {
    let a = file_arrays(&folder.join("key_datas"));
    let passcode_key = tdata::create_local_key(b"", &a[0]);
    let inner = tdata::decrypt_local(&a[1], &passcode_key, "key").unwrap();
    AuthKey::from_slice(&inner).unwrap()
}

fn encrypt(plain: &[u8], key: &AuthKey) -> Vec<u8> {
    tdata::encrypt_local(plain, key, &mut |p| p.fill(0))
}

/// Replaces the first account's MTP data with `plain`, encrypted with the local key.
fn with_mtp_data(dir: &Path, plain: &[u8]) -> PathBuf {
    let p = copied(dir, "opentele-1.5.0");
    let key = local_key(&p);
    rewrite(&p.join("D877F783D5D3EF8Cs"), &[&encrypt(plain, &key)]);
    p
}

/// The first account's decrypted MTP data.
fn mtp_plain(folder: &Path) -> Vec<u8> {
    let key = local_key(folder);
    let a = file_arrays(&folder.join("D877F783D5D3EF8Cs"));
    tdata::decrypt_local(&a[0], &key, "mtp").unwrap().to_vec()
}

/// An authorization block of the wide layout: user 123456789, `main_dc`, keys for `dcs`.
fn authorization(main_dc: i32, dcs: &[i32]) -> Vec<u8> {
    let mut a = vec![0xff; 8];
    a.extend_from_slice(&123_456_789u64.to_be_bytes());
    a.extend_from_slice(&main_dc.to_be_bytes());
    a.extend_from_slice(&i32::try_from(dcs.len()).unwrap().to_be_bytes());
    for dc in dcs {
        a.extend_from_slice(&dc.to_be_bytes());
        a.extend_from_slice(&[9; 256]);
    }
    a.extend_from_slice(&0i32.to_be_bytes());
    let mut plain = 0x4bu32.to_be_bytes().to_vec();
    plain.extend_from_slice(&(a.len() as u32).to_be_bytes());
    plain.extend_from_slice(&a);
    plain
}

fn set_modified(path: &Path, seconds_ago: u64) {
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(seconds_ago);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

fn flip_last_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(path, bytes).unwrap();
}

/// `opentele2-2.0.0-passcode` at `{dir}/tdata` with the `u32` at `at` of its key data trailer
/// set to `value` (spec/tdata.md §13), the key file recomposed; the second array stays null, as
/// opentele2 wrote it.
fn with_trailer_u32(dir: &Path, at: usize, value: u32) -> PathBuf {
    let p = copied(dir, "opentele2-2.0.0-passcode");
    let a = file_arrays(&p.join("key_datas"));
    let mut trailer = a[3].clone();
    assert_eq!(&trailer[..4], b"KD2\0");
    trailer[at..at + 4].copy_from_slice(&value.to_be_bytes());
    let mut data = stream(&[&a[0]]);
    data.extend_from_slice(&u32::MAX.to_be_bytes());
    data.extend_from_slice(&stream(&[&a[2], &trailer]));
    std::fs::write(
        p.join("key_datas"),
        tdata::compose_container(7_003_001, &data),
    )
    .unwrap();
    p
}

/// Makes the folder a row names in `dir`: its path, and the passcode to read it with.
#[allow(clippy::too_many_lines)] // one arm per row
fn make(id: &str, dir: &Path) -> (PathBuf, Option<&'static str>) {
    let folder = match id {
        "tdata-not-a-folder" => {
            let p = dir.join("tdata");
            std::fs::write(&p, b"not a folder").unwrap();
            p
        }
        "tdata-no-folder" => dir.join("tdata"),
        "tdata-folder-link" => {
            let real = copied(&dir.join("real"), "opentele-1.5.0");
            let p = dir.join("link");
            std::os::unix::fs::symlink(real, &p).unwrap();
            p
        }
        "tdata-no-key-file" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::remove_file(p.join("key_datas")).unwrap();
            p
        }
        "tdata-key-file-fifo" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::remove_file(p.join("key_datas")).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(p.join("key_datas"))
                .status()
                .unwrap();
            assert!(made.success());
            p
        }
        "tdata-mtp-data-socket" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::remove_file(p.join("D877F783D5D3EF8Cs")).unwrap();
            // The socket's file stays when the listener is dropped.
            drop(std::os::unix::net::UnixListener::bind(p.join("D877F783D5D3EF8Cs")).unwrap());
            p
        }
        "tdata-bad-magic" => {
            let p = copied(dir, "opentele-1.5.0");
            let mut bytes = std::fs::read(p.join("key_datas")).unwrap();
            bytes[..4].copy_from_slice(b"SQLi");
            std::fs::write(p.join("key_datas"), bytes).unwrap();
            p
        }
        "tdata-wrong-md5" => {
            let p = copied(dir, "opentele-1.5.0");
            flip_last_byte(&p.join("key_datas"));
            p
        }
        "tdata-cut-short" => {
            let p = copied(dir, "opentele-1.5.0");
            let bytes = std::fs::read(p.join("key_datas")).unwrap();
            std::fs::write(p.join("key_datas"), &bytes[..12]).unwrap();
            p
        }
        "tdata-truncated-key-data" => {
            let p = copied(dir, "opentele-1.5.0");
            let a = file_arrays(&p.join("key_datas"));
            let mut data = stream(&[&a[0]]);
            data.extend_from_slice(&1000u32.to_be_bytes());
            data.extend_from_slice(&a[1][..10]);
            std::fs::write(
                p.join("key_datas"),
                tdata::compose_container(3_004_000, &data),
            )
            .unwrap();
            p
        }
        "tdata-short-salt" => {
            let p = copied(dir, "opentele-1.5.0");
            let a = file_arrays(&p.join("key_datas"));
            rewrite(&p.join("key_datas"), &[&a[0][..16], &a[1], &a[2]]);
            p
        }
        "tdata-passcode-needed" => return (copied(dir, "opentele-1.5.0-passcode"), None),
        "tdata-7.3-no-passcode" => copied(dir, "opentele2-2.0.0"),
        "tdata-7.3-passcode" => {
            return (copied(dir, "opentele2-2.0.0-passcode"), Some(PASSCODE));
        }
        "tdata-7.3-passcode-needed" => return (copied(dir, "opentele2-2.0.0-passcode"), None),
        "tdata-7.3-wrong-passcode" => {
            return (
                copied(dir, "opentele2-2.0.0-passcode"),
                Some("Correct horse battery staple"),
            )
        }
        // The trailer's fifth `u32` (the wrap's family), or the Argon2id memory after it.
        "tdata-7.3-kdf-family-3" => with_trailer_u32(dir, 16, 3),
        "tdata-7.3-argon2-memory" => {
            return (with_trailer_u32(dir, 24, u32::MAX), Some(PASSCODE));
        }
        "tdata-wrong-passcode" => {
            return (
                copied(dir, "opentele-1.5.0-passcode"),
                Some("Correct horse battery staple"),
            )
        }
        "tdata-account-count" => {
            let p = copied(dir, "opentele-1.5.0");
            let key = local_key(&p);
            let a = file_arrays(&p.join("key_datas"));
            let mut info = 7i32.to_be_bytes().to_vec();
            for i in 0..7i32 {
                info.extend_from_slice(&i.to_be_bytes());
            }
            rewrite(&p.join("key_datas"), &[&a[0], &a[1], &encrypt(&info, &key)]);
            p
        }
        "tdata-no-mtp-data" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::remove_file(p.join("D877F783D5D3EF8Cs")).unwrap();
            p
        }
        "tdata-no-map" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::remove_file(p.join("D877F783D5D3EF8C/maps")).unwrap();
            p
        }
        "tdata-damaged-mtp-data" => {
            let p = copied(dir, "opentele-1.5.0");
            let mut a = file_arrays(&p.join("D877F783D5D3EF8Cs"));
            a[0][40] ^= 1;
            rewrite(&p.join("D877F783D5D3EF8Cs"), &[&a[0]]);
            p
        }
        "tdata-unknown-block" => {
            let mut plain = 0x4cu32.to_be_bytes().to_vec();
            plain.extend_from_slice(&mtp_plain(&copied(&dir.join("src"), "opentele-1.5.0")));
            with_mtp_data(dir, &plain)
        }
        "tdata-truncated-authorization" => {
            let mut plain = authorization(2, &[2]);
            // The block says it holds 284 bytes; it keeps 100 of them.
            plain.truncate(8 + 100);
            plain[4..8].copy_from_slice(&100u32.to_be_bytes());
            with_mtp_data(dir, &plain)
        }
        "tdata-no-main-key" => with_mtp_data(dir, &authorization(3, &[2, 4])),
        "tdata-s-damaged-0-good" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::copy(p.join("key_datas"), p.join("key_data0")).unwrap();
            flip_last_byte(&p.join("key_datas"));
            p
        }
        "tdata-1-newer-damaged-0-good" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::rename(p.join("key_datas"), p.join("key_data0")).unwrap();
            std::fs::copy(p.join("key_data0"), p.join("key_data1")).unwrap();
            flip_last_byte(&p.join("key_data1"));
            set_modified(&p.join("key_data0"), 3600);
            p
        }
        "tdata-key-files-of-two-names" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::rename(p.join("key_datas"), p.join("key_works")).unwrap();
            std::fs::copy(p.join("key_works"), p.join("key_home0")).unwrap();
            p
        }
        "tdata-key-file-of-one-other-name" => {
            let p = copied(dir, "opentele-1.5.0");
            std::fs::rename(p.join("key_datas"), p.join("key_works")).unwrap();
            p
        }
        other => panic!("no maker for tdata row {other}"),
    };
    (folder, None)
}

/// `Kind: message` with the directory written as `{dir}`, or `ok` and the accounts read.
fn outcome(result: Result<tdata::Tdata, TdataError>, dir: &Path) -> String {
    match result {
        Ok(t) => {
            let accounts: Vec<String> = t
                .accounts
                .iter()
                .map(|a| {
                    format!(
                        "account {}: user {} on DC {}",
                        a.index, a.authorization.user_id, a.authorization.main_dc
                    )
                })
                .collect();
            format!("ok; {}", accounts.join("; "))
        }
        Err(e) => {
            let debug = format!("{:?}", e.kind());
            let name = debug.split([' ', '(', '{']).next().unwrap_or("").to_owned();
            format!(
                "{name}: {}",
                e.to_string().replace(&dir.display().to_string(), "{dir}")
            )
        }
    }
}

/// Every row of §6 gives what the table says, and leaves the folder as it was.
#[test]
fn every_damaged_tdata_folder_gets_what_the_table_says() {
    let rows = super::rows("6");
    assert!(rows.len() >= 15, "the tdata table has {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let (id, want) = (&row[0], &row[2]);
        let dir = TempDir::new("damaged-tdata");
        let (path, passcode) = make(id, &dir.0);
        let passcode = passcode.map(|p| Passcode::new(p.as_bytes().to_vec()));
        let before = super::snapshot(&dir.0);
        let options = ReadOptions {
            passcode: passcode.as_ref(),
            ..ReadOptions::default()
        };
        let got = outcome(tdata::read_folder(&path, &options), &dir.0);
        if &got != want {
            failures.push(format!("{id}:\n  table: {want}\n  got:   {got}"));
        }
        if super::snapshot(&dir.0) != before {
            failures.push(format!("{id}: reading changed the folder"));
        }
        assert!(!got.contains(PASSCODE) && !got.contains("Correct horse"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
