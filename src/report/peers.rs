//! The peers a session file caches, and the input peer `resolve` finds (spec/storage.md §6,
//! spec/json-output.md §3.2 and §3.3).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{object, one_line, or_none};
use crate::peer::InputPeer;
use crate::storage::{Resolved, StoredPeer, UnreadablePeer};

/// One peer as a line of `peers --json` (spec/json-output.md §3.2), without its line break: an
/// object with `schema`, `id`, `type`, `access_hash`, `username`, `usernames`, `phone_number`
/// and `last_update_on`. The command writes one such line per peer as it reads them
/// ([`crate::storage::Storage::for_each_readable_peer`]), never the whole list at once.
#[must_use]
pub fn peer_to_json(p: &StoredPeer) -> String {
    object(json!({
        "id": p.peer.id,
        "type": p.peer.peer_type.as_str(),
        "access_hash": p.peer.access_hash,
        "username": p.peer.username,
        "usernames": p.usernames,
        "phone_number": p.peer.phone_number,
        "last_update_on": p.last_update_on,
    }))
}

/// A row of `peers` that cannot be read, as JSON: `id` (null where it is not an integer),
/// `column`, `expected` and `found`.
pub(super) fn unreadable_value(u: &UnreadablePeer) -> Value {
    json!({
        "id": u.id,
        "column": u.column,
        "expected": u.expected,
        "found": u.found,
    })
}

/// The first line of the peers table for people, with its line break.
#[must_use]
pub fn peers_header() -> String {
    format!(
        "{:<16} {:<10} {:<21} {:<20} {:<14} {}\n",
        "id", "type", "access_hash", "username", "phone", "last_update_on"
    )
}

/// One peer as a line of the table for people, with its line break; every value from the file
/// is escaped on one line.
#[must_use]
pub fn peer_to_text(p: &StoredPeer) -> String {
    let names = if p.usernames.len() > 1 {
        one_line(&p.usernames.join(",")).into_owned()
    } else {
        or_none(p.peer.username.as_ref())
    };
    format!(
        "{:<16} {:<10} {:<21} {:<20} {:<14} {}\n",
        p.peer.id,
        p.peer.peer_type.as_str(),
        or_none(p.peer.access_hash),
        names,
        or_none(p.peer.phone_number.as_ref()),
        p.last_update_on
    )
}

/// The peers as a table for people: [`peers_header`] and a [`peer_to_text`] line each.
#[must_use]
pub fn peers_to_text(peers: &[StoredPeer]) -> String {
    let mut out = peers_header();
    for p in peers {
        let _ = write!(out, "{}", peer_to_text(p));
    }
    out
}

/// An input peer as JSON: `kind` (`user`, `chat`, `channel`) and its fields, the shape the
/// conformance protocol's lookups answer with (spec/conformance.md §3.2).
#[must_use]
pub fn input_peer_to_json(p: &InputPeer) -> String {
    p.to_json_value().to_string()
}

/// What `resolve --json` prints (spec/json-output.md §3.3): the input peer's object, or
/// `{"kind": "self"}` for the account itself, with `schema`.
#[must_use]
pub fn resolved_to_json(r: &Resolved) -> String {
    match r {
        Resolved::Peer(p) => object(p.to_json_value()),
        Resolved::Me => object(json!({"kind": "self"})),
    }
}

/// What `resolve` prints for people: Pyrogram's `repr` of the input peer, `InputPeerSelf()` for
/// the account itself.
#[must_use]
pub fn resolved_to_text(r: &Resolved) -> String {
    match r {
        Resolved::Peer(p) => p.to_string(),
        Resolved::Me => "InputPeerSelf()".to_owned(),
    }
}
