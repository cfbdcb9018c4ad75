//! A fleet's sessions between a folder and a database (issue 21): what `pyrosession fleet
//! import` reads from a folder and what `fleet export` writes back, over any database that can
//! hold many named accounts ([`FleetDb`]: the PostgreSQL engine's `PgFleet`).
//!
//! Every file of the folder is read as `inspect` reads it ([`Input::from_file`]): Pyrogram
//! session files of any version and fork, only read, with their session row and every cached
//! peer (each with its date); session strings in text files, as a Pyrogram session with `date`
//! 0 and no peers, as `import` writes one into a new file. What cannot become a Pyrogram session
//! without a value the file lacks (a Telethon or GramJS string, say) is refused with the
//! conversion's message. The account's name is the file's stem. Nothing here prints or returns
//! a key: a key shows only as its `auth_key_id`.
//!
//! The folder and what it holds are outside input (another user or program may have made
//! them): a symbolic link that leads out of the folder is refused and never read, a FIFO, a
//! device or a socket is refused and never opened, a text file is read up to 16 MiB, and a
//! file's name reaches the text reports escaped (spec/json-output.md §3.9, spec/conversions.md
//! §11.2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::convert::{self, Input, Options, Target};
use crate::report::{one_line, shown_path, ErrorCode, Failure};
use crate::storage::{SessionFields, Storage, StorageError, StorageErrorKind, StoredPeer};
use crate::AuthKeyId;

/// A database of many named accounts, as the fleet commands use it.
pub trait FleetDb {
    /// Every account's name and its key's id (`None` where it holds no key), by name.
    ///
    /// # Errors
    /// The database fails.
    fn key_ids(&mut self) -> Result<Vec<(String, Option<AuthKeyId>)>, StorageError>;

    /// Writes a whole account, its session and its peers (each with its date), in one
    /// transaction; [`StorageErrorKind::AlreadyExists`] if the name is taken.
    ///
    /// # Errors
    /// The name is taken, a value cannot be stored, or the database fails.
    fn import(
        &mut self,
        name: &str,
        fields: &SessionFields,
        peers: &[StoredPeer],
    ) -> Result<(), StorageError>;

    /// One account's session and peers (each with its date), as stored.
    ///
    /// # Errors
    /// No such account, a stored value that is not one Pyrogram could have written, or the
    /// database fails.
    fn read(&mut self, name: &str) -> Result<(SessionFields, Vec<StoredPeer>), StorageError>;
}

/// A session read from a file of the folder.
#[derive(Debug)]
pub struct Found {
    /// The format and its particulars (`pyrogram file (pyrogram v3)`, `pyrogram string (v2)`).
    pub format: String,
    /// The session row.
    pub fields: SessionFields,
    /// The cached peers, each with its date.
    pub peers: Vec<StoredPeer>,
    /// What the file holds that the session read does not carry.
    pub notes: Vec<String>,
}

/// Why a file or an account was not taken: the error's message, and its code and kind for JSON
/// (spec/json-output.md §4).
#[derive(Clone, Debug)]
pub struct Why {
    /// The code and the library error's kind.
    pub failure: Failure,
    /// What went wrong, for people (never a key, never a password).
    pub message: String,
}

impl Why {
    fn of_storage(e: &StorageError) -> Why {
        Why {
            failure: e.into(),
            message: e.to_string(),
        }
    }

    fn of_convert(e: &convert::ConvertError) -> Why {
        Why {
            failure: e.into(),
            message: e.to_string(),
        }
    }

    fn code(code: ErrorCode, message: String) -> Why {
        Why {
            failure: code.into(),
            message,
        }
    }

    fn to_value(&self) -> Value {
        json!({
            "code": self.failure.code().as_str(),
            "kind": self.failure.kind(),
            "message": self.message,
        })
    }
}

