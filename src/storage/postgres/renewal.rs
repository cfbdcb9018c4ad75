//! The renewal of the leases a process holds (spec/postgres.md §5.2): one thread and one
//! connection per server address, renewing every lease that is due in one statement, so that
//! a process holding a thousand sessions makes one renewal commit a round, not a thousand, and
//! an open or a close starts and stops no thread.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::conn::{Conn, Fail, Queries};

use super::lease::{self, LeaseState};
use super::{locked, pg_error, Place, Server};
use crate::storage::{StorageError, StorageErrorKind};

/// How long a renewal thread with no lease to renew stays, its connection open, before it
/// ends (the next lease registered starts another).
const LINGER: Duration = Duration::from_secs(30);

/// The longest an idle thread sleeps: the shortest ttl's third, so that a lease registered
/// while it sleeps is never due before it wakes (a new lease is due `ttl / 3` after its take).
const IDLE_NAP: Duration = Duration::from_millis(333);

/// The most leases renewed in one statement.
const BATCH: usize = 1_000;

/// The lease of one storage, as its server's renewal thread keeps it.
struct Entry {
    name: String,
    ttl: Duration,
    state: Arc<Mutex<LeaseState>>,
    /// When it is next to be renewed: `ttl / 3` after its last renewal was sent.
    due: Instant,
}

/// What the thread of one server and the storages registering with it share.
#[derive(Default)]
struct Leases {
    entries: HashMap<u64, Entry>,
    next_id: u64,
    /// The ids of the round under way, which `stop` waits out.
    in_flight: Vec<u64>,
    /// Whether a thread serves these leases.
    running: bool,
    /// When the thread wakes next, if it sleeps: a lease due earlier wakes it.
    wakes_at: Option<Instant>,
}

/// One server's renewals in this process.
struct Service {
    server: Server,
    /// The process that made it: a child made by `fork` has the memory but not the thread.
    pid: u32,
    leases: Mutex<Leases>,
    /// Signalled when a lease due before the thread's next wake is registered.
    wake: Condvar,
    /// Signalled at the end of each round, for `stop`.
    round_done: Condvar,
}

/// Every server's service in this process, by address (the whole connection string: two
/// spellings of one server get two services, which is only less sharing).
fn services() -> &'static Mutex<HashMap<String, Arc<Service>>> {
    static SERVICES: OnceLock<Mutex<HashMap<String, Arc<Service>>>> = OnceLock::new();
    SERVICES.get_or_init(Mutex::default)
}

/// A storage's place in its server's renewals: dropping it (or [`Renewal::stop`]) ends them.
pub(super) struct Renewal {
    service: Arc<Service>,
    id: u64,
}

