//! The PostgreSQL engine against a real server (spec/postgres.md): operations, errors, leases,
//! migrations and rows another program wrote. Every test needs `PYROSESSION_PG_URL` (a
//! throwaway server: `.ci/pg-cluster start DIR`), and says it skipped where it is unset.
#![cfg(feature = "postgres")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::postgres::{LeaseOptions, PgFleet, PgStorage, DELETE_PEERS};
use pyrosession::storage::{
    ManualClock, NotFound, SessionFields, SessionStore, StorageError, StorageErrorKind,
};
use pyrosession::{AuthKey, Session};

/// The server's address, or `None` after saying the test is skipped.
fn url() -> Option<String> {
    match std::env::var("PYROSESSION_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "skipped: PYROSESSION_PG_URL is unset (start a server with .ci/pg-cluster start DIR)"
            );
            None
        }
    }
}

/// A session name no other test or run uses.
fn unique(label: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{label}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The server's address with `application_name` set to `app`, so that a test can count its own
/// connections among those of the tests running at the same time.
fn named_url(url: &str, app: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={app}")
}

fn options(holder: &str) -> LeaseOptions {
    LeaseOptions {
        holder: holder.to_owned(),
        ..LeaseOptions::default()
    }
}

fn peer(id: i64, hash: Option<i64>, t: PeerType, user: Option<&str>, phone: Option<&str>) -> Peer {
    Peer {
        id,
        access_hash: hash,
        peer_type: t,
        username: user.map(Into::into),
        phone_number: phone.map(Into::into),
    }
}

fn empty_fields() -> SessionFields {
    SessionFields {
        dc_id: 2,
        api_id: None,
        test_mode: None,
        auth_key: None,
        date: 0,
        user_id: None,
        is_bot: None,
        server_address: None,
        port: None,
    }
}

/// A new session is the file engine's new file; every setter commits and reads back; the
/// export string is the one the fields make.
#[test]
fn a_new_session_is_empty_and_fields_round_trip() {
    let Some(url) = url() else { return };
    let name = unique("fields");
    let mut s = PgStorage::open(&url, &name, &options("t")).unwrap();
    assert_eq!(s.session().unwrap(), empty_fields());
    s.set_dc_id(4).unwrap();
    s.set_api_id(Some(12345)).unwrap();
    s.set_test_mode(Some(false)).unwrap();
    s.set_auth_key(Some(&AuthKey::new([7; 256]))).unwrap();
    s.set_user_id(Some(777)).unwrap();
    s.set_is_bot(Some(true)).unwrap();
    s.set_date(99).unwrap();
    let f = s.session().unwrap();
    assert_eq!(
        (f.dc_id, f.api_id, f.test_mode, f.user_id, f.is_bot, f.date),
        (4, Some(12345), Some(false), Some(777), Some(true), 99)
    );
    assert_eq!(f.auth_key, Some(AuthKey::new([7; 256])));
    let session = Session {
        dc_id: 4,
        api_id: Some(12345),
        test_mode: false,
        auth_key: AuthKey::new([7; 256]),
        user_id: 777,
        is_bot: true,
    };
    assert_eq!(
        s.export_session_string().unwrap(),
        pyrosession::string::encode(&session, pyrosession::string::Format::V2).unwrap()
    );
    s.close().unwrap();
    // Reopened, everything is there.
    let s = PgStorage::open(&url, &name, &options("t")).unwrap();
    assert_eq!(s.session().unwrap(), f);
    s.delete().unwrap();
}

/// Peer upserts replace whole rows; lookups by id, username (newest wins, expiry both ways)
/// and phone number answer as the file engine's (spec/storage.md §6).
#[test]
fn peers_upsert_and_lookups() {
    let Some(url) = url() else { return };
    let mut s = PgStorage::open(&url, &unique("peers"), &options("t")).unwrap();
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    s.set_clock(clock.clone());
    s.update_peers(&[
        peer(777, Some(-5), PeerType::User, Some("alice"), Some("100")),
        peer(-123, None, PeerType::Group, None, None),
        peer(
            -1_001_234_567_890,
            Some(9),
            PeerType::Channel,
            Some("chan"),
            None,
        ),
    ])
    .unwrap();
    assert_eq!(
        s.get_peer_by_id(777).unwrap(),
        InputPeer::User {
            user_id: 777,
            access_hash: -5
        }
    );
    assert_eq!(
        s.get_peer_by_id(-123).unwrap(),
        InputPeer::Chat { chat_id: 123 }
    );
    assert_eq!(
        s.get_peer_by_username("chan").unwrap(),
        InputPeer::Channel {
            channel_id: 1_234_567_890,
            access_hash: 9
        }
    );
    assert_eq!(
        s.get_peer_by_phone_number("100").unwrap(),
        s.get_peer_by_id(777).unwrap()
    );
    // A later owner of the same username wins; the row is replaced whole (no username kept).
    clock.advance(10);
    s.update_peers(&[peer(888, Some(1), PeerType::Bot, Some("alice"), None)])
        .unwrap();
    assert_eq!(
        s.get_peer_by_username("alice").unwrap(),
        InputPeer::User {
            user_id: 888,
            access_hash: 1
        }
    );
    s.update_peers(&[peer(777, Some(-5), PeerType::User, None, None)])
        .unwrap();
    assert!(matches!(
        s.get_peer_by_phone_number("100").unwrap_err().kind(),
        StorageErrorKind::NotFound(NotFound::PhoneNumber(p)) if p == "100"
    ));
    // Exactly 8 hours is fresh, a second more is expired, either way.
    clock.advance(28_800);
    s.get_peer_by_username("alice").unwrap();
    clock.advance(1);
    assert!(matches!(
        s.get_peer_by_username("alice").unwrap_err().kind(),
        StorageErrorKind::UsernameExpired { age: 28_801, .. }
    ));
    clock.advance(-2 * 28_801);
    assert!(matches!(
        s.get_peer_by_username("alice").unwrap_err().kind(),
        StorageErrorKind::UsernameExpired { age: -28_801, .. }
    ));
    // A peer twice in a batch ends as its last occurrence.
    s.update_peers(&[
        peer(5, Some(1), PeerType::User, Some("x"), None),
        peer(5, Some(2), PeerType::User, Some("y"), None),
    ])
    .unwrap();
    assert_eq!(
        s.get_peer_by_id(5).unwrap(),
        InputPeer::User {
            user_id: 5,
            access_hash: 2
        }
    );
    assert!(matches!(
        s.get_peer_by_username("x").unwrap_err().kind(),
        StorageErrorKind::NotFound(_)
    ));
    assert!(matches!(
        s.get_peer_by_id(6).unwrap_err().kind(),
        StorageErrorKind::NotFound(NotFound::Id(6))
    ));
    s.delete().unwrap();
}

/// `update_peers_from` on the engine: the batch it gathers is stored as `update_peers` stores
/// it, and an `Err` from the iterator after several hundred peers stores none of them.
#[test]
fn update_peers_from_stores_the_batch_or_none_of_it() {
    let Some(url) = url() else { return };
    let mut s = PgStorage::open(&url, &unique("peers-from"), &options("t")).unwrap();
    let users = |ids: std::ops::Range<i64>| {
        ids.map(|i| Ok::<_, StorageError>(peer(i, Some(i), PeerType::User, None, None)))
    };
    s.update_peers_from(users(1..400)).unwrap();
    assert_eq!(
        s.get_peer_by_id(399).unwrap(),
        InputPeer::User {
            user_id: 399,
            access_hash: 399
        }
    );
    let stop = StorageError::from(StorageErrorKind::NotFound(NotFound::Id(-1)));
    let failed = s
        .update_peers_from(users(400..700).chain([Err(stop)]).chain(users(700..800)))
        .unwrap_err();
    assert!(matches!(
        failed.kind(),
        StorageErrorKind::NotFound(NotFound::Id(-1))
    ));
    for id in [400, 699, 700] {
        assert!(matches!(
            s.get_peer_by_id(id).unwrap_err().kind(),
            StorageErrorKind::NotFound(NotFound::Id(i)) if *i == id
        ));
    }
    s.get_peer_by_id(1).unwrap();
    s.delete().unwrap();
}

/// A second opener is told who holds the lease and for how long, after its wait; once the
/// first closes, it opens.
#[test]
fn a_second_opener_is_told_the_holder_and_time_left() {
    let Some(url) = url() else { return };
    let name = unique("held");
    let first = PgStorage::open(&url, &name, &options("host-a:1")).unwrap();
    let start = Instant::now();
    let waited = LeaseOptions {
        holder: "host-b:2".into(),
        ttl: Duration::from_secs(30),
        wait: Duration::from_millis(300),
        statement_timeout: None,
    };
    let e = PgStorage::open(&url, &name, &waited).unwrap_err();
    let took = start.elapsed();
    match e.kind() {
        StorageErrorKind::LeaseHeld {
            holder,
            expires_in,
            waited,
        } => {
            assert_eq!(holder, "host-a:1");
            assert!(*expires_in > Duration::from_secs(25), "{expires_in:?}");
            assert_eq!(*waited, Duration::from_millis(300));
        }
        other => panic!("{other:?}"),
    }
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(
        e.to_string().contains("host-a:1 holds its lease for"),
        "{e}"
    );
    let token = first.lease().token;
    first.close().unwrap();
    let second = PgStorage::open(&url, &name, &waited).unwrap();
    assert!(second.lease().token > token);
    assert_eq!(second.lease().holder, "host-b:2");
    second.delete().unwrap();
}

/// A lease not renewed expires after its ttl, another holder takes it, and the first
/// holder's writes are then refused with `LeaseLost` naming the new holder, and not applied.
#[test]
fn an_expired_lease_passes_on_and_the_old_holder_is_fenced() {
    let Some(url) = url() else { return };
    let name = unique("fenced");
    let short = LeaseOptions {
        holder: "old:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let mut old = PgStorage::open(&url, &name, &short).unwrap();
    old.stop_renewal();
    // A watch of the lease, read beside the storage (as the Python package's `lease()` does).
    let watch = old.lease_watch();
    assert_eq!(
        (watch.info().token, watch.info().holder),
        (old.lease().token, old.lease().holder)
    );
    assert!(watch.info().expires_in > Duration::ZERO);
    old.set_dc_id(3).unwrap();
    let new_opts = LeaseOptions {
        holder: "new:2".into(),
        ttl: Duration::from_secs(30),
        wait: Duration::from_secs(5),
        statement_timeout: None,
    };
    let mut new = PgStorage::open(&url, &name, &new_opts).unwrap();
    assert!(new.lease().token > old.lease().token);
    let e = old.set_dc_id(5).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { holder: Some(h), token } if h == "new:2" && *token == old.lease().token),
        "{e:?}"
    );
    // The watch reads the loss the write found.
    assert_eq!(watch.info(), old.lease());
    assert_eq!(watch.info().expires_in, Duration::ZERO);
    let e = old
        .update_peers(&[peer(1, Some(1), PeerType::User, None, None)])
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { .. }),
        "{e}"
    );
    assert!(matches!(
        old.renew().unwrap_err().kind(),
        StorageErrorKind::LeaseLost { .. }
    ));
    // Nothing of the fenced writes is there.
    assert_eq!(new.session().unwrap().dc_id, 3);
    assert!(new.get_peer_by_id(1).is_err());
    new.set_dc_id(4).unwrap();
    // The old holder's close releases nothing of the new holder's lease.
    old.close().unwrap();
    new.set_dc_id(6).unwrap();
    new.delete().unwrap();
}

