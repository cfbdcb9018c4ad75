//! Pyrogram's JSON session files (Pyrogram ≤ 0.14), read (spec/conversions.md §2.5).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{Account, CachedPeer, ConvertError, ConvertErrorKind, Kind, Loss};
use crate::storage::UnreadablePeer;
use crate::AuthKey;

/// What a JSON session holds (spec/conversions.md §2.5).
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonSession {
    /// `dc_id`.
    pub dc_id: u8,
    /// `test_mode`.
    pub test_mode: bool,
    /// `auth_key`: standard base64 in chunks of 43 characters, joined.
    pub auth_key: AuthKey,
    /// `user_id`.
    pub user_id: u64,
    /// `date` (since 0.7.1).
    pub date: Option<i64>,
    /// `is_bot` (since 0.12.0).
    pub is_bot: Option<bool>,
    /// The peers of `peers_by_id`, with the usernames and phones of `peers_by_username` and
    /// `peers_by_phone` that name them, by id.
    pub peers: Vec<CachedPeer>,
    /// Usernames beyond a peer's first.
    pub extra_usernames: usize,
    /// Phone numbers beyond a peer's first.
    pub extra_phones: usize,
    /// Entries of the three `peers_by_*` maps that cannot be read as peers: a key of
    /// `peers_by_id` that is no id in Telegram's ranges, a value that is no integer
    /// (spec/conversions.md §2.5).
    pub unreadable: Vec<UnreadablePeer>,
}

fn err(detail: impl Into<String>) -> ConvertError {
    ConvertErrorKind::Json {
        detail: detail.into(),
    }
    .into()
}

fn object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ConvertError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(err(format!("{key} is not an object"))),
    }
}

/// Reads a JSON session (spec/conversions.md §2.5): `dc_id`, `test_mode`, `auth_key` and
/// `user_id` are required; `date`, `is_bot` and the three `peers_by_*` maps are optional, as
/// they were added over the 0.x releases.
pub fn read(text: &str) -> Result<JsonSession, ConvertError> {
    let value: Value = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(err("the top level is not an object"));
    };
    from_object(&map)
}

/// [`read`] of the JSON object detection has already parsed (spec/conversions.md §3.1 rule 1):
/// the text is not parsed again.
pub(crate) fn from_object(map: &Map<String, Value>) -> Result<JsonSession, ConvertError> {
    let dc_id = map
        .get("dc_id")
        .and_then(Value::as_u64)
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(|| err("dc_id is missing or not an integer from 0 to 255"))?;
    let test_mode = map
        .get("test_mode")
        .and_then(Value::as_bool)
        .ok_or_else(|| err("test_mode is missing or not a boolean"))?;
    let user_id = map
        .get("user_id")
        .and_then(Value::as_u64)
        .filter(|&u| u > 0 && u <= crate::Session::MAX_USER_ID)
        .ok_or_else(|| err("user_id is missing or not a positive integer"))?;
    let joined = Zeroizing::new(match map.get("auth_key") {
        Some(Value::Array(chunks)) => {
            let mut s = String::new();
            for c in chunks {
                s.push_str(
                    c.as_str()
                        .ok_or_else(|| err("auth_key holds a chunk that is not a string"))?,
                );
            }
            s
        }
        Some(Value::String(s)) => s.clone(),
        _ => return Err(err("auth_key is missing or not a list of strings")),
    });
    let bytes = Zeroizing::new(STANDARD.decode(joined.as_bytes()).map_err(|e| {
        err(match e {
            base64::DecodeError::InvalidByte(o, b)
            | base64::DecodeError::InvalidLastSymbol(o, b) => {
                format!(
                    "auth_key is not standard base64: {:?} at offset {o}",
                    char::from(b)
                )
            }
            _ => "auth_key is not standard base64 with padding".to_owned(),
        })
    })?);
    let auth_key = AuthKey::from_slice(&bytes)
        .map_err(|e| err(format!("auth_key holds {} bytes, expected 256", e.found)))?;
    let date = match map.get("date") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| err("date is not an integer"))?),
    };
    let is_bot = match map.get("is_bot") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_bool().ok_or_else(|| err("is_bot is not a boolean"))?),
    };
    let (peers, extra_usernames, extra_phones, unreadable) = read_peers(map)?;
    Ok(JsonSession {
        dc_id,
        test_mode,
        auth_key,
        user_id,
        date,
        is_bot,
        peers,
        extra_usernames,
        extra_phones,
        unreadable,
    })
}

