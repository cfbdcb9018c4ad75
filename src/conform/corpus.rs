//! The string corpus: 10,928 near-valid strings with real Pyrogram 2.0.106's verdict on each
//! (`spec/vectors/pyrogram_corpus.json`), and how a codec's answers compare with it
//! (spec/conformance.md §8.4).

use super::driver::CallJson as _;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::driver::{Driver, DriverError};
use crate::{AuthKey, AuthKeyId};

/// The recorded corpus, as shipped in `spec/vectors/pyrogram_corpus.json`.
const CORPUS: &str = include_str!("../../spec/vectors/pyrogram_corpus.json");

/// What the corpus was judged by.
pub const REFERENCE: &str = "pyrogram 2.0.106";

/// The six fields compared, in order.
const FIELDS: [&str; 6] = [
    "dc_id",
    "api_id",
    "test_mode",
    "auth_key",
    "user_id",
    "is_bot",
];

/// How an implementation's decoding of the corpus compares with Pyrogram's
/// (spec/conformance.md §8.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusReport {
    /// How many strings were sent.
    pub inputs: usize,
    /// How many got Pyrogram's verdict and fields.
    pub agree: usize,
    /// The same two counts per mutation kind (`vector` for the named vectors), in the corpus's
    /// order.
    pub by_kind: Vec<KindTally>,
    /// Each class of disagreement, in the order first met.
    pub disagreements: Vec<Disagreement>,
}

/// The strings of one mutation kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindTally {
    /// The mutation kind (`canonical`, `padding`, …, or `vector`).
    pub kind: String,
    /// How many strings of this kind were sent.
    pub inputs: usize,
    /// How many agreed.
    pub agree: usize,
}

/// One class of disagreement: `accepts_rejected`, `rejects_accepted`, `wrong_kind`,
/// `not_an_object` or `field:{name}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The class.
    pub class: String,
    /// How many strings fell in it.
    pub count: usize,
    /// The first of them: `kind`, `name` (vectors only), `input`, `pyrogram` (the recorded
    /// verdict), `answer` (the driver's, with a key replaced by its `auth_key_id`) and `detail`.
    pub(crate) first: Value,
}

impl Disagreement {
    /// The name of the first string that fell in this class, where it is a named vector.
    #[must_use]
    pub fn first_name(&self) -> Option<&str> {
        self.first["name"].as_str()
    }

    /// The first string that fell in this class, as the JSON object the report gives
    /// (spec/conformance.md §8): `kind`, `name`, `input`, `pyrogram`, `answer`, `detail`.
    #[must_use]
    pub fn first_json(&self) -> String {
        self.first.to_string()
    }
}

impl CorpusReport {
    /// Agreement as a percentage, two decimals.
    #[must_use]
    pub fn percent(&self) -> String {
        if self.inputs == 0 {
            return "0.00".to_owned();
        }
        // Exact to two decimals, without floating point: the counts are small.
        let hundredths = self.agree * 10_000 / self.inputs;
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }

    /// `{agree} of {inputs} strings agree with pyrogram 2.0.106 ({percent}%)`, then one line per
    /// class of disagreement with its first string.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} of {} strings agree with {REFERENCE} ({}%)",
            self.agree,
            self.inputs,
            self.percent()
        );
        for d in &self.disagreements {
            let f = &d.first;
            let name = f["name"]
                .as_str()
                .map_or(String::new(), |n| format!(" {n}"));
            let _ = write!(
                out,
                "; {}: {}, first ({}{name}): {}, input {}",
                d.class,
                strings(d.count),
                f["kind"].as_str().unwrap_or(""),
                f["detail"].as_str().unwrap_or(""),
                f["input"]
            );
        }
        out
    }

    /// The report's `corpus` member (spec/conformance.md §8.5).
    pub(crate) fn to_value(&self) -> Value {
        json!({
            "reference": REFERENCE,
            "inputs": self.inputs,
            "agree": self.agree,
            "by_kind": self.by_kind.iter().map(|k| json!({"kind": k.kind, "inputs": k.inputs, "agree": k.agree})).collect::<Vec<_>>(),
            "disagreements": self.disagreements.iter().map(|d| json!({"class": d.class, "count": d.count, "first": d.first})).collect::<Vec<_>>(),
        })
    }
}

/// `1 string`, `2 strings`.
pub(super) fn strings(n: usize) -> String {
    if n == 1 {
        "1 string".to_owned()
    } else {
        format!("{n} strings")
    }
}

/// The key of a `decode_string` answer as the crate names keys, if it is one.
fn key_id(v: &Value) -> Option<String> {
    let hex = v.as_str()?;
    if hex.len() != 2 * AuthKey::LEN || !hex.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    let key: [u8; AuthKey::LEN] = bytes?.try_into().ok()?;
    Some(AuthKeyId::of(&key).to_string())
}