/// A take's lease runs its whole ttl from the moment the take is granted, never from an
/// earlier reading of the clock in the same statement: the lease's start (its expiry less the
/// ttl) is never before the previous lease's end. A trigger stalls the take between the
/// statement's start and its check of the old lease, until the old lease has expired.
#[test]
fn a_take_runs_its_ttl_from_the_moment_it_is_granted() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "granted");
    let old_opts = LeaseOptions {
        holder: "old:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let mut old = PgStorage::open(&db.url, "acct", &old_opts).unwrap();
    old.stop_renewal();
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM pg_sleep(GREATEST(0, EXTRACT(EPOCH FROM (
                     SELECT lease_expires FROM pyrosession_sessions WHERE name = NEW.name)
                     - clock_timestamp())) + 0.05);
                 RETURN NEW;
             END $$;
             CREATE TRIGGER stall BEFORE INSERT ON pyrosession_sessions
                 FOR EACH ROW EXECUTE FUNCTION stall();",
        )
        .unwrap();
    let old_end: f64 = client
        .query_one(
            "SELECT EXTRACT(EPOCH FROM lease_expires)::float8 FROM pyrosession_sessions WHERE name = 'acct'",
            &[],
        )
        .unwrap()
        .get(0);
    let new_opts = LeaseOptions {
        holder: "new:2".into(),
        ttl: Duration::from_secs(30),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let new = PgStorage::open(&db.url, "acct", &new_opts).unwrap();
    assert!(new.lease().token > old.lease().token);
    let new_start: f64 = client
        .query_one(
            "SELECT EXTRACT(EPOCH FROM lease_expires - interval '30 seconds')::float8 \
             FROM pyrosession_sessions WHERE name = 'acct'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        new_start >= old_end,
        "the new lease starts {:.3} s before the old one ended",
        old_end - new_start
    );
    drop(new);
    drop(old);
}

/// A renewed lease does not expire: the background renewal keeps a 1 s lease for 2.5 s.
#[test]
fn the_background_renewal_keeps_the_lease() {
    let Some(url) = url() else { return };
    let name = unique("renewed");
    let short = LeaseOptions {
        holder: "r:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let mut s = PgStorage::open(&url, &name, &short).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    s.set_dc_id(1).unwrap();
    assert!(matches!(
        PgStorage::open(&url, &name, &options("other"))
            .unwrap_err()
            .kind(),
        StorageErrorKind::LeaseHeld { .. }
    ));
    s.delete().unwrap();
}

/// The leases a process holds on one server are renewed together, on one connection of their
/// own (spec/postgres.md §5.2): ten sessions open past several renewal rounds of a 1 s lease
/// have eleven connections, not twenty, and all ten stay held; a lease taken from under one
/// of them is found lost by the next round, and the other nine keep theirs.
#[test]
fn one_connection_renews_every_lease_a_process_holds() {
    let Some(url) = url() else { return };
    let label = unique("renewals");
    // The connections of this test carry a name of their own: other tests run at once.
    let app = label.replace('-', "_");
    let named = named_url(&url, &app);
    let short = LeaseOptions {
        holder: "r:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let mut stores: Vec<PgStorage> = (0..10)
        .map(|i| PgStorage::open(&named, &format!("{label}-{i}"), &short).unwrap())
        .collect();
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // One holder loses its lease behind its back: its row gets another nonce.
    side.execute(
        "UPDATE pyrosession_sessions SET lease_nonce = lease_nonce + 1 WHERE name = $1",
        &[&format!("{label}-3")],
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let backends: i64 = side
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0);
    assert_eq!(backends, 11, "ten storages and one renewal connection");
    for (i, s) in stores.iter_mut().enumerate() {
        if i == 3 {
            assert_eq!(s.lease().expires_in, Duration::ZERO, "the lost lease");
            assert!(matches!(
                s.set_dc_id(1).unwrap_err().kind(),
                StorageErrorKind::LeaseLost { .. }
            ));
        } else {
            assert!(s.lease().expires_in > Duration::from_millis(300), "{i}");
            s.set_dc_id(1).unwrap();
        }
    }
    for (i, s) in stores.into_iter().enumerate() {
        if i == 3 {
            s.close().unwrap();
        } else {
            s.delete().unwrap();
        }
    }
    side.execute(
        "DELETE FROM pyrosession_sessions WHERE name = $1",
        &[&format!("{label}-3")],
    )
    .unwrap();
}

/// A round's statement that the server refuses on a connection that stays open (a deadlock
/// between two processes' rounds would be one) is done again one lease at a time, in the same
/// round (spec/postgres.md §5.2): a trigger refuses any statement updating more than one of this
/// test's sessions, and three 1 s leases, renewed together, are still held after 2.5 s.
#[test]
fn a_refused_round_renews_its_leases_one_at_a_time() {
    let Some(url) = url() else { return };
    let label = unique("oneatatime");
    let app = label.replace('-', "_");
    let named = named_url(&url, &app);
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    drop(PgFleet::connect(&url).unwrap());
    let function = format!("refuse_{app}");
    side.batch_execute(&format!(
        "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF (SELECT count(*) FROM renewed WHERE name LIKE '{label}-%') > 1 THEN \
             RAISE EXCEPTION 'one of this test''s sessions at a time'; \
           END IF; RETURN NULL; END $$; \
         CREATE TRIGGER {function} AFTER UPDATE ON pyrosession_sessions \
           REFERENCING NEW TABLE AS renewed FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    ))
    .unwrap();
    let short = LeaseOptions {
        holder: "r:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let opened: Vec<_> = (0..3)
        .map(|i| PgStorage::open(&named, &format!("{label}-{i}"), &short))
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    let mut held = Vec::new();
    for s in opened {
        let mut s = s.unwrap();
        held.push(s.lease().expires_in > Duration::ZERO && s.set_dc_id(1).is_ok());
        s.close().unwrap();
    }
    side.batch_execute(&format!(
        "DROP TRIGGER {function} ON pyrosession_sessions; DROP FUNCTION {function}(); \
         DELETE FROM pyrosession_sessions WHERE name LIKE '{label}-%';"
    ))
    .unwrap();
    assert_eq!(held, [true, true, true], "leases lost to a refused round");
}

/// A session's row deleted by a plain statement, as an older crate's `delete` did when the
/// foreign key's cascade removed the peers (or as an administrator would), still takes its peers
/// along, and nothing of another session (spec/postgres.md §3.1, version 3's trigger): no
/// session of the same name created later finds them as its own cache.
#[test]
fn a_session_row_deleted_by_any_statement_takes_its_peers_along() {
    let Some(url) = url() else { return };
    let (gone, kept) = (unique("gone"), unique("kept"));
    for name in [&gone, &kept] {
        let mut s = PgStorage::open(&url, name, &options("w:1")).unwrap();
        s.update_peers(&[
            peer(1, Some(1), PeerType::User, Some("u1"), Some("1555")),
            peer(2, Some(2), PeerType::Bot, None, None),
        ])
        .unwrap();
        s.close().unwrap();
    }
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let peers = |side: &mut postgres::Client, name: &str| -> i64 {
        side.query_one(
            "SELECT count(*) FROM pyrosession_peers WHERE session = $1",
            &[&name],
        )
        .unwrap()
        .get(0)
    };
    side.execute("DELETE FROM pyrosession_sessions WHERE name = $1", &[&gone])
        .unwrap();
    assert_eq!(
        peers(&mut side, &gone),
        0,
        "peers left without their session"
    );
    assert_eq!(peers(&mut side, &kept), 2);
    let again = PgStorage::open(&url, &gone, &options("w:2")).unwrap();
    assert!(again.get_peer_by_id(1).is_err());
    again.delete().unwrap();
    PgStorage::open(&url, &kept, &options("w:1"))
        .unwrap()
        .delete()
        .unwrap();
}

/// The server's counters that `sql` reads (one row of bigints), as a backend reports them
/// (at its exit, or when idle): read again, a fresh snapshot each time, until `enough` says so
/// or 15 s have passed; the last reading.
fn server_counters(
    side: &mut postgres::Client,
    sql: &str,
    enough: impl Fn(&[i64]) -> bool,
) -> Vec<i64> {
    let start = Instant::now();
    loop {
        side.batch_execute("SELECT pg_stat_clear_snapshot()")
            .unwrap();
        let row = side.query_one(sql, &[]).unwrap();
        let counts: Vec<i64> = (0..row.len()).map(|i| row.get(i)).collect();
        if enough(&counts) || start.elapsed() >= Duration::from_secs(15) {
            return counts;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A lookup uses its index whatever the table's statistics say (spec/postgres.md §2). The
/// table is analyzed while it holds 20 sessions of 2,000 peers each, which are then deleted, and
/// 20 new sessions get peers of the same usernames: the statistics list the old sessions' names
/// and not the new ones', so that a plan made for a new session's name expects no row from it
/// and may scan the primary key over its 2,000 peers and sort them, where the username index
/// finds the row at once. The server's count of the username index's scans must grow by one a
/// lookup.
#[test]
fn lookups_use_their_index_whatever_the_statistics_say() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "plans");
    let mut side = db.client();
    let peers = |a: i64| -> Vec<Peer> {
        (0..2000)
            .map(|i| {
                peer(
                    10_000_000 + i,
                    Some(a * 1_000_003 + i),
                    PeerType::User,
                    Some(&format!("a{a}_p{i}")),
                    None,
                )
            })
            .collect()
    };
    for a in 0..20 {
        let mut s = PgStorage::open(&db.url, &format!("old-{a:04}"), &options("w:1")).unwrap();
        s.update_peers(&peers(a)).unwrap();
        s.close().unwrap();
    }
    side.batch_execute("ANALYZE pyrosession_peers").unwrap();
    for a in 0..20 {
        PgStorage::open(&db.url, &format!("old-{a:04}"), &options("w:1"))
            .unwrap()
            .delete()
            .unwrap();
    }
    let mut stores: Vec<PgStorage> = (0..20)
        .map(|a| {
            let mut s = PgStorage::open(&db.url, &format!("new-{a:04}"), &options("w:1")).unwrap();
            s.update_peers(&peers(a)).unwrap();
            s
        })
        .collect();
    let scans = "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'pyrosession_peers_username'";
    let before = server_counters(&mut side, scans, |_| true)[0];
    let mut lookups = 0;
    for (a, s) in (0_i64..).zip(&stores) {
        for i in (0..2000).step_by(200) {
            assert_eq!(
                s.get_peer_by_username(&format!("a{a}_p{i}")).unwrap(),
                InputPeer::User {
                    user_id: 10_000_000 + i,
                    access_hash: a * 1_000_003 + i
                }
            );
            lookups += 1;
        }
    }
    // A backend's counters reach the server's at its exit.
    for s in stores.drain(..) {
        s.close().unwrap();
    }
    let after = server_counters(&mut side, scans, |c| c[0] >= before + lookups)[0];
    assert_eq!(
        after - before,
        lookups,
        "lookups that did not use the username index"
    );
}

/// A server that accepts the connection and never answers its startup (a stopped server
/// process, whose kernel still accepts connections, or a proxy in front of a dead server) is
/// an error within the connect timeout, never a wait without end (spec/postgres.md §2): for
/// `PgStorage::open` and `PgFleet::connect`. Needs no server: the test is its own listener.
#[test]
fn a_server_that_never_answers_is_an_error_within_the_connect_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts every connection and holds it, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming() {
            held.push(c);
        }
    });
    let url = format!("postgresql://nobody:secret@127.0.0.1:{port}/db?connect_timeout=1");
    for fleet in [false, true] {
        let (tx, rx) = std::sync::mpsc::channel();
        let u = url.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let e = if fleet {
                PgFleet::connect(&u).map(drop)
            } else {
                PgStorage::open(&u, "x", &options("t")).map(drop)
            };
            let _ = tx.send((e, t.elapsed()));
        });
        let (result, took) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("still connecting after 10 s");
        let e = result.unwrap_err();
        assert!(
            matches!(
                e.kind(),
                StorageErrorKind::Postgres {
                    doing: "connecting to the server",
                    sqlstate: None,
                    ..
                }
            ),
            "{e:?}"
        );
        let shown = e.to_string();
        assert!(
            shown.contains("did not complete the connection within 1000 ms"),
            "{shown}"
        );
        assert!(!shown.contains("secret") && !format!("{e:?}").contains("secret"));
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
}

/// A TCP relay to the test server, which can stop relaying the connections it accepts from
/// then on: it holds them and answers nothing, as a stopped server process does. `None` where
/// the test server's address is no `postgresql://user@host:port/database` URL.
struct Relay {
    url: String,
    hole: Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    fn new(url: &str, app: &str) -> Option<Relay> {
        use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
        let rest = url.split_once("://")?.1;
        let (authority, path) = rest.split_once('/')?;
        let (user, hostport) = authority.rsplit_once('@')?;
        let target = hostport.to_socket_addrs().ok()?.next()?;
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        let port = listener.local_addr().ok()?.port();
        let hole = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let holing = Arc::clone(&hole);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for down in listener.incoming().flatten() {
                if holing.load(std::sync::atomic::Ordering::SeqCst) {
                    held.push(down);
                    continue;
                }
                let Ok(up) = TcpStream::connect(target) else {
                    continue;
                };
                let (Ok(mut from_down), Ok(mut from_up)) = (down.try_clone(), up.try_clone())
                else {
                    continue;
                };
                let (mut to_up, mut to_down) = (up, down);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_down, &mut to_up);
                    let _ = to_up.shutdown(Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_up, &mut to_down);
                    let _ = to_down.shutdown(Shutdown::Both);
                });
            }
        });
        let database = path.split('?').next()?;
        Some(Relay {
            url: format!(
                "postgresql://{user}@127.0.0.1:{port}/{database}?connect_timeout=6&application_name={app}"
            ),
            hole,
        })
    }
}

