//! Interop with real Pyrogram 2.0.106, both ways (spec/storage.md §10): a file the crate writes
//! is one Pyrogram reads identically and exports the same string from, and a file Pyrogram
//! writes is one the crate reads identically.
//!
//! Needs a Python with `pyrogram==2.0.106` (`.ci/run` makes one):
//! `PYROSESSION_PYTHON=<python> cargo test --test interop -- --ignored`.

mod util;

use std::path::Path;
use std::process::Command;

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{Storage, StorageError};
use pyrosession::AuthKey;
use serde_json::{json, Value};
use util::TempDir;

fn oracle(verb: &str, file: &Path, arg: &Value, dir: &TempDir) -> Value {
    let python = std::env::var("PYROSESSION_PYTHON").expect(
        "set PYROSESSION_PYTHON to a Python that has pyrogram==2.0.106 installed (see README)",
    );
    let arg_file = dir.join(&format!("{verb}.json"));
    std::fs::write(&arg_file, arg.to_string()).unwrap();
    let out = Command::new(&python)
        .arg(util::root().join("spec/oracle/pyrogram_files.py"))
        .arg(verb)
        .arg(file)
        .arg(&arg_file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle JSON")
}

fn key() -> AuthKey {
    let mut b = [0u8; 256];
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i * 7 + 3) as u8;
    }
    AuthKey::new(b)
}

fn peers() -> Vec<Peer> {
    let p = |id, hash, t, u: Option<&str>, ph: Option<&str>| Peer {
        id,
        access_hash: Some(hash),
        peer_type: t,
        username: u.map(Into::into),
        phone_number: ph.map(Into::into),
    };
    vec![
        p(777, -5, PeerType::User, Some("alice"), Some("15550001")),
        p(
            6_000_000_000,
            1 << 62,
            PeerType::User,
            None,
            Some("447700900000"),
        ),
        p(888, 42, PeerType::Bot, Some("somebot"), None),
        p(-123_456, 0, PeerType::Group, None, None),
        p(
            -1_001_234_567_890,
            99,
            PeerType::Channel,
            Some("news"),
            None,
        ),
        p(
            -1_002_234_567_890,
            i64::MIN,
            PeerType::Supergroup,
            Some("chat"),
            None,
        ),
    ]
}

fn queries() -> Value {
    json!({
        "ids": [777, 6_000_000_000_i64, 888, -123_456, -1_001_234_567_890_i64, -1_002_234_567_890_i64, 1],
        "usernames": ["alice", "somebot", "news", "chat", "nobody", "ALICE"],
        "phones": ["15550001", "447700900000", "+15550001"],
    })
}

/// The crate's answer to the same queries, in the oracle's JSON shape.
fn our_answers(s: &Storage) -> Value {
    let wrap = |r: Result<pyrosession::peer::InputPeer, StorageError>| match r {
        Ok(p) => json!({ "ok": input_peer_to_json(&p) }),
        Err(_) => json!({ "error": true }),
    };
    let q = queries();
    let by = |key: &str, f: &dyn Fn(&Value) -> Value| -> Value {
        Value::Object(
            q[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| (v.to_string().trim_matches('"').to_owned(), f(v)))
                .collect(),
        )
    };
    json!({
        "by_id": by("ids", &|v| wrap(s.get_peer_by_id(v.as_i64().unwrap()))),
        "by_username": by("usernames", &|v| wrap(s.get_peer_by_username(v.as_str().unwrap()))),
        "by_phone": by("phones", &|v| wrap(s.get_peer_by_phone_number(v.as_str().unwrap()))),
    })
}

/// Compares lookups: the same input peer, or both fail (Pyrogram's `KeyError`, the crate's error).
fn assert_same_lookups(pyrogram: &Value, ours: &Value) {
    for kind in ["by_id", "by_username", "by_phone"] {
        for (k, theirs) in pyrogram[kind].as_object().unwrap() {
            let mine = &ours[kind][k];
            match (theirs.get("ok"), mine.get("ok")) {
                (Some(a), Some(b)) => assert_eq!(a, b, "{kind} {k}"),
                (None, None) => assert!(
                    theirs["error"].as_str().unwrap().starts_with("KeyError"),
                    "{kind} {k}: {theirs}"
                ),
                _ => panic!("{kind} {k}: pyrogram {theirs}, pyrosession {mine}"),
            }
        }
    }
}

