//! Leases: one holder of a session at a time, across machines (spec/postgres.md §5).

use std::time::{Duration, Instant};

use super::conn::{Conn, Fail, Queries};
use tokio_postgres::Row;

use super::{at, get, pg_error, Place};
use crate::storage::{StorageError, StorageErrorKind};

/// How a [`super::PgStorage`] takes its lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseOptions {
    /// Who takes it, as other openers are told (`LeaseHeld`) and `fleet ls` lists it: by
    /// default `HOSTNAME:PID`.
    pub holder: String,
    /// How long the lease lasts after each take or renewal, by the server's clock: a holder
    /// that stops renewing (dead, paused, cut off) loses it this long after its last renewal.
    /// 30 s by default; at least 1 s.
    pub ttl: Duration,
    /// How long an open waits for another holder's lease to end before `LeaseHeld`; zero (the
    /// default) fails at once.
    pub wait: Duration,
    /// How long each statement of the storage may take before it fails (`Postgres`, the server
    /// did not answer) and its connection is closed (spec/postgres.md §2, *Bounds*): `None`
    /// (the default) for the ttl, past which the statement's outcome no longer matters to a
    /// lease the holder cannot have renewed meanwhile. At least 1 ms.
    pub statement_timeout: Option<Duration>,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            holder: default_holder(),
            ttl: Duration::from_secs(30),
            wait: Duration::ZERO,
            statement_timeout: None,
        }
    }
}

impl LeaseOptions {
    /// The bound of each statement of a storage opened with these options: the
    /// `statement_timeout`, else the ttl (spec/postgres.md §2, *Bounds*).
    #[must_use]
    pub fn statement_bound(&self) -> Duration {
        self.statement_timeout.unwrap_or(self.ttl)
    }
}

/// The shortest ttl: renewals every ttl / 3 must fit a round trip with room to spare.
pub const MIN_TTL: Duration = Duration::from_secs(1);

/// `HOSTNAME:PID`: this machine's name (Linux's `/proc/sys/kernel/hostname`, else the
/// `HOSTNAME` or `COMPUTERNAME` variable, else `localhost`) and this process's id.
#[must_use]
pub fn default_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Checks options before anything is asked of the server.
pub(crate) fn check_options(options: &LeaseOptions) -> Result<(), StorageErrorKind> {
    if options.ttl < MIN_TTL || options.ttl > Duration::from_secs(86_400 * 365) {
        return Err(StorageErrorKind::InvalidLeaseOptions {
            reason: "the ttl must be between 1 s and a year",
        });
    }
    if options
        .statement_timeout
        .is_some_and(|t| t < Duration::from_millis(1))
    {
        return Err(StorageErrorKind::InvalidLeaseOptions {
            reason: "the statement timeout must be at least 1 ms",
        });
    }
    if options.holder.is_empty() || options.holder.contains('\0') {
        return Err(StorageErrorKind::InvalidLeaseOptions {
            reason: "the holder must be a non-empty text without NUL",
        });
    }
    Ok(())
}

/// A lease as seen by its holder or a lister.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The fencing token: every take of any session's lease gets a greater one than every take
    /// before it of the same session.
    pub token: i64,
    /// Who holds it.
    pub holder: String,
    /// How long it has left (zero once expired).
    pub expires_in: Duration,
}

/// The lease a storage holds, shared with its renewal thread.
#[derive(Debug)]
pub(super) struct LeaseState {
    pub(super) token: i64,
    /// The take's random nonce (spec/postgres.md §5.1): the fence, the renewal and the release
    /// check it with the token, so that a take lost in a server crash, whose token the server
    /// may hand out again, fences its holder out of the next holder's lease.
    pub(super) nonce: i64,
    pub(super) holder: String,
    /// When it ends by this machine's monotonic clock: the request's send time plus the time
    /// left the server answered, so never later than the server's expiry.
    pub(super) expires_at: Instant,
    /// Whether a renewal or a write found it taken by another, released or deleted.
    pub(super) lost: bool,
}

impl LeaseState {
    pub(super) fn info(&self) -> LeaseInfo {
        LeaseInfo {
            token: self.token,
            holder: self.holder.clone(),
            expires_in: if self.lost {
                Duration::ZERO
            } else {
                self.expires_at.saturating_duration_since(Instant::now())
            },
        }
    }
}

/// Seconds as the server's `pg_catalog.make_interval(secs => …)` takes them.
fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A server's count of seconds left as a duration: zero when past (or NaN), at most 10^12 s
/// (an expiry of `infinity`, which another program may have written, is `+Infinity` seconds).
pub(super) fn left(secs: Option<f64>) -> Duration {
    secs.filter(|s| *s > 0.0)
        .map_or(Duration::ZERO, |s| Duration::from_secs_f64(s.min(1e12)))
}

