//! Faults and load of the PostgreSQL engine, proven by running them against a real server
//! (spec/postgres.md §5.4, §9): worker processes killed with SIGKILL in the middle of writes,
//! the server restarted in the middle of a run, connections cut with `pg_terminate_backend`, a
//! lease holder paused (SIGSTOP) past its lease while another takes it and then resumed, the
//! server process of a storage's or the renewal's connection, or the whole server, stopped
//! (SIGSTOP) under the engine's calls, which must fail within their bounds rather than wait,
//! and 8 workers over 1,000 accounts.
//!
//! The workers are this test binary itself, started again with `PYROSESSION_PGW_ROLE` set:
//! `main` then plays the worker instead of running the tests. A worker takes leases on
//! accounts, caches peers and writes a session field under them, looks up what it wrote and
//! releases; it logs every write whose call returned, every write refused as fenced and every
//! lease taken (with its time by the server's clock) to a file, one `write` per line, so a
//! SIGKILL loses nothing logged.
//!
//! Every value a worker writes carries the fencing token of its lease (a peer's id is `token *
//! 10_000_000 + n` and its access hash the token; the field `api_id` is `token * 1_000_000 +
//! n`; a worker's `n` stays well below a million), and
//! each scenario runs in a database of its own into which the test adds triggers that log, by
//! the server's clock, every change of a session row (takes, renewals, releases, field
//! writes) and every peer row written, with the lease the session had at that moment: the
//! server's log of fencing tokens. After each scenario the test proves from the workers' logs
//! and the server's:
//!
//! - every write whose call returned is present;
//! - no write refused as fenced was applied;
//! - tokens strictly increase per account, and no two leases of an account overlapped by the
//!   server's clock (each take found the previous lease released or expired; no renewal of a
//!   lease after the next take);
//! - every applied row carries the token of the lease the session had when it was applied,
//!   inside that lease's time (after its take, before the next).
//!
//! The tests need `PYROSESSION_PG_URL` (a superuser: the test creates and drops a database per
//! scenario) and, for the restart and the whole server's stop, `PYROSESSION_PG_DATA`, `PYROSESSION_PG_CTL` and
//! `PYROSESSION_PG_RUNAS`: `.ci/pg-cluster start DIR` prints them. Without them every test is
//! reported ignored, and the binary says why. `PYROSESSION_PG_LOAD_SECONDS` sets the load
//! test's duration (default 20).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

const ROLE: &str = "PYROSESSION_PGW_ROLE";

fn main() {
    if std::env::var(ROLE).is_ok() {
        #[cfg(feature = "postgres")]
        worker::run();
        return;
    }
    let mut args = Arguments::from_args();
    // The scenarios share one server, and one of them restarts it: one at a time.
    args.test_threads = Some(1);
    let why_not = skip_reason();
    if let Some(why) = &why_not {
        eprintln!("pg_faults: every test ignored: {why}");
    }
    let restart_why_not = why_not.clone().or_else(|| {
        ["PYROSESSION_PG_DATA", "PYROSESSION_PG_CTL"]
            .iter()
            .find(|v| std::env::var(v).map_or(true, |s| s.is_empty()))
            .map(|v| format!("{v} is unset (.ci/pg-cluster start DIR prints it)"))
    });
    if let (None, Some(why)) = (&why_not, &restart_why_not) {
        eprintln!("pg_faults: the restart test ignored: {why}");
    }
    let trial = |name: &'static str, f: fn() -> Result<(), Failed>, ignored: bool| {
        Trial::test(name, f).with_ignored_flag(ignored)
    };
    let off = why_not.is_some();
    #[cfg(feature = "postgres")]
    let trials = vec![
        trial(
            "sigkill_during_writes_loses_no_returned_write",
            scenarios::sigkill,
            off,
        ),
        trial(
            "a_server_restart_loses_no_returned_write",
            scenarios::restart,
            restart_why_not.is_some(),
        ),
        trial(
            "a_take_lost_in_a_crash_fences_its_holder",
            scenarios::lost_takes,
            restart_why_not.is_some(),
        ),
        trial(
            "cut_connections_lose_no_returned_write",
            scenarios::terminate,
            off,
        ),
        trial(
            "a_paused_holder_past_its_lease_is_fenced",
            scenarios::pause,
            off,
        ),
        trial(
            "a_paused_holder_in_a_transaction_does_not_keep_the_lease",
            scenarios::pause_in_transaction,
            off,
        ),
        trial(
            "a_stopped_server_process_fails_the_call_within_its_bound",
            scenarios::stopped_backend,
            off,
        ),
        trial(
            "a_stopped_renewal_connection_does_not_keep_the_lease_from_renewing",
            scenarios::stopped_renewal,
            off,
        ),
        trial(
            "a_pooled_connection_takes_the_bound_of_its_storage",
            scenarios::stopped_pooled,
            off,
        ),
        trial(
            "a_stopped_server_fails_every_call_within_its_bound",
            scenarios::stopped_server,
            restart_why_not.is_some(),
        ),
        trial("load_8_workers_1000_accounts", scenarios::load, off),
    ];
    #[cfg(not(feature = "postgres"))]
    let trials: Vec<Trial> = {
        let _ = (trial, off);
        Vec::new()
    };
    libtest_mimic::run(&args, trials).exit();
}

/// Why the tests cannot run here, if they cannot.
fn skip_reason() -> Option<String> {
    if cfg!(not(feature = "postgres")) {
        return Some("the postgres feature is off".to_owned());
    }
    match std::env::var("PYROSESSION_PG_URL") {
        Ok(u) if !u.is_empty() => None,
        _ => Some(
            "PYROSESSION_PG_URL is unset (start a server with .ci/pg-cluster start DIR)".to_owned(),
        ),
    }
}

/// A small deterministic generator (xorshift64*), so a run's choices follow from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A log file written one line per `write` call, never buffered: a line in the file is an
/// event that happened before the line was written.
struct Log(File);

impl Log {
    fn line(&mut self, text: &str) {
        let mut buf = text.as_bytes().to_vec();
        buf.push(b'\n');
        self.0.write_all(&buf).expect("writing the worker's log");
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The address with another database: a URL gets a `dbname` parameter, a `key=value` string
/// another `dbname` key (the last one wins in both).
fn with_database(url: &str, db: &str) -> String {
    if url.contains("://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}dbname={db}")
    } else {
        format!("{url} dbname={db}")
    }
}

#[cfg(feature = "postgres")]
mod worker {
    //! A worker process: leases, writes, lookups and releases on the accounts
    //! `acct0000`…, logged (see the module's header).

    use super::{env_u64, Log, Rng};
    use pyrosession::peer::{InputPeer, Peer, PeerType};
    use pyrosession::storage::postgres::{LeaseOptions, PgStorage};
    use pyrosession::storage::{SessionStore, StorageError, StorageErrorKind};
    use std::time::{Duration, Instant};

    fn peer(id: i64, token: i64) -> Peer {
        Peer {
            id,
            access_hash: Some(token),
            peer_type: PeerType::User,
            username: Some(format!("u{id}")),
            phone_number: None,
        }
    }

    fn var(name: &str) -> String {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is unset"))
    }

    fn one_line(e: &StorageError) -> String {
        e.to_string().replace(['\n', ' '], "_")
    }

    /// The lease row as the server has it now: the token and its expiry in microseconds since
    /// the epoch, by the server's clock.
    fn lease_row(side: &mut Option<postgres::Client>, url: &str, name: &str) -> Option<(i64, i64)> {
        if side.as_ref().is_none_or(postgres::Client::is_closed) {
            let mut config: postgres::Config = url.parse().ok()?;
            config.application_name("pgproof-side");
            *side = config.connect(postgres::NoTls).ok();
        }
        let client = side.as_mut()?;
        let row = client
            .query_opt(
                "SELECT lease_token, (EXTRACT(EPOCH FROM lease_expires) * 1000000)::bigint \
                 FROM pyrosession_sessions WHERE name = $1",
                &[&name],
            )
            .ok()??;
        Some((row.get(0), row.get::<_, Option<i64>>(1)?))
    }