/// `close` does not wait for the renewal thread's connection under way (spec/postgres.md
/// §5.2): the renewal's connection is cut and the server stops answering new ones (a relay
/// that holds them), so the next round's connect waits for its timeout (6 s here); a `close`
/// meanwhile returns at once, where it waited for that connect when the round marked its
/// leases in flight before connecting.
#[test]
fn closing_waits_for_no_renewal_connection_under_way() {
    let Some(url) = url() else { return };
    let app = unique("relay").replace('-', "_");
    let Some(relay) = Relay::new(&url, &app) else {
        eprintln!("skipped: the test server's address is no postgresql://user@host:port/db URL");
        return;
    };
    let opts = LeaseOptions {
        ttl: Duration::from_secs(3),
        ..options("relay:1")
    };
    let s = PgStorage::open(&relay.url, &unique("relay"), &opts).unwrap();
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // The renewal's connection, once its first round (after ttl / 3) has renewed.
    let start = Instant::now();
    let pid: i32 = loop {
        let rows = side
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%unnest%'",
                &[&app],
            )
            .unwrap();
        if let Some(r) = rows.first() {
            break r.get(0);
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no renewal seen");
        std::thread::sleep(Duration::from_millis(50));
    };
    relay.hole.store(true, std::sync::atomic::Ordering::SeqCst);
    side.execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    // The next round finds the connection closed; the one after connects again, through the
    // relay, which answers no more.
    std::thread::sleep(Duration::from_millis(2500));
    let t = Instant::now();
    s.close().unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_millis(1500), "close took {took:?}");
}

/// `TRUNCATE` of the sessions table, which fires no row trigger and which version 2's foreign
/// key refused, leaves no peer row either (spec/postgres.md §3.1): on a database of its own.
#[test]
fn truncating_the_sessions_truncates_their_peers() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "truncate");
    let mut s = PgStorage::open(&db.url, "t", &options("w:1")).unwrap();
    s.update_peers(&[peer(1, Some(1), PeerType::User, Some("u"), None)])
        .unwrap();
    s.close().unwrap();
    let mut side = db.client();
    side.batch_execute("TRUNCATE pyrosession_sessions").unwrap();
    let left: i64 = side
        .query_one("SELECT count(*) FROM pyrosession_peers", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "peers left by a TRUNCATE of their sessions");
}

/// `delete` removes this account and its peers, and nothing of another.
#[test]
fn delete_deletes_one_account_only() {
    let Some(url) = url() else { return };
    let (a, b) = (unique("del-a"), unique("del-b"));
    let mut sa = PgStorage::open(&url, &a, &options("t")).unwrap();
    let mut sb = PgStorage::open(&url, &b, &options("t")).unwrap();
    for s in [&mut sa, &mut sb] {
        s.update_peers(&[peer(42, Some(1), PeerType::User, Some("same"), None)])
            .unwrap();
        s.set_user_id(Some(9)).unwrap();
    }
    sa.delete().unwrap();
    assert_eq!(sb.session().unwrap().user_id, Some(9));
    sb.get_peer_by_id(42).unwrap();
    // The rows themselves: none of the deleted session's peers is left (the schema has no
    // foreign key to cascade since version 3), and the other session keeps its own.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let count = |c: &mut postgres::Client, name: &str| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pyrosession_peers WHERE session = $1",
            &[&name],
        )
        .unwrap()
        .get(0)
    };
    assert_eq!((count(&mut c, &a), count(&mut c, &b)), (0, 1));
    let mut fleet = PgFleet::connect(&url).unwrap();
    let names: Vec<String> = fleet
        .accounts()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(!names.contains(&a) && names.contains(&b));
    assert!(matches!(
        fleet.read(&a).unwrap_err().kind(),
        StorageErrorKind::NoSuchAccount
    ));
    sb.delete().unwrap();
}

/// The fleet connection imports a whole session once, reads it back, and lists it with its
/// key's id, peer count and lease, never the key.
#[test]
fn fleet_import_read_and_list() {
    let Some(url) = url() else { return };
    let name = unique("fleet");
    let mut fleet = PgFleet::connect(&url).unwrap();
    let fields = SessionFields {
        dc_id: 2,
        api_id: Some(1),
        test_mode: Some(false),
        auth_key: Some(AuthKey::new([3; 256])),
        date: 5,
        user_id: Some(10),
        is_bot: Some(false),
        server_address: None,
        port: None,
    };
    let peers = vec![
        peer(1, Some(1), PeerType::User, Some("one"), None),
        peer(-2, None, PeerType::Group, None, None),
    ];
    fleet.import(&name, &fields, &peers).unwrap();
    assert!(matches!(
        fleet.import(&name, &fields, &peers).unwrap_err().kind(),
        StorageErrorKind::AlreadyExists
    ));
    let (read, mut read_peers) = fleet.read(&name).unwrap();
    assert_eq!(read, fields);
    read_peers.sort_by_key(|p| p.id);
    let mut sorted = peers.clone();
    sorted.sort_by_key(|p| p.id);
    assert_eq!(read_peers, sorted);
    let s = PgStorage::open(&url, &name, &options("lister:1")).unwrap();
    let listed = fleet
        .accounts()
        .unwrap()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap();
    assert_eq!(listed.peers, 2);
    assert_eq!(listed.auth_key_id, Some(AuthKey::new([3; 256]).id()));
    assert_eq!(listed.lease.as_ref().unwrap().holder, "lister:1");
    assert!(!format!("{listed:?}").contains("030303"));
    s.delete().unwrap();
}

/// What cannot be stored is refused before anything is written.
#[test]
fn names_and_texts_that_cannot_be_stored_are_refused() {
    let Some(url) = url() else { return };
    for bad in ["", "a\nb", &"x".repeat(256)] {
        let e = PgStorage::open(&url, bad, &options("t")).unwrap_err();
        assert!(
            matches!(e.kind(), StorageErrorKind::InvalidAccountName { .. }),
            "{e:?}"
        );
    }
    let mut s = PgStorage::open(&url, &unique("nul"), &options("t")).unwrap();
    let e = s
        .update_peers(&[peer(1, Some(1), PeerType::User, Some("a\0b"), None)])
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::NulCharacter { .. }),
        "{e}"
    );
    assert!(s.get_peer_by_id(1).is_err());
    let e = s
        .update_peers(&[peer(1, Some(1), PeerType::Forum, None, None)])
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::UnsupportedWrite { .. }),
        "{e}"
    );
    assert!(matches!(
        s.get_peer_by_username("a\0b").unwrap_err().kind(),
        StorageErrorKind::NotFound(_)
    ));
    s.delete().unwrap();
}

