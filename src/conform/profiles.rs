//! The profiles and the scenarios of the parts an implementation may do alone: the string
//! codec, reading session files and writing them (spec/conformance.md §8).

use super::driver::CallJson as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::scenarios::{
    differs, example_key_hex, example_legacy32, example_legacy64, example_v2, expect, read_back,
    read_regular, schema_v2, Ctx, Fail, Scenario, JSON_SESSION, MAX_MADE, NOT_SQLITE, TELETHON_SQL,
};
use crate::storage::{Dialect, Storage};
use crate::string::decode_strict;

/// A part of what a session storage does, which a driver declares in `hello`
/// (spec/conformance.md §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// Decoding and encoding session strings: `decode_string`, `encode_string`.
    StringCodec,
    /// Reading a session file's session without changing the file: `read_file`.
    FileRead,
    /// Writing a new session file: `write_file`.
    FileWrite,
    /// The whole storage: the operations of §3.2.
    Storage,
}

impl Profile {
    /// Every profile, in the order of the report.
    pub const ALL: [Profile; 4] = [
        Profile::Storage,
        Profile::StringCodec,
        Profile::FileRead,
        Profile::FileWrite,
    ];

    /// Its name in `hello` and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Profile::StringCodec => "string_codec",
            Profile::FileRead => "file_read",
            Profile::FileWrite => "file_write",
            Profile::Storage => "storage",
        }
    }

    /// The profile of that name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The six fields of a session as `decode_string` gives them and `encode_string` takes them.
fn six(dc_id: i64, api_id: Option<i64>, test_mode: bool, user_id: i64, is_bot: bool) -> Value {
    json!({"dc_id": dc_id, "api_id": api_id, "test_mode": test_mode, "auth_key": example_key_hex(), "user_id": user_id, "is_bot": is_bot})
}

/// The worked example's fields (spec/session-string.md §4.3).
fn example_fields(api_id: Option<i64>) -> Value {
    six(2, api_id, false, 123_456_789, false)
}

/// set-all's six fields (spec/conformance.md §4.1).
fn set_all_fields() -> Value {
    six(4, Some(12345), true, 5_000_000_001, false)
}

/// set-all as a session of this crate, for the files the runner writes.
fn set_all_session() -> crate::Session {
    crate::Session {
        dc_id: 4,
        api_id: Some(12345),
        test_mode: true,
        auth_key: super::scenarios::example_key(),
        user_id: 5_000_000_001,
        is_bot: false,
    }
}

/// `encode_string` must fail with `missing_field`; a string it gives instead is described by
/// its length only (it holds a key).
fn encode_refused(ctx: &mut Ctx<'_>, what: &str, session: &Value) -> Result<(), Fail> {
    match ctx
        .driver()
        .call_json("encode_string", json!({ "session": session }))?
    {
        Err(f) if f.kind == "missing_field" => Ok(()),
        Err(f) => differs(format!(
            "encode_string {what} failed with {f}, expected missing_field"
        )),
        Ok(Value::String(s)) => differs(format!(
            "encode_string {what} gave a string of {} characters{}, expected missing_field",
            s.len(),
            match crate::string::Format::from_char_len(s.len()) {
                Some(f) if f != crate::string::Format::V2 => format!(" (the {} layout)", f.name()),
                _ => String::new(),
            }
        )),
        Ok(other) => differs(format!(
            "encode_string {what} gave {other}, expected missing_field"
        )),
    }
}

/// A decoded session compared member by member; `format` only when the driver gives it.
fn expect_decoded(what: &str, seen: &Value, wanted: &Value, format: &str) -> Result<(), Fail> {
    for field in [
        "dc_id",
        "api_id",
        "test_mode",
        "auth_key",
        "user_id",
        "is_bot",
    ] {
        match seen.get(field) {
            None => return differs(format!("{what}: {field} not given")),
            Some(v) if *v != wanted[field] => {
                // Never the key itself: only whether it matched.
                let v = if field == "auth_key" {
                    json!("a different key")
                } else {
                    v.clone()
                };
                return differs(format!(
                    "{what}: {field} {v}, expected {}",
                    if field == "auth_key" {
                        json!("K")
                    } else {
                        wanted[field].clone()
                    }
                ));
            }
            Some(_) => {}
        }
    }
    match seen.get("format") {
        Some(f) if *f != json!(format) => differs(format!("{what}: format {f}, expected {format}")),
        _ => Ok(()),
    }
}

