//! `Store`: one storage engine (a session file or memory) behind a lock, for the Python layer's
//! `FileStorage` and `MemoryStorage` (spec/storage.md).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict as _, PyBytes, PyList, PyString};
use pyo3::IntoPyObjectExt as _;
use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::postgres::{LeaseOptions, LeaseWatch, PgStorage};
use pyrosession::storage::Query;
use pyrosession::storage::{
    Clock, Dialect, Location, OpenOptions, SessionFields, SessionStore, Storage, StorageError,
    SystemClock,
};
use pyrosession::AuthKey;
use zeroize::Zeroizing;

use crate::{errors, Busy};

/// A peer as a client's `fetch_peers` hands it to `update_peers`, in each library's shape.
#[derive(FromPyObject)]
enum PeerTuple {
    /// Pyrogram 2.0.106, hydrogram, pyrofork: `(id, access_hash, type, username, phone_number)`.
    Pyrogram(i64, Option<i64>, String, Option<String>, Option<String>),
    /// pyrotgfork: `(id, access_hash, type, usernames, phone_number)`; the first username is
    /// cached (a `Peer` has one).
    Usernames(
        i64,
        Option<i64>,
        String,
        Vec<Option<String>>,
        Option<String>,
    ),
    /// kurigram: `(id, access_hash, type, phone_number)`; its usernames follow in
    /// `update_usernames`.
    Kurigram(i64, Option<i64>, String, Option<String>),
}

impl PeerTuple {
    fn into_parts(self) -> (i64, Option<i64>, String, Option<String>, Option<String>) {
        match self {
            PeerTuple::Pyrogram(id, hash, t, username, phone) => (id, hash, t, username, phone),
            PeerTuple::Usernames(id, hash, t, usernames, phone) => {
                (id, hash, t, usernames.into_iter().flatten().next(), phone)
            }
            PeerTuple::Kurigram(id, hash, t, phone) => (id, hash, t, None, phone),
        }
    }
}

/// Kurigram's own peer types, where the file's dialect refuses them (every dialect but kurigram
/// v7, spec/dialects.md §6): stored as the Pyrogram type that gives the same input peer
/// (`InputPeerChannel`), so that the file stays readable by its library.
fn fold_kurigram_type(peer_type: PeerType) -> PeerType {
    match peer_type {
        PeerType::Forum | PeerType::Direct => PeerType::Supergroup,
        PeerType::Community => PeerType::Channel,
        t => t,
    }
}

/// How many tuples of an `update_peers` list are read into `Peer`s each time the interpreter is
/// taken: few enough that the chunk is small beside the caller's list (spec/storage.md §6.4),
/// many enough that taking the interpreter back costs little beside writing them.
const CHUNK: usize = 256;

/// Why an `update_peers` batch stopped: a tuple that is no peer, raised as read, or the engine.
enum Stop {
    Tuple(PyErr),
    Storage(StorageError),
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Stop::Storage(e)
    }
}

/// Up to [`CHUNK`] tuples of the list from `start`, as `Peer`s; empty at the list's end.
fn read_chunk(list: &Bound<'_, PyList>, start: usize) -> PyResult<Vec<Peer>> {
    let end = list.len().min(start.saturating_add(CHUNK));
    let mut chunk = Vec::with_capacity(end.saturating_sub(start));
    for i in start..end {
        let (id, access_hash, peer_type, username, phone_number) =
            list.get_item(i)?.extract::<PeerTuple>()?.into_parts();
        let peer_type: PeerType = peer_type
            .parse()
            .map_err(|e| PyValueError::new_err(format!("peer {id}: {e}")))?;
        chunk.push(Peer {
            id,
            access_hash,
            peer_type,
            username,
            phone_number,
        });
    }
    Ok(chunk)
}

