//! The in-process driver: this crate's engines behind the protocol (spec/conformance.md §3).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::driver::{Driver, DriverError, Failure};
use crate::peer::{InputPeer, Peer};
use crate::storage::{
    Clock, ManualClock, SessionStore, Storage, StorageError, StorageErrorKind, SystemClock,
};
use crate::AuthKey;

/// This crate's storage engines as a driver. Every storage it opens shares one clock, which
/// starts at the system's time and moves only by `advance_clock` or as real time passes.
#[derive(Debug)]
pub struct LocalDriver {
    storages: HashMap<u64, Held>,
    next_handle: u64,
    clock: Arc<LocalClock>,
    /// With `with_postgres`: the server new sessions are opened on.
    #[cfg(feature = "postgres")]
    postgres: Option<PgSessions>,
}

/// An open storage of any engine. A few per driver, in a map: their sizes do not matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Held {
    Sqlite(Storage),
    #[cfg(feature = "postgres")]
    Pg(crate::storage::postgres::PgStorage),
}

/// The sessions a driver made on a PostgreSQL server: each `open_file` path is one session
/// (so a path opened again is the same session), each `open_memory` a new one; all are deleted
/// when the driver is dropped.
#[cfg(feature = "postgres")]
#[derive(Debug)]
struct PgSessions {
    url: String,
    run: String,
    by_path: HashMap<String, String>,
    made: Vec<String>,
}

#[cfg(feature = "postgres")]
impl PgSessions {
    fn new_name(&mut self) -> String {
        let name = format!("{}-{}", self.run, self.made.len());
        self.made.push(name.clone());
        name
    }

    fn open(&self, name: &str) -> Result<crate::storage::postgres::PgStorage, StorageError> {
        crate::storage::postgres::PgStorage::open(
            &self.url,
            name,
            &crate::storage::postgres::LeaseOptions::default(),
        )
    }
}

#[cfg(feature = "postgres")]
impl Drop for LocalDriver {
    fn drop(&mut self) {
        self.storages.clear();
        if let Some(pg) = &self.postgres {
            for name in &pg.made {
                if let Ok(s) = pg.open(name) {
                    let _ = SessionStore::delete(s);
                }
            }
        }
    }
}

/// The system clock shifted by an offset.
#[derive(Debug, Default)]
struct LocalClock(ManualClock);

impl Clock for LocalClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.0.now()
    }
}

impl Default for LocalDriver {
    fn default() -> Self {
        LocalDriver {
            storages: HashMap::new(),
            next_handle: 1,
            clock: Arc::new(LocalClock::default()),
            #[cfg(feature = "postgres")]
            postgres: None,
        }
    }
}

impl LocalDriver {
    /// A driver with nothing open.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A driver whose storages (`open_memory`, `open_file`, `open_string`) are sessions of the
    /// PostgreSQL engine on the server at `url` (spec/postgres.md §9): a new session for each
    /// `open_memory` and `open_string`, one per `open_file` path. It names itself
    /// `pyrosession-postgres` and implements the `storage` profile. The sessions it made are
    /// deleted when it is dropped.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn with_postgres(url: &str) -> Self {
        let run = format!(
            "conform-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let mut driver = Self::default();
        driver.postgres = Some(PgSessions {
            url: url.to_owned(),
            run,
            by_path: HashMap::new(),
            made: Vec::new(),
        });
        driver
    }
}

/// The protocol's error kind for a storage error (spec/conformance.md §3.3).
fn failure(e: &StorageError, opening: &str) -> Failure {
    let kind = match e.kind() {
        StorageErrorKind::NotFound(_) => "not_found",
        StorageErrorKind::UsernameExpired { .. } => "expired",
        StorageErrorKind::UnknownPeerType { .. } | StorageErrorKind::MissingAccessHash { .. } => {
            "invalid_peer"
        }
        StorageErrorKind::InvalidValue { column, .. }
            if column.starts_with("peers.") || column.starts_with("pyrosession_peers.") =>
        {
            "invalid_peer"
        }
        StorageErrorKind::MissingField { .. } | StorageErrorKind::FieldOutOfRange { .. } => {
            "missing_field"
        }
        StorageErrorKind::SessionString(_) => "invalid_string",
        StorageErrorKind::UnsupportedWrite { .. } => "unsupported",
        _ if !opening.is_empty() => opening,
        _ => "other",
    };
    Failure {
        kind: kind.to_owned(),
        message: e.to_string(),
    }
}