/// Reads one file as a Pyrogram session with its peers (see the module's documentation).
/// `options` fill what another format's session lacks (`--api-id` for a Pyrogram JSON
/// session), as `convert` takes them; a Pyrogram file or string is read as it is.
///
/// # Errors
/// The file is no session, a damaged one, or one that needs a value it lacks to become a
/// Pyrogram session: the error's message and code.
pub fn read_session_file(path: &Path, options: &Options) -> Result<Found, Why> {
    let input = Input::from_file(path).map_err(|e| Why::of_convert(&e))?;
    let format = input.detected().to_string();
    match input {
        Input::PyrogramFile(storage) => {
            let mut fields = storage.session().map_err(|e| Why::of_storage(&e))?;
            let mut peers = storage.peers().map_err(|e| Why::of_storage(&e))?;
            // Released now, not when the caller is done with the peers.
            drop(storage);
            let mut notes = Vec::new();
            // What Pyrogram's session does not hold, as the file engine writes a new file
            // (Storage::create_file_with): kurigram v7's server and its own peer types.
            if fields.server_address.take().is_some() | fields.port.take().is_some() {
                notes.push(
                    "kurigram's server_address and port are not kept: Pyrogram derives the server from dc_id"
                        .to_owned(),
                );
            }
            let mut retyped = 0;
            for p in &mut peers {
                if !p.peer.peer_type.is_pyrogram() {
                    p.peer.peer_type = crate::peer::PeerType::Supergroup;
                    retyped += 1;
                }
            }
            if retyped > 0 {
                notes.push(format!(
                    "{retyped} peers of kurigram's own types (forum, direct, community) are kept as supergroups"
                ));
            }
            Ok(Found {
                format,
                fields,
                peers,
                notes,
            })
        }
        Input::PyrogramString(decoded) => Ok(Found {
            format,
            fields: fields_of(&decoded.session),
            peers: Vec::new(),
            notes: Vec::new(),
        }),
        other => {
            // Another format: its Pyrogram session, where it holds every field one needs.
            let account = other.into_account().map_err(|e| Why::of_convert(&e))?;
            let rendered = convert::render(&account, Target::Pyrogram, options)
                .map_err(|e| Why::of_convert(&e))?;
            let decoded = crate::string::decode_strict(&rendered.text).map_err(|e| Why {
                failure: (&e).into(),
                message: e.to_string(),
            })?;
            Ok(Found {
                format,
                fields: fields_of(&decoded.session),
                peers: Vec::new(),
                notes: rendered.losses.iter().map(ToString::to_string).collect(),
            })
        }
    }
}

/// A session's fields as a new file holds them after `import` (`date` 0).
fn fields_of(session: &crate::Session) -> SessionFields {
    SessionFields {
        dc_id: i64::from(session.dc_id),
        api_id: session.api_id.map(i64::from),
        test_mode: Some(session.test_mode),
        auth_key: Some(session.auth_key.clone()),
        date: 0,
        // Every user id a session holds fits (Session::MAX_USER_ID).
        user_id: Some(i64::try_from(session.user_id).unwrap_or(i64::MAX)),
        is_bot: Some(session.is_bot),
        server_address: None,
        port: None,
    }
}

/// What a file of the folder is to the import.
#[derive(Debug)]
enum Entry {
    /// A file to read, as the account `name`.
    Candidate(String),
    /// A file the import does not read, and why.
    Skipped(&'static str),
    /// A file whose name cannot be an account's.
    BadName(String),
}

/// The suffixes of SQLite's files beside a database.
const SIDE_SUFFIXES: [&str; 3] = ["-journal", "-wal", "-shm"];

fn entry(path: &Path, is_dir: bool) -> Entry {
    let Some(file_name) = path.file_name() else {
        return Entry::Skipped("no file name");
    };
    let bytes = file_name.as_encoded_bytes();
    if bytes.starts_with(b".") {
        return Entry::Skipped("a hidden file");
    }
    if is_dir {
        return Entry::Skipped("a folder (only the files of the folder given are read)");
    }
    if SIDE_SUFFIXES.iter().any(|s| bytes.ends_with(s.as_bytes())) {
        return Entry::Skipped("a file SQLite keeps beside a database");
    }
    let Some(stem) = path.file_stem() else {
        return Entry::Skipped("no file name");
    };
    match stem.to_str() {
        Some(name) => match name_problem(name) {
            Some(why) => Entry::BadName(why),
            None => Entry::Candidate(name.to_owned()),
        },
        None => Entry::BadName("the file's name is not UTF-8: an account's name must be".into()),
    }
}

/// What makes `name` unfit as an account's name that is also a file's stem, if anything.
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the account's name (the file's stem) is empty".to_owned());
    }
    if name.chars().any(char::is_control) {
        return Some("the account's name holds a control character".to_owned());
    }
    None
}