/// A take's nonce, from the system's random source (spec/postgres.md §5.1).
fn nonce(place: &Place) -> Result<i64, StorageError> {
    let n = getrandom::u64().map_err(|e| {
        place.error(StorageErrorKind::Io {
            doing: "reading the system's random source",
            source: std::io::Error::other(e.to_string()),
        })
    })?;
    Ok(i64::from_ne_bytes(n.to_ne_bytes()))
}

/// Creates the session if absent and takes its lease under a new random nonce, waiting up to
/// `options.wait` for another holder's to end (spec/postgres.md §5.1). The take's commit does
/// not wait for the server's disk: the nonce keeps a take lost in a crash from being mistaken
/// for the next one.
pub(super) fn take(
    client: &mut Conn,
    place: &Place,
    name: &str,
    options: &LeaseOptions,
) -> Result<LeaseState, StorageError> {
    let doing = "taking the lease";
    let pg = |e: Fail| pg_error(place, doing, &e);
    let start = Instant::now();
    let deadline = start + options.wait;
    let mut pause = FIRST_PAUSE;
    loop {
        let nonce = nonce(place)?;
        let sent = Instant::now();
        // One statement, so one round trip: a new session is created with the lease taken, an
        // existing one's lease taken where it is free or expired. The taken lease's expiry is
        // read from the clock after the check of the old one (the SET runs after the WHERE), so
        // the lease runs its whole ttl from the moment it is granted and never starts before
        // the old lease ended; `EXCLUDED.lease_expires` was read before the check. The
        // `set_config` turns `synchronous_commit` off for this statement's transaction only.
        let took = client
            .query_opt(
                "INSERT INTO pyrosession_sessions AS s (name, dc_id, date, lease_token, lease_nonce, lease_holder, lease_expires) \
                 SELECT $1, 2, 0, pg_catalog.nextval('pyrosession_lease_tokens'::regclass), $4, $2, clock_timestamp() + pg_catalog.make_interval(secs => $3) \
                 WHERE pg_catalog.set_config('synchronous_commit', 'off', true) = 'off' \
                 ON CONFLICT (name) DO UPDATE \
                 SET lease_token = GREATEST(EXCLUDED.lease_token, s.lease_token + 1), lease_nonce = EXCLUDED.lease_nonce, \
                     lease_holder = EXCLUDED.lease_holder, lease_expires = clock_timestamp() + pg_catalog.make_interval(secs => $3) \
                 WHERE s.lease_holder IS NULL OR s.lease_expires IS NULL OR s.lease_expires <= clock_timestamp() \
                 RETURNING lease_token, lease_nonce, EXTRACT(EPOCH FROM lease_expires - clock_timestamp())::float8",
                &[&name, &options.holder, &seconds(options.ttl), &nonce],
            )
            .map_err(pg)?;
        if let Some(row) = took {
            let (token, nonce) = token_and_nonce(&row, place)?;
            let secs: Option<f64> = row.try_get(2).map_err(|e| pg(e.into()))?;
            return Ok(LeaseState {
                token,
                nonce,
                holder: options.holder.clone(),
                expires_at: sent + left(secs),
                lost: false,
            });
        }
        let Some(Current {
            holder, remaining, ..
        }) = current(client, place, name)?
        else {
            // Deleted since: create it again.
            continue;
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(place.error(StorageErrorKind::LeaseHeld {
                holder,
                expires_in: remaining,
                waited: options.wait,
            }));
        }
        std::thread::sleep(nap(pause, remaining, deadline - now));
        pause = next_pause(pause);
    }
}

/// The first pause of an open that found the lease held. Short, because a fleet's worker
/// usually holds an account for moments (a take, a few writes, a release): a first pause of
/// 20 ms made every such meeting of two workers on one account cost 20 ms or more, where the
/// other's release came within a millisecond or two.
const FIRST_PAUSE: Duration = Duration::from_millis(1);

/// The longest pause between two tries of a waiting open.
const LAST_PAUSE: Duration = Duration::from_millis(500);

/// How long an open that found the lease held sleeps before it tries again: until the lease
/// may have ended (at least [`FIRST_PAUSE`]), or the pause, whichever is sooner, and never past
/// what is `left` of its wait (spec/postgres.md §5.1).
fn nap(pause: Duration, remaining: Duration, left: Duration) -> Duration {
    pause.min(remaining.max(FIRST_PAUSE)).min(left)
}

/// The pause after `pause`: twice as long, up to [`LAST_PAUSE`].
fn next_pause(pause: Duration) -> Duration {
    (pause * 2).min(LAST_PAUSE)
}