/// A password in the address never shows in an error.
#[test]
fn an_error_never_shows_the_password() {
    let e = PgStorage::open(
        "postgresql://user:s3cret-pw@127.0.0.1:1/db",
        "x",
        &LeaseOptions::default(),
    )
    .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(
        matches!(e.kind(), StorageErrorKind::Postgres { .. }),
        "{e:?}"
    );
    let e = PgFleet::connect("postgresql://user:s3cret-pw@[::1").unwrap_err();
    let shown: &StorageError = &e;
    assert!(!format!("{shown} {shown:?}").contains("s3cret-pw"));
    // The other places an address can carry one: libpq's key=value form (quoted or not), the
    // URL's query, and a percent-encoded password.
    for address in [
        "host=127.0.0.1 port=1 user=x password=s3cret-pw dbname=d",
        "host=127.0.0.1 port=1 password='s3cret-pw and more'",
        "postgresql://x@127.0.0.1:1/d?password=s3cret-pw",
        "postgresql://x:s3cret-pw%40x@127.0.0.1:1/d",
    ] {
        let e = PgFleet::connect(address).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("s3cret-pw"), "{address}: {shown}");
    }
}

/// Every other `storage` scenario passes on the engine, through the in-process driver
/// (spec/conformance.md), its sessions on the server.
#[test]
fn the_conformance_scenarios_pass_on_the_engine() {
    use pyrosession::conform::{self, LocalDriver, Outcome, Profile, SQLITE_FILE_SCENARIOS};
    let Some(url) = url() else { return };
    let mut driver = LocalDriver::with_postgres(&url);
    let hello = conform::hello(&mut driver).unwrap();
    assert!(
        hello.implementation.starts_with("pyrosession-postgres ") && hello.server,
        "{hello:?}"
    );
    let mut failed = Vec::new();
    let mut passed = 0;
    let mut skipped = Vec::new();
    for scenario in conform::ALL
        .iter()
        .filter(|s| s.profile == Profile::Storage)
    {
        match conform::run_scenario(&mut driver, &hello, scenario) {
            Outcome::Pass => passed += 1,
            Outcome::NotApplicable(why) => {
                assert!(why.contains("SQLite files"), "{}: {why}", scenario.id);
                skipped.push(scenario.id);
            }
            other => failed.push(format!("{}: {other:?}", scenario.id)),
        }
    }
    assert!(
        failed.is_empty(),
        "{passed} passed; failed:\n{}",
        failed.join("\n")
    );
    // Exactly the SQLite-file scenarios are left out, each of them a scenario that exists, and
    // the engine keeps most of the profile.
    assert_eq!(skipped, SQLITE_FILE_SCENARIOS, "the scenarios not run");
    assert!(passed >= 21, "{passed}");
}

/// A new, empty database on the test server, for tests that need the schema's absence or
/// change it; dropped by the returned guard.
struct FreshDatabase {
    admin: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    fn new(url: &str, label: &str) -> FreshDatabase {
        let name = unique(label).replace('-', "_");
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = url.split('?').next().unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        FreshDatabase {
            admin: url.to_owned(),
            url: format!("{server}/{name}"),
            name,
        }
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Eight connections migrating an empty database at once create the schema once; all of
/// them then work (spec/postgres.md §3.2).
#[test]
fn concurrent_first_migrations_create_the_schema_once() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "migrate");
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (url, barrier) = (db.url.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                if i % 2 == 0 {
                    PgFleet::connect(&url).map(drop)
                } else {
                    PgStorage::open(&url, &format!("s{i}"), &options("t")).map(drop)
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let mut c = db.client();
    let rows = c
        .query("SELECT number FROM pyrosession_version", &[])
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        i64::from(rows[0].get::<_, i32>(0)),
        pyrosession::storage::postgres::SCHEMA_VERSION
    );
    assert_eq!(
        PgFleet::connect(&db.url).unwrap().accounts().unwrap().len(),
        4
    );
}

/// A newer schema version is refused, and so is a version table of two rows or a bad number;
/// nothing is written.
#[test]
fn a_newer_or_broken_schema_version_is_refused() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "version");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute("UPDATE pyrosession_version SET number = 5")
        .unwrap();
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            StorageErrorKind::NewerServerSchema { found: 5, known: 4 }
        ),
        "{e:?}"
    );
    let e = PgStorage::open(&db.url, "x", &options("t")).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::NewerServerSchema { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("schema is version 5"), "{e}");
    c.batch_execute(
        "UPDATE pyrosession_version SET number = 2; INSERT INTO pyrosession_version VALUES (2)",
    )
    .unwrap();
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::VersionRows { found: 2 }),
        "{e:?}"
    );
    c.batch_execute("DELETE FROM pyrosession_version; INSERT INTO pyrosession_version VALUES (0)")
        .unwrap();
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::InconsistentSchema { .. }),
        "{e:?}"
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM pyrosession_sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

/// Rows another program wrote into the tables get typed errors, never a panic: a key of the
/// wrong length, an unknown peer type, a user without an access hash, a group id whose input
/// peer does not fit, a lease holder's name with control characters and of 10,000 characters,
/// a token at the top of bigint, a column whose type was changed.
#[test]
fn rows_written_by_others_get_typed_errors() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "hostile");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute(&format!(
        "INSERT INTO pyrosession_sessions (name, dc_id, date, auth_key) VALUES ('k', 2, 0, '\\x0102');
         INSERT INTO pyrosession_peers VALUES ('k', 1, 5, 'USER', 'u', NULL, 0);
         INSERT INTO pyrosession_peers VALUES ('k', 2, NULL, 'user', NULL, NULL, 0);
         INSERT INTO pyrosession_peers VALUES ('k', {}, NULL, 'group', NULL, NULL, 0);
         INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token, lease_holder, lease_expires)
             VALUES ('held', 2, 0, 7, E'evil\\n\\u001b[2J' || repeat('x', 10000), now() + interval '1 hour');
         INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token)
             VALUES ('top', 2, 0, 9223372036854775807);",
        i64::MIN
    ))
    .unwrap();
    let s = PgStorage::open(&db.url, "k", &options("t")).unwrap();
    let e = s.session().unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::InvalidValue { column: "pyrosession_sessions.auth_key", found, .. } if found == "a bytea of 2 bytes"),
        "{e:?}"
    );
    assert!(matches!(
        s.get_peer_by_id(1).unwrap_err().kind(),
        StorageErrorKind::UnknownPeerType { id: 1, found } if found == "USER"
    ));
    assert!(matches!(
        s.get_peer_by_id(2).unwrap_err().kind(),
        StorageErrorKind::MissingAccessHash { id: 2, .. }
    ));
    assert!(matches!(
        s.get_peer_by_id(i64::MIN).unwrap_err().kind(),
        StorageErrorKind::InvalidValue {
            column: "peers.id",
            ..
        }
    ));
    let mut fleet = PgFleet::connect(&db.url).unwrap();
    let e = fleet.accounts().unwrap_err();
    assert!(e.to_string().contains("#k: "), "{e}");
    drop(s);
    let e = PgStorage::open(&db.url, "held", &options("t")).unwrap_err();
    let shown = e.to_string();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseHeld { .. }),
        "{e:?}"
    );
    assert!(
        !shown.contains('\n') && !shown.contains('\u{1b}'),
        "{shown}"
    );
    assert!(shown.len() < 600, "{} bytes", shown.len());
    let e = PgStorage::open(&db.url, "top", &options("t")).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::Postgres { sqlstate: Some(code), .. } if code == "22003"),
        "{e:?}"
    );
    c.batch_execute("ALTER TABLE pyrosession_sessions ALTER COLUMN user_id TYPE text")
        .unwrap();
    let s = PgStorage::open(&db.url, "fresh", &options("t")).unwrap();
    let e = s.session().unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::InvalidValue { column: "pyrosession_sessions.user_id", found, .. } if found == "NULL" || found.contains("text")),
        "{e:?}"
    );
}

/// `PgFleet::open_session` takes leases on its pool's connections: a closed storage hands its
/// connection back, the next open reuses it (no new backend), its lease is fenced as `open`'s,
/// and a lease held elsewhere is `LeaseHeld` with the connection kept.
#[test]
fn fleet_sessions_reuse_the_pool_and_are_fenced() {
    let Some(url) = url() else { return };
    let label = unique("pool");
    // The fleet's connections carry a name of their own: the other tests, running at the same
    // time on the same database, open and close connections named `pyrosession`.
    let app = label.replace('-', "_");
    let fleet = PgFleet::connect(&named_url(&url, &app)).unwrap();
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let backends = |side: &mut postgres::Client| -> i64 {
        side.query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0)
    };
    let first = fleet
        .open_session(&format!("{label}-0"), &options("w:1"))
        .unwrap();
    let mut last_token = first.lease().token;
    first.close().unwrap();
    assert_eq!(fleet.idle_connections(), 1);
    let before = backends(&mut side);
    assert!(before >= 1, "the fleet's connections are not named {app}");
    for i in 0..20 {
        let mut s = fleet
            .open_session(&format!("{label}-{}", i % 3), &options("w:1"))
            .unwrap();
        assert_eq!(fleet.idle_connections(), 0);
        assert!(s.lease().token > last_token);
        last_token = s.lease().token;
        s.update_peers(&[peer(i, Some(i), PeerType::User, None, None)])
            .unwrap();
        s.close().unwrap();
        assert_eq!(fleet.idle_connections(), 1);
    }
    assert_eq!(
        backends(&mut side),
        before,
        "open_session made new connections"
    );

    // Fenced as open's: an expired lease passes on, the old holder's writes are refused.
    let name = format!("{label}-fenced");
    let short = LeaseOptions {
        holder: "old:1".into(),
        ttl: Duration::from_secs(1),
        wait: Duration::ZERO,
        statement_timeout: None,
    };
    let mut old = fleet.open_session(&name, &short).unwrap();
    old.stop_renewal();
    let held = fleet.open_session(&name, &options("new:2")).unwrap_err();
    assert!(
        matches!(held.kind(), StorageErrorKind::LeaseHeld { .. }),
        "{held}"
    );
    assert_eq!(
        fleet.idle_connections(),
        1,
        "a refused open keeps its connection"
    );
    let waiting = LeaseOptions {
        holder: "new:2".into(),
        ttl: Duration::from_secs(30),
        wait: Duration::from_secs(5),
        statement_timeout: None,
    };
    let mut new = fleet.open_session(&name, &waiting).unwrap();
    assert!(new.lease().token > old.lease().token);
    let e = old
        .update_peers(&[peer(7, Some(7), PeerType::User, None, None)])
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { .. }),
        "{e}"
    );
    assert!(new.get_peer_by_id(7).is_err());
    // The old holder's close releases nothing of the new holder's lease.
    old.close().unwrap();
    new.update_peers(&[peer(8, Some(8), PeerType::User, None, None)])
        .unwrap();
    new.delete().unwrap();
    for i in 0..3 {
        fleet
            .open_session(&format!("{label}-{i}"), &options("w:1"))
            .unwrap()
            .delete()
            .unwrap();
    }
}