    #[allow(clippy::too_many_lines)]
    pub fn run() {
        let url = var("PYROSESSION_PGW_URL");
        let id = env_u64("PYROSESSION_PGW_ID", 0);
        let mut log = Log(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(var("PYROSESSION_PGW_LOG"))
            .expect("the worker's log"));
        let accounts = env_u64("PYROSESSION_PGW_ACCOUNTS", 10);
        let hot = env_u64("PYROSESSION_PGW_HOT", 0);
        let first = env_u64("PYROSESSION_PGW_FIRST", 0);
        let run_for = Duration::from_millis(env_u64("PYROSESSION_PGW_MS", 5_000));
        let ttl = Duration::from_millis(env_u64("PYROSESSION_PGW_TTL_MS", 2_000));
        let wait = Duration::from_millis(env_u64("PYROSESSION_PGW_WAIT_MS", 0));
        let writes = env_u64("PYROSESSION_PGW_WRITES", 5);
        let nap = Duration::from_millis(env_u64("PYROSESSION_PGW_NAP_MS", 0));
        let mut rng = Rng::new(env_u64("PYROSESSION_PGW_SEED", 1) ^ (id << 32));
        let holder = format!("w{id}:{}", std::process::id());
        let options = LeaseOptions {
            holder: holder.clone(),
            ttl,
            wait,
            statement_timeout: None,
        };
        let ttl_us = i64::try_from(ttl.as_micros()).expect("a short ttl");
        let mut side = None;
        log.line(&format!("start {holder}"));
        let deadline = Instant::now() + run_for;
        while Instant::now() < deadline {
            // A tenth of the picks go to the first `hot` accounts, where leases are contended.
            let a = if hot > 0 && rng.below(10) == 0 {
                first + rng.below(hot)
            } else {
                first + rng.below(accounts)
            };
            let name = format!("acct{a:04}");
            let mut storage = match PgStorage::open(&url, &name, &options) {
                Ok(s) => s,
                Err(e) => {
                    if let StorageErrorKind::LeaseHeld { .. } = e.kind() {
                        log.line(&format!("busy {name}"));
                    } else {
                        log.line(&format!("openfail {name} {}", one_line(&e)));
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    continue;
                }
            };
            let token = storage.lease().token;
            match lease_row(&mut side, &url, &name) {
                Some((t, until)) if t == token => log.line(&format!(
                    "lease {name} {token} {holder} {} {until}",
                    until - ttl_us
                )),
                _ => log.line(&format!("lease {name} {token} {holder} - -")),
            }
            let mut n = 0_i64;
            let mut lost = false;
            for _ in 0..writes {
                if Instant::now() >= deadline {
                    break;
                }
                if !nap.is_zero() {
                    std::thread::sleep(nap);
                }
                // A batch of one to three new peers.
                let count = 1 + rng.below(3).cast_signed();
                let ids: Vec<i64> = (0..count).map(|j| token * 10_000_000 + n + j).collect();
                n += count;
                let batch: Vec<Peer> = ids.iter().map(|&i| peer(i, token)).collect();
                let id_list = ids
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                match storage.update_peers(&batch) {
                    Ok(()) => log.line(&format!("peers {name} {token} {id_list}")),
                    Err(e) => {
                        if let StorageErrorKind::LeaseLost { .. } = e.kind() {
                            log.line(&format!("fenced {name} {token} peers {id_list}"));
                            lost = true;
                            break;
                        }
                        log.line(&format!(
                            "failed {name} {token} peers {id_list} {}",
                            one_line(&e)
                        ));
                        continue;
                    }
                }
                // What was written is what a lookup finds.
                match storage.get_peer_by_id(ids[0]) {
                    Ok(InputPeer::User {
                        user_id,
                        access_hash,
                    }) if user_id == ids[0] && access_hash == token => {
                        log.line(&format!("lookup {name} {token} {}", ids[0]));
                    }
                    Ok(other) => {
                        log.line(&format!("wrong {name} {token} {} {other:?}", ids[0]));
                    }
                    Err(e) => log.line(&format!(
                        "failed {name} {token} lookup {} {}",
                        ids[0],
                        one_line(&e)
                    )),
                }
                if n % 2 == 1 {
                    let value = token * 1_000_000 + n;
                    match storage.set_api_id(Some(value)) {
                        Ok(()) => log.line(&format!("field {name} {token} {value}")),
                        Err(e) => {
                            if let StorageErrorKind::LeaseLost { .. } = e.kind() {
                                log.line(&format!("fenced {name} {token} field {value}"));
                                lost = true;
                                break;
                            }
                            log.line(&format!(
                                "failed {name} {token} field {value} {}",
                                one_line(&e)
                            ));
                        }
                    }
                }
            }
            match storage.close() {
                Ok(()) if !lost => log.line(&format!("release {name} {token}")),
                Ok(()) => {}
                Err(e) => log.line(&format!("failed {name} {token} release {}", one_line(&e))),
            }
        }
        log.line(&format!("end {holder}"));
    }
}

#[cfg(feature = "postgres")]
mod scenarios {
    //! The scenarios, and the proof after each.

    use super::Stdio;
    use super::{env_u64, with_database, Rng, ROLE};
    use super::{BTreeMap, BTreeSet, Child, Command, Duration, Failed, Instant, Path, PathBuf};
    use pyrosession::storage::postgres::{LeaseOptions, PgFleet, PgStorage};
    use pyrosession::storage::{SessionStore, StorageErrorKind};

