//! The session files this process holds through its storages (spec/storage.md §2.5).
//!
//! On Unix, a process's locks on a file (POSIX advisory locks, which SQLite uses) belong to the
//! process and the file, not to a descriptor: closing *any* descriptor of the file releases them
//! all. SQLite's own connections know this and keep one descriptor per file between them; a
//! `std::fs::File` opened and closed beside them does not. The crate reads a file's first bytes
//! itself, to tell its format and whether it is in WAL mode; done on a file that a storage of
//! this process has claimed, that read would drop the claim, and another process could then
//! write the file under the claimed connection (an audit lost writes and damaged an index this
//! way). So the crate's one gate to files ([`super::open`]) asks here first: a file a storage
//! of this process holds is an SQLite session file already, is never opened outside SQLite
//! while it is held, and what its header said is kept here.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex, PoisonError};

/// A file, whatever the path to it: its device and inode ([`super::identity`]).
type FileId = (u64, u64);

/// How many storages hold a file, and whether its header says WAL mode.
#[derive(Debug)]
struct Entry {
    holders: usize,
    wal: bool,
}

static HELD: LazyLock<Mutex<HashMap<FileId, Entry>>> = LazyLock::new(Mutex::default);

/// A storage's hold on its file, let go when dropped (after the storage's connection, which
/// is declared before it).
#[derive(Debug)]
pub(crate) struct Hold {
    id: FileId,
}

impl Hold {
    /// The held file's device and inode.
    pub(crate) fn id(&self) -> FileId {
        self.id
    }
}

/// Holds the file at `path`, whose header said `wal`; `None` where files have no identity.
/// (Elsewhere than Unix locks belong to handles, and a read beside them releases nothing.)
pub(crate) fn hold(path: &Path, wal: bool) -> Option<Hold> {
    let id = super::identity(path)?;
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    held.entry(id)
        .and_modify(|e| e.holders += 1)
        .or_insert(Entry { holders: 1, wal });
    Some(Hold { id })
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = held.get_mut(&self.id) {
            e.holders -= 1;
            if e.holders == 0 {
                held.remove(&self.id);
            }
        }
    }
}

/// Whether a storage of this process holds the file at `path`: `Some(wal)` with what its header
/// said when it was first held, `None` if no storage holds it (its bytes may then be read).
pub(crate) fn held(path: &Path) -> Option<bool> {
    let id = super::identity(path)?;
    let held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    held.get(&id).map(|e| e.wal)
}

/// How many storages of this process (an open under way included) hold the file at `path`.
pub(crate) fn holders(path: &Path) -> usize {
    let Some(id) = super::identity(path) else {
        return 0;
    };
    let held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    held.get(&id).map_or(0, |e| e.holders)
}