/// The peers of an `update_peers` list, read a chunk at a time, each with the interpreter
/// taken back for the read alone (the engine writes without it).
struct Chunks<'a> {
    list: Py<PyList>,
    /// The store's [`Store::reader`]: marked with this thread while it runs Python code (the
    /// values' `__index__`) holding the store's lock.
    reader: &'a AtomicUsize,
    /// The index of the first tuple not read yet.
    next: usize,
    /// The peers read and not yet handed on.
    chunk: std::vec::IntoIter<Peer>,
    /// The list's end was met, or a tuple was no peer.
    ended: bool,
}

impl Iterator for Chunks<'_> {
    type Item = Result<Peer, Stop>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(p) = self.chunk.next() {
            return Some(Ok(p));
        }
        if self.ended {
            return None;
        }
        self.reader.store(thread_marker(), Ordering::Relaxed);
        let read = Python::attach(|py| read_chunk(self.list.bind(py), self.next));
        self.reader.store(0, Ordering::Relaxed);
        match read {
            Ok(chunk) => {
                self.next += chunk.len();
                self.ended = chunk.is_empty();
                self.chunk = chunk.into_iter();
                self.chunk.next().map(Ok)
            }
            Err(e) => {
                self.ended = true;
                Some(Err(Stop::Tuple(e)))
            }
        }
    }
}

/// The engine under a [`Store`]: a session file or memory (SQLite), or one account of a
/// PostgreSQL database under a lease (spec/postgres.md).
pub(crate) enum Engine {
    /// The file and memory engines.
    Sqlite(Box<Storage>),
    /// The PostgreSQL engine.
    Postgres(Box<PgStorage>),
}

impl Engine {
    /// The operations every engine offers (spec/storage.md §1).
    fn store(&mut self) -> &mut dyn SessionStore {
        match self {
            Engine::Sqlite(s) => s.as_mut(),
            Engine::Postgres(s) => s.as_mut(),
        }
    }

    fn close(self) -> Result<(), StorageError> {
        match self {
            Engine::Sqlite(s) => Storage::close(*s),
            Engine::Postgres(s) => SessionStore::close(*s),
        }
    }

    fn delete(self) -> Result<(), StorageError> {
        match self {
            Engine::Sqlite(s) => Storage::delete(*s),
            Engine::Postgres(s) => SessionStore::delete(*s),
        }
    }
}

/// A storage, shared by the event loop's thread and the threads calls are moved to.
///
/// The lock is held for one call; `None` once the storage is closed or deleted.
#[pyclass(frozen, module = "pyrosession._native")]
pub(crate) struct Store {
    inner: Mutex<Option<Engine>>,
    /// The thread (its [`thread_marker`]) that holds `inner` while it runs Python code (an
    /// `update_peers` reading its batch past the first chunk), else 0: a call back into the store
    /// from that code raises instead of waiting for its own thread.
    reader: AtomicUsize,
    /// What lookups return their input peers as (`set_input_types`).
    types: PyOnceLock<InputTypes>,
    /// A PostgreSQL store's lease, read by `lease` without `inner`, which a long write on
    /// another thread may hold (`Some(None)` once closed); `None` for a file or memory store.
    lease: Option<Mutex<Option<LeaseWatch>>>,
    /// The process that opened the storage. A child made by `fork` inherits the store but not
    /// the file's locks (POSIX locks belong to a process) nor the threads: it must never use
    /// the connection (SQLite's rule, "how to corrupt an SQLite database file" §2.6). An
    /// audit's child wrote peers through it, unlocked, under the parent's claim, and the
    /// parent's next commit left the file malformed.
    pid: u32,
    /// [`FORKS`] when the storage was opened: a call compares it (one atomic load, where the
    /// process id is a system call on every lookup); `Drop` compares [`Store::pid`].
    forks: u64,
}

