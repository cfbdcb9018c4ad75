//! The operations every storage engine offers (spec/storage.md §1, "The storage's operations"): the one interface the
//! file and memory engines implement today and a second engine (a server database) implements
//! next. The conformance suite's in-process driver and the model test speak only in these
//! operations, so they judge any engine that implements them.

use std::sync::Arc;

use super::{Clock, SessionFields, Storage, StorageError};
use crate::peer::{InputPeer, Peer};
use crate::{AuthKey, Session};

/// A session storage: one login's session fields and its cache of peers, as Pyrogram's
/// `Storage` class defines them (spec/storage.md §6, §7).
///
/// Every write commits before it returns. Opening is engine-specific (a path, a name, a
/// server's address) and so is not part of the interface; everything after it is.
///
/// ```
/// use pyrosession::storage::{SessionStore, Storage};
///
/// // Code written against the interface runs on any engine.
/// fn dc_of(store: &impl SessionStore) -> Result<i64, pyrosession::storage::StorageError> {
///     Ok(store.session()?.dc_id)
/// }
/// let mut memory = Storage::memory()?;
/// SessionStore::set_dc_id(&mut memory, 4)?;
/// assert_eq!(dc_of(&memory)?, 4);
/// # Ok::<(), pyrosession::storage::StorageError>(())
/// ```
pub trait SessionStore {
    /// The session fields, read and checked (§7.1).
    ///
    /// # Errors
    /// The engine fails, or a stored value is not one Pyrogram could have written.
    fn session(&self) -> Result<SessionFields, StorageError>;

    /// Sets `dc_id` and commits.
    ///
    /// # Errors
    /// The engine fails, is read-only, or its dialect cannot store the field alone.
    fn set_dc_id(&mut self, dc_id: i64) -> Result<(), StorageError>;

    /// Sets `api_id` (unset with `None`) and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_api_id(&mut self, api_id: Option<i64>) -> Result<(), StorageError>;

    /// Sets `test_mode` and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_test_mode(&mut self, test_mode: Option<bool>) -> Result<(), StorageError>;

    /// Sets `auth_key` and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_auth_key(&mut self, auth_key: Option<&AuthKey>) -> Result<(), StorageError>;

    /// Sets `date` and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_date(&mut self, date: i64) -> Result<(), StorageError>;

    /// Sets `user_id` (unset with `None`) and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_user_id(&mut self, user_id: Option<i64>) -> Result<(), StorageError>;

    /// Sets `is_bot` and commits.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_is_bot(&mut self, is_bot: Option<bool>) -> Result<(), StorageError>;

    /// Writes a whole session in one transaction, `date` 0, as importing a string does.
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn set_session(&mut self, session: &Session) -> Result<(), StorageError>;

    /// Caches peers, one transaction per call (§6.4).
    ///
    /// # Errors
    /// The engine fails or is read-only, or a peer cannot be stored.
    fn update_peers(&mut self, peers: &[Peer]) -> Result<(), StorageError>;

    /// Caches the peers an iterator yields, all in one transaction, as
    /// [`SessionStore::update_peers`] caches a slice (§6.4): for a caller that makes its peers
    /// as it goes (the Python package reads its caller's list a few hundred tuples at a time).
    ///
    /// The first `Err` the iterator yields ends the call with that error, and none of the
    /// batch is stored; a failure of the engine returns as `E::from` its [`StorageError`],
    /// with none of the batch stored either. The file and memory engines write each peer as
    /// it comes and never hold the batch; by default, the batch is gathered and handed to
    /// [`SessionStore::update_peers`] (the PostgreSQL engine sends it as one statement).
    ///
    /// # Errors
    /// The iterator yields an `Err`, or as [`SessionStore::update_peers`].
    fn update_peers_from<E: From<StorageError>>(
        &mut self,
        peers: impl IntoIterator<Item = Result<Peer, E>>,
    ) -> Result<(), E>
    where
        Self: Sized,
    {
        let batch = peers.into_iter().collect::<Result<Vec<Peer>, E>>()?;
        self.update_peers(&batch).map_err(E::from)
    }

