//! The PostgreSQL engine's benchmark (issue 21, "Performance"; results in BENCHMARKS.md), in one
//! run on one server:
//!
//! - `lease`: take-and-release latency (`PgStorage::open` then `close`, and
//!   `PgFleet::open_session` then `close`), 8 threads over 1,000 accounts, each picking
//!   accounts at random (a pick may wait for another thread's lease on the same account), and
//!   with each thread picking from its own eighth of them (no pick waits): median, 99th
//!   percentile, and takes per second, beside the floor of one durable commit;
//! - the workload of `benches/postgres_addon.py` (read its header: N accounts of P peers,
//!   upserts of 100 peers interleaved across accounts, new then replaced; L lookups by id and by
//!   username; W session-field writes; one call at a time), through the engine (`postgres`), the
//!   file engine on this machine (`file`, one session file per account in a temporary folder),
//!   and, where `PYROSESSION_ADDON_PYTHON` names the python of a venv with
//!   `pyrogram-asyncpg-storage`, through the add-on (`addon`), every answer checked;
//! - the upsert phases again with 8 writers at once (`upsert_insert_w8`, `upsert_update_w8`), the
//!   engine's threads beside the add-on's script run with `--workers 8`;
//! - the floor: the same lookups as bare prepared `SELECT`s through the same client crate on the
//!   same server and rows, on one connection (`floor`) and on one connection per account as the
//!   engine has them (`floor-per-account`); and the same upsert batches as a bare `INSERT` (new
//!   peers) and a bare `UPDATE` (the same peers replaced) into the engine's table, one durable
//!   commit a call, on one connection per account (`floor-per-account`).
//!
//! ```text
//! PYROSESSION_PG_URL=postgresql://… [PYROSESSION_ADDON_PYTHON=venv/bin/python] \
//!   cargo bench --bench postgres [-- --test]
//! ```
//!
//! prints one JSON object a line per measurement, then a Markdown table (for the lookups, run
//! four times, each side's fastest pass). `--test` (the CI's
//! smoke) runs tiny sizes once. Without `PYROSESSION_PG_URL` it says it skipped.
//! `PYROSESSION_PG_BENCH_NO_LEASES` skips the lease phases, `PYROSESSION_PG_BENCH_ONLY_LEASES`
//! runs them alone, and `PYROSESSION_PG_BENCH_LEASE_OPS` sets their takes per thread (250).
//!
//! Every run works in a database of its own, `pyrosession_bench_<pid>`, created on the server
//! the address names and dropped at the end, so that no run reads tables, statistics or dead
//! rows an earlier run or test left (a reused database once made the username lookups' plans
//! differ between runs, BENCHMARKS.md). Where the address is not a `postgresql://` URL or the
//! server refuses `CREATE DATABASE`, the run says so and uses the address's database, as it
//! does with `PYROSESSION_PG_BENCH_REUSE_DB` set.

// Accounts, peers and lookups are counted in i64, as the add-on's script and the ids are, and
// are never negative where they index.
#![allow(clippy::cast_sign_loss)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::postgres::{LeaseOptions, PgFleet, PgStorage};
use pyrosession::storage::{SessionStore, Storage};
use serde_json::{json, Value};

const TYPES: [PeerType; 5] = [
    PeerType::User,
    PeerType::Bot,
    PeerType::Group,
    PeerType::Channel,
    PeerType::Supergroup,
];

/// Peer `i` of account `a`, generation `g`, as `benches/postgres_addon.py` defines it.
fn peer(a: i64, i: i64, g: i64) -> Peer {
    let t = TYPES[(i % 5) as usize];
    let id = match t {
        PeerType::User | PeerType::Bot => 10_000_000 + i,
        PeerType::Group => -(10_000_000 + i),
        _ => -(1_000_000_000_000 + 10_000_000 + i),
    };
    Peer {
        id,
        access_hash: Some(if t == PeerType::Group {
            0
        } else {
            (a + 1) * 1_000_003 + i + g
        }),
        peer_type: t,
        username: (t != PeerType::Group).then(|| format!("a{a}_p{i}")),
        phone_number: (t == PeerType::User).then(|| (15_550_000_000_i64 + i).to_string()),
    }
}

