//! The real libraries read what the crate makes (spec/conversions.md §10.3): Telethon 1.45.0
//! reads its strings and files, GramJS 2.26.22 its strings, and each yields the same key, dc,
//! address and port (and, for files, entities); Pyrogram 2.0.106 reads the Pyrogram files the
//! crate converts from the other formats.
//!
//! Ignored by default; run with the libraries installed (see .ci/run):
//!
//! ```text
//! PYROSESSION_TELETHON_PYTHON=/path/to/venv/bin/python \
//! PYROSESSION_GRAMJS_DIR=/path/with/node_modules \
//! PYROSESSION_PYTHON=/path/to/pyrogram-venv/bin/python \
//!     cargo test --test convert_interop -- --ignored
//! ```

mod util;

#[path = "convert_support/telethon_versions.rs"]
mod telethon_versions;

use std::path::Path;
use std::process::Command;

use pyrosession::convert::{
    self, dc, read_path, read_text, render, write_file, Account, Options, Target,
};
use pyrosession::string::{encode, Format};
use pyrosession::{AuthKey, Session};
use serde_json::Value;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name} (see the module's docs)"))
}

fn telethon(args: &[&str]) -> Value {
    let out = Command::new(env("PYROSESSION_TELETHON_PYTHON"))
        .arg(util::root().join("spec/oracle/telethon_sessions.py"))
        .args(args)
        .output()
        .expect("run Telethon");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the oracle")
}

fn gramjs(args: &[&str]) -> Value {
    let dir = Path::new(&env("PYROSESSION_GRAMJS_DIR")).join("node_modules");
    let out = Command::new("node")
        .env("NODE_PATH", dir)
        .arg(util::root().join("spec/oracle/gramjs_sessions.js"))
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the oracle")
}

/// Sessions on every data center of the table, test and production, with distinct keys.
fn sessions() -> Vec<Session> {
    dc::TABLE
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut key = [0u8; 256];
            for (j, b) in key.iter_mut().enumerate() {
                *b = (j * 7 + i * 13 + 1) as u8;
            }
            Session {
                dc_id: d.dc_id,
                api_id: Some(12345),
                test_mode: d.test_mode,
                auth_key: AuthKey::new(key),
                user_id: 123_456_789,
                is_bot: false,
            }
        })
        .collect()
}

fn expect(v: &Value, dc_id: u8, address: &str, port: u16, key: &AuthKey) {
    assert_eq!(v["dc_id"], dc_id, "{v}");
    assert_eq!(v["server_address"], address, "{v}");
    assert_eq!(v["port"], port, "{v}");
    assert_eq!(v["auth_key"], key.to_hex().as_str(), "dc {dc_id} {address}");
}

#[test]
#[ignore = "needs real Telethon 1.45.0: PYROSESSION_TELETHON_PYTHON"]
fn telethon_reads_the_strings_the_crate_makes() {
    for s in sessions() {
        let entry = dc::lookup(s.dc_id, s.test_mode).unwrap();
        for (ipv6, address) in [(false, entry.ipv4), (true, entry.ipv6)] {
            let account = read_text(&encode(&s, Format::V2).unwrap()).unwrap();
            let options = Options {
                ipv6,
                ..Options::default()
            };
            let t = render(&account, Target::Telethon, &options).unwrap();
            let v = telethon(&["read", &t.text]);
            expect(&v["telethon"], s.dc_id, address, 443, &s.auth_key);
        }
    }
}

#[test]
#[ignore = "needs real GramJS 2.26.22: PYROSESSION_GRAMJS_DIR"]
fn gramjs_reads_the_strings_the_crate_makes() {
    for s in sessions() {
        let entry = dc::lookup(s.dc_id, s.test_mode).unwrap();
        for (ipv6, address) in [(false, entry.ipv4), (true, entry.ipv6)] {
            let account = read_text(&encode(&s, Format::V2).unwrap()).unwrap();
            let options = Options {
                ipv6,
                ..Options::default()
            };
            for target in [Target::Gramjs, Target::Telethon] {
                // GramJS reads Telethon strings too.
                let g = render(&account, target, &options).unwrap();
                let v = gramjs(&["read", &g.text]);
                expect(&v["gramjs"], s.dc_id, address, 443, &s.auth_key);
            }
        }
    }
}

#[test]
#[ignore = "needs real Telethon 1.45.0 and GramJS 2.26.22"]
fn the_crate_reads_what_the_libraries_make() {
    let key = sessions()[0].auth_key.clone();
    let hex = key.to_hex();
    let out = Command::new(env("PYROSESSION_TELETHON_PYTHON"))
        .arg(util::root().join("spec/oracle/telethon_sessions.py"))
        .args(["make", "4", "2001:67c:4e8:f004::a", "443", &hex])
        .output()
        .unwrap();
    let t = String::from_utf8(out.stdout).unwrap();
    let a = read_text(t.trim()).unwrap();
    assert_eq!((a.dc_id, &a.auth_key), (4, &key));
    assert_eq!(a.server.unwrap().to_string(), "[2001:67c:4e8:f004::a]:443");
    let dir = Path::new(&env("PYROSESSION_GRAMJS_DIR")).join("node_modules");
    let out = Command::new("node")
        .env("NODE_PATH", dir)
        .arg(util::root().join("spec/oracle/gramjs_sessions.js"))
        .args(["make", "5", "91.108.56.130", "443", &hex])
        .output()
        .unwrap();
    let g = String::from_utf8(out.stdout).unwrap();
    let a = read_text(g.trim()).unwrap();
    assert_eq!(a.kind, convert::Kind::GramjsString);
    assert_eq!((a.dc_id, &a.auth_key), (5, &key));
    assert_eq!(a.server.unwrap().to_string(), "91.108.56.130:443");
}