#[test]
#[ignore = "needs real Pyrogram: PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test interop -- --ignored"]
fn pyrogram_reads_what_the_crate_writes() {
    let dir = TempDir::new("interop-write");
    let path = dir.join("ours.session");
    let mut s = Storage::open_file(&path).unwrap();
    s.set_dc_id(4).unwrap();
    s.set_api_id(Some(12345)).unwrap();
    s.set_test_mode(Some(false)).unwrap();
    s.set_auth_key(Some(&key())).unwrap();
    s.set_user_id(Some(5_000_000_001)).unwrap();
    s.set_is_bot(Some(true)).unwrap();
    s.update_peers(&peers()).unwrap();
    s.save().unwrap();
    let ours = our_answers(&s);
    let our_string = s.export_session_string().unwrap();
    let our_peers: Vec<Value> = s
        .peers()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p.peer.id,
                p.peer.access_hash,
                p.peer.peer_type.as_str(),
                p.peer.username,
                p.peer.phone_number,
                p.last_update_on
            ])
        })
        .collect();
    s.close().unwrap();

    let theirs = oracle("read", &path, &queries(), &dir);
    assert_eq!(theirs["library"], "pyrogram 2.0.106");
    assert_eq!(theirs["version"], 3);
    assert_eq!(theirs["dc_id"], 4);
    assert_eq!(theirs["api_id"], 12345);
    assert_eq!(theirs["test_mode"], false);
    assert_eq!(theirs["auth_key"], key().to_hex());
    assert_eq!(theirs["user_id"], 5_000_000_001_i64);
    assert_eq!(theirs["is_bot"], true);
    assert_eq!(theirs["export"]["ok"], our_string);
    assert_eq!(theirs["peers"], Value::Array(our_peers));
    assert_same_lookups(&theirs, &ours);
}

#[test]
#[ignore = "needs real Pyrogram: PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test interop -- --ignored"]
fn the_crate_reads_what_pyrogram_writes() {
    let dir = TempDir::new("interop-read");
    let path = dir.join("theirs.session");
    let spec = json!({
        "dc_id": 5, "api_id": 99, "test_mode": true, "auth_key": key().to_hex(), "user_id": 424_242, "is_bot": false,
        "peers": peers().iter().map(|p| json!([p.id, p.access_hash, p.peer_type.as_str(), p.username, p.phone_number])).collect::<Vec<_>>(),
    });
    oracle("write", &path, &spec, &dir);
    let before = std::fs::read(&path).unwrap();

    let s = Storage::open_file_read_only(&path).unwrap();
    let f = s.session().unwrap();
    assert_eq!(
        (f.dc_id, f.api_id, f.test_mode, f.user_id, f.is_bot),
        (5, Some(99), Some(true), Some(424_242), Some(false))
    );
    assert_eq!(f.auth_key, Some(key()));
    assert!(f.date > 0, "Pyrogram's save() dates the session");
    let stored: Vec<Peer> = s.peers().unwrap().into_iter().map(|p| p.peer).collect();
    let mut expected = peers();
    expected.sort_by_key(|p| p.id);
    assert_eq!(stored, expected);
    let ours = our_answers(&s);
    let our_string = s.export_session_string().unwrap();
    s.close().unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "reading changed the file"
    );

    let copy = dir.join("copy.session");
    std::fs::copy(&path, &copy).unwrap();
    let theirs = oracle("read", &copy, &queries(), &dir);
    assert_eq!(theirs["export"]["ok"], our_string);
    assert_same_lookups(&theirs, &ours);
}

/// The input peer's JSON object, as `report::input_peer_to_json` writes it.
fn input_peer_to_json(p: &pyrosession::peer::InputPeer) -> serde_json::Value {
    serde_json::from_str(&pyrosession::report::input_peer_to_json(p)).unwrap()
}
