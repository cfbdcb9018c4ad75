//! The differential test: near-valid strings get the same verdict and the same fields from
//! `decode_compat` as from real Pyrogram 2.0.106 (spec/session-string.md §9.2).
//!
//! Needs a Python with `pyrogram==2.0.106` (`.ci/run` makes one):
//!
//! ```sh
//! PYROSESSION_PYTHON=.venv-pyrogram/bin/python cargo test --test differential -- --ignored
//! ```
//!
//! `PYROSESSION_DIFF_PER_KIND` (default 640) sets how many inputs each mutation kind makes and
//! `PYROSESSION_DIFF_SEED` (default 0) varies them.

mod util;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use util::mutate::{generate, Rng, KINDS};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// Asks real Pyrogram for its verdict on every input, through `spec/oracle/pyrogram_strings.py`.
fn pyrogram_verdicts(inputs: &[(String, String)]) -> Vec<Value> {
    let python = std::env::var("PYROSESSION_PYTHON").expect(
        "set PYROSESSION_PYTHON to a Python that has pyrogram==2.0.106 installed (see README)",
    );
    let mut child = Command::new(&python)
        .arg(util::root().join("spec/oracle/pyrogram_strings.py"))
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let requests: Vec<String> = inputs
        .iter()
        .enumerate()
        .map(|(id, (_, s))| json!({ "id": id, "input": s }).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        for r in requests {
            writeln!(stdin, "{r}").expect("write to the oracle");
        }
    });
    let mut verdicts = vec![Value::Null; inputs.len()];
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let v: Value = serde_json::from_str(&line.expect("read from the oracle")).expect("JSON");
        let id = usize::try_from(v["id"].as_u64().expect("id")).expect("id");
        verdicts[id] = v;
    }
    writer.join().expect("writer");
    assert!(child.wait().expect("oracle").success(), "the oracle failed");
    assert!(
        verdicts.iter().all(|v| !v.is_null()),
        "the oracle skipped inputs"
    );
    verdicts
}

/// The differential corpus: every vector of `spec/vectors/session_string.json`, then `per_kind`
/// near-valid strings of each mutation kind, labelled `vector {name}` or `{kind} #{i}`.
fn corpus(per_kind: u64, seed: u64) -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = util::vectors("session_string")[1..]
        .iter()
        .map(|v| {
            (
                format!("vector {}", v["name"]),
                v["input"].as_str().expect("input").to_owned(),
            )
        })
        .collect();
    for (k, kind) in KINDS.iter().enumerate() {
        let mut rng = Rng::new(seed.wrapping_mul(1000).wrapping_add(k as u64));
        for i in 0..per_kind {
            inputs.push((format!("{kind} #{i}"), generate(&mut rng, k)));
        }
    }
    inputs
}

/// Pyrogram's verdict as `spec/vectors/pyrogram_corpus.json` records it: the fields read back,
/// with the key named by its `auth_key_id` (the low 64 bits of its SHA-1, in hexadecimal) to
/// keep the file small, or the error Pyrogram raised (`null` for the empty string, which
/// Pyrogram opens as an empty storage).
fn recorded_verdict(verdict: &Value) -> Value {
    if verdict["accepted"] != true {
        return json!({ "accepted": false, "error": verdict["error"] });
    }
    let key = hex_bytes(verdict["auth_key"].as_str().expect("auth_key"));
    let key: [u8; 256] = key.try_into().expect("a 256-byte key");
    json!({
        "accepted": true,
        "format": verdict["format"],
        "dc_id": verdict["dc_id"],
        "api_id": verdict["api_id"],
        "test_mode": verdict["test_mode"],
        "auth_key_id": pyrosession::AuthKeyId::of(&key).to_string(),
        "user_id": verdict["user_id"],
        "is_bot": verdict["is_bot"],
    })
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hexadecimal"))
        .collect()
}