/// The fence, the renewal and the release check the take's nonce with its token
/// (spec/postgres.md §5.1, §5.3): where the session's row holds this storage's token under
/// another nonce, as after a take lost in a server crash and a new take given the same token,
/// every write is `LeaseLost` naming the holder of that lease, and nothing is applied.
#[test]
fn a_write_with_the_right_token_and_another_nonce_is_fenced() {
    let Some(url) = url() else { return };
    let name = unique("nonce");
    let mut s = PgStorage::open(&url, &name, &options("first:1")).unwrap();
    s.stop_renewal();
    s.set_dc_id(3).unwrap();
    let token = s.lease().token;
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Another take of the same token: another nonce and holder, the expiry renewed.
    side.execute(
        "UPDATE pyrosession_sessions SET lease_nonce = lease_nonce # 1, lease_holder = 'second:2', \
         lease_expires = clock_timestamp() + interval '1 hour' WHERE name = $1 AND lease_token = $2",
        &[&name, &token],
    )
    .unwrap();
    let e = s.set_dc_id(5).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { token: t, holder: Some(h) } if *t == token && h == "second:2"),
        "{e:?}"
    );
    let key = AuthKey::from_slice(&[7; 256]).unwrap();
    let e = s
        .set_session(&Session {
            dc_id: 4,
            api_id: Some(1),
            test_mode: false,
            auth_key: key,
            user_id: 9,
            is_bot: false,
        })
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { .. }),
        "{e}"
    );
    let e = s
        .update_peers(&[peer(1, Some(1), PeerType::User, None, None)])
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { .. }),
        "{e}"
    );
    assert!(matches!(
        s.renew().unwrap_err().kind(),
        StorageErrorKind::LeaseLost { .. }
    ));
    let fields = s.session().unwrap();
    assert_eq!((fields.dc_id, fields.user_id), (3, None));
    assert!(s.get_peer_by_id(1).is_err());
    // The close releases nothing of the other lease, and the delete deletes nothing.
    s.close().unwrap();
    let row = side
        .query_one(
            "SELECT lease_token, lease_holder FROM pyrosession_sessions WHERE name = $1",
            &[&name],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), token);
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("second:2"));
    side.execute(
        "UPDATE pyrosession_sessions SET lease_expires = clock_timestamp() WHERE name = $1",
        &[&name],
    )
    .unwrap();
    let again = PgStorage::open(&url, &name, &options("third:3")).unwrap();
    side.execute(
        "UPDATE pyrosession_sessions SET lease_nonce = lease_nonce # 1 WHERE name = $1",
        &[&name],
    )
    .unwrap();
    let e = again.delete().unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseLost { .. }),
        "{e}"
    );
    let n: i64 = side
        .query_one(
            "SELECT count(*) FROM pyrosession_sessions WHERE name = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let mut tx = side.transaction().unwrap();
    tx.execute("DELETE FROM pyrosession_sessions WHERE name = $1", &[&name])
        .unwrap();
    tx.execute(DELETE_PEERS, &[&name]).unwrap();
    tx.commit().unwrap();
}

/// The columns of the sessions table as `name type nullable default` lines, in order.
fn session_columns(c: &mut postgres::Client) -> Vec<String> {
    c.query(
        "SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') \
         FROM information_schema.columns WHERE table_name = 'pyrosession_sessions' \
         AND table_schema = current_schema() ORDER BY ordinal_position",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// The peers table's constraints and indexes as `name definition` lines, by name.
fn peers_shape(c: &mut postgres::Client) -> Vec<String> {
    c.query(
        "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint \
         WHERE conrelid = 'pyrosession_peers'::regclass \
         UNION ALL SELECT indexname || ' ' || indexdef FROM pg_catalog.pg_indexes \
         WHERE tablename = 'pyrosession_peers' AND schemaname = current_schema() ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Checks the peers table of the current version, 4 (spec/postgres.md §3.1): no foreign key
/// (version 3), the phone index partial (3), the username index over the session and the
/// username only and the table's pages filled to half (4), the same shape as a new database's,
/// and the triggers that delete a session's peers with its row (3).
fn assert_peers_shape(c: &mut postgres::Client, fresh: &mut postgres::Client) {
    let shape = peers_shape(c);
    assert!(
        !shape.iter().any(|l| l.contains("FOREIGN KEY")),
        "{shape:#?}"
    );
    let phone = shape
        .iter()
        .find(|l| l.starts_with("pyrosession_peers_phone_number "))
        .unwrap();
    assert!(
        phone.ends_with("(session, phone_number, id) WHERE (phone_number IS NOT NULL)"),
        "{phone}"
    );
    let username = shape
        .iter()
        .find(|l| l.starts_with("pyrosession_peers_username "))
        .unwrap();
    assert!(username.ends_with("(session, username)"), "{username}");
    assert_eq!(shape, peers_shape(fresh));
    let options = |c: &mut postgres::Client| -> Option<Vec<String>> {
        c.query_one(
            "SELECT reloptions FROM pg_catalog.pg_class WHERE oid = 'pyrosession_peers'::regclass",
            &[],
        )
        .unwrap()
        .get(0)
    };
    assert_eq!(options(c), Some(vec!["fillfactor=50".to_owned()]));
    assert_eq!(options(c), options(fresh));
    let delete_trigger: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_trigger \
             WHERE tgrelid = 'pyrosession_sessions'::regclass \
             AND tgname = 'pyrosession_sessions_delete_peers' AND tgenabled = 'O'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(delete_trigger, 1, "no trigger deleting a session's peers");
    let truncate_trigger: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_trigger \
             WHERE tgrelid = 'pyrosession_sessions'::regclass \
             AND tgname = 'pyrosession_sessions_truncate_peers' AND tgenabled = 'O'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        truncate_trigger, 1,
        "no trigger emptying the peers on TRUNCATE"
    );
    let version: i32 = c
        .query_one("SELECT number FROM pyrosession_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        i64::from(version),
        pyrosession::storage::postgres::SCHEMA_VERSION
    );
    assert_eq!(version, 4);
}

/// A version 1 database with live rows is migrated in place to version 4 by the first
/// connection (spec/postgres.md §3.2): the sessions, peers and leases are kept (a lease held
/// under version 1 stays held, with nonce 0), the tables are those of a new database (no
/// foreign key, the phone index partial), and the sessions then open, write and pass on as any
/// other.
#[test]
fn a_version_1_database_with_live_rows_is_migrated_to_version_4() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "v1");
    let mut c = db.client();
    c.batch_execute(pyrosession::storage::postgres::SCHEMA_V1)
        .unwrap();
    c.batch_execute(
        "SELECT setval('pyrosession_lease_tokens', 40);
         INSERT INTO pyrosession_sessions (name, dc_id, date, user_id, lease_token, lease_holder, lease_expires)
             VALUES ('held', 4, 17, 99, 40, 'v1:1', clock_timestamp() + interval '1 hour');
         INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token) VALUES ('free', 5, 18, 39);
         INSERT INTO pyrosession_peers VALUES ('free', 1, 11, 'user', 'alice', NULL, 18);
         INSERT INTO pyrosession_peers VALUES ('held', 2, 22, 'bot', NULL, NULL, 17);",
    )
    .unwrap();
    let mut fleet = PgFleet::connect(&db.url).unwrap();
    let fresh = FreshDatabase::new(&url, "v3");
    PgFleet::connect(&fresh.url).unwrap();
    assert_peers_shape(&mut c, &mut fresh.client());
    assert_eq!(
        session_columns(&mut c),
        session_columns(&mut fresh.client())
    );
    let nonces: Vec<i64> = c
        .query(
            "SELECT lease_nonce FROM pyrosession_sessions ORDER BY name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(nonces, [0, 0]);
    let accounts = fleet.accounts().unwrap();
    assert_eq!(accounts.len(), 2);
    let held = accounts.iter().find(|a| a.name == "held").unwrap();
    let lease = held.lease.as_ref().unwrap();
    assert_eq!((lease.token, lease.holder.as_str()), (40, "v1:1"));
    // The version 1 lease is still held; a version 1 holder's fence (without the nonce) still
    // passes.
    let e = PgStorage::open(&db.url, "held", &options("v2:2")).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseHeld { holder, .. } if holder == "v1:1"),
        "{e:?}"
    );
    let n = c
        .execute(
            "UPDATE pyrosession_sessions SET dc_id = 3 WHERE name = 'held' AND lease_token = 40 \
             AND lease_holder IS NOT NULL AND lease_expires > clock_timestamp()",
            &[],
        )
        .unwrap();
    assert_eq!(n, 1);
    // The free session opens with a new token and a nonce, keeps its fields and peers.
    let mut free = PgStorage::open(&db.url, "free", &options("v2:2")).unwrap();
    assert!(free.lease().token > 40);
    let fields = free.session().unwrap();
    assert_eq!((fields.dc_id, fields.date), (5, 18));
    assert_eq!(
        free.get_peer_by_id(1).unwrap(),
        InputPeer::User {
            user_id: 1,
            access_hash: 11
        }
    );
    free.set_dc_id(1).unwrap();
    let nonce: i64 = c
        .query_one(
            "SELECT lease_nonce FROM pyrosession_sessions WHERE name = 'free'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_ne!(nonce, 0);
    free.close().unwrap();
    // The held one passes on when its version 1 lease ends.
    c.batch_execute(
        "UPDATE pyrosession_sessions SET lease_expires = clock_timestamp() WHERE name = 'held'",
    )
    .unwrap();
    let mut held = PgStorage::open(&db.url, "held", &options("v2:2")).unwrap();
    held.set_user_id(Some(100)).unwrap();
    let fields = held.session().unwrap();
    assert_eq!((fields.dc_id, fields.user_id), (3, Some(100)));
    held.close().unwrap();
}

