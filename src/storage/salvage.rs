//! Salvage: a new session file, or a session string, from what a damaged session file still
//! holds (spec/storage.md §11).
//!
//! The damaged file is never opened by SQLite: its bytes, and those of a `-journal` or `-wal`
//! beside it, are copied into a private directory, and the copy is read there (a hot journal is
//! rolled back in the copy). The session row is read and checked as the open reads it; the
//! peers are read row by row in rowid order, and a stretch of the b-tree that cannot be read is
//! stepped over, then looked up again through the index on `peers.id`.

use crate::storage::StorageErrorKind;
use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde_json::json;

use super::fields::{export, read_fields};
use super::open::{
    broken_link, build_new_file, names_a_file, new_file_place, publish_built, recognise, sniff,
};
use super::peers::{int, stored_peer, text};
use super::schema::{self, Dialect};
use super::{Storage, StorageError, StoredPeer};
use crate::peer::PeerType;

/// How many rows one statement of a scan reads before the next one seeks past them.
const CHUNK: i64 = 512;

/// The index on `peers.id` every dialect's schema has: the second path to a peer's row.
const ID_INDEX: &str = "idx_peers_id";

/// Rowids `first` to `last`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowidRange {
    /// The first rowid.
    pub first: i64,
    /// The last rowid.
    pub last: i64,
}

/// A row that read whole but failed the checks listing applies (spec/storage.md §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The row's rowid.
    pub rowid: i64,
    /// Why, as the check's error says it.
    pub reason: String,
}

/// What a scan of one table found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableReport {
    /// Rows read whole that passed the checks: the rows saved.
    pub saved: usize,
    /// Rows read whole that failed the checks, in rowid order.
    pub rejected: Vec<Rejected>,
    /// The rowid ranges no read could get through, in order: whatever rows they held are lost,
    /// unless the index found them (see [`IndexReport`]).
    pub unreadable: Vec<RowidRange>,
}

/// What the index on `peers.id` says about the rows the scan did not read: those of the
/// unreadable ranges, and any a damaged page put out of rowid order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexReport {
    /// Whether the file has the index.
    pub present: bool,
    /// Whether all of it could be read; if not, `lost` lists only what the entries read before
    /// the damage name, and more may be lost.
    pub complete: bool,
    /// Rows the scan did not read that were read through the index's rowids, counted in the
    /// saved (or the rejected, where they fail the checks).
    pub recovered: usize,
    /// The peer ids the index lists whose rows could not be read, in the index's order.
    pub lost: Vec<i64>,
}

/// What a Pyrogram 2.0.106 file cannot hold of a fork's file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeftBehind {
    /// Usernames beyond the one kept for each peer.
    ExtraUsernames(usize),
    /// Peers of kurigram's own types (forum, direct, community), written as supergroups.
    KurigramTypes(usize),
    /// The rows of a fork's `update_state`; `None` where the table could not be counted.
    UpdateState(Option<usize>),
    /// kurigram v7's `server_address` and `port`.
    Server {
        /// The address.
        address: Option<String>,
        /// The port.
        port: Option<i64>,
    },
}

impl fmt::Display for LeftBehind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let some =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        match self {
            LeftBehind::ExtraUsernames(n) => write!(
                f,
                "{} beyond each peer's first",
                some(*n, "username", "usernames")
            ),
            LeftBehind::KurigramTypes(n) => write!(
                f,
                "{} of kurigram's own types, which Pyrogram 2.0.106 does not know (written as supergroups)",
                some(*n, "peer", "peers")
            ),
            LeftBehind::UpdateState(Some(n)) => {
                write!(f, "the update state ({})", some(*n, "row", "rows"))
            }
            LeftBehind::UpdateState(None) => f.write_str("the update state (unreadable)"),
            LeftBehind::Server { address, port } => write!(
                f,
                "the server address {} and port {}",
                address.as_deref().unwrap_or("NULL"),
                port.map_or_else(|| "NULL".to_owned(), |p| p.to_string())
            ),
        }
    }
}