/// How many times this process is a child made by `fork` (`os.fork`, and `multiprocessing`,
/// which calls it), counted by [`after_fork_in_child`].
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Called in the child after each `os.fork` (the package registers it with
/// `os.register_at_fork`): every store opened before is then refused in this process.
#[pyfunction]
pub(crate) fn after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

impl Drop for Store {
    /// In a child made by `fork`, the engine is let go without being closed: closing it would
    /// act on the parent's connection (a WAL file checkpointed and its `-wal` removed, a
    /// PostgreSQL connection's `Terminate` sent on the parent's socket, a join of a lease
    /// thread that the child does not have).
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            let engine = self
                .inner
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            std::mem::forget(engine);
            if let Some(lease) = self.lease.take() {
                std::mem::forget(lease);
            }
        }
    }
}

/// The classes lookups make their input peers from (`raw.types.InputPeerUser`,
/// `InputPeerChat`, `InputPeerChannel`), and how.
struct InputTypes {
    user: Py<PyAny>,
    chat: Py<PyAny>,
    channel: Py<PyAny>,
    /// `object.__new__`, where each class's instance made by it with its keyword attributes
    /// set is equal to the one its constructor makes, and has no other state (the classes of
    /// `pyrogram.raw` and the forks' own: `__slots__` that are exactly the keywords, and an
    /// `__init__` that only sets them): such an instance, made without the keyword call into
    /// `__init__`, costs a third of the time. `None`: each class is called with keywords.
    new: Option<Py<PyAny>>,
}

