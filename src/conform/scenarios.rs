//! The scenarios: every behaviour `spec/` states for the engines and the string format, each
//! tagged with the section it checks (spec/conformance.md §4).

use super::driver::CallJson as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use serde_json::{json, Value};

use super::driver::{Driver, DriverError, Failure, DEFAULT_TIMEOUT};
use super::profiles::{Profile, CODEC, READ, WRITE};
use crate::storage::Storage;
use crate::string::decode_strict;

/// Why a scenario did not pass.
#[derive(Debug)]
pub enum Fail {
    /// The implementation behaved otherwise than the specification says: what was seen.
    Differs(String),
    /// The driver broke.
    Driver(DriverError),
}

impl From<DriverError> for Fail {
    fn from(e: DriverError) -> Self {
        Fail::Driver(e)
    }
}

pub(super) fn differs<T>(what: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Differs(what.into()))
}

/// What a scenario works with: the driver and a fresh folder of its own.
pub struct Ctx<'a> {
    driver: &'a mut dyn Driver,
    dir: PathBuf,
    clock_offset: i64,
    /// How long each of the runner's own checks of the folder's files may take.
    limit: Duration,
    /// Whether a check ran out of time: its thread may still wait to open a file.
    overran: bool,
    /// What `codec.corpus` found, for the report (spec/conformance.md §8.5).
    pub(super) corpus: Option<super::corpus::CorpusReport>,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("dir", &self.dir)
            .field("clock_offset", &self.clock_offset)
            .finish_non_exhaustive()
    }
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(driver: &'a mut dyn Driver, dir: PathBuf) -> Self {
        let limit = driver.time_limit().unwrap_or(DEFAULT_TIMEOUT);
        Ctx {
            driver,
            dir,
            clock_offset: 0,
            limit,
            overran: false,
            corpus: None,
        }
    }

    /// The driver, for a scenario that talks to it at length (`codec.corpus`).
    pub(super) fn driver(&mut self) -> &mut dyn Driver {
        &mut *self.driver
    }

    /// Whether one of the runner's checks ran out of time (spec/conformance.md §2.4).
    pub(crate) fn overran(&self) -> bool {
        self.overran
    }

    /// Runs one of the runner's own checks of the files in the folder, `path` the file it
    /// reads, under the time limit of one answer (spec/conformance.md §2.4). It runs on a
    /// thread of its own, which is left behind if the limit passes: the scenario's outcome is
    /// then a driver error, and the runner releases the check before removing the folder
    /// ([`release_waiting_opens`]).
    pub(super) fn bounded<T: Send + 'static>(
        &mut self,
        path: &Path,
        check: impl FnOnce() -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, Fail> {
        let (send, receive) = mpsc::channel();
        std::thread::Builder::new()
            .name("conform-check".into())
            .spawn(move || {
                let _ = send.send(check());
            })
            .map_err(|e| Fail::Driver(DriverError::Io(e)))?;
        match receive.recv_timeout(self.limit) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                self.overran = true;
                Err(Fail::Driver(DriverError::CheckTimeout {
                    path: path.to_path_buf(),
                    waited: self.limit,
                }))
            }
        }
    }

    /// Undoes the scenario's clock moves, so the next scenario starts at real time.
    pub(crate) fn reset_clock(&mut self) -> Result<(), DriverError> {
        if self.clock_offset != 0 {
            let back = -self.clock_offset;
            self.driver
                .call_json("advance_clock", json!({ "seconds": back }))?
                .map_err(|f| DriverError::Protocol(f.to_string()))?;
            self.clock_offset = 0;
        }
        Ok(())
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A new file `name` in the scenario's folder holding `bytes`, created by this call (mode
    /// 0600, never through a link: spec/conformance.md §2.3); its path.
    pub(super) fn new_file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, Fail> {
        use std::io::Write as _;
        let path = self.path(name);
        crate::fs::create_new(&path)
            .and_then(|mut f| f.write_all(bytes))
            .or_else(|e| differs(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    pub(super) fn ok(&mut self, op: &str, args: Value) -> Result<Value, Fail> {
        match self.driver.call_json(op, args)? {
            Ok(v) => Ok(v),
            Err(f) => differs(format!("{op} failed: {f}")),
        }
    }

    fn fails(&mut self, op: &str, args: Value) -> Result<Failure, Fail> {
        match self.driver.call_json(op, args)? {
            Ok(v) => differs(format!("{op} succeeded with {v}, expected a failure")),
            Err(f) => Ok(f),
        }
    }

    pub(super) fn fails_with(&mut self, kind: &str, op: &str, args: Value) -> Result<(), Fail> {
        let f = self.fails(op, args)?;
        if f.kind == kind {
            Ok(())
        } else {
            differs(format!("{op} failed with {f}, expected {kind}"))
        }
    }

    fn open(&mut self, op: &str, args: Value) -> Result<u64, Fail> {
        let v = self.ok(op, args)?;
        v["handle"]
            .as_u64()
            .ok_or_else(|| Fail::Driver(DriverError::Protocol(format!("{op} gave no handle: {v}"))))
    }

    fn open_file(&mut self, name: &str) -> Result<u64, Fail> {
        let path = self.path(name);
        self.open("open_file", json!({ "path": path }))
    }

    fn get(&mut self, h: u64, field: &str) -> Result<Value, Fail> {
        self.ok("get", json!({ "handle": h, "field": field }))
    }

    #[allow(clippy::needless_pass_by_value)] // called with JSON built at the call site
    fn set(&mut self, h: u64, field: &str, value: Value) -> Result<(), Fail> {
        self.ok(
            "set",
            json!({ "handle": h, "field": field, "value": value }),
        )
        .map(drop)
    }

    #[allow(clippy::needless_pass_by_value)] // called with JSON built at the call site
    fn peers(&mut self, h: u64, peers: Value) -> Result<(), Fail> {
        self.ok("update_peers", json!({ "handle": h, "peers": peers }))
            .map(drop)
    }

    fn by_id(&mut self, h: u64, id: i64) -> Result<Result<Value, Failure>, Fail> {
        Ok(self
            .driver
            .call_json("get_peer_by_id", json!({ "handle": h, "peer_id": id }))?)
    }

    fn by_username(&mut self, h: u64, u: &str) -> Result<Result<Value, Failure>, Fail> {
        Ok(self.driver.call_json(
            "get_peer_by_username",
            json!({ "handle": h, "username": u }),
        )?)
    }

    fn close(&mut self, h: u64) -> Result<(), Fail> {
        self.ok("close", json!({ "handle": h })).map(drop)
    }

    fn advance(&mut self, seconds: i64) -> Result<(), Fail> {
        self.ok("advance_clock", json!({ "seconds": seconds }))?;
        // Counted only once done, so the reset undoes only moves that happened.
        self.clock_offset += seconds;
        Ok(())
    }
}

pub(super) fn expect(what: &str, seen: &Value, wanted: &Value) -> Result<(), Fail> {
    if seen == wanted {
        Ok(())
    } else {
        differs(format!("{what}: {seen}, expected {wanted}"))
    }
}

fn expect_peer(what: &str, seen: Result<Value, Failure>, wanted: &Value) -> Result<(), Fail> {
    match seen {
        Ok(v) => expect(what, &v, wanted),
        Err(f) => differs(format!("{what} failed: {f}, expected {wanted}")),
    }
}

fn expect_failure(what: &str, seen: Result<Value, Failure>, kind: &str) -> Result<(), Fail> {
    match seen {
        Err(f) if f.kind == kind => Ok(()),
        Err(f) => differs(format!("{what} failed with {f}, expected {kind}")),
        Ok(v) => differs(format!("{what} gave {v}, expected {kind}")),
    }
}

/// The worked example of spec/session-string.md §4.3 (spec/examples/v2.txt).
pub(super) fn example_v2() -> &'static str {
    include_str!("../../spec/examples/v2.txt").trim_end()
}

/// The same session in the legacy32 layout (spec/examples/legacy32.txt).
pub(super) fn example_legacy32() -> &'static str {
    include_str!("../../spec/examples/legacy32.txt").trim_end()
}

/// The same session in the legacy64 layout (spec/examples/legacy64.txt).
pub(super) fn example_legacy64() -> &'static str {
    include_str!("../../spec/examples/legacy64.txt").trim_end()
}