/// What `fleet import` did (spec/json-output.md §3.9).
#[derive(Debug, Default)]
pub struct ImportReport {
    /// The files imported: file, name, format, peers.
    pub imported: Vec<ImportedFile>,
    /// The files refused and why.
    pub refused: Vec<RefusedFile>,
    /// The files whose name the database already holds: file, name.
    pub exists: Vec<(PathBuf, String)>,
    /// Accounts that share one key: in the folder, and in the database before the import.
    pub duplicate_keys: Vec<DuplicateKey>,
    /// The entries not read, and why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// A file imported.
#[derive(Debug)]
pub struct ImportedFile {
    /// The file.
    pub file: PathBuf,
    /// The account's name.
    pub name: String,
    /// Its format.
    pub format: String,
    /// The peers it cached.
    pub peers: usize,
    /// What the file holds that the database does not keep.
    pub notes: Vec<String>,
}

/// A file refused.
#[derive(Debug)]
pub struct RefusedFile {
    /// The file.
    pub file: PathBuf,
    /// The account's name it would have had, where it has one.
    pub name: Option<String>,
    /// Why.
    pub why: Why,
}

/// One key held by several accounts: two workers using them at once get the key revoked by
/// Telegram (`AUTH_KEY_DUPLICATED`).
#[derive(Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key's id.
    pub auth_key_id: AuthKeyId,
    /// The accounts of the folder (imported or not) that hold it, by name.
    pub names: Vec<String>,
    /// The accounts the database held before the import that hold it, other than the
    /// folder's names.
    pub in_database: Vec<String>,
}

/// A step of an import or export, for a progress display.
#[derive(Debug)]
pub struct Progress<'a> {
    /// How many are done, this one included.
    pub done: usize,
    /// How many there are.
    pub total: usize,
    /// The file.
    pub file: &'a Path,
    /// What happened to it: `imported`, `refused`, `exists`, `skipped`, `written`.
    pub outcome: &'static str,
}