/// What [`Storage::salvage`] found (spec/storage.md §11.4). Never holds the key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SalvageReport {
    /// The damaged file.
    pub source: PathBuf,
    /// Its dialect.
    pub dialect: Dialect,
    /// The session's `dc_id` (the session row was read whole, or there would be no report).
    pub dc_id: i64,
    /// The side files read with it, `-journal` or `-wal`: rolled back, or read, in the copy.
    pub side_files: Vec<&'static str>,
    /// The scan of `peers`.
    pub peers: TableReport,
    /// What the index on `peers.id` says of the rows the scan did not read; `None` where the
    /// scan met no damage.
    pub index: Option<IndexReport>,
    /// The scan of a fork's `usernames` table, where the file has one.
    pub usernames: Option<TableReport>,
    /// What the Pyrogram 2.0.106 file written from it cannot hold.
    pub left_behind: Vec<LeftBehind>,
}

/// What could be read from a damaged file: its session row, whole, and the peers that read
/// whole and pass the checks, with the report of what was lost (spec/storage.md §11).
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Debug)]
pub struct Salvaged {
    session: super::SessionFields,
    peers: Vec<StoredPeer>,
    report: SalvageReport,
}

impl Salvaged {
    /// The report.
    #[must_use]
    pub fn report(&self) -> &SalvageReport {
        &self.report
    }

    /// The session row, as read and checked.
    #[must_use]
    pub fn session(&self) -> &super::SessionFields {
        &self.session
    }

    /// The peers saved, in rowid order, each with every username the file had for it.
    #[must_use]
    pub fn peers(&self) -> &[StoredPeer] {
        &self.peers
    }

    /// Writes a new Pyrogram 2.0.106 session file (schema version 3) at `target`: the session
    /// row as it was (its `date` included) and the peers saved, each with its `last_update_on`
    /// (spec/storage.md §11.3). Built under a temporary name and linked into place, as every new
    /// file is: an existing `target` is never overwritten (`AlreadyExists`).
    pub fn write_file(&self, target: impl AsRef<Path>) -> Result<(), StorageError> {
        Storage::create_file_with(target, &self.session, &self.peers)
    }

    /// The session as a `v2` session string, as [`Storage::export_session_string`] makes it
    /// (spec/storage.md §7.2); a string holds no peers.
    pub fn session_string(&self) -> Result<String, StorageError> {
        export(&self.session)
    }
}

impl Storage {
    /// Writes a new Pyrogram 2.0.106 session file (schema version 3) at `target` holding
    /// `fields` as they are (their `date` included) and `peers`, each with its
    /// `last_update_on`; a peer type of a fork Pyrogram lacks is stored as `supergroup` (spec/storage.md
    /// §11.3). This is the file engine's one way of writing a whole session with its peers:
    /// salvage and `fleet export` use it. Built under a temporary name and linked into place:
    /// an existing `target` is never overwritten (`AlreadyExists`).
    pub fn create_file_with(
        target: impl AsRef<Path>,
        fields: &super::SessionFields,
        peers: &[StoredPeer],
    ) -> Result<(), StorageError> {
        let target = target.as_ref();
        new_file_place(target)?;
        publish_built(target, |tmp| {
            build_new_file(tmp, target, None, |storage| fill(storage, fields, peers))
        })
    }
}

fn fill(
    storage: &mut Storage,
    f: &super::SessionFields,
    peers: &[StoredPeer],
) -> Result<(), StorageError> {
    storage.begin_write()?;
    storage
            .conn
            .execute(
                "UPDATE sessions SET dc_id = ?1, api_id = ?2, test_mode = ?3, auth_key = ?4, date = ?5, user_id = ?6, is_bot = ?7",
                rusqlite::params![
                    f.dc_id,
                    f.api_id,
                    f.test_mode,
                    f.auth_key.as_ref().map(|k| k.as_bytes().as_slice()),
                    f.date,
                    f.user_id,
                    f.is_bot
                ],
            )
            .map_err(|e| storage.sqlite("writing the session", e))?;
    // Oldest first, so that of two rows for one id the newer is kept.
    let mut sorted: Vec<&StoredPeer> = peers.iter().collect();
    sorted.sort_by_key(|p| p.last_update_on);
    let batch: Vec<crate::peer::Peer> = sorted
        .iter()
        .map(|p| {
            let mut peer = p.peer.clone();
            if !peer.peer_type.is_pyrogram() {
                peer.peer_type = PeerType::Supergroup;
            }
            peer
        })
        .collect();
    storage.cache_peers(&batch, |i| sorted[i].last_update_on)
}

