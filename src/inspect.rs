//! What the `pyrosession` command reports, for people and as JSON: session strings, session
//! files, their peers, and resolved queries. The command only parses arguments and calls these.

use crate::storage::StorageErrorKind;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use std::collections::BTreeMap;

use crate::peer::{InputPeer, PeerType};
use crate::storage::{Dialect, SessionFields, Storage, StorageError, StoredPeer, UnreadablePeer};
use crate::string::{decode_compat, decode_strict, DecodeError, Decoded};
use crate::AuthKey;

/// Decodes a session string with the strict decoder or, by default, Pyrogram 2.0.106's rules.
pub fn decode(input: &str, strict: bool) -> Result<Decoded, DecodeError> {
    if strict {
        decode_strict(input)
    } else {
        decode_compat(input)
    }
}

/// A plain-text report for people. The auth key is shown only with `reveal_key`.
#[must_use]
pub fn to_text(decoded: &Decoded, reveal_key: bool) -> String {
    let s = &decoded.session;
    let mut out = String::new();
    let format = match decoded.format {
        crate::string::Format::V2 => "v2 (Pyrogram 2.x)",
        crate::string::Format::Legacy64 => "legacy64 (Pyrogram 1.3-1.4, 64-bit user id)",
        crate::string::Format::Legacy32 => "legacy32 (Pyrogram 0.15-1.4, 32-bit user id)",
    };
    let api_id = s
        .api_id
        .map_or_else(|| "none (legacy format)".to_owned(), |a| a.to_string());
    let _ = writeln!(out, "format       {format}");
    let _ = writeln!(out, "dc_id        {}", s.dc_id);
    let _ = writeln!(out, "api_id       {api_id}");
    let _ = writeln!(out, "test_mode    {}", s.test_mode);
    let _ = writeln!(out, "user_id      {}", s.user_id);
    let _ = writeln!(out, "is_bot       {}", s.is_bot);
    let _ = writeln!(out, "auth_key_id  {}", s.auth_key.id());
    if reveal_key {
        let _ = writeln!(out, "auth_key     {}", s.auth_key.to_hex());
    }
    if decoded.warnings.is_empty() {
        let _ = writeln!(out, "warnings     none");
    } else {
        for w in &decoded.warnings {
            let _ = writeln!(out, "warning      {}", one_line(&w.to_string()));
        }
    }
    out
}

