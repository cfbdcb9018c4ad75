//! Writing to a fork's file keeps it valid for that fork (spec/dialects.md): the crate caches
//! peers and sets fields in copies of the forks' fixtures, and each fork's own storage class then
//! reads the same fields and answers the same lookups as the crate.
//!
//! Needs the forks, one venv each, in a folder named by fixture (`spec/fixtures/make.sh` makes
//! them): `PYROSESSION_VENVS=/work/venvs cargo test --test forks -- --ignored`.

mod util;

use std::path::PathBuf;
use std::process::Command;

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{Dialect, Storage, StorageError, StorageErrorKind};
use serde_json::{json, Value};
use util::TempDir;

const FORKS: [&str; 5] = [
    "pyrofork-2.3.69",
    "kurigram-2.2.26",
    "kurigram-2.2.9",
    "pyrotgfork-2.2.24.1",
    "hydrogram-0.2.0",
];

fn new_peers() -> Vec<Peer> {
    vec![
        Peer {
            id: 999_001,
            access_hash: Some(-31),
            peer_type: PeerType::User,
            username: Some("fresh_user".into()),
            phone_number: Some("19990001".into()),
        },
        Peer {
            id: -1_009_990_001,
            access_hash: Some(77),
            peer_type: PeerType::Channel,
            username: Some("fresh_channel".into()),
            phone_number: None,
        },
        // Replaces a fixture peer: its old usernames must go.
        Peer {
            id: 111_111_111,
            access_hash: Some(5),
            peer_type: PeerType::User,
            username: Some("alice_renamed".into()),
            phone_number: None,
        },
    ]
}

fn queries() -> Value {
    json!({
        "ids": [999_001, -1_009_990_001_i64, 111_111_111, 404],
        "usernames": ["fresh_user", "fresh_channel", "alice_renamed", "alice", "nobody"],
        "phones": ["19990001", "15550001"],
    })
}

fn answers(s: &Storage) -> Value {
    let wrap = |r: Result<pyrosession::peer::InputPeer, StorageError>| match r {
        Ok(p) => json!({ "ok": input_peer_to_json(&p) }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    let q = queries();
    let mut by_id = serde_json::Map::new();
    for v in q["ids"].as_array().unwrap() {
        by_id.insert(v.to_string(), wrap(s.get_peer_by_id(v.as_i64().unwrap())));
    }
    let mut by_username = serde_json::Map::new();
    for v in q["usernames"].as_array().unwrap() {
        let u = v.as_str().unwrap();
        by_username.insert(u.to_owned(), wrap(s.get_peer_by_username(u)));
    }
    let mut by_phone = serde_json::Map::new();
    for v in q["phones"].as_array().unwrap() {
        let p = v.as_str().unwrap();
        by_phone.insert(p.to_owned(), wrap(s.get_peer_by_phone_number(p)));
    }
    json!({ "by_id": by_id, "by_username": by_username, "by_phone": by_phone })
}

#[test]
#[ignore = "needs the forks: PYROSESSION_VENVS=<folder of venvs named like the fixtures> cargo test --test forks -- --ignored"]
fn forks_read_what_the_crate_writes_into_their_files() {
    let venvs = PathBuf::from(std::env::var("PYROSESSION_VENVS").expect("set PYROSESSION_VENVS"));
    let dir = TempDir::new("forks");
    let mut checked = 0;
    for fork in FORKS {
        let python = venvs.join(fork).join("bin/python");
        assert!(python.exists(), "{} is missing", python.display());
        let path = dir.join(&format!("{fork}.session"));
        std::fs::copy(
            util::root()
                .join("spec/fixtures")
                .join(format!("{fork}.session")),
            &path,
        )
        .unwrap();

        let mut s = Storage::open_file(&path).unwrap();
        let dialect = s.dialect();
        s.update_peers(&new_peers()).unwrap();
        s.set_user_id(Some(5_550_001)).unwrap();
        if dialect == Dialect::Kurigram(7) {
            let before = s.session().unwrap();
            assert!(
                matches!(
                    s.set_dc_id(4).map_err(StorageError::into_kind),
                    Err(StorageErrorKind::UnsupportedWrite { .. })
                ),
                "{fork}"
            );
            assert_eq!(
                s.session().unwrap(),
                before,
                "{fork}: a refused write changed the file"
            );
        }
        let ours = answers(&s);
        s.close().unwrap();

        let queries_file = dir.join("queries.json");
        std::fs::write(&queries_file, queries().to_string()).unwrap();
        let out = Command::new(&python)
            .arg(util::root().join("spec/oracle/pyrogram_files.py"))
            .args([
                "read",
                path.to_str().unwrap(),
                queries_file.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fork}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(theirs["user_id"], 5_550_001, "{fork}");
        assert_eq!(
            theirs["version"],
            dialect.version(),
            "{fork}: the fork migrated the file"
        );
        for kind in ["by_id", "by_username", "by_phone"] {
            for (k, t) in theirs[kind].as_object().unwrap() {
                let o = &ours[kind][k];
                match (t.get("ok"), o.get("ok")) {
                    (Some(a), Some(b)) => assert_eq!(a, b, "{fork} {kind} {k}"),
                    (None, None) => {}
                    _ => panic!(
                        "{fork} {kind} {k}: {} says {t}, pyrosession {o}",
                        theirs["library"]
                    ),
                }
                checked += 1;
            }
        }
        println!("{fork} ({}): {dialect}, lookups agree", theirs["library"]);
    }
    assert_eq!(checked, FORKS.len() * 11);
}

/// The input peer's JSON object, as `report::input_peer_to_json` writes it.
fn input_peer_to_json(p: &pyrosession::peer::InputPeer) -> serde_json::Value {
    serde_json::from_str(&pyrosession::report::input_peer_to_json(p)).unwrap()
}
