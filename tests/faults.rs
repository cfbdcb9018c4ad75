//! Faults, proven by running them (spec/storage.md §2.5–§2.6, spec/damaged-inputs.md): two
//! processes on one file, openers racing for an idle file, threads sharing a storage, a load test, SIGKILL at random points of
//! writes, a full disk, missing permissions.
//!
//! The child processes are this test binary itself, started again with
//! `PYROSESSION_FAULT_ROLE` set: `main` then plays that role instead of running the tests.
//!
//! `PYROSESSION_KILLS` sets the number of kills of the crash test (default 300);
//! `PYROSESSION_LOAD_MS` the load test's duration (default 3000); `PYROSESSION_RACE_ROUNDS` the
//! racing openers' rounds per kind of file (default 300), `PYROSESSION_RACE_ONLY` one kind
//! (`rollback`, `wal` or `created`).

mod util;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{
    OpenOptions, SharedStorage, Storage, StorageError, StorageErrorKind, DEFAULT_WAIT,
};
use util::mutate::Rng;
use util::TempDir;

const ROLE: &str = "PYROSESSION_FAULT_ROLE";
const PATH: &str = "PYROSESSION_FAULT_PATH";

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        let path = PathBuf::from(std::env::var(PATH).expect("PYROSESSION_FAULT_PATH"));
        child(&role, &path);
        return;
    }
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "second_process_is_told_in_use_after_the_wait",
            two_processes,
        ),
        Trial::test(
            "a_failed_second_open_in_the_process_keeps_the_claim",
            failed_second_open_keeps_the_claim,
        ),
        Trial::test(
            "racing_openers_each_get_the_file_within_their_wait",
            racing_openers,
        ),
        Trial::test("threads_share_one_storage", threads_share_one_storage),
        Trial::test("load_threads_and_two_processes", load_test),
        Trial::test("sigkill_during_writes_loses_no_returned_write", crash_test),
        // Where a full disk cannot be simulated the trial is reported as ignored, not passed.
        Trial::test("full_disk_keeps_every_returned_write", full_disk)
            .with_ignored_flag(!can_simulate_full_disk()),
        Trial::test("sigkill_through_a_symbolic_link", crash_through_symlink),
        // Where a read-only mount cannot be made the trial is reported as ignored, not passed.
        Trial::test(
            "a_read_only_file_system_is_named_as_such",
            read_only_file_system,
        )
        .with_ignored_flag(!can_simulate_full_disk()),
        Trial::test("permissions_give_typed_errors", permissions),
        Trial::test("modes_are_never_widened", modes),
        Trial::test(
            "a_file_others_may_write_is_not_opened_for_writing",
            writable_by_others,
        ),
        Trial::test(
            "a_held_file_is_waited_for_once_by_every_command",
            held_file_waited_for_once,
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

// ---------------------------------------------------------------------------------------------
// Children

/// A peer whose fields all derive from its id, so that a reader can check what it finds.
fn peer(id: i64) -> Peer {
    Peer {
        id,
        access_hash: Some(id.wrapping_mul(7919) ^ 0x5bd1_e995),
        peer_type: PeerType::User,
        username: Some(format!("user{id}")),
        phone_number: (id % 3 == 0).then(|| format!("1555{id}")),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One line per returned call, written before the next call starts; stdout is line-buffered,
/// so a line the parent reads is a call that returned.
fn ack(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn child(role: &str, path: &Path) {
    match role {
        // Opens the file and keeps it until stdin closes.
        "hold" => {
            let s = Storage::open_file(path).expect("hold: open");
            ack("ready");
            let _ = std::io::stdin().lines().count();
            s.close().expect("hold: close");
        }
        // Takes the file's lock with a plain SQLite connection, as Telethon's or any client's
        // write does, and keeps it until stdin closes: for files this crate does not open.
        "lock" => {
            let conn = rusqlite::Connection::open(path).expect("lock: open");
            conn.execute_batch("BEGIN EXCLUSIVE").expect("lock: lock");
            ack("ready");
            let _ = std::io::stdin().lines().count();
            drop(conn);
        }
        // Opens with the wait given (or the default) and reports what happened and when.
        "open" => {
            let options = match std::env::var("PYROSESSION_FAULT_WAIT_MS") {
                Ok(ms) => OpenOptions::new().wait(Duration::from_millis(ms.parse().unwrap())),
                Err(_) => OpenOptions::new(),
            };
            let options = options.read_only(std::env::var_os("PYROSESSION_FAULT_RO").is_some());
            let started = Instant::now();
            let result = options.open(path);
            let ms = started.elapsed().as_millis();
            match result {
                Ok(s) => {
                    let fields = s.session().map(|f| f.dc_id);
                    ack(&format!("ok {ms} {fields:?}"));
                }
                Err(e) => ack(&format!("err {ms} {}", error_kind(&e))),
            }
        }
        // Writes until the file system refuses, then reports the error.
        "fill" => {
            let mut s = Storage::open_file(path).expect("fill: open");
            for batch in 0.. {
                let peers: Vec<Peer> = (0..50).map(|i| peer(batch * 50 + i + 1)).collect();
                match s.update_peers(&peers) {
                    Ok(()) => ack(&format!("peers {} {}", peers[0].id, peers[49].id)),
                    Err(e) => {
                        ack(&format!("err {}", error_kind(&e)));
                        ack(&format!("text {e}"));
                        break;
                    }
                }
            }
        }
        "race" => race_child(path),
        "crash" => crash_child(path),
        "load" => load_child(path),
        other => panic!("unknown role {other}"),
    }
}

/// The variant's name, then its message: what a parent asserts on.
fn error_kind(e: &StorageError) -> String {
    let debug = format!("{:?}", e.kind());
    let name = debug.split([' ', '(', '{']).next().unwrap_or("").to_owned();
    format!("{name} {e}")
}

/// At each line on stdin (`rw` or `ro`), opens the file so, at once closes it, and reports
/// `ok MS` or `err MS KIND` (a round of the racing-openers test).
fn race_child(path: &Path) {
    let wait = Duration::from_millis(env_u64("PYROSESSION_FAULT_WAIT_MS", 2000));
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let options = OpenOptions::new().wait(wait).read_only(line.trim() == "ro");
        let started = Instant::now();
        let result = options.open(path).and_then(Storage::close);
        let ms = started.elapsed().as_millis();
        match result {
            Ok(()) => ack(&format!("ok {ms}")),
            Err(e) => ack(&format!("err {ms} {}", error_kind(&e))),
        }
    }
}

/// Writes peers and session fields forever, acknowledging each returned call.
fn crash_child(path: &Path) {
    let mut s = OpenOptions::new()
        .wait(Duration::from_secs(10))
        .open(path)
        .expect("crash: open");
    ack("ready");
    let mut rng = Rng::new(env_u64("PYROSESSION_FAULT_SEED", 1));
    let first = i64::try_from(env_u64("PYROSESSION_FAULT_FIRST", 1)).unwrap();
    let mut next = first;
    let mut date = s.session().expect("crash: fields").date;
    loop {
        let n = 1 + i64::try_from(rng.below(40)).unwrap();
        let peers: Vec<Peer> = (next..next + n).map(peer).collect();
        s.update_peers(&peers).expect("crash: update_peers");
        ack(&format!("peers {next} {}", next + n - 1));
        next += n;
        // Re-seen peers: the in-place refresh path.
        let again: Vec<Peer> = (0..3)
            .map(|_| {
                peer(
                    first
                        + i64::try_from(rng.below(usize::try_from(next - first).unwrap())).unwrap(),
                )
            })
            .collect();
        s.update_peers(&again).expect("crash: update_peers again");
        date += 1;
        s.set_date(date).expect("crash: set_date");
        ack(&format!("date {date}"));
        if rng.below(4) == 0 {
            s.set_user_id(Some(date)).expect("crash: set_user_id");
            ack(&format!("user {date}"));
        }
    }
}

/// Two writer and two reader threads on one shared storage, for a few rounds per open, opening
/// again and again until the deadline: the two processes of the load test take turns with the
/// file this way.
fn load_child(path: &Path) {
    let tag = i64::try_from(env_u64("PYROSESSION_FAULT_TAG", 1)).unwrap();
    let deadline = Instant::now() + Duration::from_millis(env_u64("PYROSESSION_FAULT_MS", 1000));
    let next = Arc::new(AtomicUsize::new(0));
    let written: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (mut opens, mut refused) = (0, 0);
    while Instant::now() < deadline {
        // Waiting for the lock is not fair (spec/storage.md §2.5): the other process may take
        // the file back every time it lets it go, until this one's wait runs out. That is the
        // documented `InUse`, and this process tries again.
        let storage = match OpenOptions::new().wait(Duration::from_secs(1)).open(path) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), StorageErrorKind::InUse { .. }) => {
                refused += 1;
                continue;
            }
            Err(e) => panic!("load: open: {e}"),
        };
        opens += 1;
        let shared = Arc::new(SharedStorage::new(storage));
        let mut threads = Vec::new();
        for _ in 0..2 {
            let (shared, next, written) = (shared.clone(), next.clone(), written.clone());
            threads.push(std::thread::spawn(move || {
                for _ in 0..10 {
                    let n = i64::try_from(next.fetch_add(1, Ordering::SeqCst)).unwrap();
                    let first = tag * 1_000_000_000 + n * 10;
                    let peers: Vec<Peer> = (first..first + 10).map(peer).collect();
                    shared.lock().update_peers(&peers).expect("load: write");
                    written.lock().unwrap().push(first);
                    ack(&format!("peers {first} {}", first + 9));
                }
            }));
        }
        for r in 0..2u64 {
            let (shared, written) = (shared.clone(), written.clone());
            threads.push(std::thread::spawn(move || {
                let mut rng = Rng::new(r + 7);
                for _ in 0..200 {
                    let known = written.lock().unwrap().clone();
                    if known.is_empty() {
                        std::thread::yield_now();
                        continue;
                    }
                    let id = *rng.pick(&known);
                    let found = shared.lock().get_peer_by_id(id);
                    assert!(found.is_ok(), "load: a returned write is missing: {id}");
                    let name = format!("user{id}");
                    assert!(shared.lock().get_peer_by_username(&name).is_ok());
                }
            }));
        }
        for t in threads {
            t.join().expect("load: thread");
        }
        let storage = Arc::try_unwrap(shared)
            .expect("load: one owner")
            .into_inner();
        storage.close().expect("load: close");
    }
    ack(&format!("opens {opens} ({refused} refused)"));
}