fn check_entities(v: &Value, account: &Account) {
    let got = v["entities"].as_array().unwrap();
    let want: Vec<_> = account
        .peers
        .iter()
        .filter(|p| p.access_hash.is_some())
        .collect();
    assert_eq!(got.len(), want.len());
    for (e, p) in got.iter().zip(want) {
        assert_eq!(e["id"], p.id);
        assert_eq!(e["hash"], p.access_hash.unwrap());
        assert_eq!(e["username"].as_str(), p.username.as_deref());
        assert_eq!(
            e["phone"].as_i64().map(|n| n.to_string()),
            p.phone_number.clone()
        );
        assert_eq!(e["date"].as_i64(), p.date);
        // Telethon resolves the row by id.
        assert_eq!(v["lookups"][p.id.to_string()][1], p.access_hash.unwrap());
    }
}

#[test]
#[ignore = "needs real Telethon 1.45.0: PYROSESSION_TELETHON_PYTHON"]
fn telethon_reads_the_files_the_crate_makes() {
    let dir = util::TempDir::new("convert-interop");
    for fixture in [
        "pyrogram-2.0.106.session",
        "kurigram-2.2.26.session",
        "pyrogram-json-0.14.session",
    ] {
        let source = util::root().join("spec/fixtures").join(fixture);
        let account = read_path(&source).unwrap();
        for version in [7u8, 8] {
            let path = dir.join(&format!("{fixture}.v{version}.session"));
            let options = Options {
                telethon_version: version,
                ..Options::default()
            };
            write_file(
                &account,
                Target::TelethonFile,
                &options,
                &path,
                false,
                Some(&source),
            )
            .unwrap();
            let v = telethon(&["read-file", path.to_str().unwrap()]);
            assert_eq!(v["version_before_open"], version);
            let server = render(&account, Target::Telethon, &Options::default()).unwrap();
            let t = read_text(&server.text).unwrap();
            let s = t.server.unwrap();
            expect(&v, account.dc_id, &s.address, s.port, &account.auth_key);
            check_entities(&v, &account);
        }
    }
}

#[test]
#[ignore = "needs real Telethon 1.45.0: PYROSESSION_TELETHON_PYTHON"]
fn telethon_and_the_crate_read_files_of_every_version_alike() {
    let dir = util::TempDir::new("convert-interop-versions");
    for version in 1..=8 {
        let path = dir.join(&format!("v{version}.session"));
        telethon_versions::build(&path, version);
        let v = telethon(&["read-file", path.to_str().unwrap()]);
        assert_eq!(v["version_before_open"], version);
        let account = read_path(&path).unwrap();
        let s = account.server.clone().unwrap();
        expect(&v, account.dc_id, &s.address, s.port, &account.auth_key);
        assert_eq!(v["takeout_id"].as_i64(), (version >= 5).then_some(99));
        check_entities(&v, &account);
    }
}

#[test]
#[ignore = "needs real Pyrogram 2.0.106: PYROSESSION_PYTHON"]
fn pyrogram_reads_the_files_the_crate_converts() {
    let python = env("PYROSESSION_PYTHON");
    let dir = util::TempDir::new("convert-interop-pyrogram");
    let options = Options {
        api_id: Some(12345),
        user_id: Some(123_456_789),
        is_bot: Some(false),
        ..Options::default()
    };
    for fixture in [
        "telethon-1.45.0.session",
        "kurigram-2.2.26.session",
        "pyrogram-json-0.14.session",
    ] {
        let source = util::root().join("spec/fixtures").join(fixture);
        let account = read_path(&source).unwrap();
        let path = dir.join(&format!("from-{fixture}"));
        write_file(
            &account,
            Target::PyrogramFile,
            &options,
            &path,
            false,
            Some(&source),
        )
        .unwrap();
        let string = render(&account, Target::Pyrogram, &options).unwrap();
        let ids: Vec<i64> = account.peers.iter().map(|p| p.id).collect();
        let queries = dir.join("queries.json");
        std::fs::write(&queries, serde_json::json!({ "ids": ids }).to_string()).unwrap();
        let out = Command::new(&python)
            .arg(util::root().join("spec/oracle/pyrogram_files.py"))
            .arg("read")
            .arg(&path)
            .arg(&queries)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            v["auth_key"],
            account.auth_key.to_hex().as_str(),
            "{fixture}"
        );
        assert_eq!(
            (
                v["dc_id"].as_u64(),
                v["api_id"].as_u64(),
                v["user_id"].as_u64()
            ),
            (Some(2), Some(12345), Some(123_456_789))
        );
        assert_eq!(
            (v["test_mode"].as_bool(), v["is_bot"].as_bool()),
            (Some(false), Some(false))
        );
        // Pyrogram exports the very string the crate converts to.
        assert_eq!(v["export"]["ok"], string.text.as_str(), "{fixture}");
        for id in ids {
            assert!(
                v["by_id"][id.to_string()].get("ok").is_some(),
                "{fixture}: {id}: {}",
                v["by_id"][id.to_string()]
            );
        }
    }
}
