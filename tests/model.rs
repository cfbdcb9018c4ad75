//! Model-based test (spec/storage.md §10): random sequences of operations applied to the memory
//! engine, the file engine and a plain in-memory model give identical observations; with
//! `PYROSESSION_PG_URL` set, the PostgreSQL engine too (spec/postgres.md §9).

mod util;

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use pyrosession::peer::{InputPeer, Peer, PeerType};
use pyrosession::storage::{
    ManualClock, SessionFields, SessionStore, Storage, StorageError, StorageErrorKind, USERNAME_TTL,
};
use pyrosession::{AuthKey, Session};
use util::TempDir;

#[derive(Clone, Debug)]
enum Field {
    DcId(i64),
    ApiId(Option<i64>),
    TestMode(Option<bool>),
    AuthKey(Option<u8>),
    UserId(Option<i64>),
    IsBot(Option<bool>),
}

#[derive(Clone, Debug)]
enum Op {
    Set(Field),
    UpdatePeers(Vec<Peer>),
    ById(i64),
    ByUsername(String),
    ByPhone(String),
    Save,
    Reopen,
    Clock(i64),
    Export,
    Import(u8),
}

const IDS: [i64; 6] = [1, 2, 777, -5, -1_001_234_567_890, -1_002_000_000_001];
const NAMES: [&str; 3] = ["a", "b", "c"];
const PHONES: [&str; 3] = ["100", "200", "300"];

fn peer() -> impl Strategy<Value = Peer> {
    (
        prop::sample::select(IDS.to_vec()),
        // Few access hashes, so that a peer is often cached again unchanged (the refresh path).
        prop::option::weighted(0.95, prop::sample::select(vec![1_i64, -2, i64::MAX])),
        prop::sample::select(PeerType::ALL[..5].to_vec()),
        prop::option::of(prop::sample::select(NAMES.to_vec())),
        prop::option::of(prop::sample::select(PHONES.to_vec())),
    )
        .prop_map(|(id, access_hash, peer_type, username, phone)| Peer {
            id,
            access_hash,
            peer_type,
            username: username.map(Into::into),
            phone_number: phone.map(Into::into),
        })
}

/// A batch in which no username or phone number appears twice: rows written in one batch share
/// one `last_update_on`, and which of two equal rows a lookup returns is then SQLite's choice.
fn batch() -> impl Strategy<Value = Vec<Peer>> {
    prop::collection::vec(peer(), 0..6).prop_map(|mut peers| {
        let (mut names, mut phones) = (Vec::new(), Vec::new());
        for p in &mut peers {
            if let Some(u) = &p.username {
                if names.contains(u) {
                    p.username = None;
                } else {
                    names.push(u.clone());
                }
            }
            if let Some(ph) = &p.phone_number {
                if phones.contains(ph) {
                    p.phone_number = None;
                } else {
                    phones.push(ph.clone());
                }
            }
        }
        peers
    })
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        (0i64..300).prop_map(Field::DcId),
        prop::option::of(prop_oneof![0i64..100_000, Just(1 << 32), Just(-1)])
            .prop_map(Field::ApiId),
        prop::option::of(any::<bool>()).prop_map(Field::TestMode),
        prop::option::of(any::<u8>()).prop_map(Field::AuthKey),
        prop::option::of(prop_oneof![1i64..10_000_000_000, Just(-7), Just(0)])
            .prop_map(Field::UserId),
        prop::option::of(any::<bool>()).prop_map(Field::IsBot),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => field().prop_map(Op::Set),
        3 => batch().prop_map(Op::UpdatePeers),
        2 => prop::sample::select(IDS.to_vec()).prop_map(Op::ById),
        2 => prop::sample::select(NAMES.to_vec()).prop_map(|n| Op::ByUsername(n.into())),
        1 => prop::sample::select(PHONES.to_vec()).prop_map(|p| Op::ByPhone(p.into())),
        1 => Just(Op::Save),
        1 => Just(Op::Reopen),
        2 => prop_oneof![Just(1i64), Just(USERNAME_TTL), Just(USERNAME_TTL + 1), Just(-2 * USERNAME_TTL), 0i64..100_000].prop_map(Op::Clock),
        1 => Just(Op::Export),
        1 => any::<u8>().prop_map(Op::Import),
    ]
}