impl Storage {
    /// Reads what a damaged session file still holds: its session row, which must read whole
    /// and pass the open's checks (else [`StorageErrorKind::NothingSaved`]), and every peer row that
    /// reads whole and passes the checks of [`Storage::peers`], with a report of what could not
    /// be read (spec/storage.md §11).
    ///
    /// The file is only read: it and its side files are copied into a private directory under
    /// [`std::env::temp_dir`] (mode 0700, removed before this returns), and SQLite reads the
    /// copy, rolling back a hot journal there. No integrity check refuses the file. A file that
    /// changes while it is copied is `InUse`; so is one a storage of this process has open.
    pub fn salvage(path: impl AsRef<Path>) -> Result<Salvaged, StorageError> {
        let path = path.as_ref();
        names_a_file(path)?;
        if !path.exists() {
            return Err(if path.is_symlink() {
                broken_link(path.to_path_buf())
            } else {
                StorageError::new(path.to_path_buf(), StorageErrorKind::NoSuchFile)
            });
        }
        sniff(path)?;
        let copy = PrivateCopy::make(path)?;
        let conn = Connection::open_with_flags(
            &copy.main,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StorageError::from_sqlite(Some(path), "opening a copy of the file", e))?;
        conn.pragma_update(None, "query_only", true)
            .map_err(|e| StorageError::from_sqlite(Some(path), "opening a copy of the file", e))?;
        // A schema entry SQLite cannot parse (of a table the crate does not use) would make it
        // read no table at all; with a writable schema it skips the entry instead. The copy is
        // only read (query_only), and the damaged file never opened (spec/storage.md §11.1).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_WRITABLE_SCHEMA,
            true,
        )
        .map_err(|e| StorageError::from_sqlite(Some(path), "opening a copy of the file", e))?;
        let dialect = recognise(&conn, Some(path), false)?;
        let session = read_fields(&conn, dialect, Some(path)).map_err(|cause| {
            StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::NothingSaved {
                    cause: Box::new(cause.into_kind()),
                },
            )
        })?;
        let reader = Reader { conn: &conn, path };
        let (mut peers, peers_report, index) = reader.peers(dialect)?;
        let usernames = reader.usernames(dialect, &mut peers)?;
        let mut left_behind = Vec::new();
        let extra: usize = peers
            .iter()
            .map(|p| {
                p.usernames
                    .iter()
                    .filter(|n| p.peer.username.as_ref() != Some(*n))
                    .count()
            })
            .sum();
        if extra > 0 {
            left_behind.push(LeftBehind::ExtraUsernames(extra));
        }
        let kurigram = peers
            .iter()
            .filter(|p| !p.peer.peer_type.is_pyrogram())
            .count();
        if kurigram > 0 {
            left_behind.push(LeftBehind::KurigramTypes(kurigram));
        }
        left_behind.extend(reader.update_state()?);
        if session.server_address.is_some() || session.port.is_some() {
            left_behind.push(LeftBehind::Server {
                address: session.server_address.clone(),
                port: session.port,
            });
        }
        let report = SalvageReport {
            source: path.to_path_buf(),
            dialect,
            dc_id: session.dc_id,
            side_files: copy.side_files.clone(),
            peers: peers_report,
            index,
            usernames,
            left_behind,
        };
        drop(conn);
        copy.remove()?;
        Ok(Salvaged {
            session,
            peers,
            report,
        })
    }
}

/// A copy of a file and its side files in a directory of its own, mode 0700, removed when
/// dropped.
struct PrivateCopy {
    dir: PathBuf,
    main: PathBuf,
    side_files: Vec<&'static str>,
}

impl PrivateCopy {
    /// Removes the copy, its key with it; a failure is reported, naming the folder
    /// (spec/storage.md §2.7).
    fn remove(mut self) -> Result<(), StorageError> {
        let dir = std::mem::take(&mut self.dir);
        crate::fs::remove_dir(&dir)
            .map_err(|source| StorageError::io(&dir, "removing the temporary folder", source))
    }
}

impl Drop for PrivateCopy {
    /// A salvage that failed on the way removes its copy here; the error it returns is the one
    /// that counts.
    fn drop(&mut self) {
        if !self.dir.as_os_str().is_empty() {
            let _ = crate::fs::remove_dir(&self.dir);
        }
    }
}

