//! The session fields: one row of `sessions`, read and written by column name
//! (spec/storage.md §7).

use crate::storage::{Named as _, StorageErrorKind};
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::schema::Dialect;
use super::{Storage, StorageError};
use crate::string::{encode, Format};
use crate::{AuthKey, Session};

/// The session row as stored. Every field Pyrogram may leave NULL is an `Option`.
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFields {
    /// `dc_id`.
    pub dc_id: i64,
    /// `api_id`; NULL after a legacy import or a migration from version 2.
    pub api_id: Option<i64>,
    /// `test_mode`.
    pub test_mode: Option<bool>,
    /// `auth_key`, exactly 256 bytes when set.
    pub auth_key: Option<AuthKey>,
    /// `date`, Unix seconds of the last `save()`; 0 when never saved.
    pub date: i64,
    /// `user_id`; NULL means not signed in.
    pub user_id: Option<i64>,
    /// `is_bot`.
    pub is_bot: Option<bool>,
    /// kurigram v7's `server_address`.
    pub server_address: Option<String>,
    /// kurigram v7's `port`.
    pub port: Option<i64>,
}

/// What a session can hold of a stored integer field (spec/storage.md §7.2): the one place the
/// ranges are written. `dc_id` 0 to 255, `api_id` 0 to 2^32-1, `user_id` 0 to
/// [`Session::MAX_USER_ID`]; the value that does not fit is the error.
pub(crate) mod range {
    /// `dc_id` as a session holds it.
    pub(crate) fn dc_id(v: i64) -> Result<u8, i64> {
        u8::try_from(v).map_err(|_| v)
    }

    /// `api_id` as a session holds it.
    pub(crate) fn api_id(v: i64) -> Result<u32, i64> {
        u32::try_from(v).map_err(|_| v)
    }

    /// `user_id` as a session holds it (every `i64` that is not negative fits).
    pub(crate) fn user_id(v: i64) -> Result<u64, i64> {
        u64::try_from(v)
            .ok()
            .filter(|&u| u <= crate::Session::MAX_USER_ID)
            .ok_or(v)
    }
}

