//! `resolve` reads a text as Pyrogram 2.0.106's `resolve_peer` reads a `str`
//! (spec/storage.md §6.5): deterministic cases of each class, and a differential test of random
//! Unicode texts against real Pyrogram, `#[ignore]`d here and run by `.ci/run`:
//!
//! ```sh
//! PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test resolve -- --ignored
//! ```
//!
//! `PYROSESSION_RESOLVE_QUERIES` (default 12000) sets how many random texts it asks about and
//! `PYROSESSION_RESOLVE_SEED` (default 0) varies them.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{Lookup, Query, Resolved};
use pyrosession::storage::{NotFound, Storage, StorageError, StorageErrorKind};
use serde_json::{json, Value};

/// The peers the differential test caches: the ids, phone numbers and usernames of
/// `spec/oracle/pyrogram_resolve.py` (keep the two in step), the i-th phone number and
/// username on the i-th id.
const IDS: [i64; 14] = [
    0,
    5,
    42,
    1000,
    111_111_111,
    -100,
    -1_001_234_567_890,
    9_007_199_254_740_993,
    1_099_511_627_775,
    9_210_000_000_000_000_000,
    9_223_372_036_854_774_784,
    i64::MAX,
    -i64::MAX,
    i64::MIN,
];
const PHONES: [&str; 7] = [
    "15550001",
    "123",
    "-5",
    "\u{661}\u{662}\u{663}",
    "1_000",
    "\u{ff10}",
    "007",
];
const USERNAMES: [&str; 14] = [
    "",
    "alice",
    "ali_ce",
    "me",
    "self",
    "\u{3b1}\u{3c2}",
    "i\u{307}",
    "stra\u{df}e",
    "\u{661}\u{662}\u{663}x",
    "-",
    "_1",
    "1__2",
    "\u{b2}",
    "12a",
];

fn cached_peers() -> Vec<Peer> {
    IDS.iter()
        .enumerate()
        .map(|(i, &id)| Peer {
            id,
            access_hash: Some(i64::try_from(i).unwrap() * 1000 - 3),
            peer_type: match id {
                -100 => PeerType::Group,
                -1_001_234_567_890 => PeerType::Channel,
                _ => PeerType::User,
            },
            username: USERNAMES.get(i).map(|u| (*u).to_owned()),
            phone_number: PHONES.get(i).map(|p| (*p).to_owned()),
        })
        .collect()
}

fn storage_with_peers(dir: &util::TempDir) -> std::path::PathBuf {
    let path = dir.join("resolve.session");
    let mut s = Storage::open_file(&path).unwrap();
    s.update_peers(&cached_peers()).unwrap();
    s.close().unwrap();
    path
}

#[track_caller]
fn lookup(q: &str) -> Lookup<'static> {
    match Query::parse(q).lookup() {
        Lookup::PhoneNumber(p) => Lookup::PhoneNumber(Box::leak(p.to_owned().into_boxed_str())),
        Lookup::Username(u) => Lookup::Username(Box::leak(u.to_owned().into_boxed_str())),
    }
}

/// Python's `int()` takes the decimal digits of every script (Unicode's Nd), with a `-` and
/// single underscores between digits: such a text is a phone number, as in Pyrogram.
#[test]
fn decimal_digits_of_every_script_are_a_phone_number() {
    for q in [
        "\u{661}\u{662}\u{663}",            // Arabic-Indic
        "+\u{ff11}\u{ff12}",                // fullwidth
        "\u{1d7d9}\u{1d7ec}",               // mathematical double-struck and sans-serif bold
        "-\u{966}",                         // Devanagari, negative
        "\u{e51}_\u{e52}",                  // Thai, an underscore between digits
        "\u{104a0}\u{1e950}7",              // Osmanya, Adlam and ASCII mixed
        "@ \u{1946}\u{a0}\u{1947}\u{2028}", // Limbu, whitespace removed
    ] {
        let cleaned: String = q
            .chars()
            .filter(|c| !matches!(c, '@' | '+' | ' ' | '\u{a0}' | '\u{2028}'))
            .collect();
        assert_eq!(lookup(q), Lookup::PhoneNumber(&cleaned), "{q:?}");
    }
    // Numeric but not decimal (No, Nl), a doubled, leading or trailing underscore, two signs:
    // Python's int() refuses them, so they are usernames.
    for (q, username) in [
        ("\u{b2}", "\u{b2}"),
        ("\u{2460}", "\u{2460}"),
        ("\u{2167}", "\u{2177}"),
        ("\u{3007}", "\u{3007}"),
        ("\u{4e09}", "\u{4e09}"),
        ("\u{661}__\u{662}", "\u{661}__\u{662}"),
        ("_\u{661}", "_\u{661}"),
        ("\u{661}_", "\u{661}_"),
        ("--1", "--1"),
        ("-_1", "-_1"),
    ] {
        assert_eq!(lookup(q), Lookup::Username(username), "{q:?}");
    }
}