/// What a JSON value is, as an unreadable entry names it.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(t) => {
            crate::storage::describe_value(rusqlite::types::ValueRef::Text(t.as_bytes()))
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A marked id as Python writes one ("+5" and "05" would name the same peer twice), of a
/// user, chat or channel in Telegram's ranges (spec/storage.md §6.3).
fn peer_id(k: &str) -> Option<i64> {
    k.parse()
        .ok()
        .filter(|id: &i64| id.to_string() == *k)
        .filter(|&id| crate::peer::id::kind(id, crate::peer::id::CURRENT).is_some())
}

/// The peers of `peers_by_id`, with the names and phones of the other two maps, by id; how
/// many usernames and phones were beyond a peer's first; and the entries that cannot be read,
/// which are left out (one bad entry does not lock the user out of the session,
/// spec/conversions.md §2.5).
fn read_peers(
    map: &Map<String, Value>,
) -> Result<(Vec<CachedPeer>, usize, usize, Vec<UnreadablePeer>), ConvertError> {
    let mut peers = Vec::new();
    let mut unreadable = Vec::new();
    if let Some(by_id) = object(map, "peers_by_id")? {
        for (k, v) in by_id {
            let Some(id) = peer_id(k) else {
                unreadable.push(UnreadablePeer {
                    id: None,
                    column: "a key of peers_by_id",
                    expected: "a user, chat or channel id",
                    found: describe(&Value::String(k.clone())),
                });
                continue;
            };
            let access_hash = match v {
                Value::Null => None,
                v => {
                    if let Some(h) = v.as_i64() {
                        Some(h)
                    } else {
                        unreadable.push(UnreadablePeer {
                            id: Some(id),
                            column: "peers_by_id",
                            expected: "an integer or null",
                            found: describe(v),
                        });
                        continue;
                    }
                }
            };
            // A basic group has no access hash; Pyrogram 2.0.106 stores 0 for one.
            let access_hash = access_hash.or_else(|| {
                (CachedPeer::type_from_id(id) == crate::peer::PeerType::Group).then_some(0)
            });
            peers.push(CachedPeer {
                id,
                access_hash,
                peer_type: None,
                username: None,
                phone_number: None,
                date: None,
            });
        }
    }
    peers.sort_by_key(|p| p.id);
    let (mut extra_usernames, mut extra_phones) = (0, 0);
    for (key, field) in [("peers_by_username", 0), ("peers_by_phone", 1)] {
        if let Some(m) = object(map, key)? {
            for (name, id) in m {
                let Some(id) = id.as_i64() else {
                    unreadable.push(UnreadablePeer {
                        id: None,
                        column: key,
                        expected: "an id",
                        found: describe(id),
                    });
                    continue;
                };
                if let Ok(i) = peers.binary_search_by_key(&id, |p| p.id) {
                    let slot = if field == 0 {
                        &mut peers[i].username
                    } else {
                        &mut peers[i].phone_number
                    };
                    if slot.is_none() {
                        *slot = Some(name.clone());
                    } else if field == 0 {
                        extra_usernames += 1;
                    } else {
                        extra_phones += 1;
                    }
                }
            }
        }
    }
    Ok((peers, extra_usernames, extra_phones, unreadable))
}

impl JsonSession {
    /// The hub's view. The peers carry no type and no date.
    #[must_use]
    pub fn into_account(self) -> Account {
        let mut losses = Vec::new();
        if self.extra_usernames > 0 {
            losses.push(Loss::ExtraUsernames {
                count: self.extra_usernames,
            });
        }
        if self.extra_phones > 0 {
            losses.push(Loss::ExtraPhones {
                count: self.extra_phones,
            });
        }
        if !self.unreadable.is_empty() {
            losses.push(Loss::UnreadablePeers {
                rows: self.unreadable,
            });
        }
        Account {
            kind: Kind::PyrogramJson,
            dc_id: self.dc_id,
            auth_key: self.auth_key,
            api_id: None,
            test_mode: Some(self.test_mode),
            user_id: Some(self.user_id),
            is_bot: self.is_bot,
            server: None,
            peers: self.peers,
            losses,
            warnings: Vec::new(),
        }
    }
}