/// A session's lease as the server has it now.
#[derive(Debug)]
pub(super) struct Current {
    pub(super) token: i64,
    pub(super) nonce: i64,
    /// `""` where the lease was released.
    pub(super) holder: String,
    /// Zero where expired or released.
    pub(super) remaining: Duration,
}

/// The session's lease as the server has it now, or `None` where the session does not exist.
pub(super) fn current(
    client: &mut Conn,
    place: &Place,
    name: &str,
) -> Result<Option<Current>, StorageError> {
    let pg = |e: Fail| pg_error(place, "reading the lease", &e);
    let row = client
        .query_opt(
            "SELECT lease_token, lease_nonce, lease_holder, \
             (EXTRACT(EPOCH FROM lease_expires) - EXTRACT(EPOCH FROM clock_timestamp()))::float8 \
             FROM pyrosession_sessions WHERE name = $1",
            &[&name],
        )
        .map_err(pg)?;
    let Some(row) = row else { return Ok(None) };
    let (token, nonce) = token_and_nonce(&row, place)?;
    let holder: Option<String> = get(&row, 2, "pyrosession_sessions.lease_holder", "text or NULL")
        .map_err(|e| at(e, place))?;
    let secs: Option<f64> = row.try_get(3).map_err(|e| pg(e.into()))?;
    let (holder, remaining) = match holder {
        Some(h) => (h, left(secs)),
        None => (String::new(), Duration::ZERO),
    };
    Ok(Some(Current {
        token,
        nonce,
        holder,
        remaining,
    }))
}

/// The lease's token and nonce, columns 0 and 1 of `row`: an `InvalidValue` naming the column
/// where another program made one NULL or changed its type.
fn token_and_nonce(row: &Row, place: &Place) -> Result<(i64, i64), StorageError> {
    let token = get(row, 0, "pyrosession_sessions.lease_token", "a bigint");
    let nonce = get(row, 1, "pyrosession_sessions.lease_nonce", "a bigint");
    token
        .and_then(|t| nonce.map(|n| (t, n)))
        .map_err(|e| at(e, place))
}

/// Renews the lease `token` and `nonce` hold; `None` when they are no longer the session's
/// (another holder took it, or the take was lost in a server crash), the lease was released,
/// or the session is gone.
pub(super) fn renew(
    client: &mut Conn,
    place: &Place,
    name: &str,
    (token, nonce): (i64, i64),
    ttl: Duration,
) -> Result<Option<Duration>, StorageError> {
    let pg = |e: Fail| pg_error(place, "renewing the lease", &e);
    let row = client
        .query_opt(
            "UPDATE pyrosession_sessions SET lease_expires = clock_timestamp() + pg_catalog.make_interval(secs => $3) \
             WHERE name = $1 AND lease_token = $2 AND lease_nonce = $4 AND lease_holder IS NOT NULL \
             RETURNING EXTRACT(EPOCH FROM lease_expires - clock_timestamp())::float8",
            &[&name, &token, &seconds(ttl), &nonce],
        )
        .map_err(pg)?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some(left(row.try_get(0).map_err(|e| pg(e.into()))?))),
    }
}