/// The length, time of change and identity of a file, to tell whether it was written while
/// being copied; `None` where it does not exist.
type Seen = Option<(u64, Option<std::time::SystemTime>, Option<(u64, u64)>)>;

fn seen(path: &Path) -> Seen {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok(), crate::fs::identity(path)))
}

/// The side files copied with a session file: a rollback journal, a write-ahead log. A `-shm`
/// is rebuilt by SQLite from the `-wal`.
const SIDE_FILES: [&str; 2] = ["-journal", "-wal"];

impl PrivateCopy {
    fn make(path: &Path) -> Result<PrivateCopy, StorageError> {
        // SQLite keeps the side files beside the file a symbolic link points to.
        let real = std::fs::canonicalize(path)
            .map_err(|e| StorageError::io(path, "following the path", e))?;
        let side = |suffix: &str| {
            let mut p = real.clone().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        };
        let dir = private_dir()?;
        let main = dir.join("salvage.session");
        let mut copy = PrivateCopy {
            dir,
            main,
            side_files: Vec::new(),
        };
        let before: Vec<Seen> = std::iter::once(seen(&real))
            .chain(SIDE_FILES.iter().map(|s| seen(&side(s))))
            .collect();
        copy_private(path, &real, &copy.main, true)?;
        for suffix in SIDE_FILES {
            let from = side(suffix);
            if from.exists() {
                let mut to = copy.main.clone().into_os_string();
                to.push(suffix);
                copy_private(path, &from, Path::new(&to), false)?;
                copy.side_files.push(suffix);
            }
        }
        let after: Vec<Seen> = std::iter::once(seen(&real))
            .chain(SIDE_FILES.iter().map(|s| seen(&side(s))))
            .collect();
        if before != after {
            return Err(StorageError::new(
                path.to_path_buf(),
                StorageErrorKind::InUse {
                    waited: std::time::Duration::ZERO,
                },
            ));
        }
        Ok(copy)
    }
}

/// A new directory under the system's temporary directory that only this user may enter, with
/// a name nobody can predict (spec/storage.md §2.7).
fn private_dir() -> Result<PathBuf, StorageError> {
    let base = std::env::temp_dir();
    crate::fs::create_dir(&base, ".pyrosession-salvage.")
        .map_err(|e| StorageError::io(&base, "creating a private directory", e))
}

/// The most salvage copies of a damaged file (spec/storage.md §11.1): 4 GiB, 50 times a session
/// of a million peers.
pub(super) const COPY_LIMIT: u64 = 4 << 30;

/// How many bytes of the database file `file` (of `length` bytes) SQLite reads: the pages its
/// header counts (bytes 28–31) times its page size (bytes 16–17), when the header says its count
/// is valid (not zero, and the change counter, bytes 24–27, equal to the version-valid-for
/// number, bytes 92–95), as SQLite itself decides; otherwise the whole file. `true` with it
/// when the header counted it.
fn database_length(file: &mut std::fs::File, length: u64) -> std::io::Result<(u64, bool)> {
    use std::io::Read as _;
    let mut header = [0u8; 100];
    let mut got = 0;
    while got < header.len() {
        match file.read(&mut header[got..])? {
            0 => break,
            n => got += n,
        }
    }
    std::io::Seek::rewind(file)?;
    if got < header.len() {
        return Ok((length, false));
    }
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        _ => return Ok((length, false)),
    };
    let pages = word(28);
    if pages == 0 || word(24) != word(92) {
        return Ok((length, false));
    }
    Ok(((u64::from(pages) * page_size).min(length), true))
}