fn decode(ctx: &mut Ctx<'_>, s: &str) -> Result<Value, Fail> {
    ctx.ok("decode_string", json!({ "session_string": s }))
}

/// The bytes of the regular file at `path` (none if there is none), read under the time limit
/// of one answer, never waiting on a FIFO (spec/conformance.md §2.4).
fn bytes(ctx: &mut Ctx<'_>, path: &Path) -> Result<Option<Vec<u8>>, Fail> {
    let p = path.to_path_buf();
    ctx.bounded(path, move || Ok(read_regular(&p, MAX_MADE).ok()))
}

/// The file's bytes are those read before.
fn unchanged(
    ctx: &mut Ctx<'_>,
    path: &Path,
    before: Option<&Vec<u8>>,
    what: &str,
) -> Result<(), Fail> {
    if bytes(ctx, path)?.as_ref() == before {
        Ok(())
    } else {
        differs(format!("the file changed although {what}"))
    }
}

/// An answer for a report: a key replaced by `…`, since it may be a real one.
fn without_key(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(key) = v.get_mut("auth_key").filter(|k| !k.is_null()) {
        *key = json!("…");
    }
    v
}

/// `read_file` gives `wanted` (seven fields) and leaves the file's bytes as they were.
fn read_gives(ctx: &mut Ctx<'_>, path: &Path, wanted: &Value) -> Result<(), Fail> {
    let before = bytes(ctx, path)?;
    let seen = ctx.ok("read_file", json!({ "path": path }));
    unchanged(ctx, path, before.as_ref(), "it was only read")?;
    let seen = seen?;
    expect_decoded("read_file", &seen, wanted, "")?;
    expect(
        "read_file: date",
        seen.get("date").unwrap_or(&json!("not given")),
        &wanted["date"],
    )
}

/// `read_file` fails with `invalid_file` and leaves the file's bytes as they were.
fn read_refused(ctx: &mut Ctx<'_>, path: &Path) -> Result<(), Fail> {
    let before = bytes(ctx, path)?;
    let seen = ctx
        .driver()
        .call_json("read_file", json!({ "path": path }))?;
    unchanged(ctx, path, before.as_ref(), "reading it failed")?;
    match seen {
        Err(f) if f.kind == "invalid_file" => Ok(()),
        Err(f) => differs(format!("read_file failed with {f}, expected invalid_file")),
        Ok(v) => differs(format!(
            "read_file succeeded with {}, expected invalid_file",
            without_key(&v)
        )),
    }
}

/// A file the runner makes with SQLite in the scenario's folder: created empty, then `sql` run
/// on it.
fn sqlite_file(ctx: &mut Ctx<'_>, name: &str, sql: String) -> Result<PathBuf, Fail> {
    let p = ctx.new_file(name, b"")?;
    let q = p.clone();
    ctx.bounded(&p, move || {
        rusqlite::Connection::open(&q)
            .and_then(|c| c.execute_batch(&sql))
            .or_else(|e| differs(e.to_string()))
    })?;
    Ok(p)
}

/// A version 3 file the crate writes holding set-all, then changed by one SQL statement.
fn crate_file(ctx: &mut Ctx<'_>, name: &str, change: &'static str) -> Result<PathBuf, Fail> {
    let p = ctx.path(name);
    let q = p.clone();
    ctx.bounded(&p, move || {
        Storage::create_file_from_session(&q, &set_all_session())
            .or_else(|e| differs(e.to_string()))?;
        rusqlite::Connection::open(&q)
            .and_then(|c| c.execute_batch(change))
            .or_else(|e| differs(e.to_string()))
    })?;
    Ok(p)
}

fn write(ctx: &mut Ctx<'_>, name: &str, session: &Value) -> Result<PathBuf, Fail> {
    let path = ctx.path(name);
    ctx.ok("write_file", json!({ "path": path, "session": session }))?;
    Ok(path)
}