/// Releases the lease `token` and `nonce` hold, if they still do, without waiting for the server's disk
/// (`synchronous_commit` off for this statement's transaction only, spec/postgres.md §5.1): a
/// release lost in a server crash leaves the lease held until its expiry, never held by two.
pub(super) fn release(
    client: &mut Conn,
    place: &Place,
    name: &str,
    (token, nonce): (i64, i64),
) -> Result<(), StorageError> {
    client
        .execute(
            "UPDATE pyrosession_sessions SET lease_holder = NULL, lease_expires = NULL \
             WHERE name = $1 AND lease_token = $2 AND lease_nonce = $3 AND pg_catalog.set_config('synchronous_commit', 'off', true) = 'off'",
            &[&name, &token, &nonce],
        )
        .map(drop)
        .map_err(|e| pg_error(place, "releasing the lease", &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::postgres::Server;

    /// A waiting open tries again 1 ms after finding the lease held, then after pauses that
    /// double up to 500 ms; never later than the lease may end, nor past its wait.
    #[test]
    fn a_waiting_open_tries_again_soon_then_less_often() {
        let ms = Duration::from_millis;
        let long = Duration::from_secs(30);
        let mut pause = FIRST_PAUSE;
        let mut naps = Vec::new();
        for _ in 0..12 {
            naps.push(nap(pause, long, long));
            pause = next_pause(pause);
        }
        let expected: Vec<Duration> = [1, 2, 4, 8, 16, 32, 64, 128, 256, 500, 500, 500]
            .into_iter()
            .map(ms)
            .collect();
        assert_eq!(naps, expected);
        // The lease ends sooner than the pause: sleep until then.
        assert_eq!(nap(ms(500), ms(30), long), ms(30));
        // Ended or released: try again after the shortest pause, not at once in a loop.
        assert_eq!(nap(ms(64), Duration::ZERO, long), ms(1));
        // The wait ends first.
        assert_eq!(nap(ms(500), long, ms(7)), ms(7));
    }

    /// A statement timeout under 1 ms is refused before the server is asked; unset, each
    /// statement is bounded by the ttl (spec/postgres.md §2, *Bounds*).
    #[test]
    fn the_statement_bound_is_the_timeout_or_the_ttl() {
        let mut options = LeaseOptions {
            ttl: Duration::from_secs(7),
            ..LeaseOptions::default()
        };
        assert_eq!(options.statement_bound(), Duration::from_secs(7));
        assert!(check_options(&options).is_ok());
        options.statement_timeout = Some(Duration::from_millis(1));
        assert_eq!(options.statement_bound(), Duration::from_millis(1));
        assert!(check_options(&options).is_ok());
        options.statement_timeout = Some(Duration::from_micros(999));
        assert!(matches!(
            check_options(&options),
            Err(StorageErrorKind::InvalidLeaseOptions {
                reason: "the statement timeout must be at least 1 ms",
            })
        ));
    }

    /// A connection to the test server, its schema in place, and its place; `None` after
    /// saying the test is skipped, where `PYROSESSION_PG_URL` is unset.
    fn connected() -> Option<(Place, Conn)> {
        let Ok(url) = std::env::var("PYROSESSION_PG_URL") else {
            eprintln!("skipped: PYROSESSION_PG_URL is unset");
            return None;
        };
        let server = Server::parse(&url).unwrap();
        let place = server.place();
        let mut client = server.connect(&place, Duration::from_secs(30), "").unwrap();
        super::super::schema::migrate(&mut client, &place).unwrap();
        Some((place, client))
    }

    /// The connection's `synchronous_commit` now.
    fn synchronous_commit(c: &mut Conn) -> String {
        c.query_one("SHOW synchronous_commit", &[]).unwrap().get(0)
    }

    /// The release turns `synchronous_commit` off for its own transaction only: the
    /// connection's next commits (the writes of the next storage on a pooled connection) wait
    /// for the disk again.
    #[test]
    fn release_waits_for_no_flush_and_leaves_the_connection_durable() {
        let Some((place, mut client)) = connected() else {
            return;
        };
        let name = format!("release-sync-{}", std::process::id());
        let options = LeaseOptions::default();
        let state = take(&mut client, &place, &name, &options).unwrap();
        client.batch_execute("BEGIN").unwrap();
        let lease = (state.token, state.nonce);
        release(&mut client, &place, &name, lease).unwrap();
        assert_eq!(synchronous_commit(&mut client), "off");
        client.batch_execute("COMMIT").unwrap();
        assert_eq!(synchronous_commit(&mut client), "on");
        release(&mut client, &place, &name, lease).unwrap();
        assert_eq!(synchronous_commit(&mut client), "on");
        let now = current(&mut client, &place, &name).unwrap().unwrap();
        assert_eq!((now.holder.as_str(), now.remaining), ("", Duration::ZERO));
        let mut tx = client.transaction().unwrap();
        tx.execute("DELETE FROM pyrosession_sessions WHERE name = $1", &[&name])
            .unwrap();
        tx.execute(super::super::DELETE_PEERS, &[&name]).unwrap();
        tx.commit().unwrap();
    }

    /// The take turns `synchronous_commit` off for its own transaction only (spec/postgres.md
    /// §5.1), and stores the nonce it returns.
    #[test]
    fn a_take_waits_for_no_flush_and_leaves_the_connection_durable() {
        let Some((place, mut client)) = connected() else {
            return;
        };
        let name = format!("take-sync-{}", std::process::id());
        client.batch_execute("BEGIN").unwrap();
        let first = take(&mut client, &place, &name, &LeaseOptions::default()).unwrap();
        assert_eq!(synchronous_commit(&mut client), "off");
        client.batch_execute("COMMIT").unwrap();
        assert_eq!(synchronous_commit(&mut client), "on");
        release(&mut client, &place, &name, (first.token, first.nonce)).unwrap();
        let second = take(&mut client, &place, &name, &LeaseOptions::default()).unwrap();
        assert_eq!(synchronous_commit(&mut client), "on");
        assert_ne!(first.nonce, second.nonce);
        let now = current(&mut client, &place, &name).unwrap().unwrap();
        assert_eq!((now.token, now.nonce), (second.token, second.nonce));
        let mut tx = client.transaction().unwrap();
        tx.execute("DELETE FROM pyrosession_sessions WHERE name = $1", &[&name])
            .unwrap();
        tx.execute(super::super::DELETE_PEERS, &[&name]).unwrap();
        tx.commit().unwrap();
    }
}
