//! The conversions' laws as properties (spec/conversions.md §10.2): A to B to A gives A back,
//! for the fields both hold; the decoders take any input without panicking; detection names
//! what the encoders make.

mod util;

use std::net::IpAddr;

use proptest::prelude::*;
use pyrosession::convert::{
    self, dc, gramjs, legacy_json, read_path, read_text, render, telethon, write_file, Account,
    CachedPeer, Input, Kind, Options, Server, Target,
};
use pyrosession::peer::PeerType;
use pyrosession::string::{decode_strict, encode, Format};
use pyrosession::{AuthKey, Session};

fn key() -> impl Strategy<Value = AuthKey> {
    proptest::collection::vec(any::<u8>(), 256)
        .prop_filter("a key that is not all zeros", |k| k.iter().any(|&b| b != 0))
        .prop_map(|k| AuthKey::from_slice(&k).expect("256 bytes"))
}

/// A Pyrogram session whose data center is in the table, so a Telethon or GramJS target can
/// take its server from there and the way back can tell test mode from the address.
fn session() -> impl Strategy<Value = Session> {
    (
        0..dc::TABLE.len(),
        any::<u32>(),
        key(),
        1..=Session::MAX_USER_ID,
        any::<bool>(),
    )
        .prop_map(|(i, api_id, auth_key, user_id, is_bot)| Session {
            dc_id: dc::TABLE[i].dc_id,
            api_id: Some(api_id),
            test_mode: dc::TABLE[i].test_mode,
            auth_key,
            user_id,
            is_bot,
        })
}

/// The options that give back what Telethon and GramJS do not hold.
fn pyrogram_options(s: &Session) -> Options {
    Options {
        api_id: s.api_id,
        user_id: Some(s.user_id),
        is_bot: Some(s.is_bot),
        ..Options::default()
    }
}

fn address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        // GramJS reads a Telethon IPv6 string whose first two bytes are at most 100 as its own
        // layout (§3.1), so detection laws take addresses outside that corner.
        any::<[u8; 16]>()
            .prop_filter("first two bytes above 100", |b| i16::from_be_bytes([
                b[0], b[1]
            ]) > 100)
            .prop_map(IpAddr::from),
    ]
}

fn telethon_string() -> impl Strategy<Value = telethon::TelethonString> {
    (any::<u8>(), address(), any::<u16>(), key()).prop_map(|(dc_id, address, port, auth_key)| {
        telethon::TelethonString {
            dc_id,
            address,
            port,
            auth_key,
        }
    })
}

fn gramjs_string() -> impl Strategy<Value = gramjs::GramjsString> {
    (any::<u8>(), "[!-~]{4,100}", 1..=gramjs::MAX_PORT, key()).prop_map(
        |(dc_id, address, port, auth_key)| gramjs::GramjsString {
            dc_id,
            address,
            port,
            auth_key,
        },
    )
}

fn peer_type() -> impl Strategy<Value = PeerType> {
    proptest::sample::select(PeerType::ALL.to_vec())
}

/// A cached peer whose id agrees with its type, as Pyrogram writes them, within Telegram's
/// ranges (`id::CURRENT`, spec/storage.md §6.3): a conversion from a source without types
/// leaves other ids behind (spec/conversions.md §2.4).
fn peer() -> impl Strategy<Value = CachedPeer> {
    (
        peer_type(),
        1..=999_999_999_999i64,
        any::<i64>(),
        proptest::option::of("[a-z][a-z0-9_]{4,31}"),
        proptest::option::of("[1-9][0-9]{5,14}"),
        0..=2_000_000_000i64,
    )
        .prop_map(|(t, raw, hash, username, phone, date)| {
            let (id, hash, phone) = match t {
                PeerType::User | PeerType::Bot => (raw, hash, phone),
                PeerType::Group => (-(raw % 999_999_999_999 + 1), 0, None),
                _ => (-1_000_000_000_000 - (raw % 997_852_516_352 + 1), hash, None),
            };
            CachedPeer {
                id,
                access_hash: Some(hash),
                peer_type: Some(t),
                username,
                phone_number: phone,
                date: Some(date),
            }
        })
}