    /// The server log of fencing tokens: triggers that record, by the server's clock, every
    /// new session row (whose take is its insert, with the column default 0 as the token before
    /// it) and every change of a session row and every peer row written with the session's lease at that
    /// moment. Added by the test to a database of its own, never by the engine.
    const PROOF_SQL: &str = r"
CREATE TABLE proof_sessions (
    seq bigserial PRIMARY KEY, name text NOT NULL,
    token bigint NOT NULL, holder text, expires timestamptz, api_id bigint,
    old_token bigint NOT NULL, old_holder text, old_expires timestamptz, old_api_id bigint,
    at timestamptz NOT NULL);
CREATE FUNCTION proof_sessions_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO proof_sessions (name, token, holder, expires, api_id, old_token, old_holder,
                                old_expires, old_api_id, at)
    VALUES (NEW.name, NEW.lease_token, NEW.lease_holder, NEW.lease_expires, NEW.api_id,
            COALESCE(OLD.lease_token, 0), OLD.lease_holder, OLD.lease_expires, OLD.api_id,
            clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER proof_sessions AFTER INSERT OR UPDATE ON pyrosession_sessions
    FOR EACH ROW EXECUTE FUNCTION proof_sessions_log();
CREATE TABLE proof_peers (
    seq bigserial PRIMARY KEY, session text NOT NULL, id bigint NOT NULL, access_hash bigint,
    token bigint, holder text, expires timestamptz, at timestamptz NOT NULL);
CREATE FUNCTION proof_peers_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO proof_peers (session, id, access_hash, token, holder, expires, at)
    SELECT NEW.session, NEW.id, NEW.access_hash, s.lease_token, s.lease_holder, s.lease_expires,
           clock_timestamp()
    FROM pyrosession_sessions s WHERE s.name = NEW.session;
    RETURN NULL;
END $$;
CREATE TRIGGER proof_peers AFTER INSERT OR UPDATE ON pyrosession_peers
    FOR EACH ROW EXECUTE FUNCTION proof_peers_log();
";

    /// A database of the scenario's own, dropped when the scenario ends.
    struct Database {
        admin: String,
        name: String,
        url: String,
    }

    impl Database {
        fn new(label: &str) -> Database {
            let admin = std::env::var("PYROSESSION_PG_URL").expect("PYROSESSION_PG_URL");
            let name = format!("pgproof_{label}_{}", std::process::id());
            let mut client = postgres::Client::connect(&admin, postgres::NoTls)
                .expect("connecting to the server as its superuser");
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .and_then(|()| client.batch_execute(&format!("CREATE DATABASE {name}")))
                .expect("creating the scenario's database");
            let url = with_database(&admin, &name);
            // The engine's schema, then the triggers of the proof.
            drop(PgFleet::connect(&url).expect("migrating the scenario's database"));
            postgres::Client::connect(&url, postgres::NoTls)
                .expect("connecting to the scenario's database")
                .batch_execute(PROOF_SQL)
                .expect("adding the proof's triggers");
            Database { admin, name, url }
        }

        fn client(&self) -> postgres::Client {
            postgres::Client::connect(&self.url, postgres::NoTls)
                .expect("connecting to the scenario's database")
        }
    }

    impl Drop for Database {
        fn drop(&mut self) {
            if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }

    /// A scratch folder for the workers' logs, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(label: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("pgproof-{label}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a scratch folder");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// How a worker runs.
    #[derive(Clone)]
    struct Plan {
        accounts: u64,
        first: u64,
        hot: u64,
        ms: u64,
        ttl_ms: u64,
        wait_ms: u64,
        writes: u64,
        nap_ms: u64,
    }

    /// A worker process, killed and reaped when dropped if it still runs (a scenario that fails
    /// half-way leaves none behind, stopped or not).
    struct Worker(Child);

    impl Drop for Worker {
        fn drop(&mut self) {
            if matches!(self.0.try_wait(), Ok(None)) {
                let _ = self.0.kill();
            }
            let _ = self.0.wait();
        }
    }

    fn spawn(db: &Database, logs: &Path, id: u64, plan: &Plan) -> Worker {
        let child = Command::new(std::env::current_exe().expect("the test binary"))
            .env(ROLE, "worker")
            .env("PYROSESSION_PGW_URL", &db.url)
            .env("PYROSESSION_PGW_ID", id.to_string())
            .env("PYROSESSION_PGW_LOG", logs.join(format!("w{id}.log")))
            .env("PYROSESSION_PGW_ACCOUNTS", plan.accounts.to_string())
            .env("PYROSESSION_PGW_FIRST", plan.first.to_string())
            .env("PYROSESSION_PGW_HOT", plan.hot.to_string())
            .env("PYROSESSION_PGW_MS", plan.ms.to_string())
            .env("PYROSESSION_PGW_TTL_MS", plan.ttl_ms.to_string())
            .env("PYROSESSION_PGW_WAIT_MS", plan.wait_ms.to_string())
            .env("PYROSESSION_PGW_WRITES", plan.writes.to_string())
            .env("PYROSESSION_PGW_NAP_MS", plan.nap_ms.to_string())
            .env("PYROSESSION_PGW_SEED", (id * 7919 + 17).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting a worker");
        Worker(child)
    }

    /// Waits for a worker to end by itself within `limit`, else kills it and fails.
    fn finish(mut worker: Worker, limit: Duration) -> Result<(), Failed> {
        let end = Instant::now() + limit;
        let child = &mut worker.0;
        loop {
            if let Some(status) = child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("a worker failed: {status}").into())
                };
            }
            if Instant::now() >= end {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("a worker did not end within {limit:?}: it hangs").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(worker: &Worker, sig: &str) {
        let pid = worker.0.id().to_string();
        let ok = Command::new("kill")
            .args([sig, &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} {pid}");
    }

    /// Every log line of every worker, by file.
    fn read_logs(dir: &Path) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("the logs' folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).expect("a worker's log");
            out.push(text.lines().map(str::to_owned).collect());
        }
        out
    }

    /// What the proof found, for the scenario's own assertions and its report.
    #[derive(Debug, Default)]
    struct Tally {
        takes: usize,
        /// Takes of a lease that had expired unreleased (its holder killed or paused).
        expired_takes: usize,
        /// Takes whose worker logged their time by the server's clock, checked against it.
        timed_takes: usize,
        renewals: usize,
        releases: usize,
        peers_written: usize,
        fields_written: usize,
        lookups: usize,
        fenced: usize,
        failed: usize,
        busy: usize,
        open_failed: usize,
        /// Peer writes applied although their call did not return (killed, cut).
        applied_unacknowledged: usize,
    }

    /// One change of a session row, from the server's log.
    #[derive(Debug)]
    struct SessionChange {
        name: String,
        token: i64,
        holder: Option<String>,
        expires: Option<i64>,
        api_id: Option<i64>,
        old_token: i64,
        old_holder: Option<String>,
        old_expires: Option<i64>,
        old_api_id: Option<i64>,
        at: i64,
    }

    /// A token's lease in the server's log: holder, taken at, valid until at the latest, and
    /// its expiry as taken (microseconds since the epoch, by the server's clock).
    type Lease = (Option<String>, i64, i64, i64);

    fn micros(column: &str) -> String {
        format!("(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint")
    }

    /// The proof (see the module's header): from the workers' logs and the server's.
    #[allow(clippy::too_many_lines)]
    fn prove(db: &Database, logs: &Path) -> Result<Tally, Failed> {
        let mut client = db.client();
        let changes: Vec<SessionChange> = client
            .query(
                &format!(
                    "SELECT name, token, holder, {}, api_id, old_token, old_holder, {}, old_api_id, {} \
                     FROM proof_sessions ORDER BY seq",
                    micros("expires"),
                    micros("old_expires"),
                    micros("at")
                ),
                &[],
            )?
            .iter()
            .map(|r| SessionChange {
                name: r.get(0),
                token: r.get(1),
                holder: r.get(2),
                expires: r.get(3),
                api_id: r.get(4),
                old_token: r.get(5),
                old_holder: r.get(6),
                old_expires: r.get(7),
                old_api_id: r.get(8),
                at: r.get(9),
            })
            .collect();
        let mut tally = Tally::default();

        // 1. Per account, in the order the server applied them (the row lock orders them):
        // tokens never go back, and a take finds the lease released or expired.
        // Each token's lease: when taken, and the latest it was valid until.
        // Each token's lease: holder, taken at, valid until at the latest, expiry at the take.
        let mut leases: BTreeMap<(String, i64), Lease> = BTreeMap::new();
        let mut order: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut fields_applied: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut last_token: BTreeMap<String, i64> = BTreeMap::new();
        for c in &changes {
            let last = last_token.entry(c.name.clone()).or_insert(c.old_token);
            if c.old_token != *last || c.token < *last {
                return Err(format!(
                    "{}: the server's log goes from token {} to {} (then {} -> {})",
                    c.name, last, c.old_token, c.old_token, c.token
                )
                .into());
            }
            *last = c.token;
            if c.token != c.old_token {
                // A take.
                tally.takes += 1;
                if c.token <= c.old_token {
                    return Err(format!(
                        "{}: token {} taken after {}",
                        c.name, c.token, c.old_token
                    )
                    .into());
                }
                if c.old_holder.is_some() && c.old_expires.is_none_or(|e| e > c.at) {
                    return Err(format!(
                        "{}: token {} taken at {} while token {} of {:?} was valid until {:?}",
                        c.name, c.token, c.at, c.old_token, c.old_holder, c.old_expires
                    )
                    .into());
                }
                if c.old_holder.is_some() {
                    tally.expired_takes += 1;
                }
                let Some(expires) = c.expires else {
                    return Err(
                        format!("{}: token {} taken without an expiry", c.name, c.token).into(),
                    );
                };
                leases.insert(
                    (c.name.clone(), c.token),
                    (c.holder.clone(), c.at, expires, expires),
                );
                order.entry(c.name.clone()).or_default().push(c.token);
            } else if let Some(lease) = leases.get_mut(&(c.name.clone(), c.token)) {
                match (&c.holder, c.expires) {
                    (None, _) => {
                        if c.old_holder.is_some() {
                            tally.releases += 1;
                            // Released: valid until now at the latest.
                            lease.2 = lease.2.min(c.at);
                        }
                    }
                    (Some(_), Some(e)) => {
                        if c.old_expires != Some(e) {
                            tally.renewals += 1;
                            lease.2 = lease.2.max(e);
                        }
                    }
                    (Some(_), None) => {}
                }
            }
            if c.api_id != c.old_api_id {
                let Some(v) = c.api_id else {
                    return Err(format!("{}: api_id cleared", c.name).into());
                };
                if v / 1_000_000 != c.token || c.holder.is_none() {
                    return Err(format!(
                        "{}: api_id {v} (of token {}) applied while the lease was token {} of {:?}",
                        c.name,
                        v / 1_000_000,
                        c.token,
                        c.holder
                    )
                    .into());
                }
                fields_applied.insert((c.name.clone(), v), c.at);
            }
        }
        // 2. No two leases of an account overlap: each lease ends (expires, or is released)
        // no later than the next is taken; and every field write falls inside its lease.
        let mut next_take: BTreeMap<(String, i64), i64> = BTreeMap::new();
        for (name, tokens) in &order {
            for pair in tokens.windows(2) {
                let (_, _, end, _) = leases[&(name.clone(), pair[0])];
                let (_, start, _, _) = leases[&(name.clone(), pair[1])];
                if end > start {
                    return Err(format!(
                        "{name}: token {} valid until {end} overlaps token {} taken at {start}",
                        pair[0], pair[1]
                    )
                    .into());
                }
                next_take.insert((name.clone(), pair[0]), start);
            }
        }
        let previous_end = |name: &str, token: i64| -> i64 {
            let tokens = &order[name];
            let i = tokens.iter().position(|&t| t == token).unwrap_or(0);
            if i == 0 {
                i64::MIN
            } else {
                leases[&(name.to_owned(), tokens[i - 1])].2
            }
        };
        let inside = |name: &str, token: i64, at: i64| -> Result<(), Failed> {
            let Some(&(_, start, _, _)) = leases.get(&(name.to_owned(), token)) else {
                return Err(format!("{name}: a write under token {token}, never taken").into());
            };
            let next = next_take
                .get(&(name.to_owned(), token))
                .copied()
                .unwrap_or(i64::MAX);
            if at < start || at >= next {
                return Err(format!(
                    "{name}: a write of token {token} applied at {at}, outside its lease ({start} to the next take at {next})"
                )
                .into());
            }
            Ok(())
        };
        for ((name, v), at) in &fields_applied {
            inside(name, v / 1_000_000, *at)?;
        }
        // 3. Every applied peer row carries the token the session had when it was written,
        // inside that lease.
        let mut peers_applied: BTreeMap<(String, i64), i64> = BTreeMap::new();
        for r in client.query(
            &format!(
                "SELECT session, id, access_hash, token, holder, {} FROM proof_peers ORDER BY seq",
                micros("at")
            ),
            &[],
        )? {
            let (name, id, hash, token, holder, at): (
                String,
                i64,
                Option<i64>,
                Option<i64>,
                Option<String>,
                i64,
            ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            let token = token.ok_or("a peer written without a session row")?;
            if hash != Some(id / 10_000_000) || token != id / 10_000_000 || holder.is_none() {
                return Err(format!(
                    "{name}: peer {id} (of token {}) applied while the lease was token {token} of {holder:?}",
                    id / 10_000_000
                )
                .into());
            }
            inside(&name, token, at)?;
            if peers_applied.insert((name.clone(), id), token).is_some() {
                return Err(format!("{name}: peer {id} written twice").into());
            }
        }
        let stored: BTreeSet<(String, i64, Option<i64>)> = client
            .query(
                "SELECT session, id, access_hash FROM pyrosession_peers",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();

        // 4. The workers' logs against the server's.
        let mut acknowledged: BTreeSet<(String, i64)> = BTreeSet::new();
        for lines in read_logs(logs) {
            for line in lines {
                let f: Vec<&str> = line.split(' ').collect();
                let token = || -> Result<i64, Failed> {
                    Ok(f.get(2).ok_or("a short line")?.parse::<i64>()?)
                };
                let ids = |i: usize| -> Result<Vec<i64>, Failed> {
                    f.get(i)
                        .ok_or("a short line")?
                        .split(',')
                        .map(|s| s.parse::<i64>().map_err(Failed::from))
                        .collect()
                };
                match f[0] {
                    "lease" => {
                        let (name, token) = (f[1].to_owned(), token()?);
                        let Some((holder, start, _, take_expires)) =
                            leases.get(&(name.clone(), token))
                        else {
                            return Err(format!("{line}: no such take in the server's log").into());
                        };
                        if holder.as_deref() != Some(f[3]) {
                            return Err(
                                format!("{line}: the server's log has holder {holder:?}").into()
                            );
                        }
                        // The worker's time of the take, read from the row after the open
                        // returned: the take's expiry less the ttl (where no renewal came
                        // first), never after the server's log of the take, and no earlier
                        // than the end of the account's previous lease.
                        if let (Ok(taken), Ok(until)) = (f[4].parse::<i64>(), f[5].parse::<i64>()) {
                            if until == *take_expires {
                                if taken > *start || taken < previous_end(&name, token) {
                                    return Err(format!(
                                        "{line}: the server's log has the take at {start}, the previous lease ending at {}",
                                        previous_end(&name, token)
                                    )
                                    .into());
                                }
                                tally.timed_takes += 1;
                            }
                        }
                    }
                    "peers" => {
                        tally.peers_written += 1;
                        let (name, token) = (f[1].to_owned(), token()?);
                        for id in ids(3)? {
                            if !stored.contains(&(name.clone(), id, Some(token))) {
                                return Err(format!(
                                    "{line}: peer {id}, whose write returned, is not stored"
                                )
                                .into());
                            }
                            acknowledged.insert((name.clone(), id));
                        }
                    }
                    "field" => {
                        tally.fields_written += 1;
                        let value: i64 = f[3].parse()?;
                        if !fields_applied.contains_key(&(f[1].to_owned(), value)) {
                            return Err(format!(
                                "{line}: a field write that returned is not in the server's log"
                            )
                            .into());
                        }
                    }
                    "fenced" => {
                        tally.fenced += 1;
                        let name = f[1].to_owned();
                        if f[3] == "peers" {
                            for id in ids(4)? {
                                if peers_applied.contains_key(&(name.clone(), id))
                                    || stored.iter().any(|(n, i, _)| *n == name && *i == id)
                                {
                                    return Err(
                                        format!("{line}: a fenced write was applied").into()
                                    );
                                }
                            }
                        } else if fields_applied.contains_key(&(name, f[4].parse()?)) {
                            return Err(format!("{line}: a fenced write was applied").into());
                        }
                    }
                    "wrong" => return Err(format!("{line}: a lookup found another peer").into()),
                    "lookup" => tally.lookups += 1,
                    "failed" => tally.failed += 1,
                    "busy" => tally.busy += 1,
                    "openfail" => tally.open_failed += 1,
                    "release" | "start" | "end" => {}
                    other => return Err(format!("an unknown log line {other:?}").into()),
                }
            }
        }
        // Every stored peer row is one the server's log saw written under its token.
        for (name, id, hash) in &stored {
            if peers_applied.get(&(name.clone(), *id)) != hash.as_ref() {
                return Err(format!("{name}: stored peer {id} is not in the server's log").into());
            }
        }
        tally.applied_unacknowledged = peers_applied
            .keys()
            .filter(|k| !acknowledged.contains(*k))
            .count();
        if tally.takes == 0 || tally.peers_written == 0 || tally.fields_written == 0 {
            return Err(format!("the run proved nothing: {tally:?}").into());
        }
        Ok(tally)
    }

    fn report(label: &str, tally: &Tally, seconds: f64) {
        eprintln!(
            "pg_faults {label}: {} takes ({} of an expired lease, {} timed by the worker), {} renewals, {} releases, {} peer writes and {} field writes returned, {} lookups, {} fenced, {} failed calls, {} opens found the lease held, {} opens failed, {} peer rows applied whose call never returned, in {seconds:.1} s",
            tally.takes,
            tally.expired_takes,
            tally.timed_takes,
            tally.renewals,
            tally.releases,
            tally.peers_written,
            tally.fields_written,
            tally.lookups,
            tally.fenced,
            tally.failed,
            tally.busy,
            tally.open_failed,
            tally.applied_unacknowledged,
        );
    }

    /// Workers killed with SIGKILL at random moments, replaced, over a few contended accounts.
    pub fn sigkill() -> Result<(), Failed> {
        let db = Database::new("sigkill");
        let scratch = Scratch::new("sigkill");
        let started = Instant::now();
        let plan = Plan {
            accounts: 6,
            first: 0,
            hot: 0,
            ms: 60_000,
            ttl_ms: 1_000,
            wait_ms: 1_500,
            writes: 20,
            nap_ms: 0,
        };
        let mut rng = Rng::new(7);
        let mut workers: Vec<Worker> = (0..4).map(|i| spawn(&db, &scratch.0, i, &plan)).collect();
        let mut next_id = 4;
        let mut kills = 0;
        while started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(150 + rng.below(250)));
            let i = rng.below(workers.len() as u64) as usize;
            workers[i].0.kill()?;
            workers[i].0.wait()?;
            kills += 1;
            workers[i] = spawn(&db, &scratch.0, next_id, &plan);
            next_id += 1;
        }
        drop(workers);
        let tally = prove(&db, &scratch.0)?;
        report(
            &format!("sigkill ({kills} kills)"),
            &tally,
            started.elapsed().as_secs_f64(),
        );
        if tally.expired_takes == 0 {
            return Err(
                "no lease passed on by expiry from a killed holder: the scenario tested nothing of it"
                    .into(),
            );
        }
        Ok(())
    }

    /// The server restarted (`pg_ctl restart -m fast`) in the middle of a run.
    pub fn restart() -> Result<(), Failed> {
        let db = Database::new("restart");
        let scratch = Scratch::new("restart");
        let started = Instant::now();
        let plan = Plan {
            accounts: 20,
            first: 0,
            hot: 0,
            ms: 9_000,
            ttl_ms: 3_000,
            wait_ms: 500,
            writes: 10,
            nap_ms: 5,
        };
        let workers: Vec<Worker> = (0..4).map(|i| spawn(&db, &scratch.0, i, &plan)).collect();
        std::thread::sleep(Duration::from_millis(2_500));
        pg_ctl(&["-m", "fast", "-w", "-t", "30", "restart"])?;
        let restarted = scratch.0.join("w0.log").metadata()?.len();
        for w in workers {
            finish(w, Duration::from_secs(20))?;
        }
        let tally = prove(&db, &scratch.0)?;
        report("restart", &tally, started.elapsed().as_secs_f64());
        if tally.failed + tally.open_failed == 0 {
            return Err("no call failed: the restart did not happen under the workers".into());
        }
        if scratch.0.join("w0.log").metadata()?.len() <= restarted {
            return Err("worker 0 logged nothing after the restart".into());
        }
        Ok(())
    }

    /// Runs `pg_ctl -D $PYROSESSION_PG_DATA -l <server.log> <args>` as the server's user.
    fn pg_ctl(args: &[&str]) -> Result<(), Failed> {
        let data = std::env::var("PYROSESSION_PG_DATA")?;
        let ctl = std::env::var("PYROSESSION_PG_CTL")?;
        let runas = std::env::var("PYROSESSION_PG_RUNAS").unwrap_or_default();
        let log = Path::new(&data).with_file_name("server.log");
        let mut cmd = if runas.is_empty() {
            Command::new(&ctl)
        } else {
            let mut c = Command::new("runuser");
            c.args(["-u", &runas, "--", &ctl]);
            c
        };
        let status = cmd
            .args(["-D", &data, "-l"])
            .arg(&log)
            .args(args)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("pg_ctl {}: {status}", args.join(" ")).into());
        }
        Ok(())
    }

    /// Sends `sig` (`-STOP`, `-CONT`, `-KILL`) to the server's process `pid`.
    fn signal_pid(pid: i32, sig: &str) -> Result<(), Failed> {
        let status = Command::new("kill")
            .args([sig, &pid.to_string()])
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("kill {sig} {pid}: {status}").into());
        }
        Ok(())
    }