// ---------------------------------------------------------------------------------------------
// The parent's side

fn spawn(role: &str, path: &Path, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(ROLE, role)
        .env(PATH, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child")
}

/// Every line a child printed, once it has exited; with its status.
fn lines(child: Child) -> (Vec<String>, std::process::ExitStatus, String) {
    let out = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        stdout.lines().map(str::to_owned).collect(),
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `PRAGMA integrity_check` through a plain connection of its own.
fn integrity(path: &Path) -> Result<(), Failed> {
    let conn = rusqlite::Connection::open(path).map_err(|e| format!("{e}"))?;
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("{e}"))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(format!("{}: integrity_check: {result}", path.display()).into())
    }
}

/// The peers the acknowledgement lines name, by id.
fn acked_peers(lines: &[String]) -> Vec<i64> {
    let mut ids = Vec::new();
    for l in lines {
        if let Some(rest) = l.strip_prefix("peers ") {
            let (a, b) = rest.split_once(' ').unwrap();
            ids.extend(a.parse::<i64>().unwrap()..=b.parse::<i64>().unwrap());
        }
    }
    ids
}

/// Every acknowledged peer is in the storage, with the fields it was written with.
fn check_peers(s: &Storage, ids: &[i64]) -> Result<(), Failed> {
    let stored: BTreeMap<i64, Peer> = s
        .peers()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|p| (p.peer.id, p.peer))
        .collect();
    for id in ids {
        match stored.get(id) {
            Some(p) if *p == peer(*id) => {}
            Some(p) => return Err(format!("peer {id} changed: {p:?}").into()),
            None => return Err(format!("peer {id} was acknowledged and is missing").into()),
        }
    }
    Ok(())
}

