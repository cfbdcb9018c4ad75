//! Helpers shared by the integration tests: the vectors and divergences of `spec/`, the
//! comparison of a verdict with Pyrogram's, a deterministic generator of near-valid strings,
//! and message assertions.
#![allow(dead_code)]

pub mod btree;
pub mod mutate;

use std::path::{Path, PathBuf};

use pyrosession::string::{decode_compat, Format};
use serde_json::Value;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Value::Array(items) = serde_json::from_str(&text).expect("valid JSON") else {
        panic!("{}: not a JSON array", path.display())
    };
    assert!(
        items.first().is_some_and(Value::is_string),
        "{}: the first entry must be the provenance string",
        path.display()
    );
    items
}

/// The entries of `spec/vectors/<name>.json`, provenance first.
pub fn vectors(name: &str) -> Vec<Value> {
    load(&root().join("spec/vectors").join(format!("{name}.json")))
}

/// The known divergences of `spec/divergences.json` (after its header).
pub fn divergences() -> Vec<Value> {
    load(&root().join("spec/divergences.json")).split_off(1)
}

/// The known divergence listed for this input, if any.
pub fn listed_divergence<'a>(divergences: &'a [Value], input: &str) -> Option<&'a Value> {
    divergences
        .iter()
        .find(|d| d["input"].as_str() == Some(input))
}

/// Compares `decode_compat(input)` with Pyrogram's verdict on the same input (the JSON written by
/// `spec/oracle/pyrogram_strings.py`). `Ok` when they agree: both accept with the same layout
/// and fields, or both reject with the same Pyrogram error. `Err` says how they differ.
pub fn compare_with_pyrogram(input: &str, pyrogram: &Value) -> Result<(), String> {
    let ours = decode_compat(input);
    match (pyrogram["accepted"].as_bool(), &ours) {
        (Some(true), Ok(d)) => {
            let s = &d.session;
            let mine = serde_json::json!({
                "format": d.format.name(),
                "dc_id": s.dc_id,
                "api_id": s.api_id,
                "test_mode": s.test_mode,
                "auth_key": s.auth_key.to_hex(),
                "user_id": s.user_id,
                "is_bot": s.is_bot,
            });
            for field in [
                "format",
                "dc_id",
                "api_id",
                "test_mode",
                "auth_key",
                "user_id",
                "is_bot",
            ] {
                if mine[field] != pyrogram[field] {
                    return Err(format!(
                        "{field}: pyrogram read {}, pyrosession {}",
                        pyrogram[field], mine[field]
                    ));
                }
            }
            Ok(())
        }
        (Some(false), Err(e)) => match pyrogram["error"].as_str() {
            Some(theirs) if e.pyrogram_error().as_deref() == Some(theirs) => Ok(()),
            Some(theirs) => Err(format!(
                "both reject, but pyrogram raises {theirs:?} and pyrosession says {:?} ({e})",
                e.pyrogram_error()
            )),
            None => Err(format!(
                "pyrogram returns {pyrogram}, pyrosession rejects: {e}"
            )),
        },
        (Some(true), Err(e)) => Err(format!("pyrogram accepts, pyrosession rejects: {e}")),
        (Some(false), Ok(d)) => Err(format!(
            "pyrogram rejects ({}), pyrosession accepts as {}",
            pyrogram["error"], d.format
        )),
        (None, _) => Err(format!("malformed pyrogram verdict {pyrogram}")),
    }
}

/// Checks a comparison against the divergence list, both ways: an unlisted difference fails,
/// and so does a listed divergence whose input now agrees.
pub fn check_against_divergences(
    divergences: &[Value],
    input: &str,
    outcome: Result<(), String>,
) -> Result<(), String> {
    match (listed_divergence(divergences, input), outcome) {
        (None, Ok(())) | (Some(_), Err(_)) => Ok(()),
        (None, Err(e)) => Err(format!("unlisted divergence from pyrogram: {e}")),
        (Some(d), Ok(())) => Err(format!(
            "divergence {} is listed in spec/divergences.json but pyrosession now agrees with pyrogram: remove it",
            d["id"]
        )),
    }
}

/// The format named in JSON.
pub fn format_named(name: &str) -> Format {
    Format::from_name(name).unwrap_or_else(|| panic!("unknown format {name}"))
}

/// A new directory under the system's temporary directory, removed on drop: `pyrosession-{tag}-`
/// and 16 hexadecimal digits nobody can guess, made with `mkdir` (never one that exists, which
/// another local user could have made), as spec/storage.md §2.7 asks of the crate.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        for _ in 0..8 {
            // SipHash under keys std draws from the system's random source.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            h.write_usize(N.fetch_add(1, Ordering::SeqCst));
            let dir = std::env::temp_dir().join(format!("pyrosession-{tag}-{:016x}", h.finish()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return TempDir(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => panic!("cannot make {}: {e}", dir.display()),
            }
        }
        panic!("every name tried for a {tag} directory was taken");
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Asserts that an error displays exactly as expected: error messages are API.
#[track_caller]
pub fn assert_message(error: &impl std::fmt::Display, expected: &str) {
    assert_eq!(error.to_string(), expected);
}