/// Reads every file of `dir` (not its subfolders) and imports each session into `db` under its
/// file's stem, calling `progress` after each entry (see the module's documentation);
/// `options` as [`read_session_file`] takes them.
///
/// # Errors
/// The folder cannot be listed, or the database fails to list its accounts. A file that
/// cannot be imported is in the report, not an error.
pub fn import_folder(
    db: &mut impl FleetDb,
    dir: &Path,
    options: &Options,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<ImportReport, StorageError> {
    let mut paths = list(dir)?;
    paths.sort();
    // Where the folder is, links followed: what its links lead to is compared with it.
    let folder = std::fs::canonicalize(dir)
        .map_err(|e| StorageError::io(dir, "finding the folder's own path", e))?;
    let before = db.key_ids()?;
    let mut report = ImportReport::default();
    // The folder's names, and the keys the folder's sessions hold.
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut keys: BTreeMap<AuthKeyId, Vec<String>> = BTreeMap::new();
    let total = paths.len();
    for (i, (path, is_dir)) in paths.into_iter().enumerate() {
        let outcome = match entry(&path, is_dir) {
            Entry::Skipped(why) => {
                report.skipped.push((path.clone(), why));
                "skipped"
            }
            Entry::BadName(message) => {
                report.refused.push(RefusedFile {
                    file: path.clone(),
                    name: None,
                    why: Why::code(ErrorCode::Usage, message),
                });
                "refused"
            }
            Entry::Candidate(name) => {
                if let Some(first) = seen.get(&name) {
                    let message = format!(
                        "the account name {} is also the name of {}, imported first",
                        one_line(&name),
                        shown_path(first)
                    );
                    report.refused.push(RefusedFile {
                        file: path.clone(),
                        name: Some(name),
                        why: Why::code(ErrorCode::AlreadyExists, message),
                    });
                    "refused"
                } else if let Some(why) = not_the_folders_file(&path, &folder) {
                    report.refused.push(RefusedFile {
                        file: path.clone(),
                        name: Some(name),
                        why,
                    });
                    "refused"
                } else {
                    seen.insert(name.clone(), path.clone());
                    import_one(db, (&path, options), name, &mut report, &mut keys)
                }
            }
        };
        progress(Progress {
            done: i + 1,
            total,
            file: &path,
            outcome,
        });
    }
    let mut in_db: BTreeMap<AuthKeyId, Vec<String>> = BTreeMap::new();
    for (name, id) in before {
        if let Some(id) = id {
            in_db.entry(id).or_default().push(name);
        }
    }
    for (id, names) in keys {
        // A name of the folder the database holds already is the same account, not another.
        let mut in_database = in_db.remove(&id).unwrap_or_default();
        in_database.retain(|n| !names.contains(n));
        if names.len() + in_database.len() > 1 {
            report.duplicate_keys.push(DuplicateKey {
                auth_key_id: id,
                names,
                in_database,
            });
        }
    }
    Ok(report)
}

fn import_one(
    db: &mut impl FleetDb,
    (path, options): (&Path, &Options),
    name: String,
    report: &mut ImportReport,
    keys: &mut BTreeMap<AuthKeyId, Vec<String>>,
) -> &'static str {
    let found = match read_session_file(path, options) {
        Ok(found) => found,
        Err(why) => {
            report.refused.push(RefusedFile {
                file: path.to_path_buf(),
                name: Some(name),
                why,
            });
            return "refused";
        }
    };
    if let Some(key) = &found.fields.auth_key {
        keys.entry(key.id()).or_default().push(name.clone());
    }
    match db.import(&name, &found.fields, &found.peers) {
        Ok(()) => {
            report.imported.push(ImportedFile {
                file: path.to_path_buf(),
                name,
                format: found.format,
                peers: found.peers.len(),
                notes: found.notes,
            });
            "imported"
        }
        Err(e) if matches!(e.kind(), StorageErrorKind::AlreadyExists) => {
            report.exists.push((path.to_path_buf(), name));
            "exists"
        }
        Err(e) => {
            report.refused.push(RefusedFile {
                file: path.to_path_buf(),
                name: Some(name),
                why: Why::of_storage(&e),
            });
            "refused"
        }
    }
}

/// Why the entry `path` of the folder `folder` (its path, links followed) is not read, if it
/// is not: a symbolic link that leads out of the folder (a folder another user made could
/// otherwise import any file this user can read); one that cannot be followed (a loop), as the
/// storage says it; a symbolic link to nothing, a FIFO, a device or a socket, as the storage
/// names them, never opened (spec/json-output.md §3.9).
fn not_the_folders_file(path: &Path, folder: &Path) -> Option<Why> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        match std::fs::canonicalize(path) {
            Ok(target) if !target.starts_with(folder) => {
                let message = format!(
                    "{}: a symbolic link to {}, out of the folder: only the folder's own files are imported",
                    shown_path(path),
                    shown_path(&target)
                );
                return Some(Why::code(ErrorCode::UnsafeFile, message));
            }
            // A link to nothing is the storage's to name, below.
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                let e = StorageError::io(path, "following the symbolic link", e);
                return Some(Why::of_storage(&e));
            }
            _ => {}
        }
    }
    StorageError::not_a_file(path).map(|e| Why::of_storage(&e))
}