/// Python 3.11's `int()` converts at most 4300 digits (its `default_max_str_digits`): a longer
/// number is a `ValueError`, so Pyrogram looks it up as a username.
#[test]
fn numbers_of_more_than_4300_digits_are_usernames() {
    let n4300 = "7".repeat(4300);
    assert_eq!(lookup(&n4300), Lookup::PhoneNumber(&n4300));
    let underscored = format!("-{}_7", "7".repeat(4299));
    assert_eq!(lookup(&underscored), Lookup::PhoneNumber(&underscored));
    let n4301 = "7".repeat(4301);
    assert_eq!(lookup(&n4301), Lookup::Username(&n4301));
}

/// A text that cleans to nothing (`@`, `+`, whitespace of any kind) is the username `''`, which
/// Pyrogram looks up, and which a file can hold.
#[test]
fn texts_that_clean_to_nothing_are_the_empty_username() {
    let dir = util::TempDir::new("resolve-empty");
    let path = storage_with_peers(&dir);
    let s = Storage::open_file_read_only(&path).unwrap();
    for q in [
        "",
        "@",
        "+",
        "@+",
        " ",
        "\u{1c}\u{1f}",
        "\u{85}\u{a0}\u{2028}\u{3000}",
    ] {
        let query = Query::parse(q);
        assert_eq!(query.lookup(), Lookup::Username(""), "{q:?}");
        assert_eq!(
            query.resolve(&s).unwrap(),
            Resolved::Peer(pyrosession::peer::InputPeer::User {
                user_id: 0,
                access_hash: -3
            }),
            "{q:?}"
        );
    }
}

/// SQLite compares a text with the rowid as the integer its numeric affinity makes of it, and a
/// real only when it is whole and strictly inside the 64-bit range.
#[test]
fn ids_are_what_sqlite_compares_the_text_as() {
    for (q, id) in [
        ("9200000000000000000.0", Some(9_200_000_000_000_000_000)),
        ("9.21e18", Some(9_210_000_000_000_000_000)),
        ("9223372036854774784.0", Some(9_223_372_036_854_774_784)),
        ("9223372036854775807", Some(i64::MAX)),
        ("9223372036854775807.0", None),
        ("9223372036854775808", None),
        ("-9223372036854775808", Some(i64::MIN)),
        ("-9223372036854775808.0", None),
        (" +42\x0c", Some(42)),
        ("5.e3", Some(5000)),
        ("1e-400", Some(0)),
        ("0.5", None),
        // SQLite keeps 19 significant digits, where Rust's parse would round up to ...994.
        ("9007199254740993.00001", Some(9_007_199_254_740_992)),
        ("\u{a0}42", None),
    ] {
        assert_eq!(Query::parse(q).id(), id, "{q:?}");
    }
}

// The differential test.

fn python() -> String {
    std::env::var("PYROSESSION_PYTHON").expect(
        "set PYROSESSION_PYTHON to a Python that has pyrogram==2.0.106 installed (see README)",
    )
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// Random queries from the oracle's generator: (kind, text).
fn generated(count: u64, seed: u64) -> Vec<(String, String)> {
    let out = Command::new(python())
        .arg(util::root().join("spec/oracle/pyrogram_resolve.py"))
        .args(["generate", &count.to_string(), &seed.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .expect("run the oracle");
    assert!(out.status.success(), "the oracle's generator failed");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("JSON");
            (
                v["kind"].as_str().expect("kind").to_owned(),
                v["query"].as_str().expect("query").to_owned(),
            )
        })
        .collect()
}

/// Real Pyrogram's answer to every query, on the file at `path`.
fn pyrogram_answers(path: &std::path::Path, queries: &[(String, String)]) -> Vec<Value> {
    let mut child = Command::new(python())
        .arg(util::root().join("spec/oracle/pyrogram_resolve.py"))
        .arg("serve")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the oracle");
    let mut stdin = child.stdin.take().expect("stdin");
    let requests: Vec<String> = queries
        .iter()
        .enumerate()
        .map(|(id, (_, q))| json!({ "id": id, "query": q }).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        for r in requests {
            writeln!(stdin, "{r}").expect("write to the oracle");
        }
    });
    let mut answers = vec![Value::Null; queries.len()];
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let v: Value = serde_json::from_str(&line.expect("read")).expect("JSON");
        let id = usize::try_from(v["id"].as_u64().expect("id")).expect("id");
        answers[id] = v;
    }
    writer.join().expect("writer");
    assert!(child.wait().expect("oracle").success(), "the oracle failed");
    assert!(
        answers.iter().all(|v| !v.is_null()),
        "the oracle skipped queries"
    );
    answers
}