impl std::fmt::Debug for Renewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renewal")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Renewal {
    /// Renews the lease of `name` in `state` every `ttl / 3` from now, until stopped or found
    /// lost (then `state.lost` is set).
    ///
    /// # Errors
    /// `Io` when the system refuses a new thread.
    pub(super) fn start(
        server: &Server,
        place: &Place,
        name: &str,
        ttl: Duration,
        state: Arc<Mutex<LeaseState>>,
    ) -> Result<Renewal, StorageError> {
        let pid = std::process::id();
        let service = {
            let mut all = locked(services());
            let service = all
                .entry(server.key().to_owned())
                .or_insert_with(|| Service::new(server, pid));
            if service.pid != pid {
                *service = Service::new(server, pid);
            }
            Arc::clone(service)
        };
        let due = Instant::now() + ttl / 3;
        let mut leases = locked(&service.leases);
        if !leases.running {
            let s = Arc::clone(&service);
            std::thread::Builder::new()
                .name("pyrosession-lease-renewal".to_owned())
                .spawn(move || s.run())
                .map_err(|source| {
                    place.error(StorageErrorKind::Io {
                        doing: "starting the lease renewal thread",
                        source,
                    })
                })?;
            leases.running = true;
        } else if leases.wakes_at.is_some_and(|w| due < w) {
            service.wake.notify_one();
        }
        let id = leases.next_id;
        leases.next_id += 1;
        leases.entries.insert(
            id,
            Entry {
                name: name.to_owned(),
                ttl,
                state,
                due,
            },
        );
        drop(leases);
        Ok(Renewal { service, id })
    }

    /// Ends the renewal: once this returns, no renewal of this lease is under way or to come.
    pub(super) fn stop(self) {
        drop(self);
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        let mut leases = locked(&self.service.leases);
        leases.entries.remove(&self.id);
        while leases.in_flight.contains(&self.id) {
            leases = self
                .service
                .round_done
                .wait(leases)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// What a round found of a lease.
#[derive(Clone, Copy)]
enum Renewed {
    /// Renewed: the time it had left by the server's answer.
    Until(Duration),
    /// Another holder took it, or it was released, or the session deleted.
    Lost,
    /// The server could not say (away, or the connection cut).
    Unknown,
}

/// A lease sent in a round.
struct Due {
    id: u64,
    name: String,
    ttl: Duration,
    lease: (i64, i64),
}

impl Service {
    fn new(server: &Server, pid: u32) -> Arc<Service> {
        Arc::new(Service {
            server: server.clone(),
            pid,
            leases: Mutex::default(),
            wake: Condvar::new(),
            round_done: Condvar::new(),
        })
    }

    /// The thread: sleeps until a lease is due, renews every lease due within the next sixth
    /// of its ttl with it, and ends after `LINGER` with none.
    fn run(&self) {
        let place = self.server.place();
        let mut client: Option<Conn> = None;
        let mut idle_since: Option<Instant> = None;
        loop {
            let mut leases = locked(&self.leases);
            let now = Instant::now();
            let Some(first) = leases.entries.values().map(|e| e.due).min() else {
                let since = *idle_since.get_or_insert(now);
                if now.duration_since(since) >= LINGER {
                    leases.running = false;
                    leases.wakes_at = None;
                    return;
                }
                leases.wakes_at = Some(now + IDLE_NAP);
                drop(self.nap(leases, IDLE_NAP));
                continue;
            };
            idle_since = None;
            if first > now {
                leases.wakes_at = Some(first);
                drop(self.nap(leases, first - now));
                continue;
            }
            leases.wakes_at = None;
            // Each statement of a round is bounded by a third of the shortest ttl it renews
            // (spec/postgres.md §5.4): a round the server does not answer ends in time for the
            // next one, on a new connection, to renew the leases before they expire.
            let bound = leases
                .entries
                .values()
                .map(|e| e.ttl / 3)
                .min()
                .unwrap_or(IDLE_NAP);
            if client.as_ref().is_none_or(Conn::is_closed) {
                // Connected before the round is marked in flight, without the lock: a `close`
                // meanwhile waits for no connection (up to the connect timeout on a server
                // that does not answer), and its lease is then not in the round.
                drop(leases);
                client = self.server.connect(&place, bound, "").ok();
                leases = locked(&self.leases);
            }
            if let Some(c) = client.as_mut() {
                c.set_bound(bound);
            }
            let now = Instant::now();
            let due: Vec<Due> = leases
                .entries
                .iter()
                .filter(|(_, e)| e.due <= now + e.ttl / 6)
                .map(|(&id, e)| {
                    let s = locked(&e.state);
                    Due {
                        id,
                        name: e.name.clone(),
                        ttl: e.ttl,
                        lease: (s.token, s.nonce),
                    }
                })
                .collect();
            leases.in_flight = due.iter().map(|d| d.id).collect();
            drop(leases);

            for chunk in due.chunks(BATCH) {
                let sent = Instant::now();
                let answer = Self::renew_round(&mut client, &place, chunk);
                let mut leases = locked(&self.leases);
                for (d, left) in chunk.iter().zip(&answer) {
                    let Some(e) = leases.entries.get_mut(&d.id) else {
                        continue;
                    };
                    match *left {
                        Renewed::Until(left) => {
                            locked(&e.state).expires_at = sent + left;
                            e.due = sent + e.ttl / 3;
                        }
                        Renewed::Lost => {
                            locked(&e.state).lost = true;
                            leases.entries.remove(&d.id);
                        }
                        // The next round tries again.
                        Renewed::Unknown => e.due = sent + e.ttl / 3,
                    }
                }
            }
            let mut leases = locked(&self.leases);
            leases.in_flight.clear();
            self.round_done.notify_all();
        }
    }

    fn nap<'a>(
        &self,
        leases: std::sync::MutexGuard<'a, Leases>,
        pause: Duration,
    ) -> std::sync::MutexGuard<'a, Leases> {
        self.wake
            .wait_timeout(leases, pause)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }

    /// Renews `due` in one statement, and says what it found of each. A statement the server
    /// refuses (a deadlock with another process's round over a lease that changed hands) is
    /// done again one lease at a time.
    ///
    /// Without a connection (the round's connect failed, or an earlier chunk's statement found
    /// it closed), every lease is `Unknown`, and the next round connects again.
    fn renew_round(client: &mut Option<Conn>, place: &Place, due: &[Due]) -> Vec<Renewed> {
        let Some(c) = client.as_mut().filter(|c| !c.is_closed()) else {
            return vec![Renewed::Unknown; due.len()];
        };
        let found = |left: Option<Duration>| left.map_or(Renewed::Lost, Renewed::Until);
        match renew_many(c, place, due) {
            Ok(left) => left.into_iter().map(found).collect(),
            Err(_) if c.is_closed() => {
                *client = None;
                vec![Renewed::Unknown; due.len()]
            }
            Err(_) => due
                .iter()
                .map(|d| {
                    lease::renew(c, place, &d.name, d.lease, d.ttl).map_or(Renewed::Unknown, found)
                })
                .collect(),
        }
    }
}