/// Every row of the two tables, as text, in order.
fn all_rows(c: &mut postgres::Client) -> Vec<String> {
    c.query(
        "SELECT s::text FROM pyrosession_sessions s UNION ALL \
         (SELECT p::text FROM pyrosession_peers p ORDER BY session, id)",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// A version 2 database with live rows is migrated in place to version 4 (spec/postgres.md
/// §3.1): its foreign key is dropped whatever its name (renamed here from the default), the
/// phone index becomes partial, every row is kept as it was, a lease held under version 2
/// stays held, the lookups answer from the rows, and deleting a session then removes its
/// peers and no other session's.
#[test]
fn a_version_2_database_with_live_rows_is_migrated_to_version_4() {
    use pyrosession::storage::postgres::{MIGRATE_V1_TO_V2, SCHEMA_V1};
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "v2");
    let mut c = db.client();
    c.batch_execute(SCHEMA_V1).unwrap();
    c.batch_execute(MIGRATE_V1_TO_V2).unwrap();
    c.batch_execute(
        "ALTER TABLE pyrosession_peers RENAME CONSTRAINT pyrosession_peers_session_fkey TO peers_of_a_session;
         SELECT setval('pyrosession_lease_tokens', 40);
         INSERT INTO pyrosession_sessions (name, dc_id, date, user_id, lease_token, lease_holder, lease_expires, lease_nonce)
             VALUES ('held', 4, 17, 99, 40, 'v2:1', clock_timestamp() + interval '1 hour', 7);
         INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token) VALUES ('free', 5, 18, 39);
         INSERT INTO pyrosession_peers VALUES ('free', 1, 11, 'user', 'alice', '100', 1000);
         INSERT INTO pyrosession_peers VALUES ('free', 2, 22, 'bot', 'bob', NULL, 1000);
         INSERT INTO pyrosession_peers VALUES ('free', -3, NULL, 'group', NULL, NULL, 1000);
         INSERT INTO pyrosession_peers VALUES ('held', 1, 33, 'user', 'alice', '100', 1000);",
    )
    .unwrap();
    let before = all_rows(&mut c);
    assert_eq!(before.len(), 6);
    PgFleet::connect(&db.url).unwrap();
    let fresh = FreshDatabase::new(&url, "v3");
    PgFleet::connect(&fresh.url).unwrap();
    assert_peers_shape(&mut c, &mut fresh.client());
    assert_eq!(
        session_columns(&mut c),
        session_columns(&mut fresh.client())
    );
    assert_eq!(all_rows(&mut c), before);
    let e = PgStorage::open(&db.url, "held", &options("v3:2")).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseHeld { holder, .. } if holder == "v2:1"),
        "{e:?}"
    );
    let mut free = PgStorage::open(&db.url, "free", &options("v3:2")).unwrap();
    free.set_clock(Arc::new(ManualClock::new(1001)));
    let alice = InputPeer::User {
        user_id: 1,
        access_hash: 11,
    };
    assert_eq!(free.get_peer_by_phone_number("100").unwrap(), alice);
    assert_eq!(free.get_peer_by_username("alice").unwrap(), alice);
    assert_eq!(
        free.get_peer_by_username("bob").unwrap(),
        InputPeer::User {
            user_id: 2,
            access_hash: 22
        }
    );
    assert_eq!(
        free.get_peer_by_id(-3).unwrap(),
        InputPeer::Chat { chat_id: 3 }
    );
    assert!(matches!(
        free.get_peer_by_phone_number("200").unwrap_err().kind(),
        StorageErrorKind::NotFound(NotFound::PhoneNumber(_))
    ));
    free.update_peers(&[peer(4, Some(44), PeerType::User, None, Some("400"))])
        .unwrap();
    assert_eq!(
        free.get_peer_by_phone_number("400").unwrap(),
        InputPeer::User {
            user_id: 4,
            access_hash: 44
        }
    );
    free.delete().unwrap();
    let left: Vec<String> = c
        .query(
            "SELECT session || ' ' || id FROM pyrosession_peers ORDER BY session, id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["held 1"]);
}

/// A version 3 database with live rows is migrated in place to version 4 (spec/postgres.md
/// §3.1): the username index is rebuilt over the session and the username, the table's pages
/// are filled to half from then on, every row is kept, and the username lookup still answers
/// the newest row (the lowest id on a tie) from the new index.
#[test]
fn a_version_3_database_with_live_rows_is_migrated_to_version_4() {
    use pyrosession::storage::postgres::{MIGRATE_V1_TO_V2, MIGRATE_V2_TO_V3, SCHEMA_V1};
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "v3");
    let mut c = db.client();
    for step in [SCHEMA_V1, MIGRATE_V1_TO_V2, MIGRATE_V2_TO_V3] {
        c.batch_execute(step).unwrap();
    }
    c.batch_execute(
        "INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token) VALUES ('s', 2, 18, 3);
         INSERT INTO pyrosession_peers VALUES ('s', 1, 11, 'user', 'alice', '100', 1000);
         INSERT INTO pyrosession_peers VALUES ('s', 2, 22, 'user', 'alice', NULL, 1005);
         INSERT INTO pyrosession_peers VALUES ('s', 3, 33, 'bot', 'bob', NULL, 1000);
         INSERT INTO pyrosession_peers VALUES ('s', 4, 44, 'user', 'bob', NULL, 1000);",
    )
    .unwrap();
    let before = all_rows(&mut c);
    PgFleet::connect(&db.url).unwrap();
    let fresh = FreshDatabase::new(&url, "v4");
    PgFleet::connect(&fresh.url).unwrap();
    assert_peers_shape(&mut c, &mut fresh.client());
    assert_eq!(all_rows(&mut c), before);
    let mut s = PgStorage::open(&db.url, "s", &options("v4:1")).unwrap();
    s.set_clock(Arc::new(ManualClock::new(1010)));
    assert_eq!(
        s.get_peer_by_username("alice").unwrap(),
        InputPeer::User {
            user_id: 2,
            access_hash: 22
        }
    );
    assert_eq!(
        s.get_peer_by_username("bob").unwrap(),
        InputPeer::User {
            user_id: 3,
            access_hash: 33
        }
    );
    s.close().unwrap();
}

/// A batch that replaces peers whose username and phone number are unchanged updates every
/// row in place (spec/postgres.md §3.1, version 4): PostgreSQL counts each update as a
/// heap-only tuple, which writes no index entry. Version 3's username index held
/// `last_update_on`, which every replacement changes, so none was (0 of 300); with the index
/// of version 4 but the pages filled whole, 6 of 300 were, where a page happened to have room.
#[test]
fn replacing_peers_with_the_same_keys_writes_no_index_entry() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "hot");
    let clock = Arc::new(ManualClock::new(1000));
    let mut s = PgStorage::open(&db.url, "h", &options("hot:1")).unwrap();
    s.set_clock(clock.clone());
    let batch = |g: i64| -> Vec<Peer> {
        (1..=300)
            .map(|i| {
                let username = format!("user{i}");
                let phone = (i % 3 == 0).then(|| format!("1555000{i:04}"));
                peer(
                    i,
                    Some(i + g),
                    PeerType::User,
                    Some(&username),
                    phone.as_deref(),
                )
            })
            .collect()
    };
    for chunk in batch(0).chunks(100) {
        s.update_peers(chunk).unwrap();
    }
    clock.advance(60);
    for chunk in batch(1).chunks(100) {
        s.update_peers(chunk).unwrap();
    }
    assert_eq!(
        s.get_peer_by_username("user7").unwrap(),
        InputPeer::User {
            user_id: 7,
            access_hash: 8
        }
    );
    assert_eq!(
        s.get_peer_by_phone_number("15550000009").unwrap(),
        InputPeer::User {
            user_id: 9,
            access_hash: 10
        }
    );
    // The storage's backend reports its counts when its connection ends.
    s.close().unwrap();
    let counts = server_counters(
        &mut db.client(),
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'pyrosession_peers'",
        |c| c[0] >= 300,
    );
    assert_eq!(counts, [300, 300], "(updates, heap-only updates)");
}

/// The lookups by phone number and by username use their indexes, the phone index being
/// partial (`WHERE phone_number IS NOT NULL`, which `phone_number = $2` implies), in the
/// generic plan of a prepared statement (the engine prepares its lookups once), on a table of
/// 40,000 peers in two sessions, one in ten with a phone number.
#[test]
fn the_lookups_by_phone_and_username_use_their_indexes() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "plans");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO pyrosession_sessions (name, dc_id, date) VALUES ('a', 2, 0), ('b', 2, 0);
         INSERT INTO pyrosession_peers
             SELECT s, i, i, 'user', CASE WHEN i % 5 > 0 THEN 'u' || i END,
                    CASE WHEN i % 10 = 0 THEN '1555' || i END, 1000
             FROM unnest(ARRAY['a', 'b']) AS s, generate_series(1, 20000) AS i;
         ANALYZE pyrosession_peers;
         SET plan_cache_mode TO force_generic_plan;",
    )
    .unwrap();
    let plan = |c: &mut postgres::Client, sql: &str, key: &str| -> String {
        c.batch_execute(&format!("DEALLOCATE ALL; PREPARE q(text, text) AS {sql}"))
            .unwrap();
        let lines: Vec<String> = c
            .query(&format!("EXPLAIN EXECUTE q('a', '{key}')"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        lines.join("\n")
    };
    let phone = plan(
        &mut c,
        "SELECT id, access_hash, type FROM pyrosession_peers WHERE session = $1 AND phone_number = $2 ORDER BY id LIMIT 1",
        "15551230",
    );
    assert!(
        phone.contains("using pyrosession_peers_phone_number"),
        "{phone}"
    );
    let username = plan(
        &mut c,
        "SELECT id, access_hash, type, last_update_on FROM pyrosession_peers WHERE session = $1 AND username = $2 ORDER BY last_update_on DESC, id LIMIT 1",
        "u1234",
    );
    assert!(
        username.contains("using pyrosession_peers_username"),
        "{username}"
    );
    // And the engine answers from them.
    let mut s = PgStorage::open(&db.url, "a", &options("t")).unwrap();
    s.set_clock(Arc::new(ManualClock::new(1000)));
    let user = |id| InputPeer::User {
        user_id: id,
        access_hash: id,
    };
    for _ in 0..8 {
        assert_eq!(s.get_peer_by_phone_number("15551230").unwrap(), user(1230));
        assert_eq!(s.get_peer_by_username("u1234").unwrap(), user(1234));
    }
    s.close().unwrap();
}

/// A fenced upsert and a deletion of its session at once leave no peer without its session
/// (spec/postgres.md §4.4): the upsert locks the session's row (`FOR SHARE`) and is stalled
/// inside its INSERT by a trigger; the deletion, in the order the engine's `delete` uses
/// (the session's row, then its peers, in one transaction), waits for the upsert to commit
/// and then removes its rows. The control, the other order with version 3's delete trigger
/// disabled, leaves the upsert's row behind: the two do overlap. With the trigger, which
/// deletes a session's peers after its row, the other order leaves none either.
#[test]
fn a_fenced_upsert_and_a_deletion_at_once_leave_no_orphan_peers() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "orphans");
    let mut side = db.client();
    let orphans = |c: &mut postgres::Client, name: &str| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pyrosession_peers p WHERE p.session = $1 AND NOT EXISTS \
             (SELECT 1 FROM pyrosession_sessions s WHERE s.name = p.session)",
            &[&name],
        )
        .unwrap()
        .get(0)
    };
    let mut race = |name: &str, session_first: bool, trigger: bool| -> i64 {
        let mut s = PgStorage::open(&db.url, name, &options("t")).unwrap();
        side.batch_execute(&format!(
            "ALTER TABLE pyrosession_sessions {} TRIGGER pyrosession_sessions_delete_peers",
            if trigger { "ENABLE" } else { "DISABLE" }
        ))
        .unwrap();
        s.update_peers(&[peer(1, Some(1), PeerType::User, Some("one"), None)])
            .unwrap();
        side.batch_execute(
            "CREATE OR REPLACE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$;
             CREATE TRIGGER stall BEFORE INSERT ON pyrosession_peers
                 FOR EACH ROW EXECUTE FUNCTION stall();",
        )
        .unwrap();
        let upsert = std::thread::spawn(move || {
            let r = s.update_peers(&[peer(2, Some(2), PeerType::User, Some("two"), None)]);
            (s, r)
        });
        // The upsert is past its fence and asleep in the trigger.
        let start = Instant::now();
        loop {
            let asleep: i64 = side
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event = 'PgSleep'",
                    &[],
                )
                .unwrap()
                .get(0);
            if asleep == 1 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no stalled upsert"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut tx = side.transaction().unwrap();
        let sessions = "DELETE FROM pyrosession_sessions WHERE name = $1";
        let order = if session_first {
            [sessions, DELETE_PEERS]
        } else {
            [DELETE_PEERS, sessions]
        };
        for sql in order {
            tx.execute(sql, &[&name]).unwrap();
        }
        tx.commit().unwrap();
        let (s, upserted) = upsert.join().unwrap();
        upserted.unwrap();
        drop(s);
        side.batch_execute("DROP TRIGGER stall ON pyrosession_peers")
            .unwrap();
        orphans(&mut side, name)
    };
    assert_eq!(race("session-first", true, false), 0);
    assert_eq!(
        race("peers-first", false, false),
        1,
        "the control did not overlap"
    );
    assert_eq!(race("peers-first-trigger", false, true), 0);
    assert_eq!(race("session-first-trigger", true, true), 0);
}

