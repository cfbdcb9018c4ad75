//! The report on a session file of Pyrogram or one of its forks (spec/storage.md).

use crate::storage::range;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::{object, one_line, or_none, peers::unreadable_value};
use crate::peer::PeerType;
use crate::storage::{Dialect, SessionFields, Storage, StorageError, UnreadablePeer};
use crate::AuthKey;

/// What `inspect` says about a session file.
#[derive(Debug)]
pub struct FileReport {
    /// The file's dialect and version.
    pub dialect: Dialect,
    /// Its session fields.
    pub fields: SessionFields,
    /// How many peers of each type it caches.
    pub peer_counts: BTreeMap<PeerType, usize>,
    /// Values the file holds that Pyrogram cannot put into a session string: its
    /// `export_session_string` (and this crate's, and `export`) fails on them.
    pub warnings: Vec<String>,
    /// Rows of `peers` that cannot be read as peers, not counted in `peer_counts`: Pyrogram
    /// uses the file, and fails only on a lookup of such a peer (spec/storage.md §6.6).
    pub unreadable_peers: Vec<UnreadablePeer>,
}

/// What in the session fields no session string can hold (the ranges of spec/storage.md §7.2).
fn export_warnings(f: &SessionFields) -> Vec<String> {
    let mut out = Vec::new();
    let why = "no session string can hold it, so export fails";
    if range::dc_id(f.dc_id).is_err() {
        out.push(format!(
            "dc_id {} is out of range (0 to 255): {why}",
            f.dc_id
        ));
    }
    if let Some(v) = f.api_id.filter(|v| range::api_id(*v).is_err()) {
        out.push(format!(
            "api_id {v} is out of range (0 to 4294967295): {why}"
        ));
    }
    if let Some(v) = f.user_id.filter(|v| range::user_id(*v).is_err()) {
        out.push(format!("user_id {v} is negative: {why}"));
    }
    out
}

/// Reads what `inspect` reports about a session file, opened read-only.
pub fn file_report(storage: &Storage) -> Result<FileReport, StorageError> {
    let mut peer_counts = BTreeMap::new();
    let (peers, unreadable_peers) = storage.readable_peers()?;
    for p in peers {
        *peer_counts.entry(p.peer.peer_type).or_insert(0) += 1;
    }
    let fields = storage.session()?;
    let mut warnings = export_warnings(&fields);
    if let Some(mode) = storage.file_mode().filter(|m| m & 0o044 != 0) {
        warnings.push(format!(
            "mode {mode:04o}: other users of this machine can read the auth key; chmod 600 the file"
        ));
    }
    Ok(FileReport {
        dialect: storage.dialect(),
        warnings,
        fields,
        peer_counts,
        unreadable_peers,
    })
}

/// The plain-text report on a session file. The auth key is shown only with `reveal_key`.
#[must_use]
pub fn file_to_text(r: &FileReport, reveal_key: bool) -> String {
    let f = &r.fields;
    let mut out = String::new();
    let _ = writeln!(out, "dialect      {}", r.dialect);
    let _ = writeln!(out, "dc_id        {}", f.dc_id);
    let _ = writeln!(out, "api_id       {}", or_none(f.api_id));
    let _ = writeln!(out, "test_mode    {}", or_none(f.test_mode));
    let _ = writeln!(out, "user_id      {}", or_none(f.user_id));
    let _ = writeln!(out, "is_bot       {}", or_none(f.is_bot));
    let _ = writeln!(out, "date         {}", f.date);
    if let (Some(a), Some(p)) = (&f.server_address, f.port) {
        let _ = writeln!(out, "server       {}:{p}", one_line(a));
    }
    let _ = writeln!(
        out,
        "auth_key_id  {}",
        or_none(f.auth_key.as_ref().map(AuthKey::id))
    );
    if reveal_key {
        let _ = writeln!(
            out,
            "auth_key     {}",
            or_none(f.auth_key.as_ref().map(AuthKey::to_hex))
        );
    }
    let total: usize = r.peer_counts.values().sum();
    let by_type: Vec<String> = r
        .peer_counts
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    if by_type.is_empty() {
        let _ = writeln!(out, "peers        0");
    } else {
        let _ = writeln!(out, "peers        {total} ({})", by_type.join(", "));
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning      {}", one_line(w));
    }
    for u in &r.unreadable_peers {
        let _ = writeln!(
            out,
            "warning      peer row not read: {}",
            one_line(&u.to_string())
        );
    }
    out
}

/// The JSON report on a session file (spec/json-output.md §3.1): `input` (`pyrogram-file`), the
/// string report's fields (`dc_id`, `api_id`,
/// `test_mode`, `user_id`, `is_bot`, `auth_key_id`, null where unset) and `dialect`, `version`,
/// `date`, `peers` (a count), `peers_by_type`, `warnings` (what no session string can
/// hold) and `unreadable_peers` (rows not read: `id` or null, `column`, `expected`, `found`);
/// `auth_key` only with `reveal_key`.
#[must_use]
pub fn file_to_json(r: &FileReport, reveal_key: bool) -> String {
    let f = &r.fields;
    let mut v = json!({
        "input": "pyrogram-file",
        "dialect": r.dialect.family_name(),
        "version": r.dialect.version(),
        "dc_id": f.dc_id,
        "api_id": f.api_id,
        "test_mode": f.test_mode,
        "user_id": f.user_id,
        "is_bot": f.is_bot,
        "date": f.date,
        "auth_key_id": f.auth_key.as_ref().map(|k| k.id().to_string()),
        "peers": r.peer_counts.values().sum::<usize>(),
        "peers_by_type": r.peer_counts.iter().map(|(t, n)| (t.as_str().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "warnings": r.warnings,
        "unreadable_peers": r.unreadable_peers.iter().map(unreadable_value).collect::<Vec<_>>(),
    });
    if f.server_address.is_some() {
        v["server_address"] = json!(f.server_address);
        v["port"] = json!(f.port);
    }
    if reveal_key {
        v["auth_key"] = json!(f.auth_key.as_ref().map(AuthKey::to_hex));
    }
    object(v)
}