/// What the crate says Pyrogram does with the text: its lookups after the id, and the outcome.
fn crate_answer(storage: &Storage, q: &str) -> (Option<i64>, Vec<Value>, Value) {
    let query = Query::parse(q);
    let mut calls = vec![json!(["id", q])];
    let id_hit = query.id().is_some_and(|id| {
        !matches!(
            storage.get_peer_by_id(id).map_err(StorageError::into_kind),
            Err(StorageErrorKind::NotFound(NotFound::Id(_)))
        )
    });
    let lookup = query.lookup();
    if !id_hit && !query.is_me() {
        calls.push(match lookup {
            Lookup::PhoneNumber(p) => json!(["phone", p]),
            Lookup::Username(u) => json!(["username", u]),
        });
    }
    let outcome = match query.resolve(storage) {
        Ok(Resolved::Peer(p)) => json!(p.to_string()),
        Ok(Resolved::Me) => json!("InputPeerSelf()"),
        Err(e)
            if matches!(
                e.kind(),
                StorageErrorKind::NotFound(_) | StorageErrorKind::UsernameExpired { .. }
            ) =>
        {
            match lookup {
                Lookup::PhoneNumber(_) => json!({"error": "PeerIdInvalid"}),
                Lookup::Username(u) => json!({"network": "ResolveUsername", "username": u}),
            }
        }
        Err(e) => json!({"error": e.to_string()}),
    };
    (query.id(), calls, outcome)
}

/// Law: for every text, the crate's `Query` makes the lookups real Pyrogram 2.0.106's
/// `resolve_peer` makes, in its order, with the same arguments, and comes to the same answer on
/// the same file: the cached peer, `InputPeerSelf()`, `PeerIdInvalid` after a phone number's
/// miss, or Telegram's `ResolveUsername` after a username's.
#[test]
#[ignore = "needs real Pyrogram: PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test resolve -- --ignored"]
fn resolve_agrees_with_pyrogram_on_random_unicode_queries() {
    let count = env_number("PYROSESSION_RESOLVE_QUERIES", 12_000);
    let seed = env_number("PYROSESSION_RESOLVE_SEED", 0);
    assert!(count >= 10_000 || std::env::var("PYROSESSION_RESOLVE_QUERIES").is_ok());
    let dir = util::TempDir::new("resolve-differential");
    let path = storage_with_peers(&dir);
    let queries = generated(count, seed);
    assert_eq!(queries.len() as u64, count);
    let answers = pyrogram_answers(&path, &queries);
    let storage = Storage::open_file_read_only(&path).unwrap();
    let mut failures = Vec::new();
    let mut tally = std::collections::BTreeMap::<String, [usize; 5]>::new();
    for ((kind, q), answer) in queries.iter().zip(&answers) {
        let (id, calls, outcome) = crate_answer(&storage, q);
        let t = tally.entry(kind.clone()).or_default();
        t[0] += 1;
        match calls.get(1).and_then(|c| c[0].as_str()) {
            Some("phone") => t[1] += 1,
            Some("username") => t[2] += 1,
            _ => {}
        }
        if outcome.is_string() {
            t[3] += 1;
        }
        let pyrogram = (
            &answer["sqlite_id"],
            answer["calls"].as_array(),
            &answer["outcome"],
        );
        if pyrogram != (&json!(id), Some(&calls), &outcome) {
            t[4] += 1;
            failures.push(format!(
                "{kind} {q:?}\n    pyrogram: id {} calls {} outcome {}\n    crate:    id {} calls {} outcome {}",
                answer["sqlite_id"], answer["calls"], answer["outcome"], json!(id), json!(calls), outcome
            ));
        }
    }
    println!("resolve against pyrogram 2.0.106: {count} queries (seed {seed})");
    println!(
        "{:<10} {:>7} {:>7} {:>9} {:>7} {:>9}",
        "kind", "queries", "phone", "username", "found", "mismatch"
    );
    for (kind, [n, p, u, f, m]) in &tally {
        println!("{kind:<10} {n:>7} {p:>7} {u:>9} {f:>7} {m:>9}");
    }
    assert!(
        failures.is_empty(),
        "{} of {count} queries differ from Pyrogram:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