fn two_processes() -> Result<(), Failed> {
    let dir = TempDir::new("two-processes");
    let path = dir.join("shared.session");
    let mut holder = spawn("hold", &path, &[]);
    let mut out = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    let checked = out
        .read_line(&mut line)
        .map_err(Failed::from)
        .and_then(|_| {
            assert_eq!(line.trim(), "ready");
            while_held(&path)
        });
    // Closing the holder lets the next one in, and nothing was damaged.
    drop(holder.stdin.take());
    let status = holder.wait()?;
    checked?;
    assert!(status.success());
    let (l, _, _) = lines(spawn("open", &path, &[]));
    assert!(l[0].starts_with("ok ") && l[0].ends_with("Ok(2)"), "{l:?}");
    integrity(&path)
}

/// What other processes get while one holds the file.
fn while_held(path: &Path) -> Result<(), Failed> {
    let path = path.to_path_buf();

    // Waits as long as asked, then fails with the typed error naming the file.
    let (l, _, _) = lines(spawn(
        "open",
        &path,
        &[("PYROSESSION_FAULT_WAIT_MS", "400".into())],
    ));
    let expected = format!(
        "InUse {}: the session is in use: another client has it open (waited 400 ms; close that client first)",
        path.display()
    );
    let (ms, rest) = l[0].strip_prefix("err ").unwrap().split_once(' ').unwrap();
    assert_eq!(rest, expected);
    let ms: u64 = ms.parse()?;
    assert!((400..1200).contains(&ms), "waited {ms} ms for 400");

    // The default wait, and a read-only opener, get the same.
    let (l, _, _) = lines(spawn("open", &path, &[]));
    let ms: u64 = l[0].split(' ').nth(1).unwrap().parse()?;
    let default = u64::try_from(DEFAULT_WAIT.as_millis())?;
    assert!(l[0].contains("InUse"), "{l:?}");
    assert!(
        (default..default + 1500).contains(&ms),
        "waited {ms} ms by default"
    );
    let (l, _, _) = lines(spawn(
        "open",
        &path,
        &[
            ("PYROSESSION_FAULT_WAIT_MS", "0".into()),
            ("PYROSESSION_FAULT_RO", "1".into()),
        ],
    ));
    assert!(l[0].starts_with("err ") && l[0].contains("InUse"), "{l:?}");
    Ok(())
}

/// On Unix a process's locks on a file go with any descriptor of it that closes: a second open
/// in the same process that read the file's first bytes itself, then failed with `InUse`, used
/// to drop the first storage's claim, and another process could then open and write the file
/// under it (found by an audit: lost writes, and an index that no longer matched its table)
/// (spec/storage.md §2.5). After every kind of second look in this process, a child process is
/// still refused.
fn failed_second_open_keeps_the_claim() -> Result<(), Failed> {
    for fixture in ["pyrogram-2.0.106.session", "hydrogram-0.2.0.session"] {
        let dir = TempDir::new("second-open");
        let path = dir.join("held.session");
        std::fs::copy(util::root().join("spec/fixtures").join(fixture), &path)?;
        let mut first = Storage::open_file(&path)?;
        first.update_peers(&[peer(1)])?;
        let quick = OpenOptions::new().wait(Duration::ZERO);
        for read_only in [false, true] {
            let second = quick.clone().read_only(read_only).open(&path);
            assert!(
                matches!(
                    second.as_ref().map_err(StorageError::kind),
                    Err(StorageErrorKind::InUse { .. })
                ),
                "{fixture}: {second:?}"
            );
        }
        assert!(matches!(
            pyrosession::convert::Input::from_file(&path),
            Err(e) if matches!(
                e.kind(),
                pyrosession::convert::ConvertErrorKind::Storage(StorageErrorKind::InUse { .. })
            )
        ));
        assert!(matches!(
            pyrosession::convert::Argument::classify(path.as_os_str()),
            Ok(pyrosession::convert::Argument::File(f)) if f.is_session_file()
        ));
        let (l, _, _) = lines(spawn(
            "open",
            &path,
            &[("PYROSESSION_FAULT_WAIT_MS", "0".into())],
        ));
        assert!(
            l[0].starts_with("err ") && l[0].contains("InUse"),
            "{fixture}: another process opened the claimed file: {l:?}"
        );
        first.update_peers(&[peer(2)])?;
        first.close()?;
        let (l, _, _) = lines(spawn("open", &path, &[]));
        assert!(l[0].starts_with("ok "), "{fixture}: {l:?}");
        let s = Storage::open_file_read_only(&path)?;
        check_peers(&s, &[1, 2])?;
        drop(s);
        integrity(&path)?;
    }
    Ok(())
}

fn threads_share_one_storage() -> Result<(), Failed> {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SharedStorage>();

    let dir = TempDir::new("threads");
    let path = dir.join("threads.session");
    let shared = Arc::new(SharedStorage::new(Storage::open_file(&path)?));
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (shared, acked) = (shared.clone(), acked.clone());
        std::thread::spawn(move || {
            for batch in 0..200i64 {
                let peers: Vec<Peer> = (batch * 20 + 1..=batch * 20 + 20).map(peer).collect();
                shared.lock().update_peers(&peers).unwrap();
                acked.lock().unwrap().extend(peers.iter().map(|p| p.id));
            }
        })
    };
    let readers: Vec<_> = (0..4u64)
        .map(|r| {
            let (shared, acked, done, lookups) =
                (shared.clone(), acked.clone(), done.clone(), lookups.clone());
            std::thread::spawn(move || -> Result<(), String> {
                let mut rng = Rng::new(r);
                while !done.load(Ordering::SeqCst) {
                    let id = {
                        let known = acked.lock().unwrap();
                        if known.is_empty() {
                            continue;
                        }
                        known[rng.below(known.len())]
                    };
                    let s = shared.lock();
                    s.get_peer_by_id(id).map_err(|e| format!("{id}: {e}"))?;
                    s.get_peer_by_username(&format!("user{id}"))
                        .map_err(|e| format!("{id}: {e}"))?;
                    lookups.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            })
        })
        .collect();
    writer.join().map_err(|_| "writer panicked")?;
    done.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().map_err(|_| "reader panicked")??;
    }
    assert!(lookups.load(Ordering::SeqCst) > 100, "readers barely ran");
    let storage = Arc::try_unwrap(shared).map_err(|_| "shared")?.into_inner();
    check_peers(&storage, &acked.lock().unwrap())?;
    assert_eq!(storage.peers()?.len(), 4000);
    storage.close()?;
    integrity(&path)
}