    /// The input peer for an id (§6.5).
    ///
    /// # Errors
    /// No such peer (`NotFound`), or the engine fails.
    fn get_peer_by_id(&self, peer_id: i64) -> Result<InputPeer, StorageError>;

    /// The input peer for a username, if not stale (§6.5).
    ///
    /// # Errors
    /// No such peer, a stale one, or the engine fails.
    fn get_peer_by_username(&self, username: &str) -> Result<InputPeer, StorageError>;

    /// The input peer for a phone number (§6.5).
    ///
    /// # Errors
    /// No such peer, or the engine fails.
    fn get_peer_by_phone_number(&self, phone_number: &str) -> Result<InputPeer, StorageError>;

    /// Sets `date` to the clock's now and commits (§7.3).
    ///
    /// # Errors
    /// As [`SessionStore::set_dc_id`].
    fn save(&mut self) -> Result<(), StorageError>;

    /// Replaces the clock that dates saves and peers and ages usernames.
    fn set_clock(&mut self, clock: Arc<dyn Clock>);

    /// Closes the storage (§7.4).
    ///
    /// # Errors
    /// The engine fails to close.
    fn close(self) -> Result<(), StorageError>
    where
        Self: Sized;

    /// Deletes the session and closes (§7.4).
    ///
    /// # Errors
    /// The engine is read-only, or fails to remove what it holds.
    fn delete(self) -> Result<(), StorageError>
    where
        Self: Sized;

    /// The session as a `v2` session string (§7.2): the same for every engine, made from
    /// [`SessionStore::session`].
    ///
    /// # Errors
    /// Reading fails, or a field the string needs is unset or out of its range.
    fn export_session_string(&self) -> Result<String, StorageError> {
        super::fields::export(&self.session()?)
    }
}

impl SessionStore for Storage {
    fn session(&self) -> Result<SessionFields, StorageError> {
        Storage::session(self)
    }
    fn set_dc_id(&mut self, dc_id: i64) -> Result<(), StorageError> {
        Storage::set_dc_id(self, dc_id)
    }
    fn set_api_id(&mut self, api_id: Option<i64>) -> Result<(), StorageError> {
        Storage::set_api_id(self, api_id)
    }
    fn set_test_mode(&mut self, test_mode: Option<bool>) -> Result<(), StorageError> {
        Storage::set_test_mode(self, test_mode)
    }
    fn set_auth_key(&mut self, auth_key: Option<&AuthKey>) -> Result<(), StorageError> {
        Storage::set_auth_key(self, auth_key)
    }
    fn set_date(&mut self, date: i64) -> Result<(), StorageError> {
        Storage::set_date(self, date)
    }
    fn set_user_id(&mut self, user_id: Option<i64>) -> Result<(), StorageError> {
        Storage::set_user_id(self, user_id)
    }
    fn set_is_bot(&mut self, is_bot: Option<bool>) -> Result<(), StorageError> {
        Storage::set_is_bot(self, is_bot)
    }
    fn set_session(&mut self, session: &Session) -> Result<(), StorageError> {
        Storage::set_session(self, session)
    }
    fn update_peers(&mut self, peers: &[Peer]) -> Result<(), StorageError> {
        Storage::update_peers(self, peers)
    }
    fn update_peers_from<E: From<StorageError>>(
        &mut self,
        peers: impl IntoIterator<Item = Result<Peer, E>>,
    ) -> Result<(), E> {
        Storage::update_peers_from(self, peers)
    }
    fn get_peer_by_id(&self, peer_id: i64) -> Result<InputPeer, StorageError> {
        Storage::get_peer_by_id(self, peer_id)
    }
    fn get_peer_by_username(&self, username: &str) -> Result<InputPeer, StorageError> {
        Storage::get_peer_by_username(self, username)
    }
    fn get_peer_by_phone_number(&self, phone_number: &str) -> Result<InputPeer, StorageError> {
        Storage::get_peer_by_phone_number(self, phone_number)
    }
    fn save(&mut self) -> Result<(), StorageError> {
        Storage::save(self)
    }
    fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        Storage::set_clock(self, clock);
    }
    fn close(self) -> Result<(), StorageError> {
        Storage::close(self)
    }
    fn delete(self) -> Result<(), StorageError> {
        Storage::delete(self)
    }
}
