//! What the `pyrosession` command reports, for people and as JSON: session strings, session
//! files of Pyrogram and its forks, other libraries' sessions, peers, resolved queries, and what
//! `export`, `import`, `convert`, `salvage` and `conform` did. The renderings of every input kind
//! live here; the command only parses arguments, calls the library and prints what these return.
//! Nothing below this layer uses it.
//!
//! The JSON renderings are a versioned interface, specified in spec/json-output.md: every object
//! carries `"schema": 1` ([`JSON_SCHEMA`]), and an error is `{"schema": 1, "error": {"code",
//! "kind", "message"}}` with a stable [`ErrorCode`] and the library error's kind ([`Failure`]). Renderers return `String`; no `serde_json` type is
//! part of this module's interface.

mod codes;
mod file;
mod foreign;
mod inspect;
mod peers;
mod string;
mod tdata;

use std::path::Path;

use serde_json::{json, Value};

pub use crate::escape::{one_line, shown_path, terminal_safe};
pub use codes::{ErrorCode, Failure};
pub use file::{file_report, file_to_json, file_to_text, FileReport};
pub use foreign::{foreign_to_json, foreign_to_text, format_name, needs, with_flags};
pub use inspect::{inspect_file, inspect_text, InspectError, Inspection};
pub use peers::{
    input_peer_to_json, peer_to_json, peer_to_text, peers_header, peers_to_text, resolved_to_json,
    resolved_to_text,
};
pub use string::{decode_error_to_json, to_json, to_text};
pub use tdata::{tdata_to_json, tdata_to_text, tdata_warnings};

use crate::convert::{Account, Loss, Target};
use crate::storage::SalvageReport;
use crate::string::Decoded;

/// The version of the JSON output's shapes (spec/json-output.md §1): every object the command
/// prints with `--json` carries it as `"schema"`. A change that could break a reader of the
/// objects (a key removed or renamed, a value's meaning or type changed) takes a new version;
/// keys and error codes may be added within one.
pub const JSON_SCHEMA: u32 = 1;

/// A value, or `none` where it is unset, escaped on one line.
fn or_none<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(
        || "none".to_owned(),
        |v| one_line(&v.to_string()).into_owned(),
    )
}

/// An object of the JSON output, with its `schema`, on one line.
pub(crate) fn object_of(v: Value) -> String {
    object(v)
}

/// An object of the JSON output, with its `schema`, on one line.
fn object(mut v: Value) -> String {
    if let Value::Object(map) = &mut v {
        map.insert("schema".to_owned(), json!(JSON_SCHEMA));
    }
    v.to_string()
}

/// An error object: `{"schema", "error": {"code", "kind", "message", ...extra}}`.
fn error_object(failure: Failure, message: &str, extra: Value) -> String {
    let mut error = json!({
        "code": failure.code().as_str(),
        "kind": failure.kind(),
        "message": message,
    });
    if let (Value::Object(error), Value::Object(extra)) = (&mut error, extra) {
        error.extend(extra);
    }
    object(json!({ "error": error }))
}

/// The JSON error object of a failed command (spec/json-output.md §4): `{"schema": 1, "error":
/// {"code": code, "kind": kind, "message": message}}`, where `message` is the line the command
/// writes on standard error after `pyrosession: `. `failure` is a library error (`&e` of a
/// [`StorageError`](crate::storage::StorageError), a
/// [`ConvertError`](crate::convert::ConvertError) or a
/// [`DecodeError`](crate::string::DecodeError)), which gives both, or an [`ErrorCode`] the
/// command chose, whose `kind` is `null`.
#[must_use]
pub fn error_to_json(failure: impl Into<Failure>, message: &str) -> String {
    error_object(failure.into(), message, json!({}))
}

/// What `export --json` prints (spec/json-output.md §3.4): `session_string`, which holds the
/// auth key.
#[must_use]
pub fn export_to_json(session_string: &str) -> String {
    object(json!({ "session_string": session_string }))
}

/// What `import --json` prints (spec/json-output.md §3.5): the `file` written, the string's
/// `format`, `dc_id`, `warnings` (the string's departures from canonical form) and `notes`.
#[must_use]
pub fn import_to_json(file: &Path, decoded: &Decoded, notes: &[String]) -> String {
    object(json!({
        "file": shown_path(file),
        "format": decoded.format.name(),
        "dc_id": decoded.session.dc_id,
        "warnings": decoded.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "notes": notes,
    }))
}

/// What `convert --json` prints (spec/json-output.md §3.6): `to` (the target format), `file`
/// (the file written, or null), `session_string` (the string, where it was not written to a
/// file, or null), `dc_id`, `peers` (how many the target file holds, or null for a string),
/// `warnings` (a Pyrogram source string's departures from canonical form) and `notes` (what the
/// target cannot hold).
#[must_use]
pub fn convert_to_json(
    target: Target,
    file: Option<&Path>,
    session_string: Option<&str>,
    account: &Account,
    peers: Option<usize>,
    losses: &[Loss],
) -> String {
    object(json!({
        "to": target.name(),
        "file": file.map(shown_path),
        "session_string": session_string,
        "dc_id": account.dc_id,
        "peers": peers,
        "warnings": account.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "notes": losses.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
}

/// What `salvage --json` prints (spec/json-output.md §3.7): the salvage report
/// (spec/storage.md §11), `target` (the file written, or `-`) and `peers_written`.
#[must_use]
pub fn salvage_to_json(report: &SalvageReport, target: &str, peers_written: usize) -> String {
    let mut v = report.to_value();
    v["target"] = json!(target);
    v["peers_written"] = json!(peers_written);
    object(v)
}

/// What `conform --json` prints (spec/json-output.md §3.8): the suite's report
/// (spec/conformance.md).
#[must_use]
pub fn conform_to_json(report: &crate::conform::Report) -> String {
    object(report.to_value())
}