/// Copies `from` (the damaged file `shown`, or a side file of it) to a new file `to`, mode 0600:
/// for the damaged file itself (`database`), only the bytes SQLite reads ([`database_length`]),
/// and no more than [`COPY_LIMIT`]. Every error names `shown`, the file the caller asked for,
/// never the private copy (spec/storage.md §2.7); one at the copy says where it was being made.
fn copy_private(shown: &Path, from: &Path, to: &Path, database: bool) -> Result<(), StorageError> {
    use std::io::Read as _;
    // Never waited on: a FIFO put there since the side files were checked is an error. A file
    // a storage of this process holds is not read outside SQLite: it is in use.
    let mut source =
        match crate::fs::open(from).map_err(|e| StorageError::io(shown, "copying the file", e))? {
            crate::fs::Opened::File(file) => file,
            crate::fs::Opened::Held { .. } => {
                return Err(StorageError::new(
                    shown.to_path_buf(),
                    StorageErrorKind::InUse {
                        waited: std::time::Duration::ZERO,
                    },
                ))
            }
        };
    let length = source
        .metadata()
        .map_err(|e| StorageError::io(shown, "copying the file", e))?
        .len();
    let (length, counted) = if database {
        database_length(&mut source, length)
            .map_err(|e| StorageError::io(shown, "copying the file", e))?
    } else {
        (length, false)
    };
    if length > COPY_LIMIT {
        return Err(StorageError::new(
            shown.to_path_buf(),
            StorageErrorKind::TooLargeToCopy {
                length,
                limit: COPY_LIMIT,
                counted,
            },
        ));
    }
    let mut source = source.take(length);
    let mut dest = crate::fs::create_new(to).map_err(|e| {
        StorageError::io(
            shown,
            "making a private copy of the file in the temporary directory",
            e,
        )
    })?;
    std::io::copy(&mut source, &mut dest)
        .map(drop)
        .map_err(|e| StorageError::io(shown, "copying the file", e))
}

/// Whether an SQLite error is damage met by a read, which a scan steps over; any other error
/// (the disk, memory) stops the salvage.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase | ErrorCode::TooBig))
}

/// Where a statement of a scan stopped.
enum Stop {
    /// At the table's end.
    End,
    /// After a full chunk: go on from this rowid.
    More(i128),
    /// At damage, met reading from this rowid on.
    Damage(i128),
}

/// Rows of one table, read in rowid order past damage (spec/storage.md §11.2).
struct Scan<T> {
    rows: Vec<(i64, T)>,
    report: TableReport,
}