/// Processes that open an idle file at the same moment, each for a few milliseconds, all get it
/// within their wait (spec/storage.md §2.5): rounds of 2 to 4 processes released together,
/// over a rollback-journal file, a WAL-mode file and a file that does not exist yet (they race
/// to create it), read-write openers mixed with read-only ones. Every refusal is counted; the
/// run stops early after a few, so that a deadlocking claim fails in seconds, not minutes.
fn racing_openers() -> Result<(), Failed> {
    let rounds = env_u64("PYROSESSION_RACE_ROUNDS", 300);
    let dir = TempDir::new("race");
    let mut refusals = Vec::new();
    let only = std::env::var("PYROSESSION_RACE_ONLY").ok();
    for (kind, wal) in [("rollback", false), ("wal", true), ("created", false)] {
        if only.as_deref().is_some_and(|o| o != kind) {
            continue;
        }
        let path = dir.join(&format!("{kind}.session"));
        let wait = 2000;
        let mut children: Vec<(Child, BufReader<std::process::ChildStdout>)> = (0..4)
            .map(|_| {
                let mut c = spawn(
                    "race",
                    &path,
                    &[("PYROSESSION_FAULT_WAIT_MS", wait.to_string())],
                );
                let out = BufReader::new(c.stdout.take().unwrap());
                (c, out)
            })
            .collect();
        let mut rng = Rng::new(0x5eed ^ rounds ^ u64::from(wal));
        for round in 0..rounds {
            if kind == "created" {
                let _ = std::fs::remove_file(&path);
            } else if round == 0 {
                let s = Storage::open_file(&path)?;
                s.close()?;
                if wal {
                    let conn = rusqlite::Connection::open(&path)?;
                    conn.pragma_update(None, "journal_mode", "WAL")?;
                }
            }
            let racers = 2 + rng.below(3);
            let modes: Vec<&str> = (0..racers)
                .map(|i| {
                    // A new file cannot be opened read-only; the first racer always writes.
                    if i == 0 || kind == "created" || rng.below(3) != 0 {
                        "rw"
                    } else {
                        "ro"
                    }
                })
                .collect();
            for ((c, _), mode) in children.iter_mut().zip(&modes) {
                let stdin = c.stdin.as_mut().unwrap();
                writeln!(stdin, "{mode}")?;
            }
            for ((_, out), mode) in children.iter_mut().zip(&modes) {
                let mut line = String::new();
                out.read_line(&mut line)?;
                if !line.starts_with("ok ") {
                    refusals.push(format!(
                        "{kind} round {round}, {racers} racers, {mode}: {}",
                        line.trim()
                    ));
                }
            }
            if refusals.len() >= 4 {
                break;
            }
        }
        for (mut c, _) in children {
            drop(c.stdin.take());
            c.wait()?;
        }
        if refusals.len() >= 4 {
            break;
        }
        integrity(&path)?;
    }
    if refusals.is_empty() {
        eprintln!("race: {rounds} rounds each of 2 to 4 openers on a rollback, a WAL and a new file: no refusal");
        Ok(())
    } else {
        Err(format!(
            "openers racing for an idle file were refused:\n{}",
            refusals.join("\n")
        )
        .into())
    }
}