fn key(seed: u8) -> AuthKey {
    AuthKey::new([seed; 256])
}

/// The plain model: the session row and a map of peers with their write times.
#[derive(Debug)]
struct Model {
    fields: SessionFields,
    peers: BTreeMap<i64, (Peer, i64)>,
    now: i64,
}

/// What an operation shows: comparable across the three.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Nothing,
    Peer(Result<InputPeer, String>),
    Export(Result<String, String>),
}

fn kind(e: &StorageError) -> String {
    match e.kind() {
        StorageErrorKind::NotFound(_) => "not found".into(),
        StorageErrorKind::UsernameExpired { .. } => "expired".into(),
        StorageErrorKind::MissingAccessHash { .. } => "no access hash".into(),
        StorageErrorKind::MissingField { field } => format!("missing {field}"),
        StorageErrorKind::FieldOutOfRange { field, .. } => format!("range {field}"),
        other => format!("unexpected: {other}"),
    }
}

fn input_peer(p: &Peer) -> Result<InputPeer, String> {
    let hash = p.access_hash.ok_or_else(|| "no access hash".to_owned());
    Ok(match p.peer_type {
        PeerType::User | PeerType::Bot => InputPeer::User {
            user_id: p.id,
            access_hash: hash?,
        },
        PeerType::Group => InputPeer::Chat { chat_id: -p.id },
        _ => InputPeer::Channel {
            channel_id: -1_000_000_000_000 - p.id,
            access_hash: hash?,
        },
    })
}

impl Model {
    fn new(now: i64) -> Model {
        Model {
            fields: SessionFields {
                dc_id: 2,
                api_id: None,
                test_mode: None,
                auth_key: None,
                date: 0,
                user_id: None,
                is_bot: None,
                server_address: None,
                port: None,
            },
            peers: BTreeMap::new(),
            now,
        }
    }

    fn apply(&mut self, op: &Op) -> Seen {
        let f = &mut self.fields;
        match op {
            Op::Set(Field::DcId(v)) => f.dc_id = *v,
            Op::Set(Field::ApiId(v)) => f.api_id = *v,
            Op::Set(Field::TestMode(v)) => f.test_mode = *v,
            Op::Set(Field::AuthKey(v)) => f.auth_key = v.map(key),
            Op::Set(Field::UserId(v)) => f.user_id = *v,
            Op::Set(Field::IsBot(v)) => f.is_bot = *v,
            Op::UpdatePeers(batch) => {
                for p in batch {
                    self.peers.insert(p.id, (p.clone(), self.now));
                }
            }
            Op::ById(id) => {
                return Seen::Peer(
                    self.peers
                        .get(id)
                        .map_or_else(|| Err("not found".into()), |(p, _)| input_peer(p)),
                );
            }
            Op::ByPhone(ph) => {
                let found = self
                    .peers
                    .values()
                    .find(|(p, _)| p.phone_number.as_ref() == Some(ph));
                return Seen::Peer(
                    found.map_or_else(|| Err("not found".into()), |(p, _)| input_peer(p)),
                );
            }
            Op::ByUsername(u) => {
                let newest = self
                    .peers
                    .values()
                    .filter(|(p, _)| p.username.as_ref() == Some(u))
                    .max_by_key(|(_, t)| *t);
                return Seen::Peer(match newest {
                    None => Err("not found".into()),
                    Some((_, t)) if (self.now - t).abs() > USERNAME_TTL => Err("expired".into()),
                    Some((p, _)) => input_peer(p),
                });
            }
            Op::Save => f.date = self.now,
            Op::Reopen => {}
            Op::Clock(d) => self.now += d,
            Op::Export => return Seen::Export(self.export()),
            Op::Import(seed) => {
                // Import replaces the whole row, date 0, as from a session string.
                *f = SessionFields {
                    dc_id: 3,
                    api_id: Some(777),
                    test_mode: Some(true),
                    auth_key: Some(key(*seed)),
                    date: 0,
                    user_id: Some(i64::from(*seed) + 1),
                    is_bot: Some(false),
                    server_address: None,
                    port: None,
                };
            }
        }
        Seen::Nothing
    }