/// A string the strict decoder accepts (it is canonical, session-string §5), holding set-all's
/// six fields; what came back is described by its kind or length only, since it holds a key.
fn strict_set_all(what: &str, s: &Value) -> Result<(), Fail> {
    let Some(s) = s.as_str() else {
        return differs(format!("{what} gave no string"));
    };
    let d = decode_strict(s).or_else(|e| differs(format!("{what} is not canonical: {e}")))?;
    let f = &d.session;
    if (f.dc_id, f.api_id, f.test_mode, f.user_id, f.is_bot)
        != (4, Some(12345), true, 5_000_000_001, false)
        || f.auth_key.to_hex() != example_key_hex()
    {
        return differs(format!("{what} holds {f:?}"));
    }
    Ok(())
}

/// What the crate finds in a file the implementation wrote: its dialect, its schema rendering
/// against that of a file the crate writes for the same session, its session row, its peer
/// count, and `sessions`' column types and boolean values.
struct Written {
    dialect: Dialect,
    schemas: (Result<String, String>, Result<String, String>),
    session: Result<crate::storage::SessionFields, String>,
    peers: Result<usize, String>,
    encodings: Result<(String, i64, String, i64, String, i64), String>,
}

fn examine(ctx: &mut Ctx<'_>, path: &Path) -> Result<Written, Fail> {
    let (p, reference) = (path.to_path_buf(), ctx.path("reference.session"));
    ctx.bounded(path, move || {
        // The crate's checks first: a FIFO there is refused, never waited on by SQLite.
        let theirs = read_back(&p)?;
        Storage::create_file_from_session(&reference, &set_all_session()).or_else(|e| differs(e.to_string()))?;
        let reference = Storage::open_file_read_only(&reference).or_else(|e| differs(e.to_string()))?;
        let conn = rusqlite::Connection::open_with_flags(&p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .or_else(|e| differs(e.to_string()))?;
        let encodings = conn
            .query_row("SELECT typeof(test_mode), test_mode, typeof(auth_key), length(auth_key), typeof(is_bot), is_bot FROM sessions", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .map_err(|e| e.to_string());
        Ok(Written {
            dialect: theirs.dialect(),
            schemas: (theirs.render_schema().map_err(|e| e.to_string()), reference.render_schema().map_err(|e| e.to_string())),
            session: theirs.session().map_err(|e| e.to_string()),
            peers: theirs.peers().map(|p| p.len()).map_err(|e| e.to_string()),
            encodings,
        })
    })
}

/// The two renderings compared line by line; the detail names the first line that differs.
fn same_schema(schemas: &(Result<String, String>, Result<String, String>)) -> Result<(), Fail> {
    match schemas {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Ok(a), Ok(b)) => {
            let index = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
            let (x, y) = (
                a.lines().nth(index).unwrap_or("(end)"),
                b.lines().nth(index).unwrap_or("(end)"),
            );
            differs(format!(
                "schema differs from line {} of its rendering: {:?}, expected {:?}",
                index + 1,
                x.trim(),
                y.trim()
            ))
        }
        (a, b) => differs(format!("cannot render the schemas: {a:?}, {b:?}")),
    }
}

macro_rules! profile_scenarios {
    ($name:ident, $profile:expr; $($id:literal, $section:literal, $summary:literal, $body:expr;)*) => {
        /// The scenarios of one profile, in order.
        pub(crate) const $name: &[Scenario] = &[$(Scenario { id: $id, profile: $profile, section: $section, summary: $summary, run: $body }),*];
    };
}

profile_scenarios! { CODEC, Profile::StringCodec;
    "codec.decode_v2", "session-string §6", "a v2 string decodes to its six fields", |ctx| {
        let seen = decode(ctx, example_v2())?;
        expect_decoded("decode_string", &seen, &example_fields(Some(12345)), "v2")
    };
    "codec.decode_legacy32", "session-string §6.1", "a legacy32 string decodes without an api_id", |ctx| {
        let seen = decode(ctx, example_legacy32())?;
        expect_decoded("decode_string", &seen, &example_fields(None), "legacy32")
    };
    "codec.decode_legacy64", "session-string §6.1", "a legacy64 string decodes without an api_id", |ctx| {
        let seen = decode(ctx, example_legacy64())?;
        expect_decoded("decode_string", &seen, &example_fields(None), "legacy64")
    };
    "codec.decode_noncanonical", "session-string §6.2", "padding and the standard alphabet decode as Pyrogram reads them", |ctx| {
        let lenient = format!("{}==", example_v2().replace('-', "+").replace('_', "/"));
        let seen = decode(ctx, &lenient)?;
        expect_decoded("decode_string", &seen, &example_fields(Some(12345)), "v2")
    };
    "codec.rejects_garbage", "session-string §6", "a string that is no session string is refused", |ctx| {
        ctx.fails_with("invalid_string", "decode_string", json!({ "session_string": "hello world" }))?;
        ctx.fails_with("invalid_string", "decode_string", json!({ "session_string": &example_v2()[..361] }))
    };
    "codec.encode_v2", "storage §7.2, session-string §4.3", "the worked example's fields encode to its string exactly", |ctx| {
        let s = ctx.ok("encode_string", json!({ "session": example_fields(Some(12345)) }))?;
        expect("encode_string", &s, &json!(example_v2()))
    };
    "codec.encode_strict", "storage §7.2, session-string §5", "an encoded string is canonical and holds the fields", |ctx| {
        let s = ctx.ok("encode_string", json!({ "session": set_all_fields() }))?;
        strict_set_all("encode_string", &s)
    };
    "codec.encode_missing_fields", "storage §7.2", "encoding fails while api_id or user_id is unset", |ctx| {
        let mut no_api = set_all_fields();
        no_api["api_id"] = Value::Null;
        encode_refused(ctx, "without api_id", &no_api)?;
        let mut no_user = set_all_fields();
        no_user["user_id"] = Value::Null;
        encode_refused(ctx, "without user_id", &no_user)
    };
    "codec.corpus", "session-string §6, §9.2", "every string of the corpus gets Pyrogram 2.0.106's verdict and fields", |ctx| {
        let report = super::corpus::run(ctx.driver())?;
        let agree = report.agree == report.inputs;
        let summary = report.summary();
        ctx.corpus = Some(report);
        if agree { Ok(()) } else { differs(summary) }
    };
}

profile_scenarios! { READ, Profile::FileRead;
    "read.v3", "storage §3, §7.1", "a version 3 file's session is read and the file left unchanged", |ctx| {
        let path = crate_file(ctx, "r.session", "")?;
        let mut wanted = set_all_fields();
        wanted["date"] = json!(0);
        read_gives(ctx, &path, &wanted)
    };
    "read.pyrogram_file", "storage §3", "a file real Pyrogram 2.0.106 wrote is read as its manifest says", |ctx| {
        let path = ctx.new_file("p.session", include_bytes!("../../spec/fixtures/pyrogram-2.0.106.session"))?;
        let mut wanted = example_fields(Some(12345));
        wanted["date"] = json!(1_795_512_034);
        read_gives(ctx, &path, &wanted)
    };
    "read.migrated_file", "storage §5", "a file Pyrogram migrated from version 2 (api_id last) is read by column name", |ctx| {
        let path = ctx.new_file("m.session", include_bytes!("../../spec/fixtures/pyrogram-1.4.16-migrated-by-2.0.106.session"))?;
        let mut wanted = example_fields(None);
        wanted["date"] = json!(1_795_512_035);
        read_gives(ctx, &path, &wanted)
    };
    "read.v2", "storage §5", "a version 2 file is read as migrated, without migrating it", |ctx| {
        let sql = format!("{} INSERT INTO version VALUES (2); INSERT INTO sessions VALUES (3, 0, X'{}', 0, 4242, 0);", schema_v2(), example_key_hex());
        let path = sqlite_file(ctx, "v2.session", sql)?;
        let wanted = json!({"dc_id": 3, "api_id": null, "test_mode": false, "auth_key": example_key_hex(), "date": 0, "user_id": 4242, "is_bot": false});
        read_gives(ctx, &path, &wanted)
    };
    "read.empty_file", "storage §4", "an empty file is refused and left empty", |ctx| {
        let p = ctx.new_file("empty.session", b"")?;
        read_refused(ctx, &p)
    };
    "read.json_session", "storage §4", "a Pyrogram 0.14 JSON session is refused and left alone", |ctx| {
        let p = ctx.new_file("json.session", JSON_SESSION)?;
        read_refused(ctx, &p)
    };
    "read.not_sqlite", "storage §4", "a file that is not SQLite is refused and left alone", |ctx| {
        let p = ctx.new_file("text.session", NOT_SQLITE)?;
        read_refused(ctx, &p)
    };
    "read.telethon", "storage §4", "a Telethon session file is refused and left alone", |ctx| {
        let p = sqlite_file(ctx, "telethon.session", TELETHON_SQL.to_owned())?;
        read_refused(ctx, &p)
    };
    "read.missing_version_row", "storage §4", "a file without its version row is refused and left alone", |ctx| {
        let p = crate_file(ctx, "nover.session", "DELETE FROM version")?;
        read_refused(ctx, &p)
    };
    "read.newer_version", "storage §4", "a file of a newer schema version is refused and left alone", |ctx| {
        let p = crate_file(ctx, "newer.session", "UPDATE version SET number = 99")?;
        read_refused(ctx, &p)
    };
}

profile_scenarios! { WRITE, Profile::FileWrite;
    "write.schema", "storage §3.1, §3.2", "a written file has Pyrogram 2.0.106's schema, version 3 and the session", |ctx| {
        let path = write(ctx, "w.session", &set_all_fields())?;
        let w = examine(ctx, &path)?;
        if w.dialect != Dialect::Pyrogram(3) {
            return differs(format!("the file written is {}, not pyrogram v3", w.dialect));
        }
        same_schema(&w.schemas)?;
        let f = w.session.or_else(differs)?;
        let key_ok = f.auth_key.as_ref().map(crate::AuthKey::to_hex) == Some(example_key_hex());
        if (f.dc_id, f.api_id, f.test_mode, key_ok, f.user_id, f.is_bot) != (4, Some(12345), Some(true), true, Some(5_000_000_001), Some(false)) {
            return differs(format!(
                "the session row holds dc_id {}, api_id {:?}, test_mode {:?}, {}, user_id {:?}, is_bot {:?}",
                f.dc_id, f.api_id, f.test_mode, if key_ok { "key K" } else { "another key" }, f.user_id, f.is_bot
            ));
        }
        match w.peers.or_else(differs)? {
            0 => Ok(()),
            n => differs(format!("{n} peers written")),
        }
    };
    "write.column_encodings", "storage §3.3", "a written file stores booleans as 0/1 and the key as a 256-byte blob", |ctx| {
        let path = write(ctx, "e.session", &set_all_fields())?;
        let row = examine(ctx, &path)?.encodings.or_else(differs)?;
        if row != ("integer".into(), 1, "blob".into(), 256, "integer".into(), 0) {
            return differs(format!("sessions encodings {row:?}"));
        }
        Ok(())
    };
    "write.opens_as_storage", "storage §2.2, §7.2", "a written file opens as a storage and exports the session", |ctx| {
        let path = write(ctx, "o.session", &set_all_fields())?;
        let p = path.clone();
        let s = ctx.bounded(&path, move || {
            let storage = Storage::open_file(&p).or_else(|e| differs(format!("the crate cannot open the file written: {e}")))?;
            storage.export_session_string().or_else(|e| differs(format!("the file written cannot be exported: {e}")))
        })?;
        strict_set_all("export of the file written", &json!(s))
    };
    "write.keeps_existing", "conversions §5.5", "writing where a file exists fails and leaves it alone", |ctx| {
        let path = crate_file(ctx, "x.session", "")?;
        let before = bytes(ctx, &path)?;
        let seen = ctx.driver().call_json("write_file", json!({ "path": path, "session": set_all_fields() }))?;
        unchanged(ctx, &path, before.as_ref(), "it existed")?;
        match seen {
            Err(_) => Ok(()),
            Ok(_) => differs("write_file succeeded over an existing file, expected a failure"),
        }
    };
    "write.missing_fields", "conversions §5.1, storage §7.2", "a session without a user id is not written", |ctx| {
        let mut no_user = set_all_fields();
        no_user["user_id"] = Value::Null;
        let path = ctx.path("n.session");
        let seen = ctx.driver().call_json("write_file", json!({ "path": path, "session": no_user }))?;
        let left = std::fs::symlink_metadata(&path).is_ok();
        match seen {
            Err(f) if f.kind == "missing_field" && !left => Ok(()),
            Err(f) if f.kind == "missing_field" => differs("write_file failed as it should, but left a file at the path"),
            Err(f) => differs(format!("write_file failed with {f}, expected missing_field")),
            Ok(_) => differs("write_file wrote a session without a user id, expected missing_field"),
        }
    };
}