/// A description of a stored value for an error message: its type and, for numbers and short
/// text, its value; never the bytes of a blob.
pub(crate) fn describe(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => format!("the integer {i}"),
        ValueRef::Real(r) => format!("the real {r}"),
        ValueRef::Text(t) => {
            let t = String::from_utf8_lossy(t);
            if t.chars().count() <= 32 {
                format!("the text {t:?}")
            } else {
                format!("a text of {} characters", t.chars().count())
            }
        }
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

/// A value's type and size, never its content: for the key's column, where whatever is there
/// may be key material.
pub(crate) fn describe_kind(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(_) => "an integer".to_owned(),
        ValueRef::Real(_) => "a real".to_owned(),
        ValueRef::Text(t) => format!("a text of {} bytes", t.len()),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

fn integer(
    v: ValueRef<'_>,
    column: &'static str,
    nullable: bool,
) -> Result<Option<i64>, StorageError> {
    match v {
        ValueRef::Integer(i) => Ok(Some(i)),
        ValueRef::Null if nullable => Ok(None),
        other => Err(StorageError::new(
            None,
            StorageErrorKind::InvalidValue {
                column,
                expected: if nullable {
                    "an integer or NULL"
                } else {
                    "an integer"
                },
                found: describe(other),
            },
        )),
    }
}

fn boolean(v: ValueRef<'_>, column: &'static str) -> Result<Option<bool>, StorageError> {
    Ok(integer(v, column, true)?.map(|i| i != 0))
}

/// Reads and checks the one row of `sessions`.
pub(crate) fn read_fields(
    conn: &Connection,
    dialect: Dialect,
    path: Option<&Path>,
) -> Result<SessionFields, StorageError> {
    read_session_row(conn, dialect, path).map_err(|e| e.at(path))
}

fn read_session_row(
    conn: &Connection,
    dialect: Dialect,
    path: Option<&Path>,
) -> Result<SessionFields, StorageError> {
    let sqlite = |source| StorageError::from_sqlite(path, "reading the session", source);
    let api_id = if matches!(dialect, Dialect::Pyrogram(v) if v < 3) {
        "NULL"
    } else {
        "api_id"
    };
    let server = if matches!(dialect, Dialect::Kurigram(7)) {
        "server_address, port"
    } else {
        "NULL, NULL"
    };
    let sql = format!("SELECT dc_id, {api_id}, test_mode, auth_key, date, user_id, is_bot, {server} FROM sessions LIMIT 2");
    let mut stmt = conn.prepare_cached(&sql).map_err(sqlite)?;
    let mut rows = stmt.query([]).map_err(sqlite)?;
    let row = rows.next().map_err(sqlite)?.ok_or(StorageError::new(
        path.map(Path::to_path_buf),
        StorageErrorKind::SessionRows { found: 0 },
    ))?;
    let get = |i| row.get_ref(i).map_err(sqlite);
    let auth_key = match get(3)? {
        ValueRef::Null => None,
        ValueRef::Blob(b) => Some(AuthKey::from_slice(b).map_err(|e| {
            StorageError::new(
                None,
                StorageErrorKind::InvalidValue {
                    column: "sessions.auth_key",
                    expected: "a blob of 256 bytes",
                    found: format!("a blob of {} bytes", e.found),
                },
            )
        })?),
        other => {
            return Err(StorageError::new(
                None,
                StorageErrorKind::InvalidValue {
                    column: "sessions.auth_key",
                    expected: "a blob of 256 bytes",
                    found: describe_kind(other),
                },
            ))
        }
    };
    let server_address = match get(7)? {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        other => {
            return Err(StorageError::new(
                None,
                StorageErrorKind::InvalidValue {
                    column: "sessions.server_address",
                    expected: "text or NULL",
                    found: describe(other),
                },
            ))
        }
    };
    let fields = SessionFields {
        dc_id: integer(get(0)?, "sessions.dc_id", false)?.unwrap_or_default(),
        api_id: integer(get(1)?, "sessions.api_id", true)?,
        test_mode: boolean(get(2)?, "sessions.test_mode")?,
        auth_key,
        date: integer(get(4)?, "sessions.date", false)?.unwrap_or_default(),
        user_id: integer(get(5)?, "sessions.user_id", true)?,
        is_bot: boolean(get(6)?, "sessions.is_bot")?,
        server_address,
        port: integer(get(8)?, "sessions.port", true)?,
    };
    if rows.next().map_err(sqlite)?.is_some() {
        let found: i64 = conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .map_err(sqlite)?;
        return Err(StorageError::new(
            path.map(Path::to_path_buf),
            StorageErrorKind::SessionRows {
                found: usize::try_from(found).unwrap_or(usize::MAX),
            },
        ));
    }
    Ok(fields)
}

impl Storage {
    /// The session fields, read and checked (spec/storage.md §7.1).
    pub fn session(&self) -> Result<SessionFields, StorageError> {
        self.reading(|| {
            read_fields(&self.conn, self.dialect, self.path()).map_err(|e| match e.kind() {
                StorageErrorKind::InUse { .. } => {
                    StorageError::about(e.path(), StorageErrorKind::InUse { waited: self.wait })
                }
                _ => e,
            })
        })
    }

    fn set(
        &mut self,
        column: &'static str,
        value: impl rusqlite::ToSql,
    ) -> Result<(), StorageError> {
        if matches!(self.dialect, Dialect::Kurigram(7)) && matches!(column, "dc_id" | "test_mode") {
            return Err(StorageError::from(StorageErrorKind::UnsupportedWrite {
                dialect: self.dialect,
                what: format!("set {column} without the matching server_address and port"),
            }));
        }
        self.begin_write()?;
        let sql = format!("UPDATE sessions SET {column} = ?1");
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.sqlite("writing the session", e))?;
        stmt.execute([value])
            .map_err(|e| self.sqlite("writing the session", e))?;
        Ok(())
    }

    /// Sets `dc_id` and commits.
    pub fn set_dc_id(&mut self, dc_id: i64) -> Result<(), StorageError> {
        self.set("dc_id", dc_id)
    }

    /// Sets `api_id` (NULL with `None`) and commits.
    pub fn set_api_id(&mut self, api_id: Option<i64>) -> Result<(), StorageError> {
        self.set("api_id", api_id)
    }

    /// Sets `test_mode` and commits.
    pub fn set_test_mode(&mut self, test_mode: Option<bool>) -> Result<(), StorageError> {
        self.set("test_mode", test_mode)
    }

    /// Sets `auth_key` and commits.
    pub fn set_auth_key(&mut self, auth_key: Option<&AuthKey>) -> Result<(), StorageError> {
        self.set("auth_key", auth_key.map(|k| k.as_bytes().as_slice()))
    }

    /// Sets `date` and commits.
    pub fn set_date(&mut self, date: i64) -> Result<(), StorageError> {
        self.set("date", date)
    }

    /// Sets `user_id` (NULL with `None`) and commits.
    pub fn set_user_id(&mut self, user_id: Option<i64>) -> Result<(), StorageError> {
        self.set("user_id", user_id)
    }

    /// Sets `is_bot` and commits.
    pub fn set_is_bot(&mut self, is_bot: Option<bool>) -> Result<(), StorageError> {
        self.set("is_bot", is_bot)
    }

    /// Writes a whole session, as importing a session string does: every field, `date` 0, in
    /// one transaction.
    pub fn set_session(&mut self, session: &Session) -> Result<(), StorageError> {
        if matches!(self.dialect, Dialect::Kurigram(7)) {
            return Err(StorageError::from(StorageErrorKind::UnsupportedWrite {
                dialect: self.dialect,
                what: "import a session without the matching server_address and port".to_owned(),
            }));
        }
        let user_id = i64::try_from(session.user_id).map_err(|_| {
            StorageError::from(StorageErrorKind::UserIdOutOfRange {
                user_id: session.user_id,
            })
        })?;
        self.begin_write()?;
        // One statement, so atomic on its own: no transaction around it.
        self.conn
            .execute(
                "UPDATE sessions SET dc_id = ?1, api_id = ?2, test_mode = ?3, auth_key = ?4, date = 0, user_id = ?5, is_bot = ?6",
                rusqlite::params![
                    session.dc_id,
                    session.api_id,
                    session.test_mode,
                    session.auth_key.as_bytes().as_slice(),
                    user_id,
                    session.is_bot
                ],
            )
            .map(drop)
            .map_err(|e| self.sqlite("writing the session", e))
    }

    /// The session as a `v2` session string, as Pyrogram's `export_session_string` makes it
    /// (spec/storage.md §7.2). A field the string needs that is unset, or out of its range, is
    /// an error naming the field (Pyrogram raises a bare `struct.error`).
    pub fn export_session_string(&self) -> Result<String, StorageError> {
        export(&self.session()?)
    }
}

/// The `v2` session string of a session row (spec/storage.md §7.2), or the field it lacks.
pub(crate) fn export(f: &SessionFields) -> Result<String, StorageError> {
    let need = |field| StorageError::from(StorageErrorKind::MissingField { field });
    let out_of_range =
        |field, value| StorageError::from(StorageErrorKind::FieldOutOfRange { field, value });
    let api_id = f.api_id.ok_or_else(|| need("api_id"))?;
    let user_id = f.user_id.ok_or_else(|| need("user_id"))?;
    let session = Session {
        dc_id: range::dc_id(f.dc_id).map_err(|v| out_of_range("dc_id", v))?,
        api_id: Some(range::api_id(api_id).map_err(|v| out_of_range("api_id", v))?),
        test_mode: f.test_mode.ok_or_else(|| need("test_mode"))?,
        auth_key: f.auth_key.clone().ok_or_else(|| need("auth_key"))?,
        user_id: range::user_id(user_id).map_err(|v| out_of_range("user_id", v))?,
        is_bot: f.is_bot.ok_or_else(|| need("is_bot"))?,
    };
    encode(&session, Format::V2).map_err(|_| out_of_range("user_id", user_id))
}

#[cfg(test)]
mod tests {
    use super::range;

    /// The ranges of spec/storage.md §7.2, at their edges: the one rule export, conversion,
    /// the report's warnings and the conformance driver share.
    #[test]
    fn ranges_at_their_edges() {
        assert_eq!(range::dc_id(0), Ok(0));
        assert_eq!(range::dc_id(255), Ok(255));
        assert_eq!(range::dc_id(256), Err(256));
        assert_eq!(range::dc_id(-1), Err(-1));
        assert_eq!(range::api_id(4_294_967_295), Ok(u32::MAX));
        assert_eq!(range::api_id(4_294_967_296), Err(4_294_967_296));
        assert_eq!(range::api_id(-1), Err(-1));
        assert_eq!(range::user_id(0), Ok(0));
        assert_eq!(range::user_id(i64::MAX), Ok(crate::Session::MAX_USER_ID));
        assert_eq!(range::user_id(-1), Err(-1));
    }
}