fn arg<'a>(args: &'a Value, name: &str) -> Result<&'a Value, DriverError> {
    args.get(name)
        .ok_or_else(|| DriverError::Protocol(format!("missing argument {name}")))
}

fn str_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, DriverError> {
    arg(args, name)?
        .as_str()
        .ok_or_else(|| DriverError::Protocol(format!("{name} must be a string")))
}

fn bad(what: &str) -> DriverError {
    DriverError::Protocol(what.to_owned())
}

fn peer_from_json(v: &Value) -> Result<Result<Peer, Failure>, DriverError> {
    let row = v
        .as_array()
        .filter(|a| a.len() == 5)
        .ok_or_else(|| bad("a peer is [id, access_hash, type, username, phone_number]"))?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let type_text = row[2]
        .as_str()
        .ok_or_else(|| bad("peer type must be a string"))?;
    let Ok(peer_type) = type_text.parse() else {
        return Ok(Err(Failure {
            kind: "invalid_peer".into(),
            message: format!("unknown peer type {type_text:?}"),
        }));
    };
    Ok(Ok(Peer {
        id: row[0]
            .as_i64()
            .ok_or_else(|| bad("peer id must be an integer"))?,
        access_hash: row[1].as_i64(),
        peer_type,
        username: text(&row[3]),
        phone_number: text(&row[4]),
    }))
}

/// A session's fields as the protocol writes them (spec/conformance.md §3.2, §8.2).
fn fields_to_json(f: &crate::storage::SessionFields, with_date: bool) -> Value {
    let mut out = json!({
        "dc_id": f.dc_id,
        "api_id": f.api_id,
        "test_mode": f.test_mode,
        "auth_key": f.auth_key.as_ref().map(AuthKey::to_hex),
        "user_id": f.user_id,
        "is_bot": f.is_bot,
    });
    if with_date {
        out["date"] = json!(f.date);
    }
    out
}

/// `decode_string`: the Pyrogram-compatible decoder (spec/session-string.md §6).
fn decode_string(s: &str) -> Result<Value, Failure> {
    let d = crate::string::decode_compat(s).map_err(|e| Failure {
        kind: "invalid_string".into(),
        message: e.to_string(),
    })?;
    let f = &d.session;
    Ok(json!({
        "dc_id": f.dc_id,
        "api_id": f.api_id,
        "test_mode": f.test_mode,
        "auth_key": f.auth_key.to_hex(),
        "user_id": f.user_id,
        "is_bot": f.is_bot,
        "format": d.format.name(),
    }))
}

/// The session a `session` argument holds (spec/conformance.md §8.2): a missing or
/// out-of-range field a session needs is `missing_field`, as export says it (storage §7.2); a
/// value of the wrong type is the driver's error.
fn session_from_json(v: &Value) -> Result<Result<crate::Session, Failure>, DriverError> {
    let missing = |field: &str, what: &str| {
        Ok(Err(Failure {
            kind: "missing_field".into(),
            message: format!("{field} {what}"),
        }))
    };
    let int = |field: &str| -> Result<Option<i64>, DriverError> {
        match &v[field] {
            Value::Null => Ok(None),
            n => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(&format!("{field} must be an integer or null"))),
        }
    };
    let boolean = |field: &str| -> Result<Option<bool>, DriverError> {
        match &v[field] {
            Value::Null => Ok(None),
            b => b
                .as_bool()
                .map(Some)
                .ok_or_else(|| bad(&format!("{field} must be a boolean or null"))),
        }
    };
    let Some(dc_id) = int("dc_id")? else {
        return missing("dc_id", "is not set");
    };
    let Some(api_id) = int("api_id")? else {
        return missing("api_id", "is not set");
    };
    let Some(user_id) = int("user_id")? else {
        return missing("user_id", "is not set");
    };
    let (Some(test_mode), Some(is_bot)) = (boolean("test_mode")?, boolean("is_bot")?) else {
        return missing("test_mode or is_bot", "is not set");
    };
    let Some(hex) = v["auth_key"].as_str() else {
        return missing("auth_key", "is not set");
    };
    let (Ok(dc_id), Ok(api_id), Ok(user_id)) = (
        crate::storage::range::dc_id(dc_id),
        crate::storage::range::api_id(api_id),
        crate::storage::range::user_id(user_id),
    ) else {
        return missing("dc_id, api_id or user_id", "is out of range");
    };
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect();
    let auth_key = bytes
        .and_then(|b| AuthKey::from_slice(&b).ok())
        .ok_or_else(|| bad("auth_key must be 512 hexadecimal digits"))?;
    Ok(Ok(crate::Session {
        dc_id,
        api_id: Some(api_id),
        test_mode,
        auth_key,
        user_id,
        is_bot,
    }))
}

