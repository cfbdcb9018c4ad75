//! Every session file in `spec/fixtures/`, made by the real libraries, is read as its manifest
//! says (spec/storage.md §10, spec/dialects.md): the dialect, the session fields, the peers with
//! their usernames, and the answers the library itself gave to lookups.

mod util;

use std::sync::Arc;

use pyrosession::peer::InputPeer;
use pyrosession::storage::{Dialect, ManualClock, Storage, StorageError, StorageErrorKind};
use serde_json::{json, Value};
use util::TempDir;

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(util::root().join("spec/fixtures/manifest.json")).unwrap();
    let Value::Array(items) = serde_json::from_str(&text).unwrap() else {
        panic!("manifest: not an array")
    };
    assert!(
        items[0].is_string(),
        "the manifest's first entry is its provenance"
    );
    items[1..].to_vec()
}

/// Opens a copy: opening a WAL file, even read-only, makes side files beside it.
fn open_copy(entry: &Value, dir: &TempDir) -> Result<Storage, StorageError> {
    let name = entry["file"].as_str().unwrap();
    let copy = dir.join(name);
    std::fs::copy(util::root().join("spec/fixtures").join(name), &copy).unwrap();
    Storage::open_file_read_only(&copy)
}

fn expected_dialect(entry: &Value) -> Dialect {
    let v = entry["schema_version"].as_i64().unwrap();
    match entry["dialect"].as_str().unwrap() {
        // hydrogram writes Pyrogram 2.0.106's schema byte for byte.
        "pyrogram" | "hydrogram" => Dialect::Pyrogram(v),
        "pyrofork" => Dialect::Pyrofork(v),
        // Up to version 6 kurigram and pyrotgfork write the same schema.
        "kurigram" | "pyrotgfork" => Dialect::Kurigram(v),
        other => panic!("unexpected dialect {other}"),
    }
}

fn pyrogram_files() -> Vec<Value> {
    manifest()
        .into_iter()
        .filter(|e| !matches!(e["dialect"].as_str(), Some("telethon" | "pyrogram-json")))
        .collect()
}