    /// Takes lost in a server crash fence their holders (spec/postgres.md §5.1): with the WAL
    /// writer stopped (SIGSTOP), takes committed without waiting for the flush stay in the
    /// server's memory; the server then crashes (`pg_ctl stop -m immediate`, the stopped WAL
    /// writer killed with the rest) and restarts. The sequence's advance is lost with the
    /// takes, so new takers are handed the same tokens again; the lost takes' holders, which
    /// still believe they hold those tokens, get `LeaseLost` on their next write, and nothing
    /// they write is applied. Takes the crash did not lose (none, here) would keep working.
    pub fn lost_takes() -> Result<(), Failed> {
        const N: usize = 8;
        let db = Database::new("lost_takes");
        let name = |i: usize| format!("acct{i:04}");
        let mut lost = crash_after_unflushed_takes(&db, N)?;
        let lost_tokens: Vec<i64> = lost.iter().map(|s| s.lease().token).collect();

        // Which takes the crash lost: the row no longer holds the take's token and holder.
        let mut admin = db.client();
        let mut survived = Vec::new();
        for (i, token) in lost_tokens.iter().enumerate() {
            let row = admin.query_opt(
                "SELECT lease_token, lease_holder FROM pyrosession_sessions WHERE name = $1",
                &[&name(i)],
            )?;
            let holder = format!("lost:{i}");
            if row.is_some_and(|r| {
                r.get::<_, i64>(0) == *token && r.get::<_, Option<String>>(1) == Some(holder)
            }) {
                survived.push(i);
            }
        }
        if survived.len() == N {
            return Err("no take was lost in the crash: the WAL was flushed anyway".into());
        }

        // A write of a lost take's holder, retried where the call only finds its connection
        // closed by the crash: whether it was applied (else `LeaseLost`).
        let write = |s: &mut PgStorage, value: i64| -> Result<bool, Failed> {
            for _ in 0..3 {
                match s.set_api_id(Some(value)) {
                    Ok(()) => return Ok(true),
                    Err(e) if matches!(e.kind(), StorageErrorKind::LeaseLost { .. }) => {
                        return Ok(false)
                    }
                    Err(e) if matches!(e.kind(), StorageErrorKind::Postgres { .. }) => {}
                    Err(e) => return Err(e.to_string().into()),
                }
            }
            Err("the holder's write failed three times".into())
        };
        let id = |i: usize| i64::try_from(i).expect("a small index");
        // Before anyone takes the leases again, then after new takers got them.
        for (i, s) in lost.iter_mut().enumerate() {
            let applied = write(s, 1_000_000 + id(i))?;
            if applied != survived.contains(&i) {
                return Err(format!(
                    "the write of {}'s holder (take {} the crash) was {}",
                    name(i),
                    if survived.contains(&i) {
                        "kept by"
                    } else {
                        "lost in"
                    },
                    if applied { "applied" } else { "refused" }
                )
                .into());
            }
        }
        let mut reused = 0;
        let mut takers = Vec::new();
        for i in (0..N).filter(|i| !survived.contains(i)) {
            let options = LeaseOptions {
                holder: format!("new:{i}"),
                ttl: Duration::from_secs(120),
                wait: Duration::ZERO,
                statement_timeout: None,
            };
            let mut taker = PgStorage::open(&db.url, &name(i), &options)?;
            if taker.lease().token == lost_tokens[i] {
                reused += 1;
            }
            taker.set_api_id(Some(id(i)))?;
            takers.push((i, taker));
        }
        for (i, s) in lost.iter_mut().enumerate() {
            if !survived.contains(&i) && write(s, 1_000_000 + id(i))? {
                return Err(format!(
                    "the holder of a take of {} lost in the crash wrote under the new holder's lease (token {}, the lost take's {})",
                    name(i),
                    takers.iter().find(|(j, _)| *j == i).map_or(0, |(_, t)| t.lease().token),
                    lost_tokens[i]
                )
                .into());
            }
        }
        for (i, taker) in &takers {
            let api_id = taker.session()?.api_id;
            if api_id != Some(id(*i)) {
                return Err(format!(
                    "{} holds api_id {api_id:?} after the lost holder's writes",
                    name(*i)
                )
                .into());
            }
        }
        eprintln!(
            "pg_faults lost takes: {} of {N} takes lost in the crash, {reused} of their tokens handed out again, every lost holder fenced",
            N - survived.len()
        );
        if reused == 0 {
            return Err("no lost take's token was handed out again: the scenario tested less than it should".into());
        }
        Ok(())
    }