/// The entries of `dir`, each with whether it is a folder (a link is followed).
fn list(dir: &Path) -> Result<Vec<(PathBuf, bool)>, StorageError> {
    let listing = |e| StorageError::io(dir, "listing the folder", e);
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(listing)? {
        let item = item.map_err(listing)?;
        let path = item.path();
        out.push((path.clone(), path.is_dir()));
    }
    Ok(out)
}

impl ImportReport {
    /// Whether every file read was imported (the command's exit status 0).
    #[must_use]
    pub fn all_imported(&self) -> bool {
        self.refused.is_empty() && self.exists.is_empty()
    }

    /// The report for people, one fact a line.
    #[must_use]
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "imported  {}", self.imported.len());
        for f in &self.imported {
            let _ = writeln!(
                out,
                "  {}  {}  {}, {} peers",
                one_line(&f.name),
                shown_on_one_line(&f.file),
                f.format,
                f.peers
            );
            for n in &f.notes {
                let _ = writeln!(out, "    note: {}", one_line(n));
            }
        }
        let _ = writeln!(out, "refused   {}", self.refused.len());
        for f in &self.refused {
            // A storage's message names the file already.
            let file = shown_path(&f.file);
            if f.why.message.starts_with(&file) {
                let _ = writeln!(out, "  {}", one_line(&f.why.message));
            } else {
                let _ = writeln!(out, "  {}: {}", one_line(&file), one_line(&f.why.message));
            }
        }
        let _ = writeln!(out, "in the database already  {}", self.exists.len());
        for (file, name) in &self.exists {
            let _ = writeln!(out, "  {}  {}", one_line(name), shown_on_one_line(file));
        }
        let _ = writeln!(out, "duplicate keys  {}", self.duplicate_keys.len());
        for d in &self.duplicate_keys {
            let mut line = format!("  auth_key_id {}: {}", d.auth_key_id, names(&d.names));
            if !d.in_database.is_empty() {
                let _ = write!(line, " (in the database: {})", names(&d.in_database));
            }
            let _ = writeln!(out, "{line}");
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "skipped   {}", self.skipped.len());
            for (file, why) in &self.skipped {
                let _ = writeln!(out, "  {}: {why}", shown_on_one_line(file));
            }
        }
        out
    }

    /// The report as one JSON object (spec/json-output.md §3.9).
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::report::object_of(json!({
            "imported": self.imported.iter().map(|f| json!({
                "file": shown_path(&f.file),
                "name": f.name,
                "format": f.format,
                "peers": f.peers,
                "notes": f.notes,
            })).collect::<Vec<_>>(),
            "refused": self.refused.iter().map(|f| json!({
                "file": shown_path(&f.file),
                "name": f.name,
                "error": f.why.to_value(),
            })).collect::<Vec<_>>(),
            "exists": self.exists.iter().map(|(file, name)| json!({
                "file": shown_path(file),
                "name": name,
            })).collect::<Vec<_>>(),
            "duplicate_keys": self.duplicate_keys.iter().map(|d| json!({
                "auth_key_id": d.auth_key_id.to_string(),
                "names": d.names,
                "in_database": d.in_database,
            })).collect::<Vec<_>>(),
            "skipped": self.skipped.iter().map(|(file, why)| json!({
                "file": shown_path(file),
                "reason": why,
            })).collect::<Vec<_>>(),
        }))
    }
}

/// A file's path as the text reports show it: bytes that are not UTF-8 as `\xNN`, and a control
/// character (a line break, an escape) escaped, so that a file's name never makes a line of the
/// report of its own (spec/json-output.md §3.9).
fn shown_on_one_line(path: &Path) -> String {
    one_line(&shown_path(path)).into_owned()
}