impl InputTypes {
    /// One instance of `class` with these attributes (their names interned: made once).
    fn make<'py>(
        &self,
        py: Python<'py>,
        class: &Py<PyAny>,
        attrs: &[(&Bound<'py, PyString>, i64)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let class = class.bind(py);
        if let Some(new) = &self.new {
            let object = new.bind(py).call1((class,))?;
            for (name, value) in attrs {
                object.setattr(*name, value)?;
            }
            return Ok(object);
        }
        class.call((), Some(&attrs.into_py_dict(py)?))
    }

    fn input_peer(&self, py: Python<'_>, p: InputPeer) -> PyResult<Py<PyAny>> {
        let access_hash_name = intern!(py, "access_hash");
        let made = match p {
            InputPeer::User {
                user_id,
                access_hash,
            } => self.make(
                py,
                &self.user,
                &[
                    (intern!(py, "user_id"), user_id),
                    (access_hash_name, access_hash),
                ],
            ),
            InputPeer::Chat { chat_id } => {
                self.make(py, &self.chat, &[(intern!(py, "chat_id"), chat_id)])
            }
            InputPeer::Channel {
                channel_id,
                access_hash,
            } => self.make(
                py,
                &self.channel,
                &[
                    (intern!(py, "channel_id"), channel_id),
                    (access_hash_name, access_hash),
                ],
            ),
        };
        made.map(Bound::unbind)
    }
}

/// Whether instances of `class` made by `object.__new__` and set `attrs` are the instances
/// its constructor makes with `attrs` as keywords: `__slots__` exactly the keywords, no
/// `__dict__`, equal, of the class itself.
fn plain_slots(
    py: Python<'_>,
    new: &Bound<'_, PyAny>,
    class: &Bound<'_, PyAny>,
    attrs: &[(&'static str, i64)],
) -> bool {
    let check = || -> PyResult<bool> {
        let slots: Vec<String> = class.getattr("__slots__")?.extract()?;
        if slots
            .iter()
            .map(String::as_str)
            .ne(attrs.iter().map(|(n, _)| *n))
        {
            return Ok(false);
        }
        let called = class.call((), Some(&attrs.into_py_dict(py)?))?;
        let made = new.call1((class,))?;
        for (name, value) in attrs {
            made.setattr(*name, value)?;
        }
        Ok(!called.hasattr("__dict__")?
            && made.get_type().is(class)
            && called.get_type().is(class)
            && made.eq(&called)?)
    };
    check().unwrap_or(false)
}

/// Why a call did not reach the storage.
enum Gate {
    /// Another thread's call holds it (only when not waiting).
    Busy,
    /// It is closed.
    Closed,
    /// This thread's own call holds it: Python code run while it is held (a value's
    /// `__index__`, read by `update_peers`) called back into the storage.
    Reentrant,
    /// This process is a child made by `fork` of the process that opened the storage (its id).
    Forked(u32),
}

/// This thread, as a number no other living thread has (the address of a thread-local): what
/// [`Store::reader`] holds.
fn thread_marker() -> usize {
    thread_local! {
        static MARKER: u8 = const { 0 };
    }
    MARKER.with(|m| std::ptr::from_ref(m) as usize)
}

impl Store {
    fn new(storage: Storage) -> Store {
        Store::of(Engine::Sqlite(Box::new(storage)))
    }

    fn of(engine: Engine) -> Store {
        let lease = match &engine {
            Engine::Postgres(p) => Some(Mutex::new(Some(p.lease_watch()))),
            Engine::Sqlite(_) => None,
        };
        Store {
            inner: Mutex::new(Some(engine)),
            reader: AtomicUsize::new(0),
            types: PyOnceLock::new(),
            lease,
            pid: std::process::id(),
            forks: FORKS.load(Ordering::SeqCst),
        }
    }

    /// Takes the storage's lock: waiting for it with `block`, else `Busy` if another thread's
    /// call holds it; `Reentrant`, never a wait, if this thread's own call holds it and runs the
    /// Python code that calls (one atomic load when no `update_peers` is reading its batch).
    fn lock(&self, block: bool) -> Result<MutexGuard<'_, Option<Engine>>, Gate> {
        // Before the lock, which a thread of the parent may have held when it forked (the
        // child would wait for it for ever).
        self.same_process()?;
        let reader = self.reader.load(Ordering::Relaxed);
        if reader != 0 && reader == thread_marker() {
            return Err(Gate::Reentrant);
        }
        Ok(if block {
            self.inner.lock().unwrap_or_else(PoisonError::into_inner)
        } else {
            match self.inner.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return Err(Gate::Busy),
            }
        })
    }

    /// `Forked` in a child made by `fork` of the process that opened the storage.
    fn same_process(&self) -> Result<(), Gate> {
        if FORKS.load(Ordering::Relaxed) == self.forks {
            Ok(())
        } else {
            Err(Gate::Forked(self.pid))
        }
    }

    /// Runs `f` on the storage with the interpreter released; without `block`, only if no other
    /// thread's call holds the storage (`Busy` otherwise).
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        block: bool,
        f: impl FnOnce(&mut Engine) -> Result<T, StorageError> + Send,
    ) -> PyResult<T> {
        let result: Result<Result<T, StorageError>, Gate> = py.detach(|| {
            let mut guard = self.lock(block)?;
            let storage = guard.as_mut().ok_or(Gate::Closed)?;
            Ok(f(storage))
        });
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(errors::storage(py, e)),
            Err(gate) => Err(gate.raise(py)),
        }
    }

    /// Runs `f`, a read of one SQLite statement or two, on the storage: from the event loop
    /// (`block` false) with the interpreter kept, since releasing and taking it back costs more
    /// than the read itself, and `Busy` if another thread's call holds the storage, so that
    /// nothing here ever waits while holding the interpreter; from another thread as
    /// [`Store::with`] does.
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        block: bool,
        f: impl FnOnce(&mut Engine) -> Result<T, StorageError> + Send,
    ) -> PyResult<T> {
        if block {
            return self.with(py, block, f);
        }
        let mut guard = self.lock(false).map_err(|gate| gate.raise(py))?;
        let storage = guard.as_mut().ok_or_else(|| errors::closed(py))?;
        f(storage).map_err(|e| errors::storage(py, e))
    }

    /// A found peer as the class `set_input_types` gave.
    fn input_peer(&self, py: Python<'_>, p: InputPeer) -> PyResult<Py<PyAny>> {
        self.types
            .get(py)
            .ok_or_else(|| PyValueError::new_err("set_input_types was not called"))?
            .input_peer(py, p)
    }

    /// Takes the storage out, waiting for any call under way, to close or delete it.
    fn take(&self, py: Python<'_>) -> PyResult<Option<Engine>> {
        let taken = py
            .detach(|| self.lock(true).map(|mut guard| guard.take()))
            .map_err(|gate| gate.raise(py))?;
        if let Some(lease) = &self.lease {
            lease.lock().unwrap_or_else(PoisonError::into_inner).take();
        }
        Ok(taken)
    }
}