struct Reader<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl Reader<'_> {
    fn sqlite(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> StorageError + '_ {
        move |e| StorageError::from_sqlite(Some(self.path), doing, e)
    }

    /// Every row of `table` that can be read, in rowid order, through `decode` (which sees the
    /// rowid as column 0 and `columns` after it).
    fn scan<T>(
        &self,
        table: &str,
        columns: &str,
        decode: &dyn Fn(&rusqlite::Row<'_>) -> Result<T, StorageError>,
    ) -> Result<Scan<T>, StorageError> {
        let chunk = format!(
            "SELECT rowid, {columns} FROM {table} NOT INDEXED WHERE rowid >= ?1 ORDER BY rowid LIMIT {CHUNK}"
        );
        let probe = format!(
            "SELECT rowid, {columns} FROM {table} NOT INDEXED WHERE rowid >= ?1 ORDER BY rowid LIMIT 1"
        );
        let max = i128::from(i64::MAX);
        let mut scan = Scan {
            rows: Vec::new(),
            report: TableReport::default(),
        };
        let mut from = i128::from(i64::MIN);
        while from <= max {
            match self.chunk(&chunk, from, decode, &mut scan)? {
                Stop::End => break,
                Stop::More(next) => from = next,
                Stop::Damage(at) => {
                    let resume = self.step_over(&probe, at)?;
                    scan.report.unreadable.push(RowidRange {
                        first: narrow(at),
                        last: narrow(resume - 1),
                    });
                    from = resume;
                }
            }
        }
        scan.report.saved = scan.rows.len();
        Ok(scan)
    }

    /// One statement of a scan: up to [`CHUNK`] rows from rowid `from` on.
    fn chunk<T>(
        &self,
        sql: &str,
        from: i128,
        decode: &dyn Fn(&rusqlite::Row<'_>) -> Result<T, StorageError>,
        scan: &mut Scan<T>,
    ) -> Result<Stop, StorageError> {
        let sqlite = self.sqlite("salvaging rows");
        let mut stmt = match self.conn.prepare_cached(sql) {
            Ok(s) => s,
            Err(e) if is_damage(&e) => return Ok(Stop::Damage(from)),
            Err(e) => return Err(sqlite(e)),
        };
        let mut rows = match stmt.query([narrow(from)]) {
            Ok(r) => r,
            Err(e) if is_damage(&e) => return Ok(Stop::Damage(from)),
            Err(e) => return Err(sqlite(e)),
        };
        let mut next = from;
        let mut n = 0;
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    n += 1;
                    let rowid: i64 = row.get(0).map_err(&sqlite)?;
                    // A rowid out of order is damage too, and the scan must move forward.
                    if i128::from(rowid) < next {
                        return Ok(Stop::Damage(next));
                    }
                    match decode(row) {
                        Ok(t) => scan.rows.push((rowid, t)),
                        Err(e) => scan.report.rejected.push(Rejected {
                            rowid,
                            reason: e.to_string(),
                        }),
                    }
                    next = i128::from(rowid) + 1;
                }
                Ok(None) if n < CHUNK => return Ok(Stop::End),
                Ok(None) => return Ok(Stop::More(next)),
                Err(e) if is_damage(&e) => return Ok(Stop::Damage(next)),
                Err(e) => return Err(sqlite(e)),
            }
        }
    }

    /// Whether a read from rowid `at` on gets through its first row.
    fn readable(&self, probe: &str, at: i128) -> Result<bool, StorageError> {
        let read = self.conn.prepare_cached(probe).and_then(|mut s| {
            let mut rows = s.query([narrow(at)])?;
            rows.next().map(drop)
        });
        match read {
            Ok(()) => Ok(true),
            Err(e) if is_damage(&e) => Ok(false),
            Err(e) => Err(self.sqlite("salvaging rows")(e)),
        }
    }

    /// The first rowid after `at` from which a read gets through, damage having been met
    /// reading from `at`: tried at `at` + 1, 2, 4, ... until one gets through, then narrowed
    /// down by halves between it and the last that did not. `i64::MAX + 1` where none does.
    fn step_over(&self, probe: &str, at: i128) -> Result<i128, StorageError> {
        let max = i128::from(i64::MAX);
        let mut failed = at;
        let mut step = 1;
        let through = loop {
            let next = (at + step).min(max);
            if next <= failed {
                return Ok(max + 1);
            }
            if self.readable(probe, next)? {
                break next;
            }
            if next == max {
                return Ok(max + 1);
            }
            failed = next;
            step *= 2;
        };
        let (mut lo, mut hi) = (failed, through);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.readable(probe, mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    /// The peers that can be read, the scan's report, and what the index on `peers.id` adds.
    fn peers(
        &self,
        dialect: Dialect,
    ) -> Result<(Vec<StoredPeer>, TableReport, Option<IndexReport>), StorageError> {
        let username = if dialect.usernames_by_peer() {
            "NULL"
        } else {
            "username"
        };
        let columns = format!("id, access_hash, type, {username}, phone_number, last_update_on");
        let sqlite = self.sqlite("salvaging peers");
        let decode = |row: &rusqlite::Row<'_>| stored_peer(row, 1, &sqlite);
        let mut scan = self.scan("peers", &columns, &decode)?;
        let index = if scan.report.unreadable.is_empty() {
            None
        } else {
            Some(self.through_index(&columns, &decode, &mut scan)?)
        };
        scan.rows.sort_by_key(|(rowid, _)| *rowid);
        scan.report.rejected.sort_by_key(|r| r.rowid);
        scan.report.saved = scan.rows.len();
        let peers = scan.rows.into_iter().map(|(_, p)| p).collect();
        Ok((peers, scan.report, index))
    }

    /// Looks up, through the index on `peers.id`, the rows the scan did not read: each entry
    /// whose rowid the scan did not meet is read by its rowid, a seek of its own, which gets to
    /// a row the scan stepped over with its neighbours; what cannot be read is lost.
    fn through_index(
        &self,
        columns: &str,
        decode: &dyn Fn(&rusqlite::Row<'_>) -> Result<StoredPeer, StorageError>,
        scan: &mut Scan<StoredPeer>,
    ) -> Result<IndexReport, StorageError> {
        let mut report = IndexReport::default();
        let present = schema::has_index(self.conn, "peers", ID_INDEX)
            .map_err(self.sqlite("reading the schema"))?;
        if !present {
            return Ok(report);
        }
        report.present = true;
        let met: std::collections::HashSet<i64> = scan
            .rows
            .iter()
            .map(|(rowid, _)| *rowid)
            .chain(scan.report.rejected.iter().map(|r| r.rowid))
            .collect();
        let unread = |rowid: i64| !met.contains(&rowid);
        // Every entry that can be read, in the index's order, until its damage if any.
        let mut entries = Vec::new();
        report.complete = match self.conn.prepare(&format!(
            "SELECT id, rowid FROM peers INDEXED BY {ID_INDEX} ORDER BY id"
        )) {
            Ok(mut stmt) => match stmt.query([]) {
                Ok(mut rows) => loop {
                    match rows.next() {
                        Ok(Some(row)) => {
                            let id: Option<i64> = row.get(0).ok();
                            let rowid: i64 = row.get(1).map_err(self.sqlite("salvaging peers"))?;
                            entries.push((id, rowid));
                        }
                        Ok(None) => break true,
                        Err(e) if is_damage(&e) => break false,
                        Err(e) => return Err(self.sqlite("salvaging peers")(e)),
                    }
                },
                Err(e) if is_damage(&e) => false,
                Err(e) => return Err(self.sqlite("salvaging peers")(e)),
            },
            Err(e) if is_damage(&e) => false,
            Err(e) => return Err(self.sqlite("salvaging peers")(e)),
        };
        let one = format!("SELECT rowid, {columns} FROM peers NOT INDEXED WHERE rowid = ?1");
        for (id, rowid) in entries.into_iter().filter(|(_, r)| unread(*r)) {
            let read = self.conn.prepare_cached(&one).and_then(|mut s| {
                let mut rows = s.query([rowid])?;
                Ok(rows.next()?.map(decode))
            });
            match read {
                Ok(Some(Ok(peer))) => {
                    report.recovered += 1;
                    scan.rows.push((rowid, peer));
                }
                Ok(Some(Err(e))) => scan.report.rejected.push(Rejected {
                    rowid,
                    reason: e.to_string(),
                }),
                Ok(None) => report.lost.push(id.unwrap_or(rowid)),
                Err(e) if is_damage(&e) => report.lost.push(id.unwrap_or(rowid)),
                Err(e) => return Err(self.sqlite("salvaging peers")(e)),
            }
        }
        Ok(report)
    }

    /// Whether the file has the table `name`, as SQLite reads its schema (with a writable
    /// schema, whatever the row's type says: [`schema::has_table`]).
    fn has_table(&self, name: &str) -> Result<bool, StorageError> {
        schema::has_table(self.conn, name).map_err(self.sqlite("reading the schema"))
    }

    /// A fork's `usernames`, read past damage like `peers`, attached to the peers saved as
    /// [`Storage::peers`] attaches them; `None` where the file has no such table.
    fn usernames(
        &self,
        dialect: Dialect,
        peers: &mut [StoredPeer],
    ) -> Result<Option<TableReport>, StorageError> {
        let (columns, peer_column, name_column) = match dialect {
            Dialect::Kurigram(_) => ("id, username", "usernames.id", "usernames.username"),
            Dialect::Pyrofork(_) => ("peer_id, id", "usernames.peer_id", "usernames.id"),
            Dialect::Pyrogram(_) => return Ok(None),
        };
        if !self.has_table("usernames")? {
            return Ok(None);
        }
        let sqlite = self.sqlite("salvaging usernames");
        let decode = |row: &rusqlite::Row<'_>| {
            let peer = int(row.get_ref(1).map_err(&sqlite)?, peer_column)?;
            let name = text(row.get_ref(2).map_err(&sqlite)?, name_column)?;
            Ok((peer, name))
        };
        let scan = self.scan("usernames", columns, &decode)?;
        for (_, (peer, name)) in scan.rows {
            let (Some(peer), Some(name)) = (peer, name) else {
                continue;
            };
            if let Some(p) = peers.iter_mut().find(|p| p.peer.id == peer) {
                if p.peer.username.is_none() && dialect.usernames_by_peer() {
                    p.peer.username = Some(name.clone());
                }
                p.usernames.push(name);
            }
        }
        Ok(Some(scan.report))
    }

    /// A fork's `update_state`, as left behind: nothing where the file has no such table or it
    /// is empty, no count where it cannot be counted.
    fn update_state(&self) -> Result<Option<LeftBehind>, StorageError> {
        if !self.has_table("update_state")? {
            return Ok(None);
        }
        match self
            .conn
            .query_row("SELECT count(*) FROM update_state", [], |r| {
                r.get::<_, i64>(0)
            }) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(LeftBehind::UpdateState(Some(
                usize::try_from(n).unwrap_or(usize::MAX),
            )))),
            Err(e) if is_damage(&e) => Ok(Some(LeftBehind::UpdateState(None))),
            Err(e) => Err(self.sqlite("counting the update state")(e)),
        }
    }
}