    fn export(&self) -> Result<String, String> {
        let f = &self.fields;
        let api_id = f.api_id.ok_or("missing api_id")?;
        let user_id = f.user_id.ok_or("missing user_id")?;
        let session = Session {
            dc_id: u8::try_from(f.dc_id).map_err(|_| "range dc_id")?,
            api_id: Some(u32::try_from(api_id).map_err(|_| "range api_id")?),
            test_mode: f.test_mode.ok_or("missing test_mode")?,
            auth_key: f.auth_key.clone().ok_or("missing auth_key")?,
            user_id: u64::try_from(user_id).map_err(|_| "range user_id")?,
            is_bot: f.is_bot.ok_or("missing is_bot")?,
        };
        pyrosession::string::encode(&session, pyrosession::string::Format::V2)
            .map_err(|e| e.to_string())
    }
}

/// One operation through the storage interface only (spec/storage.md §1): any engine runs it.
fn apply(s: &mut impl SessionStore, op: &Op, clock: &ManualClock) -> Seen {
    let done = |r: Result<(), StorageError>| {
        r.unwrap();
        Seen::Nothing
    };
    match op {
        Op::Set(Field::DcId(v)) => done(s.set_dc_id(*v)),
        Op::Set(Field::ApiId(v)) => done(s.set_api_id(*v)),
        Op::Set(Field::TestMode(v)) => done(s.set_test_mode(*v)),
        Op::Set(Field::AuthKey(v)) => done(s.set_auth_key(v.map(key).as_ref())),
        Op::Set(Field::UserId(v)) => done(s.set_user_id(*v)),
        Op::Set(Field::IsBot(v)) => done(s.set_is_bot(*v)),
        Op::UpdatePeers(batch) => done(s.update_peers(batch)),
        Op::ById(id) => Seen::Peer(s.get_peer_by_id(*id).map_err(|e| kind(&e))),
        Op::ByUsername(u) => Seen::Peer(s.get_peer_by_username(u).map_err(|e| kind(&e))),
        Op::ByPhone(p) => Seen::Peer(s.get_peer_by_phone_number(p).map_err(|e| kind(&e))),
        Op::Save => done(s.save()),
        Op::Reopen => Seen::Nothing, // done by the caller for the file engine
        Op::Clock(d) => {
            clock.advance(*d);
            Seen::Nothing
        }
        Op::Export => Seen::Export(s.export_session_string().map_err(|e| kind(&e))),
        Op::Import(seed) => {
            let session = Session {
                dc_id: 3,
                api_id: Some(777),
                test_mode: true,
                auth_key: key(*seed),
                user_id: u64::from(*seed) + 1,
                is_bot: false,
            };
            done(s.set_session(&session))
        }
    }
}

/// The PostgreSQL engine, where `PYROSESSION_PG_URL` names a server: a new session of a name
/// no other case uses.
#[cfg(feature = "postgres")]
mod pg {
    use pyrosession::storage::postgres::{LeaseOptions, PgStorage};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct Pg {
        pub url: String,
        pub name: String,
    }