impl Gate {
    fn raise(self, py: Python<'_>) -> PyErr {
        match self {
            Gate::Busy => Busy::new_err(()),
            Gate::Closed => errors::closed(py),
            Gate::Reentrant => errors::reentrant(py),
            Gate::Forked(parent) => errors::forked(py, parent),
        }
    }
}

/// The system clock shifted by a number of seconds: the conformance driver's `advance_clock`
/// (spec/conformance.md §3.2).
#[derive(Debug)]
struct OffsetClock(i64);

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        SystemClock.now().saturating_add(self.0)
    }
}

fn wait_from(seconds: f64) -> PyResult<Duration> {
    self::seconds("wait", seconds)
}

fn seconds(what: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be a finite number of seconds, 0 or more, not {seconds}"
        ))
    })
}

/// One field of the session, as Pyrogram's accessors return it.
fn field(py: Python<'_>, fields: &SessionFields, name: &str) -> PyResult<Py<PyAny>> {
    match name {
        "dc_id" => fields.dc_id.into_py_any(py),
        "api_id" => fields.api_id.into_py_any(py),
        "test_mode" => fields.test_mode.into_py_any(py),
        "auth_key" => Ok(fields.auth_key.as_ref().map_or_else(
            || py.None(),
            |k| PyBytes::new(py, k.as_bytes()).into_any().unbind(),
        )),
        "date" => fields.date.into_py_any(py),
        "user_id" => fields.user_id.into_py_any(py),
        "is_bot" => fields.is_bot.into_py_any(py),
        "server_address" => fields.server_address.as_deref().into_py_any(py),
        "port" => fields.port.into_py_any(py),
        _ => Err(PyValueError::new_err(format!("no session field {name:?}"))),
    }
}

/// Where a session name given to a client lives (spec/storage.md §2.1): `("memory", None,
/// None)`, `("string", session_string, None)` or `("file", None, path)`.
#[pyfunction]
pub(crate) fn locate(
    py: Python<'_>,
    name: &str,
    workdir: PathBuf,
) -> (&'static str, Option<Py<PyString>>, Option<PathBuf>) {
    match pyrosession::storage::locate(name, &workdir) {
        Location::Memory => ("memory", None, None),
        Location::SessionString(s) => {
            let s = Zeroizing::new(s);
            ("string", Some(PyString::new(py, &s).unbind()), None)
        }
        Location::File(path) => ("file", None, Some(path)),
    }
}

/// A value to set a field to, read from Python as Pyrogram's `sqlite3` would store it.
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Key(Option<AuthKey>),
}

fn value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let none = v.is_none();
    Ok(match name {
        "dc_id" | "date" if none => {
            return Err(PyValueError::new_err(format!("{name} cannot be None")))
        }
        "dc_id" | "date" | "api_id" | "user_id" => Value::Int(v.extract()?),
        "test_mode" | "is_bot" => Value::Bool(if none { None } else { Some(v.is_truthy()?) }),
        "auth_key" => Value::Key(if none {
            None
        } else {
            let bytes: &[u8] = v.extract()?;
            Some(
                AuthKey::from_slice(bytes)
                    .map_err(|e| PyValueError::new_err(format!("auth_key: {e}")))?,
            )
        }),
        _ => return Err(PyValueError::new_err(format!("no session field {name:?}"))),
    })
}

