//! One storage used from several threads (spec/storage.md §2.6).

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::Storage;

/// A [`Storage`] that threads share: `Send + Sync`, so an `Arc<SharedStorage>` goes to every
/// thread that needs the session (spec/storage.md §2.6).
///
/// [`Storage`] itself is `Send` but not `Sync`: it owns one SQLite connection, which serves one
/// call at a time. `SharedStorage` puts the connection behind a mutex: each call holds it for
/// the call's duration, so readers and writers from any thread see every write that returned,
/// in the order the calls took the lock. A lookup holds it for about a microsecond; a file admits
/// one connection at a time anyway (§2.5), so a pool of connections would not read in parallel.
///
/// ```
/// use std::sync::Arc;
/// use pyrosession::peer::{Peer, PeerType};
/// use pyrosession::storage::{SharedStorage, Storage};
///
/// let shared = Arc::new(SharedStorage::new(Storage::memory()?));
/// let writer = {
///     let shared = Arc::clone(&shared);
///     std::thread::spawn(move || {
///         let peer = Peer {
///             id: 42,
///             access_hash: Some(7),
///             peer_type: PeerType::User,
///             username: None,
///             phone_number: None,
///         };
///         shared.lock().update_peers(&[peer])
///     })
/// };
/// writer.join().unwrap()?;
/// assert!(shared.lock().get_peer_by_id(42).is_ok());
/// # Ok::<(), pyrosession::storage::StorageError>(())
/// ```
#[derive(Debug)]
pub struct SharedStorage {
    inner: Mutex<Storage>,
}

impl SharedStorage {
    /// Shares `storage`.
    #[must_use]
    pub fn new(storage: Storage) -> Self {
        SharedStorage {
            inner: Mutex::new(storage),
        }
    }

    /// The storage, for as long as the guard lives; other threads wait meanwhile.
    ///
    /// A thread that panicked while holding the guard leaves the storage usable: every write
    /// commits or rolls back inside SQLite before the call returns, so there is no half-done
    /// state for the mutex's poisoning to protect.
    pub fn lock(&self) -> MutexGuard<'_, Storage> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The storage back, to close or delete it.
    #[must_use]
    pub fn into_inner(self) -> Storage {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl From<Storage> for SharedStorage {
    fn from(storage: Storage) -> Self {
        SharedStorage::new(storage)
    }
}