impl LocalDriver {
    fn handle(&mut self, args: &Value) -> Result<&mut Held, DriverError> {
        let h = arg(args, "handle")?
            .as_u64()
            .ok_or_else(|| bad("handle must be a number"))?;
        self.storages
            .get_mut(&h)
            .ok_or_else(|| bad(&format!("no open handle {h}")))
    }

    fn opened(&mut self, storage: Result<Storage, StorageError>) -> Result<Value, Failure> {
        let mut storage = storage.map_err(|e| failure(&e, "invalid_file"))?;
        storage.set_clock(self.clock.clone());
        Ok(self.hold(Held::Sqlite(storage)))
    }

    fn hold(&mut self, held: Held) -> Value {
        let h = self.next_handle;
        self.next_handle += 1;
        self.storages.insert(h, held);
        json!({ "handle": h })
    }

    /// Opens a PostgreSQL session: `path` names one across calls, `None` makes a new one; with
    /// `session`, it is written whole first, as a string's import does.
    #[cfg(feature = "postgres")]
    fn open_pg(
        &mut self,
        path: Option<&str>,
        session: Option<&crate::Session>,
    ) -> Result<Value, Failure> {
        let Some(pg) = self.postgres.as_mut() else {
            return Err(Failure {
                kind: "other".into(),
                message: "no PostgreSQL server".into(),
            });
        };
        let name = match path {
            Some(p) => {
                if let Some(name) = pg.by_path.get(p) {
                    name.clone()
                } else {
                    let name = pg.new_name();
                    pg.by_path.insert(p.to_owned(), name.clone());
                    name
                }
            }
            None => pg.new_name(),
        };
        let mut storage = pg.open(&name).map_err(|e| failure(&e, "invalid_file"))?;
        storage.set_clock(self.clock.clone());
        if let Some(session) = session {
            storage
                .set_session(session)
                .map_err(|e| failure(&e, "invalid_string"))?;
        }
        Ok(self.hold(Held::Pg(storage)))
    }

    #[cfg(feature = "postgres")]
    fn on_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    #[cfg(not(feature = "postgres"))]
    #[allow(clippy::unused_self)]
    fn on_postgres(&self) -> bool {
        false
    }

    fn get(s: &impl SessionStore, field: &str) -> Result<Value, Failure> {
        let f = s.session().map_err(|e| failure(&e, ""))?;
        Ok(match field {
            "dc_id" => json!(f.dc_id),
            "api_id" => json!(f.api_id),
            "test_mode" => json!(f.test_mode),
            "auth_key" => json!(f.auth_key.as_ref().map(AuthKey::to_hex)),
            "date" => json!(f.date),
            "user_id" => json!(f.user_id),
            "is_bot" => json!(f.is_bot),
            other => {
                return Err(Failure {
                    kind: "unsupported".into(),
                    message: format!("no field {other}"),
                })
            }
        })
    }