/// The JSON report: `format`, `dc_id`, `api_id` (null for legacy formats), `test_mode`,
/// `user_id`, `is_bot`, `auth_key_id` (16 hex digits), `warnings` (strings) and, only with
/// `reveal_key`, `auth_key` in lowercase hex.
#[must_use]
pub fn to_json(decoded: &Decoded, reveal_key: bool) -> Value {
    let s = &decoded.session;
    let mut v = json!({
        "format": decoded.format.name(),
        "dc_id": s.dc_id,
        "api_id": s.api_id,
        "test_mode": s.test_mode,
        "user_id": s.user_id,
        "is_bot": s.is_bot,
        "auth_key_id": s.auth_key.id().to_string(),
        "warnings": decoded.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    if reveal_key {
        v["auth_key"] = Value::String(s.auth_key.to_hex());
    }
    v
}

/// The JSON report of a rejected string: `error` (the whole message), `pyrogram_error` (what
/// Pyrogram 2.0.106 raises, or null) and `diagnosis` (what the string looks like, or null).
#[must_use]
pub fn error_json(error: &DecodeError) -> Value {
    json!({
        "error": error.to_string(),
        "pyrogram_error": error.pyrogram_error(),
        "diagnosis": error.diagnosis().map(ToString::to_string),
    })
}

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
    if u8::try_from(f.dc_id).is_err() {
        out.push(format!(
            "dc_id {} is out of range (0 to 255): {why}",
            f.dc_id
        ));
    }
    if let Some(v) = f.api_id.filter(|v| u32::try_from(*v).is_err()) {
        out.push(format!(
            "api_id {v} is out of range (0 to 4294967295): {why}"
        ));
    }
    if let Some(v) = f.user_id.filter(|v| *v < 0) {
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

fn or_none<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(
        || "none".to_owned(),
        |v| one_line(&v.to_string()).into_owned(),
    )
}

/// A value from outside the program (a file, an argument, a driver's answer) as it may be
/// shown on a terminal, on one line: every character of general category Cc (controls, line
/// breaks and tabs included), Cf (format: bidi controls, zero-width characters, U+FEFF, tags),
/// Zl or Zp (U+2028, U+2029), and every default-ignorable one (variation selectors, fillers) is
/// written as `\u` and four hex digits (a character beyond U+FFFF as its UTF-16 surrogate pair,
/// as JSON writes it), so that no value can move the cursor, clear the screen, add lines of its
/// own to a report or hide or reorder what follows it (spec/conversions.md §11.2). The one
/// escaping rule of the command: [`terminal_safe`] is the same rule for whole reports, whose
/// line breaks are the report's own.
#[must_use]
pub fn one_line(value: &str) -> std::borrow::Cow<'_, str> {
    escape(value, false)
}

/// A whole report or message for the terminal: [`one_line`]'s escaping, except for the line
/// breaks and tabs that lay the report out (every value in it went through [`one_line`]). In
/// JSON, whose strings serde has escaped below U+0020, the escapes are valid JSON and read back
/// as the characters.
#[must_use]
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_layout: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| crate::escaped_chars::escaped(c) && !(keep_layout && matches!(c, '\n' | '\t'));
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Four digits a unit: beyond U+FFFF, the two units of UTF-16, as in JSON.
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A path as a message shows it: UTF-8 as it is, and each byte that is not UTF-8 as `\x` and
/// two lowercase hex digits (`bad\xff.session`), so that the operator can tell which file is
/// meant, where [`Path::display`] would show U+FFFD for any such byte. The result is then
/// escaped by [`one_line`] as any text from outside (spec/conversions.md §11.2).
#[must_use]
pub fn shown_path(path: &Path) -> String {
    let mut out = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
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

/// The JSON report on a session file: the string report's fields (`dc_id`, `api_id`,
/// `test_mode`, `user_id`, `is_bot`, `auth_key_id`, null where unset) and `dialect`, `version`,
/// `date`, `peers` (a count), `peers_by_type`, `warnings` (what no session string can
/// hold) and `unreadable_peers` (rows not read: `id` or null, `column`, `expected`, `found`);
/// `auth_key` only with `reveal_key`.
#[must_use]
pub fn file_to_json(r: &FileReport, reveal_key: bool) -> Value {
    let f = &r.fields;
    let mut v = json!({
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
        "unreadable_peers": unreadable_to_json(&r.unreadable_peers),
    });
    if f.server_address.is_some() {
        v["server_address"] = json!(f.server_address);
        v["port"] = json!(f.port);
    }
    if reveal_key {
        v["auth_key"] = json!(f.auth_key.as_ref().map(AuthKey::to_hex));
    }
    v
}

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

/// What `resolve` looks up, in Pyrogram 2.0.106's `resolve_peer` order for a text
/// (spec/storage.md §6.5, its note on `resolve_peer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The id the text is to SQLite, which Pyrogram asks `get_peer_by_id` for first: `peers.id`
    /// has INTEGER affinity, so the text `+111111111` (or ` 42 `, or `42.0`) is the id.
    id: Option<i64>,
    /// `me` or `self`: the account itself, when no peer has that id.
    me: bool,
    /// The text lower-cased, with `@`, `+` and whitespace (Python's `\s`) removed.
    cleaned: String,
}

/// What `resolve` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A cached peer.
    Peer(InputPeer),
    /// The account itself (`InputPeerSelf`), for `me` and `self`: nothing to look up.
    Me,
}