#[pymethods]
impl Store {
    /// Opens (or creates, mode 0600) the session file at `path`, waiting up to `wait` seconds
    /// for another process to let go of it (spec/storage.md §2.2, §2.5). Blocks: the Python
    /// layer calls it off the event loop.
    #[staticmethod]
    fn open_file(
        py: Python<'_>,
        path: PathBuf,
        wait: f64,
        check_integrity: bool,
    ) -> PyResult<Store> {
        // No memory map of the file: the kernel counts the mapped pages a process touched in its
        // resident set (up to the whole file), where Pyrogram's sqlite3, which maps nothing,
        // holds only SQLite's page cache (BENCHMARKS.md, peak memory).
        let options = OpenOptions::new()
            .wait(wait_from(wait)?)
            .check_integrity(check_integrity)
            .mmap_size(0);
        py.detach(|| options.open(&path))
            .map(Store::new)
            .map_err(|e| errors::storage(py, e))
    }

    /// Opens the session `name` of the PostgreSQL database at `url` (creating it, empty, if
    /// absent) and takes its lease as `holder` (default `HOSTNAME:PID`) for `ttl` seconds,
    /// renewed in the background, waiting up to `wait` seconds for another holder's lease to
    /// end (spec/postgres.md §5); each statement bounded by `statement_timeout` seconds (by
    /// default the ttl, spec/postgres.md §2). Blocks: the Python layer calls it off the event
    /// loop.
    #[staticmethod]
    #[pyo3(signature = (url, name, holder, ttl, wait, statement_timeout=None))]
    fn open_postgres(
        py: Python<'_>,
        url: &str,
        name: &str,
        holder: Option<String>,
        ttl: f64,
        wait: f64,
        statement_timeout: Option<f64>,
    ) -> PyResult<Store> {
        let mut options = LeaseOptions::default();
        if let Some(holder) = holder {
            options.holder = holder;
        }
        options.ttl = seconds("ttl", ttl)?;
        options.wait = seconds("wait", wait)?;
        options.statement_timeout = statement_timeout
            .map(|t| seconds("statement_timeout", t))
            .transpose()?;
        py.detach(|| PgStorage::open(url, name, &options))
            .map(|s| Store::of(Engine::Postgres(Box::new(s))))
            .map_err(|e| errors::storage(py, e))
    }

    /// The lease of a PostgreSQL storage: `(token, holder, seconds left)`; `None` for a file or
    /// memory storage. Never waits for a call under way (a long `update_peers` in the executor):
    /// the lease is read beside the storage, so asking for it does not block the event loop.
    fn lease(&self, py: Python<'_>) -> PyResult<Option<(i64, String, f64)>> {
        let Some(lease) = &self.lease else {
            return Ok(None);
        };
        self.same_process().map_err(|gate| gate.raise(py))?;
        let watch = lease.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let l = watch.ok_or_else(|| errors::closed(py))?.info();
        Ok(Some((l.token, l.holder, l.expires_in.as_secs_f64())))
    }

    /// A new memory storage (spec/storage.md §2.3).
    #[staticmethod]
    fn memory(py: Python<'_>) -> PyResult<Store> {
        Storage::memory()
            .map(Store::new)
            .map_err(|e| errors::storage(py, e))
    }

    /// A memory storage holding the session of a string Pyrogram 2.0.106 accepts
    /// (spec/storage.md §2.3).
    #[staticmethod]
    fn from_session_string(py: Python<'_>, session_string: &str) -> PyResult<Store> {
        py.detach(|| Storage::from_session_string(session_string))
            .map(Store::new)
            .map_err(|e| errors::storage(py, e))
    }