/// The examples' key K, bytes 0..=255.
pub(super) fn example_key() -> crate::AuthKey {
    let mut key = [0u8; crate::AuthKey::LEN];
    for (b, v) in key.iter_mut().zip(0u8..=255) {
        *b = v;
    }
    crate::AuthKey::new(key)
}

/// K in hex.
pub(super) fn example_key_hex() -> String {
    example_key().to_hex()
}

fn sample_peers() -> Value {
    json!([
        [777, -5, "user", "alice", "15550001"],
        [888, 42, "bot", "somebot", null],
        [-123_456, 0, "group", null, null],
        [-1_001_234_567_890_i64, 99, "channel", "news", null],
        [-1_002_234_567_890_i64, -99, "supergroup", null, null]
    ])
}

fn all_fields(ctx: &mut Ctx<'_>, h: u64) -> Result<Value, Fail> {
    let mut out = serde_json::Map::new();
    for f in [
        "dc_id",
        "api_id",
        "test_mode",
        "auth_key",
        "date",
        "user_id",
        "is_bot",
    ] {
        out.insert(f.to_owned(), ctx.get(h, f)?);
    }
    Ok(Value::Object(out))
}

fn set_all(ctx: &mut Ctx<'_>, h: u64) -> Result<(), Fail> {
    ctx.set(h, "dc_id", json!(4))?;
    ctx.set(h, "api_id", json!(12345))?;
    ctx.set(h, "test_mode", json!(true))?;
    ctx.set(h, "auth_key", json!(example_key_hex()))?;
    ctx.set(h, "user_id", json!(5_000_000_001_i64))?;
    ctx.set(h, "is_bot", json!(false))
}