/// A lease whose expiry another program set to `infinity` (or `-infinity`): PostgreSQL cannot
/// subtract an infinite timestamp, and the time left was computed that way, so `fleet ls` failed
/// whole (`22008`, `cannot subtract infinite timestamps`) and an opener got that error rather
/// than `LeaseHeld` (spec/postgres.md §5.1, §6).
#[test]
fn a_lease_that_never_expires_is_held_and_listed() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "infinite");
    PgFleet::connect(&db.url).unwrap();
    db.client()
        .batch_execute(
            "INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token, lease_holder, lease_expires)
                 VALUES ('forever', 2, 0, 3, 'dba:1', 'infinity'), ('never', 2, 0, 4, 'dba:2', '-infinity')",
        )
        .unwrap();
    let mut fleet = PgFleet::connect(&db.url).unwrap();
    let accounts = fleet.accounts().unwrap();
    let forever = accounts.iter().find(|a| a.name == "forever").unwrap();
    let lease = forever.lease.as_ref().expect("the lease is held");
    assert_eq!(lease.holder, "dba:1");
    assert!(
        lease.expires_in > Duration::from_secs(86_400 * 365 * 1000),
        "{lease:?}"
    );
    let never = accounts.iter().find(|a| a.name == "never").unwrap();
    assert_eq!(never.lease, None);
    let e = PgStorage::open(&db.url, "forever", &options("t")).unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::LeaseHeld { holder, expires_in, .. }
            if holder == "dba:1" && *expires_in > Duration::from_secs(86_400 * 365 * 1000)),
        "{e:?}"
    );
    let s = PgStorage::open(&db.url, "never", &options("t")).unwrap();
    assert!(s.lease().token > 4);
    s.close().unwrap();
}

/// Text that does not compress: letters from a fixed pseudo-random sequence.
fn incompressible(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + u8::try_from(x % 26).unwrap())
        })
        .collect()
}

/// A username or phone number longer than the engine stores (`MAX_TEXT_BYTES`) is
/// `TextTooLong` naming the column, its length and the limit, before anything is written;
/// before the limit, a 10 MB username reached the server and failed as `Postgres` (`54000`,
/// the index row size), and whether a few kilobytes did depended on how they compressed.
/// At the limit, with the longest session name, it is stored and found (spec/postgres.md §7).
#[test]
fn texts_longer_than_the_engine_stores_are_refused_by_length() {
    use pyrosession::storage::postgres::MAX_TEXT_BYTES;
    let Some(url) = url() else { return };
    let name = format!("{}-{}", unique("long"), "n".repeat(255));
    let name = &name[..255];
    let mut s = PgStorage::open(&url, name, &options("t")).unwrap();
    let huge = incompressible(10 << 20, 7);
    for (p, column) in [
        (
            peer(1, Some(1), PeerType::User, Some(&huge), None),
            "pyrosession_peers.username",
        ),
        (
            peer(1, Some(1), PeerType::User, None, Some(&huge)),
            "pyrosession_peers.phone_number",
        ),
    ] {
        let e = s
            .update_peers(&[peer(2, Some(2), PeerType::User, None, None), p])
            .unwrap_err();
        assert!(
            matches!(e.kind(), StorageErrorKind::TextTooLong { column: c, bytes, max }
                if *c == column && *bytes == 10 << 20 && *max == MAX_TEXT_BYTES),
            "{e:?}"
        );
        assert_eq!(
            e.kind().to_string(),
            format!("not written: {column} would hold 10485760 bytes, more than the 2048 this engine stores")
        );
    }
    assert!(s.get_peer_by_id(2).is_err(), "a refused batch wrote a peer");
    let longest = incompressible(MAX_TEXT_BYTES, 11);
    s.update_peers(&[peer(
        3,
        Some(3),
        PeerType::User,
        Some(&longest),
        Some(&longest),
    )])
    .unwrap();
    assert!(s.get_peer_by_username(&longest).is_ok());
    assert!(s.get_peer_by_phone_number(&longest).is_ok());
    s.delete().unwrap();
    let mut fleet = PgFleet::connect(&url).unwrap();
    let e = fleet
        .import(
            &unique("long-import"),
            &empty_fields(),
            &[peer(1, Some(1), PeerType::User, Some(&huge), None)],
        )
        .unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::TextTooLong { .. }),
        "{e:?}"
    );
}

/// A `search_path` whose first schema is not the one holding the engine's tables: the engine
/// read and created its tables in `current_schema()` alone, so with `shared, public` (the tables
/// in `public`, `shared` a schema another user can create in) it created a second, empty set of
/// tables in `shared`, and used whatever tables someone had put there: PostgreSQL's classic
/// `search_path` shadowing, keys written to another user's tables. Tables found in more than one
/// schema of the path, or in another schema than the first, are now `InconsistentSchema`, and
/// nothing is created (spec/postgres.md §3.2).
#[test]
fn tables_in_another_schema_of_the_search_path_are_refused() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "shadow");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute(&format!(
        "CREATE SCHEMA shared; ALTER DATABASE {} SET search_path = shared, public",
        db.name
    ))
    .unwrap();
    let in_shared = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shared'",
            &[],
        )
        .unwrap()
        .get(0)
    };
    let expected = "inconsistent schema: the search_path finds pyrosession's tables in schema \
                    \"public\", not in its first schema \"shared\", where they would be read and \
                    created; set the search_path to the schema that holds them";
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    let e = PgStorage::open(&db.url, "s", &options("t")).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    assert_eq!(
        in_shared(&mut c),
        0,
        "tables were created in the first schema"
    );
    // Someone put a table of the engine's names there: it would shadow public's.
    c.batch_execute("CREATE TABLE shared.pyrosession_version (number integer); INSERT INTO shared.pyrosession_version VALUES (4)")
        .unwrap();
    let e = PgStorage::open(&db.url, "s", &options("t")).unwrap_err();
    assert_eq!(
        e.kind().to_string(),
        "inconsistent schema: the search_path finds pyrosession's tables in more than one schema \
         (\"shared\", \"public\"): the first one's would shadow the others'; set the search_path \
         to the schema that holds them",
        "{e:?}"
    );
    // The path to public alone works as before.
    c.batch_execute(&format!(
        "ALTER DATABASE {} SET search_path = public",
        db.name
    ))
    .unwrap();
    let s = PgStorage::open(&db.url, "s", &options("t")).unwrap();
    s.close().unwrap();
}

/// Tables of the engine without their version table (dropped by hand, or made by another
/// program): the engine took the database for a new one and its creation failed as `Postgres`
/// (`42P07`, `relation "pyrosession_sessions" already exists`); it is now `InconsistentSchema`
/// saying what is missing, and nothing is created (spec/postgres.md §3.2).
#[test]
fn tables_without_their_version_table_are_refused() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "noversion");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute("DROP TABLE pyrosession_version").unwrap();
    let expected = "inconsistent schema: schema \"public\" holds pyrosession's tables but no \
                    pyrosession_version table; restore it with the version the tables are at";
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    let e = PgStorage::open(&db.url, "s", &options("t")).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'pyrosession_version'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}

/// A lease whose token or nonce another program set to NULL (the column's `NOT NULL` dropped):
/// the opener's error was `Postgres` (`reading the lease`, `error deserializing column 1`),
/// naming neither the column nor what it held; it is now `InvalidValue` naming both
/// (spec/postgres.md §5.1).
#[test]
fn a_lease_column_holding_null_is_named() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "nullnonce");
    PgFleet::connect(&db.url).unwrap();
    db.client()
        .batch_execute(
            "ALTER TABLE pyrosession_sessions ALTER COLUMN lease_nonce DROP NOT NULL;
             INSERT INTO pyrosession_sessions (name, dc_id, date, lease_token, lease_nonce, lease_holder, lease_expires)
                 VALUES ('n', 2, 0, 3, NULL, 'dba:1', now() + interval '1 hour')",
        )
        .unwrap();
    let e = PgStorage::open(&db.url, "n", &options("t")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}#n: pyrosession_sessions.lease_nonce holds NULL, expected a bigint",
            db.url
        ),
        "{e:?}"
    );
}