    fn set(
        s: &mut impl SessionStore,
        field: &str,
        v: &Value,
    ) -> Result<Result<(), StorageError>, DriverError> {
        let int = || {
            if v.is_null() {
                Ok(None)
            } else {
                v.as_i64()
                    .map(Some)
                    .ok_or_else(|| bad("expected an integer or null"))
            }
        };
        let boolean = || {
            if v.is_null() {
                Ok(None)
            } else {
                v.as_bool()
                    .map(Some)
                    .ok_or_else(|| bad("expected a boolean or null"))
            }
        };
        Ok(match field {
            "dc_id" => s.set_dc_id(int()?.ok_or_else(|| bad("dc_id cannot be null"))?),
            "api_id" => s.set_api_id(int()?),
            "test_mode" => s.set_test_mode(boolean()?),
            "auth_key" => {
                let key = match v.as_str() {
                    None => None,
                    Some(hex) => {
                        let bytes: Option<Vec<u8>> = (0..hex.len())
                            .step_by(2)
                            .map(|i| {
                                hex.get(i..i + 2)
                                    .and_then(|b| u8::from_str_radix(b, 16).ok())
                            })
                            .collect();
                        let bytes = bytes.ok_or_else(|| bad("auth_key must be hex"))?;
                        Some(AuthKey::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?)
                    }
                };
                s.set_auth_key(key.as_ref())
            }
            "date" => s.set_date(int()?.ok_or_else(|| bad("date cannot be null"))?),
            "user_id" => s.set_user_id(int()?),
            "is_bot" => s.set_is_bot(boolean()?),
            other => return Err(bad(&format!("no field {other}"))),
        })
    }
}

impl Driver for LocalDriver {
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        let args: Value = serde_json::from_str(args)
            .map_err(|e| DriverError::Protocol(format!("arguments of {op} are not JSON: {e}")))?;
        self.call_value(op, &args).map(|r| r.map(|v| v.to_string()))
    }
}

impl LocalDriver {
    // One arm per protocol operation: the protocol reads best as one table.
    #[allow(clippy::too_many_lines)]
    fn call_value(
        &mut self,
        op: &str,
        args: &Value,
    ) -> Result<Result<Value, Failure>, DriverError> {
        let done =
            |r: Result<(), StorageError>| r.map(|()| Value::Null).map_err(|e| failure(&e, ""));
        Ok(match op {
            "hello" if self.on_postgres() => Ok(json!({
                "implementation": format!("pyrosession-postgres {}", env!("CARGO_PKG_VERSION")),
                "protocol": 2,
                "profiles": ["storage"],
                "server": true,
            })),
            "hello" => Ok(json!({
                "implementation": format!("pyrosession {}", env!("CARGO_PKG_VERSION")),
                "protocol": 2,
                "profiles": ["storage", "string_codec", "file_read", "file_write"],
            })),
            #[cfg(feature = "postgres")]
            "open_file" if self.on_postgres() => {
                let path = str_arg(args, "path")?.to_owned();
                self.open_pg(Some(&path), None)
            }
            #[cfg(feature = "postgres")]
            "open_memory" if self.on_postgres() => self.open_pg(None, None),
            #[cfg(feature = "postgres")]
            "open_string" if self.on_postgres() => {
                match crate::string::decode_compat(str_arg(args, "session_string")?) {
                    Ok(decoded) => self.open_pg(None, Some(&decoded.session)),
                    Err(e) => Err(Failure {
                        kind: "invalid_string".into(),
                        message: e.to_string(),
                    }),
                }
            }
            "decode_string" => decode_string(str_arg(args, "session_string")?),
            "encode_string" => session_from_json(arg(args, "session")?)?.and_then(|s| {
                crate::string::encode(&s, crate::string::Format::V2)
                    .map(Value::String)
                    .map_err(|e| Failure {
                        kind: "missing_field".into(),
                        message: e.to_string(),
                    })
            }),
            "read_file" => {
                let path = str_arg(args, "path")?;
                Storage::open_file_read_only(path)
                    .and_then(|s| s.session())
                    .map(|f| fields_to_json(&f, true))
                    .map_err(|e| failure(&e, "invalid_file"))
            }
            "write_file" => {
                let path = str_arg(args, "path")?.to_owned();
                match session_from_json(arg(args, "session")?)? {
                    Ok(session) => Storage::create_file_from_session(&path, &session)
                        .map(|()| Value::Null)
                        .map_err(|e| failure(&e, "invalid_file")),
                    Err(f) => Err(f),
                }
            }
            "open_file" => {
                let path = str_arg(args, "path")?.to_owned();
                let storage = Storage::open_file(&path);
                self.opened(storage)
            }
            "open_named" => {
                let (name, workdir) = (
                    str_arg(args, "name")?.to_owned(),
                    str_arg(args, "workdir")?.to_owned(),
                );
                let storage = Storage::open(&name, Path::new(&workdir));
                self.opened(storage)
            }
            "open_memory" => {
                let storage = Storage::memory();
                self.opened(storage)
            }
            "open_string" => {
                let storage = Storage::from_session_string(str_arg(args, "session_string")?);
                self.opened(storage)
            }
            "get"
            | "set"
            | "update_peers"
            | "get_peer_by_id"
            | "get_peer_by_username"
            | "get_peer_by_phone_number"
            | "export"
            | "save" => {
                return match self.handle(args)? {
                    Held::Sqlite(s) => store_call(s, op, args),
                    #[cfg(feature = "postgres")]
                    Held::Pg(s) => store_call(s, op, args),
                };
            }
            "close" | "delete" => {
                let h = arg(args, "handle")?
                    .as_u64()
                    .ok_or_else(|| bad("handle must be a number"))?;
                let s = self
                    .storages
                    .remove(&h)
                    .ok_or_else(|| bad(&format!("no open handle {h}")))?;
                done(match (s, op == "close") {
                    (Held::Sqlite(s), true) => s.close(),
                    (Held::Sqlite(s), false) => s.delete(),
                    #[cfg(feature = "postgres")]
                    (Held::Pg(s), true) => SessionStore::close(s),
                    #[cfg(feature = "postgres")]
                    (Held::Pg(s), false) => SessionStore::delete(s),
                })
            }
            "advance_clock" => {
                let seconds = arg(args, "seconds")?
                    .as_i64()
                    .ok_or_else(|| bad("seconds must be an integer"))?;
                self.clock.0.advance(seconds);
                Ok(Value::Null)
            }
            other => Err(Failure {
                kind: "unsupported".into(),
                message: format!("unknown operation {other}"),
            }),
        })
    }
}