/// The input peer a lookup of peer `i` of account `a` must answer (generation 1).
fn expected(a: i64, i: i64) -> InputPeer {
    let p = peer(a, i, 1);
    match p.peer_type {
        PeerType::User | PeerType::Bot => InputPeer::User {
            user_id: p.id,
            access_hash: p.access_hash.unwrap_or_default(),
        },
        PeerType::Group => InputPeer::Chat { chat_id: -p.id },
        _ => InputPeer::Channel {
            channel_id: -1_000_000_000_000 - p.id,
            access_hash: p.access_hash.unwrap_or_default(),
        },
    }
}

#[derive(Clone, Copy)]
struct Sizes {
    accounts: i64,
    peers: i64,
    lookups: i64,
    writes: i64,
    lease_threads: usize,
    lease_ops: usize,
}

/// The lookups' plan: (account, peer) for k = 0 … L-1, as the add-on's script.
fn plan(s: Sizes) -> Vec<(i64, i64)> {
    (0..s.lookups)
        .map(|k| (k % s.accounts, (k * 7919 + k % s.accounts) % s.peers))
        .collect()
}

fn username_plan(s: Sizes) -> Vec<(i64, i64)> {
    plan(s)
        .into_iter()
        .map(|(a, i)| (a, if i % 5 == 2 { i + 1 } else { i }))
        .collect()
}

/// One phase's result line.
fn line(implementation: &str, phase: &str, ops: i64, seconds: f64, s: Sizes) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let rate = ops as f64 / seconds;
    let v = json!({
        "bench": "postgres", "implementation": implementation, "phase": phase,
        "accounts": s.accounts, "peers_per_account": s.peers, "ops": ops,
        "seconds": seconds, "ops_per_second": rate,
    });
    println!("{v}");
    v
}