/// Two rows of one name, the primary key dropped by another program: reading the session was
/// `Postgres` (`query returned an unexpected number of rows`); it is `SessionRows` with the
/// count, naming the session (spec/postgres.md §4.1).
#[test]
fn two_rows_of_one_session_are_counted() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "tworows");
    PgFleet::connect(&db.url).unwrap();
    db.client()
        .batch_execute(
            "ALTER TABLE pyrosession_sessions DROP CONSTRAINT pyrosession_sessions_pkey;
             INSERT INTO pyrosession_sessions (name, dc_id, date) VALUES ('a', 2, 0), ('a', 3, 0)",
        )
        .unwrap();
    let e = PgFleet::connect(&db.url).unwrap().read("a").unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::SessionRows { found: 2 }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("{}#a: the sessions table holds 2 rows, not 1", db.url)
    );
}

/// A search path listing a schema before `pg_catalog` (`public, pg_catalog`): functions and
/// operators the engine calls by their bare names (`clock_timestamp`, `nextval`, `=`) would be
/// looked up in that schema first, so whoever may create in it would run code in the engine's
/// statements. The engine connected and ran them; it is now `InconsistentSchema` (spec/postgres.md
/// §3.2), and the functions planted there (which PostgreSQL calls in place of its own on that
/// path) are never called, not even by the check, which reads the path in a statement of its
/// own (its first form called the planted `current_schema()`).
#[test]
fn a_schema_before_the_catalog_in_the_search_path_is_refused() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "catalog");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute(&format!(
        "CREATE TABLE planted (called text);
         CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql
             AS $$ INSERT INTO planted VALUES ('called') RETURNING now() $$;
         CREATE FUNCTION public.current_schema() RETURNS name LANGUAGE sql
             AS $$ INSERT INTO planted VALUES ('called') RETURNING 'public'::name $$;
         ALTER DATABASE {} SET search_path = public, pg_catalog",
        db.name
    ))
    .unwrap();
    let expected = "inconsistent schema: the search_path lists schema \"public\" before \
                    pg_catalog, so its functions and operators would be called in place of \
                    PostgreSQL's own; list pg_catalog first, or leave it out";
    let e = PgFleet::connect(&db.url).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    let e = PgStorage::open(&db.url, "s", &options("t")).unwrap_err();
    assert_eq!(e.kind().to_string(), expected, "{e:?}");
    let called: i64 = c
        .query_one("SELECT count(*) FROM planted", &[])
        .unwrap()
        .get(0);
    assert_eq!(called, 0, "the planted function ran");
    // pg_catalog left out, so searched first: opens.
    c.batch_execute(&format!(
        "ALTER DATABASE {} SET search_path = \"$user\", public",
        db.name
    ))
    .unwrap();
    PgStorage::open(&db.url, "s", &options("t"))
        .unwrap()
        .close()
        .unwrap();
}

/// Server settings an administrator may set for the database: those about how values are
/// written as text (`DateStyle`, `IntervalStyle`, `TimeZone`, `extra_float_digits`,
/// `standard_conforming_strings`, `bytea_output`), the isolation level and the replication role
/// change nothing the engine does (it reads and writes binary values and computes times as
/// epochs); `default_transaction_read_only` is a `Postgres` error with its SQLSTATE, not a panic
/// (spec/postgres.md §2).
#[test]
fn server_settings_change_nothing_or_are_typed_errors() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "settings");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    let set = |c: &mut postgres::Client, setting: &str| {
        c.batch_execute(&format!(
            "ALTER DATABASE {} RESET ALL; ALTER DATABASE {} SET {setting}",
            db.name, db.name
        ))
        .unwrap();
    };
    for (i, setting) in [
        "DateStyle = 'SQL, DMY'",
        "IntervalStyle = 'iso_8601'",
        "TimeZone = 'Pacific/Chatham'",
        "extra_float_digits = -15",
        "standard_conforming_strings = off",
        "bytea_output = 'escape'",
        "default_transaction_isolation = 'serializable'",
        "session_replication_role = replica",
    ]
    .into_iter()
    .enumerate()
    {
        set(&mut c, setting);
        let name = format!("s{i}");
        let mut s = PgStorage::open(&db.url, &name, &options("t")).unwrap();
        let lease = s.lease();
        assert!(
            lease.expires_in > Duration::from_secs(25)
                && lease.expires_in <= Duration::from_secs(30),
            "{setting}: {lease:?}"
        );
        s.set_auth_key(Some(&AuthKey::from_slice(&[7; 256]).unwrap()))
            .unwrap();
        s.update_peers(&[peer(5, Some(-1), PeerType::User, Some("ü"), Some("+1"))])
            .unwrap();
        assert!(s.get_peer_by_username("ü").is_ok(), "{setting}");
        let held = PgStorage::open(&db.url, &name, &options("u")).unwrap_err();
        assert!(
            matches!(held.kind(), StorageErrorKind::LeaseHeld { expires_in, .. } if *expires_in > Duration::from_secs(25)),
            "{setting}: {held:?}"
        );
        s.close().unwrap();
        let (fields, peers) = PgFleet::connect(&db.url).unwrap().read(&name).unwrap();
        assert_eq!(fields.auth_key.unwrap().as_bytes(), &[7; 256], "{setting}");
        assert_eq!(peers.len(), 1, "{setting}");
    }
    set(&mut c, "default_transaction_read_only = on");
    let e = PgStorage::open(&db.url, "s0", &options("t")).unwrap_err();
    assert_eq!(
        e.kind().to_string(),
        "postgresql error while taking the lease: cannot execute INSERT in a read-only \
         transaction (SQLSTATE 25006)"
    );
}

/// A database in `SQL_ASCII`, whose text columns hold any bytes: a username another program
/// wrote that is not UTF-8 makes the statements that read it `Postgres` (`22021`, the server
/// refusing to send it as UTF-8), and nothing else; the account's neighbours read as usual
/// (spec/postgres.md §7).
#[test]
fn text_that_is_not_utf8_in_an_sql_ascii_database_is_a_typed_error() {
    let Some(url) = url() else { return };
    let name = unique("ascii").replace('-', "_");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        ))
        .unwrap();
    let db = FreshDatabase {
        admin: url.clone(),
        url: format!(
            "{}/{name}",
            url.split('?').next().unwrap().rsplit_once('/').unwrap().0
        ),
        name,
    };
    let mut fleet = PgFleet::connect(&db.url).unwrap();
    fleet
        .import(
            "good",
            &empty_fields(),
            &[peer(1, Some(1), PeerType::User, Some("ü"), None)],
        )
        .unwrap();
    fleet.import("bad", &empty_fields(), &[]).unwrap();
    db.client()
        .batch_execute(
            "INSERT INTO pyrosession_peers VALUES ('bad', 2, 2, 'user', convert_from('\\x61ff62'::bytea, 'SQL_ASCII'), NULL, 0)",
        )
        .unwrap();
    let e = fleet.read("bad").unwrap_err();
    assert!(
        matches!(e.kind(), StorageErrorKind::Postgres { sqlstate: Some(code), .. } if code == "22021"),
        "{e:?}"
    );
    assert_eq!(fleet.read("good").unwrap().1.len(), 1);
    assert_eq!(fleet.accounts().unwrap().len(), 2);
    let s = PgStorage::open(&db.url, "good", &options("t")).unwrap();
    assert!(s.get_peer_by_username("ü").is_ok());
    s.close().unwrap();
}

/// A function another user may create in the engine's schema with argument types that fit a
/// call better than `pg_catalog`'s: `public.nextval(text)` is what PostgreSQL picks for a bare
/// `nextval('pyrosession_lease_tokens')` (an unknown literal prefers text), whatever the path's
/// order, so a planted one ran in every take and chose the lease's token (CVE-2018-1058's
/// pattern). The engine's calls with arguments are qualified with `pg_catalog`; a planted
/// `public.unnest(bigint[])` is not called by the upsert's several-array `unnest`, which is
/// PostgreSQL's own syntax (spec/postgres.md §3.2).
#[test]
fn a_function_planted_beside_the_tables_is_never_called() {
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "planted");
    PgFleet::connect(&db.url).unwrap();
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE planted (called text);
         CREATE FUNCTION public.nextval(text) RETURNS bigint LANGUAGE sql
             AS $$ INSERT INTO planted VALUES ('nextval') RETURNING -42::bigint $$;
         CREATE FUNCTION public.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE sql
             AS $$ INSERT INTO planted VALUES ('unnest'); SELECT x FROM pg_catalog.unnest($1) AS x $$;",
    )
    .unwrap();
    let mut s = PgStorage::open(&db.url, "s", &options("t")).unwrap();
    assert!(s.lease().token > 0, "{:?}", s.lease());
    s.update_peers(&[peer(5, Some(6), PeerType::User, Some("u"), None)])
        .unwrap();
    s.renew().unwrap();
    assert!(s.get_peer_by_username("u").is_ok());
    s.close().unwrap();
    let called: Vec<String> = c
        .query("SELECT called FROM planted", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(called.is_empty(), "the planted functions ran: {called:?}");
}

/// The migration from version 2 names its foreign key with `format`, which a `public.format(text,
/// name)` planted beside the tables fits better than `pg_catalog.format(text, VARIADIC "any")`:
/// it ran in the migration, as its role, and returned the statement to run. The step calls
/// `pg_catalog.format` (spec/postgres.md §3.1).
#[test]
fn a_function_planted_before_a_migration_is_never_called() {
    use pyrosession::storage::postgres::{MIGRATE_V1_TO_V2, SCHEMA_V1};
    let Some(url) = url() else { return };
    let db = FreshDatabase::new(&url, "plantedmig");
    let mut c = db.client();
    c.batch_execute(SCHEMA_V1).unwrap();
    c.batch_execute(MIGRATE_V1_TO_V2).unwrap();
    c.batch_execute(
        "CREATE TABLE planted (called text);
         CREATE FUNCTION public.format(text, name) RETURNS text LANGUAGE sql
             AS $$ INSERT INTO planted VALUES ('format'); SELECT 'SELECT 1'::text $$;",
    )
    .unwrap();
    PgFleet::connect(&db.url).unwrap();
    let called: i64 = c
        .query_one("SELECT count(*) FROM planted", &[])
        .unwrap()
        .get(0);
    assert_eq!(called, 0, "the planted format ran");
    let keys: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'pyrosession_peers'::regclass AND contype = 'f'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(keys, 0, "the foreign key was kept");
}