    pub fn server() -> Option<Pg> {
        static N: AtomicU32 = AtomicU32::new(0);
        let url = std::env::var("PYROSESSION_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!(
            "model-{}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        Some(Pg { url, name })
    }

    pub fn open(pg: &Pg) -> PgStorage {
        PgStorage::open(&pg.url, &pg.name, &LeaseOptions::default()).unwrap()
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    const START: i64 = 1_700_000_000;
    let dir = TempDir::new("model");
    let path = dir.join("m.session");
    let clock = Arc::new(ManualClock::new(START));
    let mut memory = Storage::memory().unwrap();
    memory.set_clock(clock.clone());
    let mut file = Storage::open_file(&path).unwrap();
    file.set_clock(clock.clone());
    #[cfg(feature = "postgres")]
    let server = pg::server();
    #[cfg(feature = "postgres")]
    let mut postgres = server.as_ref().map(|s| {
        let mut p = pg::open(s);
        p.set_clock(clock.clone());
        p
    });
    let mut model = Model::new(START);
    for (i, op) in ops.iter().enumerate() {
        // Each batch of peers is written a second after the last, so no two batches tie.
        if matches!(op, Op::UpdatePeers(_)) {
            clock.advance(1);
            model.now += 1;
        }
        let expected = model.apply(op);
        let from_memory = apply(&mut memory, op, &clock);
        if let Op::Clock(d) = op {
            clock.advance(-d); // the clock is shared: move it once
        }
        let from_file = apply(&mut file, op, &clock);
        #[cfg(feature = "postgres")]
        if let (Some(p), Some(server)) = (postgres.as_mut(), server.as_ref()) {
            if let Op::Clock(d) = op {
                clock.advance(-d); // moved once already
            }
            let from_postgres = apply(p, op, &clock);
            if matches!(op, Op::Reopen) {
                postgres.take().unwrap().close().unwrap();
                let mut p = pg::open(server);
                p.set_clock(clock.clone());
                postgres = Some(p);
            }
            let p = postgres.as_ref().unwrap();
            prop_assert_eq!(&from_postgres, &expected, "postgres, op {} {:?}", i, op);
            prop_assert_eq!(
                &p.session().unwrap(),
                &model.fields,
                "postgres fields after op {}",
                i
            );
        }
        if matches!(op, Op::Reopen) {
            file.close().unwrap();
            file = Storage::open_file(&path).unwrap();
            file.set_clock(clock.clone());
        }
        prop_assert_eq!(&from_memory, &expected, "memory, op {} {:?}", i, op);
        prop_assert_eq!(&from_file, &expected, "file, op {} {:?}", i, op);
        prop_assert_eq!(clock.now(), model.now);
        prop_assert_eq!(
            &memory.session().unwrap(),
            &model.fields,
            "memory fields after op {}",
            i
        );
        prop_assert_eq!(
            &file.session().unwrap(),
            &model.fields,
            "file fields after op {}",
            i
        );
    }
    let stored: Vec<(Peer, i64)> = file
        .peers()
        .unwrap()
        .into_iter()
        .map(|p| (p.peer, p.last_update_on))
        .collect();
    let expected: Vec<(Peer, i64)> = model.peers.values().cloned().collect();
    prop_assert_eq!(&stored, &expected);
    let in_memory: Vec<(Peer, i64)> = memory
        .peers()
        .unwrap()
        .into_iter()
        .map(|p| (p.peer, p.last_update_on))
        .collect();
    prop_assert_eq!(&in_memory, &expected);
    #[cfg(feature = "postgres")]
    if let Some(p) = postgres {
        let stored: Vec<(Peer, i64)> = p
            .peers()
            .unwrap()
            .into_iter()
            .map(|p| (p.peer, p.last_update_on))
            .collect();
        prop_assert_eq!(&stored, &expected, "postgres peers");
        pyrosession::storage::SessionStore::delete(p).unwrap();
    }
    Ok(())
}

use pyrosession::storage::Clock as _;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The memory engine, the file engine and the model agree on every observation of every
    /// random sequence of operations.
    #[test]
    fn prop_engines_match_the_model(ops in prop::collection::vec(op(), 1..48)) {
        run(&ops)?;
    }
}