fn load_test() -> Result<(), Failed> {
    let dir = TempDir::new("load");
    let path = dir.join("load.session");
    Storage::open_file(&path)?.close()?;
    let ms = env_u64("PYROSESSION_LOAD_MS", 3000);
    let children: Vec<Child> = (1..=2)
        .map(|tag| {
            spawn(
                "load",
                &path,
                &[
                    ("PYROSESSION_FAULT_TAG", tag.to_string()),
                    ("PYROSESSION_FAULT_MS", ms.to_string()),
                ],
            )
        })
        .collect();
    let mut all = Vec::new();
    let mut opens = Vec::new();
    for c in children {
        let (l, status, stderr) = lines(c);
        assert!(status.success(), "a load process failed: {stderr}");
        opens.push(l.last().cloned().unwrap_or_default());
        all.extend(acked_peers(&l));
    }
    let s = Storage::open_file(&path)?;
    check_peers(&s, &all)?;
    assert_eq!(s.peers()?.len(), all.len());
    s.close()?;
    integrity(&path)?;
    eprintln!(
        "load: {} peers written by 2 processes x (2 writers + 2 readers) in {ms} ms, one owner of the file at a time (times each process opened it, and was refused after waiting 1 s: {})",
        all.len(),
        opens
            .iter()
            .map(|o| o.trim_start_matches("opens "))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    assert!(all.len() >= 400, "too little load: {}", all.len());
    Ok(())
}

// One scenario, read top to bottom: fresh files, a child killed at random, the checks.
#[allow(clippy::too_many_lines)]
fn crash_test() -> Result<(), Failed> {
    let kills = env_u64("PYROSESSION_KILLS", 300);
    let dir = TempDir::new("crash");
    let migrated = util::root().join("spec/fixtures/pyrogram-1.4.16.session");
    let mut rng = Rng::new(kills);
    let (mut mid_write, mut mid_open, mut migrations) = (0, 0, 0);
    let mut path = PathBuf::new();
    let mut acked: Vec<i64> = Vec::new();
    let mut last_date = 0;
    let mut last_user: Option<i64> = None;
    for kill in 0..kills {
        if kill % 25 == 0 {
            // A fresh file: every other one a version-2 file that the first open migrates.
            path = dir.join(&format!("crash-{kill}.session"));
            if kill % 50 == 25 {
                std::fs::copy(&migrated, &path)?;
                migrations += 1;
            }
            acked.clear();
            last_user = None;
            last_date = if path.exists() {
                let s = Storage::open_file_read_only(&path)?;
                let date = s.session()?.date;
                s.close()?;
                date
            } else {
                0
            };
        }
        let before = if path.exists() {
            let s = Storage::open_file_read_only(&path)?;
            let peers = s.peers()?.len();
            s.close()?;
            peers
        } else {
            0
        };
        let first = acked
            .iter()
            .max()
            .map_or(1_000_000, |m| m + 1)
            .max(1_000_000);
        let mut child = spawn(
            "crash",
            &path,
            &[
                ("PYROSESSION_FAULT_SEED", kill.to_string()),
                ("PYROSESSION_FAULT_FIRST", first.to_string()),
            ],
        );
        // One kill in four at a random moment from the start (most land in the open, or the
        // migration); the others at a random moment after the child said it is ready, so that
        // most land in writes however long a busy machine takes to start a process.
        let mut early: Vec<String> = Vec::new();
        if kill % 4 != 0 {
            // spawn() always pipes stdout.
            let mut out = BufReader::new(child.stdout.take().expect("the child's stdout"));
            let mut line = String::new();
            // A read error ends the wait like the end of the output: the kill follows either way.
            while out.read_line(&mut line).unwrap_or(0) > 0 {
                let ready = line.trim_end() == "ready";
                early.push(line.trim_end().to_owned());
                line.clear();
                if ready {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.next_u64() % 20_000));
            if child.try_wait()?.is_some() {
                let (_, status, stderr) = lines(child);
                return Err(format!("the writer stopped by itself ({status}): {stderr}").into());
            }
            child.kill()?;
            // The rest of what it printed, up to its death.
            early.extend(out.lines().map_while(Result::ok));
        } else {
            std::thread::sleep(Duration::from_micros(rng.next_u64() % 40_000));
            if child.try_wait()?.is_some() {
                let (_, status, stderr) = lines(child);
                return Err(format!("the writer stopped by itself ({status}): {stderr}").into());
            }
            child.kill()?;
        }
        let (mut l, _, _) = lines(child);
        if !early.is_empty() {
            early.append(&mut l);
            l = early;
        }
        if l.iter().any(|l| l == "ready") {
            mid_write += 1;
        } else {
            mid_open += 1;
        }
        acked.extend(acked_peers(&l));
        // The child counts on from the date it found in the file.
        let mut expected = last_date;
        for line in &l {
            if let Some(d) = line.strip_prefix("date ") {
                expected = d.parse()?;
            }
            if let Some(u) = line.strip_prefix("user ") {
                last_user = Some(u.parse()?);
            }
        }
        // Reopen as a client would: it opens, holds every returned write, and is whole.
        let s = Storage::open_file(&path).map_err(|e| format!("kill {kill}: reopen: {e}"))?;
        check_peers(&s, &acked)
            .map_err(|e| format!("kill {kill}: {}", e.message().unwrap_or("")))?;
        let fields = s.session()?;
        // The call after the last acknowledged one may have committed before the kill.
        assert!(
            fields.date == expected || fields.date == expected + 1,
            "kill {kill}: date {} after {expected} was acknowledged",
            fields.date
        );
        if let Some(u) = last_user {
            let now = fields.user_id.ok_or("user id lost")?;
            // The user id is set to the date of its call: at least the last acknowledged one,
            // at most the date now in the file.
            assert!(
                now >= u && now <= fields.date,
                "kill {kill}: user id {now} after {u} (date {})",
                fields.date
            );
        }
        last_date = fields.date;
        let after = s.peers()?.len();
        assert!(
            after >= before,
            "kill {kill}: peers went from {before} to {after}"
        );
        s.close()?;
        integrity(&path).map_err(|e| format!("kill {kill}: {}", e.message().unwrap_or("")))?;
    }
    eprintln!(
        "crash: {kills} SIGKILLs survived ({mid_write} while writing, {mid_open} while opening; {migrations} files migrated from version 2 under fire)"
    );
    assert!(
        mid_write > kills / 2,
        "most kills must land in writes: {mid_write}"
    );
    Ok(())
}

/// A session opened through a symbolic link: SQLite keeps the journal beside the target, and a
/// read-only open through the link must find it there and roll it back.
fn crash_through_symlink() -> Result<(), Failed> {
    let dir = TempDir::new("crash-link");
    let target = dir.join("real.session");
    let link = dir.join("link.session");
    std::os::unix::fs::symlink(&target, &link)?;
    // A session is never created through a link: the target exists first.
    Storage::open_file(&target)?.close()?;
    let mut acked = Vec::new();
    let mut hot = 0;
    for kill in 0..20u64 {
        let first = acked.iter().max().map_or(1, |m| m + 1);
        let mut child = spawn(
            "crash",
            &link,
            &[
                ("PYROSESSION_FAULT_SEED", kill.to_string()),
                ("PYROSESSION_FAULT_FIRST", first.to_string()),
            ],
        );
        std::thread::sleep(Duration::from_millis(20 + kill % 7));
        let killed = child.kill();
        let (l, _, _) = lines(child);
        killed?;
        acked.extend(acked_peers(&l));
        let journal = dir.join("real.session-journal");
        if std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
            hot += 1;
        }
        let s = Storage::open_file_read_only(&link)
            .map_err(|e| format!("kill {kill}: read-only open through the link: {e}"))?;
        check_peers(&s, &acked)?;
        s.close()?;
        integrity(&target)?;
    }
    assert!(!dir.join("link.session-journal").exists());
    eprintln!("symlink: 20 kills, {hot} left a journal beside the target");
    assert!(
        hot > 0,
        "no kill left a journal beside the target: the test did not exercise the hot-journal path"
    );
    Ok(())
}

