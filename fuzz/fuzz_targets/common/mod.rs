//! What the storage fuzz targets share: a scratch directory, and opening a session file and
//! using it the way a client does, with the laws of spec/storage.md checked along the way.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{Storage, StorageError};

/// A directory of this process's own under `/dev/shm` (memory) or the system's temporary
/// directory, empty: made once per process, and emptied of whatever the last input left in it
/// (the session file, side files SQLite made). The directory stays after the process ends,
/// until the next run of a storage target removes it. Making and removing the directory for every input cost the storage targets a
/// tenth of their time in system calls.
pub fn scratch() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        sqlite_without_memory_statistics();
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // The directories of earlier runs whose processes have ended (Linux: /proc).
        if Path::new("/proc/self").exists() {
            for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
                let name = e.file_name();
                let pid = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("pyrosession-fuzz-"));
                if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("pyrosession-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    });
    for entry in std::fs::read_dir(dir).expect("read scratch") {
        let path = entry.expect("entry").path();
        std::fs::remove_file(&path)
            .or_else(|_| std::fs::remove_dir_all(&path))
            .expect("empty the scratch directory");
    }
    dir.clone()
}

/// Turns off SQLite's memory statistics (`SQLITE_CONFIG_MEMSTATUS`) for this process, before
/// its first connection: with them on, which is SQLite's default, every allocation and free
/// takes a global mutex to count bytes that nothing here reads (the crate sets no heap limit and
/// asks for no memory figures). What SQLite does with a file, and every check, is the same.
fn sqlite_without_memory_statistics() {
    // SAFETY: `sqlite3_config` is called once, from the one thread that runs the target, before
    // any connection has been opened (the process has made none yet: this runs before the first
    // input's scratch directory is made), which is when SQLite allows it; it then only sets a
    // flag. A refusal (SQLite already initialised) leaves the statistics on, and is not an error.
    let _ = unsafe {
        rusqlite::ffi::sqlite3_config(
            rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
            std::os::raw::c_int::from(0u8),
        )
    };
}

/// Every file in `dir`: its name and its bytes, sorted by name.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read scratch")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Whether `dir` holds exactly the files of `before` (names and bytes), and what it holds when
/// not: each file's name and length.
fn unchanged(dir: &Path, before: &[(&str, &[u8])]) -> Result<(), String> {
    let now = snapshot(dir);
    let same = now.len() == before.len()
        && now
            .iter()
            .zip(before)
            .all(|((name, bytes), (was, had))| name == was && bytes == had);
    if same {
        return Ok(());
    }
    let list = |files: &mut dyn Iterator<Item = (&str, usize)>| {
        files
            .map(|(name, len)| format!("{name} ({len} bytes)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(format!(
        "before: {}; after: {}",
        list(&mut before.iter().map(|(n, b)| (*n, b.len()))),
        list(&mut now.iter().map(|(n, b)| (n.as_str(), b.len())))
    ))
}

/// Every error must say something and name the file when it concerns one.
fn check_error(e: &StorageError) {
    let text = e.to_string();
    assert!(!text.is_empty());
    let debug = format!("{e:?}");
    assert!(!debug.is_empty());
}

/// Opens `path` read-only and then for writing, and uses whatever opens: fields, peers,
/// lookups, export, a write. When an open fails, the directory must be exactly as it was,
/// side files included: as `before` lists it (sorted by name), which the caller takes with
/// [`snapshot`] or knows (a file it has just written into the emptied directory is all there
/// is; anything else there would show in the snapshot taken after, and fail the comparison).
/// The bytes are compared as they are, not hashed: the directory is read only when an open
/// fails, and comparing costs less than hashing did on every input.
pub fn open_and_use(dir: &Path, path: &Path, before: &[(&str, &[u8])]) {
    match Storage::open_file_read_only(path) {
        Ok(s) => use_read_only(&s),
        Err(e) => check_error(&e),
    }
    match Storage::open_file(path) {
        Ok(mut s) => {
            use_read_only(&s);
            let peer = Peer {
                id: 4242,
                access_hash: Some(7),
                peer_type: PeerType::User,
                username: Some("fuzz".into()),
                phone_number: Some("4242".into()),
            };
            match s.update_peers(std::slice::from_ref(&peer)) {
                Ok(()) => {
                    // A write that returned is there.
                    assert!(s.get_peer_by_id(4242).is_ok());
                }
                Err(e) => check_error(&e),
            }
            if let Err(e) = s.save() {
                check_error(&e);
            }
            if let Err(e) = s.close() {
                check_error(&e);
            }
        }
        Err(e) => {
            check_error(&e);
            if let Err(change) = unchanged(dir, before) {
                panic!("a failed open changed the directory: {e}; {change}");
            }
        }
    }
}

fn use_read_only(s: &Storage) {
    match s.session() {
        Ok(fields) => {
            let _ = format!("{fields:?}");
        }
        Err(e) => check_error(&e),
    }
    match s.peers() {
        Ok(peers) => {
            for p in peers.iter().take(16) {
                match s.get_peer_by_id(p.peer.id) {
                    Ok(_) => {}
                    Err(e) => check_error(&e),
                }
                if let Some(u) = &p.peer.username {
                    if let Err(e) = s.get_peer_by_username(u) {
                        check_error(&e);
                    }
                }
                if let Some(n) = &p.peer.phone_number {
                    if let Err(e) = s.get_peer_by_phone_number(n) {
                        check_error(&e);
                    }
                }
            }
        }
        Err(e) => check_error(&e),
    }
    for id in [0, 1, -1, i64::MIN, i64::MAX, -1_000_000_000_001] {
        if let Err(e) = s.get_peer_by_id(id) {
            check_error(&e);
        }
    }
    match s.export_session_string() {
        Ok(string) => {
            // What the storage exports, a fresh memory storage imports.
            Storage::from_session_string(&string).expect("exported string imports");
        }
        Err(e) => check_error(&e),
    }
    if let Err(e) = s.render_schema() {
        check_error(&e);
    }
}