/// A rowid of the scan's arithmetic, which runs one past `i64`'s ends, as SQLite takes it.
fn narrow(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl SalvageReport {
    /// The report as text, one fact a line (spec/storage.md §11.4). At most 20 rejected rows
    /// are listed, then how many more there are.
    #[must_use]
    pub fn to_text(&self) -> String {
        const SHOWN: usize = 20;
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("source: {}", self.source.display()));
        line(format!("dialect: {}", self.dialect));
        for side in &self.side_files {
            line(format!("side file read in the copy: {side}"));
        }
        line(format!("session: read whole (dc {})", self.dc_id));
        let tables = std::iter::once(("peers", &self.peers))
            .chain(self.usernames.as_ref().map(|u| ("usernames", u)));
        for (name, t) in tables {
            line(format!("{name} saved: {}", t.saved));
            for r in t.rejected.iter().take(SHOWN) {
                line(format!("{name} rejected: rowid {}: {}", r.rowid, r.reason));
            }
            if t.rejected.len() > SHOWN {
                line(format!(
                    "{name} rejected: {} more",
                    t.rejected.len() - SHOWN
                ));
            }
            for r in &t.unreadable {
                line(format!(
                    "{name} unreadable: rowids {} to {}",
                    r.first, r.last
                ));
            }
        }
        if let Some(index) = &self.index {
            if index.present {
                if index.recovered > 0 {
                    line(format!(
                        "peers recovered through {ID_INDEX}: {}",
                        index.recovered
                    ));
                }
                if index.complete {
                    line(format!(
                        "peers lost: {} ({ID_INDEX} lists them, and they cannot be read)",
                        index.lost.len()
                    ));
                } else if index.lost.is_empty() {
                    line(format!("peers lost: unknown ({ID_INDEX} is damaged too)"));
                } else {
                    line(format!(
                        "peers lost: at least {} ({ID_INDEX} is damaged too, and lists these before its damage)",
                        index.lost.len()
                    ));
                }
            } else {
                line(format!(
                    "peers lost: unknown (no index {ID_INDEX} lists the rows)"
                ));
            }
        }
        for l in &self.left_behind {
            line(format!("left behind: {l}"));
        }
        out
    }

    /// The report as JSON, one object on one line (spec/storage.md §11.4).
    #[must_use]
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// [`SalvageReport::to_json`]'s object, for the command's JSON output to add its `target`,
    /// `peers_written` and `schema` to.
    pub(crate) fn to_value(&self) -> serde_json::Value {
        let table = |t: &TableReport| {
            json!({
                "saved": t.saved,
                "rejected": t.rejected.iter().map(|r| json!({"rowid": r.rowid, "reason": r.reason})).collect::<Vec<_>>(),
                "unreadable": t.unreadable.iter().map(|r| json!({"first": r.first, "last": r.last})).collect::<Vec<_>>(),
            })
        };
        json!({
            "source": self.source.display().to_string(),
            "dialect": self.dialect.to_string(),
            "side_files": self.side_files,
            "session": {"dc_id": self.dc_id},
            "peers": table(&self.peers),
            "index": self.index.as_ref().map(|i| json!({
                "name": ID_INDEX,
                "present": i.present,
                "complete": i.complete,
                "recovered": i.recovered,
                "lost": i.lost,
            })),
            "usernames": self.usernames.as_ref().map(table),
            "left_behind": self.left_behind.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A private copy that cannot be made is said of the damaged file, never of the copy's
    /// temporary name (spec/storage.md §2.7).
    #[test]
    fn a_copy_that_cannot_be_made_names_the_damaged_file() {
        let dir =
            crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("folder");
        let damaged = dir.join("damaged.session");
        std::fs::write(&damaged, b"bytes").expect("write");
        let to = dir.join("gone").join("salvage.session");
        let err = copy_private(&damaged, &damaged, &to, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: making a private copy of the file in the temporary directory: No such file or directory (os error 2)",
                damaged.display()
            )
        );
        crate::fs::remove_dir(&dir).expect("remove");
    }
}