fn names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| one_line(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `fleet export` did (spec/json-output.md §3.10).
#[derive(Debug, Default)]
pub struct ExportReport {
    /// The files written: name, file, peers.
    pub written: Vec<(String, PathBuf, usize)>,
    /// The accounts whose file exists already: name, file (never overwritten).
    pub exists: Vec<(String, PathBuf)>,
    /// The accounts not written, and why.
    pub refused: Vec<(String, Why)>,
}

/// Writes every account of `db` as a Pyrogram 2.0.106 session file `dir/NAME.session`, as the
/// file engine writes a whole session ([`Storage::create_file_with`]); an existing file is
/// never overwritten (reported in [`ExportReport::exists`]). `names` are the accounts to write.
///
/// # Errors
/// `dir` is not a folder: nothing is there (`NoSuchDirectory`), a link to nothing
/// (`DanglingSymlink`), or a file, FIFO, device or socket (`Io`, naming it). An account that
/// cannot be written is in the report, not an error.
pub fn export_folder(
    db: &mut impl FleetDb,
    names: &[String],
    dir: &Path,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<ExportReport, StorageError> {
    check_folder(dir)?;
    let mut report = ExportReport::default();
    for (i, name) in names.iter().enumerate() {
        let file = dir.join(format!("{name}{}", crate::storage::FILE_EXTENSION));
        if let Some(why) = unfit_file_name(name) {
            let message = format!("the account {} is not written: {why}", one_line(name));
            report
                .refused
                .push((name.clone(), Why::code(ErrorCode::Unsupported, message)));
            progress(Progress {
                done: i + 1,
                total: names.len(),
                file: dir,
                outcome: "refused",
            });
            continue;
        }
        let outcome = match export_one(db, name, &file) {
            Ok(peers) => {
                report.written.push((name.clone(), file.clone(), peers));
                "written"
            }
            Err(e) if matches!(e.kind(), StorageErrorKind::AlreadyExists) => {
                report.exists.push((name.clone(), file.clone()));
                "exists"
            }
            Err(e) => {
                report.refused.push((name.clone(), Why::of_storage(&e)));
                "refused"
            }
        };
        progress(Progress {
            done: i + 1,
            total: names.len(),
            file: &file,
            outcome,
        });
    }
    Ok(report)
}

/// Whether `dir` is a folder (a link to one followed), and if not, what is there: nothing
/// (`NoSuchDirectory`), a link to nothing (`DanglingSymlink`), or a file, a FIFO, a device or a
/// socket, named.
fn check_folder(dir: &Path) -> Result<(), StorageError> {
    let not_a_folder = |what: &str| {
        let error = std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{what}, not a folder"),
        );
        StorageError::io(dir, "writing into the folder", error)
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => Err(not_a_folder(
            crate::fs::not_regular(&m).unwrap_or("a regular file"),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::not_a_file(dir)
            .unwrap_or_else(|| {
                StorageError::new(dir.to_path_buf(), StorageErrorKind::NoSuchDirectory)
            })),
        Err(e) => Err(StorageError::io(dir, "examining the folder", e)),
    }
}

/// A name read from the database that cannot be a file's stem in a folder: a path separator,
/// a leading dot, a control character (a name another program wrote into the table).
fn unfit_file_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name.starts_with('.') {
        Some("the name begins with a dot")
    } else if name.contains('/') || name.contains('\\') || name.contains('\0') {
        Some("the name holds a path separator or NUL")
    } else if name.chars().any(char::is_control) {
        Some("the name holds a control character")
    } else {
        None
    }
}

fn export_one(db: &mut impl FleetDb, name: &str, file: &Path) -> Result<usize, StorageError> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Err(StorageError::new(
            file.to_path_buf(),
            StorageErrorKind::AlreadyExists,
        ));
    }
    let (fields, peers) = db.read(name)?;
    Storage::create_file_with(file, &fields, &peers)?;
    Ok(peers.len())
}

impl ExportReport {
    /// Whether every account was written (the command's exit status 0).
    #[must_use]
    pub fn all_written(&self) -> bool {
        self.refused.is_empty() && self.exists.is_empty()
    }