/// A full disk takes a mount namespace (`unshare -rm`, unprivileged where user namespaces are
/// allowed). Where that is refused, the trial shows up as ignored and this says why.
fn can_simulate_full_disk() -> bool {
    let can = Command::new("unshare")
        .args(["-rm", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("full disk NOT SIMULATED: `unshare -rm` is not allowed on this machine");
    }
    can
}

/// A session on a read-only file system, opened for writing by the mount's root (a bind mount
/// remounted read-only in a namespace of the child's own): the error names the file system and
/// gives no advice about permissions, which root has (spec/storage.md §9, `ReadOnlyCause`; it
/// said "no write permission or a read-only file system; ... fix its permissions").
fn read_only_file_system() -> Result<(), Failed> {
    let dir = TempDir::new("ro-mount");
    let mount = dir.join("mount");
    std::fs::create_dir(&mount)?;
    let path = mount.join("s.session");
    Storage::open_file(&path)?.close()?;
    let before = std::fs::read(&path)?;
    let script = r#"
        mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 90
        PYROSESSION_FAULT_ROLE=open PYROSESSION_FAULT_PATH="$1/s.session" PYROSESSION_FAULT_WAIT_MS=100 "$0"
    "#;
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .arg(std::env::current_exe()?)
        .arg(&mount)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().next().unwrap_or_default();
    let line = line.split_once(' ').map_or(line, |(_, rest)| rest);
    let line = line.split_once(' ').map_or(line, |(_, rest)| rest);
    assert_eq!(
        line,
        format!(
            "ReadOnly {}: cannot write the file: it is on a read-only file system; open it read-only, or copy it to a writable one",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path)?, before);
    Ok(())
}

fn full_disk() -> Result<(), Failed> {
    // The issue asks for a full disk "where it can be simulated": here that takes a mount
    // namespace (see `can_simulate_full_disk`).
    let dir = TempDir::new("full");
    let disk = dir.join("disk");
    std::fs::create_dir(&disk)?;
    // A 256 KiB file system of the child's own: a tmpfs mounted in a new mount namespace
    // (`unshare -rm` works unprivileged where user namespaces are allowed). The child fills it
    // with peers; the session file and any journal are then copied out for the parent to check,
    // and `import` is tried on the full disk.
    let script = r#"
        mount -t tmpfs -o size=256k tmpfs "$1" || exit 90
        PYROSESSION_FAULT_ROLE=fill PYROSESSION_FAULT_PATH="$1/full.session" "$0" > "$2/fill.out" || exit 91
        cp "$1"/full.session* "$2/" || exit 92
        cat /dev/zero > "$1/padding" 2> /dev/null
        "$3" import "$4" "$1/imported.session" 2> "$2/import.err"; echo "$?" > "$2/import.rc"
        ls -A "$1" > "$2/left.txt"
    "#;
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))?;
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .arg(std::env::current_exe()?)
        .arg(&disk)
        .arg(&dir.0)
        .arg(env!("CARGO_BIN_EXE_pyrosession"))
        .arg(v2.trim())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "simulating a full disk failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let shown = disk.join("full.session");
    let l: Vec<String> = std::fs::read_to_string(dir.join("fill.out"))?
        .lines()
        .map(str::to_owned)
        .collect();
    let err = l
        .iter()
        .find(|l| l.starts_with("err "))
        .ok_or_else(|| format!("the child never failed: {:?}", l.last()))?;
    assert_eq!(
        err,
        &format!(
            "err DiskFull {}: the disk is full; the last write did not happen, earlier ones are kept",
            shown.display()
        )
    );
    let ids = acked_peers(&l);
    assert!(ids.len() > 100, "the disk took too little: {}", ids.len());
    let copy = dir.join("full.session");
    let s = Storage::open_file(&copy)?;
    check_peers(&s, &ids)?;
    assert_eq!(
        s.peers()?.len(),
        ids.len(),
        "the refused batch is not there"
    );
    s.close()?;
    integrity(&copy)?;

    // `import` on the full disk fails with the typed error and leaves nothing behind.
    assert_eq!(std::fs::read_to_string(dir.join("import.rc"))?.trim(), "1");
    let stderr = std::fs::read_to_string(dir.join("import.err"))?;
    assert!(
        stderr.contains("imported.session: the disk is full"),
        "{stderr}"
    );
    let left = std::fs::read_to_string(dir.join("left.txt"))?;
    assert!(!left.contains("imported"), "import left {left}");
    eprintln!(
        "full disk: {} peers kept, the next batch refused",
        ids.len()
    );
    Ok(())
}