/// The answer as the report shows it: an `auth_key` member replaced by its `auth_key_id`, so
/// that no key is printed (the corpus's keys are made up, but a report is no place for keys).
fn shown(answer: &Value) -> Value {
    let mut a = answer.clone();
    if let Some(ok) = a.get_mut("ok").and_then(Value::as_object_mut) {
        if let Some(k) = ok.remove("auth_key") {
            ok.insert(
                "auth_key_id".to_owned(),
                key_id(&k).map_or(
                    Value::String("(not a 256-byte key)".to_owned()),
                    Value::String,
                ),
            );
        }
    }
    a
}

/// `None` when the answer agrees with Pyrogram's verdict, else its class and what differs.
fn judge(expected: &Value, answer: &Result<Value, super::Failure>) -> Option<(String, String)> {
    let accepted = expected["accepted"] == true;
    match answer {
        Err(f) if !accepted && f.kind == "invalid_string" => None,
        Err(f) if !accepted => Some((
            "wrong_kind".into(),
            format!("fails with {}, expected invalid_string", f.kind),
        )),
        Err(f) => Some(("rejects_accepted".into(), format!("fails: {f}"))),
        Ok(_) if !accepted => Some((
            "accepts_rejected".into(),
            format!(
                "accepted; pyrogram: {}",
                expected["error"]
                    .as_str()
                    .unwrap_or("opens an empty storage")
            ),
        )),
        Ok(got) => {
            let Some(got) = got.as_object() else {
                return Some(("not_an_object".into(), "the answer is not an object".into()));
            };
            for field in FIELDS {
                let Some(v) = got.get(field) else {
                    return Some((format!("field:{field}"), format!("{field} not given")));
                };
                if field == "auth_key" {
                    let id = key_id(v);
                    if id.as_deref() != expected["auth_key_id"].as_str() {
                        return Some((
                            "field:auth_key".into(),
                            format!(
                                "a different key (auth_key_id {}, pyrogram {})",
                                id.unwrap_or_else(|| "none".into()),
                                expected["auth_key_id"]
                            ),
                        ));
                    }
                } else if *v != expected[field] {
                    return Some((
                        format!("field:{field}"),
                        format!("{field} {v}, pyrogram {}", expected[field]),
                    ));
                }
            }
            match got.get("format") {
                Some(f) if *f != expected["format"] => Some((
                    "field:format".into(),
                    format!("format {f}, pyrogram {}", expected["format"]),
                )),
                _ => None,
            }
        }
    }
}

/// Sends every string of the corpus to the driver's `decode_string` and compares each answer
/// with Pyrogram's (spec/conformance.md §8.4). A protocol error ends it.
pub(crate) fn run(driver: &mut dyn Driver) -> Result<CorpusReport, DriverError> {
    let entries: Vec<Value> = match serde_json::from_str::<Value>(CORPUS) {
        Ok(Value::Array(items)) => items.into_iter().skip(1).collect(),
        _ => {
            return Err(DriverError::Protocol(
                "the corpus shipped with the crate is not a JSON array".into(),
            ))
        }
    };
    let mut by_kind: Vec<KindTally> = Vec::new();
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements: Vec<Disagreement> = Vec::new();
    for entry in &entries {
        let kind = entry["kind"].as_str().unwrap_or("?");
        let input = entry["input"].as_str().unwrap_or("");
        let answer = driver.call_json("decode_string", json!({ "session_string": input }))?;
        let verdict = judge(&entry["pyrogram"], &answer);
        if by_kind.last().is_none_or(|k| k.kind != kind) {
            by_kind.push(KindTally {
                kind: kind.to_owned(),
                inputs: 0,
                agree: 0,
            });
        }
        let tally = by_kind.last_mut().expect("pushed above");
        tally.inputs += 1;
        let Some((class, detail)) = verdict else {
            tally.agree += 1;
            continue;
        };
        *classes.entry(class.clone()).or_default() += 1;
        if !disagreements.iter().any(|d| d.class == class) {
            let answer = match &answer {
                Ok(v) => json!({ "ok": v }),
                Err(f) => json!({ "error": { "kind": f.kind, "message": f.message } }),
            };
            disagreements.push(Disagreement {
                class,
                count: 0,
                first: json!({
                    "kind": kind,
                    "name": entry.get("name"),
                    "input": input,
                    "pyrogram": entry["pyrogram"],
                    "answer": shown(&answer),
                    "detail": detail,
                }),
            });
        }
    }
    for d in &mut disagreements {
        d.count = classes[&d.class];
    }
    let agree = by_kind.iter().map(|k| k.agree).sum();
    Ok(CorpusReport {
        inputs: entries.len(),
        agree,
        by_kind,
        disagreements,
    })
}