    /// The report for people, one fact a line.
    #[must_use]
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "written   {}", self.written.len());
        for (name, file, peers) in &self.written {
            let _ = writeln!(
                out,
                "  {}  {}  {peers} peers",
                one_line(name),
                shown_on_one_line(file)
            );
        }
        let _ = writeln!(out, "exists    {}", self.exists.len());
        for (name, file) in &self.exists {
            let _ = writeln!(
                out,
                "  {}  {} (not overwritten)",
                one_line(name),
                shown_on_one_line(file)
            );
        }
        let _ = writeln!(out, "refused   {}", self.refused.len());
        for (name, why) in &self.refused {
            let _ = writeln!(out, "  {}: {}", one_line(name), one_line(&why.message));
        }
        out
    }

    /// The report as one JSON object (spec/json-output.md §3.10).
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::report::object_of(json!({
            "written": self.written.iter().map(|(name, file, peers)| json!({
                "name": name,
                "file": shown_path(file),
                "peers": peers,
            })).collect::<Vec<_>>(),
            "exists": self.exists.iter().map(|(name, file)| json!({
                "name": name,
                "file": shown_path(file),
            })).collect::<Vec<_>>(),
            "refused": self.refused.iter().map(|(name, why)| json!({
                "name": name,
                "error": why.to_value(),
            })).collect::<Vec<_>>(),
        }))
    }
}

/// `url` with its password, if it has one, replaced by `***`: in the URL form
/// (`postgresql://user:secret@host/db`, `?password=secret`) and in the key-value form
/// (`password=secret`).
#[must_use]
pub fn redact_url(url: &str) -> String {
    match password_of(url) {
        Some(p) if !p.is_empty() => url.replace(p, "***"),
        _ => url.to_owned(),
    }
}

/// `text` (an error's message) with the password of `url`, if any, replaced by `***`.
#[must_use]
pub fn redact(text: &str, url: &str) -> String {
    match password_of(url) {
        Some(p) if !p.is_empty() => text.replace(p, "***"),
        _ => text.to_owned(),
    }
}

/// The password a connection string gives, as written in it.
fn password_of(url: &str) -> Option<&str> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        let rest = &url[url.find("://")? + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                return Some(&userinfo[colon + 1..]);
            }
        }
        let query = &rest[authority_end..];
        let q = query.find('?')?;
        for pair in query[q + 1..].split('&') {
            if let Some(v) = pair.strip_prefix("password=") {
                return Some(v);
            }
        }
        return None;
    }
    // key=value pairs, separated by white space; a value may be quoted.
    let at = lower.find("password")?;
    let rest = url[at + "password".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    if let Some(quoted) = rest.strip_prefix('\'') {
        let end = quoted.find('\'').unwrap_or(quoted.len());
        Some(&quoted[..end])
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(&rest[..end])
    }
}

#[cfg(feature = "postgres")]
mod pg {
    use std::fmt::Write as _;

    use serde_json::json;

    use super::FleetDb;
    use crate::report::one_line;
    use crate::storage::postgres::{AccountSummary, PgFleet};
    use crate::storage::{SessionFields, StorageError, StoredPeer};
    use crate::AuthKeyId;

    impl FleetDb for PgFleet {
        fn key_ids(&mut self) -> Result<Vec<(String, Option<AuthKeyId>)>, StorageError> {
            Ok(self
                .accounts()?
                .into_iter()
                .map(|a| (a.name, a.auth_key_id))
                .collect())
        }

        fn import(
            &mut self,
            name: &str,
            fields: &SessionFields,
            peers: &[StoredPeer],
        ) -> Result<(), StorageError> {
            PgFleet::import_stored(self, name, fields, peers)
        }

        fn read(&mut self, name: &str) -> Result<(SessionFields, Vec<StoredPeer>), StorageError> {
            PgFleet::read_stored(self, name)
        }
    }

