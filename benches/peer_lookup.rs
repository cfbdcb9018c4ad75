//! Peer-cache benchmarks (spec/storage.md §6), ids `{engine}/{operation}` (lookups also
//! `/{peers}`, the size of the cache) for the engines `memory` and `file`, and
//! `floor/{medium}/...`: the same queries through a bare rusqlite connection with cached
//! prepared statements, on the same schema and data, measured in the same run.
//! `benches/pyrogram_anchor.py` runs the same workload on real Pyrogram with the same ids.
//! Every timed closure checks its result.
//!
//! `PYROSESSION_BENCH_SIZES=1000,100000` limits the cache sizes (default 1000, 100000, 1000000);
//! an empty list runs no lookups. `benches/report.sh` runs each size in a process of its own.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::{Storage, SCHEMA_V3};
use rusqlite::Connection;

fn sizes() -> Vec<usize> {
    std::env::var("PYROSESSION_BENCH_SIZES").map_or_else(
        |_| vec![1_000, 100_000, 1_000_000],
        |v| {
            v.split(',')
                .filter(|n| !n.trim().is_empty())
                .map(|n| n.trim().parse().expect("a size"))
                .collect()
        },
    )
}

/// The i-th peer: a mix of every type, each with a unique username and most with a phone.
fn peer(i: usize) -> Peer {
    let n = i64::try_from(i).expect("a small index");
    let (id, peer_type) = match i % 5 {
        0 | 1 => (
            1_000_000 + n,
            if i.is_multiple_of(5) {
                PeerType::User
            } else {
                PeerType::Bot
            },
        ),
        2 => (-(1_000 + n), PeerType::Group),
        3 => (-1_001_000_000_000 - n, PeerType::Channel),
        _ => (-1_002_000_000_000 - n, PeerType::Supergroup),
    };
    Peer {
        id,
        access_hash: Some(if peer_type == PeerType::Group {
            0
        } else {
            n.wrapping_mul(0x9e37_79b9)
        }),
        peer_type,
        username: Some(format!("user{i}")),
        phone_number: (i % 5 < 2).then(|| format!("1555{i:07}")),
    }
}

fn peers(n: usize) -> Vec<Peer> {
    (0..n).map(peer).collect()
}

/// Lookup keys spread over the whole cache, visited in a scattered order.
fn keys(n: usize) -> Vec<usize> {
    (0..1024).map(|k| (k * 7_919 + 13) % n).collect()
}

/// The benchmark's own directory, made once: `pyrosession-bench-` and 16 hexadecimal digits
/// nobody can guess, new (`mkdir`, never one that exists, which another local user could have
/// filled with links to the user's own session files), mode 0700 (spec/storage.md §2.7).
fn bench_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        for n in 0..8u8 {
            // SipHash under keys std draws from the system's random source.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            h.write_u8(n);
            let dir = std::env::temp_dir().join(format!("pyrosession-bench-{:016x}", h.finish()));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => return dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => panic!("cannot make {}: {e}", dir.display()),
            }
        }
        panic!("every name tried for the benchmark's directory was taken")
    })
}

fn tmp(name: &str) -> PathBuf {
    bench_dir().join(name)
}

fn fill(storage: &mut Storage, n: usize) {
    let all = peers(n);
    for chunk in all.chunks(100_000) {
        storage.update_peers(chunk).unwrap();
    }
}

/// The floor's connection: bare rusqlite on the same schema and rows.
fn floor_memory(n: usize) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA_V3).unwrap();
    floor_insert(&conn, &peers(n), 1_800_000_000);
    conn
}

fn floor_insert(conn: &Connection, peers: &[Peer], now: i64) {
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut stmt = conn
            .prepare_cached("REPLACE INTO peers (id, access_hash, type, username, phone_number, last_update_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        for p in peers {
            stmt.execute(rusqlite::params![
                p.id,
                p.access_hash,
                p.peer_type.as_str(),
                p.username,
                p.phone_number,
                now
            ])
            .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
}

/// The floor's row: id, access hash, and the type's text, read in place (no copy).
type FloorRow = (i64, Option<i64>, usize);

fn floor_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FloorRow> {
    let peer_type = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
    Ok((r.get(0)?, r.get(1)?, peer_type.len()))
}

fn floor_lookup(conn: &Connection, sql: &str, key: &dyn rusqlite::ToSql) -> FloorRow {
    let mut stmt = conn.prepare_cached(sql).unwrap();
    stmt.query_row([key], floor_row).unwrap()
}

/// The floor's username lookup: the same query as the crate's, every matching row read and the
/// first with the greatest `last_update_on` kept.
fn floor_newest(conn: &Connection, username: &str) -> FloorRow {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, access_hash, type, last_update_on FROM peers WHERE username = ?1",
        )
        .unwrap();
    let mut rows = stmt.query([username]).unwrap();
    let mut best: Option<(FloorRow, i64)> = None;
    while let Some(r) = rows.next().unwrap() {
        let t: i64 = r.get(3).unwrap();
        if best.as_ref().is_none_or(|(_, bt)| t > *bt) {
            best = Some((floor_row(r).unwrap(), t));
        }
    }
    best.unwrap().0
}

fn expected(p: &Peer) -> InputPeer {
    match p.peer_type {
        PeerType::User | PeerType::Bot => InputPeer::User {
            user_id: p.id,
            access_hash: p.access_hash.unwrap(),
        },
        PeerType::Group => InputPeer::Chat { chat_id: -p.id },
        _ => InputPeer::Channel {
            channel_id: -1_000_000_000_000 - p.id,
            access_hash: p.access_hash.unwrap(),
        },
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    seconds: u64,
    samples: usize,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(seconds))
        .sample_size(samples);
    g
}