/// One statement renewing every lease of `due` whose token and nonce are still its session's
/// (spec/postgres.md §5.2): each lease's time left, or `None` where it is lost.
fn renew_many(
    client: &mut Conn,
    place: &Place,
    due: &[Due],
) -> Result<Vec<Option<Duration>>, StorageError> {
    let pg = |e: Fail| pg_error(place, "renewing the leases", &e);
    let names: Vec<&str> = due.iter().map(|d| d.name.as_str()).collect();
    let tokens: Vec<i64> = due.iter().map(|d| d.lease.0).collect();
    let nonces: Vec<i64> = due.iter().map(|d| d.lease.1).collect();
    let ttls: Vec<f64> = due.iter().map(|d| d.ttl.as_secs_f64()).collect();
    let rows = client
        .query(
            "UPDATE pyrosession_sessions AS s \
             SET lease_expires = clock_timestamp() + pg_catalog.make_interval(secs => v.ttl) \
             FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[]) WITH ORDINALITY \
                  AS v(name, token, nonce, ttl, i) \
             WHERE s.name = v.name AND s.lease_token = v.token AND s.lease_nonce = v.nonce \
               AND s.lease_holder IS NOT NULL \
             RETURNING v.i, EXTRACT(EPOCH FROM s.lease_expires - clock_timestamp())::float8",
            &[&names, &tokens, &nonces, &ttls],
        )
        .map_err(pg)?;
    let mut left = vec![None; due.len()];
    for row in rows {
        let i: i64 = row.try_get(0).map_err(|e| pg(e.into()))?;
        let secs: Option<f64> = row.try_get(1).map_err(|e| pg(e.into()))?;
        if let Some(slot) = usize::try_from(i - 1).ok().and_then(|i| left.get_mut(i)) {
            *slot = Some(lease::left(secs));
        }
    }
    Ok(left)
}