    /// One account as `fleet ls --json` prints it (spec/json-output.md §3.11): never the key.
    #[must_use]
    pub fn account_to_json(a: &AccountSummary) -> String {
        crate::report::object_of(json!({
            "name": a.name,
            "dc_id": a.dc_id,
            "api_id": a.api_id,
            "test_mode": a.test_mode,
            "user_id": a.user_id,
            "is_bot": a.is_bot,
            "date": a.date,
            "peers": a.peers,
            "auth_key_id": a.auth_key_id.map(|id| id.to_string()),
            "lease": a.lease.as_ref().map(|l| json!({
                "holder": l.holder,
                "token": l.token,
                "expires_in": l.expires_in.as_secs_f64(),
            })),
        }))
    }

    /// The most characters of a lease's holder `fleet ls` shows.
    const HOLDER_SHOWN: usize = 128;

    /// The accounts as `fleet ls` prints them: a header and one line each.
    #[must_use]
    pub fn accounts_to_text(accounts: &[AccountSummary]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "name\tdc\tuser_id\tbot\tpeers\tlease");
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        for a in accounts {
            let lease = a.lease.as_ref().map_or_else(
                || "-".to_owned(),
                |l| {
                    // Another program may have written a holder of any length: cut as
                    // `LeaseHeld` cuts it (spec/postgres.md §6).
                    let cut: String = l.holder.chars().take(HOLDER_SHOWN).collect();
                    let more = if cut.len() < l.holder.len() {
                        "…"
                    } else {
                        ""
                    };
                    format!(
                        "{}{more} ({:.1} s left)",
                        one_line(&cut),
                        l.expires_in.as_secs_f64()
                    )
                },
            );
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{lease}",
                one_line(&a.name),
                a.dc_id,
                or_dash(a.user_id.map(|u| u.to_string())),
                or_dash(a.is_bot.map(|b| if b { "yes" } else { "no" }.to_owned())),
                a.peers,
            );
        }
        out
    }
}

#[cfg(feature = "postgres")]
pub use pg::{account_to_json, accounts_to_text};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_redacted_in_every_form() {
        for (url, shown) in [
            (
                "postgresql://fleet:s3cr%21t@db.example:5432/sessions",
                "postgresql://fleet:***@db.example:5432/sessions",
            ),
            (
                "postgres://db/sessions?user=fleet&password=s3cret&sslmode=disable",
                "postgres://db/sessions?user=fleet&password=***&sslmode=disable",
            ),
            (
                "host=db user=fleet password=s3cret dbname=x",
                "host=db user=fleet password=*** dbname=x",
            ),
            (
                "host=db password = 'two words' dbname=x",
                "host=db password = '***' dbname=x",
            ),
            ("postgresql://fleet@db/x", "postgresql://fleet@db/x"),
            ("host=/tmp user=postgres", "host=/tmp user=postgres"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        assert_eq!(
            redact(
                "connecting to postgresql://u:pw123@h/x failed",
                "postgresql://u:pw123@h/x"
            ),
            "connecting to postgresql://u:***@h/x failed"
        );
    }

    #[test]
    fn names_of_files() {
        let e = |p: &str, dir: bool| match entry(Path::new(p), dir) {
            Entry::Candidate(n) => format!("take {n}"),
            Entry::Skipped(w) => format!("skip {w}"),
            Entry::BadName(w) => format!("bad {w}"),
        };
        assert_eq!(e("d/alice.session", false), "take alice");
        assert_eq!(e("d/bob.txt", false), "take bob");
        assert_eq!(e("d/carol", false), "take carol");
        assert_eq!(e("d/x.tar.txt", false), "take x.tar");
        assert!(e("d/alice.session-journal", false).starts_with("skip"));
        assert!(e("d/alice.session-wal", false).starts_with("skip"));
        assert!(e("d/.hidden", false).starts_with("skip"));
        assert!(e("d/tdata", true).starts_with("skip a folder"));
        assert!(e("d/a\u{1b}b.session", false).starts_with("bad"));
    }

    #[test]
    fn a_name_from_the_database_that_is_no_file_name_is_refused() {
        for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a\u{7}"] {
            assert!(unfit_file_name(bad).is_some(), "{bad:?}");
        }
        assert!(unfit_file_name("alice").is_none());
        assert!(unfit_file_name("bot 12 ü").is_none());
    }
}