/// The recorded corpus, one entry per line (a reviewable diff), provenance first.
fn render_corpus(inputs: &[(String, String)], verdicts: &[Value]) -> String {
    let provenance = format!(
        "The differential corpus of spec/session-string.md §9.2 (tests/util/mutate.rs, {} inputs: \
         the vectors of session_string.json, then 640 near-valid strings of each of the {} \
         mutation kinds, seed 0) with real Pyrogram 2.0.106's verdict on each, made by \
         `PYROSESSION_BLESS=1 cargo test --test differential -- --ignored recorded_corpus` \
         through spec/oracle/pyrogram_strings.py (MemoryStorage(name, input).open(), fields \
         read back, or the exception as 'Type: message'); the key is recorded as its \
         auth_key_id. Checked against Pyrogram by CI; judged by the conformance suite's \
         codec.corpus scenario (spec/conformance.md §8).",
        inputs.len(),
        KINDS.len()
    );
    let mut out = format!("[\n{}", Value::String(provenance));
    for ((label, input), verdict) in inputs.iter().zip(verdicts) {
        // A vector keeps its name; a generated string is known by its mutation kind.
        let entry = match label.strip_prefix("vector ") {
            Some(name) => json!({
                "kind": "vector",
                "name": name.trim_matches('"'),
                "input": input,
                "pyrogram": recorded_verdict(verdict),
            }),
            None => json!({
                "kind": label.split(" #").next().unwrap_or(label),
                "input": input,
                "pyrogram": recorded_verdict(verdict),
            }),
        };
        out.push_str(",\n");
        out.push_str(&entry.to_string());
    }
    out.push_str("\n]\n");
    out
}

/// `spec/vectors/pyrogram_corpus.json` is what real Pyrogram says of every string of the
/// corpus: regenerated here from Pyrogram and compared byte for byte (`PYROSESSION_BLESS=1`
/// rewrites it).
#[test]
#[ignore = "needs real Pyrogram: PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test differential -- --ignored"]
fn recorded_corpus_is_what_pyrogram_says() {
    let inputs = corpus(640, 0);
    let verdicts = pyrogram_verdicts(&inputs);
    let fresh = render_corpus(&inputs, &verdicts);
    let path = util::root().join("spec/vectors/pyrogram_corpus.json");
    if std::env::var_os("PYROSESSION_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write the corpus");
    }
    let recorded = std::fs::read_to_string(&path).expect("spec/vectors/pyrogram_corpus.json");
    if recorded != fresh {
        let line = recorded
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| recorded.lines().count().min(fresh.lines().count()));
        panic!(
            "spec/vectors/pyrogram_corpus.json differs from what Pyrogram says, first at line {}:\n  recorded: {}\n  pyrogram: {}\n(PYROSESSION_BLESS=1 rewrites it)",
            line + 1,
            recorded.lines().nth(line).unwrap_or("(end of file)"),
            fresh.lines().nth(line).unwrap_or("(end of file)")
        );
    }
}

#[test]
#[ignore = "needs real Pyrogram: PYROSESSION_PYTHON=<python with pyrogram==2.0.106> cargo test --test differential -- --ignored"]
fn decode_compat_agrees_with_pyrogram_on_near_valid_strings() {
    let per_kind = env_number("PYROSESSION_DIFF_PER_KIND", 640);
    let seed = env_number("PYROSESSION_DIFF_SEED", 0);
    let inputs = corpus(per_kind, seed);

    let verdicts = pyrogram_verdicts(&inputs);
    let divergences = util::divergences();
    let mut failures = Vec::new();
    let mut tally: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((label, input), verdict) in inputs.iter().zip(&verdicts) {
        let kind = label.split(" #").next().unwrap_or(label);
        let kind = if kind.starts_with("vector") {
            "vectors"
        } else {
            kind
        };
        let entry = tally.entry(kind).or_default();
        if verdict["accepted"] == true {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        let outcome = util::compare_with_pyrogram(input, verdict);
        if let Err(e) = util::check_against_divergences(&divergences, input, outcome) {
            failures.push(format!("{label}: {e}\n    input: {input:?}"));
        }
    }

    println!(
        "differential against pyrogram 2.0.106: {} inputs",
        inputs.len()
    );
    println!("{:<20} {:>9} {:>9}", "kind", "accepted", "rejected");
    for (kind, (a, r)) in &tally {
        println!("{kind:<20} {a:>9} {r:>9}");
    }
    let accepted: usize = tally.values().map(|t| t.0).sum();
    println!(
        "{accepted} accepted and {} rejected by both; {} disagreements",
        inputs.len() - accepted,
        failures.len()
    );

    assert!(
        failures.is_empty(),
        "{} disagreements with pyrogram:\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        inputs.len() >= 10_000 || per_kind < 640,
        "fewer than 10,000 inputs"
    );
    // The mutations must reach both sides of the verdict, or the comparison proves little.
    assert!(
        accepted > inputs.len() / 5 && accepted < inputs.len() * 4 / 5,
        "accepted {accepted} of {}",
        inputs.len()
    );
}