    /// Takes `n` leases (`acct0000`… held by `lost:0`…, the first half of existing accounts,
    /// the others new) with the WAL writer stopped after a checkpoint, then crashes the server
    /// and starts it again; returns the storages, which believe they hold the leases.
    fn crash_after_unflushed_takes(db: &Database, n: usize) -> Result<Vec<PgStorage>, Failed> {
        let name = |i: usize| format!("acct{i:04}");
        let long = |holder: &str| LeaseOptions {
            holder: holder.to_owned(),
            ttl: Duration::from_secs(120),
            wait: Duration::ZERO,
            statement_timeout: None,
        };
        for i in 0..n / 2 {
            PgStorage::open(&db.url, &name(i), &long("before"))?.close()?;
        }
        let mut admin = db.client();
        // Nothing but the takes may flush the WAL between the checkpoint and the crash: no
        // autovacuum of these tables, whose analyze commits durably.
        admin.batch_execute(
            "ALTER TABLE pyrosession_sessions SET (autovacuum_enabled = off);
             ALTER TABLE pyrosession_peers SET (autovacuum_enabled = off);
             CHECKPOINT;",
        )?;
        let walwriter: i32 = admin
            .query_one(
                "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'",
                &[],
            )?
            .get(0);
        drop(admin);
        signal_pid(walwriter, "-STOP")?;
        let took: Result<Vec<PgStorage>, _> = (0..n)
            .map(|i| PgStorage::open(&db.url, &name(i), &long(&format!("lost:{i}"))))
            .collect();
        // The crash, whatever the takes did: the WAL writer dies stopped, with the server.
        let crashed = pg_ctl(&["-m", "immediate", "-w", "-t", "30", "stop"]);
        let _ = signal_pid(walwriter, "-KILL");
        crashed?;
        pg_ctl(&["-w", "-t", "60", "start"])?;
        Ok(took?)
    }