fn set_all_expected() -> Value {
    json!({"dc_id": 4, "api_id": 12345, "test_mode": true, "auth_key": example_key_hex(), "date": 0, "user_id": 5_000_000_001_i64, "is_bot": false})
}

/// The most the runner reads of a file it made for a scenario.
pub(super) const MAX_MADE: u64 = 1 << 24;

/// The file of `open.json_session` and `read.json_session`: a Pyrogram 0.14 JSON session.
pub(super) const JSON_SESSION: &[u8] =
    br#"{"dc_id": 2, "test_mode": false, "auth_key": ["AAAA"], "user_id": 1, "date": 0}"#;

/// The file of `open.not_sqlite` and `read.not_sqlite`.
pub(super) const NOT_SQLITE: &[u8] =
    b"this is a text file and no database at all, nothing to see here";

/// The tables of a Telethon 1.45 session file (`open.telethon`, `read.telethon`).
pub(super) const TELETHON_SQL: &str = "CREATE TABLE version (version integer primary key); INSERT INTO version VALUES (8);
    CREATE TABLE sessions (dc_id integer primary key, server_address text, port integer, auth_key blob, takeout_id integer, tmp_auth_key blob);
    CREATE TABLE entities (id integer primary key, hash integer not null, username text, phone integer, name text, date integer);";

/// Pyrogram's version 2 schema: storage §3.1's without `api_id` (`open.migrates_v2`,
/// `read.v2`).
pub(super) fn schema_v2() -> String {
    crate::storage::schema::SCHEMA_V3.replace("    api_id    INTEGER,\n", "")
}

/// Reads at most `limit` bytes of the regular file at `path`, never waiting to open it (a FIFO
/// or a device there is an error, spec/conformance.md §2.4).
pub(super) fn read_regular(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let crate::fs::Opened::File(file) = crate::fs::open(path)? else {
        return Err(std::io::Error::other(
            "a session file this process has open",
        ));
    };
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opening must fail, and the file must be left as it was: the same bytes, in a regular file.
/// After the driver answered, no more is read than the file had before, plus one byte.
fn refused_unchanged(ctx: &mut Ctx<'_>, path: &Path) -> Result<(), Fail> {
    let p = path.to_path_buf();
    let before = ctx.bounded(path, move || {
        read_regular(&p, MAX_MADE).or_else(|e| differs(format!("cannot read {}: {e}", p.display())))
    })?;
    ctx.fails_with("invalid_file", "open_file", json!({ "path": path }))?;
    let p = path.to_path_buf();
    let after = ctx.bounded(path, move || {
        Ok(
            read_regular(&p, u64::try_from(before.len()).unwrap_or(MAX_MADE) + 1)
                .map(|after| after == before),
        )
    })?;
    match after {
        Ok(true) => Ok(()),
        Ok(false) => differs("the file changed although opening failed"),
        Err(e) => differs(format!("the file changed although opening failed ({e})")),
    }
}

/// A check performed on the file the implementation wrote, by this crate directly; a FIFO or
/// anything else that is not a regular file is refused before SQLite opens it.
pub(super) fn read_back(path: &Path) -> Result<Storage, Fail> {
    Storage::open_file_read_only(path)
        .or_else(|e| differs(format!("the crate cannot read the file written: {e}")))
}

/// Opens every FIFO in `dir` for writing, without waiting, and closes it again: a check that
/// ran out of time while waiting to open one for reading (SQLite opens a read-only file so)
/// then returns, and its thread ends, instead of waiting forever for a FIFO that is about to
/// be removed (spec/conformance.md §2.4).
pub(crate) fn release_waiting_opens(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_fifo()) {
                drop(crate::fs::open_for_writing(&entry.path(), 0));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

macro_rules! scenarios {
    ($($id:literal, $section:literal, $summary:literal, $body:expr;)*) => {
        /// The scenarios of the `storage` profile, in order (spec/conformance.md §4.2).
        pub(crate) const STORAGE: &[Scenario] = &[$(Scenario { id: $id, profile: Profile::Storage, section: $section, summary: $summary, run: $body }),*];
    };
}

/// Copies the scenarios of each profile into one array of `N`, in order.
const fn concat<const N: usize>(parts: [&[Scenario]; 4]) -> [Scenario; N] {
    let mut out = [parts[0][0]; N];
    let (mut i, mut k) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "ALL holds every scenario");
    out
}

const COUNT: usize = STORAGE.len() + CODEC.len() + READ.len() + WRITE.len();

/// Every scenario, in order: the `storage` profile's (spec/conformance.md §4.2), then those of
/// `string_codec`, `file_read` and `file_write` (§8.3).
pub const ALL: &[Scenario] = &concat::<COUNT>([STORAGE, CODEC, READ, WRITE]);

/// One scenario of the suite.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Its name, `area.behaviour`.
    pub id: &'static str,
    /// The profile it belongs to: it runs only against a driver that declares it.
    pub profile: Profile,
    /// The spec section it checks.
    pub section: &'static str,
    /// What it checks, in a sentence.
    pub summary: &'static str,
    pub(crate) run: fn(&mut Ctx<'_>) -> Result<(), Fail>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.id)
            .field("profile", &self.profile)
            .field("section", &self.section)
            .finish_non_exhaustive()
    }
}