/// Runs the `open` role as user `nobody` (through `setpriv`) when the tests run as root, who
/// may read anything; as the current user otherwise.
fn open_as_unprivileged(path: &Path, read_only: bool) -> Result<String, Failed> {
    let exe = std::env::current_exe()?;
    let root =
        std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)?;
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.env(ROLE, "open")
        .env(PATH, path)
        .env("PYROSESSION_FAULT_WAIT_MS", "0");
    if read_only {
        cmd.env("PYROSESSION_FAULT_RO", "1");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("child failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn permissions() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    if Command::new("setpriv").arg("--help").output().is_err() {
        return Err("setpriv (util-linux) is needed to drop root's privileges".into());
    }
    let dir = TempDir::new("perm");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777))?;
    let fixture = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    // Each file belongs to the user who opens it, as a user's own file does: one of another
    // user is refused before anything else (spec/storage.md §2.2, "Owner and mode").
    let root =
        std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)?;
    let own = |p: &Path| -> std::io::Result<()> {
        if root {
            std::os::unix::fs::chown(p, Some(65534), Some(65534))?;
        }
        Ok(())
    };
    let strip = |s: String| -> String {
        // "err <ms> <kind> <message>" without the time.
        let mut parts = s.splitn(3, ' ');
        let (verdict, _, rest) = (parts.next(), parts.next(), parts.next());
        format!("{} {}", verdict.unwrap_or(""), rest.unwrap_or(""))
    };

    // Not readable.
    let unreadable = dir.join("unreadable.session");
    std::fs::copy(&fixture, &unreadable)?;
    own(&unreadable)?;
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000))?;
    assert_eq!(
        strip(open_as_unprivileged(&unreadable, false)?),
        format!(
            "err PermissionDenied {}: permission denied while opening the file",
            unreadable.display()
        )
    );
    // The refused open left the file as it was (read back here as root, who may read it).
    assert_eq!(std::fs::read(&unreadable)?, std::fs::read(&fixture)?);

    // Readable, not writable: a typed refusal to write, the file untouched; read-only works. A
    // WAL-mode file's lock once failed creating its -wal with a bare "disk I/O error" instead
    // (found by an audit).
    for (name, source) in [
        ("read-only.session", fixture.clone()),
        (
            "wal-read-only.session",
            util::root().join("spec/fixtures/hydrogram-0.2.0.session"),
        ),
    ] {
        let read_only = dir.join(name);
        std::fs::copy(&source, &read_only)?;
        own(&read_only)?;
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444))?;
        assert_eq!(
            strip(open_as_unprivileged(&read_only, false)?),
            format!(
                "err ReadOnly {}: cannot write the file: this user has no write permission on it; open it read-only, or give this user write permission",
                read_only.display()
            )
        );
        assert!(open_as_unprivileged(&read_only, true)?.starts_with("ok "));
        assert_eq!(std::fs::read(&read_only)?, std::fs::read(&source)?);
    }

    // A directory where the file may not be created.
    let closed = dir.join("closed");
    std::fs::create_dir(&closed)?;
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o555))?;
    let new = closed.join("new.session");
    assert_eq!(
        strip(open_as_unprivileged(&new, false)?),
        format!(
            "err PermissionDenied {}: permission denied while creating the file",
            new.display()
        )
    );
    assert!(!new.exists());

    // A writable file in a directory where the journal cannot be created.
    let in_closed = closed.join("kept.session");
    std::fs::copy(&fixture, &in_closed)?;
    own(&in_closed)?;
    std::fs::set_permissions(&in_closed, std::fs::Permissions::from_mode(0o600))?;
    assert_eq!(
        strip(open_as_unprivileged(&in_closed, false)?),
        format!(
            "err ReadOnly {}: cannot write the file: this user may not write its directory, where SQLite must make the journal of every write; open it read-only, or move the file to a directory this user may write",
            in_closed.display()
        )
    );
    assert_eq!(std::fs::read(&in_closed)?, std::fs::read(&fixture)?);

    // A readable file that may not be written, with a -journal beside it (a crash's, or any
    // bytes): nobody here may roll it back, and the error says so rather than suggesting to
    // open it read-only, which is what failed. Both stay as they were.
    let stuck = dir.join("stuck");
    std::fs::create_dir(&stuck)?;
    let with_journal = stuck.join("a.session");
    std::fs::copy(&fixture, &with_journal)?;
    own(&with_journal)?;
    let journal = stuck.join("a.session-journal");
    std::fs::write(&journal, [0xA5u8; 1000])?;
    std::fs::set_permissions(&stuck, std::fs::Permissions::from_mode(0o555))?;
    for read_only in [false, true] {
        assert_eq!(
            strip(open_as_unprivileged(&with_journal, read_only)?),
            format!(
                "err NeedsRecovery {}: a write to it was interrupted, and the -journal beside it must be rolled back before it can be read, which takes write permission on the file and its directory; open it once as its owner (any client's open does it)",
                with_journal.display()
            )
        );
    }
    assert_eq!(std::fs::read(&with_journal)?, std::fs::read(&fixture)?);
    assert_eq!(std::fs::read(&journal)?, vec![0xA5u8; 1000]);
    Ok(())
}

fn modes() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("modes");
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);

    // New files are 0600 from their first byte: created with that mode, not chmodded after.
    let new = dir.join("new.session");
    Storage::open_file(&new)?.close()?;
    assert_eq!(mode(&new)?, 0o600);

    // An existing file keeps its mode, narrower or wider, through opens and writes.
    for wanted in [0o400 | 0o200, 0o640, 0o644] {
        let p = dir.join(&format!("kept-{wanted:o}.session"));
        Storage::open_file(&p)?.close()?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(wanted))?;
        let mut s = Storage::open_file(&p)?;
        s.update_peers(&[peer(5)])?;
        s.save()?;
        s.close()?;
        assert_eq!(mode(&p)?, wanted, "{}", p.display());
    }
    Ok(())
}

/// A file users other than its owner may write is refused for writing, with its mode and the
/// fix, and left as it was; it opens read-only. Group write is allowed only where the group is
/// the owner's private one (its id the owner's user id), as umask 002 makes files on systems with
/// one group per user. A file others may only read opens, and says its mode (spec/storage.md
/// §2.2, "Owner and mode").
fn writable_by_others() -> Result<(), Failed> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = TempDir::new("writable-by-others");
    let p = dir.join("shared.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &p,
    )?;
    let set = |mode: u32| std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
    set(0o666)?;
    let before = std::fs::read(&p)?;
    let err = Storage::open_file(&p).map(drop).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            StorageErrorKind::WritableByOthers { mode: 0o666 }
        ),
        "{err:?}"
    );
    util::assert_message(
        &err,
        &format!(
            "{}: not opened for writing: its mode 0666 lets other users write it, who could swap the session under this client; chmod 600 it",
            p.display()
        ),
    );
    assert_eq!(std::fs::read(&p)?, before);
    assert_eq!(std::fs::metadata(&p)?.mode() & 0o7777, 0o666);
    assert_eq!(Storage::open_file_read_only(&p)?.session()?.dc_id, 2);

    // Group write: refused when the group is not the owner's own.
    let meta = std::fs::metadata(&p)?;
    set(0o660)?;
    if meta.gid() == meta.uid() {
        Storage::open_file(&p)?.close()?;
    }
    if std::fs::metadata("/proc/self")?.uid() == 0 {
        std::os::unix::fs::chown(&p, None, Some(meta.uid() + 1))?;
        let err = Storage::open_file(&p).map(drop).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                StorageErrorKind::WritableByOthers { mode: 0o660 }
            ),
            "{err:?}"
        );
        std::os::unix::fs::chown(&p, None, Some(meta.gid()))?;
    }

    // Others may read: it opens, and says its mode.
    set(0o644)?;
    let s = Storage::open_file(&p)?;
    assert_eq!(s.file_mode(), Some(0o644));
    s.close()?;
    assert_eq!(std::fs::metadata(&p)?.mode() & 0o7777, 0o644);
    Ok(())
}