    /// The schema's dialect, as the crate names it (`pyrogram v3`, ...).
    fn dialect(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, true, |s| {
            Ok(match s {
                Engine::Sqlite(s) => s.dialect().to_string(),
                Engine::Postgres(_) => "postgres".to_owned(),
            })
        })
    }

    /// One session field by name (spec/storage.md §7.1).
    fn field(&self, py: Python<'_>, name: &str, block: bool) -> PyResult<Py<PyAny>> {
        let fields = self.read(py, block, |s| s.store().session())?;
        field(py, &fields, name)
    }

    /// Sets one session field by name and commits.
    fn set_field(
        &self,
        py: Python<'_>,
        name: &str,
        value: &Bound<'_, PyAny>,
        block: bool,
    ) -> PyResult<()> {
        let value = self::value(name, value)?;
        let name = name.to_owned();
        self.with(py, block, move |s| match (name.as_str(), value) {
            // One engine's operations, whichever engine.
            ("dc_id", Value::Int(Some(v))) => s.store().set_dc_id(v),
            ("date", Value::Int(Some(v))) => s.store().set_date(v),
            ("api_id", Value::Int(v)) => s.store().set_api_id(v),
            ("user_id", Value::Int(v)) => s.store().set_user_id(v),
            ("test_mode", Value::Bool(v)) => s.store().set_test_mode(v),
            ("is_bot", Value::Bool(v)) => s.store().set_is_bot(v),
            (_, Value::Key(k)) => s.store().set_auth_key(k.as_ref()),
            _ => Ok(()),
        })
    }

    /// Caches peers in one transaction, committed before it returns (spec/storage.md §6.4).
    ///
    /// The list is read [`CHUNK`] tuples at a time into `Peer`s, each chunk with the
    /// interpreter and handed to the engine without it (`SessionStore::update_peers_from`): the
    /// file and memory engines hold one chunk of the batch, never the whole of it. The first
    /// chunk is read before the storage is taken, so that a batch of up to [`CHUNK`] peers takes
    /// the interpreter back only once, when the call returns. A tuple that is no peer raises its
    /// `TypeError` or `ValueError`, wherever it is in the list, and nothing of the batch is
    /// stored.
    fn update_peers(&self, py: Python<'_>, peers: &Bound<'_, PyList>, block: bool) -> PyResult<()> {
        let first = read_chunk(peers, 0)?;
        let chunks = Chunks {
            list: peers.clone().unbind(),
            reader: &self.reader,
            next: first.len(),
            chunk: first.into_iter(),
            ended: false,
        };
        let stopped = self.with(py, block, move |s| {
            // Only a kurigram v7 file holds kurigram's own types; the PostgreSQL engine keeps
            // Pyrogram's, as a new file does.
            let fold = !matches!(s, Engine::Sqlite(f) if f.dialect() == Dialect::Kurigram(7));
            let peers = chunks.map(|p| {
                p.map(|mut p| {
                    if fold {
                        p.peer_type = fold_kurigram_type(p.peer_type);
                    }
                    p
                })
            });
            let written = match s {
                Engine::Sqlite(f) => f.update_peers_from(peers),
                Engine::Postgres(p) => SessionStore::update_peers_from(p.as_mut(), peers),
            };
            match written {
                Ok(()) => Ok(None),
                Err(Stop::Tuple(e)) => Ok(Some(e)),
                Err(Stop::Storage(e)) => Err(e),
            }
        })?;
        stopped.map_or(Ok(()), Err)
    }

    /// Sets the classes lookups return their input peers as: `raw.types.InputPeerUser`,
    /// `InputPeerChat` and `InputPeerChannel` of the client's library (or any classes taking
    /// those keywords). Once, before the first lookup.
    fn set_input_types(
        &self,
        py: Python<'_>,
        user: Bound<'_, PyAny>,
        chat: Bound<'_, PyAny>,
        channel: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let object_new = py.get_type::<pyo3::types::PyAny>().getattr("__new__")?;
        let fast = plain_slots(
            py,
            &object_new,
            &user,
            &[("user_id", 1), ("access_hash", 2)],
        ) && plain_slots(py, &object_new, &chat, &[("chat_id", 1)])
            && plain_slots(
                py,
                &object_new,
                &channel,
                &[("channel_id", 1), ("access_hash", 2)],
            );
        let types = InputTypes {
            user: user.unbind(),
            chat: chat.unbind(),
            channel: channel.unbind(),
            new: fast.then(|| object_new.unbind()),
        };
        self.types
            .set(py, types)
            .map_err(|_| PyValueError::new_err("the input peer types are set already"))
    }

    /// Whether lookups make their input peers without calling the classes (`set_input_types`).
    #[getter]
    fn input_types_plain(&self, py: Python<'_>) -> bool {
        self.types.get(py).is_some_and(|t| t.new.is_some())
    }

    /// The input peer for an id (spec/storage.md §6.5).
    fn get_peer_by_id(&self, py: Python<'_>, peer_id: i64, block: bool) -> PyResult<Py<PyAny>> {
        let found = self.read(py, block, |s| s.store().get_peer_by_id(peer_id))?;
        self.input_peer(py, found)
    }

    /// The input peer for a text given as an id, as SQLite compares it with `peers.id` (Pyrogram's
    /// `resolve_peer` asks `get_peer_by_id` for any text first); `None` where the text is no
    /// integer to SQLite, so that no peer has it as its id.
    fn get_peer_by_id_text(
        &self,
        py: Python<'_>,
        text: &str,
        block: bool,
    ) -> PyResult<Option<Py<PyAny>>> {
        let Some(id) = Query::parse(text).id() else {
            return Ok(None);
        };
        self.get_peer_by_id(py, id, block).map(Some)
    }

    /// The input peer for a username, if not stale (spec/storage.md §6.5).
    fn get_peer_by_username(
        &self,
        py: Python<'_>,
        username: &str,
        block: bool,
    ) -> PyResult<Py<PyAny>> {
        let found = self.read(py, block, |s| s.store().get_peer_by_username(username))?;
        self.input_peer(py, found)
    }

    /// The input peer for a phone number (spec/storage.md §6.5).
    fn get_peer_by_phone_number(
        &self,
        py: Python<'_>,
        phone_number: &str,
        block: bool,
    ) -> PyResult<Py<PyAny>> {
        let found = self.read(py, block, |s| {
            s.store().get_peer_by_phone_number(phone_number)
        })?;
        self.input_peer(py, found)
    }

    /// Shifts this storage's now (what `save` writes and username expiry compares with, and the
    /// stamp of peers cached afterwards) by `seconds` from the system clock (spec/storage.md §1).
    fn set_clock_offset(&self, py: Python<'_>, seconds: i64) -> PyResult<()> {
        self.with(py, true, move |s| {
            s.store().set_clock(Arc::new(OffsetClock(seconds)));
            Ok(())
        })
    }

    /// Sets `date` to now and commits (spec/storage.md §7.3).
    fn save(&self, py: Python<'_>, block: bool) -> PyResult<()> {
        self.with(py, block, |s| s.store().save())
    }

    /// The session as a `v2` session string (spec/storage.md §7.2).
    fn export_session_string(&self, py: Python<'_>, block: bool) -> PyResult<Py<PyString>> {
        let string = Zeroizing::new(self.read(py, block, |s| s.store().export_session_string())?);
        Ok(PyString::new(py, &string).unbind())
    }

    /// Closes the storage; a closed storage closes again without error. In a child made by
    /// `fork`, lets go of the parent's storage without touching it (see [`Store::pid`]).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.same_process().is_err() {
            return Ok(());
        }
        match self.take(py)? {
            Some(s) => py.detach(|| s.close()).map_err(|e| errors::storage(py, e)),
            None => Ok(()),
        }
    }

    /// Deletes the session: a file and its side files go, memory is only closed
    /// (spec/storage.md §7.4).
    fn delete(&self, py: Python<'_>) -> PyResult<()> {
        match self.take(py)? {
            Some(s) => py.detach(|| s.delete()).map_err(|e| errors::storage(py, e)),
            None => Err(errors::closed(py)),
        }
    }

    /// Whether the storage is closed.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.lock(true).map(|guard| guard.is_none()))
            .map_err(|gate| gate.raise(py))
    }
}