#[test]
fn the_manifest_lists_every_fixture() {
    let mut listed: Vec<String> = manifest()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(util::root().join("spec/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".session"))
        .collect();
    present.sort();
    assert_eq!(listed, present);
    assert!(listed.len() >= 14);
}

#[test]
fn each_fixture_is_recognised_as_its_dialect() {
    let dir = TempDir::new("fixtures-dialect");
    for e in pyrogram_files() {
        let s = open_copy(&e, &dir).unwrap_or_else(|err| panic!("{}: {err}", e["file"]));
        assert_eq!(s.dialect(), expected_dialect(&e), "{}", e["file"]);
    }
}

#[test]
fn each_fixture_holds_the_manifest_session() {
    let dir = TempDir::new("fixtures-session");
    for e in pyrogram_files() {
        let file = e["file"].as_str().unwrap();
        let f = open_copy(&e, &dir).unwrap().session().unwrap();
        let m = &e["session"];
        let as_bool = |v: &Value| v.as_i64().map(|i| i != 0).or_else(|| v.as_bool());
        assert_eq!(f.dc_id, m["dc_id"].as_i64().unwrap(), "{file}");
        assert_eq!(f.api_id, m["api_id"].as_i64(), "{file}");
        assert_eq!(f.test_mode, as_bool(&m["test_mode"]), "{file}");
        assert_eq!(
            f.auth_key
                .as_ref()
                .map(pyrosession::AuthKey::to_hex)
                .as_deref(),
            m["auth_key"].as_str(),
            "{file}"
        );
        assert_eq!(f.user_id, m["user_id"].as_i64(), "{file}");
        assert_eq!(f.is_bot, as_bool(&m["is_bot"]), "{file}");
        assert_eq!(f.date, m["date"].as_i64().unwrap(), "{file}");
        assert_eq!(
            f.server_address.as_deref(),
            m.get("server_address").and_then(Value::as_str),
            "{file}"
        );
        assert_eq!(f.port, m.get("port").and_then(Value::as_i64), "{file}");
    }
}

#[test]
fn each_fixture_holds_the_manifest_peers() {
    let dir = TempDir::new("fixtures-peers");
    for e in pyrogram_files() {
        let file = e["file"].as_str().unwrap();
        let s = open_copy(&e, &dir).unwrap();
        let by_peer = s.dialect().usernames_by_peer();
        let mut ours: Vec<Value> = s
            .peers()
            .unwrap()
            .iter()
            .map(|p| {
                json!([
                    p.peer.id,
                    p.peer.access_hash,
                    p.peer.peer_type.as_str(),
                    p.peer.username,
                    p.usernames,
                    p.peer.phone_number,
                    p.last_update_on
                ])
            })
            .collect();
        let mut theirs: Vec<Value> = e["peers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                // Usernames rows with NULL (pyrotgfork 2.1.18 writes them) name nothing.
                let names: Vec<Value> = p["usernames"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|u| !u.is_null())
                    .cloned()
                    .collect();
                let username = if by_peer {
                    names.first().cloned().unwrap_or(Value::Null)
                } else {
                    p["username"].clone()
                };
                json!([
                    p["id"],
                    p["access_hash"],
                    p["type"],
                    username,
                    names,
                    p["phone_number"],
                    p["last_update_on"]
                ])
            })
            .collect();
        let key = |v: &Value| v[0].as_i64().unwrap();
        ours.sort_by_key(key);
        theirs.sort_by_key(key);
        assert_eq!(ours, theirs, "{file}");
    }
}

/// The crate answers each lookup the library answered when it made the file.
#[test]
fn lookups_agree_with_the_library_that_wrote_the_file() {
    let dir = TempDir::new("fixtures-lookups");
    let mut checked = 0;
    for e in pyrogram_files() {
        let file = e["file"].as_str().unwrap();
        let Some(lookups) = e["library_lookups_before_save"].as_object() else {
            continue;
        };
        let mut s = open_copy(&e, &dir).unwrap();
        let newest = e["peers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["last_update_on"].as_i64())
            .max()
            .unwrap_or(0);
        s.set_clock(Arc::new(ManualClock::new(newest)));
        for (call, theirs) in lookups {
            let (method, arg) = call.split_once('(').unwrap();
            let arg = arg.trim_end_matches(')').trim_matches('\'');
            let ours: Result<InputPeer, StorageError> = match method {
                "get_peer_by_id" => s.get_peer_by_id(arg.parse().unwrap()),
                "get_peer_by_username" => s.get_peer_by_username(arg),
                "get_peer_by_phone_number" => s.get_peer_by_phone_number(arg),
                other => panic!("{file}: unknown call {other}"),
            };
            match (theirs.get("class").and_then(Value::as_str), ours) {
                (Some(class), Ok(peer)) => {
                    let mine = input_peer_to_json(&peer);
                    let kind = match class {
                        "InputPeerUser" => "user",
                        "InputPeerChat" => "chat",
                        "InputPeerChannel" => "channel",
                        other => panic!("{file}: {other}"),
                    };
                    assert_eq!(mine["kind"], kind, "{file} {call}");
                    for field in ["user_id", "chat_id", "channel_id", "access_hash"] {
                        if let Some(v) = theirs.get(field) {
                            assert_eq!(&mine[field], v, "{file} {call}");
                        }
                    }
                }
                (None, Err(_)) => {}
                (theirs, ours) => panic!("{file} {call}: library {theirs:?}, pyrosession {ours:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} lookups checked");
}

#[test]
fn non_pyrogram_fixtures_are_named() {
    let dir = TempDir::new("fixtures-other");
    for e in manifest() {
        let err = match e["dialect"].as_str().unwrap() {
            "telethon" | "pyrogram-json" => open_copy(&e, &dir).unwrap_err(),
            _ => continue,
        };
        match (e["dialect"].as_str().unwrap(), err.kind()) {
            (
                "telethon",
                StorageErrorKind::TelethonSession {
                    version: Some(8), ..
                },
            )
            | ("pyrogram-json", StorageErrorKind::LegacyJsonSession) => {}
            (d, _) => panic!("{d}: {err}"),
        }
    }
}

/// Opening a v1 or v2 fixture for writing migrates it as Pyrogram 2.0.106 did to the
/// `pyrogram-1.4.16-migrated-by-2.0.106` fixture: the same schema text and columns.
#[test]
fn migration_matches_pyrogram_own() {
    let dir = TempDir::new("fixtures-migrate");
    let all = manifest();
    let find = |name: &str| all.iter().find(|e| e["file"] == name).unwrap().clone();
    let theirs = open_copy(&find("pyrogram-1.4.16-migrated-by-2.0.106.session"), &dir).unwrap();
    open_copy(&find("pyrogram-1.4.16.session"), &dir)
        .unwrap()
        .close()
        .unwrap();
    let ours = Storage::open_file(dir.join("pyrogram-1.4.16.session")).unwrap();
    assert_eq!(ours.dialect(), Dialect::Pyrogram(3));
    assert_eq!(
        ours.render_schema().unwrap(),
        theirs.render_schema().unwrap()
    );
    assert_eq!(ours.session().unwrap(), theirs.session().unwrap());
    assert_eq!(ours.peers().unwrap(), theirs.peers().unwrap());

    // A fresh file of the crate has exactly the schema of a fresh Pyrogram 2.0.106 file.
    let fresh = Storage::open_file(dir.join("fresh.session")).unwrap();
    let real = open_copy(&find("pyrogram-2.0.106.session"), &dir).unwrap();
    assert_eq!(
        fresh.render_schema().unwrap(),
        real.render_schema().unwrap()
    );
}

/// The input peer's JSON object, as `report::input_peer_to_json` writes it.
fn input_peer_to_json(p: &pyrosession::peer::InputPeer) -> serde_json::Value {
    serde_json::from_str(&pyrosession::report::input_peer_to_json(p)).unwrap()
}