/// The upsert phases' batches of generation `g`: for each run of 100 peers, from peer `first`
/// on, each account's batch of them.
fn batches(s: Sizes, g: i64, first: i64) -> Vec<Vec<Vec<Peer>>> {
    (0..s.peers / 100)
        .map(|b| {
            (0..s.accounts)
                .map(|a| {
                    (first + b * 100..first + (b + 1) * 100)
                        .map(|i| peer(a, i, g))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The workload through any `SessionStore`, one per account (spec: the add-on's header).
fn workload<S: SessionStore>(name: &str, stores: &mut [S], s: Sizes) -> Vec<Value> {
    let mut out = Vec::new();
    for (g, phase) in [(0, "upsert_insert"), (1, "upsert_update")] {
        let batches = batches(s, g, 0);
        let t = Instant::now();
        for per_account in &batches {
            for (a, batch) in per_account.iter().enumerate() {
                stores[a].update_peers(batch).expect("update_peers");
            }
        }
        out.push(line(
            name,
            phase,
            s.accounts * s.peers,
            t.elapsed().as_secs_f64(),
            s,
        ));
    }
    out.extend(lookups(name, stores, s));
    let key = |k: i64| {
        let bytes: Vec<u8> = (0..256).map(|j| ((k + j) % 256) as u8).collect();
        pyrosession::AuthKey::from_slice(&bytes).expect("256 bytes")
    };
    let t = Instant::now();
    for k in 0..s.writes {
        let st = &mut stores[(k % s.accounts) as usize];
        match k % 7 {
            0 => st.set_dc_id(1 + k % 5),
            1 => st.set_api_id(Some(10_000 + k)),
            2 => st.set_test_mode(Some(k % 2 == 1)),
            3 => st.set_auth_key(Some(&key(k))),
            4 => st.set_date(1_700_000_000 + k),
            5 => st.set_user_id(Some(5_000_000_000 + k)),
            _ => st.set_is_bot(Some(k % 2 == 0)),
        }
        .expect("a field write");
    }
    out.push(line(
        name,
        "session_write",
        s.writes,
        t.elapsed().as_secs_f64(),
        s,
    ));
    // The last value written to each account's api_id is there.
    for k in (0..s.writes).filter(|k| k % 7 == 1).rev().take(1) {
        let f = stores[(k % s.accounts) as usize]
            .session()
            .expect("session");
        assert_eq!(f.api_id, Some(10_000 + k));
    }
    out
}

/// The upsert phases again with `workers` threads at once, as a fleet's workers write: thread t
/// writes the accounts a with a % workers == t, batch by batch (the add-on's script with
/// `--workers`). New peers (ids past the workload's), then the same peers replaced. Each
/// thread's writes are one at a time; the server commits concurrent writes together where their
/// flushes meet (group commit), which a single writer cannot have.
fn concurrent_upserts<S: SessionStore + Send>(
    name: &str,
    stores: &mut [S],
    s: Sizes,
    workers: usize,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (g, phase) in [(0, "upsert_insert"), (1, "upsert_update")] {
        let batches = batches(s, g, s.peers);
        let mut groups: Vec<Vec<(usize, &mut S)>> = (0..workers).map(|_| Vec::new()).collect();
        for (a, st) in stores.iter_mut().enumerate() {
            groups[a % workers].push((a, st));
        }
        let t = Instant::now();
        std::thread::scope(|scope| {
            for group in groups {
                let batches = &batches;
                scope.spawn(move || {
                    let mut group = group;
                    for per_account in batches {
                        for (a, st) in &mut group {
                            st.update_peers(&per_account[*a]).expect("update_peers");
                        }
                    }
                });
            }
        });
        out.push(line(
            name,
            &format!("{phase}_w{workers}"),
            s.accounts * s.peers,
            t.elapsed().as_secs_f64(),
            s,
        ));
    }
    out
}

/// The lookups of the workload through any `SessionStore`, every answer checked.
fn lookups<S: SessionStore>(name: &str, stores: &[S], s: Sizes) -> Vec<Value> {
    let mut out = Vec::new();
    let ids = plan(s);
    let t = Instant::now();
    for &(a, i) in &ids {
        let got = stores[a as usize]
            .get_peer_by_id(peer(a, i, 1).id)
            .expect("get_peer_by_id");
        assert_eq!(got, expected(a, i));
    }
    out.push(line(
        name,
        "lookup_id",
        s.lookups,
        t.elapsed().as_secs_f64(),
        s,
    ));
    let names: Vec<(i64, i64, String)> = username_plan(s)
        .into_iter()
        .map(|(a, i)| (a, i, format!("a{a}_p{i}")))
        .collect();
    let t = Instant::now();
    for (a, i, u) in &names {
        let got = stores[*a as usize]
            .get_peer_by_username(u)
            .expect("get_peer_by_username");
        assert_eq!(got, expected(*a, *i));
    }
    out.push(line(
        name,
        "lookup_username",
        s.lookups,
        t.elapsed().as_secs_f64(),
        s,
    ));
    out
}

/// The floor: the same lookups as bare prepared statements, on one connection for every account
/// (`floor`), or on one connection per account as the engine has them, each call going to its
/// account's (`floor-per-account`): the second pays what the engine's layout pays on the server
/// (each call wakes another backend process), the first does not.
fn floor(url: &str, names: &[String], s: Sizes, per_account: bool) -> Vec<Value> {
    let label = if per_account {
        "floor-per-account"
    } else {
        "floor"
    };
    let connections = if per_account { names.len() } else { 1 };
    let mut clients: Vec<(postgres::Client, postgres::Statement, postgres::Statement)> = (0
        ..connections)
        .map(|_| {
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connecting");
            let by_id = c
                .prepare(
                    "SELECT id, access_hash, type FROM pyrosession_peers WHERE session = $1 AND id = $2",
                )
                .expect("prepare");
            let by_name = c
                .prepare("SELECT id, access_hash, type, last_update_on FROM pyrosession_peers WHERE session = $1 AND username = $2 ORDER BY last_update_on DESC, id LIMIT 1")
                .expect("prepare");
            (c, by_id, by_name)
        })
        .collect();
    let mut out = Vec::new();
    let ids = plan(s);
    let t = Instant::now();
    for &(a, i) in &ids {
        let (c, by_id, _) = &mut clients[a as usize % connections];
        let row = c
            .query_opt(&*by_id, &[&names[a as usize], &peer(a, i, 1).id])
            .expect("query")
            .expect("a row");
        let hash: Option<i64> = row.get(1);
        let _: &str = row.get(2);
        assert_eq!(hash, peer(a, i, 1).access_hash);
    }
    out.push(line(
        label,
        "lookup_id",
        s.lookups,
        t.elapsed().as_secs_f64(),
        s,
    ));
    let plan = username_plan(s);
    let t = Instant::now();
    for &(a, i) in &plan {
        let (c, _, by_name) = &mut clients[a as usize % connections];
        let row = c
            .query_opt(&*by_name, &[&names[a as usize], &format!("a{a}_p{i}")])
            .expect("query")
            .expect("a row");
        let hash: Option<i64> = row.get(1);
        assert_eq!(hash, peer(a, i, 1).access_hash);
    }
    out.push(line(
        label,
        "lookup_username",
        s.lookups,
        t.elapsed().as_secs_f64(),
        s,
    ));
    out
}

/// The floor of the upsert phases: the same batches written as bare prepared statements
/// through the same client crate, into the engine's own table (its indexes and fill factor), on
/// one connection per account as the engine has them, each call its own durable commit: a plain
/// `INSERT` of the new peers (no conflict clause, no fence), then a plain `UPDATE … FROM unnest`
/// of the same peers replaced. No store that keeps these rows with these indexes, durable when
/// the call returns, writes a batch with less work; the engine's upsert adds the fence and the
/// conflict clause to it. It runs before the engine's phases, on the empty table, then
/// `VACUUM ANALYZE`s the table so that the engine's phases meet no vacuum the floor's rows
/// set off; its rows, under names of their own, are kept until the end of the run (deleting
/// them here would leave the engine's phases 40,000 dead rows), and their names returned.
fn upsert_floor(url: &str, tag: u32, s: Sizes) -> (Vec<Value>, Vec<String>) {
    const INSERT: &str = "INSERT INTO pyrosession_peers (session, id, access_hash, type, username, phone_number, last_update_on) \
         SELECT $1, u.* FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u";
    const UPDATE: &str = "UPDATE pyrosession_peers AS p SET access_hash = u.h, type = u.t, username = u.u, phone_number = u.ph, last_update_on = u.d \
         FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(id, h, t, u, ph, d) \
         WHERE p.session = $1 AND p.id = u.id";
    let names: Vec<String> = (0..s.accounts)
        .map(|a| format!("floor{tag}-{a:04}"))
        .collect();
    let mut clients: Vec<postgres::Client> = (0..s.accounts)
        .map(|_| {
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connecting");
            c.batch_execute("SET synchronous_commit TO on")
                .expect("synchronous_commit");
            c
        })
        .collect();
    let mut out = Vec::new();
    for (g, phase, sql) in [(0, "upsert_insert", INSERT), (1, "upsert_update", UPDATE)] {
        let statements: Vec<postgres::Statement> = clients
            .iter_mut()
            .map(|c| c.prepare(sql).expect("prepare"))
            .collect();
        // Each connection runs its statement once, on no rows, before the clock starts: a new
        // backend's first statement on a table loads the table's and its indexes' descriptions,
        // which the engine's connections have done by the time its phases run.
        let (no_ids, no_hashes) = (Vec::<i64>::new(), Vec::<Option<i64>>::new());
        let (no_types, no_texts) = (Vec::<&str>::new(), Vec::<Option<&str>>::new());
        for (a, c) in clients.iter_mut().enumerate() {
            c.execute(
                &statements[a],
                &[
                    &names[a], &no_ids, &no_hashes, &no_types, &no_texts, &no_texts, &no_ids,
                ],
            )
            .expect("the floor's statement, on no rows");
        }
        let batches = batches(s, g, 0);
        let t = Instant::now();
        for per_account in &batches {
            for (a, batch) in per_account.iter().enumerate() {
                let ids: Vec<i64> = batch.iter().map(|p| p.id).collect();
                let hashes: Vec<Option<i64>> = batch.iter().map(|p| p.access_hash).collect();
                let types: Vec<&str> = batch.iter().map(|p| p.peer_type.as_str()).collect();
                let usernames: Vec<Option<&str>> =
                    batch.iter().map(|p| p.username.as_deref()).collect();
                let phones: Vec<Option<&str>> =
                    batch.iter().map(|p| p.phone_number.as_deref()).collect();
                let dates: Vec<i64> = vec![1_700_000_000 + g; batch.len()];
                let n = clients[a]
                    .execute(
                        &statements[a],
                        &[
                            &names[a], &ids, &hashes, &types, &usernames, &phones, &dates,
                        ],
                    )
                    .expect("the floor's statement");
                assert_eq!(n, batch.len() as u64, "every row of the batch written");
            }
        }
        out.push(line(
            "floor-per-account",
            phase,
            s.accounts * s.peers,
            t.elapsed().as_secs_f64(),
            s,
        ));
    }
    clients[0]
        .batch_execute("VACUUM ANALYZE pyrosession_peers")
        .expect("VACUUM ANALYZE");
    (out, names)
}

/// How [`leases`] takes and releases.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    /// `PgStorage::open` then `close`: a new connection and a schema check each time.
    Open,
    /// `PgFleet::open_session` then `close`, each thread with a fleet kept for the run.
    Fleet,
    /// As `Fleet`, each thread picking only from its own share of the accounts (thread `t` of
    /// `n` the accounts `a` with `a % n == t`), as workers that split a fleet between them: no
    /// take waits for another thread's lease.
    FleetShares,
    /// The engine's former take and release statements (an insert, a durable take, a durable
    /// release) on one connection per thread kept for the run.
    Statements,
    /// The floor: one durable commit (an update of one session row, `synchronous_commit` on)
    /// per operation, on one connection per thread kept for the run.
    Commit,
}

impl Take {
    fn label(self) -> &'static str {
        match self {
            Take::Open => "postgres",
            Take::Fleet => "postgres-fleet",
            Take::FleetShares => "postgres-fleet-shares",
            Take::Statements => "statements",
            Take::Commit => "durable-commit",
        }
    }
}

/// Lease take-and-release latency: `threads` threads, `ops` each, over 1,000 accounts, taken
/// as `how` says.
#[allow(clippy::too_many_lines)]
fn leases(url: &str, s: Sizes, how: Take, threads: usize) -> Value {
    let held = matches!(how, Take::Statements | Take::Commit);
    let tag = std::process::id();
    let url = Arc::new(url.to_owned());
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let url = Arc::clone(&url);
            std::thread::spawn(move || {
                let mut x = 0x9e37_79b9_u64 ^ (t as u64) << 20 | 1;
                let options = LeaseOptions {
                    holder: format!("bench-{t}"),
                    ttl: Duration::from_secs(30),
                    wait: Duration::from_secs(5),
                    statement_timeout: None,
                };
                let mut times = Vec::with_capacity(s.lease_ops);
                let fleet = matches!(how, Take::Fleet | Take::FleetShares).then(|| PgFleet::connect(&url).expect("connecting"));
                let mut client = held.then(|| {
                    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connecting");
                    c.batch_execute("SET synchronous_commit TO on").expect("set");
                    c
                });
                for _ in 0..s.lease_ops {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let account = if how == Take::FleetShares {
                        (x % (1_000 / threads as u64)) * threads as u64 + t as u64
                    } else {
                        x % 1_000
                    };
                    let name = format!("lease{tag}-{account:04}");
                    let t0 = Instant::now();
                    if let (Some(c), Take::Commit) = (client.as_mut(), how) {
                        c.execute(
                            "INSERT INTO pyrosession_sessions (name, dc_id, date) VALUES ($1, 2, 0) ON CONFLICT (name) DO UPDATE SET date = pyrosession_sessions.date + 1",
                            &[&name],
                        )
                        .expect("a commit");
                    } else if let Some(c) = client.as_mut() {
                        c.execute(
                            "INSERT INTO pyrosession_sessions (name, dc_id, date) VALUES ($1, 2, 0) ON CONFLICT (name) DO NOTHING",
                            &[&name],
                        )
                        .expect("insert");
                        let row = loop {
                            // Another thread holds it for a moment: try again, as the engine waits.
                            let row = c
                            .query_opt(
                                "UPDATE pyrosession_sessions \
                                 SET lease_token = GREATEST(nextval('pyrosession_lease_tokens'), lease_token + 1), \
                                 lease_holder = $2, lease_expires = clock_timestamp() + make_interval(secs => $3) \
                                 WHERE name = $1 AND (lease_holder IS NULL OR lease_expires IS NULL OR lease_expires <= clock_timestamp()) \
                                 RETURNING lease_token",
                                &[&name, &options.holder, &30.0_f64],
                            )
                            .expect("a take");
                            if let Some(row) = row {
                                break row;
                            }
                            std::thread::sleep(Duration::from_millis(1));
                        };
                        let token: i64 = row.get(0);
                        c.execute(
                            "UPDATE pyrosession_sessions SET lease_holder = NULL, lease_expires = NULL WHERE name = $1 AND lease_token = $2",
                            &[&name, &token],
                        )
                        .expect("a release");
                    } else if let Some(f) = fleet.as_ref() {
                        let st = f.open_session(&name, &options).expect("a lease");
                        st.close().expect("a release");
                    } else {
                        let st = PgStorage::open(&url, &name, &options).expect("a lease");
                        st.close().expect("a release");
                    }
                    times.push(t0.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("a lease thread"))
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    times.sort();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64() * 1e3
    };
    #[allow(clippy::cast_precision_loss)]
    let v = json!({
        "bench": "postgres", "implementation": how.label(),
        "phase": "lease_take_release",
        "threads": threads, "accounts": 1000, "ops": times.len(),
        "median_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0),
        "ops_per_second": times.len() as f64 / seconds,
    });
    println!("{v}");
    // Leave no lease rows behind.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connecting");
    let pattern = format!("lease{tag}-%");
    // The sessions' rows, then their peers, in one transaction (spec/postgres.md §4.4).
    let mut tx = c.transaction().expect("cleaning up");
    tx.execute(
        "DELETE FROM pyrosession_sessions WHERE name LIKE $1",
        &[&pattern],
    )
    .expect("cleaning up");
    tx.execute(
        "DELETE FROM pyrosession_peers WHERE session LIKE $1",
        &[&pattern],
    )
    .expect("cleaning up");
    tx.commit().expect("cleaning up");
    v
}

/// The writers of the concurrent upsert phases.
const WORKERS: usize = 8;

/// The add-on's script: the whole workload one call at a time (`workers` 1), or only the upsert
/// phases with `workers` writers at once.
fn addon(python: &str, url: &str, s: Sizes, workers: usize) -> Vec<Value> {
    let script = std::env::var_os("PYROSESSION_ADDON_SCRIPT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/postgres_addon.py"),
        PathBuf::from,
    );
    let out = Command::new(python)
        .arg(script)
        .args(["--url", url])
        .args(["--accounts", &s.accounts.to_string()])
        .args(["--peers", &s.peers.to_string()])
        .args(["--lookups", &s.lookups.to_string()])
        .args(["--writes", &s.writes.to_string()])
        .args(["--workers", &workers.to_string()])
        .output()
        .expect("running benches/postgres_addon.py");
    assert!(
        out.status.success(),
        "benches/postgres_addon.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("a JSON line");
            v["implementation"] = json!("addon");
            println!("{v}");
            v
        })
        .collect()
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let Some(url) = std::env::var("PYROSESSION_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("postgres bench skipped: PYROSESSION_PG_URL is unset (.ci/pg-cluster start DIR)");
        return;
    };
    let s = if smoke {
        Sizes {
            accounts: 2,
            peers: 100,
            lookups: 50,
            writes: 14,
            lease_threads: 8,
            lease_ops: 5,
        }
    } else {
        Sizes {
            accounts: 20,
            peers: 2000,
            lookups: 10_000,
            writes: 2000,
            lease_threads: 8,
            lease_ops: std::env::var("PYROSESSION_PG_BENCH_LEASE_OPS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(250),
        }
    };
    let own = OwnDatabase::make(&url);
    let url = own.as_ref().map_or(url, |d| d.url.clone());
    // The schema, before the threads race to create it.
    drop(pyrosession::storage::postgres::PgFleet::connect(&url).expect("connecting"));
    let mut results = if std::env::var_os("PYROSESSION_PG_BENCH_NO_LEASES").is_some() {
        Vec::new()
    } else {
        let n = s.lease_threads;
        vec![
            leases(&url, s, Take::Open, n),
            leases(&url, s, Take::Fleet, n),
            leases(&url, s, Take::Fleet, 1),
            leases(&url, s, Take::FleetShares, n),
            leases(&url, s, Take::Statements, n),
            leases(&url, s, Take::Commit, n),
            leases(&url, s, Take::Commit, 1),
        ]
    };
    if std::env::var_os("PYROSESSION_PG_BENCH_ONLY_LEASES").is_some() {
        table(&results);
        return;
    }
    // The engine: one storage per account, held open for the run.
    let tag = std::process::id();
    let names: Vec<String> = (0..s.accounts)
        .map(|a| format!("bench{tag}-{a:04}"))
        .collect();
    let mut stores: Vec<PgStorage> = names
        .iter()
        .map(|n| PgStorage::open(&url, n, &LeaseOptions::default()).expect("open"))
        .collect();
    let (floor_upserts, floor_names) = upsert_floor(&url, tag, s);
    results.extend(floor_upserts);
    results.extend(workload("postgres", &mut stores, s));
    // The lookups again, the engine's and the floor's in turn, three passes: the first reads
    // after the upserts pay for setting the new rows' hint bits and the server's autovacuum, so
    // the table reports each side's fastest pass.
    for _ in 0..3 {
        results.extend(lookups("postgres", &stores, s));
        results.extend(floor(&url, &names, s, false));
        results.extend(floor(&url, &names, s, true));
    }
    results.extend(concurrent_upserts("postgres", &mut stores, s, WORKERS));
    postgres::Client::connect(&url, postgres::NoTls)
        .and_then(|mut c| {
            c.execute(
                "DELETE FROM pyrosession_peers WHERE session = ANY($1)",
                &[&floor_names],
            )
        })
        .expect("deleting the floor's rows");
    for st in stores {
        st.delete().expect("delete");
    }
    // The file engine, one file per account.
    let dir = std::env::temp_dir().join(format!("pyrosession-bench-pg-{tag}"));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let mut files: Vec<Storage> = (0..s.accounts)
        .map(|a| Storage::open_file(dir.join(format!("a{a}.session"))).expect("open_file"))
        .collect();
    results.extend(workload("file", &mut files, s));
    drop(files);
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(python) = std::env::var("PYROSESSION_ADDON_PYTHON") {
        results.extend(addon(&python, &url, s, 1));
        results.extend(addon(&python, &url, s, WORKERS));
    }
    table(&results);
}

/// The run's own database on the server of the address: created empty by `make`, dropped
/// when the run ends (its connections closed by then, or forced).
struct OwnDatabase {
    admin: String,
    name: String,
    url: String,
}

impl OwnDatabase {
    /// `None`, having said why, where the run keeps the address's database.
    fn make(url: &str) -> Option<OwnDatabase> {
        if std::env::var_os("PYROSESSION_PG_BENCH_REUSE_DB").is_some() {
            eprintln!("postgres bench: PYROSESSION_PG_BENCH_REUSE_DB is set: the address's database is used as it is");
            return None;
        }
        let Some((scheme, rest)) = ["postgresql://", "postgres://"]
            .iter()
            .find_map(|p| url.strip_prefix(p).map(|r| (*p, r)))
        else {
            eprintln!("postgres bench: the address is no postgresql:// URL: its database is used as it is");
            return None;
        };
        let (before_query, query) = rest
            .split_once('?')
            .map_or((rest, None), |(a, q)| (a, Some(q)));
        let server = before_query
            .split_once('/')
            .map_or(before_query, |(h, _)| h);
        let name = format!("pyrosession_bench_{}", std::process::id());
        let mut c = postgres::Client::connect(url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the server: {e}"));
        if let Err(e) = c.batch_execute(&format!("CREATE DATABASE {name}")) {
            eprintln!("postgres bench: CREATE DATABASE refused ({e}): the address's database is used as it is");
            return None;
        }
        let own_url = format!(
            "{scheme}{server}/{name}{}",
            query.map_or_else(String::new, |q| format!("?{q}"))
        );
        eprintln!("postgres bench: working in a new database, {name}, dropped at the end");
        Some(OwnDatabase {
            admin: url.to_owned(),
            name,
            url: own_url,
        })
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        match postgres::Client::connect(&self.admin, postgres::NoTls).and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        }) {
            Ok(()) => {}
            Err(e) => eprintln!("postgres bench: could not drop {}: {e}", self.name),
        }
    }
}

/// The Markdown table of BENCHMARKS.md.
fn table(results: &[Value]) {
    let get = |imp: &str, phase: &str| {
        results
            .iter()
            .filter(|v| v["implementation"] == imp && v["phase"] == phase)
            .filter_map(|v| v["ops_per_second"].as_f64())
            .reduce(f64::max)
    };
    let fmt = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.0}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => String::new(),
    };
    println!();
    println!("| phase (ops/s) | postgres | floor | floor, per account | addon | file | postgres / floor | postgres / floor per account | postgres / addon | floor per account / addon | file / postgres |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for phase in [
        "upsert_insert",
        "upsert_update",
        "upsert_insert_w8",
        "upsert_update_w8",
        "lookup_id",
        "lookup_username",
        "session_write",
    ] {
        let (p, fl, fa, ad, fi) = (
            get("postgres", phase),
            get("floor", phase),
            get("floor-per-account", phase),
            get("addon", phase),
            get("file", phase),
        );
        println!(
            "| `{phase}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt(p),
            fmt(fl),
            fmt(fa),
            fmt(ad),
            fmt(fi),
            ratio(p, fl),
            ratio(p, fa),
            ratio(p, ad),
            ratio(fa, ad),
            ratio(fi, p)
        );
    }
    println!();
    for l in results
        .iter()
        .filter(|v| v["phase"] == "lease_take_release")
    {
        println!(
            "Lease take-and-release ({}), {} threads over 1,000 accounts, {} takes: median {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} takes/s",
            match l["implementation"].as_str() {
                Some("postgres") => "PgStorage::open and close",
                Some("postgres-fleet") => "PgFleet::open_session and close",
                Some("postgres-fleet-shares") => "PgFleet::open_session and close, each thread its own share of the accounts",
                Some("statements") => "the former statements, durable, on a held connection",
                _ => "floor: one durable commit on a held connection",
            },
            l["threads"], l["ops"], l["median_ms"].as_f64().unwrap_or_default(),
            l["p99_ms"].as_f64().unwrap_or_default(), l["max_ms"].as_f64().unwrap_or_default(),
            l["ops_per_second"].as_f64().unwrap_or_default()
        );
    }
}