fn peers() -> impl Strategy<Value = Vec<CachedPeer>> {
    proptest::collection::vec(peer(), 0..12).prop_map(|mut v| {
        v.sort_by_key(|p| p.id);
        v.dedup_by_key(|p| p.id);
        v
    })
}

fn pyrogram_account(s: &Session, peers: Vec<CachedPeer>) -> Account {
    Account {
        kind: Kind::PyrogramFile,
        dc_id: s.dc_id,
        auth_key: s.auth_key.clone(),
        api_id: s.api_id,
        test_mode: Some(s.test_mode),
        user_id: Some(s.user_id),
        is_bot: Some(s.is_bot),
        server: None,
        peers,
        losses: Vec::new(),
        warnings: Vec::new(),
    }
}

/// What Telethon can hold of a peer: its type coarsened to what the id says.
fn coarse(p: &CachedPeer) -> CachedPeer {
    CachedPeer {
        peer_type: Some(CachedPeer::type_from_id(p.id)),
        ..p.clone()
    }
}

fn pyrogram_session_of(text: &str) -> Session {
    decode_strict(text)
        .expect("a canonical Pyrogram string")
        .session
}

proptest! {
    /// Pyrogram string → Telethon string → Pyrogram string gives the session back, with
    /// `api_id`, `user_id` and `is_bot` passed as options and test mode read from the table.
    #[test]
    fn prop_pyrogram_telethon_pyrogram(s in session(), ipv6 in any::<bool>()) {
        let start = encode(&s, Format::V2).unwrap();
        let options = Options { ipv6, ..Options::default() };
        let t = render(&read_text(&start).unwrap(), Target::Telethon, &options).unwrap();
        prop_assert_eq!(Input::from_text(&t.text).map(|i| i.detected()).unwrap().kind, Kind::TelethonString);
        let back = render(&read_text(&t.text).unwrap(), Target::Pyrogram, &pyrogram_options(&s)).unwrap();
        prop_assert_eq!(back.text.as_str(), start.as_str());
    }

    /// Pyrogram string → GramJS string → Pyrogram string gives the session back.
    #[test]
    fn prop_pyrogram_gramjs_pyrogram(s in session(), ipv6 in any::<bool>()) {
        let start = encode(&s, Format::V2).unwrap();
        let options = Options { ipv6, ..Options::default() };
        let g = render(&read_text(&start).unwrap(), Target::Gramjs, &options).unwrap();
        prop_assert_eq!(Input::from_text(&g.text).map(|i| i.detected()).unwrap().kind, Kind::GramjsString);
        let back = render(&read_text(&g.text).unwrap(), Target::Pyrogram, &pyrogram_options(&s)).unwrap();
        prop_assert_eq!(pyrogram_session_of(&back.text), s);
    }

    /// The Telethon codec: decode(encode(t)) = t, and the string is detected as Telethon's.
    #[test]
    fn prop_telethon_codec(t in telethon_string()) {
        let s = telethon::encode(&t);
        prop_assert_eq!(s.len(), if t.address.is_ipv4() { telethon::IPV4_LEN } else { telethon::IPV6_LEN });
        prop_assert_eq!(telethon::decode(&s).unwrap(), t);
        prop_assert_eq!(Input::from_text(&s).map(|i| i.detected()).unwrap().kind, Kind::TelethonString);
    }

    /// The GramJS codec: decode(encode(g)) = g, and the string is detected as GramJS's.
    #[test]
    fn prop_gramjs_codec(g in gramjs_string()) {
        let s = gramjs::encode(&g).unwrap();
        prop_assert_eq!(gramjs::decode(&s).unwrap(), g);
        prop_assert_eq!(Input::from_text(&s).map(|i| i.detected()).unwrap().kind, Kind::GramjsString);
    }

    /// Telethon string → GramJS string → Telethon string gives the string back (ports GramJS
    /// can hold: 1 to 32767).
    #[test]
    fn prop_telethon_gramjs_telethon(t in telethon_string()) {
        prop_assume!((1..=gramjs::MAX_PORT).contains(&t.port));
        let start = telethon::encode(&t);
        let g = render(&read_text(&start).unwrap(), Target::Gramjs, &Options::default()).unwrap();
        let back = render(&read_text(&g.text).unwrap(), Target::Telethon, &Options::default()).unwrap();
        prop_assert_eq!(back.text.as_str(), start.as_str());
    }

    /// GramJS string → Telethon string → GramJS string gives the string back, for servers a
    /// Telethon string can hold (IP addresses, written in their canonical form).
    #[test]
    fn prop_gramjs_telethon_gramjs(t in telethon_string()) {
        prop_assume!((1..=gramjs::MAX_PORT).contains(&t.port));
        let g = gramjs::GramjsString {
            dc_id: t.dc_id,
            address: t.address.to_string(),
            port: t.port,
            auth_key: t.auth_key.clone(),
        };
        let start = gramjs::encode(&g).unwrap();
        let tt = render(&read_text(&start).unwrap(), Target::Telethon, &Options::default()).unwrap();
        let back = render(&read_text(&tt.text).unwrap(), Target::Gramjs, &Options::default()).unwrap();
        prop_assert_eq!(back.text.as_str(), start.as_str());
    }

    /// A JSON session (Pyrogram ≤ 0.14) → Pyrogram string keeps dc, test mode, key, user id and
    /// bot flag; `api_id` comes from the option.
    #[test]
    fn prop_json_to_pyrogram(s in session(), chunk in 1usize..80) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(s.auth_key.as_bytes());
        let chunks: Vec<String> = b64.as_bytes().chunks(chunk).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let json = serde_json::json!({
            "dc_id": s.dc_id, "test_mode": s.test_mode, "auth_key": chunks,
            "user_id": s.user_id, "date": 0, "is_bot": s.is_bot,
        }).to_string();
        prop_assert_eq!(Input::from_text(&json).map(|i| i.detected()).unwrap().kind, Kind::PyrogramJson);
        let options = Options { api_id: s.api_id, ..Options::default() };
        let p = render(&read_text(&json).unwrap(), Target::Pyrogram, &options).unwrap();
        prop_assert_eq!(pyrogram_session_of(&p.text), s);
    }

    /// Detection names every Pyrogram string as Pyrogram's.
    #[test]
    fn prop_detect_pyrogram(s in session(), f in proptest::sample::select(vec![Format::V2, Format::Legacy64])) {
        let mut s = s;
        if f == Format::Legacy64 { s.api_id = None; }
        let text = encode(&s, f).unwrap();
        prop_assert_eq!(Input::from_text(&text).map(|i| i.detected()).unwrap().kind, Kind::PyrogramString);
    }

    /// Detection and every decoder take any text without panicking; a string detection
    /// accepts, reading accepts too (detection decodes strings; a JSON session it names by
    /// shape only, and reading checks the values).
    #[test]
    fn prop_decoders_never_panic(s in prop_oneof![
        any::<String>(),
        "1[A-Za-z0-9_=+/-]{340,380}",
        telethon_string().prop_flat_map(|t| { let s = telethon::encode(&t); (Just(s.clone()), 0..s.len(), any::<char>()) })
            .prop_map(|(s, i, c)| { let mut v: Vec<char> = s.chars().collect(); v[i] = c; v.into_iter().collect() }),
        gramjs_string().prop_flat_map(|g| { let s = gramjs::encode(&g).unwrap(); (Just(s.clone()), 0..s.len()) })
            .prop_map(|(s, i)| s[..i].to_owned()),
        "\\{\"dc_id\": [0-9]{1,4}, \"auth_key\": \\[\"[A-Za-z0-9+/=]{0,60}\"\\], \"test_mode\": (true|false|1), \"user_id\": -?[0-9]{1,20}\\}",
    ]) {
        let _ = telethon::decode(&s);
        let _ = gramjs::decode(&s);
        let _ = legacy_json::read(&s);
        if Input::from_text(&s).map(|i| i.detected()).is_ok_and(|d| d.kind != Kind::PyrogramJson) {
            prop_assert!(read_text(&s).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Pyrogram file → Telethon file → Pyrogram file keeps the session and every peer with an
    /// access hash: id, hash, username, phone and date; the type only as coarse as the id says
    /// (bots come back as users, supergroups as channels: spec/conversions.md §7.2).
    #[test]
    fn prop_pyrogram_telethon_file_pyrogram(s in session(), peers in peers(), version in 7u8..=8) {
        let dir = util::TempDir::new("convert-laws");
        let account = pyrogram_account(&s, peers.clone());
        let options = Options { telethon_version: version, ..Options::default() };
        let tpath = dir.join("t.session");
        write_file(&account, Target::TelethonFile, &options, &tpath, false, None).unwrap();
        let t = read_path(&tpath).unwrap();
        prop_assert_eq!(t.kind, Kind::TelethonFile);
        let ppath = dir.join("p.session");
        write_file(&t, Target::PyrogramFile, &pyrogram_options(&s), &ppath, false, Some(&tpath)).unwrap();
        let back = read_path(&ppath).unwrap();
        prop_assert_eq!((back.dc_id, back.api_id, back.test_mode, back.user_id, back.is_bot),
                        (s.dc_id, s.api_id, Some(s.test_mode), Some(s.user_id), Some(s.is_bot)));
        prop_assert_eq!(&back.auth_key, &s.auth_key);
        let want: Vec<CachedPeer> = peers.iter().map(coarse).collect();
        prop_assert_eq!(back.peers, want);
    }

    /// Telethon file → Pyrogram file → Telethon file keeps the session row's dc, server and key
    /// and every entity but its display name, which Pyrogram does not store.
    #[test]
    fn prop_telethon_file_pyrogram_telethon(s in session(), peers in peers()) {
        let dir = util::TempDir::new("convert-laws");
        let entry = dc::lookup(s.dc_id, s.test_mode).unwrap();
        let mut account = pyrogram_account(&s, peers);
        account.kind = Kind::TelethonFile;
        let t1 = dir.join("t1.session");
        write_file(&account, Target::TelethonFile, &Options::default(), &t1, false, None).unwrap();
        let start = read_path(&t1).unwrap();
        prop_assert_eq!(start.server.clone(), Some(Server { address: entry.ipv4.to_owned(), port: dc::PORT }));
        let p = dir.join("p.session");
        write_file(&start, Target::PyrogramFile, &pyrogram_options(&s), &p, false, None).unwrap();
        let t2 = dir.join("t2.session");
        write_file(&read_path(&p).unwrap(), Target::TelethonFile, &Options::default(), &t2, false, None).unwrap();
        let back = read_path(&t2).unwrap();
        prop_assert_eq!((back.dc_id, &back.server, &back.auth_key), (start.dc_id, &start.server, &start.auth_key));
        let strip = |a: &Account| a.peers.iter().map(|p| CachedPeer { peer_type: None, ..p.clone() }).collect::<Vec<_>>();
        // The first Telethon file holds the generated peers, so a writer that dropped or changed
        // them cannot pass by losing them on both legs alike.
        prop_assert_eq!(strip(&start), strip(&account));
        prop_assert_eq!(strip(&back), strip(&start));
    }
}

#[test]
fn conversions_module_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<convert::ConvertError>();
    check::<Account>();
}