/// Every command and library call waits for a held file at most the wait it reports, counted
/// from when it started, whatever it does on the way (spec/storage.md §2.5): `inspect` used to
/// open the file again after detection had waited and failed, and waited twice (10 s, saying
/// "waited 5000 ms"); a Telethon file's read waited rusqlite's own 5 s and said "database is
/// locked". The wait is the default, 5 s; the calls run side by side.
fn held_file_waited_for_once() -> Result<(), Failed> {
    let dir = TempDir::new("held-once");
    let pyrogram = dir.join("p.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &pyrogram,
    )?;
    let telethon = dir.join("t.session");
    std::fs::copy(
        util::root().join("spec/fixtures/telethon-1.45.0.session"),
        &telethon,
    )?;
    let before = [std::fs::read(&pyrogram)?, std::fs::read(&telethon)?];
    let holders = [held_by("hold", &pyrogram)?, held_by("lock", &telethon)?];
    let wait = DEFAULT_WAIT;
    let in_use = |path: &Path| {
        format!(
            "{}: the session is in use: another client has it open (waited {} ms; close that client first)",
            path.display(),
            wait.as_millis()
        )
    };
    let bin = env!("CARGO_BIN_EXE_pyrosession");
    let commands: Vec<Vec<String>> = [&pyrogram, &telethon]
        .iter()
        .flat_map(|p| {
            let p = p.display().to_string();
            vec![
                vec!["inspect".to_owned(), p.clone()],
                vec!["inspect".to_owned(), "--json".to_owned(), p.clone()],
                vec![
                    "convert".to_owned(),
                    p.clone(),
                    "--to".to_owned(),
                    "telethon".to_owned(),
                ],
                vec!["export".to_owned(), p.clone()],
                vec!["peers".to_owned(), p],
            ]
        })
        .collect();
    let checked = std::thread::scope(|scope| -> Result<(), Failed> {
        let runs: Vec<_> = commands
            .iter()
            .map(|args| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let out = Command::new(bin).args(args).output().expect("run");
                    (args, started.elapsed(), out)
                })
            })
            .collect();
        let library = scope.spawn(|| {
            let started = Instant::now();
            let read = pyrosession::convert::telethon_file::read(&telethon).map(drop);
            let path = pyrosession::convert::read_path(&telethon).map(drop);
            (started.elapsed(), read, path)
        });
        for run in runs {
            let (args, took, out) = run.join().unwrap();
            // `convert` names its source first, the others their only file last.
            let path = Path::new(if args[0] == "convert" {
                &args[1]
            } else {
                &args[args.len() - 1]
            });
            said_in_use_once(args, took, &out, &in_use(path), wait)?;
        }
        // Each of the two calls waits once: together twice the wait, not more.
        let (took, read, path) = library.join().unwrap();
        for result in [read, path] {
            assert_eq!(result.unwrap_err().to_string(), in_use(&telethon));
        }
        assert!(took < wait * 5 / 2, "two library calls took {took:?}");
        Ok(())
    });
    for mut holder in holders {
        drop(holder.stdin.take());
        holder.wait()?;
    }
    checked?;
    assert!(
        before == [std::fs::read(&pyrogram)?, std::fs::read(&telethon)?],
        "a file changed"
    );
    in_use_row_says(wait)
}

/// A child playing `role` on `path` that has said it is ready.
fn held_by(role: &str, path: &Path) -> Result<Child, Failed> {
    let mut holder = spawn(role, path, &[]);
    let mut line = String::new();
    let read = BufReader::new(holder.stdout.take().unwrap()).read_line(&mut line);
    if read.is_err() || line.trim() != "ready" {
        let _ = holder.kill();
        let _ = holder.wait();
        return Err(format!("{role}: {read:?} {line:?}").into());
    }
    Ok(holder)
}

/// A command that failed saying `expected` (on stderr, or in its JSON with `--json`) after
/// waiting `wait` once: at least `wait`, well under twice it.
fn said_in_use_once(
    args: &[String],
    took: Duration,
    out: &std::process::Output,
    expected: &str,
    wait: Duration,
) -> Result<(), Failed> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = if args.iter().any(|a| a == "--json") {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    } else {
        let s = stderr.trim_end();
        s.strip_prefix("pyrosession: ").unwrap_or(s).to_owned()
    };
    assert!(!out.status.success(), "{args:?}");
    assert_eq!(said, expected, "{args:?}");
    assert!(
        took >= wait && took < wait * 3 / 2,
        "{args:?} took {took:?} for a wait of {wait:?}"
    );
    Ok(())
}

/// The row of spec/damaged-inputs.md that says what a held file gets, word for word.
fn in_use_row_says(wait: Duration) -> Result<(), Failed> {
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md"))?;
    let row = text
        .lines()
        .find(|l| l.starts_with("| `in-use-by-a-command` |"))
        .ok_or("no row in-use-by-a-command in spec/damaged-inputs.md")?;
    let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
    assert_eq!(
        cells[2..],
        [
            "see tests/faults.rs: `InUse: {path}: the session is in use: another client has it open (waited 5000 ms; close that client first)` after one wait, counted from the start of the call (spec/storage.md §2.5)",
            "(in the same test)",
            "unchanged",
        ]
    );
    assert_eq!(
        wait,
        Duration::from_secs(5),
        "the row names the default wait"
    );
    Ok(())
}