/// The lookup `resolve_peer` makes of a text that is no cached id and not `me` or `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Python's `int()` takes the cleaned text: `get_peer_by_phone_number`, and where it
    /// misses Pyrogram raises `PeerIdInvalid`.
    PhoneNumber(&'a str),
    /// Anything else, the empty text included: `get_peer_by_username`, and where it misses (or
    /// the username has expired) Pyrogram asks Telegram (`contacts.ResolveUsername`).
    Username(&'a str),
}

impl Query {
    /// Reads a query as Pyrogram's `resolve_peer` reads a `str` (spec/storage.md §6.5).
    #[must_use]
    pub fn parse(q: &str) -> Query {
        Query {
            id: sqlite_integer(q),
            me: matches!(q, "me" | "self"),
            cleaned: q
                .to_lowercase()
                .chars()
                .filter(|&c| !matches!(c, '@' | '+') && !python_space(c))
                .collect(),
        }
    }

    /// The id `get_peer_by_id` is asked for: the integer SQLite compares the text as with
    /// `peers.id`, if any.
    #[must_use]
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Whether the text is `me` or `self`, the account itself when no peer has that id.
    #[must_use]
    pub fn is_me(&self) -> bool {
        self.me
    }

    /// What is looked up after the id, unless the text is `me` or `self`: the text lower-cased,
    /// with `@`, `+` and Python's whitespace removed, as a phone number if Python's `int()`
    /// takes it, else as a username (the empty text too: Pyrogram looks up the username `''`).
    #[must_use]
    pub fn lookup(&self) -> Lookup<'_> {
        if python_int(&self.cleaned) {
            Lookup::PhoneNumber(&self.cleaned)
        } else {
            Lookup::Username(&self.cleaned)
        }
    }

    /// Looks the query up as `resolve_peer` does: by id first; then `me`; then by phone number
    /// if what is left is an integer to Python, else by username. Where every lookup misses,
    /// the first one's `NotFound` is the answer.
    pub fn resolve(&self, storage: &Storage) -> Result<Resolved, StorageError> {
        let mut missed = None;
        if let Some(id) = self.id {
            match storage.get_peer_by_id(id) {
                Ok(p) => return Ok(Resolved::Peer(p)),
                Err(e) if matches!(e.kind(), StorageErrorKind::NotFound(_)) => missed = Some(e),
                Err(e) => return Err(e),
            }
        }
        if self.me {
            return Ok(Resolved::Me);
        }
        let found = match self.lookup() {
            Lookup::PhoneNumber(p) => storage.get_peer_by_phone_number(p),
            Lookup::Username(u) => storage.get_peer_by_username(u),
        };
        match (found, missed) {
            (Err(e), Some(first)) if matches!(e.kind(), StorageErrorKind::NotFound(_)) => {
                Err(first)
            }
            (found, _) => found.map(Resolved::Peer),
        }
    }
}

/// The integer SQLite compares a text with in `peers.id = ?`, the rowid: SQLite gives the text
/// numeric affinity (surrounding ASCII whitespace, a sign, a real literal), and a real counts
/// only if it is whole and strictly between -2^63 and 2^63 (`sqlite3VdbeIntegerAffinity`). Where
/// an in-memory SQLite cannot be opened to read a real, Rust reads it, rounding where SQLite
/// truncates.
fn sqlite_integer(q: &str) -> Option<i64> {
    let t = q.trim_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    // A real literal (Rust's grammar for one is SQLite's, without `inf` and `nan`): its value
    // is SQLite's own, which keeps 19 significant digits of a longer number, so that
    // `9007199254740993.00001` is 9007199254740992 to SQLite and ...994 to Rust.
    let r: f64 = t.parse().ok()?;
    let r = rusqlite::Connection::open_in_memory()
        .and_then(|c| c.query_row("SELECT CAST(?1 AS REAL)", [t], |row| row.get(0)))
        .unwrap_or(r);
    // 2^63 exactly; both bounds are excluded, so `as` converts exactly.
    let limit = 9_223_372_036_854_775_808.0_f64;
    #[allow(clippy::cast_possible_truncation)]
    (r.fract() == 0.0 && r > -limit && r < limit).then_some(r as i64)
}

/// Python's `\s` in a `str` pattern: Unicode whitespace, and the separators U+001C to U+001F.
fn python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's limit on the digits `int()` converts from a text (`sys.int_info`'s
/// `default_max_str_digits`, Python 3.11, and 3.10.7 on): a longer number is a `ValueError`.
const PYTHON_INT_MAX_STR_DIGITS: usize = 4300;

/// Whether Python's `int()` takes the text (signs and whitespace are already gone but `-`):
/// decimal digits of any script (Unicode's Nd, `crate::python_digits`), with single
/// underscores between them, at most 4300 of them.
fn python_int(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let mut count = 0;
    let mut after_digit = false;
    for c in digits.chars() {
        if crate::python_digits::is_decimal(c) {
            count += 1;
            after_digit = true;
        } else if c == '_' && after_digit {
            after_digit = false;
        } else {
            return false;
        }
    }
    after_digit && count <= PYTHON_INT_MAX_STR_DIGITS
}

/// An input peer as JSON: `kind` (`user`, `chat`, `channel`) and its fields.
#[must_use]
pub fn input_peer_to_json(p: &InputPeer) -> Value {
    match *p {
        InputPeer::User {
            user_id,
            access_hash,
        } => json!({"kind": "user", "user_id": user_id, "access_hash": access_hash}),
        InputPeer::Chat { chat_id } => json!({"kind": "chat", "chat_id": chat_id}),
        InputPeer::Channel {
            channel_id,
            access_hash,
        } => json!({"kind": "channel", "channel_id": channel_id, "access_hash": access_hash}),
    }
}