scenarios! {
    "string.import_export_v2", "session-string §6, storage §2.3, §7.2", "a v2 string opens a memory storage with its fields and exports back unchanged", |ctx| {
        let h = ctx.open("open_string", json!({ "session_string": example_v2() }))?;
        expect("fields", &all_fields(ctx, h)?, &json!({"dc_id": 2, "api_id": 12345, "test_mode": false, "auth_key": example_key_hex(), "date": 0, "user_id": 123_456_789, "is_bot": false}))?;
        let s = ctx.ok("export", json!({ "handle": h }))?;
        expect("export", &s, &json!(example_v2()))
    };
    "string.import_legacy32", "session-string §6.1, storage §2.3", "a legacy32 string imports without an api_id, so it cannot be exported", |ctx| {
        let h = ctx.open("open_string", json!({ "session_string": example_legacy32() }))?;
        expect("api_id", &ctx.get(h, "api_id")?, &Value::Null)?;
        expect("user_id", &ctx.get(h, "user_id")?, &json!(123_456_789))?;
        ctx.fails_with("missing_field", "export", json!({ "handle": h }))
    };
    "string.import_noncanonical", "session-string §6.2", "a v2 string with padding and the standard alphabet imports; export gives the canonical string", |ctx| {
        let lenient = format!("{}==", example_v2().replace('-', "+").replace('_', "/"));
        let h = ctx.open("open_string", json!({ "session_string": lenient }))?;
        let s = ctx.ok("export", json!({ "handle": h }))?;
        expect("export", &s, &json!(example_v2()))
    };
    "string.rejects_garbage", "session-string §6", "a string that is no session string is refused", |ctx| {
        ctx.fails_with("invalid_string", "open_string", json!({ "session_string": "hello world" }))?;
        ctx.fails_with("invalid_string", "open_string", json!({ "session_string": &example_v2()[..361] }))
    };
    "file.new_schema", "storage §3.1, §3.2", "a new file has Pyrogram 2.0.106's schema text, version 3 and initial session row", |ctx| {
        let h = ctx.open_file("new.session")?;
        ctx.close(h)?;
        let (theirs, reference) = (ctx.path("new.session"), ctx.path("reference.session"));
        let p = theirs.clone();
        let (theirs, a, b) = ctx.bounded(&theirs, move || {
            let theirs = read_back(&p)?;
            let reference = Storage::open_file(reference).or_else(|e| differs(e.to_string()))?;
            let (a, b) = (theirs.render_schema(), reference.render_schema());
            Ok((theirs, a, b))
        })?;
        match (a, b) {
            (Ok(a), Ok(b)) if a == b => {}
            (Ok(a), Ok(b)) => {
                let index = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
                let line = index + 1;
                let (x, y) = (a.lines().nth(index).unwrap_or("(end)"), b.lines().nth(index).unwrap_or("(end)"));
                return differs(format!("schema differs from line {line} of its rendering: {:?}, expected {:?}", x.trim(), y.trim()));
            }
            (a, b) => return differs(format!("cannot render the schemas: {a:?}, {b:?}")),
        }
        let path = ctx.path("new.session");
        let f = ctx.bounded(&path, move || theirs.session().or_else(|e| differs(e.to_string())))?;
        if (f.dc_id, f.api_id, f.test_mode, f.auth_key.is_some(), f.date, f.user_id, f.is_bot) != (2, None, None, false, 0, None, None) {
            return differs(format!("initial row {f:?}"));
        }
        Ok(())
    };
    "file.defaults", "storage §3.2", "a new file's fields are dc 2, date 0 and the rest unset", |ctx| {
        let h = ctx.open_file("d.session")?;
        expect("fields", &all_fields(ctx, h)?, &json!({"dc_id": 2, "api_id": null, "test_mode": null, "auth_key": null, "date": 0, "user_id": null, "is_bot": null}))
    };
    "file.fields_persist", "storage §2.2, §7.1", "fields set on a file survive closing and reopening", |ctx| {
        let h = ctx.open_file("p.session")?;
        set_all(ctx, h)?;
        ctx.close(h)?;
        let h = ctx.open_file("p.session")?;
        expect("fields", &all_fields(ctx, h)?, &set_all_expected())
    };
    "file.column_encodings", "storage §3.3", "booleans are stored as 0/1, the key as a 256-byte blob, peer types as text", |ctx| {
        let h = ctx.open_file("e.session")?;
        set_all(ctx, h)?;
        ctx.peers(h, sample_peers())?;
        ctx.ok("save", json!({ "handle": h }))?;
        ctx.close(h)?;
        let path = ctx.path("e.session");
        let p = path.clone();
        let (row, types) = ctx.bounded(&path, move || {
            // The crate's checks first: a FIFO there is refused, never waited on by SQLite.
            let checked = read_back(&p)?;
            let conn = rusqlite::Connection::open_with_flags(&p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .or_else(|e| differs(e.to_string()))?;
            drop(checked);
            let row: (String, i64, String, i64, String) = conn
                .query_row("SELECT typeof(test_mode), test_mode, typeof(auth_key), length(auth_key), typeof(is_bot) FROM sessions", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .or_else(|e| differs(e.to_string()))?;
            let types: Vec<String> = conn
                .prepare("SELECT DISTINCT typeof(type) FROM peers")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .or_else(|e| differs(e.to_string()))?;
            Ok((row, types))
        })?;
        if row != ("integer".into(), 1, "blob".into(), 256, "integer".into()) {
            return differs(format!("sessions encodings {row:?}"));
        }
        expect("typeof(peers.type)", &json!(types), &json!(["text"]))
    };
    "memory.fields", "storage §2.3, §7.1", "a memory storage keeps the fields set", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        set_all(ctx, h)?;
        expect("fields", &all_fields(ctx, h)?, &set_all_expected())
    };
    "peers.input_peer_each_type", "storage §6.2", "each peer type gives Pyrogram's input peer", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, sample_peers())?;
        for (id, wanted) in [
            (777, json!({"kind": "user", "user_id": 777, "access_hash": -5})),
            (888, json!({"kind": "user", "user_id": 888, "access_hash": 42})),
            (-123_456, json!({"kind": "chat", "chat_id": 123_456})),
            (-1_001_234_567_890, json!({"kind": "channel", "channel_id": 1_234_567_890, "access_hash": 99})),
            (-1_002_234_567_890, json!({"kind": "channel", "channel_id": 2_234_567_890_i64, "access_hash": -99})),
        ] {
            let seen = ctx.by_id(h, id)?;
            expect_peer(&format!("get_peer_by_id({id})"), seen, &wanted)?;
        }
        Ok(())
    };
    "peers.upsert_replaces_row", "storage §6.4", "caching a peer again replaces its whole row", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, json!([[777, 1, "user", "alice", "1555"]]))?;
        ctx.peers(h, json!([[777, 2, "bot", null, null]]))?;
        let seen = ctx.by_id(h, 777)?;
        expect_peer("get_peer_by_id", seen, &json!({"kind": "user", "user_id": 777, "access_hash": 2}))?;
        let seen = ctx.by_username(h, "alice")?;
        expect_failure("get_peer_by_username(alice)", seen, "not_found")?;
        let seen = ctx.driver.call_json("get_peer_by_phone_number", json!({ "handle": h, "phone_number": "1555" }))?;
        expect_failure("get_peer_by_phone_number(1555)", seen, "not_found")
    };
    "peers.username_exact", "storage §6.5", "username lookups are exact and case-sensitive", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, sample_peers())?;
        let seen = ctx.by_username(h, "alice")?;
        expect_peer("alice", seen, &json!({"kind": "user", "user_id": 777, "access_hash": -5}))?;
        for other in ["ALICE", "@alice", "alic", "alice "] {
            let seen = ctx.by_username(h, other)?;
            expect_failure(&format!("get_peer_by_username({other:?})"), seen, "not_found")?;
        }
        Ok(())
    };
    "peers.username_newest_wins", "storage §6.5", "of two peers with one username, the one cached last wins", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, json!([[1, 11, "user", "dup", null]]))?;
        // Pyrogram stamps rows with SQLite's clock, in whole seconds.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        ctx.peers(h, json!([[2, 22, "user", "dup", null]]))?;
        let seen = ctx.by_username(h, "dup")?;
        expect_peer("dup", seen, &json!({"kind": "user", "user_id": 2, "access_hash": 22}))
    };
    "peers.username_expiry", "storage §6.5", "a username cached more than 8 hours away, either way, has expired", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, json!([[777, 5, "user", "alice", null]]))?;
        ctx.advance(28_800 - 60)?;
        let seen = ctx.by_username(h, "alice")?;
        expect_peer("after 7:59", seen, &json!({"kind": "user", "user_id": 777, "access_hash": 5}))?;
        ctx.advance(120)?;
        let seen = ctx.by_username(h, "alice")?;
        expect_failure("after 8:01", seen, "expired")?;
        ctx.advance(-2 * (28_800 + 60))?;
        let seen = ctx.by_username(h, "alice")?;
        expect_failure("8:01 before", seen, "expired")?;
        let seen = ctx.by_id(h, 777)?;
        expect_peer("by id, which never expires", seen, &json!({"kind": "user", "user_id": 777, "access_hash": 5}))
    };
    "peers.phone_exact", "storage §6.5", "phone lookups are exact", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.peers(h, sample_peers())?;
        let seen = ctx.driver.call_json("get_peer_by_phone_number", json!({ "handle": h, "phone_number": "15550001" }))?;
        expect_peer("15550001", seen, &json!({"kind": "user", "user_id": 777, "access_hash": -5}))?;
        let seen = ctx.driver.call_json("get_peer_by_phone_number", json!({ "handle": h, "phone_number": "+15550001" }))?;
        expect_failure("+15550001", seen, "not_found")
    };
    "peers.not_found", "storage §6.5", "every lookup in an empty cache is not_found", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        let seen = ctx.by_id(h, 1)?;
        expect_failure("get_peer_by_id", seen, "not_found")?;
        let seen = ctx.by_username(h, "nobody")?;
        expect_failure("get_peer_by_username", seen, "not_found")?;
        let seen = ctx.driver.call_json("get_peer_by_phone_number", json!({ "handle": h, "phone_number": "1" }))?;
        expect_failure("get_peer_by_phone_number", seen, "not_found")
    };
    "peers.unknown_type", "storage §6.1", "a peer of an unknown type is an invalid_peer error, when cached or when looked up", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        match ctx.driver.call_json("update_peers", json!({ "handle": h, "peers": [[5, 1, "wizard", null, null]] }))? {
            Err(f) if f.kind == "invalid_peer" => Ok(()),
            Err(f) => differs(format!("update_peers failed with {f}, expected invalid_peer")),
            Ok(_) => {
                let seen = ctx.by_id(h, 5)?;
                expect_failure("get_peer_by_id", seen, "invalid_peer")
            }
        }
    };
    "peers.durable_without_save", "storage §6.4, §8.1", "cached peers survive a close without save()", |ctx| {
        let h = ctx.open_file("dur.session")?;
        ctx.peers(h, sample_peers())?;
        ctx.close(h)?;
        let h = ctx.open_file("dur.session")?;
        let seen = ctx.by_id(h, 777)?;
        expect_peer("after reopening", seen, &json!({"kind": "user", "user_id": 777, "access_hash": -5}))
    };
    "peers.persist_after_save", "storage §6.4, §7.3", "cached peers survive save() and reopening", |ctx| {
        let h = ctx.open_file("saved.session")?;
        ctx.peers(h, sample_peers())?;
        ctx.ok("save", json!({ "handle": h }))?;
        ctx.close(h)?;
        let h = ctx.open_file("saved.session")?;
        let seen = ctx.by_id(h, -1_001_234_567_890)?;
        expect_peer("after reopening", seen, &json!({"kind": "channel", "channel_id": 1_234_567_890, "access_hash": 99}))
    };
    "save.dates_the_session", "storage §7.3", "save() sets date to the implementation's now", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.advance(1_000_000)?;
        ctx.ok("save", json!({ "handle": h }))?;
        let value = ctx.get(h, "date")?;
        let Some(date) = value.as_i64() else {
            return differs(format!("date {value}, expected an integer"));
        };
        let expected = crate::storage::Clock::now(&crate::storage::SystemClock) + 1_000_000;
        if (date - expected).abs() > 5 {
            return differs(format!("date {date}, expected about {expected}"));
        }
        Ok(())
    };
    "export.missing_fields", "storage §7.2", "export fails, naming no wrong value, while api_id or user_id is unset", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.fails_with("missing_field", "export", json!({ "handle": h }))?;
        set_all(ctx, h)?;
        ctx.set(h, "user_id", Value::Null)?;
        ctx.fails_with("missing_field", "export", json!({ "handle": h }))?;
        ctx.set(h, "user_id", json!(7))?;
        ctx.set(h, "api_id", Value::Null)?;
        ctx.fails_with("missing_field", "export", json!({ "handle": h }))
    };
    "export.strict_string", "storage §7.2, session-string §5", "the exported string is canonical and holds the fields", |ctx| {
        let h = ctx.open_file("x.session")?;
        set_all(ctx, h)?;
        let s = ctx.ok("export", json!({ "handle": h }))?;
        // Only the kind of what came back: an export may hold a key, and the report says it.
        let Some(s) = s.as_str() else {
            let kind = match s {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
                Value::String(_) => "a string",
            };
            return differs(format!("export gave {kind}, not a string"));
        };
        let d = decode_strict(s).or_else(|e| differs(format!("export is not canonical: {e}")))?;
        let f = &d.session;
        if (f.dc_id, f.api_id, f.test_mode, f.user_id, f.is_bot) != (4, Some(12345), true, 5_000_000_001, false)
            || f.auth_key.to_hex() != example_key_hex()
        {
            return differs(format!("export holds {f:?}"));
        }
        Ok(())
    };
    "delete.file", "storage §7.4", "delete removes the session file", |ctx| {
        let h = ctx.open_file("del.session")?;
        ctx.ok("delete", json!({ "handle": h }))?;
        if ctx.path("del.session").exists() {
            return differs("the file is still there");
        }
        Ok(())
    };
    "delete.memory", "storage §7.4", "delete of a memory storage succeeds and writes nothing", |ctx| {
        let h = ctx.open("open_memory", json!({}))?;
        ctx.ok("delete", json!({ "handle": h }))?;
        let left = std::fs::read_dir(&ctx.dir).map_or(0, Iterator::count);
        if left != 0 {
            return differs(format!("{left} files appeared"));
        }
        Ok(())
    };
    "open.empty_file", "storage §4", "an empty file is refused and left empty", |ctx| {
        let p = ctx.new_file("empty.session", b"")?;
        refused_unchanged(ctx, &p)
    };
    "open.json_session", "storage §4", "a Pyrogram 0.14 JSON session is refused and left alone", |ctx| {
        let p = ctx.new_file("json.session", JSON_SESSION)?;
        refused_unchanged(ctx, &p)
    };
    "open.not_sqlite", "storage §4", "a file that is not SQLite is refused and left alone", |ctx| {
        let p = ctx.new_file("text.session", NOT_SQLITE)?;
        refused_unchanged(ctx, &p)
    };
    "open.telethon", "storage §4", "a Telethon session file is refused and left alone", |ctx| {
        let p = ctx.new_file("telethon.session", b"")?;
        let q = p.clone();
        ctx.bounded(&p, move || rusqlite::Connection::open(&q).and_then(|conn| conn.execute_batch(TELETHON_SQL))
            .or_else(|e| differs(e.to_string())))?;
        refused_unchanged(ctx, &p)
    };
    "open.missing_version_row", "storage §4", "a file without its version row is refused and left alone", |ctx| {
        let p = ctx.path("nover.session");
        let q = p.clone();
        ctx.bounded(&p, move || {
            Storage::open_file(&q).and_then(Storage::close).or_else(|e| differs(e.to_string()))?;
            rusqlite::Connection::open(&q).and_then(|c| c.execute("DELETE FROM version", [])).or_else(|e| differs(e.to_string()))
        })?;
        refused_unchanged(ctx, &p)
    };
    "open.newer_version", "storage §4", "a file of a newer schema version is refused and left alone", |ctx| {
        let p = ctx.path("newer.session");
        let q = p.clone();
        ctx.bounded(&p, move || {
            Storage::open_file(&q).and_then(Storage::close).or_else(|e| differs(e.to_string()))?;
            rusqlite::Connection::open(&q).and_then(|c| c.execute("UPDATE version SET number = 99", [])).or_else(|e| differs(e.to_string()))
        })?;
        refused_unchanged(ctx, &p)
    };
    "open.migrates_v2", "storage §5", "a version 2 file is migrated to 3 with api_id appended and its session kept", |ctx| {
        let p = ctx.new_file("v2.session", b"")?;
        let v2 = schema_v2();
        let q = p.clone();
        ctx.bounded(&p, move || rusqlite::Connection::open(&q)
            .and_then(|c| c.execute_batch(&format!("{v2} INSERT INTO version VALUES (2); INSERT INTO sessions VALUES (3, 0, zeroblob(256), 0, 4242, 0);")))
            .or_else(|e| differs(e.to_string())))?;
        let h = ctx.open("open_file", json!({ "path": p }))?;
        expect("user_id", &ctx.get(h, "user_id")?, &json!(4242))?;
        expect("api_id", &ctx.get(h, "api_id")?, &Value::Null)?;
        ctx.close(h)?;
        let q = p.clone();
        let (dialect, schema) = ctx.bounded(&p, move || {
            let s = read_back(&q)?;
            Ok((s.dialect(), s.render_schema().or_else(|e| differs(e.to_string()))))
        })?;
        if dialect != crate::storage::Dialect::Pyrogram(3) {
            return differs(format!("the file is {dialect} after opening"));
        }
        let schema = schema?;
        if !schema.contains("sessions columns: dc_id, test_mode, auth_key, date, user_id, is_bot, api_id") {
            return differs(format!("sessions columns after migration:\n{schema}"));
        }
        Ok(())
    };
    "naming.memory", "storage §2.1", "the name :memory: opens a memory storage and writes no file", |ctx| {
        let workdir = ctx.dir.clone();
        let h = ctx.open("open_named", json!({ "name": ":memory:", "workdir": workdir }))?;
        ctx.close(h)?;
        let files: Vec<String> = std::fs::read_dir(&ctx.dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        if files.is_empty() {
            Ok(())
        } else {
            differs(format!("files written: {files:?}"))
        }
    };
    "naming.file", "storage §2.1", "a plain name opens <workdir>/<name>.session", |ctx| {
        let workdir = ctx.dir.clone();
        let h = ctx.open("open_named", json!({ "name": "my_account", "workdir": workdir }))?;
        ctx.close(h)?;
        if ctx.path("my_account.session").is_file() {
            Ok(())
        } else {
            differs("no my_account.session")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::{release_waiting_opens, Ctx, Fail};
    use crate::conform::driver::DriverError;
    use crate::conform::LocalDriver;
    use std::time::Duration;

    /// A check that waits to open a FIFO for reading (as SQLite's read-only open does) ends as
    /// a driver error after the limit, and its thread ends once the runner releases the FIFOs
    /// of the folder (spec/conformance.md §2.4).
    #[cfg(unix)]
    #[test]
    fn a_check_waiting_on_a_fifo_is_bounded_and_released() {
        let dir =
            std::env::temp_dir().join(format!("pyrosession-check-{}", crate::fs::unpredictable()));
        std::fs::create_dir(&dir).unwrap();
        let fifo = dir.join("f.session");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let mut driver = LocalDriver::new();
        let mut ctx = Ctx::new(&mut driver, dir.clone());
        ctx.limit = Duration::from_millis(300);
        let (done, ended) = std::sync::mpsc::channel();
        let f = fifo.clone();
        let result = ctx.bounded(&fifo, move || {
            let opened = std::fs::File::open(&f).is_ok();
            let _ = done.send(opened);
            Ok(())
        });
        let Err(Fail::Driver(e @ DriverError::CheckTimeout { .. })) = result else {
            panic!("{result:?}")
        };
        assert_eq!(
            e.to_string(),
            format!(
                "the runner's check of {} did not end within 0 s",
                fifo.display()
            )
        );
        assert!(ctx.overran());
        assert!(ended.recv_timeout(Duration::from_millis(200)).is_err());
        release_waiting_opens(&dir);
        assert_eq!(ended.recv_timeout(Duration::from_secs(5)), Ok(true));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
