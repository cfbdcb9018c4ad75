//! The peers a session file caches, and the input peer `resolve` finds (spec/storage.md §6).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{one_line, or_none};
use crate::peer::InputPeer;
use crate::storage::{StoredPeer, UnreadablePeer};

/// The peers as JSON: one object each, with `id`, `type`, `access_hash`, `username`,
/// `usernames`, `phone_number` and `last_update_on`.
#[must_use]
pub fn peers_to_json(peers: &[StoredPeer]) -> Value {
    Value::Array(
        peers
            .iter()
            .map(|p| {
                json!({
                    "id": p.peer.id,
                    "type": p.peer.peer_type.as_str(),
                    "access_hash": p.peer.access_hash,
                    "username": p.peer.username,
                    "usernames": p.usernames,
                    "phone_number": p.peer.phone_number,
                    "last_update_on": p.last_update_on,
                })
            })
            .collect(),
    )
}

/// Rows of `peers` that cannot be read, as JSON: one object each, with `id` (null where it is
/// not an integer), `column`, `expected` and `found`.
#[must_use]
pub fn unreadable_to_json(rows: &[UnreadablePeer]) -> Value {
    Value::Array(
        rows.iter()
            .map(|u| {
                json!({
                    "id": u.id,
                    "column": u.column,
                    "expected": u.expected,
                    "found": u.found,
                })
            })
            .collect(),
    )
}

/// The peers as a table for people.
#[must_use]
pub fn peers_to_text(peers: &[StoredPeer]) -> String {
    let mut out = format!(
        "{:<16} {:<10} {:<21} {:<20} {:<14} {}\n",
        "id", "type", "access_hash", "username", "phone", "last_update_on"
    );
    for p in peers {
        let names = if p.usernames.len() > 1 {
            one_line(&p.usernames.join(",")).into_owned()
        } else {
            or_none(p.peer.username.as_ref())
        };
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<21} {:<20} {:<14} {}",
            p.peer.id,
            p.peer.peer_type.as_str(),
            or_none(p.peer.access_hash),
            names,
            or_none(p.peer.phone_number.as_ref()),
            p.last_update_on
        );
    }
    out
}

/// An input peer as JSON: `kind` (`user`, `chat`, `channel`) and its fields.
#[must_use]
pub fn input_peer_to_json(p: &InputPeer) -> Value {
    p.to_json_value()
}