fn lookups(c: &mut Criterion) {
    for n in sizes() {
        let all = peers(n);
        let ks = keys(n);
        let path = tmp(&format!("lookup-{n}.session"));
        let _ = std::fs::remove_file(&path);
        let mut file = Storage::open_file(&path).unwrap();
        fill(&mut file, n);
        let mut memory = Storage::memory().unwrap();
        fill(&mut memory, n);
        for (engine, s) in [("memory", &memory), ("file", &file)] {
            let mut g = group(c, engine, 2, 30);
            let mut i = 0;
            g.bench_function(format!("get_peer_by_id/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i]];
                    assert_eq!(s.get_peer_by_id(black_box(p.id)).unwrap(), expected(p));
                });
            });
            g.bench_function(format!("get_peer_by_id_miss/{n}"), |b| {
                b.iter(|| assert!(s.get_peer_by_id(black_box(42)).is_err()));
            });
            g.bench_function(format!("get_peer_by_username/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i]];
                    assert_eq!(
                        s.get_peer_by_username(black_box(p.username.as_deref().unwrap()))
                            .unwrap(),
                        expected(p)
                    );
                });
            });
            g.bench_function(format!("get_peer_by_phone_number/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i] / 5 * 5];
                    assert_eq!(
                        s.get_peer_by_phone_number(black_box(p.phone_number.as_deref().unwrap()))
                            .unwrap(),
                        expected(p)
                    );
                });
            });
        }
        drop(file);
        // The floor: bare rusqlite with cached statements, in memory and on a copy of the file.
        let floor_path = tmp(&format!("floor-{n}.session"));
        std::fs::copy(&path, &floor_path).unwrap();
        let floors = [
            ("memory", floor_memory(n)),
            ("file", Connection::open(&floor_path).unwrap()),
        ];
        let mut g = group(c, "floor", 2, 30);
        for (medium, conn) in &floors {
            let mut i = 0;
            g.bench_function(format!("{medium}/get_peer_by_id/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i]];
                    let row = floor_lookup(
                        conn,
                        "SELECT id, access_hash, type FROM peers WHERE id = ?1",
                        &black_box(p.id),
                    );
                    assert_eq!(row.0, p.id);
                });
            });
            g.bench_function(format!("{medium}/get_peer_by_username/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i]];
                    let row = floor_newest(conn, black_box(p.username.as_deref().unwrap()));
                    assert_eq!(row.0, p.id);
                });
            });
            g.bench_function(format!("{medium}/get_peer_by_phone_number/{n}"), |b| {
                b.iter(|| {
                    i = (i + 1) % ks.len();
                    let p = &all[ks[i] / 5 * 5];
                    let row = floor_lookup(
                        conn,
                        "SELECT id, access_hash, type FROM peers WHERE phone_number = ?1",
                        &black_box(p.phone_number.as_deref().unwrap()),
                    );
                    assert_eq!(row.0, p.id);
                });
            });
        }
        g.finish();
    }
}

fn updates(c: &mut Criterion) {
    const N: usize = 100_000;
    let batch = peers(N);
    for engine in ["memory", "file"] {
        let mut g = group(c, engine, 4, 10);
        let open = |tag: &str| -> Storage {
            if engine == "memory" {
                Storage::memory().unwrap()
            } else {
                let p = tmp(&format!("update-{tag}.session"));
                let _ = std::fs::remove_file(&p);
                Storage::open_file(&p).unwrap()
            }
        };
        g.bench_function("update_peers_100000", |b| {
            b.iter_batched_ref(
                || open("new"),
                |s| {
                    s.update_peers(black_box(&batch)).unwrap();
                    assert!(s.get_peer_by_id(batch[N - 1].id).is_ok());
                },
                BatchSize::PerIteration,
            );
        });
        let mut seen = open("seen");
        seen.update_peers(&batch).unwrap();
        g.bench_function("update_peers_seen_100000", |b| {
            b.iter(|| {
                seen.update_peers(black_box(&batch)).unwrap();
                assert!(seen.get_peer_by_id(batch[N - 1].id).is_ok());
            });
        });
        g.finish();
        // The floor: the same upserts in one transaction through bare rusqlite.
        let mut g = group(c, "floor", 4, 10);
        let floor_open = |tag: &str| -> Connection {
            let conn = if engine == "memory" {
                Connection::open_in_memory().unwrap()
            } else {
                let p = tmp(&format!("floor-update-{tag}.session"));
                let _ = std::fs::remove_file(&p);
                Connection::open(&p).unwrap()
            };
            conn.execute_batch(SCHEMA_V3).unwrap();
            conn
        };
        g.bench_function(format!("{engine}/update_peers_100000"), |b| {
            b.iter_batched_ref(
                || floor_open("new"),
                |conn| floor_insert(conn, black_box(&batch), 1_800_000_000),
                BatchSize::PerIteration,
            );
        });
        let seen_floor = floor_open("seen");
        floor_insert(&seen_floor, &batch, 1_800_000_000);
        g.bench_function(format!("{engine}/update_peers_seen_100000"), |b| {
            b.iter(|| floor_insert(&seen_floor, black_box(&batch), 1_800_000_000));
        });
        g.finish();
    }
}

fn cleanup(_: &mut Criterion) {
    let dir = bench_dir();
    if let Err(e) = std::fs::remove_dir_all(dir) {
        panic!("cannot remove {}: {e}", dir.display());
    }
}

criterion_group!(benches, lookups, updates, cleanup);
criterion_main!(benches);