/// One operation of the storage interface on an open storage of any engine (spec/conformance.md
/// §3, spec/storage.md §1 "The storage's operations"): the part of the protocol every engine
/// shares, whatever opened it. Opening, closing and the clock are the driver's.
fn store_call(
    s: &mut impl SessionStore,
    op: &str,
    args: &Value,
) -> Result<Result<Value, Failure>, DriverError> {
    let done = |r: Result<(), StorageError>| r.map(|()| Value::Null).map_err(|e| failure(&e, ""));
    Ok(match op {
        "get" => {
            let field = str_arg(args, "field")?.to_owned();
            LocalDriver::get(s, &field)
        }
        "set" => {
            let field = str_arg(args, "field")?.to_owned();
            let value = arg(args, "value")?.clone();
            done(LocalDriver::set(s, &field, &value)?)
        }
        "update_peers" => {
            let rows = arg(args, "peers")?
                .as_array()
                .ok_or_else(|| bad("peers must be a list"))?
                .clone();
            let mut peers = Vec::new();
            for row in &rows {
                match peer_from_json(row)? {
                    Ok(p) => peers.push(p),
                    Err(f) => return Ok(Err(f)),
                }
            }
            done(s.update_peers(&peers))
        }
        "get_peer_by_id" => {
            let id = arg(args, "peer_id")?
                .as_i64()
                .ok_or_else(|| bad("peer_id must be an integer"))?;
            s.get_peer_by_id(id)
                .map(InputPeer::to_json_value)
                .map_err(|e| failure(&e, ""))
        }
        "get_peer_by_username" => {
            let u = str_arg(args, "username")?.to_owned();
            s.get_peer_by_username(&u)
                .map(InputPeer::to_json_value)
                .map_err(|e| failure(&e, ""))
        }
        "get_peer_by_phone_number" => {
            let p = str_arg(args, "phone_number")?.to_owned();
            s.get_peer_by_phone_number(&p)
                .map(InputPeer::to_json_value)
                .map_err(|e| failure(&e, ""))
        }
        "export" => s
            .export_session_string()
            .map(Value::String)
            .map_err(|e| failure(&e, "")),
        "save" => done(s.save()),
        other => Err(Failure {
            kind: "unsupported".into(),
            message: format!("unknown operation {other}"),
        }),
    })
}