    /// The engine's connections cut with `pg_terminate_backend`, one at a time, over a run.
    pub fn terminate() -> Result<(), Failed> {
        let db = Database::new("terminate");
        let scratch = Scratch::new("terminate");
        let started = Instant::now();
        let plan = Plan {
            accounts: 20,
            first: 0,
            hot: 0,
            ms: 8_000,
            ttl_ms: 2_000,
            wait_ms: 500,
            writes: 10,
            nap_ms: 5,
        };
        let workers: Vec<Worker> = (0..4).map(|i| spawn(&db, &scratch.0, i, &plan)).collect();
        let mut admin = postgres::Client::connect(&db.admin, postgres::NoTls)?;
        let mut cut = 0_i64;
        while started.elapsed() < Duration::from_secs(7) {
            std::thread::sleep(Duration::from_millis(100));
            let row = admin.query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name = 'pyrosession' AND pid <> pg_backend_pid() \
                 ORDER BY random() LIMIT 2) t",
                &[&db.name],
            )?;
            cut += row.get::<_, i64>(0);
        }
        for w in workers {
            finish(w, Duration::from_secs(20))?;
        }
        let tally = prove(&db, &scratch.0)?;
        report(
            &format!("terminate ({cut} connections cut)"),
            &tally,
            started.elapsed().as_secs_f64(),
        );
        if cut == 0 || tally.failed + tally.open_failed == 0 {
            return Err(format!(
                "{cut} connections cut and no call failed: the scenario tested nothing"
            )
            .into());
        }
        Ok(())
    }

    fn log_lines(scratch: &Path, id: u64) -> Vec<String> {
        std::fs::read_to_string(scratch.join(format!("w{id}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until worker `id`'s log has a line starting with `prefix` after line `after`.
    fn wait_for(
        scratch: &Path,
        id: u64,
        prefix: &str,
        after: usize,
        limit: Duration,
    ) -> Option<String> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Some(l) = log_lines(scratch, id)
                .into_iter()
                .skip(after)
                .find(|l| l.starts_with(prefix))
            {
                return Some(l);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// A holder paused (SIGSTOP) between writes past its 1 s lease while a second worker takes
    /// the lease, then resumed (SIGCONT): its next write is refused as fenced and not applied.
    pub fn pause() -> Result<(), Failed> {
        let db = Database::new("pause");
        let scratch = Scratch::new("pause");
        let started = Instant::now();
        // One account; the holder writes every 100 ms and keeps its lease for its whole run.
        let holder_plan = Plan {
            accounts: 1,
            first: 0,
            hot: 0,
            ms: 8_000,
            ttl_ms: 1_000,
            wait_ms: 0,
            writes: 1_000_000,
            nap_ms: 100,
        };
        let holder = spawn(&db, &scratch.0, 0, &holder_plan);
        wait_for(&scratch.0, 0, "peers ", 0, Duration::from_secs(10))
            .ok_or("the holder wrote nothing")?;
        // Stop it just after a write returned: it is asleep between writes, no transaction open.
        let before = log_lines(&scratch.0, 0).len();
        wait_for(&scratch.0, 0, "field ", before, Duration::from_secs(5))
            .ok_or("the holder wrote no field")?;
        signal(&holder, "-STOP");
        let stopped = log_lines(&scratch.0, 0).len();
        let taker_plan = Plan {
            ms: 2_500,
            ttl_ms: 5_000,
            wait_ms: 4_000,
            writes: 5,
            nap_ms: 50,
            ..holder_plan
        };
        let taker = spawn(&db, &scratch.0, 1, &taker_plan);
        let took = wait_for(&scratch.0, 1, "lease ", 0, Duration::from_secs(6));
        let wrote = wait_for(&scratch.0, 1, "peers ", 0, Duration::from_secs(3));
        signal(&holder, "-CONT");
        let (Some(_), Some(_)) = (took, wrote) else {
            let _ = finish(taker, Duration::from_secs(10));
            let _ = finish(holder, Duration::from_secs(10));
            return Err(
                "the second worker did not take the paused holder's lease within 6 s".into(),
            );
        };
        // The holder's next write is refused as fenced, and nothing it wrote after the pause
        // is applied (the proof checks that for every line).
        let fenced = wait_for(&scratch.0, 0, "fenced ", stopped, Duration::from_secs(5));
        let after: Vec<String> = log_lines(&scratch.0, 0).into_iter().skip(stopped).collect();
        finish(taker, Duration::from_secs(15))?;
        finish(holder, Duration::from_secs(15))?;
        let Some(fenced) = fenced else {
            return Err(
                format!("the resumed holder's next write was not fenced: {after:?}").into(),
            );
        };
        let first_write = after
            .iter()
            .find(|l| {
                l.starts_with("peers ") || l.starts_with("field ") || l.starts_with("fenced ")
            })
            .ok_or("the resumed holder wrote nothing")?;
        if *first_write != fenced {
            return Err(format!(
                "the resumed holder's first write was not the fenced one: {first_write}"
            )
            .into());
        }
        let tally = prove(&db, &scratch.0)?;
        report("pause", &tally, started.elapsed().as_secs_f64());
        if tally.expired_takes == 0 {
            return Err("the paused holder's lease never passed on by expiry".into());
        }
        Ok(())
    }

    /// A holder paused at random in the middle of its writes is never inside a transaction
    /// that holds the session row's lock; paused past its 1 s lease, the next opener gets the
    /// lease within its wait of 4 s, and nothing the paused holder writes is applied after the
    /// lease passed on.
    pub fn pause_in_transaction() -> Result<(), Failed> {
        let db = Database::new("pause_tx");
        let scratch = Scratch::new("pause_tx");
        let started = Instant::now();
        let plan = Plan {
            accounts: 1,
            first: 0,
            hot: 0,
            ms: 20_000,
            ttl_ms: 1_000,
            wait_ms: 0,
            writes: 1_000_000,
            nap_ms: 0,
        };
        let holder = spawn(&db, &scratch.0, 0, &plan);
        wait_for(&scratch.0, 0, "peers ", 0, Duration::from_secs(10))
            .ok_or("the holder wrote nothing")?;
        let mut admin = db.client();
        // Stop the holder at random, 300 times: the server must never show its connection idle
        // inside a transaction that has a transaction id (stopped between a fence, which locks
        // the session's row, and a commit): every write is one statement, sent with its commit
        // in one round trip (spec/postgres.md §5.3). Before that change, this caught the holder
        // between the fence and the commit of a peer write within a few tries.
        for _ in 0..300 {
            signal(&holder, "-STOP");
            std::thread::sleep(Duration::from_millis(20));
            let idle: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'pyrosession' AND state = 'idle in transaction' \
                     AND backend_xid IS NOT NULL",
                    &[],
                )?
                .get(0);
            if idle > 0 {
                signal(&holder, "-KILL");
                let _ = finish(holder, Duration::from_secs(5));
                return Err("the holder was caught idle inside a transaction that locks".into());
            }
            signal(&holder, "-CONT");
            std::thread::sleep(Duration::from_millis(3));
        }
        // Paused at a random point of its writes, past its lease.
        signal(&holder, "-STOP");
        // Another opener, waiting up to 4 s; resumed after 8 s at most whatever happens.
        let (tx, rx) = std::sync::mpsc::channel();
        let url = db.url.clone();
        let opener = std::thread::spawn(move || {
            let begun = Instant::now();
            let result = PgStorage::open(
                &url,
                "acct0000",
                &LeaseOptions {
                    holder: "taker".to_owned(),
                    ttl: Duration::from_secs(5),
                    wait: Duration::from_secs(4),
                    statement_timeout: None,
                },
            )
            .and_then(|mut s| {
                let token = s.lease().token;
                s.set_api_id(Some(token * 1_000_000 + 1))?;
                s.close()?;
                Ok(token)
            });
            let _ = tx.send((result.map_err(|e| e.to_string()), begun.elapsed()));
        });
        let outcome = rx.recv_timeout(Duration::from_secs(8));
        signal(&holder, "-CONT");
        let outcome = match outcome {
            Ok(done) => done,
            Err(_) => rx
                .recv_timeout(Duration::from_secs(20))
                .map_err(|_| "the opener never returned")?,
        };
        let _ = opener.join();
        std::thread::sleep(Duration::from_millis(500));
        signal(&holder, "-KILL");
        let _ = finish(holder, Duration::from_secs(5));
        let (result, waited) = outcome;
        if let Err(e) = result {
            return Err(format!("the next opener did not get the lease of a holder paused in a transaction: {e} (after {waited:?})").into());
        }
        if waited > Duration::from_millis(4_500) {
            return Err(format!("the opener of a lease held by a holder paused in a transaction returned after {waited:?}, past its wait of 4 s").into());
        }
        let tally = prove(&db, &scratch.0)?;
        report(
            "pause in a transaction",
            &tally,
            started.elapsed().as_secs_f64(),
        );
        if tally.expired_takes == 0 {
            return Err("the paused holder's lease never passed on by expiry".into());
        }
        Ok(())
    }

    /// 8 worker processes over 1,000 accounts (a tenth of the picks on 10 hot ones) for
    /// `PYROSESSION_PG_LOAD_SECONDS` (default 20): leases, peers, lookups, field writes,
    /// releases; then the same proof.
    pub fn load() -> Result<(), Failed> {
        let seconds = env_u64("PYROSESSION_PG_LOAD_SECONDS", 20);
        let db = Database::new("load");
        let scratch = Scratch::new("load");
        let started = Instant::now();
        let plan = Plan {
            accounts: 1_000,
            first: 0,
            hot: 10,
            ms: seconds * 1_000,
            ttl_ms: 5_000,
            wait_ms: 200,
            writes: 4,
            nap_ms: 0,
        };
        let workers: Vec<Worker> = (0..8).map(|i| spawn(&db, &scratch.0, i, &plan)).collect();
        for w in workers {
            finish(w, Duration::from_secs(seconds + 20))?;
        }
        let ran = started.elapsed().as_secs_f64();
        let tally = prove(&db, &scratch.0)?;
        report("load (8 workers, 1,000 accounts)", &tally, ran);
        #[allow(clippy::cast_precision_loss)]
        let per_second = |n: usize| n as f64 / seconds as f64;
        eprintln!(
            "pg_faults load: {:.0} leases/s, {:.0} peer writes/s, {:.0} lookups/s, {:.0} field writes/s over {seconds} s",
            per_second(tally.takes),
            per_second(tally.peers_written),
            per_second(tally.lookups),
            per_second(tally.fields_written)
        );
        if tally.fenced + tally.failed + tally.open_failed > 0 {
            return Err(
                format!("calls failed under load with no fault injected: {tally:?}").into(),
            );
        }
        Ok(())
    }

    /// The address of the scenario's database with `application_name` set to `app` (to find
    /// the engine's connections among the server's) and a connect timeout of 1 s.
    fn stopped_url(db: &Database, app: &str) -> String {
        format!("{}&application_name={app}&connect_timeout=1", db.url)
    }

    /// Server processes stopped with SIGSTOP, resumed (SIGCONT) when dropped, whatever the
    /// scenario's outcome.
    struct Stopped(Vec<i32>);

    impl Stopped {
        fn stop(&mut self, pid: i32) -> Result<(), Failed> {
            signal_pid(pid, "-STOP")?;
            self.0.push(pid);
            Ok(())
        }
    }

    impl Drop for Stopped {
        fn drop(&mut self) {
            for &pid in self.0.iter().rev() {
                let _ = signal_pid(pid, "-CONT");
            }
        }
    }

    /// Runs `f` on a thread of its own and waits for it at most `limit`: a call that hangs
    /// fails the scenario instead of hanging the run (its thread ends once the server is
    /// resumed). Returns what `f` returned and how long it took.
    fn bounded<T: Send + 'static>(
        what: &str,
        limit: Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<(T, Duration), Failed> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let begun = Instant::now();
            let out = f();
            let _ = tx.send((out, begun.elapsed()));
        });
        rx.recv_timeout(limit)
            .map_err(|_| format!("{what} did not return within {limit:?}: it hangs").into())
    }

    /// The one connection of `app` whose last statement starts with `query`, as a server
    /// process id, waited for up to `limit` (the renewal's connection shows once its first
    /// round ran); `not` is left out.
    fn backend(
        admin: &mut postgres::Client,
        app: &str,
        query: &str,
        not: Option<i32>,
        limit: Duration,
    ) -> Result<Option<i32>, Failed> {
        let end = Instant::now() + limit;
        loop {
            let pids: Vec<i32> = admin
                .query(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 \
                     AND starts_with(query, $2) AND state = 'idle' AND pid <> $3",
                    &[&app, &query, &not.unwrap_or(0)],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            match pids.as_slice() {
                [pid] => return Ok(Some(*pid)),
                [] if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
                [] => return Ok(None),
                _ => {
                    return Err(
                        format!("several connections of {app} ran {query}: {pids:?}").into(),
                    )
                }
            }
        }
    }

    /// Checks that `result` is the engine's error for a statement the server did not answer
    /// within `bound`, and that it came within the bound and a margin.
    fn timed_out<T>(
        what: &str,
        result: Result<T, pyrosession::storage::StorageError>,
        took: Duration,
        bound: Duration,
    ) -> Result<(), Failed> {
        let Err(e) = result else {
            return Err(format!("{what} succeeded on a stopped server").into());
        };
        let text = e.to_string();
        let expected = format!(
            "the server did not answer within {} ms (the statement timeout)",
            bound.as_millis()
        );
        if !matches!(e.kind(), StorageErrorKind::Postgres { sqlstate: None, .. })
            || !text.contains(&expected)
        {
            return Err(format!("{what}: expected `{expected}`, got: {text}").into());
        }
        if took < bound || took > bound + Duration::from_millis(1_500) {
            return Err(
                format!("{what} failed after {took:?}, not within its bound of {bound:?}").into(),
            );
        }
        eprintln!("pg_faults stopped: {what} failed after {took:?}: {text}");
        Ok(())
    }

    /// The server process of a storage's connection stopped (SIGSTOP) after its take: its next
    /// call fails within the statement bound (the ttl, 2 s) with the error that says so, and
    /// the call after it connects again and succeeds, the lease kept meanwhile by the renewal
    /// on a connection of its own; the storage then closes (spec/postgres.md §2, *Bounds*).
    /// Before the bound, the call waited until the process was resumed.
    pub fn stopped_backend() -> Result<(), Failed> {
        let db = Database::new("stopped_backend");
        let app = format!("pgstop_backend_{}", std::process::id());
        let url = stopped_url(&db, &app);
        let ttl = Duration::from_secs(2);
        let options = LeaseOptions {
            holder: "stopped".to_owned(),
            ttl,
            wait: Duration::ZERO,
            statement_timeout: None,
        };
        let mut storage = PgStorage::open(&url, "acct0000", &options)?;
        let mut admin = db.client();
        let pid = backend(
            &mut admin,
            &app,
            "INSERT INTO pyrosession_sessions",
            None,
            Duration::ZERO,
        )?
        .ok_or("no connection of the storage found after its take")?;
        let mut stopped = Stopped(Vec::new());
        stopped.stop(pid)?;
        let limit = ttl + Duration::from_secs(5);
        let ((mut storage, first), took) =
            bounded("a write on a stopped server process", limit, move || {
                let r = storage.set_api_id(Some(7));
                (storage, r)
            })?;
        timed_out("the write", first, took, ttl)?;
        let ((storage, second), _) = bounded("the write after it", limit, move || {
            let r = storage.set_api_id(Some(8));
            (storage, r)
        })?;
        second.map_err(|e| format!("the next call did not connect again: {e}"))?;
        let api_id: Option<i64> = admin
            .query_one(
                "SELECT api_id FROM pyrosession_sessions WHERE name = 'acct0000'",
                &[],
            )?
            .get(0);
        if api_id != Some(8) {
            return Err(format!("the write after the reconnection left api_id {api_id:?}").into());
        }
        let (closed, _) = bounded("close", limit, move || storage.close())?;
        closed?;
        drop(stopped);
        Ok(())
    }

    /// The server process of the renewal's connection stopped (SIGSTOP) after a round: the next
    /// round fails within a third of the ttl (1 s of 3 s), and a round after it connects
    /// again and renews, before the lease expires: the storage keeps its lease and writes,
    /// and closes at once (spec/postgres.md §5.2, §5.4). Before the bound, the round waited
    /// until the process was resumed, the lease expired under its holder, and `close` waited
    /// for the round.
    pub fn stopped_renewal() -> Result<(), Failed> {
        let db = Database::new("stopped_renewal");
        let app = format!("pgstop_renewal_{}", std::process::id());
        let url = stopped_url(&db, &app);
        let ttl = Duration::from_secs(3);
        let options = LeaseOptions {
            holder: "renewing".to_owned(),
            ttl,
            wait: Duration::ZERO,
            statement_timeout: None,
        };
        let storage = PgStorage::open(&url, "acct0000", &options)?;
        let mut admin = db.client();
        let renewal = "UPDATE pyrosession_sessions AS s";
        let pid = backend(&mut admin, &app, renewal, None, ttl * 2)?
            .ok_or("the renewal's connection never showed a round")?;
        let mut stopped = Stopped(Vec::new());
        stopped.stop(pid)?;
        let stopped_at = Instant::now();
        let again = backend(&mut admin, &app, renewal, Some(pid), ttl * 3)?;
        if again.is_none() {
            return Err(format!("no round renewed the lease on a new connection within {:?} of its connection's server process stopping", ttl * 3).into());
        }
        eprintln!(
            "pg_faults stopped: the renewal renewed again {:?} after its server process stopped",
            stopped_at.elapsed()
        );
        // Past the ttl since the stop, the lease must still be the storage's.
        std::thread::sleep(ttl.saturating_sub(stopped_at.elapsed()));
        let limit = ttl + Duration::from_secs(5);
        let ((storage, wrote), _) = bounded("a write", limit, move || {
            let mut storage = storage;
            let r = storage.set_api_id(Some(9));
            (storage, r)
        })?;
        wrote.map_err(|e| format!("the lease was not kept by the renewal: {e}"))?;
        let (closed, took) = bounded("close", limit, move || storage.close())?;
        closed?;
        if took > Duration::from_secs(1) {
            return Err(format!("close took {took:?}").into());
        }
        drop(stopped);
        Ok(())
    }

    /// The whole server stopped (SIGSTOP to the postmaster, then to each of its processes):
    /// a storage's write fails within its bound (the ttl, 2 s), a fleet's listing within the
    /// bound it was given (1 s), an open within its connect timeout (1 s), and a close within
    /// its bounds (the connect timeout, the release being on a new connection); once the server
    /// is resumed (SIGCONT), an open takes the lease again (spec/postgres.md §2, *Bounds*).
    pub fn stopped_server() -> Result<(), Failed> {
        let db = Database::new("stopped_server");
        let app = format!("pgstop_server_{}", std::process::id());
        let url = stopped_url(&db, &app);
        let ttl = Duration::from_secs(2);
        let options = LeaseOptions {
            holder: "stopped".to_owned(),
            ttl,
            wait: Duration::ZERO,
            statement_timeout: None,
        };
        let storage = PgStorage::open(&url, "acct0000", &options)?;
        let mut fleet = PgFleet::connect(&url)?;
        let fleet_bound = Duration::from_secs(1);
        fleet.set_statement_timeout(fleet_bound);
        let data = std::env::var("PYROSESSION_PG_DATA")?;
        let postmaster: i32 = std::fs::read_to_string(Path::new(&data).join("postmaster.pid"))?
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or("no pid in postmaster.pid")?;
        let mut stopped = Stopped(Vec::new());
        // The postmaster first: it then starts no process while the others are stopped.
        stopped.stop(postmaster)?;
        for entry in std::fs::read_dir("/proc")? {
            let Ok(pid) = entry?.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if status.lines().any(|l| {
                l.split_whitespace()
                    .eq(["PPid:", postmaster.to_string().as_str()])
            }) {
                stopped.stop(pid)?;
            }
        }
        let limit = ttl + Duration::from_secs(5);
        let ((storage, wrote), took) = bounded("a write on a stopped server", limit, move || {
            let mut storage = storage;
            let r = storage.set_api_id(Some(7));
            (storage, r)
        })?;
        timed_out("the write", wrote, took, ttl)?;
        let ((_fleet, listed), took) =
            bounded("a fleet's listing on a stopped server", limit, move || {
                let r = fleet.accounts();
                (fleet, r)
            })?;
        timed_out("the listing", listed, took, fleet_bound)?;
        let open_url = url.clone();
        let open_options = options.clone();
        let (opened, took) = bounded("an open on a stopped server", limit, move || {
            PgStorage::open(&open_url, "acct0001", &open_options).map(drop)
        })?;
        if opened.is_ok() || took > Duration::from_secs(3) {
            return Err(format!("an open on a stopped server: {opened:?} after {took:?}").into());
        }
        let (closed, took) = bounded("close on a stopped server", limit, move || storage.close())?;
        if closed.is_ok() || took > Duration::from_secs(3) {
            return Err(format!("close on a stopped server: {closed:?} after {took:?}").into());
        }
        drop(stopped);
        let waiting = LeaseOptions {
            wait: ttl * 2,
            ..options
        };
        let (reopened, _) = bounded("an open after the server resumed", limit * 2, move || {
            PgStorage::open(&url, "acct0000", &waiting).and_then(SessionStore::close)
        })?;
        reopened.map_err(|e| format!("no open after the server resumed: {e}"))?;
        Ok(())
    }

    /// A storage opened by `PgFleet::open_session` on a pooled connection gets its own bound:
    /// a connection made for a storage of a 500 ms `statement_timeout`, handed back to the pool
    /// and taken by one of 700 ms, fails a call on its stopped server process after 700 ms,
    /// not 500 (spec/postgres.md §2, *Bounds*).
    pub fn stopped_pooled() -> Result<(), Failed> {
        let db = Database::new("stopped_pooled");
        let app = format!("pgstop_pooled_{}", std::process::id());
        let url = stopped_url(&db, &app);
        let fleet = PgFleet::connect(&url)?;
        let with = |ms: u64| LeaseOptions {
            holder: "pooled".to_owned(),
            ttl: Duration::from_secs(30),
            wait: Duration::ZERO,
            statement_timeout: Some(Duration::from_millis(ms)),
        };
        fleet.open_session("acct0000", &with(500))?.close()?;
        if fleet.idle_connections() != 1 {
            return Err("the storage's connection was not handed back to the pool".into());
        }
        let storage = fleet.open_session("acct0000", &with(700))?;
        if fleet.idle_connections() != 0 {
            return Err("the second storage did not take the pooled connection".into());
        }
        let mut admin = db.client();
        let pid = backend(
            &mut admin,
            &app,
            "INSERT INTO pyrosession_sessions",
            None,
            Duration::ZERO,
        )?
        .ok_or("no connection of the storage found after its take")?;
        let mut stopped = Stopped(Vec::new());
        stopped.stop(pid)?;
        let bound = Duration::from_millis(700);
        let ((storage, wrote), took) = bounded(
            "a write on a pooled connection",
            Duration::from_secs(6),
            move || {
                let mut storage = storage;
                let r = storage.set_api_id(Some(7));
                (storage, r)
            },
        )?;
        timed_out("the write on a pooled connection", wrote, took, bound)?;
        drop(stopped);
        let (closed, _) = bounded("close", Duration::from_secs(6), move || storage.close())?;
        closed?;
        Ok(())
    }
}
